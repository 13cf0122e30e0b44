/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_wire.c - parse and build the TCP header (RFC 9293 §3.1) and its
 * options: EOL/NOP and MSS (RFC 9293 §3.2, §3.7.1), window scale and
 * timestamps (RFC 7323 §2.2, §2.3, §3.2), SACK-permitted and SACK
 * (RFC 2018 §2, §3); and the TCP checksum over the IPv4 pseudo-header
 * (RFC 9293 §3.1), in full or as the partial sum a checksum-offloading link
 * completes.
 *
 * The parser records every known option wherever it appears (MSS or window
 * scale on a non-SYN segment included); deciding what to honour is the
 * engine's job (RFC 7323 §2.2: ignore WS on non-SYN segments). The writer
 * likewise emits every option present in the struct, in Linux's order, so
 * the engine chooses per segment which options to set.
 */
#include <errno.h>
#include <string.h>

#include "tcp_wire.h"
#include "../csum.h"
#include "../wire.h"

#define TCP_OPT_EOL	  0
#define TCP_OPT_NOP	  1
#define TCP_OPT_MSS	  2
#define TCP_OPT_WS	  3
#define TCP_OPT_SACK_OK	  4
#define TCP_OPT_SACK	  5
#define TCP_OPT_TS	  8
#define TCP_OPTLEN_MSS	  4
#define TCP_OPTLEN_WS	  3
#define TCP_OPTLEN_SACKOK 2
#define TCP_OPTLEN_TS	  10
#define TCP_WS_MAX	  14 /* RFC 7323 §2.3 */
#define TCP_OPT_SPACE	  (TCP_HDR_MAX - TCP_HDR_MIN)
#define TCP_CSUM_OFF	  16
#define IPPROTO_TCP_NUM	  6

static int tcp_wire_parse_sack(const uint8_t *p, uint8_t olen, struct tcp_opts *o)
{
	uint8_t n;

	if (olen < 2 + 8 || (olen - 2) % 8)
		return -EBADMSG;
	n = (uint8_t)((olen - 2) / 8);
	if (n > TCP_SACK_MAX_BLOCKS)
		return -EBADMSG;
	for (uint8_t i = 0; i < n; i++) {
		o->sack[i].left = wire_get32(p + 2 + 8 * i);
		o->sack[i].right = wire_get32(p + 6 + 8 * i);
	}
	o->nsack = n;
	return 0;
}

/* One option of kind p[0] and length olen (already bounds-checked). */
static int tcp_wire_parse_opt(const uint8_t *p, uint8_t olen, struct tcp_opts *o)
{
	switch (p[0]) {
	case TCP_OPT_MSS:
		if (olen != TCP_OPTLEN_MSS)
			return -EBADMSG;
		o->has_mss = true;
		o->mss = wire_get16(p + 2);
		return 0;
	case TCP_OPT_WS:
		if (olen != TCP_OPTLEN_WS)
			return -EBADMSG;
		o->wscale = (int8_t)(p[2] > TCP_WS_MAX ? TCP_WS_MAX : p[2]);
		return 0;
	case TCP_OPT_SACK_OK:
		if (olen != TCP_OPTLEN_SACKOK)
			return -EBADMSG;
		o->sack_ok = true;
		return 0;
	case TCP_OPT_SACK:
		return tcp_wire_parse_sack(p, olen, o);
	case TCP_OPT_TS:
		if (olen != TCP_OPTLEN_TS)
			return -EBADMSG;
		o->has_ts = true;
		o->tsval = wire_get32(p + 2);
		o->tsecr = wire_get32(p + 6);
		return 0;
	default:
		return 0; /* unknown kinds are skipped (RFC 9293 §3.1, RFC 1122 4.2.2.5) */
	}
}

