/* SPDX-License-Identifier: MIT */
/*
 * impair.h - a pure, seeded link impairment engine: it decides what happens
 * to one wire-sized Ethernet frame (drop, deliver now, deliver later, deliver
 * twice, flip one bit) from a rule set, the frame's bytes, its direction and
 * the time, and nothing else. No system calls, no clock, no allocation: time
 * comes in as an argument (monotonic microseconds) and random numbers come
 * from the engine's own generator seeded from params.seed, so the same frames
 * at the same times give the same decisions (a run repeats).
 *
 * Users: synackd's link (daemon/link/link_impair.c) and the benchmark's TAP-to-TAP
 * forwarder (tests/bench/). Link with dep_impair (meson) and include
 * "impair.h" (decisions), "impair_queue.h" (frames held back until their
 * time) and "impair_seg.h" (cutting a TCPv4 super-frame into wire-sized
 * frames with full checksums, so impairments act on what a wire carries).
 *
 * How to use it, per frame:
 *
 *   struct impair im;
 *   impair_init(&im, &params);                  // or impair_set() to change live
 *   struct impair_verdict v;
 *   impair_frame(&im, IMPAIR_IN, frame, len, now_us, &v);
 *   // frame may have had one bit flipped in place (v.flags & IMPAIR_F_CORRUPTED)
 *   for (i = 0; i < v.copies; i++)
 *       if (v.copy[i].at_us <= now_us && !v.copy[i].after_frames)
 *           deliver(frame);                      // now
 *       else
 *           impair_queue_push(&q, dir, frame, len, &v.copy[i]);   // later
 *   // after each frame delivered in a direction: impair_queue_passed(&q, dir, now)
 *   // when impair_queue_next_at(&q) is reached: impair_queue_pop_due(&q, now, ...)
 *
 * What the parameters mean (struct impair_params; 0 everywhere = no effect):
 * - dirs: which directions the rule acts on (IMPAIR_DIR_BIT(IMPAIR_IN) | ...).
 * - match: which segments (IMPAIR_MATCH_* bits; 0 = every frame, ARP included).
 *   A frame matches when any of its kinds is in the mask: a SYN-ACK is
 *   IMPAIR_MATCH_SYNACK only, a FIN with data is both FIN and DATA.
 * - loss_ppm: each frame lost independently with this probability.
 * - Gilbert-Elliott bursts (ge_*): a two-state chain stepped once per matched
 *   frame; GOOD -> BAD with ge_p_ppm, BAD -> GOOD with ge_r_ppm (so a burst
 *   lasts 1/r frames on average); in BAD a frame is lost with ge_bad_loss_ppm,
 *   in GOOD with ge_good_loss_ppm. Off while ge_p_ppm is 0.
 * - dup_ppm: a frame is delivered twice; the copy dup_delay_us after the
 *   original (0: right behind it).
 * - reorder_ppm: a frame is held back until reorder_frames later frames of its
 *   direction were delivered, or reorder_us passed, whichever comes first
 *   (reorder_frames 0: held exactly reorder_us).
 * - corrupt_ppm: one bit of the IPv4 payload (the TCP/UDP/ICMP header or data,
 *   never the Ethernet or IP header) is flipped, so the transport checksum
 *   fails; frames other than IPv4 are left alone.
 * - delay_us, jitter_us: every frame waits delay +- jitter (uniform); with
 *   jitter, frames may overtake each other, as on a real path.
 * - rate_bps: a token bucket of rate_burst bytes (0: IMPAIR_RATE_BURST_DEF)
 *   filled at rate_bps bits per second; a frame without tokens waits for them,
 *   and one that would wait longer than rate_queue_us (0: the default) is
 *   dropped (counted as rate-limited).
 * Order of the steps for a matched frame: loss (independent, then
 * Gilbert-Elliott), rate limit, corruption, delay/jitter, reordering,
 * duplication.
 */
#ifndef SYNACK_IMPAIR_H
#define SYNACK_IMPAIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum impair_dir {
	IMPAIR_IN = 0,	/* from the link (the kernel) towards the stack */
	IMPAIR_OUT = 1, /* from the stack towards the link */
	IMPAIR_DIRS = 2,
};
#define IMPAIR_DIR_BIT(d) (1u << (d))
#define IMPAIR_DIRS_BOTH  (IMPAIR_DIR_BIT(IMPAIR_IN) | IMPAIR_DIR_BIT(IMPAIR_OUT))

/* Kinds of frame a rule can target (struct impair_params.match). */
enum impair_match {
	IMPAIR_MATCH_SYN = 1u << 0,    /* TCP SYN without ACK */
	IMPAIR_MATCH_SYNACK = 1u << 1, /* TCP SYN with ACK */
	IMPAIR_MATCH_FIN = 1u << 2,    /* TCP FIN */
	IMPAIR_MATCH_RST = 1u << 3,    /* TCP RST */
	IMPAIR_MATCH_ACK = 1u << 4,    /* pure ACK: ACK only, no payload */
	IMPAIR_MATCH_DATA = 1u << 5,   /* TCP with payload */
	IMPAIR_MATCH_OTHER = 1u << 6,  /* not TCP over IPv4 (ARP, ICMP, ...) */
	IMPAIR_MATCH_ALL = (1u << 7) - 1,
};

