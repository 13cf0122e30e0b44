/* SPDX-License-Identifier: MIT */
/*
 * vnet.h - the virtio-net header that prefixes every frame on a TAP opened
 * with IFF_VNET_HDR, translated to and from the core's struct
 * stack_frame_meta.
 *
 * We use the 10-byte legacy struct virtio_net_hdr (no num_buffers field:
 * a TAP never merges receive buffers) in host byte order, which is the
 * TAP's default (TUNSETVNETHDRSZ 10, no TUNSETVNETLE/BE), so nothing
 * depends on the host's endianness.
 */
#ifndef SYNACKD_VNET_H
#define SYNACKD_VNET_H

#include <stddef.h>
#include <stdint.h>

#include "stack.h"

#define VNET_HDR_LEN 10

/*
 * Parse the header at the start of buf (len bytes: header + frame) into
 * *ret. Returns VNET_HDR_LEN, or -EINVAL when the header is short or its
 * offsets point outside the frame, -EPROTONOSUPPORT for a GSO type the
 * core does not take (anything but TCPv4).
 */
int vnet_hdr_parse(const uint8_t *buf, size_t len, struct stack_frame_meta *ret);

/* Write the header that asks the kernel for what meta asks (NULL = plain). */
void vnet_hdr_build(const struct stack_frame_meta *meta, uint8_t out[VNET_HDR_LEN]);

#endif