static int tcp_wire_parse_opts(const uint8_t *p, size_t len, struct tcp_opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	o->wscale = -1;
	while (i < len) {
		uint8_t olen;
		int r;

		if (p[i] == TCP_OPT_EOL)
			break;
		if (p[i] == TCP_OPT_NOP) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -EBADMSG;
		olen = p[i + 1];
		if (olen < 2 || olen > len - i)
			return -EBADMSG;
		r = tcp_wire_parse_opt(p + i, olen, o);
		if (r < 0)
			return r;
		i += olen;
	}
	return 0;
}

int tcp_wire_parse(const uint8_t *buf, size_t len, struct tcp_seg *ret_seg)
{
	struct tcp_seg seg;
	size_t hlen;
	int r;

	if (!buf || len < TCP_HDR_MIN)
		return -EBADMSG;
	hlen = (size_t)(buf[12] >> 4) * 4;
	if (hlen < TCP_HDR_MIN || hlen > len)
		return -EBADMSG;
	memset(&seg, 0, sizeof(seg));
	r = tcp_wire_parse_opts(buf + TCP_HDR_MIN, hlen - TCP_HDR_MIN, &seg.opt);
	if (r < 0)
		return r;
	seg.sport = wire_get16(buf);
	seg.dport = wire_get16(buf + 2);
	seg.seq = wire_get32(buf + 4);
	seg.ack = wire_get32(buf + 8);
	seg.flags = buf[13];
	seg.wnd = wire_get16(buf + 14);
	seg.urp = wire_get16(buf + 18);
	seg.hlen = (uint8_t)hlen;
	seg.payload = buf + hlen;
	seg.len = (uint32_t)(len - hlen);
	*ret_seg = seg;
	return 0;
}

/*
 * The layout, shared by the length calculation and the writer so they can
 * never disagree:
 *   MSS(4)
 *   SACKOK(2) TS(10)           when both   | NOP NOP TS(10) | NOP NOP SACKOK(2)
 *   NOP WS(3)
 *   NOP NOP SACK(2 + 8n)       n cut to what fits in the 40 option bytes
 */
struct tcp_opt_layout {
	size_t fixed;  /* bytes before the SACK blocks */
	uint8_t nsack; /* blocks that fit */
};

static struct tcp_opt_layout tcp_wire_layout(const struct tcp_opts *o)
{
	struct tcp_opt_layout l = { 0, 0 };

	if (o->has_mss)
		l.fixed += 4;
	if (o->has_ts)
		l.fixed += 12;
	else if (o->sack_ok)
		l.fixed += 4;
	if (o->wscale >= 0)
		l.fixed += 4;
	l.nsack = o->nsack > TCP_SACK_MAX_BLOCKS ? TCP_SACK_MAX_BLOCKS : o->nsack;
	while (l.nsack && l.fixed + 4 + 8 * (size_t)l.nsack > TCP_OPT_SPACE)
		l.nsack--;
	return l;
}

size_t tcp_wire_opts_len(const struct tcp_opts *o)
{
	struct tcp_opt_layout l = tcp_wire_layout(o);

	/* every element above is a multiple of 4 bytes already */
	return l.fixed + (l.nsack ? 4 + 8 * (size_t)l.nsack : 0);
}

static uint8_t *tcp_wire_put_ts(uint8_t *p, const struct tcp_opts *o)
{
	p[0] = TCP_OPT_TS;
	p[1] = TCP_OPTLEN_TS;
	wire_put32(p + 2, o->tsval);
	wire_put32(p + 6, o->tsecr);
	return p + TCP_OPTLEN_TS;
}

