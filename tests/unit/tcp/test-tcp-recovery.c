/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-recovery.c - sender-side loss recovery (issue 10, point 2), each
 * case held to a bound in round trips of virtual time:
 *
 * - a lost 29-segment TSO frame is resent whole (several segments a frame)
 *   within the round trip in which its loss shows, so it is repaired two round
 *   trips after it was first sent (RFC 6675 NextSeg, PRR), not 29;
 * - a TSO frame cut by a cwnd of bytes ends on a segment boundary (no runt
 *   wire segment) unless it carries the end of the data;
 * - a lost tail is repaired through a loss probe 2 x SRTT after the last ACK
 *   (RFC 8985 §7), not after the retransmission timeout;
 * - with three segments in flight, the first lost, the two SACKs that come
 *   back are enough: RACK's timer resends it a quarter round trip later
 *   (RFC 8985 §6), no timeout;
 * - the ACKs of a fast recovery's last segments lost: a probe 2 x SRTT
 *   later, the highest segment sent again (never new data, whose ACK the
 *   receiver may delay), not the timeout; likewise outside a recovery, and
 *   the probe's SACK alone shows a hole below it;
 * - without SACK, the first two duplicate ACKs each send a new segment
 *   (RFC 3042 limited transmit), so a short window still gets its third;
 * - a fast retransmit that D-SACKs show was not needed gives cwnd and
 *   ssthresh back (RFC 3708 §3.2 with RFC 2883);
 * - so does a timeout whose first ACK echoes the original's timestamp
 *   (RFC 3522 Eifel detection);
 * - after a timeout, one cumulative ACK for what the receiver held grows
 *   cwnd by one segment, not as a stretch ACK;
 * - the scoreboard's recovery past 2^31 and 2^32 bytes of sequence space.
 *
 * The peer is the harness: it answers at chosen times with chosen SACK
 * blocks, so the round trip is whatever the test says it is (10 ms here).
 */
#include <string.h>

#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define US(x) ((stack_time_us)(x))
#define RNXT  (H_REMOTE_ISN + 1)
#define RTT   MS(10)

static uint16_t peer_mss = 1460;
static int8_t peer_wscale = -1;

/* The peer's SYN at 0 and its ACK one round trip later (the first RTT sample). */
static void establish(struct harness *h, bool sack)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg sa;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .wnd = 65535, .opt.sack_ok = sack,
		   .opt.has_mss = true, .opt.mss = peer_mss, .opt.wscale = peer_wscale),
	       NULL);
	assert_true(h_pop(h, &sa));
	assert_int_equal(sa.opt.sack_ok, sack);
	h->iss = sa.seq;
	h_send(h, RTT, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 65535), NULL);
	assert_int_equal(stack_tcp_accept(h->s, RTT, h->lsock, 9, &h->sock), 0);
	assert_int_equal(stack_tcp_setopt(h->s, RTT, h->sock, STACK_TCP_NODELAY, 1), 0);
	h_expect_nothing(h);
}

/* An ACK from the peer with up to three SACK blocks ({0, 0} ends the list). */
static void peer_ack(struct harness *h, stack_time_us t, uint32_t ack, const uint32_t (*blk)[2])
{
	struct tcp_seg seg = SEG(.seq = RNXT, .ack = ack, .wnd = 65535);

	for (int i = 0; blk && i < 3 && blk[i][1]; i++) {
		seg.opt.sack[i].left = blk[i][0];
		seg.opt.sack[i].right = blk[i][1];
		seg.opt.nsack = (uint8_t)(i + 1);
	}
	h_send(h, t, seg, NULL);
}

struct sent {
	uint32_t frames, multi; /* frames, and frames of more than one segment */
	uint64_t bytes;		/* payload bytes within [lo, hi) */
	tcp_seq lo, hi;		/* lowest and highest sequence numbers seen */
};

/* Pop every segment the stack sent; count those carrying data. */
static struct sent collect(struct harness *h, uint32_t mss)
{
	struct sent st = { 0 };
	struct tcp_seg g;

	while (h_pop(h, &g)) {
		if (!g.len)
			continue;
		if (!st.frames || seq_lt(g.seq, st.lo))
			st.lo = g.seq;
		if (!st.frames || seq_gt(g.seq + g.len, st.hi))
			st.hi = g.seq + g.len;
		st.frames++;
		st.multi += g.len > mss;
		st.bytes += g.len;
	}
	return st;
}

static uint64_t ctr(struct harness *h, enum stack_counter_id id)
{
	return h->s->ctr.v[id];
}

static uint64_t tso_cc; /* the congestion control test_tso_frame_lost runs under */

static void tweak_tso(struct stack_config *cfg)
{
	cfg->mtu = 9000;
	cfg->tx_csum_offload = true;
	cfg->tx_tso = true;
	cfg->tun.sack = 1;
	cfg->tun.window_scaling = 1;
	cfg->tun.initial_cwnd = 60;
	cfg->tun.send_buffer = 256 * 1024;
	cfg->tun.congestion_control = tso_cc;
}

