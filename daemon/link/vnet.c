/* SPDX-License-Identifier: MIT */
/*
 * vnet.c - virtio-net header <-> struct stack_frame_meta (see vnet.h).
 *
 * Receive: DATA_VALID means the kernel verified the checksum; NEEDS_CSUM
 * means the frame carries a partial (pseudo-header only) checksum, which
 * is as good as valid for a frame that never crossed a wire; a GSO type
 * means the frame is a TCPv4 super-frame the kernel did not segment
 * because we accept TSO4 (TUNSETOFFLOAD).
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <string.h>

#include "vnet.h"

_Static_assert(sizeof(struct virtio_net_hdr) == VNET_HDR_LEN, "legacy virtio-net header");

int vnet_hdr_parse(const uint8_t *buf, size_t len, struct stack_frame_meta *ret)
{
	struct stack_frame_meta m = { 0 };
	struct virtio_net_hdr h;
	size_t frame_len;

	if (len < VNET_HDR_LEN)
		return -EINVAL;
	memcpy(&h, buf, sizeof(h));
	frame_len = len - VNET_HDR_LEN;

	if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID)
		m.csum_valid = true;
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if ((size_t)h.csum_start + h.csum_offset + 2 > frame_len)
			return -EINVAL;
		m.csum_partial = true;
		m.csum_start = h.csum_start;
		m.csum_offset = h.csum_offset;
	}
	switch (h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
		break;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (h.gso_size == 0 || h.hdr_len > frame_len)
			return -EINVAL;
		m.gso_type = STACK_GSO_TCPV4;
		m.gso_size = h.gso_size;
		m.hdr_len = h.hdr_len;
		break;
	default:
		return -EPROTONOSUPPORT;
	}
	*ret = m;
	return VNET_HDR_LEN;
}

void vnet_hdr_build(const struct stack_frame_meta *meta, uint8_t out[VNET_HDR_LEN])
{
	struct virtio_net_hdr h = { 0 };

	if (meta && meta->csum_partial) {
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.csum_start = meta->csum_start;
		h.csum_offset = meta->csum_offset;
	}
	if (meta && meta->gso_type == STACK_GSO_TCPV4) {
		h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		h.gso_size = meta->gso_size;
		h.hdr_len = meta->hdr_len;
	}
	memcpy(out, &h, sizeof(h));
}
