/* SPDX-License-Identifier: MIT */
/*
 * net/ip_reasm.c - IPv4 fragment reassembly (RFC 791 §3.2, RFC 1122 §3.3.2)
 * with bounded memory and work.
 *
 * Each datagram in reassembly holds its fragments in a list sorted by offset
 * that never overlaps, so a complete datagram is one walk that finds no hole
 * (RFC 815's hole list, kept implicitly). Limits: IP_REASM_SLOTS datagrams at
 * once (a new one evicts the oldest), IP_REASM_FRAGS_MAX fragments per
 * datagram, IP_REASM_MEM_MAX bytes for all of them (the oldest datagrams are
 * evicted to make room), IP_REASM_TIMEOUT_US from the first fragment. An exact
 * duplicate of a fragment we hold is ignored; any other overlap drops the
 * whole datagram, in the spirit of RFC 5722, because overlapping fragments
 * are how IDS evasion and "teardrop" attacks are built and no honest sender
 * makes them. Every datagram given up is counted in IpReasmFails.
 */
#include <errno.h>
#include <string.h>

#include "../csum.h"
#include "../stack_internal.h"
#include "../wire.h"
#include "icmp.h"
#include "ip_reasm.h"
#include "ipv4.h"

struct ip_reasm_frag {
	struct ip_reasm_frag *next;
	uint32_t off, len;
	uint8_t data[];
};

static size_t ip_reasm_frag_size(size_t len)
{
	return sizeof(struct ip_reasm_frag) + len;
}

static void ip_reasm_slot_free(struct stack *s, struct ip_reasm_slot *slot)
{
	struct ip_reasm_frag *f = slot->frags;

	while (f) {
		struct ip_reasm_frag *next = f->next;

		stack_free(s, f, ip_reasm_frag_size(f->len));
		f = next;
	}
	s->net.reasm_bytes -= slot->mem;
	memset(slot, 0, sizeof(*slot));
}

static void ip_reasm_slot_fail(struct stack *s, struct ip_reasm_slot *slot)
{
	STACK_INC(s, IpReasmFails);
	ip_reasm_slot_free(s, slot);
}

/* The used slot that expires first, other than keep; NULL when there is none. */
static struct ip_reasm_slot *ip_reasm_oldest(struct stack *s, const struct ip_reasm_slot *keep)
{
	struct ip_reasm_slot *old = NULL;

	for (unsigned i = 0; i < IP_REASM_SLOTS; i++) {
		struct ip_reasm_slot *slot = &s->net.reasm[i];

		if (slot->used && slot != keep && (!old || slot->expires < old->expires))
			old = slot;
	}
	return old;
}

/* The slot of datagram (src, dst, id, proto), or NULL. */
static struct ip_reasm_slot *ip_reasm_slot_find(struct stack *s, uint32_t src, uint32_t dst,
						uint16_t id, uint8_t proto)
{
	for (unsigned i = 0; i < IP_REASM_SLOTS; i++) {
		struct ip_reasm_slot *slot = &s->net.reasm[i];

		if (slot->used && slot->src == src && slot->dst == dst && slot->id == id &&
		    slot->proto == proto)
			return slot;
	}
	return NULL;
}

/* A slot for a new datagram: a free one, or the oldest one given up. */
static struct ip_reasm_slot *ip_reasm_slot_new(struct stack *s, stack_time_us now, uint32_t src,
					       uint32_t dst, uint16_t id, uint8_t proto)
{
	struct ip_reasm_slot *slot = NULL;

	for (unsigned i = 0; i < IP_REASM_SLOTS && !slot; i++)
		if (!s->net.reasm[i].used)
			slot = &s->net.reasm[i];
	if (!slot) {
		slot = ip_reasm_oldest(s, NULL);
		ip_reasm_slot_fail(s, slot);
	}
	slot->used = true;
	slot->src = src;
	slot->dst = dst;
	slot->id = id;
	slot->proto = proto;
	slot->expires = now + IP_REASM_TIMEOUT_US;
	return slot;
}

