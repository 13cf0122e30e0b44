/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-sack.c - the sender's SACK scoreboard (tcp_sack.c) on its own and
 * inside a connection: it always covers exactly SND.UNA..SND.MAX, never holds
 * more than TCP_SB_MAX ranges whatever the peer SACKs (and counts what it had
 * to forget), computes RFC 6675's pipe, and its memory is charged to the
 * connection and given back.
 */
#include <string.h>

#include "harness.h"
#include "tcp/tcp_sack.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define RNXT  (H_REMOTE_ISN + 1)

/* The ranges are ordered, contiguous and cover [una, max) exactly. */
static void check_cover(const struct tcp_sb *sb, tcp_seq una, tcp_seq max)
{
	assert_true(sb->n <= TCP_SB_MAX);
	if (una == max) {
		assert_int_equal(sb->n, 0);
		return;
	}
	assert_true(sb->n > 0);
	assert_int_equal(sb->e[0].start, una);
	for (uint32_t i = 0; i < sb->n; i++) {
		assert_true(seq_lt(sb->e[i].start, sb->e[i].end));
		if (i + 1 < sb->n)
			assert_int_equal(sb->e[i].end, sb->e[i + 1].start);
	}
	assert_int_equal(sb->e[sb->n - 1].end, max);
}

/* 200 sends at 200 different times: at most TCP_SB_MAX ranges, still exact. */
static void test_sends_bounded(void **state)
{
	static struct tcp_sb sb;
	tcp_seq una = 0xfffff000u, max = una; /* across the wrap */

	tcp_sb_reset(&sb);
	for (uint32_t i = 0; i < 200; i++) {
		tcp_sb_sent(&sb, max, max + 1000, i * 100, false);
		max += 1000;
		tcp_sb_sync(&sb, una, max, i * 100);
		check_cover(&sb, una, max);
	}
	assert_int_equal(sb.overflows, 0); /* only sends of the same kind were merged */
	assert_int_equal(tcp_sb_pipe(&sb), max - una);
	/* the cumulative ACK drops what it covers */
	una += 150500;
	tcp_sb_sync(&sb, una, max, 30000);
	check_cover(&sb, una, max);
	assert_int_equal(tcp_sb_pipe(&sb), max - una);
}

/*
 * Every other 1000 bytes SACKed, 300 times: 300 holes cannot be kept in 64
 * ranges. The list stays bounded and exact, what it forgot is counted, and
 * what it still calls SACKed was SACKed.
 */
static void test_sack_holes_bounded(void **state)
{
	static struct tcp_sb sb;
	tcp_seq una = 1000, max = una + 600 * 1000;
	uint32_t sacked = 0;

	tcp_sb_reset(&sb);
	tcp_sb_sync(&sb, una, max, 1);
	for (uint32_t i = 0; i < 300; i++) {
		tcp_seq l = una + (2 * i + 1) * 1000;

		tcp_sb_sack(&sb, l, l + 1000, NULL, NULL);
		check_cover(&sb, una, max);
	}
	assert_true(sb.overflows > 0);
	for (uint32_t i = 0; i < sb.n; i++) {
		if (!(sb.e[i].flags & TCP_SB_SACKED))
			continue;
		sacked += sb.e[i].end - sb.e[i].start;
		/* a SACKed range starts where a SACK block started: odd thousands */
		assert_int_equal((sb.e[i].start - una) / 1000 % 2, 1);
	}
	assert_int_equal(sacked, tcp_sb_sacked(&sb));
	assert_true(sacked <= 300 * 1000);
	assert_int_equal(tcp_sb_pipe(&sb), max - una - sacked);
}

/* RFC 6675 §4: lost bytes leave pipe, their retransmission counts once; a
 * retransmission of bytes not lost counts twice. */
