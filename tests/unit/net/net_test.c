/* SPDX-License-Identifier: MIT */
/*
 * net_test.c - the net unit tests' fixture (see net_test.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csum.h"
#include "net_test.h"
#include "wire.h"

const uint8_t nt_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
const uint8_t nt_gw_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
const uint8_t nt_peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x03 };
const uint8_t nt_bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static int nt_emit(void *ctx, const uint8_t *frame, size_t len, const struct stack_frame_meta *meta)
{
	struct nt *t = ctx;
	struct nt_frame *f;

	assert_true(len >= 14);
	assert_non_null(meta); /* the core always says what the frame needs */
	if (t->emit_result < 0)
		return t->emit_result;
	assert_true(t->nframes < NT_MAX_FRAMES);
	f = &t->frames[t->nframes++];
	f->data = malloc(len);
	assert_non_null(f->data);
	memcpy(f->data, frame, len);
	f->len = len;
	f->meta = *meta;
	return 0;
}

static void *nt_alloc(void *ctx, size_t size)
{
	struct nt *t = ctx;

	if (t->alloc_fail_after && t->alloc_calls >= t->alloc_fail_after)
		return NULL;
	t->alloc_calls++;
	t->alloc_bytes += size;
	return malloc(size);
}

static void nt_free(void *ctx, void *ptr, size_t size)
{
	struct nt *t = ctx;

	assert_true(t->alloc_bytes >= size);
	t->alloc_bytes -= size;
	free(ptr);
}

int nt_setup_with(void **state, uint32_t mtu, uint32_t gw)
{
	struct nt *t = calloc(1, sizeof(*t));
	struct stack_config cfg = { 0 };
	struct stack_env env = { 0 };

	assert_non_null(t);
	memcpy(cfg.mac, nt_mac, 6);
	cfg.addr = NT_ADDR;
	cfg.prefix_len = 24;
	cfg.gateway = gw;
	cfg.mtu = mtu;
	cfg.max_conns = 16;
	stack_tunables_defaults(&cfg.tun);
	memset(env.secret, 0x5a, sizeof(env.secret));
	env.seed = 1;
	env.sink.ctx = t;
	env.sink.emit = nt_emit;
	env.allocator.ctx = t;
	env.allocator.alloc = nt_alloc;
	env.allocator.free = nt_free;
	t->s = malloc(stack_size());
	assert_non_null(t->s);
	assert_int_equal(stack_init(t->s, NT_T0, &cfg, &env), 0);
	*state = t;
	return 0;
}

int nt_setup(void **state)
{
	return nt_setup_with(state, NT_MTU, NT_GW);
}

void nt_clear(struct nt *t)
{
	for (size_t i = 0; i < t->nframes; i++)
		free(t->frames[i].data);
	t->nframes = 0;
}

int nt_teardown(void **state)
{
	struct nt *t = *state;

	stack_deinit(t->s);
	assert_int_equal(t->alloc_bytes, 0);
	nt_clear(t);
	free(t->s);
	free(t);
	return 0;
}

const struct nt_frame *nt_frame(struct nt *t, size_t i)
{
	assert_true(i < t->nframes);
	return &t->frames[i];
}

uint64_t nt_ctr(struct nt *t, enum stack_counter_id id)
{
	return stack_counters_get(t->s)->v[id];
}

void nt_input(struct nt *t, stack_time_us now, const uint8_t *frame, size_t len)
{
	/* feed a heap copy of exactly len bytes so ASan catches any overread */
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, frame, len);
	stack_input(t->s, now, copy, len, NULL);
	free(copy);
}

size_t nt_build_arp(uint8_t *buf, const uint8_t *eth_dst, const uint8_t *eth_src, uint16_t op,
		    const uint8_t *sha, uint32_t spa, const uint8_t *tha, uint32_t tpa)
{
	static const uint8_t zero[6];
	uint8_t *a = buf + 14;

	memcpy(buf, eth_dst, 6);
	memcpy(buf + 6, eth_src, 6);
	wire_put16(buf + 12, 0x0806);
	wire_put16(a, 1);
	wire_put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wire_put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	wire_put32(a + 14, spa);
	memcpy(a + 18, tha ? tha : zero, 6);
	wire_put32(a + 24, tpa);
	return 42;
}

