/* SPDX-License-Identifier: MIT */
/*
 * sim_check.c - what the simulator checks, beside the byte streams
 * (sim_app.c): the trace hook (records each side's state changes and prints
 * every segment with -v), the invariants after every step of the virtual
 * clock (RFC 9293 §3.3.1: SND.UNA <= SND.NXT; bytes in flight within the send
 * buffer; queues within their buffers; no timer and no poll deadline in the
 * past once the stack was polled), every corrupted frame dropped and counted,
 * on every segment (data within the window
 * the peer offered; our advertised right edge never moves left), and the outcome of a run (both ends
 * CLOSED, TIME-WAIT on the side that closed first and for 2*MSL, the events
 * each application had to see, no resets).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim_world.h"
#include "stack_info.h"

/* TCP header flags as on the wire (RFC 9293 §3.1). */
#define SIM_FIN 0x01
#define SIM_SYN 0x02
#define SIM_RST 0x04
#define SIM_PSH 0x08
#define SIM_ACK 0x10

static bool sim_state_is(uint8_t st, const char *name)
{
	return strcmp(stack_tcp_state_name(st), name) == 0;
}

static char sim_side_name(const struct sim_side *sd)
{
	return sd->idx == SIM_A ? 'A' : 'B';
}

static int32_t sim_seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

static void sim_flags_str(uint8_t flags, char out[8])
{
	static const struct {
		uint8_t bit;
		char c;
	} names[] = { { SIM_SYN, 'S' },
		      { SIM_FIN, 'F' },
		      { SIM_RST, 'R' },
		      { SIM_PSH, 'P' },
		      { SIM_ACK, '.' } };
	size_t n = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (flags & names[i].bit)
			out[n++] = names[i].c;
	out[n] = '\0';
}

static void sim_print_seg(const struct sim_side *sd, const struct stack_trace *t)
{
	const struct stack_trace_seg *g = &t->seg;
	bool out = t->kind == STACK_TRACE_SEG_OUT;
	char fl[8];

	sim_flags_str(g->flags, fl);
	printf("%12.6f %c %s %-4s seq=%" PRIu32 " ack=%" PRIu32 " win=%" PRIu32 " len=%" PRIu32,
	       (double)t->now / 1e6, sim_side_name(sd), out ? "->" : "<-", fl, g->seq, g->ack,
	       g->wnd, g->len);
	if (g->mss)
		printf(" mss=%u", g->mss);
	if (g->wscale >= 0)
		printf(" ws=%d", g->wscale);
	if (g->sack_ok)
		printf(" sackok");
	if (g->has_ts)
		printf(" ts=%" PRIu32 "/%" PRIu32, g->tsval, g->tsecr);
	if (t->sock == STACK_SOCK_NONE)
		printf(" (no connection)");
	printf("\n");
}

/* Remember the connection's state change; the listener's are not interesting. */
static void sim_record_state(struct sim_world *w, struct sim_side *sd, const struct stack_trace *t)
{
	struct sim_path *p = &sd->path;

	if (t->remote.addr == 0)
		return;
	if (!p->have_tuple) {
		p->have_tuple = true;
		p->lport = t->local.port;
		p->rport = t->remote.port;
		p->st[0] = t->state.from;
		p->at[0] = t->now;
		p->n = 1;
	} else if (p->lport != t->local.port || p->rport != t->remote.port) {
		sim_fail(w, "%c: a second connection %u -> %u appeared (%s -> %s)",
			 sim_side_name(sd), t->local.port, t->remote.port,
			 stack_tcp_state_name(t->state.from), stack_tcp_state_name(t->state.to));
		return;
	}
	if (p->st[p->n - 1] != t->state.from)
		sim_fail(w, "%c: state change from %s while the last one went to %s",
			 sim_side_name(sd), stack_tcp_state_name(t->state.from),
			 stack_tcp_state_name(p->st[p->n - 1]));
	if (p->n == SIM_MAX_STATES) {
		p->overflow = true;
		return;
	}
	p->st[p->n] = t->state.to;
	p->at[p->n] = t->now;
	p->n++;
}

