/* SPDX-License-Identifier: MIT */
/*
 * xfer_kernel.c - bench-xfer through the kernel's TCP sockets: the kernel
 * end of a synack benchmark, and both ends of the kernel-to-kernel reference.
 * Default socket options, so the kernel runs as it is configured (buffer
 * autotuning, its congestion control, SACK, timestamps).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "xfer.h"

static int xfer_kernel_addr(const char *host, uint16_t port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons(port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

/* Wait up to the deadline for events on fd; 1 ready, 0 time is up, -errno. */
static int xfer_kernel_wait(const struct xfer *x, int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left = x->deadline_ms - xfer_now_ms();
	int r;

	if (left <= 0)
		return 0;
	r = poll(&p, 1, (int)left);
	if (r < 0)
		return errno == EINTR ? 1 : -errno;
	return r;
}

/* Read to end of stream, hashing when asked (the receiver), until the deadline. */
static int xfer_kernel_drain(struct xfer *x, int fd, uint8_t *buf, bool hash)
{
	for (;;) {
		ssize_t n;
		int r = xfer_kernel_wait(x, fd, POLLIN);

		if (r <= 0)
			return r;
		n = recv(fd, buf, XFER_CHUNK, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			x->t1_us = xfer_now_us();
			x->eof = true;
			return 0;
		}
		if (hash) {
			xfer_stream_hash(x->stream, buf, (size_t)n);
			x->moved += (uint64_t)n;
		}
	}
}

static int xfer_kernel_send(struct xfer *x, int fd, uint8_t *buf)
{
	struct sockaddr_in sa;
	int r = xfer_kernel_addr(x->host, x->port, &sa);

	if (r < 0)
		return r;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	x->t0_us = xfer_now_us();
	while (x->moved < x->bytes) {
		size_t len = x->bytes - x->moved < XFER_CHUNK ? (size_t)(x->bytes - x->moved)
							      : XFER_CHUNK;
		size_t off = 0;

		xfer_stream_fill(x->stream, buf, len);
		while (off < len) {
			ssize_t n = send(fd, buf + off, len - off, 0);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			off += (size_t)n;
			x->moved += (uint64_t)n;
		}
	}
	if (shutdown(fd, SHUT_WR) < 0)
		return -errno;
	return xfer_kernel_drain(x, fd, buf, false);
}

static int xfer_kernel_recv(struct xfer *x, int lfd, uint8_t *buf)
{
	struct sockaddr_in sa;
	int one = 1, fd, r = xfer_kernel_addr(x->host, x->port, &sa);

	if (r < 0)
		return r;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 1) < 0)
		return -errno;
	printf("listening\n");
	fflush(stdout);
	r = xfer_kernel_wait(x, lfd, POLLIN);
	if (r <= 0)
		return r < 0 ? r : -ETIMEDOUT;
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return -errno;
	x->t0_us = xfer_now_us();
	r = xfer_kernel_drain(x, fd, buf, true);
	if (close(fd) == 0 && r == 0 && x->eof)
		x->closed = true;
	return r;
}

/* $XFER_TCP_CONGESTION, when set, names the congestion control of fd (and of the
 * connections a listener accepts). Needs CAP_NET_ADMIN for algorithms outside
 * net.ipv4.tcp_allowed_congestion_control. */
static int xfer_kernel_congestion(int fd)
{
	const char *cc = getenv("XFER_TCP_CONGESTION");

	if (!cc || !*cc)
		return 0;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)) < 0) {
		int e = errno;

		fprintf(stderr, "bench-xfer: TCP_CONGESTION %s: %s\n", cc, strerror(e));
		return -e;
	}
	return 0;
}

int xfer_kernel_run(struct xfer *x)
{
	uint8_t *buf = malloc(XFER_CHUNK);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int r;

	if (!buf || fd < 0) {
		r = buf ? -errno : -ENOMEM;
		free(buf);
		if (fd >= 0)
			close(fd);
		return r;
	}
	r = xfer_kernel_congestion(fd);
	if (r < 0) {
		free(buf);
		close(fd);
		return r;
	}
	if (x->send) {
		r = xfer_kernel_send(x, fd, buf);
		if (close(fd) == 0 && r == 0 && x->eof)
			x->closed = true;
	} else {
		r = xfer_kernel_recv(x, fd, buf);
		close(fd);
	}
	if (r == 0 && !x->eof)
		x->error = "time limit";
	free(buf);
	return r;
}
