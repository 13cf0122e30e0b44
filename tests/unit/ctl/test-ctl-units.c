/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-units.c - command-line values (tunables with units and ranges,
 * intervals), the model's names (states, timers, TCP flags) and the stats
 * history used by --delta.
 */
#include <unistd.h>

#include "ctl-test.h"

#include "model.h"
#include "stats.h"
#include "tunables.h"
#include "units.h"

static void check_tunable(const char *key, const char *text, uint64_t want)
{
	char err[256] = "";
	uint64_t v = 0;

	if (units_parse_tunable(key, text, &v, err, sizeof(err)) != 0)
		fail_msg("%s %s: %s", key, text, err);
	assert_int_equal(v, want);
}

static void check_refused(const char *key, const char *text, int want, const char *msg)
{
	char err[256] = "";
	uint64_t v = 12345;

	assert_int_equal(units_parse_tunable(key, text, &v, err, sizeof(err)), want);
	assert_int_equal(v, 12345); /* untouched */
	if (!strstr(err, msg))
		fail_msg("%s %s: '%s' lacks '%s'", key, text, err, msg);
}

static void test_tunable_values(void **state)
{
	check_tunable("msl", "1s", 1000000);
	check_tunable("msl", "250ms", 250000);
	check_tunable("rto.min", "50ms", 50000);
	check_tunable("keepalive.time", "2h", 7200000000ull);
	check_tunable("send_buffer", "512KiB", 512 * 1024);
	check_tunable("send_buffer", "65536", 65536);
	check_tunable("syn_retries", "3", 3);
	check_tunable("sack", "off", 0);
	check_tunable("sack", "TRUE", 1);
	check_tunable("timestamps", "no", 0);
	check_tunable("rfc1337", "1", 1);
	check_tunable("congestion_control", "cubic", 0);
	check_tunable("congestion_control", "newreno", 1);
}

static void test_tunable_refusals(void **state)
{
	check_refused("nosuchkey", "1", -ENOENT, "unknown key 'nosuchkey'");
	check_refused("msl", "5", -EINVAL, "expected a duration with a unit");
	check_refused("msl", "1s5", -EINVAL, "bad value '1s5'");
	check_refused("msl", "1parsec", -EINVAL, "bad value");
	check_refused("msl", "0s", -ERANGE, "msl: 0s is out of range 1ms..10min");
	check_refused("msl", "11min", -ERANGE, "out of range");
	check_refused("syn_retries", "0", -ERANGE, "out of range 1..127");
	check_refused("syn_retries", "-1", -EINVAL, "a whole number");
	check_refused("syn_retries", "3.5", -EINVAL, "a whole number");
	check_refused("sack", "maybe", -EINVAL, "true or false");
	check_refused("send_buffer", "1KiB", -ERANGE, "out of range 4KiB..64MiB");
	check_refused("congestion_control", "vegas", -EINVAL,
		      "congestion_control: unknown name 'vegas' (one of: cubic, newreno)");
	check_refused("congestion_control", "1", -EINVAL, "unknown name '1'");
}

static void test_tunable_table(void **state)
{
	struct ctl_tunable t;
	bool have_msl = false;

	assert_true(units_tunable_count() >= 20);
	for (size_t i = 0; i < units_tunable_count(); i++) {
		const char *key = units_tunable_key(i);

		enum stack_tunable_id id;

		assert_non_null(key);
		assert_int_equal(units_tunable_lookup(key, &t), 0);
		/* every meaning whole, as `synackctl get` shows it */
		assert_int_equal(stack_tunable_lookup(key, &id), 0);
		assert_string_equal(t.meaning, stack_tunable_desc(id)->meaning);
		have_msl |= strcmp(key, "msl") == 0;
	}
	assert_true(have_msl);
	assert_int_equal(units_tunable_lookup("msl", &t), 0);
	assert_int_equal(t.unit, CTL_UNIT_DURATION);
	assert_true(t.affects_existing);
	assert_null(units_tunable_key(units_tunable_count()));
}

static void test_intervals(void **state)
{
	uint64_t us;

	assert_int_equal(units_parse_interval("2", &us), 0);
	assert_int_equal(us, 2000000);
	assert_int_equal(units_parse_interval("0.5", &us), 0);
	assert_int_equal(us, 500000);
	assert_int_equal(units_parse_interval("250ms", &us), 0);
	assert_int_equal(us, 250000);
	assert_int_equal(units_parse_interval("0", &us), -EINVAL);
	assert_int_equal(units_parse_interval("0s", &us), -ERANGE);
	assert_int_equal(units_parse_interval("x", &us), -EINVAL);
	assert_int_equal(units_parse_interval("1e3", &us), -EINVAL);
}

