/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-timers.c - keepalive (RFC 1122 §4.2.3.6), the delayed_ack
 * tunable, link back-pressure, ICMP soft errors (RFC 5927), and the
 * observability calls: connection info, foreach and the state history.
 */
#include <string.h>

#include "harness.h"
#include "stack_info.h"

#define MS(x) ((stack_time_us)(x)*1000)
#define S(x)  ((stack_time_us)(x)*1000000)
#define RNXT  (H_REMOTE_ISN + 1)

static void keepalive_on(struct harness *h)
{
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_KEEPIDLE_US, S(10)), 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_KEEPINTVL_US, S(1)), 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_KEEPCNT, 2), 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_KEEPALIVE, 1), 0);
}

static void test_keepalive_unanswered(void **state)
{
	struct harness *h = h_new(NULL);
	uint64_t v;

	h_establish_passive(h, 0);
	keepalive_on(h);
	assert_int_equal(stack_tcp_getopt(h->s, h->sock, STACK_TCP_KEEPCNT, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(stack_poll_at(h->s), S(10));
	h_poll(h, S(10) - 1);
	h_expect_nothing(h);
	/* <SEQ=SND.UNA-1><ACK=RCV.NXT><CTL=ACK>, no data */
	h_poll(h, S(10));
	h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	assert_int_equal(stack_poll_at(h->s), S(11));
	h_poll(h, S(11));
	h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	h_poll(h, S(12));
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ERROR, h->sock, -ETIMEDOUT);
	assert_int_equal(h->s->ctr.v[STACK_CTR_TcpExtTCPKeepAlive], 2);
	h_free(h);
}

static void test_keepalive_answered(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	keepalive_on(h);
	h_poll(h, S(10));
	h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	/* the peer answers: the idle time starts over from its ACK */
	h_send(h, S(10) + MS(500), SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), S(20) + MS(500));
	/* traffic in between pushes the probe out without touching the heap every time */
	h_send(h, S(15), SEG(.seq = RNXT, .ack = h->iss + 1), NULL);
	h_poll(h, S(20) + MS(500));
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), S(25));
	h_poll(h, S(25));
	h_expect(h, OUT(.seq = h->iss, .ack = RNXT, .wnd = H_RCVBUF));
	/* turning it off stops the timer */
	assert_int_equal(stack_tcp_setopt(h->s, S(25), h->sock, STACK_TCP_KEEPALIVE, 0), 0);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	h_free(h);
}

static void tweak_no_delack(struct stack_config *cfg)
{
	cfg->tun.delayed_ack = 0;
}

static void test_delayed_ack_off(void **state)
{
	struct harness *h = h_new(tweak_no_delack);

	h_establish_passive(h, 0);
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .len = 10), NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT + 10, .wnd = H_RCVBUF - 10));
	h_free(h);
}

static void test_link_blocked(void **state)
{
	struct harness *h = h_new(NULL);

	h_establish_passive(h, 0);
	stack_link_set_blocked(h->s, true);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "abc", 3), 3);
	h_expect_nothing(h);
	assert_int_equal(stack_poll_at(h->s), STACK_TIME_NEVER);
	stack_link_set_blocked(h->s, false);
	assert_true(stack_poll_at(h->s) <= MS(1));
	h_poll(h, MS(2));
	h_expect(h, OUT(.seq = h->iss + 1, .ack = RNXT, .wnd = H_RCVBUF, .len = 3,
			.flags = TCP_FLAG_ACK | TCP_FLAG_PSH));
	h_free(h);
}

