/* SPDX-License-Identifier: MIT */
/*
 * stack.h - the public API of synack's pure protocol core.
 *
 * The core is a deterministic Ethernet/ARP/IPv4/ICMP/TCP engine. It makes no
 * system calls, reads no clock and never logs: time comes in as an argument
 * (monotonic microseconds), randomness and the hash/ISN secret come in at init
 * through struct stack_env, frames leave through the sink in that env, and
 * events are popped by the caller. Everything here is single-threaded.
 *
 * The daemon shell, the unit tests, the simulator and the fuzzers all drive
 * the core through this header only (tests may also include the internal
 * headers of the module they test).
 *
 * Conventions: functions return 0 or a non-negative count on success and a
 * negative errno on failure; output parameters are written only on success.
 */
#ifndef SYNACK_STACK_H
#define SYNACK_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "counters.h"
#include "tunables.h"

/* Monotonic time in microseconds; the core never reads a clock itself. */
typedef uint64_t stack_time_us;
#define STACK_TIME_NEVER UINT64_MAX

/*
 * A connection or listener handle: slot index + 1 in the low 32 bits and the
 * slot's generation in the high 32, so a stale handle never reaches a reused
 * slot. 0 is never a valid handle.
 */
typedef uint64_t stack_sock;
#define STACK_SOCK_NONE ((stack_sock)0)

/* An IPv4 endpoint in host byte order. */
struct stack_endpoint {
	uint32_t addr;
	uint16_t port;
};

/*
 * Offload metadata carried beside a frame, mirroring what a virtio-net header
 * can say. Zeroed means "a plain frame, checksums complete and unverified".
 */
enum stack_gso_type {
	STACK_GSO_NONE = 0,
	STACK_GSO_TCPV4 = 1,
};

struct stack_frame_meta {
	/* rx: the link already verified the L4 checksum (VIRTIO_NET_HDR_F_DATA_VALID) */
	bool csum_valid;
	/* rx or tx: L4 checksum is partial (pseudo-header only); the link/peer completes it */
	bool csum_partial;
	uint16_t csum_start;  /* offset of the L4 header from the frame start */
	uint16_t csum_offset; /* offset of the checksum field from csum_start */
	/* tx: ask the link to cut this frame into gso_size segments */
	uint8_t gso_type;
	uint16_t gso_size;
	uint16_t hdr_len; /* Ethernet + IP + TCP header bytes of a GSO frame */
};

/*
 * A frame's payload left where it lies, in the connection's send ring: at
 * most two pieces (the ring's wrap) that follow the frame's head in order.
 */
struct stack_frame_tail {
	const uint8_t *base[2];
	uint32_t len[2];
};

static inline size_t stack_frame_tail_len(const struct stack_frame_tail *t)
{
	return (size_t)t->len[0] + t->len[1];
}

/* Copy the tail to dst (behind its head, to make the frame whole). */
static inline void stack_frame_tail_copy(uint8_t *dst, const struct stack_frame_tail *t)
{
	for (int i = 0; i < 2; i++) {
		if (t->len[i])
			memcpy(dst, t->base[i], t->len[i]);
		dst += t->len[i];
	}
}

/*
 * Where frames leave the core. emit() returns 0 when the frame was taken
 * (sent or queued by the link) and a negative errno when it was dropped; the
 * core counts drops and relies on TCP retransmission for them. The link tells
 * the core to hold back new data with stack_link_set_blocked().
 */
struct stack_sink {
	void *ctx;
	int (*emit)(void *ctx, const uint8_t *frame, size_t len,
		    const struct stack_frame_meta *meta);
	/*
	 * Optional, for a link that writes a frame from pieces (writev): a
	 * frame of head_len bytes of headers in head, then the tail's bytes,
	 * which stay valid only during the call. head has room behind it for
	 * the tail: a sink that wants the frame whole copies the tail there
	 * (stack_frame_tail_copy) and goes on as emit(). The core passes a
	 * tail only with a checksum the link completes (tx_csum_offload), so
	 * nothing in the core reads the payload; without emit_tail it copies
	 * every payload into the frame and calls emit().
	 */
	int (*emit_tail)(void *ctx, uint8_t *head, size_t head_len,
			 const struct stack_frame_tail *tail, const struct stack_frame_meta *meta);
};

