/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_sack.c - the sender's SACK scoreboard (RFC 6675 §3 "scoreboard",
 * §4 "pipe"; the per-segment send times RACK needs, RFC 8985 §6.1): an
 * ordered list of at most TCP_SB_MAX ranges covering SND.UNA..SND.MAX. See
 * tcp_sack.h for the bound and what happens when it is reached.
 */
#include <errno.h>
#include <string.h>

#include "tcp_sack.h"

void tcp_sb_reset(struct tcp_sb *sb)
{
	sb->n = 0;
	sb->overflows = 0;
}

static uint32_t tcp_sb_len(const struct tcp_sb_ent *e)
{
	return e->end - e->start;
}

static void tcp_sb_remove(struct tcp_sb *sb, uint32_t i)
{
	memmove(&sb->e[i], &sb->e[i + 1], (sb->n - i - 1) * sizeof(sb->e[0]));
	sb->n--;
}

/* Join e[i] and e[i + 1]: the later send time, flags as given. */
static void tcp_sb_join(struct tcp_sb *sb, uint32_t i, uint8_t flags)
{
	struct tcp_sb_ent *a = &sb->e[i], *b = &sb->e[i + 1];

	a->end = b->end;
	if (tcp_sb_time_after(b->xmit, a->xmit))
		a->xmit = b->xmit;
	a->flags = flags;
	tcp_sb_remove(sb, i + 1);
}

/* Neighbours that say the same thing: SACKed both (time no longer matters) or sent together. */
static bool tcp_sb_same(const struct tcp_sb_ent *a, const struct tcp_sb_ent *b)
{
	return a->flags == b->flags && ((a->flags & TCP_SB_SACKED) || a->xmit == b->xmit);
}

void tcp_sb_compact(struct tcp_sb *sb)
{
	for (uint32_t i = 0; i + 1 < sb->n;) {
		if (tcp_sb_same(&sb->e[i], &sb->e[i + 1]))
			tcp_sb_join(sb, i, sb->e[i].flags);
		else
			i++;
	}
}

/*
 * Free one entry: join the two neighbours in the same state sent closest
 * together; when no two are alike, forget the SACK of the highest pair (its
 * bytes read as unSACKed again: at worst one retransmission too many).
 */
static void tcp_sb_merge_one(struct tcp_sb *sb)
{
	uint32_t best = UINT32_MAX, best_gap = UINT32_MAX;

	for (uint32_t i = 0; i + 1 < sb->n; i++) {
		const struct tcp_sb_ent *a = &sb->e[i], *b = &sb->e[i + 1];
		uint32_t gap;

		if (a->flags != b->flags)
			continue;
		gap = (a->flags & TCP_SB_SACKED) ? 0 : (uint32_t)(a->xmit - b->xmit);
		if ((int32_t)gap < 0)
			gap = -gap;
		if (gap < best_gap) {
			best = i;
			best_gap = gap;
		}
	}
	if (best != UINT32_MAX) {
		tcp_sb_join(sb, best, sb->e[best].flags);
		return;
	}
	sb->overflows++;
	best = sb->n - 2;
	tcp_sb_join(sb, best,
		    (uint8_t)((sb->e[best].flags | sb->e[best + 1].flags) & ~TCP_SB_SACKED));
}

/* At least `free` entries unused (free <= TCP_SB_MAX - 2). */
static void tcp_sb_make_room(struct tcp_sb *sb, uint32_t free)
{
	if (sb->n + free <= TCP_SB_MAX)
		return;
	tcp_sb_compact(sb);
	while (sb->n + free > TCP_SB_MAX && sb->n >= 2)
		tcp_sb_merge_one(sb);
}

static void tcp_sb_append(struct tcp_sb *sb, tcp_seq start, tcp_seq end, uint32_t now)
{
	struct tcp_sb_ent *last = sb->n ? &sb->e[sb->n - 1] : NULL;

	if (last && last->flags == 0 && last->xmit == now) {
		last->end = end;
		return;
	}
	tcp_sb_make_room(sb, 1);
	sb->e[sb->n++] = (struct tcp_sb_ent){ .start = start, .end = end, .xmit = now };
}

void tcp_sb_sync(struct tcp_sb *sb, tcp_seq una, tcp_seq max, uint32_t now)
{
	uint32_t drop = 0;

	while (drop < sb->n && seq_le(sb->e[drop].end, una))
		drop++;
	if (drop) {
		memmove(&sb->e[0], &sb->e[drop], (sb->n - drop) * sizeof(sb->e[0]));
		sb->n -= drop;
	}
	/* the first range starts at SND.UNA, the list has no gap, the last ends at SND.MAX */
	if (sb->n && sb->e[0].start != una)
		sb->e[0].start = una;
	while (sb->n && seq_ge(sb->e[sb->n - 1].start, max))
		sb->n--;
	if (sb->n && seq_gt(sb->e[sb->n - 1].end, max))
		sb->e[sb->n - 1].end = max;
	if (una == max)
		return;
	if (!sb->n)
		tcp_sb_append(sb, una, max, now);
	else if (sb->e[sb->n - 1].end != max)
		tcp_sb_append(sb, sb->e[sb->n - 1].end, max, now);
}

