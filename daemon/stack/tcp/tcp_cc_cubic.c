/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_cc_cubic.c - CUBIC congestion control (RFC 9438) in integers.
 *
 * The window follows W_cubic(t) = C (t - K)^3 + W_max (§4.2) with C = 0.4
 * segments/s^3, K = cbrt((W_max - cwnd_epoch) / C), t the time since the
 * congestion-avoidance epoch began; each ACK moves cwnd toward
 * W_cubic(t + SRTT), bounded to [cwnd, 1.5 cwnd]. Beside it runs the
 * Reno-friendly estimate W_est (§4.3, alpha = 3 (1 - beta) / (1 + beta), 1
 * once W_est passes cwnd_prior); while W_cubic(t) is below it, cwnd = W_est.
 * A congestion event (§4.6) sets ssthresh = beta_cubic x FlightSize with
 * beta_cubic = 0.7 and remembers W_max with fast convergence (§4.7:
 * W_max = cwnd (1 + beta) / 2 when the window shrank since the last event).
 * Recovery's own steps are Reno's (tcp_cc.c), a timeout drops cwnd to one
 * segment (§4.8), and slow start is HyStart++ (RFC 9406, tcp_cc_hystart.c)
 * while ssthresh is at its initial value.
 *
 * Units: bytes for windows (segments x SMSS), milliseconds for t and K; the
 * cube root is an integer one. The time the sender spends not cwnd-limited
 * is taken out of t (§5.8: an application-limited flow must not gain).
 */
#include "tcp_cc.h"

#define CUBIC_BETA_NUM	7u /* beta_cubic = 7/10 */
#define CUBIC_BETA_DEN	10u
#define CUBIC_ALPHA_NUM 9u /* alpha_cubic = 3 (1 - 0.7) / (1 + 0.7) = 9/17 */
#define CUBIC_ALPHA_DEN 17u
/* |t - K| is capped where C |t - K|^3 alone passes any window (0.4 x 300^3 segments) */
#define CUBIC_T_CAP_MS	300000u

uint64_t tcp_cc_cubic_cbrt(uint64_t x)
{
	uint64_t r = 0;

	/* digit by digit in base 2: r is the cube root of the bits above s */
	for (int s = 63; s >= 0; s -= 3) {
		uint64_t b;

		r <<= 1;
		b = 3 * r * (r + 1) + 1; /* (r + 1)^3 - r^3 */
		if ((x >> s) >= b) {
			x -= b << s;
			r++;
		}
	}
	return r;
}

uint64_t tcp_cc_cubic_k_ms(uint32_t w_max, uint32_t cwnd_epoch, uint32_t smss)
{
	uint64_t diff;

	if (w_max <= cwnd_epoch || !smss)
		return 0;
	/* K [ms] = cbrt(diff / smss / 0.4 [s^3]) x 1000 = cbrt(diff x 2.5e9 / smss);
	 * diff < 2^32, so diff x 2.5e9 < 1.1e19 fits */
	diff = w_max - cwnd_epoch;
	return tcp_cc_cubic_cbrt(diff * 2500000000ull / smss);
}

uint32_t tcp_cc_cubic_w(uint32_t w_max, uint64_t k_ms, uint64_t t_ms, uint32_t smss)
{
	uint64_t d = t_ms > k_ms ? t_ms - k_ms : k_ms - t_ms, d3, delta;

	if (d > CUBIC_T_CAP_MS)
		d = CUBIC_T_CAP_MS;
	d3 = d * d * d; /* < 2.7e16 */
	/* C d^3 segments with d in ms: 0.4 d^3 / 1e9, in bytes x smss; split so
	 * nothing overflows: (d^3 / 1e6) x 4 x smss < 1.1e17 */
	delta = (d3 / 1000000) * 4 * smss / 10000;
	if (t_ms < k_ms)
		return delta >= w_max ? 0 : (uint32_t)(w_max - delta);
	return tcp_cc_add(w_max, delta);
}

static void cubic_init(struct tcp_cc *cc, uint32_t smss, uint32_t initial_segs)
{
	cc->smss = smss;
	cc->cwnd = tcp_cc_add(0, (uint64_t)initial_segs * smss); /* RFC 6928 */
	cc->ssthresh = UINT32_MAX;
	cc->bytes_acked = 0;
	cc->in_recovery = false;
}

/* §4.2: a new epoch at the first ACK of congestion avoidance after an event. */
static void cubic_epoch_start(struct tcp_cc *cc, struct tcp_cc_cubic *cu, stack_time_us now)
{
	cu->epoch_valid = true;
	cu->epoch_start = now;
	cu->last_ack = now;
	cu->cwnd_epoch = cc->cwnd;
	/* no event yet (slow start ended by HyStart++), or slow start went past
	 * W_max: the plateau is here, K = 0 */
	if (cu->w_max < cc->cwnd)
		cu->w_max = cc->cwnd;
	if (!cu->cwnd_prior)
		cu->cwnd_prior = cc->cwnd;
	cu->k_ms = tcp_cc_cubic_k_ms(cu->w_max, cu->cwnd_epoch, cc->smss);
	cu->w_est = cc->cwnd;
	cu->est_acc = cu->cub_acc = 0;
}