/* Allocator for connection buffers and tables; the core calls nothing else. */
struct stack_allocator {
	void *ctx;
	void *(*alloc)(void *ctx, size_t size); /* may return NULL */
	void (*free)(void *ctx, void *ptr, size_t size);
	/* optional: zero-filled memory (calloc), whose untouched pages cost no RSS;
	 * without it the stack clears what alloc gave */
	void *(*zalloc)(void *ctx, size_t size);
};

/* What the trace hook sees: every segment in and out, every state change. */
enum stack_trace_kind {
	STACK_TRACE_SEG_IN,
	STACK_TRACE_SEG_OUT,
	STACK_TRACE_STATE,
};

struct stack_trace_seg {
	uint32_t seq, ack;
	uint32_t wnd;  /* raw 16-bit window field as on the wire */
	uint32_t len;  /* payload bytes */
	uint8_t flags; /* TCP_FLAG_* */
	uint16_t mss;  /* option values (0 when absent) */
	int8_t wscale; /* -1 when absent */
	bool sack_ok;
	bool has_ts;
	uint32_t tsval, tsecr;
};

struct stack_trace {
	enum stack_trace_kind kind;
	stack_time_us now;
	stack_sock sock; /* STACK_SOCK_NONE for segments that match no connection */
	struct stack_endpoint local, remote;
	union {
		struct stack_trace_seg seg;
		struct {
			uint8_t from, to; /* enum tcp_state */
			uint8_t cause;	  /* enum tcp_cause */
		} state;
	};
};

struct stack_env {
	uint8_t secret[16]; /* key for RFC 6528 ISNs, RFC 6056 ports, hash tables */
	uint64_t seed;	    /* seed for the core's PRNG (jitter, impairment) */
	struct stack_sink sink;
	struct stack_allocator allocator;
	/* optional: called synchronously for every segment and state change */
	void (*trace)(void *ctx, const struct stack_trace *t);
	void *trace_ctx;
	/*
	 * optional: the reader of a connection marked with stack_tcp_set_direct(),
	 * offered its in-order bytes as they arrive, before they would be copied
	 * into the receive ring; returns how many it took (0..len). It must not
	 * call into the stack.
	 */
	size_t (*direct)(void *ctx, stack_sock sock, uint64_t owner, const uint8_t *data,
			 size_t len);
	void *direct_ctx;
};

#define STACK_DEFAULT_MAX_TIME_WAIT 65536u
#define STACK_DEFAULT_MAX_ORPHANS   1024u

/* The interface and addressing the core runs with. */
struct stack_config {
	uint8_t mac[6];
	uint32_t addr; /* our IPv4 address, host order */
	uint8_t prefix_len;
	uint32_t gateway;     /* 0 = none: off-link destinations are unreachable */
	uint32_t mtu;	      /* 68..65520 */
	bool tx_csum_offload; /* the link completes partial checksums we emit */
	bool tx_tso;	      /* the link segments GSO frames we emit */
	uint32_t max_conns;   /* connection slots (TIME-WAIT uses one only while owned) */
	/* TIME-WAIT records, outside the slots; 0 = STACK_DEFAULT_MAX_TIME_WAIT.
	 * At the bound the record nearest its end is recycled. */
	uint32_t max_time_wait;
	/* connections closed by their owner and still finishing (FIN-WAIT, CLOSING,
	 * LAST-ACK); 0 = STACK_DEFAULT_MAX_ORPHANS. Over it the oldest is reset. */
	uint32_t max_orphans;
	struct stack_tunables tun;
	/* socket buffer budget in bytes, stack-wide and per account; 0 = 1 GiB and = memory */
	uint64_t memory, memory_per_uid;
};

struct stack;

/* Size of struct stack, so the caller can own its storage. */
size_t stack_size(void);

