/* SPDX-License-Identifier: MIT */
/*
 * sim_synflood.c - an adversarial simulator scenario (issue 9): a SYN flood
 * (RFC 4987) against a listener, over the impaired in-memory link of
 * sim_link.c and under a virtual clock, with two complete stacks.
 *
 * B (10.0.0.2) listens on port 8080. An attacker upstream of the link injects
 * SYNs toward it with random source ports and sequence numbers at 2,000/s for
 * 10 s, plus a burst at 100,000/s for 50 ms in the middle. Three in four
 * spoofed sources are off-link (198.18.0.0/15): their frames come in with the
 * gateway's MAC and B answers through the gateway (its ARP entry is seeded,
 * as a host learns its router's). One in four claim an unused address of
 * B's own /24, so B must resolve them by ARP; nobody answers. The spoofed
 * frames share the A -> B direction, with its loss, duplication, reordering
 * and rate, with the legitimate traffic, and B's SYN-ACKs share B -> A.
 *
 * A (10.0.0.1) connects every 100 ms from before the flood until after it.
 * Each connection sends 1-4 KiB and shuts down; B reads it to EOF, answers
 * with 1-4 KiB and closes; A reads that to EOF and closes. Bounds:
 *
 *   handshake: at least 99 % of the legitimate connections are ESTABLISHED
 *              on A within 1 s of their connect (a lost SYN costs a 1 s
 *              RTO; the link's loss is kept at 0.1 % so that the flood, not
 *              the link, decides);
 *   data:      every connection delivers its bytes exactly, both ways, and
 *              ends with both handles closed, never a RESET;
 *   slots:     B's connections other than the listener and TIME-WAIT stay
 *              within syn_backlog + the legitimate connections alive + 8;
 *   memory:    what B holds through the allocator stays within its baseline
 *              + 16 KiB (two rings of 8 KiB, for 4 KiB each way) for each
 *              legitimate connection alive + 8: a half-open child holds no
 *              buffer (tcp_mem.c), so 256 of them must not show;
 *   after:     once the flood stops, B is back to no connection and exactly
 *              its baseline memory within the SYN-ACK retransmission
 *              timeouts (RTO doubling from rto.initial, synack_retries + 1 of
 *              them, capped at rto.max) + 1 s.
 *
 * `synflood-nocookies` is the same with tcp.syncookies 0: the SYN queue
 * (syn_backlog) stays full of spoofed entries and a legitimate SYN finds a
 * place only when one times out, so the expected failure mode is asserted:
 * fewer than half of the connections complete their handshake within 1 s.
 * Connections that give up (ETIMEDOUT after syn_retries) are allowed there;
 * every other bound still holds. `--syncookies N` forces the tunable in every
 * case (with 0 the `synflood` case fails its handshake bound).
 *
 * The virtual-time unit test tests/unit/tcp/test-tcp-synflood.c drives one
 * stack with hand-made segments on a perfect wire; this adds the impaired
 * link, ARP, two full stacks and data. Nothing reads a real clock.
 *
 *   sim-synflood                       both cases, seeds 1..3
 *   sim-synflood --case synflood --seed 2 --syncookies 0
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "net/net.h"
#include "sim_link.h"
#include "sim_rng.h"
#include "stack.h"
#include "stack_info.h"
#include "wire.h"

#define FL_A	       0
#define FL_B	       1
#define FL_PORT	       8080
#define FL_CONNS       160	   /* legitimate connections at most */
#define FL_GW	       0x0a0000feu /* 10.0.0.254, B's router */
#define FL_OFFNET      0xc6120000u /* 198.18.0.0/15, RFC 2544's benchmarking block */
#define FL_BACKLOG     128	   /* listen backlog (the accept queue) */
#define FL_SLACK_SLOTS 8
/*
 * What one legitimate connection may hold on B: it moves at most 4 KiB each
 * way, and a ring starts at 4 KiB and doubles (tcp_mem.c), so 8 KiB a ring.
 */
#define FL_CONN_BYTES  (2 * 8192)
#define FL_ETH	       14 /* Ethernet header */

