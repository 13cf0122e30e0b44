/* SPDX-License-Identifier: MIT */
/*
 * sim_burst.c - bulk transfers over a link with burst loss and reordering,
 * many seeds, each held to a time bound from a simple model (issue 10).
 *
 * Each seed: A sends 16 KiB-2 MiB to B (nothing back) over a path whose
 * one-way delay (0.5-25 ms), rate (5 Mbit/s-1 Gbit/s), buffers (64-256 KiB),
 * SACK, timestamps, window scaling, delayed ACKs and rto.min (20-200 ms) are
 * drawn from the seed. The A -> B direction loses frames in Gilbert-Elliott
 * bursts (sim_link.h: enter the bad state with 0.2-3 % a slot of one full
 * frame's time, leave it with 15-60 %, i.e. bursts of 1.7-6.7 frames on
 * average, losing 50-100 % of the frames in it) plus 0-0.3 % independent
 * loss, and reorders 0-3 % of frames (held back 0.2 ms-(1 ms + delay)); the
 * ACK direction gets lighter bursts (up to 1 %) and 0-2 % reordering, from the
 * handshake's end until B has read everything (handshake and close run on
 * the clean link: sim.c's random runs cover lossy ones). The transmit queue
 * holds the largest window, so the link refuses nothing (checked): every
 * loss is the channel's. Everything sim_check.c and sim_app.c check holds as
 * in the random runs (byte-exact delivery, invariants, states, events, no
 * leak); on top of that the transfer must be done within a bound.
 *
 * The model (what the bound is; all times from the scenario, the losses as
 * the link applied them between the handshake and B's last read):
 *
 *   RTT   = 2 x delay + both jitters + a full frame and an ACK at the rate
 *   W     = min(SNDBUF, RCVBUF)                       the largest window
 *   rate  = min(link goodput, W / RTT)                bytes per second
 *   RTO   = max(rto.min, 3 x RTT)                     srtt + 4 x rttvar, first sample
 *   SS    = log2(min(W, BDP) / initial window) + 1    slow-start round trips
 *   base  = bytes / rate + (SS + 2) x RTT + B's delayed_ack
 *           (the last partial segment waits, Nagle, for the ACK of the one
 *           before it, which B may delay)
 *   bound = BASE_SLACK x base
 *         + LOSS_RTOS x RTO       per data frame lost
 *         + BURST_RTOS x RTO      per run of data frames lost one after another
 *         + ACK_BURST_RTOS x RTO  per run of ACK frames lost
 *         + REORDER_CA x min(W, BDP) / MSS x RTT  per data frame reordered
 *
 * base is what a loss-free transfer takes: without loss or reordering the
 * runs take up to 0.95 of it, hence BASE_SLACK. The loss terms say what a
 * loss may cost: a retransmission timeout when a whole burst takes what was
 * in flight (BURST_RTOS), or a retransmission lost again; a reordered frame
 * a needless reduction whose window regrows slowly (REORDER_CA). The
 * constants were fitted on seeds 1..20000 for the NewReno sender (largest
 * actual / bound 0.8). With SACK recovery, RACK-TLP and PRR the same seeds
 * see 2,607 timeouts instead of 13,486 and the median actual / bound is
 * 0.093 instead of 0.136, but a few seeds still pay about one timeout per
 * lost frame: refitted on 1..10000, LOSS_RTOS 1 puts seeds 10001..20000 at
 * 0.96 of their bound, so the constants stay where they are
 * (tests/sim/README.md; --csv prints each seed's figures for a new fit).
 *
 *   sim-burst                       seeds 1..10000
 *   sim-burst --seeds 1000 --first 20001
 *   sim-burst --seed 17 -v          replay one seed with a full trace
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_run.h"

/*
 * The model's constants for today's sender (see above). Lower them once
 * loss recovery no longer waits for timeouts; the run prints the
 * distribution of actual / bound to show how much room is left.
 */
