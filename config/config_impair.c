/* SPDX-License-Identifier: MIT */
/*
 * config_impair.c - the impair: section checked on its own, against the same
 * key table the file loader uses: what `synackctl impair` sends is held to
 * the ranges and rules a configuration file is, so a value the file would
 * refuse cannot be set live either.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

const char *config_impair_rule(const struct config_impair *c, const char **ret_a,
			       const char **ret_b)
{
	if (c->reorder_ppm && !c->reorder_frames && !c->reorder_time_us) {
		*ret_a = "impair.reorder";
		*ret_b = "impair.reorder_time";
		return "impair.reorder needs reorder_frames or reorder_time above 0 (how far a "
		       "frame is held back)";
	}
	if (c->ge_p_ppm && !c->ge_r_ppm) {
		*ret_a = "impair.gilbert_elliott.p";
		*ret_b = "impair.gilbert_elliott.r";
		return "impair.gilbert_elliott.r must be above 0% when p is: a burst would never "
		       "end";
	}
	return NULL;
}

static uint64_t config_impair_read(const void *field, size_t size)
{
	uint64_t v = 0;

	if (size == 1)
		v = *(const uint8_t *)field;
	else if (size == 2)
		v = *(const uint16_t *)field;
	else if (size == 4)
		v = *(const uint32_t *)field;
	else if (size == 8)
		v = *(const uint64_t *)field;
	return v;
}

/* Is v a valid value of key k? */
static bool config_impair_in_range(const struct config_key *k, uint64_t v)
{
	size_t names = 0;

	switch (k->type) {
	case CONFIG_T_ENUM:
	case CONFIG_T_FLAGS:
		while (k->names[names])
			names++;
		return k->type == CONFIG_T_ENUM ? v < names : v < (1ull << names);
	default:
		return v >= k->min && v <= k->max;
	}
}

int config_impair_check(const struct config_impair *c, char *why, size_t len)
{
	struct synack_config whole;
	const char *a, *b, *msg;

	memset(&whole, 0, sizeof(whole));
	whole.impair = *c;
	for (size_t i = 0; i < config_key_count(); i++) {
		const struct config_key *k = config_key_at(i);
		uint64_t v;

		if (strncmp(k->path, "impair.", 7) != 0)
			continue;
		v = config_impair_read((const char *)&whole + k->offset, k->size);
		if (!config_impair_in_range(k, v)) {
			snprintf(why, len,
				 "%s = %" PRIu64 " is out of range (%" PRIu64 "..%" PRIu64
				 " in the key's base unit)",
				 k->path, v, k->min, k->max);
			return -ERANGE;
		}
	}
	msg = config_impair_rule(c, &a, &b);
	if (msg) {
		snprintf(why, len, "%s", msg);
		return -EINVAL;
	}
	return 0;
}

bool config_impair_active(const struct config_impair *c)
{
	return c->loss_ppm || c->duplicate_ppm || c->reorder_ppm || c->corrupt_ppm || c->delay_us ||
	       c->jitter_us || c->rate_bps || (c->ge_p_ppm && c->ge_bad_loss_ppm) ||
	       c->ge_good_loss_ppm;
}
