/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-format.c - what each command prints, against golden text: the
 * conns table in ss's columns (plain, -o, -o -i -p -e), tunables with the
 * TIME-WAIT note, nstat-style counters, an event line, status, what a reload did.
 */
#include "ctl-test.h"

#include "ctl-fixtures.h"
#include "format.h"

static char *render_conns(const struct format_conns_opts *o)
{
	struct ctl_conn v[3];
	size_t n = fix_conns(v);
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	assert_int_equal(format_conns_table(cap.f, v, n, o), 0);
	ctl_capture_end(&cap);
	return cap.buf;
}

static void test_conns_plain(void **state)
{
	struct format_conns_opts o = { 0 };
	char *out = render_conns(&o);

	assert_string_equal(out, "State     Recv-Q Send-Q Local Address:Port  Peer Address:Port\n"
				 "LISTEN    0      128          0.0.0.0:80         0.0.0.0:*\n"
				 "ESTAB     0      14480      10.77.0.2:80       10.77.0.1:43512\n"
				 "TIME-WAIT 0      0          10.77.0.2:40000    10.77.0.1:8080\n");
	free(out);
}

static void test_conns_timers(void **state)
{
	struct format_conns_opts o = { .timers = true };
	char *out = render_conns(&o);

	assert_string_equal(out, "State     Recv-Q Send-Q Local Address:Port  Peer Address:Port\n"
				 "LISTEN    0      128          0.0.0.0:80         0.0.0.0:*\n"
				 "ESTAB     0      14480      10.77.0.2:80       10.77.0.1:43512 "
				 "timer:(on,204ms,0)\n"
				 "TIME-WAIT 0      0          10.77.0.2:40000    10.77.0.1:8080  "
				 "timer:(timewait,59sec,0)\n");
	free(out);
}

static void test_conns_no_header(void **state)
{
	struct format_conns_opts o = { .no_header = true };
	char *out = render_conns(&o);

	/* without the header, widths come from the data alone */
	assert_string_equal(out, "LISTEN    0 128     0.0.0.0:80      0.0.0.0:*\n"
				 "ESTAB     0 14480 10.77.0.2:80    10.77.0.1:43512\n"
				 "TIME-WAIT 0 0     10.77.0.2:40000 10.77.0.1:8080\n");
	free(out);
}

static void test_conns_everything(void **state)
{
	struct format_conns_opts o = {
		.timers = true, .info = true, .process = true, .extended = true
	};
	char *out = render_conns(&o);

	assert_string_equal(
		out,
		"State     Recv-Q Send-Q Local Address:Port  Peer Address:Port  Process\n"
		"LISTEN    0      128          0.0.0.0:80         0.0.0.0:*                 "
		"                                                 id:1\n"
		"ESTAB     0      14480      10.77.0.2:80       10.77.0.1:43512 "
		"users:((\"nginx\",pid=4242,uid=1000)) timer:(on,204ms,0)       id:12\n"
		"\tts sack cubic wscale:7,7 rto:204 rtt:0.312/0.156 mss:1448 cwnd:10 "
		"bytes_acked:52133 bytes_received:731 retrans:0/0\n"
		"TIME-WAIT 0      0          10.77.0.2:40000    10.77.0.1:8080                  "
		"                    timer:(timewait,59sec,0) id:9\n"
		"\trto:0 rtt:0/0 mss:0 cwnd:0 bytes_acked:0 bytes_received:0 retrans:0/0\n");
	free(out);
}

static void test_conns_json_fields(void **state)
{
	struct ctl_conn v[3];
	size_t n = fix_conns(v);
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	assert_int_equal(format_conns_json(cap.f, v, n), 0);
	ctl_capture_end(&cap);
	assert_true(cap.buf[0] == '[');
	assert_non_null(strstr(cap.buf,
			       "\"id\":12,\"state\":\"ESTABLISHED\",\"ss_state\":\"ESTAB\","
			       "\"local\":{\"address\":\"10.77.0.2\",\"port\":80}"));
	assert_non_null(strstr(cap.buf, "\"timer\":{\"name\":\"timewait\",\"remaining_ms\":59000,"
					"\"retransmits\":0}"));
	assert_non_null(strstr(cap.buf, "\"rtt_ms\":0.312,\"rttvar_ms\":0.156,\"rto_ms\":204"));
	assert_non_null(
		strstr(cap.buf, "\"owner\":{\"pid\":4242,\"uid\":1000,\"name\":\"nginx\"}"));
	assert_non_null(strstr(cap.buf, "\"timer\":null"));
	ctl_capture_free(&cap);
}