#define BASE_SLACK     1.2  /* on the loss-free time: what the model leaves out */
#define LOSS_RTOS      2.0  /* retransmission timeouts per data frame lost */
#define BURST_RTOS     1.0  /* retransmission timeouts per run of data frames lost */
#define ACK_BURST_RTOS 1.0  /* retransmission timeouts per run of ACKs lost */
#define REORDER_CA     0.25 /* round trips per segment of window, per reordered frame */

#define BURST_KIB  1024ull
#define BURST_MTU  1500u
#define BURST_IW   10u
#define BURST_SEED 77 /* the stream this file draws its scenario from */

struct burst {
	struct sim_rng rng;
	uint64_t bytes;
	struct sim_scenario sc; /* as the hook left it */
	/* measured */
	stack_time_us start, done_at, last_step;
	struct sim_link_stats fwd0, back0, fwd1, back1; /* at start and at done */
	uint64_t timeouts, fast_rexmits, retrans;	/* A's, between start and done */
	bool have_start;
	struct sim_link_params impaired[SIM_SIDES]; /* the links while the transfer runs */
};

struct burst_result {
	uint64_t seed;
	bool ok;
	double actual, bound, ratio;
	uint64_t bursts, ack_bursts, reorders, lost, timeouts, fast_rexmits;
};

static uint64_t burst_log_range(struct sim_rng *r, uint64_t lo, uint64_t hi)
{
	double u = (double)sim_rng_below(r, 1000001) / 1e6;

	return (uint64_t)((double)lo * pow((double)hi / (double)lo, u));
}

static void burst_pick_ge(struct sim_rng *r, struct sim_link_params *p, uint32_t enter_max)
{
	p->ge_enter_ppm = (uint32_t)sim_rng_range(r, enter_max / 15, enter_max);
	p->ge_leave_ppm = (uint32_t)sim_rng_range(r, 150000, 600000);
	p->ge_loss_ppm = (uint32_t)sim_rng_range(r, 500000, 1000000);
}

/* Delay, jitter, rate and queue stay; loss and reordering go. */
static void burst_clean(struct sim_link_params *p)
{
	p->loss_ppm = p->reorder_ppm = p->ge_enter_ppm = 0;
}

