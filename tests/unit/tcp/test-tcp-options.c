/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-options.c - option negotiation with and without each option:
 * MSS (RFC 9293 §3.7.1, 536 by default), window scaling (RFC 7323 §2: only
 * when both sides offer it, never in a SYN's window), timestamps and PAWS
 * (RFC 7323 §3-5), SACK-permitted and SACK blocks for out-of-order data
 * (RFC 2018 §3-4); and an input batch's one ACK for a SACK connection's
 * data (stack.h), which goes early once it would open a quarter of the
 * window.
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)
/* the window a connection starts with (it grows towards the 1 MiB buffer as it is used), scaled by 5 */
#define W5    (TCP_MEM_WND_INIT >> 5)

static void tweak_all(struct stack_config *cfg)
{
	cfg->tun.timestamps = 1;
	cfg->tun.sack = 1;
	cfg->tun.window_scaling = 1;
	cfg->tun.recv_buffer = 1 << 20; /* 1 MiB: scale 5 */
}

#define SYN_ALL(...)                                                                          \
	SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true, .opt.mss = 1400, \
	    .opt.sack_ok = true, .opt.has_ts = true, .opt.tsval = 1000, .opt.wscale = 7,      \
	    __VA_ARGS__)

static void listen_on(struct harness *h)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 4, 1, &h->lsock), 0);
}

static void test_all_options_passive(void **state)
{
	struct harness *h = h_new(tweak_all);
	struct tcp_seg sa;
	struct tcp_conn *c;
	uint8_t data[2000] = { 0 };

	listen_on(h);
	h_send(h, MS(5), SYN_ALL(), NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	h->ts_off = sa.opt.tsval - 5;
	h->now = MS(5);
	/* RFC 7323: the SYN's window is not scaled; TSecr echoes their TSval */
	h_expect_nothing(h);
	{
		struct tcp_seg exp =
			OUT(.seq = h->iss, .ack = RNXT, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
			    .wnd = 65535, .opt.has_mss = true, .opt.mss = 1460, .opt.sack_ok = true,
			    .opt.has_ts = true, .opt.tsval = sa.opt.tsval, .opt.tsecr = 1000,
			    .opt.wscale = 5);
		char a[256], b[256];

		h_format(&exp, a, sizeof(a));
		h_format(&sa, b, sizeof(b));
		assert_string_equal(a, b);
	}
	h_send(h, MS(10),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .opt.has_ts = true, .opt.tsval = 1001,
		   .opt.tsecr = sa.opt.tsval),
	       NULL);
	assert_int_equal(stack_tcp_accept(h->s, MS(10), h->lsock, 2, &h->sock), 0);
	c = h_conn(h, h->sock);
	assert_true(c->wscale_ok && c->ts_ok && c->sack_ok);
	assert_int_equal(c->snd_wscale, 7);
	assert_int_equal(c->rcv_wscale, 5);
	assert_int_equal(c->mss, 1400);
	assert_int_equal(c->snd_wnd, H_WND << 7);
	/* data: TS on every segment, payload = MSS - 12, window scaled by 5 */
	h->now = MS(20);
	assert_int_equal(stack_tcp_setopt(h->s, MS(20), h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(20), h->sock, data, 2000), 2000);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = W5, .len = 1388, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001));
	h_expect(h, OUT(.seq = h->iss + 1389, .ack = RNXT, .wnd = W5, .len = 612,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001));
	/* out-of-order data: an immediate ACK carrying a SACK block (RFC 2018 §4) */
	h_send(h, MS(30),
	       SEG(.seq = RNXT + 100, .ack = h->iss + 1, .len = 50, .opt.has_ts = true,
		   .opt.tsval = 1002, .opt.tsecr = 0),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2001, .ack = RNXT, .wnd = W5, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001, .opt.nsack = 1,
			.opt.sack[0] = { RNXT + 100, RNXT + 150 }));
	h_send(h, MS(31),
	       SEG(.seq = RNXT + 200, .ack = h->iss + 1, .len = 50, .opt.has_ts = true,
		   .opt.tsval = 1003),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2001, .ack = RNXT, .wnd = W5, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001, .opt.nsack = 2,
			.opt.sack[0] = { RNXT + 200, RNXT + 250 },
			.opt.sack[1] = { RNXT + 100, RNXT + 150 }));
	/* RFC 7323 §5: PAWS drops a segment with an older timestamp, with an ACK */
	h_send(h, MS(32),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .len = 100, .opt.has_ts = true,
		   .opt.tsval = 900),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2001, .ack = RNXT, .wnd = W5, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 1001, .opt.nsack = 2,
			.opt.sack[0] = { RNXT + 200, RNXT + 250 },
			.opt.sack[1] = { RNXT + 100, RNXT + 150 }));
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtPAWSEstab], 1);
	assert_int_equal(stack_tcp_readable(h->s, h->sock), 0);
	/* the hole fills; the blocks are gone */
	h_send(h, MS(33),
	       SEG(.seq = RNXT, .ack = h->iss + 1, .len = 200, .opt.has_ts = true,
		   .opt.tsval = 1004),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 2001, .ack = RNXT + 250,
			.wnd = (TCP_MEM_WND_INIT - 250 + 31) >> 5 /* the edge kept: rounded up */,
			.opt.has_ts = true, .opt.tsval = H_TS_AUTO, .opt.tsecr = 1004));
	h_free(h);
}

