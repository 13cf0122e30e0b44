/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_cc.h - congestion control behind a small interface (RFC 5681,
 * RFC 6582 for NewReno, RFC 6928 for the initial window), so another
 * algorithm (CUBIC, RFC 9438) can sit beside NewReno. The engine detects the
 * events (new data ACKed, the third duplicate ACK, a partial or full ACK in
 * recovery, a retransmission timeout) and calls the algorithm; the algorithm
 * only moves cwnd and ssthresh. Loss recovery's scoreboard (SACK, RFC 6675)
 * is not part of this interface and is kept out of the input path.
 */
#ifndef SYNACK_TCP_CC_H
#define SYNACK_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

struct tcp_cc;

struct tcp_cc_ops {
	const char *name;
	/* A new connection: cwnd from the initial window (segments) */
	void (*init)(struct tcp_cc *cc, uint32_t smss, uint32_t initial_segs);
	/* acked bytes of new data were ACKed outside recovery */
	void (*on_ack)(struct tcp_cc *cc, uint32_t acked);
	/* the third duplicate ACK: enter fast recovery */
	void (*enter_recovery)(struct tcp_cc *cc, uint32_t flight);
	/* a further duplicate ACK during recovery (window inflation) */
	void (*on_dupack)(struct tcp_cc *cc);
	/* an ACK in recovery that does not reach the recover point */
	void (*on_partial_ack)(struct tcp_cc *cc, uint32_t acked);
	/* the ACK that covers the recover point */
	void (*on_exit_recovery)(struct tcp_cc *cc, uint32_t flight);
	/* the retransmission timer expired */
	void (*on_rto)(struct tcp_cc *cc, uint32_t flight);
};

struct tcp_cc {
	const struct tcp_cc_ops *ops;
	uint32_t cwnd, ssthresh; /* bytes */
	uint32_t smss;
	uint32_t bytes_acked; /* congestion-avoidance byte counter (RFC 5681 §3.1, RFC 3465) */
	bool in_recovery;
	uint32_t recover; /* RFC 6582 recover point (a sequence number) */
	/* recover was set by a fast retransmit or a timeout and SND.UNA has not
	 * passed it yet; otherwise it is stale and compares with nothing */
	bool recover_valid;
};

extern const struct tcp_cc_ops tcp_cc_newreno;

#endif
