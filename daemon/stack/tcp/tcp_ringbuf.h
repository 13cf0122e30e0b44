/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_ringbuf.h - a byte ring over caller-provided storage, used for the
 * send buffer (bytes from SND.UNA on: peeked at an offset to (re)transmit,
 * consumed when ACKed) and the receive buffer (in-order bytes waiting for
 * the application, plus out-of-order bytes written at their offset past the
 * in-order end, whose ranges tcp_reasm tracks).
 *
 * The storage grows and shrinks (tcp_mem.c decides when): tcp_ringbuf_move()
 * copies the bytes a ring holds into new storage, in order from index 0.
 */
#ifndef SYNACK_TCP_RINGBUF_H
#define SYNACK_TCP_RINGBUF_H

#include <stddef.h>
#include <stdint.h>

struct tcp_ringbuf {
	uint8_t *buf;
	uint32_t cap;
	uint32_t head; /* index of the first byte */
	uint32_t len;  /* committed bytes */
};

void tcp_ringbuf_init(struct tcp_ringbuf *rb, uint8_t *storage, uint32_t cap);
static inline uint32_t tcp_ringbuf_free(const struct tcp_ringbuf *rb)
{
	return rb->cap - rb->len;
}
/* Append up to n bytes; returns bytes written. */
uint32_t tcp_ringbuf_write(struct tcp_ringbuf *rb, const void *data, uint32_t n);
/* Write n bytes at offset off past the committed end without committing them
 * (out-of-order data); returns bytes written (cut at free space). */
uint32_t tcp_ringbuf_write_at(struct tcp_ringbuf *rb, uint32_t off, const void *data, uint32_t n);
/* Extend the committed length by n bytes written with write_at (n <= free). */
void tcp_ringbuf_commit(struct tcp_ringbuf *rb, uint32_t n);
/* Copy up to n committed bytes starting off bytes from the head; returns bytes copied. */
uint32_t tcp_ringbuf_peek(const struct tcp_ringbuf *rb, uint32_t off, void *dst, uint32_t n);
/* The committed bytes from off as at most two pieces (p[i], n[i]); returns their total. */
uint32_t tcp_ringbuf_spans(const struct tcp_ringbuf *rb, uint32_t off, uint32_t len, uint8_t *p[2],
			   uint32_t n[2]);
/* Drop n bytes from the head (n <= len). */
void tcp_ringbuf_consume(struct tcp_ringbuf *rb, uint32_t n);
/* Read and consume; returns bytes read. */
uint32_t tcp_ringbuf_read(struct tcp_ringbuf *rb, void *dst, uint32_t n);
/*
 * Move the ring onto new storage of cap bytes (NULL and 0 for none): the
 * first span bytes from the head (committed bytes and any out-of-order bytes
 * written past them; span <= both capacities) are copied to index 0. The
 * old storage is the caller's to free.
 */
void tcp_ringbuf_move(struct tcp_ringbuf *rb, uint8_t *storage, uint32_t cap, uint32_t span);

#endif
