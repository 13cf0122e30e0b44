/* SPDX-License-Identifier: MIT */
/*
 * net/arp.c - ARP for IPv4 over Ethernet (RFC 826): answering requests for
 * our address, the resolver cache with its timers (RFC 1122 §2.3.2.1 cache
 * timeout and unicast poll, §2.3.2.2 a bounded queue per unresolved
 * address), and the RFC 5227 §2.3 announcement sent at start.
 *
 * The cache is a fixed table allocated at init. Expired entries are not timed
 * out by a timer: a lookup treats them as absent and frees them, so an idle
 * stack has no ARP deadline. Only addresses being resolved have deadlines.
 * Frames waiting for resolution are copied through the stack's allocator,
 * bounded per address and in total.
 */
#include <errno.h>
#include <string.h>

#include "../stack_internal.h"
#include "../wire.h"
#include "arp.h"
#include "eth.h"
#include "ipv4.h"

#define ARP_HTYPE_ETHER 1
#define ARP_OP_REQUEST	1
#define ARP_OP_REPLY	2

/* Frames we build ourselves carry no offload requests; the sink always gets a meta. */
static const struct stack_frame_meta arp_plain_meta;

/* A frame waiting for its next hop to be resolved. */
struct arp_qframe {
	struct arp_qframe *next;
	size_t len;
	struct stack_frame_meta meta;
	uint8_t data[];
};

static size_t arp_qframe_size(size_t len)
{
	return sizeof(struct arp_qframe) + len;
}

/* Build and emit one ARP packet; never touches s->txbuf, which may hold a frame in flight. */
static void arp_send(struct stack *s, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha,
		     uint32_t tpa)
{
	static const uint8_t zero_mac[ETH_ALEN];
	uint8_t f[ETH_HLEN + ARP_PKT_LEN];
	uint8_t *a = f + ETH_HLEN;

	eth_fill(f, eth_dst, s->cfg.mac, ETH_TYPE_ARP);
	wire_put16(a, ARP_HTYPE_ETHER);
	wire_put16(a + 2, ETH_TYPE_IPV4);
	a[4] = ETH_ALEN;
	a[5] = 4;
	wire_put16(a + 6, op);
	memcpy(a + 8, s->cfg.mac, ETH_ALEN);
	wire_put32(a + 14, s->cfg.addr);
	memcpy(a + 18, tha ? tha : zero_mac, ETH_ALEN);
	wire_put32(a + 24, tpa);
	if (op == ARP_OP_REQUEST)
		STACK_INC(s, SynackArpOutRequests);
	else
		STACK_INC(s, SynackArpOutReplies);
	stack_emit(s, f, sizeof(f), &arp_plain_meta);
}

static void arp_send_request(struct stack *s, const uint8_t *eth_dst, uint32_t tpa)
{
	arp_send(s, ARP_OP_REQUEST, eth_dst, NULL, tpa);
}

/* Find the entry for addr; a REACHABLE entry past its lifetime is freed and not found. */
static struct arp_entry *arp_lookup(struct stack *s, stack_time_us now, uint32_t addr)
{
	struct net_state *n = &s->net;
	struct arp_entry *e = &n->arp[n->arp_hint];

	if (e->state == ARP_FREE || e->addr != addr) {
		e = NULL;
		for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
			if (n->arp[i].state != ARP_FREE && n->arp[i].addr == addr) {
				e = &n->arp[i];
				n->arp_hint = i;
				break;
			}
		}
		if (!e)
			return NULL;
	}
	if (e->state == ARP_REACHABLE && now >= e->expires) {
		memset(e, 0, sizeof(*e));
		return NULL;
	}
	return e;
}

/*
 * A slot for a new entry: a free one, else an expired one, else the least
 * recently used REACHABLE one. Entries being resolved and permanent ones are
 * never taken. NULL when every slot is one of those.
 */
static struct arp_entry *arp_entry_alloc(struct stack *s, stack_time_us now)
{
	struct arp_entry *lru = NULL;

	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &s->net.arp[i];

		if (e->state == ARP_FREE)
			return e;
		if (e->state != ARP_REACHABLE)
			continue;
		if (now >= e->expires) {
			memset(e, 0, sizeof(*e));
			return e;
		}
		if (!lru || e->used < lru->used)
			lru = e;
	}
	if (lru)
		memset(lru, 0, sizeof(*lru));
	return lru;
}

static void arp_queue_free(struct stack *s, struct arp_entry *e, bool count_drops)
{
	struct arp_qframe *q = e->qhead;

	while (q) {
		struct arp_qframe *next = q->next;

		s->net.arp_queued_bytes -= q->len;
		if (count_drops)
			STACK_INC(s, SynackArpQueueDrops);
		stack_free(s, q, arp_qframe_size(q->len));
		q = next;
	}
	e->qhead = e->qtail = NULL;
	e->nqueued = 0;
}

