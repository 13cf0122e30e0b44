/* SPDX-License-Identifier: MIT */
/*
 * test-net-ipv4.c - IPv4 input validation (RFC 791, RFC 1122 §3.2.1, §3.3.6)
 * and output: header fields, routing on-link / via the gateway / no route,
 * fragmentation of what may be fragmented, GSO metadata left for the link.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "csum.h"
#include "net_test.h"
#include "wire.h"

#define SEC 1000000ull

static int setup_no_gw(void **state)
{
	return nt_setup_with(state, NT_MTU, 0);
}

/* An echo request from the peer, seeded in ARP so a reply goes straight out. */
static size_t build_ping(struct nt *t, uint8_t *f, size_t data)
{
	uint8_t icmp[2048];
	size_t n = nt_build_echo(icmp, 0x1234, 1, data);

	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_PEER, nt_peer_mac), 0);
	return nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 1, 7, 0, icmp, n);
}

/* Feed f and report whether an echo reply came out. */
static bool replied(struct nt *t, const uint8_t *f, size_t n)
{
	nt_clear(t);
	nt_input(t, NT_T0, f, n);
	return t->nframes == 1 && wire_get16(t->frames[0].data + 12) == 0x0800 &&
	       t->frames[0].data[14 + 9] == 1 && t->frames[0].data[34] == 0;
}

static void test_output_header(void **state)
{
	struct nt *t = *state;
	const uint8_t *h;
	uint16_t id;

	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_PEER, nt_peer_mac), 0);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 100, 0x33, true), 0);
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 10, 0x33, false), 0);
	assert_int_equal(t->nframes, 2);
	assert_memory_equal(t->frames[0].data, nt_peer_mac, 6);
	assert_memory_equal(t->frames[0].data + 6, nt_mac, 6);
	assert_int_equal(wire_get16(t->frames[0].data + 12), 0x0800);
	h = t->frames[0].data + 14;
	id = wire_get16(h + 4);
	assert_int_equal(h[0], 0x45);
	assert_int_equal(h[1], 0);
	assert_int_equal(wire_get16(h + 2), 120);
	assert_int_equal(wire_get16(h + 6), 0x4000); /* DF */
	assert_int_equal(h[8], 64);
	assert_int_equal(h[9], 253);
	assert_int_equal(csum_buf(h, 20), 0);
	assert_int_equal(wire_get32(h + 12), NT_ADDR);
	assert_int_equal(wire_get32(h + 16), NT_PEER);
	/* the second: next ID, no DF */
	h = t->frames[1].data + 14;
	assert_int_equal(wire_get16(h + 4), (uint16_t)(id + 1));
	assert_int_equal(wire_get16(h + 6), 0);
	assert_int_equal(csum_buf(h, 20), 0);
	assert_int_equal(NT_CTR(t, IpOutRequests), 2);
}

static void test_output_via_gateway(void **state)
{
	struct nt *t = *state;
	uint8_t f[64];
	size_t n;

	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0, NT_FAR, 20, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_true(nt_is_arp_request(nt_frame(t, 0), nt_bcast_mac, NT_GW));
	n = nt_build_arp(f, nt_mac, nt_gw_mac, 2, nt_gw_mac, NT_GW, nt_mac, NT_ADDR);
	nt_input(t, NT_T0 + 10, f, n);
	assert_int_equal(t->nframes, 2);
	assert_memory_equal(nt_frame(t, 1)->data, nt_gw_mac, 6);
	assert_int_equal(nt_ip_dst(nt_frame(t, 1)), NT_FAR);
	/* on-link hosts are not sent to the gateway */
	assert_int_equal(nt_output(t, NT_T0 + 10, NT_PEER, 20, 0, true), 0);
	assert_true(nt_is_arp_request(nt_frame(t, 2), nt_bcast_mac, NT_PEER));
}