/*
 * Two TSO frames of 29 segments (peer MSS 2200: 63,800 bytes each, the most
 * below 64 KiB); the first is lost whole, the second arrives and the peer
 * SACKs it two segments an ACK. Every byte of the first frame is resent while
 * those ACKs come in (one round trip after the first send), in frames of
 * several segments, and the ACK after that (two round trips) covers it all.
 * Before the scoreboard: one segment resent per round trip, 29 of them.
 * Under CUBIC (ssthresh 0.7 x flight instead of NewReno's 0.5) PRR leaves
 * room, once the hole is resent, for RFC 6675's rescue retransmission (rule
 * 4: the last segment's worth, before its SACK came): one segment more.
 */
static void tso_frame_lost(uint64_t cc)
{
	struct harness *h;
	static uint8_t data[2 * 29 * 2200];
	const uint32_t seg = 2200, frame = 29 * seg;
	tcp_seq una;
	struct sent st;

	peer_mss = seg;
	peer_wscale = 7;
	tso_cc = cc;
	h = h_new(tweak_tso);
	establish(h, true);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	st = collect(h, seg);
	assert_int_equal(st.frames, 2); /* two TSO frames of 29 segments */
	assert_int_equal(st.bytes, 2 * frame);
	/* frame 1 lost; frame 2's segments SACKed, two an ACK, one round trip later */
	for (uint32_t n = 2; n <= 29; n += 2) {
		uint32_t blk[2][2] = { { una + frame, una + frame + n * seg }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(10 * n), una, blk);
	}
	{
		uint32_t blk[2][2] = { { una + frame, una + 2 * frame }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(300), una, blk);
	}
	st = collect(h, seg);
	print_message("resent %llu bytes in %u frames (%u of several segments)\n",
		      (unsigned long long)st.bytes, st.frames, st.multi);
	assert_int_equal(st.lo, una);
	if (cc == STACK_CC_NEWRENO) {
		assert_int_equal(st.hi, una + frame);
		assert_int_equal(st.bytes, frame); /* the hole, each byte once */
	} else {
		/* the hole, each byte once, and at most the one rescue segment */
		assert_true(st.bytes == frame || st.bytes == frame + seg);
		assert_true(seq_le(st.hi, una + 2 * frame));
	}
	assert_true(st.multi >= 1);
	assert_true(st.frames <= 15); /* TSO-sized: far fewer frames than segments */
	/* the retransmissions arrive: all ACKed two round trips after the first send */
	peer_ack(h, 3 * RTT + US(300), una + 2 * frame, NULL);
	assert_int_equal(h_conn(h, h->sock)->snd_una, una + 2 * frame);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPSackRecovery), 1);
	h_free(h);
	peer_mss = 1460;
	peer_wscale = -1;
}

static void test_tso_frame_lost(void **state)
{
	tso_frame_lost(STACK_CC_NEWRENO);
	tso_frame_lost(STACK_CC_CUBIC);
}

/*
 * cwnd is kept in bytes (PRR, CUBIC) and is rarely a whole number of
 * segments. A TSO frame cut by cwnd must still end on a segment boundary
 * when more data waits: a frame of 5 segments and 700 bytes becomes 5 full
 * wire segments and one of 700 bytes, a runt that costs a frame (and, on a
 * lossy path, a loss) for half a segment's payload and breaks sender-side
 * SWS avoidance (RFC 9293 §3.8.6.2.1). Before: 5 x 1460 + 700 in one frame.
 */
static void test_tso_frame_whole_segments(void **state)
{
	struct harness *h;
	static uint8_t data[20 * 1460];
	struct tcp_conn *c;
	struct tcp_seg g;

	tso_cc = STACK_CC_CUBIC;
	h = h_new(tweak_tso);
	establish(h, true);
	c = h_conn(h, h->sock);
	c->cc.cwnd = 5 * 1460 + 700;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	assert_true(h_pop(h, &g));
	print_message("frame of %u bytes\n", g.len);
	assert_int_equal(g.len, 5 * 1460);
	h_expect_nothing(h);
	/* the end of the data is not held back: the last frame may end short */
	c->cc.cwnd = 100 * 1460;
	peer_ack(h, 2 * RTT, g.seq + g.len, NULL);
	assert_true(h_pop(h, &g));
	assert_int_equal(g.len, 15 * 1460);
	h_expect_nothing(h);
	h_free(h);
}

static void tweak_sack(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
}

/*
 * Ten segments out; the peer ACKs seven, the last three are lost. 2 x SRTT
 * later a probe resends the last segment; its SACK shows the two before it
 * lost (RACK), and they go at once. No timeout, all done within 5 round trips
 * of the first send (the timeout alone would be 200 ms = 20 round trips).
 */
