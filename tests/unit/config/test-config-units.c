/* SPDX-License-Identifier: MIT */
/*
 * test-config-units.c - durations, sizes and percentages: what parses to
 * what, what is refused and why (-EINVAL malformed, -ERANGE too large, -EDOM
 * finer than the base unit), and that format then parse gives the value back.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

struct unit_case {
	const char *text;
	int r;
	uint64_t value;
};

static void test_duration_parse(void **state)
{
	static const struct unit_case cases[] = {
		{ "200ms", 0, 200000 },
		{ "30s", 0, 30000000 },
		{ "2h", 0, 7200000000ull },
		{ "5min", 0, 300000000 },
		{ "7us", 0, 7 },
		{ "7µs", 0, 7 },
		{ "0ms", 0, 0 },
		{ "1.5s", 0, 1500000 },
		{ "0.001ms", 0, 1 },
		{ "1.250s", 0, 1250000 },
		{ "1.05s", 0, 1050000 },
		{ "30 s", 0, 30000000 },
		{ "007ms", 0, 7000 },
		{ "5124095576h", 0, 5124095576ull * 3600000000ull },
		{ "18446744073709551615us", 0, UINT64_MAX },
		{ "200", -EINVAL, 0 }, /* a bare number has no unit */
		{ "0", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "ms", -EINVAL, 0 },
		{ "5sec", -EINVAL, 0 },
		{ "5S", -EINVAL, 0 },
		{ "5m", -EINVAL, 0 },
		{ "-1s", -EINVAL, 0 },
		{ "+1s", -EINVAL, 0 },
		{ "1e3ms", -EINVAL, 0 },
		{ "1.s", -EINVAL, 0 },
		{ ".5s", -EINVAL, 0 },
		{ "1..5s", -EINVAL, 0 },
		{ "1s ", -EINVAL, 0 },
		{ "1s2ms", -EINVAL, 0 },
		{ "0.5us", -EDOM, 0 },
		{ "0.0000001s", -EDOM, 0 },
		{ "1.0000000000000000001s", -EDOM, 0 },
		{ "5124095577h", -ERANGE, 0 },
		{ "18446744073709551616us", -ERANGE, 0 },
		{ "99999999999999999999999999s", -ERANGE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0xdead;
		int r = config_parse_duration(cases[i].text, &v);

		print_message("duration %s\n", cases[i].text);
		assert_int_equal(r, cases[i].r);
		assert_int_equal(v, cases[i].r ? 0xdead : cases[i].value);
	}
}

