/* SPDX-License-Identifier: MIT */
/*
 * sim_run.c - one seed of the simulator: the scenario drawn from the seed,
 * the two stacks with their sinks (an offloading side's completes its
 * checksums and cuts its TSO frames, or hands them over whole to a peer that
 * offloads too), allocators and trace hooks, and the
 * event-driven virtual clock. Each step jumps to the earliest of: the next
 * frame delivery, either stack's stack_poll_at(), either application's next
 * action; then it delivers what is due, polls the stacks that are due, runs
 * the applications that are due and checks the invariants. A run is bounded
 * in virtual time, in steps and in time without progress, so a bug cannot
 * hang CI.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impair_seg.h"
#include "net/net.h"
#include "sim_run.h"

#define SIM_KIB 1024u

void sim_opts_defaults(struct sim_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_steps = 5000000;
	o->max_time = SEC_US(600);
	o->stall_time = SEC_US(120);
}

void sim_fail(struct sim_world *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (w->failed)
		return;
	w->failed = true;
	n = snprintf(w->fail, sizeof(w->fail), "t=%.6f: ", (double)w->now / 1e6);
	va_start(ap, fmt);
	vsnprintf(w->fail + n, sizeof(w->fail) - (size_t)n, fmt, ap);
	va_end(ap);
	if (w->opts->verbose)
		printf("FAIL %s\n", w->fail);
}

void sim_progress(struct sim_world *w)
{
	w->last_progress = w->now;
}

/* The link of one direction: sometimes clean, sometimes lossy up to 10%. */
static void sim_pick_link(struct sim_rng *r, bool clean, struct sim_link_params *p)
{
	memset(p, 0, sizeof(*p));
	p->delay_us =
		sim_rng_one_in(r, 4) ? sim_rng_range(r, 100, 1000) : sim_rng_range(r, 1000, 30000);
	p->jitter_us = sim_rng_one_in(r, 2) ? 0 : sim_rng_below(r, p->delay_us / 2 + 1);
	p->rate_bps = sim_rng_one_in(r, 3) ? 0 : sim_rng_range(r, 1000000, 1000000000);
	p->queue_limit = (uint32_t)sim_rng_range(r, 8, 512);
	if (clean)
		return;
	p->loss_ppm = sim_rng_one_in(r, 3) ? 0 : (uint32_t)sim_rng_range(r, 0, 100000);
	p->dup_ppm = sim_rng_one_in(r, 2) ? 0 : (uint32_t)sim_rng_range(r, 0, 20000);
	p->reorder_ppm = sim_rng_one_in(r, 2) ? 0 : (uint32_t)sim_rng_range(r, 0, 50000);
	p->corrupt_ppm = sim_rng_one_in(r, 2) ? 0 : (uint32_t)sim_rng_range(r, 0, 20000);
	p->reorder_us = sim_rng_range(r, 1000, 3 * p->delay_us + 5000);
}

static uint64_t sim_pick_buffer(struct sim_rng *r)
{
	static const uint64_t sizes[] = { 4 * SIM_KIB, 16 * SIM_KIB, 64 * SIM_KIB, 256 * SIM_KIB };

	return sizes[sim_rng_below(r, 4)];
}

/* TCP tunables of one side: timers short enough to keep virtual runs brief. */
static void sim_pick_tunables(struct sim_rng *r, const struct sim_scenario *sc,
			      struct stack_tunables *t)
{
	stack_tunables_defaults(t);
	t->rto_min = sim_rng_range(r, MS_US(10), MS_US(200));
	t->rto_initial = sim_rng_range(r, t->rto_min, SEC_US(1));
	t->rto_max = sim_rng_range(r, SEC_US(1), SEC_US(4));
	switch (sim_rng_below(r, 3)) {
	case 0:
		t->delayed_ack = 0;
		break;
	case 1:
		t->delayed_ack = MS_US(40);
		break;
	default:
		t->delayed_ack = sim_rng_range(r, MS_US(1), MS_US(200));
	}
	t->initial_cwnd = sim_rng_one_in(r, 2) ? 10 : sim_rng_range(r, 1, 10);
	t->send_buffer = sim_pick_buffer(r);
	t->recv_buffer = sim_pick_buffer(r);
	t->timestamps = !sim_rng_one_in(r, 4);
	t->window_scaling = !sim_rng_one_in(r, 4);
	t->sack = !sim_rng_one_in(r, 4);
}

