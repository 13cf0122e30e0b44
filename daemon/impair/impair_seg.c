/* SPDX-License-Identifier: MIT */
/*
 * impair_seg.c - cut a TCPv4 super-frame into wire-sized frames and complete
 * checksums in software (see impair_seg.h), as a NIC doing TSO would: every
 * segment gets the headers of the first, its own sequence number (RFC 9293
 * §3.4), IPv4 total length, an incremented identification and a fresh
 * header checksum (RFC 791 §3.1), and a full TCP checksum over the
 * pseudo-header (RFC 9293 §3.1). FIN and PSH go on the last segment only,
 * CWR on the first only (RFC 3168 §6.1.2: once per window reduction).
 */
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "impair_seg.h"
#include "wire.h"

#define ETH_LEN 14

int impair_seg_csum_finish(uint8_t *frame, size_t len, uint16_t start, uint16_t offset)
{
	if ((size_t)start + offset + 2 > len)
		return -EINVAL;
	/* the field holds the pseudo-header sum: summing over it gives the whole */
	wire_put16(frame + start + offset, csum_fold(csum_add(0, frame + start, len - start)));
	return 0;
}

/* Offsets of a TCP over IPv4 frame's headers; -EINVAL when they do not parse. */
static int impair_seg_parse(const uint8_t *f, size_t len, size_t *ret_ihl, size_t *ret_thl)
{
	size_t ihl, thl;

	if (len < ETH_LEN + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 ||
	    f[ETH_LEN + 9] != 6)
		return -EINVAL;
	ihl = (size_t)(f[ETH_LEN] & 0x0f) * 4;
	if (ihl < 20 || ETH_LEN + ihl + 20 > len)
		return -EINVAL;
	thl = (size_t)(f[ETH_LEN + ihl + 12] >> 4) * 4;
	if (thl < 20 || ETH_LEN + ihl + thl > len)
		return -EINVAL;
	*ret_ihl = ihl;
	*ret_thl = thl;
	return 0;
}

/* Set lengths, identification and both checksums of a segment laid out in out. */
static void impair_seg_finish(uint8_t *out, size_t ihl, size_t thl, size_t pay, uint16_t id)
{
	uint8_t *ip = out + ETH_LEN, *tcp = ip + ihl;
	size_t l4 = thl + pay;

	wire_put16(ip + 2, (uint16_t)(ihl + l4));
	wire_put16(ip + 4, id);
	wire_put16(ip + 10, 0);
	wire_put16(ip + 10, csum_buf(ip, ihl));
	wire_put16(tcp + 16, 0);
	wire_put16(tcp + 16, csum_fold(csum_add(csum_pseudo4(wire_get32(ip + 12),
							     wire_get32(ip + 16), 6, (uint16_t)l4),
						tcp, l4)));
}

/* One wire frame with nothing to cut: complete its checksum if partial. */
static int impair_seg_one(const uint8_t *frame, size_t len, const struct impair_seg_in *in,
			  uint8_t *scratch, impair_seg_emit emit, void *ctx)
{
	int r;

	if (len > IMPAIR_SEG_SCRATCH)
		return -EINVAL;
	memcpy(scratch, frame, len);
	if (in && in->csum_partial) {
		r = impair_seg_csum_finish(scratch, len, in->csum_start, in->csum_offset);
		if (r < 0)
			return r;
	}
	r = emit(ctx, scratch, len);
	return r < 0 ? r : 1;
}

int impair_seg_split(const uint8_t *frame, size_t len, const struct impair_seg_in *in,
		     uint8_t *scratch, impair_seg_emit emit, void *ctx)
{
	size_t ihl, thl, hdr, pay, off;
	uint32_t seq;
	uint16_t id;
	uint8_t flags;
	int r, n = 0;

	if (!in || in->gso_size == 0)
		return impair_seg_one(frame, len, in, scratch, emit, ctx);
	r = impair_seg_parse(frame, len, &ihl, &thl);
	if (r < 0)
		return r;
	hdr = ETH_LEN + ihl + thl;
	pay = len - hdr;
	seq = wire_get32(frame + ETH_LEN + ihl + 4);
	id = wire_get16(frame + ETH_LEN + 4);
	flags = frame[ETH_LEN + ihl + 13];
	off = 0;
	do {
		size_t n_pay = pay - off < in->gso_size ? pay - off : in->gso_size;
		bool last = off + n_pay >= pay;
		uint8_t *tcp = scratch + ETH_LEN + ihl;

		memcpy(scratch, frame, hdr);
		memcpy(scratch + hdr, frame + hdr + off, n_pay);
		wire_put32(tcp + 4, seq + (uint32_t)off);
		tcp[13] = flags;
		if (!last)
			tcp[13] &= (uint8_t) ~(0x01 | 0x08); /* FIN, PSH */
		if (n)
			tcp[13] &= (uint8_t)~0x80; /* CWR */
		impair_seg_finish(scratch, ihl, thl, n_pay, (uint16_t)(id + n));
		r = emit(ctx, scratch, hdr + n_pay);
		if (r < 0)
			return r;
		n++;
		off += n_pay;
	} while (off < pay);
	return n;
}
