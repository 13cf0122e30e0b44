/* SPDX-License-Identifier: MIT */
/*
 * test-net-arp.c - Ethernet input filtering and ARP (RFC 826, RFC 5227
 * announcement, RFC 1122 §2.3.2 cache timeout and queueing): exact frames,
 * timers and counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "csum.h"
#include "net/arp.h"
#include "net_test.h"
#include "wire.h"

#define SEC 1000000ull

static const uint8_t other_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };

/* The peer asks who has 10.0.0.2; we learn it as a side effect. */
static void peer_asks(struct nt *t, stack_time_us now, const uint8_t *mac)
{
	uint8_t f[64];
	size_t n = nt_build_arp(f, nt_bcast_mac, mac, 1, mac, NT_PEER, NULL, NT_ADDR);

	nt_input(t, now, f, n);
}

static void peer_replies(struct nt *t, stack_time_us now, uint32_t spa, const uint8_t *mac)
{
	uint8_t f[64];
	size_t n = nt_build_arp(f, nt_mac, mac, 2, mac, spa, nt_mac, NT_ADDR);

	nt_input(t, now, f, n);
}

static void test_announce_at_init(void **state)
{
	struct nt *t = *state;
	static const uint8_t want[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
		10,   0,    0,	  2,	0,    0,    0,	  0,	0,    0,    10,	  0,	0,    2,
	};

	assert_int_equal(t->nframes, 1);
	assert_int_equal(nt_frame(t, 0)->len, sizeof(want));
	assert_memory_equal(nt_frame(t, 0)->data, want, sizeof(want));
	assert_int_equal(NT_CTR(t, SynackArpOutRequests), 1);
	/* an idle stack has nothing to do */
	assert_int_equal(stack_poll_at(t->s), STACK_TIME_NEVER);
}

static void test_reply_to_request(void **state)
{
	struct nt *t = *state;
	static const uint8_t want[42] = {
		0x02, 0x00, 0x00, 0x00, 0x00, 0x03, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 0x08, 0x06,
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00, 0x02,
		10,   0,    0,	  2,	0x02, 0x00, 0x00, 0x00, 0x00, 0x03, 10,	  0,	0,    3,
	};

	nt_clear(t);
	peer_asks(t, NT_T0, nt_peer_mac);
	assert_int_equal(t->nframes, 1);
	assert_memory_equal(nt_frame(t, 0)->data, want, sizeof(want));
	assert_int_equal(NT_CTR(t, SynackArpInRequests), 1);
	assert_int_equal(NT_CTR(t, SynackArpOutReplies), 1);

	/* the asker was learned: output goes straight out with its MAC */
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 1, NT_PEER, 10, 0xab, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_memory_equal(nt_frame(t, 0)->data, nt_peer_mac, 6);
	assert_memory_equal(nt_frame(t, 0)->data + 6, nt_mac, 6);
	assert_int_equal(wire_get16(nt_frame(t, 0)->data + 12), 0x0800);
}

static void test_request_for_other_ignored(void **state)
{
	struct nt *t = *state;
	uint8_t f[64];
	size_t n = nt_build_arp(f, nt_bcast_mac, nt_peer_mac, 1, nt_peer_mac, NT_PEER, NULL,
				0x0a000009);

	nt_clear(t);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(t->nframes, 0);
	assert_int_equal(NT_CTR(t, SynackArpInRequests), 1);
	/* not learned: talking to the peer needs a request */
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 10, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_true(nt_is_arp_request(nt_frame(t, 0), nt_bcast_mac, NT_PEER));
}

