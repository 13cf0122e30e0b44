/* SPDX-License-Identifier: MIT */
/*
 * cmd_conns.c - conns (alias ss), watch and kill: the connection table and
 * what acts on a filtered set of it.
 *
 * Column template (ss -tan, then the optional columns in ss's order):
 *   State Recv-Q Send-Q Local Address:Port Peer Address:Port [Process] [timer:(..)] [id:N]
 * -i adds ss's tab-indented second line.
 *
 * `-o` is both ss's timer flag and the output format: `-o json` and
 * `-o table` choose the format, `-o` followed by anything else (or nothing)
 * shows timers.
 *
 * `conns -s` prints ss -s's TCP line (total and counts per state) for the
 * connections the filter keeps, from the same list; `-4` is accepted as ss
 * takes it: synack is IPv4-only, so it narrows nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "filter.h"
#include "format.h"
#include "json.h"
#include "units.h"

enum conns_allow {
	CONNS_ALLOW_VIEW = 1u << 0,	/* -o -i -p -e -l -H -t -a -n -4, -o json, -j */
	CONNS_ALLOW_INTERVAL = 1u << 1, /* watch -n */
	CONNS_ALLOW_DRY_RUN = 1u << 2,	/* kill --dry-run */
	CONNS_ALLOW_SUMMARY = 1u << 3,	/* conns -s, --summary */
	CONNS_ALLOW_CLOSED = 1u << 4,	/* conns --closed */
	CONNS_ALLOW_OUTPUT = 1u << 5,	/* -j, -o json|table, --json, --output (kill) */
};

struct conns_args {
	struct format_conns_opts fmt;
	struct ctl_filter filter;
	bool listeners_only;
	bool dry_run;
	bool summary;
	bool closed; /* --closed: the recently closed connections too */
	uint64_t interval_us;
};

static int conns_short_flag(struct cli_ctx *ctx, struct conns_args *a, unsigned allow, char f)
{
	switch (f) {
	case 's':
		if (!(allow & CONNS_ALLOW_SUMMARY))
			break;
		a->summary = true;
		return 0;
	case 'o':
		a->fmt.timers = true;
		return 0;
	case 'i':
		a->fmt.info = true;
		return 0;
	case 'p':
		a->fmt.process = true;
		return 0;
	case 'e':
		a->fmt.extended = true;
		return 0;
	case 'l':
		a->listeners_only = true;
		return 0;
	case 'H':
		a->fmt.no_header = true;
		return 0;
	case 'j': /* -j as every other command takes it */
		ctx->output = CLI_OUTPUT_JSON;
		return 0;
	case 't':
	case 'a':
	case 'n':
	case '4':
		return 0; /* ss habits: TCP only, all sockets, numeric, IPv4 (synack has no other) */
	}
	return cli_usage_error(ctx, "unknown option '-%c'", f);
}

/* -o FORMAT, -oFORMAT or a cluster like -tanoi. */
static int conns_short_cluster(struct cli_ctx *ctx, struct conns_args *a, unsigned allow, int argc,
			       char **argv, int *i)
{
	const char *arg = argv[*i];
	enum cli_output out;

	if (arg[1] == 'o' && cli_parse_output(arg + 2, &out) == 0) {
		ctx->output = out;
		return 0;
	}
	for (const char *p = arg + 1; *p; p++) {
		bool last = p[1] == '\0';

		if (*p == 'o' && last && *i + 1 < argc &&
		    cli_parse_output(argv[*i + 1], &out) == 0) {
			ctx->output = out;
			++*i;
			return 0;
		}
		int r = conns_short_flag(ctx, a, allow, *p);
		if (r)
			return r;
	}
	return 0;
}

/* -j, -o FORMAT or -oFORMAT alone (kill: no view options). */
static int conns_output_opt(struct cli_ctx *ctx, int argc, char **argv, int *i)
{
	const char *arg = argv[*i];

	if (strcmp(arg, "-j") == 0) {
		ctx->output = CLI_OUTPUT_JSON;
		return 0;
	}
	if (strncmp(arg, "-o", 2) == 0) {
		const char *v = arg[2] ? arg + 2 : *i + 1 < argc ? argv[++*i] : NULL;

		if (!v || cli_parse_output(v, &ctx->output) < 0)
			return cli_usage_error(ctx, "-o needs table or json");
		return 0;
	}
	return cli_usage_error(ctx, "unknown option '%s'", arg);
}

