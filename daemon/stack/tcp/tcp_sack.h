/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_sack.h - the sender's scoreboard (RFC 6675 §3, RFC 8985 §6.1): what
 * became of every byte between SND.UNA and SND.MAX, as a short ordered list of
 * ranges that together cover exactly that span. Each range says whether the
 * peer SACKed it, whether it is deemed lost, whether it was retransmitted,
 * and when it was last sent (for RACK, RFC 8985).
 *
 * Bounded: at most TCP_SB_MAX ranges. Neighbours in the same state merge; when
 * the list is full, the two unSACKed neighbours sent closest together in time
 * merge (their send time becomes the later one, so RACK can only call them
 * lost later, never earlier). A SACK block that still cannot be recorded is
 * left out (SynackTcpSackScoreboardFull): the bytes stay unSACKed and at
 * worst are retransmitted once too often.
 *
 * Times are the low 32 bits of the stack's microsecond clock, compared with
 * wrap-around arithmetic (valid for 35 minutes, longer than any segment
 * stays in flight with rto.max and retries at their bounds).
 */
#ifndef SYNACK_TCP_SACK_H
#define SYNACK_TCP_SACK_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_seq.h"

#define TCP_SB_MAX 64

enum {
	TCP_SB_SACKED = 1,	 /* the peer holds it (SACK) */
	TCP_SB_LOST = 2,	 /* deemed lost (RFC 6675 IsLost, RACK, or a timeout) */
	TCP_SB_RETRANS = 4,	 /* retransmitted, and that copy is still in flight */
	TCP_SB_EVER_RETRANS = 8, /* retransmitted at least once (RACK: ambiguous RTT) */
};

struct tcp_sb_ent {
	tcp_seq start, end; /* [start, end) */
	uint32_t xmit;	    /* when last sent, low 32 bits of microseconds */
	uint8_t flags;
};

struct tcp_sb {
	uint32_t n;
	uint32_t overflows; /* SACK information forgotten for want of room */
	struct tcp_sb_ent e[TCP_SB_MAX];
};

/* Time a is later than b (32-bit microseconds with wrap). */
static inline bool tcp_sb_time_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

void tcp_sb_reset(struct tcp_sb *sb);
/* Make the list cover exactly [una, max): drop what una passed, append [end, max) sent at now. */
void tcp_sb_sync(struct tcp_sb *sb, tcp_seq una, tcp_seq max, uint32_t now);
/* [start, end) was just sent at now (retrans: it had been sent before). */
void tcp_sb_sent(struct tcp_sb *sb, tcp_seq start, tcp_seq end, uint32_t now, bool retrans);
/* Mark [start, end) SACKed; calls seen() for each range newly SACKed (before the flags
 * change). Returns the bytes newly SACKed, or -ENOSPC when part could not be recorded. */
typedef void (*tcp_sb_seen_fn)(void *ctx, const struct tcp_sb_ent *e);
int64_t tcp_sb_sack(struct tcp_sb *sb, tcp_seq start, tcp_seq end, tcp_sb_seen_fn seen, void *ctx);
/* Set (or clear) flags on [start, end), splitting ranges; -ENOSPC when it could not. */
int tcp_sb_mark(struct tcp_sb *sb, tcp_seq start, tcp_seq end, uint8_t set, uint8_t clear,
		uint32_t xmit, bool set_xmit);
/* Bytes SACKed in the list. */
uint32_t tcp_sb_sacked(const struct tcp_sb *sb);
/* RFC 6675 §4 "pipe": bytes in flight, neither SACKed nor lost, plus retransmissions. */
uint32_t tcp_sb_pipe(const struct tcp_sb *sb);
/* The highest sequence number SACKed (the end of the last SACKed range); false when none. */
bool tcp_sb_high_sacked(const struct tcp_sb *sb, tcp_seq *ret);
/* Merge neighbours whose state is the same. */
void tcp_sb_compact(struct tcp_sb *sb);

#endif
