/* SPDX-License-Identifier: MIT */
/*
 * ladder.c - draw a connection's trace as a ladder diagram (see ladder.h).
 * Sequence arithmetic is modulo 2^32 as RFC 9293 §3.4 defines it; the peer's
 * state follows RFC 9293 §3.3.2 and the segment arrival rules of §3.10.7.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ladder.h"

#define LADDER_TIME_W	    9  /* "60000.123" */
#define LADDER_STATE_W	    12 /* "SYN-RECEIVED" */
#define LADDER_INNER_W	    41 /* between the lifelines: 80 columns with " (ESTABLISHED)" */
/* ...with ten-digit numbers (--absolute), and at most for longer labels (ladder_fit):
 * "FIN,PSH,ACK seq=N ack=N win=65535 len=65535" fits as "- label>" (lines of 103) */
#define LADDER_INNER_W_WIDE 64

static bool ladder_seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/*
 * The peer's state. Our segments are taken to arrive in the order sent; a
 * segment of the peer's shows, by its ACK, which of them had arrived when it
 * was sent. base is the state the peer's last segment was sent in; the
 * segments of ours that may change it and are not yet shown to have arrived
 * wait in q, and the state now (as far as we know) is base with them
 * delivered.
 */

static bool ladder_peer_acks_syn(const struct ladder_peer *p, uint8_t flags, uint32_t ack)
{
	return flags & CTL_TCP_ACK && p->have_isn && ladder_seq_lt(p->isn, ack);
}

static bool ladder_peer_acks_fin(const struct ladder_peer *p, uint8_t flags, uint32_t ack)
{
	return flags & CTL_TCP_ACK && p->have_fin && ladder_seq_lt(p->fin, ack);
}

/* The peer in state s receives one of our segments (RFC 9293 §3.10.7). */
static enum ctl_state ladder_peer_deliver(const struct ladder_peer *p, enum ctl_state s,
					  const struct ladder_peer_seg *g)
{
	bool acks_syn = ladder_peer_acks_syn(p, g->flags, g->ack);
	bool acks_fin = ladder_peer_acks_fin(p, g->flags, g->ack);

	if (s == LADDER_PEER_UNKNOWN)
		return s;
	if (g->flags & CTL_TCP_RST) {
		if (s == CTL_STATE_LISTEN || (s == CTL_STATE_SYN_RECEIVED && p->passive))
			return CTL_STATE_LISTEN; /* §3.10.7.4: back to LISTEN */
		return CTL_STATE_CLOSED;
	}
	if (g->flags & CTL_TCP_SYN) {
		if (s == CTL_STATE_LISTEN)
			return CTL_STATE_SYN_RECEIVED;
		if (s == CTL_STATE_SYN_SENT || s == CTL_STATE_SYN_RECEIVED)
			return acks_syn ? CTL_STATE_ESTABLISHED : CTL_STATE_SYN_RECEIVED;
		return s;
	}
	/* the ACK is processed before the FIN (§3.10.7.4, fifth and eighth) */
	if (s == CTL_STATE_SYN_RECEIVED && acks_syn)
		s = CTL_STATE_ESTABLISHED;
	else if (s == CTL_STATE_FIN_WAIT_1 && acks_fin)
		s = CTL_STATE_FIN_WAIT_2;
	else if (s == CTL_STATE_CLOSING && acks_fin)
		s = CTL_STATE_TIME_WAIT;
	else if (s == CTL_STATE_LAST_ACK && acks_fin)
		s = CTL_STATE_CLOSED;
	if (!(g->flags & CTL_TCP_FIN))
		return s;
	switch (s) {
	case CTL_STATE_ESTABLISHED:
		return CTL_STATE_CLOSE_WAIT;
	case CTL_STATE_FIN_WAIT_1:
		return CTL_STATE_CLOSING;
	case CTL_STATE_FIN_WAIT_2:
		return CTL_STATE_TIME_WAIT;
	default:
		return s;
	}
}

