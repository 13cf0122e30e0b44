/* SPDX-License-Identifier: MIT */
/*
 * impair_seg.h - undo offloads before impairing: cut a TCPv4 super-frame
 * (GSO/TSO on the way out, a GRO'd frame on the way in) into wire-sized
 * frames, and complete partial checksums, so every frame the impairment
 * engine sees is what a wire would carry, with checksums a receiver checks.
 * Pure (no system calls); RFC 9293 §3.1 (the TCP checksum), RFC 791 (the
 * IPv4 header checksum and identification).
 */
#ifndef SYNACK_IMPAIR_SEG_H
#define SYNACK_IMPAIR_SEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a frame arrived: the parts of a virtio-net header that matter here. */
struct impair_seg_in {
	bool csum_partial;    /* the L4 checksum holds only the pseudo-header sum */
	uint16_t csum_start;  /* offset of the L4 header */
	uint16_t csum_offset; /* offset of the checksum field from csum_start */
	uint16_t gso_size;    /* > 0: a TCPv4 super-frame to cut into this much payload each */
};

/*
 * Called once per wire-sized frame (complete checksums, in order). frame is
 * a scratch buffer the callee may modify (e.g. flip a bit) but not keep.
 * A negative return stops the split and is returned.
 */
typedef int (*impair_seg_emit)(void *ctx, uint8_t *frame, size_t len);

/*
 * Cut frame (len bytes, Ethernet first) into wire-sized frames as `in` says,
 * completing checksums; a frame with nothing to undo is passed on as one
 * copy. scratch must hold IMPAIR_SEG_SCRATCH bytes. Returns the number of
 * frames emitted, -EINVAL for a super-frame whose headers do not parse (not
 * TCP over IPv4, options past the frame), or the emit callback's error.
 */
#define IMPAIR_SEG_SCRATCH (14 + 60 + 60 + 65535)
int impair_seg_split(const uint8_t *frame, size_t len, const struct impair_seg_in *in,
		     uint8_t *scratch, impair_seg_emit emit, void *ctx);

/* Complete a partial L4 checksum in place (csum_start/offset as above); -EINVAL if outside. */
int impair_seg_csum_finish(uint8_t *frame, size_t len, uint16_t csum_start, uint16_t csum_offset);

#endif
