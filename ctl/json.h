/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small streaming JSON writer (RFC 8259) for `-o json`.
 *
 * Strings are escaped as the RFC requires (quote, backslash, every control
 * character); valid UTF-8 passes through unchanged and an invalid byte is
 * written as U+FFFD, so the output is always valid for any parser. Numbers
 * that JSON cannot hold (NaN, infinities) are written as null. Commas and
 * nesting are tracked by the writer; json_writer_end() reports misuse.
 */
#ifndef SYNACK_CTL_JSON_H
#define SYNACK_CTL_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

enum json_flags {
	/* A top-level array puts each element on its own line (conns -o json). */
	JSON_ARRAY_LINES = 1u << 0,
};

struct json_writer {
	FILE *f;
	unsigned flags;
	unsigned depth;
	bool is_array[JSON_MAX_DEPTH + 1];
	bool has_items[JSON_MAX_DEPTH + 1];
	bool after_key; /* a key was written, its value comes next */
	int error;	/* first misuse, -EINVAL; sticky */
};

void json_writer_init(struct json_writer *w, FILE *f, unsigned flags);
/* 0 when every container was closed and nothing was misused; else -EINVAL or -EIO. */
int json_writer_end(struct json_writer *w);

void json_object_begin(struct json_writer *w);
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w);
void json_array_end(struct json_writer *w);
/* The key of the next value; only inside an object. */
void json_key(struct json_writer *w, const char *key);

void json_string(struct json_writer *w, const char *s);
void json_int(struct json_writer *w, int64_t v);
void json_uint(struct json_writer *w, uint64_t v);
void json_double(struct json_writer *w, double v);
void json_bool(struct json_writer *w, bool v);
void json_null(struct json_writer *w);

/* key + value in one call. */
void json_kv_string(struct json_writer *w, const char *key, const char *s);
void json_kv_int(struct json_writer *w, const char *key, int64_t v);
void json_kv_uint(struct json_writer *w, const char *key, uint64_t v);
void json_kv_double(struct json_writer *w, const char *key, double v);
void json_kv_bool(struct json_writer *w, const char *key, bool v);

/* Write s as a JSON string literal (with quotes) to f. */
void json_write_escaped(FILE *f, const char *s);

#endif