/* The state the peer was in, coming from s, when it sent e. */
static enum ctl_state ladder_peer_sent(struct ladder_peer *p, enum ctl_state s,
				       const struct ctl_trace_entry *e)
{
	uint8_t f = e->seg.flags;

	if (f & CTL_TCP_RST)
		return CTL_STATE_CLOSED;
	if (f & CTL_TCP_SYN) {
		if (!(f & CTL_TCP_ACK)) {
			p->passive = false;
			return CTL_STATE_SYN_SENT;
		}
		if (s == LADDER_PEER_UNKNOWN || s == CTL_STATE_LISTEN || s == CTL_STATE_CLOSED)
			p->passive = true;
		return CTL_STATE_SYN_RECEIVED;
	}
	/* only a synchronized peer sends without SYN: our ACK of its SYN arrived */
	if (s == CTL_STATE_SYN_SENT || s == CTL_STATE_SYN_RECEIVED)
		s = CTL_STATE_ESTABLISHED;
	if (f & CTL_TCP_FIN) {
		if (s == CTL_STATE_ESTABLISHED)
			return CTL_STATE_FIN_WAIT_1;
		if (s == CTL_STATE_CLOSE_WAIT)
			return CTL_STATE_LAST_ACK;
	}
	return s; /* a retransmission, data or an ACK */
}

/* The state now: base with the segments still on their way delivered. */
static enum ctl_state ladder_peer_now(const struct ladder_peer *p)
{
	enum ctl_state s = p->base;

	for (size_t i = 0; i < p->nq; i++)
		s = ladder_peer_deliver(p, s, &p->q[i]);
	return s;
}

/* The first n of our waiting segments have arrived (in base). */
static void ladder_peer_arrived(struct ladder_peer *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p->base = ladder_peer_deliver(p, p->base, &p->q[i]);
	memmove(p->q, p->q + n, (p->nq - n) * sizeof(p->q[0]));
	p->nq -= n;
}

/* What to write after a segment from the peer, the state it was sent in: "" when unchanged. */
static void ladder_peer_inbound(struct ladder_peer *p, const struct ctl_trace_entry *e, char *out,
				size_t len)
{
	uint8_t f = e->seg.flags;
	enum ctl_state now;
	size_t arrived = 0;

	/* a peer that sends neither SYN nor RST is synchronized: a history that starts
	 * later. Which synchronized state is not known (our FIN may lie before the
	 * history's start): nothing is written until a SYN or RST shows a state. */
	if (!(f & (CTL_TCP_SYN | CTL_TCP_RST)) &&
	    (p->base == LADDER_PEER_UNKNOWN || p->base == CTL_STATE_CLOSED ||
	     p->base == CTL_STATE_LISTEN)) {
		p->base = CTL_STATE_ESTABLISHED;
		p->cut = p->base != p->shown;
	}
	if (f & (CTL_TCP_SYN | CTL_TCP_RST))
		p->cut = false;
	for (size_t i = 0; i < p->nq; i++) {
		if (f & CTL_TCP_ACK && !ladder_seq_lt(e->seg.ack, p->q[i].need))
			arrived = i + 1; /* and, in order, all before it */
		/* a peer we reset starts again with a SYN (RFC 9293 Figure 9) */
		if (f & CTL_TCP_SYN && p->q[i].flags & CTL_TCP_RST)
			arrived = i + 1;
	}
	ladder_peer_arrived(p, arrived);
	p->base = ladder_peer_sent(p, p->base, e);
	if (f & CTL_TCP_RST)
		p->nq = 0; /* nothing we sent matters to a closed peer */
	if (f & CTL_TCP_SYN) {
		p->have_isn = true;
		p->isn = e->seg.seq;
		p->acked_syn = false;
	}
	if (f & CTL_TCP_FIN) {
		p->have_fin = true;
		p->fin = e->seg.seq + e->seg.len + (f & CTL_TCP_SYN ? 1 : 0);
		p->acked_fin = false;
	}
	out[0] = '\0';
	if (p->cut)
		return;
	now = ladder_peer_now(p);
	if (now == p->shown) { /* what we already wrote, perhaps with ours still on the way */
		p->crossed = false;
		return;
	}
	if (p->base != p->shown) {
		p->shown = p->base;
		snprintf(out, len, "%s", ctl_state_rfc_name(p->base));
	}
	/* ours on the way would move it on: they crossed this segment */
	p->crossed = now != p->shown;
}

static bool ladder_peer_queued(const struct ladder_peer *p, const struct ladder_peer_seg *g)
{
	for (size_t i = 0; i < p->nq; i++)
		if (p->q[i].flags == g->flags && p->q[i].need == g->need)
			return true;
	return false;
}

/*
 * A history cut before our FIN: our state as the FIN leaves says where the
 * peer stands. FIN-WAIT-1: we close first, the peer had sent no FIN
 * (ESTABLISHED, as assumed); LAST-ACK: the peer's FIN came before the cut
 * and we ACKed it (FIN-WAIT-2). Anything else stays unknown.
 */
