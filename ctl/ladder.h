/* SPDX-License-Identifier: MIT */
/*
 * ladder.h - a connection's history drawn as a ladder diagram (`trace`):
 * a time column, our state, two lifelines (synack on the left, the peer on
 * the right) with one arrow per segment, then the peer's state as the
 * segments imply it, fitting 80 columns:
 *
 *   time/ms state        synack                                 peer state
 *     0.000 SYN-SENT     |-- SYN seq=0 win=64240 ----------------->|
 *     0.412 ESTABLISHED  |<------- SYN,ACK seq=0 ack=1 win=65160 --| SYN-RECEIVED
 *     0.412              |-- ACK seq=1 ack=1 win=502 ------------->| (ESTABLISHED)
 *
 * Our state is observed: a state change is written on the line of the
 * segment that caused it (RFC 9293 figure style: the state after the line's
 * event): an inbound segment at the same instant, else an outbound segment
 * sent at the same instant (a call like connect or close); else on a line
 * of its own with its cause ("2MSL timeout").
 *
 * The peer's state is never observed: it is inferred from the segments by
 * RFC 9293's state machine (§3.3.2, the figures of §3.5) and written, like
 * ours, only on the lines where it changes. On an arrow from the peer it is
 * the state the peer was in when it sent that segment, as the segment shows
 * it: a bare SYN is sent in SYN-SENT, a SYN,ACK in SYN-RECEIVED, anything
 * else once synchronized, a FIN in FIN-WAIT-1 or, when its ACK covers our
 * FIN, in LAST-ACK, and a RST leaves it CLOSED. What of ours the peer had
 * received by then is what its ACK covers and, segments arriving in order,
 * all we sent before that. On an arrow to the peer, in parentheses, it is
 * the state our segment puts the peer in when it arrives (our RST returns a
 * peer that came from LISTEN to LISTEN): implied, since the trace cannot see
 * it arrive. A segment from the peer that left before ours arrived, and so
 * agrees with what is written once they do, writes nothing; one that shows
 * otherwise writes the state it was sent in. When ours crossed the peer's
 * in flight (a simultaneous open or close), where their arrival falls cannot
 * be drawn: the ladder waits for the peer's next segment to say where it
 * got to. Retransmissions change nothing. Until a segment from the peer
 * shows a state (our SYN unanswered) nothing is written; nor, in a history
 * that starts mid-connection, until a SYN or RST shows one or our FIN
 * leaves with our state saying whether the peer's FIN came first (our FIN
 * may lie before the history's start). `trace -o json` carries the segments, not this.
 *
 * Relative numbers count from each side's ISN (its SYN's seq), so the
 * handshake reads SYN seq=0, SYN,ACK seq=0 ack=1, ACK seq=1 ack=1; arithmetic
 * is modulo 2^32 (RFC 9293 §3.4), so a sequence space that wraps still counts
 * up. When the history starts after the SYN, numbers count from the first
 * one seen and a note says so. The space between the lifelines is 41
 * columns (lines of 80) and with ten-digit numbers (--absolute) 64 (lines
 * of up to 103), where a label of up to three flags with seq, ack, win and
 * len fits; a history whose labels are longer (relative numbers of a bulk
 * transfer: "PSH,ACK seq=143360 ack=0 win=63 len=15928") is drawn wider,
 * up to that, to fit its longest (ladder_fit). A longer label fed after the
 * header is out (`trace --follow`: the bulk data after the handshake it
 * began with) widens the ladder to 64 from that line on, under a new header
 * line.
 * An arrow whose label is too long even for 64 columns loses dashes first,
 * and only then pushes the peer's lifeline right.
 */
#ifndef SYNACK_CTL_LADDER_H
#define SYNACK_CTL_LADDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "model.h"

enum ladder_flags {
	LADDER_ABSOLUTE = 1u << 0, /* raw sequence numbers (--absolute) */
};

/* Not yet shown by any segment of the peer's. */
#define LADDER_PEER_UNKNOWN CTL_STATE_COUNT
/* Our segments that may change the peer's state and are not yet known to have arrived. */
#define LADDER_PEER_QUEUE   8

struct ladder_peer_seg {
	uint8_t flags;
	uint32_t ack;
	uint32_t need; /* the peer's ACK at or past this shows the segment arrived */
};

/* The peer's state as the segments imply it. */
struct ladder_peer {
	enum ctl_state base;  /* when the peer sent its last segment, LADDER_PEER_UNKNOWN */
	enum ctl_state shown; /* the state last written */
	bool crossed;	      /* segments crossed in flight: wait for the peer's next one */
	bool cut;	      /* the history began mid-connection: synchronized, but which
			       * state is not known until a SYN or RST shows one */
	bool passive;	      /* the peer came from LISTEN (RFC 9293 §3.10.7.4: RST returns it) */
	bool have_isn, have_fin, have_snd;
	uint32_t isn, fin;	   /* the peer's SYN's and FIN's sequence numbers */
	uint32_t snd_max;	   /* the end of the highest sequence number we have sent */
	bool acked_syn, acked_fin; /* we have sent an ACK of its latest SYN, FIN */
	size_t nq;
	struct ladder_peer_seg q[LADDER_PEER_QUEUE]; /* in the order sent */
};

/* The ladder's drawing state, so that --follow can feed entries as they come. */
struct ladder {
	FILE *f;
	unsigned flags;
	unsigned inner_w; /* columns between the lifelines: wider for --absolute */
	bool started;
	uint64_t t0;
	bool have_base[2]; /* [CTL_DIR_OUT]: our sequence space, [CTL_DIR_IN]: the peer's */
	uint32_t base[2];
	bool noted;
	bool have_seg; /* a segment waits to learn whether a state change belongs to it */
	struct ctl_trace_entry seg;
	bool seg_has_state;
	enum ctl_state seg_state;
	char seg_peer[16]; /* the peer's state to write on the segment's line, or "" */
	bool have_state;   /* a state change waits for an outbound segment at the same time */
	struct ctl_trace_entry state;
	struct ladder_peer peer;
};

void ladder_init(struct ladder *l, FILE *f, unsigned flags);
/* Before the first ladder_feed(): widen the space between the lifelines so
 * that every label of these entries fits (at most 64 columns). */
void ladder_fit(struct ladder *l, const struct ctl_trace_entry *e, size_t n);
/* Draw what can be drawn; an entry may wait for the next one. */
void ladder_feed(struct ladder *l, const struct ctl_trace_entry *e);
/* Draw whatever still waits. */
void ladder_flush(struct ladder *l);
/* The whole history at once; returns 0 or -EIO. */
int ladder_render(FILE *f, const struct ctl_trace_entry *e, size_t n, unsigned flags);

#endif