#define FL_FLOOD_START SEC_US(1)
#define FL_FLOOD_END   SEC_US(11)
#define FL_FLOOD_GAP   500 /* us: 2,000 SYNs/s */
#define FL_BURST_START SEC_US(6)
#define FL_BURST_END   (SEC_US(6) + MS_US(50))
#define FL_BURST_GAP   10 /* us: 100,000 SYNs/s */
#define FL_LEGIT_START MS_US(500)
#define FL_LEGIT_END   SEC_US(12)
#define FL_LEGIT_EVERY MS_US(100)
#define FL_HANDSHAKE   SEC_US(1)

struct fl_case {
	const char *name;
	int syncookies;
	bool expect_cookies_work; /* else the expected failure mode is asserted */
};

static const struct fl_case fl_cases[] = {
	{ "synflood", 1, true },
	{ "synflood-nocookies", 0, false },
};

struct fl_conn {
	stack_sock a, b;
	bool have_a, have_b;
	uint16_t lport; /* A's port, 0 until ESTABLISHED */
	stack_time_us syn_at, est_at;
	bool est, a_shut, a_eof, a_closed, b_eof, b_closed, failed;
	uint32_t a_bytes, b_bytes; /* A -> B, B -> A */
	uint32_t a_tx, a_rx, b_tx, b_rx;
};

struct fl_side {
	struct stack *stack;
	uint32_t addr;
	uint8_t mac[6];
	size_t alloc_bytes;
};

struct fl_world {
	const struct fl_case *cs;
	uint64_t seed;
	struct sim_rng rng, spoof;
	stack_time_us now;
	struct fl_side side[2];
	struct sim_link link[2]; /* link[i] carries what side i sends (and the attacker, A -> B) */
	struct stack_tunables tun[2];
	stack_sock listener;
	struct fl_conn conn[FL_CONNS];
	unsigned nconns;
	stack_time_us next_legit, next_syn;
	uint64_t syns, syns_refused;
	/* what B held */
	size_t base_bytes, peak_bytes, peak_extra;
	size_t peak_slots, slot_bound_at_peak;
	unsigned live_b;
	stack_time_us clear_at;
	bool failed;
	char fail[512];
};

static const uint8_t fl_gw_mac[6] = { 0x02, 0x00, 0x5e, 0x00, 0x01, 0xfe };

static void fl_fail(struct fl_world *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	w->failed = true;
	va_start(ap, fmt);
	vsnprintf(w->fail, sizeof(w->fail), fmt, ap);
	va_end(ap);
}

static void *fl_alloc(void *ctx, size_t size)
{
	struct fl_side *sd = ctx;
	void *p = malloc(size ? size : 1);

	if (p)
		sd->alloc_bytes += size;
	return p;
}

static void fl_free(void *ctx, void *ptr, size_t size)
{
	struct fl_side *sd = ctx;

	if (!ptr)
		return;
	sd->alloc_bytes -= size;
	free(ptr);
}

struct fl_emit_ctx {
	struct fl_world *w;
	int idx;
};

static struct fl_emit_ctx fl_emit_ctx[2];

static int fl_emit(void *ctx, const uint8_t *frame, size_t len, const struct stack_frame_meta *meta)
{
	struct fl_emit_ctx *e = ctx;

	(void)meta;
	return sim_link_send(&e->w->link[e->idx], e->w->now, frame, len);
}

/* The byte at offset off of connection i's stream in direction dir. */
static uint8_t fl_byte(unsigned i, int dir, uint32_t off)
{
	uint64_t x = ((uint64_t)(i * 2 + (unsigned)dir) << 32 | off) * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(x >> 56 ^ x >> 29);
}

/*
 * A LAN path with a little of every impairment: 1-20 ms one way, jitter,
 * 100 Mbit/s, a 512-frame queue, 0.1 % loss (each loss in a handshake costs
 * a 1 s RTO, which the 99 % bound must not confuse with the flood's cost).
 */
