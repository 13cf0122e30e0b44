/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_orphan.c - the bounds on orphans: connections whose owner has
 * closed them (RFC 9293 §3.10.4 CLOSE) and that still finish on their own in
 * FIN-WAIT-1, FIN-WAIT-2, CLOSING or LAST-ACK. Nobody reads what they
 * receive and nobody waits for them, so a peer must not be able to keep one
 * alive for ever:
 *
 * - tcp.orphan_retries: every retransmission timeout and every zero-window
 *   probe (RFC 9293 §3.8.6.1, RFC 1122 §4.2.2.17) of an orphan counts,
 *   answered or not; only an ACK of new data (progress) starts the count
 *   again, so a transfer over a lossy path still finishes. A peer that
 *   holds its window at zero and answers each probe would otherwise keep
 *   the orphan, and its send buffer, forever (RFC 1122 only says probes go
 *   on while answered; it is silent on connections no application waits
 *   for). Past the bound the orphan is reset (TcpExtTCPAbortOnTimeout).
 * - limits.max_orphans (stack_config.max_orphans): over it, the oldest
 *   orphan is reset (TcpExtTCPAbortOnMemory), so orphans cannot take every
 *   connection slot.
 *
 * - per account (the daemon's uid of the owner): each account counts its
 *   orphans, so the daemon can hold them against limits.conns_per_uid and
 *   have the account's oldest one reset when the uid needs the slot
 *   (stack_tcp_account_orphans/_reap); closing must not free a slot that
 *   the peer can keep taken.
 *
 * Orphans are kept on a FIFO in the order they were closed, through
 * orphan_prev/orphan_next in their slots.
 */
#include <errno.h>

#include "tcp_conn.h"

static uint32_t tcp_orphan_max(const struct stack *s)
{
	return s->cfg.max_orphans ? s->cfg.max_orphans : STACK_DEFAULT_MAX_ORPHANS;
}

/* Reset an orphan and free its slot: <SEQ=SND.NXT><CTL=RST> (RFC 9293 §3.10.5). */
static void tcp_orphan_reset(struct stack *s, stack_time_us now, struct tcp_conn *c,
			     enum tcp_cause cause)
{
	tcp_output_rst(s, now, c);
	tcp_conn_destroy(s, now, c, cause, NULL);
}

void tcp_orphan_adopt(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	struct tcp_state *t = &s->tcp;
	uint32_t slot = tcp_conn_slot(s, c);

	if (c->orphan)
		return;
	c->orphan = true;
	c->orphan_tries = 0;
	c->orphan_next = TCP_SLOT_NONE;
	c->orphan_prev = t->orphan_tail;
	if (t->orphan_tail == TCP_SLOT_NONE)
		t->orphan_head = slot;
	else
		t->conns[t->orphan_tail].orphan_next = slot;
	t->orphan_tail = slot;
	t->norphans++;
	if (c->mem_attached)
		s->tcp.mem.acct[c->mem_acct].orphans++;
	STACK_INC(s, SynackTcpOrphans);
}

void tcp_orphan_bound(struct stack *s, stack_time_us now)
{
	struct tcp_state *t = &s->tcp;

	while (t->norphans > tcp_orphan_max(s) && t->orphan_head != TCP_SLOT_NONE) {
		STACK_INC(s, TcpExtTCPAbortOnMemory);
		tcp_orphan_reset(s, now, &t->conns[t->orphan_head], TCP_CAUSE_ORPHAN_LIMIT);
	}
}

void tcp_orphan_forget(struct stack *s, struct tcp_conn *c)
{
	struct tcp_state *t = &s->tcp;

	if (!c->orphan)
		return;
	if (c->orphan_prev == TCP_SLOT_NONE)
		t->orphan_head = c->orphan_next;
	else
		t->conns[c->orphan_prev].orphan_next = c->orphan_next;
	if (c->orphan_next == TCP_SLOT_NONE)
		t->orphan_tail = c->orphan_prev;
	else
		t->conns[c->orphan_next].orphan_prev = c->orphan_prev;
	c->orphan_prev = c->orphan_next = TCP_SLOT_NONE;
	c->orphan = false;
	t->norphans--;
	if (c->mem_attached)
		s->tcp.mem.acct[c->mem_acct].orphans--;
	STACK_DEC(s, SynackTcpOrphans);
}

bool tcp_orphan_gives_up(struct stack *s, stack_time_us now, struct tcp_conn *c)
{
	if (!c->orphan)
		return false;
	if (++c->orphan_tries <= s->cfg.tun.orphan_retries)
		return false;
	STACK_INC(s, TcpExtTCPAbortOnTimeout);
	tcp_orphan_reset(s, now, c, TCP_CAUSE_TIMER_ORPHAN_RETRIES);
	return true;
}

/* The account slot that holds id, or -1 (the default account, 0, is slot 0). */
static int tcp_orphan_account_slot(const struct stack *s, uint32_t id)
{
	const struct tcp_mem *m = &s->tcp.mem;

	if (id == 0)
		return 0;
	for (int i = 1; i < TCP_MEM_ACCOUNTS; i++)
		if (m->acct[i].id == id && (m->acct[i].refs || m->acct[i].used))
			return i;
	return -1;
}

uint32_t stack_tcp_account_orphans(const struct stack *s, uint32_t account)
{
	int i = tcp_orphan_account_slot(s, account);

	return i < 0 ? 0 : s->tcp.mem.acct[i].orphans;
}

int stack_tcp_account_reap(struct stack *s, stack_time_us now, uint32_t account)
{
	struct tcp_state *t = &s->tcp;
	int i = tcp_orphan_account_slot(s, account);

	if (i < 0 || !t->mem.acct[i].orphans)
		return -ENOENT;
	for (uint32_t slot = t->orphan_head; slot != TCP_SLOT_NONE;
	     slot = t->conns[slot].orphan_next) {
		struct tcp_conn *c = &t->conns[slot];

		if (c->mem_attached && c->mem_acct == (uint16_t)i) {
			STACK_INC(s, TcpExtTCPAbortOnMemory);
			tcp_orphan_reset(s, now, c, TCP_CAUSE_ORPHAN_LIMIT);
			return 0;
		}
	}
	return -ENOENT;
}