/* Set up a stack in caller-owned storage; sends a gratuitous ARP at now. */
int stack_init(struct stack *s, stack_time_us now, const struct stack_config *cfg,
	       const struct stack_env *env);
/* Free everything the allocator gave; aborts nothing on the wire. */
void stack_deinit(struct stack *s);

/* One received Ethernet frame (meta may be NULL). Never fails: bad frames are counted. */
void stack_input(struct stack *s, stack_time_us now, const uint8_t *frame, size_t len,
		 const struct stack_frame_meta *meta);
/*
 * Frames handed to stack_input() between these two calls form one batch (the
 * link reads up to 64 at a time): on an established SACK connection the
 * segments that carry data are answered once, at the end (one ACK with the
 * newest SACK blocks, and what they let us send), as a kernel receiver's GRO
 * would have it; but once the ACK they are owed would move the window's
 * right edge by a quarter of the window the last ACK opened (a reader took
 * bytes, or the buffer has room), that ACK goes at once (what we send still
 * waits for the end): a sender the window limits need not wait for a whole
 * batch of TSO frames. Pure ACKs are acted on at once (they clock our
 * sending), and connections without SACK answer each segment at once (a
 * NewReno sender counts duplicate ACKs).
 */
void stack_input_batch_begin(struct stack *s);
void stack_input_batch_end(struct stack *s, stack_time_us now);
/* Run every timer due at now and send what the windows allow. */
void stack_poll(struct stack *s, stack_time_us now);
/* The earliest moment stack_poll() has work to do, or STACK_TIME_NEVER. */
stack_time_us stack_poll_at(const struct stack *s);

/* Back-pressure from the link: while blocked, no new data segments are made. */
void stack_link_set_blocked(struct stack *s, bool blocked);

/* Events: a connection's pending events are coalesced; pop until it returns false. */
enum stack_event_type {
	STACK_EV_ESTABLISHED, /* an active open completed */
	STACK_EV_ACCEPTABLE,  /* a listener has connections waiting in its accept queue */
	STACK_EV_READABLE,    /* in-order data is waiting */
	STACK_EV_WRITABLE,    /* send buffer space freed after a send took less than asked */
	STACK_EV_PEER_CLOSED, /* FIN received: no more data after what is queued */
	STACK_EV_RESET,	      /* connection reset by the peer; err says why */
	STACK_EV_ERROR,	      /* connection failed: -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH... */
	STACK_EV_CLOSED,      /* the handle is released; it is stale from now on */
};

struct stack_event {
	enum stack_event_type type;
	stack_sock sock;
	uint64_t owner; /* the owner tag given at connect/listen/accept */
	int err;	/* negative errno for RESET and ERROR, else 0 */
};

bool stack_event_pop(struct stack *s, struct stack_event *ret_ev);

/* Socket-like calls. owner is an opaque tag the caller uses (e.g. RPC session id).
 * stack_tcp_listen() with local->port 0 picks an ephemeral port (stack_tcp_info says which). */
int stack_tcp_listen(struct stack *s, stack_time_us now, const struct stack_endpoint *local,
		     uint32_t backlog, uint64_t owner, stack_sock *ret_sock);
/* Options a connection needs before its SYN goes (stack_tcp_connect_opts). */
struct stack_connect_opts {
	uint16_t mss; /* TCP_MAXSEG: advertised and sent at most (0 = the link's) */
};
/* local may be NULL or have addr/port 0 for "any"; an ephemeral port is picked per RFC 6056. */
int stack_tcp_connect(struct stack *s, stack_time_us now, const struct stack_endpoint *local,
		      const struct stack_endpoint *remote, uint64_t owner, stack_sock *ret_sock);
/* The same with options (o may be NULL). */
int stack_tcp_connect_opts(struct stack *s, stack_time_us now, const struct stack_endpoint *local,
			   const struct stack_endpoint *remote, uint64_t owner,
			   const struct stack_connect_opts *o, stack_sock *ret_sock);
/* Pop one established connection from a listener's accept queue; -EAGAIN when empty. */
int stack_tcp_accept(struct stack *s, stack_time_us now, stack_sock listener, uint64_t owner,
		     stack_sock *ret_sock);