static void test_resolve_then_send_queued(void **state)
{
	struct nt *t = *state;
	const struct nt_frame *f;

	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 100, 0x11, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_true(nt_is_arp_request(nt_frame(t, 0), nt_bcast_mac, NT_PEER));
	assert_int_equal(stack_poll_at(t->s), NT_T0 + SEC);

	peer_replies(t, NT_T0 + 500, NT_PEER, nt_peer_mac);
	assert_int_equal(t->nframes, 2);
	f = nt_frame(t, 1);
	assert_int_equal(f->len, 14 + 20 + 100);
	assert_memory_equal(f->data, nt_peer_mac, 6);
	assert_int_equal(f->data[14], 0x45);
	assert_int_equal(nt_ip_dst(f), NT_PEER);
	assert_int_equal(f->data[34], 0x11);
	assert_int_equal(stack_poll_at(t->s), STACK_TIME_NEVER);
	assert_int_equal(NT_CTR(t, SynackArpInReplies), 1);
	assert_int_equal(NT_CTR(t, SynackArpQueueDrops), 0);
}

/*
 * A TCP segment whose payload is still in the send ring (stack_pkt.tail): one
 * that waits for ARP is a copy made whole at once, since the ring's bytes may
 * be gone by the answer; once resolved, a sink without emit_tail gets the
 * frame whole too.
 */
static int output_with_tail(struct nt *t, stack_time_us now, uint8_t *ring, uint8_t fill)
{
	static uint8_t buf[STACK_TXBUF_SIZE];
	struct stack_frame_tail tail = { { ring + 100, ring }, { 50, 100 } };
	struct stack_pkt p = nt_tcp_pkt(buf, 20 + 150);

	for (int i = 0; i < 150; i++)
		ring[i < 50 ? 100 + i : i - 50] = (uint8_t)(fill + i);
	memset(buf + STACK_L4_OFF, 0x20, 20); /* the "header" */
	p.tail = &tail;
	return ip4_output(t->s, now, &p);
}

static void check_tail_frame(const struct nt_frame *f, uint8_t fill)
{
	assert_int_equal(f->len, 14 + 20 + 20 + 150);
	assert_memory_equal(f->data, nt_peer_mac, 6);
	for (int i = 0; i < 20; i++)
		assert_int_equal(f->data[34 + i], 0x20);
	for (int i = 0; i < 150; i++)
		assert_int_equal(f->data[54 + i], (uint8_t)(fill + i));
}

static void test_queued_tail_made_whole(void **state)
{
	struct nt *t = *state;
	uint8_t ring[150];

	nt_clear(t);
	assert_int_equal(output_with_tail(t, NT_T0, ring, 1), 0);
	assert_int_equal(t->nframes, 1);
	assert_true(nt_is_arp_request(nt_frame(t, 0), nt_bcast_mac, NT_PEER));
	memset(ring, 0xee, sizeof(ring)); /* the ring moves on before the answer */
	peer_replies(t, NT_T0 + 500, NT_PEER, nt_peer_mac);
	assert_int_equal(t->nframes, 2);
	check_tail_frame(nt_frame(t, 1), 1);
	/* resolved: straight to the sink, made whole for one without emit_tail */
	assert_int_equal(output_with_tail(t, NT_T0 + 600, ring, 77), 0);
	assert_int_equal(t->nframes, 3);
	check_tail_frame(nt_frame(t, 2), 77);
	assert_int_equal(NT_CTR(t, SynackArpQueueDrops), 0);
}

