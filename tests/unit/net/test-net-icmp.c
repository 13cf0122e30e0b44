/* SPDX-License-Identifier: MIT */
/*
 * test-net-icmp.c - ICMP (RFC 792, RFC 1122 §3.2.2): echo reply bytes,
 * checksum checks, protocol/port unreachable with its quote and rate limit,
 * the rules against sending errors, and errors about TCP reaching TCP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "csum.h"
#include "net/icmp.h"
#include "net_test.h"
#include "wire.h"

#define SEC 1000000ull

static int setup_seeded(void **state)
{
	struct nt *t;

	nt_setup(state);
	t = *state;
	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_PEER, nt_peer_mac), 0);
	nt_clear(t);
	return 0;
}

static void test_echo_reply_bytes(void **state)
{
	struct nt *t = *state;
	uint8_t f[256], icmp[128];
	size_t il = nt_build_echo(icmp, 0x1234, 7, 56), n;
	const uint8_t *r;

	n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 1, 99, 0, icmp, il);
	f[15] = 0x10; /* TOS is mirrored */
	nt_fix_ip_csum(f);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(t->nframes, 1);
	assert_int_equal(t->frames[0].len, n);
	r = t->frames[0].data;
	assert_memory_equal(r, nt_peer_mac, 6);
	assert_memory_equal(r + 6, nt_mac, 6);
	assert_int_equal(r[14], 0x45);
	assert_int_equal(r[15], 0x10);
	assert_int_equal(wire_get16(r + 16), 20 + il);
	assert_int_equal(r[14 + 8], 64);
	assert_int_equal(r[14 + 9], 1);
	assert_int_equal(csum_buf(r + 14, 20), 0);
	assert_int_equal(wire_get32(r + 26), NT_ADDR);
	assert_int_equal(wire_get32(r + 30), NT_PEER);
	/* type 0 code 0, then identifier, sequence and data exactly as sent */
	assert_int_equal(r[34], 0);
	assert_int_equal(r[35], 0);
	assert_memory_equal(r + 38, icmp + 4, il - 4);
	assert_int_equal(csum_buf(r + 34, il), 0);
	/* changing type 8 to 0 adds 0x0800 to the stored checksum (RFC 1624) */
	assert_int_equal(wire_get16(r + 36), (uint16_t)(wire_get16(icmp + 2) + 0x0800));
	assert_int_equal(NT_CTR(t, IcmpInMsgs), 1);
	assert_int_equal(NT_CTR(t, IcmpInEchos), 1);
	assert_int_equal(NT_CTR(t, IcmpOutMsgs), 1);
	assert_int_equal(NT_CTR(t, IcmpOutEchoReps), 1);
}

static void test_echo_sizes(void **state)
{
	struct nt *t = *state;
	static uint8_t f[2048], icmp[2048];
	size_t sizes[] = { 0, 1, 7, 1472 };

	for (size_t i = 0; i < 4; i++) {
		size_t il = nt_build_echo(icmp, 1, (uint16_t)i, sizes[i]);
		size_t n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 1, 1, 0, icmp, il);

		nt_clear(t);
		nt_input(t, NT_T0, f, n);
		assert_int_equal(t->nframes, 1);
		assert_int_equal(t->frames[0].len, n);
		assert_int_equal(csum_buf(t->frames[0].data + 34, il), 0);
		assert_memory_equal(t->frames[0].data + 38, icmp + 4, il - 4);
	}
}

static void test_echo_bad(void **state)
{
	struct nt *t = *state;
	uint8_t f[256], icmp[128];
	size_t il = nt_build_echo(icmp, 1, 1, 8), n;

	icmp[10] ^= 1;
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 1, 1, 0, icmp, il);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IcmpInCsumErrors), 1);
	assert_int_equal(NT_CTR(t, IcmpInErrors), 1);
	/* shorter than an ICMP header */
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 1, 1, 0, icmp, 7);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IcmpInErrors), 2);
	assert_int_equal(t->nframes, 0);
}

