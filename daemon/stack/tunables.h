/* SPDX-License-Identifier: MIT */
/*
 * tunables.h - TCP tunables of the core: one table that names each one, its
 * unit, default, range and whether it reaches existing connections.
 *
 * The same table drives the YAML config (tcp: section), `synackctl get/set`
 * and the range checks of stack_tunable_set(), so a default or a limit is
 * written exactly once. Every value is a uint64_t: durations in microseconds,
 * sizes in bytes, booleans as 0/1.
 *
 * RFC 9293 §3.4.2 (MSL), RFC 6298 §2 (RTO bounds), RFC 1122 §4.2.3.5-6
 * (retries, keepalive), RFC 6928 (initial window), RFC 1337, RFC 7323, RFC 2018.
 */
#ifndef SYNACK_TUNABLES_H
#define SYNACK_TUNABLES_H

#include <stdbool.h>
#include <stdint.h>

enum stack_tunable_kind {
	STACK_TUN_DURATION, /* microseconds; written with units (200ms, 30s, 2h) */
	STACK_TUN_COUNT,
	STACK_TUN_SIZE, /* bytes; written with units (256KiB) */
	STACK_TUN_BOOL,
	STACK_TUN_NAME, /* one of a list of names, stored as its index (stack_tunable_name) */
};

/* tcp.congestion_control (and the per-connection option): the algorithms by index. */
enum stack_cc_algo {
	STACK_CC_CUBIC,	  /* RFC 9438 with HyStart++ (RFC 9406) */
	STACK_CC_NEWRENO, /* RFC 5681, RFC 6582 */
	STACK_CC_COUNT_
};

#define SEC_US(x) ((uint64_t)(x)*1000000ull)
#define MS_US(x)  ((uint64_t)(x)*1000ull)

/*
 * X(field, key, kind, default, min, max, existing, meaning)
 * key is the dotted name under `tcp:` in the config and for synackctl.
 * existing: true when a change reaches connections that already exist.
 */
#define STACK_TUNABLES(X)                                                                         \
	X(msl, "msl", STACK_TUN_DURATION, SEC_US(30), MS_US(1), SEC_US(600), true,                \
	  "maximum segment lifetime; TIME_WAIT lasts 2 x msl (read when TIME_WAIT starts)")       \
	X(fin_wait2_timeout, "fin_wait2_timeout", STACK_TUN_DURATION, SEC_US(60), MS_US(1),       \
	  SEC_US(3600), true, "how long an orphaned FIN_WAIT_2 waits for the peer's FIN")         \
	X(rto_initial, "rto.initial", STACK_TUN_DURATION, SEC_US(1), MS_US(1), SEC_US(60), false, \
	  "retransmission timeout before the first RTT sample (RFC 6298 2.1)")                    \
	X(rto_min, "rto.min", STACK_TUN_DURATION, MS_US(200), MS_US(1), SEC_US(60), true,         \
	  "lower bound of the retransmission timeout")                                            \
	X(rto_max, "rto.max", STACK_TUN_DURATION, SEC_US(120), MS_US(100), SEC_US(3600), true,    \
	  "upper bound of the retransmission timeout after backoff")                              \
	X(syn_retries, "syn_retries", STACK_TUN_COUNT, 6, 1, 127, true,                           \
	  "SYN retransmissions before an active open fails with ETIMEDOUT")                       \
	X(synack_retries, "synack_retries", STACK_TUN_COUNT, 5, 1, 127, true,                     \
	  "SYN-ACK retransmissions before a half-open connection is dropped")                     \
	X(retries, "retries", STACK_TUN_COUNT, 15, 1, 255, true,                                  \
	  "data retransmissions before an established connection is aborted")                     \
	X(delayed_ack, "delayed_ack", STACK_TUN_DURATION, MS_US(40), 0, MS_US(500), true,         \
	  "longest an ACK is delayed (0 = ACK every segment at once)")                            \
	X(quick_acks, "quick_acks", STACK_TUN_COUNT, 16, 0, 255, true,                            \
	  "data ACKed at once, not delayed, this many times when a connection's data starts "     \
	  "and again after it received none for longer than its RTO; not while the "              \
	  "application answers within delayed_ack, which idle time ends (as Linux's quickack "    \
	  "mode); 0 = off")                                                                       \
	X(keepalive_time, "keepalive.time", STACK_TUN_DURATION, SEC_US(7200), SEC_US(1),          \
	  SEC_US(32767), false, "idle time before the first keepalive probe")                     \
	X(keepalive_interval, "keepalive.interval", STACK_TUN_DURATION, SEC_US(75), SEC_US(1),    \
	  SEC_US(32767), false, "time between unanswered keepalive probes")                       \
	X(keepalive_probes, "keepalive.probes", STACK_TUN_COUNT, 9, 1, 127, false,                \
	  "unanswered probes before the connection is aborted")                                   \
	X(initial_cwnd, "initial_cwnd", STACK_TUN_COUNT, 10, 1, 100, false,                       \
	  "initial congestion window in segments (RFC 6928)")                                     \
	X(send_buffer, "send_buffer", STACK_TUN_SIZE, 256 * 1024, 4096, 64ull << 20, false,       \
	  "send buffer of a new connection")                                                      \
	X(recv_buffer, "recv_buffer", STACK_TUN_SIZE, 256 * 1024, 4096, 64ull << 20, false,       \
	  "receive buffer of a new connection (the most window it advertises)")                   \
	X(rfc1337, "rfc1337", STACK_TUN_BOOL, 1, 0, 1, true,                                      \
	  "ignore RST in TIME_WAIT (RFC 1337 TIME-WAIT assassination defence)")                   \
	X(tw_reuse, "tw_reuse", STACK_TUN_BOOL, 0, 0, 1, true,                                    \
	  "an active open may take a tuple in TIME-WAIT when both incarnations use timestamps "   \
	  "and the peer's last one is a second old (as Linux tcp_tw_reuse)")                      \
	X(timestamps, "timestamps", STACK_TUN_BOOL, 1, 0, 1, false,                               \
	  "offer RFC 7323 timestamps on new connections")                                         \
	X(window_scaling, "window_scaling", STACK_TUN_BOOL, 1, 0, 1, false,                       \
	  "offer RFC 7323 window scaling on new connections")                                     \
	X(sack, "sack", STACK_TUN_BOOL, 1, 0, 1, false, "offer RFC 2018 SACK on new connections") \
	X(syn_backlog, "syn_backlog", STACK_TUN_COUNT, 256, 1, 65535, true,                       \
	  "half-open connections a listener holds (at most its backlog)")                         \
	X(challenge_ack_limit, "challenge_ack_limit", STACK_TUN_COUNT, 10, 1, 100000, true,       \
	  "challenge ACKs per second per connection (RFC 5961 7)")                                \
	X(invalid_ratelimit, "invalid_ratelimit", STACK_TUN_DURATION, MS_US(500), 0, SEC_US(60),  \
	  true, "least time between ACKs to out-of-window segments without data; 0 = none")       \
	X(syncookies, "syncookies", STACK_TUN_COUNT, 1, 0, 2, true,                               \
	  "SYN cookies (RFC 4987 3.6): 0 off, 1 when the SYN queue is full, 2 always")            \
	X(pmtu_min, "pmtu.min", STACK_TUN_SIZE, 552, 68, 65535, true,                             \
	  "lowest path MTU an ICMP fragmentation-needed may set (RFC 1191)")                      \
	X(pmtu_expires, "pmtu.expires", STACK_TUN_DURATION, SEC_US(600), SEC_US(1), SEC_US(3600), \
	  true, "a lowered path MTU is raised again after this long (RFC 1191 6.3)")              \
	X(send_buffer_max, "send_buffer_max", STACK_TUN_SIZE, 4 << 20, 4096, 1 << 30, false,      \
	  "largest SNDBUF an application may set (larger requests are capped) or autotuning "     \
	  "reaches")                                                                              \
	X(recv_buffer_max, "recv_buffer_max", STACK_TUN_SIZE, 6 << 20, 4096, 1 << 30, false,      \
	  "largest RCVBUF an application may set (larger requests are capped) or autotuning "     \
	  "reaches")                                                                              \
	X(buffer_autotune, "buffer_autotune", STACK_TUN_BOOL, 1, 0, 1, true,                      \
	  "grow SNDBUF and RCVBUF the application did not set up to send_buffer_max and "         \
	  "recv_buffer_max as the bandwidth-delay product demands")                               \
	X(orphan_retries, "orphan_retries", STACK_TUN_COUNT, 8, 1, 255, true,                     \
	  "retransmissions and zero-window probes of a closed connection, answered or not")       \
	X(congestion_control, "congestion_control", STACK_TUN_NAME, STACK_CC_CUBIC, 0,            \
	  STACK_CC_COUNT_ - 1, false, "congestion control of new connections: cubic or newreno")  \
	X(rack, "rack", STACK_TUN_BOOL, 1, 0, 1, true,                                            \
	  "RACK loss detection on SACK connections (RFC 8985 6)")                                 \
	X(tlp, "tlp", STACK_TUN_BOOL, 1, 0, 1, true,                                              \
	  "tail loss probes on SACK connections (RFC 8985 7)")                                    \
	X(reordering, "reordering", STACK_TUN_COUNT, 3, 1, 300, true,                             \
	  "DupThresh: segments SACKed above a hole that make it lost (RFC 6675 2)")