/* Segments of the one connection; A's listener sees its SYN before the connection exists. */
static bool sim_seg_of_conn(const struct sim_side *sd, const struct stack_trace *t)
{
	if (!sd->path.have_tuple)
		return (t->seg.flags & (SIM_SYN | SIM_RST)) == SIM_SYN;
	return t->local.port == sd->path.lport && t->remote.port == sd->path.rport;
}

/* Window scaling applies only once both SYNs offered it. */
static unsigned sim_wnd_shift(const struct sim_wnd *wn, int ws)
{
	return wn->my_ws >= 0 && wn->peer_ws >= 0 ? (unsigned)ws : 0;
}

/*
 * A segment we send: its data stays within the furthest right edge the peer
 * ever offered (one byte more for a zero-window probe), and the right edge we
 * advertise never moves left (RFC 9293 §3.8.6 "shrinking the window").
 */
static void sim_check_seg_out(struct sim_world *w, struct sim_side *sd,
			      const struct stack_trace_seg *g)
{
	struct sim_wnd *wn = &sd->wnd;
	uint32_t edge;
	unsigned shift;

	if (g->flags & SIM_SYN) {
		wn->my_ws = g->wscale;
		return;
	}
	if (g->flags & SIM_RST)
		return;
	if (g->len && wn->have_snd_edge && sim_seq_diff(g->seq + g->len, wn->snd_edge + 1) > 0)
		sim_fail(w,
			 "%c: sent seq %" PRIu32 "+%" PRIu32
			 " beyond the peer's window edge %" PRIu32,
			 sim_side_name(sd), g->seq, g->len, wn->snd_edge);
	if (!(g->flags & SIM_ACK))
		return;
	shift = sim_wnd_shift(wn, wn->my_ws);
	edge = g->ack + (g->wnd << shift);
	/* scaling rounds the field down: the edge may seem to move left by < 2^shift */
	if (wn->have_rcv_edge && sim_seq_diff(edge + (1u << shift) - 1, wn->rcv_edge) < 0)
		sim_fail(w, "%c: advertised window shrank: right edge %" PRIu32 " after %" PRIu32,
			 sim_side_name(sd), edge, wn->rcv_edge);
	wn->have_rcv_edge = true;
	wn->rcv_edge = edge;
}

/* A segment from the peer: remember the furthest right edge it offered. */
static void sim_check_seg_in(struct sim_side *sd, const struct stack_trace_seg *g)
{
	struct sim_wnd *wn = &sd->wnd;
	uint32_t edge;

	if (g->flags & SIM_SYN)
		wn->peer_ws = g->wscale;
	if ((g->flags & SIM_RST) || !(g->flags & SIM_ACK))
		return;
	edge = g->ack + (g->wnd << ((g->flags & SIM_SYN) ? 0 : sim_wnd_shift(wn, wn->peer_ws)));
	if (!wn->have_snd_edge || sim_seq_diff(edge, wn->snd_edge) > 0) {
		wn->have_snd_edge = true;
		wn->snd_edge = edge;
	}
}

void sim_check_trace(void *ctx, const struct stack_trace *t)
{
	struct sim_side *sd = ctx;
	struct sim_world *w = sd->w;

	switch (t->kind) {
	case STACK_TRACE_SEG_OUT:
		sd->segs_out++;
		if (w->opts->verbose)
			sim_print_seg(sd, t);
		if (sim_seg_of_conn(sd, t))
			sim_check_seg_out(w, sd, &t->seg);
		return;
	case STACK_TRACE_SEG_IN:
		if (w->opts->verbose)
			sim_print_seg(sd, t);
		if (sim_seg_of_conn(sd, t))
			sim_check_seg_in(sd, &t->seg);
		return;
	case STACK_TRACE_STATE:
		if (w->opts->verbose)
			printf("%12.6f %c state %u->%u %s -> %s (cause %u)\n", (double)t->now / 1e6,
			       sim_side_name(sd), t->local.port, t->remote.port,
			       stack_tcp_state_name(t->state.from),
			       stack_tcp_state_name(t->state.to), t->state.cause);
		sim_record_state(w, sd, t);
		sim_progress(w);
		return;
	}
}

