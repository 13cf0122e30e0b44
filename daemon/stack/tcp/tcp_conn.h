/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_conn.h - the transmission control block (RFC 9293 §3.3.1) and the
 * calls the TCP engine's files make to each other.
 *
 * One struct tcp_conn per slot; listeners, connections and half-open
 * children use slots. TIME-WAIT keeps the slot only while an owner still
 * holds the handle; otherwise a compact record takes over (tcp_timewait.h). The state enum is RFC 9293 §3.3.2's
 * eleven states (named tcp_conn_state because struct tcp_state, the TCP
 * layer's part of struct stack, already owns the tag "tcp_state").
 *
 * Included by the TCP engine's sources and by its unit tests only.
 */
#ifndef SYNACK_TCP_CONN_H
#define SYNACK_TCP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include "../stack_internal.h"
#include "tcp_cc.h"
#include "tcp_reasm.h"
#include "tcp_recovery.h"
#include "tcp_ringbuf.h"
#include "tcp_rtt.h"
#include "tcp_seq.h"
#include "tcp_timewait.h"
#include "tcp_wire.h"

#define TCP_SLOT_NONE UINT32_MAX

/* RFC 9293 §3.3.2: the states of a connection. */
enum tcp_conn_state {
	TCP_CLOSED,
	TCP_LISTEN,
	TCP_SYN_SENT,
	TCP_SYN_RECEIVED,
	TCP_ESTABLISHED,
	TCP_FIN_WAIT_1,
	TCP_FIN_WAIT_2,
	TCP_CLOSE_WAIT,
	TCP_CLOSING,
	TCP_LAST_ACK,
	TCP_TIME_WAIT,
	TCP_STATE_COUNT
};

/* Why a state changed: the user call, the segment or the timer behind it. */
enum tcp_cause {
	TCP_CAUSE_NONE,
	TCP_CAUSE_USER_CONNECT,
	TCP_CAUSE_USER_LISTEN,
	TCP_CAUSE_USER_CLOSE,
	TCP_CAUSE_USER_SHUTDOWN,
	TCP_CAUSE_USER_ABORT,
	TCP_CAUSE_SEG_SYN,
	TCP_CAUSE_SEG_SYN_ACK,
	TCP_CAUSE_SEG_ACK,
	TCP_CAUSE_SEG_FIN,
	TCP_CAUSE_SEG_RST,
	TCP_CAUSE_SEG_BAD_SYNACK, /* SYN-SENT saw an unacceptable ACK (stays, sends RST) */
	TCP_CAUSE_TIMER_RETRANSMIT,
	TCP_CAUSE_TIMER_SYN_RETRIES,
	TCP_CAUSE_TIMER_KEEPALIVE,
	TCP_CAUSE_TIMER_FIN_WAIT_2,
	TCP_CAUSE_TIMER_TIME_WAIT,
	TCP_CAUSE_ICMP_ERROR,
	TCP_CAUSE_TIME_WAIT_REUSE,
	TCP_CAUSE_TIME_WAIT_OVERFLOW,	/* limits.max_time_wait reached: the oldest record goes */
	TCP_CAUSE_TIMER_ORPHAN_RETRIES, /* tcp.orphan_retries probes/retransmissions spent */
	TCP_CAUSE_ORPHAN_LIMIT,		/* limits.max_orphans reached: the oldest is reset */
	TCP_CAUSE_COUNT
};

const char *tcp_state_name(enum tcp_conn_state st);
const char *tcp_cause_name(enum tcp_cause cause);

#define TCP_HISTORY_LEN 16

struct tcp_history_entry {
	stack_time_us at;
	uint8_t from, to, cause;
	uint8_t seg_flags; /* flags of the segment that caused it; 0 when no segment */
	uint32_t seg_seq, seg_ack;
};

/* The per-connection timers, each a deadline (STACK_TIME_NEVER when idle). */
enum tcp_timer_id {
	TCP_TIMER_RETRANSMIT, /* data, SYN and SYN-ACK retransmission (RFC 6298) */
	TCP_TIMER_PERSIST,    /* zero-window probes (RFC 9293 §3.8.6.1) */
	TCP_TIMER_DELACK,     /* delayed ACK (RFC 1122 §4.2.3.2) */
	TCP_TIMER_KEEPALIVE,  /* RFC 1122 §4.2.3.6 */
	TCP_TIMER_FIN_WAIT_2, /* orphaned FIN-WAIT-2 gives up */
	TCP_TIMER_TIME_WAIT,  /* 2 x MSL (RFC 9293 §3.4.2) */
	TCP_TIMER_MEM_IDLE,   /* a drained buffer is given back (tcp_mem.c) */
	TCP_TIMER_RACK,	      /* RACK reordering window (RFC 8985 §6.3, tcp_recovery.c) */
	TCP_TIMER_TLP,	      /* tail loss probe (RFC 8985 §7) */
	TCP_TIMER_COUNT
};

/* Pending event bits, one per enum stack_event_type. */
#define TCP_EV_BIT(type) (1u << (type))

/* Buffer autotuning state (tcp_autotune.c). */
struct tcp_autotune {
	uint32_t rcv_rtt_us;	   /* receiver's RTT estimate (0: none yet) */
	stack_time_us rtt_start;   /* timing one window: when it started (0: not timing) */
	tcp_seq rtt_seq;	   /* ... and the RCV.NXT that ends it */
	uint32_t rcv_space;	   /* most bytes the application consumed in one RTT */
	stack_time_us space_start; /* the current RTT's start (0: not yet) */
	tcp_seq copied_seq;	   /* consumed up to here at its start */
};

struct tcp_conn {
	/* slot bookkeeping */
	bool in_use;
	bool free_pending; /* released, but events still wait to be popped */
	bool has_handle;   /* an owner holds a handle (else: orphan or not yet accepted) */
	bool orphan;	   /* the owner closed it; it finishes on its own (tcp_orphan.c) */
	bool direct;	   /* in-order bytes go to env.direct first (stack_tcp_set_direct) */
	uint32_t orphan_prev, orphan_next; /* the orphans' FIFO, oldest first */
	uint32_t orphan_tries; /* retransmission timeouts and probes since it became one */
	bool in_table;
	uint32_t gen;
	uint64_t id; /* stable connection id for observers */
	uint64_t owner;
	uint32_t next_free;

	enum tcp_conn_state state;
	struct tcp_tuple tuple;

	/* listener side */
	uint32_t parent; /* listener slot of a passive child, TCP_SLOT_NONE */
	uint32_t parent_gen;
	bool passive; /* came from a passive open (SYN-RECEIVED -> LISTEN on RST) */
	bool in_accept_queue;
	uint32_t aq_next;	   /* next in the listener's accept queue */
	uint32_t aq_head, aq_tail; /* listener: accept queue */
	uint32_t aq_len, syn_qlen; /* listener: accepted-not-popped, half-open children */
	uint32_t backlog;
	bool cookie_sent;	      /* listener: a SYN cookie went out at cookie_sent_at */
	stack_time_us cookie_sent_at; /* (tcp_syncookie.c checks ACKs only while one may be out) */

	/* send sequence space, RFC 9293 §3.3.1 */
	tcp_seq iss, snd_una, snd_nxt, snd_max, snd_wl1, snd_wl2, snd_up;
	uint32_t snd_wnd, max_snd_wnd;
	/* receive sequence space */
	tcp_seq irs, rcv_nxt, rcv_adv, rcv_up; /* rcv_adv: right edge we advertised */
	bool rcv_up_valid; /* the peer has marked urgent data (rcv_up - 1 is its last byte) */

	/* negotiated options */
	uint16_t mss;	  /* the peer's MSS, bounded by our MTU: the send segment size */
	uint16_t rcv_mss; /* the MSS we announced */
	bool wscale_ok, ts_ok, sack_ok;
	uint8_t snd_wscale, rcv_wscale;
	uint32_t ts_offset, ts_recent;
	stack_time_us ts_recent_at;
	/* path MTU (RFC 1191): the MSS before an ICMP lowered it (0: not lowered; once
	 * the SYN is answered, the negotiated MSS), when, and whether the path is below tcp.pmtu.min so our segments may be fragmented */
	uint16_t mss_before_pmtu;
	bool pmtu_no_df;
	stack_time_us pmtu_lowered_at;

	/* buffers: sizes are the SNDBUF/RCVBUF limits; the rings are allocated on
	 * first use and grow on demand (tcp_mem.c), none in LISTEN and TIME-WAIT */
	uint32_t sndbuf_size, rcvbuf_size;
	bool sndbuf_locked, rcvbuf_locked; /* set by the application: no autotuning */
	struct tcp_autotune tune;
	struct tcp_ringbuf snd, rcv;
	/* memory accounting (tcp_mem.c): bytes charged per side, the account */
	uint32_t mem_snd, mem_rcv;
	uint32_t mem_sb;    /* the SACK scoreboard (tcp_recovery.c) */
	uint32_t mem_reasm; /* out-of-order ranges moved out of the connection (tcp_reasm.h) */
	uint16_t mem_acct;
	bool mem_attached;
	bool mem_wait; /* held back for want of memory: woken when some is freed */
	uint32_t mem_wait_prev, mem_wait_next; /* the waiters' list (tcp_mem.c) */
	bool rcv_grow_set;
	uint32_t rcv_wnd_cap;  /* the window grows up to RCVBUF as the peer uses it */
	tcp_seq rcv_grow_mark; /* RCV.NXT reaching this doubles rcv_wnd_cap */
	struct tcp_reasm reasm;
	bool fin_queued;    /* the user closed the send side: FIN after the queue */
	bool fin_sent;	    /* snd_max covers our FIN */
	bool fin_rcvd;	    /* the peer's FIN is in sequence (rcv_nxt counts it) */
	bool want_writable; /* a send took less than asked */
	bool fin_ooo;	    /* a FIN beyond a hole was seen: taking it is ACKed at once */
	bool fin_ooo_held;  /* and is kept, at fin_ooo_seq, until the bytes before it come */
	tcp_seq fin_ooo_seq;

	/* retransmission and RTT (RFC 6298, Karn) */
	struct tcp_rtt rtt;
	bool rtt_timing;
	tcp_seq rtt_seq;
	stack_time_us rtt_start;
	uint32_t nrexmit; /* consecutive expiries of the retransmission timer */
	uint32_t persist_backoff, persist_probes;
	uint32_t keep_probes;
	/* RFC 9293 §3.8.3 USER TIMEOUT (RFC 5482, TCP_USER_TIMEOUT): 0 = off; how
	 * long data may stay unacknowledged, or queued behind a closed window */
	uint64_t user_timeout;
	uint16_t user_mss; /* TCP_MAXSEG: caps what we advertise and what we send (0 none) */
	bool cork;	   /* TCP_CORK: partial segments wait until it is taken off (or the FIN) */
	stack_time_us stall_since; /* since when: set at the first RTO or probe, 0 = none */

	/* congestion control (tcp_cc.h) */
	struct tcp_cc cc;
	uint32_t dupacks;
	bool sack_high_valid;
	tcp_seq sack_high;  /* highest sequence number the peer has SACKed (without scoreboard) */
	struct tcp_rec rec; /* SACK scoreboard, RACK-TLP, PRR, undo (tcp_recovery.c) */

	/* ACK generation */
	bool ack_now;
	uint32_t rcv_unacked; /* bytes received since the last ACK we sent */
	uint32_t rcv_seg_max; /* largest segment payload received (capped at our MSS) */
	/* quick ACKs (tcp_input_schedule_ack): how many are left, whether the
	 * one owed is one (the DELACK timer is then due at once), whether our
	 * data answers the peer's within delayed_ack, when data last came, and
	 * when data last came or the handshake ended (what our data answers) */
	uint8_t quick_acks;
	bool quick_due;
	bool interactive;
	stack_time_us last_data_rcv; /* 0: none yet */
	stack_time_us answer_from;   /* 0: neither yet */

	/* RFC 5961 §7 challenge ACK spacing: when the last one went out, and
	 * whether one has (tcp_input_challenge_ack) */
	stack_time_us chack_window;
	uint32_t chack_count;
	/* the last ACK to an out-of-window segment without data (tcp.invalid_ratelimit) */
	stack_time_us oow_ack_at;
	bool oow_acked;

	/* timers */
	stack_time_us timer[TCP_TIMER_COUNT];
	struct heap_node hnode;
	stack_time_us last_rcv;

	/* per-connection options */
	bool nodelay, keepalive;
	bool cc_chosen; /* OPTION_CONGESTION was set: a listener's children run it too */
	uint64_t keep_idle, keep_intvl;
	uint32_t keep_cnt;

	/* events */
	uint32_t ev_bits;
	uint32_t ev_next;
	bool on_ev_list;
	stack_sock ev_sock; /* the handle events name (kept when the handle is released) */
	uint64_t ev_owner;
	int ev_err;

	/* link back-pressure: waiting for the link to unblock */
	bool on_out_list;
	uint32_t out_next;

	int soft_error; /* last ICMP soft error, -errno, 0 none */
	int hard_error; /* error the connection died of */

	/* counters */
	uint64_t segs_in, segs_out, bytes_out, bytes_retrans, bytes_acked, bytes_received;
	uint64_t total_retrans;

	struct tcp_history_entry hist[TCP_HISTORY_LEN];
	uint32_t hist_n; /* total transitions recorded; the ring holds the last 16 */
};

/* tcp_conn.c */
struct tcp_conn *tcp_conn_alloc(struct stack *s);
void tcp_conn_free(struct stack *s, struct tcp_conn *c);
uint32_t tcp_conn_slot(const struct stack *s, const struct tcp_conn *c);
stack_sock tcp_conn_sock(const struct stack *s, const struct tcp_conn *c);
/* The connection a handle names, or NULL when stale; need_handle: the owner's view. */
struct tcp_conn *tcp_conn_from_sock(const struct stack *s, stack_sock sock, bool need_handle);
struct tcp_conn *tcp_conn_lookup(const struct stack *s, const struct tcp_tuple *t);
int tcp_conn_hash(struct stack *s, struct tcp_conn *c);
void tcp_conn_unhash(struct stack *s, struct tcp_conn *c);
void tcp_conn_buffers_free(struct stack *s, struct tcp_conn *c);
void tcp_conn_sndbuf_free(struct stack *s, struct tcp_conn *c);
void tcp_conn_rcvbuf_free(struct stack *s, struct tcp_conn *c);
/* Tell the trace hook (if any) that the connection or record named sock changed state. */
void tcp_conn_trace_state(struct stack *s, stack_time_us now, stack_sock sock,
			  const struct tcp_tuple *t, enum tcp_conn_state from,
			  enum tcp_conn_state to, enum tcp_cause cause);
void tcp_conn_set_state(struct stack *s, stack_time_us now, struct tcp_conn *c,
			enum tcp_conn_state to, enum tcp_cause cause, const struct tcp_seg *seg);
/* Defaults from the tunables for a new connection. */
void tcp_conn_init_defaults(struct stack *s, struct tcp_conn *c);
/* Tear a connection down to CLOSED: timers off, buffers freed, unhashed;
 * it is freed at once when nobody holds a handle. */
void tcp_conn_destroy(struct stack *s, stack_time_us now, struct tcp_conn *c, enum tcp_cause cause,
		      const struct tcp_seg *seg);
/* Report an error event (RESET/ERROR) and destroy. */
void tcp_conn_fail(struct stack *s, stack_time_us now, struct tcp_conn *c, enum stack_event_type ev,
		   int err, enum tcp_cause cause, const struct tcp_seg *seg);
/* Bytes waiting in the send buffer that were never sent. */
uint32_t tcp_conn_unsent(const struct tcp_conn *c);
static inline bool tcp_state_synchronized(enum tcp_conn_state st)
{
	return st >= TCP_ESTABLISHED;
}

/*
 * The right edge of the peer's send window: SND.WL2 + SND.WND, never below
 * SND.UNA. RFC 9293 §3.10.7.4 (fifth step) calls SND.WND "an offset from
 * SND.UNA", but the peer offered it relative to the SEG.ACK of the segment
 * that carried it (§3.8.6: the window starts at the acknowledgment number),
 * and that SEG.ACK is what SND.WL2 records. The two agree only while
 * SND.WL2 = SND.UNA: an ACK that advances SND.UNA but fails the SND.WL1/WL2
 * test (a reordered segment with an older SEG.SEQ) leaves SND.WND as it was,
 * and SND.UNA + SND.WND would then reach past the edge the peer offered.
 * SND.WL2 + SND.WND is exactly that edge.
 */
static inline tcp_seq tcp_conn_snd_wnd_end(const struct tcp_conn *c)
{
	tcp_seq end = c->snd_wl2 + c->snd_wnd;

	return seq_lt(end, c->snd_una) ? c->snd_una : end;
}

/* RFC 9293 §3.8.6: the usable window from seq, SND.WL2 + SND.WND - seq (0 when past it). */
static inline uint32_t tcp_conn_snd_usable(const struct tcp_conn *c, tcp_seq seq)
{
	tcp_seq end = tcp_conn_snd_wnd_end(c);

	return seq_lt(seq, end) ? end - seq : 0;
}

/* tcp_output.c */
/* Send what the windows allow, then any ACK that is due. */
void tcp_output(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* One segment from the connection: seq, len payload bytes from the send buffer, flags. */
int tcp_output_segment(struct stack *s, stack_time_us now, struct tcp_conn *c, tcp_seq seq,
		       uint32_t len, uint8_t flags);
void tcp_output_ack(struct stack *s, stack_time_us now, struct tcp_conn *c);
void tcp_output_rst(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* Our SYN (SYN-SENT) or SYN,ACK (SYN-RECEIVED), sequence ISS; ip4_output's result. */
int tcp_output_syn(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* A segment in, traced under sock (STACK_SOCK_NONE when it reached no connection). */
void tcp_output_trace_in(struct stack *s, stack_time_us now, stack_sock sock,
			 const struct ip4_rx *ip, const struct tcp_seg *seg);
/* A header-only segment that belongs to no slot (TIME-WAIT records), traced under sock. */
int tcp_output_bare(struct stack *s, stack_time_us now, stack_sock sock, uint32_t src, uint32_t dst,
		    const struct tcp_seg *seg);
/* RFC 9293 §3.10.7.1: the reset for a segment that reached no connection. */
void tcp_output_reset_reply(struct stack *s, stack_time_us now, const struct ip4_rx *ip,
			    const struct tcp_seg *seg);
/* The window to advertise, before scaling (receiver SWS avoidance applied). */
uint32_t tcp_output_rcv_window(const struct stack *s, const struct tcp_conn *c);
/* The payload bytes of a full-size segment given the options we put in each. */
uint32_t tcp_output_max_payload(const struct tcp_conn *c);
/* The payload a data segment sent now may carry: MSS less the options it carries, SACK too. */
uint32_t tcp_output_seg_payload(const struct tcp_conn *c);
/* The application freed receive space: send a window update if it is worth one. */
void tcp_output_window_update(struct stack *s, stack_time_us now, struct tcp_conn *c);
uint32_t tcp_output_tsval(const struct tcp_conn *c, stack_time_us now);
/* The most payload one frame may carry: one segment of maxpl, or a TSO frame. */
uint32_t tcp_output_burst_max(const struct stack *s, uint32_t maxpl);
/* A segment that belongs to no connection (a cookie SYN,ACK); c only names it in the trace. */
int tcp_output_stateless(struct stack *s, stack_time_us now, const struct tcp_conn *c,
			 uint32_t laddr, uint32_t raddr, const struct tcp_seg *seg);

/* tcp_timer.c */
void tcp_timer_set(struct stack *s, struct tcp_conn *c, enum tcp_timer_id id, stack_time_us at);
void tcp_timer_clear(struct stack *s, struct tcp_conn *c, enum tcp_timer_id id);
void tcp_timer_clear_all(struct stack *s, struct tcp_conn *c);
/* Arm the retransmission timer at now + RTO (with backoff). */
void tcp_timer_arm_rexmit(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* The user timeout changed: armed retransmission and persist deadlines come forward to it. */
void tcp_timer_user_timeout_changed(struct stack *s, struct tcp_conn *c);
void tcp_timer_arm_keepalive(struct stack *s, stack_time_us now, struct tcp_conn *c);
void tcp_timer_arm_persist(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* Enter TIME-WAIT: buffers freed, 2 x MSL from the tunables now. */
void tcp_timer_enter_time_wait(struct stack *s, stack_time_us now, struct tcp_conn *c,
			       enum tcp_cause cause, const struct tcp_seg *seg);
void tcp_timer_run(struct stack *s, stack_time_us now, struct tcp_conn *c);

/* tcp_orphan.c */
/* The owner closed c and it goes on alone: count it, put it on the orphans' FIFO. */
void tcp_orphan_adopt(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* Reset the oldest orphans while there are more than max_orphans. */
void tcp_orphan_bound(struct stack *s, stack_time_us now);
/* c's slot is freed: off the FIFO. */
void tcp_orphan_forget(struct stack *s, struct tcp_conn *c);
/* A retransmission timeout or probe of c is due: true when it was the one too
 * many for tcp.orphan_retries and c has been reset (and freed). */
bool tcp_orphan_gives_up(struct stack *s, stack_time_us now, struct tcp_conn *c);

/* tcp_listen.c */
void tcp_listen_input_syn(struct stack *s, stack_time_us now, struct tcp_conn *l,
			  const struct ip4_rx *ip, const struct tcp_seg *seg);
/* A passive child for seg's tuple: slot, buffers, hashed, counted in the SYN queue; NULL when
 * there is no slot or memory (not counted: the callers count what they do then). */
struct tcp_conn *tcp_listen_new_child(struct stack *s, struct tcp_conn *l, const struct ip4_rx *ip,
				      const struct tcp_seg *seg);
/* The most half-open children l may hold: syn_backlog, and no more than its listen backlog. */
uint32_t tcp_listen_synq_max(const struct stack *s, const struct tcp_conn *l);
/* How many SYN-ACK retransmissions a half-open child gets now. */
uint32_t tcp_listen_synack_retries(const struct stack *s, const struct tcp_conn *c);

/* tcp_syncookie.c */
/* The listener answers SYNs with cookies now (syncookies tunable, SYN queue full). */
bool tcp_syncookie_wanted(const struct stack *s, const struct tcp_conn *l);
/* Answer syn with a cookie SYN,ACK; keeps no state. */
void tcp_syncookie_send(struct stack *s, stack_time_us now, struct tcp_conn *l,
			const struct ip4_rx *ip, const struct tcp_seg *syn);
/* An ACK to a listener: 0 with *ret_c a new child in SYN-RECEIVED, ready for the ACK, when it
 * carries a valid cookie; -EINVAL forged or expired (counted; reset it), -ENOENT no cookie
 * checked (reset it), -ENOBUFS valid but no room (drop it; the peer retransmits). */
int tcp_syncookie_ack(struct stack *s, stack_time_us now, struct tcp_conn *l,
		      const struct ip4_rx *ip, const struct tcp_seg *seg, struct tcp_conn **ret_c);
/* A passive child reached ESTABLISHED: move it to the accept queue (false: queue full). */
bool tcp_listen_child_established(struct stack *s, struct tcp_conn *child);
/* A passive child is going away: take it off the listener's queues. */
void tcp_listen_child_gone(struct stack *s, struct tcp_conn *child);
/* Take the first connection off the accept queue; NULL when empty. */
struct tcp_conn *tcp_listen_accept(struct stack *s, struct tcp_conn *l);
void tcp_listen_close(struct stack *s, stack_time_us now, struct tcp_conn *l);
struct tcp_conn *tcp_listen_parent(const struct stack *s, const struct tcp_conn *child);

/* tcp_input.c */
/* Set up a connection's options from the SYN it received (ours or the peer's). */
void tcp_input_syn_options(struct stack *s, struct tcp_conn *c, const struct tcp_seg *seg);
/* Which options a new connection offers (tunables), its window scale, TS offset. */
void tcp_input_offer(struct stack *s, struct tcp_conn *c);
/* Set up a passive child from the listener's SYN and answer it with SYN,ACK. */
void tcp_input_passive_open(struct stack *s, stack_time_us now, struct tcp_conn *c,
			    const struct tcp_seg *seg);
/* Set up a passive child from a SYN with the given ISS and enter SYN-RECEIVED (nothing sent);
 * why is the segment the state history records (the SYN itself, or a cookie's ACK). */
void tcp_input_passive_init(struct stack *s, stack_time_us now, struct tcp_conn *c,
			    const struct tcp_seg *syn, tcp_seq iss, const struct tcp_seg *why);
/* RFC 7323 §2.3: the window shift a receive buffer needs. */
uint8_t tcp_input_wscale_for(uint32_t rcvbuf);
/* RFC 5961 §7 spacing, for connections and TIME-WAIT records: may a challenge ACK go out at now,
 * the last having gone at `last` (sent false: none yet)? Counts TcpExtTCPChallengeACK or
 * TcpExtTCPACKSkippedChallenge. */
bool tcp_input_challenge_ack_due(struct stack *s, stack_time_us now, stack_time_us last, bool sent);
/* Is someone listening on t's local end (a SYN may reopen a pair in TIME-WAIT, RFC 6191)? */
bool tcp_input_listening(const struct stack *s, const struct tcp_tuple *t);

/* tcp_autotune.c */
/* The largest RCVBUF a connection may come to have (what the SYN's window scale must cover). */
uint32_t tcp_autotune_rcvbuf_ceiling(const struct stack *s, bool locked, uint32_t rcvbuf);
/* In-order data arrived (RCV.NXT moved): the receiver's RTT measurement. */
void tcp_autotune_rcv_data(struct tcp_conn *c, stack_time_us now);
/* The application consumed received bytes: grow RCVBUF if it reads more per RTT than before. */
void tcp_autotune_rcv_consumed(struct stack *s, struct tcp_conn *c, stack_time_us now);
/* New data was ACKed (flight: what was in flight before it; wnd: the window it brings):
 * grow SNDBUF when it, not cwnd or the peer's window, limits the sender. */
void tcp_autotune_snd_acked(struct stack *s, struct tcp_conn *c, uint32_t flight, uint32_t wnd);

/* tcp_mem.c */
void tcp_mem_init(struct stack *s);
/* Bytes c may still charge to its send (rcv false) or receive side: the smaller of the
 * stack's and its account's room. */
uint64_t tcp_mem_room(const struct stack *s, const struct tcp_conn *c, bool rcv);
/* How much more autotuning may give c's RCVBUF: up to half the budget in use, stack-wide
 * and in c's account. */
uint64_t tcp_mem_autotune_room(const struct stack *s, const struct tcp_conn *c);
/* Grow the send ring so it takes up to want more bytes; returns how many it takes now. */
uint32_t tcp_mem_snd_space(struct stack *s, struct tcp_conn *c, uint32_t want);
/* Would a send take something now? */
bool tcp_mem_snd_writable(const struct stack *s, const struct tcp_conn *c);
/* The window the receive side may advertise beyond RCV.NXT (never less than it has). */
uint32_t tcp_mem_rcv_space(const struct stack *s, const struct tcp_conn *c);
/* A window was advertised (RCV.ADV moved): charge what it promises (not for a half-open
 * passive child: its window is reserved when the handshake completes). */
void tcp_mem_rcv_promised(struct stack *s, struct tcp_conn *c);
/* Charge the window c has already advertised (a cookie child's, or a passive child's at
 * the ACK that completes its handshake): -ENOMEM when the budget cannot back it. */
int tcp_mem_rcv_reserve(struct stack *s, struct tcp_conn *c);
/* Make room for len bytes off bytes past the in-order end; returns the bytes it may take. */
uint32_t tcp_mem_rcv_take(struct stack *s, struct tcp_conn *c, uint32_t off, uint32_t len);
/* How many of len in-order bytes c may take (as tcp_mem_rcv_take(), without growing the
 * ring: for bytes its direct reader may take before they would be kept). Like it, it
 * lets the window grow as they arrive (tcp_mem_rcv_autotune). */
uint32_t tcp_mem_rcv_room(struct stack *s, struct tcp_conn *c, uint32_t len);
/* A ring may have emptied (ACKed, or read): release it when idle, or at once under pressure. */
void tcp_mem_snd_drained(struct stack *s, stack_time_us now, struct tcp_conn *c);
void tcp_mem_rcv_drained(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* More out-of-order ranges for c (a larger array, charged to the budget): 0, or -ENOSPC at
 * TCP_REASM_MAX_RANGES, -ENOMEM without memory. */
int tcp_mem_reasm_grow(struct stack *s, struct tcp_conn *c);
/* Take the ranges back into the connection once few are left (at most TCP_REASM_INLINE). */
void tcp_mem_reasm_shrink(struct stack *s, struct tcp_conn *c);
/* Charge c's SACK scoreboard (bytes; 0 when it is freed); -ENOMEM: no room for it. */
int tcp_mem_sb_charge(struct stack *s, struct tcp_conn *c, uint32_t bytes);
/* TCP_TIMER_MEM_IDLE: give back rings that are still empty. */
void tcp_mem_idle(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* Free a ring and its charge outright (close, TIME-WAIT, tear-down). */
void tcp_mem_snd_free(struct stack *s, struct tcp_conn *c);
void tcp_mem_rcv_free(struct stack *s, struct tcp_conn *c);
/* Charge c (and what it holds) to account slot acct from now on. */
void tcp_mem_conn_attach(struct stack *s, struct tcp_conn *c, uint16_t acct);
void tcp_mem_conn_detach(struct stack *s, struct tcp_conn *c);
/* Tell held-back connections that memory was freed (WRITABLE, window updates). */
void tcp_mem_poll(struct stack *s, stack_time_us now);
bool tcp_mem_wake_pending(const struct stack *s);

/* tcp_api.c */
/* Output for c waits: the link is blocked (the next poll after it unblocks sends), or an
 * input batch is on (its end sends, tcp_input_batch_end; an ACK that is owed may go before,
 * alone: tcp_input_batch_ack_due). */
void tcp_api_out_blocked(struct stack *s, struct tcp_conn *c);
/* Run the output of every connection that waits, unless the link is blocked. */
void tcp_api_flush_blocked(struct stack *s, stack_time_us now);
/* In-order bytes env.direct took as they arrived: count them as read. */
void tcp_api_rcv_direct_taken(struct stack *s, stack_time_us now, struct tcp_conn *c);
/* Raise an event for the handle's owner (coalesced; no-op without a handle). */
void tcp_conn_event(struct stack *s, struct tcp_conn *c, enum stack_event_type type);

#endif
