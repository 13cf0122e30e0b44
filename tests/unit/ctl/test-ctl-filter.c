/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-filter.c - ss-style filters: state names and groups as ss
 * defines them, port comparisons, address prefixes, or, and the messages
 * for bad input; the expression grammar (not > and > or, parentheses, the
 * filter in one argument), not pushed down to the terms (De Morgan, address
 * terms negated), the bound on the multiplied-out form, the positions
 * errors name, and random expressions against a direct evaluation.
 */
#include "ctl-test.h"

#include "ctl-fixtures.h"
#include "filter.h"

/* Parse a space-separated filter, one argument per word; returns the parse result. */
static int parse(const char *text, struct ctl_filter *f, char *err, size_t errlen)
{
	static char buf[16384], *argv[8192];
	char *save = NULL;
	int argc = 0;

	assert_true(strlen(text) < sizeof(buf));
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 8192; w = strtok_r(NULL, " ", &save))
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

/* Which of fix_conns()'s rows the filter matches: bit i for v[i]. */
#define M0 1u /* LISTEN     0.0.0.0:80        <-> 0.0.0.0:0 */
#define M1 2u /* ESTAB      10.77.0.2:80      <-> 10.77.0.1:43512 */
#define M2 4u /* TIME-WAIT  10.77.0.2:40000   <-> 10.77.0.1:8080 */

static unsigned match_set(const struct ctl_filter *f)
{
	struct ctl_conn v[3];
	unsigned m = 0;

	fix_conns(v);
	for (unsigned i = 0; i < 3; i++) {
		if (filter_match(f, &v[i]))
			m |= 1u << i;
	}
	return m;
}

static unsigned matches(const char *text)
{
	struct ctl_filter f = must_parse(text);

	return match_set(&f);
}

#define assert_matches(text, want)                                                         \
	do {                                                                               \
		unsigned got_ = matches(text);                                             \
		if (got_ != (want))                                                        \
			fail_msg("'%s' matched rows 0x%x, want 0x%x", text, got_, (want)); \
	} while (0)

/* The flat form: n clauses, clause i with terms[i] terms. */
static void assert_shape(const char *text, size_t n, const size_t *terms)
{
	struct ctl_filter f = must_parse(text);

	if (f.n != n)
		fail_msg("'%s': %zu clauses, want %zu", text, f.n, n);
	for (size_t i = 0; i < n; i++) {
		if (f.clauses[i].n != terms[i])
			fail_msg("'%s': clause %zu has %zu terms, want %zu", text, i,
				 f.clauses[i].n, terms[i]);
	}
}

/* not binds tightest, then and, then or; && || & | ! as ss spells them. */
static void test_precedence(void **state)
{
	/* a or (b and c), not (a or b) and c */
	assert_matches("sport = :40000 or sport = :80 and dport = :43512", M1 | M2);
	assert_matches("sport = :40000 || sport = :80 && dport = :43512", M1 | M2);
	assert_matches("sport = :40000 | sport = :80 & dport = :43512", M1 | M2);
	assert_matches("dport = :43512 and sport = :80 or sport = :40000", M1 | M2);
	/* (not a) and b, not (a and b) */
	assert_matches("not sport = :80 and dport = :8080", M2);
	assert_matches("not sport = :80 dport = :8080", M2);
	/* (not a) or b, not (a or b) */
	assert_matches("! sport = :80 or dport = :43512", M1 | M2);
	assert_shape("sport = :40000 or sport = :80 and dport = :43512", 2, (size_t[]){ 1, 2 });
	assert_shape("sport = :1 and sport = :2 or dport = :3 dport = :4 or src 10.0.0.1", 3,
		     (size_t[]){ 2, 2, 1 });
}

