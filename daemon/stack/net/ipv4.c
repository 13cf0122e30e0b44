/* SPDX-License-Identifier: MIT */
/*
 * net/ipv4.c - IPv4 for a host that never forwards (RFC 791, RFC 1122
 * §3.2.1 header checks, §3.3.1 routing outbound datagrams, §3.3.6 link-layer
 * broadcasts, §3.3.2 reassembly hand-off): input validation and demultiplexing
 * to ICMP and TCP, and output with routing, ARP resolution and (for datagrams
 * that allow it) fragmentation.
 *
 * Input checks, in order, each counted: header length/version/IHL/total length
 * (IpInHdrErrors, IpExtInTruncatedPkts), header checksum (IpExtInCsumErrors
 * and IpInHdrErrors), option framing (IpInHdrErrors), destination and source
 * addresses (IpInAddrErrors). TTL is not checked: only forwarders decrement it
 * and RFC 1122 §3.2.1.7 forbids discarding for a small TTL, so any TTL,
 * 0 included, is accepted. Options are checked for framing and ignored.
 */
#include <errno.h>
#include <string.h>

#include "../csum.h"
#include "../stack_internal.h"
#include "../wire.h"
#include "arp.h"
#include "eth.h"
#include "icmp.h"
#include "ip_reasm.h"
#include "ipv4.h"

bool ip4_addr_is_bcast(const struct stack *s, uint32_t addr)
{
	uint32_t mask;

	if (addr == IP4_BROADCAST)
		return true;
	/* RFC 3021: /31 and /32 have no directed broadcast */
	if (s->cfg.prefix_len >= 31)
		return false;
	mask = s->cfg.prefix_len ? ~0u << (32 - s->cfg.prefix_len) : 0;
	return addr == (s->cfg.addr | ~mask);
}

bool ip4_addr_is_unicast(const struct stack *s, uint32_t addr)
{
	uint32_t top = addr >> 24;

	/* 0/8 "this network", 127/8 loopback, 224/4 multicast, 240/4 reserved */
	if (top == 0 || top == 127 || top >= 224)
		return false;
	return !ip4_addr_is_bcast(s, addr);
}

/* RFC 791 §3.1 option framing: single-octet EOL/NOP, else type, length >= 2, data. */
static int ip4_options_check(const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t type = opt[i], olen;

		if (type == 0)
			return 0;
		if (type == 1) {
			i++;
			continue;
		}
		if (len - i < 2)
			return -EINVAL;
		olen = opt[i + 1];
		if (olen < 2 || olen > len - i)
			return -EINVAL;
		i += olen;
	}
	return 0;
}

void ip4_deliver(struct stack *s, stack_time_us now, const struct ip4_rx *rx, const uint8_t *data,
		 size_t len, bool bcast)
{
	uint8_t proto = rx->ip_hdr[9];

	switch (proto) {
	case IP4_PROTO_ICMP:
		STACK_INC(s, IpInDelivers);
		icmp_input(s, now, rx, data, len, bcast);
		return;
	case IP4_PROTO_TCP:
		if (bcast)
			break;
		STACK_INC(s, IpInDelivers);
		tcp_input(s, now, rx, data, len);
		return;
	default:
		if (bcast)
			break;
		/* synack has no UDP: RFC 1122 §4.1.3.1 port unreachable; others §3.2.2.1 */
		STACK_INC(s, IpInUnknownProtos);
		icmp_send_unreach(s, now,
				  proto == IP4_PROTO_UDP ? ICMP_UNREACH_PORT : ICMP_UNREACH_PROTO,
				  rx->ip_hdr, rx->ip_hlen + len);
		return;
	}
	/* only ICMP is accepted for broadcast destinations */
	STACK_INC(s, IpInDiscards);
}

