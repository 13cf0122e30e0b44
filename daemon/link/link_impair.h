/* SPDX-License-Identifier: MIT */
/*
 * link_impair.h - the impairment stage at the TAP boundary: frames read from
 * the TAP (in) and frames the core sends (out) pass through the pure engine
 * (daemon/impair/impair.h) while an impairment is on. Offloads are undone
 * first (super-frames cut into wire-sized frames, partial checksums
 * completed), so the engine acts on what a wire would carry and a flipped bit
 * fails a checksum the receiver checks. Frames held back (delay, reordering,
 * a late duplicate, the rate limit) wait in a bounded queue driven by one
 * libuv timer; a frame past the queue's bound is dropped and counted.
 */
#ifndef SYNACKD_LINK_IMPAIR_H
#define SYNACKD_LINK_IMPAIR_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "impair.h"
#include "impair_queue.h"
#include "stack.h"

struct link;

struct link_impair {
	struct link *link;
	struct impair engine;
	struct impair_queue q;
	uv_timer_t timer;
	bool timer_on; /* initialised on the loop */
	bool on[IMPAIR_DIRS];
	/* IMPAIR_SEG_SCRATCH bytes per direction: one wire frame being cut. Two,
	 * because an input frame handed to the core draws output (an ACK) that
	 * is cut too before the input's duplicate is handed over from its buffer */
	uint8_t *scratch;
	uint64_t now;	     /* of the frame being cut */
	uint64_t seg_errors; /* super-frames that could not be cut (dropped) */
};

/* Counters `synackctl stats` shows, in this order (names in link_impair.c). */
#define LINK_IMPAIR_COUNTERS 17
struct link_impair_counter {
	const char *name;
	uint64_t value;
	bool gauge;
};

int link_impair_init(struct link_impair *li, struct link *l);
void link_impair_free(struct link_impair *li);
/* Start the hold queue's timer on the link's loop. */
void link_impair_start(struct link_impair *li, uv_loop_t *loop);
void link_impair_stop(struct link_impair *li);

/* The engine's rule from the configuration's impair: section. */
void link_impair_params(const struct config_impair *c, struct impair_params *ret);
/* Take a new rule (start, reload, synackctl impair); held frames keep their times. */
void link_impair_apply(struct link_impair *li, const struct config_impair *c);
static inline bool link_impair_on(const struct link_impair *li, enum impair_dir dir)
{
	return li && li->on[dir];
}

/* A frame read from the TAP (meta from its virtio-net header), while on[IMPAIR_IN]. */
void link_impair_input(struct link_impair *li, const uint8_t *frame, size_t len,
		       const struct stack_frame_meta *meta);
/* A frame the core sends, while on[IMPAIR_OUT]; 0 or -errno as link_emit(). */
int link_impair_output(struct link_impair *li, const uint8_t *frame, size_t len,
		       const struct stack_frame_meta *meta);

/* Fill LINK_IMPAIR_COUNTERS counters. */
void link_impair_counters(const struct link_impair *li, struct link_impair_counter *ret);

#endif
