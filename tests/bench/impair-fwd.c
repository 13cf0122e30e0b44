/* SPDX-License-Identifier: MIT */
/*
 * impair-fwd.c - the benchmark's reference path: an impairing wire between
 * two TAPs, so two kernels (one network namespace at each end) can be
 * measured over the same impaired path as the kernel and synackd.
 *
 *   impair-fwd [OPTIONS] [NETNS/]TAP_A [NETNS/]TAP_B
 *
 *   --loss P%  --duplicate P%  --reorder P%  --corrupt P%    (as synackctl impair)
 *   --reorder-frames N  --reorder-time D  --delay D  --jitter D
 *   --seed N                                                (default 1)
 *
 * Frames read from TAP_A go to TAP_B as direction "in" of the impairment
 * engine, frames from TAP_B go to TAP_A as "out": TAP_B's end stands where
 * synackd stands in the synack runs, and both use the same pure engine
 * (daemon/impair/) with the same parameters and seed. The TAPs are attached
 * without offloads, so the kernels segment in software and every frame is
 * wire-sized, as with synackd's impairment stage. Prints "ready" once both
 * TAPs are attached; on SIGTERM or SIGINT prints the engine's counters per
 * direction as one JSON line and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fwd_tap.h"
#include "impair.h"
#include "impair_queue.h"

#define FWD_FRAME_MAX 65536
#define FWD_BATCH     64 /* frames read from one TAP before looking at the other */

struct fwd {
	int fd[IMPAIR_DIRS]; /* fd[d]: where frames of direction d are read from */
	struct impair im;
	struct impair_queue q;
	uint64_t delivered[IMPAIR_DIRS], write_errors[IMPAIR_DIRS], queue_full[IMPAIR_DIRS];
	uint8_t buf[FWD_FRAME_MAX];
};

static volatile sig_atomic_t fwd_stop;

static void fwd_on_signal(int sig)
{
	(void)sig;
	fwd_stop = 1;
}

static uint64_t fwd_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void fwd_usage(void)
{
	fprintf(stderr,
		"usage: impair-fwd [--loss P%%] [--duplicate P%%] [--reorder P%%] [--corrupt P%%]\n"
		"                  [--reorder-frames N] [--reorder-time D] [--delay D] [--jitter "
		"D]\n"
		"                  [--seed N] [NETNS/]TAP_A [NETNS/]TAP_B\n");
	exit(2);
}

enum {
	FWD_LOSS = 256,
	FWD_DUP,
	FWD_REORDER,
	FWD_CORRUPT,
	FWD_RFRAMES,
	FWD_RTIME,
	FWD_DELAY,
	FWD_JITTER,
	FWD_SEED
};

static const struct option fwd_long[] = {
	{ "loss", required_argument, NULL, FWD_LOSS },
	{ "duplicate", required_argument, NULL, FWD_DUP },
	{ "reorder", required_argument, NULL, FWD_REORDER },
	{ "corrupt", required_argument, NULL, FWD_CORRUPT },
	{ "reorder-frames", required_argument, NULL, FWD_RFRAMES },
	{ "reorder-time", required_argument, NULL, FWD_RTIME },
	{ "delay", required_argument, NULL, FWD_DELAY },
	{ "jitter", required_argument, NULL, FWD_JITTER },
	{ "seed", required_argument, NULL, FWD_SEED },
	{ NULL, 0, NULL, 0 },
};

/* One option into p; -EINVAL when its value does not parse. */
static int fwd_option(int opt, const char *v, struct impair_params *p)
{
	char *end;

	switch (opt) {
	case FWD_LOSS:
		return config_parse_percent(v, &p->loss_ppm);
	case FWD_DUP:
		return config_parse_percent(v, &p->dup_ppm);
	case FWD_REORDER:
		return config_parse_percent(v, &p->reorder_ppm);
	case FWD_CORRUPT:
		return config_parse_percent(v, &p->corrupt_ppm);
	case FWD_RTIME:
		return config_parse_duration(v, &p->reorder_us);
	case FWD_DELAY:
		return config_parse_duration(v, &p->delay_us);
	case FWD_JITTER:
		return config_parse_duration(v, &p->jitter_us);
	case FWD_RFRAMES:
		p->reorder_frames = (uint32_t)strtoul(v, &end, 10);
		return *v && !*end ? 0 : -EINVAL;
	case FWD_SEED:
		p->seed = strtoull(v, &end, 10);
		return *v && !*end ? 0 : -EINVAL;
	}
	return -EINVAL;
}

static void fwd_parse(int argc, char **argv, struct impair_params *p)
{
	int opt;

	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->dirs = IMPAIR_DIRS_BOTH;
	while ((opt = getopt_long(argc, argv, "h", fwd_long, NULL)) != -1) {
		if (opt == 'h' || opt == '?')
			fwd_usage();
		if (fwd_option(opt, optarg, p) < 0) {
			fprintf(stderr, "impair-fwd: bad value '%s' for --%s\n", optarg,
				fwd_long[opt - FWD_LOSS].name);
			exit(2);
		}
	}
	if (argc - optind != 2)
		fwd_usage();
}

