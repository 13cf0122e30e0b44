/* SPDX-License-Identifier: MIT */
/*
 * test-net-reasm.c - IPv4 reassembly (RFC 791 §3.2, RFC 815, RFC 1122
 * §3.3.2): in and out of order, duplicates, conflicting overlaps, timeout
 * with its ICMP time exceeded, slot and memory limits, malformed fragments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "csum.h"
#include "net/ip_reasm.h"
#include "net_test.h"
#include "wire.h"

#define SEC	 1000000ull
#define ECHO_LEN 3008 /* ICMP header + 3000 bytes */

static uint8_t echo[ECHO_LEN];

static int setup_seeded(void **state)
{
	struct nt *t;

	nt_setup(state);
	t = *state;
	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_PEER, nt_peer_mac), 0);
	nt_build_echo(echo, 0x77, 3, ECHO_LEN - 8);
	nt_clear(t);
	return 0;
}

/* Bytes [off, off+len) of datagram id (proto 1, payload echo or data) as a fragment. */
static void frag_in(struct nt *t, stack_time_us now, uint16_t id, const uint8_t *data, uint32_t off,
		    uint32_t len, bool more)
{
	static uint8_t f[2048];
	uint16_t frag = (uint16_t)((off / 8) | (more ? 0x2000 : 0));
	size_t n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 1, id, frag, data + off, len);

	nt_input(t, now, f, n);
}

static void echo_frag(struct nt *t, stack_time_us now, uint16_t id, int which)
{
	static const uint32_t off[3] = { 0, 1480, 2960 }, len[3] = { 1480, 1480, 48 };

	frag_in(t, now, id, echo, off[which], len[which], which < 2);
}

/* The reply came out as fragments; join them and check it mirrors the request. */
static void check_echo_reply(struct nt *t)
{
	static uint8_t joined[ECHO_LEN];
	size_t got = 0;

	assert_int_equal(t->nframes, 3);
	for (size_t i = 0; i < t->nframes; i++) {
		const uint8_t *h = t->frames[i].data + 14;
		size_t plen = wire_get16(h + 2) - 20u;
		size_t off = (wire_get16(h + 6) & 0x1fffu) * 8;

		assert_int_equal(off, got);
		assert_true(got + plen <= sizeof(joined));
		memcpy(joined + got, h + 20, plen);
		got += plen;
	}
	assert_int_equal(got, ECHO_LEN);
	assert_int_equal(joined[0], 0);
	assert_memory_equal(joined + 4, echo + 4, ECHO_LEN - 4);
	assert_int_equal(csum_buf(joined, ECHO_LEN), 0);
}

static void test_in_order(void **state)
{
	struct nt *t = *state;

	echo_frag(t, NT_T0, 1, 0);
	echo_frag(t, NT_T0, 1, 1);
	assert_int_equal(t->nframes, 0);
	assert_int_equal(stack_poll_at(t->s), NT_T0 + IP_REASM_TIMEOUT_US);
	echo_frag(t, NT_T0, 1, 2);
	check_echo_reply(t);
	assert_int_equal(NT_CTR(t, IpReasmReqds), 3);
	assert_int_equal(NT_CTR(t, IpReasmOKs), 1);
	assert_int_equal(NT_CTR(t, IpReasmFails), 0);
	assert_int_equal(stack_poll_at(t->s), STACK_TIME_NEVER);
	assert_int_equal(t->s->net.reasm_bytes, 0);
}

static void test_out_of_order_with_duplicates(void **state)
{
	struct nt *t = *state;

	echo_frag(t, NT_T0, 2, 2);
	echo_frag(t, NT_T0, 2, 2);
	echo_frag(t, NT_T0, 2, 0);
	echo_frag(t, NT_T0, 2, 0);
	assert_int_equal(t->nframes, 0);
	echo_frag(t, NT_T0, 2, 1);
	check_echo_reply(t);
	assert_int_equal(NT_CTR(t, IpReasmOKs), 1);
	assert_int_equal(NT_CTR(t, IpReasmFails), 0);
}

static void test_interleaved_datagrams(void **state)
{
	struct nt *t = *state;

	echo_frag(t, NT_T0, 10, 1);
	echo_frag(t, NT_T0, 11, 0);
	echo_frag(t, NT_T0, 10, 0);
	echo_frag(t, NT_T0, 11, 2);
	echo_frag(t, NT_T0, 10, 2);
	check_echo_reply(t);
	nt_clear(t);
	echo_frag(t, NT_T0, 11, 1);
	check_echo_reply(t);
	assert_int_equal(NT_CTR(t, IpReasmOKs), 2);
}

