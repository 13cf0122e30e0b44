/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_cc.h - congestion control behind a small interface (RFC 5681,
 * RFC 6582 for NewReno, RFC 9438 CUBIC with RFC 9406 HyStart++, RFC 6928 for
 * the initial window). The engine detects the events (new data ACKed, the
 * third duplicate ACK, a partial or full ACK in recovery, a retransmission
 * timeout) and calls the algorithm; the algorithm only moves cwnd and
 * ssthresh. Loss recovery's scoreboard (SACK, RFC 6675) is not part of this
 * interface: enter_recovery means "set ssthresh and cwnd for the reduction",
 * and a recovery engine (PRR) may then steer cwnd itself from that ssthresh.
 *
 * What is common to every algorithm lives in tcp_cc.c and wraps the ops:
 * cwnd validation (RFC 7661: no growth unless the sender used at least half
 * of cwnd in the last round), the restart window after idle (RFC 5681 §4.1),
 * the clamp (twice the largest peer window, TCP_CC_CWND_MAX) and saturating
 * arithmetic, so cwnd can never wrap.
 *
 * Stretch ACKs (one ACK for more than two full segments) are what a
 * receiver with GRO or LRO sends, and what the kernel sends for each TSO
 * frame synackd writes into its TAP: 44 segments an ACK. Slow start's
 * per-ACK limit, one SMSS per ACK (RFC 5681 equation 2; NewReno, CUBIC after
 * a loss), holds per ACK such a receiver would have sent had it not
 * coalesced (tcp_cc_slow_start()): RFC 5681 §4.2 has a receiver ACK at least
 * every second full-sized segment, so a stretch ACK counts as one per two
 * segments it covers, up to ssthresh. Counted as one ACK, each would have
 * grown cwnd by one segment where the ACKs it stands for grow it by 22.
 * Not after a retransmission timeout (tcp_cc_ack.after_rto): what such an
 * ACK covers may have reached the receiver long before (go-back-N), so
 * there it counts as one, as RFC 3465 §2.3 has it. HyStart++ (the initial
 * slow start) grows by every byte ACKed (tcp_cc_hystart.c).
 */
#ifndef SYNACK_TCP_CC_H
#define SYNACK_TCP_CC_H

#include <stdbool.h>
#include <stdint.h>

#include "../stack.h"
#include "../tunables.h"
#include "tcp_seq.h"

/* A hard ceiling for cwnd and ssthresh's finite values: 1 GiB, far beyond any window. */
#define TCP_CC_CWND_MAX (1u << 30)

struct tcp_cc;

/* What one ACK of new data tells the algorithm (outside recovery). */
struct tcp_cc_ack {
	stack_time_us now;
	uint32_t acked;	   /* bytes of sequence space newly ACKed */
	tcp_seq ack;	   /* SEG.ACK */
	tcp_seq snd_nxt;   /* SND.NXT when the ACK came: the end of a round that starts now */
	bool has_rtt;	   /* this ACK gave an RTT sample */
	uint64_t rtt_us;   /* the sample (when has_rtt) */
	uint64_t srtt_us;  /* smoothed RTT, 0 before the first sample */
	bool cwnd_limited; /* set by tcp_cc_ack (RFC 7661): false means "do not grow" */
	/* SND.UNA was below a retransmission timeout's recover point: the bytes
	 * ACKed may have reached the receiver long ago (file comment) */
	bool after_rto;
};

