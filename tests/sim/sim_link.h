/* SPDX-License-Identifier: MIT */
/*
 * sim_link.h - one direction of the simulator's impaired in-memory link.
 *
 * Frames handed to sim_link_send() are copied and given a delivery time:
 * they are serialised at the link's rate behind the frames already waiting
 * (a bounded transmit queue: a frame that finds it full is refused, like a
 * NIC queue or a router's tail drop), then travel for the one-way delay plus
 * jitter. Independently, with per-million rates, a frame is lost on the wire,
 * duplicated, held back by an extra delay so later frames overtake it
 * (reordering), or has one byte flipped (corruption the receiver's checksums
 * must catch: only IPv4 frames, past the Ethernet header, as if the damage had
 * slipped past the Ethernet FCS). Without reordering the link is FIFO, jitter
 * included.
 *
 * Burst loss (Gilbert-Elliott): when ge_enter_ppm is not 0 the link also has
 * a two-state channel that moves once a slot (good -> bad with probability
 * ge_enter_ppm, bad -> good with ge_leave_ppm); a frame sent in the bad
 * state is lost with probability ge_loss_ppm, on top of the independent
 * loss_ppm. With ge_slot_us 0 a slot is a frame (bursts of 1 / ge_leave
 * frames on average, enter / (enter + leave) of the frames in the bad
 * state). With a slot time the channel also moves while the link is idle
 * (the n-step transition of the chain, over the slots since the previous
 * frame), as a radio channel fades and recovers whether anyone sends or not:
 * a sender backing off after a loss is not stuck in the same burst forever.
 * The channel draws from the stream only when it is on, so links without it
 * keep every fate they had.
 *
 * Every random choice comes from the link's own xoshiro stream, so a seed
 * gives the same sequence of fates for the same sequence of frames.
 */
#ifndef SYNACK_SIM_LINK_H
#define SYNACK_SIM_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_rng.h"
#include "stack.h"

struct sim_link_params {
	uint32_t loss_ppm;    /* frames lost on the wire */
	uint32_t dup_ppm;     /* frames delivered twice */
	uint32_t reorder_ppm; /* frames held back by an extra delay */
	uint32_t corrupt_ppm; /* frames with one byte flipped */
	uint64_t delay_us;    /* one-way propagation delay (> 0) */
	uint64_t jitter_us;   /* extra delay, uniform in [0, jitter_us] */
	uint64_t reorder_us;  /* largest extra delay of a reordered frame */
	uint64_t rate_bps;    /* serialisation rate; 0 = infinitely fast */
	uint32_t queue_limit; /* frames waiting for serialisation (all in flight at rate 0) */
	/* Gilbert-Elliott burst loss; off while ge_enter_ppm is 0 */
	uint32_t ge_enter_ppm; /* per frame: good -> bad */
	uint32_t ge_leave_ppm; /* per frame: bad -> good */
	uint32_t ge_loss_ppm;  /* loss of a frame sent in the bad state */
	uint64_t ge_slot_us;   /* 0: the channel moves once a frame; else once a slot */
};

struct sim_link_stats {
	uint64_t offered, refused, lost, duplicated, reordered, corrupted, delivered;
	uint64_t ge_lost;   /* of lost: in the Gilbert-Elliott bad state */
	uint64_t loss_runs; /* runs of consecutive frames lost or refused, in send order */
};

/* A frame on its way; data is owned by the link until popped, then by the caller. */
struct sim_frame {
	stack_time_us at;
	uint64_t order; /* tie-break: equal times deliver in send order */
	uint8_t *data;
	size_t len;
	/* sim_link_send_meta(): what the receiving link says of the frame */
	bool has_meta;
	struct stack_frame_meta meta;
};

/* What happened to a frame, for the simulator's verbose trace. */
enum sim_link_fate {
	SIM_LINK_REFUSED,
	SIM_LINK_LOST,
	SIM_LINK_DUPLICATED,
	SIM_LINK_REORDERED,
	SIM_LINK_CORRUPTED,
};

struct sim_link {
	struct sim_link_params p;
	struct sim_rng rng;
	struct sim_frame *heap; /* min-heap on (at, order) */
	size_t n, cap;
	uint64_t next_order;
	stack_time_us tx_free_at;   /* when the serialiser is idle again */
	stack_time_us last_fifo_at; /* delivery time of the last in-order frame */
	stack_time_us *departures;  /* ring of serialisation end times still ahead */
	size_t dep_head, dep_n;
	bool ge_bad;	     /* the Gilbert-Elliott channel is in its bad state */
	stack_time_us ge_at; /* when it last moved (slotted channel) */
	bool last_lost;	     /* the frame offered last was lost or refused */
	struct sim_link_stats stats;
	/* optional: told about every impairment (verbose traces) */
	void (*log)(void *ctx, stack_time_us now, enum sim_link_fate fate, size_t len);
	void *log_ctx;
};

/* Set up a link direction with its own PRNG stream; -EINVAL, -ENOMEM. */
int sim_link_init(struct sim_link *l, const struct sim_link_params *p, uint64_t seed,
		  uint64_t stream);
/* Free the frames still in flight. */
void sim_link_free(struct sim_link *l);
/* Offer a frame at now: 0 when the link took it (even if it is then lost),
 * -ENOBUFS when the transmit queue was full, -EINVAL for an empty frame. */
int sim_link_send(struct sim_link *l, stack_time_us now, const uint8_t *frame, size_t len);
/*
 * The same for a frame an offloading link hands over whole, with meta for
 * the receiver (a TSO frame with a partial checksum, as the kernel writes
 * into synackd's TAP): every fate applies to the frame as a unit, except
 * corruption, since the receiver does not check a checksum the link vouches
 * for.
 */
int sim_link_send_meta(struct sim_link *l, stack_time_us now, const uint8_t *frame, size_t len,
		       const struct stack_frame_meta *meta);
/* The delivery time of the next frame, or STACK_TIME_NEVER. */
stack_time_us sim_link_next(const struct sim_link *l);
/* Pop the next frame due at or before now; the caller frees ret->data. */
bool sim_link_pop(struct sim_link *l, stack_time_us now, struct sim_frame *ret);
/* Frames waiting for serialisation at now (the transmit queue's depth). */
uint32_t sim_link_backlog(struct sim_link *l, stack_time_us now);
/* When the transmit queue next shrinks, or STACK_TIME_NEVER when it is empty. */
stack_time_us sim_link_next_departure(const struct sim_link *l);
/* Frames still in flight. */
size_t sim_link_in_flight(const struct sim_link *l);
const char *sim_link_fate_name(enum sim_link_fate fate);

#endif