static void test_parentheses(void **state)
{
	assert_matches("( sport = :40000 or sport = :80 ) and dport = :43512", M1);
	assert_matches("( sport = :40000 or sport = :80 ) dport = :43512", M1);
	assert_matches("dport = :43512 ( sport = :40000 or sport = :80 )", M1);
	assert_matches("( ( ( sport = :40000 ) ) )", M2);
	assert_matches("dport = :43512 and ( sport = :1 or ( src 10.77.0.2 and sport < :100 ) )",
		       M1);
	assert_matches("( sport = :80 or dport = :8080 ) and ( src 10.77.0.2 or dport = :0 )",
		       M0 | M1 | M2);
	assert_matches("( sport = :80 or dport = :8080 ) and ( src 10.77.0.2 )", M1 | M2);
	/* state words outside parentheses apply to the whole filter, wherever they stand */
	assert_matches("state established ( sport = :80 or sport = :40000 )", M1);
	assert_matches("( sport = :80 or sport = :40000 ) exclude time-wait", M0 | M1);
	assert_matches("sport = :80 or state time-wait sport = :40000", M2);
	/* and distributes over or: (a or b) and (c or d) is four clauses of two */
	assert_shape("( sport = :1 or sport = :2 ) and ( dport = :3 or dport = :4 )", 4,
		     (size_t[]){ 2, 2, 2, 2 });
	struct ctl_filter f =
		must_parse("( sport = :1 or sport = :2 ) ( dport = :3 or dport = :4 )");
	assert_int_equal(f.clauses[1].terms[0].port, 1);
	assert_int_equal(f.clauses[1].terms[1].port, 4);
	assert_int_equal(f.clauses[2].terms[0].port, 2);
	assert_int_equal(f.clauses[2].terms[1].port, 3);
}

/* ss joins its arguments: the filter in one argument, or split anywhere at white space. */
static void test_one_argument(void **state)
{
	char *one[] = { "( sport = :40000 or sport = :80 ) and dport = :43512" };
	char *mixed[] = { "state", "established\t(", " sport = :80 ", "or", "sport = :40000 )" };
	char *blank[] = { "", "  ", "dport = :8080" };
	struct ctl_filter f;
	char err[256] = "";

	assert_int_equal(filter_parse(&f, 1, one, err, sizeof(err)), 0);
	assert_int_equal(match_set(&f), M1);
	assert_int_equal(filter_parse(&f, 5, mixed, err, sizeof(err)), 0);
	assert_int_equal(match_set(&f), M1);
	assert_int_equal(filter_parse(&f, 3, blank, err, sizeof(err)), 0);
	assert_int_equal(match_set(&f), M2);
	/* positions count words, not arguments */
	char *bad[] = { "sport = :80 or", "dport = :x" };
	assert_int_equal(filter_parse(&f, 2, bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "dport: bad port ':x' (word 7)"));
}

static void test_not(void **state)
{
	static const char *const ops[] = { "=", "!=", "<", "<=", ">", ">=" };
	static const enum filter_op opposite[] = { FILTER_NE, FILTER_EQ, FILTER_GE,
						   FILTER_GT, FILTER_LE, FILTER_LT };
	char text[128];
	struct ctl_filter f;

	assert_matches("not sport = :80", M2);
	assert_matches("! sport = :80", M2);
	assert_matches("not not sport = :80", M0 | M1);
	assert_matches("! ! ! sport = :80", M2);
	assert_matches("not ( not ( sport = :80 ) )", M0 | M1);
	/* a port comparison turns around rather than being negated */
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (unsigned port = 79; port <= 81; port++) {
			snprintf(text, sizeof(text), "sport %s :%u", ops[i], port);
			unsigned plain = matches(text);
			snprintf(text, sizeof(text), "not sport %s :%u", ops[i], port);
			assert_int_equal(matches(text), ~plain & 7u);
			f = must_parse(text);
			assert_int_equal(f.clauses[0].terms[0].op, opposite[i]);
			assert_false(f.clauses[0].terms[0].negate);
		}
	}
	/* De Morgan over ports */
	assert_matches("not ( sport = :80 or dport = :43512 )", M2);
	assert_shape("not ( sport = :80 or dport = :43512 )", 1, (size_t[]){ 2 });
	f = must_parse("not ( sport = :80 or dport = :43512 )");
	assert_int_equal(f.clauses[0].terms[0].op, FILTER_NE);
	assert_int_equal(f.clauses[0].terms[1].op, FILTER_NE);
	assert_matches("not ( sport = :80 and dport = :43512 )", M0 | M2);
	assert_shape("not ( sport = :80 and dport = :43512 )", 2, (size_t[]){ 1, 1 });
	/* nested: not (a and not (b or c)) = not a or b or c */
	assert_matches("not ( sport = :80 and not ( dport = :43512 or dport = :8080 ) )", M1 | M2);
	assert_shape("not ( sport = :80 and not ( dport = :43512 or dport = :8080 ) )", 3,
		     (size_t[]){ 1, 1, 1 });
	assert_matches("not ( sport = :80 and ! ( dport = :43512 || dport = :8080 ) ) src 0/0",
		       M1 | M2);
}

