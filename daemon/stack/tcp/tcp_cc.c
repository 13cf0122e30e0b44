/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_cc.c - what every congestion control algorithm shares: the table
 * of algorithms, cwnd validation (RFC 7661 §4.3: cwnd grows only while the
 * sender used at least half of it in the last round, so neither a slow
 * application nor the peer's window lets it run away), the restart window
 * after idle (RFC 5681 §4.1, keeping ssthresh at 3/4 of the old cwnd as
 * RFC 7661 §4.4.3 does, so slow start climbs back), the clamp and Reno's fast
 * recovery steps (RFC 5681 §3.2, RFC 6582 §3.2), the end of a SACK recovery
 * (RFC 6937 §3: cwnd = ssthresh) and a timeout during a recovery (one
 * reduction per window, RFC 6675 §5).
 */
#include <string.h>

#include "tcp_cc.h"

static const struct tcp_cc_ops *const tcp_cc_table[STACK_CC_COUNT_] = {
	[STACK_CC_CUBIC] = &tcp_cc_cubic,
	[STACK_CC_NEWRENO] = &tcp_cc_newreno,
};

const struct tcp_cc_ops *tcp_cc_ops_of(uint64_t algo)
{
	return algo < STACK_CC_COUNT_ ? tcp_cc_table[algo] : NULL;
}

uint64_t tcp_cc_algo_of(const struct tcp_cc_ops *ops)
{
	for (uint64_t i = 0; i < STACK_CC_COUNT_; i++)
		if (tcp_cc_table[i] == ops)
			return i;
	return STACK_CC_CUBIC;
}

void tcp_cc_select(struct tcp_cc *cc, const struct tcp_cc_ops *ops)
{
	if (cc->ops == ops)
		return;
	cc->ops = ops;
	cc->bytes_acked = 0;
	/* all-zero is a fresh start for every algorithm's own state */
	memset(&cc->u, 0, sizeof(cc->u));
}

void tcp_cc_init(struct tcp_cc *cc, uint32_t smss, uint32_t initial_segs)
{
	cc->initial_segs = initial_segs;
	cc->flight_peak = cc->flight_peak_prev = 0;
	cc->val_round_valid = false;
	cc->sent_once = false;
	memset(&cc->u, 0, sizeof(cc->u));
	cc->ops->init(cc, smss, initial_segs);
}

static uint32_t tcp_cc_initial_window(const struct tcp_cc *cc)
{
	return tcp_cc_add(0, (uint64_t)cc->initial_segs * cc->smss);
}

void tcp_cc_on_send(struct tcp_cc *cc, stack_time_us now, uint32_t flight)
{
	if (flight > cc->flight_peak)
		cc->flight_peak = flight;
	cc->last_send = now;
	cc->sent_once = true;
}

void tcp_cc_idle_check(struct tcp_cc *cc, stack_time_us now, uint64_t rto_us)
{
	uint32_t rw = tcp_cc_initial_window(cc);

	if (!cc->sent_once || now - cc->last_send < rto_us || cc->in_recovery)
		return;
	/* RFC 5681 §4.1: restart window RW = min(IW, cwnd) */
	if (cc->cwnd > rw) {
		uint32_t keep = cc->cwnd / 4 * 3;

		if (cc->ssthresh < keep)
			cc->ssthresh = keep;
		cc->cwnd = rw;
	}
	cc->bytes_acked = 0;
	/* what was in flight before the pause says nothing about what is used now */
	cc->flight_peak = cc->flight_peak_prev = 0;
	cc->val_round_valid = false;
	cc->sent_once = false;
}

/*
 * RFC 7661 §4.3 in the form of its validated phase: the window is used when
 * the most in flight over this round and the last reached half of cwnd. A
 * round ends when the ACK covers what was sent when it began.
 */
static bool tcp_cc_validate(struct tcp_cc *cc, const struct tcp_cc_ack *a)
{
	uint32_t peak;

	if (!cc->val_round_valid || seq_ge(a->ack, cc->val_round_end)) {
		cc->flight_peak_prev = cc->flight_peak;
		cc->flight_peak = a->snd_nxt - a->ack;
		cc->val_round_end = a->snd_nxt;
		cc->val_round_valid = true;
	}
	peak = cc->flight_peak > cc->flight_peak_prev ? cc->flight_peak : cc->flight_peak_prev;
	return 2 * (uint64_t)peak >= cc->cwnd;
}

uint32_t tcp_cc_flight_used(const struct tcp_cc *cc)
{
	return cc->flight_peak > cc->flight_peak_prev ? cc->flight_peak : cc->flight_peak_prev;
}

void tcp_cc_ack(struct tcp_cc *cc, struct tcp_cc_ack *a, uint32_t max_snd_wnd)
{
	uint32_t before = cc->cwnd, peak, cap;

	a->cwnd_limited = tcp_cc_validate(cc, a);
	cc->ops->on_ack(cc, a);
	/* growth stops at twice what was used (the validated phase's bound) */
	peak = cc->flight_peak > cc->flight_peak_prev ? cc->flight_peak : cc->flight_peak_prev;
	cap = tcp_cc_add(0, 2 * (uint64_t)peak);
	if (cc->cwnd > before && cc->cwnd > cap)
		cc->cwnd = before > cap ? before : cap;
	/* never more than twice the largest window the peer offered, nor the ceiling */
	cap = tcp_cc_add(0, 2 * (uint64_t)max_snd_wnd);
	if (cap < tcp_cc_initial_window(cc))
		cap = tcp_cc_initial_window(cc);
	if (cc->cwnd > cap)
		cc->cwnd = cap;
	if (cc->cwnd < cc->smss)
		cc->cwnd = cc->smss;
}

/*
 * The growth RFC 5681 equation 2 gives the ACKs a receiver ACKing every
 * second full-sized segment would have sent for acked bytes: SMSS for each
 * whole pair of segments, and what is left up to one more SMSS. acked of up
 * to two segments gives min(acked, SMSS), equation 2 itself.
 */
static uint64_t tcp_cc_ss_growth(const struct tcp_cc *cc, uint32_t acked)
{
	uint64_t two = 2 * (uint64_t)cc->smss, left;

	if (!cc->smss)
		return 0;
	left = acked % two;
	return acked / two * cc->smss + (left < cc->smss ? left : cc->smss);
}

void tcp_cc_slow_start(struct tcp_cc *cc, const struct tcp_cc_ack *a)
{
	uint64_t inc = a->acked < cc->smss ? a->acked : cc->smss;

	if (!a->after_rto && a->acked > 2 * (uint64_t)cc->smss) {
		/* a stretch ACK: as the ACKs it stands for, up to ssthresh */
		uint64_t room = cc->ssthresh > cc->cwnd ? cc->ssthresh - cc->cwnd : 0;

		inc = tcp_cc_ss_growth(cc, a->acked);
		if (inc > room)
			inc = room > cc->smss ? room : cc->smss;
	}
	cc->cwnd = tcp_cc_add(cc->cwnd, inc);
}

void tcp_cc_reno_on_dupack(struct tcp_cc *cc)
{
	/* RFC 5681 §3.2 step 4: inflate by one SMSS per further duplicate */
	cc->cwnd = tcp_cc_add(cc->cwnd, cc->smss);
}

void tcp_cc_reno_on_partial_ack(struct tcp_cc *cc, uint32_t acked)
{
	/* RFC 6582 §3.2 step 3: deflate by the amount ACKed, add back one SMSS
	 * when at least one SMSS was ACKed. */
	cc->cwnd = cc->cwnd > acked ? cc->cwnd - acked : cc->smss;
	if (acked >= cc->smss)
		cc->cwnd = tcp_cc_add(cc->cwnd, cc->smss);
}

void tcp_cc_reno_on_exit_recovery(struct tcp_cc *cc, uint32_t flight)
{
	/* RFC 6582 §3.2 step 3, full ACK: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS) */
	uint32_t f = tcp_cc_add(flight > cc->smss ? flight : cc->smss, cc->smss);

	cc->cwnd = f < cc->ssthresh ? f : cc->ssthresh;
	cc->in_recovery = false;
	cc->bytes_acked = 0;
}

void tcp_cc_end_reduction(struct tcp_cc *cc)
{
	/* RFC 6937 §3: PRR's last ACKs bring pipe up to ssthresh, so the window
	 * after a SACK recovery is ssthresh, whatever little is left in flight */
	cc->cwnd = cc->ssthresh;
	cc->in_recovery = false;
	cc->bytes_acked = 0;
}

void tcp_cc_rto_in_recovery(struct tcp_cc *cc)
{
	/* The recovery already made this window's reduction from the window
	 * before the loss: ssthresh and the algorithm's W_max stay; only the
	 * loss window (RFC 5681 §3.1) is new. Reducing again would take W_max
	 * from the window the recovery itself had shrunk. */
	cc->cwnd = cc->smss;
	cc->in_recovery = false;
	cc->bytes_acked = 0;
}