void sim_check_link_log(void *ctx, stack_time_us now, enum sim_link_fate fate, size_t len)
{
	struct sim_side *sd = ctx;

	if (sd->w->opts->verbose)
		printf("%12.6f %c link: frame of %zu bytes %s\n", (double)now / 1e6,
		       sim_side_name(sd), len, sim_link_fate_name(fate));
}

void sim_check_after_poll(struct sim_world *w, struct sim_side *sd)
{
	stack_time_us at = stack_poll_at(sd->stack);

	if (at != STACK_TIME_NEVER && at < w->now)
		sim_fail(w,
			 "%c: stack_poll_at() = %" PRIu64
			 " is in the past after stack_poll(%" PRIu64 ")",
			 sim_side_name(sd), at, w->now);
}

struct sim_inv_ctx {
	struct sim_world *w;
	struct sim_side *sd;
	size_t conns;
};

static void sim_check_timers(struct sim_inv_ctx *x, const struct stack_tcp_info *in)
{
	static const char *const names[STACK_TCP_TIMER_COUNT] = {
		"retransmit", "persist", "delayed-ACK", "keepalive", "FIN-WAIT-2", "TIME-WAIT",
	};

	for (int i = 0; i < STACK_TCP_TIMER_COUNT; i++) {
		if (in->timers[i].armed && in->timers[i].at < x->w->now)
			sim_fail(x->w,
				 "%c: %s timer due at %" PRIu64 " is still armed at %" PRIu64
				 " (%s)",
				 sim_side_name(x->sd), names[i], in->timers[i].at, x->w->now,
				 in->state_name);
	}
}

static void sim_check_seq(struct sim_inv_ctx *x, const struct stack_tcp_info *in)
{
	uint32_t flight = in->snd_nxt - in->snd_una;
	char c = sim_side_name(x->sd);

	if (sim_seq_diff(in->snd_nxt, in->snd_una) < 0)
		sim_fail(x->w, "%c: SND.UNA %" PRIu32 " > SND.NXT %" PRIu32 " in %s", c,
			 in->snd_una, in->snd_nxt, in->state_name);
	else if (sim_seq_diff(in->snd_cursor, in->snd_una) < 0 ||
		 sim_seq_diff(in->snd_nxt, in->snd_cursor) < 0)
		sim_fail(x->w,
			 "%c: send point %" PRIu32 " outside [%" PRIu32 ", %" PRIu32 "] in %s", c,
			 in->snd_cursor, in->snd_una, in->snd_nxt, in->state_name);
	/* SYN and FIN take one sequence number each but no buffer space */
	else if (flight > in->send_queue + 2)
		sim_fail(x->w,
			 "%c: %" PRIu32 " bytes in flight, only %" PRIu32 " in the send buffer", c,
			 flight, in->send_queue);
	if (in->send_queue > in->sndbuf)
		sim_fail(x->w, "%c: send queue %" PRIu32 " > send buffer %" PRIu32, c,
			 in->send_queue, in->sndbuf);
	if (in->recv_queue > in->rcvbuf)
		sim_fail(x->w, "%c: receive queue %" PRIu32 " > receive buffer %" PRIu32, c,
			 in->recv_queue, in->rcvbuf);
	/* the advertised edge may round up by less than one unit of the window scale */
	if (in->rcv_wnd > in->rcvbuf + (1u << in->rcv_wscale))
		sim_fail(x->w, "%c: advertised window %" PRIu32 " > receive buffer %" PRIu32, c,
			 in->rcv_wnd, in->rcvbuf);
}

