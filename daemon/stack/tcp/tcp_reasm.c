/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_reasm.c - the out-of-order ranges of the receive side (RFC 9293
 * §3.10.7.4, "segment text": data past RCV.NXT is held until the gap before
 * it fills) and the SACK blocks that report them (RFC 2018 §4).
 *
 * Ranges are kept sorted by start, disjoint and never adjacent (touching
 * ranges are merged), so at most the first one can become contiguous with
 * RCV.NXT. The count is bounded by the array's capacity (TCP_REASM_INLINE
 * in the connection, up to TCP_REASM_MAX_RANGES moved out).
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

struct tcp_reasm_range *tcp_reasm_move(struct tcp_reasm *ra, struct tcp_reasm_range *ext,
				       uint32_t cap)
{
	struct tcp_reasm_range *old = ra->ext;

	memmove(ext ? ext : ra->inl, tcp_reasm_ranges(ra), ra->n * sizeof(*old));
	ra->ext = ext;
	ra->cap = ext ? cap : 0;
	return old;
}

uint32_t tcp_reasm_end(const struct tcp_reasm *ra)
{
	return ra->n ? tcp_reasm_cranges(ra)[ra->n - 1].end : 0;
}

/* Remove ranges [i, i + k) from the array. */
static void tcp_reasm_drop(struct tcp_reasm *ra, uint32_t i, uint32_t k)
{
	struct tcp_reasm_range *r = tcp_reasm_ranges(ra);

	if (!k)
		return;
	memmove(&r[i], &r[i + k], (ra->n - i - k) * sizeof(r[0]));
	ra->n -= k;
}

static int tcp_reasm_insert(struct tcp_reasm *ra, uint32_t i, uint32_t start, uint32_t end)
{
	struct tcp_reasm_range *r = tcp_reasm_ranges(ra);

	if (ra->n >= tcp_reasm_cap(ra))
		return -ENOSPC;
	memmove(&r[i + 1], &r[i], (ra->n - i) * sizeof(r[0]));
	ra->n++;
	r[i].start = start;
	r[i].end = end;
	r[i].stamp = ++ra->clock;
	return 0;
}

int tcp_reasm_add(struct tcp_reasm *ra, uint32_t off, uint32_t len)
{
	struct tcp_reasm_range *r = tcp_reasm_ranges(ra);
	uint32_t end = off + len, i, j;

	if (len == 0)
		return 0;
	if (end < off)
		return -EINVAL;
	/* first range that ends at or after off: it overlaps or touches [off, end) or lies past it */
	for (i = 0; i < ra->n && r[i].end < off; i++)
		;
	/* ranges i..j-1 start at or before end, so all of them merge with the new data */
	for (j = i; j < ra->n && r[j].start <= end; j++)
		;
	if (i == j)
		return tcp_reasm_insert(ra, i, off, end);
	if (r[i].start < off)
		off = r[i].start;
	if (r[j - 1].end > end)
		end = r[j - 1].end;
	r[i].start = off;
	r[i].end = end;
	r[i].stamp = ++ra->clock;
	tcp_reasm_drop(ra, i + 1, j - i - 1);
	return 0;
}

uint32_t tcp_reasm_advance(struct tcp_reasm *ra, uint32_t n)
{
	struct tcp_reasm_range *r = tcp_reasm_ranges(ra);
	uint32_t gone = 0, extra = 0;

	/* ranges now entirely at or before RCV.NXT, or touching it, leave */
	while (gone < ra->n && r[gone].start <= n) {
		if (r[gone].end > n)
			extra = r[gone].end - n;
		gone++;
	}
	tcp_reasm_drop(ra, 0, gone);
	for (uint32_t i = 0; i < ra->n; i++) {
		r[i].start -= n;
		r[i].end -= n;
	}
	return extra;
}

uint32_t tcp_reasm_bytes(const struct tcp_reasm *ra)
{
	const struct tcp_reasm_range *r = tcp_reasm_cranges(ra);
	uint32_t sum = 0;

	for (uint32_t i = 0; i < ra->n; i++)
		sum += r[i].end - r[i].start;
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
	const struct tcp_reasm_range *r = tcp_reasm_cranges(ra);
	uint32_t k = 0, prev = 0;

	for (; k < max && k < ra->n; k++) {
		int32_t best = -1;

		for (uint32_t i = 0; i < ra->n; i++) {
			if (k && !tcp_reasm_newer(prev, r[i].stamp))
				continue;
			if (best < 0 || tcp_reasm_newer(r[i].stamp, r[best].stamp))
				best = (int32_t)i;
		}
		if (best < 0)
			break; /* only if a range sat untouched for 2^31 segments */
		prev = r[best].stamp;
		blocks[k].left = rcv_nxt + r[best].start;
		blocks[k].right = rcv_nxt + r[best].end;
	}
	return k;
}
