/* SPDX-License-Identifier: MIT */
/*
 * frame.c - the RPC framing codec (see frame.h): incremental decoder, packer,
 * and the bounded protobuf-c allocator.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

void frame_decoder_init(struct frame_decoder *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max;
}

static void frame_decoder_release_done(struct frame_decoder *d)
{
	free(d->done);
	d->done = NULL;
}

void frame_decoder_deinit(struct frame_decoder *d)
{
	frame_decoder_release_done(d);
	free(d->buf);
	d->buf = NULL;
	d->hdr_len = d->want = d->have = 0;
}

int frame_header_parse(const uint8_t hdr[FRAME_HEADER_SIZE], size_t max, size_t *ret_len)
{
	uint32_t len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 |
		       (uint32_t)hdr[3];

	if (len == 0)
		return -EBADMSG;
	if (len > max)
		return -EMSGSIZE;
	*ret_len = len;
	return 0;
}

size_t frame_decoder_pending(const struct frame_decoder *d)
{
	return d->hdr_len + d->have;
}

/* Collect header bytes; on a complete header, validate it and set want. */
static int frame_decoder_take_header(struct frame_decoder *d, const uint8_t **in, size_t *in_len)
{
	size_t n = FRAME_HEADER_SIZE - d->hdr_len;

	if (n > *in_len)
		n = *in_len;
	if (n) /* *in may be NULL with nothing in it */
		memcpy(d->hdr + d->hdr_len, *in, n);
	d->hdr_len += n;
	*in += n;
	*in_len -= n;
	if (d->hdr_len < FRAME_HEADER_SIZE)
		return 0;
	return frame_header_parse(d->hdr, d->max, &d->want);
}

int frame_decoder_next(struct frame_decoder *d, const uint8_t **in, size_t *in_len,
		       const uint8_t **ret_frame, size_t *ret_len)
{
	size_t n;
	int r;

	frame_decoder_release_done(d);
	if (d->err)
		return d->err;
	if (d->hdr_len < FRAME_HEADER_SIZE) {
		r = frame_decoder_take_header(d, in, in_len);
		if (r < 0)
			return d->err = r;
		if (d->hdr_len < FRAME_HEADER_SIZE)
			return 0;
	}
	/* the length is valid and bounded by max: only now allocate */
	if (!d->buf) {
		d->buf = malloc(d->want);
		if (!d->buf)
			return d->err = -ENOMEM;
		d->have = 0;
	}
	n = d->want - d->have;
	if (n > *in_len)
		n = *in_len;
	if (n)
		memcpy(d->buf + d->have, *in, n);
	d->have += n;
	*in += n;
	*in_len -= n;
	if (d->have < d->want)
		return 0;

	d->done = d->buf;
	*ret_frame = d->buf;
	*ret_len = d->want;
	d->buf = NULL;
	d->hdr_len = d->have = d->want = 0;
	return 1;
}

int frame_pack(const ProtobufCMessage *msg, size_t max, uint8_t **ret_buf, size_t *ret_len)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf;

	if (len == 0 || len > max || len > UINT32_MAX)
		return -EMSGSIZE;
	buf = malloc(FRAME_HEADER_SIZE + len);
	if (!buf)
		return -ENOMEM;
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	protobuf_c_message_pack(msg, buf + FRAME_HEADER_SIZE);
	*ret_buf = buf;
	*ret_len = FRAME_HEADER_SIZE + len;
	return 0;
}

/* Each block remembers its size in front of it, so free can give it back. */
struct frame_alloc_block {
	size_t size;
	max_align_t data[];
};

static void *frame_alloc_alloc(void *ctx, size_t size)
{
	struct frame_alloc *a = ctx;
	struct frame_alloc_block *b;

	if (size > a->cap - a->used)
		return NULL;
	b = malloc(sizeof(*b) + size);
	if (!b)
		return NULL;
	b->size = size;
	a->used += size;
	if (a->used > a->peak)
		a->peak = a->used;
	return b->data;
}

static void frame_alloc_free(void *ctx, void *ptr)
{
	struct frame_alloc *a = ctx;
	struct frame_alloc_block *b;

	if (!ptr)
		return;
	b = (struct frame_alloc_block *)((char *)ptr - offsetof(struct frame_alloc_block, data));
	a->used -= b->size;
	free(b);
}

void frame_alloc_init(struct frame_alloc *a, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->pbc.alloc = frame_alloc_alloc;
	a->pbc.free = frame_alloc_free;
	a->pbc.allocator_data = a;
	a->cap = cap;
}

int frame_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
		 struct frame_alloc *a, ProtobufCMessage **ret)
{
	ProtobufCMessage *m = protobuf_c_message_unpack(desc, &a->pbc, len, data);

	if (!m)
		return -EBADMSG;
	if (!protobuf_c_message_check(m)) {
		protobuf_c_message_free_unpacked(m, &a->pbc);
		return -EBADMSG;
	}
	*ret = m;
	return 0;
}

void frame_unpacked_free(ProtobufCMessage *msg, struct frame_alloc *a)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, &a->pbc);
}
