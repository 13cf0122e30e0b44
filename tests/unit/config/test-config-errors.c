/* SPDX-License-Identifier: MIT */
/*
 * test-config-errors.c - every way a configuration file can be wrong, and
 * that each is reported at its FILE:LINE:COLUMN (1-based), that all of them
 * are listed, and that a failed load leaves the caller's config untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config-test.h"

static void test_empty_is_defaults(void **state)
{
	static const char *const texts[] = {
		"",	      "\n\n",	"# nothing but a comment\n", "---\n", "--- ~\n",
		"---\n...\n", "null\n", "interface:\ntcp:\n"
	};
	struct synack_config def, c;

	config_defaults(&def);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		memset(&c, 0xa5, sizeof(c));
		config_test_ok(texts[i], &c);
		assert_memory_equal(&c, &def, sizeof(c));
	}
	memset(&c, 0xa5, sizeof(c));
	assert_int_equal(config_load_buffer("null", NULL, 0, &c, NULL), 0);
	assert_memory_equal(&c, &def, sizeof(c));
}

static void test_top_level_shape(void **state)
{
	config_test_one_error("hello\n", 1, 1, "the top level must be a mapping of sections");
	config_test_one_error("\"\"\n", 1, 1, "not a scalar");
	config_test_one_error("42\n", 1, 1, "not a scalar");
	config_test_one_error("- interface\n- tcp\n", 1, 1, "not a sequence");
	config_test_one_error("[1, {a: b}]\n", 1, 1, "not a sequence");
	config_test_one_error("\n\ninterfaces:\n  mtu: 1500\n", 3, 1,
			      "unknown section \"interfaces\" (known: interface, rpc");
}

/* The check from the issue: an unknown key on line 7, column 3. */
static void test_unknown_key_position(void **state)
{
	config_test_one_error("# synackd\n"
			      "interface:\n"
			      "  tap: synack0\n"
			      "  mtu: 1500\n"
			      "\n"
			      "tcp:\n"
			      "  msll: 30s\n",
			      7, 3, "unknown key \"msll\" in tcp");
	config_test_one_error("tcp:\n  rto:\n    minimum: 1s\n", 3, 5,
			      "unknown key \"minimum\" in tcp.rto");
	config_test_one_error("tcp: { keepalive: { time: 1h, count: 3 } }\n", 1, 31,
			      "unknown key \"count\" in tcp.keepalive");
	config_test_one_error("tcp:\n  rto.min: 1s\n", 2, 3,
			      "write dotted names as nested mappings");
	config_test_one_error("interface:\n  \"\": 1\n", 2, 3, "unknown key \"\" in interface");
	/* The value of an unknown key is skipped whatever its shape. */
	config_test_one_error("log:\n  level: info\n  extra:\n    a: [1, 2, {b: c}]\n    d: e\n", 3,
			      3, "unknown key \"extra\" in log");
	/* A very long or odd key is quoted and cut short in the message. */
	config_test_one_error("log:\n  ? "
			      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
			      "aaaaaaaaaa\\x01\"\n  : 1\n",
			      2, 5, "unknown key \"aaaa");
}