static void test_retry_then_fail(void **state)
{
	struct nt *t = *state;

	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 10, 1, true), 0);
	assert_int_equal(nt_output(t, NT_T0 + 10, NT_PEER, 10, 2, true), 0);
	assert_int_equal(t->nframes, 1);
	/* nothing before the deadline */
	stack_poll(t->s, NT_T0 + SEC - 1);
	assert_int_equal(t->nframes, 1);
	stack_poll(t->s, NT_T0 + SEC);
	assert_int_equal(t->nframes, 2);
	assert_true(nt_is_arp_request(nt_frame(t, 1), nt_bcast_mac, NT_PEER));
	assert_int_equal(stack_poll_at(t->s), NT_T0 + 2 * SEC);
	stack_poll(t->s, NT_T0 + 2 * SEC);
	assert_int_equal(t->nframes, 3);
	assert_true(nt_is_arp_request(nt_frame(t, 2), nt_bcast_mac, NT_PEER));
	assert_int_equal(NT_CTR(t, SynackArpOutRequests), 4); /* with the announcement */
	assert_int_equal(stack_poll_at(t->s), NT_T0 + 3 * SEC);
	stack_poll(t->s, NT_T0 + 3 * SEC);
	assert_int_equal(t->nframes, 3);
	assert_int_equal(NT_CTR(t, SynackArpResolveFails), 1);
	assert_int_equal(NT_CTR(t, SynackArpQueueDrops), 2);
	assert_int_equal(stack_poll_at(t->s), STACK_TIME_NEVER);

	/* a late reply resolves nothing and is not learned */
	peer_replies(t, NT_T0 + 4 * SEC, NT_PEER, nt_peer_mac);
	assert_int_equal(t->nframes, 3);
	assert_int_equal(nt_output(t, NT_T0 + 4 * SEC, NT_PEER, 10, 3, true), 0);
	assert_int_equal(t->nframes, 4);
	assert_true(nt_is_arp_request(nt_frame(t, 3), nt_bcast_mac, NT_PEER));
}

static void test_queue_bound(void **state)
{
	struct nt *t = *state;

	nt_clear(t);
	for (int i = 0; i < 6; i++)
		assert_int_equal(nt_output(t, NT_T0, NT_PEER, 10, (uint8_t)i, true), 0);
	/* the two oldest made room */
	assert_int_equal(NT_CTR(t, SynackArpQueueDrops), 2);
	peer_replies(t, NT_T0 + 1, NT_PEER, nt_peer_mac);
	assert_int_equal(t->nframes, 1 + ARP_QUEUE_PER_ADDR);
	for (int i = 0; i < ARP_QUEUE_PER_ADDR; i++)
		assert_int_equal(nt_frame(t, 1 + (size_t)i)->data[34], 2 + i);
}

static void test_pending_limit(void **state)
{
	struct nt *t = *state;

	nt_clear(t);
	for (uint32_t i = 0; i < ARP_PENDING_MAX; i++)
		assert_int_equal(nt_output(t, NT_T0, 0x0a000010 + i, 10, 0, true), 0);
	assert_int_equal(t->nframes, ARP_PENDING_MAX);
	assert_int_equal(nt_output(t, NT_T0, 0x0a000010 + ARP_PENDING_MAX, 10, 0, true),
			 -EHOSTUNREACH);
	assert_int_equal(t->nframes, ARP_PENDING_MAX);
	assert_int_equal(NT_CTR(t, SynackArpQueueDrops), 1);
	/* all fail together after three tries, and their frames are dropped */
	for (int i = 1; i <= 3; i++)
		stack_poll(t->s, NT_T0 + (stack_time_us)i * SEC);
	assert_int_equal(NT_CTR(t, SynackArpResolveFails), ARP_PENDING_MAX);
	assert_int_equal(NT_CTR(t, SynackArpQueueDrops), 1 + ARP_PENDING_MAX);
}

static void test_global_byte_cap(void **state)
{
	struct nt *t = *state;
	static uint8_t buf[STACK_TXBUF_SIZE];
	struct stack_pkt p = { 0 };
	int r = 0, i;

	nt_clear(t);
	memset(buf, 0, sizeof(buf));
	buf[STACK_L4_OFF + 12] = 5 << 4;
	p.buf = buf;
	p.l4_len = 60000;
	p.proto = 6;
	p.dont_fragment = true;
	p.meta.gso_type = STACK_GSO_TCPV4;
	p.meta.gso_size = 1460;
	/* big GSO frames to several addresses until the global cap refuses one */
	for (i = 0; i < 8 && r == 0; i++) {
		p.dst = 0x0a000010 + (uint32_t)i;
		r = ip4_output(t->s, NT_T0, &p);
	}
	assert_int_equal(r, -ENOBUFS);
	assert_int_equal(i, ARP_QUEUE_BYTES_MAX / (14 + 20 + 60000) + 1);
	assert_int_equal(NT_CTR(t, SynackArpQueueDrops), 1);
	assert_true(t->s->net.arp_queued_bytes <= ARP_QUEUE_BYTES_MAX);
}

