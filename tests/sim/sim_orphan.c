/* SPDX-License-Identifier: MIT */
/*
 * sim_orphan.c - an adversarial simulator scenario (issue 9): zero-window
 * orphans. Two stacks over the impaired in-memory link of sim_link.c, under
 * a virtual clock. A (10.0.0.1) accepts B's connection, writes more than B
 * will ever take and closes; B (10.0.0.2) never reads and never closes, so
 * its window closes and stays closed while its stack answers every probe.
 * A's orphan must then go (tcp.orphan_retries, tcp_orphan.c) within a bound:
 *
 *   time:   gone by the last ACK that moved A's SND.UNA + (orphan_retries + 1)
 *           x rto.max (each retransmission timeout or probe counts, at most
 *           rto.max apart; only progress starts the count again);
 *   memory: from the close, A holds no receive buffer (at most the listener,
 *           one slot's send buffer and what it held before the connection),
 *           and once the orphan is gone exactly what it held before.
 *
 * Every seed picks the link (delay, jitter, loss, duplication, reordering),
 * buffers, rto.max and orphan_retries; a failing seed prints its replay
 * command (sim-orphan --seed N). Nothing reads a real clock.
 *
 *   sim-orphan --seeds 300      seeds 1..300
 *   sim-orphan --seed N         one seed
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "sim_link.h"
#include "sim_rng.h"
#include "stack.h"
#include "stack_info.h"
#include "tcp/tcp_sack.h"

#define ORPH_A	   0
#define ORPH_B	   1
#define ORPH_PORT  8080
#define ORPH_LIMIT SEC_US(3600) /* virtual time a seed may take at most */

struct orph_side {
	struct stack *stack;
	uint32_t addr;
	uint8_t mac[6];
	size_t alloc_bytes;
};

struct orph_world {
	uint64_t seed;
	struct sim_rng rng;
	stack_time_us now;
	struct orph_side side[2];
	struct sim_link link[2]; /* link[i] carries what side i sends */
	struct stack_tunables tun[2];
	uint64_t bytes, taken;
	stack_sock listener, conn_a, conn_b;
	bool accepted, closed, gone, failed;
	stack_time_us closed_at, gone_at, progress_at;
	uint32_t snd_una;
	bool have_una;
	size_t base_bytes, peak_after_close;
	bool have_sndbuf;
	uint64_t sndbuf_at_close; /* A's SNDBUF when the orphan was first watched */
	char fail[256];
};

static void orph_fail(struct orph_world *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = true;
	va_start(ap, fmt);
	vsnprintf(w->fail, sizeof(w->fail), fmt, ap);
	va_end(ap);
}

static void *orph_alloc(void *ctx, size_t size)
{
	struct orph_side *sd = ctx;
	void *p = malloc(size ? size : 1);

	if (p)
		sd->alloc_bytes += size;
	return p;
}

static void orph_free(void *ctx, void *ptr, size_t size)
{
	struct orph_side *sd = ctx;

	if (!ptr)
		return;
	sd->alloc_bytes -= size;
	free(ptr);
}

struct orph_emit_ctx {
	struct orph_world *w;
	int idx;
};

static struct orph_emit_ctx orph_emit_ctx[2];

static int orph_emit(void *ctx, const uint8_t *frame, size_t len,
		     const struct stack_frame_meta *meta)
{
	struct orph_emit_ctx *e = ctx;

	return sim_link_send(&e->w->link[e->idx], e->w->now, frame, len);
}

static void orph_pick_link(struct sim_rng *r, struct sim_link_params *p)
{
	memset(p, 0, sizeof(*p));
	p->delay_us = sim_rng_range(r, 100, 30000);
	p->jitter_us = sim_rng_one_in(r, 2) ? 0 : sim_rng_below(r, p->delay_us / 2 + 1);
	p->queue_limit = 512;
	if (sim_rng_one_in(r, 4))
		return;
	p->loss_ppm = (uint32_t)sim_rng_range(r, 0, 50000);
	p->dup_ppm = (uint32_t)sim_rng_range(r, 0, 10000);
	p->reorder_ppm = (uint32_t)sim_rng_range(r, 0, 30000);
	p->reorder_us = sim_rng_range(r, 1000, 3 * p->delay_us + 5000);
}