static void test_overlap_drops_datagram(void **state)
{
	struct nt *t = *state;
	uint8_t other[ECHO_LEN];

	/* a fragment overlapping the first one by 8 bytes */
	echo_frag(t, NT_T0, 3, 0);
	frag_in(t, NT_T0, 3, echo, 1472, 16, true);
	assert_int_equal(NT_CTR(t, IpReasmFails), 1);
	assert_int_equal(t->s->net.reasm_bytes, 0);
	echo_frag(t, NT_T0, 3, 1);
	echo_frag(t, NT_T0, 3, 2);
	assert_int_equal(t->nframes, 0); /* fragment zero went with the datagram */

	/* same offset and length but different bytes: a conflict, not a duplicate */
	memcpy(other, echo, sizeof(other));
	other[100] ^= 1;
	echo_frag(t, NT_T0, 4, 0);
	frag_in(t, NT_T0, 4, other, 0, 1480, true);
	assert_int_equal(NT_CTR(t, IpReasmFails), 2);
	assert_int_equal(t->nframes, 0);
}

static void test_timeout_sends_time_exceeded(void **state)
{
	struct nt *t = *state;
	const uint8_t *r;

	echo_frag(t, NT_T0, 5, 0);
	echo_frag(t, NT_T0 + 5 * SEC, 5, 2);
	/* the deadline runs from the first fragment */
	assert_int_equal(stack_poll_at(t->s), NT_T0 + IP_REASM_TIMEOUT_US);
	stack_poll(t->s, NT_T0 + IP_REASM_TIMEOUT_US - 1);
	assert_int_equal(t->nframes, 0);
	stack_poll(t->s, NT_T0 + IP_REASM_TIMEOUT_US);
	assert_int_equal(NT_CTR(t, IpReasmTimeout), 1);
	assert_int_equal(NT_CTR(t, IpReasmFails), 1);
	assert_int_equal(stack_poll_at(t->s), STACK_TIME_NEVER);
	assert_int_equal(t->s->net.reasm_bytes, 0);
	/* RFC 792: time exceeded, code 1, quoting fragment zero's header and 8 bytes */
	assert_int_equal(t->nframes, 1);
	r = t->frames[0].data;
	assert_int_equal(t->frames[0].len, 14 + 20 + 8 + 28);
	assert_int_equal(wire_get32(r + 30), NT_PEER);
	assert_int_equal(r[34], 11);
	assert_int_equal(r[35], 1);
	assert_int_equal(wire_get16(r + 42 + 4), 5); /* quoted ID */
	assert_memory_equal(r + 42 + 20, echo, 8);
	assert_int_equal(csum_buf(r + 34, 36), 0);
	assert_int_equal(NT_CTR(t, IcmpOutTimeExcds), 1);
}

static void test_timeout_without_first_fragment(void **state)
{
	struct nt *t = *state;

	echo_frag(t, NT_T0, 6, 1);
	stack_poll(t->s, NT_T0 + IP_REASM_TIMEOUT_US);
	assert_int_equal(NT_CTR(t, IpReasmTimeout), 1);
	assert_int_equal(t->nframes, 0);
}

static void test_slots_evict_oldest(void **state)
{
	struct nt *t = *state;

	for (uint16_t i = 0; i < IP_REASM_SLOTS; i++)
		echo_frag(t, NT_T0 + i, (uint16_t)(100 + i), 0);
	assert_int_equal(NT_CTR(t, IpReasmFails), 0);
	echo_frag(t, NT_T0 + 100, 200, 0);
	assert_int_equal(NT_CTR(t, IpReasmFails), 1);
	/* 101 is still there and completes */
	echo_frag(t, NT_T0 + 101, 101, 1);
	echo_frag(t, NT_T0 + 101, 101, 2);
	check_echo_reply(t);
	/* 100 was given up: its other fragments start over and complete nothing */
	nt_clear(t);
	echo_frag(t, NT_T0 + 102, 100, 1);
	echo_frag(t, NT_T0 + 102, 100, 2);
	assert_int_equal(t->nframes, 0);
	assert_int_equal(NT_CTR(t, IpReasmFails), 1);
}

