/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-synflood.c - a listener under a SYN flood (RFC 4987), in virtual
 * time: 20,000 SYNs from spoofed sources that never answer, at 2,000/s,
 * while a legitimate peer connects every 100 ms. At least 99 % of the
 * legitimate connects must complete within 1 s of their SYN, and the slots
 * and memory the stack holds must stay bounded by the SYN queue, not grow
 * with the flood. And the SYN queue turns over by itself under pressure:
 * old half-open children give up sooner.
 */
#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)

#define FLOOD_SYNS	 20000
#define FLOOD_GAP_US	 500 /* 2,000 SYNs/s */
#define LEGIT_EVERY_US	 MS(100)
#define LEGIT_BOUND_US	 MS(1000)
#define LEGIT_PORT_FIRST 50000
#define LEGIT_RTT_US	 MS(1)

struct flood {
	struct harness *h;
	uint32_t legit_sent, legit_done;
	/* the legitimate connect in progress: its port, SYN time and our SYN-ACK */
	uint16_t lport;
	stack_time_us syn_at;
	bool have_synack;
	uint32_t synack_seq;
	struct tcp_opts synack_opt;
	size_t slots_max;
};

static void flood_tweak(struct stack_config *cfg)
{
	cfg->max_conns = 4096;
	cfg->tun.timestamps = 1;
	cfg->tun.sack = 1;
	cfg->tun.window_scaling = 1;
}

/* Take what the stack sent; remember a SYN-ACK for the legitimate peer. */
static void flood_collect(struct flood *f)
{
	struct tcp_seg got;

	while (h_pop(f->h, &got)) {
		if (f->lport && got.dport == f->lport &&
		    got.flags == (TCP_FLAG_SYN | TCP_FLAG_ACK)) {
			f->have_synack = true;
			f->synack_seq = got.seq;
			f->synack_opt = got.opt;
		}
	}
}

/* The legitimate peer's side, as a kernel client with RTO 1 s would behave. */
static void flood_legit_syn(struct flood *f, stack_time_us t)
{
	f->lport = (uint16_t)(LEGIT_PORT_FIRST + f->legit_sent);
	f->syn_at = t;
	f->have_synack = false;
	f->legit_sent++;
	h_send(f->h, t,
	       SEG(.sport = f->lport, .seq = 1000u * f->legit_sent, .flags = TCP_FLAG_SYN,
		   .wnd = 65535, .opt.has_mss = true, .opt.mss = H_MSS, .opt.wscale = 7,
		   .opt.sack_ok = true, .opt.has_ts = true, .opt.tsval = (uint32_t)(t / 1000)),
	       NULL);
}

static void flood_legit_ack(struct flood *f, stack_time_us t)
{
	h_send(f->h, t,
	       SEG(.sport = f->lport, .seq = 1000u * f->legit_sent + 1, .ack = f->synack_seq + 1,
		   .wnd = 512, .opt.has_ts = f->synack_opt.has_ts,
		   .opt.tsval = (uint32_t)(t / 1000), .opt.tsecr = f->synack_opt.tsval),
	       NULL);
}

/* Accept whatever the listener has; a connection from the legitimate port is a success. */
static void flood_accept(struct flood *f, stack_time_us t)
{
	struct stack_event ev;
	stack_sock sock;

	while (stack_event_pop(f->h->s, &ev)) {
		if (ev.type != STACK_EV_ACCEPTABLE)
			continue;
		while (stack_tcp_accept(f->h->s, t, f->h->lsock, 9, &sock) == 0) {
			struct tcp_conn *c = h_conn(f->h, sock);

			if (c && c->tuple.rport == f->lport && c->state == TCP_ESTABLISHED &&
			    t - f->syn_at <= LEGIT_BOUND_US) {
				f->legit_done++;
				f->lport = 0;
			}
			assert_int_equal(stack_tcp_abort(f->h->s, t, sock), 0);
		}
	}
}

