/* SPDX-License-Identifier: MIT */
/*
 * config_units.c - numbers with units, as config files and synackctl write
 * them: durations ("200ms", "1.5s", "2h"), sizes ("256KiB", "4096") and
 * percentages ("0.5%"). Parsing is exact: a value that is not a whole number
 * of the base unit (µs, byte, ppm) is refused rather than rounded, so that
 * format(parse(x)) == x holds for every value format writes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

struct config_unit {
	const char *name;
	uint64_t mult;
};

/* Largest first: the formatters take the first unit that divides exactly. */
static const struct config_unit config_duration_units[] = {
	{ "h", 3600000000ull },
	{ "min", 60000000ull },
	{ "s", 1000000ull },
	{ "ms", 1000ull },
	{ "us", 1 },
	{ "µs", 1 },
	{ NULL, 0 },
};

static const struct config_unit config_size_units[] = {
	{ "GiB", 1ull << 30 }, { "MiB", 1ull << 20 }, { "KiB", 1ull << 10 }, { "B", 1 },
	{ NULL, 0 },
};

static const struct config_unit config_percent_units[] = {
	{ "%", 10000 },
	{ NULL, 0 },
};

/* A decimal number split into its parts: int_part + frac / 10^frac_digits. */
struct config_decimal {
	uint64_t int_part;
	uint64_t frac;
	unsigned frac_digits;
	const char *end;
};

static bool config_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits, then optionally '.' and digits. Trailing zeros of the fraction are dropped. */
static int config_decimal_parse(const char *s, struct config_decimal *ret)
{
	struct config_decimal d = { 0 };
	unsigned zeros = 0;

	if (!config_is_digit(*s))
		return -EINVAL;
	for (; config_is_digit(*s); s++) {
		unsigned digit = (unsigned)(*s - '0');

		if (d.int_part > (UINT64_MAX - digit) / 10)
			return -ERANGE;
		d.int_part = d.int_part * 10 + digit;
	}
	if (*s == '.') {
		s++;
		if (!config_is_digit(*s))
			return -EINVAL;
		for (; config_is_digit(*s); s++) {
			if (*s == '0') {
				zeros++;
				continue;
			}
			/* More than 18 significant fraction digits is finer than any unit here. */
			if (d.frac_digits + zeros + 1 > 18)
				return -EDOM;
			for (; zeros; zeros--) {
				d.frac *= 10;
				d.frac_digits++;
			}
			d.frac = d.frac * 10 + (uint64_t)(*s - '0');
			d.frac_digits++;
		}
	}
	d.end = s;
	*ret = d;
	return 0;
}

static const struct config_unit *config_unit_find(const struct config_unit *units, const char *s)
{
	for (; units->name; units++)
		if (strcmp(units->name, s) == 0)
			return units;
	return NULL;
}

/* int_part * mult + frac * mult / 10^digits, exactly, or -ERANGE / -EDOM. */
static int config_decimal_scale(const struct config_decimal *d, uint64_t mult, uint64_t *ret)
{
	uint64_t pow10 = 1, whole, part;

	if (d->int_part && mult > UINT64_MAX / d->int_part)
		return -ERANGE;
	whole = d->int_part * mult;
	for (unsigned i = 0; i < d->frac_digits; i++)
		pow10 *= 10;
	/* frac < 10^18 and mult < 2^32 here would overflow; divide first where exact. */
	if (d->frac) {
		uint64_t g = pow10, m = mult, t;

		while (m) { /* gcd(pow10, mult) */
			t = g % m;
			g = m;
			m = t;
		}
		if (d->frac % (pow10 / g) != 0)
			return -EDOM;
		part = d->frac / (pow10 / g) * (mult / g);
		if (part > UINT64_MAX - whole)
			return -ERANGE;
		whole += part;
	}
	*ret = whole;
	return 0;
}

/*
 * A number followed by one of units (spaces in between are allowed). With
 * bare_mult nonzero a number without unit is taken in that unit, provided it
 * has no fraction and no leading zero (YAML 1.1 would read 0644 as octal).
 */
static int config_unit_parse(const char *s, const struct config_unit *units, uint64_t bare_mult,
			     uint64_t *ret)
{
	const struct config_unit *u;
	struct config_decimal d;
	const char *p;
	uint64_t v;
	int r;

	if (!s)
		return -EINVAL;
	r = config_decimal_parse(s, &d);
	if (r < 0)
		return r;
	p = d.end;
	if (*p == '\0') {
		if (!bare_mult || d.frac_digits || strchr(s, '.') || (s[0] == '0' && s[1]))
			return -EINVAL;
		return config_decimal_scale(&d, bare_mult, ret);
	}
	while (*p == ' ')
		p++;
	u = config_unit_find(units, p);
	if (!u)
		return -EINVAL;
	r = config_decimal_scale(&d, u->mult, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

int config_parse_duration(const char *s, uint64_t *ret_us)
{
	return config_unit_parse(s, config_duration_units, 0, ret_us);
}

int config_parse_size(const char *s, uint64_t *ret_bytes)
{
	return config_unit_parse(s, config_size_units, 1, ret_bytes);
}

int config_parse_percent(const char *s, uint32_t *ret_ppm)
{
	uint64_t v;
	int r = config_unit_parse(s, config_percent_units, 0, &v);

	if (r < 0)
		return r;
	if (v > 1000000)
		return -ERANGE;
	*ret_ppm = (uint32_t)v;
	return 0;
}

static int config_format_checked(char *buf, size_t len, int n)
{
	if (n < 0 || (size_t)n >= len)
		return -ENOBUFS;
	return n;
}

/* Zero is written in the unit named zero; anything else in the largest exact unit. */
static int config_unit_format(uint64_t v, const struct config_unit *units, const char *zero,
			      char *buf, size_t len)
{
	if (!buf || !len)
		return -ENOBUFS;
	if (v == 0)
		return config_format_checked(buf, len, snprintf(buf, len, "0%s", zero));
	for (; units->name; units++)
		if (v % units->mult == 0)
			break;
	return config_format_checked(
		buf, len, snprintf(buf, len, "%" PRIu64 "%s", v / units->mult, units->name));
}

int config_format_duration(uint64_t us, char *buf, size_t len)
{
	return config_unit_format(us, config_duration_units, "s", buf, len);
}

int config_format_size(uint64_t bytes, char *buf, size_t len)
{
	return config_unit_format(bytes, config_size_units, "B", buf, len);
}

int config_format_percent(uint32_t ppm, char *buf, size_t len)
{
	unsigned frac = ppm % 10000, digits = 4;

	if (!buf || !len)
		return -ENOBUFS;
	if (!frac)
		return config_format_checked(buf, len, snprintf(buf, len, "%u%%", ppm / 10000));
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	return config_format_checked(
		buf, len, snprintf(buf, len, "%u.%0*u%%", ppm / 10000, (int)digits, frac));
}