/* The peer offers nothing: we use nothing, and its MSS is 536. */
static void test_peer_offers_nothing(void **state)
{
	struct harness *h = h_new(tweak_all);
	struct tcp_conn *c;

	listen_on(h);
	h_send(h, 0, SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN), NULL);
	{
		struct tcp_seg sa;

		assert_true(h_pop(h, &sa));
		h->iss = sa.seq;
		assert_int_equal(sa.opt.mss, 1460);
		assert_false(sa.opt.sack_ok);
		assert_false(sa.opt.has_ts);
		assert_int_equal(sa.opt.wscale, -1);
		assert_int_equal(sa.wnd, 65535);
	}
	h_send(h, 0, SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 2, &h->sock), 0);
	c = h_conn(h, h->sock);
	assert_false(c->wscale_ok || c->ts_ok || c->sack_ok);
	assert_int_equal(c->mss, 536);
	assert_int_equal(c->rcv_wscale, 0);
	/* the window is capped at 65535 without scaling */
	assert_int_equal(stack_tcp_send(h->s, 0, h->sock, "z", 1), 1);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = 65535, .len = 1,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_free(h);
}

/* We offer nothing (tunables off): the peer's offers are declined. */
static void test_we_offer_nothing(void **state)
{
	struct harness *h = h_new(NULL);
	struct tcp_seg sa;

	listen_on(h);
	h_send(h, 0, SYN_ALL(), NULL);
	assert_true(h_pop(h, &sa));
	assert_false(sa.opt.sack_ok);
	assert_false(sa.opt.has_ts);
	assert_int_equal(sa.opt.wscale, -1);
	assert_int_equal(sa.opt.mss, 1460);
	h_free(h);
}

/* Active open with every option; the peer answers without window scaling. */
static void test_active_no_wscale_in_reply(void **state)
{
	struct harness *h = h_new(tweak_all);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg syn;
	struct tcp_conn *c;

	assert_int_equal(stack_tcp_connect(h->s, MS(7), &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &syn));
	h->iss = syn.seq;
	h->ts_off = syn.opt.tsval - 7;
	assert_int_equal(syn.flags, TCP_FLAG_SYN);
	assert_int_equal(syn.opt.mss, 1460);
	assert_true(syn.opt.sack_ok);
	assert_true(syn.opt.has_ts);
	assert_int_equal(syn.opt.tsecr, 0);
	assert_int_equal(syn.opt.wscale, 5);
	assert_int_equal(syn.wnd, 65535);
	h_send(h, MS(9),
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		   .opt.has_mss = true, .opt.mss = 1000, .opt.has_ts = true, .opt.tsval = 55,
		   .opt.tsecr = syn.opt.tsval),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = 65535, .opt.has_ts = true,
			.opt.tsval = H_TS_AUTO, .opt.tsecr = 55));
	c = h_conn(h, h->sock);
	assert_false(c->wscale_ok);
	assert_false(c->sack_ok);
	assert_true(c->ts_ok);
	assert_int_equal(c->rcv_wscale, 0);
	assert_int_equal(c->snd_wscale, 0);
	/* an RTT sample from the timestamp echo: 2 ms */
	assert_int_equal(c->rtt.srtt_us, MS(2));
	h_free(h);
}

