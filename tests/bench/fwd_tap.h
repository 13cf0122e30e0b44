/* SPDX-License-Identifier: MIT */
/*
 * fwd_tap.h - the forwarder's two ends: attach to an existing TAP inside a
 * named network namespace, either as synackd attaches (a virtio-net header on
 * every frame, checksum and TCPv4 segmentation offloads: the kernel hands
 * over super-frames) or as plain Ethernet frames (no header, no offloads: the
 * kernel segments and checksums in software, every frame is wire-sized).
 */
#ifndef SYNACK_BENCH_FWD_TAP_H
#define SYNACK_BENCH_FWD_TAP_H

#include <stdbool.h>

/* The 10-byte struct virtio_net_hdr, in host byte order (the TAP's default). */
#define FWD_VNET_HDR_LEN      10
#define FWD_VNET_F_NEEDS_CSUM 1
#define FWD_VNET_GSO_NONE     0
#define FWD_VNET_GSO_TCPV4    1
#define FWD_VNET_GSO_ECN      0x80

/* spec: "NETNS/TAP" (NETNS a name under /run/netns) or "TAP" (our namespace).
 * Returns a non-blocking fd or -errno; we are back in our namespace after. */
int fwd_tap_open(const char *spec, bool offload);

#endif