static void fl_pick_link(struct sim_rng *r, struct sim_link_params *p)
{
	memset(p, 0, sizeof(*p));
	p->delay_us = sim_rng_range(r, 1000, 20000);
	p->jitter_us = sim_rng_below(r, p->delay_us / 4 + 1);
	p->rate_bps = 100000000;
	p->queue_limit = 512;
	p->loss_ppm = (uint32_t)sim_rng_range(r, 0, 1000);
	p->dup_ppm = (uint32_t)sim_rng_range(r, 0, 5000);
	p->reorder_ppm = (uint32_t)sim_rng_range(r, 0, 10000);
	p->reorder_us = sim_rng_range(r, 1000, 2 * p->delay_us + 2000);
}

static int fl_side_init(struct fl_world *w, int idx)
{
	struct fl_side *sd = &w->side[idx];
	struct stack_config cfg = { 0 };
	struct stack_env env = { 0 };

	sd->addr = 0x0a000001u + (uint32_t)idx;
	memcpy(sd->mac, (uint8_t[6]){ 0x02, 0x00, 0x5e, 0x00, 0x01, (uint8_t)(idx + 1) }, 6);
	memcpy(cfg.mac, sd->mac, 6);
	cfg.addr = sd->addr;
	cfg.prefix_len = 24;
	cfg.gateway = FL_GW;
	cfg.mtu = 1500;
	/* the slots are not the bound under test: the SYN queue is */
	cfg.max_conns = 4096;
	cfg.tun = w->tun[idx];
	for (size_t i = 0; i < sizeof(env.secret); i++)
		env.secret[i] = (uint8_t)sim_rng_next(&w->rng);
	env.seed = sim_rng_next(&w->rng);
	fl_emit_ctx[idx] = (struct fl_emit_ctx){ .w = w, .idx = idx };
	env.sink = (struct stack_sink){ .ctx = &fl_emit_ctx[idx], .emit = fl_emit };
	env.allocator = (struct stack_allocator){ .ctx = sd, .alloc = fl_alloc, .free = fl_free };
	sd->stack = aligned_alloc(64, (stack_size() + 63) & ~(size_t)63);
	if (!sd->stack || stack_init(sd->stack, w->now, &cfg, &env) < 0) {
		fl_fail(w, "stack_init");
		return -1;
	}
	return 0;
}

static int fl_init(struct fl_world *w, const struct fl_case *cs, uint64_t seed, int force_cookies)
{
	struct stack_endpoint any = { 0, FL_PORT };

	memset(w, 0, sizeof(*w));
	w->cs = cs;
	w->seed = seed;
	sim_rng_seed(&w->rng, seed, 11);
	sim_rng_seed(&w->spoof, seed, 12);
	for (int i = 0; i < 2; i++) {
		struct sim_link_params p;

		stack_tunables_defaults(&w->tun[i]);
		w->tun[i].msl = SEC_US(1);
		w->tun[i].send_buffer = 64 * 1024;
		w->tun[i].recv_buffer = 64 * 1024;
		w->tun[i].timestamps = sim_rng_one_in(&w->rng, 2);
		w->tun[i].sack = sim_rng_one_in(&w->rng, 2);
		w->tun[i].window_scaling = sim_rng_one_in(&w->rng, 2);
		fl_pick_link(&w->rng, &p);
		if (sim_link_init(&w->link[i], &p, seed, 50 + (uint64_t)i) < 0)
			return -1;
	}
	w->tun[FL_B].syncookies = (uint64_t)(force_cookies >= 0 ? force_cookies : cs->syncookies);
	for (int i = 0; i < 2; i++)
		if (fl_side_init(w, i) < 0)
			return -1;
	net_arp_seed(w->side[FL_A].stack, 0, w->side[FL_B].addr, w->side[FL_B].mac);
	net_arp_seed(w->side[FL_B].stack, 0, w->side[FL_A].addr, w->side[FL_A].mac);
	net_arp_seed(w->side[FL_B].stack, 0, FL_GW, fl_gw_mac);
	if (stack_tcp_listen(w->side[FL_B].stack, 0, &any, FL_BACKLOG, 1, &w->listener) < 0)
		return -1;
	w->base_bytes = w->side[FL_B].alloc_bytes;
	w->next_legit = FL_LEGIT_START;
	w->next_syn = FL_FLOOD_START;
	w->clear_at = STACK_TIME_NEVER;
	return 0;
}

