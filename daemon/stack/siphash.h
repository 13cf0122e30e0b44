/* SPDX-License-Identifier: MIT */
/*
 * siphash.h - SipHash-2-4, the keyed hash behind RFC 6528 ISNs, RFC 6056
 * port selection and the connection table (so a peer cannot aim at one
 * hash bucket).
 */
#ifndef SYNACK_SIPHASH_H
#define SYNACK_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t siphash24(const uint8_t key[16], const void *data, size_t len);

#endif
