/* SPDX-License-Identifier: MIT */
/*
 * model.h - the typed data synackctl formats: connections, counters,
 * tunables, trace entries, events, status, impairment settings and what a
 * reload did.
 *
 * These are plain C structs, independent of protobuf: the control client
 * (client.h) fills them from the daemon's replies and every formatter in ctl/
 * reads only these. Addresses are IPv4 in host byte order, times are
 * microseconds unless a field name says otherwise.
 */
#ifndef SYNACK_CTL_MODEL_H
#define SYNACK_CTL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h" /* struct config_impair: the impair: section, as `impair` shows it */

/* RFC 9293 §3.3.2's eleven states. */
enum ctl_state {
	CTL_STATE_CLOSED,
	CTL_STATE_LISTEN,
	CTL_STATE_SYN_SENT,
	CTL_STATE_SYN_RECEIVED,
	CTL_STATE_ESTABLISHED,
	CTL_STATE_FIN_WAIT_1,
	CTL_STATE_FIN_WAIT_2,
	CTL_STATE_CLOSE_WAIT,
	CTL_STATE_CLOSING,
	CTL_STATE_LAST_ACK,
	CTL_STATE_TIME_WAIT,
	CTL_STATE_COUNT
};

/* A set of states, bit (1u << state). */
typedef uint32_t ctl_state_mask;
#define CTL_STATE_BIT(s) ((ctl_state_mask)1u << (s))
#define CTL_STATES_ALL	 ((ctl_state_mask)(CTL_STATE_BIT(CTL_STATE_COUNT) - 1))

/* ss's spelling, as in `ss -tan`: "ESTAB", "SYN-RECV"... ("CLOSED" where ss says UNCONN). */
const char *ctl_state_ss_name(enum ctl_state s);
/* RFC 9293's spelling: "ESTABLISHED", "SYN-RECEIVED", "CLOSED"... */
const char *ctl_state_rfc_name(enum ctl_state s);
/*
 * A state from any of its spellings, case-insensitive: ss's column ("estab"),
 * ss's filter words ("established", "listening", "syn-recv"), RFC names
 * ("syn-received", "closed"), with '_' accepted for '-'. -EINVAL when unknown.
 */
int ctl_state_parse(const char *name, enum ctl_state *ret);

/* The timer `ss -o` shows for a connection. */
enum ctl_timer_kind {
	CTL_TIMER_OFF, /* no timer: the column is not printed */
	CTL_TIMER_ON,  /* retransmission (RTO) */
	CTL_TIMER_KEEPALIVE,
	CTL_TIMER_TIMEWAIT,
	CTL_TIMER_PERSIST, /* zero-window probe */
	CTL_TIMER_DELACK,
};

/* "on", "keepalive", "timewait", "persist", "delack", "off". */
const char *ctl_timer_name(enum ctl_timer_kind k);

struct ctl_timer {
	enum ctl_timer_kind kind;
	uint64_t remaining_ms;
	uint32_t retransmits;
};

struct ctl_endpoint {
	uint32_t addr; /* IPv4, host byte order; 0 = any */
	uint16_t port; /* 0 = any */
};

/* What `conns -i` adds (ss -i). */
struct ctl_conn_info {
	uint64_t rtt_us, rttvar_us, rto_us;
	uint32_t cwnd, ssthresh; /* segments, as ss prints them */
	uint32_t mss;
	uint8_t snd_wscale, rcv_wscale;
	bool wscale_ok, ts_ok, sack_ok;
	uint64_t bytes_acked, bytes_received;
	uint64_t retrans;		/* segments retransmitted over the connection's life */
	uint32_t sndbuf, rcvbuf;	/* bytes: SNDBUF, RCVBUF as autotuning left them */
	uint32_t rcv_rtt_us, rcv_space; /* receiver's RTT; most read per RTT (ss) */
	char congestion[16];		/* "cubic", "newreno"; "" when the daemon does not say */
};

/* The client that owns the connection (`conns -p`). */
struct ctl_owner {
	bool known; /* false: owned by the daemon (a built-in service) or orphaned */
	int32_t pid;
	uint32_t uid;
	char name[32];
};

struct ctl_conn {
	uint64_t id; /* stable connection id (`conns -e`, `trace ID`) */
	enum ctl_state state;
	struct ctl_endpoint local, remote;
	uint32_t recv_q, send_q;
	struct ctl_timer timer;
	struct ctl_conn_info info;
	struct ctl_owner owner;
	bool closed;		/* gone from the stack: only its history remains (conns --closed) */
	uint64_t closed_ago_ms; /* when it closed, if closed */
};

/* One nstat-named counter ("TcpActiveOpens"). */
struct ctl_counter {
	char name[48];
	uint64_t value;
	bool gauge; /* goes down as well as up (TcpCurrEstab) */
};