static void test_tail_loss_probe(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[10 * 1460];
	tcp_seq una;
	struct sent st;

	establish(h, true);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	st = collect(h, 1460);
	assert_int_equal(st.frames, 10);
	peer_ack(h, 2 * RTT, una + 7 * 1460, NULL);
	h_expect_nothing(h);
	/* the probe: 2 x SRTT (20 ms) after that ACK, the last segment again */
	assert_true(stack_poll_at(h->s) <= 4 * RTT);
	h_poll(h, 4 * RTT);
	h_expect(h, OUT(.seq = una + 9 * 1460, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_expect_nothing(h);
	/* its SACK: segments 8 and 9, sent long before, are lost; both go now */
	{
		uint32_t blk[2][2] = { { una + 9 * 1460, una + 10 * 1460 }, { 0, 0 } };

		peer_ack(h, 5 * RTT, una + 7 * 1460, blk);
	}
	h_expect(h, OUT(.seq = una + 7 * 1460, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect(h, OUT(.seq = una + 8 * 1460, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	peer_ack(h, 6 * RTT, una + 10 * 1460, NULL);
	assert_int_equal(h_conn(h, h->sock)->snd_una, una + 10 * 1460);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPLossProbes), 1);
	h_free(h);
}

/*
 * The ACKs of a recovery are lost (the impaired path drops ACKs too, and an
 * application-limited sender has nothing more to send): ten segments out,
 * the first lost, the SACKs of the other nine start a fast retransmit; the
 * ACK of that retransmission never comes. A loss probe 2 x SRTT after it
 * resends the highest unSACKed segment (the retransmission again) and draws
 * the ACK: all done within 5 round trips of the first send. Before: no probe
 * in recovery, the retransmission timer (200 ms = 20 round trips) repaired it.
 */
static void test_recovery_ack_lost(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[10 * 1460];
	tcp_seq una;
	struct sent st;

	establish(h, true);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	st = collect(h, 1460);
	assert_int_equal(st.frames, 10);
	for (uint32_t n = 2; n <= 10; n++) {
		uint32_t blk[2][2] = { { una + 1460, una + n * 1460 }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(10 * n), una, blk);
	}
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	/* its ACK is lost: the probe comes 2 x SRTT later, not the timeout */
	assert_true(stack_poll_at(h->s) <= 4 * RTT + US(100));
	h_poll(h, 4 * RTT + US(100));
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	{
		uint32_t blk[2][2] = { { una, una + 1460 }, { 0, 0 } };

		peer_ack(h, 5 * RTT, una + 10 * 1460, blk);
	}
	assert_int_equal(h_conn(h, h->sock)->snd_una, una + 10 * 1460);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPLossProbes), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPSackRecovery), 1);
	h_free(h);
}

/*
 * The same with more data queued than the recovery lets out: the probe is
 * still the highest segment sent, again, not a new one. A receiver must
 * answer a segment it already has, or one above a hole, at once (RFC 9293
 * §3.10.7.4, RFC 5681 §4.2), but may delay the ACK of a new in-order one
 * (Linux: 40 ms, four times the probe's own wait on a short path), and
 * after lost ACKs the new segment is in order.
 */
static void test_recovery_ack_lost_probe_old(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[40 * 1460];
	struct tcp_conn *c;
	struct tcp_seg g;
	tcp_seq una, max;

	establish(h, true);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	max = c->snd_max;
	for (uint32_t n = 2; una + n * 1460 <= max; n++) {
		uint32_t blk[2][2] = { { una + 1460, una + n * 1460 }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(10 * n), una, blk);
	}
	h_drain(h);
	assert_true(tcp_conn_unsent(c) > 0);
	max = c->snd_max;
	/* every ACK after these is lost: the probe, 2 x SRTT later, is old data */
	assert_true(stack_poll_at(h->s) <= 4 * RTT + US(500));
	h_poll(h, 4 * RTT + US(500));
	assert_true(h_pop(h, &g));
	print_message("probe seq %u len %u, SND.MAX %u\n", g.seq - una, g.len, max - una);
	assert_true(g.len > 0);
	assert_true(seq_lt(g.seq, max));
	assert_true(seq_le(g.seq + g.len, max));
	h_expect_nothing(h);
	assert_int_equal(c->snd_max, max);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPLossProbes), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	h_free(h);
}

/*
 * No loss at all, only the ACKs after a cumulative one: cwnd full, more data
 * queued. The probe, 2 x SRTT after the last ACK, is the highest segment sent
 * again, not a new one: the receiver has everything, so a new segment is in
 * order and its ACK may be delayed (Linux: 40 ms, four probe waits on a short
 * path), while a duplicate is answered at once (RFC 9293 §3.10.7.4).
 */
