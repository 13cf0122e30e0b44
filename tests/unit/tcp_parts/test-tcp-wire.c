/* SPDX-License-Identifier: MIT */
/*
 * test-tcp-wire.c - unit tests of tcp/tcp_wire.c: header and option parsing
 * (RFC 9293 §3.1-3.2, RFC 7323, RFC 2018) including every malformed case,
 * Linux-ordered option writing, and the checksum against a SYN captured from
 * the Linux kernel.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tcp/tcp_wire.h"

/* A SYN sent by Linux 6.x from 10.9.0.1:33006 to 10.9.0.2:8080, read from a
 * TUN device (no offload, so the kernel computed the full checksum). */
static const uint8_t linux_syn_ip[] = {
	0x45, 0x00, 0x00, 0x3c, 0x09, 0xe4, 0x40, 0x00, 0x40, 0x06, 0x1c, 0xc4, 0x0a, 0x09, 0x00,
	0x01, 0x0a, 0x09, 0x00, 0x02, 0x80, 0xee, 0x1f, 0x90, 0x81, 0x47, 0x9a, 0x0c, 0x00, 0x00,
	0x00, 0x00, 0xa0, 0x02, 0xfa, 0xf0, 0xa2, 0x62, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04,
	0x02, 0x08, 0x0a, 0x1b, 0x2f, 0xbf, 0x93, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0a,
};
#define SYN_SRC 0x0a090001u
#define SYN_DST 0x0a090002u
#define SYN_TCP (linux_syn_ip + 20)
#define SYN_LEN (sizeof(linux_syn_ip) - 20)

/* RFC 1071 written out the slow way, independent of csum.c. */
static uint16_t naive_tcp_csum(const uint8_t *seg, size_t len, uint32_t src, uint32_t dst)
{
	uint8_t buf[2048];
	uint32_t sum = 0;
	size_t n = 0;

	buf[n++] = (uint8_t)(src >> 24), buf[n++] = (uint8_t)(src >> 16);
	buf[n++] = (uint8_t)(src >> 8), buf[n++] = (uint8_t)src;
	buf[n++] = (uint8_t)(dst >> 24), buf[n++] = (uint8_t)(dst >> 16);
	buf[n++] = (uint8_t)(dst >> 8), buf[n++] = (uint8_t)dst;
	buf[n++] = 0, buf[n++] = 6;
	buf[n++] = (uint8_t)(len >> 8), buf[n++] = (uint8_t)len;
	memcpy(buf + n, seg, len);
	n += len;
	if (n & 1)
		buf[n++] = 0;
	for (size_t i = 0; i < n; i += 2) {
		sum += (uint32_t)buf[i] << 8 | buf[i + 1];
		if (sum > 0xffff)
			sum = (sum & 0xffff) + 1;
	}
	return (uint16_t)~sum;
}

static void test_parse_linux_syn(void **state)
{
	struct tcp_seg s;

	assert_int_equal(tcp_wire_parse(SYN_TCP, SYN_LEN, &s), 0);
	assert_int_equal(s.sport, 33006);
	assert_int_equal(s.dport, 8080);
	assert_int_equal(s.seq, 0x81479a0c);
	assert_int_equal(s.ack, 0);
	assert_int_equal(s.flags, TCP_FLAG_SYN);
	assert_int_equal(s.wnd, 64240);
	assert_int_equal(s.hlen, 40);
	assert_int_equal(s.len, 0);
	assert_ptr_equal(s.payload, SYN_TCP + 40);
	assert_true(s.opt.has_mss);
	assert_int_equal(s.opt.mss, 1460);
	assert_true(s.opt.sack_ok);
	assert_true(s.opt.has_ts);
	assert_int_equal(s.opt.tsval, 0x1b2fbf93);
	assert_int_equal(s.opt.tsecr, 0);
	assert_int_equal(s.opt.wscale, 10);
	assert_int_equal(s.opt.nsack, 0);
	assert_int_equal(tcp_seg_len(&s), 1);
}