/* Each option alone: only that one is echoed in the SYN,ACK and used. */
static void test_each_option_alone(void **state)
{
	for (int which = 0; which < 3; which++) {
		struct harness *h = h_new(tweak_all);
		struct tcp_seg syn = SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN);
		struct tcp_seg sa;
		struct tcp_conn *c;

		listen_on(h);
		if (which == 0)
			syn.opt.sack_ok = true;
		if (which == 1)
			syn.opt.has_ts = true, syn.opt.tsval = 77;
		if (which == 2)
			syn.opt.wscale = 0;
		h_send(h, 0, syn, NULL);
		assert_true(h_pop(h, &sa));
		assert_int_equal(sa.opt.mss, 1460);
		assert_int_equal(sa.opt.sack_ok, which == 0);
		assert_int_equal(sa.opt.has_ts, which == 1);
		assert_int_equal(sa.opt.wscale, which == 2 ? 5 : -1);
		if (which == 1)
			assert_int_equal(sa.opt.tsecr, 77);
		h_send(h, 0,
		       SEG(.seq = RNXT, .ack = sa.seq + 1, .opt.has_ts = which == 1,
			   .opt.tsval = 78, .opt.tsecr = sa.opt.tsval),
		       NULL);
		assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 2, &h->sock), 0);
		c = h_conn(h, h->sock);
		assert_int_equal(c->sack_ok, which == 0);
		assert_int_equal(c->ts_ok, which == 1);
		assert_int_equal(c->wscale_ok, which == 2);
		/* scale 0 from the peer still turns scaling on for our side (RFC 7323 §2.2) */
		assert_int_equal(c->rcv_wscale, which == 2 ? 5 : 0);
		h_free(h);
	}
}

static void tweak_scale_only(struct stack_config *cfg)
{
	cfg->tun.window_scaling = 1;
	cfg->tun.recv_buffer = 1 << 20; /* scale 5 */
	cfg->tun.delayed_ack = 0;	/* every segment ACKed at once */
}

/*
 * The peer's right edge moves back by less than one unit of its window
 * scale: the rounding RFC 7323 §2.4 tolerates, while the peer may already
 * hold the bytes up to SND.MAX. A segment without data then carries SND.MAX:
 * at the rounded edge its SEQ could lie behind the peer's RCV.NXT, and the
 * peer would drop it and the ACK it carries (two stacks doing this to each
 * other deadlocked in test-tcp-pair). A larger move back is a real shrink:
 * the ACK stays at the edge, where a peer with a closed window takes it.
 */
static void test_ack_seq_after_rounding_shrink(void **state)
{
	struct harness *h = h_new(tweak_scale_only);
	struct tcp_seg sa, out;
	uint8_t data[1280] = { 0 };

	listen_on(h);
	h_send(h, MS(5),
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true, .opt.mss = 1400,
		   .opt.wscale = 7),
	       NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	/* the handshake's ACK opens 10 << 7 = 1280 bytes */
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 10), NULL);
	assert_int_equal(stack_tcp_accept(h->s, MS(10), h->lsock, 2, &h->sock), 0);
	assert_int_equal(stack_tcp_setopt(h->s, MS(10), h->sock, STACK_TCP_NODELAY, 1), 0);
	assert_int_equal(stack_tcp_send(h->s, MS(20), h->sock, data, sizeof(data)), 1280);
	assert_true(h_pop(h, &out));
	assert_int_equal(out.seq, h->iss + 1);
	assert_int_equal(out.len, 1280); /* SND.MAX = the edge */
	h_expect_nothing(h);
	/* 1000 bytes ACKed, 2 << 7 more: the edge is 24 bytes back (less than 128) */
	h_send(h, MS(30), SEG(.seq = RNXT, .ack = h->iss + 1001, .wnd = 2), NULL);
	h_send(h, MS(31), SEG(.seq = RNXT, .ack = h->iss + 1001, .wnd = 2, .len = 10), NULL);
	assert_true(h_pop(h, &out));
	assert_int_equal(out.len, 0);
	assert_int_equal(out.ack, RNXT + 10);
	assert_int_equal(out.seq, h->iss + 1281); /* SND.MAX, not the rounded edge */
	h_drain(h);
	/* 1 << 7: the edge is 152 bytes back, a shrink: the ACK goes at the edge */
	h_send(h, MS(40), SEG(.seq = RNXT + 10, .ack = h->iss + 1001, .wnd = 1, .len = 10), NULL);
	assert_true(h_pop(h, &out));
	assert_int_equal(out.len, 0);
	assert_int_equal(out.ack, RNXT + 20);
	assert_int_equal(out.seq, h->iss + 1001 + 128);
	h_free(h);
}

