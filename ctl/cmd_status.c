/* SPDX-License-Identifier: MIT */
/*
 * cmd_status.c - status, ping and reload: the daemon as a whole.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "format.h"

static const struct option status_long[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* No arguments, only -o/--output, -j/--json and --help: 0 to go on, else the
 * exit code (-1 after help). */
static int status_output_only(struct cli_ctx *ctx, int argc, char **argv)
{
	int opt, r;

	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "ho:j", status_long)) != -1) {
		if (opt == 'h')
			return -1;
		if (opt == '?')
			return CLI_EXIT_USAGE;
		if ((r = cli_output_opt(ctx, opt, optarg)) != 0)
			return r;
	}
	if (optind < argc)
		return cli_usage_error(ctx, "takes no arguments, got '%s'", argv[optind]);
	return 0;
}

int cmd_status(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ctl_client *c;
	struct ctl_status s;
	int r = status_output_only(ctx, argc, argv);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	memset(&s, 0, sizeof(s));
	r = ctl_fetch_status(c, &s);
	if (r < 0)
		r = cli_request_failed(ctx, c, "status", r);
	else if (ctx->output == CLI_OUTPUT_JSON)
		r = format_status_json(stdout, &s) < 0 ? CLI_EXIT_REFUSED : 0;
	else
		r = format_status(stdout, &s) < 0 ? CLI_EXIT_REFUSED : 0;
	ctl_client_close(c);
	return r;
}

/* {"ready": true, "socket": PATH} */
static int ping_json(const char *socket)
{
	struct json_writer w;

	json_writer_init(&w, stdout, 0);
	json_object_begin(&w);
	json_kv_bool(&w, "ready", true);
	json_kv_string(&w, "socket", socket);
	json_object_end(&w);
	return json_writer_end(&w) < 0 ? CLI_EXIT_REFUSED : 0;
}

int cmd_ping(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ctl_client *c;
	int r = status_output_only(ctx, argc, argv);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = ctl_ping(c);
	if (r < 0)
		r = cli_request_failed(ctx, c, "not ready", r);
	else if (ctx->output == CLI_OUTPUT_JSON)
		r = ping_json(ctx->socket);
	else
		printf("synackd at %s is ready\n", ctx->socket);
	ctl_client_close(c);
	return r;
}

int cmd_reload(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ctl_client *c;
	struct ctl_reload rl;
	int r = status_output_only(ctx, argc, argv);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = ctl_reload(c, &rl);
	if (r < 0) {
		/* the daemon's message is the file's errors, one FILE:LINE:COLUMN per line */
		r = cli_request_failed(ctx, c, "refused, the running configuration stays", r);
	} else {
		/* what changed, what `set` values were kept, what needs a restart */
		r = ctx->output == CLI_OUTPUT_JSON ? format_reload_json(stdout, &rl)
						   : format_reload(stdout, &rl);
		r = r < 0 ? cli_error(ctx, CLI_EXIT_REFUSED, "writing output failed") : 0;
		free(rl.v);
	}
	ctl_client_close(c);
	return r;
}
