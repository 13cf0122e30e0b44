/* SPDX-License-Identifier: MIT */
/*
 * stack_info.h - read-only views of the core's TCP connections for the
 * control plane: per-connection info (what `ss -tie` shows and more), a walk
 * over every listener, connection and orphan (TIME-WAIT included), and each
 * connection's bounded state history.
 *
 * Handles passed to these calls may name orphans (from stack_tcp_foreach):
 * the info calls accept them, the socket calls of stack.h do not. A
 * connection nobody holds that reaches TIME-WAIT becomes a compact record
 * with a handle of its own (the same id; its history keeps only the latest
 * state change); stack_tcp_kill_orphan() takes those handles too.
 */
#ifndef SYNACK_STACK_INFO_H
#define SYNACK_STACK_INFO_H

#include <stdbool.h>
#include <stdint.h>

#include "stack.h"

enum stack_tcp_timer {
	STACK_TCP_TIMER_RETRANS,
	STACK_TCP_TIMER_PERSIST,
	STACK_TCP_TIMER_DELACK,
	STACK_TCP_TIMER_KEEPALIVE,
	STACK_TCP_TIMER_FINWAIT2,
	STACK_TCP_TIMER_TIMEWAIT,
	STACK_TCP_TIMER_COUNT
};

struct stack_tcp_timer_info {
	bool armed;
	stack_time_us at;      /* absolute deadline */
	uint64_t remaining_us; /* at - the latest time the core was given (0 when due) */
};

struct stack_tcp_info {
	uint64_t id; /* stable for the connection's life, never reused */
	uint64_t owner;
	uint8_t state;		/* RFC 9293 state, see stack_tcp_state_name() */
	const char *state_name; /* "ESTABLISHED", "SYN-SENT", ... */
	bool listener, orphan;
	struct stack_endpoint local, remote;

	/* RFC 9293 §3.3.1 variables (snd_nxt is SND.NXT; snd_cursor the resend point) */
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, snd_cursor, snd_wl1, snd_wl2, snd_up;
	uint32_t rcv_nxt, rcv_up, rcv_adv;
	uint32_t snd_wnd, max_snd_wnd, rcv_wnd; /* bytes, scaled */
	uint8_t snd_wscale, rcv_wscale;		/* 0 when scaling is off */
	bool wscale_ok, ts_ok, sack_ok;
	uint32_t mss, rcv_mss;

	uint64_t srtt_us, rttvar_us, rto_us;
	uint32_t cwnd, ssthresh; /* bytes */
	bool in_recovery;
	uint32_t retransmits; /* consecutive timeouts of the current segment */
	uint32_t backoff;
	uint64_t total_retrans;
	uint32_t probes; /* unanswered keepalive or zero-window probes */

	uint64_t segs_in, segs_out, bytes_sent, bytes_retrans, bytes_acked, bytes_received;
	uint32_t send_queue, recv_queue;	   /* bytes in the buffers */
	uint32_t sndbuf, rcvbuf;		   /* buffer sizes (autotuning grows them) */
	uint32_t rcv_rtt_us, rcv_space;		   /* receiver's RTT and bytes read per RTT (ss) */
	uint32_t backlog, accept_queue, syn_queue; /* listeners */

	struct stack_tcp_timer_info timers[STACK_TCP_TIMER_COUNT];
	/* the timer ss would show: "on", "persist", "keepalive", "timewait", "delack" or "off" */
	const char *timer_name;
	uint64_t timer_remaining_us;

	int soft_error; /* last ICMP soft error (-errno), 0 none */
	int error;	/* the error the connection died of, 0 none */
	bool nodelay, keepalive;
	/* congestion control: the algorithm as ss names it ("cubic"), and the
	 * effective send MSS (payload after options) that cwnd counts in */
	const char *cc_name;
	uint32_t snd_mss;
};

struct stack_tcp_history_entry {
	stack_time_us at;
	uint8_t from, to; /* states */
	const char *from_name, *to_name;
	const char *cause; /* "rcv SYN", "2MSL timeout", "close", ... */
	uint8_t seg_flags; /* the causing segment's flags, 0 when no segment */
	uint32_t seg_seq, seg_ack;
};

/* The RFC spelling of a state number ("TIME-WAIT"); "?" when out of range. */
const char *stack_tcp_state_name(uint8_t state);

/* Fill ret for sock; -EBADF when the handle is stale. */
int stack_tcp_info(const struct stack *s, stack_sock sock, struct stack_tcp_info *ret);

/* Call cb for every listener, connection and orphan; a non-zero return stops the walk
 * and is returned. */
int stack_tcp_foreach(const struct stack *s,
		      int (*cb)(void *ctx, stack_sock sock, const struct stack_tcp_info *info),
		      void *ctx);

/* Copy up to max history entries, oldest first; returns how many, -EBADF when stale.
 * The ring keeps the last 16 transitions. */
int stack_tcp_history(const struct stack *s, stack_sock sock, struct stack_tcp_history_entry *ret,
		      size_t max);

#endif