static void test_size_parse(void **state)
{
	static const struct unit_case cases[] = {
		{ "4096", 0, 4096 },
		{ "0", 0, 0 },
		{ "10B", 0, 10 },
		{ "256KiB", 0, 256 * 1024 },
		{ "64MiB", 0, 64ull << 20 },
		{ "1.5MiB", 0, 3ull << 19 },
		{ "2GiB", 0, 2ull << 30 },
		{ "4 KiB", 0, 4096 },
		{ "18446744073709551615", 0, UINT64_MAX },
		{ "17179869183GiB", 0, 17179869183ull << 30 },
		{ "1KB", -EINVAL, 0 },
		{ "1k", -EINVAL, 0 },
		{ "1kib", -EINVAL, 0 },
		{ "01", -EINVAL, 0 }, /* YAML 1.1 would read octal */
		{ "1.5", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "KiB", -EINVAL, 0 },
		{ "-1", -EINVAL, 0 },
		{ "0.5B", -EDOM, 0 },
		{ "0.1KiB", -EDOM, 0 },
		{ "17179869184GiB", -ERANGE, 0 },
		{ "18446744073709551616", -ERANGE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0xdead;
		int r = config_parse_size(cases[i].text, &v);

		print_message("size %s\n", cases[i].text);
		assert_int_equal(r, cases[i].r);
		assert_int_equal(v, cases[i].r ? 0xdead : cases[i].value);
	}
}

static void test_percent_parse(void **state)
{
	static const struct unit_case cases[] = {
		{ "0%", 0, 0 },
		{ "100%", 0, 1000000 },
		{ "0.5%", 0, 5000 },
		{ "0.0001%", 0, 1 },
		{ "33.3333%", 0, 333333 },
		{ "100.0%", 0, 1000000 },
		{ "1 %", 0, 10000 },
		{ "100.0001%", -ERANGE, 0 },
		{ "101%", -ERANGE, 0 },
		{ "99999999999999999999%", -ERANGE, 0 },
		{ "0.00001%", -EDOM, 0 },
		{ "5", -EINVAL, 0 },
		{ "%", -EINVAL, 0 },
		{ "-1%", -EINVAL, 0 },
		{ "5%%", -EINVAL, 0 },
		{ "0.5", -EINVAL, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t v = 0xdead;
		int r = config_parse_percent(cases[i].text, &v);

		print_message("percent %s\n", cases[i].text);
		assert_int_equal(r, cases[i].r);
		assert_int_equal(v, cases[i].r ? 0xdead : cases[i].value);
	}
}

static void test_format(void **state)
{
	char buf[32];

	assert_int_equal(config_format_duration(0, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "0s");
	config_format_duration(30000000, buf, sizeof(buf));
	assert_string_equal(buf, "30s");
	config_format_duration(7200000000ull, buf, sizeof(buf));
	assert_string_equal(buf, "2h");
	config_format_duration(90000000, buf, sizeof(buf));
	assert_string_equal(buf, "90s");
	config_format_duration(300000000, buf, sizeof(buf));
	assert_string_equal(buf, "5min");
	config_format_duration(200000, buf, sizeof(buf));
	assert_string_equal(buf, "200ms");
	config_format_duration(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1500us");
	config_format_size(0, buf, sizeof(buf));
	assert_string_equal(buf, "0B");
	config_format_size(262144, buf, sizeof(buf));
	assert_string_equal(buf, "256KiB");
	config_format_size(3ull << 19, buf, sizeof(buf));
	assert_string_equal(buf, "1536KiB");
	config_format_size(1ull << 30, buf, sizeof(buf));
	assert_string_equal(buf, "1GiB");
	config_format_size(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000B");
	assert_int_equal(config_format_percent(5000, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "0.5%");
	config_format_percent(1, buf, sizeof(buf));
	assert_string_equal(buf, "0.0001%");
	config_format_percent(1000000, buf, sizeof(buf));
	assert_string_equal(buf, "100%");
	config_format_percent(123450, buf, sizeof(buf));
	assert_string_equal(buf, "12.345%");
	/* Too small a buffer is an error, never a truncated value. */
	assert_int_equal(config_format_duration(30000000, buf, 3), -ENOBUFS);
	assert_int_equal(config_format_duration(30000000, buf, 4), 3);
	assert_int_equal(config_format_size(262144, buf, 6), -ENOBUFS);
	assert_int_equal(config_format_percent(5000, buf, 4), -ENOBUFS);
	assert_int_equal(config_format_percent(5000, NULL, 0), -ENOBUFS);
}

/* Values spread over the whole range, including the edges. */
static uint64_t next_value(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void test_round_trip(void **state)
{
	uint64_t x = 88172645463325252ull;
	char buf[32];

	for (unsigned i = 0; i < 200000; i++) {
		uint64_t v = next_value(&x), back = 0;
		uint32_t ppm = (uint32_t)(v % 1000001), pback = 0;

		/* Shift so that small values, and values with many zeros, come up too. */
		v >>= (i % 64);
		if (i % 3 == 0)
			v = (v % 100000) * (i % 2 ? 3600000000ull : 1048576ull);
		if (i < 64)
			v = UINT64_MAX >> i;
		assert_true(config_format_duration(v, buf, sizeof(buf)) > 0);
		assert_int_equal(config_parse_duration(buf, &back), 0);
		assert_int_equal(back, v);
		assert_true(config_format_size(v, buf, sizeof(buf)) > 0);
		assert_int_equal(config_parse_size(buf, &back), 0);
		assert_int_equal(back, v);
		assert_true(config_format_percent(ppm, buf, sizeof(buf)) > 0);
		assert_int_equal(config_parse_percent(buf, &pback), 0);
		assert_int_equal(pback, ppm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration_parse), cmocka_unit_test(test_size_parse),
		cmocka_unit_test(test_percent_parse),  cmocka_unit_test(test_format),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
