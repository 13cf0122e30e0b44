/* SPDX-License-Identifier: MIT */
/*
 * net/icmp.c - ICMP for a host (RFC 792; RFC 1122 §3.2.2): echo replies
 * (§3.2.2.6), destination unreachable and time exceeded errors we send
 * (§3.2.2.1, §3.3.2) under the rules of §3.2.2 and a token-bucket rate limit
 * (§4.3.2.8 of RFC 1812 describes the same idea for routers), and the errors
 * we receive about our TCP segments, validated and passed to TCP
 * (RFC 1122 §4.2.3.9, RFC 5927; TCP decides what each one means).
 */
#include <errno.h>
#include <string.h>

#include "../csum.h"
#include "../stack_internal.h"
#include "../wire.h"
#include "icmp.h"
#include "ipv4.h"

#define ICMP_TOKEN_US  (1000000ull / ICMP_RATE_PER_SEC)
#define ICMP_BUCKET_US (ICMP_TOKEN_US * ICMP_RATE_BURST)

void icmp_init(struct stack *s, stack_time_us now)
{
	s->net.icmp_credit = ICMP_BUCKET_US;
	s->net.icmp_last = now;
}

/* Credit accrues one microsecond per microsecond up to the burst; an error costs one token. */
static bool icmp_rate_allow(struct stack *s, stack_time_us now)
{
	stack_time_us elapsed = now > s->net.icmp_last ? now - s->net.icmp_last : 0;

	s->net.icmp_last = stack_max(now, s->net.icmp_last);
	if (elapsed >= ICMP_BUCKET_US - s->net.icmp_credit)
		s->net.icmp_credit = ICMP_BUCKET_US;
	else
		s->net.icmp_credit += elapsed;
	if (s->net.icmp_credit < ICMP_TOKEN_US)
		return false;
	s->net.icmp_credit -= ICMP_TOKEN_US;
	return true;
}

/* Query (informational) types; anything else is treated as an error message. */
static bool icmp_type_is_query(uint8_t type)
{
	switch (type) {
	case ICMP_ECHO_REPLY:
	case ICMP_ECHO_REQUEST:
	case 13: /* timestamp */
	case 14: /* timestamp reply */
	case 15: /* information request */
	case 16: /* information reply */
	case 17: /* address mask request */
	case 18: /* address mask reply */
		return true;
	default:
		return false;
	}
}

/*
 * RFC 1122 §3.2.2: no error about an ICMP error, a datagram to a broadcast or
 * multicast address (or anyone but us), a non-initial fragment, or a datagram
 * whose source does not name a single host.
 */
static bool icmp_error_allowed(const struct stack *s, const uint8_t *h, size_t len)
{
	size_t hlen;
	uint32_t src;

	if (len < STACK_IP4_HLEN)
		return false;
	hlen = (size_t)(h[0] & 0x0f) * 4;
	if ((h[0] >> 4) != 4 || hlen < STACK_IP4_HLEN || hlen > len)
		return false;
	if (wire_get16(h + 6) & IP4_OFF_MASK)
		return false;
	if (wire_get32(h + 16) != s->cfg.addr)
		return false;
	src = wire_get32(h + 12);
	if (!ip4_addr_is_unicast(s, src) || src == s->cfg.addr)
		return false;
	if (h[9] == IP4_PROTO_ICMP && (len <= hlen || !icmp_type_is_query(h[hlen])))
		return false;
	return true;
}

static void icmp_count_out(struct stack *s, uint8_t type)
{
	STACK_INC(s, IcmpOutMsgs);
	switch (type) {
	case ICMP_DEST_UNREACH:
		STACK_INC(s, IcmpOutDestUnreachs);
		break;
	case ICMP_TIME_EXCEEDED:
		STACK_INC(s, IcmpOutTimeExcds);
		break;
	case ICMP_ECHO_REPLY:
		STACK_INC(s, IcmpOutEchoReps);
		break;
	default:
		break;
	}
}

/* The ICMP message is at s->txbuf + STACK_L4_OFF: checksum it and send it to dst. */
static int icmp_output(struct stack *s, stack_time_us now, size_t len, uint32_t dst, uint8_t tos)
{
	uint8_t *m = s->txbuf + STACK_L4_OFF;
	struct stack_pkt p = {
		.buf = s->txbuf,
		.l4_len = len,
		.dst = dst,
		.proto = IP4_PROTO_ICMP,
		.tos = tos,
	};
	int r;

	wire_put16(m + 2, 0);
	wire_put16(m + 2, csum_buf(m, len));
	r = ip4_output(s, now, &p);
	if (r < 0)
		STACK_INC(s, IcmpOutErrors);
	else
		icmp_count_out(s, m[0]);
	return r;
}

