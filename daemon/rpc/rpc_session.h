/* SPDX-License-Identifier: MIT */
/*
 * rpc_session.h - one RPC client of synackd: its socket, the frames it sends
 * (validated in chrony's order: size, unpack, version, operation, handler),
 * the replies and events queued to it, the connections it owns, and the end
 * to end flow control between its receive credit and the stack.
 */
#ifndef SYNACKD_RPC_SESSION_H
#define SYNACKD_RPC_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "frame.h"
#include "stack.h"
#include "synack.pb-c.h"

struct rpc_server;
struct rpc_uid;
struct rpc_fd;
struct rpc_fd_pass;

#define RPC_CONN_BUCKETS	256
/* Protocol errors (malformed, unknown, out of order) before we hang up. */
#define RPC_SESSION_MAX_STRIKES 4
/* Largest Data event; credit and the buffered limit cut it further. */
#define RPC_DATA_CHUNK		(64 * 1024)
/* Writes queued to one client at most (each a batch of replies and events), whatever
 * their size. */
#define RPC_SESSION_MAX_WRITES	8192
/* A turn's replies and events go out in one write (rpc_session_flush), up to this
 * much; a frame that would take a batch past it starts the next. */
#define RPC_SESSION_BATCH_BYTES (64 * 1024)
/* How long a hung-up session may take to flush its last replies. */
#define RPC_SESSION_LINGER_MS	2000
/* A listener's accept queue by default and at most; it is also clamped to the room
 * its uid and client have left (limits.conns_per_uid, conns_per_client). */
#define RPC_LISTEN_BACKLOG	128
#define RPC_LISTEN_MAX_BACKLOG	4096

/* A connection or listener owned by a session. Its id on the wire is sock. */
struct rpc_conn {
	struct rpc_conn *next; /* hash chain */
	stack_sock sock;
	bool listener;
	bool established;
	bool releasing;		 /* close/abort done: only the CLOSED event is left */
	bool peer_fin;		 /* the stack said PEER_CLOSED */
	bool peer_closed_sent;	 /* and the client was told, after the last byte */
	bool accept_pending;	 /* listener: connections wait (we were at the limit) */
	uint64_t credit;	 /* bytes the client still lets us push */
	uint64_t initial_credit; /* listener: credit of each accepted connection */
	struct stack_endpoint local, remote;
	uv_timer_t *connect_timer; /* Connect with timeout_ms, until ESTABLISHED */
	struct rpc_fd *fdp;	   /* its data socket (FEATURE_FD_DATA), or NULL */
	bool fd_mode;		   /* listener: accepted connections get data sockets */
	bool detached;		   /* the data socket is the connection (FEATURE_DETACHED) */
	bool quiet;		   /* detached and past its one event: the session hears no more */
	uint64_t delivered;	   /* bytes sent as Data events (the Send/Data path) */
	uint64_t urgent_told;	   /* 1 + where the last Urgent event put the mark, 0 none */
	struct rpc_accept_q *aq;   /* listener: its accept socket (Listen.queue), or NULL */
};

/* Descriptors a session may have received ahead of their Request.fd_proof frames. */
#define RPC_SESSION_PROOFS 4

struct rpc_session {
	struct rpc_session *next; /* the server's list */
	struct rpc_server *srv;
	uint32_t id;	/* also the owner cookie */
	uint64_t owner; /* the owner tag given to the stack */
	uv_pipe_t pipe;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	struct rpc_uid *u; /* what this uid's sessions hold together */
	char name[64];	   /* client_name from Hello */
	bool hello_done;
	bool closing; /* hanging up: no more input, output drains then close */
	unsigned strikes;

	struct frame_decoder dec;
	uint8_t rbuf[64 * 1024];

	uint64_t buffered; /* memory held by writes not yet completed (frame_write.len) */
	uint32_t nwrites;  /* and their number, the batch being filled included */
	uint64_t writes_made, writes_done; /* writes (batches) ever queued, and completed */
	struct frame_write *out; /* this turn's frames, written just before the loop waits */
	uv_prepare_t flush;	 /* ...by this, started while out or out_error is set */
	int out_error;		 /* a batch could not be written: the session goes */
	uint64_t peak_buffered;
	bool reading;	   /* uv_read_start is active */
	const uint8_t *in; /* requests read but held back while the output is full */
	size_t in_len;	   /* (they stay in rbuf: reading is stopped meanwhile) */