static void test_expiry_and_unicast_poll(void **state)
{
	struct nt *t = *state;

	peer_asks(t, NT_T0, nt_peer_mac);
	nt_clear(t);
	/* well inside the lifetime: no poll */
	assert_int_equal(nt_output(t, NT_T0 + 20 * SEC, NT_PEER, 10, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	/* within ARP_REFRESH_US of expiry: a unicast request, and the frame still goes */
	assert_int_equal(nt_output(t, NT_T0 + 26 * SEC, NT_PEER, 10, 0, true), 0);
	assert_int_equal(t->nframes, 3);
	assert_true(nt_is_arp_request(nt_frame(t, 1), nt_peer_mac, NT_PEER));
	assert_memory_equal(nt_frame(t, 2)->data, nt_peer_mac, 6);
	/* at most one poll a second */
	assert_int_equal(nt_output(t, NT_T0 + 26 * SEC + 1, NT_PEER, 10, 0, true), 0);
	assert_int_equal(t->nframes, 4);
	/* the lifetime is not a timer: nothing to poll */
	assert_int_equal(stack_poll_at(t->s), STACK_TIME_NEVER);
	/* unanswered: after 30 s the entry is gone and resolution starts again */
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 30 * SEC, NT_PEER, 10, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_true(nt_is_arp_request(nt_frame(t, 0), nt_bcast_mac, NT_PEER));
}

static void test_poll_answered_extends(void **state)
{
	struct nt *t = *state;

	peer_asks(t, NT_T0, nt_peer_mac);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 26 * SEC, NT_PEER, 10, 0, true), 0);
	assert_true(nt_is_arp_request(nt_frame(t, 0), nt_peer_mac, NT_PEER));
	/* the answer to the unicast poll restarts the 30 s */
	peer_replies(t, NT_T0 + 27 * SEC, NT_PEER, nt_peer_mac);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 40 * SEC, NT_PEER, 10, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_memory_equal(nt_frame(t, 0)->data, nt_peer_mac, 6);
	assert_int_equal(nt_output(t, NT_T0 + 57 * SEC, NT_PEER, 10, 0, true), 0);
	assert_true(nt_is_arp_request(nt_frame(t, 1), nt_bcast_mac, NT_PEER));
}

static void test_refresh_by_reply_and_traffic(void **state)
{
	struct nt *t = *state;
	uint8_t f[128], echo[64];
	size_t n;

	peer_asks(t, NT_T0, nt_peer_mac);
	/* IPv4 from the cached MAC and address confirms the entry at +20 s */
	n = nt_build_echo(echo, 1, 1, 8);
	echo[0] = 0; /* an echo reply: nothing is sent back */
	wire_put16(echo + 2, 0);
	wire_put16(echo + 2, csum_buf(echo, n));
	n = nt_build_ip(f, nt_peer_mac, NT_PEER, NT_ADDR, 1, 1, 0, echo, n);
	nt_input(t, NT_T0 + 20 * SEC, f, n);
	/* ... so at +40 s it is still valid (and far from expiry: no poll) */
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 40 * SEC, NT_PEER, 10, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_memory_equal(nt_frame(t, 0)->data, nt_peer_mac, 6);
	/* traffic from another MAC confirms nothing: gone at +50 s */
	n = nt_build_ip(f, other_mac, NT_PEER, NT_ADDR, 1, 2, 0, echo, 16);
	nt_input(t, NT_T0 + 45 * SEC, f, n);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 50 * SEC, NT_PEER, 10, 0, true), 0);
	assert_true(nt_is_arp_request(nt_frame(t, 0), nt_bcast_mac, NT_PEER));
}