static void test_open_ack_lost_probe_old(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[40 * 1460];
	struct tcp_conn *c;
	struct tcp_seg g;
	tcp_seq una, max;

	establish(h, true);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	peer_ack(h, 2 * RTT, una + 2 * 1460, NULL);
	h_drain(h);
	assert_true(tcp_conn_unsent(c) > 0);
	max = c->snd_max;
	assert_true(stack_poll_at(h->s) <= 4 * RTT + US(500));
	h_poll(h, 4 * RTT + US(500));
	assert_true(h_pop(h, &g));
	print_message("probe seq %u len %u, SND.MAX %u\n", g.seq - una, g.len, max - una);
	assert_true(g.len > 0);
	assert_true(seq_lt(g.seq, max));
	h_expect_nothing(h);
	assert_int_equal(c->snd_max, max);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPLossProbes), 1);
	/* its D-SACK: the probe was a duplicate, no reduction, nothing resent */
	{
		uint32_t blk[2][2] = { { g.seq, g.seq + g.len }, { 0, 0 } };
		uint32_t cwnd = c->cc.cwnd;

		peer_ack(h, 5 * RTT, max, blk);
		assert_true(c->cc.cwnd >= cwnd);
	}
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPLossProbeRecovery), 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	h_free(h);
}

/*
 * Five segments out, the second lost, and the SACKs of the three after it
 * lost as well (the impaired path drops ACKs too): the probe, the fifth
 * again, draws an ACK with its D-SACK and the SACK of the third to the
 * fifth. That ACK alone shows the second lost (RACK: sent before segments
 * now delivered, longer ago than their round trip): it goes within a round
 * trip of that ACK, not at the retransmission timeout.
 */
static void test_probe_sack_shows_hole(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[5 * 1460];
	struct tcp_seg g;
	tcp_seq una;

	establish(h, true);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	peer_ack(h, 2 * RTT, una + 1460, NULL);
	/* the SACKs of segments 3-5 are lost; the probe 2 x SRTT later */
	h_poll(h, 4 * RTT);
	assert_true(h_pop(h, &g));
	assert_int_equal(g.seq, una + 4 * 1460);
	h_expect_nothing(h);
	{
		uint32_t blk[3][2] = { { una + 4 * 1460, una + 5 * 1460 },
				       { una + 2 * 1460, una + 5 * 1460 },
				       { 0, 0 } };

		peer_ack(h, 5 * RTT, una + 1460, blk);
	}
	h_poll(h, 6 * RTT);
	assert_true(h_pop(h, &g));
	print_message("resent seq %u at or before %llu us\n", g.seq - una,
		      (unsigned long long)(6 * RTT));
	assert_int_equal(g.seq, una + 1460);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	h_free(h);
}

static void tweak_sack_notlp_norack(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
	cfg->tun.tlp = 0;
	cfg->tun.rack = 0;
}

/*
 * tcp.tlp and tcp.rack off: the same lost tail sends no probe and RACK marks
 * nothing; the retransmission timer (200 ms) is what repairs it.
 */
static void test_tlp_rack_off(void **state)
{
	struct harness *h = h_new(tweak_sack_notlp_norack);
	static uint8_t data[10 * 1460];
	tcp_seq una;

	establish(h, true);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	peer_ack(h, 2 * RTT, una + 7 * 1460, NULL);
	assert_int_equal(stack_poll_at(h->s), 2 * RTT + MS(200));
	h_poll(h, 2 * RTT + MS(200) - 1);
	h_expect_nothing(h);
	h_poll(h, 2 * RTT + MS(200));
	h_expect(h, OUT(.seq = una + 7 * 1460, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPLossProbes), 0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 1);
	h_free(h);
}

/*
 * n segments in flight (2 or 3), the first lost: only n - 1 SACKs come back,
 * never a third duplicate. RACK resends it RACK.rtt + min_rtt/4 after it was
 * sent; the timeout (200 ms) is never needed.
 */
static void few_in_flight(uint32_t n)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[3 * 1460];
	stack_time_us last = 2 * RTT + US(100 * (n - 2));
	tcp_seq una;
	struct sent st;

	establish(h, true);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, n * 1460), n * 1460);
	st = collect(h, 1460);
	assert_int_equal(st.frames, n);
	for (uint32_t k = 2; k <= n; k++) {
		uint32_t b[2][2] = { { una + 1460, una + k * 1460 }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(100 * (k - 2)), una, b);
	}
	h_expect_nothing(h);
	/* sent at 10 ms, RACK.rtt that of the last SACK, reo_wnd 2.5 ms */
	assert_true(stack_poll_at(h->s) <= last + RTT / 4);
	h_poll(h, last + RTT / 4);
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	peer_ack(h, 3 * RTT + RTT / 4, una + n * 1460, NULL);
	assert_int_equal(h_conn(h, h->sock)->snd_una, una + n * 1460);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	h_free(h);
}

static void test_two_in_flight(void **state)
{
	few_in_flight(2);
}

static void test_three_in_flight(void **state)
{
	few_in_flight(3);
}

static void tweak_small_cwnd(struct stack_config *cfg)
{
	cfg->tun.initial_cwnd = 4;
	/* the segment counts below are NewReno's (ssthresh = FlightSize / 2) */
	cfg->tun.congestion_control = STACK_CC_NEWRENO;
}

