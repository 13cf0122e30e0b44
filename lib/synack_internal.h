/* SPDX-License-Identifier: MIT */
/*
 * synack_internal.h - libsynack's private structures, shared by the client
 * core (client.c), the blocking API (blocking.c) and the libuv adapter
 * (synack_uv.c). Nothing here is exported.
 */
#ifndef SYNACK_INTERNAL_H
#define SYNACK_INTERNAL_H

#include "frame.h"
#include "synack.h"
#include "synack.pb-c.h"

#define SYNACK_CONN_BUCKETS    256
#define SYNACK_OPEN_TIMEOUT_MS 5000
/* Data sockets received and not yet matched to their frame, at most (the daemon
 * sends one per frame that says so: more is a protocol error). */
#define SYNACK_FDQ_MAX	       1024

/* A request waiting for its reply. */
struct synack_req {
	struct synack_req *next;
	uint64_t id;
	synack_reply_cb cb; /* may be NULL: the reply is dropped */
	void *userdata;
};

/* A pending accepted connection on a listener (blocking API). */
struct synack_incoming {
	synack_conn conn;
	struct sockaddr_in remote;
};

/* What the blocking API knows about one connection or listener. */
struct synack_cstate {
	struct synack_cstate *next; /* hash chain */
	synack_conn id;
	bool established, peer_closed, closed, writable;
	int err; /* RESET or ERROR: negative errno */
	struct sockaddr_in local, remote;
	uint8_t *rx; /* received, not yet read: rx[rx_off .. rx_off + rx_len) */
	size_t rx_off, rx_len, rx_cap;
	uint64_t to_credit; /* consumed since the last credit grant */
	struct synack_incoming *inq;
	size_t inq_head, inq_len, inq_cap;
	int fd;	      /* the data socket (FEATURE_FD_DATA), or -1: bytes go as Send/Data */
	bool closing; /* synack_close() sent Close and did not wait: gone at its reply */
};

struct synack {
	int fd;
	int dead; /* sticky: negative errno once the session is unusable */
	bool hello_done;
	uint64_t session;
	uint32_t max_frame;
	struct frame_decoder dec;
	bool fd_data;		 /* the daemon grants data sockets (HelloReply.features) */
	bool detached;		 /* and detached connections, accept sockets */
	bool connect_data;	 /* and first bytes in a Connect (FEATURE_CONNECT_DATA) */
	int proof_fd;		 /* synack_prove_next(): goes with the next request, or -1 */
	int fdq[SYNACK_FDQ_MAX]; /* data sockets received, in order, not yet matched */
	size_t fdq_head, fdq_len;

	uint8_t *out; /* queued frames: out[out_off .. out_len) */
	size_t out_off, out_len, out_cap;

	uint64_t next_id;
	struct synack_req *req_head, *req_tail;

	struct synack_cstate *conns[SYNACK_CONN_BUCKETS];

	synack_event_cb ev_cb;
	void *ev_ud;
	synack_watch_cb watch_cb;
	void *watch_ud;
	bool watching_out;

	unsigned depth;	   /* > 0 while callbacks run */
	bool free_pending; /* synack_free() called from a callback */

	/* the libuv adapter, when attached */
	void *uv;
	void (*uv_detach)(struct synack *s);
};

/* client.c */
int synack_request_submit(struct synack *s, Synack__V1__Request *rq, synack_reply_cb cb,
			  void *userdata);
void synack_endpoint_to_pb(const struct sockaddr_in *sin, Synack__V1__Endpoint *ep);
void synack_endpoint_from_pb(const Synack__V1__Endpoint *ep, struct sockaddr_in *sin);
struct synack_cstate *synack_cstate_find(struct synack *s, synack_conn id);
struct synack_cstate *synack_cstate_get(struct synack *s, synack_conn id);
void synack_cstate_drop(struct synack *s, synack_conn id);
/* The next data socket received (-EPROTO when none came). */
int synack_fdq_pop(struct synack *s);
/* Connect or listen flags: data sockets; and detached (connect) or an accept socket (listen). */
#define SYNACK_REQ_FD	    1u
#define SYNACK_REQ_DETACHED 2u
/* A Connect request's parts beyond the addresses. */
struct synack_connect_args {
	uint32_t timeout_ms;
	uint64_t initial_credit;
	unsigned flags;	  /* SYNACK_REQ_* */
	uint32_t mss;	  /* TCP_MAXSEG before the SYN (0: none) */
	const void *data; /* first bytes (FEATURE_CONNECT_DATA; the reply's taken says how many) */
	size_t len;
};
int synack_connect_request(struct synack *s, const struct sockaddr_in *remote,
			   const struct sockaddr_in *local, const struct synack_connect_args *a,
			   synack_reply_cb cb, void *userdata);
int synack_listen_request(struct synack *s, const struct sockaddr_in *local, uint32_t backlog,
			  uint64_t initial_credit, unsigned flags, synack_reply_cb cb,
			  void *userdata);
size_t synack_send_max(const struct synack *s);
/* synack_process() for the blocking calls: reading stops once *done (when not
 * NULL) turns true, leaving what else came for the next look, so the read
 * that would only have said EAGAIN is not made. */
int synack_process_until(struct synack *s, const bool *done);
/* Mark the session dead with err; pending callbacks run now with err. */
void synack_session_fail(struct synack *s, int err);

/* blocking.c: buffer an event for the blocking API */
void synack_blocking_event(struct synack *s, const struct synack_event *ev);

#endif
