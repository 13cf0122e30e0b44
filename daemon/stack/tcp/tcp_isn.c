/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_isn.c - initial sequence numbers per RFC 6528 §3 (ISN = M + F(4-tuple,
 * secret), M a clock ticking every 4 µs) and ephemeral ports per RFC 6056
 * §3.3.4, the double-hash algorithm (Algorithm 4): a keyed hash of (laddr, raddr, rport) picks the
 * starting offset, a second, independent keyed hash picks one of
 * TCP_PORT_TABLE_SIZE counters that moves the start on after every try, so
 * successive connections to one peer do not reuse a port soon while
 * connections to other peers stay unpredictable.
 *
 * F, G and the ISN hash are SipHash-2-4 under the one secret, kept apart by a
 * leading domain byte in the hashed message.
 */
#include <errno.h>

#include "tcp_isn.h"
#include "../siphash.h"
#include "../wire.h"

enum tcp_isn_domain {
	TCP_HASH_ISN = 1,
	TCP_HASH_PORT_OFFSET = 2, /* RFC 6056 F() */
	TCP_HASH_PORT_INDEX = 3,  /* RFC 6056 G() */
	TCP_HASH_PORT_TABLE = 4,  /* seeds for tcp_port_alloc_init() */
};

static uint64_t tcp_isn_hash(const uint8_t secret[16], uint8_t domain, uint32_t laddr,
			     uint16_t lport, uint32_t raddr, uint16_t rport)
{
	uint8_t b[13];

	b[0] = domain;
	wire_put32(b + 1, laddr);
	wire_put16(b + 5, lport);
	wire_put32(b + 7, raddr);
	wire_put16(b + 11, rport);
	return siphash24(secret, b, sizeof(b));
}

uint32_t tcp_isn(const uint8_t secret[16], uint32_t laddr, uint16_t lport, uint32_t raddr,
		 uint16_t rport, uint64_t now_us)
{
	uint32_t m = (uint32_t)(now_us / 4);
	uint32_t f = (uint32_t)tcp_isn_hash(secret, TCP_HASH_ISN, laddr, lport, raddr, rport);

	return m + f;
}

void tcp_port_alloc_init(struct tcp_port_alloc *pa, const uint8_t secret[16])
{
	for (uint32_t i = 0; i < TCP_PORT_TABLE_SIZE; i++)
		pa->table[i] = (uint16_t)tcp_isn_hash(secret, TCP_HASH_PORT_TABLE, i, 0, 0, 0);
}

int tcp_port_pick(struct tcp_port_alloc *pa, const uint8_t secret[16], uint32_t laddr,
		  uint32_t raddr, uint16_t rport, bool (*in_use)(void *ctx, uint16_t port),
		  void *ctx, uint16_t *ret_port)
{
	const uint32_t num = TCP_PORT_EPHEMERAL_MAX - TCP_PORT_EPHEMERAL_MIN + 1;
	uint32_t offset =
		(uint32_t)tcp_isn_hash(secret, TCP_HASH_PORT_OFFSET, laddr, 0, raddr, rport);
	uint32_t index =
		(uint32_t)tcp_isn_hash(secret, TCP_HASH_PORT_INDEX, laddr, 0, raddr, rport) %
		TCP_PORT_TABLE_SIZE;
	/* next_ephemeral is read once, so the loop visits every port exactly once even
	 * when the 16-bit counter wraps during it */
	uint32_t base = (offset % num + pa->table[index]) % num;

	for (uint32_t i = 0; i < num; i++) {
		uint16_t port = (uint16_t)(TCP_PORT_EPHEMERAL_MIN + (base + i) % num);

		pa->table[index]++;
		if (!in_use || !in_use(ctx, port)) {
			*ret_port = port;
			return 0;
		}
	}
	return -EADDRNOTAVAIL;
}
