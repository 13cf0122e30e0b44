/* SPDX-License-Identifier: MIT */
/*
 * units.c - command-line values: tunables checked against the core's
 * table, intervals, counts. Unit parsing is config/'s (config_parse_*).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "format.h"
#include "tunables.h"
#include "units.h"

static enum ctl_unit units_from_kind(enum stack_tunable_kind kind)
{
	switch (kind) {
	case STACK_TUN_DURATION:
		return CTL_UNIT_DURATION;
	case STACK_TUN_SIZE:
		return CTL_UNIT_SIZE;
	case STACK_TUN_BOOL:
		return CTL_UNIT_BOOL;
	case STACK_TUN_NAME:
		return CTL_UNIT_NAME;
	case STACK_TUN_COUNT:
		break;
	}
	return CTL_UNIT_COUNT;
}

static void units_fill(const struct stack_tunable_desc *d, struct ctl_tunable *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->key, sizeof(t->key), "%s", d->key);
	t->unit = units_from_kind(d->kind);
	t->value = t->def = d->def;
	t->min = d->min;
	t->max = d->max;
	t->affects_existing = d->affects_existing;
	snprintf(t->meaning, sizeof(t->meaning), "%s", d->meaning);
}

int units_tunable_lookup(const char *key, struct ctl_tunable *ret)
{
	enum stack_tunable_id id;

	if (stack_tunable_lookup(key, &id) < 0)
		return -ENOENT;
	units_fill(stack_tunable_desc(id), ret);
	return 0;
}

size_t units_tunable_count(void)
{
	return STACK_TUN_COUNT_;
}

const char *units_tunable_key(size_t i)
{
	const struct stack_tunable_desc *d = stack_tunable_desc((enum stack_tunable_id)i);

	return d ? d->key : NULL;
}

int units_parse_u64(const char *text, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int units_parse_bool(const char *text, uint64_t *ret)
{
	static const char *const yes[] = { "true", "on", "yes", "1" };
	static const char *const no[] = { "false", "off", "no", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*ret = 1;
			return 0;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*ret = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static int units_fail(int r, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int units_fail(int r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static const char *units_hint(enum ctl_unit unit)
{
	switch (unit) {
	case CTL_UNIT_DURATION:
		return "a duration with a unit: us, ms, s, min or h (e.g. 200ms, 1s)";
	case CTL_UNIT_SIZE:
		return "a size in bytes, or with a unit: B, KiB, MiB or GiB (e.g. 256KiB)";
	case CTL_UNIT_BOOL:
		return "true or false (on/off, yes/no, 1/0)";
	case CTL_UNIT_NAME:
		return "one of the names in the range column of synackctl get";
	case CTL_UNIT_COUNT:
		break;
	}
	return "a whole number";
}

static int units_parse_as(enum ctl_unit unit, const char *text, uint64_t *ret)
{
	switch (unit) {
	case CTL_UNIT_DURATION:
		return config_parse_duration(text, ret);
	case CTL_UNIT_SIZE:
		return config_parse_size(text, ret);
	case CTL_UNIT_BOOL:
		return units_parse_bool(text, ret);
	case CTL_UNIT_NAME:
		return -EINVAL; /* by name only: units_parse_tunable */
	case CTL_UNIT_COUNT:
		break;
	}
	return units_parse_u64(text, ret);
}

int units_parse_tunable(const char *key, const char *text, uint64_t *ret, char *err, size_t errlen)
{
	struct ctl_tunable t;
	char min[32], max[32];
	uint64_t v;
	int r;

	if (units_tunable_lookup(key, &t) < 0)
		return units_fail(-ENOENT, err, errlen,
				  "unknown key '%s' (synackctl get lists every key)", key);
	if (t.unit == CTL_UNIT_NAME) {
		enum stack_tunable_id id;
		const char *const *names;
		char list[128] = "";

		stack_tunable_lookup(key, &id);
		if (stack_tunable_name_lookup(id, text, ret) == 0)
			return 0;
		names = stack_tunable_names(id);
		for (size_t i = 0; names && names[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", names[i]);
		return units_fail(-EINVAL, err, errlen, "%s: unknown name '%s' (one of: %s)", key,
				  text, list);
	}
	r = units_parse_as(t.unit, text, &v);
	if (r < 0)
		return units_fail(r == -ERANGE ? -ERANGE : -EINVAL, err, errlen,
				  "%s: bad value '%s': expected %s", key, text, units_hint(t.unit));
	if (v < t.min || v > t.max) {
		format_tunable_value(t.key, t.unit, t.min, min, sizeof(min));
		format_tunable_value(t.key, t.unit, t.max, max, sizeof(max));
		return units_fail(-ERANGE, err, errlen, "%s: %s is out of range %s..%s", key, text,
				  min, max);
	}
	*ret = v;
	return 0;
}

int units_parse_interval(const char *text, uint64_t *ret_us)
{
	char *end;
	double secs;

	if (config_parse_duration(text, ret_us) == 0)
		return *ret_us > 0 ? 0 : -ERANGE;
	/* plain seconds as watch(1) takes them: digits and one optional fraction */
	if (text[0] < '0' || text[0] > '9' || strspn(text, "0123456789.") != strlen(text))
		return -EINVAL;
	secs = strtod(text, &end);
	if (*end || secs <= 0 || secs > 86400)
		return -EINVAL;
	*ret_us = (uint64_t)(secs * 1e6 + 0.5);
	return 0;
}
