/* SPDX-License-Identifier: MIT */
/*
 * pcapng.h - write captured frames as pcapng (draft-ietf-opsawg-pcapng) that
 * tshark and Wireshark read: a Section Header Block, one Interface
 * Description Block (LINKTYPE_ETHERNET, microsecond timestamps, the TAP's
 * name), then one Enhanced Packet Block per frame whose epb_flags option
 * says inbound or outbound. Blocks are written in host byte order, which the
 * byte-order magic announces.
 */
#ifndef SYNACK_CTL_PCAPNG_H
#define SYNACK_CTL_PCAPNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

#define PCAPNG_LINKTYPE_ETHERNET 1
#define PCAPNG_DEFAULT_SNAPLEN	 262144

struct pcapng_writer {
	FILE *f;
	uint32_t snaplen;
	uint64_t packets;
};

/* Write the SHB and the IDB. ifname may be NULL. Returns 0 or -EIO. */
int pcapng_writer_start(struct pcapng_writer *w, FILE *f, const char *ifname, uint32_t snaplen);
/*
 * One frame seen at realtime_us (µs since the epoch) in direction dir;
 * orig_len is the frame's length on the wire (>= len). Frames longer than
 * the snaplen are cut. Returns 0 or -EIO.
 */
int pcapng_write_packet(struct pcapng_writer *w, uint64_t realtime_us, enum ctl_direction dir,
			const void *frame, size_t len, size_t orig_len);

#endif
