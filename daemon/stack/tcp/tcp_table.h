/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_table.h - the 4-tuple -> connection-slot lookup: open addressing
 * over a power-of-two table keyed with SipHash and the stack's secret, so a
 * remote peer cannot choose tuples that collide. Capacity is fixed at init.
 * An all-zero entry is empty, so zero-filled storage from calloc() needs no
 * initialising pass (its pages stay untouched until used).
 */
#ifndef SYNACK_TCP_TABLE_H
#define SYNACK_TCP_TABLE_H

#include <stdint.h>

struct tcp_tuple {
	uint32_t laddr, raddr; /* host order */
	uint16_t lport, rport;
};

struct tcp_table_entry {
	struct tcp_tuple key;
	uint32_t ref; /* TCP_TABLE_EMPTY, TCP_TABLE_TOMB, or a slot index + 1 */
};

#define TCP_TABLE_EMPTY 0u
#define TCP_TABLE_TOMB	UINT32_MAX

struct tcp_table {
	struct tcp_table_entry *e; /* caller-provided, tcp_table_size(max) entries */
	uint32_t mask;
	uint32_t used, tombs;
	uint8_t key[16];
};

/* Entries to allocate for up to max live tuples (a power of two, load <= 1/2). */
uint32_t tcp_table_size(uint32_t max);
void tcp_table_init(struct tcp_table *t, struct tcp_table_entry *storage, uint32_t size,
		    const uint8_t key[16]);
/* The same over storage known to be zero-filled: nothing is written to it. */
void tcp_table_init_zeroed(struct tcp_table *t, struct tcp_table_entry *storage, uint32_t size,
			   const uint8_t key[16]);
/* -EEXIST when the tuple is there already, -ENOSPC when full. */
int tcp_table_insert(struct tcp_table *t, const struct tcp_tuple *k, uint32_t slot);
/* The slot of k, or -ENOENT. */
int64_t tcp_table_find(const struct tcp_table *t, const struct tcp_tuple *k);
int tcp_table_remove(struct tcp_table *t, const struct tcp_tuple *k);

#endif
