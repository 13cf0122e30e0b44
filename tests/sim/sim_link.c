/* SPDX-License-Identifier: MIT */
/*
 * sim_link.c - one direction of the simulator's impaired link (see
 * sim_link.h): a bounded transmit queue with a serialisation rate, a delay
 * line with jitter, and seeded loss (independent, and in Gilbert-Elliott
 * bursts), duplication, reordering and corruption.
 * Frames in flight sit in a min-heap ordered by delivery time, then by the
 * order they were sent, so delivery is deterministic.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim_link.h"

/* Hard cap on frames in flight, whatever the parameters say: memory stays bounded. */
#define SIM_LINK_MAX_FRAMES 65536u
#define SIM_LINK_ETH_HLEN   14

const char *sim_link_fate_name(enum sim_link_fate fate)
{
	switch (fate) {
	case SIM_LINK_REFUSED:
		return "refused (queue full)";
	case SIM_LINK_LOST:
		return "lost";
	case SIM_LINK_DUPLICATED:
		return "duplicated";
	case SIM_LINK_REORDERED:
		return "reordered";
	case SIM_LINK_CORRUPTED:
		return "corrupted";
	}
	return "?";
}

int sim_link_init(struct sim_link *l, const struct sim_link_params *p, uint64_t seed,
		  uint64_t stream)
{
	if (p->delay_us == 0 || p->queue_limit == 0)
		return -EINVAL;
	memset(l, 0, sizeof(*l));
	l->p = *p;
	if (l->p.queue_limit > SIM_LINK_MAX_FRAMES)
		l->p.queue_limit = SIM_LINK_MAX_FRAMES;
	sim_rng_seed(&l->rng, seed, stream);
	l->departures = calloc(l->p.queue_limit, sizeof(*l->departures));
	if (!l->departures)
		return -ENOMEM;
	return 0;
}

void sim_link_free(struct sim_link *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->heap[i].data);
	free(l->heap);
	free(l->departures);
	l->heap = NULL;
	l->departures = NULL;
	l->n = l->cap = 0;
}

static bool sim_frame_before(const struct sim_frame *a, const struct sim_frame *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

static void sim_frame_swap(struct sim_frame *a, struct sim_frame *b)
{
	struct sim_frame t = *a;

	*a = *b;
	*b = t;
}

static void sim_link_sift_up(struct sim_link *l, size_t i)
{
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!sim_frame_before(&l->heap[i], &l->heap[parent]))
			break;
		sim_frame_swap(&l->heap[i], &l->heap[parent]);
		i = parent;
	}
}

static void sim_link_sift_down(struct sim_link *l, size_t i)
{
	for (;;) {
		size_t left = 2 * i + 1, right = left + 1, min = i;

		if (left < l->n && sim_frame_before(&l->heap[left], &l->heap[min]))
			min = left;
		if (right < l->n && sim_frame_before(&l->heap[right], &l->heap[min]))
			min = right;
		if (min == i)
			return;
		sim_frame_swap(&l->heap[i], &l->heap[min]);
		i = min;
	}
}

/* Put a copy of frame in flight, to arrive at at. */
static int sim_link_enqueue(struct sim_link *l, stack_time_us at, const uint8_t *frame, size_t len,
			    const struct stack_frame_meta *meta)
{
	struct sim_frame *f;

	if (l->n >= SIM_LINK_MAX_FRAMES)
		return -ENOBUFS;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct sim_frame *h = realloc(l->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		l->heap = h;
		l->cap = cap;
	}
	f = &l->heap[l->n];
	f->data = malloc(len);
	if (!f->data)
		return -ENOMEM;
	memcpy(f->data, frame, len);
	f->len = len;
	f->has_meta = meta != NULL;
	f->meta = meta ? *meta : (struct stack_frame_meta){ 0 };
	f->at = at;
	f->order = l->next_order++;
	l->n++;
	sim_link_sift_up(l, l->n - 1);
	return 0;
}

static void sim_link_log(struct sim_link *l, stack_time_us now, enum sim_link_fate fate, size_t len)
{
	if (l->log)
		l->log(l->log_ctx, now, fate, len);
}