static void fl_free_world(struct fl_world *w)
{
	for (int i = 0; i < 2; i++) {
		sim_link_free(&w->link[i]);
		if (w->side[i].stack) {
			stack_deinit(w->side[i].stack);
			free(w->side[i].stack);
		}
	}
}

/* One spoofed SYN on the A -> B direction of the link, as the attacker puts it there. */
static void fl_spoof_syn(struct fl_world *w)
{
	uint8_t f[FL_ETH + 20 + 24];
	uint8_t *ip = f + FL_ETH, *tcp = ip + 20;
	struct sim_rng *r = &w->spoof;
	uint32_t src, dst = w->side[FL_B].addr;

	memset(f, 0, sizeof(f));
	memcpy(f, w->side[FL_B].mac, 6);
	if (sim_rng_one_in(r, 4)) {
		/* an unused address of B's /24, behind a made-up station MAC */
		src = 0x0a000000u + (uint32_t)sim_rng_range(r, 3, 253);
		f[6] = 0x02;
		for (int i = 7; i < 12; i++)
			f[i] = (uint8_t)sim_rng_next(r);
	} else {
		src = FL_OFFNET + (uint32_t)sim_rng_below(r, 1u << 17);
		memcpy(f + 6, fl_gw_mac, 6);
	}
	wire_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	wire_put16(ip + 2, 20 + 24);
	wire_put16(ip + 4, (uint16_t)sim_rng_next(r));
	wire_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	wire_put32(ip + 12, src);
	wire_put32(ip + 16, dst);
	wire_put16(ip + 10, csum_buf(ip, 20));
	wire_put16(tcp, (uint16_t)sim_rng_range(r, 1024, 65535));
	wire_put16(tcp + 2, FL_PORT);
	wire_put32(tcp + 4, (uint32_t)sim_rng_next(r));
	tcp[12] = 6 << 4; /* 24 bytes: the header and an MSS option */
	tcp[13] = 0x02;	  /* SYN */
	wire_put16(tcp + 14, 65535);
	tcp[20] = 2;
	tcp[21] = 4;
	wire_put16(tcp + 22, 1460);
	wire_put16(tcp + 16, csum_fold(csum_add(csum_pseudo4(src, dst, 6, 24), tcp, 24)));
	if (sim_link_send(&w->link[FL_A], w->now, f, sizeof(f)) < 0)
		w->syns_refused++;
	w->syns++;
}

static bool fl_flooding(stack_time_us t)
{
	return t >= FL_FLOOD_START && t < FL_FLOOD_END;
}

static void fl_flood(struct fl_world *w)
{
	while (fl_flooding(w->next_syn) && w->next_syn <= w->now) {
		fl_spoof_syn(w);
		w->next_syn += w->next_syn >= FL_BURST_START && w->next_syn < FL_BURST_END
				       ? FL_BURST_GAP
				       : FL_FLOOD_GAP;
	}
}

static void fl_legit_start(struct fl_world *w)
{
	struct stack_endpoint b = { 0x0a000002u, FL_PORT };
	struct fl_conn *c;
	unsigned i = w->nconns;

	if (w->now < w->next_legit || w->next_legit >= FL_LEGIT_END || i >= FL_CONNS)
		return;
	w->next_legit += FL_LEGIT_EVERY;
	c = &w->conn[i];
	c->a_bytes = (uint32_t)sim_rng_range(&w->rng, 1024, 4096);
	c->b_bytes = (uint32_t)sim_rng_range(&w->rng, 1024, 4096);
	c->syn_at = w->now;
	if (stack_tcp_connect(w->side[FL_A].stack, w->now, NULL, &b, 1000 + i, &c->a) < 0) {
		fl_fail(w, "A: connect %u failed", i);
		return;
	}
	c->have_a = true;
	w->nconns++;
}