static uint64_t sim_pick_bytes(struct sim_rng *r, bool big)
{
	if (sim_rng_one_in(r, 8))
		return 0;
	return big ? sim_rng_range(r, 0, 512 * SIM_KIB) : sim_rng_range(r, 1, 48 * SIM_KIB);
}

/*
 * MSL, the same on both sides: TIME-WAIT (2 x MSL) must outlast several of the
 * peer's FIN retransmissions, or a lost last ACK legitimately ends the peer's
 * close with our RST; at least 4 x the larger rto.max makes that need four
 * losses in a row.
 */
static void sim_pick_msl(struct sim_rng *r, struct sim_scenario *sc)
{
	uint64_t rto_max = sc->tun[SIM_A].rto_max > sc->tun[SIM_B].rto_max ? sc->tun[SIM_A].rto_max
									   : sc->tun[SIM_B].rto_max;

	sc->msl_us = sim_rng_range(r, 2 * rto_max, 4 * rto_max);
	for (int i = 0; i < SIM_SIDES; i++)
		sc->tun[i].msl = sc->msl_us;
}

static void sim_pick_scenario(struct sim_world *w)
{
	static const uint32_t mtus[] = { 296, 576, 1280, 1500, 1500, 1500, 9000 };
	static const uint32_t chunks[] = { 64, 1460, 8192, 65536 };
	struct sim_scenario *sc = &w->sc;
	struct sim_rng *r = &w->rng;
	bool big = sim_rng_one_in(r, 6), clean = sim_rng_one_in(r, 4);

	memset(sc, 0, sizeof(*sc));
	sc->order = (enum sim_close_order)sim_rng_below(r, SIM_CLOSE_ORDER_COUNT);
	sc->think_us = sim_rng_one_in(r, 4) ? 0 : sim_rng_range(r, 1, MS_US(20));
	sc->seed_arp = !sim_rng_one_in(r, 8);
	sc->use_blocking = sim_rng_one_in(r, 4);
	sc->stalls = sim_rng_one_in(r, 3);
	sc->keep_listener = sim_rng_one_in(r, 4);
	for (int i = 0; i < SIM_SIDES; i++) {
		sc->bytes[i] = sim_pick_bytes(r, big);
		sc->mode[i] = (enum sim_close_mode)sim_rng_below(r, 2);
		sc->mtu[i] = mtus[sim_rng_below(r, sizeof(mtus) / sizeof(mtus[0]))];
		sc->nodelay[i] = sim_rng_one_in(r, 2);
		if (sim_rng_one_in(r, 4)) {
			sc->keepidle_us[i] = sim_rng_range(r, MS_US(200), SEC_US(5));
			sc->keepintvl_us[i] = sim_rng_range(r, MS_US(100), SEC_US(2));
		}
		sim_pick_link(r, clean, &sc->link[i]);
		sim_pick_tunables(r, sc, &sc->tun[i]);
	}
	sc->max_chunk = chunks[sim_rng_below(r, big ? 3 : 4) + (big ? 1 : 0)];
	sim_pick_msl(r, sc);
	/* from the seed, not the generator: every other seed's scenario stays as it was */
	sc->input_batches = (w->seed & 1) != 0;
	for (int i = 0; i < SIM_SIDES; i++) {
		sc->offload[i] = !w->opts->no_offload && (w->seed >> (1 + i) & 1) != 0;
		sc->direct[i] = !w->opts->no_direct && (w->seed >> (3 + i) & 1) != 0;
	}
}

