/* SPDX-License-Identifier: MIT */
/*
 * cmd_capture.c - capture: the TAP's frames into a pcapng file, with each
 * frame's direction, until a count, a duration or ^C. Frames pass the
 * connection FILTER (ss words, matched in client.c) and a tcpdump-style
 * --bpf expression (libpcap, bpf_expr.c) when given: both must match. On
 * exit, always: how many frames were written, how many synackd dropped
 * because we lagged (its final count, asked for with CaptureStop), and how
 * many --bpf left out (stderr; -o json adds one object).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "bpf_expr.h"
#include "cli.h"
#include "config.h"
#include "filter.h"
#include "json.h"
#include "pcapng.h"
#include "units.h"

struct capture_args {
	const char *file;
	uint64_t count;	      /* 0 = no limit */
	uint64_t duration_us; /* 0 = no limit */
	const char *bpf_text; /* --bpf, NULL when not given */
	struct bpf_expr *bpf; /* ... compiled */
	struct ctl_filter filter;
};

/* What the summary says. */
struct capture_tally {
	uint64_t dropped;      /* synackd's count for this capture, from the latest frame */
	bool dropped_final;    /* ... or from its StreamEnd, counting drops after that frame */
	uint64_t bpf_filtered; /* frames --bpf left out */
	const char *stopped;   /* count, duration, signal, error */
	bool write_failed;     /* the file may hold fewer frames than were handed to it */
};

enum { CAPTURE_OPT_BPF = 256 };

static const struct option capture_long[] = {
	{ "write", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 'd' },
	/* known even when not built in, to say so */
	{ "bpf", required_argument, NULL, CAPTURE_OPT_BPF },
	{ "output", required_argument, NULL, 'o' },
	{ "json", no_argument, NULL, 'j' },
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
	case CAPTURE_OPT_BPF:
		if (a->bpf_text)
			return cli_usage_error(ctx, "--bpf given twice: join the expressions "
						    "with 'and'");
		a->bpf_text = v;
		return 0;
	case 'j':
		ctx->output = CLI_OUTPUT_JSON;
		return 0;
	case 'o':
		if (cli_parse_output(v, &ctx->output) < 0)
			return cli_usage_error(ctx, "unknown output format '%s' (table or json)",
					       v);
		return 0;
	}
	return CLI_EXIT_USAGE;
}

