/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_mem.c - socket buffer memory: rings allocated on first use and
 * grown on demand (doubling, up to SNDBUF/RCVBUF), released when drained and
 * idle, and one stack-wide budget (stack_config.memory) with a cap per
 * account (stack_config.memory_per_uid).
 *
 * The charge of a connection is the capacity of its send ring plus, for the
 * receive side, the larger of its ring's capacity and its promise: the bytes
 * it holds plus the window advertised beyond RCV.NXT. A window is advertised
 * only when the budget can cover it, so in-window data always finds memory
 * (RFC 9293 §3.8.6 forbids taking back the right edge; we never need to).
 * A half-open passive child, which can keep no data, is charged only when
 * the ACK completing its handshake reserves its window (else it is dropped).
 *
 * Under pressure (use above 7/8 of the budget, until it falls below 3/4, as
 * Linux's tcp_mem) a connection's window is held to a few segments and send
 * rings stop growing past their first size; at the limit, send() takes less
 * and windows stop opening. Nothing accepted is ever dropped: a ring is
 * moved, never reset, and a failed allocation only means taking less. When
 * memory comes back, connections that were held back get a WRITABLE event
 * and a window update on the next poll.
 */
#include <errno.h>

#include "tcp_conn.h"

#define TCP_MEM_DEFAULT (1ull << 30)

static uint32_t tcp_mem_outstanding(const struct tcp_conn *c)
{
	return seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
}

static uint64_t tcp_mem_promise(const struct tcp_conn *c)
{
	if (c->state == TCP_TIME_WAIT || c->state == TCP_CLOSED || c->state == TCP_LISTEN)
		return c->rcv.len; /* no window is open any more */
	return (uint64_t)c->rcv.len + tcp_mem_outstanding(c);
}

/* The limits from the configuration (at start and on reload). */
static void tcp_mem_limits(struct stack *s)
{
	struct tcp_mem *m = &s->tcp.mem;

	m->limit = s->cfg.memory ? s->cfg.memory : TCP_MEM_DEFAULT;
	m->per_account = s->cfg.memory_per_uid ? s->cfg.memory_per_uid : m->limit;
}

void tcp_mem_init(struct stack *s)
{
	s->tcp.mem.wait_head = s->tcp.mem.wait_tail = TCP_SLOT_NONE;
	tcp_mem_limits(s);
}

/*
 * Receive windows may fill the budget only to 7/8 (of the stack's and of the
 * account's): the last eighth is for send rings. Without it two ends whose
 * windows have promised all the memory wait for each other's data forever,
 * neither able to queue any.
 */
uint64_t tcp_mem_room(const struct stack *s, const struct tcp_conn *c, bool rcv)
{
	const struct tcp_mem *m = &s->tcp.mem;
	const struct tcp_mem_account *a = &m->acct[c->mem_acct];
	uint64_t glim = rcv ? m->limit - m->limit / 8 : m->limit;
	uint64_t alim = rcv ? m->per_account - m->per_account / 8 : m->per_account;
	uint64_t g = m->used < glim ? glim - m->used : 0;
	uint64_t u = a->used < alim ? alim - a->used : 0;

	return stack_min(g, u);
}

uint64_t tcp_mem_autotune_room(const struct stack *s, const struct tcp_conn *c)
{
	const struct tcp_mem *m = &s->tcp.mem;
	const struct tcp_mem_account *a = &m->acct[c->mem_acct];
	uint64_t g = m->used < m->limit / 2 ? m->limit / 2 - m->used : 0;
	uint64_t u = a->used < m->per_account / 2 ? m->per_account / 2 - a->used : 0;

	return stack_min(g, u);
}

static void tcp_mem_update_pressure(struct stack *s)
{
	struct tcp_mem *m = &s->tcp.mem;

	if (!m->pressure && m->used >= m->limit - m->limit / 8) {
		m->pressure = true;
		STACK_INC(s, TcpExtTCPMemoryPressures);
	} else if (m->pressure && m->used < m->limit - m->limit / 4) {
		m->pressure = false;
	}
	s->ctr.v[STACK_CTR_SynackTcpMemBytes] = m->used;
}

void stack_memory_set(struct stack *s, uint64_t memory, uint64_t memory_per_uid)
{
	s->cfg.memory = memory;
	s->cfg.memory_per_uid = memory_per_uid;
	tcp_mem_limits(s);
	tcp_mem_update_pressure(s);
	/* a raised limit is memory come back for whoever waits for it */
	if (s->tcp.mem.waiters)
		s->tcp.mem.wake_pending = true;
}

/* Set one of c's charges to want; growing beyond the room fails when strict. */
static int tcp_mem_charge(struct stack *s, struct tcp_conn *c, uint32_t *charge, uint64_t want,
			  bool strict)
{
	struct tcp_mem *m = &s->tcp.mem;
	struct tcp_mem_account *a = &m->acct[c->mem_acct];

	if (want > UINT32_MAX)
		want = UINT32_MAX;
	if (want > *charge) {
		uint64_t d = want - *charge;

		/* the receive side's charges (window promises, out-of-order ranges)
		 * leave the last eighth to send rings */
		if (strict &&
		    d > tcp_mem_room(s, c, charge == &c->mem_rcv || charge == &c->mem_reasm))
			return -ENOMEM;
		m->used += d;
		a->used += d;
	} else if (want < *charge) {
		uint64_t d = *charge - want;

		m->used -= d;
		a->used -= d;
		if (m->waiters)
			m->wake_pending = true;
	}
	*charge = (uint32_t)want;
	tcp_mem_update_pressure(s);
	return 0;
}

/* c could not get memory: it hears when some is freed (tcp_mem_poll). */
static void tcp_mem_wait(struct stack *s, struct tcp_conn *c)
{
	struct tcp_mem *m = &s->tcp.mem;
	uint32_t slot = tcp_conn_slot(s, c);

	if (c->mem_wait)
		return;
	c->mem_wait = true;
	c->mem_wait_next = TCP_SLOT_NONE;
	c->mem_wait_prev = m->wait_tail;
	if (m->wait_tail == TCP_SLOT_NONE)
		m->wait_head = slot;
	else
		s->tcp.conns[m->wait_tail].mem_wait_next = slot;
	m->wait_tail = slot;
	m->waiters++;
}

static void tcp_mem_unwait(struct stack *s, struct tcp_conn *c)
{
	struct tcp_mem *m = &s->tcp.mem;

	if (!c->mem_wait)
		return;
	if (c->mem_wait_prev == TCP_SLOT_NONE)
		m->wait_head = c->mem_wait_next;
	else
		s->tcp.conns[c->mem_wait_prev].mem_wait_next = c->mem_wait_next;
	if (c->mem_wait_next == TCP_SLOT_NONE)
		m->wait_tail = c->mem_wait_prev;
	else
		s->tcp.conns[c->mem_wait_next].mem_wait_prev = c->mem_wait_prev;
	c->mem_wait_prev = c->mem_wait_next = TCP_SLOT_NONE;
	c->mem_wait = false;
	m->waiters--;
}

/*
 * Move ring rb onto cap bytes of new storage (0: none), keeping its first
 * span bytes, and set its charge to max(cap, floor). Growth is charged
 * before the allocation, so a refusal changes nothing.
 */
static int tcp_mem_ring_resize(struct stack *s, struct tcp_conn *c, struct tcp_ringbuf *rb,
			       uint32_t *charge, uint32_t cap, uint32_t span, uint64_t floor)
{
	uint32_t old_charge = *charge, old_cap = rb->cap;
	uint8_t *old = rb->buf, *mem = NULL;

	if (tcp_mem_charge(s, c, charge, stack_max((uint64_t)cap, floor), true) < 0)
		return -ENOMEM;
	if (cap) {
		mem = stack_alloc(s, cap);
		if (!mem) {
			tcp_mem_charge(s, c, charge, old_charge, false);
			return -ENOMEM;
		}
	}
	tcp_ringbuf_move(rb, mem, cap, span);
	if (old)
		stack_free(s, old, old_cap);
	return 0;
}

/* The capacity a ring holding need bytes grows to: doubling, at least the minimum. */
static uint32_t tcp_mem_grow_cap(uint32_t cap, uint64_t need, uint64_t limit)
{
	uint64_t n = stack_max((uint64_t)cap * 2, (uint64_t)TCP_MEM_RING_MIN);

	n = stack_max(n, need);
	return (uint32_t)stack_min(n, limit);
}

/* How far the send ring may grow now: SNDBUF, pressure, then the budget. */
static uint32_t tcp_mem_snd_cap_max(const struct stack *s, const struct tcp_conn *c)
{
	uint64_t lim = stack_max(c->sndbuf_size, c->snd.cap);

	if (s->tcp.mem.pressure)
		lim = stack_min(lim, stack_max(c->snd.cap, TCP_MEM_RING_MIN));
	return (uint32_t)stack_min(lim, c->mem_snd + tcp_mem_room(s, c, false));
}

uint32_t tcp_mem_snd_space(struct stack *s, struct tcp_conn *c, uint32_t want)
{
	struct tcp_ringbuf *rb = &c->snd;
	uint32_t limit = c->sndbuf_size > rb->len ? c->sndbuf_size - rb->len : 0;
	uint32_t max, cap;

	want = stack_min(want, limit);
	if (want <= tcp_ringbuf_free(rb))
		return want;
	max = tcp_mem_snd_cap_max(s, c);
	cap = tcp_mem_grow_cap(rb->cap, (uint64_t)rb->len + want, max);
	if (cap < (uint64_t)rb->len + want)
		tcp_mem_wait(s, c); /* the budget, not SNDBUF, holds it back */
	if (cap > rb->cap && tcp_mem_ring_resize(s, c, rb, &c->mem_snd, cap, rb->len, 0) < 0)
		tcp_mem_wait(s, c);
	return stack_min(want, tcp_ringbuf_free(rb));
}

bool tcp_mem_snd_writable(const struct stack *s, const struct tcp_conn *c)
{
	if (c->snd.len >= c->sndbuf_size)
		return false;
	return tcp_ringbuf_free(&c->snd) > 0 || tcp_mem_snd_cap_max(s, c) > c->snd.cap;
}

/* The most receive memory c may hold: RCVBUF, bounded by the budget (its promise always). */
static uint64_t tcp_mem_rcv_limit(const struct stack *s, const struct tcp_conn *c)
{
	uint64_t lim = stack_min((uint64_t)c->rcvbuf_size, c->mem_rcv + tcp_mem_room(s, c, true));

	return stack_max(lim, tcp_mem_promise(c));
}

uint32_t tcp_mem_rcv_space(const struct stack *s, const struct tcp_conn *c)
{
	uint64_t lim = stack_min(tcp_mem_rcv_limit(s, c), (uint64_t)c->rcv.len + c->rcv_wnd_cap);
	uint32_t cur = tcp_mem_outstanding(c);
	uint32_t space = lim > c->rcv.len ? (uint32_t)(lim - c->rcv.len) : 0;

	if (s->tcp.mem.pressure)
		space = stack_min(space, stack_max(cur, TCP_MEM_PRESSURE_WND * c->rcv_mss));
	return stack_max(space, cur);
}

/*
 * A half-open passive child's SYN,ACK window is not charged: a spoofed SYN
 * would otherwise hold up to 64 KiB of budget for nothing. It can receive no
 * data before the ACK that completes the handshake (RFC 9293 §3.10.7.4: no
 * ACK, no text), and that ACK must first back the window with
 * tcp_mem_rcv_reserve() or is dropped, as for a SYN cookie's ACK.
 */
static bool tcp_mem_half_open(const struct tcp_conn *c)
{
	return c->state == TCP_SYN_RECEIVED && c->passive;
}

void tcp_mem_rcv_promised(struct stack *s, struct tcp_conn *c)
{
	uint64_t want = stack_max((uint64_t)c->rcv.cap, tcp_mem_promise(c));
	uint64_t could = stack_min((uint64_t)c->rcvbuf_size, (uint64_t)c->rcv.len + c->rcv_wnd_cap);

	if (tcp_mem_half_open(c))
		return;
	/* the window was sized from the room, so this charge is already covered */
	tcp_mem_charge(s, c, &c->mem_rcv, want, false);
	if (c->mem_rcv + tcp_mem_room(s, c, true) < could)
		tcp_mem_wait(s, c); /* the window is smaller than it would be, for want of memory */
}

int tcp_mem_rcv_reserve(struct stack *s, struct tcp_conn *c)
{
	return tcp_mem_charge(s, c, &c->mem_rcv,
			      stack_max((uint64_t)c->rcv.cap, tcp_mem_promise(c)), true);
}

/* End of the out-of-order bytes past the in-order end (offset from RCV.NXT). */
static uint32_t tcp_mem_ooo_end(const struct tcp_conn *c)
{
	return tcp_reasm_end(&c->reasm);
}

/*
 * Receive window growth: a connection starts at TCP_MEM_WND_INIT and doubles
 * its window each time the peer has sent a whole window's worth in order, up
 * to RCVBUF. Idle connections so promise (and charge) little, bulk transfers
 * reach RCVBUF after a few windows.
 */
static void tcp_mem_rcv_autotune(struct tcp_conn *c, uint32_t len)
{
	tcp_seq end = c->rcv_nxt + len;

	if (!c->rcv_grow_set) {
		c->rcv_grow_set = true;
		c->rcv_grow_mark = c->rcv_nxt + c->rcv_wnd_cap;
	}
	if (seq_lt(end, c->rcv_grow_mark) || c->rcv_wnd_cap >= c->rcvbuf_size)
		return;
	c->rcv_wnd_cap = (uint32_t)stack_min(2ull * c->rcv_wnd_cap, (uint64_t)c->rcvbuf_size);
	c->rcv_grow_mark = end + c->rcv_wnd_cap;
}

/* How many of len bytes off past the in-order end fit within c's limit lim (tcp_mem_rcv_limit). */
static uint32_t tcp_mem_rcv_fit(struct tcp_conn *c, uint64_t lim, uint32_t off, uint32_t len)
{
	uint64_t avail = lim > c->rcv.len ? lim - c->rcv.len : 0;

	if (off >= avail)
		return 0;
	len = (uint32_t)stack_min((uint64_t)len, avail - off);
	if (off == 0)
		tcp_mem_rcv_autotune(c, len);
	return len;
}

uint32_t tcp_mem_rcv_room(struct stack *s, struct tcp_conn *c, uint32_t len)
{
	return tcp_mem_rcv_fit(c, tcp_mem_rcv_limit(s, c), 0, len);
}

uint32_t tcp_mem_rcv_take(struct stack *s, struct tcp_conn *c, uint32_t off, uint32_t len)
{
	struct tcp_ringbuf *rb = &c->rcv;
	uint64_t lim = tcp_mem_rcv_limit(s, c);
	uint64_t need;

	len = tcp_mem_rcv_fit(c, lim, off, len);
	if (len == 0)
		return 0;
	need = (uint64_t)rb->len + off + len;
	if (need > rb->cap) {
		uint32_t cap = tcp_mem_grow_cap(rb->cap, need, lim);
		uint32_t span = rb->len + tcp_mem_ooo_end(c);

		if (tcp_mem_ring_resize(s, c, rb, &c->mem_rcv, cap, span, tcp_mem_promise(c)) < 0) {
			/* no memory now: take what fits, the peer resends the rest */
			tcp_mem_wait(s, c);
			need = rb->cap;
			len = need > (uint64_t)rb->len + off ? (uint32_t)(need - rb->len - off) : 0;
		}
	}
	return len;
}

static void tcp_mem_snd_release(struct stack *s, struct tcp_conn *c)
{
	tcp_mem_ring_resize(s, c, &c->snd, &c->mem_snd, 0, 0, 0);
}

static void tcp_mem_rcv_release(struct stack *s, struct tcp_conn *c)
{
	tcp_mem_ring_resize(s, c, &c->rcv, &c->mem_rcv, 0, 0, tcp_mem_promise(c));
}

static bool tcp_mem_rcv_empty(const struct tcp_conn *c)
{
	return c->rcv.len == 0 && tcp_reasm_empty(&c->reasm);
}

/* A ring emptied: give it back at once under pressure, else after it stays idle. */
static void tcp_mem_drained(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (s->tcp.mem.pressure) {
		tcp_mem_idle(s, now, c);
		return;
	}
	if (c->timer[TCP_TIMER_MEM_IDLE] == STACK_TIME_NEVER)
		tcp_timer_set(s, c, TCP_TIMER_MEM_IDLE, now + TCP_MEM_IDLE_US);
}

void tcp_mem_snd_drained(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (c->snd.buf && c->snd.len == 0)
		tcp_mem_drained(s, now, c);
}

void tcp_mem_rcv_drained(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	/* the promise shrank by what was read */
	tcp_mem_charge(s, c, &c->mem_rcv, stack_max((uint64_t)c->rcv.cap, tcp_mem_promise(c)),
		       false);
	if (c->rcv.buf && tcp_mem_rcv_empty(c))
		tcp_mem_drained(s, now, c);
}

void tcp_mem_idle(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	(void)now;
	if (c->snd.buf && c->snd.len == 0)
		tcp_mem_snd_release(s, c);
	/* the SACK scoreboard too, once nothing is in flight (tcp_rec_prepare
	 * makes a new one with the next data): 1 KiB per idle connection */
	if (c->rec.sb && c->snd_una == c->snd_max && !c->cc.in_recovery)
		tcp_rec_free(s, c);
	if (c->rcv.buf && tcp_mem_rcv_empty(c)) {
		tcp_mem_rcv_release(s, c);
		/* idle: the window opens again from the start (tcp_autotune.c) */
		c->rcv_wnd_cap = stack_min(c->rcv_wnd_cap, TCP_MEM_WND_INIT);
		c->rcv_grow_set = false;
	}
}

int tcp_mem_sb_charge(struct stack *s, struct tcp_conn *c, uint32_t bytes)
{
	/* a new scoreboard must fit in the budget like any buffer (strict); giving
	 * one back always succeeds */
	return tcp_mem_charge(s, c, &c->mem_sb, bytes, bytes > c->mem_sb);
}

void tcp_mem_snd_free(struct stack *s, struct tcp_conn *c)
{
	tcp_rec_free(s, c);
	tcp_mem_snd_release(s, c);
	c->snd.len = 0;
}

int tcp_mem_reasm_grow(struct stack *s, struct tcp_conn *c)
{
	uint32_t cap = tcp_reasm_cap(&c->reasm), ncap = stack_min(cap * 4, TCP_REASM_MAX_RANGES);
	size_t old_bytes = c->reasm.ext ? cap * sizeof(struct tcp_reasm_range) : 0;
	size_t bytes = ncap * sizeof(struct tcp_reasm_range);
	struct tcp_reasm_range *ext, *old;

	if (cap >= TCP_REASM_MAX_RANGES)
		return -ENOSPC;
	/* strict, like any buffer: a peer's holes cannot take memory the budget lacks */
	if (tcp_mem_charge(s, c, &c->mem_reasm, bytes, true) < 0)
		return -ENOMEM;
	ext = stack_alloc(s, bytes);
	if (!ext) {
		tcp_mem_charge(s, c, &c->mem_reasm, old_bytes, false);
		return -ENOMEM;
	}
	old = tcp_reasm_move(&c->reasm, ext, ncap);
	if (old)
		stack_free(s, old, old_bytes);
	return 0;
}

void tcp_mem_reasm_shrink(struct stack *s, struct tcp_conn *c)
{
	struct tcp_reasm_range *old;
	size_t bytes = c->reasm.cap * sizeof(struct tcp_reasm_range);

	if (!c->reasm.ext || c->reasm.n > TCP_REASM_INLINE)
		return;
	old = tcp_reasm_move(&c->reasm, NULL, 0);
	stack_free(s, old, bytes);
	tcp_mem_charge(s, c, &c->mem_reasm, 0, false);
}

void tcp_mem_rcv_free(struct stack *s, struct tcp_conn *c)
{
	c->reasm.n = 0;
	tcp_mem_reasm_shrink(s, c);
	tcp_reasm_init(&c->reasm);
	c->rcv.len = 0;
	tcp_mem_ring_resize(s, c, &c->rcv, &c->mem_rcv, 0, 0, 0);
}

void tcp_mem_conn_attach(struct stack *s, struct tcp_conn *c, uint16_t acct)
{
	struct tcp_mem *m = &s->tcp.mem;
	uint64_t held = (uint64_t)c->mem_snd + c->mem_rcv + c->mem_sb + c->mem_reasm;

	if (c->mem_attached) {
		m->acct[c->mem_acct].refs--;
		m->acct[c->mem_acct].used -= held;
		m->acct[c->mem_acct].orphans -= c->orphan;
	}
	c->mem_acct = acct;
	c->mem_attached = true;
	m->acct[acct].refs++;
	m->acct[acct].used += held;
	m->acct[acct].orphans += c->orphan;
}

void tcp_mem_conn_detach(struct stack *s, struct tcp_conn *c)
{
	tcp_mem_snd_free(s, c);
	tcp_mem_rcv_free(s, c);
	tcp_mem_unwait(s, c);
	if (c->mem_attached)
		s->tcp.mem.acct[c->mem_acct].refs--;
	c->mem_attached = false;
}

static int tcp_mem_account_find(struct stack *s, uint32_t id)
{
	struct tcp_mem *m = &s->tcp.mem;
	int spare = -1;

	if (id == 0)
		return 0;
	for (int i = 1; i < TCP_MEM_ACCOUNTS; i++) {
		struct tcp_mem_account *a = &m->acct[i];
		bool unused = a->refs == 0 && a->used == 0;

		if (!unused && a->id == id)
			return i;
		if (unused && spare < 0)
			spare = i;
	}
	if (spare >= 0)
		m->acct[spare].id = id;
	return spare;
}

static bool tcp_mem_account_fits(const struct stack *s, const struct tcp_conn *c, uint16_t idx)
{
	const struct tcp_mem *m = &s->tcp.mem;
	uint64_t held = (uint64_t)c->mem_snd + c->mem_rcv + c->mem_sb + c->mem_reasm;

	if (c->mem_attached && c->mem_acct == idx)
		return true;
	return held <= m->per_account && m->acct[idx].used <= m->per_account - held;
}

int stack_tcp_set_account(struct stack *s, stack_sock sock, uint32_t account)
{
	struct tcp_conn *c = tcp_conn_from_sock(s, sock, true);
	int idx;

	if (!c)
		return -EBADF;
	idx = tcp_mem_account_find(s, account);
	if (idx < 0)
		return -ENOBUFS;
	/* what c holds must fit under the account's cap, or a client could pile
	 * up accepted connections past it; refused, c stays where it was */
	if (!tcp_mem_account_fits(s, c, (uint16_t)idx))
		return -ENOBUFS;
	tcp_mem_conn_attach(s, c, (uint16_t)idx);
	return 0;
}

int stack_tcp_account_used(const struct stack *s, uint32_t account, uint64_t *ret_used)
{
	const struct tcp_mem *m = &s->tcp.mem;

	for (int i = 0; i < TCP_MEM_ACCOUNTS; i++) {
		const struct tcp_mem_account *a = &m->acct[i];

		if (a->id == account && (i == 0 || a->refs || a->used)) {
			*ret_used = a->used;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * Wake each connection that waited when the poll began, once: one that
 * still finds no memory goes back on the list's tail, behind the count.
 */
void tcp_mem_poll(struct stack *s, stack_time_us now)
{
	struct tcp_mem *m = &s->tcp.mem;

	if (!m->wake_pending)
		return;
	m->wake_pending = false;
	for (uint32_t n = m->waiters; n > 0 && m->wait_head != TCP_SLOT_NONE; n--) {
		struct tcp_conn *c = &s->tcp.conns[m->wait_head];

		tcp_mem_unwait(s, c);
		if (c->want_writable && !c->fin_queued && tcp_mem_snd_writable(s, c)) {
			c->want_writable = false;
			tcp_conn_event(s, c, STACK_EV_WRITABLE);
		}
		tcp_output_window_update(s, now, c);
	}
}

bool tcp_mem_wake_pending(const struct stack *s)
{
	return s->tcp.mem.wake_pending;
}
