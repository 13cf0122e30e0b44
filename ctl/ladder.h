/* SPDX-License-Identifier: MIT */
/*
 * ladder.h - a connection's history drawn as a ladder diagram (`trace`):
 * a time column, our state, then two lifelines (synack on the left, the peer
 * on the right) with one arrow per segment, fitting 80 columns:
 *
 *   time/ms  state        synack                                          peer
 *     0.000  SYN-SENT     |-- SYN seq=0 win=64240 --------------------------->|
 *     0.310  ESTABLISHED  |<------------- SYN,ACK seq=0 ack=1 win=65160 --|
 *
 * A state change is written on the line of the segment that caused it
 * (RFC 9293 figure style: the state after the line's event): an inbound
 * segment at the same instant, else an outbound segment sent at the same
 * instant (a call like connect or close); else on a line of its own with its
 * cause ("2MSL timeout").
 *
 * Relative numbers count from each side's ISN (its SYN's seq), so the
 * handshake reads SYN seq=0, SYN,ACK seq=0 ack=1, ACK seq=1 ack=1; arithmetic
 * is modulo 2^32 (RFC 9293 §3.4), so a sequence space that wraps still counts
 * up. When the history starts after the SYN, numbers count from the first
 * one seen and a note says so.
 */
#ifndef SYNACK_CTL_LADDER_H
#define SYNACK_CTL_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

enum ladder_flags {
	LADDER_ABSOLUTE = 1u << 0, /* raw sequence numbers (--absolute) */
};

/* The ladder's drawing state, so that --follow can feed entries as they come. */
struct ladder {
	FILE *f;
	unsigned flags;
	bool started;
	uint64_t t0;
	bool have_base[2]; /* [CTL_DIR_OUT]: our sequence space, [CTL_DIR_IN]: the peer's */
	uint32_t base[2];
	bool noted;
	bool have_seg; /* a segment waits to learn whether a state change belongs to it */
	struct ctl_trace_entry seg;
	bool seg_has_state;
	enum ctl_state seg_state;
	bool have_state; /* a state change waits for an outbound segment at the same time */
	struct ctl_trace_entry state;
};

void ladder_init(struct ladder *l, FILE *f, unsigned flags);
/* Draw what can be drawn; an entry may wait for the next one. */
void ladder_feed(struct ladder *l, const struct ctl_trace_entry *e);
/* Draw whatever still waits. */
void ladder_flush(struct ladder *l);
/* The whole history at once; returns 0 or -EIO. */
int ladder_render(FILE *f, const struct ctl_trace_entry *e, size_t n, unsigned flags);

#endif
