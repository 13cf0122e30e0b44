/* SPDX-License-Identifier: MIT */
/*
 * cmd_impair.c - impair: show, set or clear the link impairment synackd
 * applies at its TAP (loss, Gilbert-Elliott bursts, duplication,
 * reordering, corruption, delay and jitter, a rate limit), for every frame
 * or for one kind of TCP segment. Options not given keep their current
 * value; `off` (or --clear) puts every key back at its default but the seed.
 * Values are held to the configuration's impair: ranges before anything is
 * sent (config_impair_check), and again by the daemon.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "format.h"
#include "units.h"

enum {
	IMPAIR_LOSS = 256,
	IMPAIR_DUPLICATE,
	IMPAIR_REORDER,
	IMPAIR_CORRUPT,
	IMPAIR_DELAY,
	IMPAIR_SEED,
	IMPAIR_DIRECTION,
	IMPAIR_MATCH,
	IMPAIR_DUP_DELAY,
	IMPAIR_REORDER_FRAMES,
	IMPAIR_REORDER_TIME,
	IMPAIR_JITTER,
	IMPAIR_RATE,
	IMPAIR_GE_P,
	IMPAIR_GE_R,
	IMPAIR_GE_BAD,
	IMPAIR_GE_GOOD,
	IMPAIR_CLEAR,
};

static const struct option impair_long[] = {
	{ "loss", required_argument, NULL, IMPAIR_LOSS },
	{ "duplicate", required_argument, NULL, IMPAIR_DUPLICATE },
	{ "dup", required_argument, NULL, IMPAIR_DUPLICATE },
	{ "reorder", required_argument, NULL, IMPAIR_REORDER },
	{ "corrupt", required_argument, NULL, IMPAIR_CORRUPT },
	{ "delay", required_argument, NULL, IMPAIR_DELAY },
	{ "seed", required_argument, NULL, IMPAIR_SEED },
	{ "direction", required_argument, NULL, IMPAIR_DIRECTION },
	{ "match", required_argument, NULL, IMPAIR_MATCH },
	{ "dup-delay", required_argument, NULL, IMPAIR_DUP_DELAY },
	{ "duplicate-delay", required_argument, NULL, IMPAIR_DUP_DELAY },
	{ "reorder-frames", required_argument, NULL, IMPAIR_REORDER_FRAMES },
	{ "reorder-time", required_argument, NULL, IMPAIR_REORDER_TIME },
	{ "jitter", required_argument, NULL, IMPAIR_JITTER },
	{ "rate", required_argument, NULL, IMPAIR_RATE },
	{ "ge-p", required_argument, NULL, IMPAIR_GE_P },
	{ "ge-r", required_argument, NULL, IMPAIR_GE_R },
	{ "ge-bad-loss", required_argument, NULL, IMPAIR_GE_BAD },
	{ "ge-good-loss", required_argument, NULL, IMPAIR_GE_GOOD },
	{ "clear", no_argument, NULL, IMPAIR_CLEAR },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int impair_percent(struct cli_ctx *ctx, const char *name, const char *v, uint32_t *ret)
{
	if (config_parse_percent(v, ret) < 0 || *ret > 1000000)
		return cli_usage_error(ctx,
				       "--%s needs a percentage from 0%% to 100%% (like 1.5%%), "
				       "got '%s'",
				       name, v);
	return 0;
}

static int impair_duration(struct cli_ctx *ctx, const char *name, const char *v, uint64_t *ret)
{
	if (config_parse_duration(v, ret) < 0)
		return cli_usage_error(ctx, "--%s needs a duration with a unit (20ms), got '%s'",
				       name, v);
	return 0;
}

static int impair_direction(struct cli_ctx *ctx, const char *v, struct config_impair *c)
{
	if (strcmp(v, "both") == 0)
		c->direction = CONFIG_IMPAIR_BOTH;
	else if (strcmp(v, "in") == 0)
		c->direction = CONFIG_IMPAIR_IN;
	else if (strcmp(v, "out") == 0)
		c->direction = CONFIG_IMPAIR_OUT;
	else
		return cli_usage_error(ctx, "--direction is in, out or both, not '%s'", v);
	return 0;
}

/* "all", or names from config_impair_match_names joined by commas. */
static int impair_match(struct cli_ctx *ctx, const char *v, struct config_impair *c)
{
	uint32_t mask = 0;
	const char *p = v;

	if (strcmp(v, "all") == 0) {
		c->match = 0;
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; config_impair_match_names[i]; i++)
			if (n && strlen(config_impair_match_names[i]) == n &&
			    memcmp(config_impair_match_names[i], p, n) == 0)
				break;
		if (!config_impair_match_names[i] || (p[n] == ',' && !p[n + 1]))
			return cli_usage_error(ctx,
					       "--match is all, or a comma-separated list of syn, "
					       "synack, fin, rst, ack, data, other; not '%s'",
					       v);
		mask |= 1u << i;
		p += n + (p[n] == ',');
	}
	if (!mask)
		return cli_usage_error(ctx, "--match needs a value");
	c->match = mask;
	return 0;
}

/* Bits per second: digits with an optional k, M or G (powers of 1000) and "bit" or "bit/s". */
static int impair_rate(struct cli_ctx *ctx, const char *v, uint64_t *ret)
{
	char *end;
	unsigned long long n;
	uint64_t mul = 1;

	errno = 0;
	n = strtoull(v, &end, 10);
	if (end == v || errno || v[0] == '-')
		goto bad;
	if (*end == 'k' || *end == 'K')
		mul = 1000, end++;
	else if (*end == 'M')
		mul = 1000000, end++;
	else if (*end == 'G')
		mul = 1000000000, end++;
	if (*end && strcmp(end, "bit") != 0 && strcmp(end, "bit/s") != 0 && strcmp(end, "bps") != 0)
		goto bad;
	if (n > UINT64_MAX / mul)
		goto bad;
	*ret = n * mul;
	return 0;
bad:
	return cli_usage_error(ctx,
			       "--rate needs bits per second, like 10Mbit, 500kbit or 1000000 "
			       "(0 = no limit); got '%s'",
			       v);
}

