/* SPDX-License-Identifier: MIT */
/*
 * tunables.c - the table behind tunables.h: descriptors, defaults, lookup,
 * range checks. Pure data and string compares; no state.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tunables.h"

static const struct stack_tunable_desc tunable_descs[] = {
#define STACK_TUN_DESC(field, key, kind, def, min, max, existing, meaning) \
	[STACK_TUN_##field] = { key, kind, def, min, max, existing, meaning },
	STACK_TUNABLES(STACK_TUN_DESC)
#undef STACK_TUN_DESC
};

/* The names of STACK_TUN_NAME tunables, by value; the congestion control names are ss(8)'s. */
static const char *const cc_names[STACK_CC_COUNT_ + 1] = {
	[STACK_CC_CUBIC] = "cubic",
	[STACK_CC_NEWRENO] = "newreno",
};

static const char *const *const tunable_names[STACK_TUN_COUNT_] = {
	[STACK_TUN_congestion_control] = cc_names,
};

static const size_t tunable_offsets[] = {
#define STACK_TUN_OFF(field, ...) [STACK_TUN_##field] = offsetof(struct stack_tunables, field),
	STACK_TUNABLES(STACK_TUN_OFF)
#undef STACK_TUN_OFF
};

const struct stack_tunable_desc *stack_tunable_desc(enum stack_tunable_id id)
{
	if ((unsigned)id >= STACK_TUN_COUNT_)
		return NULL;
	return &tunable_descs[id];
}

/* The core may not call libc string functions (tests/lint), hence our own compare. */
static bool key_equal(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

int stack_tunable_lookup(const char *key, enum stack_tunable_id *ret_id)
{
	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++) {
		if (key_equal(tunable_descs[i].key, key)) {
			*ret_id = (enum stack_tunable_id)i;
			return 0;
		}
	}
	return -ENOENT;
}

void stack_tunables_defaults(struct stack_tunables *t)
{
	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++)
		stack_tunables_write(t, (enum stack_tunable_id)i, tunable_descs[i].def);
}

uint64_t stack_tunables_read(const struct stack_tunables *t, enum stack_tunable_id id)
{
	uint64_t v;

	memcpy(&v, (const char *)t + tunable_offsets[id], sizeof(v));
	return v;
}

void stack_tunables_write(struct stack_tunables *t, enum stack_tunable_id id, uint64_t value)
{
	memcpy((char *)t + tunable_offsets[id], &value, sizeof(value));
}

const char *const *stack_tunable_names(enum stack_tunable_id id)
{
	if ((unsigned)id >= STACK_TUN_COUNT_)
		return NULL;
	return tunable_names[id];
}

const char *stack_tunable_name(enum stack_tunable_id id, uint64_t value)
{
	const char *const *names = stack_tunable_names(id);

	for (uint64_t i = 0; names && names[i]; i++)
		if (i == value)
			return names[i];
	return NULL;
}

int stack_tunable_name_lookup(enum stack_tunable_id id, const char *name, uint64_t *ret_value)
{
	const char *const *names = stack_tunable_names(id);

	for (uint64_t i = 0; names && name && names[i]; i++) {
		if (key_equal(names[i], name)) {
			*ret_value = i;
			return 0;
		}
	}
	return -EINVAL;
}

int stack_tunable_check(enum stack_tunable_id id, uint64_t value)
{
	const struct stack_tunable_desc *d = stack_tunable_desc(id);

	if (!d)
		return -EINVAL;
	if (value < d->min || value > d->max)
		return -ERANGE;
	return 0;
}