/* Copy up to len bytes into the send buffer; returns bytes taken (0 when full). */
ssize_t stack_tcp_send(struct stack *s, stack_time_us now, stack_sock sock, const void *buf,
		       size_t len);
/* Copy up to len in-order bytes out; 0 at end of stream, -EAGAIN when none yet. */
ssize_t stack_tcp_recv(struct stack *s, stack_time_us now, stack_sock sock, void *buf, size_t len);
/* Bytes waiting to be read. */
size_t stack_tcp_readable(const struct stack *s, stack_sock sock);
/*
 * Zero-copy access to the rings, for a shell that moves bytes between a
 * connection and a file descriptor (readv into the send ring, writev out of
 * the receive ring). A span is valid only until the next call into the stack.
 */
struct stack_span {
	uint8_t *base;
	size_t len;
};
/* The in-order bytes waiting, as at most two spans (the ring's wrap): their total,
 * 0 at end of stream, -EAGAIN when none yet, -errno (the error, -EBADF, -ENOTCONN). */
ssize_t stack_tcp_recv_peek(const struct stack *s, stack_sock sock, struct stack_span span[2]);
/* Drop n bytes seen with stack_tcp_recv_peek() (n <= their total), as stack_tcp_recv() would. */
int stack_tcp_recv_consume(struct stack *s, stack_time_us now, stack_sock sock, size_t n);
/*
 * Direct delivery (on: env.direct set): while the receive ring is empty, no
 * out-of-order bytes are held and no urgent mark is pending, in-order bytes
 * go to env.direct as they arrive, as if copied into the ring and read at
 * once (the window reopens as for a read), with no READABLE event for them;
 * what it leaves is kept in the ring as usual, and later
 * bytes queue behind it until the ring is read empty. The end of stream and
 * errors are still events and reads. -EOPNOTSUPP without env.direct.
 */
int stack_tcp_set_direct(struct stack *s, stack_sock sock, bool on);
/* Room for up to want bytes in the send buffer, as at most two spans; their total (0 when
 * full: a WRITABLE event follows once space frees) or what stack_tcp_send() would fail with.
 * Fill them, then stack_tcp_send_commit() what was written, before any other stack call. */
ssize_t stack_tcp_send_reserve(struct stack *s, stack_time_us now, stack_sock sock, size_t want,
			       struct stack_span span[2]);
/* Queue n bytes written into the spans of the last stack_tcp_send_reserve() (n <= their total). */
int stack_tcp_send_commit(struct stack *s, stack_time_us now, stack_sock sock, size_t n);
/* Close the write side: a FIN follows the queued data. */
int stack_tcp_shutdown(struct stack *s, stack_time_us now, stack_sock sock);
/* Graceful close: the handle is released now (CLOSED event follows); the
 * connection goes on through FIN_WAIT/TIME_WAIT on its own. Unread data -> RST. */
int stack_tcp_close(struct stack *s, stack_time_us now, stack_sock sock);
/* Abort with RST and release the handle. */
int stack_tcp_abort(struct stack *s, stack_time_us now, stack_sock sock);
/*
 * Abort a connection nobody holds a handle to any more (one closed by its
 * owner and finishing on its own, e.g. FIN-WAIT-2, or a TIME-WAIT record),
 * named by the sock stack_tcp_foreach() reports. RST where RFC 9293 §3.10.5
 * sends one (never in TIME-WAIT).
 * -EBUSY when an owner still holds it, -EBADF when it is gone.
 */
int stack_tcp_kill_orphan(struct stack *s, stack_time_us now, stack_sock sock);