static int conns_interval(struct cli_ctx *ctx, struct conns_args *a, const char *v)
{
	if (!v)
		return cli_usage_error(ctx, "option '-n' needs an interval");
	if (units_parse_interval(v, &a->interval_us) < 0)
		return cli_usage_error(ctx, "bad interval '%s' (seconds, or with a unit: 500ms)",
				       v);
	return 0;
}

static int conns_long(struct cli_ctx *ctx, struct conns_args *a, unsigned allow, int argc,
		      char **argv, int *i)
{
	const char *arg = argv[*i];

	if (strcmp(arg, "--json") == 0 && allow & (CONNS_ALLOW_VIEW | CONNS_ALLOW_OUTPUT)) {
		ctx->output = CLI_OUTPUT_JSON;
		return 0;
	}
	if (strncmp(arg, "--output", 8) == 0 && (arg[8] == '=' || arg[8] == '\0') &&
	    allow & (CONNS_ALLOW_VIEW | CONNS_ALLOW_OUTPUT)) {
		const char *v = arg[8] == '=' ? arg + 9 : *i + 1 < argc ? argv[++*i] : NULL;

		if (!v || cli_parse_output(v, &ctx->output) < 0)
			return cli_usage_error(ctx, "--output needs table or json");
		return 0;
	}
	if (strcmp(arg, "--ipv4") == 0 && allow & CONNS_ALLOW_VIEW)
		return 0; /* as -4 */
	if (strcmp(arg, "--summary") == 0 && allow & CONNS_ALLOW_SUMMARY) {
		a->summary = true;
		return 0;
	}
	if (strcmp(arg, "--closed") == 0 && allow & CONNS_ALLOW_CLOSED) {
		a->closed = true;
		return 0;
	}
	if (strcmp(arg, "--dry-run") == 0 && allow & CONNS_ALLOW_DRY_RUN) {
		a->dry_run = true;
		return 0;
	}
	if (strncmp(arg, "--interval", 10) == 0 && (arg[10] == '=' || arg[10] == '\0') &&
	    allow & CONNS_ALLOW_INTERVAL)
		return conns_interval(ctx, a,
				      arg[10] == '='  ? arg + 11
				      : *i + 1 < argc ? argv[++*i]
						      : NULL);
	return cli_usage_error(ctx, "unknown option '%s'", arg);
}

/* Options anywhere, filter words collected in order. Returns 0, or an exit code (-1 for help). */
static int conns_parse(struct cli_ctx *ctx, int argc, char **argv, unsigned allow,
		       struct conns_args *a)
{
	char **words = calloc((size_t)argc + 1, sizeof(*words));
	char err[256];
	int nwords = 0, r = 0;
	bool options_done = false;

	if (!words)
		return cli_error(ctx, CLI_EXIT_REFUSED, "out of memory");
	memset(a, 0, sizeof(*a));
	a->interval_us = 1000000;
	for (int i = 1; r == 0 && i < argc; i++) {
		const char *arg = argv[i];

		if (options_done || arg[0] != '-' || arg[1] == '\0') {
			words[nwords++] = argv[i];
		} else if (strcmp(arg, "--") == 0) {
			options_done = true;
		} else if (cli_is_help(arg)) {
			cli_command_help(ctx->cmd, stdout);
			r = -1;
		} else if (arg[1] == '-') {
			r = conns_long(ctx, a, allow, argc, argv, &i);
		} else if (arg[1] == 'n' && arg[2] == '\0' && allow & CONNS_ALLOW_INTERVAL) {
			r = conns_interval(ctx, a, i + 1 < argc ? argv[++i] : NULL);
		} else if (allow & CONNS_ALLOW_VIEW) {
			r = conns_short_cluster(ctx, a, allow, argc, argv, &i);
		} else if (allow & CONNS_ALLOW_OUTPUT) {
			r = conns_output_opt(ctx, argc, argv, &i);
		} else {
			r = cli_usage_error(ctx, "unknown option '%s'", arg);
		}
	}
	if (r == 0 && filter_parse(&a->filter, nwords, words, err, sizeof(err)) < 0)
		r = cli_usage_error(ctx, "%s", err);
	if (r == 0 && a->listeners_only)
		a->filter.states &= CTL_STATE_BIT(CTL_STATE_LISTEN);
	free(words);
	return r;
}