/* Whatever the expression, not ( E ) matches exactly the rows E does not. */
static void test_not_complements(void **state)
{
	static const char *const exprs[] = {
		"sport = :80",
		"sport = :80 or dport = :8080",
		"sport = :80 and dst 10.77.0.1",
		"src 10.77.0.2",
		"dst 10.77.0.0/24:43512",
		"not src 10.77.0.2:40000 or sport < :100",
		"( src 10.77.0.2 or dst *:8080 ) and not ( sport >= :1024 and dst 10.77/16 )",
		"! ( dport = :0 || src 10.77.0.2 ) && sport = :80",
		"src 0.0.0.0/8 dport = :0 or dst 10.77.0.1 sport > :80 or sport = :80 dport = "
		":43512",
	};
	char text[512];

	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		unsigned plain = matches(exprs[i]);

		snprintf(text, sizeof(text), "not ( %s )", exprs[i]);
		if (matches(text) != (~plain & 7u))
			fail_msg("'%s' matched 0x%x, '%s' 0x%x", exprs[i], plain, text,
				 matches(text));
	}
}

/* An address match has no opposite operator: not sets the term's negate flag. */
static void test_de_morgan_addresses(void **state)
{
	struct ctl_filter f;

	f = must_parse("not src 10.77.0.2");
	assert_int_equal(f.n, 1);
	assert_int_equal(f.clauses[0].terms[0].field, FILTER_SRC);
	assert_true(f.clauses[0].terms[0].negate);
	assert_int_equal(match_set(&f), M0);
	f = must_parse("not not src 10.77.0.2");
	assert_false(f.clauses[0].terms[0].negate);
	assert_int_equal(match_set(&f), M1 | M2);
	assert_matches("not dst 10.77.0.0/24", M0);
	assert_matches("! dst *:8080", M0 | M1);
	assert_matches("not src 10.77.0.2:40000", M0 | M1);
	/* not (a and b) = not a or not b: two clauses, each one negated term */
	f = must_parse("not ( src 10.77.0.2 and dst 10.77.0.1:43512 )");
	assert_int_equal(f.n, 2);
	assert_true(f.clauses[0].terms[0].negate);
	assert_true(f.clauses[1].terms[0].negate);
	assert_int_equal(f.clauses[1].terms[0].port, 43512);
	assert_int_equal(match_set(&f), M0 | M2);
	/* not (a or b) = not a and not b: one clause of two negated terms */
	f = must_parse("not ( src 10.77.0.2:40000 or dst 0.0.0.0/8 )");
	assert_int_equal(f.n, 1);
	assert_int_equal(f.clauses[0].n, 2);
	assert_true(f.clauses[0].terms[0].negate && f.clauses[0].terms[1].negate);
	assert_int_equal(match_set(&f), M1);
	/* mixed with ports: the port term turns around, the address term is negated */
	f = must_parse("not ( dst 10.77.0.1 or sport = :80 )");
	assert_true(f.clauses[0].terms[0].negate);
	assert_false(f.clauses[0].terms[1].negate);
	assert_int_equal(f.clauses[0].terms[1].op, FILTER_NE);
	assert_int_equal(match_set(&f), 0);
}