static int impair_count(struct cli_ctx *ctx, const char *name, const char *v, uint32_t *ret)
{
	uint64_t n;

	if (units_parse_u64(v, &n) < 0 || n > UINT32_MAX)
		return cli_usage_error(ctx, "--%s needs a whole number, got '%s'", name, v);
	*ret = (uint32_t)n;
	return 0;
}

static int impair_option(struct cli_ctx *ctx, int opt, const char *v, struct config_impair *c)
{
	switch (opt) {
	case IMPAIR_LOSS:
		return impair_percent(ctx, "loss", v, &c->loss_ppm);
	case IMPAIR_DUPLICATE:
		return impair_percent(ctx, "duplicate", v, &c->duplicate_ppm);
	case IMPAIR_REORDER:
		return impair_percent(ctx, "reorder", v, &c->reorder_ppm);
	case IMPAIR_CORRUPT:
		return impair_percent(ctx, "corrupt", v, &c->corrupt_ppm);
	case IMPAIR_DELAY:
		return impair_duration(ctx, "delay", v, &c->delay_us);
	case IMPAIR_SEED:
		if (units_parse_u64(v, &c->seed) < 0)
			return cli_usage_error(ctx, "--seed needs a whole number, got '%s'", v);
		return 0;
	case IMPAIR_DIRECTION:
		return impair_direction(ctx, v, c);
	case IMPAIR_MATCH:
		return impair_match(ctx, v, c);
	case IMPAIR_DUP_DELAY:
		return impair_duration(ctx, "dup-delay", v, &c->duplicate_delay_us);
	case IMPAIR_REORDER_FRAMES:
		return impair_count(ctx, "reorder-frames", v, &c->reorder_frames);
	case IMPAIR_REORDER_TIME:
		return impair_duration(ctx, "reorder-time", v, &c->reorder_time_us);
	case IMPAIR_JITTER:
		return impair_duration(ctx, "jitter", v, &c->jitter_us);
	case IMPAIR_RATE:
		return impair_rate(ctx, v, &c->rate_bps);
	case IMPAIR_GE_P:
		return impair_percent(ctx, "ge-p", v, &c->ge_p_ppm);
	case IMPAIR_GE_R:
		return impair_percent(ctx, "ge-r", v, &c->ge_r_ppm);
	case IMPAIR_GE_BAD:
		return impair_percent(ctx, "ge-bad-loss", v, &c->ge_bad_loss_ppm);
	case IMPAIR_GE_GOOD:
		return impair_percent(ctx, "ge-good-loss", v, &c->ge_good_loss_ppm);
	}
	return CLI_EXIT_USAGE;
}

/* Every key at its default, but the seed. */
static void impair_clear(struct config_impair *c)
{
	struct synack_config d;
	uint64_t seed = c->seed;

	config_defaults(&d);
	*c = d.impair;
	c->seed = seed;
}

/* Apply the options to c; *changed says whether any was given; -1 for help. */
static int impair_parse(struct cli_ctx *ctx, int argc, char **argv, struct config_impair *c,
			bool *changed, bool *off)
{
	char why[200];
	int opt, r;

	*changed = *off = false;
	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "ho:j", impair_long)) != -1) {
		if (opt == 'h')
			return -1;
		if (opt == 'j' || opt == 'o') {
			if ((r = cli_output_opt(ctx, opt, optarg)) != 0)
				return r;
			continue;
		}
		if (opt == IMPAIR_CLEAR) {
			*off = true;
			continue;
		}
		r = impair_option(ctx, opt, optarg, c);
		if (r)
			return r;
		*changed = true;
	}
	if (optind < argc) {
		if (strcmp(argv[optind], "off") != 0 || optind + 1 < argc)
			return cli_usage_error(ctx, "unexpected '%s' (options, or just 'off')",
					       argv[optind]);
		*off = true;
	}
	if (*off && *changed)
		return cli_usage_error(ctx, "'off' (--clear) takes no other options");
	if (*changed && config_impair_check(c, why, sizeof(why)) < 0)
		return cli_usage_error(ctx, "%s", why);
	return 0;
}

int cmd_impair(struct cli_ctx *ctx, int argc, char **argv)
{
	struct synack_config defaults;
	struct ctl_impair imp;
	struct ctl_client *c;
	bool changed, off;
	int r;

	/* parse once over the defaults before connecting, for usage errors; again over the
	 * values in force */
	config_defaults(&defaults);
	imp.c = defaults.impair;
	r = impair_parse(ctx, argc, argv, &imp.c, &changed, &off);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = ctl_fetch_impair(c, &imp);
	if (r == 0 && (changed || off)) {
		if (off)
			impair_clear(&imp.c);
		else if ((r = impair_parse(ctx, argc, argv, &imp.c, &changed, &off)) != 0) {
			ctl_client_close(c);
			return r;
		}
		r = ctl_set_impair(c, &imp);
	}
	if (r < 0)
		r = cli_request_failed(ctx, c, "impair", r);
	else if ((ctx->output == CLI_OUTPUT_JSON ? format_impair_json(stdout, &imp)
						 : format_impair(stdout, &imp)) < 0)
		r = cli_error(ctx, CLI_EXIT_REFUSED, "writing output failed");
	ctl_client_close(c);
	return r;
}