/* The index of the range holding seq, or -1. */
static int tcp_sb_find(const struct tcp_sb *sb, tcp_seq seq)
{
	for (uint32_t i = 0; i < sb->n; i++)
		if (seq_ge(seq, sb->e[i].start) && seq_lt(seq, sb->e[i].end))
			return (int)i;
	return -1;
}

/* Make `at` a boundary between two ranges (room must have been made). */
static int tcp_sb_split(struct tcp_sb *sb, tcp_seq at)
{
	int i = tcp_sb_find(sb, at);

	if (i < 0 || sb->e[i].start == at)
		return 0;
	if (sb->n >= TCP_SB_MAX)
		return -ENOSPC;
	memmove(&sb->e[i + 2], &sb->e[i + 1], (sb->n - (uint32_t)i - 1) * sizeof(sb->e[0]));
	sb->e[i + 1] = sb->e[i];
	sb->e[i + 1].start = at;
	sb->e[i].end = at;
	sb->n++;
	return 0;
}

int tcp_sb_mark(struct tcp_sb *sb, tcp_seq start, tcp_seq end, uint8_t set, uint8_t clear,
		uint32_t xmit, bool set_xmit)
{
	if (!sb->n)
		return 0;
	if (seq_lt(start, sb->e[0].start))
		start = sb->e[0].start;
	if (seq_gt(end, sb->e[sb->n - 1].end))
		end = sb->e[sb->n - 1].end;
	if (!seq_lt(start, end))
		return 0;
	tcp_sb_make_room(sb, 2);
	if (tcp_sb_split(sb, start) < 0 || tcp_sb_split(sb, end) < 0) {
		sb->overflows++;
		return -ENOSPC;
	}
	for (uint32_t i = 0; i < sb->n; i++) {
		struct tcp_sb_ent *e = &sb->e[i];

		if (seq_lt(e->start, start) || seq_gt(e->end, end))
			continue;
		e->flags = (uint8_t)((e->flags | set) & ~clear);
		if (set_xmit)
			e->xmit = xmit;
	}
	tcp_sb_compact(sb);
	return 0;
}

void tcp_sb_sent(struct tcp_sb *sb, tcp_seq start, tcp_seq end, uint32_t now, bool retrans)
{
	if (retrans)
		/* a lost range stays lost: its retransmission replaces it in pipe */
		tcp_sb_mark(sb, start, end, TCP_SB_RETRANS | TCP_SB_EVER_RETRANS, 0, now, true);
	else
		tcp_sb_mark(sb, start, end, 0, 0, now, true);
}

int64_t tcp_sb_sack(struct tcp_sb *sb, tcp_seq start, tcp_seq end, tcp_sb_seen_fn seen, void *ctx)
{
	int64_t fresh = 0;

	if (!sb->n)
		return 0;
	if (seq_lt(start, sb->e[0].start))
		start = sb->e[0].start;
	if (seq_gt(end, sb->e[sb->n - 1].end))
		end = sb->e[sb->n - 1].end;
	if (!seq_lt(start, end))
		return 0;
	for (uint32_t i = 0; i < sb->n; i++) {
		struct tcp_sb_ent part = sb->e[i];

		if (part.flags & TCP_SB_SACKED || !seq_lt(part.start, end) ||
		    !seq_gt(part.end, start))
			continue;
		if (seq_lt(part.start, start))
			part.start = start;
		if (seq_gt(part.end, end))
			part.end = end;
		fresh += tcp_sb_len(&part);
		if (seen)
			seen(ctx, &part);
	}
	if (!fresh)
		return 0;
	if (tcp_sb_mark(sb, start, end, TCP_SB_SACKED, TCP_SB_LOST | TCP_SB_RETRANS, 0, false) < 0)
		return -ENOSPC;
	return fresh;
}

uint32_t tcp_sb_sacked(const struct tcp_sb *sb)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < sb->n; i++)
		if (sb->e[i].flags & TCP_SB_SACKED)
			n += tcp_sb_len(&sb->e[i]);
	return n;
}

uint32_t tcp_sb_pipe(const struct tcp_sb *sb)
{
	uint32_t pipe = 0;

	for (uint32_t i = 0; i < sb->n; i++) {
		const struct tcp_sb_ent *e = &sb->e[i];

		if (e->flags & TCP_SB_SACKED)
			continue;
		/* RFC 6675 §4: an octet not lost counts once, a retransmitted one once more */
		if (!(e->flags & TCP_SB_LOST))
			pipe += tcp_sb_len(e);
		if (e->flags & TCP_SB_RETRANS)
			pipe += tcp_sb_len(e);
	}
	return pipe;
}

bool tcp_sb_high_sacked(const struct tcp_sb *sb, tcp_seq *ret)
{
	for (uint32_t i = sb->n; i-- > 0;) {
		if (sb->e[i].flags & TCP_SB_SACKED) {
			*ret = sb->e[i].end;
			return true;
		}
	}
	return false;
}