static void test_grammar_errors(void **state)
{
	must_fail("( sport = :80", "'(' is never closed (word 1)");
	must_fail("(", "'(' is never closed (word 1)");
	must_fail("sport = :80 )", "')' has no '(' before it (word 4)");
	must_fail("( sport = :80 ) )", "')' has no '(' before it (word 6)");
	must_fail(")", "')' has no '(' before it (word 1)");
	must_fail("( )", "'(' needs a term inside (word 1)");
	must_fail("sport = :80 and ( state established )", "'state' cannot stand here (word 6)");
	must_fail("not", "'not' needs a term after it (word 1)");
	must_fail("sport = :80 and !", "'!' needs a term after it (word 5)");
	must_fail("not or sport = :80", "'not' needs a term after it (word 1)");
	must_fail("( not ) sport = :80", "'not' needs a term after it (word 2)");
	must_fail("sport = :80 or", "'or' needs a term on each side (word 4)");
	must_fail("sport = :80 || || dport = :1", "'||' needs a term on each side (word 4)");
	must_fail("( or sport = :80 )", "'or' needs a term on each side (word 2)");
	must_fail("&& sport = :80", "'&&' needs a term on each side (word 1)");
	must_fail("sport = :80 and and dport = :1", "'and' needs a term on each side (word 4)");
	must_fail("sport = :80 and", "'and' needs a term on each side (word 4)");
	must_fail("( sport = :80 and ) dport = :1", "'and' needs a term on each side (word 5)");
	must_fail("sport = :80 frob", "unknown filter word 'frob' (word 4)");
	must_fail("sport = :80 OR dport = :1", "unknown filter word 'OR' (word 4)");
	must_fail("(sport = :80 )", "'(sport' (word 1): parentheses are words of their own");
	must_fail("( sport = :80)", "':80)' (word 4): parentheses are words of their own");
	must_fail("!sport = :80", "unknown filter word '!sport' (word 1): '!' is a word");
	must_fail("not state established", "'state' cannot stand here (word 2)");
	must_fail("! ( exclude listening )", "'exclude' cannot stand here (word 3)");
	must_fail("dport = :65536", "dport: bad port ':65536' (word 3)");
	must_fail("not sport", "sport: expected a port, like 'sport = :80' (at the end");
	must_fail("state", "state: expected a state name (at the end");
	must_fail("sport = :1 state bogus", "state: unknown state 'bogus' (word 5)");
	must_fail("src 10.0.0.1 or dst > 10.0.0.1",
		  "only '=' compares addresses, not '>' (word 5)");
}

/* pre, then n terms "TERM1", "TERM2"... (TERM = "sport = :") with sep between them, then post. */
static const char *repeat_terms(char *buf, size_t len, const char *pre, const char *term,
				const char *sep, int n, const char *post)
{
	size_t off = (size_t)snprintf(buf, len, "%s", pre);

	for (int i = 1; i <= n; i++) {
		off += (size_t)snprintf(buf + off, len - off, "%s", i > 1 ? sep : "");
		off += (size_t)snprintf(buf + off, len - off, "%s%d", term, i);
	}
	snprintf(buf + off, len - off, "%s", post);
	assert_true(off < len - strlen(post));
	return buf;
}