static void test_conns_json_empty(void **state)
{
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	assert_int_equal(format_conns_json(cap.f, NULL, 0), 0);
	assert_string_equal(ctl_capture_end(&cap), "[]\n");
	ctl_capture_free(&cap);
}

static void test_tunables_table(void **state)
{
	struct ctl_tunable t[2] = {
		{ "msl", CTL_UNIT_DURATION, 1000000, 30000000, 1000, 600000000, true,
		  "maximum segment lifetime" },
		{ "send_buffer", CTL_UNIT_SIZE, 1 << 20, 256 * 1024, 4096, 64u << 20, false,
		  "send buffer of a new connection" },
	};
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	assert_int_equal(format_tunables_table(cap.f, t, 2), 0);
	assert_string_equal(
		ctl_capture_end(&cap),
		"Key         Value Default Range       Existing Meaning\n"
		"msl         1s    30s     1ms..10min  yes      maximum segment lifetime\n"
		"\tTIME-WAIT = 2 x msl = 2s\n"
		"send_buffer 1MiB  256KiB  4KiB..64MiB no       send buffer of a new connection\n");
	ctl_capture_free(&cap);
}

static void test_counters_table(void **state)
{
	struct ctl_counter c[3] = {
		{ "TcpActiveOpens", 3, false },
		{ "TcpCurrEstab", 1, true },
		{ "TcpOutRsts", 0, false },
	};
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	format_counters_table(cap.f, c, 3, false);
	assert_string_equal(ctl_capture_end(&cap), "Counter        Value\n"
						   "TcpActiveOpens     3\n"
						   "TcpCurrEstab       1\n");
	ctl_capture_free(&cap);

	ctl_capture_begin(&cap);
	format_counters_json(cap.f, c, 3, true);
	assert_string_equal(ctl_capture_end(&cap),
			    "{\"TcpActiveOpens\":3,\"TcpCurrEstab\":1,\"TcpOutRsts\":0}\n");
	ctl_capture_free(&cap);
}

static void test_event_line(void **state)
{
	struct ctl_event e = {
		.time_us = 5000,
		.realtime_us = 1795500001123456ull,
		.conn_id = 12,
		.local = { FIX_IP(10, 77, 0, 2), 40000 },
		.remote = { FIX_IP(10, 77, 0, 1), 80 },
		.from = CTL_STATE_SYN_SENT,
		.to = CTL_STATE_ESTABLISHED,
		.cause = "rcv SYN,ACK",
		.seg_flags = CTL_TCP_SYN | CTL_TCP_ACK,
		.seg_seq = 1000,
		.seg_ack = 4294967001u,
	};
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	format_event_line(cap.f, &e);
	e.seg_flags = 0;
	e.from = CTL_STATE_TIME_WAIT;
	e.to = CTL_STATE_CLOSED;
	strcpy(e.cause, "2MSL timeout");
	format_event_line(cap.f, &e);
	assert_string_equal(ctl_capture_end(&cap),
			    "2026-11-24T06:00:01.123456Z id:12 10.77.0.2:40000 10.77.0.1:80 "
			    "SYN-SENT -> ESTABLISHED (rcv SYN,ACK seq=1000 ack=4294967001)\n"
			    "2026-11-24T06:00:01.123456Z id:12 10.77.0.2:40000 10.77.0.1:80 "
			    "TIME-WAIT -> CLOSED (2MSL timeout)\n");
	ctl_capture_free(&cap);
}

