/* SPDX-License-Identifier: MIT */
/*
 * ctl-emit.c - writes synackctl's outputs from fixed data so scripts can
 * check them with real tools: every JSON document for a JSON parser, and a
 * pcapng file for tshark.
 *
 *   ctl-emit json KIND        KIND: conns conns-empty tunables counters status
 *                             trace events hostile
 *   ctl-emit pcapng FILE N    N Ethernet/IPv4/TCP frames, alternating in/out
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ctl-fixtures.h"
#include "format.h"
#include "json.h"
#include "pcapng.h"

static int emit_events(void)
{
	struct ctl_event e = {
		.time_us = 1,
		.realtime_us = 1795500001123456ull,
		.conn_id = 3,
		.local = { FIX_IP(10, 77, 0, 2), 40000 },
		.remote = { FIX_IP(10, 77, 0, 1), 80 },
		.from = CTL_STATE_CLOSED,
		.to = CTL_STATE_SYN_SENT,
		.cause = "connect",
	};

	format_event_json(stdout, &e);
	e.from = CTL_STATE_SYN_SENT;
	e.to = CTL_STATE_ESTABLISHED;
	strcpy(e.cause, "rcv SYN,ACK");
	e.seg_flags = CTL_TCP_SYN | CTL_TCP_ACK;
	e.seg_seq = 1000;
	e.seg_ack = 4294967001u;
	return format_event_json(stdout, &e);
}

/* Every kind of string a peer or a config could slip into a name. */
static int emit_hostile(void)
{
	struct json_writer w;
	char all_controls[33];

	for (int i = 1; i < 32; i++)
		all_controls[i - 1] = (char)i;
	all_controls[31] = '\0';
	json_writer_init(&w, stdout, 0);
	json_object_begin(&w);
	json_kv_string(&w, "controls", all_controls);
	json_kv_string(&w, "quotes", "\"'\\\"\\\\");
	json_kv_string(&w, "utf8", "zoë ✓ 𝄞 日本");
	json_kv_string(&w, "invalid", "a\xff\xfe\xc3(\xed\xa0\x80z");
	json_kv_string(&w, "del", "\x7f");
	json_kv_string(&w, "ke\"y\n", "key escaped too");
	json_object_end(&w);
	return json_writer_end(&w);
}

static int emit_json(const char *kind)
{
	struct ctl_conn conns[3];
	struct ctl_trace_entry trace[32];
	struct ctl_tunable t[2] = {
		{ "msl", CTL_UNIT_DURATION, 1000000, 30000000, 1000, 600000000, true, "ml\"s\"" },
		{ "sack", CTL_UNIT_BOOL, 1, 1, 0, 1, false, "offer SACK" },
	};
	struct ctl_counter c[2] = { { "TcpActiveOpens", 3, false }, { "TcpCurrEstab", 0, true } };
	struct ctl_status s = { .version = "0.1.0", .tap = "synack0", .mtu = 1500 };

	if (strcmp(kind, "conns") == 0)
		return format_conns_json(stdout, conns, fix_conns(conns));
	if (strcmp(kind, "conns-empty") == 0)
		return format_conns_json(stdout, NULL, 0);
	if (strcmp(kind, "tunables") == 0)
		return format_tunables_json(stdout, t, 2);
	if (strcmp(kind, "counters") == 0)
		return format_counters_json(stdout, c, 2, true);
	if (strcmp(kind, "status") == 0)
		return format_status_json(stdout, &s);
	if (strcmp(kind, "trace") == 0)
		return format_trace_json(stdout, trace, fix_active_trace(trace));
	if (strcmp(kind, "events") == 0)
		return emit_events();
	if (strcmp(kind, "hostile") == 0)
		return emit_hostile();
	fprintf(stderr, "ctl-emit: unknown json kind '%s'\n", kind);
	return -1;
}

/* A minimal Ethernet + IPv4 + TCP frame (checksums left zero: tshark does not need them). */
static size_t emit_frame(uint8_t *f, int i, bool out)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 1 }, mac_b[6] = { 2, 0, 0, 0, 0, 2 };
	uint32_t a = htonl(FIX_IP(10, 77, 0, 2)), b = htonl(FIX_IP(10, 77, 0, 1));
	size_t len = 14 + 20 + 20;

	memset(f, 0, len);
	memcpy(f, out ? mac_b : mac_a, 6);
	memcpy(f + 6, out ? mac_a : mac_b, 6);
	f[12] = 0x08; /* IPv4 */
	f[14] = 0x45;
	f[17] = 40; /* total length */
	f[22] = 64; /* TTL */
	f[23] = 6;  /* TCP */
	memcpy(f + 26, out ? &a : &b, 4);
	memcpy(f + 30, out ? &b : &a, 4);
	f[34] = out ? 0x9c : 0x00; /* ports 40000 <-> 80 */
	f[35] = out ? 0x40 : 0x50;
	f[36] = out ? 0x00 : 0x9c;
	f[37] = out ? 0x50 : 0x40;
	f[41] = (uint8_t)i;	      /* seq */
	f[46] = 0x50;		      /* data offset 5 */
	f[47] = i == 0 ? 0x02 : 0x10; /* SYN, then ACKs */
	f[48] = 0xff;
	f[49] = 0xff;
	return len;
}

static int emit_pcapng(const char *path, int n)
{
	FILE *f = fopen(path, "wb");
	struct pcapng_writer w;
	uint8_t frame[64];
	int r;

	if (!f)
		return -1;
	r = pcapng_writer_start(&w, f, "synack0", 0);
	for (int i = 0; r == 0 && i < n; i++) {
		bool out = i % 2 == 0;
		size_t len = emit_frame(frame, i, out);

		r = pcapng_write_packet(&w, 1795500001000000ull + (uint64_t)i * 1500,
					out ? CTL_DIR_OUT : CTL_DIR_IN, frame, len, len);
	}
	return fclose(f) == 0 && r == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "json") == 0)
		return emit_json(argv[2]) == 0 ? 0 : 1;
	if (argc == 4 && strcmp(argv[1], "pcapng") == 0)
		return emit_pcapng(argv[2], atoi(argv[3])) == 0 ? 0 : 1;
	fprintf(stderr, "usage: ctl-emit json KIND | ctl-emit pcapng FILE N\n");
	return 2;
}
