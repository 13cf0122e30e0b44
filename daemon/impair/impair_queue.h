/* SPDX-License-Identifier: MIT */
/*
 * impair_queue.h - frames the impairment engine (impair.h) holds back:
 * delayed until a time, or reordered behind a number of later frames of
 * their direction (with a time cap). Pure: no clock, no system calls; the
 * caller passes the time and arms its own timer at impair_queue_next_at().
 * Bounded in frames and bytes: past either bound a push fails with -ENOBUFS
 * and the frame is counted in overflow (the caller drops it).
 */
#ifndef SYNACK_IMPAIR_QUEUE_H
#define SYNACK_IMPAIR_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impair.h"

#define IMPAIR_QUEUE_FRAMES_DEF 8192
#define IMPAIR_QUEUE_BYTES_DEF	(32u << 20)
#define IMPAIR_TIME_NEVER	UINT64_MAX

struct impair_qframe {
	uint64_t at_us; /* due at (for a counting frame: its time cap) */
	uint64_t seq;	/* push order: ties go first in, first out */
	uint32_t after; /* later frames still to pass before it is due (0: by time) */
	uint8_t dir;	/* enum impair_dir */
	uint32_t len;
	uint8_t data[];
};

struct impair_queue {
	struct impair_qframe **heap; /* by (at_us, seq): frames due by time */
	unsigned n_heap;
	struct impair_qframe **counting; /* frames waiting for later frames to pass */
	unsigned n_counting;
	unsigned cap; /* frames, both together */
	size_t bytes, max_bytes;
	uint64_t seq;
	uint64_t overflow; /* pushes refused at the bounds */
	uint64_t peak_frames;
};

int impair_queue_init(struct impair_queue *q, unsigned max_frames, size_t max_bytes);
void impair_queue_free(struct impair_queue *q);
/* Hold a copy of frame until c says (see struct impair_copy). -ENOBUFS, -ENOMEM. */
int impair_queue_push(struct impair_queue *q, enum impair_dir dir, const uint8_t *frame, size_t len,
		      const struct impair_copy *c);
/* A frame of dir was delivered: counting frames of dir get one closer. */
void impair_queue_passed(struct impair_queue *q, enum impair_dir dir, uint64_t now_us);
/*
 * The next frame due at now (earliest first), taken out of the queue: the
 * caller delivers it and then frees it with impair_queue_release(). NULL when
 * none is due.
 */
struct impair_qframe *impair_queue_pop_due(struct impair_queue *q, uint64_t now_us);
void impair_queue_release(struct impair_queue *q, struct impair_qframe *f);
/* When the next frame is due, or IMPAIR_TIME_NEVER. */
uint64_t impair_queue_next_at(const struct impair_queue *q);
unsigned impair_queue_frames(const struct impair_queue *q);
/* Drop every held frame (the impairment was cleared); returns how many. */
unsigned impair_queue_flush(struct impair_queue *q);

#endif
