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
 *   --plain    attach without offloads (as synackd's interface.offload: false)
 *
 * Frames read from TAP_A go to TAP_B as direction "in" of the impairment
 * engine, frames from TAP_B go to TAP_A as "out": TAP_B's end stands where
 * synackd stands in the synack runs, and both use the same pure engine
 * (daemon/impair/) with the same parameters and seed. The TAPs are attached
 * as synackd attaches its TAP: with offloads, the kernels hand over TCP
 * super-frames, passed on whole while no impairment acts on their direction
 * and otherwise cut into wire-sized frames with full checksums
 * (impair_seg_split(), as synackd's stage does) before the engine sees them;
 * with --plain, without offloads, so the kernels segment in software and
 * every frame is wire-sized from the start. Prints "ready" once both
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
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "fwd_tap.h"
#include "impair.h"
#include "impair_queue.h"
#include "impair_seg.h"

#define FWD_FRAME_MAX (FWD_VNET_HDR_LEN + 65536)
#define FWD_BATCH     64 /* frames read from one TAP before looking at the other */

struct fwd {
	int fd[IMPAIR_DIRS]; /* fd[d]: where frames of direction d are read from */
	bool vnet;	     /* offloads: a virtio-net header before every frame */
	struct impair im;
	struct impair_queue q;
	uint64_t delivered[IMPAIR_DIRS], write_errors[IMPAIR_DIRS], queue_full[IMPAIR_DIRS];
	uint64_t super_frames[IMPAIR_DIRS], bad_frames[IMPAIR_DIRS];
	uint8_t buf[FWD_FRAME_MAX];
	uint8_t scratch[IMPAIR_SEG_SCRATCH];
};

/* What fwd_emit() needs besides the frame. */
struct fwd_emit_ctx {
	struct fwd *f;
	enum impair_dir dir;
	uint64_t now;
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
		"                  [--seed N] [--plain] [NETNS/]TAP_A [NETNS/]TAP_B\n");
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
	FWD_SEED,
	FWD_PLAIN,
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
	{ "plain", no_argument, NULL, FWD_PLAIN },
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

static void fwd_parse(int argc, char **argv, struct impair_params *p, bool *plain)
{
	int opt;

	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->dirs = IMPAIR_DIRS_BOTH;
	while ((opt = getopt_long(argc, argv, "h", fwd_long, NULL)) != -1) {
		if (opt == 'h' || opt == '?')
			fwd_usage();
		if (opt == FWD_PLAIN) {
			*plain = true;
			continue;
		}
		if (fwd_option(opt, optarg, p) < 0) {
			fprintf(stderr, "impair-fwd: bad value '%s' for --%s\n", optarg,
				fwd_long[opt - FWD_LOSS].name);
			exit(2);
		}
	}
	if (argc - optind != 2)
		fwd_usage();
}

/* Write one wire-sized frame of direction dir to the far TAP (behind a header that
 * asks for nothing when offloads are on); a full TAP queue drops it. */
static void fwd_write(struct fwd *f, enum impair_dir dir, const uint8_t *frame, size_t len,
		      uint64_t now)
{
	static const uint8_t plain_hdr[FWD_VNET_HDR_LEN];
	struct iovec iov[2] = { { .iov_base = (void *)plain_hdr, .iov_len = sizeof(plain_hdr) },
				{ .iov_base = (void *)frame, .iov_len = len } };
	size_t want = len + (f->vnet ? sizeof(plain_hdr) : 0);
	ssize_t n = f->vnet ? writev(f->fd[!dir], iov, 2) : write(f->fd[!dir], frame, len);

	if (n == (ssize_t)want)
		f->delivered[dir]++;
	else
		f->write_errors[dir]++;
	impair_queue_passed(&f->q, dir, now);
}

/* One wire-sized frame through the engine: delivered now, held, or dropped. */
static int fwd_emit(void *ctx, uint8_t *frame, size_t len)
{
	struct fwd_emit_ctx *e = ctx;
	struct fwd *f = e->f;
	struct impair_verdict v;

	impair_frame(&f->im, e->dir, frame, len, e->now, &v);
	for (unsigned c = 0; c < v.copies; c++) {
		if (v.copy[c].at_us <= e->now && !v.copy[c].after_frames)
			fwd_write(f, e->dir, frame, len, e->now);
		else if (impair_queue_push(&f->q, e->dir, frame, len, &v.copy[c]) < 0)
			f->queue_full[e->dir]++;
	}
	return 0;
}

/*
 * A frame read with its virtio-net header: passed on whole (header and all)
 * while no impairment acts on its direction, else cut into wire-sized frames
 * with full checksums for the engine, as synackd's stage does.
 */
static void fwd_offloaded(struct fwd *f, enum impair_dir dir, size_t n, uint64_t now)
{
	struct fwd_emit_ctx e = { .f = f, .dir = dir, .now = now };
	struct impair_seg_in in = { 0 };
	const uint8_t *h = f->buf;
	uint8_t gso = h[1] & (uint8_t)~FWD_VNET_GSO_ECN;

	if (n < FWD_VNET_HDR_LEN)
		return;
	if (!impair_active(&f->im, dir)) {
		if (write(f->fd[!dir], f->buf, n) == (ssize_t)n)
			f->delivered[dir]++;
		else
			f->write_errors[dir]++;
		impair_queue_passed(&f->q, dir, now);
		return;
	}
	in.csum_partial = h[0] & FWD_VNET_F_NEEDS_CSUM;
	memcpy(&in.csum_start, h + 6, 2);
	memcpy(&in.csum_offset, h + 8, 2);
	if (gso == FWD_VNET_GSO_TCPV4) {
		memcpy(&in.gso_size, h + 4, 2);
		f->super_frames[dir]++;
	} else if (gso != FWD_VNET_GSO_NONE) {
		f->bad_frames[dir]++;
		return;
	}
	if (impair_seg_split(f->buf + FWD_VNET_HDR_LEN, n - FWD_VNET_HDR_LEN, &in, f->scratch,
			     fwd_emit, &e) < 0)
		f->bad_frames[dir]++;
}

/* Read up to a batch of frames of direction dir and pass each on. */
static int fwd_read(struct fwd *f, enum impair_dir dir)
{
	for (int i = 0; i < FWD_BATCH; i++) {
		ssize_t n = read(f->fd[dir], f->buf, sizeof(f->buf));
		struct fwd_emit_ctx e = { .f = f, .dir = dir, .now = fwd_now_us() };

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		if (f->vnet)
			fwd_offloaded(f, dir, (size_t)n, e.now);
		else
			fwd_emit(&e, f->buf, (size_t)n);
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
		       "\"write_errors\": %llu, \"queue_full\": %llu, \"super_frames\": %llu, "
		       "\"bad_frames\": %llu}",
		       d ? ", " : "", names[d], (unsigned long long)c->frames,
		       (unsigned long long)f->delivered[d], (unsigned long long)c->dropped,
		       (unsigned long long)c->duplicated, (unsigned long long)c->reordered,
		       (unsigned long long)c->corrupted, (unsigned long long)f->write_errors[d],
		       (unsigned long long)f->queue_full[d], (unsigned long long)f->super_frames[d],
		       (unsigned long long)f->bad_frames[d]);
	}
	printf("}\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct fwd f;
	struct impair_params p;
	struct sigaction sa = { .sa_handler = fwd_on_signal };
	bool plain = false;

	fwd_parse(argc, argv, &p, &plain);
	f.vnet = !plain;
	for (int d = 0; d < IMPAIR_DIRS; d++) {
		f.fd[d] = fwd_tap_open(argv[optind + d], f.vnet);
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