/*
 * No SACK, cwnd 4 segments, 8 queued; the first is lost. RFC 3042: the first
 * and second duplicate ACKs each let one new segment out (beyond cwnd), which
 * is what draws the third duplicate and the fast retransmit (NewReno).
 */
static void test_limited_transmit_newreno(void **state)
{
	struct harness *h = h_new(tweak_small_cwnd);
	static uint8_t data[8 * 1460];
	tcp_seq una;
	struct sent st;

	establish(h, false);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	st = collect(h, 1460);
	assert_int_equal(st.frames, 4);
	peer_ack(h, 2 * RTT, una, NULL);
	h_expect(h, OUT(.seq = una + 4 * 1460, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	peer_ack(h, 2 * RTT + US(100), una, NULL);
	h_expect(h, OUT(.seq = una + 5 * 1460, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	peer_ack(h, 2 * RTT + US(200), una, NULL);
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPFastRetrans), 1);
	/* the two limited-transmit segments draw the ACKs that finish it */
	peer_ack(h, 3 * RTT, una + 6 * 1460, NULL);
	assert_false(h_conn(h, h->sock)->cc.in_recovery);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	h_free(h);
}

/*
 * Segment 1 is only delayed: three SACKs start a fast retransmit and halve
 * the window, then the original arrives (everything ACKed) and the copy
 * after it, reported by a D-SACK. Every retransmission was a duplicate, so
 * cwnd and ssthresh go back to what they were before.
 */
static void test_dsack_undo(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[10 * 1460];
	struct tcp_conn *c;
	uint32_t cwnd0, ssthresh0;
	tcp_seq una;

	establish(h, true);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	cwnd0 = c->cc.cwnd;
	ssthresh0 = c->cc.ssthresh;
	for (int n = 2; n <= 4; n++) {
		uint32_t blk[2][2] = { { una + 1460, una + n * 1460 }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(10 * n), una, blk);
	}
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	assert_true(c->cc.cwnd < cwnd0);
	assert_true(c->cc.ssthresh < ssthresh0);
	/* the delayed original: everything ACKed */
	peer_ack(h, 2 * RTT + US(500), una + 10 * 1460, NULL);
	/* the copy: D-SACK below the ACK (RFC 2883 §4.1) */
	{
		uint32_t blk[2][2] = { { una, una + 1460 }, { 0, 0 } };

		peer_ack(h, 3 * RTT, una + 10 * 1460, blk);
	}
	print_message("cwnd %u -> %u, ssthresh %u -> %u\n", cwnd0, c->cc.cwnd, ssthresh0,
		      c->cc.ssthresh);
	assert_true(c->cc.cwnd >= cwnd0);
	assert_int_equal(c->cc.ssthresh, ssthresh0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPDSACKUndo), 1);
	h_free(h);
}

/*
 * Segment 1 is really lost and resent; then the network duplicates segment 4
 * (sent once, never resent) and the peer reports the copy with a D-SACK
 * (RFC 2883 §4.2, inside its second block). That D-SACK says nothing about
 * the retransmission: the reduction stays (RFC 3708 §3.2 counts only
 * D-SACKs of retransmitted data). Before: any D-SACK above the undo marker
 * counted, the reduction was undone while the loss was real.
 */
static void test_dsack_of_original_no_undo(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[10 * 1460];
	struct tcp_conn *c;
	uint32_t cwnd0;
	tcp_seq una;

	establish(h, true);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	cwnd0 = c->cc.cwnd;
	for (int n = 2; n <= 4; n++) {
		uint32_t blk[2][2] = { { una + 1460, una + n * 1460 }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(10 * n), una, blk);
	}
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_drain(h);
	assert_true(c->cc.cwnd < cwnd0);
	/* the network's copy of segment 4, reported inside the SACKed block */
	{
		uint32_t blk[3][2] = { { una + 3 * 1460, una + 4 * 1460 },
				       { una + 1460, una + 4 * 1460 },
				       { 0, 0 } };

		peer_ack(h, 2 * RTT + US(100), una, blk);
	}
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPDSACKRecv), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPDSACKUndo), 0);
	assert_true(c->cc.cwnd < cwnd0);
	h_free(h);
}

/*
 * After a timeout, the ACK that passes its recovery point (covering new data
 * sent since) ends the loss episode; a later loss is a fast recovery again
 * (RFC 6675 §5: SND.UNA past recover), with its window reduction. Before:
 * the ACK went past recover, the input path retired the point first, and
 * the scoreboard never left its loss state: the next loss was repaired
 * without any reduction (TcpExtTCPSackRecovery 0, cwnd still growing).
 */
/*
 * Send 40 segments (the initial window's 10 go out) and let nothing come
 * back: the retransmission timeout resends the first. Returns its time.
 */
static stack_time_us send_until_timeout(struct harness *h, tcp_seq una)
{
	static uint8_t data[40 * 1460];
	stack_time_us t;

	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	t = stack_poll_at(h->s);
	h_poll(h, t);
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_drain(h);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 1);
	return t;
}