/* Write one frame of direction dir to the far TAP; a full TAP queue drops it. */
static void fwd_write(struct fwd *f, enum impair_dir dir, const uint8_t *frame, size_t len,
		      uint64_t now)
{
	ssize_t n = write(f->fd[!dir], frame, len);

	if (n == (ssize_t)len)
		f->delivered[dir]++;
	else
		f->write_errors[dir]++;
	impair_queue_passed(&f->q, dir, now);
}

/* Read up to a batch of frames of direction dir and pass each through the engine. */
static int fwd_read(struct fwd *f, enum impair_dir dir)
{
	for (int i = 0; i < FWD_BATCH; i++) {
		struct impair_verdict v;
		ssize_t n = read(f->fd[dir], f->buf, sizeof(f->buf));
		uint64_t now = fwd_now_us();

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		impair_frame(&f->im, dir, f->buf, (size_t)n, now, &v);
		for (unsigned c = 0; c < v.copies; c++) {
			if (v.copy[c].at_us <= now && !v.copy[c].after_frames)
				fwd_write(f, dir, f->buf, (size_t)n, now);
			else if (impair_queue_push(&f->q, dir, f->buf, (size_t)n, &v.copy[c]) < 0)
				f->queue_full[dir]++;
		}
	}
	return 0;
}

/* Deliver every held frame that is due. */
static void fwd_release_due(struct fwd *f)
{
	uint64_t now = fwd_now_us();
	struct impair_qframe *qf;

	while ((qf = impair_queue_pop_due(&f->q, now)) != NULL) {
		fwd_write(f, (enum impair_dir)qf->dir, qf->data, qf->len, now);
		impair_queue_release(&f->q, qf);
	}
}

static int fwd_timeout_ms(const struct fwd *f)
{
	uint64_t at = impair_queue_next_at(&f->q), now = fwd_now_us();

	if (at == IMPAIR_TIME_NEVER)
		return -1;
	return at <= now ? 0 : (int)((at - now + 999) / 1000);
}

static void fwd_report(const struct fwd *f)
{
	static const char *const names[IMPAIR_DIRS] = { "in", "out" };

	printf("{");
	for (int d = 0; d < IMPAIR_DIRS; d++) {
		const struct impair_counters *c = &f->im.ctr[d];

		printf("%s\"%s\": {\"frames\": %llu, \"delivered\": %llu, \"dropped\": %llu, "
		       "\"duplicated\": %llu, \"reordered\": %llu, \"corrupted\": %llu, "
		       "\"write_errors\": %llu, \"queue_full\": %llu}",
		       d ? ", " : "", names[d], (unsigned long long)c->frames,
		       (unsigned long long)f->delivered[d], (unsigned long long)c->dropped,
		       (unsigned long long)c->duplicated, (unsigned long long)c->reordered,
		       (unsigned long long)c->corrupted, (unsigned long long)f->write_errors[d],
		       (unsigned long long)f->queue_full[d]);
	}
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct fwd f;
	struct impair_params p;
	struct sigaction sa = { .sa_handler = fwd_on_signal };

	fwd_parse(argc, argv, &p);
	for (int d = 0; d < IMPAIR_DIRS; d++) {
		f.fd[d] = fwd_tap_open(argv[optind + d]);
		if (f.fd[d] < 0) {
			fprintf(stderr, "impair-fwd: TAP %s: %s\n", argv[optind + d],
				strerror(-f.fd[d]));
			return 1;
		}
	}
	impair_init(&f.im, &p);
	if (impair_queue_init(&f.q, IMPAIR_QUEUE_FRAMES_DEF, IMPAIR_QUEUE_BYTES_DEF) < 0) {
		fprintf(stderr, "impair-fwd: no memory for the queue\n");
		return 1;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!fwd_stop) {
		struct pollfd pfd[IMPAIR_DIRS] = { { .fd = f.fd[IMPAIR_IN], .events = POLLIN },
						   { .fd = f.fd[IMPAIR_OUT], .events = POLLIN } };
		int r = poll(pfd, IMPAIR_DIRS, fwd_timeout_ms(&f));

		if (r < 0 && errno != EINTR) {
			perror("impair-fwd: poll");
			return 1;
		}
		for (int d = 0; r > 0 && d < IMPAIR_DIRS; d++)
			if ((pfd[d].revents & POLLIN) && fwd_read(&f, (enum impair_dir)d) < 0) {
				perror("impair-fwd: read");
				return 1;
			}
		fwd_release_due(&f);
	}
	fwd_report(&f);
	impair_queue_free(&f.q);
	return 0;
}
