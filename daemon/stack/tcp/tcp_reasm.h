/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_reasm.h - out-of-order bookkeeping for the receive side: which byte
 * ranges past RCV.NXT are already held in the receive ring (RFC 9293 §3.10.7.4
 * "segment text"; RFC 2018 §4 for the SACK blocks that describe them).
 * TCP_REASM_INLINE ranges live in the connection; under heavy loss the owner
 * moves them to a larger array (tcp_reasm_move, up to TCP_REASM_MAX_RANGES,
 * charged to the memory budget by tcp_mem.c) and back once few are left, so
 * a peer cannot make it grow without bound; data that would need one more
 * range than that is dropped (and retransmitted by the peer).
 * Offsets are relative to RCV.NXT.
 */
#ifndef SYNACK_TCP_REASM_H
#define SYNACK_TCP_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_wire.h"

#define TCP_REASM_INLINE     8	 /* ranges kept in the connection itself */
#define TCP_REASM_MAX_RANGES 256 /* in a moved-out array at most (3 KiB) */

struct tcp_reasm_range {
	uint32_t start, end; /* [start, end) relative to RCV.NXT, start > 0 */
	uint32_t stamp;	     /* clock when data last landed in it (RFC 2018 §4 recency) */
};

struct tcp_reasm {
	uint32_t n;
	uint32_t cap; /* of ext (0 while ext is NULL, when tcp_reasm_cap() says TCP_REASM_INLINE) */
	uint32_t clock; /* counts the segments added; stamps the range each one lands in */
	struct tcp_reasm_range *ext; /* the owner's array of cap ranges, or NULL: inl */
	struct tcp_reasm_range inl[TCP_REASM_INLINE];
};

/* Empty, in the inline array (an array moved out must be taken back first: tcp_reasm_move). */
void tcp_reasm_init(struct tcp_reasm *ra);
/* The ranges: sorted by start, disjoint, never adjacent. */
static inline struct tcp_reasm_range *tcp_reasm_ranges(struct tcp_reasm *ra)
{
	return ra->ext ? ra->ext : ra->inl;
}
static inline const struct tcp_reasm_range *tcp_reasm_cranges(const struct tcp_reasm *ra)
{
	return ra->ext ? ra->ext : ra->inl;
}
static inline uint32_t tcp_reasm_cap(const struct tcp_reasm *ra)
{
	return ra->ext ? ra->cap : TCP_REASM_INLINE;
}
/* Move the ranges to ext (cap ranges, at least n), or back inline (ext NULL, n <= TCP_REASM_INLINE);
 * returns the array left behind (NULL when that was the inline one) for the owner to free. */
struct tcp_reasm_range *tcp_reasm_move(struct tcp_reasm *ra, struct tcp_reasm_range *ext,
				       uint32_t cap);
/* End of the highest range (0 when empty). */
uint32_t tcp_reasm_end(const struct tcp_reasm *ra);
static inline bool tcp_reasm_empty(const struct tcp_reasm *ra)
{
	return ra->n == 0;
}
/* Record [off, off+len) as held; merges overlaps. -ENOSPC when a new range is needed and none is free. */
int tcp_reasm_add(struct tcp_reasm *ra, uint32_t off, uint32_t len);
/*
 * RCV.NXT moved forward by n in-order bytes: shift every range, and return how
 * many more bytes are now contiguous from the new RCV.NXT (the caller then
 * advances by that too, calling tcp_reasm_advance() again with it).
 */
uint32_t tcp_reasm_advance(struct tcp_reasm *ra, uint32_t n);
/* Bytes held out of order in total. */
uint32_t tcp_reasm_bytes(const struct tcp_reasm *ra);
/*
 * Up to max SACK blocks in absolute sequence numbers, in order of recency
 * (RFC 2018 §4): the range holding the segment received last first, then
 * the others by when data last landed in them.
 */
uint32_t tcp_reasm_sack(const struct tcp_reasm *ra, uint32_t rcv_nxt, struct tcp_sack_block *blocks,
			uint32_t max);

#endif
