/* SPDX-License-Identifier: MIT */
/*
 * link.h - the TAP as the core's link: a uv_poll_t that reads frames in
 * bounded batches into stack_input(), and the core's sink that writes
 * frames with back-pressure (a bounded queue while the TAP refuses writes,
 * stack_link_set_blocked() until it drains). Both ways pass the impairment
 * stage (link_impair.h) while an impairment is on.
 */
#ifndef SYNACKD_LINK_H
#define SYNACKD_LINK_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "stack.h"
#include "link_impair.h"
#include "tap.h"
#include "txq.h"

/* Frames read per wake-up before the loop gets a turn. */
#define LINK_RX_BUDGET 64

struct link_stats {
	uint64_t rx_frames, rx_bad_hdr, tx_frames, tx_queued, tx_dropped, tx_errors;
	uint64_t rx_answers; /* of rx_frames, read by link_read_answers() */
};

struct link {
	struct tap *tap;
	struct stack *stack;
	uv_poll_t poll;
	bool polling;
	int poll_events;
	struct txq txq;
	bool blocked;
	uint8_t *rxbuf;
	size_t rxbuf_len;
	/* called after a batch of input or a drained queue: run the core */
	void (*kick)(void *ctx);
	/* called when the TAP fails for good (device removed) */
	void (*fail)(void *ctx, int err);
	void *ctx;
	/* optional: sees every frame read (out false) and handed to the TAP (synackctl capture) */
	void (*capture)(void *ctx, bool out, const uint8_t *frame, size_t len);
	/* optional: false while nobody captures, so capture can be skipped for a
	 * frame that would have to be made whole for it (link_emit_tail) */
	bool (*capture_active)(void *ctx);
	void *capture_ctx;
	struct link_stats stats;
	bool logged_write, logged_hdr, logged_drop;
	struct link_impair imp; /* the impairment stage, when an impairment is on */
};

/* Prepare the link over an open TAP; the core's sink can be used from here on. */
int link_init(struct link *l, struct tap *tap);
/* Start reading into stack s. */
int link_start(struct link *l, uv_loop_t *loop, struct stack *s);
void link_stop(struct link *l);
/*
 * Read what the TAP holds now, without waiting for the poll and without the
 * kick (the caller runs the core's events when it is ready for them): the
 * kernel answers a SYN within the write that carried it, so its SYN-ACK can
 * be taken before the caller goes on. 1 when frames were read, 0 when none
 * (or the link is not polling, or the impairment stage is on), -errno when
 * the TAP failed (its poll reports that too).
 */
int link_read_answers(struct link *l);
void link_free(struct link *l);
bool link_idle(const struct link *l);

/* The core's sink: ctx is the struct link. */
int link_emit(void *ctx, const uint8_t *frame, size_t len, const struct stack_frame_meta *meta);
/* The same for a frame whose payload is still in a send ring (struct stack_sink). */
int link_emit_tail(void *ctx, uint8_t *head, size_t head_len, const struct stack_frame_tail *tail,
		   const struct stack_frame_meta *meta);
/* Write one frame to the TAP (queued when it pushes back), past the impairment stage. */
int link_write(struct link *l, const uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta);

#endif