static int sim_check_conn(void *ctx, stack_sock sock, const struct stack_tcp_info *in)
{
	struct sim_inv_ctx *x = ctx;

	x->conns++;
	sim_check_timers(x, in);
	if (in->listener || sim_state_is(in->state, "CLOSED") ||
	    sim_state_is(in->state, "SYN-SENT"))
		return x->w->failed;
	sim_check_seq(x, in);
	return x->w->failed;
}

static size_t sim_check_side(struct sim_world *w, struct sim_side *sd)
{
	struct sim_inv_ctx x = { .w = w, .sd = sd };

	stack_tcp_foreach(sd->stack, sim_check_conn, &x);
	return x.conns;
}

void sim_check_invariants(struct sim_world *w)
{
	for (int i = 0; i < SIM_SIDES && !w->failed; i++)
		sim_check_side(w, &w->side[i]);
}

static int sim_count_conn(void *ctx, stack_sock sock, const struct stack_tcp_info *in)
{
	(*(size_t *)ctx)++;
	return 0;
}

size_t sim_check_conns(const struct sim_side *sd)
{
	size_t n = 0;

	stack_tcp_foreach(sd->stack, sim_count_conn, &n);
	return n;
}

static int sim_path_find(const struct sim_path *p, const char *name)
{
	for (unsigned i = 0; i < p->n; i++)
		if (sim_state_is(p->st[i], name))
			return (int)i;
	return -1;
}