static void test_syn_flood_legit_connects(void **state)
{
	struct flood f = { .h = h_new(flood_tweak) };
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	stack_time_us t = 0, end = (stack_time_us)FLOOD_SYNS * FLOOD_GAP_US;
	uint32_t syn = 0;
	size_t mem_base;

	assert_int_equal(stack_tcp_listen(f.h->s, 0, &local, 128, 7, &f.h->lsock), 0);
	mem_base = f.h->mem_live;
	for (t = 0; t < end; t += FLOOD_GAP_US) {
		h_poll(f.h, t);
		/* a spoofed source: its own port and ISN, never answers */
		h_send(f.h, t,
		       SEG(.sport = (uint16_t)(1024 + syn % 40000), .seq = 0x9e3779b9u * syn,
			   .flags = TCP_FLAG_SYN, .opt.has_mss = true, .opt.mss = 1460),
		       NULL);
		syn++;
		flood_collect(&f);
		if (t % LEGIT_EVERY_US == LEGIT_EVERY_US / 2) {
			flood_legit_syn(&f, t);
			flood_collect(&f);
		}
		if (f.lport && f.have_synack && t >= f.syn_at + LEGIT_RTT_US - FLOOD_GAP_US) {
			flood_legit_ack(&f, t);
			f.have_synack = false;
			flood_collect(&f);
		}
		flood_accept(&f, t);
		flood_collect(&f);
		if (f.h->s->tcp.nused > f.slots_max)
			f.slots_max = f.h->s->tcp.nused;
	}
	print_message("legitimate connects: %u of %u within 1 s; %u flood SYNs; most slots %zu; "
		      "memory peak %zu KiB over the idle listener\n",
		      f.legit_done, f.legit_sent, syn, f.slots_max,
		      (f.h->mem_peak - mem_base) / 1024);
	assert_int_equal(syn, FLOOD_SYNS);
	assert_int_equal(f.legit_sent, FLOOD_SYNS * FLOOD_GAP_US / LEGIT_EVERY_US);
	/* >= 99 % of the legitimate connects complete within the bound */
	assert_true(f.legit_done * 100 >= f.legit_sent * 99);
	/* the flood holds no more than the SYN queue (+ the listener and one legit child) */
	assert_true(f.slots_max <= f.h->s->cfg.tun.syn_backlog + 2);
	/* and no more memory than the SYN queue's children could take at full size */
	assert_true(f.h->mem_peak - mem_base <=
		    (f.h->s->cfg.tun.syn_backlog + 2) *
			    (size_t)(f.h->cfg.tun.send_buffer + f.h->cfg.tun.recv_buffer));
	h_free(f.h);
}

static uint64_t prune_backlog;

static void prune_tweak(struct stack_config *cfg)
{
	cfg->tun.syn_backlog = prune_backlog;
	cfg->tun.syncookies = 0; /* the queue's own turnover, without cookies */
}

/* Four half-open children that never hear back; the slots in use at time t. */
static uint32_t half_open_slots_at(uint64_t backlog, stack_time_us t)
{
	struct harness *h;
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	uint32_t n;

	prune_backlog = backlog;
	h = h_new(prune_tweak);
	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 16, 7, &h->lsock), 0);
	for (uint16_t i = 0; i < 4; i++)
		h_send(h, 0, SEG(.sport = (uint16_t)(1000 + i), .seq = 100, .flags = TCP_FLAG_SYN),
		       NULL);
	for (stack_time_us now = 0; now <= t; now += MS(100)) {
		h_poll(h, now);
		h_drain(h);
	}
	n = h->s->tcp.nused;
	h_free(h);
	return n;
}

/*
 * RFC 4987 §3.4 (reducing the SYN-RECEIVED timer): with the SYN queue at
 * least half full, a half-open child whose SYN,ACK went unanswered twice
 * gives up at its next timeout (1 + 2 + 4 s with the default RTO) instead of
 * after synack_retries (1 + 2 + 4 + 8 + 16 + 32 s).
 */
static void test_half_open_pruned_under_pressure(void **state)
{
	/* under pressure: the queue (4 of 4) is below half full again within 7.1 s:
	 * three children gave up, the last one no longer counts as pressure */
	assert_int_equal(half_open_slots_at(4, MS(7100)), 1 + 1);
	/* no pressure: 4 of 16 (the listen backlog, below syn_backlog) taken; they
	 * are all still retrying at 7.1 s */
	assert_int_equal(half_open_slots_at(256, MS(7100)), 1 + 4);
	assert_int_equal(half_open_slots_at(256, MS(63100)), 1);
}

static uint64_t synq_cookies;

static void synq_tweak(struct stack_config *cfg)
{
	cfg->tun.syn_backlog = 256;
	cfg->tun.syncookies = synq_cookies;
}

/*
 * The SYN queue is bounded by the listen backlog as well as syn_backlog: a
 * listener with backlog 4 holds at most 4 half-open children, so a client
 * whose backlog was sized to its uid's room cannot take 256 slots with it.
 * Past the bound, SYNs get cookies (no slot) or, with cookies off, are dropped.
 */
static void test_synq_bounded_by_backlog(void **state)
{
	for (synq_cookies = 0; synq_cookies <= 1; synq_cookies++) {
		struct harness *h = h_new(synq_tweak);
		struct stack_endpoint local = { 0, H_LOCAL_PORT };
		struct tcp_seg got;
		uint32_t synacks = 0;

		assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 7, &h->lsock), 0);
		for (uint16_t i = 0; i < 20; i++)
			h_send(h, 0,
			       SEG(.sport = (uint16_t)(2000 + i), .seq = 100 * i,
				   .flags = TCP_FLAG_SYN, .opt.has_mss = true, .opt.mss = 1460),
			       NULL);
		while (h_pop(h, &got))
			synacks += got.flags == (TCP_FLAG_SYN | TCP_FLAG_ACK);
		/* the listener and 4 half-open children, whatever the cookie setting */
		assert_int_equal(h->s->tcp.nused, 1 + 4);
		if (synq_cookies) {
			assert_int_equal(synacks, 20);
			assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtSyncookiesSent], 16);
		} else {
			assert_int_equal(synacks, 4);
			assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtListenDrops], 16);
		}
		h_free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_syn_flood_legit_connects),
		cmocka_unit_test(test_half_open_pruned_under_pressure),
		cmocka_unit_test(test_synq_bounded_by_backlog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