static void test_icmp_soft_error(void **state)
{
	struct harness *h = h_new(NULL);
	uint8_t q[28] = { 0x45, 0, 0, 44, 0, 0, 0x40, 0, 64, 6 };
	struct stack_tcp_info in;
	uint32_t seq;
	int err;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "abc", 3), 3);
	h_drain(h);
	seq = h->iss + 1;
	q[12] = 10, q[13] = 77, q[14] = 0, q[15] = 2;
	q[16] = 10, q[17] = 77, q[18] = 0, q[19] = 1;
	q[20] = 0, q[21] = H_LOCAL_PORT, q[22] = H_REMOTE_PORT >> 8, q[23] = H_REMOTE_PORT & 0xff;
	q[24] = (uint8_t)(seq >> 24), q[25] = (uint8_t)(seq >> 16);
	q[26] = (uint8_t)(seq >> 8), q[27] = (uint8_t)seq;
	tcp_icmp_error(h->s, MS(2), 3, 1, 0, q, sizeof(q));
	/* not fatal on an established connection: recorded and counted */
	h_expect_no_event(h);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
	assert_int_equal(stack_tcp_info(h->s, h->sock, &in), 0);
	assert_int_equal(in.soft_error, -EHOSTUNREACH);
	assert_int_equal(h->s->ctr.v[STACK_CTR_SynackTcpIcmpSoftErrors], 1);
	/* SO_ERROR's way: reported once, then cleared */
	assert_int_equal(stack_tcp_take_soft_error(h->s, h->sock, &err), 0);
	assert_int_equal(err, -EHOSTUNREACH);
	assert_int_equal(stack_tcp_take_soft_error(h->s, h->sock, &err), 0);
	assert_int_equal(err, 0);
	h_free(h);
}

/*
 * Run the timers (the peer silent) until the connection fails or `until`:
 * when it failed, 0 if it did not. Segments it sends are dropped.
 */
static stack_time_us run_until_failed(struct harness *h, stack_time_us until, int *ret_err)
{
	struct stack_event ev;

	while (stack_poll_at(h->s) <= until) {
		h_poll(h, stack_poll_at(h->s));
		h_drain(h);
		while (stack_event_pop(h->s, &ev)) {
			if (ev.type == STACK_EV_ERROR) {
				*ret_err = ev.err;
				return h->now;
			}
		}
	}
	return 0;
}

/* RFC 9293 §3.8.3 / RFC 5482: data unacknowledged for the user timeout ends the connection. */
static void test_user_timeout_unacked(void **state)
{
	struct harness *h = h_new(NULL), *plain = h_new(NULL);
	stack_time_us at;
	uint64_t v;
	int err = 0;

	h_establish_passive(h, 0);
	h_establish_passive(plain, 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_USER_TIMEOUT_US, S(3)), 0);
	assert_int_equal(stack_tcp_getopt(h->s, h->sock, STACK_TCP_USER_TIMEOUT_US, &v), 0);
	assert_int_equal(v, S(3));
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "abc", 3), 3);
	assert_int_equal(stack_tcp_send(plain->s, MS(1), plain->sock, "abc", 3), 3);
	/* it fails 3 s after the data went, on the dot (the timer is brought forward) */
	at = run_until_failed(h, S(60), &err);
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(at >= MS(1) + S(3) && at <= MS(1) + S(3) + MS(1));
	/* without one, the retries go on for minutes */
	assert_int_equal(run_until_failed(plain, S(60), &err), 0);
	assert_int_equal(h_state(plain, plain->sock), TCP_ESTABLISHED);
	h_free(h);
	h_free(plain);
}

/* Setting the user timeout brings an armed retransmission forward, never later. */
static void test_user_timeout_set_late(void **state)
{
	struct harness *h = h_new(NULL);
	stack_time_us due, at;
	int err = 0;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_send(h->s, MS(1), h->sock, "abc", 3), 3);
	h_drain(h);
	due = stack_poll_at(h->s);
	/* a long one changes nothing */
	assert_int_equal(
		stack_tcp_setopt(h->s, MS(100), h->sock, STACK_TCP_USER_TIMEOUT_US, S(600)), 0);
	assert_int_equal(stack_poll_at(h->s), due);
	/* set after the first timeout, it counts from when the data went */
	h_poll(h, due);
	h_drain(h);
	assert_int_equal(stack_tcp_setopt(h->s, due, h->sock, STACK_TCP_USER_TIMEOUT_US, S(1)), 0);
	at = run_until_failed(h, S(60), &err);
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(at >= MS(1) + S(1) && at <= MS(1) + S(1) + MS(1));
	h_free(h);
}

