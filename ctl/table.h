/* SPDX-License-Identifier: MIT */
/*
 * table.h - column tables for people: a header, widths computed from the
 * data, left or right alignment, an optional joiner between two columns (ss
 * writes "Local Address:Port" as an address column right-aligned against a
 * port column), and an optional indented detail line under a row (ss -i).
 *
 * Also the `ss -o` timer text, in ss's own format.
 */
#ifndef SYNACK_CTL_TABLE_H
#define SYNACK_CTL_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

#define TABLE_MAX_COLUMNS 16

enum table_align {
	TABLE_LEFT,
	TABLE_RIGHT,
};

struct table_column {
	const char *header;
	enum table_align align;
	const char *joiner; /* printed between this column and the next; NULL = " " */
};

struct table_row {
	char *cells[TABLE_MAX_COLUMNS];
	char *detail; /* NULL or a line printed under the row, indented by a tab */
};

struct table {
	struct table_column cols[TABLE_MAX_COLUMNS];
	size_t ncols;
	struct table_row *rows;
	size_t nrows, cap;
	size_t cursor; /* next cell of the last row */
};

enum table_print_flags {
	TABLE_NO_HEADER = 1u << 0, /* ss -H */
};

/* Start a table with n columns (at most TABLE_MAX_COLUMNS); -EINVAL otherwise. */
int table_init(struct table *t, const struct table_column *cols, size_t n);
/* Start a new row; cells not filled print empty. */
int table_row_begin(struct table *t);
/* Fill the next cell of the current row. -ENOSPC past the last column. */
int table_cell(struct table *t, const char *text);
int table_cell_printf(struct table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set the current row's detail line. */
int table_row_detail(struct table *t, const char *text);
/* Print header (unless TABLE_NO_HEADER) and rows; trailing blanks are trimmed. */
int table_print(const struct table *t, FILE *f, unsigned flags);
void table_free(struct table *t);

/*
 * A duration in ss's timer format (iproute2 print_ms_timer): at least ten
 * minutes prints whole minutes ("119min"); one to ten minutes adds whole
 * seconds ("2min5sec"); ten seconds or more prints whole seconds ("59sec");
 * under ten seconds shows milliseconds as a fraction ("9.501sec", "3sec");
 * under a second prints milliseconds ("200ms"). Lower units are cut, not
 * rounded. Two departures from ss: zero prints "0ms" (ss prints nothing),
 * and plain milliseconds are not zero-padded ("5ms", where ss writes "005ms").
 * Returns the length written or -ENOBUFS.
 */
int table_format_ss_time(uint64_t ms, char *buf, size_t len);
/* "timer:(on,200ms,0)"; "" for CTL_TIMER_OFF. Returns the length or -ENOBUFS. */
int table_format_ss_timer(const struct ctl_timer *t, char *buf, size_t len);

#endif