static int orph_side_init(struct orph_world *w, int idx)
{
	struct orph_side *sd = &w->side[idx];
	struct stack_config cfg = { 0 };
	struct stack_env env = { 0 };

	sd->addr = 0x0a000001u + (uint32_t)idx;
	memcpy(sd->mac, (uint8_t[6]){ 0x02, 0x00, 0x5e, 0x00, 0x01, (uint8_t)(idx + 1) }, 6);
	memcpy(cfg.mac, sd->mac, 6);
	cfg.addr = sd->addr;
	cfg.prefix_len = 24;
	cfg.mtu = 1500;
	cfg.max_conns = 8;
	cfg.tun = w->tun[idx];
	for (size_t i = 0; i < sizeof(env.secret); i++)
		env.secret[i] = (uint8_t)sim_rng_next(&w->rng);
	env.seed = sim_rng_next(&w->rng);
	orph_emit_ctx[idx] = (struct orph_emit_ctx){ .w = w, .idx = idx };
	env.sink = (struct stack_sink){ .ctx = &orph_emit_ctx[idx], .emit = orph_emit };
	env.allocator =
		(struct stack_allocator){ .ctx = sd, .alloc = orph_alloc, .free = orph_free };
	sd->stack = aligned_alloc(64, (stack_size() + 63) & ~(size_t)63);
	if (!sd->stack || stack_init(sd->stack, w->now, &cfg, &env) < 0) {
		orph_fail(w, "stack_init");
		return -1;
	}
	return 0;
}

static int orph_init(struct orph_world *w, uint64_t seed)
{
	struct stack_endpoint any = { 0, ORPH_PORT };
	struct stack_endpoint a = { 0x0a000001u, ORPH_PORT };

	memset(w, 0, sizeof(*w));
	w->seed = seed;
	sim_rng_seed(&w->rng, seed, 7);
	for (int i = 0; i < 2; i++) {
		struct sim_link_params p;

		stack_tunables_defaults(&w->tun[i]);
		w->tun[i].rto_max = sim_rng_range(&w->rng, SEC_US(1), SEC_US(8));
		w->tun[i].timestamps = sim_rng_one_in(&w->rng, 2);
		w->tun[i].sack = sim_rng_one_in(&w->rng, 2);
		w->tun[i].window_scaling = sim_rng_one_in(&w->rng, 2);
		w->tun[i].send_buffer = sim_rng_range(&w->rng, 4096, 256 * 1024);
		w->tun[i].recv_buffer = sim_rng_range(&w->rng, 4096, 256 * 1024);
		orph_pick_link(&w->rng, &p);
		if (sim_link_init(&w->link[i], &p, seed, 40 + (uint64_t)i) < 0)
			return -1;
	}
	w->tun[ORPH_A].orphan_retries = sim_rng_range(&w->rng, 1, 12);
	/* more than B's buffer and A's can hold together never fits: less does */
	w->bytes = w->tun[ORPH_B].recv_buffer + w->tun[ORPH_A].send_buffer / 2;
	for (int i = 0; i < 2; i++)
		if (orph_side_init(w, i) < 0)
			return -1;
	net_arp_seed(w->side[ORPH_A].stack, 0, w->side[ORPH_B].addr, w->side[ORPH_B].mac);
	net_arp_seed(w->side[ORPH_B].stack, 0, w->side[ORPH_A].addr, w->side[ORPH_A].mac);
	if (stack_tcp_listen(w->side[ORPH_A].stack, 0, &any, 8, 1, &w->listener) < 0)
		return -1;
	w->base_bytes = w->side[ORPH_A].alloc_bytes;
	if (stack_tcp_connect(w->side[ORPH_B].stack, 0, NULL, &a, 2, &w->conn_b) < 0)
		return -1;
	return 0;
}