static void test_state_names(void **state)
{
	static const char *const ss[] = { "CLOSED",  "LISTEN",	   "SYN-SENT",	 "SYN-RECV",
					  "ESTAB",   "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT",
					  "CLOSING", "LAST-ACK",   "TIME-WAIT" };
	enum ctl_state s;

	for (unsigned i = 0; i < CTL_STATE_COUNT; i++) {
		assert_string_equal(ctl_state_ss_name((enum ctl_state)i), ss[i]);
		assert_int_equal(ctl_state_parse(ss[i], &s), 0);
		assert_int_equal(s, i);
		assert_int_equal(ctl_state_parse(ctl_state_rfc_name((enum ctl_state)i), &s), 0);
		assert_int_equal(s, i);
	}
	assert_string_equal(ctl_state_rfc_name(CTL_STATE_SYN_RECEIVED), "SYN-RECEIVED");
	assert_string_equal(ctl_state_rfc_name(CTL_STATE_ESTABLISHED), "ESTABLISHED");
	assert_string_equal(ctl_state_ss_name(CTL_STATE_COUNT), "UNKNOWN");
	assert_int_equal(ctl_state_parse("unconn", &s), 0);
	assert_int_equal(s, CTL_STATE_CLOSED);
	assert_int_equal(ctl_state_parse("established-ish", &s), -EINVAL);
	assert_int_equal(ctl_state_parse("", &s), -EINVAL);
}

static void test_timer_and_flags(void **state)
{
	char buf[64];

	assert_string_equal(ctl_timer_name(CTL_TIMER_ON), "on");
	assert_string_equal(ctl_timer_name(CTL_TIMER_DELACK), "delack");
	assert_string_equal(ctl_timer_name(CTL_TIMER_OFF), "off");
	ctl_tcp_flags_format(CTL_TCP_SYN | CTL_TCP_ACK, buf, sizeof(buf));
	assert_string_equal(buf, "SYN,ACK");
	ctl_tcp_flags_format(CTL_TCP_FIN | CTL_TCP_PSH | CTL_TCP_ACK, buf, sizeof(buf));
	assert_string_equal(buf, "FIN,PSH,ACK");
	ctl_tcp_flags_format(CTL_TCP_RST, buf, sizeof(buf));
	assert_string_equal(buf, "RST");
	ctl_tcp_flags_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	assert_int_equal(ctl_tcp_flags_format(0xff, buf, 8), -ENOBUFS);
	assert_true(ctl_counter_name_is_gauge("TcpCurrEstab"));
	assert_false(ctl_counter_name_is_gauge("TcpActiveOpens"));
}

static void test_stats_delta(void **state)
{
	struct ctl_counter prev[] = { { "TcpActiveOpens", 3, false },
				      { "TcpCurrEstab", 5, true },
				      { "TcpOutRsts", 10, false } };
	struct ctl_counter cur[] = { { "TcpActiveOpens", 7, false },
				     { "TcpCurrEstab", 2, true },
				     { "TcpOutRsts", 4, false },  /* went down: a restart */
				     { "TcpInSegs", 9, false } }; /* new */

	stats_delta(cur, 4, prev, 3);
	assert_int_equal(cur[0].value, 4);
	assert_int_equal(cur[1].value, 2);
	assert_int_equal(cur[2].value, 4);
	assert_int_equal(cur[3].value, 9);
}

static void test_stats_history_file(void **state)
{
	char dir[] = "/tmp/test-ctl-units.XXXXXX", path[128];
	struct ctl_counter c[] = { { "TcpActiveOpens", 3, false }, { "TcpInSegs", 1ull << 40 } };
	struct ctl_counter *back;
	size_t n;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/history", dir);
	assert_int_equal(stats_history_load(path, &back, &n), -ENOENT);
	assert_int_equal(stats_history_save(path, c, 2), 0);
	assert_int_equal(stats_history_load(path, &back, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(back[1].name, "TcpInSegs");
	assert_int_equal(back[1].value, 1ull << 40);
	free(back);
	unlink(path);
	rmdir(dir);

	setenv("SYNACKCTL_HISTORY", "/x/y", 1);
	assert_int_equal(stats_history_path(path, sizeof(path)), 0);
	assert_string_equal(path, "/x/y");
	unsetenv("SYNACKCTL_HISTORY");
	setenv("XDG_RUNTIME_DIR", "/run/user/7", 1);
	stats_history_path(path, sizeof(path));
	assert_string_equal(path, "/run/user/7/synackctl.stats");
}

static void test_stats_patterns(void **state)
{
	char *pats[] = { "tcp*", "IpInReceives" };

	assert_true(stats_match("TcpActiveOpens", pats, 2));
	assert_true(stats_match("IpInReceives", pats, 2));
	assert_false(stats_match("IcmpInMsgs", pats, 2));
	assert_true(stats_match("IcmpInMsgs", NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunable_values), cmocka_unit_test(test_tunable_refusals),
		cmocka_unit_test(test_tunable_table),  cmocka_unit_test(test_intervals),
		cmocka_unit_test(test_state_names),    cmocka_unit_test(test_timer_and_flags),
		cmocka_unit_test(test_stats_delta),    cmocka_unit_test(test_stats_history_file),
		cmocka_unit_test(test_stats_patterns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
