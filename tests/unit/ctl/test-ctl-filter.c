/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-filter.c - ss-style filters: state names and groups as ss
 * defines them, port comparisons, address prefixes, or, and the messages
 * for bad input.
 */
#include "ctl-test.h"

#include "ctl-fixtures.h"
#include "filter.h"

/* Parse a space-separated filter; returns the parse result. */
static int parse(const char *text, struct ctl_filter *f, char *err, size_t errlen)
{
	char buf[256], *argv[32], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", text);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 32; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	return filter_parse(f, argc, argv, err, errlen);
}

static struct ctl_filter must_parse(const char *text)
{
	struct ctl_filter f;
	char err[256] = "";

	if (parse(text, &f, err, sizeof(err)) != 0)
		fail_msg("'%s' did not parse: %s", text, err);
	return f;
}

static void must_fail(const char *text, const char *want_in_message)
{
	struct ctl_filter f;
	char err[256] = "";

	assert_int_equal(parse(text, &f, err, sizeof(err)), -EINVAL);
	if (!strstr(err, want_in_message))
		fail_msg("'%s': message '%s' lacks '%s'", text, err, want_in_message);
}

static ctl_state_mask states_of(const char *text)
{
	return must_parse(text).states;
}

#define B(s) CTL_STATE_BIT(CTL_STATE_##s)

static void test_state_names(void **state)
{
	assert_int_equal(states_of(""), CTL_STATES_ALL);
	assert_int_equal(states_of("state established"), B(ESTABLISHED));
	assert_int_equal(states_of("state estab"), B(ESTABLISHED));
	assert_int_equal(states_of("state ESTABLISHED"), B(ESTABLISHED));
	assert_int_equal(states_of("state syn-recv"), B(SYN_RECEIVED));
	assert_int_equal(states_of("state syn-received"), B(SYN_RECEIVED));
	assert_int_equal(states_of("state time_wait"), B(TIME_WAIT));
	assert_int_equal(states_of("state listening"), B(LISTEN));
	assert_int_equal(states_of("state listen"), B(LISTEN));
	assert_int_equal(states_of("state closed"), B(CLOSED));
	assert_int_equal(states_of("state fin-wait-1 state fin-wait-2"),
			 B(FIN_WAIT_1) | B(FIN_WAIT_2));
}

/* The groups as iproute2 ss defines them. */
static void test_state_groups(void **state)
{
	assert_int_equal(states_of("state all"), CTL_STATES_ALL);
	assert_int_equal(states_of("state connected"), CTL_STATES_ALL & ~(B(LISTEN) | B(CLOSED)));
	assert_int_equal(states_of("state synchronized"),
			 CTL_STATES_ALL & ~(B(LISTEN) | B(CLOSED) | B(SYN_SENT)));
	assert_int_equal(states_of("state bucket"), B(SYN_RECEIVED) | B(TIME_WAIT));
	assert_int_equal(states_of("state big"),
			 CTL_STATES_ALL & ~(B(SYN_RECEIVED) | B(TIME_WAIT)));
	assert_int_equal(states_of("state connected exclude time-wait"),
			 CTL_STATES_ALL & ~(B(LISTEN) | B(CLOSED) | B(TIME_WAIT)));
	/* exclude first, state after: the order does not matter */
	assert_int_equal(states_of("exclude syn-sent state synchronized state syn-sent"),
			 CTL_STATES_ALL & ~(B(LISTEN) | B(CLOSED) | B(SYN_SENT)));
}

static void test_match_states(void **state)
{
	struct ctl_conn v[3];
	struct ctl_filter f;

	fix_conns(v);
	f = must_parse("state connected");
	assert_false(filter_match(&f, &v[0])); /* LISTEN */
	assert_true(filter_match(&f, &v[1]));
	assert_true(filter_match(&f, &v[2]));
	f = must_parse("state bucket");
	assert_false(filter_match(&f, &v[1]));
	assert_true(filter_match(&f, &v[2]));
}

static void test_ports(void **state)
{
	struct ctl_conn v[3];
	struct ctl_filter f;

	fix_conns(v); /* v[1]: 10.77.0.2:80 <-> 10.77.0.1:43512; v[2]: :40000 <-> :8080 */
	f = must_parse("sport = :80");
	assert_true(filter_match(&f, &v[0]));
	assert_true(filter_match(&f, &v[1]));
	assert_false(filter_match(&f, &v[2]));
	f = must_parse("sport :80");
	assert_true(filter_match(&f, &v[1]));
	f = must_parse("sport 80");
	assert_true(filter_match(&f, &v[1]));
	f = must_parse("dport == :8080");
	assert_true(filter_match(&f, &v[2]));
	assert_false(filter_match(&f, &v[1]));
	f = must_parse("dport neq :8080");
	assert_true(filter_match(&f, &v[1]));
	assert_false(filter_match(&f, &v[2]));
	f = must_parse("dport != :8080");
	assert_false(filter_match(&f, &v[2]));
	f = must_parse("sport gt :1024");
	assert_false(filter_match(&f, &v[1]));
	assert_true(filter_match(&f, &v[2]));
	f = must_parse("sport >= :40000");
	assert_true(filter_match(&f, &v[2]));
	f = must_parse("sport < :81");
	assert_true(filter_match(&f, &v[1]));
	f = must_parse("sport le :79");
	assert_false(filter_match(&f, &v[1]));
	f = must_parse("dport lt :8080");
	assert_false(filter_match(&f, &v[2]));
	f = must_parse("dport eq *:8080");
	assert_true(filter_match(&f, &v[2]));
}

