/* SPDX-License-Identifier: MIT */
/*
 * heap.c - a binary min-heap of deadlines over caller-provided storage. Each
 * node remembers its position (index + 1), so any node can be moved or
 * removed in O(log n) without a search. Used for the stack's timers.
 */
#include <errno.h>
#include <stddef.h>

#include "heap.h"

void heap_init(struct heap *h, struct heap_node **storage, uint32_t cap)
{
	h->v = storage;
	h->n = 0;
	h->cap = storage ? cap : 0;
}

static void heap_place(struct heap *h, uint32_t i, struct heap_node *node)
{
	h->v[i] = node;
	node->pos = i + 1;
}

static void heap_sift_up(struct heap *h, uint32_t i)
{
	struct heap_node *node = h->v[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (h->v[parent]->at <= node->at)
			break;
		heap_place(h, i, h->v[parent]);
		i = parent;
	}
	heap_place(h, i, node);
}

static void heap_sift_down(struct heap *h, uint32_t i)
{
	struct heap_node *node = h->v[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->v[child + 1]->at < h->v[child]->at)
			child++;
		if (node->at <= h->v[child]->at)
			break;
		heap_place(h, i, h->v[child]);
		i = child;
	}
	heap_place(h, i, node);
}

/* Restore order around index i after its node's deadline changed. */
static void heap_fix(struct heap *h, uint32_t i)
{
	if (i > 0 && h->v[(i - 1) / 2]->at > h->v[i]->at)
		heap_sift_up(h, i);
	else
		heap_sift_down(h, i);
}

int heap_set(struct heap *h, struct heap_node *node, uint64_t at)
{
	if (node->pos) {
		node->at = at;
		heap_fix(h, node->pos - 1);
		return 0;
	}
	if (h->n >= h->cap)
		return -ENOSPC;
	node->at = at;
	heap_place(h, h->n++, node);
	heap_sift_up(h, h->n - 1);
	return 0;
}

void heap_remove(struct heap *h, struct heap_node *node)
{
	uint32_t i;
	struct heap_node *last;

	if (!node->pos)
		return;
	i = node->pos - 1;
	node->pos = 0;
	last = h->v[--h->n];
	h->v[h->n] = NULL;
	if (last == node)
		return;
	heap_place(h, i, last);
	heap_fix(h, i);
}
