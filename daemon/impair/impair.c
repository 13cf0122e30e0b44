/* SPDX-License-Identifier: MIT */
/*
 * impair.c - the impairment engine's decisions (see impair.h): loss,
 * Gilbert-Elliott bursts, a token-bucket rate limit, corruption, delay with
 * jitter, reordering and duplication, for one wire-sized frame at a time.
 * Random numbers come from xoshiro256** seeded through splitmix64, so a seed
 * and the same frames at the same times repeat a run exactly. The
 * Gilbert-Elliott model is the two-state Markov chain of Gilbert (1960) and
 * Elliott (1963) as RFC 3611 §4.7.2 and netem describe it.
 */
#include <errno.h>
#include <string.h>

#include "impair.h"

/* A frame held by frame count is released after this long when no frames follow. */
#define IMPAIR_REORDER_CAP_US_DEF 200000u

/* ------------------------------------------------------------ random numbers */

static uint64_t impair_splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint64_t impair_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t impair_rand(struct impair *im)
{
	uint64_t *s = im->rng;
	uint64_t r = impair_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = impair_rotl(s[3], 45);
	return r;
}

static void impair_seed(struct impair *im)
{
	uint64_t x = im->p.seed;

	for (int i = 0; i < 4; i++)
		im->rng[i] = impair_splitmix(&x);
	im->ge_bad = false;
	im->tokens_valid = false;
	im->rate_free = 0;
}

/* True with probability ppm / 10^6; draws a number only when the answer is not certain. */
static bool impair_chance(struct impair *im, uint32_t ppm)
{
	if (ppm == 0)
		return false;
	if (ppm >= 1000000)
		return true;
	return ((impair_rand(im) >> 32) * 1000000ull) >> 32 < ppm;
}

/* Uniform in [0, n). */
static uint64_t impair_below(struct impair *im, uint64_t n)
{
	return n ? (uint64_t)(((unsigned __int128)impair_rand(im) * n) >> 64) : 0;
}

/* ------------------------------------------------------------ set-up */

void impair_init(struct impair *im, const struct impair_params *params)
{
	memset(im, 0, sizeof(*im));
	im->p = *params;
	impair_seed(im);
}

void impair_set(struct impair *im, const struct impair_params *params)
{
	bool reseed = params->seed != im->p.seed;
	bool rate = params->rate_bps != im->p.rate_bps || params->rate_burst != im->p.rate_burst;

	im->p = *params;
	if (reseed) {
		impair_seed(im);
	} else if (rate) {
		im->tokens_valid = false;
		im->rate_free = 0;
	}
}

bool impair_params_active(const struct impair_params *p)
{
	if (!(p->dirs & IMPAIR_DIRS_BOTH))
		return false;
	return p->loss_ppm || (p->ge_p_ppm && p->ge_bad_loss_ppm) || p->ge_good_loss_ppm ||
	       p->dup_ppm || p->reorder_ppm || p->corrupt_ppm || p->delay_us || p->jitter_us ||
	       p->rate_bps;
}

bool impair_active(const struct impair *im, enum impair_dir dir)
{
	return (im->p.dirs & IMPAIR_DIR_BIT(dir)) && impair_params_active(&im->p);
}

/* ------------------------------------------------------------ the steps */

static bool impair_lost(struct impair *im)
{
	const struct impair_params *p = &im->p;

	if (impair_chance(im, p->loss_ppm))
		return true;
	if (p->ge_p_ppm) {
		/* step the chain, then lose with the new state's probability */
		if (im->ge_bad)
			im->ge_bad = !impair_chance(im, p->ge_r_ppm);
		else
			im->ge_bad = impair_chance(im, p->ge_p_ppm);
	}
	return impair_chance(im, im->ge_bad ? p->ge_bad_loss_ppm : p->ge_good_loss_ppm);
}

/*
 * The token bucket: tokens in millionths of a bit, rate_bps of them per µs.
 * Returns when the frame may leave (>= now), or IMPAIR_TIME_NONE when it
 * would wait longer than rate_queue_us (the tokens are then not spent).
 */
#define IMPAIR_TIME_NONE UINT64_MAX

