/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_isn.h - initial sequence numbers (RFC 6528 §3) and ephemeral
 * port selection (RFC 6056 §3.3.4, Algorithm 4: double-hash).
 */
#ifndef SYNACK_TCP_ISN_H
#define SYNACK_TCP_ISN_H

#include <stdbool.h>
#include <stdint.h>

#define TCP_PORT_EPHEMERAL_MIN 32768
#define TCP_PORT_EPHEMERAL_MAX 60999
#define TCP_PORT_TABLE_SIZE    256

/* ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 µs clock. */
uint32_t tcp_isn(const uint8_t secret[16], uint32_t laddr, uint16_t lport, uint32_t raddr,
		 uint16_t rport, uint64_t now_us);

/* State of RFC 6056 Algorithm 4: the table of per-bucket increments. */
struct tcp_port_alloc {
	uint16_t table[TCP_PORT_TABLE_SIZE];
};

/*
 * Optional: seed the table from the secret (RFC 6056 starts it random). A
 * zeroed table works too, since the offset is already secret.
 */
void tcp_port_alloc_init(struct tcp_port_alloc *pa, const uint8_t secret[16]);

/*
 * Pick an ephemeral port for (laddr, raddr, rport): the first candidate for
 * which in_use() says false. -EADDRNOTAVAIL when every port is in use.
 */
int tcp_port_pick(struct tcp_port_alloc *pa, const uint8_t secret[16], uint32_t laddr,
		  uint32_t raddr, uint16_t rport, bool (*in_use)(void *ctx, uint16_t port),
		  void *ctx, uint16_t *ret_port);

#endif