struct tcp_cc_ops {
	const char *name; /* as ss(8) shows it */
	/* A new connection: cwnd from the initial window (segments) */
	void (*init)(struct tcp_cc *cc, uint32_t smss, uint32_t initial_segs);
	/* new data was ACKed outside recovery */
	void (*on_ack)(struct tcp_cc *cc, const struct tcp_cc_ack *a);
	/* the third duplicate ACK: set ssthresh and cwnd (flight: bytes in flight) */
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

/* RFC 9406 HyStart++ state (tcp_cc_hystart.c); all zero is a fresh start. */
struct tcp_cc_hystart {
	bool round_valid; /* a round is being measured */
	bool in_css;	  /* in Conservative Slow Start */
	tcp_seq window_end;
	uint32_t samples;	 /* RTT samples in this round */
	uint32_t css_rounds;	 /* rounds completed in CSS */
	uint64_t last_round_min; /* UINT64_MAX: none */
	uint64_t cur_round_min;
	uint64_t css_baseline;
};

/* RFC 9438 CUBIC state (tcp_cc_cubic.c), in bytes and microseconds; all zero is fresh. */
struct tcp_cc_cubic {
	bool epoch_valid;	   /* a congestion-avoidance epoch is running */
	stack_time_us epoch_start; /* shifted forward over time spent not cwnd-limited */
	stack_time_us last_ack;	   /* of the last on_ack in congestion avoidance */
	uint32_t w_max;		   /* cwnd just before the last reduction (0: none yet) */
	uint32_t cwnd_prior;	   /* cwnd when the last congestion event came */
	uint32_t cwnd_epoch;	   /* cwnd when the epoch started */
	uint64_t k_ms;		   /* K, the time to reach W_max again */
	uint32_t w_est;		   /* the Reno-friendly estimate (RFC 9438 §4.3) */
	uint64_t est_acc, cub_acc; /* remainders of the per-ACK increments */
	struct tcp_cc_hystart hs;
};

struct tcp_cc {
	const struct tcp_cc_ops *ops;
	uint32_t cwnd, ssthresh; /* bytes */
	uint32_t smss;
	uint32_t initial_segs; /* the initial window, for the restart window */
	uint32_t bytes_acked;  /* congestion-avoidance byte counter (RFC 5681 §3.1, RFC 3465) */
	bool in_recovery;
	uint32_t recover; /* RFC 6582 recover point (a sequence number) */
	/* recover was set by a fast retransmit or a timeout and SND.UNA has not
	 * passed it yet; otherwise it is stale and compares with nothing */
	bool recover_valid;
	/* recover was set by a retransmission timeout, whose go-back-N may put
	 * copies of bytes below it on the path (RFC 6582 §3.2 step 1, §6) */
	bool recover_by_rto;
	/* cwnd validation (RFC 7661): the most in flight in this round and the last */
	uint32_t flight_peak, flight_peak_prev;
	bool val_round_valid;
	tcp_seq val_round_end;
	bool sent_once;
	stack_time_us last_send; /* of new data, for the restart after idle */
	/* the algorithm's own state */
	union {
		struct tcp_cc_cubic cubic;
	} u;
};

extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;

/* tcp_cc.c: the ops of an algorithm (enum stack_cc_algo); NULL when out of range. */
const struct tcp_cc_ops *tcp_cc_ops_of(uint64_t algo);
/* The algorithm's id (enum stack_cc_algo) behind ops. */
uint64_t tcp_cc_algo_of(const struct tcp_cc_ops *ops);
/* Switch algorithm on a live connection: cwnd and ssthresh stay, its own state starts fresh. */
void tcp_cc_select(struct tcp_cc *cc, const struct tcp_cc_ops *ops);
/* A new connection's window: the algorithm's init and the common state. */
void tcp_cc_init(struct tcp_cc *cc, uint32_t smss, uint32_t initial_segs);
/* New data left: note the flight (bytes) for validation, the time for idle. */
void tcp_cc_on_send(struct tcp_cc *cc, stack_time_us now, uint32_t flight);
/* Before sending with nothing in flight: RFC 5681 §4.1 restart after rto_us of idle. */
void tcp_cc_idle_check(struct tcp_cc *cc, stack_time_us now, uint64_t rto_us);
/* The most in flight (bytes) over this validation round and the last. */
uint32_t tcp_cc_flight_used(const struct tcp_cc *cc);
/* An ACK of new data outside recovery: validation, the algorithm, the clamp. */
void tcp_cc_ack(struct tcp_cc *cc, struct tcp_cc_ack *a, uint32_t max_snd_wnd);
/* RFC 5681 slow start for one ACK (cwnd < ssthresh, the window in use):
 * at most SMSS per ACK, a stretch ACK as the ACKs it stands for (file comment). */
void tcp_cc_slow_start(struct tcp_cc *cc, const struct tcp_cc_ack *a);

/* A loss is being dealt with up to snd_max (RFC 6582 recover), by a fast
 * retransmit or by a retransmission timeout (by_rto). */
static inline void tcp_cc_set_recover(struct tcp_cc *cc, tcp_seq snd_max, bool by_rto)
{
	cc->recover = snd_max;
	cc->recover_valid = true;
	cc->recover_by_rto = by_rto;
}

/* Saturating helpers: cwnd arithmetic never wraps and never passes TCP_CC_CWND_MAX. */
static inline uint32_t tcp_cc_add(uint32_t a, uint64_t b)
{
	uint64_t v = (uint64_t)a + b;

	return v > TCP_CC_CWND_MAX ? TCP_CC_CWND_MAX : (uint32_t)v;
}

/* The Reno recovery steps shared by NewReno and CUBIC (RFC 5681 §3.2, RFC 6582 §3.2). */
void tcp_cc_reno_on_dupack(struct tcp_cc *cc);
void tcp_cc_reno_on_partial_ack(struct tcp_cc *cc, uint32_t acked);
void tcp_cc_reno_on_exit_recovery(struct tcp_cc *cc, uint32_t flight);
/* The end of a SACK (RFC 6675/6937) recovery or of a probe's reduction: cwnd = ssthresh. */
void tcp_cc_end_reduction(struct tcp_cc *cc);
/* The retransmission timer expired during a recovery: loss window, no second reduction. */
void tcp_cc_rto_in_recovery(struct tcp_cc *cc);

/* tcp_cc_hystart.c: RFC 9406 slow start for one ACK while ssthresh is still
 * at its initial value: grows cwnd, or ends slow start (ssthresh = cwnd). */
void tcp_cc_hystart_ack(struct tcp_cc *cc, struct tcp_cc_hystart *hs, const struct tcp_cc_ack *a);

/* tcp_cc_cubic.c, exposed for the unit tests: W_cubic(t) in bytes, K in ms. */
uint64_t tcp_cc_cubic_cbrt(uint64_t x);
uint64_t tcp_cc_cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t smss);
uint32_t tcp_cc_cubic_w(uint32_t w_max, uint64_t k_ms, uint64_t t_ms, uint32_t smss);

#endif