static void burst_scenario(struct sim_world *w, void *ctx)
{
	static const uint64_t bufs[] = { 64 * BURST_KIB, 128 * BURST_KIB, 256 * BURST_KIB };
	struct burst *b = ctx;
	struct sim_scenario *sc = &w->sc;
	struct sim_rng *r = &b->rng;
	uint64_t delay = burst_log_range(r, 500, 25000);
	uint64_t rate = burst_log_range(r, 5000000, 1000000000);
	uint64_t rto_min =
		sim_rng_one_in(r, 2) ? MS_US(200) : sim_rng_range(r, MS_US(20), MS_US(200));
	bool sack = !sim_rng_one_in(r, 4), ts = !sim_rng_one_in(r, 4), ws = !sim_rng_one_in(r, 8);
	uint64_t delack = sim_rng_one_in(r, 4) ? 0 : MS_US(40);

	b->bytes = burst_log_range(r, 16 * BURST_KIB, 2048 * BURST_KIB);
	sc->order = SIM_CLOSE_A_FIRST;
	sc->bytes[SIM_A] = b->bytes;
	sc->bytes[SIM_B] = 0;
	sc->seed_arp = true;
	sc->use_blocking = false;
	sc->stalls = false;
	sc->keep_listener = false;
	sc->think_us = 0;
	sc->max_chunk = 65536;
	for (int i = 0; i < SIM_SIDES; i++) {
		struct sim_link_params *p = &sc->link[i];
		struct stack_tunables *t = &sc->tun[i];

		sc->mode[i] = SIM_MODE_SHUTDOWN;
		sc->mtu[i] = BURST_MTU;
		sc->nodelay[i] = false;
		sc->keepidle_us[i] = 0;
		sc->keepintvl_us[i] = 0;
		memset(p, 0, sizeof(*p));
		p->delay_us = delay;
		p->jitter_us = sim_rng_one_in(r, 2) ? 0 : sim_rng_below(r, delay / 10 + 1);
		p->rate_bps = rate;
		/* the channel moves once a full frame's time, idle or not */
		p->ge_slot_us = (BURST_MTU + 14) * 8 * 1000000ull / rate + 1;
		/* room for the largest window (and its ACKs): the link refuses nothing */
		p->queue_limit = 512;
		stack_tunables_defaults(t);
		t->rto_min = rto_min;
		t->rto_max = SEC_US(4);
		t->delayed_ack = delack;
		t->send_buffer = bufs[sim_rng_below(r, 3)];
		t->recv_buffer = bufs[sim_rng_below(r, 3)];
		t->timestamps = ts;
		t->window_scaling = ws;
		t->sack = sack;
	}
	burst_pick_ge(r, &sc->link[SIM_A], 30000);
	sc->link[SIM_A].loss_ppm = (uint32_t)sim_rng_range(r, 0, 3000);
	sc->link[SIM_A].reorder_ppm = (uint32_t)sim_rng_range(r, 0, 30000);
	sc->link[SIM_A].reorder_us = sim_rng_range(r, 200, 1000 + delay);
	if (!sim_rng_one_in(r, 3))
		burst_pick_ge(r, &sc->link[SIM_B], 10000);
	sc->link[SIM_B].reorder_ppm = (uint32_t)sim_rng_range(r, 0, 20000);
	sc->link[SIM_B].reorder_us = sim_rng_range(r, 200, 1000 + delay);
	/* TIME-WAIT outlasts several FIN retransmissions (sim_run.c's rule) */
	sc->msl_us = 2 * SEC_US(4);
	for (int i = 0; i < SIM_SIDES; i++)
		sc->tun[i].msl = sc->msl_us;
	/* A may send TSO frames (sc->offload from the seed): B's link never
	 * takes them whole, so they are cut into wire frames, which are what
	 * the channel loses */
	sc->offload[SIM_B] = false;
	b->sc = *sc;
	/* the handshake and the close run on a clean link (the random runs of
	 * sim.c cover lossy ones): a burst that ate every SYN,ACK would only end
	 * the connection, which measures nothing here */
	for (int i = 0; i < SIM_SIDES; i++) {
		b->impaired[i] = sc->link[i];
		burst_clean(&sc->link[i]);
	}
}

static void burst_step(struct sim_world *w, void *ctx)
{
	struct burst *b = ctx;
	const uint64_t *va = stack_counters_get(w->side[SIM_A].stack)->v;

	/* B reads in the application step after this hook: the previous hook's time */
	if (b->have_start && !b->done_at && w->side[SIM_B].app.rx_done == b->bytes) {
		b->done_at = b->last_step;
		b->fwd1 = w->link[SIM_A].stats;
		b->back1 = w->link[SIM_B].stats;
		b->timeouts = va[STACK_CTR_TcpExtTCPTimeouts] - b->timeouts;
		b->fast_rexmits = va[STACK_CTR_TcpExtTCPFastRetrans] - b->fast_rexmits;
		b->retrans = va[STACK_CTR_TcpRetransSegs] - b->retrans;
		for (int i = 0; i < SIM_SIDES; i++)
			burst_clean(&w->link[i].p);
	}
	b->last_step = w->now;
	if (!b->have_start && w->side[SIM_A].app.have_sock) {
		b->have_start = true;
		b->start = w->now;
		b->fwd0 = w->link[SIM_A].stats;
		b->back0 = w->link[SIM_B].stats;
		b->timeouts = va[STACK_CTR_TcpExtTCPTimeouts];
		b->fast_rexmits = va[STACK_CTR_TcpExtTCPFastRetrans];
		b->retrans = va[STACK_CTR_TcpRetransSegs];
		for (int i = 0; i < SIM_SIDES; i++)
			w->link[i].p = b->impaired[i];
	}
}

/* The path as the model sees it (file comment), in seconds and segments. */
struct burst_model {
	double base; /* bytes / rate + (SS + 2) x RTT + delayed ACK */
	double rtt, rto;
	double wseg; /* min(W, BDP) in segments */
	double ss;   /* slow-start round trips */
};

