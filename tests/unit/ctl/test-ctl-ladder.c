/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-ladder.c - the trace ladder diagram against golden text: a full
 * active connection in relative and absolute numbers (our sequence space
 * wraps past 2^32 during the data), a passive one closed by the peer, and a
 * history that starts after the handshake.
 */
#include "ctl-test.h"

#include "ctl-fixtures.h"
#include "ladder.h"

static const char golden_active_relative[] =
	"  time/ms  state        synack                                              peer\n"
	"    0.000  SYN-SENT     |-- SYN seq=0 win=64240 ------------------------------>|\n"
	"    0.412  ESTABLISHED  |<-------------------- SYN,ACK seq=0 ack=1 win=65160 --|\n"
	"    0.412               |-- ACK seq=1 ack=1 win=502 -------------------------->|\n"
	"    2.000               |-- PSH,ACK seq=1 ack=1 win=502 len=400 -------------->|\n"
	"    2.300               |<------------------------ ACK seq=1 ack=401 win=508 --|\n"
	"    2.400               |<----------- PSH,ACK seq=1 ack=401 win=508 len=1000 --|\n"
	"    2.401               |-- ACK seq=401 ack=1001 win=501 --------------------->|\n"
	"    3.000  FIN-WAIT-1   |-- FIN,ACK seq=401 ack=1001 win=501 ----------------->|\n"
	"    3.300  FIN-WAIT-2   |<--------------------- ACK seq=1001 ack=402 win=508 --|\n"
	"    3.500  TIME-WAIT    |<----------------- FIN,ACK seq=1001 ack=402 win=508 --|\n"
	"    3.500               |-- ACK seq=402 ack=1002 win=501 --------------------->|\n"
	"60003.500  CLOSED       |  (2MSL timeout)                                      |\n";

static const char golden_active_absolute[] =
	"  time/ms  state        synack                                              peer\n"
	"    0.000  SYN-SENT     |-- SYN seq=4294967000 win=64240 --------------------->|\n"
	"    0.412  ESTABLISHED  |<-------- SYN,ACK seq=1000 ack=4294967001 win=65160 --|\n"
	"    0.412               |-- ACK seq=4294967001 ack=1001 win=502 -------------->|\n"
	"    2.000               |-- PSH,ACK seq=4294967001 ack=1001 win=502 len=400 -->|\n"
	"    2.300               |<--------------------- ACK seq=1001 ack=105 win=508 --|\n"
	"    2.400               |<-------- PSH,ACK seq=1001 ack=105 win=508 len=1000 --|\n"
	"    2.401               |-- ACK seq=105 ack=2001 win=501 --------------------->|\n"
	"    3.000  FIN-WAIT-1   |-- FIN,ACK seq=105 ack=2001 win=501 ----------------->|\n"
	"    3.300  FIN-WAIT-2   |<--------------------- ACK seq=2001 ack=106 win=508 --|\n"
	"    3.500  TIME-WAIT    |<----------------- FIN,ACK seq=2001 ack=106 win=508 --|\n"
	"    3.500               |-- ACK seq=106 ack=2002 win=501 --------------------->|\n"
	"60003.500  CLOSED       |  (2MSL timeout)                                      |\n";

static const char golden_passive[] =
	"  time/ms  state        synack                                              peer\n"
	"    0.000  SYN-RECEIVED |<------------------------------ SYN seq=0 win=64240 --|\n"
	"    0.000               |-- SYN,ACK seq=0 ack=1 win=65535 -------------------->|\n"
	"    0.100  ESTABLISHED  |<-------------------------- ACK seq=1 ack=1 win=502 --|\n"
	"    4.000  CLOSE-WAIT   |<---------------------- FIN,ACK seq=1 ack=1 win=502 --|\n"
	"    4.000               |-- ACK seq=1 ack=2 win=65535 ------------------------>|\n"
	"    7.000  LAST-ACK     |-- FIN,ACK seq=1 ack=2 win=65535 -------------------->|\n"
	"    7.200  CLOSED       |<-------------------------- ACK seq=2 ack=2 win=502 --|\n";

static const char golden_truncated[] =
	"  time/ms  state        synack                                              peer\n"
	"           (no local SYN in the history: numbers count from the first seen)\n"
	"    0.000               |-- PSH,ACK seq=0 ack=0 win=502 len=400 -------------->|\n"
	"    0.300               |<------------------------ ACK seq=0 ack=400 win=508 --|\n"
	"    0.400               |<----------- PSH,ACK seq=0 ack=400 win=508 len=1000 --|\n"
	"    0.401               |-- ACK seq=400 ack=1000 win=501 --------------------->|\n"
	"    1.000  FIN-WAIT-1   |-- FIN,ACK seq=400 ack=1000 win=501 ----------------->|\n"
	"    1.300  FIN-WAIT-2   |<--------------------- ACK seq=1000 ack=401 win=508 --|\n"
	"    1.500  TIME-WAIT    |<----------------- FIN,ACK seq=1000 ack=401 win=508 --|\n"
	"    1.500               |-- ACK seq=401 ack=1001 win=501 --------------------->|\n"
	"60001.500  CLOSED       |  (2MSL timeout)                                      |\n";

static void render_check(const struct ctl_trace_entry *v, size_t n, unsigned flags,
			 const char *golden)
{
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	assert_int_equal(ladder_render(cap.f, v, n, flags), 0);
	assert_string_equal(ctl_capture_end(&cap), golden);
	assert_true(ctl_longest_line(cap.buf) <= 80);
	ctl_capture_free(&cap);
}

static void test_active_relative(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, fix_active_trace(v), 0, golden_active_relative);
}

static void test_active_absolute(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, fix_active_trace(v), LADDER_ABSOLUTE, golden_active_absolute);
}

static void test_passive_peer_closes(void **state)
{
	struct ctl_trace_entry v[32];

	render_check(v, fix_passive_trace(v), 0, golden_passive);
}

static void test_history_after_handshake(void **state)
{
	struct ctl_trace_entry v[32];
	size_t n = fix_active_trace(v);

	render_check(v + 5, n - 5, 0, golden_truncated);
}

/* Feeding entries one at a time (trace --follow) draws the same picture. */
static void test_follow_same_as_render(void **state)
{
	struct ctl_trace_entry v[32];
	size_t n = fix_active_trace(v);
	struct ctl_capture cap;
	struct ladder l;

	ctl_capture_begin(&cap);
	ladder_init(&l, cap.f, 0);
	for (size_t i = 0; i < n; i++)
		ladder_feed(&l, &v[i]);
	ladder_flush(&l);
	assert_string_equal(ctl_capture_end(&cap), golden_active_relative);
	ctl_capture_free(&cap);
}

static void test_empty_trace(void **state)
{
	render_check(NULL, 0, 0, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_active_relative),
		cmocka_unit_test(test_active_absolute),
		cmocka_unit_test(test_passive_peer_closes),
		cmocka_unit_test(test_history_after_handshake),
		cmocka_unit_test(test_follow_same_as_render),
		cmocka_unit_test(test_empty_trace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
