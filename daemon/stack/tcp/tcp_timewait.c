/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_timewait.c - compact TIME-WAIT records (see tcp_timewait.h):
 * RFC 9293 §3.4.2 (2 x MSL), §3.10.7.4 in TIME-WAIT (a retransmitted FIN is
 * re-ACKed and restarts the timer; other segments are checked as in any
 * synchronized state: PAWS per RFC 7323 §5, the sequence test, RST with
 * RFC 5961 §3 and RFC 1337, SYN with RFC 5961 §4, ACK with RFC 5961 §5),
 * and RFC 6191 (a SYN with a newer sequence number or timestamp reopens the
 * pair when a listener is there to take it). TS.Recent moves as RFC 7323
 * §4.3 says, only for a segment whose ACK is acceptable; challenge ACKs are
 * spaced as a connection's (RFC 5961 §7).
 *
 * The table: records in chunks from the core's allocator, a free list
 * through hnext, a chained hash keyed with a key derived from the stack's
 * secret, and TCP_TW_QUEUES FIFOs ordered by expiry.
 */
#include <errno.h>
#include <string.h>

#include "../siphash.h"
#include "../stack_info.h"
#include "../wire.h"
#include "tcp_conn.h"
#include "tcp_timewait.h"

#define TCP_TW_FIRST_BUCKETS 64u

static struct tcp_tw *tw_at(const struct tcp_tw_table *t, uint32_t i)
{
	return &t->chunks[i / TCP_TW_CHUNK][i % TCP_TW_CHUNK];
}

static bool tw_live(const struct tcp_tw *tw)
{
	return tw->queue != TCP_TW_FREE_QUEUE;
}

void tcp_tw_init(struct stack *s)
{
	struct tcp_tw_table *t = &s->tcp.tw;
	static const char label[8] = "timewait";
	uint64_t k0 = siphash24(s->env.secret, label, sizeof(label));
	uint64_t k1 = siphash24(s->env.secret, &k0, sizeof(k0));

	memset(t, 0, sizeof(*t));
	/* a key of its own, so this hash says nothing about the connection table's */
	memcpy(t->key, &k0, 8);
	memcpy(t->key + 8, &k1, 8);
	t->max = s->cfg.max_time_wait ? s->cfg.max_time_wait : STACK_DEFAULT_MAX_TIME_WAIT;
	t->nchunks_max = (t->max + TCP_TW_CHUNK - 1) / TCP_TW_CHUNK;
	t->free_head = TCP_TW_NONE;
	for (uint32_t q = 0; q < TCP_TW_QUEUES; q++)
		t->q[q].head = t->q[q].tail = TCP_TW_NONE;
}

void tcp_tw_deinit(struct stack *s)
{
	struct tcp_tw_table *t = &s->tcp.tw;

	for (uint32_t i = 0; i < t->nchunks; i++)
		stack_free(s, t->chunks[i], TCP_TW_CHUNK * sizeof(struct tcp_tw));
	if (t->chunks)
		stack_free(s, t->chunks, (size_t)t->nchunks_max * sizeof(*t->chunks));
	if (t->buckets)
		stack_free(s, t->buckets, (size_t)t->nbuckets * sizeof(*t->buckets));
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------ the hash */

static uint32_t tw_hash(const struct tcp_tw_table *t, const struct tcp_tuple *k)
{
	uint8_t b[12];

	wire_put32(b, k->laddr);
	wire_put32(b + 4, k->raddr);
	wire_put16(b + 8, k->lport);
	wire_put16(b + 10, k->rport);
	return (uint32_t)siphash24(t->key, b, sizeof(b));
}

static bool tw_tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr && a->lport == b->lport &&
	       a->rport == b->rport;
}

