/* SPDX-License-Identifier: MIT */
/*
 * tap.h - the TAP device: create one or attach to a persistent one, with
 * the virtio-net header and kernel offloads when asked and allowed.
 */
#ifndef SYNACKD_TAP_H
#define SYNACKD_TAP_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct tap {
	int fd; /* non-blocking, close-on-exec; -1 when closed */
	char name[IFNAMSIZ];
	unsigned ifindex;
	bool vnet_hdr;	       /* every frame carries a virtio-net header (vnet.h) */
	bool rx_csum;	       /* the kernel may hand us partial checksums (TUN_F_CSUM) */
	bool rx_tso;	       /* ... and TCPv4 super-frames (TUN_F_TSO4) */
	uint8_t kernel_mac[6]; /* the kernel side's MAC (the TAP's own) */
};

/*
 * Open the TAP called name: attach when it exists (a persistent TAP owned by
 * our user needs no capability), create it otherwise (needs CAP_NET_ADMIN).
 * offload asks for IFF_VNET_HDR + TUNSETOFFLOAD(CSUM|TSO4); when the kernel
 * refuses the offloads, the TAP is reopened with plain frames.
 */
int tap_open(struct tap *t, const char *name, bool offload);
/* Take over an already attached TAP fd (from systemd's fd store). */
int tap_adopt(struct tap *t, int fd, bool offload);
void tap_close(struct tap *t);

/* Can frames we write carry checksum/segmentation requests? */
static inline bool tap_tx_offload(const struct tap *t)
{
	return t->vnet_hdr;
}

#endif
