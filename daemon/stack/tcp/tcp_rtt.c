/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_rtt.c - RFC 6298 §2 (SRTT, RTTVAR and RTO from measurements, with
 * alpha = 1/8, beta = 1/4, K = 4 and clock granularity G) and §5.5 (double
 * the timer on expiry), in integer microseconds. Divisions truncate.
 */
#include "tcp_rtt.h"

/* Samples above this (about 12.7 days) are clamped so 8 * SRTT cannot overflow. */
#define TCP_RTT_SAMPLE_MAX (1ull << 40)

static uint64_t tcp_rtt_clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v > hi)
		v = hi;
	if (v < lo)
		v = lo;
	return v;
}

void tcp_rtt_init(struct tcp_rtt *r, uint64_t rto_initial_us)
{
	r->has_sample = false;
	r->srtt_us = 0;
	r->rttvar_us = 0;
	r->rto_us = rto_initial_us; /* RFC 6298 §2.1 */
	r->backoff = 0;
}

void tcp_rtt_sample(struct tcp_rtt *r, uint64_t rtt_us, uint64_t rto_min_us, uint64_t rto_max_us)
{
	uint64_t var4;

	if (rtt_us > TCP_RTT_SAMPLE_MAX)
		rtt_us = TCP_RTT_SAMPLE_MAX;
	if (!r->has_sample) {
		/* §2.2: the first measurement */
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
		r->has_sample = true;
	} else {
		/* §2.3: RTTVAR first, with the SRTT from before this sample */
		uint64_t diff = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;

		r->rttvar_us = (3 * r->rttvar_us + diff) / 4;
		r->srtt_us = (7 * r->srtt_us + rtt_us) / 8;
	}
	var4 = 4 * r->rttvar_us;
	r->rto_us =
		tcp_rtt_clamp(r->srtt_us + (var4 > TCP_RTT_CLOCK_G_US ? var4 : TCP_RTT_CLOCK_G_US),
			      rto_min_us, rto_max_us);
	r->backoff = 0;
}

uint64_t tcp_rtt_timeout(const struct tcp_rtt *r, uint64_t rto_min_us, uint64_t rto_max_us)
{
	uint64_t t;

	if (r->backoff >= 64 || r->rto_us > (rto_max_us >> r->backoff))
		t = rto_max_us;
	else
		t = r->rto_us << r->backoff;
	return tcp_rtt_clamp(t, rto_min_us, rto_max_us);
}

void tcp_rtt_backoff(struct tcp_rtt *r)
{
	if (r->backoff < UINT32_MAX)
		r->backoff++;
}