static void test_wrong_shapes(void **state)
{
	config_test_one_error("interface:\n  mtu: { value: 1500 }\n", 2, 8,
			      "interface.mtu: expected a single value, not a mapping");
	config_test_one_error("interface:\n  mtu: [1500]\n", 2, 8, "not a sequence");
	config_test_one_error("interface:\n  mtu:\n    - 1500\n", 3, 5, "not a sequence");
	config_test_one_error("tcp: 5\n", 1, 6,
			      "tcp: is a section, expected a mapping of its keys, not a scalar");
	config_test_one_error("tcp: \"\"\n", 1, 6, "is a section");
	config_test_one_error("tcp:\n  rto: 200ms\n", 2, 8, "tcp.rto: is a section");
	config_test_one_error("tcp:\n  - msl: 30s\n", 2, 3, "not a sequence");
	/* Wrong nesting: a tcp key under interface, an interface key at the top. */
	config_test_one_error("interface:\n  msl: 30s\n", 2, 3, "unknown key \"msl\" in interface");
	config_test_one_error("mtu: 1500\n", 1, 1, "unknown section \"mtu\"");
	config_test_one_error("? [a]\n: 1\n", 1, 3, "a key must be a name, not a sequence");
	config_test_one_error("log:\n  ? {a: b}\n  : 1\n", 2, 5,
			      "a key must be a name, not a mapping");
	config_test_one_error("interface:\n  mtu:\n", 2, 7, "interface.mtu: missing value");
	config_test_one_error("interface:\n  mtu: ~\n", 2, 8, "missing value");
	config_test_one_error("interface:\n  netns: null\n", 2, 10, "missing value");
}

static void test_duplicate_keys(void **state)
{
	config_test_one_error("interface:\n  mtu: 1500\n  tap: a\n  mtu: 9000\n", 4, 3,
			      "duplicate key interface.mtu (first at line 2)");
	config_test_one_error("log: {level: info}\ntcp: {}\nlog: {level: debug}\n", 3, 1,
			      "duplicate key log (first at line 1)");
	config_test_one_error("tcp:\n  rto: {min: 1s, min: 2s}\n", 2, 18,
			      "duplicate key tcp.rto.min");
	config_test_one_error("tcp:\n  rto: {min: 1s}\n  rto: {max: 2s}\n", 3, 3,
			      "duplicate key tcp.rto (first at line 2)");
	/* The same key name in different sections is no duplicate. */
	struct synack_config c;

	config_test_ok("rpc: {group: a, mode: 0600}\ncontrol: {group: b, mode: 0640}\n", &c);
	assert_string_equal(c.rpc.group, "a");
	assert_string_equal(c.control.group, "b");
}

static void test_all_errors_listed(void **state)
{
	static const char text[] = "interface:\n"		    /* 1 */
				   "  mtu: 10\n"		    /* 2: range */
				   "  colour: blue\n"		    /* 3: unknown */
				   "tcp:\n"			    /* 4 */
				   "  msl: 30\n"		    /* 5: no unit */
				   "  rto: { min: 1s, min: 1s }\n"  /* 6: duplicate */
				   "  keepalive: 1h\n"		    /* 7: section as scalar */
				   "impair:\n"			    /* 8 */
				   "  loss: 200%\n"		    /* 9: range */
				   "  seed: 99999999999999999999\n" /* 10: overflow */
				   "log: { level: [debug] }\n";	    /* 11: shape */
	struct config_errors errs = { 0 };
	struct synack_config c;

	assert_int_equal(config_test_load(text, &c, &errs), -EINVAL);
	config_test_dump(&errs);
	assert_int_equal(errs.n, 8);
	config_test_error_is(&errs, 0, 2, 8, "interface.mtu");
	config_test_error_is(&errs, 1, 3, 3, "unknown key \"colour\"");
	config_test_error_is(&errs, 2, 5, 8, "tcp.msl: expected a duration");
	config_test_error_is(&errs, 3, 6, 19, "duplicate key tcp.rto.min");
	config_test_error_is(&errs, 4, 7, 14, "tcp.keepalive: is a section");
	config_test_error_is(&errs, 5, 9, 9, "impair.loss: \"200%\" is out of range");
	config_test_error_is(&errs, 6, 10, 9, "impair.seed");
	config_test_error_is(&errs, 7, 11, 15,
			     "log.level: expected a single value, not a sequence");
	config_errors_free(&errs);
}

