/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_table.c - the 4-tuple lookup behind RFC 9293 §3.10.7 ("the
 * connection the segment belongs to"): open addressing with linear probing
 * over a power-of-two table, hashed with SipHash-2-4 under the stack's secret
 * (so a peer cannot pick colliding tuples), tombstones for removal.
 *
 * Bounds: at most size/2 live entries (-ENOSPC past that). When live entries
 * plus tombstones would pass 3/4 of the table, the table is rehashed in place
 * (tombstones dropped), so at least 1/4 of the slots are always empty and
 * every probe ends.
 */
#include <errno.h>
#include <stdbool.h>

#include "tcp_table.h"
#include "../siphash.h"
#include "../wire.h"

#define TCP_TABLE_MIN  16u
#define TCP_TABLE_MAXP (1u << 31)

uint32_t tcp_table_size(uint32_t max)
{
	uint32_t size = TCP_TABLE_MIN;

	while (size < TCP_TABLE_MAXP && size / 2 < max)
		size <<= 1;
	return size;
}

void tcp_table_init_zeroed(struct tcp_table *t, struct tcp_table_entry *storage, uint32_t size,
			   const uint8_t key[16])
{
	uint32_t p2 = 1;

	/* use the largest power of two that fits in what was given */
	while (p2 <= size / 2)
		p2 <<= 1;
	if (!storage || size == 0) {
		p2 = 0;
		storage = NULL;
	}
	t->e = storage;
	t->mask = p2 ? p2 - 1 : 0;
	t->used = 0;
	t->tombs = 0;
	for (uint32_t i = 0; i < 16; i++)
		t->key[i] = key[i];
}

void tcp_table_init(struct tcp_table *t, struct tcp_table_entry *storage, uint32_t size,
		    const uint8_t key[16])
{
	tcp_table_init_zeroed(t, storage, size, key);
	for (uint32_t i = 0; t->e && i <= t->mask; i++)
		t->e[i] = (struct tcp_table_entry){ .ref = TCP_TABLE_EMPTY };
}

static uint32_t tcp_table_cap(const struct tcp_table *t)
{
	return t->e ? t->mask + 1 : 0;
}

static uint32_t tcp_table_hash(const struct tcp_table *t, const struct tcp_tuple *k)
{
	uint8_t b[12];

	wire_put32(b, k->laddr);
	wire_put32(b + 4, k->raddr);
	wire_put16(b + 8, k->lport);
	wire_put16(b + 10, k->rport);
	return (uint32_t)siphash24(t->key, b, sizeof(b));
}

static bool tcp_table_live(const struct tcp_table_entry *e)
{
	return e->ref != TCP_TABLE_EMPTY && e->ref != TCP_TABLE_TOMB;
}

static bool tcp_tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr && a->lport == b->lport &&
	       a->rport == b->rport;
}

/* Index of k's entry, or -1. */
static int64_t tcp_table_lookup(const struct tcp_table *t, const struct tcp_tuple *k)
{
	uint32_t cap = tcp_table_cap(t);
	uint32_t i = tcp_table_hash(t, k) & t->mask;

	for (uint32_t n = 0; n < cap; n++, i = (i + 1) & t->mask) {
		const struct tcp_table_entry *e = &t->e[i];

		if (e->ref == TCP_TABLE_EMPTY)
			break;
		if (e->ref != TCP_TABLE_TOMB && tcp_tuple_eq(&e->key, k))
			return i;
	}
	return -1;
}

/* First empty or tombstone entry on k's probe path (k is known to be absent). */
static uint32_t tcp_table_free_slot(const struct tcp_table *t, const struct tcp_tuple *k)
{
	uint32_t i = tcp_table_hash(t, k) & t->mask;

	while (tcp_table_live(&t->e[i]))
		i = (i + 1) & t->mask;
	return i;
}

/*
 * Drop every tombstone without extra memory. Start just after an entry that
 * was empty before (no probe path crosses it) and walk once round the table:
 * each live entry is lifted out and put back at the first empty entry from
 * its home, which is never past where it was. Holes are only opened at the
 * current position, after every path already fixed, so all entries stay
 * reachable.
 */
static void tcp_table_rehash(struct tcp_table *t)
{
	uint32_t cap = tcp_table_cap(t), start;

	for (start = 0; start < cap && t->e[start].ref != TCP_TABLE_EMPTY; start++)
		;
	if (start == cap)
		return; /* cannot happen: at least 1/4 of the table is empty */
	for (uint32_t i = 0; i < cap; i++)
		if (t->e[i].ref == TCP_TABLE_TOMB)
			t->e[i].ref = TCP_TABLE_EMPTY;
	t->tombs = 0;
	for (uint32_t n = 1; n < cap; n++) {
		uint32_t i = (start + n) & t->mask;
		struct tcp_table_entry e = t->e[i];

		if (!tcp_table_live(&e))
			continue;
		t->e[i].ref = TCP_TABLE_EMPTY;
		t->e[tcp_table_free_slot(t, &e.key)] = e;
	}
}

int tcp_table_insert(struct tcp_table *t, const struct tcp_tuple *k, uint32_t slot)
{
	uint32_t cap = tcp_table_cap(t), i;

	if (slot >= TCP_TABLE_TOMB - 1)
		return -EINVAL;
	if (tcp_table_lookup(t, k) >= 0)
		return -EEXIST;
	if (t->used + 1 > cap / 2)
		return -ENOSPC;
	i = tcp_table_free_slot(t, k);
	if (t->e[i].ref == TCP_TABLE_TOMB) {
		t->tombs--;
	} else if (t->used + t->tombs + 1 > cap / 4 * 3) {
		tcp_table_rehash(t);
		i = tcp_table_free_slot(t, k);
	}
	t->e[i].key = *k;
	t->e[i].ref = slot + 1;
	t->used++;
	return 0;
}

int64_t tcp_table_find(const struct tcp_table *t, const struct tcp_tuple *k)
{
	int64_t i = tcp_table_lookup(t, k);

	return i < 0 ? (int64_t)-ENOENT : (int64_t)t->e[i].ref - 1;
}

int tcp_table_remove(struct tcp_table *t, const struct tcp_tuple *k)
{
	int64_t found = tcp_table_lookup(t, k);
	uint32_t i;

	if (found < 0)
		return -ENOENT;
	i = (uint32_t)found;
	t->used--;
	if (t->e[(i + 1) & t->mask].ref != TCP_TABLE_EMPTY) {
		t->e[i].ref = TCP_TABLE_TOMB;
		t->tombs++;
		return 0;
	}
	/* nothing probes past an empty entry: this one and the tombstones before it can be empty */
	t->e[i].ref = TCP_TABLE_EMPTY;
	for (i = (i - 1) & t->mask; t->e[i].ref == TCP_TABLE_TOMB; i = (i - 1) & t->mask) {
		t->e[i].ref = TCP_TABLE_EMPTY;
		t->tombs--;
	}
	return 0;
}