int icmp_send_error(struct stack *s, stack_time_us now, uint8_t type, uint8_t code,
		    const uint8_t *ip_hdr, size_t len)
{
	uint8_t *m = s->txbuf + STACK_L4_OFF;
	size_t quote;

	if (!icmp_error_allowed(s, ip_hdr, len))
		return -EPERM;
	if (!icmp_rate_allow(s, now)) {
		STACK_INC(s, SynackIcmpOutRateLimited);
		return -ENOBUFS;
	}
	/* quote the datagram as far as its own length and our size limit allow */
	quote = stack_min(len, (size_t)wire_get16(ip_hdr + 2));
	quote = stack_min(quote, (size_t)ICMP_ERROR_MAX - STACK_IP4_HLEN - ICMP_HLEN);
	quote = stack_min(quote, (size_t)s->cfg.mtu - STACK_IP4_HLEN - ICMP_HLEN);
	quote = stack_max(quote, (size_t)(ip_hdr[0] & 0x0f) * 4);
	memmove(m + ICMP_HLEN, ip_hdr, quote);
	m[0] = type;
	m[1] = code;
	wire_put32(m + 4, 0); /* unused */
	return icmp_output(s, now, ICMP_HLEN + quote, wire_get32(ip_hdr + 12), 0);
}

void icmp_send_unreach(struct stack *s, stack_time_us now, uint8_t code, const uint8_t *ip_hdr,
		       size_t len)
{
	(void)icmp_send_error(s, now, ICMP_DEST_UNREACH, code, ip_hdr, len);
}

/* RFC 792 / RFC 1122 §3.2.2.6: the reply returns identifier, sequence and data unchanged. */
static void icmp_echo_reply(struct stack *s, stack_time_us now, const struct ip4_rx *rx,
			    const uint8_t *msg, size_t len)
{
	uint8_t *m = s->txbuf + STACK_L4_OFF;

	memmove(m, msg, len);
	m[0] = ICMP_ECHO_REPLY;
	m[1] = 0;
	(void)icmp_output(s, now, len, rx->src, rx->tos);
}

/*
 * An error about a datagram we sent: check the quoted IPv4 header and that
 * at least 8 octets of its payload follow (RFC 792), then hand TCP's to TCP.
 */
static void icmp_error_input(struct stack *s, stack_time_us now, const uint8_t *msg, size_t len)
{
	const uint8_t *q = msg + ICMP_HLEN;
	size_t qlen = len - ICMP_HLEN, qhlen;
	uint16_t next_mtu = 0;

	if (qlen < STACK_IP4_HLEN)
		goto error;
	qhlen = (size_t)(q[0] & 0x0f) * 4;
	if ((q[0] >> 4) != 4 || qhlen < STACK_IP4_HLEN || qlen < qhlen + 8)
		goto error;
	if (wire_get32(q + 12) != s->cfg.addr)
		goto error; /* not about a datagram of ours */
	if (q[9] != IP4_PROTO_TCP || (wire_get16(q + 6) & IP4_OFF_MASK))
		return; /* nothing else of ours can be told, and only a first fragment has ports */
	if (msg[0] == ICMP_DEST_UNREACH && msg[1] == ICMP_UNREACH_NEEDFRAG)
		next_mtu = wire_get16(msg + 6); /* RFC 1191 §4 */
	STACK_INC(s, SynackIcmpInTcpErrors);
	tcp_icmp_error(s, now, msg[0], msg[1], next_mtu, q, qlen);
	return;
error:
	STACK_INC(s, IcmpInErrors);
}

void icmp_input(struct stack *s, stack_time_us now, const struct ip4_rx *rx, const uint8_t *msg,
		size_t len, bool bcast)
{
	STACK_INC(s, IcmpInMsgs);
	if (len < ICMP_HLEN) {
		STACK_INC(s, IcmpInErrors);
		return;
	}
	if (!rx->csum_valid && !rx->csum_partial && csum_buf(msg, len) != 0) {
		STACK_INC(s, IcmpInCsumErrors);
		STACK_INC(s, IcmpInErrors);
		return;
	}
	switch (msg[0]) {
	case ICMP_ECHO_REQUEST:
		STACK_INC(s, IcmpInEchos);
		/* RFC 1122 §3.2.2.6 lets us ignore broadcast echoes, and smurf attacks say we should */
		if (!bcast)
			icmp_echo_reply(s, now, rx, msg, len);
		return;
	case ICMP_ECHO_REPLY:
		STACK_INC(s, IcmpInEchoReps);
		return;
	case ICMP_DEST_UNREACH:
		STACK_INC(s, IcmpInDestUnreachs);
		break;
	case ICMP_TIME_EXCEEDED:
		STACK_INC(s, IcmpInTimeExcds);
		break;
	case ICMP_PARAM_PROBLEM:
		STACK_INC(s, IcmpInParmProbs);
		break;
	default:
		/* source quench (RFC 6633), redirect (one gateway), timestamps: ignored */
		return;
	}
	if (!bcast)
		icmp_error_input(s, now, msg, len);
}