/* libyaml cannot go on after a syntax error: the errors before it and the syntax error are listed. */
static void test_syntax_errors(void **state)
{
	struct config_errors errs = { 0 };
	struct synack_config c;

	/* Truncated files. */
	config_test_one_error("interface:\n  tap: \"abc\n", 3, 1,
			      "syntax error: found unexpected end of stream");
	config_test_one_error("interface: { mtu: 1500", 1, 23, "syntax error");
	config_test_one_error("interface:\n  mtu: 1500\n  tap: 'x", 3, 10, "syntax error");
	config_test_one_error("interface:\n  mtu: 1500\n tap: x\n", 3, 2, "syntax error");
	config_test_one_error("interface:\n    mtu: 1500\n  tap: x\n", 3, 3,
			      "syntax error: did not find expected key");
	assert_int_equal(config_test_load("interface: mtu: 1500\n", &c, &errs), -EINVAL);
	assert_int_equal(errs.n, 2); /* libyaml hands over "mtu" before it sees the second ':' */
	config_test_error_is(&errs, 0, 1, 12, "interface: is a section");
	config_test_error_is(&errs, 1, 1, 15, "syntax error: mapping values are not allowed");
	config_test_one_error("tcp:\n  rto: &\n", 2, 9,
			      "syntax error: did not find expected alphabetic");
	config_test_one_error("%YAML 2.0\n---\n", 1, 1, "syntax error");
	/* An error before the syntax error is still listed. */
	assert_int_equal(config_test_load("interface:\n  mtu: 5\n  tap: [x\n", &c, &errs), -EINVAL);
	assert_int_equal(errs.n, 3);
	config_test_error_is(&errs, 0, 2, 8, "out of range");
	config_test_error_is(&errs, 1, 3, 8, "not a sequence");
	config_test_error_is(&errs, 2, 4, 1, "syntax error");
	config_errors_free(&errs);
}

static void test_tabs(void **state)
{
	config_test_one_error("interface:\n\tmtu: 1500\n", 2, 1, "indent with spaces, not tabs");
	config_test_one_error("interface:\n  mtu: 1500\n\t\n  tap: x\n", 3, 1, "not tabs");
	/* A tab after the value is white space YAML allows. */
	struct synack_config c;

	config_test_ok("interface:\n  mtu:\t9000\t# jumbo\n", &c);
	assert_int_equal(c.interface.mtu, 9000);
}

