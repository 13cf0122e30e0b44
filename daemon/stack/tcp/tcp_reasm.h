/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_reasm.h - out-of-order bookkeeping for the receive side: which byte
 * ranges past RCV.NXT are already held in the receive ring (RFC 9293 §3.10.7.4
 * "segment text"; RFC 2018 §4 for the SACK blocks that describe them). The
 * number of ranges is fixed, so a peer cannot make it grow; data that would
 * need one more range is dropped (and retransmitted by the peer).
 * Offsets are relative to RCV.NXT.
 */
#ifndef SYNACK_TCP_REASM_H
#define SYNACK_TCP_REASM_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_wire.h"

#define TCP_REASM_MAX_RANGES 32

struct tcp_reasm {
	uint32_t n;
	uint32_t clock; /* counts the segments added; stamps the range each one lands in */
	struct {
		uint32_t start, end; /* [start, end) relative to RCV.NXT, start > 0 */
		uint32_t stamp;	     /* clock when data last landed in it (RFC 2018 §4 recency) */
	} r[TCP_REASM_MAX_RANGES];
};

void tcp_reasm_init(struct tcp_reasm *ra);
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
