/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-pmtu.c - ICMP "fragmentation needed" for a connection
 * (RFC 1191 §6, RFC 5927 §4.1 and §7): the quoted sequence number must be
 * one in flight, the path MTU never goes below the floor (tcp.pmtu.min),
 * (a path claiming less gets the floor without DF), and a lowered estimate is
 * raised again after tcp.pmtu.expires.
 */
#include "harness.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)

/* An ICMP destination unreachable, fragmentation needed, quoting our segment with seq. */
static void frag_needed(struct harness *h, stack_time_us t, uint32_t seq, uint16_t next_mtu)
{
	uint8_t q[28] = { 0x45, 0, 0, 44, 0, 0, 0x40, 0, 64, 6 };

	q[12] = 10, q[13] = 77, q[14] = 0, q[15] = 2;
	q[16] = 10, q[17] = 77, q[18] = 0, q[19] = 1;
	q[20] = 0, q[21] = H_LOCAL_PORT, q[22] = H_REMOTE_PORT >> 8, q[23] = H_REMOTE_PORT & 0xff;
	q[24] = (uint8_t)(seq >> 24), q[25] = (uint8_t)(seq >> 16);
	q[26] = (uint8_t)(seq >> 8), q[27] = (uint8_t)seq;
	tcp_icmp_error(h->s, t, 3, 4, next_mtu, q, sizeof(q));
}

/* Established, with 3 bytes in flight from iss + 1. */
static struct harness *pmtu_setup(void)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "abc", 3), 3);
	h_drain(h);
	assert_int_equal(h_conn(h, h->sock)->mss, H_MSS);
	return h;
}

/* The DF bit of the next frame the stack emitted (not popped). */
static int next_frame_df(struct harness *h)
{
	const uint8_t *ip = h->frames[h->head % 256].data + STACK_ETH_HLEN;

	return (ip[6] & 0x40) != 0;
}

static uint32_t mss_floor(struct harness *h)
{
	return (uint32_t)h->s->cfg.tun.pmtu_min - 40;
}

static void test_frag_needed_tiny_mtu_floored(void **state)
{
	struct harness *h = pmtu_setup();

	/* next-hop MTU 108 would leave 68-byte segments; 68 is below any sane path */
	frag_needed(h, MS(2), h->iss + 1, 108);
	assert_true(h_conn(h, h->sock)->mss >= mss_floor(h));
	assert_true(h_conn(h, h->sock)->mss < H_MSS);
	frag_needed(h, MS(3), h->iss + 1, 68);
	assert_true(h_conn(h, h->sock)->mss >= mss_floor(h));
	/* the path claims less than the floor: our segments may be fragmented (no DF) */
	h_poll(h, S(2));
	assert_true(h->head != h->tail);
	assert_int_equal(next_frame_df(h), 0);
	h_free(h);
}

static void test_frag_needed_out_of_window_ignored(void **state)
{
	struct harness *h = pmtu_setup();
	uint64_t before = h->s->ctr.v[STACK_CTR_TcpExtOutOfWindowIcmps];

	/* above SND.NXT, and below SND.UNA: neither is a segment we have in flight */
	frag_needed(h, MS(2), h->iss + 1000, 1000);
	frag_needed(h, MS(2), h->iss, 1000);
	assert_int_equal(h_conn(h, h->sock)->mss, H_MSS);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtOutOfWindowIcmps], before + 2);
	h_free(h);
}

static void test_frag_needed_recovers(void **state)
{
	struct harness *h = pmtu_setup();
	struct tcp_seg got;
	stack_time_us t = MS(2) + h->s->cfg.tun.pmtu_expires + MS(10);

	frag_needed(h, MS(2), h->iss + 1, 1040);
	assert_int_equal(h_conn(h, h->sock)->mss, 1000);
	/* the peer ACKs the 3 bytes; later the estimate has expired (RFC 1191 §6.3) */
	h_send(h, MS(3), SEG(.seq = RNXT, .ack = h->iss + 4), NULL);
	h_drain(h);
	h_poll(h, t);
	h_drain(h);
	{
		static uint8_t buf[4000];

		assert_int_equal(stack_tcp_send(h->s, t, h->sock, buf, sizeof(buf)), sizeof(buf));
	}
	assert_int_equal(next_frame_df(h), 1);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.len, H_MSS);
	assert_int_equal(h_conn(h, h->sock)->mss, H_MSS);
	h_free(h);
}

/*
 * Connect, take a "fragmentation needed" for the SYN (MTU 300: the floor,
 * without DF), then the SYN,ACK with peer_mss. Returns the MSS in force
 * after the handshake.
 */
static uint32_t pmtu_in_syn_sent(struct harness *h, uint16_t peer_mss)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg got;

	assert_int_equal(stack_tcp_connect(h->s, 0, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &got));
	h->iss = got.seq;
	frag_needed(h, MS(1), h->iss, 300);
	assert_int_equal(h_conn(h, h->sock)->mss, mss_floor(h));
	h_send(h, MS(2),
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		   .opt.has_mss = true, .opt.mss = peer_mss),
	       NULL);
	h_drain(h);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	return h_conn(h, h->sock)->mss;
}

/* The length of the first segment of 4000 bytes sent at t, and its DF bit. */
static uint32_t first_seg_len(struct harness *h, stack_time_us t, int *ret_df)
{
	static uint8_t buf[4000];
	struct tcp_seg got;

	assert_int_equal(stack_tcp_send(h->s, t, h->sock, buf, sizeof(buf)), sizeof(buf));
	*ret_df = next_frame_df(h);
	assert_true(h_pop(h, &got));
	return got.len;
}

/*
 * A path MTU lowered in SYN-SENT survives the SYN,ACK's MSS, and when it
 * expires the MSS goes back to what was negotiated, never above the peer's
 * MSS (RFC 9293 §3.7.1) nor to SYN-SENT's 536.
 */
static void test_frag_needed_in_syn_sent(void **state)
{
	struct harness *h = h_new(NULL);
	stack_time_us later = MS(2) + h->s->cfg.tun.pmtu_expires + MS(10);
	int df;

	/* the peer allows 1460: the lowered path still holds after the handshake */
	assert_int_equal(pmtu_in_syn_sent(h, 1460), mss_floor(h));
	assert_int_equal(first_seg_len(h, MS(3), &df), mss_floor(h));
	assert_int_equal(df, 0);
	h_free(h);

	/* then it expires back to the negotiated 1460, with DF */
	h = h_new(NULL);
	pmtu_in_syn_sent(h, 1460);
	assert_int_equal(first_seg_len(h, later, &df), 1460);
	assert_int_equal(df, 1);
	h_free(h);

	/* the peer allows 200: never more, before or after the expiry */
	h = h_new(NULL);
	assert_int_equal(pmtu_in_syn_sent(h, 200), 200);
	assert_int_equal(first_seg_len(h, later, &df), 200);
	assert_int_equal(h_conn(h, h->sock)->mss, 200);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frag_needed_tiny_mtu_floored),
		cmocka_unit_test(test_frag_needed_out_of_window_ignored),
		cmocka_unit_test(test_frag_needed_recovers),
		cmocka_unit_test(test_frag_needed_in_syn_sent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