/* Check bytes read on connection i in direction dir against the stream. */
static void fl_verify(struct fl_world *w, unsigned i, int dir, uint32_t off, const uint8_t *buf,
		      size_t n, uint32_t total)
{
	if (off + n > total) {
		fl_fail(w, "conn %u: %s read %zu bytes past the %u sent", i, dir ? "A" : "B",
			off + n - total, total);
		return;
	}
	for (size_t k = 0; k < n; k++)
		if (buf[k] != fl_byte(i, dir, off + (uint32_t)k)) {
			fl_fail(w, "conn %u: %s read a wrong byte at offset %zu", i,
				dir ? "A" : "B", off + k);
			return;
		}
}

/* A's side of connection i: write, shut down, read the answer to EOF, close. */
static void fl_pump_a(struct fl_world *w, unsigned i)
{
	struct fl_conn *c = &w->conn[i];
	struct stack *s = w->side[FL_A].stack;
	uint8_t buf[4096];
	ssize_t n;

	if (!c->est || c->a_closed || c->failed)
		return;
	while (c->a_tx < c->a_bytes) {
		uint32_t want = c->a_bytes - c->a_tx;

		for (uint32_t k = 0; k < want; k++)
			buf[k] = fl_byte(i, 0, c->a_tx + k);
		n = stack_tcp_send(s, w->now, c->a, buf, want);
		if (n <= 0)
			break;
		c->a_tx += (uint32_t)n;
	}
	if (c->a_tx == c->a_bytes && !c->a_shut) {
		stack_tcp_shutdown(s, w->now, c->a);
		c->a_shut = true;
	}
	while (!c->a_eof && (n = stack_tcp_recv(s, w->now, c->a, buf, sizeof(buf))) >= 0) {
		if (n == 0) {
			c->a_eof = true;
			break;
		}
		fl_verify(w, i, 1, c->a_rx, buf, (size_t)n, c->b_bytes);
		c->a_rx += (uint32_t)n;
	}
	if (c->a_eof && c->a_shut) {
		if (c->a_rx != c->b_bytes)
			fl_fail(w, "conn %u: A read %u of %u bytes before EOF", i, c->a_rx,
				c->b_bytes);
		stack_tcp_close(s, w->now, c->a);
		c->a_closed = true;
	}
}

/* B's side: read to EOF, answer, close. */
static void fl_pump_b(struct fl_world *w, unsigned i)
{
	struct fl_conn *c = &w->conn[i];
	struct stack *s = w->side[FL_B].stack;
	uint8_t buf[4096];
	ssize_t n;

	if (!c->have_b || c->b_closed)
		return;
	while (!c->b_eof && (n = stack_tcp_recv(s, w->now, c->b, buf, sizeof(buf))) >= 0) {
		if (n == 0) {
			c->b_eof = true;
			if (c->b_rx != c->a_bytes)
				fl_fail(w, "conn %u: B read %u of %u bytes before EOF", i, c->b_rx,
					c->a_bytes);
			break;
		}
		fl_verify(w, i, 0, c->b_rx, buf, (size_t)n, c->a_bytes);
		c->b_rx += (uint32_t)n;
	}
	while (c->b_eof && c->b_tx < c->b_bytes) {
		uint32_t want = c->b_bytes - c->b_tx;

		for (uint32_t k = 0; k < want; k++)
			buf[k] = fl_byte(i, 1, c->b_tx + k);
		n = stack_tcp_send(s, w->now, c->b, buf, want);
		if (n <= 0)
			break;
		c->b_tx += (uint32_t)n;
	}
	if (c->b_eof && c->b_tx == c->b_bytes) {
		stack_tcp_close(s, w->now, c->b);
		c->b_closed = true;
	}
}

static int fl_conn_by_a(struct fl_world *w, uint64_t owner)
{
	return owner >= 1000 && owner < 1000 + w->nconns ? (int)(owner - 1000) : -1;
}