static void sim_print_scenario(const struct sim_world *w)
{
	static const char *const orders[] = { "A first", "B first", "simultaneous", "any" };
	const struct sim_scenario *sc = &w->sc;

	printf("seed %" PRIu64 ": A->B %" PRIu64 " bytes, B->A %" PRIu64
	       " bytes, close %s (A %s, B %s), msl %" PRIu64 " us, chunk <= %u, think <= %" PRIu64
	       " us%s%s%s%s%s%s%s%s%s\n",
	       w->seed, sc->bytes[SIM_A], sc->bytes[SIM_B], orders[sc->order],
	       sc->mode[SIM_A] == SIM_MODE_CLOSE ? "close" : "shutdown",
	       sc->mode[SIM_B] == SIM_MODE_CLOSE ? "close" : "shutdown", sc->msl_us, sc->max_chunk,
	       sc->think_us, sc->seed_arp ? "" : ", ARP over the link",
	       sc->use_blocking ? ", link back-pressure" : "", sc->stalls ? ", read stalls" : "",
	       sc->keep_listener ? ", listener kept" : "",
	       sc->input_batches ? ", input batches" : "", sc->offload[SIM_A] ? ", A offloads" : "",
	       sc->offload[SIM_B] ? ", B offloads" : "",
	       sc->direct[SIM_A] ? ", A reads direct" : "",
	       sc->direct[SIM_B] ? ", B reads direct" : "");
	for (int i = 0; i < SIM_SIDES; i++) {
		const struct sim_link_params *p = &sc->link[i];
		const struct stack_tunables *t = &sc->tun[i];

		printf("  %c: mtu %u, sndbuf %" PRIu64 ", rcvbuf %" PRIu64 ", rto %" PRIu64
		       "/%" PRIu64 "/%" PRIu64 " us, delack %" PRIu64 " us, iw %" PRIu64
		       ", ts %d ws %d sack %d nodelay %d, keepalive %" PRIu64 "/%" PRIu64 " us\n",
		       i == SIM_A ? 'A' : 'B', sc->mtu[i], t->send_buffer, t->recv_buffer,
		       t->rto_min, t->rto_initial, t->rto_max, t->delayed_ack, t->initial_cwnd,
		       (int)t->timestamps, (int)t->window_scaling, (int)t->sack, sc->nodelay[i],
		       sc->keepidle_us[i], sc->keepintvl_us[i]);
		printf("  %c->%c: delay %" PRIu64 " us, jitter %" PRIu64 " us, rate %" PRIu64
		       " bit/s, queue %u, loss %u dup %u reorder %u (<= %" PRIu64
		       " us) corrupt %u ppm\n",
		       i == SIM_A ? 'A' : 'B', i == SIM_A ? 'B' : 'A', p->delay_us, p->jitter_us,
		       p->rate_bps, p->queue_limit, p->loss_ppm, p->dup_ppm, p->reorder_ppm,
		       p->reorder_us, p->corrupt_ppm);
	}
}

/* A frame onto the link: wire-sized, or with meta an offloaded one whole. */
static int sim_emit_wire(struct sim_side *sd, const uint8_t *frame, size_t len,
			 const struct stack_frame_meta *meta)
{
	struct sim_world *w = sd->w;

	if (w->opts->hooks && w->opts->hooks->drop &&
	    w->opts->hooks->drop(w, w->opts->hooks->ctx, sd->idx, frame, len))
		return 0; /* taken by the link, then lost on the wire */
	return sim_link_send_meta(&w->link[sd->idx], w->now, frame, len, meta);
}

struct sim_split {
	struct sim_side *sd;
	unsigned n; /* wire frames so far */
};

/* A wire frame cut from a TSO frame: the first decides whether the link took
 * the frame; a later one the queue has no room for is lost, as on a wire. */
static int sim_emit_cut(void *ctx, uint8_t *frame, size_t len)
{
	struct sim_split *sp = ctx;
	int r = sim_emit_wire(sp->sd, frame, len, NULL);

	return sp->n++ == 0 || r != -ENOBUFS ? r : 0;
}

/*
 * What an offloading link does with a frame before the wire: complete the
 * partial checksum and cut a TSO frame into segments of gso_size
 * (impair_seg_split(), as synackd's impairment stage does). A checksum the
 * core left wrong stays wrong, and the peer drops the frame.
 */
