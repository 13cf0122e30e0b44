/* SPDX-License-Identifier: MIT */
/*
 * heap.h - a binary min-heap of deadlines over nodes embedded in the objects
 * that own them (connections). Insert, update and remove are O(log n) and an
 * idle object with no deadline costs nothing; heap_min() gives the earliest,
 * which is what stack_poll_at() reports.
 */
#ifndef SYNACK_HEAP_H
#define SYNACK_HEAP_H

#include <stdbool.h>
#include <stdint.h>

struct heap_node {
	uint64_t at;  /* deadline, microseconds */
	uint32_t pos; /* index in the heap + 1; 0 = not in the heap */
};

struct heap {
	struct heap_node **v; /* caller-provided array of cap pointers */
	uint32_t n, cap;
};

void heap_init(struct heap *h, struct heap_node **storage, uint32_t cap);
/* Put node in the heap at deadline at, or move it there; -ENOSPC when full. */
int heap_set(struct heap *h, struct heap_node *node, uint64_t at);
/* Take node out of the heap (no-op when it is not in). */
void heap_remove(struct heap *h, struct heap_node *node);
/* The node with the earliest deadline, or NULL. */
static inline struct heap_node *heap_min(const struct heap *h)
{
	return h->n ? h->v[0] : 0;
}
static inline bool heap_node_queued(const struct heap_node *node)
{
	return node->pos != 0;
}

#endif