static void test_loss_state_ends_past_recover(void **state)
{
	struct harness *h = h_new(tweak_sack_notlp_norack);
	struct tcp_conn *c;
	stack_time_us t;
	tcp_seq una, recover;
	uint32_t cwnd, ssthresh;

	establish(h, true);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	/* nothing comes back: the timeout resends the first segment */
	t = send_until_timeout(h, una);
	recover = c->snd_max;
	/* all but the second arrived: it is resent, and new data goes with it */
	{
		uint32_t blk[2][2] = { { una + 2 * 1460, recover }, { 0, 0 } };

		t += RTT;
		peer_ack(h, t, una + 1460, blk);
	}
	h_drain(h);
	assert_true(seq_gt(c->snd_max, recover));
	/* one ACK covers the repair and new data: past recover, the episode is over */
	t += RTT;
	peer_ack(h, t, c->snd_max, NULL);
	h_drain(h);
	assert_true(seq_gt(c->snd_una, recover));
	assert_int_equal(c->rec.state, TCP_REC_OPEN);
	/* grow the flight to four segments or more, then lose the first of them */
	while (c->snd_max - c->snd_una < 4 * 1460) {
		t += RTT;
		peer_ack(h, t, c->snd_una + 1460, NULL);
		h_drain(h);
	}
	una = c->snd_una;
	cwnd = c->cc.cwnd;
	ssthresh = c->cc.ssthresh;
	t += RTT;
	for (int n = 2; n <= 4; n++) {
		uint32_t blk[2][2] = { { una + 1460, una + n * 1460 }, { 0, 0 } };

		peer_ack(h, t + US(10 * n), una, blk);
	}
	/* new data went out on the first SACKs (limited transmit), then the repair */
	{
		struct tcp_seg g;
		bool resent = false;

		while (h_pop(h, &g))
			resent = resent || (g.seq == una && g.len == 1460);
		assert_true(resent);
	}
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPSackRecovery), 1);
	print_message("cwnd %u -> %u, ssthresh %u -> %u\n", cwnd, c->cc.cwnd, ssthresh,
		      c->cc.ssthresh);
	assert_int_equal(c->rec.state, TCP_REC_RECOVERY);
	assert_true(c->cc.ssthresh < ssthresh);
	h_free(h);
}

/*
 * After a retransmission timeout a cumulative ACK may cover what the
 * receiver had held for long (here the nine segments after the lost first
 * one): slow start counts it as one ACK (RFC 3465 §2.3), one SMSS, not as
 * the stretch ACK of nine segments it looks like (tcp_cc.h), with SACK and
 * without. Checked to fail with tcp_cc_ack.after_rto never set: cwnd went
 * from one segment to six at once.
 */
static void rto_then_one_cumulative_ack(bool sack)
{
	struct harness *h = h_new(tweak_sack_notlp_norack);
	struct tcp_conn *c;
	stack_time_us t;
	tcp_seq una, high;

	establish(h, sack);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	t = send_until_timeout(h, una);
	high = c->snd_max; /* the resent first segment moved nothing */
	assert_int_equal(high - una, 10 * 1460);
	assert_int_equal(c->cc.cwnd, 1460);
	assert_true(c->cc.ssthresh >= 5 * 1460);
	/* the repair arrives: the receiver ACKs all ten at once */
	peer_ack(h, t + RTT, high, NULL);
	print_message("sack %d: cwnd %u after the ACK of 10 segments (ssthresh %u)\n", sack,
		      c->cc.cwnd, c->cc.ssthresh);
	assert_int_equal(c->cc.cwnd, 2 * 1460);
	h_free(h);
}

static void test_rto_cumulative_ack_counts_once(void **state)
{
	rto_then_one_cumulative_ack(false);
	rto_then_one_cumulative_ack(true);
}

static void tweak_sack_ts(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
	cfg->tun.timestamps = 1;
}

/*
 * The ACKs are only late: the retransmission timer expires (200 ms) and
 * resends the first segment, then the ACK of the originals arrives, echoing
 * their TSval, older than the retransmission's. The timeout was spurious
 * (RFC 3522): cwnd and ssthresh go back to what they were before it.
 */