/* The multiplied-out form is bounded: what does not fit is a usage error, never truncated. */
static void test_expansion_bound(void **state)
{
	static char text[8192], a[2048], b[2048];
	struct ctl_filter f, before;
	char err[256] = "";

	assert_int_equal(FILTER_MAX_CLAUSES, 16);
	assert_int_equal(FILTER_MAX_TERMS, 16);
	/* 16 alternatives fit, 17 do not; the message names the 'or' and its word */
	f = must_parse(repeat_terms(text, sizeof(text), "", "sport = :", " or ", 16, ""));
	assert_int_equal(f.n, 16);
	must_fail(repeat_terms(text, sizeof(text), "", "sport = :", " or ", 17, ""),
		  "filter too big at 'or' (word 64): multiplied out");
	must_fail(text, "more alternatives than 16");
	/* (4 alternatives) and (4) = 16 fit; (4) and (5) = 20 do not */
	repeat_terms(a, sizeof(a), "( ", "sport = :", " or ", 4, " )");
	repeat_terms(b, sizeof(b), "( ", "dport = :", " or ", 4, " )");
	snprintf(text, sizeof(text), "%s and %s", a, b);
	assert_int_equal(must_parse(text).n, 16);
	repeat_terms(b, sizeof(b), "( ", "dport = :", " or ", 5, " )");
	snprintf(text, sizeof(text), "%s and %s", a, b);
	must_fail(text, "filter too big at 'and' (word 18)");
	/* not over 16 and-ed terms is 16 alternatives; over 17, too many */
	f = must_parse(
		repeat_terms(text, sizeof(text), "not ( ", "src 10.0.0.", " and ", 16, " )"));
	assert_int_equal(f.n, 16);
	assert_true(f.clauses[15].terms[0].negate);
	must_fail(repeat_terms(text, sizeof(text), "not ( ", "src 10.0.0.", " and ", 17, " )"),
		  "more alternatives than 16");
	/* 16 terms in a clause fit, 17 do not, however they come together */
	f = must_parse(repeat_terms(text, sizeof(text), "", "dport != :", " ", 16, ""));
	assert_int_equal(f.clauses[0].n, 16);
	must_fail(repeat_terms(text, sizeof(text), "", "dport != :", " ", 17, ""),
		  "an alternative of more terms than 16");
	repeat_terms(a, sizeof(a), "( ", "sport != :", " and ", 8, " )");
	repeat_terms(b, sizeof(b), "not ( ", "dport = :", " or ", 9, " )");
	snprintf(text, sizeof(text), "%s %s", a, b);
	must_fail(text, "an alternative of more terms than 16");
	/* a refused filter leaves the caller's untouched */
	f = must_parse("state established dport = :7");
	before = f;
	assert_int_equal(parse(text, &f, err, sizeof(err)), -EINVAL);
	assert_memory_equal(&f, &before, sizeof(f));
}

/* Nesting is bounded too (the parser recurses per parenthesis); not chains are not. */
static void test_depth(void **state)
{
	static char text[16384];
	size_t off = 0;

	for (int i = 0; i < FILTER_MAX_DEPTH; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, "( ");
	off += (size_t)snprintf(text + off, sizeof(text) - off, "sport = :80");
	for (int i = 0; i < FILTER_MAX_DEPTH; i++)
		off += (size_t)snprintf(text + off, sizeof(text) - off, " )");
	assert_int_equal(matches(text), M0 | M1);
	snprintf(text, sizeof(text), "( ");
	for (int i = 0; i <= FILTER_MAX_DEPTH; i++)
		strcat(text, "( ");
	strcat(text, "sport = :80");
	must_fail(text, "parentheses nested deeper than 32 (word 33)");
	/* 2001 nots: an odd count negates */
	text[0] = '\0';
	for (int i = 0; i < 2001; i++)
		strcat(text, "! ");
	strcat(text, "sport = :80");
	assert_int_equal(matches(text), M2);
}

/*
 * Random expressions against a direct evaluation of their tree: printed
 * with only the parentheses precedence needs (odd rounds) or around every
 * operator (even rounds), compiled, and matched against random endpoints.
 */
struct rnode {
	int kind; /* 0 term, 1 not, 2 and, 3 or */
	int term;
	struct rnode *a, *b;
};

static const char *const rterms[][3] = {
	{ "sport", "=", ":80" },	{ "dport", "<", ":1000" },  { "src", "10.0.0.0/8", NULL },
	{ "dst", "10.0.0.1:80", NULL }, { "sport", ">=", ":1000" }, { "dport", "!=", ":80" },
	{ "dst", "*:1000", NULL },
};

static bool rterm_match(int term, const struct ctl_conn *c)
{
	switch (term) {
	case 0:
		return c->local.port == 80;
	case 1:
		return c->remote.port < 1000;
	case 2:
		return c->local.addr >> 24 == 10;
	case 3:
		return c->remote.addr == FIX_IP(10, 0, 0, 1) && c->remote.port == 80;
	case 4:
		return c->local.port >= 1000;
	case 5:
		return c->remote.port != 80;
	}
	return c->remote.port == 1000;
}

static struct rnode *rgen(struct rnode *pool, int *used, int depth, unsigned *seed)
{
	struct rnode *n = &pool[(*used)++];
	int r = rand_r(seed) % 10;