/* RFC 5482: the user timeout also bounds data held back by a window that stays shut. */
static void test_user_timeout_zero_window(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_event ev;
	int err = 0;

	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_setopt(h->s, 0, h->sock, STACK_TCP_USER_TIMEOUT_US, S(2)), 0);
	/* the peer shuts its window; our data waits behind it */
	h_send(h, MS(1), SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	assert_int_equal(stack_tcp_send(h->s, MS(2), h->sock, "abc", 3), 3);
	/* every probe is answered, still with a zero window */
	for (int i = 0; i < 100 && !err; i++) {
		stack_time_us t = stack_poll_at(h->s);

		if (t > S(60))
			break;
		h_poll(h, t);
		h_drain(h);
		while (stack_event_pop(h->s, &ev))
			if (ev.type == STACK_EV_ERROR)
				err = ev.err;
		if (!err)
			h_send(h, t, SEG(.seq = RNXT, .ack = h->iss + 1, .wnd = 0), NULL);
	}
	assert_int_equal(err, -ETIMEDOUT);
	assert_true(h->now >= S(2) && h->now <= S(2) + MS(2) + S(1));
	h_free(h);
}

static int count_cb(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	unsigned *n = ctx;

	(*n)++;
	if (info->listener)
		assert_string_equal(info->state_name, "LISTEN");
	return 0;
}

/* The handle of the TIME-WAIT entry the walk reports. */
static int find_tw_cb(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	if (info->state == TCP_TIME_WAIT)
		*(stack_sock *)ctx = sock;
	return 0;
}

static void test_info_history_foreach(void **state)
{
	struct harness *h = h_new(NULL);
	struct stack_tcp_history_entry hist[20];
	struct stack_tcp_info in;
	stack_sock tw;
	uint64_t id;
	unsigned n = 0;
	int k;

	h_establish_passive(h, MS(5));
	assert_int_equal(stack_tcp_send(h->s, MS(6), h->sock, "abc", 3), 3);
	assert_int_equal(stack_tcp_info(h->s, h->sock, &in), 0);
	assert_string_equal(in.state_name, "ESTABLISHED");
	id = in.id;
	assert_int_equal(in.local.addr, H_LOCAL_ADDR);
	assert_int_equal(in.local.port, H_LOCAL_PORT);
	assert_int_equal(in.remote.addr, H_REMOTE_ADDR);
	assert_int_equal(in.remote.port, H_REMOTE_PORT);
	assert_int_equal(in.iss, h->iss);
	assert_int_equal(in.irs, H_REMOTE_ISN);
	assert_int_equal(in.snd_una, h->iss + 1);
	assert_int_equal(in.snd_nxt, h->iss + 4);
	assert_int_equal(in.rcv_nxt, RNXT);
	assert_int_equal(in.rcv_wnd, H_RCVBUF);
	assert_int_equal(in.snd_wnd, H_WND);
	assert_int_equal(in.send_queue, 3);
	assert_int_equal(in.owner, 9);
	assert_int_equal(in.cwnd, 10 * 1460);
	assert_true(in.timers[STACK_TCP_TIMER_RETRANS].armed);
	assert_int_equal(in.timers[STACK_TCP_TIMER_RETRANS].at, MS(206));
	assert_string_equal(in.timer_name, "on");
	assert_false(in.listener || in.orphan);
	assert_int_equal(stack_tcp_info(h->s, h->lsock, &in), 0);
	assert_true(in.listener);
	assert_int_equal(in.backlog, 8);
	k = stack_tcp_history(h->s, h->sock, hist, 20);
	/* an accepted connection's history starts where it starts: in LISTEN, as
	 * its listener's copy (no CLOSED -> LISTEN of its own) */
	assert_int_equal(k, 2);
	assert_string_equal(hist[0].from_name, "LISTEN");
	assert_string_equal(hist[0].to_name, "SYN-RECEIVED");
	assert_string_equal(hist[0].cause, "rcv SYN");
	assert_int_equal(hist[0].seg_flags, TCP_FLAG_SYN);
	assert_int_equal(hist[0].seg_seq, H_REMOTE_ISN);
	assert_string_equal(hist[1].to_name, "ESTABLISHED");
	assert_string_equal(hist[1].cause, "rcv ACK");
	assert_int_equal(hist[1].seg_ack, h->iss + 1);
	assert_int_equal(hist[1].at, MS(5));
	assert_int_equal(stack_tcp_foreach(h->s, count_cb, &n), 0);
	assert_int_equal(n, 2);
	/* orphans and TIME-WAIT are listed too */
	assert_int_equal(stack_tcp_close(h->s, MS(7), h->sock), 0);
	h_send(h, MS(8), SEG(.seq = RNXT, .ack = h->iss + 5, .flags = TCP_FLAG_FIN | TCP_FLAG_ACK),
	       NULL);
	n = 0;
	assert_int_equal(stack_tcp_foreach(h->s, count_cb, &n), 0);
	assert_int_equal(n, 2);
	/* the slot went to a TIME-WAIT record: the old handle is stale, the walk
	 * names the record with a handle of its own, under the same id */
	assert_int_equal(stack_tcp_info(h->s, h->sock, &in), -EBADF);
	tw = 0;
	assert_int_equal(stack_tcp_foreach(h->s, find_tw_cb, &tw), 0);
	assert_int_not_equal(tw, 0);
	assert_int_equal(stack_tcp_info(h->s, tw, &in), 0);
	assert_int_equal(in.id, id);
	assert_string_equal(in.state_name, "TIME-WAIT");
	assert_string_equal(in.timer_name, "timewait");
	assert_int_equal(in.timer_remaining_us, 2 * h->s->cfg.tun.msl);
	assert_true(in.orphan);
	assert_int_equal(in.rcv_nxt, RNXT + 1);
	/* its history keeps the latest change: FIN-WAIT-2 -> TIME-WAIT on their FIN */
	assert_int_equal(stack_tcp_history(h->s, tw, hist, 20), 1);
	assert_string_equal(hist[0].from_name, "FIN-WAIT-2");
	assert_string_equal(hist[0].to_name, "TIME-WAIT");
	assert_string_equal(hist[0].cause, "rcv FIN");
	/* and synackctl kill ends it, sending nothing (RFC 9293 §3.10.5) */
	h_drain(h);
	assert_int_equal(stack_tcp_kill_orphan(h->s, MS(9), tw), 0);
	assert_int_equal(stack_tcp_info(h->s, tw, &in), -EBADF);
	assert_int_equal(stack_tcp_kill_orphan(h->s, MS(9), tw), -EBADF);
	h_expect_nothing(h);
	assert_int_equal(stack_tcp_state_name(TCP_SYN_SENT)[0], 'S');
	assert_string_equal(stack_tcp_state_name(TCP_FIN_WAIT_2), "FIN-WAIT-2");
	assert_true(h->traced_states >= 6);
	h_free(h);
}