/* Forget serialisations finished by now. */
static void sim_link_expire_departures(struct sim_link *l, stack_time_us now)
{
	while (l->dep_n && l->departures[l->dep_head] <= now) {
		l->dep_head = (l->dep_head + 1) % l->p.queue_limit;
		l->dep_n--;
	}
}

uint32_t sim_link_backlog(struct sim_link *l, stack_time_us now)
{
	sim_link_expire_departures(l, now);
	if (l->p.rate_bps == 0)
		return (uint32_t)(l->n < SIM_LINK_MAX_FRAMES ? l->n : SIM_LINK_MAX_FRAMES);
	return (uint32_t)l->dep_n;
}

stack_time_us sim_link_next_departure(const struct sim_link *l)
{
	if (l->p.rate_bps == 0)
		return sim_link_next(l);
	return l->dep_n ? l->departures[l->dep_head] : STACK_TIME_NEVER;
}

size_t sim_link_in_flight(const struct sim_link *l)
{
	return l->n;
}

/* When the last bit of a len-byte frame offered at now leaves the sender. */
static stack_time_us sim_link_serialise(struct sim_link *l, stack_time_us now, size_t len)
{
	uint64_t tx_us;

	if (l->p.rate_bps == 0)
		return now;
	tx_us = ((uint64_t)len * 8 * 1000000 + l->p.rate_bps - 1) / l->p.rate_bps;
	if (l->tx_free_at < now)
		l->tx_free_at = now;
	l->tx_free_at += tx_us;
	l->departures[(l->dep_head + l->dep_n) % l->p.queue_limit] = l->tx_free_at;
	l->dep_n++;
	return l->tx_free_at;
}

/* Delivery time of a frame that left the sender at departed. */
static stack_time_us sim_link_arrival(struct sim_link *l, stack_time_us departed, bool reorder)
{
	stack_time_us at = departed + l->p.delay_us + sim_rng_below(&l->rng, l->p.jitter_us + 1);

	if (reorder)
		return at + 1 + sim_rng_below(&l->rng, l->p.reorder_us);
	/* in-order frames never overtake each other, jitter or not */
	if (at < l->last_fifo_at)
		at = l->last_fifo_at;
	l->last_fifo_at = at;
	return at;
}

/*
 * Only IPv4 frames are corrupted, and only past the Ethernet header: a real
 * link's FCS catches damage anywhere, so what we model is damage that slipped
 * past it, which the IPv4 header checksum and the TCP/ICMP checksums must
 * catch. ARP has no checksum of its own; a flipped ARP byte would poison a
 * cache, which no stack can detect.
 */
static bool sim_link_corruptible(const uint8_t *frame, size_t len)
{
	return len > SIM_LINK_ETH_HLEN && frame[12] == 0x08 && frame[13] == 0x00;
}

/* A copy of frame with one byte flipped, which checksums must catch. */
static uint8_t *sim_link_corrupt(struct sim_link *l, const uint8_t *frame, size_t len)
{
	uint8_t *bad = malloc(len);
	size_t at = SIM_LINK_ETH_HLEN + sim_rng_below(&l->rng, len - SIM_LINK_ETH_HLEN);

	if (!bad)
		return NULL;
	memcpy(bad, frame, len);
	bad[at] ^= (uint8_t)(1 + sim_rng_below(&l->rng, 255));
	return bad;
}

/*
 * The chance that the two-state chain is bad n steps after a known state:
 * with p = enter, r = leave and x = 1 - p - r, bad after n steps is
 * pi + (1 - pi) x^n from bad and pi (1 - x^n) from good, pi = p / (p + r).
 */
static uint32_t sim_link_ge_bad_ppm(const struct sim_link *l, uint64_t n)
{
	double p = l->p.ge_enter_ppm / 1e6, r = l->p.ge_leave_ppm / 1e6;
	double pi = p / (p + r), xn = pow(1.0 - p - r, (double)n);

	return (uint32_t)(1e6 * (l->ge_bad ? pi + (1.0 - pi) * xn : pi * (1.0 - xn)));
}