static void ladder_peer_uncut(struct ladder_peer *p, uint8_t flags, enum ctl_state ours)
{
	if (!p->cut || !(flags & CTL_TCP_FIN))
		return;
	if (ours == CTL_STATE_FIN_WAIT_1) {
		p->cut = false;
	} else if (ours == CTL_STATE_LAST_ACK) {
		p->base = CTL_STATE_FIN_WAIT_2;
		p->cut = false;
	}
}

/* What to write after a segment of ours, the state it puts the peer in: "" when unchanged.
 * ours: the state this segment's call or timer put us in, LADDER_PEER_UNKNOWN if none. */
static void ladder_peer_outbound(struct ladder_peer *p, const struct ctl_trace_entry *e,
				 enum ctl_state ours, char *out, size_t len)
{
	uint8_t f = e->seg.flags;
	uint32_t end =
		e->seg.seq + e->seg.len + (f & CTL_TCP_SYN ? 1 : 0) + (f & CTL_TCP_FIN ? 1 : 0);
	bool acks_syn = !p->acked_syn && ladder_peer_acks_syn(p, f, e->seg.ack);
	bool acks_fin = !p->acked_fin && ladder_peer_acks_fin(p, f, e->seg.ack);
	struct ladder_peer_seg g = { .flags = f, .ack = e->seg.ack };
	enum ctl_state now;

	ladder_peer_uncut(p, f, ours);
	if (!p->have_snd || ladder_seq_lt(p->snd_max, end)) {
		p->have_snd = true;
		p->snd_max = end;
	}
	/* shown to have arrived by an ACK of it, or (an ACK alone) of anything sent later */
	g.need = end != e->seg.seq ? end : p->snd_max + 1;
	p->acked_syn |= acks_syn;
	p->acked_fin |= acks_fin;
	if (acks_syn || acks_fin ||
	    (f & (CTL_TCP_SYN | CTL_TCP_FIN | CTL_TCP_RST) && !ladder_peer_queued(p, &g))) {
		if (p->nq == LADDER_PEER_QUEUE)
			ladder_peer_arrived(p, 1);
		p->q[p->nq++] = g;
	}
	out[0] = '\0';
	/* whatever crossed it, a RST that arrives ends the connection */
	if (f & CTL_TCP_RST)
		p->crossed = false;
	now = ladder_peer_now(p);
	if (p->crossed || p->cut || now == LADDER_PEER_UNKNOWN || now == p->shown)
		return;
	p->shown = now;
	snprintf(out, len, "(%s)", ctl_state_rfc_name(now));
}

void ladder_init(struct ladder *l, FILE *f, unsigned flags)
{
	memset(l, 0, sizeof(*l));
	l->f = f;
	l->flags = flags;
	l->inner_w = flags & LADDER_ABSOLUTE ? LADDER_INNER_W_WIDE : LADDER_INNER_W;
	l->peer.base = LADDER_PEER_UNKNOWN;
	l->peer.shown = LADDER_PEER_UNKNOWN;
}

/* "synack" over our lifeline, "peer" ending over the peer's, "state" over its state */
static void ladder_header_line(struct ladder *l)
{
	fprintf(l->f, "%*s %-*s %-6s%*s %s\n", LADDER_TIME_W, "time/ms", LADDER_STATE_W, "state",
		"synack", (int)l->inner_w + 2 - 6, "peer", "state");
}

static void ladder_header(struct ladder *l, uint64_t t)
{
	if (l->started)
		return;
	l->started = true;
	l->t0 = t;
	ladder_header_line(l);
}

/*
 * A label longer than the lifelines are apart, once the header is out (trace
 * --follow: a bulk transfer after a handshake drawn 80 columns wide): the
 * ladder widens to LADDER_INNER_W_WIDE, where every label of up to three
 * flags fits, under a new header line. The later labels are not known, so
 * not just as wide as this one: the peer's lifeline moves once, where the
 * header says, not on every longer line.
 */
static void ladder_widen(struct ladder *l, const char *label)
{
	size_t need = strlen(label) + 2; /* "-label>" or "<label-": the dashes may go */

	if (need <= l->inner_w || l->inner_w >= LADDER_INNER_W_WIDE)
		return;
	l->inner_w = LADDER_INNER_W_WIDE;
	ladder_header_line(l);
}