/* Writing the parsed SYN gives back Linux's exact bytes (same option order). */
static void test_write_linux_syn(void **state)
{
	struct tcp_seg s;
	uint8_t out[TCP_HDR_MAX];
	size_t hl;

	assert_int_equal(tcp_wire_parse(SYN_TCP, SYN_LEN, &s), 0);
	assert_int_equal(tcp_wire_opts_len(&s.opt), 20);
	hl = tcp_wire_write(out, &s);
	assert_int_equal(hl, 40);
	assert_int_equal(out[16], 0);
	assert_int_equal(out[17], 0);
	out[16] = SYN_TCP[16];
	out[17] = SYN_TCP[17];
	assert_memory_equal(out, SYN_TCP, 40);
}

static void test_csum_linux_syn(void **state)
{
	uint8_t seg[SYN_LEN];

	assert_int_equal(naive_tcp_csum(SYN_TCP, SYN_LEN, SYN_SRC, SYN_DST), 0);
	assert_true(tcp_wire_csum_ok(SYN_TCP, SYN_LEN, SYN_SRC, SYN_DST));
	assert_false(tcp_wire_csum_ok(SYN_TCP, SYN_LEN, SYN_SRC, SYN_DST + 1));
	memcpy(seg, SYN_TCP, SYN_LEN);
	seg[16] = seg[17] = 0xee;
	assert_false(tcp_wire_csum_ok(seg, SYN_LEN, SYN_SRC, SYN_DST));
	tcp_wire_set_csum(seg, SYN_LEN, SYN_SRC, SYN_DST);
	assert_int_equal(seg[16], 0xa2);
	assert_int_equal(seg[17], 0x62);
	assert_memory_equal(seg, SYN_TCP, SYN_LEN);
}

/* Odd-length payloads and a flipped bit, against the independent checksum. */
static void test_csum_payloads(void **state)
{
	uint8_t seg[20 + 301];
	struct tcp_seg s = { .sport = 80,
			     .dport = 5555,
			     .seq = 1,
			     .ack = 2,
			     .flags = TCP_FLAG_ACK | TCP_FLAG_PSH,
			     .wnd = 100 };

	s.opt.wscale = -1;
	for (size_t plen = 0; plen <= 301; plen += 7) {
		size_t hl = tcp_wire_write(seg, &s);

		for (size_t i = 0; i < plen; i++)
			seg[hl + i] = (uint8_t)(i * 37 + plen);
		tcp_wire_set_csum(seg, hl + plen, 0xc0a80001, 0xc0a800fe);
		assert_true(tcp_wire_csum_ok(seg, hl + plen, 0xc0a80001, 0xc0a800fe));
		assert_int_equal(naive_tcp_csum(seg, hl + plen, 0xc0a80001, 0xc0a800fe), 0);
		if (plen) {
			seg[hl + plen - 1] ^= 0x10;
			assert_false(tcp_wire_csum_ok(seg, hl + plen, 0xc0a80001, 0xc0a800fe));
		}
	}
}

/* The partial sum plus the link's completion equals the full checksum. */
static void test_csum_partial(void **state)
{
	uint8_t seg[SYN_LEN];
	uint32_t sum = 0;
	uint16_t pseudo_only;

	memcpy(seg, SYN_TCP, SYN_LEN);
	tcp_wire_set_csum_partial(seg, SYN_LEN, SYN_SRC, SYN_DST);
	/* stored value = ~(checksum of the pseudo-header over an all-zero segment) */
	{
		uint8_t zero[SYN_LEN];

		memset(zero, 0, sizeof(zero));
		pseudo_only = naive_tcp_csum(zero, SYN_LEN, SYN_SRC, SYN_DST);
	}
	assert_int_equal((uint16_t)(seg[16] << 8 | seg[17]), (uint16_t)~pseudo_only);
	/* what a virtio device does: sum from csum_start to the end, complement, store */
	for (size_t i = 0; i < SYN_LEN; i += 2) {
		sum += (uint32_t)seg[i] << 8 | seg[i + 1];
		if (sum > 0xffff)
			sum = (sum & 0xffff) + 1;
	}
	seg[16] = (uint8_t)(~sum >> 8);
	seg[17] = (uint8_t)~sum;
	assert_memory_equal(seg, SYN_TCP, SYN_LEN);
}