/* Fetch and keep the rows the filter matches (with closed, the closed ones too). */
static int conns_fetch(struct cli_ctx *ctx, struct ctl_client *c, const struct ctl_filter *f,
		       bool closed, struct ctl_conn **ret, size_t *ret_n)
{
	struct ctl_conn *v;
	size_t n, kept = 0;
	int r = ctl_fetch_conns_closed(c, closed, &v, &n);

	if (r < 0)
		return cli_request_failed(ctx, c, "fetch connections", r);
	for (size_t i = 0; i < n; i++) {
		if (filter_match(f, &v[i]))
			v[kept++] = v[i];
	}
	*ret = v;
	*ret_n = kept;
	return 0;
}

static int conns_print(struct cli_ctx *ctx, const struct conns_args *a, const struct ctl_conn *v,
		       size_t n)
{
	int r = ctx->output == CLI_OUTPUT_JSON ? format_conns_json(stdout, v, n)
					       : format_conns_table(stdout, v, n, &a->fmt);

	return r < 0 ? cli_error(ctx, CLI_EXIT_REFUSED, "writing output: %s", strerror(-r)) : 0;
}

/*
 * The daemon's orphan count (the SynackTcpOrphans gauge), for a summary of
 * the whole table: the list does not say which connection is an orphan, so
 * a filtered summary leaves orphaned out. false when not known.
 */
static bool conns_orphans(struct ctl_client *c, uint64_t *ret)
{
	struct ctl_counter *v;
	size_t n;
	bool found = false;

	if (ctl_fetch_counters(c, &v, &n) < 0)
		return false;
	for (size_t i = 0; i < n && !found; i++) {
		if (strcmp(v[i].name, "SynackTcpOrphans") == 0) {
			*ret = v[i].value;
			found = true;
		}
	}
	free(v);
	return found;
}

/*
 * ss -s's TCP line for the rows kept: "TCP:   N (estab E, closed C,
 * orphaned O, synrecv S, timewait T)", then the other states on a second
 * line, in ss -s's spelling. closed counts CLOSED rows (ss counts sockets
 * outside the kernel's hash tables).
 */
static int conns_summary(struct cli_ctx *ctx, const struct ctl_conn *v, size_t n,
			 const uint64_t *orphans)
{
	static const struct {
		const char *name;
		enum ctl_state state;
	} order[] = {
		{ "estab", CTL_STATE_ESTABLISHED },    { "closed", CTL_STATE_CLOSED },
		{ "synrecv", CTL_STATE_SYN_RECEIVED }, { "timewait", CTL_STATE_TIME_WAIT },
		{ "listen", CTL_STATE_LISTEN },	       { "synsent", CTL_STATE_SYN_SENT },
		{ "finwait1", CTL_STATE_FIN_WAIT_1 },  { "finwait2", CTL_STATE_FIN_WAIT_2 },
		{ "closewait", CTL_STATE_CLOSE_WAIT }, { "lastack", CTL_STATE_LAST_ACK },
		{ "closing", CTL_STATE_CLOSING },
	};
	const size_t ss_line = 4; /* the first four are ss -s's own line */
	size_t count[CTL_STATE_COUNT] = { 0 };
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		if ((unsigned)v[i].state < CTL_STATE_COUNT)
			count[v[i].state]++;
	}
	if (ctx->output == CLI_OUTPUT_JSON) {
		struct json_writer w;

		json_writer_init(&w, stdout, 0);
		json_object_begin(&w);
		json_kv_uint(&w, "total", n);
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			json_kv_uint(&w, order[i].name, count[order[i].state]);
			if (i == 1 && orphans)
				json_kv_uint(&w, "orphaned", *orphans);
		}
		json_object_end(&w);
		r = json_writer_end(&w);
	} else {
		printf("TCP:   %zu (", n);
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
			const char *sep = i == ss_line ? ")\n       " : ", ";

			printf("%s%s %zu", i == 0 ? "" : sep, order[i].name, count[order[i].state]);
			if (i == 1 && orphans)
				printf(", orphaned %" PRIu64, *orphans);
		}
		putchar('\n');
	}
	if (r == 0 && (fflush(stdout) != 0 || ferror(stdout)))
		r = -EIO;
	return r < 0 ? cli_error(ctx, CLI_EXIT_REFUSED, "writing output: %s", strerror(-r)) : 0;
}