static void test_addresses(void **state)
{
	struct ctl_conn v[3];
	struct ctl_filter f;

	fix_conns(v);
	f = must_parse("src 10.77.0.2");
	assert_false(filter_match(&f, &v[0])); /* 0.0.0.0 */
	assert_true(filter_match(&f, &v[1]));
	f = must_parse("dst 10.77.0.0/24");
	assert_true(filter_match(&f, &v[1]));
	assert_false(filter_match(&f, &v[0]));
	f = must_parse("dst 10.77/16");
	assert_true(filter_match(&f, &v[1]));
	f = must_parse("dst 10.78");
	assert_false(filter_match(&f, &v[1]));
	f = must_parse("src 10.77.0.2:40000");
	assert_false(filter_match(&f, &v[1]));
	assert_true(filter_match(&f, &v[2]));
	f = must_parse("dst *:8080");
	assert_true(filter_match(&f, &v[2]));
	f = must_parse("dst = 10.77.0.1/32:43512");
	assert_true(filter_match(&f, &v[1]));
	f = must_parse("dst 0.0.0.0/0");
	assert_true(filter_match(&f, &v[0]));
}

static void test_and_or(void **state)
{
	struct ctl_conn v[3];
	struct ctl_filter f;

	fix_conns(v);
	f = must_parse("sport = :80 dport = :8080");
	assert_false(filter_match(&f, &v[1]));
	assert_false(filter_match(&f, &v[2]));
	f = must_parse("sport = :80 and dst 10.77.0.1");
	assert_true(filter_match(&f, &v[1]));
	f = must_parse("sport = :80 or dport = :8080");
	assert_true(filter_match(&f, &v[0]));
	assert_true(filter_match(&f, &v[1]));
	assert_true(filter_match(&f, &v[2]));
	f = must_parse("state established sport = :80 or dport = :8080");
	assert_false(filter_match(&f, &v[0]));
	assert_true(filter_match(&f, &v[1]));
	assert_false(filter_match(&f, &v[2]));
}

static void test_empty(void **state)
{
	struct ctl_filter f = must_parse("");

	assert_true(filter_is_empty(&f));
	f = must_parse("state all");
	assert_true(filter_is_empty(&f));
	f = must_parse("state connected");
	assert_false(filter_is_empty(&f));
	f = must_parse("dport = :1");
	assert_false(filter_is_empty(&f));
}

static void test_errors(void **state)
{
	must_fail("state", "state: expected a state name");
	must_fail("state bogus", "unknown state 'bogus'");
	must_fail("sport", "sport: expected a port");
	must_fail("sport =", "sport: expected a port");
	must_fail("sport = :http-nonexistent-service", "bad port");
	must_fail("dport = :65536", "dport: bad port ':65536'");
	must_fail("dport = :-1", "bad port");
	must_fail("src 10.77.0.256", "bad IPv4 address '10.77.0.256'");
	must_fail("src 10.77.0.1/33", "bad prefix length '/33'");
	must_fail("src 10.77.0.1/", "bad prefix length");
	must_fail("src *", "matches everything");
	must_fail("src > 10.0.0.1", "only '=' compares addresses");
	must_fail("dst", "dst: expected ADDR");
	must_fail("frobnicate", "unknown filter word 'frobnicate'");
	must_fail("or sport = :80", "'or' needs a term on each side");
	must_fail("sport = :80 or", "'or' needs a term on each side");
	must_fail("and sport = :80", "'and' needs a term on each side");
}

static void test_service_names(void **state)
{
	struct ctl_conn v[3];
	struct ctl_filter f;
	char err[128];

	fix_conns(v);
	/* /etc/services may be missing in a minimal container; skip then */
	if (parse("sport = :http", &f, err, sizeof(err)) != 0)
		skip();
	assert_true(filter_match(&f, &v[1]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_names),   cmocka_unit_test(test_state_groups),
		cmocka_unit_test(test_match_states),  cmocka_unit_test(test_ports),
		cmocka_unit_test(test_addresses),     cmocka_unit_test(test_and_or),
		cmocka_unit_test(test_empty),	      cmocka_unit_test(test_errors),
		cmocka_unit_test(test_service_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