static int sim_emit_offloaded(struct sim_side *sd, const uint8_t *frame, size_t len,
			      const struct stack_frame_meta *meta)
{
	/* one per side: nothing the emit callback calls re-enters a stack today,
	 * but a side's split never shares a buffer with the other's */
	static uint8_t scratch[SIM_SIDES][IMPAIR_SEG_SCRATCH];
	struct impair_seg_in in = { .csum_partial = meta->csum_partial,
				    .csum_start = meta->csum_start,
				    .csum_offset = meta->csum_offset,
				    .gso_size = meta->gso_type == STACK_GSO_TCPV4 ? meta->gso_size
										  : 0 };
	struct sim_split sp = { .sd = sd };
	int r = impair_seg_split(frame, len, &in, scratch[sd->idx], sim_emit_cut, &sp);

	if (r == -EINVAL)
		sim_fail(sd->w,
			 "%c: an offload frame the link cannot cut (partial %d, gso %u/%u, "
			 "%zu bytes)",
			 sd->idx == SIM_A ? 'A' : 'B', meta->csum_partial, meta->gso_type,
			 meta->gso_size, len);
	return r < 0 ? r : 0;
}

static int sim_emit(void *ctx, const uint8_t *frame, size_t len,
		    const struct stack_frame_meta *meta)
{
	struct sim_side *sd = ctx;
	struct sim_world *w = sd->w;

	if (meta && (meta->csum_partial || meta->gso_type != STACK_GSO_NONE)) {
		/* both ends offloading: a TSO frame goes whole, as the kernel's
		 * reach synackd (the link may lose, duplicate or delay it, not
		 * corrupt it: the receiver trusts its checksum); any other frame
		 * is completed and cut on the way, and may be corrupted */
		if (w->sc.offload[sd->idx] && w->sc.offload[1 - sd->idx] &&
		    meta->gso_type == STACK_GSO_TCPV4)
			return sim_emit_wire(sd, frame, len, meta);
		if (w->sc.offload[sd->idx])
			return sim_emit_offloaded(sd, frame, len, meta);
		sim_fail(w,
			 "%c: emitted an offload frame the link never asked for (partial %d, gso "
			 "%u/%u, %zu bytes)",
			 sd->idx == SIM_A ? 'A' : 'B', meta->csum_partial, meta->gso_type,
			 meta->gso_size, len);
	}
	return sim_emit_wire(sd, frame, len, NULL);
}

/* A frame whose payload is still in the send ring: made whole, as synackd's
 * link does when it captures or impairs (link_emit_tail()). */
static int sim_emit_tail(void *ctx, uint8_t *head, size_t head_len,
			 const struct stack_frame_tail *tail, const struct stack_frame_meta *meta)
{
	stack_frame_tail_copy(head + head_len, tail);
	return sim_emit(ctx, head, head_len + stack_frame_tail_len(tail), meta);
}

static void *sim_alloc(void *ctx, size_t size)
{
	struct sim_side *sd = ctx;
	void *p = malloc(size ? size : 1);

	if (p)
		sd->alloc_bytes += size;
	return p;
}

static void sim_free(void *ctx, void *ptr, size_t size)
{
	struct sim_side *sd = ctx;

	if (!ptr)
		return;
	sd->alloc_bytes -= size;
	free(ptr);
}

static size_t sim_direct(void *ctx, stack_sock sock, uint64_t owner, const uint8_t *data,
			 size_t len)
{
	struct sim_side *sd = ctx;

	(void)owner;
	return sim_app_direct(sd->w, sd, sock, data, len);
}