static size_t build(uint8_t *buf, const uint8_t *opts, size_t olen, size_t payload)
{
	size_t hl = 20 + olen;

	memset(buf, 0, 20);
	buf[12] = (uint8_t)((hl / 4) << 4);
	buf[13] = TCP_FLAG_ACK;
	if (olen)
		memcpy(buf + 20, opts, olen);
	memset(buf + hl, 0x5a, payload);
	return hl + payload;
}

static void test_parse_truncated(void **state)
{
	uint8_t buf[80];
	struct tcp_seg s;
	size_t n = build(buf, NULL, 0, 0);

	assert_int_equal(tcp_wire_parse(buf, n, &s), 0);
	for (size_t len = 0; len < 20; len++)
		assert_int_equal(tcp_wire_parse(buf, len, &s), -EBADMSG);
	assert_int_equal(tcp_wire_parse(NULL, 0, &s), -EBADMSG);
	/* data offsets below 5 */
	for (uint8_t doff = 0; doff < 5; doff++) {
		buf[12] = (uint8_t)(doff << 4);
		assert_int_equal(tcp_wire_parse(buf, 40, &s), -EBADMSG);
	}
	/* data offset past the buffer */
	buf[12] = 6 << 4;
	assert_int_equal(tcp_wire_parse(buf, 23, &s), -EBADMSG);
	buf[12] = 15 << 4;
	assert_int_equal(tcp_wire_parse(buf, 59, &s), -EBADMSG);
	memset(buf + 20, 1, 40); /* NOPs */
	assert_int_equal(tcp_wire_parse(buf, 60, &s), 0);
	assert_int_equal(s.hlen, 60);
	assert_int_equal(s.len, 0);
	assert_int_equal(tcp_wire_parse(buf, 70, &s), 0);
	assert_int_equal(s.len, 10);
	/* the low nibble of byte 12 (reserved bits) does not change the header length */
	buf[12] = 5 << 4 | 0x0f;
	assert_int_equal(tcp_wire_parse(buf, 20, &s), 0);
	assert_int_equal(s.hlen, 20);
}

struct bad_case {
	const char *what;
	uint8_t opts[40];
	size_t len;
};

static void test_parse_malformed(void **state)
{
	static const struct bad_case bad[] = {
		{ "mss kind without length", { 1, 1, 1, 2 }, 4 },
		{ "length 0", { 30, 0, 1, 1 }, 4 },
		{ "length 1", { 30, 1, 1, 1 }, 4 },
		{ "length past header", { 30, 5, 0, 0 }, 4 },
		{ "mss short", { 2, 3, 5, 1 }, 4 },
		{ "mss long", { 2, 5, 5, 0xb4, 0, 0, 0, 0 }, 8 },
		{ "mss truncated", { 1, 1, 2, 4 }, 4 },
		{ "ws len 2", { 3, 2, 1, 1 }, 4 },
		{ "ws len 4", { 3, 4, 7, 0 }, 4 },
		{ "sackok len 3", { 4, 3, 0, 1 }, 4 },
		{ "sackok len 4", { 4, 4, 0, 0 }, 4 },
		{ "sack empty", { 5, 2, 1, 1 }, 4 },
		{ "sack len 9", { 5, 9 }, 12 },
		{ "sack len 11", { 5, 11 }, 12 },
		{ "sack len 18 in 16", { 1, 1, 5, 18 }, 16 },
		{ "ts len 8", { 8, 8 }, 8 },
		{ "ts len 12", { 8, 12 }, 12 },
		{ "ts truncated", { 1, 1, 8, 10, 0, 0, 0, 0 }, 8 },
		{ "good then bad", { 2, 4, 5, 0xb4, 8, 9 }, 12 },
		{ "kind at last byte", { 1, 1, 1, 8 }, 4 },
	};
	uint8_t buf[80];
	struct tcp_seg s;

	s.sport = 0x1234;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = build(buf, bad[i].opts, bad[i].len, 4);
		int r = tcp_wire_parse(buf, n, &s);

		if (r != -EBADMSG)
			fail_msg("case '%s': got %d", bad[i].what, r);
		/* the output is untouched on failure */
		assert_int_equal(s.sport, 0x1234);
	}
}