static void test_merge_updates_mac(void **state)
{
	struct nt *t = *state;
	uint8_t f[64];
	size_t n;

	peer_asks(t, NT_T0, nt_peer_mac);
	/* a gratuitous ARP from the peer with a new MAC (target is not us) */
	n = nt_build_arp(f, nt_bcast_mac, other_mac, 1, other_mac, NT_PEER, NULL, NT_PEER);
	nt_clear(t);
	nt_input(t, NT_T0 + SEC, f, n);
	assert_int_equal(t->nframes, 0);
	assert_int_equal(nt_output(t, NT_T0 + SEC, NT_PEER, 10, 0, true), 0);
	assert_memory_equal(nt_frame(t, 0)->data, other_mac, 6);
}

static void test_unsolicited_reply_not_learned(void **state)
{
	struct nt *t = *state;

	peer_replies(t, NT_T0, NT_PEER, nt_peer_mac);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 10, 0, true), 0);
	assert_true(nt_is_arp_request(nt_frame(t, 0), nt_bcast_mac, NT_PEER));
}

static void test_bad_arp_counted(void **state)
{
	struct nt *t = *state;
	uint8_t f[64];
	size_t n =
		nt_build_arp(f, nt_bcast_mac, nt_peer_mac, 1, nt_peer_mac, NT_PEER, NULL, NT_ADDR);

	nt_clear(t);
	nt_input(t, NT_T0, f, n - 1); /* short */
	f[14 + 1] = 6;		      /* htype 6 */
	nt_input(t, NT_T0, f, n);
	f[14 + 1] = 1;
	f[14 + 7] = 3; /* op 3 */
	nt_input(t, NT_T0, f, n);
	f[14 + 7] = 1;
	f[14 + 8] = 0x01; /* multicast sender MAC */
	nt_input(t, NT_T0, f, n);
	f[14 + 8] = 0x02;
	wire_put32(f + 14 + 14, NT_ADDR); /* claims our address */
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, SynackArpInErrors), 5);
	assert_int_equal(t->nframes, 0);
}

static void test_probe_answered(void **state)
{
	struct nt *t = *state;
	uint8_t f[64];
	size_t n = nt_build_arp(f, nt_bcast_mac, nt_peer_mac, 1, nt_peer_mac, 0, NULL, NT_ADDR);
	const uint8_t *a;

	nt_clear(t);
	nt_input(t, NT_T0, f, n);
	assert_int_equal(t->nframes, 1);
	a = nt_frame(t, 0)->data + 14;
	assert_memory_equal(nt_frame(t, 0)->data, nt_peer_mac, 6);
	assert_int_equal(wire_get16(a + 6), 2);
	assert_int_equal(wire_get32(a + 14), NT_ADDR);
	assert_int_equal(wire_get32(a + 24), 0);
}

static void test_seed_permanent(void **state)
{
	struct nt *t = *state;
	uint8_t f[64];
	size_t n;

	nt_clear(t);
	/* a seed releases what waits for the address */
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 10, 0x42, true), 0);
	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_PEER, nt_peer_mac), 0);
	assert_int_equal(t->nframes, 2);
	assert_memory_equal(nt_frame(t, 1)->data, nt_peer_mac, 6);
	assert_int_equal(stack_poll_at(t->s), STACK_TIME_NEVER);
	/* ARP cannot overwrite it, and it never expires */
	n = nt_build_arp(f, nt_mac, other_mac, 2, other_mac, NT_PEER, nt_mac, NT_ADDR);
	nt_input(t, NT_T0 + SEC, f, n);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 100000 * SEC, NT_PEER, 10, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	assert_memory_equal(nt_frame(t, 0)->data, nt_peer_mac, 6);
	/* bad seeds */
	assert_int_equal(net_arp_seed(t->s, NT_T0, 0, nt_peer_mac), -EINVAL);
	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_ADDR, nt_peer_mac), -EINVAL);
	assert_int_equal(net_arp_seed(t->s, NT_T0, 0x0a0000ff, nt_peer_mac), -EINVAL);
	assert_int_equal(net_arp_seed(t->s, NT_T0, NT_GW, nt_bcast_mac), -EINVAL);
}