static void test_stale_handles(void **state)
{
	struct harness *h = h_new(NULL);
	char buf[4];

	assert_int_equal(stack_tcp_send(h->s, 0, 0, buf, 1), -EBADF);
	assert_int_equal(stack_tcp_recv(h->s, 0, 12345, buf, 1), -EBADF);
	assert_int_equal(stack_tcp_close(h->s, 0, ((stack_sock)7 << 32) | 1), -EBADF);
	h_establish_passive(h, 0);
	assert_int_equal(stack_tcp_abort(h->s, 0, h->sock), 0);
	assert_int_equal(stack_tcp_send(h->s, 0, h->sock, buf, 1), -EBADF);
	assert_int_equal(stack_tcp_accept(h->s, 0, h->sock, 1, &(stack_sock){ 0 }), -EBADF);
	assert_int_equal(stack_tcp_send(h->s, 0, h->lsock, buf, 1), -ENOTCONN);
	assert_int_equal(stack_tcp_shutdown(h->s, 0, h->lsock), -ENOTCONN);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keepalive_unanswered),
		cmocka_unit_test(test_keepalive_answered),
		cmocka_unit_test(test_delayed_ack_off),
		cmocka_unit_test(test_link_blocked),
		cmocka_unit_test(test_icmp_soft_error),
		cmocka_unit_test(test_user_timeout_unacked),
		cmocka_unit_test(test_user_timeout_zero_window),
		cmocka_unit_test(test_user_timeout_set_late),
		cmocka_unit_test(test_info_history_foreach),
		cmocka_unit_test(test_stale_handles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
