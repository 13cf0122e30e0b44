/* SPDX-License-Identifier: MIT */
/*
 * net/ip_reasm.h - IPv4 fragment reassembly (RFC 791 §3.2, RFC 815,
 * RFC 1122 §3.3.2) with bounded memory. Policy: net/README.md.
 */
#ifndef SYNACK_NET_IP_REASM_H
#define SYNACK_NET_IP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../stack.h"

#define IP_REASM_SLOTS	    8		 /* datagrams being reassembled at once */
#define IP_REASM_FRAGS_MAX  64		 /* fragments held per datagram */
#define IP_REASM_MEM_MAX    (256u << 10) /* bytes held by all fragments, bookkeeping included */
#define IP_REASM_TIMEOUT_US 30000000ull	 /* from the first fragment of a datagram */

struct ip_reasm_frag;

struct ip_reasm_slot {
	bool used;
	bool have_last; /* the fragment without MF arrived: total is known */
	uint8_t proto;
	uint8_t nfrags;
	uint8_t hlen; /* header length of fragment zero; 0 until it arrives */
	uint16_t id;
	uint32_t src, dst;
	uint32_t total; /* payload bytes of the whole datagram, once have_last */
	stack_time_us expires;
	size_t mem;
	struct ip_reasm_frag *frags; /* sorted by offset, never overlapping */
	uint8_t hdr[60];	     /* the IPv4 header of fragment zero */
};

int ip_reasm_init(struct stack *s, stack_time_us now);
void ip_reasm_deinit(struct stack *s);
/* A validated fragment addressed to us: hlen header bytes, len bytes in all. */
void ip_reasm_input(struct stack *s, stack_time_us now, const uint8_t *pkt, size_t hlen,
		    size_t len);
void ip_reasm_poll(struct stack *s, stack_time_us now);
stack_time_us ip_reasm_poll_at(const struct stack *s);

#endif
