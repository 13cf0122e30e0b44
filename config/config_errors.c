/* SPDX-License-Identifier: MIT */
/*
 * config_errors.c - the list of errors found in a configuration file, and
 * printing it as FILE:LINE:COLUMN: message (1-based, as editors expect).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

void config_errors_init(struct config_errors *e, const char *file)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->file, sizeof(e->file), "%s", file ? file : "");
}

static int config_errors_grow(struct config_errors *e)
{
	size_t cap = e->cap ? e->cap * 2 : 8;
	struct config_error *v;

	if (e->n < e->cap)
		return 0;
	v = realloc(e->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	e->v = v;
	e->cap = cap;
	return 0;
}

static int config_errors_push(struct config_errors *e, unsigned line, unsigned column,
			      const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

static int config_errors_push(struct config_errors *e, unsigned line, unsigned column,
			      const char *fmt, va_list ap)
{
	struct config_error *err;
	int r = config_errors_grow(e);

	if (r < 0)
		return r;
	err = &e->v[e->n++];
	err->line = line;
	err->column = column;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	return 0;
}

static int config_errors_push_fmt(struct config_errors *e, unsigned line, unsigned column,
				  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int config_errors_push_fmt(struct config_errors *e, unsigned line, unsigned column,
				  const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = config_errors_push(e, line, column, fmt, ap);
	va_end(ap);
	return r;
}

/*
 * The list holds CONFIG_ERRORS_MAX errors; the one after that becomes a
 * "too many errors" line so that a file of garbage cannot grow it without end.
 */
int config_errors_add(struct config_errors *e, unsigned line, unsigned column, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (e->n > CONFIG_ERRORS_MAX)
		return -E2BIG;
	if (e->n == CONFIG_ERRORS_MAX) {
		r = config_errors_push_fmt(e, line, column, "too many errors (%u), stopping here",
					   CONFIG_ERRORS_MAX);
		return r < 0 ? r : -E2BIG;
	}
	va_start(ap, fmt);
	r = config_errors_push(e, line, column, fmt, ap);
	va_end(ap);
	return r;
}

void config_errors_move(struct config_errors *dst, struct config_errors *src)
{
	config_errors_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

void config_errors_print(const struct config_errors *errs, FILE *f)
{
	if (!errs)
		return;
	for (size_t i = 0; i < errs->n; i++) {
		const struct config_error *e = &errs->v[i];

		if (e->line)
			fprintf(f, "%s:%u:%u: %s\n", errs->file, e->line, e->column, e->message);
		else
			fprintf(f, "%s: %s\n", errs->file, e->message);
	}
}

void config_errors_free(struct config_errors *errs)
{
	if (!errs)
		return;
	free(errs->v);
	errs->v = NULL;
	errs->n = errs->cap = 0;
}