/* Keep a copy of a frame until e resolves; the oldest waiting frame makes room. */
static int arp_queue(struct stack *s, struct arp_entry *e, const uint8_t *frame, size_t len,
		     const struct stack_frame_meta *meta)
{
	struct arp_qframe *q;

	if (e->nqueued >= ARP_QUEUE_PER_ADDR) {
		q = e->qhead;
		e->qhead = q->next;
		if (!e->qhead)
			e->qtail = NULL;
		e->nqueued--;
		s->net.arp_queued_bytes -= q->len;
		stack_free(s, q, arp_qframe_size(q->len));
		STACK_INC(s, SynackArpQueueDrops);
	}
	if (len > ARP_QUEUE_BYTES_MAX - s->net.arp_queued_bytes)
		goto drop;
	q = stack_alloc(s, arp_qframe_size(len));
	if (!q)
		goto drop;
	q->next = NULL;
	q->len = len;
	q->meta = *meta;
	memcpy(q->data, frame, len);
	if (e->qtail)
		e->qtail->next = q;
	else
		e->qhead = q;
	e->qtail = q;
	e->nqueued++;
	s->net.arp_queued_bytes += len;
	return 0;
drop:
	STACK_INC(s, SynackArpQueueDrops);
	return -ENOBUFS;
}

/* Send the frames waiting on a now-resolved entry, oldest first. */
static void arp_queue_flush(struct stack *s, struct arp_entry *e)
{
	struct arp_qframe *q = e->qhead;

	e->qhead = e->qtail = NULL;
	e->nqueued = 0;
	while (q) {
		struct arp_qframe *next = q->next;

		memcpy(q->data, e->mac, ETH_ALEN);
		stack_emit(s, q->data, q->len, &q->meta);
		s->net.arp_queued_bytes -= q->len;
		stack_free(s, q, arp_qframe_size(q->len));
		q = next;
	}
}

/* e now maps to mac (an answer or a seed); releases whatever waited on it. */
static void arp_entry_resolve(struct stack *s, stack_time_us now, struct arp_entry *e,
			      const uint8_t *mac, enum arp_state state)
{
	bool was_pending = e->state == ARP_INCOMPLETE;

	memcpy(e->mac, mac, ETH_ALEN);
	e->state = (uint8_t)state;
	e->tries = 0;
	e->expires = state == ARP_PERMANENT ? STACK_TIME_NEVER : now + ARP_REACHABLE_US;
	e->next_tx = now;
	if (was_pending) {
		s->net.arp_pending--;
		e->used = now;
		arp_queue_flush(s, e);
	}
}

/* Start resolving addr: a new INCOMPLETE entry and its first broadcast request. */
static struct arp_entry *arp_resolve_start(struct stack *s, stack_time_us now, uint32_t addr)
{
	struct arp_entry *e;

	if (s->net.arp_pending >= ARP_PENDING_MAX)
		return NULL;
	e = arp_entry_alloc(s, now);
	if (!e)
		return NULL;
	e->addr = addr;
	e->state = ARP_INCOMPLETE;
	e->used = now;
	e->tries = 1;
	e->next_tx = now + ARP_RETRY_US;
	s->net.arp_pending++;
	arp_send_request(s, eth_broadcast_addr, addr);
	return e;
}

int arp_output(struct stack *s, stack_time_us now, uint32_t nexthop, uint8_t *frame, size_t len,
	       const struct stack_frame_meta *meta, const struct stack_frame_tail *tail)
{
	struct arp_entry *e = arp_lookup(s, now, nexthop);

	if (!meta)
		meta = &arp_plain_meta;
	if (e && e->state != ARP_INCOMPLETE) {
		e->used = now;
		/* RFC 1122 §2.3.2.1: poll the cached MAC by unicast before the entry times out */
		if (e->state == ARP_REACHABLE && e->expires - now <= ARP_REFRESH_US &&
		    now >= e->next_tx) {
			e->next_tx = now + ARP_RETRY_US;
			arp_send_request(s, e->mac, nexthop);
		}
		memcpy(frame, e->mac, ETH_ALEN);
		return stack_emit_tail(s, frame, len, tail, meta);
	}
	/* a waiting frame is a copy: the ring's bytes may be gone by the answer */
	if (tail)
		stack_frame_tail_copy(frame + len - stack_frame_tail_len(tail), tail);
	if (!e) {
		e = arp_resolve_start(s, now, nexthop);
		if (!e) {
			STACK_INC(s, SynackArpQueueDrops);
			return -EHOSTUNREACH;
		}
	}
	return arp_queue(s, e, frame, len, meta);
}

void arp_confirm(struct stack *s, stack_time_us now, uint32_t addr, const uint8_t *mac)
{
	struct arp_entry *e = arp_lookup(s, now, addr);

	if (e && e->state == ARP_REACHABLE && memcmp(e->mac, mac, ETH_ALEN) == 0)
		e->expires = now + ARP_REACHABLE_US;
}

/* Addresses we never learn or resolve: unspecified, ours, broadcast, multicast, off-link. */
static bool arp_addr_learnable(const struct stack *s, uint32_t addr)
{
	return addr != s->cfg.addr && ip4_addr_is_unicast(s, addr) && stack_on_link(s, addr);
}

