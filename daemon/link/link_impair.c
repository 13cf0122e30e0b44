/* SPDX-License-Identifier: MIT */
/*
 * link_impair.c - the impairment stage between the TAP and the core (see
 * link_impair.h): offloads undone (impair_seg), each wire-sized frame judged
 * by the engine (impair), frames held back in the bounded queue
 * (impair_queue) until the one timer releases them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "impair_seg.h"
#include "link.h"
#include "link_impair.h"
#include "log.h"

static uint64_t link_impair_now(void)
{
	return uv_hrtime() / 1000;
}

int link_impair_init(struct link_impair *li, struct link *l)
{
	struct impair_params none = { .seed = 1 };
	int r;

	memset(li, 0, sizeof(*li));
	li->link = l;
	li->scratch = malloc(2 * (size_t)IMPAIR_SEG_SCRATCH);
	if (!li->scratch)
		return -ENOMEM;
	r = impair_queue_init(&li->q, IMPAIR_QUEUE_FRAMES_DEF, IMPAIR_QUEUE_BYTES_DEF);
	if (r < 0) {
		free(li->scratch);
		li->scratch = NULL;
		return r;
	}
	impair_init(&li->engine, &none);
	return 0;
}

void link_impair_free(struct link_impair *li)
{
	impair_queue_free(&li->q);
	free(li->scratch);
	li->scratch = NULL;
}

void link_impair_params(const struct config_impair *c, struct impair_params *p)
{
	static const uint32_t dirs[] = {
		[CONFIG_IMPAIR_BOTH] = IMPAIR_DIRS_BOTH,
		[CONFIG_IMPAIR_IN] = IMPAIR_DIR_BIT(IMPAIR_IN),
		[CONFIG_IMPAIR_OUT] = IMPAIR_DIR_BIT(IMPAIR_OUT),
	};

	memset(p, 0, sizeof(*p));
	p->seed = c->seed;
	p->dirs = (unsigned)c->direction < 3 ? dirs[c->direction] : 0;
	/* config bit i is config_impair_match_names[i], laid out as IMPAIR_MATCH_* */
	p->match = c->match & IMPAIR_MATCH_ALL;
	p->loss_ppm = c->loss_ppm;
	p->ge_p_ppm = c->ge_p_ppm;
	p->ge_r_ppm = c->ge_r_ppm;
	p->ge_bad_loss_ppm = c->ge_bad_loss_ppm;
	p->ge_good_loss_ppm = c->ge_good_loss_ppm;
	p->dup_ppm = c->duplicate_ppm;
	p->dup_delay_us = c->duplicate_delay_us;
	p->reorder_ppm = c->reorder_ppm;
	p->reorder_frames = c->reorder_frames;
	p->reorder_us = c->reorder_time_us;
	p->corrupt_ppm = c->corrupt_ppm;
	p->delay_us = c->delay_us;
	p->jitter_us = c->jitter_us;
	p->rate_bps = c->rate_bps;
}

_Static_assert(IMPAIR_MATCH_SYN == 1 << 0 && IMPAIR_MATCH_SYNACK == 1 << 1 &&
		       IMPAIR_MATCH_FIN == 1 << 2 && IMPAIR_MATCH_RST == 1 << 3 &&
		       IMPAIR_MATCH_ACK == 1 << 4 && IMPAIR_MATCH_DATA == 1 << 5 &&
		       IMPAIR_MATCH_OTHER == 1 << 6,
	       "config_impair_match_names[] is in IMPAIR_MATCH_* bit order");

void link_impair_apply(struct link_impair *li, const struct config_impair *c)
{
	struct impair_params p;

	link_impair_params(c, &p);
	impair_set(&li->engine, &p);
	li->on[IMPAIR_IN] = impair_active(&li->engine, IMPAIR_IN);
	li->on[IMPAIR_OUT] = impair_active(&li->engine, IMPAIR_OUT);
}

/* ------------------------------------------------------------ delivery */

static void link_impair_arm(struct link_impair *li);

static void link_impair_deliver(struct link_impair *li, enum impair_dir dir, const uint8_t *frame,
				size_t len, uint64_t now)
{
	static const struct stack_frame_meta plain; /* checksums complete: the core checks them */

	if (dir == IMPAIR_IN)
		stack_input(li->link->stack, now, frame, len, &plain);
	else
		link_write(li->link, frame, len, NULL);
	impair_queue_passed(&li->q, dir, now);
}

static void link_impair_timer_cb(uv_timer_t *t)
{
	struct link_impair *li = t->data;
	uint64_t now = link_impair_now();
	struct impair_qframe *f;

	while ((f = impair_queue_pop_due(&li->q, now))) {
		link_impair_deliver(li, (enum impair_dir)f->dir, f->data, f->len, now);
		impair_queue_release(&li->q, f);
	}
	link_impair_arm(li);
	if (li->link->kick)
		li->link->kick(li->link->ctx); /* the core has input, or room to send */
}

