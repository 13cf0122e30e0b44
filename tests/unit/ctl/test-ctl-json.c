/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-json.c - the JSON writer: escaping (quotes, backslashes, every
 * control character), UTF-8 passed through, invalid bytes replaced,
 * numbers, nesting and commas, misuse reported. ctl-json-valid.sh checks the
 * real outputs with a JSON parser.
 */
#include <math.h>

#include "ctl-test.h"

#include "json.h"

static char *escaped(const char *s)
{
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	json_write_escaped(cap.f, s);
	ctl_capture_end(&cap);
	return cap.buf;
}

static void check_escape(const char *in, const char *want)
{
	char *out = escaped(in);

	assert_string_equal(out, want);
	free(out);
}

static void test_escapes(void **state)
{
	check_escape("plain", "\"plain\"");
	check_escape("", "\"\"");
	check_escape("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	check_escape("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	check_escape("\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"");
	check_escape("\x1b[31m", "\"\\u001b[31m\"");
}

static void test_utf8(void **state)
{
	check_escape("zoë ✓ 𝄞", "\"zoë ✓ 𝄞\""); /* 2, 3 and 4 bytes pass */
	check_escape("a\xff"
		     "b",
		     "\"a\xef\xbf\xbd"
		     "b\"");							  /* a stray byte */
	check_escape("\xc3", "\"\xef\xbf\xbd\"");				  /* cut short */
	check_escape("\xc0\xaf", "\"\xef\xbf\xbd\xef\xbf\xbd\"");		  /* overlong '/' */
	check_escape("\xed\xa0\x80", "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""); /* surrogate */
}

static void test_nesting(void **state)
{
	struct json_writer w;
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	json_writer_init(&w, cap.f, 0);
	json_object_begin(&w);
	json_kv_string(&w, "s", "x");
	json_kv_int(&w, "i", -42);
	json_kv_uint(&w, "u", UINT64_MAX);
	json_kv_double(&w, "d", 0.1);
	json_kv_double(&w, "nan", NAN);
	json_kv_bool(&w, "t", true);
	json_key(&w, "n");
	json_null(&w);
	json_key(&w, "a");
	json_array_begin(&w);
	json_uint(&w, 1);
	json_array_begin(&w);
	json_array_end(&w);
	json_object_begin(&w);
	json_object_end(&w);
	json_array_end(&w);
	json_object_end(&w);
	assert_int_equal(json_writer_end(&w), 0);
	assert_string_equal(ctl_capture_end(&cap),
			    "{\"s\":\"x\",\"i\":-42,\"u\":18446744073709551615,\"d\":0.1,"
			    "\"nan\":null,\"t\":true,\"n\":null,\"a\":[1,[],{}]}\n");
	ctl_capture_free(&cap);
}

static void test_array_lines(void **state)
{
	struct json_writer w;
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	json_writer_init(&w, cap.f, JSON_ARRAY_LINES);
	json_array_begin(&w);
	for (int i = 0; i < 2; i++) {
		json_object_begin(&w);
		json_kv_int(&w, "i", i);
		json_key(&w, "inner");
		json_array_begin(&w);
		json_int(&w, 1);
		json_int(&w, 2);
		json_array_end(&w);
		json_object_end(&w);
	}
	json_array_end(&w);
	assert_int_equal(json_writer_end(&w), 0);
	assert_string_equal(ctl_capture_end(&cap),
			    "[\n{\"i\":0,\"inner\":[1,2]},\n{\"i\":1,\"inner\":[1,2]}\n]\n");
	ctl_capture_free(&cap);
}

static void test_doubles_shortest(void **state)
{
	struct json_writer w;
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	json_writer_init(&w, cap.f, 0);
	json_array_begin(&w);
	json_double(&w, 0.312);
	json_double(&w, 204);
	json_double(&w, 1000); /* a listener's rto_ms: not %g's 1e+03 */
	json_double(&w, -0.0);
	json_double(&w, 1e21);
	json_double(&w, -0.5);
	json_double(&w, INFINITY);
	json_array_end(&w);
	assert_string_equal(ctl_capture_end(&cap), "[0.312,204,1000,0,1e+21,-0.5,null]\n");
	ctl_capture_free(&cap);
}

static void test_misuse(void **state)
{
	struct json_writer w;
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	json_writer_init(&w, cap.f, 0);
	json_object_begin(&w);
	json_int(&w, 1); /* a value without a key */
	assert_int_equal(json_writer_end(&w), -EINVAL);

	json_writer_init(&w, cap.f, 0);
	json_array_begin(&w);
	json_key(&w, "k"); /* a key in an array */
	assert_int_equal(json_writer_end(&w), -EINVAL);

	json_writer_init(&w, cap.f, 0);
	json_array_begin(&w);
	json_object_end(&w); /* the wrong closer */
	assert_int_equal(json_writer_end(&w), -EINVAL);

	json_writer_init(&w, cap.f, 0);
	json_object_begin(&w); /* never closed */
	assert_int_equal(json_writer_end(&w), -EINVAL);

	json_writer_init(&w, cap.f, 0);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_array_begin(&w);
	assert_int_equal(json_writer_end(&w), -EINVAL);
	ctl_capture_end(&cap);
	ctl_capture_free(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escapes),		 cmocka_unit_test(test_utf8),
		cmocka_unit_test(test_nesting),		 cmocka_unit_test(test_array_lines),
		cmocka_unit_test(test_doubles_shortest), cmocka_unit_test(test_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