/* RFC 826 "Packet Reception", restricted so that strangers cannot fill the cache. */
void arp_input(struct stack *s, stack_time_us now, const uint8_t *pkt, size_t len)
{
	const uint8_t *sha = pkt + 8, *tha = pkt + 18;
	uint32_t spa, tpa;
	uint16_t op;
	bool merged = false;
	struct arp_entry *e;

	(void)tha;
	if (len < ARP_PKT_LEN || wire_get16(pkt) != ARP_HTYPE_ETHER ||
	    wire_get16(pkt + 2) != ETH_TYPE_IPV4 || pkt[4] != ETH_ALEN || pkt[5] != 4)
		goto error;
	op = wire_get16(pkt + 6);
	if (op == ARP_OP_REQUEST)
		STACK_INC(s, SynackArpInRequests);
	else if (op == ARP_OP_REPLY)
		STACK_INC(s, SynackArpInReplies);
	else
		goto error;
	spa = wire_get32(pkt + 14);
	tpa = wire_get32(pkt + 24);
	if (eth_addr_is_group(sha) || eth_addr_is_zero(sha))
		goto error;
	if (memcmp(sha, s->cfg.mac, ETH_ALEN) == 0)
		return; /* our own packet looped back */
	if (spa == s->cfg.addr)
		goto error; /* someone else claims our address (RFC 5227 conflict); not defended */

	/* merge: update the sender's entry if we have one, whatever the target */
	if (arp_addr_learnable(s, spa)) {
		e = arp_lookup(s, now, spa);
		if (e && e->state != ARP_PERMANENT) {
			arp_entry_resolve(s, now, e, sha, ARP_REACHABLE);
			merged = true;
		} else if (e) {
			merged = true;
		}
	}
	if (tpa != s->cfg.addr)
		return;
	/* a request to us: we will talk to the sender soon, so learn it (RFC 826) */
	if (!merged && op == ARP_OP_REQUEST && arp_addr_learnable(s, spa)) {
		e = arp_entry_alloc(s, now);
		if (e) {
			e->addr = spa;
			e->used = now;
			arp_entry_resolve(s, now, e, sha, ARP_REACHABLE);
		}
	}
	if (op == ARP_OP_REQUEST)
		arp_send(s, ARP_OP_REPLY, sha, sha, spa);
	return;
error:
	STACK_INC(s, SynackArpInErrors);
}

void arp_poll(struct stack *s, stack_time_us now)
{
	if (!s->net.arp_pending)
		return;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		struct arp_entry *e = &s->net.arp[i];

		if (e->state != ARP_INCOMPLETE || now < e->next_tx)
			continue;
		if (e->tries >= ARP_TRIES) {
			STACK_INC(s, SynackArpResolveFails);
			arp_queue_free(s, e, true);
			memset(e, 0, sizeof(*e));
			s->net.arp_pending--;
			continue;
		}
		e->tries++;
		e->next_tx = now + ARP_RETRY_US;
		arp_send_request(s, eth_broadcast_addr, e->addr);
	}
}

stack_time_us arp_poll_at(const struct stack *s)
{
	stack_time_us at = STACK_TIME_NEVER;

	if (!s->net.arp_pending)
		return at;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++) {
		const struct arp_entry *e = &s->net.arp[i];

		if (e->state == ARP_INCOMPLETE && e->next_tx < at)
			at = e->next_tx;
	}
	return at;
}

int net_arp_seed(struct stack *s, stack_time_us now, uint32_t addr, const uint8_t mac[6])
{
	struct arp_entry *e;

	if (!ip4_addr_is_unicast(s, addr) || addr == s->cfg.addr || eth_addr_is_group(mac) ||
	    eth_addr_is_zero(mac))
		return -EINVAL;
	e = arp_lookup(s, now, addr);
	if (!e) {
		e = arp_entry_alloc(s, now);
		if (!e)
			return -ENOSPC;
		e->addr = addr;
		e->used = now;
	}
	arp_entry_resolve(s, now, e, mac, ARP_PERMANENT);
	return 0;
}

int arp_init(struct stack *s, stack_time_us now)
{
	s->net.arp = stack_zalloc(s, ARP_CACHE_SIZE * sizeof(struct arp_entry));
	if (!s->net.arp)
		return -ENOMEM;
	/* RFC 5227 §2.3: sender and target protocol address both ours, target MAC zero */
	arp_send_request(s, eth_broadcast_addr, s->cfg.addr);
	return 0;
}

void arp_deinit(struct stack *s)
{
	if (!s->net.arp)
		return;
	for (unsigned i = 0; i < ARP_CACHE_SIZE; i++)
		arp_queue_free(s, &s->net.arp[i], false);
	stack_free(s, s->net.arp, ARP_CACHE_SIZE * sizeof(struct arp_entry));
	s->net.arp = NULL;
	s->net.arp_pending = 0;
}