static int sim_side_init(struct sim_world *w, int idx)
{
	struct sim_side *sd = &w->side[idx];
	struct stack_config cfg = { 0 };
	struct stack_env env = { 0 };
	int r;

	sd->w = w;
	sd->idx = idx;
	sd->wnd.my_ws = sd->wnd.peer_ws = -1;
	sd->addr = 0x0a000001u + (uint32_t)idx;
	memcpy(sd->mac, (uint8_t[6]){ 0x02, 0x00, 0x5e, 0x00, 0x00, (uint8_t)(idx + 1) }, 6);
	memcpy(cfg.mac, sd->mac, 6);
	cfg.addr = sd->addr;
	cfg.prefix_len = 24;
	cfg.mtu = w->sc.mtu[idx];
	cfg.max_conns = 16;
	cfg.tun = w->sc.tun[idx];
	for (size_t i = 0; i < sizeof(env.secret); i++)
		env.secret[i] = (uint8_t)sim_rng_next(&w->rng);
	env.seed = sim_rng_next(&w->rng);
	env.sink = (struct stack_sink){ .ctx = sd, .emit = sim_emit };
	if (w->sc.offload[idx]) {
		cfg.tx_csum_offload = cfg.tx_tso = true;
		env.sink.emit_tail = sim_emit_tail;
	}
	env.allocator = (struct stack_allocator){ .ctx = sd, .alloc = sim_alloc, .free = sim_free };
	env.trace = sim_check_trace;
	env.trace_ctx = sd;
	env.direct = sim_direct;
	env.direct_ctx = sd;
	sd->stack = aligned_alloc(64, (stack_size() + 63) & ~(size_t)63);
	if (!sd->stack)
		return -1;
	r = stack_init(sd->stack, w->now, &cfg, &env);
	if (r < 0) {
		free(sd->stack);
		sd->stack = NULL;
		sim_fail(w, "%c: stack_init: %s", idx == SIM_A ? 'A' : 'B', strerror(-r));
		return -1;
	}
	return 0;
}

static int sim_world_init(struct sim_world *w, uint64_t seed, const struct sim_opts *o)
{
	memset(w, 0, sizeof(*w));
	w->seed = seed;
	w->opts = o;
	w->simul_close_at = STACK_TIME_NEVER;
	sim_rng_seed(&w->rng, seed, 1);
	sim_pick_scenario(w);
	if (o->hooks && o->hooks->scenario)
		o->hooks->scenario(w, o->hooks->ctx);
	if (o->verbose)
		sim_print_scenario(w);
	for (int i = 0; i < SIM_SIDES; i++) {
		if (sim_link_init(&w->link[i], &w->sc.link[i], seed, 20 + (uint64_t)i) < 0) {
			sim_fail(w, "link set-up failed");
			return -1;
		}
		w->link[i].log = sim_check_link_log;
		w->link[i].log_ctx = &w->side[i];
	}
	for (int i = 0; i < SIM_SIDES; i++)
		if (sim_side_init(w, i) < 0)
			return -1;
	if (w->sc.seed_arp) {
		net_arp_seed(w->side[SIM_A].stack, 0, w->side[SIM_B].addr, w->side[SIM_B].mac);
		net_arp_seed(w->side[SIM_B].stack, 0, w->side[SIM_A].addr, w->side[SIM_A].mac);
	}
	for (int i = 0; i < SIM_SIDES; i++)
		sim_app_start(w, &w->side[i]);
	return w->failed ? -1 : 0;
}

/* With -v: every non-zero counter of both stacks, as the run left them. */
static void sim_print_counters(const struct sim_world *w)
{
	for (int i = 0; i < SIM_SIDES; i++) {
		const struct stack_counters *c;
		unsigned col = 0;

		if (!w->side[i].stack)
			continue;
		c = stack_counters_get(w->side[i].stack);
		printf("counters %c:", i == SIM_A ? 'A' : 'B');
		for (unsigned k = 0; k < STACK_CTR_COUNT; k++) {
			if (!c->v[k])
				continue;
			printf("%s%s %" PRIu64, col++ % 4 ? ", " : "\n  ",
			       stack_counter_name((enum stack_counter_id)k), c->v[k]);
		}
		printf("\n");
	}
}

static void sim_world_free(struct sim_world *w)
{
	if (w->opts->verbose)
		sim_print_counters(w);
	for (int i = 0; i < SIM_SIDES; i++) {
		struct sim_side *sd = &w->side[i];

		if (sd->stack) {
			stack_deinit(sd->stack);
			free(sd->stack);
			sd->stack = NULL;
			if (sd->alloc_bytes)
				sim_fail(w, "%c: %zu bytes still allocated after stack_deinit()",
					 i == SIM_A ? 'A' : 'B', sd->alloc_bytes);
		}
		sim_link_free(&w->link[i]);
	}
}

static stack_time_us sim_min(stack_time_us a, stack_time_us b)
{
	return a < b ? a : b;
}

