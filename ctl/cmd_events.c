/* SPDX-License-Identifier: MIT */
/*
 * cmd_events.c - events (state transitions as they happen) and trace (one
 * connection's history as a ladder diagram, or JSON).
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filter.h"
#include "format.h"
#include "ladder.h"
#include "units.h"

static volatile sig_atomic_t events_stop;

static void events_on_signal(int sig)
{
	(void)sig;
	events_stop = 1;
}

static void events_catch_signals(void)
{
	struct sigaction sa = { .sa_handler = events_on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static const struct option events_long[] = {
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static bool events_match(const struct ctl_filter *f, const struct ctl_event *e)
{
	/* the connection as it is after the transition */
	struct ctl_conn conn = {
		.id = e->conn_id, .state = e->to, .local = e->local, .remote = e->remote
	};

	/* a transition matches a state filter by either of its states */
	if (filter_match(f, &conn))
		return true;
	conn.state = e->from;
	return filter_match(f, &conn);
}

static int events_stream(struct cli_ctx *ctx, struct ctl_client *c, const struct ctl_filter *f)
{
	struct ctl_event e;
	int r = ctl_events_subscribe(c);

	if (r < 0)
		return cli_request_failed(ctx, c, "subscribe to events", r);
	events_catch_signals();
	while (!events_stop) {
		r = ctl_events_next(c, &e, 500);
		if (r < 0)
			return cli_request_failed(ctx, c, "events", r);
		if (r == 0 || !events_match(f, &e))
			continue;
		if (ctx->output == CLI_OUTPUT_JSON)
			format_event_json(stdout, &e);
		else
			format_event_line(stdout, &e);
		fflush(stdout);
	}
	return 0;
}

int cmd_events(struct cli_ctx *ctx, int argc, char **argv)
{
	struct ctl_filter f;
	struct ctl_client *c;
	char err[256];
	int opt, r;

	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "ho:j", events_long)) != -1) {
		if (opt == 'h')
			return CLI_EXIT_OK;
		if (opt == '?')
			return CLI_EXIT_USAGE;
		if (opt == 'j')
			ctx->output = CLI_OUTPUT_JSON;
		if (opt == 'o' && cli_parse_output(optarg, &ctx->output) < 0)
			return cli_usage_error(ctx, "unknown output format '%s' (table or json)",
					       optarg);
	}
	if (filter_parse(&f, argc - optind, argv + optind, err, sizeof(err)) < 0)
		return cli_usage_error(ctx, "%s", err);
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = events_stream(ctx, c, &f);
	ctl_client_close(c);
	return r;
}

struct trace_args {
	unsigned ladder_flags;
	bool follow;
	bool by_id;
	uint64_t id;
	struct ctl_filter filter;
};

static const struct option trace_long[] = {
	{ "absolute", no_argument, NULL, 'A' },	    { "follow", no_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' }, { "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },	    { NULL, 0, NULL, 0 },
};

/* CONN: a connection id, or filter words that must match exactly one connection. */
static int trace_parse_conn(struct cli_ctx *ctx, int argc, char **argv, struct trace_args *a)
{
	char err[256];

	if (argc == 0)
		return cli_usage_error(ctx, "needs CONN: a connection id (conns -e) or a filter");
	if (argc == 1 && units_parse_u64(argv[0], &a->id) == 0) {
		a->by_id = true;
		return 0;
	}
	if (filter_parse(&a->filter, argc, argv, err, sizeof(err)) < 0)
		return cli_usage_error(ctx, "%s", err);
	return 0;
}

static int trace_parse(struct cli_ctx *ctx, int argc, char **argv, struct trace_args *a)
{
	int opt;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "hfo:j", trace_long)) != -1) {
		switch (opt) {
		case 'h':
			return -1;
		case '?':
			return CLI_EXIT_USAGE;
		case 'A':
			a->ladder_flags |= LADDER_ABSOLUTE;
			break;
		case 'f':
			a->follow = true;
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
	if (a->follow && ctx->output == CLI_OUTPUT_JSON)
		return cli_usage_error(ctx, "--follow draws the ladder; use events -o json to "
					    "stream JSON");
	return trace_parse_conn(ctx, argc - optind, argv + optind, a);
}

/*
 * The id of the one live connection the filter matches; when none lives,
 * the most recently closed one whose history synackd still keeps (a note
 * says which, when several closed ones match: conns --closed -e lists them).
 */
static int trace_resolve(struct cli_ctx *ctx, struct ctl_client *c, struct trace_args *a)
{
	struct ctl_conn *v;
	const struct ctl_conn *newest = NULL;
	size_t n, matched = 0, closed = 0;
	int r;

	if (a->by_id)
		return 0;
	r = ctl_fetch_conns_closed(c, true, &v, &n);
	if (r < 0)
		return cli_request_failed(ctx, c, "fetch connections", r);
	for (size_t i = 0; i < n; i++) {
		if (!filter_match(&a->filter, &v[i]))
			continue;
		if (!v[i].closed) {
			a->id = v[i].id;
			matched++;
		} else if (closed++ == 0 || v[i].closed_ago_ms < newest->closed_ago_ms) {
			newest = &v[i];
		}
	}
	if (matched == 0 && newest) {
		a->id = newest->id;
		matched = 1;
		if (closed > 1)
			fprintf(stderr,
				"synackctl trace: %zu closed connections match; drawing the latest "
				"(id %" PRIu64 ", closed %" PRIu64 " ms ago)\n",
				closed, newest->id, newest->closed_ago_ms);
	}
	free(v);
	if (matched == 1)
		return 0;
	if (matched == 0)
		return cli_error(ctx, CLI_EXIT_REFUSED,
				 "no connection matches the filter, open or recently closed");
	return cli_error(ctx, CLI_EXIT_REFUSED,
			 "the filter matches %zu connections; narrow it or give an id (conns -e)",
			 matched);
}

static int trace_follow(struct cli_ctx *ctx, struct ctl_client *c, uint64_t id, struct ladder *l)
{
	struct ctl_trace_entry e;
	int r = ctl_trace_follow(c, id);

	if (r < 0)
		return cli_request_failed(ctx, c, "follow the trace", r);
	events_catch_signals();
	while (!events_stop) {
		r = ctl_trace_next(c, &e, 500);
		if (r < 0)
			break; /* the connection's history ended */
		if (r == 0) {
			ladder_flush(l);
			continue;
		}
		ladder_feed(l, &e);
	}
	ladder_flush(l);
	return 0;
}

int cmd_trace(struct cli_ctx *ctx, int argc, char **argv)
{
	struct trace_args a;
	struct ctl_client *c;
	struct ctl_trace_entry *v;
	struct ladder l;
	size_t n;
	int r = trace_parse(ctx, argc, argv, &a);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = trace_resolve(ctx, c, &a);
	if (r == 0 && (r = ctl_fetch_trace(c, a.id, &v, &n)) < 0)
		r = cli_request_failed(ctx, c, "fetch the trace", r);
	if (r == 0) {
		if (ctx->output == CLI_OUTPUT_JSON) {
			format_trace_json(stdout, v, n);
		} else {
			ladder_init(&l, stdout, a.ladder_flags);
			ladder_fit(&l, v, n);
			for (size_t i = 0; i < n; i++)
				ladder_feed(&l, &v[i]);
			ladder_flush(&l);
			if (a.follow)
				r = trace_follow(ctx, c, a.id, &l);
		}
		free(v);
	}
	ctl_client_close(c);
	return r;
}