/* Gilbert-Elliott: move the channel up to this frame; true when it loses the frame. */
static bool sim_link_ge_lose(struct sim_link *l, stack_time_us now)
{
	uint64_t n = 1;

	if (!l->p.ge_enter_ppm)
		return false;
	if (l->p.ge_slot_us) {
		n = now > l->ge_at ? (now - l->ge_at) / l->p.ge_slot_us : 0;
		if (n == 0)
			n = 1; /* back-to-back frames: one slot each */
		l->ge_at = now;
	}
	if (n == 1 && l->ge_bad)
		l->ge_bad = !sim_rng_ppm(&l->rng, l->p.ge_leave_ppm);
	else if (n == 1)
		l->ge_bad = sim_rng_ppm(&l->rng, l->p.ge_enter_ppm);
	else
		l->ge_bad = sim_rng_ppm(&l->rng, sim_link_ge_bad_ppm(l, n));
	return l->ge_bad && sim_rng_ppm(&l->rng, l->p.ge_loss_ppm);
}

/* Count runs of frames lost (or refused) one after another. */
static void sim_link_note_loss(struct sim_link *l, bool lost)
{
	if (lost && !l->last_lost)
		l->stats.loss_runs++;
	l->last_lost = lost;
}

int sim_link_send(struct sim_link *l, stack_time_us now, const uint8_t *frame, size_t len)
{
	return sim_link_send_meta(l, now, frame, len, NULL);
}

int sim_link_send_meta(struct sim_link *l, stack_time_us now, const uint8_t *frame, size_t len,
		       const struct stack_frame_meta *meta)
{
	bool lost, dup, reorder, corrupt;
	stack_time_us departed;
	uint8_t *bad = NULL;
	int r;

	if (len == 0)
		return -EINVAL;
	l->stats.offered++;
	if (sim_link_backlog(l, now) >= l->p.queue_limit) {
		sim_link_note_loss(l, true);
		l->stats.refused++;
		sim_link_log(l, now, SIM_LINK_REFUSED, len);
		return -ENOBUFS;
	}
	/* draw every fate for every frame so one choice never shifts the others */
	lost = sim_rng_ppm(&l->rng, l->p.loss_ppm);
	dup = sim_rng_ppm(&l->rng, l->p.dup_ppm);
	reorder = sim_rng_ppm(&l->rng, l->p.reorder_ppm);
	corrupt =
		sim_rng_ppm(&l->rng, l->p.corrupt_ppm) && sim_link_corruptible(frame, len) && !meta;
	if (sim_link_ge_lose(l, now) && !lost) {
		lost = true;
		l->stats.ge_lost++;
	}
	sim_link_note_loss(l, lost);
	departed = sim_link_serialise(l, now, len);
	if (lost) {
		l->stats.lost++;
		sim_link_log(l, now, SIM_LINK_LOST, len);
		return 0;
	}
	if (corrupt) {
		bad = sim_link_corrupt(l, frame, len);
		if (!bad)
			return -ENOMEM;
		l->stats.corrupted++;
		sim_link_log(l, now, SIM_LINK_CORRUPTED, len);
	}
	if (reorder) {
		l->stats.reordered++;
		sim_link_log(l, now, SIM_LINK_REORDERED, len);
	}
	r = sim_link_enqueue(l, sim_link_arrival(l, departed, reorder), bad ? bad : frame, len,
			     meta);
	free(bad);
	if (r < 0)
		return r;
	if (dup) {
		/* the copy is intact and travels on its own */
		l->stats.duplicated++;
		sim_link_log(l, now, SIM_LINK_DUPLICATED, len);
		r = sim_link_enqueue(l, sim_link_arrival(l, departed, false), frame, len, meta);
	}
	return r < 0 ? r : 0;
}

stack_time_us sim_link_next(const struct sim_link *l)
{
	return l->n ? l->heap[0].at : STACK_TIME_NEVER;
}

bool sim_link_pop(struct sim_link *l, stack_time_us now, struct sim_frame *ret)
{
	if (!l->n || l->heap[0].at > now)
		return false;
	*ret = l->heap[0];
	l->n--;
	if (l->n) {
		l->heap[0] = l->heap[l->n];
		sim_link_sift_down(l, 0);
	}
	l->stats.delivered++;
	return true;
}