void ip4_input(struct stack *s, stack_time_us now, const uint8_t *pkt, size_t len,
	       const struct eth_rx *erx)
{
	struct ip4_rx rx;
	size_t hlen, tot;
	uint32_t src, dst;
	uint16_t frag;
	bool bcast;

	STACK_INC(s, IpInReceives);
	if (len < STACK_IP4_HLEN)
		goto hdr_error;
	hlen = (size_t)(pkt[0] & 0x0f) * 4;
	if ((pkt[0] >> 4) != 4 || hlen < STACK_IP4_HLEN || hlen > len)
		goto hdr_error;
	tot = wire_get16(pkt + 2);
	if (tot < hlen)
		goto hdr_error;
	if (tot > len) {
		STACK_INC(s, IpExtInTruncatedPkts);
		return;
	}
	len = tot; /* drop Ethernet padding */
	if (csum_buf(pkt, hlen) != 0) {
		STACK_INC(s, IpExtInCsumErrors);
		goto hdr_error;
	}
	if (ip4_options_check(pkt + STACK_IP4_HLEN, hlen - STACK_IP4_HLEN) < 0)
		goto hdr_error;

	src = wire_get32(pkt + 12);
	dst = wire_get32(pkt + 16);
	bcast = ip4_addr_is_bcast(s, dst);
	/* RFC 1122 §3.3.6: a link-layer broadcast must carry an IP broadcast */
	if ((dst != s->cfg.addr && !bcast) || (erx->link_bcast && !bcast))
		goto addr_error;
	/* RFC 1122 §3.2.1.3: discard impossible sources */
	if (!ip4_addr_is_unicast(s, src) || src == s->cfg.addr)
		goto addr_error;

	arp_confirm(s, now, stack_on_link(s, src) ? src : s->cfg.gateway, erx->src_mac);

	frag = wire_get16(pkt + 6);
	if (frag & (IP4_FLAG_MF | IP4_OFF_MASK)) {
		if (bcast) {
			STACK_INC(s, IpInDiscards);
			return;
		}
		ip_reasm_input(s, now, pkt, hlen, len);
		return;
	}

	rx.src = src;
	rx.dst = dst;
	rx.tos = pkt[1];
	rx.ttl = pkt[8];
	rx.csum_valid = erx->meta->csum_valid;
	rx.csum_partial = erx->meta->csum_partial;
	rx.ip_hdr = pkt;
	rx.ip_hlen = hlen;
	ip4_deliver(s, now, &rx, pkt + hlen, len - hlen, bcast);
	return;

hdr_error:
	STACK_INC(s, IpInHdrErrors);
	return;
addr_error:
	STACK_INC(s, IpInAddrErrors);
}

/* RFC 1122 §3.3.1.1: on-link directly, off-link through the one default gateway. */
static int ip4_route(const struct stack *s, uint32_t dst, uint32_t *ret_nexthop)
{
	/* no loopback, and we never send to broadcast or multicast addresses */
	if (!ip4_addr_is_unicast(s, dst) || dst == s->cfg.addr)
		return -ENETUNREACH;
	if (stack_on_link(s, dst)) {
		*ret_nexthop = dst;
		return 0;
	}
	if (!s->cfg.gateway || !stack_on_link(s, s->cfg.gateway) ||
	    !ip4_addr_is_unicast(s, s->cfg.gateway))
		return -ENETUNREACH;
	*ret_nexthop = s->cfg.gateway;
	return 0;
}

static void ip4_fill_header(uint8_t *h, size_t tot, uint16_t id, uint16_t frag, uint8_t tos,
			    uint8_t proto, uint32_t src, uint32_t dst)
{
	h[0] = 0x45;
	h[1] = tos;
	wire_put16(h + 2, (uint16_t)tot);
	wire_put16(h + 4, id);
	wire_put16(h + 6, frag);
	h[8] = IP4_TTL_DEFAULT;
	h[9] = proto;
	wire_put16(h + 10, 0);
	wire_put32(h + 12, src);
	wire_put32(h + 16, dst);
	wire_put16(h + 10, csum_buf(h, STACK_IP4_HLEN));
}

