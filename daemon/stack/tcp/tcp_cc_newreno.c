/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_cc_newreno.c - NewReno congestion control: slow start and
 * congestion avoidance with byte counting (RFC 5681 §3.1), the initial
 * window (RFC 6928), fast retransmit / fast recovery (RFC 5681 §3.2) with
 * NewReno's partial-ACK handling (RFC 6582 §3.2, in tcp_cc.c), and the
 * timeout response (RFC 5681 §3.1, equation 4). Every sum saturates.
 */
#include "tcp_cc.h"

static uint32_t newreno_half_flight(const struct tcp_cc *cc, uint32_t flight)
{
	uint32_t half = flight / 2 < TCP_CC_CWND_MAX ? flight / 2 : TCP_CC_CWND_MAX;

	return half > 2 * cc->smss ? half : 2 * cc->smss;
}

static void newreno_init(struct tcp_cc *cc, uint32_t smss, uint32_t initial_segs)
{
	cc->smss = smss;
	/* RFC 6928 §2: an initial window of N segments, N from the initial_cwnd tunable
	 * (10 by default) */
	cc->cwnd = tcp_cc_add(0, (uint64_t)initial_segs * smss);
	cc->ssthresh = UINT32_MAX; /* RFC 5681 §3.1: arbitrarily high */
	cc->bytes_acked = 0;
	cc->in_recovery = false;
}

static void newreno_on_ack(struct tcp_cc *cc, const struct tcp_cc_ack *a)
{
	uint32_t acked = a->acked;

	if (!a->cwnd_limited)
		return; /* RFC 7661: an unused window does not grow */
	if (cc->cwnd < cc->ssthresh) {
		/* slow start: at most one SMSS per ACK (RFC 5681 eq. 2; stretch ACKs: tcp_cc.h) */
		tcp_cc_slow_start(cc, a);
		return;
	}
	/* congestion avoidance: one SMSS per cwnd of bytes ACKed (RFC 5681 §3.1) */
	cc->bytes_acked = tcp_cc_add(cc->bytes_acked, acked);
	if (cc->bytes_acked >= cc->cwnd) {
		cc->bytes_acked -= cc->cwnd;
		/* one SMSS per ACK at most, however much it covered */
		if (cc->bytes_acked >= cc->cwnd)
			cc->bytes_acked = cc->cwnd - 1;
		cc->cwnd = tcp_cc_add(cc->cwnd, cc->smss);
	}
}

static void newreno_enter_recovery(struct tcp_cc *cc, uint32_t flight)
{
	/* RFC 5681 §3.2 steps 2-3: ssthresh = max(FlightSize/2, 2*SMSS), cwnd = ssthresh + 3*SMSS */
	cc->ssthresh = newreno_half_flight(cc, flight);
	cc->cwnd = tcp_cc_add(cc->ssthresh, 3 * (uint64_t)cc->smss);
	cc->in_recovery = true;
}

static void newreno_on_rto(struct tcp_cc *cc, uint32_t flight)
{
	/* RFC 5681 §3.1: ssthresh = max(FlightSize/2, 2*SMSS), cwnd = 1 SMSS (loss window) */
	cc->ssthresh = newreno_half_flight(cc, flight);
	cc->cwnd = cc->smss;
	cc->bytes_acked = 0;
	cc->in_recovery = false;
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = newreno_init,
	.on_ack = newreno_on_ack,
	.enter_recovery = newreno_enter_recovery,
	.on_dupack = tcp_cc_reno_on_dupack,
	.on_partial_ack = tcp_cc_reno_on_partial_ack,
	.on_exit_recovery = tcp_cc_reno_on_exit_recovery,
	.on_rto = newreno_on_rto,
};
