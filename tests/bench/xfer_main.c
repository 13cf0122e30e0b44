/* SPDX-License-Identifier: MIT */
/*
 * xfer_main.c - bench-xfer: one bulk transfer for the benchmarks (see xfer.h).
 *
 *   bench-xfer send kernel|synack HOST PORT BYTES SEED SECONDS
 *   bench-xfer recv kernel|synack ADDR PORT BYTES SECONDS
 *
 * "kernel" uses the kernel's sockets, "synack" goes through synackd
 * ($SYNACK_SOCKET). A receiver prints "listening" once it can be reached,
 * then, like a sender, one JSON line when the transfer ends:
 *   {"role":..., "stack":..., "bytes":N, "moved":N, "seconds":T,
 *    "sha256":"...", "eof":bool, "closed":bool, "done":bool, "error":"..."}
 * seconds run from the connection being established to the peer's FIN (for
 * the receiver: goodput = moved / seconds). A transfer not finished SECONDS
 * after start is cut short and reported with done false and the bytes moved.
 * $XFER_TCP_CONGESTION names the kernel sockets' congestion control.
 * Exit status: 0 done, 1 error or not done, 2 usage.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xfer.h"

static struct xfer *xfer_current;

int64_t xfer_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t xfer_now_ms(void)
{
	return xfer_now_us() / 1000;
}

static void xfer_usage(void)
{
	fprintf(stderr, "usage: bench-xfer send kernel|synack HOST PORT BYTES SEED SECONDS\n"
			"       bench-xfer recv kernel|synack ADDR PORT BYTES SECONDS\n");
	exit(2);
}

static bool xfer_done(const struct xfer *x)
{
	return !x->error && x->moved == x->bytes && x->eof && x->closed;
}

static int xfer_format(const struct xfer *x, const char *sha, char *buf, size_t len)
{
	int64_t t = x->t0_us ? (x->t1_us ? x->t1_us : xfer_now_us()) - x->t0_us : 0;

	return snprintf(buf, len,
			"{\"role\": \"%s\", \"stack\": \"%s\", \"bytes\": %llu, \"moved\": %llu, "
			"\"seconds\": %.6f, \"sha256\": \"%s\", \"eof\": %s, \"closed\": %s, "
			"\"done\": %s, \"error\": \"%s\"}\n",
			x->send ? "send" : "recv", x->synack ? "synack" : "kernel",
			(unsigned long long)x->bytes, (unsigned long long)x->moved, t / 1e6, sha,
			x->eof ? "true" : "false", x->closed ? "true" : "false",
			xfer_done(x) ? "true" : "false", x->error ? x->error : "");
}

void xfer_report(struct xfer *x)
{
	char sha[65], line[512];

	xfer_stream_digest(x->stream, sha);
	xfer_format(x, sha, line, sizeof(line));
	fputs(line, stdout);
	fflush(stdout);
}

/*
 * A sender blocked in the stack's send (synack_send() waits for room without
 * a timeout) is stopped by the alarm: the handler reports what moved and
 * exits. The main flow is then inside a system call, never inside stdio, so
 * formatting here is safe in practice; the digest (which allocates) is left
 * out of a report that is not done anyway.
 */
static void xfer_on_alarm(int sig)
{
	char line[512];
	int n;

	(void)sig;
	xfer_current->error = "time limit";
	n = xfer_format(xfer_current, "", line, sizeof(line));
	if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) < 0)
		_exit(1);
	_exit(1);
}

int main(int argc, char **argv)
{
	struct xfer x = { 0 };
	int secs, r;

	if (argc != 8 && argc != 7)
		xfer_usage();
	x.send = strcmp(argv[1], "send") == 0;
	if ((!x.send && strcmp(argv[1], "recv") != 0) || argc != (x.send ? 8 : 7))
		xfer_usage();
	x.synack = strcmp(argv[2], "synack") == 0;
	if (!x.synack && strcmp(argv[2], "kernel") != 0)
		xfer_usage();
	x.host = argv[3];
	x.port = (uint16_t)atoi(argv[4]);
	x.bytes = strtoull(argv[5], NULL, 10);
	x.seed = x.send ? strtoull(argv[6], NULL, 10) : 0;
	secs = atoi(argv[x.send ? 7 : 6]);
	if (x.port == 0 || secs <= 0)
		xfer_usage();
	x.deadline_ms = xfer_now_ms() + (int64_t)secs * 1000;
	x.stream = xfer_stream_new(x.seed);
	if (!x.stream) {
		fprintf(stderr, "bench-xfer: no memory for the stream\n");
		return 1;
	}
	xfer_current = &x;
	signal(SIGPIPE, SIG_IGN);
	if (x.send) {
		signal(SIGALRM, xfer_on_alarm);
		alarm((unsigned)secs);
	}
	r = x.synack ? xfer_synack_run(&x) : xfer_kernel_run(&x);
	alarm(0);
	if (r < 0 && !x.error)
		x.error = strerror(-r);
	xfer_report(&x);
	xfer_stream_free(x.stream);
	return xfer_done(&x) ? 0 : 1;
}