static void orph_free_world(struct orph_world *w)
{
	for (int i = 0; i < 2; i++) {
		sim_link_free(&w->link[i]);
		if (w->side[i].stack) {
			stack_deinit(w->side[i].stack);
			free(w->side[i].stack);
		}
	}
}

/* A writes what it can; once every byte is taken it closes (the orphan begins). */
static void orph_app_a(struct orph_world *w)
{
	static uint8_t buf[65536];
	struct stack *s = w->side[ORPH_A].stack;

	while (w->accepted && !w->closed && w->taken < w->bytes) {
		size_t want = w->bytes - w->taken < sizeof(buf) ? w->bytes - w->taken : sizeof(buf);
		ssize_t n = stack_tcp_send(s, w->now, w->conn_a, buf, want);

		if (n < 0) {
			orph_fail(w, "A: send: %zd", n);
			return;
		}
		if (n == 0)
			return; /* WRITABLE will come */
		w->taken += (uint64_t)n;
	}
	if (w->accepted && !w->closed) {
		stack_tcp_close(s, w->now, w->conn_a);
		w->closed = true;
		w->closed_at = w->now;
		w->progress_at = w->now;
	}
}

static void orph_events(struct orph_world *w)
{
	struct stack_event ev;

	while (stack_event_pop(w->side[ORPH_A].stack, &ev)) {
		if (ev.type == STACK_EV_ACCEPTABLE && !w->accepted) {
			if (stack_tcp_accept(w->side[ORPH_A].stack, w->now, w->listener, 3,
					     &w->conn_a) == 0)
				w->accepted = true;
		} else if ((ev.type == STACK_EV_RESET || ev.type == STACK_EV_ERROR) && !w->closed) {
			orph_fail(w, "A: the connection failed before the close (%d)", ev.err);
		}
	}
	/* B never reads and never closes: it only lets its stack answer */
	while (stack_event_pop(w->side[ORPH_B].stack, &ev))
		;
	orph_app_a(w);
}

static int orph_find_cb(void *ctx, stack_sock sock, const struct stack_tcp_info *in)
{
	struct stack_tcp_info *ret = ctx;

	if (in->listener || strcmp(in->state_name, "TIME-WAIT") == 0)
		return 0;
	*ret = *in;
	return 1;
}

/* Watch A's orphan: its progress, its memory, and when it is gone. */
static void orph_watch(struct orph_world *w)
{
	struct stack_tcp_info in;
	size_t held = w->side[ORPH_A].alloc_bytes;

	if (!w->closed || w->gone)
		return;
	if (stack_tcp_foreach(w->side[ORPH_A].stack, orph_find_cb, &in) != 1) {
		w->gone = true;
		w->gone_at = w->now;
		if (held != w->base_bytes)
			orph_fail(w, "A holds %zu bytes after the orphan went, %zu before it", held,
				  w->base_bytes);
		return;
	}
	if (!w->have_una || in.snd_una != w->snd_una) {
		w->have_una = true;
		w->snd_una = in.snd_una;
		w->progress_at = w->now;
	}
	if (held > w->peak_after_close)
		w->peak_after_close = held;
	/* an orphan never reads: its receive buffer went at the close; it keeps its
	 * send buffer (as autotuning left it: it grows no more without an owner)
	 * and, on a SACK connection, its scoreboard (tcp_sack.h) */
	if (!w->have_sndbuf) {
		w->have_sndbuf = true;
		w->sndbuf_at_close = in.sndbuf;
	}
	if (in.sndbuf != w->sndbuf_at_close || in.sndbuf > w->tun[ORPH_A].send_buffer_max)
		orph_fail(w,
			  "A's orphan has SNDBUF %" PRIu64 ", %" PRIu64
			  " at the close (max %" PRIu64 ")",
			  (uint64_t)in.sndbuf, w->sndbuf_at_close, w->tun[ORPH_A].send_buffer_max);
	if (held > w->base_bytes + in.sndbuf + sizeof(struct tcp_sb))
		orph_fail(w,
			  "A holds %zu bytes more with one orphan than its send buffer (%" PRIu64
			  ") and a SACK scoreboard (%zu)",
			  held - w->base_bytes, (uint64_t)in.sndbuf, sizeof(struct tcp_sb));
}