/*
 * RFC 791 §3.2 fragmentation of a datagram larger than the MTU: only ICMP
 * replies get here (TCP sets DF and sizes segments to the MTU or uses GSO).
 * Fragments are built one at a time in net.fragbuf.
 */
static int ip4_fragment(struct stack *s, stack_time_us now, uint32_t nexthop,
			const struct stack_pkt *p, uint32_t src, uint16_t id)
{
	size_t chunk = (s->cfg.mtu - STACK_IP4_HLEN) & ~(size_t)7;
	uint8_t *f = s->net.fragbuf;

	if (p->dont_fragment || p->meta.csum_partial || p->meta.gso_type || p->tail) {
		STACK_INC(s, IpFragFails);
		return -EMSGSIZE;
	}
	for (size_t off = 0; off < p->l4_len; off += chunk) {
		size_t n = stack_min(chunk, p->l4_len - off);
		uint16_t frag = (uint16_t)(off >> 3);
		int r;

		if (off + n < p->l4_len)
			frag |= IP4_FLAG_MF;
		memcpy(f, p->buf, ETH_HLEN);
		ip4_fill_header(f + ETH_HLEN, STACK_IP4_HLEN + n, id, frag, p->tos, p->proto, src,
				p->dst);
		memcpy(f + STACK_L4_OFF, p->buf + STACK_L4_OFF + off, n);
		STACK_INC(s, IpFragCreates);
		r = arp_output(s, now, nexthop, f, STACK_L4_OFF + n, NULL, NULL);
		if (r < 0) {
			STACK_INC(s, IpFragFails);
			return r;
		}
	}
	STACK_INC(s, IpFragOKs);
	return 0;
}

int ip4_output(struct stack *s, stack_time_us now, struct stack_pkt *p)
{
	uint32_t src = p->src ? p->src : s->cfg.addr, nexthop = 0;
	size_t tot = STACK_IP4_HLEN + p->l4_len;
	uint16_t id;
	int r;

	STACK_INC(s, IpOutRequests);
	if (src != s->cfg.addr) {
		STACK_INC(s, IpOutDiscards);
		return -EADDRNOTAVAIL;
	}
	r = ip4_route(s, p->dst, &nexthop);
	if (r < 0) {
		STACK_INC(s, IpOutNoRoutes);
		return r;
	}
	if (tot > STACK_IP4_MAX ||
	    (p->meta.gso_type != STACK_GSO_NONE && p->l4_len < 20 /* a TCP header */)) {
		STACK_INC(s, IpOutDiscards);
		return -EMSGSIZE;
	}
	/* RFC 6864: atomic datagrams may carry any ID; one counter serves all */
	id = s->net.ip_id++;
	eth_fill(p->buf, eth_broadcast_addr, s->cfg.mac, ETH_TYPE_IPV4);
	if (tot > s->cfg.mtu && p->meta.gso_type == STACK_GSO_NONE)
		return ip4_fragment(s, now, nexthop, p, src, id);

	ip4_fill_header(p->buf + ETH_HLEN, tot, id, p->dont_fragment ? IP4_FLAG_DF : 0, p->tos,
			p->proto, src, p->dst);
	if (p->meta.gso_type != STACK_GSO_NONE)
		p->meta.hdr_len = (uint16_t)(STACK_L4_OFF + (p->buf[STACK_L4_OFF + 12] >> 4) * 4);
	return arp_output(s, now, nexthop, p->buf, ETH_HLEN + tot, &p->meta, p->tail);
}

int ip4_init(struct stack *s, stack_time_us now)
{
	s->net.fragbuf = stack_alloc(s, ETH_HLEN + s->cfg.mtu);
	if (!s->net.fragbuf)
		return -ENOMEM;
	s->net.ip_id = (uint16_t)stack_random(s);
	return 0;
}

void ip4_deinit(struct stack *s)
{
	stack_free(s, s->net.fragbuf, ETH_HLEN + s->cfg.mtu);
	s->net.fragbuf = NULL;
}
