/* SPDX-License-Identifier: MIT */
/*
 * impair_queue.c - the bounded queue of frames the impairment engine holds
 * back (see impair_queue.h): a binary min-heap by (due time, push order) for
 * frames due by time, and a short list of frames waiting for a number of
 * later frames of their direction to pass (reordering), each with a time cap.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "impair_queue.h"

int impair_queue_init(struct impair_queue *q, unsigned max_frames, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	if (max_frames == 0)
		return -EINVAL;
	q->heap = calloc(max_frames, sizeof(*q->heap));
	q->counting = calloc(max_frames, sizeof(*q->counting));
	if (!q->heap || !q->counting) {
		impair_queue_free(q);
		return -ENOMEM;
	}
	q->cap = max_frames;
	q->max_bytes = max_bytes;
	return 0;
}

void impair_queue_free(struct impair_queue *q)
{
	if (q->heap || q->counting)
		impair_queue_flush(q);
	free(q->heap);
	free(q->counting);
	q->heap = q->counting = NULL;
	q->cap = 0;
}

static bool impair_qf_before(const struct impair_qframe *a, const struct impair_qframe *b)
{
	return a->at_us < b->at_us || (a->at_us == b->at_us && a->seq < b->seq);
}

static void impair_heap_up(struct impair_queue *q, unsigned i)
{
	while (i > 0) {
		unsigned parent = (i - 1) / 2;
		struct impair_qframe *t;

		if (!impair_qf_before(q->heap[i], q->heap[parent]))
			break;
		t = q->heap[i];
		q->heap[i] = q->heap[parent];
		q->heap[parent] = t;
		i = parent;
	}
}

static void impair_heap_down(struct impair_queue *q, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;
		struct impair_qframe *t;

		if (l < q->n_heap && impair_qf_before(q->heap[l], q->heap[m]))
			m = l;
		if (r < q->n_heap && impair_qf_before(q->heap[r], q->heap[m]))
			m = r;
		if (m == i)
			return;
		t = q->heap[i];
		q->heap[i] = q->heap[m];
		q->heap[m] = t;
		i = m;
	}
}

static void impair_heap_push(struct impair_queue *q, struct impair_qframe *f)
{
	q->heap[q->n_heap] = f;
	impair_heap_up(q, q->n_heap++);
}

int impair_queue_push(struct impair_queue *q, enum impair_dir dir, const uint8_t *frame, size_t len,
		      const struct impair_copy *c)
{
	struct impair_qframe *f;

	if (q->n_heap + q->n_counting >= q->cap || q->bytes + len > q->max_bytes ||
	    len > UINT32_MAX) {
		q->overflow++;
		return -ENOBUFS;
	}
	f = malloc(sizeof(*f) + len);
	if (!f)
		return -ENOMEM;
	f->at_us = c->at_us;
	f->seq = q->seq++;
	f->after = c->after_frames;
	f->dir = (uint8_t)dir;
	f->len = (uint32_t)len;
	memcpy(f->data, frame, len);
	q->bytes += len;
	if (f->after)
		q->counting[q->n_counting++] = f;
	else
		impair_heap_push(q, f);
	if (q->n_heap + q->n_counting > q->peak_frames)
		q->peak_frames = q->n_heap + q->n_counting;
	return 0;
}

/* Move counting frame i to the heap, due at at_us; keeps the list's order. */
static void impair_counting_release(struct impair_queue *q, unsigned i, uint64_t at_us)
{
	struct impair_qframe *f = q->counting[i];

	memmove(&q->counting[i], &q->counting[i + 1], (q->n_counting - i - 1) * sizeof(f));
	q->n_counting--;
	f->after = 0;
	if (at_us < f->at_us)
		f->at_us = at_us;
	impair_heap_push(q, f);
}

void impair_queue_passed(struct impair_queue *q, enum impair_dir dir, uint64_t now_us)
{
	unsigned i = 0;

	while (i < q->n_counting) {
		struct impair_qframe *f = q->counting[i];

		if (f->dir == dir && --f->after == 0)
			impair_counting_release(q, i, now_us);
		else
			i++;
	}
}

struct impair_qframe *impair_queue_pop_due(struct impair_queue *q, uint64_t now_us)
{
	struct impair_qframe *f;
	unsigned i = 0;

	/* counting frames whose time cap passed become due by time */
	while (i < q->n_counting) {
		if (q->counting[i]->at_us <= now_us)
			impair_counting_release(q, i, now_us);
		else
			i++;
	}
	if (q->n_heap == 0 || q->heap[0]->at_us > now_us)
		return NULL;
	f = q->heap[0];
	q->heap[0] = q->heap[--q->n_heap];
	if (q->n_heap)
		impair_heap_down(q, 0);
	q->bytes -= f->len;
	return f;
}

void impair_queue_release(struct impair_queue *q, struct impair_qframe *f)
{
	(void)q;
	free(f);
}

uint64_t impair_queue_next_at(const struct impair_queue *q)
{
	uint64_t at = q->n_heap ? q->heap[0]->at_us : IMPAIR_TIME_NEVER;

	for (unsigned i = 0; i < q->n_counting; i++)
		if (q->counting[i]->at_us < at)
			at = q->counting[i]->at_us;
	return at;
}

unsigned impair_queue_frames(const struct impair_queue *q)
{
	return q->n_heap + q->n_counting;
}

unsigned impair_queue_flush(struct impair_queue *q)
{
	unsigned n = q->n_heap + q->n_counting;

	for (unsigned i = 0; i < q->n_heap; i++)
		free(q->heap[i]);
	for (unsigned i = 0; i < q->n_counting; i++)
		free(q->counting[i]);
	q->n_heap = q->n_counting = 0;
	q->bytes = 0;
	return n;
}