/* true for the counters that are gauges rather than counters. */
bool ctl_counter_name_is_gauge(const char *name);

enum ctl_unit {
	CTL_UNIT_DURATION, /* microseconds */
	CTL_UNIT_COUNT,
	CTL_UNIT_SIZE, /* bytes */
	CTL_UNIT_BOOL, /* 0 or 1 */
	CTL_UNIT_NAME, /* one of the tunable's names, by index (tcp.congestion_control) */
};

struct ctl_tunable {
	char key[48]; /* "rto.min" */
	enum ctl_unit unit;
	uint64_t value, def, min, max;
	bool affects_existing;
	char meaning[384]; /* the longest of daemon/stack/tunables.h whole (test-ctl-units.c) */
};

/* TCP header flags, as on the wire (RFC 9293 §3.1). */
enum ctl_tcp_flag {
	CTL_TCP_FIN = 0x01,
	CTL_TCP_SYN = 0x02,
	CTL_TCP_RST = 0x04,
	CTL_TCP_PSH = 0x08,
	CTL_TCP_ACK = 0x10,
	CTL_TCP_URG = 0x20,
	CTL_TCP_ECE = 0x40,
	CTL_TCP_CWR = 0x80,
};

/*
 * Flags as the textbook writes them, SYN first and ACK last:
 * "SYN", "SYN,ACK", "FIN,ACK", "PSH,ACK", "RST"; "none" for no flags.
 * Returns the length written or -ENOBUFS.
 */
int ctl_tcp_flags_format(uint8_t flags, char *buf, size_t len);

enum ctl_direction {
	CTL_DIR_IN,  /* peer -> synack */
	CTL_DIR_OUT, /* synack -> peer */
};

enum ctl_trace_kind {
	CTL_TRACE_SEGMENT,
	CTL_TRACE_STATE, /* our side's state changed */
};

/* One entry of a connection's history (`trace`). */
struct ctl_trace_entry {
	uint64_t time_us; /* monotonic */
	enum ctl_trace_kind kind;
	union {
		struct {
			enum ctl_direction dir;
			uint8_t flags;
			uint32_t seq, ack;
			uint32_t wnd; /* as on the wire, unscaled */
			uint32_t len; /* payload bytes */
		} seg;
		struct {
			enum ctl_state from, to;
			char cause[48]; /* "rcv SYN,ACK", "close", "2MSL timeout" */
		} state;
	};
};

/* One state transition of any connection (`events`). */
struct ctl_event {
	uint64_t time_us;     /* monotonic, as in traces */
	uint64_t realtime_us; /* wall clock, for printing */
	uint64_t conn_id;
	struct ctl_endpoint local, remote;
	enum ctl_state from, to;
	char cause[48];
	uint8_t seg_flags; /* the causing segment's flags, 0 when a timer or call caused it */
	uint32_t seg_seq, seg_ack;
};

/* `status`. */
struct ctl_status {
	char version[32];
	uint64_t uptime_us;
	char tap[16];
	uint8_t mac[6];
	uint32_t address; /* host order */
	uint8_t prefix_len;
	uint32_t mtu;
	bool offload;
	uint32_t conns_by_state[CTL_STATE_COUNT];
	uint32_t clients;
	bool impaired;
	struct config_impair impair; /* the rule in force */
};

/* `impair`: the daemon's impair: section (config.h); probabilities in parts per million. */
struct ctl_impair {
	struct config_impair c;
};

/* What an applied `reload` did with one key (synack.proto's ReloadResult). */
enum ctl_reloaded {
	CTL_RELOADED_CHANGED, /* before -> after */
	CTL_RELOADED_KEPT,    /* set at runtime (`set`), not named by the file: after = before */
	CTL_RELOADED_NOT_APPLIED, /* the file says file; before stays (why) */
};

/* Values as the configuration file writes them ("30s", "256KiB"). */
struct ctl_reload_entry {
	enum ctl_reloaded kind;
	char key[64];
	char before[CONFIG_VALUE_MAX], after[CONFIG_VALUE_MAX], file[CONFIG_VALUE_MAX];
	char why[64];
};

/* `reload`: the entries in the reply's order (changed, kept, not applied); v is malloc'd. */
struct ctl_reload {
	bool reported; /* false: a synackd older than the report said only "done" */
	char file[256];
	struct ctl_reload_entry *v;
	size_t n;
};

/* One captured frame (`capture`). */
struct ctl_frame {
	uint64_t realtime_us;
	enum ctl_direction dir;
	uint32_t orig_len;
	uint32_t len;
	const uint8_t *data;
	uint64_t dropped; /* frames the daemon let go for this capture so far (it lagged) */
};

#endif
