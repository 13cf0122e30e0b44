/* SPDX-License-Identifier: MIT */
/*
 * cmd_tunables.c - get and set: the stack's tunables, sysctl-like.
 *
 * Column template:  Key Value Default Range Existing Meaning
 * `set` checks the key, the unit and the range against the tunables table
 * this synackctl was built with before it asks synackd, which checks again.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "format.h"
#include "units.h"

static const struct option get_long[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "keys", no_argument, NULL, 'K' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void get_print_keys(void)
{
	for (size_t i = 0; i < units_tunable_count(); i++)
		puts(units_tunable_key(i));
}

int cmd_get(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ctl_client *c;
	struct ctl_tunable *v, probe;
	const char *key = NULL;
	size_t n;
	int opt, r;

	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "ho:j", get_long)) != -1) {
		switch (opt) {
		case 'h':
			return CLI_EXIT_OK;
		case '?':
			return CLI_EXIT_USAGE;
		case 'K':
			get_print_keys();
			return CLI_EXIT_OK;
		case 'j':
		case 'o':
			r = cli_output_opt(ctx, opt, optarg);
			if (r)
				return r;
			break;
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(ctx, "expected at most one KEY, got '%s %s'", argv[optind],
				       argv[optind + 1]);
	if (argc - optind == 1) {
		key = argv[optind];
		if (units_tunable_lookup(key, &probe) < 0)
			return cli_error(ctx, CLI_EXIT_REFUSED,
					 "unknown key '%s' (synackctl get --keys lists them)", key);
	}
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = ctl_fetch_tunables(c, key, &v, &n);
	if (r < 0) {
		r = cli_request_failed(ctx, c, key ? key : "fetch tunables", r);
	} else {
		r = ctx->output == CLI_OUTPUT_JSON ? format_tunables_json(stdout, v, n)
						   : format_tunables_table(stdout, v, n);
		r = r < 0 ? cli_error(ctx, CLI_EXIT_REFUSED, "writing output failed") : 0;
		free(v);
	}
	ctl_client_close(c);
	return r;
}

static const struct option set_long[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* What set did: "msl = 1s", or with -o json {"key": "msl", "value": "1s", "base": 1000000}. */
static int set_print(const struct cli_ctx *ctx, const char *key, const char *text, uint64_t value)
{
	struct json_writer w;

	if (ctx->output != CLI_OUTPUT_JSON) {
		printf("%s = %s\n", key, text);
		return 0;
	}
	json_writer_init(&w, stdout, 0);
	json_object_begin(&w);
	json_kv_string(&w, "key", key);
	json_kv_string(&w, "value", text);
	json_kv_uint(&w, "base", value);
	json_object_end(&w);
	return json_writer_end(&w) < 0 ? CLI_EXIT_REFUSED : 0;
}

int cmd_set(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ctl_client *c;
	struct ctl_tunable t;
	char err[256], text[32];
	uint64_t value;
	int opt, r;

	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "ho:j", set_long)) != -1) {
		if (opt == 'h')
			return CLI_EXIT_OK;
		if (opt != 'j' && opt != 'o')
			return CLI_EXIT_USAGE;
		if ((r = cli_output_opt(ctx, opt, optarg)) != 0)
			return r;
	}
	if (argc - optind != 2)
		return cli_usage_error(ctx, "expected KEY VALUE, like 'set msl 1s'");
	const char *key = argv[optind], *val = argv[optind + 1];
	if (units_parse_tunable(key, val, &value, err, sizeof(err)) < 0)
		return cli_error(ctx, CLI_EXIT_REFUSED, "%s", err);
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = ctl_set_tunable(c, key, value);
	if (r < 0) {
		r = cli_request_failed(ctx, c, key, r);
	} else {
		units_tunable_lookup(key, &t);
		format_tunable_value(t.key, t.unit, value, text, sizeof(text));
		r = set_print(ctx, key, text, value);
	}
	ctl_client_close(c);
	return r;
}