static void test_parse_lenient(void **state)
{
	uint8_t buf[80];
	struct tcp_seg s;
	/* unknown kinds skipped; EOL stops parsing (garbage after it ignored) */
	static const uint8_t o1[] = { 30, 6, 9, 9, 9, 9, 3, 3, 15, 0, 0xff, 0xff };
	static const uint8_t o2[] = { 1, 1,  8, 10, 0, 0,  0, 1, 0, 0,	0, 2,
				      5, 10, 0, 0,  0, 10, 0, 0, 0, 20, 0, 0 };
	static const uint8_t o3[] = { 5, 34, 0, 0, 0,	 1,    0,    0,	   0, 2, 0, 0, 0,
				      3, 0,  0, 0, 4,	 0,    0,    0,	   5, 0, 0, 0, 6,
				      0, 0,  0, 7, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	size_t n;

	n = build(buf, o1, sizeof(o1), 3);
	assert_int_equal(tcp_wire_parse(buf, n, &s), 0);
	assert_int_equal(s.opt.wscale, 14); /* 15 clamped (RFC 7323 §2.3) */
	assert_false(s.opt.has_mss);
	assert_false(s.opt.has_ts);
	assert_int_equal(s.len, 3);

	n = build(buf, o2, sizeof(o2), 0);
	assert_int_equal(tcp_wire_parse(buf, n, &s), 0);
	assert_true(s.opt.has_ts);
	assert_int_equal(s.opt.tsval, 1);
	assert_int_equal(s.opt.tsecr, 2);
	assert_int_equal(s.opt.nsack, 1);
	assert_int_equal(s.opt.sack[0].left, 10);
	assert_int_equal(s.opt.sack[0].right, 20);
	assert_int_equal(s.opt.wscale, -1);

	n = build(buf, o3, sizeof(o3), 0);
	assert_int_equal(tcp_wire_parse(buf, n, &s), 0);
	assert_int_equal(s.opt.nsack, 4);
	assert_int_equal(s.opt.sack[3].left, 7);
	assert_int_equal(s.opt.sack[3].right, 0xffffffffu);
}

static void roundtrip(const struct tcp_seg *in, size_t expect_hlen, uint8_t expect_nsack)
{
	uint8_t buf[TCP_HDR_MAX + 8];
	struct tcp_seg out;
	size_t hl = tcp_wire_write(buf, in);

	assert_int_equal(hl, expect_hlen);
	assert_int_equal(hl % 4, 0);
	assert_int_equal(tcp_wire_parse(buf, hl, &out), 0);
	assert_int_equal(out.hlen, hl);
	assert_int_equal(out.sport, in->sport);
	assert_int_equal(out.dport, in->dport);
	assert_int_equal(out.seq, in->seq);
	assert_int_equal(out.ack, in->ack);
	assert_int_equal(out.flags, in->flags);
	assert_int_equal(out.wnd, in->wnd);
	assert_int_equal(out.urp, in->urp);
	assert_int_equal(out.opt.has_mss, in->opt.has_mss);
	if (in->opt.has_mss)
		assert_int_equal(out.opt.mss, in->opt.mss);
	assert_int_equal(out.opt.wscale, in->opt.wscale > 14 ? 14 : in->opt.wscale);
	assert_int_equal(out.opt.sack_ok, in->opt.sack_ok);
	assert_int_equal(out.opt.has_ts, in->opt.has_ts);
	if (in->opt.has_ts) {
		assert_int_equal(out.opt.tsval, in->opt.tsval);
		assert_int_equal(out.opt.tsecr, in->opt.tsecr);
	}
	assert_int_equal(out.opt.nsack, expect_nsack);
	for (uint8_t i = 0; i < expect_nsack; i++) {
		assert_int_equal(out.opt.sack[i].left, in->opt.sack[i].left);
		assert_int_equal(out.opt.sack[i].right, in->opt.sack[i].right);
	}
}

static void test_write_roundtrip(void **state)
{
	struct tcp_seg s = { .sport = 1,
			     .dport = 65535,
			     .seq = 0xfffffff0,
			     .ack = 7,
			     .flags = 0xff,
			     .wnd = 0xabcd,
			     .urp = 0x1234 };

	s.opt.wscale = -1;
	roundtrip(&s, 20, 0);
	/* every combination of the SYN options */
	for (int m = 0; m < 16; m++) {
		s.opt.has_mss = m & 1;
		s.opt.mss = 1460;
		s.opt.sack_ok = m & 2;
		s.opt.has_ts = m & 4;
		s.opt.tsval = 0x01020304;
		s.opt.tsecr = 0xa0b0c0d0;
		s.opt.wscale = (m & 8) ? 7 : -1;
		roundtrip(&s,
			  20 + 4 * !!(m & 1) +
				  ((m & 4)   ? 12
				   : (m & 2) ? 4
					     : 0) +
				  4 * !!(m & 8),
			  0);
	}
	s.opt.wscale = 20;
	roundtrip(&s, 40, 0);
	/* SACK blocks: 4 fit alone, 3 beside timestamps, fewer beside more */
	memset(&s.opt, 0, sizeof(s.opt));
	s.opt.wscale = -1;
	for (int i = 0; i < 4; i++) {
		s.opt.sack[i].left = 1000u * (uint32_t)i - 5;
		s.opt.sack[i].right = 1000u * (uint32_t)i + 500;
	}
	for (uint8_t n = 1; n <= 4; n++) {
		s.opt.nsack = n;
		roundtrip(&s, 20 + 4 + 8u * n, n);
	}
	s.opt.has_ts = true;
	roundtrip(&s, 20 + 12 + 4 + 24, 3);
	s.opt.has_mss = true;
	roundtrip(&s, 20 + 4 + 12 + 4 + 16, 2);
	s.opt.wscale = 3;
	s.opt.sack_ok = true;
	roundtrip(&s, 20 + 4 + 12 + 4 + 4 + 16, 2); /* SACK-permitted rides with TS */
	s.opt.nsack = 200; /* out of range in the struct: treated as the maximum */
	assert_int_equal(tcp_wire_opts_len(&s.opt), 40);
}

/* The exact bytes of a data segment's options: NOP NOP TS NOP NOP SACK. */
static void test_write_data_layout(void **state)
{
	static const uint8_t want[] = { 1, 1, 8, 10, 0, 0, 0,	 9, 0, 0, 0,	8,
					1, 1, 5, 10, 0, 0, 0x10, 0, 0, 0, 0x20, 0 };
	struct tcp_seg s = { .flags = TCP_FLAG_ACK };
	uint8_t buf[TCP_HDR_MAX];

	s.opt.wscale = -1;
	s.opt.has_ts = true;
	s.opt.tsval = 9;
	s.opt.tsecr = 8;
	s.opt.nsack = 1;
	s.opt.sack[0].left = 0x1000;
	s.opt.sack[0].right = 0x2000;
	assert_int_equal(tcp_wire_write(buf, &s), 20 + sizeof(want));
	assert_int_equal(buf[12], (20 + sizeof(want)) / 4 << 4);
	assert_memory_equal(buf + 20, want, sizeof(want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_linux_syn), cmocka_unit_test(test_write_linux_syn),
		cmocka_unit_test(test_csum_linux_syn),	cmocka_unit_test(test_csum_payloads),
		cmocka_unit_test(test_csum_partial),	cmocka_unit_test(test_parse_truncated),
		cmocka_unit_test(test_parse_malformed), cmocka_unit_test(test_parse_lenient),
		cmocka_unit_test(test_write_roundtrip), cmocka_unit_test(test_write_data_layout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