static void test_cache_full_evicts_lru(void **state)
{
	struct nt *t = *state;
	uint8_t f[64];
	size_t n;

	/* 64 hosts ask for us and are learned, one per microsecond */
	for (uint32_t i = 0; i < ARP_CACHE_SIZE; i++) {
		uint8_t mac[6] = { 0x02, 0, 0, 0, 1, (uint8_t)i };

		n = nt_build_arp(f, nt_bcast_mac, mac, 1, mac, 0x0a000040 + i, NULL, NT_ADDR);
		nt_input(t, NT_T0 + i, f, n);
	}
	/* use the first so the second is the least recently used */
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 100, 0x0a000040, 10, 0, true), 0);
	assert_int_equal(t->nframes, 1);
	peer_asks(t, NT_T0 + 200, nt_peer_mac);
	nt_clear(t);
	assert_int_equal(nt_output(t, NT_T0 + 300, NT_PEER, 10, 0, true), 0);
	assert_int_equal(nt_output(t, NT_T0 + 300, 0x0a000040, 10, 0, true), 0);
	assert_int_equal(t->nframes, 2);
	assert_int_equal(nt_output(t, NT_T0 + 300, 0x0a000041, 10, 0, true), 0);
	assert_true(nt_is_arp_request(nt_frame(t, 2), nt_bcast_mac, 0x0a000041));
}

static void test_eth_filter(void **state)
{
	struct nt *t = *state;
	uint8_t f[64];
	size_t n =
		nt_build_arp(f, nt_bcast_mac, nt_peer_mac, 1, nt_peer_mac, NT_PEER, NULL, NT_ADDR);

	nt_clear(t);
	nt_input(t, NT_T0, f, 13); /* runt */
	memcpy(f, other_mac, 6);   /* another host's unicast */
	nt_input(t, NT_T0, f, n);
	f[0] = 0x01; /* multicast */
	nt_input(t, NT_T0, f, n);
	memcpy(f, nt_mac, 6);
	wire_put16(f + 12, 0x86dd); /* IPv6 */
	nt_input(t, NT_T0, f, n);
	wire_put16(f + 12, 0x0806);
	f[6] = 0x01; /* group source MAC */
	nt_input(t, NT_T0, f, n);
	assert_int_equal(NT_CTR(t, SynackEthInFrames), 5);
	assert_int_equal(NT_CTR(t, SynackEthInDiscards), 5);
	assert_int_equal(t->nframes, 0);
	/* unicast to our MAC is accepted */
	f[6] = 0x02;
	nt_input(t, NT_T0, f, n);
	assert_int_equal(t->nframes, 1);
	assert_int_equal(NT_CTR(t, SynackEthInDiscards), 5);
}

static void test_sink_refusal_counted(void **state)
{
	struct nt *t = *state;

	peer_asks(t, NT_T0, nt_peer_mac);
	t->emit_result = -ENOBUFS;
	assert_int_equal(nt_output(t, NT_T0, NT_PEER, 10, 0, true), -ENOBUFS);
	assert_int_equal(NT_CTR(t, SynackEthOutDrops), 1);
	t->emit_result = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, nt_setup, nt_teardown)
		T(test_announce_at_init),
		T(test_reply_to_request),
		T(test_request_for_other_ignored),
		T(test_resolve_then_send_queued),
		T(test_queued_tail_made_whole),
		T(test_retry_then_fail),
		T(test_queue_bound),
		T(test_pending_limit),
		T(test_global_byte_cap),
		T(test_expiry_and_unicast_poll),
		T(test_poll_answered_extends),
		T(test_refresh_by_reply_and_traffic),
		T(test_merge_updates_mac),
		T(test_unsolicited_reply_not_learned),
		T(test_bad_arp_counted),
		T(test_probe_answered),
		T(test_seed_permanent),
		T(test_cache_full_evicts_lru),
		T(test_eth_filter),
		T(test_sink_refusal_counted),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
