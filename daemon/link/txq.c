/* SPDX-License-Identifier: MIT */
/*
 * txq.c - the link's bounded FIFO of frames waiting for a writable TAP
 * (see txq.h). Each queued frame is one allocation; the queue is empty
 * except while the kernel pushes back, so this costs nothing in steady state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "txq.h"

int txq_init(struct txq *q, unsigned max_frames, size_t max_bytes)
{
	if (max_frames == 0)
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->ring = calloc(max_frames, sizeof(*q->ring));
	if (!q->ring)
		return -ENOMEM;
	q->cap = max_frames;
	q->max_bytes = max_bytes;
	return 0;
}

void txq_free(struct txq *q)
{
	if (!q || !q->ring)
		return;
	while (!txq_empty(q))
		txq_pop(q);
	free(q->ring);
	q->ring = NULL;
}

int txq_push(struct txq *q, const uint8_t *hdr, size_t hdr_len, const uint8_t *frame, size_t len)
{
	size_t total = hdr_len + len;
	struct txq_frame *f;

	if (q->count == q->cap || q->bytes + total > q->max_bytes)
		return -ENOBUFS;
	f = malloc(sizeof(*f) + total);
	if (!f)
		return -ENOMEM;
	f->len = total;
	if (hdr_len)
		memcpy(f->data, hdr, hdr_len);
	memcpy(f->data + hdr_len, frame, len);
	q->ring[(q->head + q->count) % q->cap] = f;
	q->count++;
	q->bytes += total;
	return 0;
}

const struct txq_frame *txq_peek(const struct txq *q)
{
	return q->count ? q->ring[q->head] : NULL;
}

void txq_pop(struct txq *q)
{
	struct txq_frame *f;

	if (!q->count)
		return;
	f = q->ring[q->head];
	q->ring[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->count--;
	q->bytes -= f->len;
	free(f);
}

bool txq_empty(const struct txq *q)
{
	return q->count == 0;
}