static void test_output_no_route(void **state)
{
	struct nt *t = *state;
	static const uint32_t bad[] = {
		NT_FAR, 0xffffffffu, 0x0a0000ffu, 0xe0000001u, 0x7f000001u, NT_ADDR, 0,
	};

	nt_clear(t);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nt_output(t, NT_T0, bad[i], 20, 0, true), -ENETUNREACH);
	assert_int_equal(t->nframes, 0);
	assert_int_equal(NT_CTR(t, IpOutNoRoutes), 7);
}

static void test_output_gso_meta(void **state)
{
	struct nt *t = *state;
	static uint8_t buf[STACK_TXBUF_SIZE];
	struct stack_pkt p = nt_tcp_pkt(buf, 32 + 4 * 1448);
	const struct nt_frame *f;

	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_PEER, nt_peer_mac), 0);
	nt_clear(t);
	memset(buf, 0, sizeof(buf));
	buf[STACK_L4_OFF + 12] = 8 << 4; /* a 32-byte TCP header */
	p.meta.gso_type = STACK_GSO_TCPV4;
	p.meta.gso_size = 1448;
	assert_int_equal(ip4_output(t->s, NT_T0, &p), 0);
	assert_int_equal(t->nframes, 1);
	f = nt_frame(t, 0);
	assert_int_equal(f->len, STACK_L4_OFF + p.l4_len);
	assert_int_equal(f->meta.hdr_len, STACK_L4_OFF + 32);
	assert_true(f->meta.csum_partial);
	assert_int_equal(f->meta.csum_start, STACK_L4_OFF);
	assert_int_equal(f->meta.csum_offset, 16);
	assert_int_equal(f->meta.gso_type, STACK_GSO_TCPV4);
	assert_int_equal(f->meta.gso_size, 1448);
	assert_int_equal(wire_get16(f->data + 16), 20 + p.l4_len);
}

static void test_output_too_big(void **state)
{
	struct nt *t = *state;

	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_PEER, nt_peer_mac), 0);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 1481, 0, true), -EMSGSIZE);
	assert_int_equal(NT_CTR(t, IpFragFails), 1);
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 65516, 0, false), -EMSGSIZE);
	assert_int_equal(t->nframes, 0);
	/* exactly the MTU is fine */
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 1480, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_int_equal(nt_frame(t, 0)->len, 14 + 1500);
}

static void test_output_fragments(void **state)
{
	struct nt *t = *state;
	static const uint16_t want_frag[3] = { 0x2000, 0x2000 | 185, 370 };
	static const uint16_t want_len[3] = { 1500, 1500, 60 };

	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_PEER, nt_peer_mac), 0);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 3000, 0x5c, false), 0);
	assert_int_equal(t->nframes, 3);
	for (size_t i = 0; i < 3; i++) {
		const uint8_t *h = t->frames[i].data + 14;

		assert_int_equal(t->frames[i].len, 14 + want_len[i]);
		assert_int_equal(wire_get16(h + 2), want_len[i]);
		assert_int_equal(wire_get16(h + 6), want_frag[i]);
		assert_int_equal(wire_get16(h + 4), nt_ip_id(&t->frames[0]));
		assert_int_equal(csum_buf(h, 20), 0);
		assert_int_equal(h[20], 0x5c);
		assert_int_equal(h[want_len[i] - 1], 0x5c);
	}
	assert_int_equal(NT_CTR(t, IpFragCreates), 3);
	assert_int_equal(NT_CTR(t, IpFragOKs), 1);
}

static void test_input_valid_ping(void **state)
{
	struct nt *t = *state;
	uint8_t f[256];
	size_t n = build_ping(t, f, 56);

	assert_true(replied(t, f, n));
	assert_int_equal(NT_CTR(t, IpInReceives), 1);
	assert_int_equal(NT_CTR(t, IpInDelivers), 1);
}