static bool ip_reasm_complete(const struct ip_reasm_slot *slot)
{
	uint32_t next = 0;

	if (!slot->have_last || !slot->hlen)
		return false;
	for (const struct ip_reasm_frag *f = slot->frags; f; f = f->next) {
		if (f->off != next)
			return false;
		next += f->len;
	}
	return next == slot->total;
}

/* Join the fragments behind fragment zero's header and deliver the datagram. */
static void ip_reasm_deliver(struct stack *s, stack_time_us now, struct ip_reasm_slot *slot)
{
	size_t size = (size_t)slot->hlen + slot->total;
	struct ip4_rx rx = { 0 };
	uint8_t *buf;

	if (size > STACK_IP4_MAX) {
		ip_reasm_slot_fail(s, slot);
		return;
	}
	buf = stack_alloc(s, size);
	if (!buf) {
		ip_reasm_slot_fail(s, slot);
		return;
	}
	memcpy(buf, slot->hdr, slot->hlen);
	wire_put16(buf + 2, (uint16_t)size);
	wire_put16(buf + 6, wire_get16(buf + 6) & IP4_FLAG_DF);
	wire_put16(buf + 10, 0);
	wire_put16(buf + 10, csum_buf(buf, slot->hlen));
	for (const struct ip_reasm_frag *f = slot->frags; f; f = f->next)
		memcpy(buf + slot->hlen + f->off, f->data, f->len);

	rx.src = slot->src;
	rx.dst = slot->dst;
	rx.tos = buf[1];
	rx.ttl = buf[8];
	rx.ip_hdr = buf;
	rx.ip_hlen = slot->hlen;
	STACK_INC(s, IpReasmOKs);
	ip_reasm_slot_free(s, slot);
	ip4_deliver(s, now, &rx, buf + rx.ip_hlen, size - rx.ip_hlen, false);
	stack_free(s, buf, size);
}

/* Make room for need more bytes by evicting other datagrams, oldest first. */
static bool ip_reasm_make_room(struct stack *s, const struct ip_reasm_slot *keep, size_t need)
{
	while (need > IP_REASM_MEM_MAX - s->net.reasm_bytes) {
		struct ip_reasm_slot *victim = ip_reasm_oldest(s, keep);

		if (!victim)
			return false;
		ip_reasm_slot_fail(s, victim);
	}
	return true;
}

/*
 * Byte equality. Not memcmp() == 0: clang turns that into bcmp(), which the
 * core's symbol allow-list (tests/lint) does not have.
 */