static uint8_t *tcp_wire_put_opts(uint8_t *p, const struct tcp_opts *o)
{
	struct tcp_opt_layout l = tcp_wire_layout(o);

	if (o->has_mss) {
		p[0] = TCP_OPT_MSS;
		p[1] = TCP_OPTLEN_MSS;
		wire_put16(p + 2, o->mss);
		p += 4;
	}
	if (o->has_ts) {
		if (o->sack_ok) {
			p[0] = TCP_OPT_SACK_OK;
			p[1] = TCP_OPTLEN_SACKOK;
		} else {
			p[0] = p[1] = TCP_OPT_NOP;
		}
		p = tcp_wire_put_ts(p + 2, o);
	} else if (o->sack_ok) {
		p[0] = p[1] = TCP_OPT_NOP;
		p[2] = TCP_OPT_SACK_OK;
		p[3] = TCP_OPTLEN_SACKOK;
		p += 4;
	}
	if (o->wscale >= 0) {
		p[0] = TCP_OPT_NOP;
		p[1] = TCP_OPT_WS;
		p[2] = TCP_OPTLEN_WS;
		p[3] = (uint8_t)(o->wscale > TCP_WS_MAX ? TCP_WS_MAX : o->wscale);
		p += 4;
	}
	if (l.nsack) {
		p[0] = p[1] = TCP_OPT_NOP;
		p[2] = TCP_OPT_SACK;
		p[3] = (uint8_t)(2 + 8 * l.nsack);
		p += 4;
		for (uint8_t i = 0; i < l.nsack; i++) {
			wire_put32(p, o->sack[i].left);
			wire_put32(p + 4, o->sack[i].right);
			p += 8;
		}
	}
	return p;
}

size_t tcp_wire_write(uint8_t *buf, const struct tcp_seg *seg)
{
	size_t hlen = TCP_HDR_MIN + tcp_wire_opts_len(&seg->opt);

	wire_put16(buf, seg->sport);
	wire_put16(buf + 2, seg->dport);
	wire_put32(buf + 4, seg->seq);
	wire_put32(buf + 8, seg->ack);
	buf[12] = (uint8_t)((hlen / 4) << 4);
	buf[13] = seg->flags;
	wire_put16(buf + 14, seg->wnd);
	wire_put16(buf + 16, 0);
	wire_put16(buf + 18, seg->urp);
	tcp_wire_put_opts(buf + TCP_HDR_MIN, &seg->opt);
	return hlen;
}

static uint32_t tcp_wire_pseudo(size_t l4_len, uint32_t src, uint32_t dst)
{
	return csum_pseudo4(src, dst, IPPROTO_TCP_NUM, (uint16_t)l4_len);
}

void tcp_wire_set_csum(uint8_t *buf, size_t l4_len, uint32_t src, uint32_t dst)
{
	uint32_t sum;

	wire_put16(buf + TCP_CSUM_OFF, 0);
	sum = csum_add(tcp_wire_pseudo(l4_len, src, dst), buf, l4_len);
	wire_put16(buf + TCP_CSUM_OFF, csum_fold(sum));
}

/*
 * What is stored: the pseudo-header sum (source, destination, zero+protocol 6,
 * TCP length) folded to 16 bits with end-around carries and NOT complemented,
 * big-endian in the checksum field; this is Linux's ~csum_tcpudp_magic(). A
 * CHECKSUM_PARTIAL / VIRTIO_NET_HDR_F_NEEDS_CSUM link sums from the TCP header
 * (csum_start) to the end of the segment, this field included, and stores the
 * complement of that sum at csum_start + csum_offset (16).
 */
void tcp_wire_set_csum_partial(uint8_t *buf, size_t l4_len, uint32_t src, uint32_t dst)
{
	uint16_t folded = (uint16_t)~csum_fold(tcp_wire_pseudo(l4_len, src, dst));

	wire_put16(buf + TCP_CSUM_OFF, folded);
}

bool tcp_wire_csum_ok(const uint8_t *buf, size_t l4_len, uint32_t src, uint32_t dst)
{
	if (l4_len < TCP_HDR_MIN || l4_len > UINT16_MAX)
		return false;
	return csum_fold(csum_add(tcp_wire_pseudo(l4_len, src, dst), buf, l4_len)) == 0;
}