static void tweak_sack_only(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
}

/* A passive connection; the peer offers SACK when sack is set. */
static void establish_sack(struct harness *h, bool sack)
{
	struct tcp_seg sa;

	listen_on(h);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true, .opt.mss = 1400,
		   .opt.sack_ok = sack),
	       NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	h_send(h, 0, SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->lsock, 2, &h->sock), 0);
	assert_int_equal(h_conn(h, h->sock)->sack_ok, sack);
	h_drain(h);
}

/*
 * An input batch (stack_input_batch_begin/_end, one read of the link): on a
 * SACK connection three out-of-order segments get one ACK at the end, its
 * blocks in order of recency (RFC 2018 §4), as a receiver's GRO would have
 * it; without SACK each gets its duplicate ACK at once (RFC 5681 §4.2: a
 * NewReno sender counts them).
 */
static void test_batch_acks_once(void **state)
{
	for (int sack = 1; sack >= 0; sack--) {
		struct harness *h = h_new(tweak_sack_only);
		struct tcp_seg out;

		establish_sack(h, sack);
		stack_input_batch_begin(h->s);
		for (uint32_t i = 0; i < 3; i++) {
			h_send(h, MS(10),
			       SEG(.seq = RNXT + 100 + 200 * i, .ack = h->iss + 1, .len = 50),
			       NULL);
			if (!sack) {
				assert_true(h_pop(h, &out));
				assert_int_equal(out.ack, RNXT);
			}
			h_expect_nothing(h);
		}
		stack_input_batch_end(h->s, MS(10));
		if (sack) {
			assert_true(h_pop(h, &out));
			assert_int_equal(out.ack, RNXT);
			assert_int_equal(out.opt.nsack, 3);
			for (uint32_t i = 0; i < 3; i++)
				assert_int_equal(out.opt.sack[i].left, RNXT + 100 + 200 * (2 - i));
		}
		h_expect_nothing(h);
		h_free(h);
	}
}

/* A reader that keeps up: takes every byte as it arrives (stack_tcp_set_direct). */
static size_t take_all(struct harness *h, stack_sock sock, const uint8_t *data, size_t len)
{
	(void)h;
	(void)sock;
	(void)data;
	return len;
}

/* The peer's next len in-order bytes; *sent counts what it has sent so far. */
static void send_next(struct harness *h, uint32_t *sent, uint32_t len)
{
	h_send(h, MS(10), SEG(.seq = RNXT + *sent, .ack = h->iss + 1, .len = len), NULL);
	*sent += len;
}

/*
 * Open an input batch and send the peer's segments of len up to a quarter
 * of wnd, the last one reaching it: each before it is left unanswered.
 */
static void batch_to_quarter(struct harness *h, uint32_t wnd, uint32_t *sent, uint32_t len)
{
	stack_input_batch_begin(h->s);
	while (4 * (*sent + len) < wnd) {
		send_next(h, sent, len);
		h_expect_nothing(h);
	}
	send_next(h, sent, len);
}

/*
 * In a batch, a SACK connection's ACK for in-order data waits for the
 * batch's end only until it would move the window's edge by a quarter of
 * the window our last ACK opened: with a reader taking every byte, that is
 * when a quarter has come, and the ACK goes at once, so a sender held by the
 * window does not wait for the whole read; what comes after waits for the
 * end again. With nobody reading and the receive buffer (H_RCVBUF, 32 KiB)
 * the limit of the window, the bytes kept move no edge: the ACK waits for
 * the end with half the window used.
 */
