/* SPDX-License-Identifier: MIT */
/*
 * frame.h - the RPC framing codec: a 4-byte big-endian length, then one
 * protobuf message. Shared by synackd and libsynack; pure (no I/O).
 *
 * The decoder is incremental: feed it whatever read() returned and pop every
 * complete frame. A frame's length is checked against the maximum before any
 * buffer is allocated, and zero-length frames are rejected (an empty protobuf
 * message carries nothing an envelope could act on).
 *
 * Unpacking goes through a bounded allocator, so a frame of N bytes can never
 * make protobuf-c allocate more than the cap given at init.
 */
#ifndef SYNACK_FRAME_H
#define SYNACK_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <protobuf-c/protobuf-c.h>

/* The protocol version spoken in Hello; bump it with synack.proto's history. */
#define PROTO_VERSION 1

#define FRAME_HEADER_SIZE 4
#define FRAME_MAX_DEFAULT (1u << 20)  /* 1 MiB */
#define FRAME_MAX_LIMIT	  (64u << 20) /* no configuration may go beyond this */

struct frame_decoder {
	size_t max; /* largest payload accepted */
	uint8_t hdr[FRAME_HEADER_SIZE];
	size_t hdr_len;	   /* header bytes collected so far */
	uint8_t *buf;	   /* payload being collected (NULL while reading a header) */
	size_t want, have; /* payload length and bytes collected */
	uint8_t *done;	   /* the last popped frame, freed at the next call */
	int err;	   /* sticky: once the stream is broken it stays broken */
};

void frame_decoder_init(struct frame_decoder *d, size_t max);
void frame_decoder_deinit(struct frame_decoder *d);

/*
 * Consume bytes from *in (advancing in and in_len) until one frame is
 * complete. Returns 1 with the payload in ret_frame and ret_len (valid until the
 * next call or deinit), 0 when all input was consumed without completing a
 * frame, -EMSGSIZE for a length over the maximum, -EBADMSG for a zero length,
 * -ENOMEM. Errors are sticky: the byte stream cannot be resynchronised.
 */
int frame_decoder_next(struct frame_decoder *d, const uint8_t **in, size_t *in_len,
		       const uint8_t **ret_frame, size_t *ret_len);

/* Bytes buffered in a frame not yet complete (for "truncated at EOF" checks). */
size_t frame_decoder_pending(const struct frame_decoder *d);

/* Parse a frame header: the payload length, or -EMSGSIZE / -EBADMSG. */
int frame_header_parse(const uint8_t hdr[FRAME_HEADER_SIZE], size_t max, size_t *ret_len);

/*
 * Pack msg with its header into a new malloc()ed buffer. Returns 0 and sets ret_buf
 * and ret_len, or -EMSGSIZE when the message is over max (or empty),
 * -ENOMEM.
 */
int frame_pack(const ProtobufCMessage *msg, size_t max, uint8_t **ret_buf, size_t *ret_len);

/* An allocator for protobuf-c that refuses to go beyond cap bytes in total. */
struct frame_alloc {
	ProtobufCAllocator pbc; /* first: handed to protobuf-c */
	size_t used, cap, peak;
};

void frame_alloc_init(struct frame_alloc *a, size_t cap);

/*
 * Unpack one payload as desc, allocating through a (which must outlive the
 * message). Returns 0 and *ret, or -EBADMSG (malformed, or needed more than
 * the allocator's cap). Free with frame_unpacked_free().
 */
int frame_unpack(const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
		 struct frame_alloc *a, ProtobufCMessage **ret);
void frame_unpacked_free(ProtobufCMessage *msg, struct frame_alloc *a);

#endif
