/* SPDX-License-Identifier: MIT */
/*
 * bpf_expr.h - tcpdump-style filter expressions (pcap-filter(7): "tcp dst
 * port 7 and not arp") for `capture --bpf`. libpcap compiles them: no parser
 * of our own. pcap_compile() runs on a dead Ethernet handle
 * (pcap_open_dead(DLT_EN10MB, 65535)), and pcap_offline_filter() runs the
 * program on each frame.
 *
 * SYNACKCTL_HAVE_PCAP (0 or 1, from ctl/meson.build) says whether libpcap was
 * there at build time; without it bpf_expr_compile() fails with -ENOTSUP.
 */
#ifndef SYNACK_CTL_BPF_EXPR_H
#define SYNACK_CTL_BPF_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The dead handle's snapshot length; longer frames are still filtered whole. */
#define BPF_EXPR_SNAPLEN 65535

struct bpf_expr;

/*
 * Compile expr. On failure err holds why (libpcap's message, pcap_geterr()):
 * -EINVAL for an expression libpcap refuses, -ENOTSUP when synackctl was
 * built without libpcap, -ENOMEM.
 */
int bpf_expr_compile(const char *expr, struct bpf_expr **ret, char *err, size_t err_len);
/* Does an Ethernet frame (len bytes here, orig_len on the wire) pass? */
bool bpf_expr_match(const struct bpf_expr *b, const uint8_t *frame, size_t len, size_t orig_len);
void bpf_expr_free(struct bpf_expr *b);

#endif
