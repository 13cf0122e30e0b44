/* SPDX-License-Identifier: MIT */
/*
 * test-vnet.c - virtio-net header <-> struct stack_frame_meta (daemon/link/vnet.c):
 * flags, checksum offsets, GSO types, bounds, and a round trip.
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "vnet.h"

static size_t put_hdr(uint8_t *buf, const struct virtio_net_hdr *h, size_t frame_len)
{
	memcpy(buf, h, sizeof(*h));
	memset(buf + sizeof(*h), 0xab, frame_len);
	return sizeof(*h) + frame_len;
}

static void test_plain(void **state)
{
	struct virtio_net_hdr h = { 0 };
	struct stack_frame_meta m;
	uint8_t buf[128];
	size_t n = put_hdr(buf, &h, 60);

	memset(&m, 0xff, sizeof(m));
	assert_int_equal(vnet_hdr_parse(buf, n, &m), VNET_HDR_LEN);
	assert_false(m.csum_valid);
	assert_false(m.csum_partial);
	assert_int_equal(m.gso_type, STACK_GSO_NONE);
}

static void test_data_valid(void **state)
{
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	struct stack_frame_meta m;
	uint8_t buf[128];
	size_t n = put_hdr(buf, &h, 60);

	assert_int_equal(vnet_hdr_parse(buf, n, &m), VNET_HDR_LEN);
	assert_true(m.csum_valid);
	assert_false(m.csum_partial);
}

static void test_needs_csum(void **state)
{
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = 34,
		.csum_offset = 16,
	};
	struct stack_frame_meta m;
	uint8_t buf[128];
	size_t n = put_hdr(buf, &h, 54);

	assert_int_equal(vnet_hdr_parse(buf, n, &m), VNET_HDR_LEN);
	assert_true(m.csum_partial);
	assert_int_equal(m.csum_start, 34);
	assert_int_equal(m.csum_offset, 16);
}

static void test_needs_csum_out_of_frame(void **state)
{
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.csum_start = 34,
		.csum_offset = 16,
	};
	struct stack_frame_meta m = { 0 };
	uint8_t buf[128];
	/* the checksum field would end at 52: a 51-byte frame cannot hold it */
	size_t n = put_hdr(buf, &h, 51);

	assert_int_equal(vnet_hdr_parse(buf, n, &m), -EINVAL);
	n = put_hdr(buf, &h, 52);
	assert_int_equal(vnet_hdr_parse(buf, n, &m), VNET_HDR_LEN);
}

static void test_gso_tcpv4(void **state)
{
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN,
		.gso_size = 1448,
		.hdr_len = 66,
		.csum_start = 34,
		.csum_offset = 16,
	};
	struct stack_frame_meta m;
	static uint8_t buf[70000];
	size_t n = put_hdr(buf, &h, 65000);

	assert_int_equal(vnet_hdr_parse(buf, n, &m), VNET_HDR_LEN);
	assert_int_equal(m.gso_type, STACK_GSO_TCPV4);
	assert_int_equal(m.gso_size, 1448);
	assert_int_equal(m.hdr_len, 66);
}

static void test_gso_bad(void **state)
{
	struct virtio_net_hdr h = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 0 };
	struct stack_frame_meta m;
	uint8_t buf[128];
	size_t n = put_hdr(buf, &h, 100);

	assert_int_equal(vnet_hdr_parse(buf, n, &m), -EINVAL);
	h.gso_size = 1448;
	h.hdr_len = 101; /* headers longer than the frame */
	n = put_hdr(buf, &h, 100);
	assert_int_equal(vnet_hdr_parse(buf, n, &m), -EINVAL);
	h.hdr_len = 54;
	h.gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	n = put_hdr(buf, &h, 100);
	assert_int_equal(vnet_hdr_parse(buf, n, &m), -EPROTONOSUPPORT);
	h.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	n = put_hdr(buf, &h, 100);
	assert_int_equal(vnet_hdr_parse(buf, n, &m), -EPROTONOSUPPORT);
}

static void test_short(void **state)
{
	struct stack_frame_meta m;
	uint8_t buf[VNET_HDR_LEN] = { 0 };

	assert_int_equal(vnet_hdr_parse(buf, VNET_HDR_LEN - 1, &m), -EINVAL);
	assert_int_equal(vnet_hdr_parse(buf, 0, &m), -EINVAL);
	/* a header and no frame is a valid (empty) header */
	assert_int_equal(vnet_hdr_parse(buf, VNET_HDR_LEN, &m), VNET_HDR_LEN);
}

static void test_build_plain(void **state)
{
	uint8_t out[VNET_HDR_LEN];
	uint8_t zero[VNET_HDR_LEN] = { 0 };

	memset(out, 0xff, sizeof(out));
	vnet_hdr_build(NULL, out);
	assert_memory_equal(out, zero, sizeof(out));
	{
		struct stack_frame_meta m = { .csum_valid = true };

		memset(out, 0xff, sizeof(out));
		vnet_hdr_build(&m, out); /* csum_valid means nothing on transmit */
		assert_memory_equal(out, zero, sizeof(out));
	}
}

static void test_build_round_trip(void **state)
{
	struct stack_frame_meta in = {
		.csum_partial = true,
		.csum_start = 34,
		.csum_offset = 16,
		.gso_type = STACK_GSO_TCPV4,
		.gso_size = 65483,
		.hdr_len = 66,
	};
	struct stack_frame_meta out;
	struct virtio_net_hdr h;
	static uint8_t buf[70000];

	vnet_hdr_build(&in, buf);
	memcpy(&h, buf, sizeof(h));
	assert_int_equal(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
	assert_int_equal(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4);
	memset(buf + VNET_HDR_LEN, 0, 65000);
	assert_int_equal(vnet_hdr_parse(buf, VNET_HDR_LEN + 65000, &out), VNET_HDR_LEN);
	assert_true(out.csum_partial);
	assert_int_equal(out.csum_start, in.csum_start);
	assert_int_equal(out.csum_offset, in.csum_offset);
	assert_int_equal(out.gso_type, in.gso_type);
	assert_int_equal(out.gso_size, in.gso_size);
	assert_int_equal(out.hdr_len, in.hdr_len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_data_valid),
		cmocka_unit_test(test_needs_csum),
		cmocka_unit_test(test_needs_csum_out_of_frame),
		cmocka_unit_test(test_gso_tcpv4),
		cmocka_unit_test(test_gso_bad),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_build_plain),
		cmocka_unit_test(test_build_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
