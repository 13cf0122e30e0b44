/* SPDX-License-Identifier: MIT */
/*
 * net/eth.c - Ethernet II input: the frame filter and the demultiplexer to
 * ARP (RFC 826) and IPv4 (RFC 894), plus the net layer's init/poll glue.
 *
 * Accepted: frames to our MAC and to ff:ff:ff:ff:ff:ff. Dropped and counted in
 * SynackEthInDiscards: runts (shorter than the 14-byte header), frames for
 * another unicast MAC, every multicast frame (we join no IPv4 multicast group
 * and speak no IPv6), frames whose source MAC is a group address, and
 * ethertypes other than IPv4 and ARP (VLAN tags included). Frames shorter than
 * the 60-byte Ethernet minimum are accepted: a TAP does not pad.
 */
#include <string.h>

#include "../stack_internal.h"
#include "../wire.h"
#include "arp.h"
#include "eth.h"
#include "icmp.h"
#include "ip_reasm.h"
#include "ipv4.h"

void eth_input(struct stack *s, stack_time_us now, const uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta)
{
	static const struct stack_frame_meta plain;
	struct eth_rx rx;

	STACK_INC(s, SynackEthInFrames);
	if (!meta)
		meta = &plain;
	if (len < ETH_HLEN)
		goto discard;
	rx.link_bcast = eth_addr_is_broadcast(frame);
	if (!rx.link_bcast && memcmp(frame, s->cfg.mac, ETH_ALEN) != 0)
		goto discard;
	if (eth_addr_is_group(frame + ETH_ALEN))
		goto discard;
	rx.src_mac = frame + ETH_ALEN;
	rx.meta = meta;

	switch (wire_get16(frame + 2 * ETH_ALEN)) {
	case ETH_TYPE_ARP:
		arp_input(s, now, frame + ETH_HLEN, len - ETH_HLEN);
		return;
	case ETH_TYPE_IPV4:
		ip4_input(s, now, frame + ETH_HLEN, len - ETH_HLEN, &rx);
		return;
	default:
		break;
	}
discard:
	STACK_INC(s, SynackEthInDiscards);
}

int net_init(struct stack *s, stack_time_us now)
{
	int r;

	r = ip4_init(s, now);
	if (r < 0)
		return r;
	r = ip_reasm_init(s, now);
	if (r < 0)
		goto fail_reasm;
	icmp_init(s, now);
	r = arp_init(s, now);
	if (r < 0)
		goto fail_arp;
	return 0;

fail_arp:
	ip_reasm_deinit(s);
fail_reasm:
	ip4_deinit(s);
	return r;
}

void net_deinit(struct stack *s)
{
	arp_deinit(s);
	ip_reasm_deinit(s);
	ip4_deinit(s);
}

void net_poll(struct stack *s, stack_time_us now)
{
	arp_poll(s, now);
	ip_reasm_poll(s, now);
}

stack_time_us net_poll_at(const struct stack *s)
{
	stack_time_us a = arp_poll_at(s), b = ip_reasm_poll_at(s);

	return a < b ? a : b;
}
