/* SPDX-License-Identifier: MIT */
/*
 * fuzz-tcp-wire.c - libFuzzer target for tcp/tcp_wire.c (RFC 9293 §3.1 header,
 * RFC 7323 / RFC 2018 options): parse arbitrary bytes; when that succeeds,
 * write the segment back, parse it again and require the same header fields
 * and options (SACK blocks may be cut to what fits beside the other options
 * in 40 bytes; the writer must say so through tcp_wire_opts_len()). Also runs
 * the checksum helpers over the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tcp/tcp_wire.h"

#define CHECK(x)                 \
	do {                     \
		if (!(x))        \
			abort(); \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_same(const struct tcp_seg *a, const struct tcp_seg *b, size_t hl)
{
	const struct tcp_opts *x = &a->opt, *y = &b->opt;

	CHECK(b->hlen == hl && b->len == 0);
	CHECK(a->sport == b->sport && a->dport == b->dport && a->seq == b->seq &&
	      a->ack == b->ack && a->flags == b->flags && a->wnd == b->wnd && a->urp == b->urp);
	CHECK(x->has_mss == y->has_mss && (!x->has_mss || x->mss == y->mss));
	CHECK(x->wscale == y->wscale && x->wscale <= 14);
	CHECK(x->sack_ok == y->sack_ok);
	CHECK(x->has_ts == y->has_ts &&
	      (!x->has_ts || (x->tsval == y->tsval && x->tsecr == y->tsecr)));
	CHECK(y->nsack <= x->nsack);
	for (uint8_t i = 0; i < y->nsack; i++)
		CHECK(x->sack[i].left == y->sack[i].left && x->sack[i].right == y->sack[i].right);
	/* a block is only dropped when one more would not fit */
	if (y->nsack < x->nsack) {
		struct tcp_opts more = *y;

		more.nsack++;
		more.sack[y->nsack] = x->sack[y->nsack];
		CHECK(tcp_wire_opts_len(&more) == tcp_wire_opts_len(y));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcp_seg seg, again;
	uint8_t buf[TCP_HDR_MAX];
	size_t hl;

	if (tcp_wire_parse(data, size, &seg) < 0)
		return 0;
	CHECK(seg.hlen >= TCP_HDR_MIN && seg.hlen <= TCP_HDR_MAX && seg.hlen % 4 == 0);
	CHECK(seg.payload == data + seg.hlen && seg.hlen + (size_t)seg.len == size);
	CHECK(seg.opt.nsack <= TCP_SACK_MAX_BLOCKS);
	hl = tcp_wire_write(buf, &seg);
	CHECK(hl == TCP_HDR_MIN + tcp_wire_opts_len(&seg.opt) && hl <= TCP_HDR_MAX && hl % 4 == 0);
	CHECK(tcp_wire_parse(buf, hl, &again) == 0);
	check_same(&seg, &again, hl);
	/* the checksum of what we wrote verifies, and a partial one completes to it */
	if (size <= 65535) {
		uint8_t *copy = malloc(size);

		if (copy) {
			memcpy(copy, data, size);
			tcp_wire_set_csum(copy, size, 0x0a000001, 0x0a000002);
			CHECK(tcp_wire_csum_ok(copy, size, 0x0a000001, 0x0a000002));
			free(copy);
		}
	}
	return 0;
}
