/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_reasm.c - the out-of-order ranges of the receive side (RFC 9293
 * §3.10.7.4, "segment text": data past RCV.NXT is held until the gap before
 * it fills) and the SACK blocks that report them (RFC 2018 §4).
 *
 * Ranges are kept sorted by start, disjoint and never adjacent (touching
 * ranges are merged), so at most the first one can become contiguous with
 * RCV.NXT. The count is bounded by TCP_REASM_MAX_RANGES.
 *
 * Each range carries the stamp of the last segment that landed in it (a
 * counter of segments added, compared modulo 2^32), which is what orders
 * the SACK blocks: RFC 2018 §4 wants the block of the segment that drew the
 * ACK first and then the most recently reported ones, so that a block lost
 * with one ACK is repeated in the next ones instead of being pushed out by
 * lower ranges.
 */
#include <errno.h>
#include <string.h>

#include "tcp_reasm.h"

void tcp_reasm_init(struct tcp_reasm *ra)
{
	memset(ra, 0, sizeof(*ra));
}

/* Remove ranges [i, i + k) from the array. */
static void tcp_reasm_drop(struct tcp_reasm *ra, uint32_t i, uint32_t k)
{
	if (!k)
		return;
	memmove(&ra->r[i], &ra->r[i + k], (ra->n - i - k) * sizeof(ra->r[0]));
	ra->n -= k;
}

static int tcp_reasm_insert(struct tcp_reasm *ra, uint32_t i, uint32_t start, uint32_t end)
{
	if (ra->n >= TCP_REASM_MAX_RANGES)
		return -ENOSPC;
	memmove(&ra->r[i + 1], &ra->r[i], (ra->n - i) * sizeof(ra->r[0]));
	ra->n++;
	ra->r[i].start = start;
	ra->r[i].end = end;
	ra->r[i].stamp = ++ra->clock;
	return 0;
}

int tcp_reasm_add(struct tcp_reasm *ra, uint32_t off, uint32_t len)
{
	uint32_t end = off + len, i, j;

	if (len == 0)
		return 0;
	if (end < off)
		return -EINVAL;
	/* first range that ends at or after off: it overlaps or touches [off, end) or lies past it */
	for (i = 0; i < ra->n && ra->r[i].end < off; i++)
		;
	/* ranges i..j-1 start at or before end, so all of them merge with the new data */
	for (j = i; j < ra->n && ra->r[j].start <= end; j++)
		;
	if (i == j)
		return tcp_reasm_insert(ra, i, off, end);
	if (ra->r[i].start < off)
		off = ra->r[i].start;
	if (ra->r[j - 1].end > end)
		end = ra->r[j - 1].end;
	ra->r[i].start = off;
	ra->r[i].end = end;
	ra->r[i].stamp = ++ra->clock;
	tcp_reasm_drop(ra, i + 1, j - i - 1);
	return 0;
}

uint32_t tcp_reasm_advance(struct tcp_reasm *ra, uint32_t n)
{
	uint32_t gone = 0, extra = 0;

	/* ranges now entirely at or before RCV.NXT, or touching it, leave */
	while (gone < ra->n && ra->r[gone].start <= n) {
		if (ra->r[gone].end > n)
			extra = ra->r[gone].end - n;
		gone++;
	}
	tcp_reasm_drop(ra, 0, gone);
	for (uint32_t i = 0; i < ra->n; i++) {
		ra->r[i].start -= n;
		ra->r[i].end -= n;
	}
	return extra;
}

uint32_t tcp_reasm_bytes(const struct tcp_reasm *ra)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < ra->n; i++)
		sum += ra->r[i].end - ra->r[i].start;
	return sum;
}

/* Stamp a is more recent than stamp b (modulo 2^32: stamps of live ranges are close). */
static bool tcp_reasm_newer(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/*
 * RFC 2018 §4: the first block holds the most recently received segment, the
 * others follow newest first. Stamps of live ranges are distinct, so picking
 * the newest range older than the previous pick visits each once; n is at
 * most TCP_REASM_MAX_RANGES and max at most 4.
 */
uint32_t tcp_reasm_sack(const struct tcp_reasm *ra, uint32_t rcv_nxt, struct tcp_sack_block *blocks,
			uint32_t max)
{
	uint32_t k = 0, prev = 0;

	for (; k < max && k < ra->n; k++) {
		int32_t best = -1;

		for (uint32_t i = 0; i < ra->n; i++) {
			if (k && !tcp_reasm_newer(prev, ra->r[i].stamp))
				continue;
			if (best < 0 || tcp_reasm_newer(ra->r[i].stamp, ra->r[best].stamp))
				best = (int32_t)i;
		}
		if (best < 0)
			break; /* only if a range sat untouched for 2^31 segments */
		prev = ra->r[best].stamp;
		blocks[k].left = rcv_nxt + ra->r[best].start;
		blocks[k].right = rcv_nxt + ra->r[best].end;
	}
	return k;
}
