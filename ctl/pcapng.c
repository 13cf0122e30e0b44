/* SPDX-License-Identifier: MIT */
/*
 * pcapng.c - the pcapng blocks synackctl writes: SHB (§4.1), IDB (§4.2) with
 * if_name and if_tsresol, EPB (§4.3) with epb_flags (§4.3.1), of
 * draft-ietf-opsawg-pcapng. Every block and option is padded to 32 bits and
 * carries its total length at both ends.
 */
#include <errno.h>
#include <string.h>

#include "pcapng.h"

#define PCAPNG_BLOCK_SHB	0x0A0D0D0Au
#define PCAPNG_BLOCK_IDB	0x00000001u
#define PCAPNG_BLOCK_EPB	0x00000006u
#define PCAPNG_BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define PCAPNG_OPT_END		0
#define PCAPNG_OPT_SHB_USERAPPL 4
#define PCAPNG_OPT_IF_NAME	2
#define PCAPNG_OPT_IF_TSRESOL	9
#define PCAPNG_OPT_EPB_FLAGS	2

/* epb_flags bits 0-1: 01 inbound, 10 outbound */
#define PCAPNG_EPB_INBOUND  1u
#define PCAPNG_EPB_OUTBOUND 2u

static size_t pcapng_pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void pcapng_u16(FILE *f, uint16_t v)
{
	fwrite(&v, sizeof(v), 1, f);
}

static void pcapng_u32(FILE *f, uint32_t v)
{
	fwrite(&v, sizeof(v), 1, f);
}

static void pcapng_zeros(FILE *f, size_t n)
{
	static const uint8_t zero[4];

	fwrite(zero, 1, n, f);
}

/* Size on disk of an option with len value bytes. */
static size_t pcapng_option_size(size_t len)
{
	return 4 + pcapng_pad4(len);
}

static void pcapng_option(FILE *f, uint16_t code, const void *value, size_t len)
{
	pcapng_u16(f, code);
	pcapng_u16(f, (uint16_t)len);
	fwrite(value, 1, len, f);
	pcapng_zeros(f, pcapng_pad4(len) - len);
}

static void pcapng_option_end(FILE *f)
{
	pcapng_u16(f, PCAPNG_OPT_END);
	pcapng_u16(f, 0);
}

static void pcapng_write_shb(FILE *f)
{
	static const char appl[] = "synackctl";
	size_t total = 4 * 4 + 8 + pcapng_option_size(strlen(appl)) + 4 + 4;

	pcapng_u32(f, PCAPNG_BLOCK_SHB);
	pcapng_u32(f, (uint32_t)total);
	pcapng_u32(f, PCAPNG_BYTE_ORDER_MAGIC);
	pcapng_u16(f, 1);	    /* major */
	pcapng_u16(f, 0);	    /* minor */
	pcapng_u32(f, 0xffffffffu); /* section length: not given (-1) */
	pcapng_u32(f, 0xffffffffu);
	pcapng_option(f, PCAPNG_OPT_SHB_USERAPPL, appl, strlen(appl));
	pcapng_option_end(f);
	pcapng_u32(f, (uint32_t)total);
}

static void pcapng_write_idb(FILE *f, const char *ifname, uint32_t snaplen)
{
	const uint8_t tsresol = 6; /* 10^-6 s */
	size_t name_len = ifname ? strlen(ifname) : 0;
	size_t total = 4 + 4 + 2 + 2 + 4 + pcapng_option_size(1) + 4 + 4;

	if (name_len > 255)
		name_len = 255;
	if (name_len)
		total += pcapng_option_size(name_len);
	pcapng_u32(f, PCAPNG_BLOCK_IDB);
	pcapng_u32(f, (uint32_t)total);
	pcapng_u16(f, PCAPNG_LINKTYPE_ETHERNET);
	pcapng_u16(f, 0); /* reserved */
	pcapng_u32(f, snaplen);
	if (name_len)
		pcapng_option(f, PCAPNG_OPT_IF_NAME, ifname, name_len);
	pcapng_option(f, PCAPNG_OPT_IF_TSRESOL, &tsresol, 1);
	pcapng_option_end(f);
	pcapng_u32(f, (uint32_t)total);
}

int pcapng_writer_start(struct pcapng_writer *w, FILE *f, const char *ifname, uint32_t snaplen)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->snaplen = snaplen ? snaplen : PCAPNG_DEFAULT_SNAPLEN;
	pcapng_write_shb(f);
	pcapng_write_idb(f, ifname, w->snaplen);
	return ferror(f) ? -EIO : 0;
}

int pcapng_write_packet(struct pcapng_writer *w, uint64_t realtime_us, enum ctl_direction dir,
			const void *frame, size_t len, size_t orig_len)
{
	uint32_t flags = dir == CTL_DIR_IN ? PCAPNG_EPB_INBOUND : PCAPNG_EPB_OUTBOUND;
	size_t caplen = len > w->snaplen ? w->snaplen : len;
	size_t total = 4 * 7 + pcapng_pad4(caplen) + pcapng_option_size(4) + 4 + 4;

	if (orig_len < len)
		orig_len = len;
	pcapng_u32(w->f, PCAPNG_BLOCK_EPB);
	pcapng_u32(w->f, (uint32_t)total);
	pcapng_u32(w->f, 0); /* interface id */
	pcapng_u32(w->f, (uint32_t)(realtime_us >> 32));
	pcapng_u32(w->f, (uint32_t)realtime_us);
	pcapng_u32(w->f, (uint32_t)caplen);
	pcapng_u32(w->f, (uint32_t)(orig_len > UINT32_MAX ? UINT32_MAX : orig_len));
	fwrite(frame, 1, caplen, w->f);
	pcapng_zeros(w->f, pcapng_pad4(caplen) - caplen);
	pcapng_option(w->f, PCAPNG_OPT_EPB_FLAGS, &flags, sizeof(flags));
	pcapng_option_end(w->f);
	pcapng_u32(w->f, (uint32_t)total);
	if (ferror(w->f))
		return -EIO;
	w->packets++;
	return 0;
}
