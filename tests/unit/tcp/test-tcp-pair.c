/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-pair.c - two stacks joined back to back by a lossy in-memory
 * link under a virtual clock: a quick end-to-end check of the TCP engine
 * against itself (the full simulator lives in tests/sim). For each seed
 * both sides send a patterned stream while reading (some of them slowly, so
 * windows close), shut down, read to the end and close; the link drops,
 * duplicates, delays and corrupts frames. Checked: every byte arrives once
 * and in order, both connections end (through TIME-WAIT) with every slot
 * free, SND.UNA <= SND.NXT <= SND.MAX, SND.MAX never moves back, and the
 * advertised window always fits the free receive space.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define MS(x)	   ((stack_time_us)(x)*1000)
#define S(x)	   ((stack_time_us)(x)*1000000)
#define PAIR_QUEUE 4096
#define PAIR_SEEDS 300

struct pair_frame {
	stack_time_us at;
	int to;
	size_t len;
	uint8_t *data;
};

struct pair_side {
	struct stack *s;
	int id;
	stack_sock sock;
	size_t sent, rcvd, total;
	bool eof, closed;
	uint32_t last_max[8];
	uint64_t last_id[8];
};

struct pair {
	struct pair_frame q[PAIR_QUEUE];
	int nq;
	uint64_t rng;
	int loss, dup, reorder;
	stack_time_us now;
	struct pair_side side[2];
	bool slow;
};

static struct pair *g_pair;

static uint64_t pair_rand(struct pair *p)
{
	p->rng ^= p->rng << 13;
	p->rng ^= p->rng >> 7;
	p->rng ^= p->rng << 17;
	return p->rng;
}

static int pair_emit(void *ctx, const uint8_t *frame, size_t len,
		     const struct stack_frame_meta *meta)
{
	struct pair_side *sd = ctx;
	struct pair *p = g_pair;
	int copies = (int)(pair_rand(p) % 100) < p->dup ? 2 : 1;

	if ((int)(pair_rand(p) % 100) < p->loss)
		return 0;
	for (int c = 0; c < copies && p->nq < PAIR_QUEUE; c++) {
		struct pair_frame *f = &p->q[p->nq++];

		f->at = p->now + 1000;
		if ((int)(pair_rand(p) % 100) < p->reorder)
			f->at += pair_rand(p) % 5000;
		f->to = !sd->id;
		f->len = len;
		f->data = malloc(len);
		memcpy(f->data, frame, len);
	}
	return 0;
}

static void *pair_alloc(void *ctx, size_t n)
{
	return malloc(n);
}

static void pair_free(void *ctx, void *ptr, size_t n)
{
	free(ptr);
}

static void pair_side_init(struct pair *p, int id, uint64_t seed)
{
	struct pair_side *sd = &p->side[id];
	struct stack_config cfg = { .mac = { 2, 0, 0, 0, 0, (uint8_t)(id + 1) } };
	struct stack_env env = { .seed = seed + (uint64_t)id };
	uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, (uint8_t)(2 - id) };

	memset(sd, 0, sizeof(*sd));
	sd->id = id;
	cfg.addr = id ? 0x0a000002 : 0x0a000001;
	cfg.prefix_len = 24;
	cfg.mtu = seed % 5 == 0 ? 576 : 1500;
	cfg.max_conns = 8;
	stack_tunables_defaults(&cfg.tun);
	cfg.tun.msl = MS(1) * 50;
	cfg.tun.send_buffer = 16384;
	cfg.tun.recv_buffer = 8192 + (seed % 3) * 20000;
	cfg.tun.timestamps = seed & 1;
	cfg.tun.sack = (seed >> 1) & 1;
	cfg.tun.window_scaling = (seed >> 2) & 1;
	/* one seed in four runs on a tight budget: pressure, short sends, small windows */
	cfg.memory = seed % 4 == 3 ? 40 * 1024 : 0;
	env.sink.ctx = sd;
	env.sink.emit = pair_emit;
	env.allocator.alloc = pair_alloc;
	env.allocator.free = pair_free;
	for (int i = 0; i < 16; i++)
		env.secret[i] = (uint8_t)(i + id);
	sd->s = calloc(1, stack_size());
	assert_int_equal(stack_init(sd->s, p->now, &cfg, &env), 0);
	assert_int_equal(net_arp_seed(sd->s, p->now, id ? 0x0a000001 : 0x0a000002, peer_mac), 0);
}