enum stack_tunable_id {
#define STACK_TUN_ENUM(field, ...) STACK_TUN_##field,
	STACK_TUNABLES(STACK_TUN_ENUM)
#undef STACK_TUN_ENUM
		STACK_TUN_COUNT_
};

struct stack_tunables {
#define STACK_TUN_FIELD(field, ...) uint64_t field;
	STACK_TUNABLES(STACK_TUN_FIELD)
#undef STACK_TUN_FIELD
};

struct stack_tunable_desc {
	const char *key;
	enum stack_tunable_kind kind;
	uint64_t def, min, max;
	bool affects_existing;
	const char *meaning;
};

/* The descriptor of a tunable; NULL for an id out of range. */
const struct stack_tunable_desc *stack_tunable_desc(enum stack_tunable_id id);
/* Find a tunable by its dotted key ("rto.min"); -ENOENT when unknown. */
int stack_tunable_lookup(const char *key, enum stack_tunable_id *ret_id);
/* Fill t with every default. */
void stack_tunables_defaults(struct stack_tunables *t);
/* Read or write one value by id (no range check on write). */
uint64_t stack_tunables_read(const struct stack_tunables *t, enum stack_tunable_id id);
void stack_tunables_write(struct stack_tunables *t, enum stack_tunable_id id, uint64_t value);
/* A STACK_TUN_NAME tunable's value as its name ("cubic"); NULL for another kind or value. */
const char *stack_tunable_name(enum stack_tunable_id id, uint64_t value);
/* The value of name for a STACK_TUN_NAME tunable; -EINVAL when no such name (or kind). */
int stack_tunable_name_lookup(enum stack_tunable_id id, const char *name, uint64_t *ret_value);
/* The names a STACK_TUN_NAME tunable takes, NULL-terminated; NULL for another kind. */
const char *const *stack_tunable_names(enum stack_tunable_id id);
/* 0 when value is inside the tunable's range, -ERANGE otherwise. */
int stack_tunable_check(enum stack_tunable_id id, uint64_t value);

#endif