	uv_shutdown_t shutdown_req; /* hang-up: flush the last replies first */
	uv_timer_t linger;	    /* ...but not for longer than this */
	uv_timer_t idle;	    /* rpc.hello_timeout, then rpc.idle_timeout */
	uint64_t last_active;	    /* loop time (ms) of the last frame or last connection */
	uint64_t started;	    /* loop time (ms) the session began (its Hello deadline) */
	bool finishing;
	bool husk;	  /* the client is gone; detached connections it made live on */
	bool client_gone; /* its client slot is given back (rpc_server_client_gone) */
	unsigned open_handles;

	struct rpc_conn *conns[RPC_CONN_BUCKETS];
	uint32_t nconns;

	bool fd_data;		  /* FEATURE_FD_DATA granted at Hello */
	bool detached_ok;	  /* FEATURE_DETACHED granted at Hello */
	bool connect_data_ok;	  /* FEATURE_CONNECT_DATA granted at Hello */
	uint32_t fds_held;	  /* descriptors its data sockets hold in synackd (rpc_fd.c) */
	struct rpc_fd *fd_linger; /* ends of gone connections, closed once the write
				   * holding their last frame is done */
	/* descriptors received for Request.fd_proof, in order, until their frames come */
	uv_pipe_t *proofs[RPC_SESSION_PROOFS];
	unsigned nproofs;
	bool has_proof;		       /* the request being handled showed a socket... */
	uint64_t proof_dev, proof_ino; /* ...this one */
};

/*
 * Start a session on an accepted client socket. On failure (-errno) the
 * caller closes the pipe and frees ss; once it returns 0 the session frees
 * itself when it ends (rpc_server_session_gone() is its last word).
 */
int rpc_session_start(struct rpc_session *ss);
/* Hang up: close every connection (graceful or abort per config), then the socket. */
void rpc_session_close(struct rpc_session *ss, const char *why);
/* A stack event for one of this session's connections. */
void rpc_session_stack_event(struct rpc_session *ss, const struct stack_event *ev);

/* Used by the handlers. */
struct rpc_conn *rpc_session_conn_find(struct rpc_session *ss, stack_sock sock);
int rpc_session_conn_add(struct rpc_session *ss, stack_sock sock, struct rpc_conn **ret);
void rpc_session_conn_release(struct rpc_session *ss, struct rpc_conn *c, bool abort);
/* Unlink and free c, whose handle is already released, without telling the client. */
void rpc_session_conn_forget(struct rpc_session *ss, struct rpc_conn *c);
/* ss may own one more connection (may reset its uid's oldest orphans to make room). */
bool rpc_session_can_add(struct rpc_session *ss);
/* Data-socket ends linger until the session's last frame about them is
 * written: write the batch now, so that they go at once if it goes whole;
 * false when none lingers or the session is closing or failing. */
bool rpc_session_fd_linger_flush(struct rpc_session *ss);
/* 0 when ss may own one more connection, else -EMFILE with which limit in msg. */
int rpc_session_room(struct rpc_session *ss, char *msg, size_t len);
/* Resume what was held back (Data, accepts) after room came back. */
void rpc_session_resume(struct rpc_session *ss);
/* rpc.hello_timeout or rpc.idle_timeout changed (reload): deadlines from the new values. */
void rpc_session_timeouts_changed(struct rpc_session *ss);
/* Push Data (within credit and the buffered limit) and PeerClosed for c. */
void rpc_session_pump(struct rpc_session *ss, struct rpc_conn *c);
/* Queue one ServerMessage; -errno if it could not be queued. */
int rpc_session_send(struct rpc_session *ss, const Synack__V1__ServerMessage *m);
/* Queue one ServerMessage with the client's end of a data socket (NULL: none). */
int rpc_session_send_fd(struct rpc_session *ss, const Synack__V1__ServerMessage *m,
			struct rpc_fd_pass *pass);
/* Queue an Event for conn (the body is set by the caller). */
int rpc_session_send_event(struct rpc_session *ss, Synack__V1__Event *ev);
/* Queue an Event carrying only a status (Reset, Error). */
void rpc_session_send_status_event(struct rpc_session *ss, stack_sock sock,
				   Synack__V1__Event__EvCase kind, int err);
/* Connect timeout: arm for c. */
int rpc_session_arm_connect_timer(struct rpc_session *ss, struct rpc_conn *c, uint32_t ms);

#endif