static uint64_t impair_rate(struct impair *im, size_t len, uint64_t now)
{
	const struct impair_params *p = &im->p;
	uint64_t burst = p->rate_burst ? p->rate_burst : IMPAIR_RATE_BURST_DEF;
	uint64_t queue = p->rate_queue_us ? p->rate_queue_us : IMPAIR_RATE_QUEUE_US_DEF;
	uint64_t cap = burst * 8 * 1000000ull, need = (uint64_t)len * 8 * 1000000ull;
	uint64_t t = now > im->rate_free ? now : im->rate_free;
	uint64_t tokens = im->tokens_mb;

	if (!im->tokens_valid) {
		tokens = cap; /* a fresh bucket is full */
	} else if (t > im->tokens_at) {
		uint64_t dt = t - im->tokens_at;

		tokens = dt >= cap / p->rate_bps + 1 ? cap : tokens + dt * p->rate_bps;
		if (tokens > cap)
			tokens = cap;
	}
	if (need > cap)
		need = cap; /* a frame larger than the bucket needs a full one */
	if (tokens < need) {
		uint64_t wait = (need - tokens + p->rate_bps - 1) / p->rate_bps;

		if (t + wait - now > queue)
			return IMPAIR_TIME_NONE;
		t += wait;
		tokens += wait * p->rate_bps;
	}
	im->tokens_mb = tokens - need;
	im->tokens_at = t;
	im->tokens_valid = true;
	im->rate_free = t;
	return t;
}

/* The IPv4 payload of an Ethernet frame: [*off, *end); false when there is none. */
static bool impair_ip_payload(const uint8_t *f, size_t len, size_t *off, size_t *end)
{
	size_t ihl, tot;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4)
		return false;
	ihl = (size_t)(f[14] & 0x0f) * 4;
	tot = ((size_t)f[16] << 8) | f[17];
	if (ihl < 20 || tot < ihl || 14 + tot > len)
		return false;
	*off = 14 + ihl;
	*end = 14 + tot;
	return *end > *off;
}

static bool impair_corrupt(struct impair *im, uint8_t *frame, size_t len, uint32_t *ret_bit)
{
	size_t off, end;
	uint64_t bit;

	if (!impair_ip_payload(frame, len, &off, &end))
		return false;
	bit = off * 8 + impair_below(im, (end - off) * 8);
	frame[bit / 8] ^= (uint8_t)(0x80u >> (bit % 8));
	*ret_bit = (uint32_t)bit;
	return true;
}

/* delay +- jitter after base, never before base. */
static uint64_t impair_delay(struct impair *im, uint64_t base)
{
	const struct impair_params *p = &im->p;
	uint64_t at = base + p->delay_us;

	if (p->jitter_us) {
		uint64_t j = impair_below(im, 2 * p->jitter_us + 1);

		at = at + j >= p->jitter_us + base ? at + j - p->jitter_us : base;
	}
	return at;
}

/* ------------------------------------------------------------ classification */

uint32_t impair_classify(const uint8_t *f, size_t len)
{
	size_t off, end, doff;
	uint32_t kinds = 0;
	uint8_t fl;

	if (!impair_ip_payload(f, len, &off, &end) || f[14 + 9] != 6 ||
	    (((f[20] << 8) | f[21]) & 0x1fff) || end - off < 20)
		return IMPAIR_MATCH_OTHER;
	doff = (size_t)(f[off + 12] >> 4) * 4;
	if (doff < 20 || doff > end - off)
		return IMPAIR_MATCH_OTHER;
	fl = f[off + 13];
	if (fl & 0x02)
		kinds |= (fl & 0x10) ? IMPAIR_MATCH_SYNACK : IMPAIR_MATCH_SYN;
	if (fl & 0x01)
		kinds |= IMPAIR_MATCH_FIN;
	if (fl & 0x04)
		kinds |= IMPAIR_MATCH_RST;
	if (end - off > doff)
		kinds |= IMPAIR_MATCH_DATA;
	else if (!kinds && (fl & 0x10))
		kinds |= IMPAIR_MATCH_ACK;
	return kinds ? kinds : IMPAIR_MATCH_OTHER;
}

static const struct {
	const char *name;
	uint32_t mask;
} impair_match_names[] = {
	{ "syn", IMPAIR_MATCH_SYN },	 { "synack", IMPAIR_MATCH_SYNACK },
	{ "fin", IMPAIR_MATCH_FIN },	 { "rst", IMPAIR_MATCH_RST },
	{ "ack", IMPAIR_MATCH_ACK },	 { "data", IMPAIR_MATCH_DATA },
	{ "other", IMPAIR_MATCH_OTHER },
};
#define IMPAIR_MATCH_NAMES (sizeof(impair_match_names) / sizeof(impair_match_names[0]))

