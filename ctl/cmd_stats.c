/* SPDX-License-Identifier: MIT */
/*
 * cmd_stats.c - stats: nstat-named counters as a table (Counter Value),
 * JSON, or Prometheus text; --delta keeps nstat's history-file semantics.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "format.h"
#include "prom.h"
#include "stats.h"

struct stats_args {
	bool zeros, delta, prometheus;
	char **patterns;
	size_t npatterns;
};

static const struct option stats_long[] = {
	{ "zeros", no_argument, NULL, 'z' },
	{ "delta", no_argument, NULL, 'd' },
	{ "prometheus", no_argument, NULL, 'P' },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int stats_parse(struct cli_ctx *ctx, int argc, char **argv, struct stats_args *a)
{
	int opt;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "hzdo:j", stats_long)) != -1) {
		switch (opt) {
		case 'h':
			return -1;
		case '?':
			return CLI_EXIT_USAGE;
		case 'z':
			a->zeros = true;
			break;
		case 'd':
			a->delta = true;
			break;
		case 'P':
			a->prometheus = true;
			break;
		case 'j':
			ctx->output = CLI_OUTPUT_JSON;
			break;
		case 'o':
			if (cli_parse_output(optarg, &ctx->output) < 0)
				return cli_usage_error(ctx, "unknown output format '%s'", optarg);
			break;
		}
	}
	if (a->prometheus && ctx->output == CLI_OUTPUT_JSON)
		return cli_usage_error(ctx, "choose one of --prometheus and -o json");
	a->patterns = argv + optind;
	a->npatterns = (size_t)(argc - optind);
	return 0;
}

/* Turn v into increments since the history file, which then holds the current values. */
static int stats_delta_run(struct cli_ctx *ctx, struct ctl_counter *v, size_t n)
{
	struct ctl_counter *prev = NULL;
	size_t pn = 0;
	char path[4096];
	bool have_prev;
	int r;

	if (stats_history_path(path, sizeof(path)) < 0)
		return cli_error(ctx, CLI_EXIT_USAGE, "the history path is too long");
	/* no history yet: like nstat, the first run shows the totals */
	have_prev = stats_history_load(path, &prev, &pn) == 0;
	r = stats_history_save(path, v, n);
	if (r < 0)
		cli_error(ctx, 0, "cannot write the history %s: %s", path, strerror(-r));
	if (have_prev)
		stats_delta(v, n, prev, pn);
	free(prev);
	return 0;
}

static size_t stats_select(struct ctl_counter *v, size_t n, const struct stats_args *a)
{
	size_t kept = 0;

	for (size_t i = 0; i < n; i++) {
		if (stats_match(v[i].name, a->patterns, a->npatterns))
			v[kept++] = v[i];
	}
	return kept;
}

static int stats_print(struct cli_ctx *ctx, const struct stats_args *a, struct ctl_counter *v,
		       size_t n)
{
	if (a->prometheus)
		return prom_write(stdout, v,
				  n); /* every sample, zeros too: series must not vanish */
	if (ctx->output == CLI_OUTPUT_JSON)
		return format_counters_json(stdout, v, n, a->zeros);
	return format_counters_table(stdout, v, n, a->zeros);
}

int cmd_stats(struct cli_ctx *ctx, int argc, char **argv)
{
	struct stats_args a;
	struct ctl_client *c;
	struct ctl_counter *v;
	size_t n;
	int r = stats_parse(ctx, argc, argv, &a);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = ctl_fetch_counters(c, &v, &n);
	if (r < 0)
		r = cli_request_failed(ctx, c, "fetch counters", r);
	ctl_client_close(c);
	if (r)
		return r;
	for (size_t i = 0; i < n; i++)
		v[i].gauge = v[i].gauge || ctl_counter_name_is_gauge(v[i].name);
	if (a.delta)
		r = stats_delta_run(ctx, v, n);
	n = stats_select(v, n, &a);
	if (r == 0 && stats_print(ctx, &a, v, n) < 0)
		r = cli_error(ctx, CLI_EXIT_REFUSED, "writing output failed");
	free(v);
	return r;
}
