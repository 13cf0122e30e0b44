/* SPDX-License-Identifier: MIT */
/*
 * ctl_history.h - what `synackctl trace` draws: per connection, a bounded
 * ring of the segments it sent and received and of its state changes, fed
 * synchronously by the core's trace hook, and kept for a while after the
 * connection closed.
 *
 * Connections are found by their 4-tuple while they live (the SYN that
 * reaches a listener arrives before the new connection has a handle), and
 * by the core's stable connection id (stack_tcp_info.id) for `trace`.
 * Peers choose the remote half of those tuples, so the tuple hash is
 * SipHash under a random key, with a bucket per live ring, and no chain
 * holds more than CTL_HISTORY_CHAIN_MAX rings (its oldest goes, counted in
 * evicted): the lookup every traced segment makes stays a few comparisons.
 *
 * Memory is bounded whatever the traffic: at most max_live rings for open
 * connections (the oldest is dropped beyond that), at most max_closed rings
 * of closed ones (kept keep_us after close), and at most events entries per
 * ring (the oldest entries are overwritten and counted as dropped), and
 * CTL_HISTORY_MAX_ENTRIES in all (closed rings go first to make room; a
 * ring that cannot grow overwrites its oldest entries sooner).
 */
#ifndef SYNACKD_CTL_HISTORY_H
#define SYNACKD_CTL_HISTORY_H

#include <stdbool.h>
#include <stdint.h>

#include "stack.h"

/* Rings on one hash chain at most: a tuple lookup compares no more. */
#define CTL_HISTORY_CHAIN_MAX	8
/* Entries allocated over every ring at most (about 40 MiB), whatever max_conns is. */
#define CTL_HISTORY_MAX_ENTRIES (1u << 20)

enum ctl_hist_kind {
	CTL_HIST_SEG_IN,
	CTL_HIST_SEG_OUT,
	CTL_HIST_STATE,
};

struct ctl_hist_entry {
	stack_time_us at;
	uint8_t kind;	  /* enum ctl_hist_kind */
	uint8_t flags;	  /* segment flags; for a state change, the causing segment's */
	uint8_t from, to; /* states, for CTL_HIST_STATE */
	uint32_t seq, ack, wnd, len;
	const char *cause; /* static string from the core, or NULL */
};

struct ctl_hist_conn {
	struct ctl_hist_conn *hnext;	   /* hash chain, while live */
	struct ctl_hist_conn *prev, *next; /* the live or the closed list, oldest first */
	uint64_t id;			   /* 0 until the core gave the connection an id */
	struct stack_endpoint local, remote;
	bool closed;
	stack_time_us closed_at;
	struct ctl_hist_entry *v;
	uint32_t cap, head, n; /* ring: n entries from head */
	uint64_t dropped;
};

struct ctl_hist_list {
	struct ctl_hist_conn *first, *last;
	uint32_t n;
};

struct ctl_history {
	struct ctl_hist_conn **buckets; /* by 4-tuple: nbuckets (a power of two) chains */
	uint32_t nbuckets;
	uint8_t key[16]; /* the tuple hash's key */
	struct ctl_hist_list live, closed;
	uint32_t events;     /* entries per connection; 0 = keep nothing */
	uint32_t max_closed; /* closed connections kept */
	uint64_t keep_us;    /* how long after close */
	uint32_t max_live;   /* open connections tracked */
	uint64_t evicted;    /* rings dropped for max_live, the entry budget or a full chain */
	uint64_t allocated;  /* entries allocated over every ring */
	uint64_t probes;     /* rings compared by tuple lookups (what the keyed hash bounds) */
};

/* key: random bytes, so nobody outside can aim tuples at one chain. 0 or -ENOMEM. */
int ctl_history_init(struct ctl_history *h, const uint8_t key[16], uint32_t events,
		     uint32_t max_closed, uint64_t keep_us, uint32_t max_live);
/* New limits (after a reload); rings over them are trimmed at once. */
void ctl_history_set_limits(struct ctl_history *h, uint32_t events, uint32_t max_closed,
			    uint64_t keep_us, stack_time_us now);
void ctl_history_free(struct ctl_history *h);

/*
 * Record one trace from the core. e is the entry to store (built by the
 * caller from t). id is the connection's id when the caller knows it, else 0.
 * Returns the ring it went into, or NULL when nothing was recorded.
 */
struct ctl_hist_conn *ctl_history_record(struct ctl_history *h, const struct stack_trace *t,
					 const struct ctl_hist_entry *e, uint64_t id);
/*
 * Record what the core's trace hook reported (the daemon's trace path): the
 * entry is built from t (a state change takes its cause from the core's
 * state history) into ret_e, and ret_id gets the connection's id (0 when not
 * known yet). Returns the ring, as ctl_history_record().
 */
struct ctl_hist_conn *ctl_history_trace(struct ctl_history *h, struct stack *s,
					const struct stack_trace *t, struct ctl_hist_entry *ret_e,
					uint64_t *ret_id);
/* The ring whose connection would take t (live, same tuple), or NULL. */
struct ctl_hist_conn *ctl_history_lookup(struct ctl_history *h, const struct stack_endpoint *local,
					 const struct stack_endpoint *remote);
/* The ring of connection id (live or closed), or NULL. Prunes expired ones first. */
struct ctl_hist_conn *ctl_history_find(struct ctl_history *h, uint64_t id, stack_time_us now);
/* Entry i (0 = oldest) of a ring. */
const struct ctl_hist_entry *ctl_hist_conn_at(const struct ctl_hist_conn *c, uint32_t i);
/* Drop closed rings older than keep_us. */
void ctl_history_prune(struct ctl_history *h, stack_time_us now);

#endif