static void test_not_utf8(void **state)
{
	struct config_errors errs = { 0 };
	struct synack_config c;
	static const char latin1[] = "interface:\n  tap: ab\xff\n";
	static const char nul[] = "interface:\n  tap: a\0b\n";
	static const char utf16[] = "\xff\xfei\0n\0";
	static const char cut[] = "log:\n  level: é\xc3";

	assert_int_equal(config_load_buffer("t.yaml", latin1, sizeof(latin1) - 1, &c, &errs),
			 -EINVAL);
	assert_int_equal(errs.n, 1);
	config_test_error_is(&errs, 0, 2, 10,
			     "not UTF-8 text: invalid leading UTF-8 octet (byte 0xff)");
	assert_int_equal(config_load_buffer("t.yaml", nul, sizeof(nul) - 1, &c, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	config_test_error_is(&errs, 0, 2, 9, "control characters are not allowed (byte 0x00)");
	assert_int_equal(config_load_buffer("t.yaml", utf16, sizeof(utf16) - 1, &c, &errs),
			 -EINVAL);
	assert_int_equal(errs.n, 1);
	config_test_error_is(&errs, 0, 1, 1, "not UTF-8");
	assert_int_equal(config_load_buffer("t.yaml", cut, sizeof(cut) - 1, &c, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	config_test_error_is(&errs, 0, 2, 11, "incomplete UTF-8 octet sequence");
	config_errors_free(&errs);
	/* UTF-8 itself, with a byte order mark, is fine; columns count characters. */
	config_test_ok("\xef\xbb\xbfinterface: { tap: \"é\" }\n", &c);
	assert_string_equal(c.interface.tap, "é");
	config_test_one_error("# é\nlog: { lével: x }\n", 2, 8, "unknown key \"lével\" in log");
}

static void test_huge_numbers(void **state)
{
	config_test_one_error("interface:\n  mtu: 99999999999999999999999999999999\n", 2, 8,
			      "out of range (68..65520)");
	config_test_one_error("impair:\n  seed: 18446744073709551616\n", 2, 9,
			      "out of range (0..18446744073709551615)");
	config_test_one_error("tcp:\n  msl: 18446744073709551616us\n", 2, 8,
			      "out of range (1ms..10min)");
	config_test_one_error("tcp:\n  msl: 5124095577h\n", 2, 8, "out of range");
	config_test_one_error("limits:\n  max_frame: 99999999999999999999999GiB\n", 2, 14,
			      "out of range");
	config_test_one_error("impair:\n  loss: 4294967296%\n", 2, 9, "out of range (0%..100%)");
}

static void test_documents_anchors_tags(void **state)
{
	config_test_one_error("log: {level: info}\n---\nlog: {level: debug}\n", 2, 1,
			      "a second YAML document");
	config_test_one_error("---\nlog: {level: info}\n...\n---\n", 4, 1,
			      "a second YAML document");
	config_test_one_error("interface: &i {mtu: 1500}\n", 1, 12,
			      "anchor &i: anchors and aliases are not supported");
	config_test_one_error("x: &a [1]\n", 1, 1, "unknown section");
	config_test_one_error("interface:\n  tap: *t\n", 2, 8,
			      "alias *t: anchors and aliases are not supported");
	config_test_one_error("interface:\n  mtu: !!int 1500\n", 2, 8,
			      "tag tag:yaml.org,2002:int: tags are not supported");
	config_test_one_error("!!map\ninterface: {}\n", 1, 1, "tags are not supported");
	config_test_one_error("tcp: *x\n", 1, 6, "alias *x");
	/* Billion laughs never gets to expand anything. */
	struct config_errors errs = { 0 };
	struct synack_config c;

	assert_int_equal(config_test_load("a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n", &c, &errs),
			 -EINVAL);
	assert_int_equal(errs.n, 3);
	config_errors_free(&errs);
}

static void test_line_endings(void **state)
{
	struct synack_config c;

	config_test_ok("interface:\r\n  mtu: 9000\r\n  tap: t1\r\n", &c);
	assert_int_equal(c.interface.mtu, 9000);
	config_test_one_error("interface:\r\n  mtu: 9000\r\n  mtuu: 1\r\n", 3, 3, "unknown key");
	config_test_ok("interface:\n  mtu: 9000", &c); /* no final newline */
}

static void test_ret_untouched(void **state)
{
	struct config_errors errs = { 0 };
	struct synack_config c, before;

	memset(&c, 0x3c, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	assert_int_equal(config_test_load("interface: { mtu: 9000, tap: [] }\n", &c, &errs),
			 -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(config_test_load("interface: { mtu: 9000 ", &c, &errs), -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	assert_int_equal(config_test_load("tcp: { rto: { min: 5s, max: 1s } }\n", &c, &errs),
			 -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
	/* errs is emptied by the next load, and may be left out. */
	assert_int_equal(config_test_load("log: {level: debug}\n", &c, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_string_equal(errs.file, "t.yaml");
	assert_int_equal(c.log.level, CONFIG_LOG_DEBUG);
	config_errors_free(&errs);
	config_errors_free(&errs);
	config_errors_free(NULL);
	assert_int_equal(config_load_buffer("x", "log: 1", 6, &c, NULL), -EINVAL);
	assert_int_equal(config_load_buffer("x", NULL, 5, &c, NULL), -EINVAL);
}

static void test_too_many_errors(void **state)
{
	struct config_errors errs = { 0 };
	struct synack_config c;
	size_t len = 0, cap = 16 + 20 * 300;
	char *text = malloc(cap);

	assert_non_null(text);
	len += (size_t)snprintf(text, cap, "log:\n");
	for (unsigned i = 0; i < 300; i++)
		len += (size_t)snprintf(text + len, cap - len, "  k%u: 1\n", i);
	assert_int_equal(config_load_buffer("t.yaml", text, len, &c, &errs), -EINVAL);
	assert_int_equal(errs.n, CONFIG_ERRORS_MAX + 1);
	config_test_error_is(&errs, 0, 2, 3, "unknown key \"k0\"");
	config_test_error_is(&errs, CONFIG_ERRORS_MAX - 1, CONFIG_ERRORS_MAX + 1, 3, "unknown key");
	config_test_error_is(&errs, CONFIG_ERRORS_MAX, CONFIG_ERRORS_MAX + 2, 3,
			     "too many errors (100), stopping here");
	config_errors_free(&errs);
	free(text);
}

static void test_print(void **state)
{
	struct config_errors errs = { 0 };
	struct synack_config c;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	assert_int_equal(config_load_buffer("dir/my file.yaml", "log:\n  level: loud\n  x: 1\n", 24,
					    &c, &errs),
			 -EINVAL);
	f = open_memstream(&out, &outlen);
	assert_non_null(f);
	config_errors_print(&errs, f);
	config_errors_print(NULL, f);
	fclose(f);
	assert_string_equal(out, "dir/my file.yaml:2:10: log.level: expected one of err, warning, "
				 "notice, info, debug, not \"loud\"\n"
				 "dir/my file.yaml:3:3: unknown key \"x\" in log\n");
	free(out);
	config_errors_free(&errs);
}

static void test_load_file(void **state)
{
	char dir[] = "/tmp/config-test-XXXXXX", path[64];
	struct config_errors errs = { 0 };
	struct synack_config c, before;
	char *big;
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	memset(&c, 0x11, sizeof(c));
	memcpy(&before, &c, sizeof(c));
	assert_int_equal(config_load_file(path, &c, &errs), -ENOENT);
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.file, path);
	config_test_error_is(&errs, 0, 0, 0, "cannot read: No such file or directory");
	assert_int_equal(config_load_file(dir, &c, &errs), -EISDIR);
	assert_int_equal(errs.n, 1);
	assert_memory_equal(&c, &before, sizeof(c));

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "tcp:\n  msl: 1s\n", 15), 15);
	close(fd);
	assert_int_equal(config_load_file(path, &c, &errs), 0);
	assert_int_equal(errs.n, 0);
	assert_int_equal(c.tcp.msl, 1000000);

	big = malloc(CONFIG_FILE_MAX + 2);
	assert_non_null(big);
	memset(big, '#', CONFIG_FILE_MAX + 1);
	big[CONFIG_FILE_MAX + 1] = '\n';
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, big, CONFIG_FILE_MAX + 2), CONFIG_FILE_MAX + 2);
	close(fd);
	assert_int_equal(config_load_file(path, &c, &errs), -EINVAL);
	assert_int_equal(errs.n, 1);
	config_test_error_is(&errs, 0, 0, 0, "file is larger than 1048576 bytes");
	/* Exactly the limit is still read. */
	assert_int_equal(truncate(path, CONFIG_FILE_MAX), 0);
	assert_int_equal(config_load_file(path, &c, &errs), 0);
	free(big);
	config_errors_free(&errs);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_is_defaults),
		cmocka_unit_test(test_top_level_shape),
		cmocka_unit_test(test_unknown_key_position),
		cmocka_unit_test(test_wrong_shapes),
		cmocka_unit_test(test_duplicate_keys),
		cmocka_unit_test(test_all_errors_listed),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_tabs),
		cmocka_unit_test(test_not_utf8),
		cmocka_unit_test(test_huge_numbers),
		cmocka_unit_test(test_documents_anchors_tags),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_ret_untouched),
		cmocka_unit_test(test_too_many_errors),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
