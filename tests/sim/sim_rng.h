/* SPDX-License-Identifier: MIT */
/*
 * sim_rng.h - the simulator's own PRNG: xoshiro256** seeded through
 * splitmix64. Every random choice of the simulator (link impairments, the
 * applications' chunk sizes and timing, the scenario) comes from a stream
 * derived from the seed number, so a seed replays exactly.
 */
#ifndef SYNACK_SIM_RNG_H
#define SYNACK_SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

/* One step of splitmix64; also a good 64-bit mixing function. */
static inline uint64_t sim_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* A stream for (seed, stream id): distinct ids give independent streams. */
static inline void sim_rng_seed(struct sim_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t st = seed ^ (stream * 0xd1b54a32d192ed03ull);

	for (int i = 0; i < 4; i++)
		r->s[i] = sim_splitmix64(&st);
}

static inline uint64_t sim_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t sim_rng_next(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = sim_rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = sim_rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n); 0 when n is 0. The modulo bias is irrelevant here. */
static inline uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	return n ? sim_rng_next(r) % n : 0;
}

/* Uniform in [lo, hi] (inclusive). */
static inline uint64_t sim_rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi)
{
	return hi <= lo ? lo : lo + sim_rng_below(r, hi - lo + 1);
}

/* True with probability ppm / 1e6. */
static inline bool sim_rng_ppm(struct sim_rng *r, uint32_t ppm)
{
	return ppm && sim_rng_below(r, 1000000) < ppm;
}

/* True with probability 1 / n. */
static inline bool sim_rng_one_in(struct sim_rng *r, uint64_t n)
{
	return sim_rng_below(r, n) == 0;
}

#endif