/* The next moment anything happens. */
static stack_time_us sim_next_time(struct sim_world *w)
{
	stack_time_us t = STACK_TIME_NEVER;

	for (int i = 0; i < SIM_SIDES; i++) {
		struct sim_side *sd = &w->side[i];

		t = sim_min(t, sim_link_next(&w->link[i]));
		t = sim_min(t, stack_poll_at(sd->stack));
		t = sim_min(t, sd->app.next_action);
		if (sd->blocked)
			t = sim_min(t, sim_link_next_departure(&w->link[i]));
	}
	if (w->opts->hooks && w->opts->hooks->next_at)
		t = sim_min(t, w->opts->hooks->next_at(w, w->opts->hooks->ctx));
	return t;
}

static void sim_deliver(struct sim_world *w)
{
	struct sim_frame f;

	for (int i = 0; i < SIM_SIDES; i++) {
		struct sim_side *dst = &w->side[1 - i];
		bool batch = w->sc.input_batches;

		if (batch)
			stack_input_batch_begin(dst->stack);
		while (!w->failed && sim_link_pop(&w->link[i], w->now, &f)) {
			stack_input(dst->stack, w->now, f.data, f.len, f.has_meta ? &f.meta : NULL);
			free(f.data);
			if (!batch)
				sim_app_events(w, dst);
		}
		if (batch) {
			/* as synackd: the batch's answers, then the applications */
			stack_input_batch_end(dst->stack, w->now);
			sim_app_events(w, dst);
		}
	}
}

static void sim_poll(struct sim_world *w)
{
	for (int i = 0; i < SIM_SIDES && !w->failed; i++) {
		struct sim_side *sd = &w->side[i];

		if (stack_poll_at(sd->stack) > w->now)
			continue;
		stack_poll(sd->stack, w->now);
		sim_check_after_poll(w, sd);
		sim_app_events(w, sd);
	}
}

static void sim_apps(struct sim_world *w)
{
	for (int i = 0; i < SIM_SIDES && !w->failed; i++) {
		struct sim_side *sd = &w->side[i];

		if (sd->app.next_action > w->now)
			continue;
		sim_app_act(w, sd);
		sim_app_events(w, sd);
	}
	sim_app_check_simul(w);
}

/* Tell a stack to hold back while its transmit queue is mostly full. */
static void sim_backpressure(struct sim_world *w)
{
	if (!w->sc.use_blocking)
		return;
	for (int i = 0; i < SIM_SIDES; i++) {
		struct sim_side *sd = &w->side[i];
		uint32_t depth = sim_link_backlog(&w->link[i], w->now);
		uint32_t limit = w->sc.link[i].queue_limit;

		if (!sd->blocked && depth >= limit - limit / 4) {
			sd->blocked = true;
			stack_link_set_blocked(sd->stack, true);
		} else if (sd->blocked && depth <= limit / 4) {
			sd->blocked = false;
			stack_link_set_blocked(sd->stack, false);
		}
	}
}

static bool sim_done(struct sim_world *w)
{
	for (int i = 0; i < SIM_SIDES; i++)
		if (!sim_app_finished(&w->side[i]) || sim_check_conns(&w->side[i]))
			return false;
	return true;
}

/* t relative to now for messages; -1 for never. */
static int64_t sim_rel(const struct sim_world *w, stack_time_us t)
{
	return t == STACK_TIME_NEVER ? -1 : (int64_t)(t - w->now);
}