static void sim_path_str(const struct sim_path *p, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < p->n && off + 1 < len; i++) {
		int n = snprintf(buf + off, len - off, "%s%s", i ? " " : "",
				 stack_tcp_state_name(p->st[i]));

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* The active closer ends through TIME-WAIT held for 2*MSL, the passive one through LAST-ACK. */
static void sim_check_path(struct sim_world *w, struct sim_side *sd, bool *ret_active)
{
	const struct sim_path *p = &sd->path;
	char c = sim_side_name(sd), str[400];
	int est, fw1, tw, cw, la;

	sim_path_str(p, str, sizeof(str));
	if (p->overflow || p->n < 2) {
		sim_fail(w, "%c: odd state path: %s", c, str);
		return;
	}
	est = sim_path_find(p, "ESTABLISHED");
	fw1 = sim_path_find(p, "FIN-WAIT-1");
	tw = sim_path_find(p, "TIME-WAIT");
	cw = sim_path_find(p, "CLOSE-WAIT");
	la = sim_path_find(p, "LAST-ACK");
	*ret_active = fw1 >= 0;
	if (est < 0 || !sim_state_is(p->st[p->n - 1], "CLOSED"))
		sim_fail(w, "%c: state path does not go ESTABLISHED ... CLOSED: %s", c, str);
	else if (fw1 >= 0 && cw >= 0)
		sim_fail(w, "%c: both FIN-WAIT-1 and CLOSE-WAIT: %s", c, str);
	else if (fw1 >= 0 && tw != (int)p->n - 2)
		sim_fail(w, "%c: closed first but did not end through TIME-WAIT: %s", c, str);
	else if (fw1 < 0 && (cw < 0 || la != (int)p->n - 2))
		sim_fail(w, "%c: closed second but did not end CLOSE-WAIT ... LAST-ACK: %s", c,
			 str);
	else if (tw >= 0 && p->at[tw + 1] - p->at[tw] < 2 * w->sc.msl_us)
		sim_fail(w, "%c: TIME-WAIT lasted %" PRIu64 " us, 2*MSL is %" PRIu64 " us", c,
			 p->at[tw + 1] - p->at[tw], 2 * w->sc.msl_us);
}

static void sim_check_order(struct sim_world *w, const bool active[SIM_SIDES])
{
	switch (w->sc.order) {
	case SIM_CLOSE_A_FIRST:
		if (!active[SIM_A] || active[SIM_B])
			sim_fail(w, "A closed first, yet A %s and B %s through TIME-WAIT",
				 active[SIM_A] ? "went" : "did not go",
				 active[SIM_B] ? "went" : "did not go");
		break;
	case SIM_CLOSE_B_FIRST:
		if (active[SIM_A] || !active[SIM_B])
			sim_fail(w, "B closed first, yet A %s and B %s through TIME-WAIT",
				 active[SIM_A] ? "went" : "did not go",
				 active[SIM_B] ? "went" : "did not go");
		break;
	case SIM_CLOSE_SIMUL:
		if (!active[SIM_A] || !active[SIM_B])
			sim_fail(w, "simultaneous close, yet not both went through TIME-WAIT");
		break;
	case SIM_CLOSE_ANY:
	case SIM_CLOSE_ORDER_COUNT:
		if (!active[SIM_A] && !active[SIM_B])
			sim_fail(w, "neither side went through TIME-WAIT");
		break;
	}
}

static void sim_check_app(struct sim_world *w, struct sim_side *sd)
{
	const struct sim_app *a = &sd->app;
	const struct stack_counters *ctr = stack_counters_get(sd->stack);
	char c = sim_side_name(sd);

	if (a->tx_done != w->sc.bytes[sd->idx] || a->rx_done != w->sc.bytes[1 - sd->idx])
		sim_fail(w, "%c: wrote %" PRIu64 "/%" PRIu64 ", read %" PRIu64 "/%" PRIu64, c,
			 a->tx_done, w->sc.bytes[sd->idx], a->rx_done, w->sc.bytes[1 - sd->idx]);
	else if (w->sc.mode[sd->idx] == SIM_MODE_SHUTDOWN && !a->eof)
		sim_fail(w, "%c: shut down but never read EOF", c);
	else if (sd->idx == SIM_B && a->ev_established != 1)
		sim_fail(w, "B: %u ESTABLISHED events", a->ev_established);
	else if (sd->idx == SIM_A && a->ev_acceptable < 1)
		sim_fail(w, "A: no ACCEPTABLE event");
	else if (ctr->v[STACK_CTR_TcpEstabResets] || ctr->v[STACK_CTR_TcpCurrEstab])
		sim_fail(w, "%c: TcpEstabResets %" PRIu64 ", TcpCurrEstab %" PRIu64 " at the end",
			 c, ctr->v[STACK_CTR_TcpEstabResets], ctr->v[STACK_CTR_TcpCurrEstab]);
}

void sim_check_outcome(struct sim_world *w)
{
	bool active[SIM_SIDES] = { false, false };

	for (int i = 0; i < SIM_SIDES && !w->failed; i++)
		sim_check_app(w, &w->side[i]);
	for (int i = 0; i < SIM_SIDES && !w->failed; i++)
		sim_check_path(w, &w->side[i], &active[i]);
	if (!w->failed)
		sim_check_order(w, active);
}

/*
 * Every corrupted frame the link delivered to sd must have been dropped by a
 * checksum (or another header check) and counted: a frame that got through
 * would have to carry a broken checksum the core accepted. Run once the link
 * is empty.
 */
void sim_check_corrupt_dropped(struct sim_world *w, struct sim_side *sd, const struct sim_link *in)
{
	const uint64_t *v = stack_counters_get(sd->stack)->v;
	uint64_t dropped = v[STACK_CTR_IpInHdrErrors] + v[STACK_CTR_IpExtInTruncatedPkts] +
			   v[STACK_CTR_IpInAddrErrors] + v[STACK_CTR_IpInUnknownProtos] +
			   v[STACK_CTR_TcpInCsumErrors] + v[STACK_CTR_IcmpInCsumErrors];

	if (dropped < in->stats.corrupted)
		sim_fail(w,
			 "%c: %" PRIu64 " corrupted frames delivered, only %" PRIu64
			 " dropped as bad (IP header/address/length, TCP/ICMP checksum)",
			 sim_side_name(sd), in->stats.corrupted, dropped);
}
