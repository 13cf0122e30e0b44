/* SPDX-License-Identifier: MIT */
/*
 * csum.c - Internet checksum per RFC 1071. The sum is independent of byte
 * order (RFC 1071 §2 B): the bytes are summed as native-order 64-bit words,
 * split into 32-bit halves so a 64-bit accumulator never carries out, and the
 * folded 16-bit result is swapped to big-endian order once at the end. Eight
 * bytes per step instead of two, with no per-byte shifts: this sum runs on
 * every frame without checksum offload (RFC 9293 §3.1, RFC 791, RFC 792).
 */
#include <string.h>

#include "csum.h"

/* Fold a 64-bit accumulator of 16-bit words to 16 bits (end-around carries). */
static uint32_t csum_fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/* The native-order sum of len bytes, folded to 16 bits. */
static uint32_t csum_native(const uint8_t *p, size_t len)
{
	uint64_t a0 = 0, a1 = 0, w0, w1;
	uint32_t v32;
	uint16_t v16;

	/* two independent accumulators; each half adds < 2^33 per step, so
	 * 2^30 steps (8 GiB) fit in 64 bits; frames are far smaller */
	while (len >= 16) {
		memcpy(&w0, p, 8);
		memcpy(&w1, p + 8, 8);
		a0 += (w0 & 0xffffffffu) + (w0 >> 32);
		a1 += (w1 & 0xffffffffu) + (w1 >> 32);
		p += 16;
		len -= 16;
	}
	a0 += a1;
	if (len >= 8) {
		memcpy(&w0, p, 8);
		a0 += (w0 & 0xffffffffu) + (w0 >> 32);
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&v32, p, 4);
		a0 += v32;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		memcpy(&v16, p, 2);
		a0 += v16;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* the odd byte is the first (high-order) byte of a big-endian word */
		v16 = 0;
		memcpy(&v16, p, 1);
		a0 += v16;
	}
	return csum_fold64(a0);
}

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	uint32_t s = csum_native(data, len);

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = ((s & 0xff) << 8) | (s >> 8);
#endif
	/* keep the result a partial sum of at most 17 bits so callers can chain */
	return csum_fold64((uint64_t)sum + s);
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len)
{
	uint64_t acc = (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + l4_len;

	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}
