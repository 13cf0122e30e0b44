/* SPDX-License-Identifier: MIT */
/*
 * xfer_stream.c - bench-xfer's data: a seeded pseudo-random byte stream
 * (xoshiro256** seeded through splitmix64, little-endian words) and the
 * running SHA-256 (OpenSSL's EVP, which uses the CPU's SHA instructions, so
 * hashing costs a fraction of what the transfer does) of the bytes that
 * passed. Random bytes rather than a pattern: a misplaced or repeated
 * segment cannot hash the same.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "xfer.h"

struct xfer_stream {
	uint64_t s[4];
	uint8_t spare[8]; /* the rest of a word a fill stopped inside */
	size_t nspare;
	EVP_MD_CTX *md;
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next_word(struct xfer_stream *st)
{
	uint64_t *s = st->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

struct xfer_stream *xfer_stream_new(uint64_t seed)
{
	struct xfer_stream *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	for (int i = 0; i < 4; i++)
		st->s[i] = splitmix64(&seed);
	st->md = EVP_MD_CTX_new();
	if (!st->md || EVP_DigestInit_ex(st->md, EVP_sha256(), NULL) != 1) {
		xfer_stream_free(st);
		return NULL;
	}
	return st;
}

void xfer_stream_free(struct xfer_stream *st)
{
	if (!st)
		return;
	EVP_MD_CTX_free(st->md);
	free(st);
}

void xfer_stream_fill(struct xfer_stream *st, uint8_t *buf, size_t len)
{
	uint8_t *p = buf;
	size_t left = len;

	while (left && st->nspare) {
		*p++ = st->spare[8 - st->nspare--];
		left--;
	}
	for (; left >= 8; left -= 8, p += 8)
		put_le64(p, next_word(st));
	if (left) {
		put_le64(st->spare, next_word(st));
		memcpy(p, st->spare, left);
		st->nspare = 8 - left;
	}
	xfer_stream_hash(st, buf, len);
}

void xfer_stream_hash(struct xfer_stream *st, const uint8_t *buf, size_t len)
{
	EVP_DigestUpdate(st->md, buf, len);
}

void xfer_stream_digest(struct xfer_stream *st, char hex[65])
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned char d[32];
	unsigned int n = 0;

	/* a copy, so the digest can be read mid-transfer (a "not done" report) */
	if (copy && EVP_MD_CTX_copy_ex(copy, st->md) == 1 && EVP_DigestFinal_ex(copy, d, &n) == 1 &&
	    n == sizeof(d)) {
		for (unsigned int i = 0; i < n; i++) {
			hex[2 * i] = "0123456789abcdef"[d[i] >> 4];
			hex[2 * i + 1] = "0123456789abcdef"[d[i] & 15];
		}
		hex[64] = '\0';
	} else {
		strcpy(hex, "error");
	}
	EVP_MD_CTX_free(copy);
}