static void ladder_time(const struct ladder *l, uint64_t t, char *buf, size_t len)
{
	uint64_t d = t >= l->t0 ? t - l->t0 : 0;

	snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, d / 1000, d % 1000);
}

/* A number in our (dir OUT) or the peer's (dir IN) sequence space. */
static uint32_t ladder_number(struct ladder *l, enum ctl_direction space, uint32_t v)
{
	if (l->flags & LADDER_ABSOLUTE)
		return v;
	if (!l->have_base[space]) {
		l->have_base[space] = true;
		l->base[space] = v;
	}
	return v - l->base[space]; /* modulo 2^32 */
}

/* Learn each side's ISN from its SYN before numbering; false when the
 * history starts after it (the numbers then count from the first seen). */
static bool ladder_learn_isn(struct ladder *l, const struct ctl_trace_entry *e)
{
	enum ctl_direction space = e->seg.dir;

	if (l->flags & LADDER_ABSOLUTE || l->have_base[space])
		return true;
	if (!(e->seg.flags & CTL_TCP_SYN))
		return false;
	l->have_base[space] = true;
	l->base[space] = e->seg.seq;
	return true;
}

/* ladder_learn_isn(), and a note, once, for a history that starts later. */
static void ladder_learn_base(struct ladder *l, const struct ctl_trace_entry *e)
{
	if (ladder_learn_isn(l, e) || l->noted)
		return;
	l->noted = true;
	fprintf(l->f, "%*s (no %s SYN in the history: numbers count from the first seen)\n",
		LADDER_TIME_W, "", e->seg.dir == CTL_DIR_OUT ? "local" : "peer");
}

static void ladder_label(struct ladder *l, const struct ctl_trace_entry *e, char *buf, size_t len)
{
	enum ctl_direction other = e->seg.dir == CTL_DIR_OUT ? CTL_DIR_IN : CTL_DIR_OUT;
	char flags[48];
	size_t n;

	ctl_tcp_flags_format(e->seg.flags, flags, sizeof(flags));
	n = (size_t)snprintf(buf, len, "%s seq=%" PRIu32, flags,
			     ladder_number(l, e->seg.dir, e->seg.seq));
	if (e->seg.flags & CTL_TCP_ACK && n < len)
		n += (size_t)snprintf(buf + n, len - n, " ack=%" PRIu32,
				      ladder_number(l, other, e->seg.ack));
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, " win=%" PRIu32, e->seg.wnd);
	if (e->seg.len > 0 && n < len)
		snprintf(buf + n, len - n, " len=%" PRIu32, e->seg.len);
}

static void ladder_dashes(FILE *f, size_t n)
{
	while (n--)
		fputc('-', f);
}

static void ladder_prefix(struct ladder *l, uint64_t t, const char *state)
{
	char when[32];

	ladder_time(l, t, when, sizeof(when));
	fprintf(l->f, "%*s %-*s |", LADDER_TIME_W, when, LADDER_STATE_W, state);
}

/*
 * "-- label ---->" or "<---- label --" between the lifelines; a label too
 * long for that loses the dashes, then the spaces ("-label>"), and only then
 * pushes the peer's lifeline right.
 */
static void ladder_arrow(FILE *f, size_t width, enum ctl_direction dir, const char *label)
{
	size_t len = strlen(label);
	size_t room = len < width ? width - len : 0;
	const char *near = room >= 4 ? " " : "", *far = room >= 3 ? " " : "";

	if (dir == CTL_DIR_OUT && room < 5) {
		fprintf(f, "-%s%s%s>", far, label, near); /* "- label >", "- label>", "-label>" */
	} else if (room < 5) {
		fprintf(f, "<%s%s%s-", near, label, far); /* "< label -", "<label -", "<label-" */
	} else if (dir == CTL_DIR_OUT) {
		fprintf(f, "-- %s ", label);
		ladder_dashes(f, room - 5);
		fputc('>', f);
	} else {
		fputc('<', f);
		ladder_dashes(f, room - 5);
		fprintf(f, " %s --", label);
	}
}

static void ladder_segment_line(struct ladder *l, const struct ctl_trace_entry *e,
				const char *state, const char *peer)
{
	char label[160];

	ladder_learn_base(l, e);
	ladder_label(l, e, label, sizeof(label));
	ladder_widen(l, label);
	ladder_prefix(l, e->time_us, state);
	ladder_arrow(l->f, l->inner_w, e->seg.dir, label);
	fputc('|', l->f);
	if (peer[0])
		fprintf(l->f, " %s", peer);
	fputc('\n', l->f);
}