static int fl_conn_by_b(struct fl_world *w, stack_sock sock)
{
	for (unsigned i = 0; i < w->nconns; i++)
		if (w->conn[i].have_b && w->conn[i].b == sock)
			return (int)i;
	return -1;
}

static void fl_accept(struct fl_world *w)
{
	struct stack *s = w->side[FL_B].stack;
	struct stack_tcp_info in;
	stack_sock sock;

	while (stack_tcp_accept(s, w->now, w->listener, 2, &sock) == 0) {
		unsigned i;

		if (stack_tcp_info(s, sock, &in) < 0 || in.remote.addr != w->side[FL_A].addr) {
			fl_fail(w, "B accepted a connection from a spoofed source");
			return;
		}
		for (i = 0; i < w->nconns; i++)
			if (!w->conn[i].have_b && w->conn[i].lport == in.remote.port)
				break;
		if (i == w->nconns) {
			fl_fail(w, "B accepted a connection from port %u A never made",
				in.remote.port);
			return;
		}
		w->conn[i].b = sock;
		w->conn[i].have_b = true;
		fl_pump_b(w, i);
	}
}

static void fl_events(struct fl_world *w)
{
	struct stack_event ev;
	int i;

	while (stack_event_pop(w->side[FL_A].stack, &ev)) {
		struct stack_tcp_info in;
		struct fl_conn *c;

		if ((i = fl_conn_by_a(w, ev.owner)) < 0)
			continue;
		c = &w->conn[i];
		if (ev.type == STACK_EV_ESTABLISHED && !c->est) {
			c->est = true;
			c->est_at = w->now;
			if (stack_tcp_info(w->side[FL_A].stack, c->a, &in) == 0)
				c->lport = in.local.port;
		} else if (ev.type == STACK_EV_RESET) {
			fl_fail(w, "conn %d: A got a RESET (%d)", i, ev.err);
		} else if (ev.type == STACK_EV_ERROR && !c->a_closed) {
			/* the expected failure mode without cookies: the handshake gave up */
			if (c->est || w->cs->expect_cookies_work)
				fl_fail(w, "conn %d: A's connection failed (%d)", i, ev.err);
			c->failed = true;
			stack_tcp_close(w->side[FL_A].stack, w->now, c->a);
			c->a_closed = true;
		}
		fl_pump_a(w, (unsigned)i);
	}
	while (stack_event_pop(w->side[FL_B].stack, &ev)) {
		if (ev.sock == w->listener) {
			if (ev.type == STACK_EV_ACCEPTABLE)
				fl_accept(w);
			continue;
		}
		if ((i = fl_conn_by_b(w, ev.sock)) < 0)
			continue;
		if (ev.type == STACK_EV_RESET || ev.type == STACK_EV_ERROR)
			fl_fail(w, "conn %d: B's connection failed (%d)", i, ev.err);
		fl_pump_b(w, (unsigned)i);
	}
}

struct fl_count {
	size_t slots, time_wait;
};

static int fl_count_cb(void *ctx, stack_sock sock, const struct stack_tcp_info *in)
{
	struct fl_count *n = ctx;

	(void)sock;
	if (in->listener)
		return 0;
	if (strcmp(in->state_name, "TIME-WAIT") == 0)
		n->time_wait++;
	else
		n->slots++;
	return 0;
}

/* Legitimate connections that may hold a slot on B: connected, and not both sides done. */
static unsigned fl_live(const struct fl_world *w)
{
	unsigned n = 0;

	for (unsigned i = 0; i < w->nconns; i++)
		n += !w->conn[i].failed && !(w->conn[i].a_closed && w->conn[i].b_closed);
	return n;
}