#define IMPAIR_RATE_BURST_DEF	 (16u * 1024) /* bytes */
#define IMPAIR_RATE_QUEUE_US_DEF 100000u      /* longest wait for tokens */
#define IMPAIR_COPIES_MAX	 2

struct impair_params {
	uint64_t seed;
	uint32_t dirs;	/* IMPAIR_DIR_BIT()s; 0 = the rule is off */
	uint32_t match; /* IMPAIR_MATCH_* bits; 0 = every frame */
	uint32_t loss_ppm;
	uint32_t ge_p_ppm, ge_r_ppm, ge_bad_loss_ppm, ge_good_loss_ppm;
	uint32_t dup_ppm;
	uint64_t dup_delay_us;
	uint32_t reorder_ppm;
	uint32_t reorder_frames;
	uint64_t reorder_us;
	uint32_t corrupt_ppm;
	uint64_t delay_us, jitter_us;
	uint64_t rate_bps;
	uint32_t rate_burst;	/* bytes */
	uint64_t rate_queue_us; /* longest wait for tokens before a drop */
};

/* What impair_frame() decided (flags say why). */
enum impair_flag {
	IMPAIR_F_DROPPED = 1u << 0,	 /* lost (independent or Gilbert-Elliott) */
	IMPAIR_F_DUPLICATED = 1u << 1,	 /* two copies */
	IMPAIR_F_REORDERED = 1u << 2,	 /* held back behind later frames */
	IMPAIR_F_CORRUPTED = 1u << 3,	 /* one bit flipped in place */
	IMPAIR_F_DELAYED = 1u << 4,	 /* delay or jitter applied */
	IMPAIR_F_RATE_LIMITED = 1u << 5, /* dropped: no tokens within rate_queue_us */
	IMPAIR_F_RATE_WAIT = 1u << 6,	 /* waited for tokens */
	IMPAIR_F_MATCHED = 1u << 7,	 /* the rule applied to this frame at all */
};

struct impair_copy {
	uint64_t at_us;	       /* deliver no earlier than this (<= now: now) */
	uint32_t after_frames; /* ... or, when > 0, once this many later frames passed */
};

struct impair_verdict {
	unsigned copies; /* 0: dropped */
	struct impair_copy copy[IMPAIR_COPIES_MAX];
	uint32_t flags;	      /* enum impair_flag */
	uint32_t flipped_bit; /* with IMPAIR_F_CORRUPTED: bit index from the frame start */
};

/* Counters per direction (what the flags said, summed). */
struct impair_counters {
	uint64_t frames, matched, dropped, duplicated, reordered, corrupted, delayed, rate_limited;
};

struct impair {
	struct impair_params p;
	uint64_t rng[4];    /* xoshiro256** state, from splitmix64(seed) */
	bool ge_bad;	    /* Gilbert-Elliott state */
	uint64_t tokens_at; /* token bucket: when tokens was last brought up to date */
	uint64_t tokens_mb; /* millionths of a bit in the bucket */
	bool tokens_valid;  /* false: the bucket is full (fresh, or the rate changed) */
	uint64_t rate_free; /* a waiting frame's tokens are spent up to this time */
	struct impair_counters ctr[IMPAIR_DIRS];
};

/* Start from params (copied), counters zero, the generator seeded. */
void impair_init(struct impair *im, const struct impair_params *params);
/* Change the rule while running; counters are kept, the generator and the
 * Gilbert-Elliott and token state are reset only when the seed changed. */
void impair_set(struct impair *im, const struct impair_params *params);
/* Does the rule do anything at all (some probability, delay or rate set)? */
bool impair_params_active(const struct impair_params *p);
/* Does the rule act on frames of this direction? (then offloads are undone) */
bool impair_active(const struct impair *im, enum impair_dir dir);

/*
 * Decide the fate of one wire-sized frame (Ethernet header first). frame may
 * be modified in place (a flipped bit). Writes *ret; returns the number of
 * copies to deliver (0 = drop).
 */
unsigned impair_frame(struct impair *im, enum impair_dir dir, uint8_t *frame, size_t len,
		      uint64_t now_us, struct impair_verdict *ret);

/* The IMPAIR_MATCH_* kinds of a frame (IMPAIR_MATCH_OTHER when not TCP/IPv4). */
uint32_t impair_classify(const uint8_t *frame, size_t len);
/* "syn,synack" -> mask; 0 or -EINVAL. "all" and "any" give IMPAIR_MATCH_ALL. */
int impair_match_parse(const char *s, uint32_t *ret);
/* mask -> "syn,fin" ("all" for every kind); returns the length or -ENOBUFS. */
int impair_match_format(uint32_t mask, char *buf, size_t len);

/* The engine's generator, exposed for tests: uniform 64-bit values. */
uint64_t impair_rand(struct impair *im);

#endif
