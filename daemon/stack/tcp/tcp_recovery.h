/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_recovery.h - sender-side loss recovery on SACK connections: the
 * scoreboard (tcp_sack.h), RFC 6675 loss recovery (pipe, NextSeg), RFC 6937
 * PRR for the window reduction, RFC 8985 RACK-TLP as the loss detector,
 * RFC 3042 limited transmit, and undo of spurious retransmissions from
 * D-SACK (RFC 2883, RFC 3708) or timestamps (RFC 3522). Connections without
 * SACK (or whose scoreboard could not be allocated) keep NewReno (RFC 6582)
 * in tcp_input.c.
 */
#ifndef SYNACK_TCP_RECOVERY_H
#define SYNACK_TCP_RECOVERY_H

#include <stdbool.h>
#include <stdint.h>

#include "tcp_cc.h"
#include "tcp_sack.h"
#include "tcp_seq.h"

enum tcp_rec_state {
	TCP_REC_OPEN,	  /* no loss being repaired */
	TCP_REC_RECOVERY, /* fast recovery (RFC 6675 §5) with PRR */
	TCP_REC_LOSS,	  /* after a retransmission timeout, until SND.UNA reaches recover */
};

struct tcp_rec {
	struct tcp_sb *sb; /* NULL: no scoreboard (no SACK, or not allocated yet) */
	uint8_t state;	   /* enum tcp_rec_state */
	bool rescue_done;  /* RFC 6675 NextSeg rule 4, once per recovery */
	/* PRR (RFC 6937 §3) */
	uint32_t prr_delivered, prr_out, recover_fs;
	/* RACK (RFC 8985 §6) */
	bool rack_valid, fack_valid, reord_seen, dsack_round_valid;
	uint8_t reo_wnd_mult, reo_wnd_persist;
	uint32_t rack_xmit; /* send time of the most recently sent segment delivered */
	tcp_seq rack_end;
	uint32_t rack_rtt, min_rtt; /* microseconds; min_rtt UINT32_MAX before a sample */
	tcp_seq fack, dsack_round;
	/* TLP (RFC 8985 §7): one probe outstanding at most */
	bool tlp_out, tlp_retrans, tlp_dsacked;
	bool tlp_in_recovery; /* the probe went during a fast recovery */
	tcp_seq tlp_start, tlp_end;
	/* undo (RFC 3708 with RFC 2883 D-SACKs): the window before the reduction */
	bool undo_valid;
	tcp_seq undo_marker;
	int32_t undo_retrans; /* retransmitted segments not yet reported as duplicates */
	uint32_t undo_cwnd, undo_ssthresh;
	/* a timeout (RFC 3522 Eifel detection): TSval of its first retransmission */
	bool loss_from_open;
	uint32_t loss_tsval;
};

/* What one ACK's processing keeps between tcp_rec_ack_begin() and _end(). */
struct tcp_rec_ack {
	tcp_seq prior_una;
	uint32_t prior_sacked, prior_pipe;
	bool dsack;
	bool undo; /* a D-SACK reported the episode's last retransmission */
	/* what congestion control is told when SND.UNA moved (tcp_input_ack_new) */
	struct tcp_cc_ack cca;
};

struct stack;
struct tcp_conn;
struct tcp_seg;

/* Scoreboard-driven recovery is in use for c (SACK negotiated, scoreboard allocated). */
bool tcp_rec_sack_mode(const struct tcp_conn *c);
/* Before sending: give a SACK connection with nothing in flight its scoreboard. */
void tcp_rec_prepare(struct stack *s, struct tcp_conn *c);
/* Free the scoreboard and its charge (the send side is torn down). */
void tcp_rec_free(struct stack *s, struct tcp_conn *c);
/* The bytes in flight that cwnd is compared with: pipe with SACK (RFC 6675 §4), else
 * SND.NXT - SND.UNA less RFC 3042's allowance on the first two duplicate ACKs. */
uint32_t tcp_rec_flight(const struct tcp_conn *c);
/* [start, end) went out at now (retrans: not for the first time). */
void tcp_rec_sent(struct stack *s, struct tcp_conn *c, uint64_t now, tcp_seq start, tcp_seq end,
		  bool retrans);
/* An acceptable ACK on a SACK connection: _begin before SND.UNA moves, _end after. */
void tcp_rec_ack_begin(struct stack *s, struct tcp_conn *c, uint64_t now, const struct tcp_seg *seg,
		       struct tcp_rec_ack *ra);
void tcp_rec_ack_end(struct stack *s, struct tcp_conn *c, uint64_t now, const struct tcp_seg *seg,
		     const struct tcp_rec_ack *ra);
/* Retransmissions NextSeg (RFC 6675 §4) picks, as far as cwnd - pipe allows. */
void tcp_rec_output(struct stack *s, uint64_t now, struct tcp_conn *c);
/* The retransmission timer expired on a SACK connection (before the cc's on_rto). */
void tcp_rec_on_rto(struct stack *s, uint64_t now, struct tcp_conn *c);
/* TCP_TIMER_RACK and TCP_TIMER_TLP expired. */
void tcp_rec_timer_rack(struct stack *s, uint64_t now, struct tcp_conn *c);
void tcp_rec_timer_tlp(struct stack *s, uint64_t now, struct tcp_conn *c);

#endif
