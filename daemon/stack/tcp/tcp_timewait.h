/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_timewait.h - compact TIME-WAIT records (RFC 9293 §3.4.2,
 * §3.10.7.4; RFC 1337; RFC 6191): what is left of a connection once its
 * owner has closed it and both FINs are ACKed, kept outside the connection
 * slots so TIME-WAIT never takes a slot from live traffic.
 *
 * A record holds only what TIME-WAIT needs: the 4-tuple, SND.NXT and
 * RCV.NXT to re-ACK a retransmitted FIN and judge a new SYN (RFC 6191),
 * TS.Recent with its age for PAWS, the window we advertised, the expiry,
 * and the connection id and last state change for observers. The table is
 * bounded by stack_config.max_time_wait; at the bound the record closest to
 * its expiry is recycled (TcpExtTCPTimeWaitOverflow).
 *
 * Memory: records come from the core's allocator in chunks of
 * TCP_TW_CHUNK as they are needed, and a chained hash keyed with the stack's
 * secret (so a peer cannot aim at one chain) grows with the count. When the
 * last record goes, chunks and buckets go back to the allocator (the
 * directory of chunk pointers, 8 bytes per TCP_TW_CHUNK records, stays).
 *
 * Expiry: 2 x MSL is the same for every record entered under one MSL, so
 * records join a FIFO whose order is their expiry: O(1) to add, to restart
 * and to expire, nothing per idle record. `synackctl set msl` may lower MSL
 * while records exist, which would put a shorter expiry behind longer ones;
 * a record therefore joins one of TCP_TW_QUEUES FIFOs whose last expiry is
 * not later than its own (a lower MSL opens a new FIFO). Should every FIFO
 * end later (several MSL cuts within one 2 x MSL), the record waits as long
 * as the shortest tail: TIME-WAIT a little longer, never shorter.
 */
#ifndef SYNACK_TCP_TIMEWAIT_H
#define SYNACK_TCP_TIMEWAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "../stack.h"
#include "tcp_table.h"

struct stack;
struct tcp_conn;
struct tcp_seg;
struct ip4_rx;
struct stack_tcp_info;
struct stack_tcp_history_entry;

#define TCP_TW_CHUNK	  256u /* records per allocation */
#define TCP_TW_QUEUES	  4u   /* expiry FIFOs (see above) */
#define TCP_TW_NONE	  UINT32_MAX
#define TCP_TW_SOCK_FLAG  (1u << 31) /* a handle's slot field with this bit names a record */
#define TCP_TW_FREE_QUEUE 0xff

/* One TIME-WAIT record (120 bytes on LP64: the order avoids padding). */
struct tcp_tw {
	uint64_t id; /* the connection's id, kept for observers */
	stack_time_us expires;
	stack_time_us ts_recent_at;
	stack_time_us chack_last; /* RFC 5961 §7: when the last challenge ACK went out */
	stack_time_us hist_at;	  /* the latest state change (for trace) */
	struct tcp_tuple tuple;
	uint32_t gen;		   /* handle generation */
	uint32_t self;		   /* this record's index */
	uint32_t snd_nxt, rcv_nxt; /* SND.NXT past our FIN, RCV.NXT past theirs */
	uint32_t rcv_wnd;	   /* bytes we advertised beyond RCV.NXT */
	uint32_t rcvbuf;	   /* the size the connection's receive buffer had */
	uint32_t max_snd_wnd;	   /* RFC 5961 §5.2's bound on old ACKs */
	uint32_t ts_recent, ts_offset;
	uint32_t hist_seq, hist_ack;
	uint32_t hnext;	       /* hash chain, or the free list */
	uint32_t qprev, qnext; /* expiry FIFO */
	uint8_t rcv_wscale;
	uint8_t queue; /* expiry FIFO, TCP_TW_FREE_QUEUE when the record is free */
	bool ts_ok;
	bool chack_sent; /* chack_last is valid: one has gone out */
	uint8_t hist_from, hist_to, hist_cause, hist_flags;
};

/*
 * What one record costs at most, table included: the record, two buckets
 * (the hash doubles when the records outnumber its buckets, so there are
 * never more than two per record at the top) and, rounded up to a whole
 * pointer, its share of the chunk directory. The limit is 256 bytes.
 */
