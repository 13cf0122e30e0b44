/* SPDX-License-Identifier: MIT */
/*
 * cmd_impair.c - impair: show, set or remove the link impairment
 * (loss, duplication, reordering, corruption, delay) synackd applies.
 * Options not given keep their current value.
 */
#include <getopt.h>
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
};

static const struct option impair_long[] = {
	{ "loss", required_argument, NULL, IMPAIR_LOSS },
	{ "duplicate", required_argument, NULL, IMPAIR_DUPLICATE },
	{ "reorder", required_argument, NULL, IMPAIR_REORDER },
	{ "corrupt", required_argument, NULL, IMPAIR_CORRUPT },
	{ "delay", required_argument, NULL, IMPAIR_DELAY },
	{ "seed", required_argument, NULL, IMPAIR_SEED },
	{ "direction", required_argument, NULL, IMPAIR_DIRECTION },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int impair_percent(struct cli_ctx *ctx, const char *name, const char *v, uint32_t *ret)
{
	if (config_parse_percent(v, ret) < 0)
		return cli_usage_error(ctx,
				       "--%s needs a percentage from 0%% to 100%% (like 1.5%%), "
				       "got '%s'",
				       name, v);
	return 0;
}

static int impair_direction(struct cli_ctx *ctx, const char *v, struct ctl_impair *imp)
{
	if (strcmp(v, "both") == 0)
		imp->direction = CTL_IMPAIR_BOTH;
	else if (strcmp(v, "in") == 0)
		imp->direction = CTL_IMPAIR_IN;
	else if (strcmp(v, "out") == 0)
		imp->direction = CTL_IMPAIR_OUT;
	else
		return cli_usage_error(ctx, "--direction is in, out or both, not '%s'", v);
	return 0;
}

static int impair_option(struct cli_ctx *ctx, int opt, const char *v, struct ctl_impair *imp)
{
	switch (opt) {
	case IMPAIR_LOSS:
		return impair_percent(ctx, "loss", v, &imp->loss_ppm);
	case IMPAIR_DUPLICATE:
		return impair_percent(ctx, "duplicate", v, &imp->duplicate_ppm);
	case IMPAIR_REORDER:
		return impair_percent(ctx, "reorder", v, &imp->reorder_ppm);
	case IMPAIR_CORRUPT:
		return impair_percent(ctx, "corrupt", v, &imp->corrupt_ppm);
	case IMPAIR_DELAY:
		if (config_parse_duration(v, &imp->delay_us) < 0)
			return cli_usage_error(ctx,
					       "--delay needs a duration with a unit (20ms), "
					       "got '%s'",
					       v);
		return 0;
	case IMPAIR_SEED:
		if (units_parse_u64(v, &imp->seed) < 0)
			return cli_usage_error(ctx, "--seed needs a whole number, got '%s'", v);
		return 0;
	case IMPAIR_DIRECTION:
		return impair_direction(ctx, v, imp);
	}
	return CLI_EXIT_USAGE;
}

/* Apply the options to imp; *changed says whether any was given; -1 for help. */
static int impair_parse(struct cli_ctx *ctx, int argc, char **argv, struct ctl_impair *imp,
			bool *changed, bool *off)
{
	int opt, r;

	*changed = *off = false;
	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "h", impair_long)) != -1) {
		if (opt == 'h')
			return -1;
		r = impair_option(ctx, opt, optarg, imp);
		if (r)
			return r;
		*changed = true;
	}
	if (optind < argc) {
		if (strcmp(argv[optind], "off") != 0 || optind + 1 < argc)
			return cli_usage_error(ctx, "unexpected '%s' (options, or just 'off')",
					       argv[optind]);
		if (*changed)
			return cli_usage_error(ctx, "'off' takes no options");
		*off = true;
	}
	return 0;
}

int cmd_impair(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ctl_impair imp = { .seed = 1 };
	struct ctl_client *c;
	bool changed, off;
	/* parse once before connecting, for usage errors; again over the values in force */
	int r = impair_parse(ctx, argc, argv, &imp, &changed, &off);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = ctl_fetch_impair(c, &imp);
	if (r == 0 && (changed || off)) {
		if (off)
			imp = (struct ctl_impair){ .seed = imp.seed };
		else
			impair_parse(ctx, argc, argv, &imp, &changed, &off);
		r = ctl_set_impair(c, &imp);
	}
	if (r < 0)
		r = cli_request_failed(ctx, c, "impair", r);
	else
		format_impair(stdout, &imp);
	ctl_client_close(c);
	return r;
}