	memset(n, 0, sizeof(*n));
	if (depth == 0 || r < 3) {
		n->term = rand_r(seed) % 7;
		return n;
	}
	n->kind = r < 5 ? 1 : r < 7 ? 2 : 3;
	n->a = rgen(pool, used, depth - 1, seed);
	if (n->kind != 1)
		n->b = rgen(pool, used, depth - 1, seed);
	return n;
}

static bool reval(const struct rnode *n, const struct ctl_conn *c)
{
	switch (n->kind) {
	case 0:
		return rterm_match(n->term, c);
	case 1:
		return !reval(n->a, c);
	case 2:
		return reval(n->a, c) && reval(n->b, c);
	}
	return reval(n->a, c) || reval(n->b, c);
}

/* Words of n into w; binds is how tightly the parent holds it (or 1, and 2, not 3). */
static void rprint(const struct rnode *n, int binds, bool full, char **w, int *nw, unsigned *seed)
{
	static const int prec[] = { 4, 3, 2, 1 };
	bool paren = full ? n->kind != 0 : prec[n->kind] < binds;

	if (paren)
		w[(*nw)++] = "(";
	switch (n->kind) {
	case 0:
		for (int i = 0; i < 3 && rterms[n->term][i]; i++)
			w[(*nw)++] = (char *)rterms[n->term][i];
		break;
	case 1:
		w[(*nw)++] = rand_r(seed) % 2 ? "not" : "!";
		rprint(n->a, 3, full, w, nw, seed);
		break;
	case 2:
		rprint(n->a, 2, full, w, nw, seed);
		if (rand_r(seed) % 3) /* else side by side */
			w[(*nw)++] = rand_r(seed) % 2 ? "and" : "&&";
		rprint(n->b, 3, full, w, nw, seed);
		break;
	case 3:
		rprint(n->a, 1, full, w, nw, seed);
		w[(*nw)++] = rand_r(seed) % 2 ? "or" : "||";
		rprint(n->b, 2, full, w, nw, seed);
		break;
	}
	if (paren)
		w[(*nw)++] = ")";
}

static void test_random_expressions(void **state)
{
	static const uint16_t ports[] = { 0, 79, 80, 81, 999, 1000, 1001 };
	static const uint32_t addrs[] = { 0, FIX_IP(10, 0, 0, 1), FIX_IP(10, 0, 0, 2),
					  FIX_IP(11, 0, 0, 1) };
	static struct rnode pool[128];
	static char *words[1024];
	unsigned seed = 13, compiled = 0;
	struct ctl_filter f;
	char err[256];

	for (int round = 0; round < 5000; round++) {
		int used = 0, nw = 0;
		const struct rnode *root = rgen(pool, &used, rand_r(&seed) % 6, &seed);

		rprint(root, 0, round % 2 == 0, words, &nw, &seed);
		if (filter_parse(&f, nw, words, err, sizeof(err)) != 0) {
			if (!strstr(err, "filter too big"))
				fail_msg("round %d: %s", round, err);
			continue;
		}
		compiled++;
		for (int k = 0; k < 50; k++) {
			struct ctl_conn c = { .state = CTL_STATE_ESTABLISHED };

			c.local = (struct ctl_endpoint){ addrs[rand_r(&seed) % 4],
							 ports[rand_r(&seed) % 7] };
			c.remote = (struct ctl_endpoint){ addrs[rand_r(&seed) % 4],
							  ports[rand_r(&seed) % 7] };
			if (filter_match(&f, &c) != reval(root, &c))
				fail_msg("round %d: the compiled filter and its tree disagree",
					 round);
		}
	}
	assert_true(compiled > 4500);
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
		cmocka_unit_test(test_state_names),
		cmocka_unit_test(test_state_groups),
		cmocka_unit_test(test_match_states),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_and_or),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_service_names),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_parentheses),
		cmocka_unit_test(test_one_argument),
		cmocka_unit_test(test_not),
		cmocka_unit_test(test_not_complements),
		cmocka_unit_test(test_de_morgan_addresses),
		cmocka_unit_test(test_grammar_errors),
		cmocka_unit_test(test_expansion_bound),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_random_expressions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