/* Send a datagram of an unknown protocol and check the unreachable that comes back. */
static void check_unreach(struct nt *t, uint8_t proto, uint8_t code, size_t plen)
{
	static uint8_t f[2048], payload[2048];
	size_t n, quote;
	const uint8_t *r;

	for (size_t i = 0; i < plen; i++)
		payload[i] = (uint8_t)(i * 7);
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, proto, 0x4242, 0, payload, plen);
	nt_clear(t);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(t->nframes, 1);
	r = t->frames[0].data;
	quote = 20 + plen < 548 ? 20 + plen : 548;
	assert_int_equal(t->frames[0].len, 14 + 20 + 8 + quote);
	assert_memory_equal(r, nt_peer_mac, 6);
	assert_int_equal(r[14 + 9], 1);
	assert_int_equal(wire_get32(r + 26), NT_ADDR);
	assert_int_equal(wire_get32(r + 30), NT_PEER);
	assert_int_equal(r[34], 3);
	assert_int_equal(r[35], code);
	assert_int_equal(wire_get32(r + 38), 0);
	assert_memory_equal(r + 42, f + 14, quote);
	assert_int_equal(csum_buf(r + 34, 8 + quote), 0);
}

static void test_unreach_proto_and_port(void **state)
{
	struct nt *t = *state;

	check_unreach(t, 99, 2, 8);
	check_unreach(t, 17, 3, 100);
	check_unreach(t, 132, 2, 1000); /* quote capped at 576 bytes in all */
	assert_int_equal(NT_CTR(t, IpInUnknownProtos), 3);
	assert_int_equal(NT_CTR(t, IcmpOutDestUnreachs), 3);
	assert_int_equal(NT_CTR(t, IcmpOutMsgs), 3);
}

static void test_unreach_rate_limit(void **state)
{
	struct nt *t = *state;
	uint8_t f[128], payload[8] = { 0 };
	size_t n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 99, 1, 0, payload, 8);

	for (int i = 0; i < 30; i++)
		nt_input(t, NT_T0, f, n);
	assert_int_equal(t->nframes, ICMP_RATE_BURST);
	assert_int_equal(NT_CTR(t, SynackIcmpOutRateLimited), 30 - ICMP_RATE_BURST);
	/* one token every 10 ms */
	nt_input(t, NT_T0 + 9999, f, n);
	assert_int_equal(t->nframes, ICMP_RATE_BURST);
	nt_input(t, NT_T0 + 10000, f, n);
	assert_int_equal(t->nframes, ICMP_RATE_BURST + 1);
	/* after a long pause, the bucket holds no more than the burst */
	nt_clear(t);
	for (int i = 0; i < 30; i++)
		nt_input(t, NT_T0 + 100 * SEC, f, n);
	assert_int_equal(t->nframes, ICMP_RATE_BURST);
}

static void test_no_error_cases(void **state)
{
	struct nt *t = *state;
	uint8_t f[128], g[128], payload[16] = { 3, 1, 0, 0 }; /* an ICMP error's first bytes */
	size_t n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 99, 1, 0, payload, 16);
	const uint8_t *h = f + 14;

	/* the baseline is answered */
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, h, n - 14), 0);
	/* about an ICMP error */
	memcpy(g, f, n);
	g[14 + 9] = 1;
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, g + 14, n - 14), -EPERM);
	/* about an unknown ICMP type */
	g[34] = 77;
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, g + 14, n - 14), -EPERM);
	/* about an echo request: allowed */
	g[34] = 8;
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, g + 14, n - 14), 0);
	/* a non-initial fragment */
	memcpy(g, f, n);
	wire_put16(g + 20, 1);
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, g + 14, n - 14), -EPERM);
	/* to a broadcast or someone else */
	memcpy(g, f, n);
	wire_put32(g + 30, 0x0a0000ff);
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, g + 14, n - 14), -EPERM);
	wire_put32(g + 30, 0xe0000001);
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, g + 14, n - 14), -EPERM);
	/* from a source that is not one host */
	memcpy(g, f, n);
	wire_put32(g + 26, 0);
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, g + 14, n - 14), -EPERM);
	wire_put32(g + 26, 0x0a0000ff);
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, g + 14, n - 14), -EPERM);
	/* garbage */
	assert_int_equal(icmp_send_error(t->s, NT_T0, 3, 2, h, 19), -EPERM);
	assert_int_equal(t->nframes, 2);
	/* an unknown protocol over a broadcast gets nothing */
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, 0xffffffffu, 99, 1, 0, payload, 16);
	memset(f, 0xff, 6);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(t->nframes, 2);
	assert_int_equal(NT_CTR(t, IpInDiscards), 1);
}