/* Double the buckets (at most to the first power of two >= max). */
static int tw_buckets_grow(struct stack *s, struct tcp_tw_table *t)
{
	uint32_t n = t->nbuckets ? t->nbuckets * 2 : TCP_TW_FIRST_BUCKETS;
	uint32_t *b = stack_alloc(s, (size_t)n * sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		b[i] = TCP_TW_NONE;
	for (uint32_t i = 0; i < t->nbuckets; i++) {
		uint32_t next;

		for (uint32_t r = t->buckets[i]; r != TCP_TW_NONE; r = next) {
			struct tcp_tw *tw = tw_at(t, r);
			uint32_t h = tw_hash(t, &tw->tuple) & (n - 1);

			next = tw->hnext;
			tw->hnext = b[h];
			b[h] = r;
		}
	}
	if (t->buckets) {
		stack_free(s, t->buckets, (size_t)t->nbuckets * sizeof(*t->buckets));
		t->bytes -= (size_t)t->nbuckets * sizeof(*t->buckets);
	}
	t->buckets = b;
	t->nbuckets = n;
	t->bytes += (size_t)n * sizeof(*b);
	return 0;
}

static int tw_hash_insert(struct stack *s, struct tcp_tw_table *t, struct tcp_tw *tw)
{
	uint32_t h;

	/* keep chains short: grow when the records (tw counted) outnumber the buckets */
	if (t->count > t->nbuckets && t->nbuckets < t->max && tw_buckets_grow(s, t) < 0 &&
	    !t->buckets)
		return -ENOMEM;
	h = tw_hash(t, &tw->tuple) & (t->nbuckets - 1);
	tw->hnext = t->buckets[h];
	t->buckets[h] = tw->self;
	return 0;
}

static void tw_hash_remove(struct tcp_tw_table *t, struct tcp_tw *tw)
{
	uint32_t *p = &t->buckets[tw_hash(t, &tw->tuple) & (t->nbuckets - 1)];

	while (*p != TCP_TW_NONE) {
		if (*p == tw->self) {
			*p = tw->hnext;
			break;
		}
		p = &tw_at(t, *p)->hnext;
	}
	tw->hnext = TCP_TW_NONE;
}

struct tcp_tw *tcp_tw_lookup(const struct stack *s, const struct tcp_tuple *k)
{
	const struct tcp_tw_table *t = &s->tcp.tw;

	if (!t->count)
		return NULL;
	for (uint32_t r = t->buckets[tw_hash(t, k) & (t->nbuckets - 1)]; r != TCP_TW_NONE;) {
		struct tcp_tw *tw = tw_at(t, r);

		if (tw_tuple_eq(&tw->tuple, k))
			return tw;
		r = tw->hnext;
	}
	return NULL;
}

/* ------------------------------------------------------ the expiry FIFOs */

static void tw_queue_remove(struct tcp_tw_table *t, struct tcp_tw *tw)
{
	struct tcp_tw_fifo *q = &t->q[tw->queue];

	if (tw->qprev == TCP_TW_NONE)
		q->head = tw->qnext;
	else
		tw_at(t, tw->qprev)->qnext = tw->qnext;
	if (tw->qnext == TCP_TW_NONE)
		q->tail = tw->qprev;
	else
		tw_at(t, tw->qnext)->qprev = tw->qprev;
	tw->qprev = tw->qnext = TCP_TW_NONE;
}

/*
 * Append tw with deadline `expires` to a FIFO whose last deadline is not
 * later (the tightest such), else an empty one, else the FIFO that ends
 * soonest, waiting until its end (see tcp_timewait.h).
 */
static void tw_queue_add(struct tcp_tw_table *t, struct tcp_tw *tw, stack_time_us expires)
{
	uint32_t best = TCP_TW_NONE, empty = TCP_TW_NONE, soonest = TCP_TW_NONE;
	stack_time_us best_end = 0, soonest_end = STACK_TIME_NEVER;
	struct tcp_tw_fifo *q;

	for (uint32_t i = 0; i < TCP_TW_QUEUES; i++) {
		stack_time_us end;

		if (t->q[i].tail == TCP_TW_NONE) {
			if (empty == TCP_TW_NONE)
				empty = i;
			continue;
		}
		end = tw_at(t, t->q[i].tail)->expires;
		if (end <= expires && (best == TCP_TW_NONE || end > best_end)) {
			best = i;
			best_end = end;
		}
		if (end < soonest_end) {
			soonest = i;
			soonest_end = end;
		}
	}
	if (best == TCP_TW_NONE)
		best = empty;
	if (best == TCP_TW_NONE) {
		best = soonest;
		expires = soonest_end;
	}
	q = &t->q[best];
	tw->expires = expires;
	tw->queue = (uint8_t)best;
	tw->qnext = TCP_TW_NONE;
	tw->qprev = q->tail;
	if (q->tail == TCP_TW_NONE)
		q->head = tw->self;
	else
		tw_at(t, q->tail)->qnext = tw->self;
	q->tail = tw->self;
}

/* The record that expires first: the earliest FIFO head. */
static struct tcp_tw *tw_oldest(const struct tcp_tw_table *t)
{
	struct tcp_tw *first = NULL;

	for (uint32_t i = 0; i < TCP_TW_QUEUES; i++) {
		struct tcp_tw *tw;

		if (t->q[i].head == TCP_TW_NONE)
			continue;
		tw = tw_at(t, t->q[i].head);
		if (!first || tw->expires < first->expires)
			first = tw;
	}
	return first;
}

stack_time_us tcp_tw_poll_at(const struct stack *s)
{
	const struct tcp_tw *tw = tw_oldest(&s->tcp.tw);

	return tw ? tw->expires : STACK_TIME_NEVER;
}

/* ------------------------------------------------------ records' lives */

stack_sock tcp_tw_sock(const struct stack *s, const struct tcp_tw *tw)
{
	return ((uint64_t)tw->gen << 32) | (TCP_TW_SOCK_FLAG | (tw->self + 1));
}

const struct tcp_tw *tcp_tw_from_sock(const struct stack *s, stack_sock sock)
{
	const struct tcp_tw_table *t = &s->tcp.tw;
	uint32_t slot = (uint32_t)sock;
	const struct tcp_tw *tw;

	if (!(slot & TCP_TW_SOCK_FLAG))
		return NULL;
	slot &= ~TCP_TW_SOCK_FLAG;
	if (slot == 0 || slot > t->nchunks * TCP_TW_CHUNK)
		return NULL;
	tw = tw_at(t, slot - 1);
	if (!tw_live(tw) || tw->gen != (uint32_t)(sock >> 32))
		return NULL;
	return tw;
}

/* A free record, taking a new chunk when the free list is empty; NULL at the chunk limit. */
static struct tcp_tw *tw_alloc(struct stack *s)
{
	struct tcp_tw_table *t = &s->tcp.tw;
	struct tcp_tw *tw, *chunk;

	if (t->free_head == TCP_TW_NONE) {
		if (t->nchunks == t->nchunks_max)
			return NULL;
		if (!t->chunks) {
			t->chunks = stack_zalloc(s, (size_t)t->nchunks_max * sizeof(*t->chunks));
			if (!t->chunks)
				return NULL;
			t->bytes += (size_t)t->nchunks_max * sizeof(*t->chunks);
		}
		chunk = stack_zalloc(s, TCP_TW_CHUNK * sizeof(*chunk));
		if (!chunk)
			return NULL;
		t->bytes += TCP_TW_CHUNK * sizeof(*chunk);
		t->chunks[t->nchunks] = chunk;
		for (uint32_t i = TCP_TW_CHUNK; i-- > 0;) {
			chunk[i].self = t->nchunks * TCP_TW_CHUNK + i;
			chunk[i].queue = TCP_TW_FREE_QUEUE;
			chunk[i].hnext = t->free_head;
			t->free_head = chunk[i].self;
		}
		t->nchunks++;
	}
	tw = tw_at(t, t->free_head);
	t->free_head = tw->hnext;
	tw->hnext = TCP_TW_NONE;
	/* one sequence for the table: chunks come and go, handles must stay unique */
	if (++t->gen_seq == 0)
		t->gen_seq = 1;
	tw->gen = t->gen_seq;
	t->count++;
	STACK_INC(s, SynackTcpTimeWait);
	return tw;
}

/* Give every chunk and the buckets back: the last record has gone (a burst's memory returns). */
static void tw_shrink(struct stack *s, struct tcp_tw_table *t)
{
	for (uint32_t i = 0; i < t->nchunks; i++)
		stack_free(s, t->chunks[i], TCP_TW_CHUNK * sizeof(struct tcp_tw));
	if (t->buckets)
		stack_free(s, t->buckets, (size_t)t->nbuckets * sizeof(*t->buckets));
	t->bytes -= (size_t)t->nchunks * TCP_TW_CHUNK * sizeof(struct tcp_tw) +
		    (size_t)t->nbuckets * sizeof(*t->buckets);
	t->nchunks = 0;
	t->buckets = NULL;
	t->nbuckets = 0;
	t->free_head = TCP_TW_NONE;
}

static void tw_release(struct stack *s, struct tcp_tw_table *t, struct tcp_tw *tw)
{
	STACK_DEC(s, SynackTcpTimeWait);
	tw->queue = TCP_TW_FREE_QUEUE;
	tw->hnext = t->free_head;
	t->free_head = tw->self;
	if (--t->count == 0)
		tw_shrink(s, t);
}

/* The record's state change into CLOSED: its history and the trace hook. */
static void tw_trace_closed(struct stack *s, stack_time_us now, struct tcp_tw *tw,
			    enum tcp_cause cause, const struct tcp_seg *seg)
{
	tw->hist_at = now;
	tw->hist_from = TCP_TIME_WAIT;
	tw->hist_to = TCP_CLOSED;
	tw->hist_cause = (uint8_t)cause;
	tw->hist_flags = seg ? seg->flags : 0;
	tw->hist_seq = seg ? seg->seq : 0;
	tw->hist_ack = seg ? seg->ack : 0;
	tcp_conn_trace_state(s, now, tcp_tw_sock(s, tw), &tw->tuple, TCP_TIME_WAIT, TCP_CLOSED,
			     cause);
}

/* TIME-WAIT ends (2 MSL, RST, reuse, kill, overflow): the tuple is free again. */
static void tw_end(struct stack *s, stack_time_us now, struct tcp_tw *tw, enum tcp_cause cause,
		   const struct tcp_seg *seg)
{
	struct tcp_tw_table *t = &s->tcp.tw;

	tw_trace_closed(s, now, tw, cause, seg);
	tw_hash_remove(t, tw);
	tw_queue_remove(t, tw);
	tw_release(s, t, tw);
}

bool tcp_tw_reusable(const struct stack *s, stack_time_us now, const struct tcp_tw *tw)
{
	return s->cfg.tun.tw_reuse && s->cfg.tun.timestamps && tw->ts_ok &&
	       now >= tw->ts_recent_at + TCP_TW_REUSE_AFTER_US;
}

void tcp_tw_reuse(struct stack *s, stack_time_us now, struct tcp_tw *tw)
{
	STACK_INC(s, TcpExtTWRecycled);
	tw_end(s, now, tw, TCP_CAUSE_TIME_WAIT_REUSE, NULL);
}

/* A record for a new TIME-WAIT, recycling the one closest to its end when at the bound. */
static struct tcp_tw *tw_new(struct stack *s, stack_time_us now)
{
	struct tcp_tw_table *t = &s->tcp.tw;
	struct tcp_tw *tw = t->count < t->max ? tw_alloc(s) : NULL;
	struct tcp_tw *old;

	if (tw)
		return tw;
	old = tw_oldest(t);
	if (!old)
		return NULL;
	STACK_INC(s, TcpExtTCPTimeWaitOverflow);
	tw_end(s, now, old, TCP_CAUSE_TIME_WAIT_OVERFLOW, NULL);
	return tw_alloc(s); /* the record just freed */
}

void tcp_tw_take_over(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	struct tcp_tw_table *t = &s->tcp.tw;
	const struct tcp_history_entry *h = &c->hist[(c->hist_n - 1) % TCP_HISTORY_LEN];
	stack_time_us expires = c->timer[TCP_TIMER_TIME_WAIT];
	struct tcp_tw *tw;

	if (c->ack_now)
		tcp_output_ack(s, now, c); /* the ACK of their FIN, from the connection itself */
	tw = tw_new(s, now);
	if (!tw) {
		/* no memory for a record and none to recycle: end without TIME-WAIT */
		STACK_INC(s, TcpExtTCPTimeWaitOverflow);
		tcp_conn_destroy(s, now, c, TCP_CAUSE_TIME_WAIT_OVERFLOW, NULL);
		return;
	}
	tw->id = c->id;
	tw->tuple = c->tuple;
	tw->snd_nxt = c->snd_max;
	tw->rcv_nxt = c->rcv_nxt;
	tw->rcv_wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	tw->rcv_wscale = c->rcv_wscale;
	tw->rcvbuf = c->rcvbuf_size;
	tw->max_snd_wnd = c->max_snd_wnd;
	tw->ts_ok = c->ts_ok;
	tw->ts_recent = c->ts_recent;
	tw->ts_recent_at = c->ts_recent_at;
	tw->ts_offset = c->ts_offset;
	/* the time of the connection's last challenge ACK: the spacing goes on */
	tw->chack_last = c->chack_window;
	tw->chack_sent = c->chack_count != 0;
	tw->hist_at = h->at;
	tw->hist_from = h->from;
	tw->hist_to = h->to;
	tw->hist_cause = h->cause;
	tw->hist_flags = h->seg_flags;
	tw->hist_seq = h->seg_seq;
	tw->hist_ack = h->seg_ack;
	if (c->parent != TCP_SLOT_NONE)
		tcp_listen_child_gone(s, c);
	/* the slot goes (after its pending events are popped); the tuple moves here */
	tcp_conn_free(s, c);
	if (tw_hash_insert(s, t, tw) < 0) {
		STACK_INC(s, TcpExtTCPTimeWaitOverflow);
		tw_trace_closed(s, now, tw, TCP_CAUSE_TIME_WAIT_OVERFLOW, NULL);
		tw_release(s, t, tw);
		return;
	}
	tw_queue_add(t, tw, expires == STACK_TIME_NEVER ? now + 2 * s->cfg.tun.msl : expires);
}

void tcp_tw_poll(struct stack *s, stack_time_us now)
{
	struct tcp_tw *tw;

	while ((tw = tw_oldest(&s->tcp.tw)) && tw->expires <= now) {
		STACK_INC(s, TcpExtTW);
		tw_end(s, now, tw, TCP_CAUSE_TIMER_TIME_WAIT, NULL);
	}
}

int tcp_tw_kill(struct stack *s, stack_time_us now, stack_sock sock)
{
	struct tcp_tw *tw = (struct tcp_tw *)tcp_tw_from_sock(s, sock);

	if (!tw)
		return -EBADF;
	/* RFC 9293 §3.10.5: ABORT in TIME-WAIT sends nothing */
	tw_end(s, now, tw, TCP_CAUSE_USER_ABORT, NULL);
	return 0;
}

/* --------------------------------------------------- segments in TIME-WAIT */

static void tw_trace_in(struct stack *s, stack_time_us now, const struct tcp_tw *tw,
			const struct ip4_rx *ip, const struct tcp_seg *seg)
{
	if (s->env.trace)
		tcp_output_trace_in(s, now, tcp_tw_sock(s, tw), ip, seg);
}

/* <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> with the window and timestamps the connection had. */
static void tw_send_ack(struct stack *s, stack_time_us now, struct tcp_tw *tw)
{
	uint32_t max = (uint32_t)65535 << tw->rcv_wscale;
	struct tcp_seg seg;

	memset(&seg, 0, sizeof(seg));
	seg.sport = tw->tuple.lport;
	seg.dport = tw->tuple.rport;
	seg.seq = tw->snd_nxt;
	seg.ack = tw->rcv_nxt;
	seg.flags = TCP_FLAG_ACK;
	seg.wnd = (uint16_t)(stack_min(tw->rcv_wnd, max) >> tw->rcv_wscale);
	seg.opt.wscale = -1;
	if (tw->ts_ok) {
		/* RFC 7323 §5.4: the connection's 1 ms clock and offset */
		seg.opt.has_ts = true;
		seg.opt.tsval = (uint32_t)(now / 1000) + tw->ts_offset;
		seg.opt.tsecr = tw->ts_recent;
	}
	tcp_output_bare(s, now, tcp_tw_sock(s, tw), tw->tuple.laddr, tw->tuple.raddr, &seg);
}

/* RFC 5961 §7: spaced 1/challenge_ack_limit s apart, as a connection's (tcp_input.c). */
static void tw_challenge_ack(struct stack *s, stack_time_us now, struct tcp_tw *tw)
{
	if (!tcp_input_challenge_ack_due(s, now, tw->chack_last, tw->chack_sent))
		return;
	tw->chack_last = now;
	tw->chack_sent = true;
	tw_send_ack(s, now, tw);
}

/* "Remain in TIME-WAIT; restart the 2 MSL time-wait timeout", with the MSL of now. */
static void tw_restart(struct stack *s, stack_time_us now, struct tcp_tw *tw)
{
	tw_queue_remove(&s->tcp.tw, tw);
	tw_queue_add(&s->tcp.tw, tw, now + 2 * s->cfg.tun.msl);
}

/* RFC 6191 (and RFC 9293 §3.10.7.4 fourth): may this SYN reopen the pair? */
static bool tw_reopens(const struct tcp_tw *tw, const struct tcp_seg *seg)
{
	if ((seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) != TCP_FLAG_SYN)
		return false;
	if (tw->ts_ok && seg->opt.has_ts)
		return seq_gt(seg->opt.tsval, tw->ts_recent);
	return seq_gt(seg->seq, tw->rcv_nxt);
}

/* RFC 7323 §5.3: PAWS against TS.Recent (unless it is older than 24 days, §5.5). */
static bool tw_paws_reject(struct stack *s, stack_time_us now, const struct tcp_tw *tw,
			   const struct tcp_seg *seg)
{
	if (!tw->ts_ok || !seg->opt.has_ts || (seg->flags & TCP_FLAG_RST))
		return false;
	if (!seq_lt(seg->opt.tsval, tw->ts_recent))
		return false;
	if (now - tw->ts_recent_at > 24ull * 24 * 3600 * 1000000)
		return false;
	STACK_INC(s, TcpExtPAWSEstab);
	return true;
}

/* RFC 9293 §3.10.7.4 first, the RFC's table exactly (tcp_seq.h), as for a connection. */
static bool tw_seq_acceptable(const struct tcp_tw *tw, const struct tcp_seg *seg, uint32_t seg_len)
{
	return seq_acceptable(tw->rcv_nxt, tw->rcv_wnd, seg->seq, seg_len);
}

/*
 * RFC 7323 §4.3, as tcp_input_ts_recent: called once the ACK field is found
 * acceptable. Moved for a blind RST (ignored by RFC 1337) or a segment with
 * no or a bad ACK, TS.Recent would make the real peer's new SYN look old
 * (RFC 6191) and PAWS drop its segments for the rest of 2 x MSL.
 */
static void tw_ts_recent(stack_time_us now, struct tcp_tw *tw, const struct tcp_seg *seg)
{
	if (tw->ts_ok && seg->opt.has_ts && seq_le(seg->seq, tw->rcv_nxt) &&
	    seq_ge(seg->opt.tsval, tw->ts_recent)) {
		tw->ts_recent = seg->opt.tsval;
		tw->ts_recent_at = now;
	}
}

/* RFC 9293 §3.10.7.4 for a segment reaching a TIME-WAIT record; tw may be gone on return. */
static void tw_segment(struct stack *s, stack_time_us now, struct tcp_tw *tw,
		       const struct tcp_seg *seg)
{
	uint32_t seg_len = tcp_seg_len(seg);
	uint8_t flags = seg->flags;
	bool paws;

	/* a retransmitted FIN (it ends just at RCV.NXT): re-ACK it, restart 2 MSL */
	if ((flags & TCP_FLAG_FIN) && !(flags & TCP_FLAG_RST) &&
	    seg->seq + seg_len == tw->rcv_nxt) {
		tw_send_ack(s, now, tw);
		tw_restart(s, now, tw);
		return;
	}
	/* first: sequence number (PAWS first) */
	paws = tw_paws_reject(s, now, tw, seg);
	if (paws || !tw_seq_acceptable(tw, seg, seg_len)) {
		if (!paws && tw->rcv_wnd == 0 && seg->seq == tw->rcv_nxt) {
			/* a zero window still takes ACKs and RSTs; the rest is dropped */
			if (seg->len || (flags & (TCP_FLAG_FIN | TCP_FLAG_SYN))) {
				STACK_INC(s, TcpExtTCPZeroWindowDrop);
				tw_send_ack(s, now, tw);
			}
			flags &= (uint8_t) ~(TCP_FLAG_FIN | TCP_FLAG_SYN);
		} else {
			if (!(flags & TCP_FLAG_RST))
				tw_send_ack(s, now, tw);
			return;
		}
	}
	/* second: RST (RFC 5961 §3.2; RFC 1337 keeps TIME-WAIT unless turned off) */
	if (flags & TCP_FLAG_RST) {
		if (seg->seq != tw->rcv_nxt) {
			tw_challenge_ack(s, now, tw);
		} else if (!s->cfg.tun.rfc1337) {
			STACK_INC(s, TcpExtTWKilled);
			tw_end(s, now, tw, TCP_CAUSE_SEG_RST, seg);
		}
		return;
	}
	/* fourth: a SYN that does not reopen the pair (RFC 5961 §4) */
	if (flags & TCP_FLAG_SYN) {
		STACK_INC(s, TcpExtTCPSYNChallenge);
		tw_challenge_ack(s, now, tw);
		return;
	}
	/* fifth: ACK, within RFC 5961 §5.2's bounds */
	if (!(flags & TCP_FLAG_ACK))
		return;
	if (seq_gt(seg->ack, tw->snd_nxt) || seq_lt(seg->ack, tw->snd_nxt - tw->max_snd_wnd)) {
		tw_challenge_ack(s, now, tw);
		return;
	}
	tw_ts_recent(now, tw, seg);
	/* seventh: text cannot occur after the peer's FIN; eighth: FIN */
	if (flags & TCP_FLAG_FIN) {
		tw_send_ack(s, now, tw);
		tw_restart(s, now, tw);
	}
}

bool tcp_tw_input(struct stack *s, stack_time_us now, const struct tcp_tuple *t,
		  const struct ip4_rx *ip, const struct tcp_seg *seg)
{
	struct tcp_tw *tw = tcp_tw_lookup(s, t);

	if (!tw)
		return false;
	/* RFC 6191 reopens the pair for a listener to take the SYN. With none,
	 * the SYN is one in TIME-WAIT like any other (RFC 5961 §4): ending the
	 * record for it would let blind SYNs cut TIME-WAIT short (RFC 1337). */
	if (tw_reopens(tw, seg) && tcp_input_listening(s, t)) {
		STACK_INC(s, TcpExtTWRecycled);
		tw_end(s, now, tw, TCP_CAUSE_TIME_WAIT_REUSE, seg);
		return false;
	}
	tw_trace_in(s, now, tw, ip, seg);
	tw_segment(s, now, tw, seg);
	return true;
}

/* ------------------------------------------------------------ observers */

void tcp_tw_info(const struct stack *s, const struct tcp_tw *tw, struct stack_tcp_info *in)
{
	stack_time_us now = s->tcp.now;
	struct stack_tcp_timer_info *ti = &in->timers[STACK_TCP_TIMER_TIMEWAIT];

	memset(in, 0, sizeof(*in));
	in->id = tw->id;
	in->state = TCP_TIME_WAIT;
	in->state_name = tcp_state_name(TCP_TIME_WAIT);
	in->orphan = true;
	in->local.addr = tw->tuple.laddr;
	in->local.port = tw->tuple.lport;
	in->remote.addr = tw->tuple.raddr;
	in->remote.port = tw->tuple.rport;
	in->snd_una = in->snd_nxt = in->snd_cursor = tw->snd_nxt;
	in->rcv_nxt = tw->rcv_nxt;
	in->rcv_adv = tw->rcv_nxt + tw->rcv_wnd;
	in->rcv_wnd = tw->rcv_wnd;
	in->max_snd_wnd = tw->max_snd_wnd;
	in->rcv_wscale = tw->rcv_wscale;
	in->rcvbuf = tw->rcvbuf; /* freed; what the advertised window stood for */
	in->ts_ok = tw->ts_ok;
	ti->armed = true;
	ti->at = tw->expires;
	ti->remaining_us = tw->expires > now ? tw->expires - now : 0;
	in->timer_name = "timewait";
	in->timer_remaining_us = ti->remaining_us;
}

int tcp_tw_history(const struct stack *s, const struct tcp_tw *tw,
		   struct stack_tcp_history_entry *ret, size_t max)
{
	if (max == 0)
		return 0;
	memset(ret, 0, sizeof(*ret));
	ret->at = tw->hist_at;
	ret->from = tw->hist_from;
	ret->to = tw->hist_to;
	ret->from_name = tcp_state_name((enum tcp_conn_state)tw->hist_from);
	ret->to_name = tcp_state_name((enum tcp_conn_state)tw->hist_to);
	ret->cause = tcp_cause_name((enum tcp_cause)tw->hist_cause);
	ret->seg_flags = tw->hist_flags;
	ret->seg_seq = tw->hist_seq;
	ret->seg_ack = tw->hist_ack;
	return 1;
}

int tcp_tw_foreach(const struct stack *s,
		   int (*cb)(void *ctx, stack_sock sock, const struct stack_tcp_info *info),
		   void *ctx)
{
	const struct tcp_tw_table *t = &s->tcp.tw;
	struct stack_tcp_info in;

	for (uint32_t i = 0; i < t->nchunks * TCP_TW_CHUNK; i++) {
		const struct tcp_tw *tw = tw_at(t, i);
		int r;

		if (!tw_live(tw))
			continue;
		tcp_tw_info(s, tw, &in);
		r = cb(ctx, tcp_tw_sock(s, tw), &in);
		if (r)
			return r;
	}
	return 0;
}