static void link_impair_arm(struct link_impair *li)
{
	uint64_t at = impair_queue_next_at(&li->q), now = link_impair_now();

	if (!li->timer_on)
		return;
	if (at == IMPAIR_TIME_NEVER) {
		uv_timer_stop(&li->timer);
		return;
	}
	/* libuv timers have millisecond resolution: never early, at most 1 ms late */
	uv_timer_start(&li->timer, link_impair_timer_cb, at > now ? (at - now + 999) / 1000 : 0, 0);
}

void link_impair_start(struct link_impair *li, uv_loop_t *loop)
{
	uv_timer_init(loop, &li->timer);
	li->timer.data = li;
	li->timer_on = true;
	link_impair_arm(li);
}

void link_impair_stop(struct link_impair *li)
{
	if (!li->timer_on)
		return;
	li->timer_on = false;
	uv_timer_stop(&li->timer);
	uv_close((uv_handle_t *)&li->timer, NULL);
}

/* ------------------------------------------------------------ one wire frame */

struct link_impair_ctx {
	struct link_impair *li;
	enum impair_dir dir;
	uint64_t now;
};

static int link_impair_one(void *ctx, uint8_t *frame, size_t len)
{
	struct link_impair_ctx *x = ctx;
	struct link_impair *li = x->li;
	struct impair_verdict v;
	unsigned now_copies = 0;

	impair_frame(&li->engine, x->dir, frame, len, x->now, &v);
	for (unsigned i = 0; i < v.copies; i++) {
		if (v.copy[i].at_us <= x->now && !v.copy[i].after_frames) {
			now_copies++; /* delivered once the later copies are queued */
			continue;
		}
		/* past the bound: counted in the queue's overflow, the frame is lost */
		impair_queue_push(&li->q, x->dir, frame, len, &v.copy[i]);
	}
	while (now_copies--)
		link_impair_deliver(li, x->dir, frame, len, x->now);
	return 0;
}

static int link_impair_cut(struct link_impair *li, enum impair_dir dir, const uint8_t *frame,
			   size_t len, const struct stack_frame_meta *meta)
{
	struct link_impair_ctx x = { .li = li, .dir = dir, .now = link_impair_now() };
	struct impair_seg_in in = { 0 };
	int r;

	if (meta) {
		in.csum_partial = meta->csum_partial;
		in.csum_start = meta->csum_start;
		in.csum_offset = meta->csum_offset;
		if (meta->gso_type == STACK_GSO_TCPV4)
			in.gso_size = meta->gso_size;
	}
	r = impair_seg_split(frame, len, &in, li->scratch + (size_t)dir * IMPAIR_SEG_SCRATCH,
			     link_impair_one, &x);
	if (r < 0) {
		li->seg_errors++;
		log_once(&li->link->logged_hdr, LOG_WARNING,
			 "impair: dropping a super-frame that cannot be cut into segments (%s)",
			 strerror(-r));
	}
	link_impair_arm(li);
	return r < 0 ? r : 0;
}

void link_impair_input(struct link_impair *li, const uint8_t *frame, size_t len,
		       const struct stack_frame_meta *meta)
{
	link_impair_cut(li, IMPAIR_IN, frame, len, meta);
}

int link_impair_output(struct link_impair *li, const uint8_t *frame, size_t len,
		       const struct stack_frame_meta *meta)
{
	return link_impair_cut(li, IMPAIR_OUT, frame, len, meta);
}

void link_impair_counters(const struct link_impair *li, struct link_impair_counter *v)
{
	const struct impair_counters *in = &li->engine.ctr[IMPAIR_IN];
	const struct impair_counters *out = &li->engine.ctr[IMPAIR_OUT];
	const struct link_impair_counter c[] = {
		{ "SynackImpairInMatched", in->matched, false },
		{ "SynackImpairInDropped", in->dropped, false },
		{ "SynackImpairInDuplicated", in->duplicated, false },
		{ "SynackImpairInReordered", in->reordered, false },
		{ "SynackImpairInCorrupted", in->corrupted, false },
		{ "SynackImpairInDelayed", in->delayed, false },
		{ "SynackImpairInRateLimited", in->rate_limited, false },
		{ "SynackImpairOutMatched", out->matched, false },
		{ "SynackImpairOutDropped", out->dropped, false },
		{ "SynackImpairOutDuplicated", out->duplicated, false },
		{ "SynackImpairOutReordered", out->reordered, false },
		{ "SynackImpairOutCorrupted", out->corrupted, false },
		{ "SynackImpairOutDelayed", out->delayed, false },
		{ "SynackImpairOutRateLimited", out->rate_limited, false },
		{ "SynackImpairQueueOverflow", li->q.overflow, false },
		{ "SynackImpairHeld", impair_queue_frames(&li->q), true },
		{ "SynackImpairSegErrors", li->seg_errors, false },
	};
	_Static_assert(sizeof(c) / sizeof(c[0]) == LINK_IMPAIR_COUNTERS,
		       "LINK_IMPAIR_COUNTERS counts the impairment's counters");

	memcpy(v, c, sizeof(c));
}