static bool ip_reasm_same(const uint8_t *a, const uint8_t *b, size_t len)
{
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/* Insert [off, off+len) into slot; 1 for an exact duplicate, -errno to give the datagram up. */
static int ip_reasm_insert(struct stack *s, struct ip_reasm_slot *slot, uint32_t off,
			   const uint8_t *data, uint32_t len)
{
	struct ip_reasm_frag *prev = NULL, *cur = slot->frags, *f;
	uint32_t end = off + len;
	size_t need = ip_reasm_frag_size(len);

	while (cur && cur->off < off) {
		prev = cur;
		cur = cur->next;
	}
	if (cur && cur->off == off && cur->len == len && ip_reasm_same(cur->data, data, len))
		return 1;
	if ((prev && prev->off + prev->len > off) || (cur && cur->off < end))
		return -EINVAL;
	if (slot->nfrags >= IP_REASM_FRAGS_MAX || !ip_reasm_make_room(s, slot, need))
		return -ENOBUFS;
	f = stack_alloc(s, need);
	if (!f)
		return -ENOMEM;
	f->off = off;
	f->len = len;
	memcpy(f->data, data, len);
	f->next = cur;
	if (prev)
		prev->next = f;
	else
		slot->frags = f;
	slot->nfrags++;
	slot->mem += need;
	s->net.reasm_bytes += need;
	return 0;
}

/* The end of the last fragment held (fragments are sorted and disjoint). */
static uint32_t ip_reasm_held_end(const struct ip_reasm_slot *slot)
{
	uint32_t end = 0;

	for (const struct ip_reasm_frag *f = slot->frags; f; f = f->next)
		end = f->off + f->len;
	return end;
}

void ip_reasm_input(struct stack *s, stack_time_us now, const uint8_t *pkt, size_t hlen, size_t len)
{
	uint16_t frag = wire_get16(pkt + 6);
	uint32_t off = (uint32_t)(frag & IP4_OFF_MASK) * 8, flen = (uint32_t)(len - hlen);
	uint32_t end = off + flen;
	uint32_t src = wire_get32(pkt + 12), dst = wire_get32(pkt + 16);
	uint16_t id = wire_get16(pkt + 4);
	bool more = (frag & IP4_FLAG_MF) != 0;
	struct ip_reasm_slot *slot;
	int r;

	STACK_INC(s, IpReasmReqds);
	slot = ip_reasm_slot_find(s, src, dst, id, pkt[9]);
	/* RFC 791: all but the last fragment carry a multiple of 8 octets; none is empty */
	if (flen == 0 || (more && flen % 8) || end + STACK_IP4_HLEN > STACK_IP4_MAX) {
		if (slot)
			ip_reasm_slot_fail(s, slot);
		else
			STACK_INC(s, IpReasmFails);
		return;
	}
	if (!slot)
		slot = ip_reasm_slot_new(s, now, src, dst, id, pkt[9]);
	if (!more) {
		if ((slot->have_last && slot->total != end) || ip_reasm_held_end(slot) > end)
			goto fail;
		slot->have_last = true;
		slot->total = end;
	} else if (slot->have_last && end > slot->total) {
		goto fail;
	}
	r = ip_reasm_insert(s, slot, off, pkt + hlen, flen);
	if (r < 0)
		goto fail;
	if (r == 0 && off == 0) {
		memcpy(slot->hdr, pkt, hlen);
		slot->hlen = (uint8_t)hlen;
	}
	if (ip_reasm_complete(slot))
		ip_reasm_deliver(s, now, slot);
	return;
fail:
	ip_reasm_slot_fail(s, slot);
}

/* RFC 792 / RFC 1122 §3.3.2: time exceeded (reassembly) when fragment zero had arrived. */
static void ip_reasm_timeout(struct stack *s, stack_time_us now, struct ip_reasm_slot *slot)
{
	uint8_t quote[IP4_HLEN_MAX + 8];
	size_t n;

	STACK_INC(s, IpReasmTimeout);
	if (slot->hlen && slot->frags && slot->frags->off == 0) {
		n = stack_min((size_t)8, (size_t)slot->frags->len);
		memcpy(quote, slot->hdr, slot->hlen);
		memcpy(quote + slot->hlen, slot->frags->data, n);
		(void)icmp_send_error(s, now, ICMP_TIME_EXCEEDED, ICMP_EXC_FRAGTIME, quote,
				      slot->hlen + n);
	}
	ip_reasm_slot_fail(s, slot);
}

void ip_reasm_poll(struct stack *s, stack_time_us now)
{
	for (unsigned i = 0; i < IP_REASM_SLOTS; i++) {
		struct ip_reasm_slot *slot = &s->net.reasm[i];

		if (slot->used && now >= slot->expires)
			ip_reasm_timeout(s, now, slot);
	}
}

stack_time_us ip_reasm_poll_at(const struct stack *s)
{
	stack_time_us at = STACK_TIME_NEVER;

	for (unsigned i = 0; i < IP_REASM_SLOTS; i++) {
		const struct ip_reasm_slot *slot = &s->net.reasm[i];

		if (slot->used && slot->expires < at)
			at = slot->expires;
	}
	return at;
}

int ip_reasm_init(struct stack *s, stack_time_us now)
{
	s->net.reasm = stack_zalloc(s, IP_REASM_SLOTS * sizeof(struct ip_reasm_slot));
	return s->net.reasm ? 0 : -ENOMEM;
}

void ip_reasm_deinit(struct stack *s)
{
	if (!s->net.reasm)
		return;
	for (unsigned i = 0; i < IP_REASM_SLOTS; i++)
		if (s->net.reasm[i].used)
			ip_reasm_slot_free(s, &s->net.reasm[i]);
	stack_free(s, s->net.reasm, IP_REASM_SLOTS * sizeof(struct ip_reasm_slot));
	s->net.reasm = NULL;
}
