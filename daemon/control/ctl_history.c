/* SPDX-License-Identifier: MIT */
/*
 * ctl_history.c - per-connection trace rings for `synackctl trace` (see
 * ctl_history.h): a hash of live connections by 4-tuple, an age list of
 * live rings and one of closed rings, and the bounds that keep it small;
 * and the entries themselves, built from the core's trace hook.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_history.h"
#include "siphash.h"
#include "stack_info.h"

/* Rings start this small and double up to the configured entry count. */
#define CTL_HIST_FIRST_CAP   16u
/* Buckets of the tuple hash at least (more when more live rings are allowed). */
#define CTL_HIST_MIN_BUCKETS 64u

/*
 * SipHash of the 4-tuple under the history's random key: peers choose the
 * remote half of every tuple, and with an unkeyed hash they could put every
 * SYN on one chain and make each traced segment walk all of it.
 */
static uint32_t ctl_history_bucket(const struct ctl_history *h, const struct stack_endpoint *l,
				   const struct stack_endpoint *r)
{
	uint8_t b[12];

	memcpy(b, &l->addr, 4);
	memcpy(b + 4, &r->addr, 4);
	memcpy(b + 8, &l->port, 2);
	memcpy(b + 10, &r->port, 2);
	return (uint32_t)siphash24(h->key, b, sizeof(b)) & (h->nbuckets - 1);
}

static bool ctl_history_same(const struct ctl_hist_conn *c, const struct stack_endpoint *l,
			     const struct stack_endpoint *r)
{
	return c->local.addr == l->addr && c->local.port == l->port && c->remote.addr == r->addr &&
	       c->remote.port == r->port;
}

static void ctl_hist_list_append(struct ctl_hist_list *l, struct ctl_hist_conn *c)
{
	c->next = NULL;
	c->prev = l->last;
	if (l->last)
		l->last->next = c;
	else
		l->first = c;
	l->last = c;
	l->n++;
}