static void test_input_header_errors(void **state)
{
	struct nt *t = *state;
	uint8_t f[256], g[256];
	size_t n = build_ping(t, f, 56);

	/* shorter than a header */
	assert_false(replied(t, f, 14 + 19));
	/* version 6 */
	memcpy(g, f, n);
	g[14] = 0x65;
	nt_fix_ip_csum(g);
	assert_false(replied(t, g, n));
	/* IHL 4 */
	memcpy(g, f, n);
	g[14] = 0x44;
	assert_false(replied(t, g, n));
	/* IHL 15 beyond the datagram */
	memcpy(g, f, n);
	g[14] = 0x4f;
	assert_false(replied(t, g, 14 + 40));
	/* total length shorter than the header */
	memcpy(g, f, n);
	wire_put16(g + 16, 19);
	nt_fix_ip_csum(g);
	assert_false(replied(t, g, n));
	assert_int_equal(NT_CTR(t, IpInHdrErrors), 5);
	/* total length beyond the frame */
	memcpy(g, f, n);
	wire_put16(g + 16, (uint16_t)(n - 14 + 1));
	nt_fix_ip_csum(g);
	assert_false(replied(t, g, n));
	assert_int_equal(NT_CTR(t, IpExtInTruncatedPkts), 1);
	/* bad header checksum */
	memcpy(g, f, n);
	g[24] ^= 1;
	assert_false(replied(t, g, n));
	assert_int_equal(NT_CTR(t, IpExtInCsumErrors), 1);
	assert_int_equal(NT_CTR(t, IpInHdrErrors), 6);
	assert_int_equal(NT_CTR(t, IpInDelivers), 0);
	/* the original is still fine */
	assert_true(replied(t, f, n));
}

static void test_input_address_errors(void **state)
{
	struct nt *t = *state;
	static const uint32_t bad_src[] = {
		0, 0xffffffffu, 0x0a0000ffu, 0xe0000001u, 0x7f000001u, NT_ADDR, 0xf0000001u,
	};
	uint8_t f[256], g[256];
	size_t n = build_ping(t, f, 8);

	/* not our address */
	memcpy(g, f, n);
	wire_put32(g + 30, 0x0a000009);
	nt_fix_ip_csum(g);
	assert_false(replied(t, g, n));
	assert_int_equal(NT_CTR(t, IpInAddrErrors), 1);
	/* impossible sources */
	for (size_t i = 0; i < sizeof(bad_src) / sizeof(bad_src[0]); i++) {
		memcpy(g, f, n);
		wire_put32(g + 26, bad_src[i]);
		nt_fix_ip_csum(g);
		assert_false(replied(t, g, n));
	}
	assert_int_equal(NT_CTR(t, IpInAddrErrors), 8);
	/* unicast IP in a link-layer broadcast (RFC 1122 §3.3.6) */
	memcpy(g, f, n);
	memset(g, 0xff, 6);
	assert_false(replied(t, g, n));
	assert_int_equal(NT_CTR(t, IpInAddrErrors), 9);
	assert_int_equal(NT_CTR(t, IcmpInMsgs), 0);
}

static void test_input_padding_trimmed(void **state)
{
	struct nt *t = *state;
	uint8_t f[256];
	size_t n = build_ping(t, f, 4);

	/* 46 bytes of IP in a 60-byte minimum frame: 14 + 32 + 14 bytes of padding */
	memset(f + n, 0xaa, 60 - n);
	assert_true(replied(t, f, 60));
	assert_int_equal(t->frames[0].len, n);
}