static void burst_model(const struct burst *b, struct burst_model *m)
{
	const struct sim_scenario *sc = &b->sc;
	const struct sim_link_params *fwd = &b->impaired[SIM_A], *back = &b->impaired[SIM_B];
	const struct stack_tunables *ta = &sc->tun[SIM_A], *tb = &sc->tun[SIM_B];
	double mss = BURST_MTU - 40 - (ta->timestamps && tb->timestamps ? 12 : 0);
	double frame = BURST_MTU + 14, ack = 14 + 40 + 12 + 40; /* with timestamps and SACK */
	double goodput = (double)fwd->rate_bps / 8.0 * (mss / frame);
	double win =
		(double)(ta->send_buffer < tb->recv_buffer ? ta->send_buffer : tb->recv_buffer);
	double rate, used;

	m->rtt = (double)(fwd->delay_us + back->delay_us + fwd->jitter_us + back->jitter_us) / 1e6 +
		 frame * 8 / (double)fwd->rate_bps + ack * 8 / (double)back->rate_bps;
	rate = goodput < win / m->rtt ? goodput : win / m->rtt;
	used = win < goodput * m->rtt ? win : goodput * m->rtt;
	m->rto = (double)ta->rto_min / 1e6 > 3 * m->rtt ? (double)ta->rto_min / 1e6 : 3 * m->rtt;
	m->ss = used > BURST_IW * mss ? log2(used / (BURST_IW * mss)) + 1 : 1;
	m->wseg = used / mss;
	m->base = (double)b->bytes / rate + (m->ss + 2) * m->rtt + (double)tb->delayed_ack / 1e6;
}

static double burst_bound(const struct burst_model *m, const struct burst_result *r)
{
	return BASE_SLACK * m->base + (double)r->lost * LOSS_RTOS * m->rto +
	       (double)r->bursts * BURST_RTOS * m->rto +
	       (double)r->ack_bursts * ACK_BURST_RTOS * m->rto +
	       (double)r->reorders * REORDER_CA * m->wseg * m->rtt;
}

