/* SPDX-License-Identifier: MIT */
/*
 * ctl-test.h - helpers for the synackctl unit tests: capture what a
 * formatter writes to a FILE* as a string.
 */
#ifndef SYNACK_TEST_CTL_TEST_H
#define SYNACK_TEST_CTL_TEST_H

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

struct ctl_capture {
	FILE *f;
	char *buf;
	size_t len;
};

static inline void ctl_capture_begin(struct ctl_capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
}

/* Close the stream; the text stays in c->buf until ctl_capture_free. */
static inline const char *ctl_capture_end(struct ctl_capture *c)
{
	fclose(c->f);
	c->f = NULL;
	return c->buf;
}

static inline void ctl_capture_free(struct ctl_capture *c)
{
	free(c->buf);
	c->buf = NULL;
}

/* The longest line of text, in bytes. */
static inline size_t ctl_longest_line(const char *text)
{
	size_t best = 0, cur = 0;

	for (; *text; text++) {
		if (*text == '\n') {
			best = cur > best ? cur : best;
			cur = 0;
		} else {
			cur++;
		}
	}
	return cur > best ? cur : best;
}

#endif
