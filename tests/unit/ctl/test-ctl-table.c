/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-table.c - the column formatter (widths from data, alignment,
 * joined columns, detail lines, trimming) and ss's timer format.
 */
#include "ctl-test.h"

#include "table.h"

static void test_widths_and_alignment(void **state)
{
	static const struct table_column cols[] = {
		{ "Name", TABLE_LEFT, NULL },
		{ "N", TABLE_RIGHT, NULL },
		{ "Note", TABLE_LEFT, NULL },
	};
	struct table t;
	struct ctl_capture cap;

	assert_int_equal(table_init(&t, cols, 3), 0);
	table_row_begin(&t);
	table_cell(&t, "a");
	table_cell(&t, "1000");
	table_cell(&t, "");
	table_row_begin(&t);
	table_cell(&t, "longer");
	table_cell_printf(&t, "%d", 7);
	table_cell(&t, "x");
	table_row_detail(&t, "detail");
	ctl_capture_begin(&cap);
	assert_int_equal(table_print(&t, cap.f, 0), 0);
	assert_string_equal(ctl_capture_end(&cap), "Name      N Note\n"
						   "a      1000\n"
						   "longer    7 x\n"
						   "\tdetail\n");
	ctl_capture_free(&cap);
	ctl_capture_begin(&cap);
	table_print(&t, cap.f, TABLE_NO_HEADER);
	assert_string_equal(ctl_capture_end(&cap), "a      1000\nlonger    7 x\n\tdetail\n");
	ctl_capture_free(&cap);
	table_free(&t);
}

/* ss's "Local Address:Port": the address right-aligned against a ':' and the port. */
static void test_joined_columns(void **state)
{
	static const struct table_column cols[] = {
		{ "Local Address", TABLE_RIGHT, ":" },
		{ "Port", TABLE_LEFT, NULL },
	};
	struct table t;
	struct ctl_capture cap;

	table_init(&t, cols, 2);
	table_row_begin(&t);
	table_cell(&t, "10.0.0.1");
	table_cell(&t, "80");
	ctl_capture_begin(&cap);
	table_print(&t, cap.f, 0);
	assert_string_equal(ctl_capture_end(&cap), "Local Address:Port\n"
						   "     10.0.0.1:80\n");
	ctl_capture_free(&cap);
	table_free(&t);
}

/* UTF-8 text counts by characters, not bytes. */
static void test_utf8_width(void **state)
{
	static const struct table_column cols[] = {
		{ "Who", TABLE_LEFT, NULL },
		{ "N", TABLE_LEFT, NULL },
	};
	struct table t;
	struct ctl_capture cap;

	table_init(&t, cols, 2);
	table_row_begin(&t);
	table_cell(&t, "zoë");
	table_cell(&t, "1");
	table_row_begin(&t);
	table_cell(&t, "abcd");
	table_cell(&t, "2");
	ctl_capture_begin(&cap);
	table_print(&t, cap.f, TABLE_NO_HEADER);
	assert_string_equal(ctl_capture_end(&cap), "zoë  1\nabcd 2\n");
	ctl_capture_free(&cap);
	table_free(&t);
}

static void test_bad_use(void **state)
{
	struct table t;
	static const struct table_column one[] = { { "A", TABLE_LEFT, NULL } };

	assert_int_equal(table_init(&t, one, 0), -EINVAL);
	assert_int_equal(table_init(&t, one, TABLE_MAX_COLUMNS + 1), -EINVAL);
	table_init(&t, one, 1);
	assert_int_equal(table_cell(&t, "no row yet"), -ENOSPC);
	table_row_begin(&t);
	assert_int_equal(table_cell(&t, "a"), 0);
	assert_int_equal(table_cell(&t, "one too many"), -ENOSPC);
	table_free(&t);
	table_free(NULL);
}

static void check_time(uint64_t ms, const char *want)
{
	char buf[32];

	assert_int_equal(table_format_ss_time(ms, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
}

/* print_ms_timer's rules, with our two departures for 0 and < 100 ms. */
static void test_ss_time(void **state)
{
	check_time(0, "0ms");
	check_time(5, "5ms");
	check_time(200, "200ms");
	check_time(999, "999ms");
	check_time(1000, "1sec");
	check_time(1098, "1.098sec");
	check_time(9501, "9.501sec");
	check_time(9999, "9.999sec");
	check_time(10000, "10sec");
	check_time(10999, "10sec"); /* milliseconds go from ten seconds up */
	check_time(59000, "59sec");
	check_time(59999, "59sec");
	check_time(60000, "1min");
	check_time(61500, "1min1sec"); /* and from a minute up */
	check_time(125000, "2min5sec");
	check_time(599999, "9min59sec");
	check_time(600000, "10min");
	check_time(659000, "10min"); /* seconds go from ten minutes up */
	check_time(7140000, "119min");
	check_time(7199999, "119min");
}

static void test_ss_timer(void **state)
{
	struct ctl_timer on = { CTL_TIMER_ON, 200, 0 };
	struct ctl_timer ka = { CTL_TIMER_KEEPALIVE, 7140000, 0 };
	struct ctl_timer tw = { CTL_TIMER_TIMEWAIT, 59000, 0 };
	struct ctl_timer pe = { CTL_TIMER_PERSIST, 1500, 3 };
	struct ctl_timer da = { CTL_TIMER_DELACK, 40, 0 };
	struct ctl_timer off = { CTL_TIMER_OFF, 0, 0 };
	char buf[64];

	table_format_ss_timer(&on, buf, sizeof(buf));
	assert_string_equal(buf, "timer:(on,200ms,0)");
	table_format_ss_timer(&ka, buf, sizeof(buf));
	assert_string_equal(buf, "timer:(keepalive,119min,0)");
	table_format_ss_timer(&tw, buf, sizeof(buf));
	assert_string_equal(buf, "timer:(timewait,59sec,0)");
	table_format_ss_timer(&pe, buf, sizeof(buf));
	assert_string_equal(buf, "timer:(persist,1.500sec,3)");
	table_format_ss_timer(&da, buf, sizeof(buf));
	assert_string_equal(buf, "timer:(delack,40ms,0)");
	assert_int_equal(table_format_ss_timer(&off, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(table_format_ss_timer(&ka, buf, 10), -ENOBUFS);
	assert_int_equal(table_format_ss_time(7140000, buf, 4), -ENOBUFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_widths_and_alignment),
		cmocka_unit_test(test_joined_columns),
		cmocka_unit_test(test_utf8_width),
		cmocka_unit_test(test_bad_use),
		cmocka_unit_test(test_ss_time),
		cmocka_unit_test(test_ss_timer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
