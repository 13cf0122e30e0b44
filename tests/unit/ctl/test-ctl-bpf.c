/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-bpf.c - capture --bpf's expressions (bpf_expr.c): libpcap compiles
 * them for Ethernet and they judge crafted frames as tcpdump would; a
 * refused expression carries libpcap's message; without libpcap at build
 * time every expression is refused as not built in.
 */
#include "ctl-test.h"

#include "bpf_expr.h"

#define ETH_IPV4 0x0800
#define ETH_ARP	 0x0806

/* An Ethernet II frame of 60 bytes: IPv4 + TCP sport -> dport, or an ARP request. */
static size_t frame(uint8_t *f, uint16_t type, uint16_t sport, uint16_t dport)
{
	memset(f, 0, 60);
	memset(f, 0xff, 6);			      /* dst */
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6); /* src */
	f[12] = (uint8_t)(type >> 8), f[13] = (uint8_t)type;
	if (type == ETH_ARP) {
		f[14 + 1] = 1, f[14 + 2] = 0x08, f[14 + 4] = 6, f[14 + 5] = 4, f[14 + 7] = 1;
		return 60;
	}
	f[14] = 0x45;					       /* IPv4, IHL 5 */
	f[14 + 3] = 40;					       /* total length */
	f[14 + 8] = 64;					       /* TTL */
	f[14 + 9] = 6;					       /* TCP */
	memcpy(f + 26, "\x0a\x4d\x00\x01\x0a\x4d\x00\x02", 8); /* 10.77.0.1 -> .2 */
	f[34] = (uint8_t)(sport >> 8), f[35] = (uint8_t)sport;
	f[36] = (uint8_t)(dport >> 8), f[37] = (uint8_t)dport;
	f[34 + 12] = 0x50, f[34 + 13] = 0x10; /* data offset 5, ACK */
	return 60;
}

static struct bpf_expr *compile(const char *text)
{
	struct bpf_expr *b = NULL;
	char err[512] = "";

	if (bpf_expr_compile(text, &b, err, sizeof(err)) != 0)
		fail_msg("'%s': %s", text, err);
	assert_non_null(b);
	return b;
}

static void test_match(void **state)
{
	struct bpf_expr *b;
	uint8_t f[60];
	size_t len;

	if (!SYNACKCTL_HAVE_PCAP)
		skip();
	b = compile("tcp dst port 7");
	len = frame(f, ETH_IPV4, 40000, 7);
	assert_true(bpf_expr_match(b, f, len, len));
	len = frame(f, ETH_IPV4, 40000, 9);
	assert_false(bpf_expr_match(b, f, len, len));
	len = frame(f, ETH_IPV4, 7, 40000); /* the source port is 7 */
	assert_false(bpf_expr_match(b, f, len, len));
	len = frame(f, ETH_ARP, 0, 0);
	assert_false(bpf_expr_match(b, f, len, len));
	/* cut before the ports: the program's load fails, the frame does not pass */
	frame(f, ETH_IPV4, 40000, 7);
	assert_false(bpf_expr_match(b, f, 30, 60));
	bpf_expr_free(b);

	b = compile("not arp");
	len = frame(f, ETH_IPV4, 40000, 7);
	assert_true(bpf_expr_match(b, f, len, len));
	len = frame(f, ETH_ARP, 0, 0);
	assert_false(bpf_expr_match(b, f, len, len));
	bpf_expr_free(b);

	/* lengths are the wire's: a frame cut to 60 bytes of 1514 is "greater 1000" */
	b = compile("tcp and greater 1000");
	len = frame(f, ETH_IPV4, 40000, 7);
	assert_true(bpf_expr_match(b, f, len, 1514));
	assert_false(bpf_expr_match(b, f, len, len));
	bpf_expr_free(b);

	b = compile(""); /* as tcpdump without an expression: every frame */
	len = frame(f, ETH_ARP, 0, 0);
	assert_true(bpf_expr_match(b, f, len, len));
	bpf_expr_free(b);
	bpf_expr_free(NULL);
}

static void check_refused(const char *text, int want, const char *msg)
{
	struct bpf_expr *b = (struct bpf_expr *)&b; /* must stay untouched */
	char err[512] = "";

	assert_int_equal(bpf_expr_compile(text, &b, err, sizeof(err)), want);
	assert_ptr_equal(b, (struct bpf_expr *)&b);
	if (!strstr(err, msg))
		fail_msg("'%s': '%s' lacks '%s'", text, err, msg);
}

static void test_refused(void **state)
{
	if (!SYNACKCTL_HAVE_PCAP) {
		check_refused("tcp dst port 7", -ENOTSUP, "not built in");
		return;
	}
	check_refused("tcp port", -EINVAL, "syntax error");
	check_refused("tcp dst port 99999", -EINVAL, "illegal port number 99999 > 65535");
	check_refused("ip broadcast", -EINVAL, "netmask");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
