/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_ringbuf.c - the byte ring behind the TCP send and receive buffers
 * (RFC 9293 §3.8.6's SND and RCV sequence spaces map onto it: offset 0 is
 * SND.UNA or the first unread byte). Every copy is split in at most two
 * pieces at the wrap point; cap need not be a power of two.
 */
#include <string.h>

#include "tcp_ringbuf.h"

void tcp_ringbuf_init(struct tcp_ringbuf *rb, uint8_t *storage, uint32_t cap)
{
	rb->buf = storage;
	rb->cap = storage ? cap : 0;
	rb->head = 0;
	rb->len = 0;
}

static uint32_t tcp_ringbuf_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Index of the byte off bytes past the head (off < cap). */
static uint32_t tcp_ringbuf_index(const struct tcp_ringbuf *rb, uint32_t off)
{
	uint32_t room = rb->cap - rb->head;

	return off < room ? rb->head + off : off - room;
}

static void tcp_ringbuf_copy_in(struct tcp_ringbuf *rb, uint32_t off, const uint8_t *src,
				uint32_t n)
{
	uint32_t at = tcp_ringbuf_index(rb, off);
	uint32_t first = tcp_ringbuf_min(n, rb->cap - at);

	memcpy(rb->buf + at, src, first);
	if (n > first)
		memcpy(rb->buf, src + first, n - first);
}

static void tcp_ringbuf_copy_out(const struct tcp_ringbuf *rb, uint32_t off, uint8_t *dst,
				 uint32_t n)
{
	uint32_t at = tcp_ringbuf_index(rb, off);
	uint32_t first = tcp_ringbuf_min(n, rb->cap - at);

	memcpy(dst, rb->buf + at, first);
	if (n > first)
		memcpy(dst + first, rb->buf, n - first);
}

uint32_t tcp_ringbuf_write(struct tcp_ringbuf *rb, const void *data, uint32_t n)
{
	n = tcp_ringbuf_write_at(rb, 0, data, n);
	rb->len += n;
	return n;
}

uint32_t tcp_ringbuf_write_at(struct tcp_ringbuf *rb, uint32_t off, const void *data, uint32_t n)
{
	uint32_t space = tcp_ringbuf_free(rb);

	if (off >= space || n == 0)
		return 0;
	n = tcp_ringbuf_min(n, space - off);
	tcp_ringbuf_copy_in(rb, rb->len + off, data, n);
	return n;
}

void tcp_ringbuf_commit(struct tcp_ringbuf *rb, uint32_t n)
{
	rb->len += tcp_ringbuf_min(n, tcp_ringbuf_free(rb));
}

uint32_t tcp_ringbuf_spans(const struct tcp_ringbuf *rb, uint32_t off, uint32_t len, uint8_t *p[2],
			   uint32_t n[2])
{
	uint32_t at, first;

	p[0] = p[1] = NULL;
	n[0] = n[1] = 0;
	if (len == 0 || off >= rb->cap)
		return 0;
	len = tcp_ringbuf_min(len, rb->cap - off);
	at = tcp_ringbuf_index(rb, off);
	first = tcp_ringbuf_min(len, rb->cap - at);
	p[0] = rb->buf + at;
	n[0] = first;
	if (len > first) {
		p[1] = rb->buf;
		n[1] = len - first;
	}
	return len;
}

uint32_t tcp_ringbuf_peek(const struct tcp_ringbuf *rb, uint32_t off, void *dst, uint32_t n)
{
	if (off >= rb->len || n == 0)
		return 0;
	n = tcp_ringbuf_min(n, rb->len - off);
	tcp_ringbuf_copy_out(rb, off, dst, n);
	return n;
}

void tcp_ringbuf_consume(struct tcp_ringbuf *rb, uint32_t n)
{
	n = tcp_ringbuf_min(n, rb->len);
	rb->head = tcp_ringbuf_index(rb, n == rb->cap ? 0 : n);
	rb->len -= n;
	/*
	 * head never jumps back to 0 when the ring empties: the receive ring may
	 * hold out-of-order bytes past the committed end (write_at), and they
	 * must stay where the offset arithmetic will look for them.
	 */
}

uint32_t tcp_ringbuf_read(struct tcp_ringbuf *rb, void *dst, uint32_t n)
{
	n = tcp_ringbuf_peek(rb, 0, dst, n);
	tcp_ringbuf_consume(rb, n);
	return n;
}

void tcp_ringbuf_move(struct tcp_ringbuf *rb, uint8_t *storage, uint32_t cap, uint32_t span)
{
	span = tcp_ringbuf_min(span, tcp_ringbuf_min(rb->cap, storage ? cap : 0));
	if (span)
		tcp_ringbuf_copy_out(rb, 0, storage, span);
	rb->buf = storage;
	rb->cap = storage ? cap : 0;
	rb->head = 0;
	rb->len = tcp_ringbuf_min(rb->len, rb->cap);
}
