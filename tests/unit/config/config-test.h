/* SPDX-License-Identifier: MIT */
/*
 * config-test.h - helpers shared by the configuration unit tests: load a
 * YAML text, and assert that a given error (position and words) was listed.
 */
#ifndef SYNACK_CONFIG_TEST_H
#define SYNACK_CONFIG_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

/* Load text (as t.yaml); errs is left for the caller to inspect and free. */
static inline int config_test_load(const char *text, struct synack_config *cfg,
				   struct config_errors *errs)
{
	return config_load_buffer("t.yaml", text, strlen(text), cfg, errs);
}

static inline void config_test_dump(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		print_message("  %u:%u: %s\n", errs->v[i].line, errs->v[i].column,
			      errs->v[i].message);
}

/* Error i is at line:column and its message contains words. */
static inline void config_test_error_is(const struct config_errors *errs, size_t i, unsigned line,
					unsigned column, const char *words)
{
	if (i >= errs->n || errs->v[i].line != line || errs->v[i].column != column ||
	    !strstr(errs->v[i].message, words)) {
		print_message("expected error %zu at %u:%u containing \"%s\"; got:\n", i, line,
			      column, words);
		config_test_dump(errs);
		fail();
	}
}

/* text fails to load with exactly one error, at line:column, containing words. */
static inline void config_test_one_error(const char *text, unsigned line, unsigned column,
					 const char *words)
{
	struct config_errors errs = { 0 };
	struct synack_config cfg;

	print_message("-- %s\n", text);
	assert_int_equal(config_test_load(text, &cfg, &errs), -EINVAL);
	if (errs.n != 1) {
		config_test_dump(&errs);
		fail_msg("expected one error, got %zu", errs.n);
	}
	config_test_error_is(&errs, 0, line, column, words);
	config_errors_free(&errs);
}

/* text loads without error into *cfg. */
static inline void config_test_ok(const char *text, struct synack_config *cfg)
{
	struct config_errors errs = { 0 };
	int r = config_test_load(text, cfg, &errs);

	if (r != 0) {
		print_message("-- %s\n", text);
		config_test_dump(&errs);
		fail_msg("load failed: %d", r);
	}
	assert_int_equal(errs.n, 0);
	config_errors_free(&errs);
}

#endif
