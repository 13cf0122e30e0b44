/* SPDX-License-Identifier: MIT */
/*
 * xfer.h - bench-xfer: one bulk TCP transfer for the benchmarks, sent or
 * received through the kernel's sockets or through synackd (libsynack).
 *
 * The sender writes BYTES of a seeded pseudo-random stream, half-closes and
 * waits for the receiver's FIN; the receiver reads to end of stream and then
 * closes. Both hash what passed through them with SHA-256, so the harness
 * checks the transfer byte for byte by comparing the two reports.
 */
#ifndef SYNACK_BENCH_XFER_H
#define SYNACK_BENCH_XFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XFER_CHUNK (256u * 1024)

struct xfer_stream;

struct xfer {
	bool send;	  /* sender (else receiver) */
	bool synack;	  /* through synackd (else the kernel's sockets) */
	const char *host; /* sender: where to connect; receiver: address to bind */
	uint16_t port;
	uint64_t bytes;		 /* the whole transfer */
	uint64_t seed;		 /* the sender's stream */
	int64_t deadline_ms;	 /* monotonic; past it the transfer is "not done" */
	int64_t t0_us;		 /* connection established (monotonic) */
	int64_t t1_us;		 /* the peer's FIN arrived */
	volatile uint64_t moved; /* bytes sent (handed to the stack) or received */
	bool eof;		 /* the peer's FIN arrived */
	bool closed;		 /* our close went through */
	const char *error;	 /* what stopped the transfer, NULL if nothing */
	struct xfer_stream *stream;
};

int64_t xfer_now_ms(void);
int64_t xfer_now_us(void);

/* The seeded stream and the running SHA-256 of what passed. */
struct xfer_stream *xfer_stream_new(uint64_t seed);
void xfer_stream_free(struct xfer_stream *st);
/* The next len bytes of the stream into buf (hashed as they are produced). */
void xfer_stream_fill(struct xfer_stream *st, uint8_t *buf, size_t len);
/* Hash received bytes. */
void xfer_stream_hash(struct xfer_stream *st, const uint8_t *buf, size_t len);
/* The hex digest so far (65 bytes with the NUL). */
void xfer_stream_digest(struct xfer_stream *st, char hex[65]);

/* One transfer each; they fill x->moved, eof, closed, error. Return 0 or -errno. */
int xfer_kernel_run(struct xfer *x);
int xfer_synack_run(struct xfer *x);

/* Print the report line (JSON) to stdout. */
void xfer_report(struct xfer *x);

#endif