/* B's slots and memory against their bounds; when the flood is over, watch it clear. */
static void fl_watch(struct fl_world *w)
{
	struct fl_count n = { 0 };
	size_t held = w->side[FL_B].alloc_bytes, extra, bound;
	unsigned live = fl_live(w);
	/* a connection both sides closed a moment ago may still be finishing on B */
	size_t live_b = live + FL_SLACK_SLOTS;

	stack_tcp_foreach(w->side[FL_B].stack, fl_count_cb, &n);
	bound = w->tun[FL_B].syn_backlog + live + FL_SLACK_SLOTS;
	if (n.slots > w->peak_slots) {
		w->peak_slots = n.slots;
		w->slot_bound_at_peak = bound;
	}
	if (n.slots > bound)
		fl_fail(w,
			"B holds %zu connections: more than syn_backlog %" PRIu64
			" + %u legitimate + %d",
			n.slots, w->tun[FL_B].syn_backlog, live, FL_SLACK_SLOTS);
	if (held > w->peak_bytes)
		w->peak_bytes = held;
	extra = held > w->base_bytes ? held - w->base_bytes : 0;
	if (extra > w->peak_extra)
		w->peak_extra = extra;
	if (extra > live_b * FL_CONN_BYTES)
		fl_fail(w,
			"B holds %zu bytes above its baseline with %u legitimate connections "
			"alive: half-open children must hold no buffers",
			extra, live);
	if (w->now >= FL_FLOOD_END && w->now >= FL_LEGIT_END && live == 0 && n.slots == 0 &&
	    n.time_wait == 0 && held == w->base_bytes && w->clear_at == STACK_TIME_NEVER)
		w->clear_at = w->now;
}

/* How long the flood may hold anything after it stops: every SYN-ACK timeout. */
static stack_time_us fl_clear_bound(const struct fl_world *w)
{
	const struct stack_tunables *t = &w->tun[FL_B];
	stack_time_us total = 0, rto = t->rto_initial;

	for (uint64_t k = 0; k <= t->synack_retries; k++) {
		total += rto < t->rto_max ? rto : t->rto_max;
		rto *= 2;
	}
	return total + SEC_US(1);
}

static stack_time_us fl_min(stack_time_us a, stack_time_us b)
{
	return a < b ? a : b;
}

static void fl_run(struct fl_world *w)
{
	stack_time_us limit = FL_FLOOD_END + fl_clear_bound(w);
	uint64_t steps = 0;

	while (!w->failed && w->clear_at == STACK_TIME_NEVER) {
		stack_time_us t = STACK_TIME_NEVER;
		struct sim_frame f;

		for (int i = 0; i < 2; i++) {
			t = fl_min(t, sim_link_next(&w->link[i]));
			t = fl_min(t, stack_poll_at(w->side[i].stack));
		}
		if (fl_flooding(w->next_syn))
			t = fl_min(t, w->next_syn);
		if (w->next_legit < FL_LEGIT_END)
			t = fl_min(t, w->next_legit);
		if (t == STACK_TIME_NEVER) {
			fl_fail(w, "nothing scheduled and B is not back to its baseline");
			return;
		}
		if (t > w->now)
			w->now = t;
		if (w->now > limit || ++steps > 20000000) {
			struct fl_count n = { 0 };

			stack_tcp_foreach(w->side[FL_B].stack, fl_count_cb, &n);
			fl_fail(w,
				"%.1f s after the flood stopped (bound %.1f s), B still holds %zu "
				"connections, %zu TIME-WAIT and %zu bytes above its baseline; %u "
				"legitimate connections unfinished",
				(double)(w->now - FL_FLOOD_END) / 1e6,
				(double)fl_clear_bound(w) / 1e6, n.slots, n.time_wait,
				w->side[FL_B].alloc_bytes - w->base_bytes, fl_live(w));
			return;
		}
		fl_flood(w);
		for (int i = 0; i < 2; i++) {
			while (sim_link_pop(&w->link[i], w->now, &f)) {
				stack_input(w->side[1 - i].stack, w->now, f.data, f.len, NULL);
				free(f.data);
			}
		}
		for (int i = 0; i < 2; i++)
			if (stack_poll_at(w->side[i].stack) <= w->now)
				stack_poll(w->side[i].stack, w->now);
		fl_legit_start(w);
		fl_events(w);
		fl_watch(w);
	}
}