static int capture_parse(struct cli_ctx *ctx, int argc, char **argv, struct capture_args *a)
{
	char err[512]; /* a filter's message, or libpcap's (PCAP_ERRBUF_SIZE) */
	int opt, r;

	memset(a, 0, sizeof(*a));
	optind = 0;
	while ((opt = cli_getopt(ctx, argc, argv, "hw:c:d:jo:", capture_long)) != -1) {
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
	/* last, once every other argument is known to be good */
	if (a->bpf_text) {
		r = bpf_expr_compile(a->bpf_text, &a->bpf, err, sizeof(err));
		if (r == -ENOTSUP)
			return cli_usage_error(ctx, "--bpf: %s", err);
		if (r < 0)
			return cli_usage_error(ctx, "--bpf '%s': %s", a->bpf_text, err);
	}
	return 0;
}

static volatile sig_atomic_t capture_stop;
/* SIGINT and SIGTERM so far: one more than stopped the capture, while synackd
 * is asked for its final count, gives up waiting for it */
static volatile sig_atomic_t capture_signals;

static void capture_on_signal(int sig)
{
	(void)sig;
	capture_stop = 1;
	capture_signals++;
}

static uint64_t capture_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int capture_loop(struct cli_ctx *ctx, struct ctl_client *c, const struct capture_args *a,
			struct pcapng_writer *w, struct capture_tally *t)
{
	uint64_t end = a->duration_us ? capture_now_us() + a->duration_us : 0;
	struct ctl_frame fr;
	int r;

	for (;;) {
		if (capture_stop)
			t->stopped = "signal";
		else if (a->count && w->packets >= a->count)
			t->stopped = "count";
		else if (end && capture_now_us() >= end)
			t->stopped = "duration";
		if (t->stopped)
			return 0;
		r = ctl_capture_next(c, &fr, 200);
		if (r < 0) {
			t->stopped = "error";
			return cli_request_failed(ctx, c, "capture", r);
		}
		if (r == 0)
			continue;
		/*
		 * synackd drops frames for a capture that lags (its queue to us is
		 * full) and the next frame it sends says how many so far: a frame
		 * --bpf leaves out says it too
		 */
		if (fr.dropped > t->dropped)
			t->dropped = fr.dropped;
		if (a->bpf && !bpf_expr_match(a->bpf, fr.data, fr.len, fr.orig_len)) {
			t->bpf_filtered++;
			continue;
		}
		if (pcapng_write_packet(w, fr.realtime_us, fr.dir, fr.data, fr.len, fr.orig_len) <
		    0) {
			t->stopped = "error";
			t->write_failed = true;
			return cli_error(ctx, CLI_EXIT_REFUSED, "writing %s: %s", a->file,
					 strerror(errno));
		}
	}
}

/*
 * Tell synackd the capture is over and take its last word on the drops: a
 * frame it dropped after the last one we got is in no frame's count.
 */
static void capture_final_drops(struct ctl_client *c, struct capture_tally *t)
{
	uint64_t dropped = 0;
	int r;

	/* not the count now: a second ^C may have come already */
	r = ctl_capture_stop(c, &dropped, &capture_signals,
			     strcmp(t->stopped, "signal") == 0 ? 1 : 0);
	if (dropped > t->dropped)
		t->dropped = dropped;
	t->dropped_final = r > 0;
	if (r == -ETIMEDOUT)
		fprintf(stderr, "synackctl capture: synackd did not say its final count in time\n");
}

/*
 * Always said, whatever stopped the capture: a short file is not taken for
 * all there was. synackd counts its drops before any filter, so some of them
 * might not have matched.
 */
static void capture_summary(const struct cli_ctx *ctx, const struct capture_args *a,
			    const struct pcapng_writer *w, const struct capture_tally *t)
{
	bool to_stdout = strcmp(a->file, "-") == 0;
	const char *name = to_stdout ? "stdout" : a->file;
	unsigned long long n = w->packets, d = t->dropped, b = t->bpf_filtered;
	struct json_writer j;
	FILE *jf;

	fprintf(stderr,
		"synackctl capture: %s%llu frame%s written to %s, %llu dropped by synackd%s%s\n",
		t->write_failed ? "at most " : "", n, n == 1 ? "" : "s", name, d,
		d ? " (the reader was too slow)" : "",
		t->dropped_final ? "" : " as of the last frame received");
	if (a->bpf)
		fprintf(stderr,
			"synackctl capture: %llu frame%s did not match the BPF expression\n", b,
			b == 1 ? "" : "s");
	if (ctx->output != CLI_OUTPUT_JSON)
		return;
	/* data goes to stdout, unless the capture itself does */
	jf = to_stdout ? stderr : stdout;
	json_writer_init(&j, jf, 0);
	json_object_begin(&j);
	json_kv_string(&j, "file", a->file);
	json_kv_uint(&j, "written", w->packets);
	json_kv_bool(&j, "write_failed", t->write_failed);
	json_kv_uint(&j, "dropped", t->dropped);
	json_kv_bool(&j, "dropped_final", t->dropped_final);
	json_key(&j, "bpf");
	if (a->bpf_text)
		json_string(&j, a->bpf_text);
	else
		json_null(&j);
	json_kv_uint(&j, "bpf_filtered", t->bpf_filtered);
	json_kv_string(&j, "stopped", t->stopped ? t->stopped : "error");
	json_object_end(&j); /* and the newline */
	json_writer_end(&j);
	fflush(jf);
}

static int capture_run(struct cli_ctx *ctx, const struct capture_args *a)
{
	struct ctl_client *c;
	struct pcapng_writer w;
	struct capture_tally t = { 0 };
	struct sigaction sa = { .sa_handler = capture_on_signal };
	char ifname[32] = "";
	FILE *f;
	int r = cli_connect(ctx, &c);

	if (r)
		return r;
	r = ctl_capture_start(c, &a->filter, ifname, sizeof(ifname));
	if (r < 0) {
		r = cli_request_failed(ctx, c, "start the capture", r);
		ctl_client_close(c);
		return r;
	}
	f = strcmp(a->file, "-") == 0 ? stdout : fopen(a->file, "we");
	if (!f) {
		r = cli_error(ctx, CLI_EXIT_REFUSED, "cannot write %s: %s", a->file,
			      strerror(errno));
		ctl_client_close(c);
		return r;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a reader of -w - that has gone (tshark ended by the same ^C) is a
	 * write error, said in the summary, not a silent death */
	signal(SIGPIPE, SIG_IGN);
	if (pcapng_writer_start(&w, f, ifname[0] ? ifname : NULL, 0) < 0) {
		t.stopped = "error";
		t.write_failed = true;
		r = cli_error(ctx, CLI_EXIT_REFUSED, "writing %s: %s", a->file, strerror(errno));
	} else {
		r = capture_loop(ctx, c, a, &w, &t);
	}
	if (t.stopped && strcmp(t.stopped, "error") != 0)
		capture_final_drops(c, &t);
	if ((f == stdout ? fflush(f) : fclose(f)) != 0 && !t.write_failed) {
		t.write_failed = true;
		if (r == 0)
			r = cli_error(ctx, CLI_EXIT_REFUSED, "writing %s: %s", a->file,
				      strerror(errno));
	}
	capture_summary(ctx, a, &w, &t);
	ctl_client_close(c);
	return r;
}

int cmd_capture(struct cli_ctx *ctx, int argc, char **argv)
{
	struct capture_args a;
	int r = capture_parse(ctx, argc, argv, &a);

	if (r == 0)
		r = capture_run(ctx, &a);
	else if (r < 0)
		r = CLI_EXIT_OK; /* --help */
	bpf_expr_free(a.bpf);
	return r;
}
