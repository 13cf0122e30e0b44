/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-prom.c - Prometheus names (node_exporter's netstat shape with
 * _total on counters) and the text exposition of counters and gauges.
 */
#include "ctl-test.h"

#include "prom.h"

static void check_name(const char *counter, bool gauge, const char *want)
{
	struct ctl_counter c = { .gauge = gauge };
	char buf[128];

	snprintf(c.name, sizeof(c.name), "%s", counter);
	assert_int_equal(prom_metric_name(&c, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_names(void **state)
{
	check_name("TcpActiveOpens", false, "synack_netstat_Tcp_ActiveOpens_total");
	check_name("TcpCurrEstab", true, "synack_netstat_Tcp_CurrEstab");
	check_name("TcpExtTW", false, "synack_netstat_TcpExt_TW_total");
	check_name("TcpExtTCPSYNChallenge", false, "synack_netstat_TcpExt_TCPSYNChallenge_total");
	check_name("IpExtInCsumErrors", false, "synack_netstat_IpExt_InCsumErrors_total");
	check_name("IpInReceives", false, "synack_netstat_Ip_InReceives_total");
	check_name("IcmpInEchos", false, "synack_netstat_Icmp_InEchos_total");
	check_name("SynackArpInRequests", false, "synack_netstat_Synack_ArpInRequests_total");
	check_name("Odd-Name", false, "synack_netstat_Odd_Name_total");
	check_name("Tcpx", false,
		   "synack_netstat_Tcpx_total"); /* no group: Tcp not followed by a capital */
}

static void test_short_buffer(void **state)
{
	struct ctl_counter c = { "TcpActiveOpens", 1, false };
	char buf[16];

	assert_int_equal(prom_metric_name(&c, buf, sizeof(buf)), -ENOBUFS);
}

static void test_exposition(void **state)
{
	struct ctl_counter c[] = {
		{ "TcpActiveOpens", 3, false },
		{ "TcpCurrEstab", 1, true },
		{ "TcpOutRsts", 0, false },
	};
	struct ctl_capture cap;

	ctl_capture_begin(&cap);
	assert_int_equal(prom_write(cap.f, c, 3), 0);
	assert_string_equal(
		ctl_capture_end(&cap),
		"# HELP synack_netstat_Tcp_ActiveOpens_total synackd's nstat counter "
		"TcpActiveOpens.\n"
		"# TYPE synack_netstat_Tcp_ActiveOpens_total counter\n"
		"synack_netstat_Tcp_ActiveOpens_total 3\n"
		"# HELP synack_netstat_Tcp_CurrEstab synackd's nstat gauge TcpCurrEstab.\n"
		"# TYPE synack_netstat_Tcp_CurrEstab gauge\n"
		"synack_netstat_Tcp_CurrEstab 1\n"
		"# HELP synack_netstat_Tcp_OutRsts_total synackd's nstat counter TcpOutRsts.\n"
		"# TYPE synack_netstat_Tcp_OutRsts_total counter\n"
		"synack_netstat_Tcp_OutRsts_total 0\n");
	ctl_capture_free(&cap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_exposition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