/* The handshake bound, or for the case without cookies its expected failure. */
static void fl_check(struct fl_world *w, unsigned *ret_fast)
{
	unsigned fast = 0;

	for (unsigned i = 0; i < w->nconns; i++) {
		const struct fl_conn *c = &w->conn[i];

		if (c->est && c->est_at - c->syn_at <= FL_HANDSHAKE)
			fast++;
		if (!c->failed && (c->a_rx != c->b_bytes || c->b_rx != c->a_bytes))
			fl_fail(w, "conn %u: not every byte arrived", i);
	}
	*ret_fast = fast;
	if (w->cs->expect_cookies_work && fast * 100 < w->nconns * 99)
		fl_fail(w, "only %u of %u legitimate handshakes completed within 1 s (bound 99 %%)",
			fast, w->nconns);
	if (!w->cs->expect_cookies_work && fast * 2 >= w->nconns)
		fl_fail(w,
			"%u of %u legitimate handshakes completed within 1 s without SYN cookies: "
			"the flood did not fill the SYN queue",
			fast, w->nconns);
}

static bool fl_seed(const struct fl_case *cs, uint64_t seed, int force_cookies)
{
	static struct fl_world w;
	unsigned fast = 0, failed = 0;
	uint64_t cookies = 0, drops = 0;
	bool ok;

	if (fl_init(&w, cs, seed, force_cookies) < 0 && !w.failed)
		fl_fail(&w, "set-up failed");
	if (!w.failed)
		fl_run(&w);
	if (!w.failed)
		fl_check(&w, &fast);
	for (unsigned i = 0; i < w.nconns; i++)
		failed += w.conn[i].failed;
	if (w.side[FL_B].stack) {
		const uint64_t *v = stack_counters_get(w.side[FL_B].stack)->v;

		cookies = v[STACK_CTR_TcpExtSyncookiesSent];
		drops = v[STACK_CTR_TcpExtListenDrops];
	}
	ok = !w.failed;
	printf("%s seed %" PRIu64 ": %" PRIu64 " spoofed SYNs (%" PRIu64
	       " refused by the link), %u/%u handshakes within 1 s, %u gave up; B: %" PRIu64
	       " cookies, %" PRIu64 " listen drops, peak %zu connections (bound %zu), peak %zu "
	       "bytes above baseline; clear %.1f s after the flood (bound %.1f s)\n",
	       cs->name, seed, w.syns, w.syns_refused, fast, w.nconns, failed, cookies, drops,
	       w.peak_slots, w.slot_bound_at_peak, w.peak_extra,
	       w.clear_at == STACK_TIME_NEVER ? -1.0 : (double)(w.clear_at - FL_FLOOD_END) / 1e6,
	       (double)fl_clear_bound(&w) / 1e6);
	if (!ok) {
		printf("  FAILED: t=%.6f: %s\n  replay: sim-synflood --case %s --seed %" PRIu64,
		       (double)w.now / 1e6, w.fail, cs->name, seed);
		if (force_cookies >= 0)
			printf(" --syncookies %d", force_cookies);
		printf("\n");
	}
	fl_free_world(&w);
	return ok;
}

int main(int argc, char **argv)
{
	uint64_t first = 1, count = 3, passed = 0, failed = 0;
	const char *only = NULL;
	int force_cookies = -1;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
			count = strtoull(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			first = strtoull(argv[++i], NULL, 0);
			count = 1;
		} else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc) {
			only = argv[++i];
		} else if (strcmp(argv[i], "--syncookies") == 0 && i + 1 < argc) {
			force_cookies = atoi(argv[++i]);
		} else {
			fprintf(stderr,
				"usage: %s [--case NAME] [--seeds N] [--seed S] [--syncookies N]\n",
				argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t k = 0; k < sizeof(fl_cases) / sizeof(fl_cases[0]); k++) {
		if (only && strcmp(only, fl_cases[k].name) != 0)
			continue;
		for (uint64_t s = first; s < first + count; s++) {
			if (fl_seed(&fl_cases[k], s, force_cookies))
				passed++;
			else
				failed++;
		}
	}
	printf("syn flood: %" PRIu64 " passed, %" PRIu64 " failed\n", passed, failed);
	return failed || !passed ? 1 : 0;
}