static void test_pipe(void **state)
{
	static struct tcp_sb sb;
	tcp_seq una = 5000;
	tcp_seq high;

	tcp_sb_reset(&sb);
	tcp_sb_sync(&sb, una, una + 10000, 1);
	assert_false(tcp_sb_high_sacked(&sb, &high));
	assert_int_equal(tcp_sb_sack(&sb, una + 4000, una + 6000, NULL, NULL), 2000);
	assert_int_equal(tcp_sb_sack(&sb, una + 4000, una + 6000, NULL, NULL), 0); /* old news */
	assert_true(tcp_sb_high_sacked(&sb, &high));
	assert_int_equal(high, una + 6000);
	assert_int_equal(tcp_sb_pipe(&sb), 8000);
	assert_int_equal(tcp_sb_mark(&sb, una, una + 2000, TCP_SB_LOST, 0, 0, false), 0);
	assert_int_equal(tcp_sb_pipe(&sb), 6000);
	tcp_sb_sent(&sb, una, una + 1000, 2, true); /* 1000 of the lost bytes resent */
	assert_int_equal(tcp_sb_pipe(&sb), 7000);
	tcp_sb_sent(&sb, una + 8000, una + 9000, 3, true); /* not lost: in flight twice */
	assert_int_equal(tcp_sb_pipe(&sb), 8000);
	check_cover(&sb, una, una + 10000);
	/* the cumulative ACK passes the SACKed block: it leaves the list */
	tcp_sb_sync(&sb, una + 7000, una + 10000, 4);
	assert_int_equal(tcp_sb_sacked(&sb), 0);
	check_cover(&sb, una + 7000, una + 10000);
}

static void tweak_sack(struct stack_config *cfg)
{
	cfg->tun.sack = 1;
	cfg->tun.initial_cwnd = 100;
	cfg->tun.send_buffer = 256 * 1024;
	cfg->tun.window_scaling = 1;
}

/*
 * In a connection: 80 segments out, the peer SACKs every other one (40
 * holes, more than the scoreboard can tell apart with its send times); the
 * list stays bounded, the connection recovers, and its memory (charged to
 * the connection) is all given back when it goes.
 */
static void test_conn_bounded_and_freed(void **state)
{
	struct harness *h = h_new(tweak_sack);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	static uint8_t data[80 * 1460];
	size_t base;
	struct tcp_seg sa;
	struct tcp_conn *c;
	tcp_seq una;

	base = h->mem_live;
	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .wnd = 65535, .opt.sack_ok = true,
		   .opt.has_mss = true, .opt.mss = 1460, .opt.wscale = 4),
	       NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	h_send(h, MS(10), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 65535), NULL);
	assert_int_equal(stack_tcp_accept(h->s, MS(10), h->lsock, 9, &h->sock), 0);
	c = h_conn(h, h->sock);
	una = h->iss + 1;
	/* each send goes at its own time, so the ranges differ in send time */
	for (int i = 0; i < 80; i++)
		assert_int_equal(
			stack_tcp_send(h->s, MS(10) + (stack_time_us)i, h->sock, data, 1460), 1460);
	h_drain(h);
	assert_non_null(c->rec.sb);
	assert_int_equal(c->mem_sb, sizeof(struct tcp_sb));
	for (int i = 1; i < 80; i += 2) {
		struct tcp_seg ack = SEG(.seq = RNXT, .ack = una, .wnd = 65535);

		ack.opt.nsack = 1;
		ack.opt.sack[0].left = una + (uint32_t)i * 1460;
		ack.opt.sack[0].right = una + (uint32_t)(i + 1) * 1460;
		h_send(h, MS(20) + (stack_time_us)i, ack, NULL);
		assert_true(c->rec.sb->n <= TCP_SB_MAX);
	}
	h_drain(h);
	assert_true(h->s->ctr.v[STACK_CTR_SynackTcpSackScoreboardFull] > 0);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPSackRecovery], 1);
	/* everything arrives in the end */
	h_send(h, MS(40), SEG(.seq = RNXT, .ack = una + 80 * 1460, .wnd = 65535), NULL);
	assert_int_equal(c->snd_una, una + 80 * 1460);
	assert_int_equal(c->rec.sb->n, 0);
	assert_int_equal(stack_tcp_abort(h->s, MS(50), h->sock), 0);
	assert_int_equal(stack_tcp_close(h->s, MS(50), h->lsock), 0);
	h_drain(h);
	while (stack_event_pop(h->s, &(struct stack_event){ 0 }))
		;
	assert_int_equal(h->s->tcp.mem.used, 0);
	assert_int_equal(h->mem_live, base);
	h_free(h);
}

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(uint32_t below)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return below ? (uint32_t)(rnd_state % below) : 0;
}

/*
 * A peer that ACKs and SACKs at random: blocks valid and not (beyond
 * SND.NXT, below SND.UNA, reversed, D-SACKs), ACKs that move SND.UNA or not,
 * time that jumps so the RACK, probe and retransmission timers all fire,
 * the application sending more all along. After every step the scoreboard
 * covers exactly SND.UNA..SND.MAX within its bound, the sequence variables
 * are ordered, and at the end a full ACK leaves nothing outstanding.
 */