enum stack_tcp_opt {
	STACK_TCP_NODELAY,	/* bool: Nagle off */
	STACK_TCP_KEEPALIVE,	/* bool */
	STACK_TCP_KEEPIDLE_US,	/* keepalive time */
	STACK_TCP_KEEPINTVL_US, /* keepalive interval */
	STACK_TCP_KEEPCNT,	/* keepalive probes */
	STACK_TCP_SNDBUF, /* bytes, capped at tcp.send_buffer_max; a limit, not an allocation */
	STACK_TCP_RCVBUF, /* bytes, capped at tcp.recv_buffer_max; best set before connect */
	/* enum stack_cc_algo (tunables.h); any time: cwnd and ssthresh carry over */
	STACK_TCP_CONGESTION,
	/* RFC 9293 §3.8.3 / RFC 5482 user timeout, 0 = off: the connection fails
	 * with ETIMEDOUT once data has stayed unacknowledged (or queued behind a
	 * zero window) this long, or an idle peer has not answered keepalives
	 * for this long, however many retries are left */
	STACK_TCP_USER_TIMEOUT_US,
	/* TCP_MAXSEG, bytes (88..32767; 0 = none): the most this connection sends
	 * in a segment; on a listener, also what its connections advertise (set
	 * it on a connect with stack_tcp_connect_opts, before the SYN) */
	STACK_TCP_MAXSEG,
	/* bool, TCP_CORK: while on, only full segments go (the FIN sends the rest);
	 * taking it off sends what waits. Unlike Linux, no 200 ms ceiling. */
	STACK_TCP_CORK,
	/* read only, bool: RCVBUF was set by the owner, so autotuning leaves it */
	STACK_TCP_RCVBUF_LOCKED,
};
int stack_tcp_setopt(struct stack *s, stack_time_us now, stack_sock sock, enum stack_tcp_opt opt,
		     uint64_t value);
int stack_tcp_getopt(const struct stack *s, stack_sock sock, enum stack_tcp_opt opt,
		     uint64_t *ret_value);
/*
 * Urgent data (RFC 9293 §3.8.5, MUST-30/31): 1 and the offset of the peer's
 * last urgent byte from the first byte not yet read (it may not have arrived
 * yet: an offset past what stack_tcp_recv_peek gives), or 0 when no urgent
 * byte waits to be read. The byte stays in the stream; the caller marks it.
 */
int stack_tcp_urgent_offset(const struct stack *s, stack_sock sock, uint32_t *ret_off);
/* The pending ICMP soft error (-errno, 0 none) into *ret_err, and clear it (SO_ERROR). */
int stack_tcp_take_soft_error(struct stack *s, stack_sock sock, int *ret_err);

/*
 * Charge the connection's or listener's buffers to an account (the daemon
 * passes the owning client's uid; 0 is the default account every connection
 * starts in, and a listener's children start in the listener's). What it
 * holds already moves with it. -ENOBUFS when every account slot is taken.
 */
int stack_tcp_set_account(struct stack *s, stack_sock sock, uint32_t account);
/* New budget (limits.memory, limits.memory_per_uid; 0 as in stack_config); what is
 * held already stays, new charges see the new limits. */
void stack_memory_set(struct stack *s, uint64_t memory, uint64_t memory_per_uid);
/* Bytes of socket buffer memory charged to an account; -ENOENT when it holds none. */
int stack_tcp_account_used(const struct stack *s, uint32_t account, uint64_t *ret_used);
/*
 * Orphans charged to an account: connections its owners closed that still
 * finish on their own (and hold a slot meanwhile). The daemon counts them
 * toward the uid's limits.conns_per_uid, so closing does not free a slot the
 * peer still holds. 0 when the account holds none.
 */
uint32_t stack_tcp_account_orphans(const struct stack *s, uint32_t account);
/* Reset the oldest orphan charged to account (RST, TcpExtTCPAbortOnMemory): 0, or
 * -ENOENT when it has none. */
int stack_tcp_account_reap(struct stack *s, stack_time_us now, uint32_t account);

/* Tunables (see tunables.h); set validates the range and returns -ERANGE/-EINVAL. */
const struct stack_tunables *stack_tunables_get(const struct stack *s);
int stack_tunable_set(struct stack *s, stack_time_us now, enum stack_tunable_id id, uint64_t value);

/* Counters, named as Linux nstat names them (counters.h). */
const struct stack_counters *stack_counters_get(const struct stack *s);

#endif
