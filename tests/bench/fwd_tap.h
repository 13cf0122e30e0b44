/* SPDX-License-Identifier: MIT */
/*
 * fwd_tap.h - the forwarder's two ends: attach to an existing TAP inside a
 * named network namespace, as plain Ethernet frames (no virtio-net header,
 * no offloads), so the kernel segments and checksums in software and every
 * frame the forwarder sees is wire-sized.
 */
#ifndef SYNACK_BENCH_FWD_TAP_H
#define SYNACK_BENCH_FWD_TAP_H

/* spec: "NETNS/TAP" (NETNS a name under /run/netns) or "TAP" (our namespace).
 * Returns a non-blocking fd or -errno; we are back in our namespace after. */
int fwd_tap_open(const char *spec);

#endif
