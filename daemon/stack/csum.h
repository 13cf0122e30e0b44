/* SPDX-License-Identifier: MIT */
/*
 * csum.h - the Internet checksum (RFC 1071) and the IPv4 pseudo-header sum
 * used by TCP (RFC 9293 §3.1) and ICMP.
 */
#ifndef SYNACK_CSUM_H
#define SYNACK_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* Add len bytes to a running 32-bit one's-complement accumulator. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
/* Fold the accumulator to 16 bits and complement it: the value to store. */
uint16_t csum_fold(uint32_t sum);
/* The pseudo-header sum for an IPv4 L4 checksum (addresses in host order). */
uint32_t csum_pseudo4(uint32_t src, uint32_t dst, uint8_t proto, uint16_t l4_len);
/* Checksum of a whole buffer, ready to store. */
static inline uint16_t csum_buf(const void *data, size_t len)
{
	return csum_fold(csum_add(0, data, len));
}

#endif