int cmd_conns(struct cli_ctx *ctx, int argc, char **argv)
{
	struct conns_args a;
	struct ctl_client *c;
	struct ctl_conn *v;
	size_t n;
	uint64_t orphans;
	int r = conns_parse(ctx, argc, argv,
			    CONNS_ALLOW_VIEW | CONNS_ALLOW_SUMMARY | CONNS_ALLOW_CLOSED, &a);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = conns_fetch(ctx, c, &a.filter, a.closed, &v, &n);
	if (r == 0 && a.summary) {
		bool whole = filter_is_empty(&a.filter);

		r = conns_summary(ctx, v, n, whole && conns_orphans(c, &orphans) ? &orphans : NULL);
		free(v);
	} else if (r == 0) {
		r = conns_print(ctx, &a, v, n);
		free(v);
	}
	ctl_client_close(c);
	return r;
}

static volatile sig_atomic_t conns_stop;

static void conns_on_signal(int sig)
{
	(void)sig;
	conns_stop = 1;
}

/*
 * Wait us microseconds; with a terminal on stdin (keys != 0), a 'q' typed
 * meanwhile ends the wait and the watch (returns true). A signal cuts the
 * wait short, which is what ^C wants.
 */
static bool conns_sleep(uint64_t us, bool keys)
{
	struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
			       .tv_nsec = (long)(us % 1000000) * 1000 };
	struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
	char ch;

	if (!keys) {
		nanosleep(&ts, NULL);
		return false;
	}
	if (poll(&p, 1, (int)(us / 1000)) > 0 && read(STDIN_FILENO, &ch, 1) == 1)
		return ch == 'q' || ch == 'Q';
	return false;
}

/* Keys one at a time, unechoed, while watch runs on a terminal (restored by watch_keys_end). */
static bool watch_keys_begin(struct termios *saved)
{
	struct termios raw;

	/* only in the terminal's foreground: a background job changing its modes
	 * would be stopped (SIGTTOU) and would take the keys from the shell */
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp() ||
	    tcgetattr(STDIN_FILENO, saved) < 0)
		return false;
	raw = *saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	return tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
}

static void watch_keys_end(const struct termios *saved)
{
	tcsetattr(STDIN_FILENO, TCSANOW, saved);
}

static int watch_once(struct cli_ctx *ctx, struct ctl_client *c, const struct conns_args *a,
		      bool tty)
{
	struct ctl_conn *v;
	size_t n;
	time_t now = time(NULL);
	char when[32];
	int r = conns_fetch(ctx, c, &a->filter, false, &v, &n);

	if (r)
		return r;
	strftime(when, sizeof(when), "%H:%M:%S", localtime(&now));
	if (tty)
		fputs("\033[H\033[2J", stdout);
	printf("every %.1fs: %zu connection%s at %s    %s\n\n", a->interval_us / 1e6, n,
	       n == 1 ? "" : "s", ctx->socket, when);
	r = conns_print(ctx, a, v, n);
	free(v);
	fflush(stdout);
	return r;
}