int impair_match_parse(const char *s, uint32_t *ret)
{
	uint32_t mask = 0;

	if (!s || !*s)
		return -EINVAL;
	if (strcmp(s, "all") == 0 || strcmp(s, "any") == 0) {
		*ret = IMPAIR_MATCH_ALL;
		return 0;
	}
	while (*s) {
		size_t n = strcspn(s, ",");
		size_t i;

		for (i = 0; i < IMPAIR_MATCH_NAMES; i++)
			if (strlen(impair_match_names[i].name) == n &&
			    memcmp(impair_match_names[i].name, s, n) == 0)
				break;
		if (i == IMPAIR_MATCH_NAMES)
			return -EINVAL;
		mask |= impair_match_names[i].mask;
		s += n;
		if (*s == ',' && !*++s)
			return -EINVAL; /* a trailing comma */
	}
	*ret = mask;
	return 0;
}

int impair_match_format(uint32_t mask, char *buf, size_t len)
{
	size_t used = 0;

	if (mask == 0 || (mask & IMPAIR_MATCH_ALL) == IMPAIR_MATCH_ALL)
		mask = 0;
	if (!mask) {
		if (len < 4)
			return -ENOBUFS;
		memcpy(buf, "all", 4);
		return 3;
	}
	for (size_t i = 0; i < IMPAIR_MATCH_NAMES; i++) {
		size_t n = strlen(impair_match_names[i].name);

		if (!(mask & impair_match_names[i].mask))
			continue;
		if (used + (used ? 1 : 0) + n + 1 > len)
			return -ENOBUFS;
		if (used)
			buf[used++] = ',';
		memcpy(buf + used, impair_match_names[i].name, n);
		used += n;
	}
	buf[used] = '\0';
	return (int)used;
}

/* ------------------------------------------------------------ one frame */

static unsigned impair_pass(struct impair_verdict *v, uint64_t now)
{
	v->copies = 1;
	v->copy[0].at_us = now;
	return 1;
}

unsigned impair_frame(struct impair *im, enum impair_dir dir, uint8_t *frame, size_t len,
		      uint64_t now, struct impair_verdict *v)
{
	const struct impair_params *p = &im->p;
	struct impair_counters *c = &im->ctr[dir & 1];
	uint64_t at;

	memset(v, 0, sizeof(*v));
	c->frames++;
	if (!impair_active(im, dir) || (p->match && !(impair_classify(frame, len) & p->match)))
		return impair_pass(v, now);
	v->flags |= IMPAIR_F_MATCHED;
	c->matched++;
	if (impair_lost(im)) {
		v->flags |= IMPAIR_F_DROPPED;
		c->dropped++;
		return 0;
	}
	at = now;
	if (p->rate_bps) {
		at = impair_rate(im, len, now);
		if (at == IMPAIR_TIME_NONE) {
			v->flags |= IMPAIR_F_RATE_LIMITED;
			c->rate_limited++;
			return 0;
		}
		if (at > now)
			v->flags |= IMPAIR_F_RATE_WAIT;
	}
	if (impair_chance(im, p->corrupt_ppm) && impair_corrupt(im, frame, len, &v->flipped_bit)) {
		v->flags |= IMPAIR_F_CORRUPTED;
		c->corrupted++;
	}
	if (p->delay_us || p->jitter_us) {
		at = impair_delay(im, at);
		v->flags |= IMPAIR_F_DELAYED;
		c->delayed++;
	}
	v->copies = 1;
	v->copy[0].at_us = at;
	if (impair_chance(im, p->reorder_ppm)) {
		v->flags |= IMPAIR_F_REORDERED;
		c->reordered++;
		v->copy[0].after_frames = p->reorder_frames;
		if (p->reorder_us)
			v->copy[0].at_us = at + p->reorder_us;
		else if (p->reorder_frames)
			v->copy[0].at_us = at + IMPAIR_REORDER_CAP_US_DEF;
	}
	if (impair_chance(im, p->dup_ppm)) {
		v->flags |= IMPAIR_F_DUPLICATED;
		c->duplicated++;
		v->copies = 2;
		v->copy[1].at_us = at + p->dup_delay_us;
	}
	return v->copies;
}
