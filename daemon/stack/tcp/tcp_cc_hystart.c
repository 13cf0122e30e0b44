/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_cc_hystart.c - HyStart++ (RFC 9406): slow start that leaves early
 * when the round-trip time grows. Each round (one window of data, from the
 * ACK that covers the SND.NXT of the round before) keeps the minimum of its
 * RTT samples; once a round has N_RTT_SAMPLE samples and its minimum exceeds
 * the last round's by a threshold, Conservative Slow Start (CSS) grows cwnd
 * a quarter as fast; CSS_ROUNDS rounds of CSS end slow start
 * (ssthresh = cwnd), and an RTT that falls back below CSS's baseline resumes
 * ordinary slow start (RFC 9406 §4.2). Used only while ssthresh still has
 * its initial value (§4.3: the initial slow start); a loss ends it by
 * setting ssthresh.
 *
 * Growth is every byte ACKed: L = infinity. §4.2 recommends that for a
 * paced sender and L = 8 (SMSS per ACK) otherwise; synackd does not pace,
 * yet L = 8 only ever bound on stretch ACKs, and against the kernel, which
 * ACKs each 44-segment TSO frame synackd writes into its TAP once, it held
 * slow start to 8 segments per ACK where the ACKs a receiver without
 * coalescing sends would double cwnd each round trip (tcp_cc.h). The cost:
 * a stretch ACK releases at once what its ACKs would have released over
 * the time they took to come.
 */
#include "tcp_cc.h"

#define HS_MIN_RTT_THRESH_US 4000u  /* MIN_RTT_THRESH, 4 ms */
#define HS_MAX_RTT_THRESH_US 16000u /* MAX_RTT_THRESH, 16 ms */
#define HS_MIN_RTT_DIVISOR   8u
#define HS_N_RTT_SAMPLE	     8u
#define HS_CSS_GROWTH_DIV    4u
#define HS_CSS_ROUNDS	     5u
#define HS_NONE		     UINT64_MAX

/* A round ends when an ACK covers the SND.NXT of its start (§4.2). */
static void hystart_round(struct tcp_cc *cc, struct tcp_cc_hystart *hs, const struct tcp_cc_ack *a)
{
	if (hs->round_valid && seq_lt(a->ack, hs->window_end))
		return;
	hs->last_round_min = hs->round_valid ? hs->cur_round_min : HS_NONE;
	hs->cur_round_min = HS_NONE;
	hs->samples = 0;
	hs->window_end = a->snd_nxt;
	if (hs->round_valid && hs->in_css && ++hs->css_rounds >= HS_CSS_ROUNDS) {
		/* §4.2: CSS_ROUNDS rounds of CSS: congestion avoidance from here */
		cc->ssthresh = cc->cwnd;
		hs->in_css = false;
	}
	hs->round_valid = true;
}

/* The delay increase test of §4.2 for a round with enough samples. */
static void hystart_check(struct tcp_cc_hystart *hs)
{
	uint64_t thresh;

	if (hs->samples < HS_N_RTT_SAMPLE || hs->cur_round_min == HS_NONE)
		return;
	if (hs->in_css) {
		/* the RTT came back down: the increase was a spike, resume slow start */
		if (hs->cur_round_min < hs->css_baseline) {
			hs->css_baseline = HS_NONE;
			hs->in_css = false;
		}
		return;
	}
	if (hs->last_round_min == HS_NONE)
		return;
	thresh = hs->last_round_min / HS_MIN_RTT_DIVISOR;
	if (thresh > HS_MAX_RTT_THRESH_US)
		thresh = HS_MAX_RTT_THRESH_US;
	if (thresh < HS_MIN_RTT_THRESH_US)
		thresh = HS_MIN_RTT_THRESH_US;
	if (hs->cur_round_min >= hs->last_round_min + thresh) {
		hs->css_baseline = hs->cur_round_min;
		hs->in_css = true;
		hs->css_rounds = 0;
	}
}

void tcp_cc_hystart_ack(struct tcp_cc *cc, struct tcp_cc_hystart *hs, const struct tcp_cc_ack *a)
{
	uint64_t inc = a->acked;

	hystart_round(cc, hs, a);
	if (cc->cwnd >= cc->ssthresh)
		return; /* CSS just ended */
	if (a->has_rtt) {
		if (a->rtt_us < hs->cur_round_min)
			hs->cur_round_min = a->rtt_us;
		hs->samples++;
	}
	if (!a->cwnd_limited)
		return; /* RFC 7661: measure, but do not grow an unused window */
	if (hs->in_css)
		inc /= HS_CSS_GROWTH_DIV;
	cc->cwnd = tcp_cc_add(cc->cwnd, inc);
	hystart_check(hs);
}
