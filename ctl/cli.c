/* SPDX-License-Identifier: MIT */
/*
 * cli.c - shared plumbing of synackctl's commands: messages, exit codes,
 * connecting, option parsing.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"

static void cli_vmessage(const struct cli_ctx *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void cli_vmessage(const struct cli_ctx *ctx, const char *fmt, va_list ap)
{
	fputs("synackctl", stderr);
	if (ctx && ctx->cmd)
		fprintf(stderr, " %s", ctx->cmd->name);
	fputs(": ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct cli_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmessage(ctx, fmt, ap);
	va_end(ap);
	if (ctx && ctx->cmd)
		fprintf(stderr, "Try 'synackctl %s --help'.\n", ctx->cmd->name);
	else
		fputs("Try 'synackctl --help'.\n", stderr);
	return CLI_EXIT_USAGE;
}

int cli_error(const struct cli_ctx *ctx, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cli_vmessage(ctx, fmt, ap);
	va_end(ap);
	return code;
}

static bool cli_unreachable(int r)
{
	return r == -ENOTCONN || r == -ECONNREFUSED || r == -ENOENT || r == -EPIPE ||
	       r == -ECONNRESET || r == -ENOTSOCK;
}

int cli_connect(const struct cli_ctx *ctx, struct ctl_client **ret)
{
	int r = ctl_client_open(ctx->socket, ret);

	if (r == 0)
		return 0;
	if (r == -EACCES || r == -EPERM)
		return cli_error(ctx, CLI_EXIT_UNREACHABLE,
				 "cannot reach synackd at %s: %s (reading needs membership of "
				 "the control socket's group, control.group in synackd.yaml)",
				 ctx->socket, strerror(-r));
	return cli_error(ctx, CLI_EXIT_UNREACHABLE, "cannot reach synackd at %s: %s", ctx->socket,
			 strerror(-r));
}

int cli_request_failed(const struct cli_ctx *ctx, struct ctl_client *c, const char *what, int r)
{
	const char *msg = c ? ctl_client_error(c) : "";

	if (cli_unreachable(r))
		return cli_error(ctx, CLI_EXIT_UNREACHABLE, "cannot reach synackd at %s: %s",
				 ctx->socket, strerror(-r));
	if ((r == -EPERM || r == -EACCES) && ctx->cmd && ctx->cmd->needs_admin)
		return cli_error(ctx, CLI_EXIT_REFUSED,
				 "%s: %s: this command needs root or membership of the admin "
				 "group (control.admin_group in synackd.yaml)%s%s",
				 what, strerror(-r), *msg ? ": " : "", msg);
	return cli_error(ctx, CLI_EXIT_REFUSED, "%s: %s", what, *msg ? msg : strerror(-r));
}

void cli_command_help(const struct cli_command *cmd, FILE *f)
{
	fprintf(f, "Usage: synackctl %s %s\n", cmd->name, cmd->usage);
	if (cmd->alias)
		fprintf(f, "Alias: synackctl %s\n", cmd->alias);
	fprintf(f, "\n%s.%s\n", cmd->summary,
		cmd->needs_admin ? " Needs root or the admin group." : "");
	if (cmd->help && *cmd->help)
		fprintf(f, "\n%s", cmd->help);
}

int cli_parse_output(const char *s, enum cli_output *ret)
{
	if (strcmp(s, "table") == 0)
		*ret = CLI_OUTPUT_TABLE;
	else if (strcmp(s, "json") == 0)
		*ret = CLI_OUTPUT_JSON;
	else
		return -EINVAL;
	return 0;
}

int cli_output_opt(struct cli_ctx *ctx, int opt, const char *arg)
{
	if (opt == 'j') {
		ctx->output = CLI_OUTPUT_JSON;
		return 0;
	}
	if (cli_parse_output(arg, &ctx->output) < 0)
		return cli_usage_error(ctx, "unknown output format '%s'", arg);
	return 0;
}

bool cli_is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int cli_getopt(const struct cli_ctx *ctx, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char opts[64];
	int c;

	/* a leading ':' makes getopt tell a missing value from an unknown option */
	snprintf(opts, sizeof(opts), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, opts, longopts, NULL);
	if (c == 'h') {
		cli_command_help(ctx->cmd, stdout);
		return 'h';
	}
	if (c == '?') {
		if (optopt)
			cli_usage_error(ctx, "unknown option '-%c'", optopt);
		else
			cli_usage_error(ctx, "unknown option '%s'", argv[optind - 1]);
		return '?';
	}
	if (c == ':') {
		if (optopt)
			cli_usage_error(ctx, "option '-%c' needs a value", optopt);
		else
			cli_usage_error(ctx, "option '%s' needs a value", argv[optind - 1]);
		return '?';
	}
	return c;
}