/* §4.3: W_est grows by alpha x segments ACKed / cwnd, in bytes. */
static void cubic_reno_friendly(struct tcp_cc *cc, struct tcp_cc_cubic *cu, uint32_t acked)
{
	uint64_t num = cu->w_est >= cu->cwnd_prior ? CUBIC_ALPHA_DEN : CUBIC_ALPHA_NUM;
	uint64_t den = (uint64_t)CUBIC_ALPHA_DEN * cc->cwnd;

	/* acked < 2^32, smss < 2^16, num <= 17: the sum stays below 2^63 */
	cu->est_acc += num * acked * cc->smss;
	cu->w_est = tcp_cc_add(cu->w_est, cu->est_acc / den);
	cu->est_acc %= den;
}

static void cubic_avoid(struct tcp_cc *cc, struct tcp_cc_cubic *cu, const struct tcp_cc_ack *a)
{
	uint64_t t_ms, w_t, target, hi;

	if (!cu->epoch_valid)
		cubic_epoch_start(cc, cu, a->now);
	if (!a->cwnd_limited) {
		/* the clock of the curve stops while the window is not used */
		cu->epoch_start += a->now - cu->last_ack;
		cu->last_ack = a->now;
		return;
	}
	cu->last_ack = a->now;
	t_ms = (a->now - cu->epoch_start) / 1000;
	cubic_reno_friendly(cc, cu, a->acked);
	w_t = tcp_cc_cubic_w(cu->w_max, cu->k_ms, t_ms, cc->smss);
	if (w_t < cu->w_est) {
		/* the Reno-friendly region */
		if (cu->w_est > cc->cwnd)
			cc->cwnd = cu->w_est;
		return;
	}
	/* the concave and convex regions: toward W_cubic(t + RTT), within [cwnd, 1.5 cwnd] */
	target = tcp_cc_cubic_w(cu->w_max, cu->k_ms, t_ms + a->srtt_us / 1000, cc->smss);
	hi = (uint64_t)cc->cwnd + cc->cwnd / 2;
	if (target > hi)
		target = hi;
	if (target <= cc->cwnd)
		return;
	/* cwnd += (target - cwnd) / cwnd per segment ACKed, in bytes; (target - cwnd)
	 * <= cwnd / 2 < 2^30 and acked < 2^32 keep the product below 2^62 */
	cu->cub_acc += (target - cc->cwnd) * a->acked;
	hi = cu->cub_acc / cc->cwnd;
	cu->cub_acc %= cc->cwnd;
	cc->cwnd = tcp_cc_add(cc->cwnd, hi);
}

static void cubic_on_ack(struct tcp_cc *cc, const struct tcp_cc_ack *a)
{
	struct tcp_cc_cubic *cu = &cc->u.cubic;

	if (cc->cwnd < cc->ssthresh) {
		cu->epoch_valid = false; /* the next epoch starts when slow start ends */
		if (cc->ssthresh == UINT32_MAX) {
			tcp_cc_hystart_ack(cc, &cu->hs, a);
			return;
		}
		if (a->cwnd_limited) /* RFC 5681 slow start after a loss (tcp_cc.h) */
			tcp_cc_slow_start(cc, a);
		return;
	}
	cubic_avoid(cc, cu, a);
}

/* §4.6-4.7: the multiplicative decrease and W_max with fast convergence. */
static void cubic_reduce(struct tcp_cc *cc, uint32_t flight)
{
	struct tcp_cc_cubic *cu = &cc->u.cubic;
	uint64_t ss = (uint64_t)flight * CUBIC_BETA_NUM / CUBIC_BETA_DEN;

	if (cu->w_max && cc->cwnd < cu->w_max)
		cu->w_max = (uint32_t)((uint64_t)cc->cwnd * (CUBIC_BETA_DEN + CUBIC_BETA_NUM) /
				       (2 * CUBIC_BETA_DEN));
	else
		cu->w_max = cc->cwnd;
	cu->cwnd_prior = cc->cwnd;
	cu->epoch_valid = false;
	if (ss > TCP_CC_CWND_MAX)
		ss = TCP_CC_CWND_MAX;
	cc->ssthresh = ss > 2 * cc->smss ? (uint32_t)ss : 2 * cc->smss;
	cc->bytes_acked = 0;
}

static void cubic_enter_recovery(struct tcp_cc *cc, uint32_t flight)
{
	cubic_reduce(cc, flight);
	/* the engine's recovery is RFC 6582's: three segments have left the network */
	cc->cwnd = tcp_cc_add(cc->ssthresh, 3 * (uint64_t)cc->smss);
	cc->in_recovery = true;
}

static void cubic_on_rto(struct tcp_cc *cc, uint32_t flight)
{
	cubic_reduce(cc, flight);
	cc->cwnd = cc->smss; /* §4.8: the loss window */
	cc->in_recovery = false;
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.enter_recovery = cubic_enter_recovery,
	.on_dupack = tcp_cc_reno_on_dupack,
	.on_partial_ack = tcp_cc_reno_on_partial_ack,
	.on_exit_recovery = tcp_cc_reno_on_exit_recovery,
	.on_rto = cubic_on_rto,
};