static void ladder_state_line(struct ladder *l, const struct ctl_trace_entry *e)
{
	char cause[64] = "";
	int n = 0;

	if (e->state.cause[0])
		n = snprintf(cause, sizeof(cause), "  (%s)", e->state.cause);
	ladder_prefix(l, e->time_us, ctl_state_rfc_name(e->state.to));
	fprintf(l->f, "%s%*s|\n", cause, n < (int)l->inner_w ? (int)l->inner_w - n : 0, "");
}

static void ladder_flush_segment(struct ladder *l)
{
	if (!l->have_seg)
		return;
	l->have_seg = false;
	ladder_segment_line(l, &l->seg, l->seg_has_state ? ctl_state_rfc_name(l->seg_state) : "",
			    l->seg_peer);
}

static void ladder_flush_state(struct ladder *l)
{
	if (!l->have_state)
		return;
	l->have_state = false;
	ladder_state_line(l, &l->state);
}

static void ladder_feed_segment(struct ladder *l, const struct ctl_trace_entry *e)
{
	bool attach;

	ladder_flush_segment(l);
	/* a call (connect, close) or a timer changed the state and this segment went out */
	attach = l->have_state && e->seg.dir == CTL_DIR_OUT && l->state.time_us == e->time_us;
	l->seg = *e;
	l->have_seg = true;
	if (e->seg.dir == CTL_DIR_OUT)
		ladder_peer_outbound(&l->peer, e, attach ? l->state.state.to : LADDER_PEER_UNKNOWN,
				     l->seg_peer, sizeof(l->seg_peer));
	else
		ladder_peer_inbound(&l->peer, e, l->seg_peer, sizeof(l->seg_peer));
	l->seg_has_state = attach;
	if (attach) {
		l->seg_state = l->state.state.to;
		l->have_state = false;
	}
	ladder_flush_state(l);
}

static void ladder_feed_state(struct ladder *l, const struct ctl_trace_entry *e)
{
	if (l->have_seg && !l->seg_has_state && l->seg.seg.dir == CTL_DIR_IN &&
	    l->seg.time_us == e->time_us) {
		l->seg_has_state = true;
		l->seg_state = e->state.to;
		return;
	}
	ladder_flush_segment(l);
	ladder_flush_state(l);
	l->state = *e;
	l->have_state = true;
}

void ladder_feed(struct ladder *l, const struct ctl_trace_entry *e)
{
	if (!l->started) { /* a first label too long: wide from the header on */
		unsigned w = l->inner_w;

		ladder_fit(l, e, 1);
		if (l->inner_w > w)
			l->inner_w = LADDER_INNER_W_WIDE;
	}
	ladder_header(l, e->time_us);
	if (e->kind == CTL_TRACE_SEGMENT)
		ladder_feed_segment(l, e);
	else
		ladder_feed_state(l, e);
}

void ladder_flush(struct ladder *l)
{
	ladder_flush_segment(l);
	ladder_flush_state(l);
	fflush(l->f);
}

void ladder_fit(struct ladder *l, const struct ctl_trace_entry *e, size_t n)
{
	struct ladder m;
	char label[160];

	if (l->started)
		return; /* the header is out: its columns stay */
	/* the labels as the drawing will number them: the same steps, in order */
	ladder_init(&m, NULL, l->flags);
	for (size_t i = 0; i < n; i++) {
		size_t need;

		if (e[i].kind != CTL_TRACE_SEGMENT)
			continue;
		(void)ladder_learn_isn(&m, &e[i]);
		ladder_label(&m, &e[i], label, sizeof(label));
		need = strlen(label) + 2; /* "-label>" or "<label-": the dashes may go */
		if (need > l->inner_w)
			l->inner_w =
				need < LADDER_INNER_W_WIDE ? (unsigned)need : LADDER_INNER_W_WIDE;
	}
}

int ladder_render(FILE *f, const struct ctl_trace_entry *e, size_t n, unsigned flags)
{
	struct ladder l;

	ladder_init(&l, f, flags);
	ladder_fit(&l, e, n);
	for (size_t i = 0; i < n; i++)
		ladder_feed(&l, &e[i]);
	ladder_flush(&l);
	return ferror(f) ? -EIO : 0;
}
