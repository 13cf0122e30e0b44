/* SPDX-License-Identifier: MIT */
/*
 * fuzz-frames.c - libFuzzer target feeding Ethernet frames into a whole
 * stack: Ethernet, ARP, IPv4 (reassembly included), ICMP and TCP input, and
 * everything they send back, under a virtual clock that the input moves.
 *
 * Input format (tests/fuzz/corpus/make-frames.py writes it):
 *   byte 0: set-up flags: bit 0 = a gateway (10.0.0.1), bit 1 = 10.0.0.3 is
 *           seeded in ARP, bits 2-3 = MTU (1500, 576, 9000, 68)
 *   then records: step (1 byte), length (2 bytes, big-endian), frame.
 *     The clock advances step * step milliseconds (up to 65 s, enough to
 *     reach every ARP and reassembly timeout) and due timers run first.
 *     Length bit 15 sets meta.csum_valid, bit 14 meta.csum_partial; the low
 *     14 bits are the frame length (cut to what is left of the input).
 *
 * Oracles besides the sanitizers: every frame the stack emits has an
 * Ethernet header and fits the MTU (unless it is GSO), every IPv4 header it
 * emits has a valid checksum, after stack_poll(now) nothing is due at or
 * before now, and after stack_deinit() every allocated byte was freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "net/net.h"
#include "stack.h"

#define FUZZ_T0 1000000ull

struct fuzz_ctx {
	size_t alloc_bytes;
	uint32_t mtu;
};

static void *fuzz_alloc(void *ctx, size_t size)
{
	struct fuzz_ctx *c = ctx;

	c->alloc_bytes += size;
	return malloc(size);
}

static void fuzz_free(void *ctx, void *ptr, size_t size)
{
	struct fuzz_ctx *c = ctx;

	if (size > c->alloc_bytes)
		__builtin_trap();
	c->alloc_bytes -= size;
	free(ptr);
}

static int fuzz_emit(void *ctx, const uint8_t *frame, size_t len,
		     const struct stack_frame_meta *meta)
{
	struct fuzz_ctx *c = ctx;
	bool gso = meta && meta->gso_type != STACK_GSO_NONE;

	if (len < 14 || (!gso && len > 14 + c->mtu))
		__builtin_trap();
	if (frame[12] == 0x08 && frame[13] == 0x00) {
		size_t hlen;

		if (len < 34)
			__builtin_trap();
		hlen = (size_t)(frame[14] & 0x0f) * 4;
		if (hlen < 20 || 14 + hlen > len || csum_buf(frame + 14, hlen) != 0)
			__builtin_trap();
	}
	return 0;
}

static const uint32_t fuzz_mtus[4] = { 1500, 576, 9000, 68 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = { 0x02, 0, 0, 0, 0, 0x02 };
	static const uint8_t peer_mac[6] = { 0x02, 0, 0, 0, 0, 0x03 };
	struct fuzz_ctx ctx = { 0 };
	struct stack_config cfg = { 0 };
	struct stack_env env = { 0 };
	stack_time_us now = FUZZ_T0;
	struct stack *s;
	size_t pos = 1;

	if (size < 1)
		return 0;
	memcpy(cfg.mac, mac, 6);
	cfg.addr = 0x0a000002;
	cfg.prefix_len = 24;
	cfg.gateway = (data[0] & 1) ? 0x0a000001 : 0;
	cfg.mtu = fuzz_mtus[(data[0] >> 2) & 3];
	cfg.max_conns = 64;
	stack_tunables_defaults(&cfg.tun);
	ctx.mtu = cfg.mtu;
	memset(env.secret, 0x42, sizeof(env.secret));
	env.seed = 7;
	env.sink.ctx = &ctx;
	env.sink.emit = fuzz_emit;
	env.allocator.ctx = &ctx;
	env.allocator.alloc = fuzz_alloc;
	env.allocator.free = fuzz_free;

	s = malloc(stack_size());
	if (!s || stack_init(s, now, &cfg, &env) < 0)
		__builtin_trap();
	if ((data[0] & 2) && net_arp_seed(s, now, 0x0a000003, peer_mac) < 0)
		__builtin_trap();

	while (size - pos >= 3) {
		uint8_t step = data[pos];
		uint16_t lenf = (uint16_t)(data[pos + 1] << 8 | data[pos + 2]);
		struct stack_frame_meta meta = { 0 };
		size_t len = lenf & 0x3fff;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		now += (stack_time_us)step * step * 1000;
		if (stack_poll_at(s) <= now) {
			stack_poll(s, now);
			if (stack_poll_at(s) <= now)
				__builtin_trap();
		}
		meta.csum_valid = (lenf & 0x8000) != 0;
		meta.csum_partial = (lenf & 0x4000) != 0;
		stack_input(s, now, data + pos, len, &meta);
		pos += len;
	}
	/* let every timer run out */
	for (int i = 0; i < 64 && stack_poll_at(s) != STACK_TIME_NEVER; i++) {
		now = stack_poll_at(s);
		stack_poll(s, now);
	}
	stack_deinit(s);
	free(s);
	if (ctx.alloc_bytes != 0)
		__builtin_trap();
	return 0;
}