static void ctl_hist_list_remove(struct ctl_hist_list *l, struct ctl_hist_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->first = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->last = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

static void ctl_history_unhash(struct ctl_history *h, struct ctl_hist_conn *c)
{
	struct ctl_hist_conn **pp = &h->buckets[ctl_history_bucket(h, &c->local, &c->remote)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	}
	c->hnext = NULL;
}

static void ctl_hist_conn_free(struct ctl_history *h, struct ctl_hist_conn *c)
{
	if (!c)
		return;
	h->allocated -= c->cap;
	free(c->v);
	free(c);
}

static void ctl_history_drop_live(struct ctl_history *h, struct ctl_hist_conn *c)
{
	ctl_history_unhash(h, c);
	ctl_hist_list_remove(&h->live, c);
	ctl_hist_conn_free(h, c);
}

static void ctl_history_drop_closed(struct ctl_history *h, struct ctl_hist_conn *c)
{
	ctl_hist_list_remove(&h->closed, c);
	ctl_hist_conn_free(h, c);
}

int ctl_history_init(struct ctl_history *h, const uint8_t key[16], uint32_t events,
		     uint32_t max_closed, uint64_t keep_us, uint32_t max_live)
{
	uint32_t n = CTL_HIST_MIN_BUCKETS;

	memset(h, 0, sizeof(*h));
	h->events = events;
	h->max_closed = max_closed;
	h->keep_us = keep_us;
	h->max_live = max_live ? max_live : 1;
	memcpy(h->key, key, sizeof(h->key));
	/* at least a bucket per live ring: chains stay about one ring long */
	while (n < h->max_live && n < (1u << 31))
		n <<= 1;
	h->buckets = calloc(n, sizeof(*h->buckets));
	if (!h->buckets)
		return -ENOMEM;
	h->nbuckets = n;
	return 0;
}

/* Keep the newest max entries of a ring, in a buffer of exactly that size. */
static void ctl_hist_conn_trim(struct ctl_history *h, struct ctl_hist_conn *c, uint32_t max)
{
	struct ctl_hist_entry *v;
	uint32_t keep = c->n < max ? c->n : max;

	if (c->cap <= max)
		return;
	v = max ? malloc((size_t)max * sizeof(*v)) : NULL;
	if (max && !v)
		return; /* keep the larger ring rather than lose it */
	for (uint32_t i = 0; i < keep; i++)
		v[i] = *ctl_hist_conn_at(c, c->n - keep + i);
	c->dropped += c->n - keep;
	free(c->v);
	h->allocated -= c->cap - max;
	c->v = v;
	c->cap = max;
	c->head = 0;
	c->n = keep;
}

void ctl_history_set_limits(struct ctl_history *h, uint32_t events, uint32_t max_closed,
			    uint64_t keep_us, stack_time_us now)
{
	struct ctl_hist_conn *c;

	h->events = events;
	h->max_closed = max_closed;
	h->keep_us = keep_us;
	for (c = h->live.first; c; c = c->next)
		ctl_hist_conn_trim(h, c, events);
	for (c = h->closed.first; c; c = c->next)
		ctl_hist_conn_trim(h, c, events);
	ctl_history_prune(h, now);
}

void ctl_history_free(struct ctl_history *h)
{
	while (h->live.first)
		ctl_history_drop_live(h, h->live.first);
	while (h->closed.first)
		ctl_history_drop_closed(h, h->closed.first);
	free(h->buckets);
	h->buckets = NULL;
	h->nbuckets = 0;
}

const struct ctl_hist_entry *ctl_hist_conn_at(const struct ctl_hist_conn *c, uint32_t i)
{
	return &c->v[(c->head + i) % c->cap];
}

void ctl_history_prune(struct ctl_history *h, stack_time_us now)
{
	while (h->closed.first &&
	       (h->closed.n > h->max_closed || now - h->closed.first->closed_at >= h->keep_us))
		ctl_history_drop_closed(h, h->closed.first);
}

struct ctl_hist_conn *ctl_history_lookup(struct ctl_history *h, const struct stack_endpoint *local,
					 const struct stack_endpoint *remote)
{
	struct ctl_hist_conn *c = h->buckets[ctl_history_bucket(h, local, remote)];

	for (; c; c = c->hnext) {
		h->probes++;
		if (ctl_history_same(c, local, remote))
			break;
	}
	return c;
}

struct ctl_hist_conn *ctl_history_find(struct ctl_history *h, uint64_t id, stack_time_us now)
{
	struct ctl_hist_conn *c;

	if (id == 0)
		return NULL;
	ctl_history_prune(h, now);
	for (c = h->live.first; c; c = c->next)
		if (c->id == id)
			return c;
	for (c = h->closed.first; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

/*
 * Keep chain b below CTL_HISTORY_CHAIN_MAX rings by letting its oldest go
 * (new rings go in front). With a random key and a bucket per live ring this
 * practically never happens; it makes the bound hold whatever the key.
 */
static void ctl_history_chain_room(struct ctl_history *h, uint32_t b)
{
	struct ctl_hist_conn *c = h->buckets[b], *last = NULL;
	uint32_t n = 0;

	for (; c; c = c->hnext, n++)
		last = c;
	if (n >= CTL_HISTORY_CHAIN_MAX) {
		ctl_history_drop_live(h, last);
		h->evicted++;
	}
}

static struct ctl_hist_conn *ctl_history_new(struct ctl_history *h, const struct stack_trace *t)
{
	struct ctl_hist_conn *c;
	uint32_t b;

	while (h->live.n >= h->max_live) {
		ctl_history_drop_live(h, h->live.first);
		h->evicted++;
	}
	b = ctl_history_bucket(h, &t->local, &t->remote);
	ctl_history_chain_room(h, b);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->local = t->local;
	c->remote = t->remote;
	c->hnext = h->buckets[b];
	h->buckets[b] = c;
	ctl_hist_list_append(&h->live, c);
	return c;
}

/* Room for more entries within the budget: closed rings are let go first. */
static bool ctl_history_budget(struct ctl_history *h, uint32_t more)
{
	while (h->allocated + more > CTL_HISTORY_MAX_ENTRIES && h->closed.first) {
		ctl_history_drop_closed(h, h->closed.first);
		h->evicted++;
	}
	return h->allocated + more <= CTL_HISTORY_MAX_ENTRIES;
}

/* Double a full ring, up to h->events; it stays as it is when that fails. */
static void ctl_hist_conn_grow(struct ctl_history *h, struct ctl_hist_conn *c)
{
	uint32_t cap = c->cap ? c->cap * 2 : CTL_HIST_FIRST_CAP;
	struct ctl_hist_entry *v;

	if (cap > h->events)
		cap = h->events;
	if (!ctl_history_budget(h, cap - c->cap))
		return;
	v = malloc((size_t)cap * sizeof(*v));
	if (!v)
		return;
	for (uint32_t i = 0; i < c->n; i++)
		v[i] = *ctl_hist_conn_at(c, i);
	free(c->v);
	h->allocated += cap - c->cap;
	c->v = v;
	c->cap = cap;
	c->head = 0;
}

/* Append e, growing the ring up to h->events, then overwriting the oldest. */
static void ctl_hist_conn_push(struct ctl_history *h, struct ctl_hist_conn *c,
			       const struct ctl_hist_entry *e)
{
	if (c->n == c->cap && c->cap < h->events)
		ctl_hist_conn_grow(h, c);
	if (c->cap == 0) {
		c->dropped++;
		return;
	}
	if (c->n == c->cap) {
		c->head = (c->head + 1) % c->cap;
		c->n--;
		c->dropped++;
	}
	c->v[(c->head + c->n) % c->cap] = *e;
	c->n++;
}

/* The connection closed: off the hash, onto the closed list (pruned later). */
static void ctl_history_retire(struct ctl_history *h, struct ctl_hist_conn *c, stack_time_us now)
{
	ctl_history_unhash(h, c);
	ctl_hist_list_remove(&h->live, c);
	c->closed = true;
	c->closed_at = now;
	ctl_hist_list_append(&h->closed, c);
}

/* Record e in c, the ring found for t's tuple (NULL: none), as ctl_history_record(). */
static struct ctl_hist_conn *ctl_history_record_found(struct ctl_history *h,
						      struct ctl_hist_conn *c,
						      const struct stack_trace *t,
						      const struct ctl_hist_entry *e, uint64_t id)
{
	/* a new connection on a tuple that is still tracked: the old ring ends here */
	if (c && id && c->id && c->id != id) {
		ctl_history_retire(h, c, t->now);
		c = NULL;
	}
	if (!c) {
		/* segments of no connection (RSTs to closed ports) are not kept */
		if (t->sock == STACK_SOCK_NONE)
			return NULL;
		c = ctl_history_new(h, t);
		if (!c)
			return NULL;
	}
	if (id && !c->id)
		c->id = id;
	ctl_hist_conn_push(h, c, e);
	if (e->kind == CTL_HIST_STATE && e->to == 0 /* CLOSED */)
		ctl_history_retire(h, c, t->now);
	return c;
}

struct ctl_hist_conn *ctl_history_record(struct ctl_history *h, const struct stack_trace *t,
					 const struct ctl_hist_entry *e, uint64_t id)
{
	/* pruning first: the ring returned stays valid until the next call */
	ctl_history_prune(h, t->now);
	return ctl_history_record_found(h, ctl_history_lookup(h, &t->local, &t->remote), t, e, id);
}

/* The newest history entry of the core for t's connection: the cause of a state change. */
static void ctl_history_state_cause(struct stack *s, const struct stack_trace *t,
				    struct ctl_hist_entry *e, uint32_t *seq, uint32_t *ack)
{
	struct stack_tcp_history_entry h[16];
	int n = t->sock ? stack_tcp_history(s, t->sock, h, 16) : 0;

	if (n <= 0)
		return;
	const struct stack_tcp_history_entry *last = &h[n - 1];
	if (last->from != t->state.from || last->to != t->state.to || last->at != t->now)
		return;
	e->cause = last->cause;
	e->flags = last->seg_flags;
	*seq = last->seg_seq;
	*ack = last->seg_ack;
}

static void ctl_history_build_entry(struct stack *s, const struct stack_trace *t,
				    struct ctl_hist_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->at = t->now;
	if (t->kind == STACK_TRACE_STATE) {
		e->kind = CTL_HIST_STATE;
		e->from = t->state.from;
		e->to = t->state.to;
		ctl_history_state_cause(s, t, e, &e->seq, &e->ack);
		return;
	}
	e->kind = t->kind == STACK_TRACE_SEG_IN ? CTL_HIST_SEG_IN : CTL_HIST_SEG_OUT;
	e->flags = t->seg.flags;
	e->seq = t->seg.seq;
	e->ack = t->seg.ack;
	e->wnd = t->seg.wnd;
	e->len = t->seg.len;
}

/* The connection id for t, when the ring does not know it yet (listeners have none here). */
static uint64_t ctl_history_conn_id(const struct ctl_hist_conn *c, struct stack *s,
				    const struct stack_trace *t)
{
	struct stack_tcp_info info;

	if (t->sock == STACK_SOCK_NONE)
		return c ? c->id : 0;
	if (c && c->id)
		return c->id;
	if (stack_tcp_info(s, t->sock, &info) < 0)
		return 0;
	if (info.listener &&
	    (info.local.port != t->local.port || info.remote.port != t->remote.port ||
	     info.remote.addr != t->remote.addr))
		return 0; /* a SYN the listener took: the new connection's id comes later */
	return info.id;
}

struct ctl_hist_conn *ctl_history_trace(struct ctl_history *h, struct stack *s,
					const struct stack_trace *t, struct ctl_hist_entry *ret_e,
					uint64_t *ret_id)
{
	struct ctl_hist_conn *c;
	uint64_t id;

	ctl_history_build_entry(s, t, ret_e);
	ctl_history_prune(h, t->now);
	/* one lookup per trace: the ring found gives the id and takes the entry */
	c = ctl_history_lookup(h, &t->local, &t->remote);
	id = ctl_history_conn_id(c, s, t);
	c = ctl_history_record_found(h, c, t, ret_e, id);
	*ret_id = c && c->id ? c->id : id;
	return c;
}
