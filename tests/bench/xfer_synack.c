/* SPDX-License-Identifier: MIT */
/*
 * xfer_synack.c - bench-xfer through synackd, with libsynack's blocking API
 * (the way a simple program uses synack): the synack end of a benchmark.
 * The daemon's socket comes from $SYNACK_SOCKET.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synack.h"
#include "xfer.h"

static int xfer_synack_left_ms(const struct xfer *x)
{
	int64_t left = x->deadline_ms - xfer_now_ms();

	return left > 0 ? (int)left : 0;
}

/* Read to end of stream (hashing when asked) until the deadline. */
static int xfer_synack_drain(struct xfer *x, struct synack *s, synack_conn c, uint8_t *buf,
			     bool hash)
{
	for (;;) {
		uint64_t ready = 0;
		ssize_t n;
		int r;

		while ((n = synack_recv_nowait(s, c, buf, XFER_CHUNK)) > 0) {
			if (hash) {
				xfer_stream_hash(x->stream, buf, (size_t)n);
				x->moved += (uint64_t)n;
			}
		}
		if (n == 0) {
			x->t1_us = xfer_now_us();
			x->eof = true;
			return 0;
		}
		if (n != -EAGAIN)
			return (int)n;
		if (xfer_synack_left_ms(x) == 0)
			return 0;
		r = synack_wait(s, &c, 1, -1, xfer_synack_left_ms(x), &ready);
		if (r < 0)
			return r;
	}
}

static int xfer_synack_send(struct xfer *x, struct synack *s, uint8_t *buf)
{
	synack_conn c;
	int r = synack_connect(s, x->host, x->port, (uint32_t)xfer_synack_left_ms(x), &c);

	if (r < 0)
		return r;
	x->t0_us = xfer_now_us();
	while (x->moved < x->bytes) {
		size_t len = x->bytes - x->moved < XFER_CHUNK ? (size_t)(x->bytes - x->moved)
							      : XFER_CHUNK;
		ssize_t n;

		xfer_stream_fill(x->stream, buf, len);
		n = synack_send(s, c, buf, len);
		if (n < 0)
			return (int)n;
		x->moved += (uint64_t)n;
	}
	r = synack_shutdown(s, c);
	if (r == 0)
		r = xfer_synack_drain(x, s, c, buf, false);
	if (synack_close(s, c) == 0 && r == 0 && x->eof)
		x->closed = true;
	return r;
}

static int xfer_synack_recv(struct xfer *x, struct synack *s, uint8_t *buf)
{
	synack_conn l, c;
	uint64_t ready = 0;
	int r = synack_listen(s, x->host, x->port, 1, &l, NULL);

	if (r < 0)
		return r;
	printf("listening\n");
	fflush(stdout);
	r = synack_wait(s, &l, 1, -1, xfer_synack_left_ms(x), &ready);
	if (r < 0)
		return r;
	if (!ready)
		return -ETIMEDOUT;
	r = synack_accept(s, l, &c, NULL);
	if (r < 0)
		return r;
	x->t0_us = xfer_now_us();
	synack_close(s, l);
	r = xfer_synack_drain(x, s, c, buf, true);
	if (synack_close(s, c) == 0 && r == 0 && x->eof)
		x->closed = true;
	return r;
}

int xfer_synack_run(struct xfer *x)
{
	uint8_t *buf = malloc(XFER_CHUNK);
	struct synack *s = NULL;
	int r = buf ? synack_open(NULL, "bench-xfer", &s) : -ENOMEM;

	if (r == 0)
		r = x->send ? xfer_synack_send(x, s, buf) : xfer_synack_recv(x, s, buf);
	if (r < 0 && !x->error)
		x->error = synack_strerror(r);
	if (r == 0 && !x->eof)
		x->error = "time limit";
	synack_free(s);
	free(buf);
	return r;
}
