/* SPDX-License-Identifier: MIT */
/*
 * bpf_expr.c - capture --bpf: libpcap compiles the expression for Ethernet
 * (the TAP's frames are Ethernet II) and filters each frame with it, as
 * tcpdump does with a capture file (pcap_offline_filter). The compiled
 * program needs no handle, so the dead one is closed at once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "bpf_expr.h"

#if SYNACKCTL_HAVE_PCAP
#include <pcap/pcap.h>

struct bpf_expr {
	struct bpf_program prog;
};

int bpf_expr_compile(const char *expr, struct bpf_expr **ret, char *err, size_t err_len)
{
	struct bpf_expr *b = calloc(1, sizeof(*b));
	pcap_t *p = pcap_open_dead(DLT_EN10MB, BPF_EXPR_SNAPLEN);

	if (!b || !p) {
		snprintf(err, err_len, "out of memory");
		free(b);
		if (p)
			pcap_close(p);
		return -ENOMEM;
	}
	/* optimized, as tcpdump does; no netmask: "ip broadcast" is refused */
	if (pcap_compile(p, &b->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, err_len, "%s", pcap_geterr(p));
		pcap_close(p);
		free(b);
		return -EINVAL;
	}
	pcap_close(p);
	*ret = b;
	return 0;
}

bool bpf_expr_match(const struct bpf_expr *b, const uint8_t *frame, size_t len, size_t orig_len)
{
	struct pcap_pkthdr h = { .caplen = (bpf_u_int32)len,
				 .len = (bpf_u_int32)(orig_len > len ? orig_len : len) };

	/* the program reads within caplen only: a load past it rejects the frame */
	return pcap_offline_filter(&b->prog, &h, frame) != 0;
}

void bpf_expr_free(struct bpf_expr *b)
{
	if (!b)
		return;
	pcap_freecode(&b->prog);
	free(b);
}

#else /* !SYNACKCTL_HAVE_PCAP */

int bpf_expr_compile(const char *expr, struct bpf_expr **ret, char *err, size_t err_len)
{
	snprintf(err, err_len,
		 "BPF expressions are not built in: synackctl was built without libpcap "
		 "(apt-get install libpcap-dev, then rebuild)");
	return -ENOTSUP;
}

bool bpf_expr_match(const struct bpf_expr *b, const uint8_t *frame, size_t len, size_t orig_len)
{
	return true;
}

void bpf_expr_free(struct bpf_expr *b)
{
}

#endif
