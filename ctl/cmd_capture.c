/* SPDX-License-Identifier: MIT */
/*
 * cmd_capture.c - capture: the TAP's frames into a pcapng file, with each
 * frame's direction, until a count, a duration or ^C; on exit, how many
 * frames were written and how many the daemon dropped because we lagged.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "config.h"
#include "filter.h"
#include "pcapng.h"
#include "units.h"

struct capture_args {
	const char *file;
	uint64_t count;	      /* 0 = no limit */
	uint64_t duration_us; /* 0 = no limit */
	struct ctl_filter filter;
};

static const struct option capture_long[] = {
	{ "write", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 'd' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int capture_option(struct cli_ctx *ctx, struct capture_args *a, int opt, const char *v)
{
	switch (opt) {
	case 'w':
		a->file = v;
		return 0;
	case 'c':
		if (units_parse_u64(v, &a->count) < 0 || a->count == 0)
			return cli_usage_error(ctx, "-c needs a count of frames above 0, got '%s'",
					       v);
		return 0;
	case 'd':
		if (config_parse_duration(v, &a->duration_us) < 0 || a->duration_us == 0)
			return cli_usage_error(ctx,
					       "-d needs a duration with a unit (30s, 2min), "
					       "got '%s'",
					       v);
		return 0;
	}
	return CLI_EXIT_USAGE;
}

static int capture_parse(struct cli_ctx *ctx, int argc, char **argv, struct capture_args *a)
{
	char err[256];
	int opt, r;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "hw:c:d:", capture_long)) != -1) {
		if (opt == 'h')
			return -1;
		r = capture_option(ctx, a, opt, optarg);
		if (r)
			return r;
	}
	if (!a->file)
		return cli_usage_error(ctx, "needs -w FILE (- for stdout)");
	if (a->count && a->duration_us)
		return cli_usage_error(ctx, "give -c COUNT or -d DURATION, not both");
	if (filter_parse(&a->filter, argc - optind, argv + optind, err, sizeof(err)) < 0)
		return cli_usage_error(ctx, "%s", err);
	return 0;
}

static volatile sig_atomic_t capture_stop;

static void capture_on_signal(int sig)
{
	(void)sig;
	capture_stop = 1;
}

static uint64_t capture_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int capture_loop(struct cli_ctx *ctx, struct ctl_client *c, const struct capture_args *a,
			struct pcapng_writer *w, uint64_t *dropped)
{
	uint64_t end = a->duration_us ? capture_now_us() + a->duration_us : 0;
	struct ctl_frame fr;
	int r;

	while (!capture_stop && (!a->count || w->packets < a->count) &&
	       (!end || capture_now_us() < end)) {
		r = ctl_capture_next(c, &fr, 200);
		if (r < 0)
			return cli_request_failed(ctx, c, "capture", r);
		if (r == 0)
			continue;
		if (fr.dropped > *dropped)
			*dropped = fr.dropped;
		if (pcapng_write_packet(w, fr.realtime_us, fr.dir, fr.data, fr.len, fr.orig_len) <
		    0)
			return cli_error(ctx, CLI_EXIT_REFUSED, "writing %s: %s", a->file,
					 strerror(errno));
	}
	return 0;
}

int cmd_capture(struct cli_ctx *ctx, int argc, char **argv)
{
	struct capture_args a;
	struct ctl_client *c;
	struct pcapng_writer w;
	struct sigaction sa = { .sa_handler = capture_on_signal };
	char ifname[32] = "";
	uint64_t dropped = 0;
	FILE *f;
	int r = capture_parse(ctx, argc, argv, &a);

	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	r = cli_connect(ctx, &c);
	if (r)
		return r;
	r = ctl_capture_start(c, &a.filter, ifname, sizeof(ifname));
	if (r < 0) {
		r = cli_request_failed(ctx, c, "start the capture", r);
		ctl_client_close(c);
		return r;
	}
	f = strcmp(a.file, "-") == 0 ? stdout : fopen(a.file, "we");
	if (!f) {
		r = cli_error(ctx, CLI_EXIT_REFUSED, "cannot write %s: %s", a.file,
			      strerror(errno));
		ctl_client_close(c);
		return r;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = pcapng_writer_start(&w, f, ifname[0] ? ifname : NULL, 0);
	if (r == 0)
		r = capture_loop(ctx, c, &a, &w, &dropped);
	if ((f == stdout ? fflush(f) : fclose(f)) != 0 && r == 0)
		r = cli_error(ctx, CLI_EXIT_REFUSED, "writing %s: %s", a.file, strerror(errno));
	fprintf(stderr, "synackctl capture: %llu frame%s written to %s\n",
		(unsigned long long)w.packets, w.packets == 1 ? "" : "s", a.file);
	/* the daemon drops what a lagging capture cannot take, and the next frame
	 * says how many so far: say it, so a short file is not taken as all */
	if (dropped)
		fprintf(stderr,
			"synackctl capture: %llu frame%s dropped: synackctl did not keep up "
			"(a file on a faster disk, or a filter, helps)\n",
			(unsigned long long)dropped, dropped == 1 ? "" : "s");
	ctl_client_close(c);
	return r;
}