static uint8_t pair_pattern(size_t i, int dir)
{
	return (uint8_t)(i * 7 + (size_t)dir * 13 + (i >> 8));
}

/* One side's application: write its stream, read the other, shut down, close. */
static void pair_app(struct pair *p, int id)
{
	struct pair_side *sd = &p->side[id];
	struct pair_side *other = &p->side[!id];
	static uint8_t buf[8192];
	int reads = p->slow && id ? (pair_rand(p) % 50 == 0) : 1000;
	ssize_t r = -EAGAIN;

	if (!sd->sock || sd->closed)
		return;
	while (sd->sent < sd->total) {
		size_t w = stack_min(sd->total - sd->sent, sizeof(buf));

		for (size_t i = 0; i < w; i++)
			buf[i] = pair_pattern(sd->sent + i, id);
		r = stack_tcp_send(sd->s, p->now, sd->sock, buf, w);
		if (r <= 0)
			break;
		sd->sent += (size_t)r;
	}
	r = -EAGAIN;
	while (reads-- > 0 && (r = stack_tcp_recv(sd->s, p->now, sd->sock, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < r; i++)
			assert_int_equal(buf[i], pair_pattern(sd->rcvd + (size_t)i, !id));
		sd->rcvd += (size_t)r;
	}
	if (r == 0)
		sd->eof = true;
	if (sd->sent == sd->total && sd->eof) {
		assert_int_equal(sd->rcvd, other->total);
		assert_int_equal(stack_tcp_close(sd->s, p->now, sd->sock), 0);
		sd->closed = true;
	} else if (sd->sent == sd->total) {
		stack_tcp_shutdown(sd->s, p->now, sd->sock);
	}
}

static void pair_check(struct pair *p)
{
	for (int id = 0; id < 2; id++) {
		struct pair_side *sd = &p->side[id];
		uint64_t charged = 0;

		for (uint32_t i = 0; i < sd->s->tcp.nslots; i++)
			if (sd->s->tcp.conns[i].in_use)
				charged +=
					sd->s->tcp.conns[i].mem_snd + sd->s->tcp.conns[i].mem_rcv +
					sd->s->tcp.conns[i].mem_sb + sd->s->tcp.conns[i].mem_reasm;
		/* the budget's count is the sum of the charges, and never over the limit */
		assert_int_equal(charged, sd->s->tcp.mem.used);
		assert_true(sd->s->tcp.mem.used <= sd->s->tcp.mem.limit);
		for (uint32_t i = 0; i < sd->s->tcp.nslots; i++) {
			const struct tcp_conn *c = &sd->s->tcp.conns[i];

			if (!c->in_use)
				continue;
			assert_true(seq_le(c->snd_una, c->snd_nxt));
			assert_true(seq_le(c->snd_nxt, c->snd_max));
			if (sd->last_id[i] == c->id)
				assert_true(seq_ge(c->snd_max, sd->last_max[i]));
			sd->last_id[i] = c->id;
			sd->last_max[i] = c->snd_max;
			/* the window advertised is backed by memory charged for it, in every
			 * state that can keep data (a half-open passive child cannot: the
			 * ACK that completes it reserves its window first, tcp_mem.c) */
			if (c->state > TCP_SYN_SENT && c->state != TCP_TIME_WAIT && !c->orphan &&
			    !(c->state == TCP_SYN_RECEIVED && c->passive) &&
			    seq_gt(c->rcv_adv, c->rcv_nxt))
				assert_true((uint64_t)(uint32_t)(c->rcv_adv - c->rcv_nxt) +
						    c->rcv.len <=
					    c->mem_rcv);
		}
	}
}

/* The next thing to happen: a frame arriving, a stack's timer, or the apps' tick. */
static stack_time_us pair_next(struct pair *p, int *ret_frame)
{
	stack_time_us t = STACK_TIME_NEVER;

	*ret_frame = -1;
	for (int i = 0; i < p->nq; i++) {
		if (p->q[i].at < t) {
			t = p->q[i].at;
			*ret_frame = i;
		}
	}
	t = stack_min(t, stack_poll_at(p->side[0].s));
	t = stack_min(t, stack_poll_at(p->side[1].s));
	if (!p->side[0].closed || !p->side[1].closed)
		t = stack_min(t, p->now + MS(10));
	return t;
}

static void pair_run_seed(uint64_t seed)
{
	struct pair *p = calloc(1, sizeof(*p));
	struct stack_endpoint local = { 0, 80 }, remote = { 0x0a000002, 80 };
	stack_sock listener;

	g_pair = p;
	p->rng = seed * 0x9e3779b97f4a7c15ull | 1;
	p->loss = (int)(seed % 12);
	p->dup = (int)(seed % 4);
	p->reorder = (int)(seed % 7);
	p->slow = seed & 8;
	p->now = S(1);
	pair_side_init(p, 0, seed);
	pair_side_init(p, 1, seed);
	p->side[0].total = 20000 + pair_rand(p) % 150000;
	p->side[1].total = 10000 + pair_rand(p) % 80000;
	assert_int_equal(stack_tcp_listen(p->side[1].s, p->now, &local, 4, 1, &listener), 0);
	assert_int_equal(
		stack_tcp_connect(p->side[0].s, p->now, NULL, &remote, 1, &p->side[0].sock), 0);
	for (int steps = 0; steps < 3000000; steps++) {
		struct stack_event ev;
		int k;
		stack_time_us t = pair_next(p, &k);

		if (t == STACK_TIME_NEVER)
			break;
		if (t > p->now)
			p->now = t;
		if (k >= 0 && p->q[k].at <= p->now) {
			struct pair_frame f = p->q[k];

			p->q[k] = p->q[--p->nq];
			if (pair_rand(p) % 1000 < 3 && f.len > 60)
				f.data[40 + pair_rand(p) % (f.len - 40)] ^= 1;
			stack_input(p->side[f.to].s, p->now, f.data, f.len, NULL);
			free(f.data);
		}
		stack_poll(p->side[0].s, p->now);
		stack_poll(p->side[1].s, p->now);
		while (stack_event_pop(p->side[1].s, &ev))
			if (ev.type == STACK_EV_ACCEPTABLE)
				stack_tcp_accept(p->side[1].s, p->now, listener, 2,
						 &p->side[1].sock);
		while (stack_event_pop(p->side[0].s, &ev))
			if (ev.type == STACK_EV_RESET || ev.type == STACK_EV_ERROR)
				fail_msg("seed %llu: the connection failed (%d) at %llu us",
					 (unsigned long long)seed, ev.err,
					 (unsigned long long)p->now);
		pair_app(p, 0);
		pair_app(p, 1);
		pair_check(p);
	}
	while (stack_event_pop(p->side[0].s, &(struct stack_event){ 0 }))
		;
	while (stack_event_pop(p->side[1].s, &(struct stack_event){ 0 }))
		;
	if (!p->side[0].closed || !p->side[1].closed || p->side[0].s->tcp.nused != 0 ||
	    p->side[1].s->tcp.nused != 1)
		fail_msg("seed %llu: closed %d/%d, slots in use %u/%u, bytes %zu/%zu and %zu/%zu",
			 (unsigned long long)seed, p->side[0].closed, p->side[1].closed,
			 p->side[0].s->tcp.nused, p->side[1].s->tcp.nused, p->side[0].rcvd,
			 p->side[1].total, p->side[1].rcvd, p->side[0].total);
	for (int i = 0; i < p->nq; i++)
		free(p->q[i].data);
	for (int id = 0; id < 2; id++) {
		stack_deinit(p->side[id].s);
		free(p->side[id].s);
	}
	free(p);
}

static void test_pair_seeds(void **state)
{
	const char *env = getenv("SYNACK_PAIR_SEEDS");
	uint64_t n = env ? strtoull(env, NULL, 10) : PAIR_SEEDS;

	for (uint64_t seed = 1; seed <= n; seed++)
		pair_run_seed(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pair_seeds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