static void test_spurious_rto_undo(void **state)
{
	struct harness *h = h_new(tweak_sack_ts);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	static uint8_t data[10 * 1460];
	struct tcp_conn *c;
	struct tcp_seg sa, g;
	uint32_t cwnd0, ssthresh0, tsval_orig;
	tcp_seq una, max;

	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .wnd = 65535, .opt.sack_ok = true,
		   .opt.has_mss = true, .opt.mss = 1460, .opt.has_ts = true, .opt.tsval = 100),
	       NULL);
	assert_true(h_pop(h, &sa));
	assert_true(sa.opt.has_ts);
	h->iss = sa.seq;
	h_send(h, RTT,
	       SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 65535, .opt.has_ts = true,
		   .opt.tsval = 110, .opt.tsecr = sa.opt.tsval),
	       NULL);
	assert_int_equal(stack_tcp_accept(h->s, RTT, h->lsock, 9, &h->sock), 0);
	assert_int_equal(stack_tcp_setopt(h->s, RTT, h->sock, STACK_TCP_NODELAY, 1), 0);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	assert_true(h_pop(h, &g));
	tsval_orig = g.opt.tsval;
	h_drain(h);
	max = c->snd_max; /* what the originals cover (the rest waits for cwnd) */
	cwnd0 = c->cc.cwnd;
	ssthresh0 = c->cc.ssthresh;
	/* no ACK: the loss probe (2 x SRTT), then the timeout resends the first segment */
	h_poll(h, 3 * RTT);
	h_drain(h);
	h_poll(h, 3 * RTT + MS(200));
	assert_true(h_pop(h, &g));
	assert_int_equal(g.seq, una);
	assert_true(seq_gt(g.opt.tsval, tsval_orig));
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 1);
	assert_true(c->cc.cwnd < cwnd0);
	/* the late ACK of the originals: TSecr is the originals' TSval */
	h_send(h, 3 * RTT + MS(205),
	       SEG(.seq = RNXT, .ack = max, .wnd = 65535, .opt.has_ts = true, .opt.tsval = 330,
		   .opt.tsecr = tsval_orig),
	       NULL);
	print_message("cwnd %u -> %u, ssthresh %u -> %u\n", cwnd0, c->cc.cwnd, ssthresh0,
		      c->cc.ssthresh);
	assert_true(c->cc.cwnd >= cwnd0);
	assert_int_equal(c->cc.ssthresh, ssthresh0);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPLossUndo), 1);
	h_free(h);
}

/*
 * The scoreboard compares sequence numbers only in 32-bit arithmetic: a
 * connection 2^31 or 2^32 bytes past its ISS (its history given by moving the
 * ISS and the recover point back, as test-tcp-longrun.c does) still finds the
 * hole from three SACKs and resends it at once.
 */
static void sack_recovery_after(uint64_t history)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[5 * 1460];
	struct tcp_conn *c;
	tcp_seq una;

	establish(h, true);
	c = h_conn(h, h->sock);
	assert_int_equal(c->cc.recover, c->iss);
	c->iss -= (uint32_t)history;
	c->cc.recover -= (uint32_t)history;
	una = c->snd_una;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	h_drain(h);
	peer_ack(h, 2 * RTT, una + 1460, NULL);
	for (int n = 2; n <= 4; n++) {
		uint32_t blk[2][2] = { { una + 2920, una + (n + 1) * 1460 }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(10 * n), una + 1460, blk);
	}
	h_expect(h, OUT(.seq = una + 1460, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	peer_ack(h, 3 * RTT, una + 5 * 1460, NULL);
	assert_int_equal(c->snd_una, una + 5 * 1460);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPSackRecovery), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	h_free(h);
}

/*
 * Ten segments out (CUBIC, flight 14,600 bytes), the first lost, the SACKs of
 * the other nine start a recovery (ssthresh 0.7 x 14,600 = 10,220), one ACK
 * covers the retransmission and everything. With nothing left in flight the
 * window is ssthresh (RFC 6937 §3: PRR's last ACKs bring pipe up to it), not
 * RFC 6582's min(ssthresh, FlightSize + SMSS) = 2 segments (before: 4,380,
 * those two and a slow-start step on the same ACK).
 */
static void test_recovery_ends_at_ssthresh(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[10 * 1460];
	struct tcp_conn *c;
	tcp_seq una;

	establish(h, true);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	assert_int_equal(collect(h, 1460).frames, 10);
	for (uint32_t n = 2; n <= 10; n++) {
		uint32_t blk[2][2] = { { una + 1460, una + n * 1460 }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(10 * n), una, blk);
	}
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_expect_nothing(h);
	assert_int_equal(c->rec.state, TCP_REC_RECOVERY);
	assert_int_equal(c->cc.ssthresh, 10220);
	peer_ack(h, 3 * RTT, una + 10 * 1460, NULL);
	print_message("after recovery: cwnd %u ssthresh %u\n", c->cc.cwnd, c->cc.ssthresh);
	assert_int_equal(c->rec.state, TCP_REC_OPEN);
	assert_false(c->cc.in_recovery);
	assert_int_equal(c->cc.ssthresh, 10220);
	/* ssthresh, and at most CUBIC's one-segment step for the ACK that ends it */
	assert_in_range(c->cc.cwnd, 10220, 10220 + 1460);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPSackRecovery), 1);
	h_free(h);
}

/*
 * Ten segments out, the peer ACKs eight (the ACK of the ninth is lost, the
 * tenth segment too); the probe 2 x SRTT later resends the tenth and its ACK
 * covers all: the probe repaired a loss (RFC 8985 §7.4.2), the reduction of a
 * fast recovery, from the window in use when the tail was lost (ten segments:
 * ssthresh 10,220), and the window after it is that ssthresh. Before: the
 * reduction came from the two segments in flight at the probe's ACK,
 * ssthresh and cwnd at the two-segment floor (2,920).
 */
