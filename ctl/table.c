/* SPDX-License-Identifier: MIT */
/*
 * table.c - column tables with widths from the data, and the ss timer format.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "table.h"

int table_init(struct table *t, const struct table_column *cols, size_t n)
{
	if (n == 0 || n > TABLE_MAX_COLUMNS)
		return -EINVAL;
	memset(t, 0, sizeof(*t));
	memcpy(t->cols, cols, n * sizeof(*cols));
	t->ncols = n;
	return 0;
}

int table_row_begin(struct table *t)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct table_row *rows = realloc(t->rows, cap * sizeof(*rows));

		if (!rows)
			return -ENOMEM;
		t->rows = rows;
		t->cap = cap;
	}
	memset(&t->rows[t->nrows], 0, sizeof(t->rows[0]));
	t->nrows++;
	t->cursor = 0;
	return 0;
}

int table_cell(struct table *t, const char *text)
{
	char *copy;

	if (t->nrows == 0 || t->cursor >= t->ncols)
		return -ENOSPC;
	copy = strdup(text ? text : "");
	if (!copy)
		return -ENOMEM;
	t->rows[t->nrows - 1].cells[t->cursor++] = copy;
	return 0;
}

int table_cell_printf(struct table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return table_cell(t, buf);
}

int table_row_detail(struct table *t, const char *text)
{
	char *copy;

	if (t->nrows == 0)
		return -ENOSPC;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	free(t->rows[t->nrows - 1].detail);
	t->rows[t->nrows - 1].detail = copy;
	return 0;
}

static const char *table_text(const struct table_row *r, size_t col)
{
	return r->cells[col] ? r->cells[col] : "";
}

/* Display width: count UTF-8 lead bytes so non-ASCII names do not skew columns. */
static size_t table_width_of(const char *s)
{
	size_t w = 0;

	for (; *s; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	}
	return w;
}

static void table_widths(const struct table *t, bool header, size_t *w)
{
	for (size_t c = 0; c < t->ncols; c++) {
		w[c] = header ? table_width_of(t->cols[c].header) : 0;
		for (size_t r = 0; r < t->nrows; r++) {
			size_t cw = table_width_of(table_text(&t->rows[r], c));

			if (cw > w[c])
				w[c] = cw;
		}
	}
}

static const char *table_joiner(const struct table *t, size_t c)
{
	if (c + 1 == t->ncols)
		return "";
	return t->cols[c].joiner ? t->cols[c].joiner : " ";
}

/* Write one padded cell at p; returns the end. */
static char *table_put_cell(char *p, const char *text, size_t width, enum table_align align,
			    const char *joiner)
{
	size_t tw = table_width_of(text), pad = width > tw ? width - tw : 0;

	if (align == TABLE_RIGHT) {
		memset(p, ' ', pad);
		p += pad;
	}
	p = stpcpy(p, text);
	if (align == TABLE_LEFT) {
		memset(p, ' ', pad);
		p += pad;
	}
	return stpcpy(p, joiner);
}

/* One line, padded to the widths, with trailing blanks trimmed. */
static int table_print_line(const struct table *t, FILE *f, const size_t *w,
			    const char *const *text)
{
	size_t cap = 1;
	char *line, *end;

	for (size_t c = 0; c < t->ncols; c++)
		cap += strlen(text[c]) + w[c] + strlen(table_joiner(t, c));
	line = malloc(cap);
	if (!line)
		return -ENOMEM;
	end = line;
	for (size_t c = 0; c < t->ncols; c++)
		end = table_put_cell(end, text[c], w[c], t->cols[c].align, table_joiner(t, c));
	while (end > line && end[-1] == ' ')
		end--;
	*end = '\0';
	fprintf(f, "%s\n", line);
	free(line);
	return 0;
}

int table_print(const struct table *t, FILE *f, unsigned flags)
{
	size_t w[TABLE_MAX_COLUMNS];
	const char *text[TABLE_MAX_COLUMNS];
	bool header = !(flags & TABLE_NO_HEADER);
	int r;

	table_widths(t, header, w);
	if (header) {
		for (size_t c = 0; c < t->ncols; c++)
			text[c] = t->cols[c].header;
		r = table_print_line(t, f, w, text);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t c = 0; c < t->ncols; c++)
			text[c] = table_text(&t->rows[i], c);
		r = table_print_line(t, f, w, text);
		if (r < 0)
			return r;
		if (t->rows[i].detail)
			fprintf(f, "\t%s\n", t->rows[i].detail);
	}
	return ferror(f) ? -EIO : 0;
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows; i++) {
		for (size_t c = 0; c < TABLE_MAX_COLUMNS; c++)
			free(t->rows[i].cells[c]);
		free(t->rows[i].detail);
	}
	free(t->rows);
	t->rows = NULL;
	t->nrows = t->cap = 0;
}

int table_format_ss_time(uint64_t ms, char *buf, size_t len)
{
	uint64_t minutes = ms / 60000, secs = ms / 1000 % 60, msecs = ms % 1000;
	int n;

	if (ms == 0)
		n = snprintf(buf, len, "0ms");
	else if (minutes >= 10)
		n = snprintf(buf, len, "%llumin", (unsigned long long)minutes);
	else if (minutes > 0 && secs > 0)
		n = snprintf(buf, len, "%llumin%llusec", (unsigned long long)minutes,
			     (unsigned long long)secs);
	else if (minutes > 0)
		n = snprintf(buf, len, "%llumin", (unsigned long long)minutes);
	else if (secs >= 10 || (secs > 0 && msecs == 0))
		n = snprintf(buf, len, "%llusec", (unsigned long long)secs);
	else if (secs > 0)
		n = snprintf(buf, len, "%llu.%03llusec", (unsigned long long)secs,
			     (unsigned long long)msecs);
	else
		n = snprintf(buf, len, "%llums", (unsigned long long)msecs);
	if (n < 0 || (size_t)n >= len)
		return -ENOBUFS;
	return n;
}

int table_format_ss_timer(const struct ctl_timer *t, char *buf, size_t len)
{
	char when[32];
	int n;

	if (t->kind == CTL_TIMER_OFF) {
		if (len == 0)
			return -ENOBUFS;
		buf[0] = '\0';
		return 0;
	}
	table_format_ss_time(t->remaining_ms, when, sizeof(when));
	n = snprintf(buf, len, "timer:(%s,%s,%u)", ctl_timer_name(t->kind), when, t->retransmits);
	if (n < 0 || (size_t)n >= len)
		return -ENOBUFS;
	return n;
}