static stack_time_us orph_min(stack_time_us a, stack_time_us b)
{
	return a < b ? a : b;
}

static void orph_run(struct orph_world *w)
{
	uint64_t steps = 0;

	while (!w->failed && !w->gone) {
		stack_time_us t = STACK_TIME_NEVER;
		struct sim_frame f;

		for (int i = 0; i < 2; i++) {
			t = orph_min(t, sim_link_next(&w->link[i]));
			t = orph_min(t, stack_poll_at(w->side[i].stack));
		}
		if (t == STACK_TIME_NEVER) {
			orph_fail(w, "nothing scheduled and A's orphan is still there");
			return;
		}
		if (t > w->now)
			w->now = t;
		if (w->now > ORPH_LIMIT || ++steps > 50000000) {
			orph_fail(w,
				  "A's orphan is still there after %" PRIu64 " s of virtual time",
				  w->now / 1000000);
			return;
		}
		for (int i = 0; i < 2; i++) {
			while (sim_link_pop(&w->link[i], w->now, &f)) {
				stack_input(w->side[1 - i].stack, w->now, f.data, f.len, NULL);
				free(f.data);
			}
		}
		for (int i = 0; i < 2; i++)
			if (stack_poll_at(w->side[i].stack) <= w->now)
				stack_poll(w->side[i].stack, w->now);
		orph_events(w);
		orph_watch(w);
	}
}

static bool orph_seed(uint64_t seed, bool verbose)
{
	static struct orph_world w;
	stack_time_us bound;
	bool ok;

	if (orph_init(&w, seed) < 0 && !w.failed)
		orph_fail(&w, "set-up failed");
	if (!w.failed)
		orph_run(&w);
	bound = w.progress_at + (w.tun[ORPH_A].orphan_retries + 1) * w.tun[ORPH_A].rto_max;
	if (!w.failed && w.gone_at > bound)
		orph_fail(&w,
			  "the orphan went at %.3f s, %.3f s after its last progress: more than "
			  "(orphan_retries %" PRIu64 " + 1) x rto.max %.1f s",
			  w.gone_at / 1e6, (w.gone_at - w.progress_at) / 1e6,
			  w.tun[ORPH_A].orphan_retries, w.tun[ORPH_A].rto_max / 1e6);
	ok = !w.failed;
	if (!ok)
		printf("seed %" PRIu64 " FAILED: t=%.6f: %s\n  replay: sim-orphan --seed %" PRIu64
		       "\n",
		       seed, w.now / 1e6, w.fail, seed);
	else if (verbose)
		printf("seed %" PRIu64 ": %" PRIu64 " bytes, closed at %.3f s, last progress "
		       "%.3f s, gone at %.3f s (bound %.3f s), peak %zu bytes held after close\n",
		       seed, w.bytes, w.closed_at / 1e6, w.progress_at / 1e6, w.gone_at / 1e6,
		       bound / 1e6, w.peak_after_close);
	orph_free_world(&w);
	return ok;
}

int main(int argc, char **argv)
{
	uint64_t first = 1, count = 300, failed = 0;
	bool verbose = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
			count = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			first = strtoull(argv[++i], NULL, 0);
			count = 1;
			verbose = true;
		} else if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else {
			fprintf(stderr, "usage: %s [--seeds N] [--seed S] [-v]\n", argv[0]);
			return 2;
		}
	}
	for (uint64_t s = first; s < first + count; s++)
		failed += !orph_seed(s, verbose);
	printf("zero-window orphans: %" PRIu64 " seeds: %" PRIu64 " passed, %" PRIu64 " failed\n",
	       count, count - failed, failed);
	return failed ? 1 : 0;
}