int cmd_watch(struct cli_ctx *ctx, int argc, char **argv)
{
	struct conns_args a;
	struct ctl_client *c;
	struct sigaction sa = { .sa_handler = conns_on_signal };
	struct termios saved;
	bool keys;
	int r = conns_parse(ctx, argc, argv, CONNS_ALLOW_VIEW | CONNS_ALLOW_INTERVAL, &a);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	if (ctx->output == CLI_OUTPUT_JSON)
		return cli_usage_error(ctx, "watch draws for people; use conns -o json in a loop");
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	keys = watch_keys_begin(&saved);
	while (!conns_stop && r == 0) {
		r = watch_once(ctx, c, &a, isatty(STDOUT_FILENO));
		if (r == 0 && conns_sleep(a.interval_us, keys))
			break; /* q */
	}
	if (keys)
		watch_keys_end(&saved);
	ctl_client_close(c);
	return r;
}

static void kill_describe(const struct ctl_conn *conn, char *buf, size_t len)
{
	char local[24], remote[24];

	format_endpoint_joined(&conn->local, local, sizeof(local));
	format_endpoint_joined(&conn->remote, remote, sizeof(remote));
	snprintf(buf, len, "%-10s %s %s id:%" PRIu64, ctl_state_ss_name(conn->state), local, remote,
		 conn->id);
}

/* One connection's outcome as a JSON object: the connection and what happened to it. */
static void kill_json(struct json_writer *w, const struct ctl_conn *conn, const char *result,
		      const char *error)
{
	char local[24], remote[24];

	format_endpoint_joined(&conn->local, local, sizeof(local));
	format_endpoint_joined(&conn->remote, remote, sizeof(remote));
	json_object_begin(w);
	json_kv_uint(w, "id", conn->id);
	json_kv_string(w, "state", ctl_state_rfc_name(conn->state));
	json_kv_string(w, "local", local);
	json_kv_string(w, "remote", remote);
	json_kv_string(w, "result", result);
	if (error)
		json_kv_string(w, "error", error);
	json_object_end(w);
}

/*
 * Returns 0, or the exit code of the first failure while going on with the
 * rest. With -o json: one array, an object per connection with its result
 * (killed, dry-run, failed with the daemon's error).
 */
static int kill_each(struct cli_ctx *ctx, struct ctl_client *c, const struct conns_args *a,
		     const struct ctl_conn *v, size_t n)
{
	bool json = ctx->output == CLI_OUTPUT_JSON;
	struct json_writer w;
	char what[128];
	int worst = 0;

	json_writer_init(&w, stdout, JSON_ARRAY_LINES);
	if (json)
		json_array_begin(&w);
	for (size_t i = 0; i < n; i++) {
		kill_describe(&v[i], what, sizeof(what));
		if (a->dry_run) {
			if (json)
				kill_json(&w, &v[i], "dry-run", NULL);
			else
				printf("would kill %s\n", what);
			continue;
		}
		int r = ctl_kill(c, v[i].id);
		if (r == 0) {
			if (json)
				kill_json(&w, &v[i], "killed", NULL);
			else
				printf("killed %s\n", what);
			continue;
		}
		if (json)
			kill_json(&w, &v[i], "failed",
				  *ctl_client_error(c) ? ctl_client_error(c) : strerror(-r));
		else
			printf("failed %s\n", what);
		r = cli_request_failed(ctx, c, what, r);
		if (r == CLI_EXIT_UNREACHABLE) {
			worst = r;
			break;
		}
		worst = worst ? worst : r;
	}
	if (json) {
		json_array_end(&w);
		if (json_writer_end(&w) < 0 && !worst)
			worst = CLI_EXIT_REFUSED;
	}
	return worst;
}

int cmd_kill(struct cli_ctx *ctx, int argc, char **argv)
{
	struct conns_args a;
	struct ctl_client *c;
	struct ctl_conn *v;
	size_t n;
	int r = conns_parse(ctx, argc, argv, CONNS_ALLOW_DRY_RUN | CONNS_ALLOW_OUTPUT, &a);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	if (filter_is_empty(&a.filter))
		return cli_usage_error(ctx, "needs a FILTER (state connected matches every "
					    "connection)");
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = conns_fetch(ctx, c, &a.filter, false, &v, &n);
	if (r == 0) {
		if (n == 0)
			fprintf(stderr, "synackctl kill: no connection matches\n");
		r = kill_each(ctx, c, &a, v, n);
		free(v);
	}
	ctl_client_close(c);
	return r;
}
