/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_wire.h - the TCP header and its options on the wire (RFC 9293 §3.1,
 * §3.2; MSS RFC 9293 §3.7.1; window scale and timestamps RFC 7323 §2-3;
 * SACK-permitted and SACK RFC 2018). Parsing is bounds-checked and never
 * trusts a length field; building writes options in the order Linux uses so
 * captures look familiar.
 */
#ifndef SYNACK_TCP_WIRE_H
#define SYNACK_TCP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TCP_FLAG_FIN 0x01
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_PSH 0x08
#define TCP_FLAG_ACK 0x10
#define TCP_FLAG_URG 0x20
#define TCP_FLAG_ECE 0x40
#define TCP_FLAG_CWR 0x80

#define TCP_HDR_MIN	    20
#define TCP_HDR_MAX	    60
#define TCP_SACK_MAX_BLOCKS 4

struct tcp_sack_block {
	uint32_t left, right; /* [left, right) */
};

struct tcp_opts {
	bool has_mss;
	uint16_t mss;
	int8_t wscale; /* -1: option absent; values above 14 are clamped to 14 by the parser */
	bool sack_ok;
	bool has_ts;
	uint32_t tsval, tsecr;
	uint8_t nsack;
	struct tcp_sack_block sack[TCP_SACK_MAX_BLOCKS];
};

struct tcp_seg {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd; /* raw field, before scaling */
	uint16_t urp;
	struct tcp_opts opt;
	const uint8_t *payload;
	uint32_t len; /* payload bytes */
	uint8_t hlen; /* header bytes including options */
};

/* RFC 9293 SEG.LEN: payload plus one for SYN and one for FIN. */
static inline uint32_t tcp_seg_len(const struct tcp_seg *seg)
{
	return seg->len + !!(seg->flags & 0x02) + !!(seg->flags & 0x01);
}

/*
 * Parse a TCP header and options from buf[0..len). Malformed options
 * (a length past the header, a wrong length for a known kind) fail with
 * -EBADMSG; unknown options are skipped. Checksums are not checked here.
 */
int tcp_wire_parse(const uint8_t *buf, size_t len, struct tcp_seg *ret_seg);

/* Bytes the options in o take on the wire, padded to a multiple of 4. */
size_t tcp_wire_opts_len(const struct tcp_opts *o);

/*
 * Write the header and options of seg at buf (at least TCP_HDR_MAX bytes),
 * checksum field zero; returns the header length. seg->payload is not copied.
 */
size_t tcp_wire_write(uint8_t *buf, const struct tcp_seg *seg);

/*
 * Compute and store the checksum of the segment at buf (header + payload,
 * l4_len bytes) for the IPv4 addresses src/dst (host order).
 */
void tcp_wire_set_csum(uint8_t *buf, size_t l4_len, uint32_t src, uint32_t dst);
/* Store only the pseudo-header sum, for a link that completes checksums. */
void tcp_wire_set_csum_partial(uint8_t *buf, size_t l4_len, uint32_t src, uint32_t dst);
/* True when the checksum of the segment at buf is right. */
bool tcp_wire_csum_ok(const uint8_t *buf, size_t l4_len, uint32_t src, uint32_t dst);

#endif