static void test_status(void **state)
{
	struct ctl_status s = {
		.version = "0.1.0",
		.uptime_us = 90061000000ull,
		.tap = "synack0",
		.mac = { 2, 0, 0, 0, 0, 1 },
		.address = FIX_IP(10, 77, 0, 2),
		.prefix_len = 24,
		.mtu = 1500,
		.offload = true,
		.clients = 2,
	};
	struct ctl_capture cap;

	s.conns_by_state[CTL_STATE_LISTEN] = 1;
	s.conns_by_state[CTL_STATE_ESTABLISHED] = 3;
	ctl_capture_begin(&cap);
	format_status(cap.f, &s);
	assert_string_equal(ctl_capture_end(&cap),
			    "version:     0.1.0\n"
			    "uptime:      1d 01:01:01\n"
			    "interface:   synack0 mac 02:00:00:00:00:01 address 10.77.0.2/24 mtu "
			    "1500 offload on\n"
			    "connections: LISTEN 1, ESTAB 3\n"
			    "clients:     2\n"
			    "impairment:  off\n");
	ctl_capture_free(&cap);
}

/* reload: the summary, then changed (old -> new), kept and not applied; the same as JSON. */
static void test_reload(void **state)
{
	struct ctl_reload_entry v[3] = {
		{ .kind = CTL_RELOADED_CHANGED,
		  .key = "tcp.rto.min",
		  .before = "200ms",
		  .after = "300ms",
		  .file = "300ms" },
		{ .kind = CTL_RELOADED_KEPT,
		  .key = "tcp.msl",
		  .before = "10s",
		  .after = "10s",
		  .file = "30s" },
		{ .kind = CTL_RELOADED_NOT_APPLIED,
		  .key = "interface.mtu",
		  .before = "1500",
		  .after = "1500",
		  .file = "9000",
		  .why = "needs a restart" },
	};
	struct ctl_reload r = {
		.reported = true, .file = "/etc/synack/synackd.yaml", .v = v, .n = 3
	};
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	format_reload(cap.f, &r);
	assert_string_equal(ctl_capture_end(&cap),
			    "configuration reloaded from /etc/synack/synackd.yaml: 1 changed, 1 "
			    "kept, 1 not applied\n"
			    "  tcp.rto.min: 200ms -> 300ms\n"
			    "  tcp.msl = 10s (set at runtime, not in the file)\n"
			    "  interface.mtu = 1500 (not applied: needs a restart; the file says "
			    "9000)\n");
	ctl_capture_free(&cap);

	ctl_capture_begin(&cap);
	format_reload_json(cap.f, &r);
	assert_string_equal(ctl_capture_end(&cap),
			    "{\"reported\":true,\"file\":\"/etc/synack/synackd.yaml\","
			    "\"changed\":[{\"key\":\"tcp.rto.min\",\"before\":\"200ms\","
			    "\"after\":\"300ms\"}],"
			    "\"kept\":[{\"key\":\"tcp.msl\",\"value\":\"10s\",\"file\":\"30s\"}],"
			    "\"not_applied\":[{\"key\":\"interface.mtu\",\"value\":\"1500\","
			    "\"file\":\"9000\",\"why\":\"needs a restart\"}]}\n");
	ctl_capture_free(&cap);

	r.n = 0;
	ctl_capture_begin(&cap);
	format_reload(cap.f, &r);
	assert_string_equal(
		ctl_capture_end(&cap),
		"configuration reloaded from /etc/synack/synackd.yaml: nothing changed\n");
	ctl_capture_free(&cap);

	r.reported = false; /* an older synackd */
	ctl_capture_begin(&cap);
	format_reload(cap.f, &r);
	assert_string_equal(ctl_capture_end(&cap), "configuration reloaded\n");
	ctl_capture_free(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conns_plain),
		cmocka_unit_test(test_conns_timers),
		cmocka_unit_test(test_conns_no_header),
		cmocka_unit_test(test_conns_everything),
		cmocka_unit_test(test_conns_json_fields),
		cmocka_unit_test(test_conns_json_empty),
		cmocka_unit_test(test_tunables_table),
		cmocka_unit_test(test_counters_table),
		cmocka_unit_test(test_event_line),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_reload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