static void sack_storm(uint64_t seed)
{
	struct harness *h = h_new(tweak_sack);
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	static uint8_t data[64 * 1024];
	stack_time_us now = MS(10);
	struct tcp_seg sa;
	struct tcp_conn *c;
	int step;

	rnd_state = 0x9e3779b97f4a7c15ull * seed;
	assert_int_equal(stack_tcp_listen(h->s, 0, &local, 8, 7, &h->lsock), 0);
	h_send(h, 0,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .wnd = 65535, .opt.sack_ok = true,
		   .opt.has_mss = true, .opt.mss = 1460, .opt.wscale = 4),
	       NULL);
	assert_true(h_pop(h, &sa));
	h->iss = sa.seq;
	h_send(h, now, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 65535), NULL);
	assert_int_equal(stack_tcp_accept(h->s, now, h->lsock, 9, &h->sock), 0);
	assert_int_equal(stack_tcp_setopt(h->s, now, h->sock, STACK_TCP_NODELAY, 1), 0);
	c = h_conn(h, h->sock);
	for (step = 0; step < 20000; step++) {
		uint32_t span = c->snd_max - c->snd_una;
		struct tcp_seg ack = SEG(.seq = RNXT, .ack = c->snd_una, .wnd = 65535);

		stack_tcp_send(h->s, now, h->sock, data, rnd(sizeof(data)));
		span = c->snd_max - c->snd_una;
		if (rnd(3) == 0 && span)
			ack.ack = c->snd_una + rnd(span / 4 + 1);
		ack.opt.nsack = (uint8_t)rnd(4);
		for (int i = 0; i < ack.opt.nsack; i++) {
			uint32_t l = rnd(span + 4000), len = 1 + rnd(8000);

			ack.opt.sack[i].left = c->snd_una - 2000 + l;
			ack.opt.sack[i].right = ack.opt.sack[i].left + len;
			if (rnd(16) == 0) /* reversed */
				ack.opt.sack[i].right = ack.opt.sack[i].left - len;
		}
		now += rnd(64) == 0 ? rnd(MS(300)) : rnd(MS(3));
		if (rnd(3))
			h_send(h, now, ack, NULL);
		else
			h_poll(h, now);
		h_drain(h);
		if (!h_conn(h, h->sock))
			break; /* the retries ran out: a peer this bad may do that */
		assert_true(seq_le(c->snd_una, c->snd_nxt) && seq_le(c->snd_nxt, c->snd_max));
		assert_true(c->cc.cwnd > 0);
		if (c->rec.sb) {
			struct tcp_sb *sb = c->rec.sb;

			assert_true(sb->n <= TCP_SB_MAX);
			/* the list is synced at the next ACK or send: check it is ordered */
			for (uint32_t i = 0; i + 1 < sb->n; i++)
				assert_int_equal(sb->e[i].end, sb->e[i + 1].start);
			if (sb->n)
				assert_true(seq_le(sb->e[sb->n - 1].end, c->snd_max));
		}
	}
	if (h_conn(h, h->sock) && c->state == TCP_ESTABLISHED) {
		tcp_seq max = c->snd_max;

		/* (the ACK lets queued data out: SND.MAX moves on) */
		h_send(h, now, SEG(.seq = RNXT, .ack = max, .wnd = 65535), NULL);
		assert_int_equal(c->snd_una, max);
	}
	print_message(
		"%d steps, %llu probes, %llu recoveries, %llu timeouts, %llu D-SACKs, %llu undone, "
		"%llu discarded, %llu full\n",
		step, (unsigned long long)h->s->ctr.v[STACK_CTR_TcpExtTCPLossProbes],
		(unsigned long long)h->s->ctr.v[STACK_CTR_TcpExtTCPSackRecovery],
		(unsigned long long)h->s->ctr.v[STACK_CTR_TcpExtTCPTimeouts],
		(unsigned long long)h->s->ctr.v[STACK_CTR_TcpExtTCPDSACKRecv],
		(unsigned long long)h->s->ctr.v[STACK_CTR_TcpExtTCPDSACKUndo],
		(unsigned long long)h->s->ctr.v[STACK_CTR_TcpExtTCPSACKDiscard],
		(unsigned long long)h->s->ctr.v[STACK_CTR_SynackTcpSackScoreboardFull]);
	h_free(h);
}

static void test_random_sack_storm(void **state)
{
	for (uint64_t seed = 1; seed <= 6; seed++)
		sack_storm(seed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sends_bounded),
		cmocka_unit_test(test_sack_holes_bounded),
		cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_conn_bounded_and_freed),
		cmocka_unit_test(test_random_sack_storm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