static void test_probe_recovery_window(void **state)
{
	struct harness *h = h_new(tweak_sack);
	static uint8_t data[10 * 1460];
	struct tcp_conn *c;
	stack_time_us t;
	tcp_seq una;

	establish(h, true);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	assert_int_equal(collect(h, 1460).frames, 10);
	peer_ack(h, 2 * RTT, una + 8 * 1460, NULL);
	h_expect_nothing(h);
	t = stack_poll_at(h->s);
	assert_true(t <= 4 * RTT);
	h_poll(h, t);
	h_expect(h, OUT(.seq = una + 9 * 1460, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_expect_nothing(h);
	peer_ack(h, t + RTT, una + 10 * 1460, NULL);
	print_message("after the probe's recovery: cwnd %u ssthresh %u\n", c->cc.cwnd,
		      c->cc.ssthresh);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPLossProbeRecovery), 1);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 0);
	assert_int_equal(c->cc.ssthresh, 10220);
	assert_int_equal(c->cc.cwnd, 10220);
	h_free(h);
}

/*
 * A timeout during a fast recovery (the retransmission is lost too; no probe,
 * no RACK): the recovery already reduced for this window, so ssthresh and
 * CUBIC's W_max stay what the window before the loss gave (10,220 and
 * 14,600); only cwnd goes to the loss window. Before: CUBIC reduced again,
 * W_max taken from the window PRR had shrunk (fast convergence).
 */
static void test_rto_in_recovery_one_reduction(void **state)
{
	struct harness *h = h_new(tweak_sack_notlp_norack);
	static uint8_t data[10 * 1460];
	struct tcp_conn *c;
	stack_time_us t;
	tcp_seq una;

	establish(h, true);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	assert_int_equal(stack_tcp_send(h->s, RTT, h->sock, data, sizeof(data)), sizeof(data));
	assert_int_equal(collect(h, 1460).frames, 10);
	for (uint32_t n = 2; n <= 10; n++) {
		uint32_t blk[2][2] = { { una + 1460, una + n * 1460 }, { 0, 0 } };

		peer_ack(h, 2 * RTT + US(10 * n), una, blk);
	}
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_drain(h);
	assert_int_equal(c->rec.state, TCP_REC_RECOVERY);
	assert_int_equal(c->cc.ssthresh, 10220);
	assert_int_equal(c->cc.u.cubic.w_max, 14600);
	/* the retransmission is lost: the timer expires */
	t = stack_poll_at(h->s);
	assert_true(t <= 2 * RTT + MS(1000));
	h_poll(h, t);
	h_expect(h, OUT(.seq = una, .ack = RNXT, .wnd = H_RCVBUF, .len = 1460));
	h_drain(h);
	print_message("after the timeout: cwnd %u ssthresh %u w_max %u\n", c->cc.cwnd,
		      c->cc.ssthresh, c->cc.u.cubic.w_max);
	assert_int_equal(ctr(h, STACK_CTR_TcpExtTCPTimeouts), 1);
	assert_int_equal(c->cc.cwnd, 1460);
	assert_int_equal(c->cc.ssthresh, 10220);
	assert_int_equal(c->cc.u.cubic.w_max, 14600);
	h_free(h);
}

static void test_sack_past_2_31(void **state)
{
	sack_recovery_after((1ull << 31) + 10000);
}

static void test_sack_below_2_32(void **state)
{
	sack_recovery_after((1ull << 32) - 10000);
}

static void test_sack_past_2_32(void **state)
{
	sack_recovery_after((1ull << 32) + 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tso_frame_lost),
		cmocka_unit_test(test_tso_frame_whole_segments),
		cmocka_unit_test(test_tail_loss_probe),
		cmocka_unit_test(test_tlp_rack_off),
		cmocka_unit_test(test_recovery_ack_lost),
		cmocka_unit_test(test_recovery_ack_lost_probe_old),
		cmocka_unit_test(test_open_ack_lost_probe_old),
		cmocka_unit_test(test_probe_sack_shows_hole),
		cmocka_unit_test(test_two_in_flight),
		cmocka_unit_test(test_three_in_flight),
		cmocka_unit_test(test_limited_transmit_newreno),
		cmocka_unit_test(test_dsack_undo),
		cmocka_unit_test(test_dsack_of_original_no_undo),
		cmocka_unit_test(test_loss_state_ends_past_recover),
		cmocka_unit_test(test_spurious_rto_undo),
		cmocka_unit_test(test_recovery_ends_at_ssthresh),
		cmocka_unit_test(test_probe_recovery_window),
		cmocka_unit_test(test_rto_in_recovery_one_reduction),
		cmocka_unit_test(test_rto_cumulative_ack_counts_once),
		cmocka_unit_test(test_sack_past_2_31),
		cmocka_unit_test(test_sack_below_2_32),
		cmocka_unit_test(test_sack_past_2_32),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