static void test_input_options_skipped(void **state)
{
	struct nt *t = *state;
	uint8_t f[256], g[256];
	size_t n = build_ping(t, f, 16);

	/* insert 4 option bytes: NOP, NOP, NOP, EOL */
	memcpy(g, f, 34);
	memcpy(g + 38, f + 34, n - 34);
	memcpy(g + 34, "\x01\x01\x01\x00", 4);
	g[14] = 0x46;
	wire_put16(g + 16, (uint16_t)(n - 14 + 4));
	nt_fix_ip_csum(g);
	assert_true(replied(t, g, n + 4));
	/* a router alert option (type 148, length 4) is fine too */
	memcpy(g + 34, "\x94\x04\x00\x00", 4);
	nt_fix_ip_csum(g);
	assert_true(replied(t, g, n + 4));
	/* an option whose length runs past the header */
	memcpy(g + 34, "\x01\x07\x05\x00", 4);
	nt_fix_ip_csum(g);
	assert_false(replied(t, g, n + 4));
	/* an option length of 1 */
	memcpy(g + 34, "\x07\x01\x00\x00", 4);
	nt_fix_ip_csum(g);
	assert_false(replied(t, g, n + 4));
	/* a type byte with no room for its length */
	memcpy(g + 34, "\x01\x01\x01\x07", 4);
	nt_fix_ip_csum(g);
	assert_false(replied(t, g, n + 4));
	assert_int_equal(NT_CTR(t, IpInHdrErrors), 3);
}

static void test_input_ttl_any(void **state)
{
	struct nt *t = *state;
	uint8_t f[256];
	size_t n = build_ping(t, f, 8);

	f[14 + 8] = 0;
	nt_fix_ip_csum(f);
	assert_true(replied(t, f, n));
	f[14 + 8] = 1;
	nt_fix_ip_csum(f);
	assert_true(replied(t, f, n));
}

static void test_input_tcp_delivered(void **state)
{
	struct nt *t = *state;
	uint8_t f[128], seg[20];
	size_t n;

	nt_build_tcp(seg, 40000, 80, 1);
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 6, 1, 0x4000, seg, 20);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IpInDelivers), 1);
	/* TCP to a broadcast address is not delivered */
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, 0x0a0000ff, 6, 1, 0x4000, seg, 20);
	memset(f, 0xff, 6);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IpInDelivers), 1);
	assert_int_equal(NT_CTR(t, IpInDiscards), 1);
}

static void test_input_broadcast_icmp(void **state)
{
	struct nt *t = *state;
	uint8_t f[128], icmp[64];
	size_t n = nt_build_echo(icmp, 1, 1, 8);

	n = nt_build_ip(f, nt_peer_mac, NT_PEER, 0xffffffffu, 1, 1, 0, icmp, n);
	memset(f, 0xff, 6);
	nt_clear(t);
	nt_input(t, NT_T0, f, n);
	/* accepted and counted, but broadcast echoes are not answered */
	assert_int_equal(NT_CTR(t, IcmpInEchos), 1);
	assert_int_equal(NT_CTR(t, IcmpOutEchoReps), 0);
	assert_int_equal(t->nframes, 0);
	/* the directed broadcast of our /24 too */
	wire_put32(f + 30, 0x0a0000ff);
	nt_fix_ip_csum(f);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IcmpInEchos), 2);
	assert_int_equal(t->nframes, 0);
}

static void test_input_csum_valid_meta(void **state)
{
	struct nt *t = *state;
	struct stack_frame_meta meta = { .csum_valid = true };
	uint8_t f[256];
	size_t n = build_ping(t, f, 8);

	f[n - 1] ^= 0xff; /* the ICMP checksum is now wrong */
	nt_clear(t);
	stack_input(t->s, NT_T0, f, n, &meta);
	assert_int_equal(t->nframes, 1); /* the link said it was valid */
	stack_input(t->s, NT_T0, f, n, NULL);
	assert_int_equal(t->nframes, 1);
	assert_int_equal(NT_CTR(t, IcmpInCsumErrors), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, nt_setup, nt_teardown)
		T(test_output_header),
		T(test_output_via_gateway),
		cmocka_unit_test_setup_teardown(test_output_no_route, setup_no_gw, nt_teardown),
		T(test_output_gso_meta),
		T(test_output_too_big),
		T(test_output_fragments),
		T(test_input_valid_ping),
		T(test_input_header_errors),
		T(test_input_address_errors),
		T(test_input_padding_trimmed),
		T(test_input_options_skipped),
		T(test_input_ttl_any),
		T(test_input_tcp_delivered),
		T(test_input_broadcast_icmp),
		T(test_input_csum_valid_meta),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