/* Move the clock to the next event; false (with a failure) when the run is out of bounds. */
static bool sim_advance(struct sim_world *w, unsigned *same_time)
{
	stack_time_us t = sim_next_time(w);

	if (t == STACK_TIME_NEVER) {
		char a[160], b[160];

		sim_app_describe(w, &w->side[SIM_A], a, sizeof(a));
		sim_app_describe(w, &w->side[SIM_B], b, sizeof(b));
		sim_fail(w, "deadlock: nothing is scheduled and the run is not finished (%s; %s)",
			 a, b);
		return false;
	}
	if (t <= w->now) {
		t = w->now;
		if (++*same_time > 100000) {
			sim_fail(w,
				 "livelock: 100000 steps without the clock moving (poll_at A "
				 "%" PRId64 " B %" PRId64 ", app A %" PRId64 " B %" PRId64
				 " us from now)",
				 sim_rel(w, stack_poll_at(w->side[SIM_A].stack)),
				 sim_rel(w, stack_poll_at(w->side[SIM_B].stack)),
				 sim_rel(w, w->side[SIM_A].app.next_action),
				 sim_rel(w, w->side[SIM_B].app.next_action));
			return false;
		}
	} else {
		*same_time = 0;
	}
	if (t - w->last_progress > w->opts->stall_time) {
		char a[160], b[160];

		w->now = w->last_progress + w->opts->stall_time;
		sim_app_describe(w, &w->side[SIM_A], a, sizeof(a));
		sim_app_describe(w, &w->side[SIM_B], b, sizeof(b));
		sim_fail(w, "stall: no progress for %" PRIu64 " s of virtual time (%s; %s)",
			 w->opts->stall_time / 1000000, a, b);
		return false;
	}
	if (t > w->opts->max_time || ++w->steps > w->opts->max_steps) {
		sim_fail(w, "run exceeded its bounds (%" PRIu64 " steps, t=%.6f s)", w->steps,
			 (double)t / 1e6);
		return false;
	}
	w->now = t;
	return true;
}

/*
 * After both connections are gone, deliver what is still on the wire (late
 * duplicates draw RSTs from closed ports, never RSTs to RSTs) and run the
 * remaining timers: an idle stack must go quiet, and no event may appear.
 */
static void sim_quiesce(struct sim_world *w)
{
	for (unsigned n = 0; n < 10000 && !w->failed; n++) {
		stack_time_us t = sim_next_time(w);

		if (t == STACK_TIME_NEVER) {
			for (int i = 0; i < SIM_SIDES; i++)
				sim_check_corrupt_dropped(w, &w->side[1 - i], &w->link[i]);
			return;
		}
		if (t > w->now)
			w->now = t;
		sim_deliver(w);
		sim_poll(w);
	}
	if (!w->failed)
		sim_fail(w, "the stacks are still busy 10000 steps after both connections closed");
}

static void sim_loop(struct sim_world *w)
{
	unsigned same_time = 0;

	while (!w->failed && !sim_done(w)) {
		if (!sim_advance(w, &same_time))
			return;
		sim_deliver(w);
		sim_poll(w);
		if (w->opts->hooks && w->opts->hooks->step && !w->failed)
			w->opts->hooks->step(w, w->opts->hooks->ctx);
		sim_apps(w);
		sim_backpressure(w);
		if (!w->failed)
			sim_check_invariants(w);
	}
	if (!w->failed)
		sim_check_outcome(w);
	if (!w->failed)
		sim_quiesce(w);
}

static void sim_collect(const struct sim_world *w, struct sim_result *res)
{
	res->vtime = w->now;
	res->steps = w->steps;
	res->bytes = w->side[SIM_A].app.rx_done + w->side[SIM_B].app.rx_done;
	for (int i = 0; i < SIM_SIDES; i++) {
		const struct sim_link_stats *s = &w->link[i].stats;

		res->segs += w->side[i].segs_out;
		if (w->side[i].stack)
			res->retrans +=
				stack_counters_get(w->side[i].stack)->v[STACK_CTR_TcpRetransSegs];
		res->link.offered += s->offered;
		res->link.refused += s->refused;
		res->link.lost += s->lost;
		res->link.duplicated += s->duplicated;
		res->link.reordered += s->reordered;
		res->link.corrupted += s->corrupted;
		res->link.delivered += s->delivered;
	}
}

int sim_run_seed(uint64_t seed, const struct sim_opts *o, struct sim_result *res)
{
	struct sim_world *w = calloc(1, sizeof(*w));
	int r;

	memset(res, 0, sizeof(*res));
	if (!w) {
		snprintf(res->fail, sizeof(res->fail), "out of memory");
		return -1;
	}
	if (sim_world_init(w, seed, o) == 0)
		sim_loop(w);
	sim_collect(w, res);
	sim_world_free(w);
	res->passed = !w->failed;
	res->fail_at = w->now;
	if (w->failed)
		snprintf(res->fail, sizeof(res->fail), "%s", w->fail);
	r = w->failed ? -1 : 0;
	free(w);
	return r;
}