void nt_fix_ip_csum(uint8_t *frame)
{
	uint8_t *h = frame + 14;
	size_t hlen = (size_t)(h[0] & 15) * 4;

	wire_put16(h + 10, 0);
	wire_put16(h + 10, csum_buf(h, hlen));
}

size_t nt_build_ip(uint8_t *buf, const uint8_t *eth_src, uint32_t src, uint32_t dst, uint8_t proto,
		   uint16_t id, uint16_t frag, const uint8_t *payload, size_t plen)
{
	uint8_t *h = buf + 14;

	memcpy(buf, nt_mac, 6);
	memcpy(buf + 6, eth_src, 6);
	wire_put16(buf + 12, 0x0800);
	memset(h, 0, 20);
	h[0] = 0x45;
	wire_put16(h + 2, (uint16_t)(20 + plen));
	wire_put16(h + 4, id);
	wire_put16(h + 6, frag);
	h[8] = 64;
	h[9] = proto;
	wire_put32(h + 12, src);
	wire_put32(h + 16, dst);
	if (plen)
		memmove(h + 20, payload, plen);
	nt_fix_ip_csum(buf);
	return 14 + 20 + plen;
}

size_t nt_build_echo(uint8_t *icmp, uint16_t ident, uint16_t seq, size_t n)
{
	icmp[0] = 8;
	icmp[1] = 0;
	wire_put16(icmp + 2, 0);
	wire_put16(icmp + 4, ident);
	wire_put16(icmp + 6, seq);
	for (size_t i = 0; i < n; i++)
		icmp[8 + i] = (uint8_t)i;
	wire_put16(icmp + 2, csum_buf(icmp, 8 + n));
	return 8 + n;
}

bool nt_is_arp_request(const struct nt_frame *f, const uint8_t *eth_dst, uint32_t tpa)
{
	const uint8_t *a = f->data + 14;

	return f->len == 42 && memcmp(f->data, eth_dst, 6) == 0 &&
	       memcmp(f->data + 6, nt_mac, 6) == 0 && wire_get16(f->data + 12) == 0x0806 &&
	       wire_get16(a + 6) == 1 && memcmp(a + 8, nt_mac, 6) == 0 &&
	       wire_get32(a + 14) == NT_ADDR && wire_get32(a + 24) == tpa;
}

size_t nt_build_tcp(uint8_t *seg, uint16_t sport, uint16_t dport, uint32_t seq)
{
	memset(seg, 0, 20);
	wire_put16(seg, sport);
	wire_put16(seg + 2, dport);
	wire_put32(seg + 4, seq);
	seg[12] = 5 << 4;
	seg[13] = 0x02; /* SYN */
	wire_put16(seg + 14, 65535);
	return 20;
}

int nt_output(struct nt *t, stack_time_us now, uint32_t dst, size_t l4_len, uint8_t fill, bool df)
{
	static uint8_t buf[STACK_TXBUF_SIZE + 64]; /* room for one-too-big tests */
	struct stack_pkt p = { 0 };

	assert_true(STACK_L4_OFF + l4_len <= sizeof(buf));
	memset(buf, 0xee, STACK_L4_OFF);
	memset(buf + STACK_L4_OFF, fill, l4_len);
	p.buf = buf;
	p.l4_len = l4_len;
	p.dst = dst;
	p.proto = 253;
	p.dont_fragment = df;
	return ip4_output(t->s, now, &p);
}

struct stack_pkt nt_tcp_pkt(uint8_t *buf, size_t l4_len)
{
	return (struct stack_pkt){
		.buf = buf,
		.l4_len = l4_len,
		.dst = NT_PEER,
		.proto = 6,
		.dont_fragment = true,
		.meta = { .csum_partial = true, .csum_start = STACK_L4_OFF, .csum_offset = 16 }
	};
}

uint32_t nt_ip_dst(const struct nt_frame *f)
{
	assert_true(f->len >= 34);
	return wire_get32(f->data + 30);
}

uint16_t nt_ip_id(const struct nt_frame *f)
{
	assert_true(f->len >= 34);
	return wire_get16(f->data + 18);
}
