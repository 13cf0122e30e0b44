/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_rtt.h - the retransmission timer's estimator (RFC 6298 §2-5):
 * SRTT and RTTVAR from samples (Karn's algorithm is the caller's: never
 * sample a retransmitted segment), RTO = SRTT + max(G, 4*RTTVAR) bounded by
 * the tunables, and exponential backoff.
 */
#ifndef SYNACK_TCP_RTT_H
#define SYNACK_TCP_RTT_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_RTT_CLOCK_G_US 1000 /* our clock granularity G: 1 ms */

struct tcp_rtt {
	bool has_sample;
	uint64_t srtt_us, rttvar_us;
	uint64_t rto_us;  /* current base RTO, before backoff */
	uint32_t backoff; /* number of doublings in force */
};

void tcp_rtt_init(struct tcp_rtt *r, uint64_t rto_initial_us);
/* A new measurement (RFC 6298 §2.2-2.3); resets the backoff. */
void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_us, uint64_t rto_min_us, uint64_t rto_max_us);
/* The timeout to arm now: rto << backoff, clamped to [min, max]. */
uint64_t tcp_rtt_timeout(const struct tcp_rtt *r, uint64_t rto_min_us, uint64_t rto_max_us);
/* The timer expired (RFC 6298 §5.5): double the timeout. */
void tcp_rtt_backoff(struct tcp_rtt *r);

#endif