static void test_memory_cap(void **state)
{
	struct nt *t = *state;
	static uint8_t big[65536];

	/* four datagrams of 44 1480-byte fragments each: more than the cap holds */
	for (uint16_t d = 0; d < 4; d++)
		for (uint32_t i = 0; i < 44; i++)
			frag_in(t, NT_T0 + d, (uint16_t)(300 + d), big, i * 1480, 1480, true);
	assert_true(t->s->net.reasm_bytes <= IP_REASM_MEM_MAX);
	assert_int_equal(NT_CTR(t, IpReasmFails), 1); /* the oldest made room */
	/* the newest is intact: its last fragment completes it */
	frag_in(t, NT_T0 + 5, 303, big, 44 * 1480, 8, false);
	assert_int_equal(NT_CTR(t, IpReasmOKs), 1);
	assert_true(t->s->net.reasm_bytes <= IP_REASM_MEM_MAX);
}

static void test_fragment_count_cap(void **state)
{
	struct nt *t = *state;
	static uint8_t data[1024];

	for (uint32_t i = 0; i < IP_REASM_FRAGS_MAX; i++)
		frag_in(t, NT_T0, 7, data, i * 8, 8, true);
	assert_int_equal(NT_CTR(t, IpReasmFails), 0);
	frag_in(t, NT_T0, 7, data, IP_REASM_FRAGS_MAX * 8, 8, true);
	assert_int_equal(NT_CTR(t, IpReasmFails), 1);
	assert_int_equal(t->s->net.reasm_bytes, 0);
}

static void test_malformed_fragments(void **state)
{
	struct nt *t = *state;
	static uint8_t data[65536 + 64];

	/* a middle fragment that is not a multiple of 8 */
	frag_in(t, NT_T0, 8, data, 0, 100, true);
	assert_int_equal(NT_CTR(t, IpReasmFails), 1);
	/* beyond 65535 bytes ("ping of death") */
	frag_in(t, NT_T0, 8, data, 65528, 8, false);
	assert_int_equal(NT_CTR(t, IpReasmFails), 2);
	/* an empty fragment */
	frag_in(t, NT_T0, 8, data, 8, 0, true);
	assert_int_equal(NT_CTR(t, IpReasmFails), 3);
	/* two different last fragments */
	frag_in(t, NT_T0, 9, data, 800, 80, false);
	frag_in(t, NT_T0, 9, data, 800, 88, false);
	assert_int_equal(NT_CTR(t, IpReasmFails), 4);
	/* data beyond the known end */
	frag_in(t, NT_T0, 10, data, 800, 80, false);
	frag_in(t, NT_T0, 10, data, 880, 8, true);
	assert_int_equal(NT_CTR(t, IpReasmFails), 5);
	/* a last fragment ending before data we hold */
	frag_in(t, NT_T0, 11, data, 800, 80, true);
	frag_in(t, NT_T0, 11, data, 400, 80, false);
	assert_int_equal(NT_CTR(t, IpReasmFails), 6);
	assert_int_equal(t->s->net.reasm_bytes, 0);
	assert_int_equal(stack_poll_at(t->s), STACK_TIME_NEVER);
	assert_int_equal(t->nframes, 0);
}

static void test_unknown_proto_after_reassembly(void **state)
{
	struct nt *t = *state;
	static uint8_t f[2048], data[2000];
	size_t n;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 99, 12, 0x2000, data, 1480);
	nt_input(t, NT_T0, f, n);
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 99, 12, 185, data + 1480, 520);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, IpReasmOKs), 1);
	assert_int_equal(NT_CTR(t, IpInUnknownProtos), 1);
	/* the unreachable quotes the reassembled datagram's header: not a fragment any more */
	assert_int_equal(t->nframes, 1);
	assert_int_equal(t->frames[0].data[34], 3);
	assert_int_equal(wire_get16(t->frames[0].data + 42 + 2), 2020);
	assert_int_equal(wire_get16(t->frames[0].data + 42 + 6), 0);
	assert_int_equal(csum_buf(t->frames[0].data + 42, 20), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup_seeded, nt_teardown)
		T(test_in_order),
		T(test_out_of_order_with_duplicates),
		T(test_interleaved_datagrams),
		T(test_overlap_drops_datagram),
		T(test_timeout_sends_time_exceeded),
		T(test_timeout_without_first_fragment),
		T(test_slots_evict_oldest),
		T(test_memory_cap),
		T(test_fragment_count_cap),
		T(test_malformed_fragments),
		T(test_unknown_proto_after_reassembly),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