static int burst_run(uint64_t seed, bool verbose, bool csv, struct burst_result *out)
{
	struct burst b;
	struct sim_hooks hooks = { .ctx = &b, .scenario = burst_scenario, .step = burst_step };
	struct sim_opts o;
	struct sim_result res;
	const struct sim_scenario *sc = &b.sc;
	struct burst_model m;
	int r;

	memset(&b, 0, sizeof(b));
	memset(out, 0, sizeof(*out));
	out->seed = seed;
	sim_rng_seed(&b.rng, seed, BURST_SEED);
	sim_opts_defaults(&o);
	o.verbose = verbose;
	o.hooks = &hooks;
	r = sim_run_seed(seed, &o, &res);
	if (r < 0) {
		printf("seed %" PRIu64 " FAILED: %s\n  replay: sim-burst --seed %" PRIu64 " -v\n",
		       seed, res.fail, seed);
		return -1;
	}
	if (!b.done_at) {
		printf("seed %" PRIu64 " FAILED: the transfer's end was not seen\n", seed);
		return -1;
	}
	if (b.fwd1.refused != b.fwd0.refused || b.back1.refused != b.back0.refused) {
		printf("seed %" PRIu64
		       " FAILED: the link refused frames (its queue is too short)\n",
		       seed);
		return -1;
	}
	out->bursts = b.fwd1.loss_runs - b.fwd0.loss_runs;
	out->ack_bursts = b.back1.loss_runs - b.back0.loss_runs;
	out->lost = b.fwd1.lost - b.fwd0.lost;
	out->timeouts = b.timeouts;
	out->fast_rexmits = b.fast_rexmits;
	out->actual = (double)(b.done_at - b.start) / 1e6;
	out->reorders = b.fwd1.reordered - b.fwd0.reordered;
	burst_model(&b, &m);
	out->bound = burst_bound(&m, out);
	out->ratio = out->actual / out->bound;
	out->ok = out->actual <= out->bound;
	/* for a new fit: seed, bytes, actual s, bound s, data loss runs, ACK loss runs,
	 * data frames lost, A's timeouts, fast retransmits, retransmitted segments,
	 * reorder ppm, delay us, rate, SNDBUF, RCVBUF, rto.min, sack, ts, data frames
	 * reordered, and the model's base s, RTT s, RTO s, window in segments, slow start */
	if (csv)
		printf("csv,%" PRIu64 ",%" PRIu64 ",%.6f,%.6f,%" PRIu64 ",%" PRIu64 ",%" PRIu64
		       ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64
		       ",%" PRIu64 ",%" PRIu64 ",%d,%d,%" PRIu64 ",%.6f,%.6f,%.6f,%.2f,%.2f\n",
		       seed, b.bytes, out->actual, out->bound, out->bursts, out->ack_bursts,
		       out->lost, out->timeouts, out->fast_rexmits, b.retrans,
		       b.impaired[SIM_A].reorder_ppm, b.impaired[SIM_A].delay_us,
		       b.impaired[SIM_A].rate_bps, sc->tun[SIM_A].send_buffer,
		       sc->tun[SIM_B].recv_buffer, sc->tun[SIM_A].rto_min, (int)sc->tun[SIM_A].sack,
		       (int)sc->tun[SIM_A].timestamps, out->reorders, m.base, m.rtt, m.rto, m.wseg,
		       m.ss);
	if (verbose || !out->ok)
		printf("seed %" PRIu64 "%s: %" PRIu64
		       " bytes in %.3f s (bound %.3f s, %.2f), %" PRIu64 " loss bursts (%" PRIu64
		       " frames) + %" PRIu64 " of ACKs, %" PRIu64 " timeouts, %" PRIu64
		       " fast retransmits\n",
		       seed, out->ok ? "" : " FAILED: slower than the bound", b.bytes, out->actual,
		       out->bound, out->ratio, out->bursts, out->lost, out->ack_bursts,
		       out->timeouts, out->fast_rexmits);
	return out->ok ? 0 : -1;
}

static int burst_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double burst_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	uint64_t first = 1, count = 10000, passed = 0, failed = 0, worst_seed = 0;
	uint64_t timeouts = 0, bursts = 0;
	bool verbose = false, csv = false;
	double *ratios, worst = 0, t0;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--csv") == 0) {
			csv = true;
		} else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
			count = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--first") == 0 && i + 1 < argc) {
			first = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			first = strtoull(argv[++i], NULL, 0);
			count = 1;
		} else {
			fprintf(stderr,
				"usage: %s [--seeds N] [--first S] [--seed S] [-v] [--csv]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ratios = calloc(count ? count : 1, sizeof(*ratios));
	if (!ratios)
		return 1;
	t0 = burst_wall();
	for (uint64_t i = 0; i < count; i++) {
		struct burst_result res;

		if (burst_run(first + i, verbose, csv, &res) == 0)
			passed++;
		else
			failed++;
		if (res.bound > 0) {
			ratios[n++] = res.ratio;
			timeouts += res.timeouts;
			bursts += res.bursts;
			if (res.ratio > worst) {
				worst = res.ratio;
				worst_seed = res.seed;
			}
		}
	}
	qsort(ratios, n, sizeof(*ratios), burst_cmp);
	if (n)
		printf("actual / bound: median %.3f, p99 %.3f, max %.3f (seed %" PRIu64
		       "); %" PRIu64 " loss bursts, %" PRIu64 " timeouts; %.1f s wall\n",
		       ratios[n / 2], ratios[n * 99 / 100], ratios[n - 1], worst_seed, bursts,
		       timeouts, burst_wall() - t0);
	printf("%" PRIu64 " seeds: %" PRIu64 " passed, %" PRIu64 " failed\n", count, passed,
	       failed);
	free(ratios);
	return failed || !passed ? 1 : 0;
}
