/* SPDX-License-Identifier: MIT */
/*
 * json.c - the streaming JSON writer: RFC 8259 §7 string escaping, UTF-8
 * checked per RFC 3629 §4, comma and nesting bookkeeping.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

void json_writer_init(struct json_writer *w, FILE *f, unsigned flags)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->flags = flags;
}

int json_writer_end(struct json_writer *w)
{
	if (w->error)
		return w->error;
	if (w->depth != 0 || w->after_key)
		return -EINVAL;
	return ferror(w->f) ? -EIO : 0;
}

static bool json_lines(const struct json_writer *w)
{
	return (w->flags & JSON_ARRAY_LINES) && w->depth == 1 && w->is_array[1];
}

/* Before any value: the comma, and a check that a value may go here. */
static bool json_value_prefix(struct json_writer *w)
{
	if (w->error)
		return false;
	if (w->depth > 0 && !w->is_array[w->depth] && !w->after_key) {
		w->error = -EINVAL; /* a value in an object needs a key */
		return false;
	}
	if (w->after_key) {
		w->after_key = false;
		return true;
	}
	if (w->depth > 0 && w->has_items[w->depth])
		fputc(',', w->f);
	if (json_lines(w))
		fputc('\n', w->f);
	if (w->depth > 0)
		w->has_items[w->depth] = true;
	return true;
}

static void json_open(struct json_writer *w, bool array)
{
	if (!json_value_prefix(w))
		return;
	if (w->depth == JSON_MAX_DEPTH) {
		w->error = -EINVAL;
		return;
	}
	fputc(array ? '[' : '{', w->f);
	w->depth++;
	w->is_array[w->depth] = array;
	w->has_items[w->depth] = false;
}

static void json_close(struct json_writer *w, bool array)
{
	if (w->error)
		return;
	if (w->depth == 0 || w->is_array[w->depth] != array || w->after_key) {
		w->error = -EINVAL;
		return;
	}
	if (json_lines(w) && w->has_items[1])
		fputc('\n', w->f);
	w->depth--;
	fputc(array ? ']' : '}', w->f);
	if (w->depth == 0)
		fputc('\n', w->f);
}

void json_object_begin(struct json_writer *w)
{
	json_open(w, false);
}

void json_object_end(struct json_writer *w)
{
	json_close(w, false);
}

void json_array_begin(struct json_writer *w)
{
	json_open(w, true);
}

void json_array_end(struct json_writer *w)
{
	json_close(w, true);
}

void json_key(struct json_writer *w, const char *key)
{
	if (w->error)
		return;
	if (w->depth == 0 || w->is_array[w->depth] || w->after_key) {
		w->error = -EINVAL;
		return;
	}
	if (w->has_items[w->depth])
		fputc(',', w->f);
	w->has_items[w->depth] = true;
	json_write_escaped(w->f, key);
	fputc(':', w->f);
	w->after_key = true;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 §4), 0 when invalid. */
static size_t json_utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t cp;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates, beyond U+10FFFF */
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

static void json_escape_control(FILE *f, unsigned char c)
{
	switch (c) {
	case '\b':
		fputs("\\b", f);
		break;
	case '\f':
		fputs("\\f", f);
		break;
	case '\n':
		fputs("\\n", f);
		break;
	case '\r':
		fputs("\\r", f);
		break;
	case '\t':
		fputs("\\t", f);
		break;
	default:
		fprintf(f, "\\u%04x", c);
		break;
	}
}

void json_write_escaped(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)(str ? str : "");

	fputc('"', f);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			fputc('\\', f);
			fputc(*s++, f);
		} else if (*s < 0x20) {
			json_escape_control(f, *s++);
		} else if (*s < 0x80) {
			fputc(*s++, f);
		} else {
			size_t n = json_utf8_len(s);

			if (n == 0) {
				fputs("\xef\xbf\xbd", f); /* U+FFFD */
				s++;
			} else {
				fwrite(s, 1, n, f);
				s += n;
			}
		}
	}
	fputc('"', f);
}

void json_string(struct json_writer *w, const char *s)
{
	if (json_value_prefix(w))
		json_write_escaped(w->f, s);
}

void json_int(struct json_writer *w, int64_t v)
{
	if (json_value_prefix(w))
		fprintf(w->f, "%" PRId64, v);
}

void json_uint(struct json_writer *w, uint64_t v)
{
	if (json_value_prefix(w))
		fprintf(w->f, "%" PRIu64, v);
}

void json_double(struct json_writer *w, double v)
{
	if (!json_value_prefix(w))
		return;
	if (!isfinite(v)) {
		fputs("null", w->f);
		return;
	}
	/* a whole number as one (1000, not %g's 1e+03), within 2^53 where every
	 * integer is exact; else %.17g round-trips: trim to the shortest that
	 * reads back the same */
	char buf[40];
	if (v > -0x1p53 && v < 0x1p53 && v == (double)(int64_t)v) {
		fprintf(w->f, "%.0f", v == 0 ? 0.0 : v); /* no "-0" */
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fputs(buf, w->f);
}

void json_bool(struct json_writer *w, bool v)
{
	if (json_value_prefix(w))
		fputs(v ? "true" : "false", w->f);
}

void json_null(struct json_writer *w)
{
	if (json_value_prefix(w))
		fputs("null", w->f);
}

void json_kv_string(struct json_writer *w, const char *key, const char *s)
{
	json_key(w, key);
	json_string(w, s);
}

void json_kv_int(struct json_writer *w, const char *key, int64_t v)
{
	json_key(w, key);
	json_int(w, v);
}

void json_kv_uint(struct json_writer *w, const char *key, uint64_t v)
{
	json_key(w, key);
	json_uint(w, v);
}

void json_kv_double(struct json_writer *w, const char *key, double v)
{
	json_key(w, key);
	json_double(w, v);
}

void json_kv_bool(struct json_writer *w, const char *key, bool v)
{
	json_key(w, key);
	json_bool(w, v);
}