#define TCP_TW_BYTES_PER_ENTRY (sizeof(struct tcp_tw) + 2 * sizeof(uint32_t) + sizeof(void *))
_Static_assert(TCP_TW_BYTES_PER_ENTRY <= 256, "a TIME-WAIT record costs at most 256 bytes");

struct tcp_tw_fifo {
	uint32_t head, tail;
};

struct tcp_tw_table {
	struct tcp_tw **chunks; /* directory of nchunks_max pointers, allocated on first use */
	uint32_t nchunks, nchunks_max;
	uint32_t *buckets; /* chained hash, nbuckets a power of two */
	uint32_t nbuckets;
	uint32_t free_head;
	uint32_t count, max;
	uint32_t gen_seq; /* the last handle generation given */
	struct tcp_tw_fifo q[TCP_TW_QUEUES];
	uint8_t key[16];
	size_t bytes; /* allocated for records, buckets and the directory */
};

void tcp_tw_init(struct stack *s);
void tcp_tw_deinit(struct stack *s);

/*
 * c (no handle any more) is in TIME-WAIT: a record takes over its tuple and
 * the slot is freed (once its pending events are popped). An ACK the
 * connection still owes goes out first. When no record can be had, the
 * connection simply ends (TcpExtTCPTimeWaitOverflow).
 */
void tcp_tw_take_over(struct stack *s, stack_time_us now, struct tcp_conn *c);

/* The record for tuple t, NULL when none. */
struct tcp_tw *tcp_tw_lookup(const struct stack *s, const struct tcp_tuple *t);

/* How old the peer's last timestamp must be before tcp.tw_reuse lets an active open take the tuple. */
#define TCP_TW_REUSE_AFTER_US 1000000ull

/*
 * tcp.tw_reuse: may an active open take tw's tuple now? Only when the old
 * incarnation used timestamps and the new one will (PAWS then tells the
 * old one's stray segments from the new one's: RFC 7323 §5, RFC 6191) and
 * the peer's last timestamp is TCP_TW_REUSE_AFTER_US old.
 */
bool tcp_tw_reusable(const struct stack *s, stack_time_us now, const struct tcp_tw *tw);

/*
 * An active open took tw's tuple (tcp_tw_reusable() said yes) and its SYN is
 * out, starting past tw->snd_nxt with tw->ts_offset: the record ends
 * (TcpExtTWRecycled).
 */
void tcp_tw_reuse(struct stack *s, stack_time_us now, struct tcp_tw *tw);

/*
 * A segment for a tuple that has no connection. Returns true when a record
 * took it; false when there is none, or when it was a SYN that reopens the
 * pair (RFC 6191, only when a listener is there: the record is gone and the
 * listener takes the SYN).
 */
bool tcp_tw_input(struct stack *s, stack_time_us now, const struct tcp_tuple *t,
		  const struct ip4_rx *ip, const struct tcp_seg *seg);

/* End every record due at now; the earliest expiry, or STACK_TIME_NEVER. */
void tcp_tw_poll(struct stack *s, stack_time_us now);
stack_time_us tcp_tw_poll_at(const struct stack *s);

/* Observers: handles of records carry TCP_TW_SOCK_FLAG in their slot field. */
static inline bool tcp_tw_is_sock(stack_sock sock)
{
	return ((uint32_t)sock & TCP_TW_SOCK_FLAG) != 0;
}
stack_sock tcp_tw_sock(const struct stack *s, const struct tcp_tw *tw);
const struct tcp_tw *tcp_tw_from_sock(const struct stack *s, stack_sock sock);
void tcp_tw_info(const struct stack *s, const struct tcp_tw *tw, struct stack_tcp_info *in);
int tcp_tw_history(const struct stack *s, const struct tcp_tw *tw,
		   struct stack_tcp_history_entry *ret, size_t max);
/* Visit every record; a non-zero return of cb stops the walk and is returned. */
int tcp_tw_foreach(const struct stack *s,
		   int (*cb)(void *ctx, stack_sock sock, const struct stack_tcp_info *info),
		   void *ctx);
/* End a record at once (synackctl kill); -EBADF when the handle is stale. */
int tcp_tw_kill(struct stack *s, stack_time_us now, stack_sock sock);

#endif
