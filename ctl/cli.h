/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what every synackctl command shares: the exit codes, the global
 * options, the command table, and one way to report usage errors, an
 * unreachable daemon and refused requests.
 *
 * Exit codes: 0 ok; 1 the request was refused (by synackd, or by the same
 * tunables table checked before sending); 2 usage error; 3 synackd cannot be
 * reached. Errors go to stderr, data to stdout.
 */
#ifndef SYNACK_CTL_CLI_H
#define SYNACK_CTL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "client.h"

enum cli_exit {
	CLI_EXIT_OK = 0,
	CLI_EXIT_REFUSED = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_UNREACHABLE = 3,
};

enum cli_output {
	CLI_OUTPUT_TABLE,
	CLI_OUTPUT_JSON,
};

struct cli_command;

struct cli_ctx {
	const char *socket; /* -s, $SYNACK_CONTROL, or the configured path */
	enum cli_output output;
	const struct cli_command *cmd;
};

struct cli_command {
	const char *name;
	const char *alias;					/* NULL when none */
	int (*run)(struct cli_ctx *ctx, int argc, char **argv); /* argv[0] is the command */
	const char *summary;
	const char *usage; /* after "synackctl NAME " */
	const char *help;  /* options and examples */
	bool needs_admin;  /* root or the admin group */
};

/* The command table, in the order help lists it. */
extern const struct cli_command cli_commands[];
extern const size_t cli_command_count;
const struct cli_command *cli_command_find(const char *name);

/* "synackctl CMD: message" + "Try 'synackctl CMD --help'." on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* An error on stderr ("synackctl CMD: message"); returns code. */
int cli_error(const struct cli_ctx *ctx, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Connect, or report "cannot reach synackd at PATH: ..." and return CLI_EXIT_UNREACHABLE. */
int cli_connect(const struct cli_ctx *ctx, struct ctl_client **ret);
/* Report a failed request (what = "fetch connections") and return 1 or 3. */
int cli_request_failed(const struct cli_ctx *ctx, struct ctl_client *c, const char *what, int r);
/* The full help of a command on f. */
void cli_command_help(const struct cli_command *cmd, FILE *f);
/* "table" or "json". */
int cli_parse_output(const char *s, enum cli_output *ret);
/* -j, or -o FORMAT (arg), as cli_getopt() returned it: sets ctx->output; 0, or
 * the exit code of a usage error for an unknown FORMAT. */
int cli_output_opt(struct cli_ctx *ctx, int opt, const char *arg);
/* -h or --help */
bool cli_is_help(const char *arg);
/*
 * getopt_long over a command's arguments with synackctl's messages: returns
 * the option, -1 at the end, or '?' after printing a usage error (the caller
 * returns CLI_EXIT_USAGE). --help prints the help and returns 'h'.
 */
struct option;
int cli_getopt(const struct cli_ctx *ctx, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);

/* Handlers, one per command (cmd_*.c). */
int cmd_status(struct cli_ctx *ctx, int argc, char **argv);
int cmd_ping(struct cli_ctx *ctx, int argc, char **argv);
int cmd_reload(struct cli_ctx *ctx, int argc, char **argv);
int cmd_conns(struct cli_ctx *ctx, int argc, char **argv);
int cmd_watch(struct cli_ctx *ctx, int argc, char **argv);
int cmd_kill(struct cli_ctx *ctx, int argc, char **argv);
int cmd_events(struct cli_ctx *ctx, int argc, char **argv);
int cmd_trace(struct cli_ctx *ctx, int argc, char **argv);
int cmd_stats(struct cli_ctx *ctx, int argc, char **argv);
int cmd_get(struct cli_ctx *ctx, int argc, char **argv);
int cmd_set(struct cli_ctx *ctx, int argc, char **argv);
int cmd_capture(struct cli_ctx *ctx, int argc, char **argv);
int cmd_impair(struct cli_ctx *ctx, int argc, char **argv);
int cmd_help(struct cli_ctx *ctx, int argc, char **argv);

#endif