static void test_batch_ack_bounded(void **state)
{
	(void)state;
	for (int reads = 1; reads >= 0; reads--) {
		struct harness *h = h_new(tweak_sack_only);
		const uint32_t len = 1000;
		uint32_t wnd, sent = 0;
		struct tcp_seg out;

		establish_sack(h, true);
		if (reads) {
			h->direct = take_all;
			assert_int_equal(stack_tcp_set_direct(h->s, h->sock, true), 0);
		}
		wnd = h_conn(h, h->sock)->rcv_adv - RNXT;
		assert_true(wnd >= 16 * len);
		batch_to_quarter(h, wnd, &sent, len);
		/* without a reader, on to half the window */
		while (!reads && 2 * sent < wnd)
			send_next(h, &sent, len);
		if (reads) {
			assert_true(h_pop(h, &out));
			assert_int_equal(out.ack, RNXT + sent);
			/* two segments: what a delayed ACK answers at once (RFC 9293 §3.8.6.3) */
			for (int i = 0; i < 2; i++) {
				h_expect_nothing(h);
				send_next(h, &sent, len);
			}
		}
		h_expect_nothing(h);
		stack_input_batch_end(h->s, MS(10));
		assert_true(h_pop(h, &out));
		assert_int_equal(out.ack, RNXT + sent);
		h_expect_nothing(h);
		h_free(h);
	}
}

/*
 * Only the ACK goes early: bytes of ours that the peer's segments let out
 * (here its window opens again) still leave at the batch's end, cut once
 * for the batch.
 */
static void test_batch_ack_alone(void **state)
{
	struct harness *h = h_new(tweak_sack_only);
	const uint32_t len = 1000;
	uint8_t ours[500] = { 0 };
	uint32_t wnd, sent = 0;
	struct tcp_seg out;

	(void)state;
	establish_sack(h, true);
	h->direct = take_all;
	assert_int_equal(stack_tcp_set_direct(h->s, h->sock, true), 0);
	/* the peer's window closes; what we send now waits */
	h_send(h, MS(5), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	assert_int_equal(stack_tcp_send(h->s, MS(5), h->sock, ours, sizeof(ours)), sizeof(ours));
	h_drain(h);
	wnd = h_conn(h, h->sock)->rcv_adv - RNXT;
	batch_to_quarter(h, wnd, &sent, len);
	assert_true(h_pop(h, &out));
	assert_int_equal(out.ack, RNXT + sent);
	assert_int_equal(out.len, 0);
	h_expect_nothing(h);
	stack_input_batch_end(h->s, MS(10));
	assert_true(h_pop(h, &out));
	assert_int_equal(out.seq, h->iss + 1);
	assert_int_equal(out.len, sizeof(ours));
	h_free(h);
}

static void tweak_sack_autotune(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
	cfg->tun.buffer_autotune = 1;
	cfg->tun.recv_buffer = 256 * 1024;
}

/*
 * The edge also moves while the receive buffer has room beyond the window
 * (autotuning opens it from TCP_MEM_WND_INIT as data comes): then the bytes
 * kept in the ring, with nobody reading, still let the ACK go early, and the
 * sender uses the room.
 */
static void test_batch_ack_buffer_room(void **state)
{
	struct harness *h = h_new(tweak_sack_autotune);
	const uint32_t len = 1000;
	uint32_t wnd, sent = 0;
	struct tcp_seg out;

	(void)state;
	establish_sack(h, true);
	wnd = h_conn(h, h->sock)->rcv_adv - RNXT;
	assert_true(wnd >= 16 * len && wnd < 256 * 1024 / 2);
	batch_to_quarter(h, wnd, &sent, len);
	assert_true(h_pop(h, &out));
	assert_int_equal(out.ack, RNXT + sent);
	/* the edge moved: the window the ACK gives reaches past the last one's */
	assert_true(seq_gt(out.ack + out.wnd, RNXT + wnd));
	h_expect_nothing(h);
	stack_input_batch_end(h->s, MS(10));
	h_expect_nothing(h);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_options_passive),
		cmocka_unit_test(test_peer_offers_nothing),
		cmocka_unit_test(test_we_offer_nothing),
		cmocka_unit_test(test_active_no_wscale_in_reply),
		cmocka_unit_test(test_each_option_alone),
		cmocka_unit_test(test_ack_seq_after_rounding_shrink),
		cmocka_unit_test(test_batch_acks_once),
		cmocka_unit_test(test_batch_ack_bounded),
		cmocka_unit_test(test_batch_ack_alone),
		cmocka_unit_test(test_batch_ack_buffer_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