/* An ICMP error from the gateway quoting a TCP segment we sent to 8.8.8.8. */
static size_t build_error(uint8_t *f, uint8_t type, uint8_t code, uint16_t mtu, size_t qlen)
{
	uint8_t msg[128], seg[20];

	memset(msg, 0, sizeof(msg));
	msg[0] = type;
	msg[1] = code;
	wire_put16(msg + 6, mtu);
	nt_build_tcp(seg, 50000, 443, 1000);
	/* the quoted datagram: our header + the first bytes of the segment */
	nt_build_ip(f, nt_gw_mac, NT_ADDR, NT_FAR, 6, 5, 0x4000, seg, 20);
	memcpy(msg + 8, f + 14, qlen);
	wire_put16(msg + 2, csum_buf(msg, 8 + qlen));
	return nt_build_ip(f, nt_gw_mac, NT_GW, NT_ADDR, 1, 6, 0, msg, 8 + qlen);
}

static void test_errors_reach_tcp(void **state)
{
	struct nt *t = *state;
	uint8_t f[256];
	size_t n;

	n = build_error(f, 3, 1, 0, 28);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IcmpInDestUnreachs), 1);
	assert_int_equal(NT_CTR(t, SynackIcmpInTcpErrors), 1);
	n = build_error(f, 3, 4, 1400, 40);
	nt_input(t, NT_T0, f, n);
	n = build_error(f, 11, 0, 0, 28);
	nt_input(t, NT_T0, f, n);
	n = build_error(f, 12, 0, 0, 28);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IcmpInTimeExcds), 1);
	assert_int_equal(NT_CTR(t, IcmpInParmProbs), 1);
	assert_int_equal(NT_CTR(t, SynackIcmpInTcpErrors), 4);
	assert_int_equal(NT_CTR(t, IcmpInErrors), 0);
	assert_int_equal(t->nframes, 0);
}

static void test_errors_malformed_quote(void **state)
{
	struct nt *t = *state;
	uint8_t f[256];
	size_t n;

	/* fewer than 8 bytes after the quoted header */
	n = build_error(f, 3, 1, 0, 27);
	nt_input(t, NT_T0, f, n);
	/* no quoted header at all */
	n = build_error(f, 3, 1, 0, 10);
	nt_input(t, NT_T0, f, n);
	/* quoted version 6 */
	n = build_error(f, 3, 1, 0, 28);
	f[14 + 20 + 8] = 0x65;
	wire_put16(f + 36, 0);
	wire_put16(f + 36, csum_buf(f + 34, n - 34));
	nt_input(t, NT_T0, f, n);
	/* quoted IHL that runs past the message */
	n = build_error(f, 3, 1, 0, 28);
	f[14 + 20 + 8] = 0x4f;
	wire_put16(f + 36, 0);
	wire_put16(f + 36, csum_buf(f + 34, n - 34));
	nt_input(t, NT_T0, f, n);
	/* not about a datagram of ours */
	n = build_error(f, 3, 1, 0, 28);
	wire_put32(f + 14 + 20 + 8 + 12, NT_PEER);
	wire_put16(f + 36, 0);
	wire_put16(f + 36, csum_buf(f + 34, n - 34));
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IcmpInErrors), 5);
	assert_int_equal(NT_CTR(t, SynackIcmpInTcpErrors), 0);
	/* well-formed but about UDP: nothing to tell, not an error */
	n = build_error(f, 3, 3, 0, 28);
	f[14 + 20 + 8 + 9] = 17;
	wire_put16(f + 36, 0);
	wire_put16(f + 36, csum_buf(f + 34, n - 34));
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IcmpInErrors), 5);
	assert_int_equal(NT_CTR(t, SynackIcmpInTcpErrors), 0);
	/* errors are never answered */
	assert_int_equal(t->nframes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_seeded, nt_teardown)
		T(test_echo_reply_bytes),   T(test_echo_sizes),
		T(test_echo_bad),	    T(test_unreach_proto_and_port),
		T(test_unreach_rate_limit), T(test_no_error_cases),
		T(test_errors_reach_tcp),   T(test_errors_malformed_quote),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
