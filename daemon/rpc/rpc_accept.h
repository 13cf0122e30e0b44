/* SPDX-License-Identifier: MIT */
/*
 * rpc_accept.h - a listener's accept socket (synack.proto, "Detached
 * connections"): the client's end of an AF_UNIX SOCK_SEQPACKET socketpair on
 * which each accepted connection arrives as one record with its data socket
 * attached, so a program can poll and accept it as a listening socket, from
 * any process that holds it.
 */
#ifndef SYNACKD_RPC_ACCEPT_H
#define SYNACKD_RPC_ACCEPT_H

#include <stdbool.h>

#include <uv.h>

#include "stack.h"

struct rpc_session;
struct rpc_conn;
struct rpc_fd_pass;

struct rpc_accept_q {
	struct rpc_session *ss;
	stack_sock listener;
	int fd; /* the daemon's end */
	uv_poll_t poll;
	int events;	     /* what poll watches now */
	uint32_t backlog;    /* records that may wait (listen's backlog, as clamped) */
	uint32_t per_record; /* what one record costs the socket (learnt from the first) */
};

/*
 * An accept socket for listener, holding about backlog records (as a kernel
 * listener's accept queue holds backlog + 1): *ret_pass is the client's end,
 * for the Listen reply.
 */
int rpc_accept_q_create(struct rpc_session *ss, stack_sock listener, uint32_t backlog,
			struct rpc_accept_q **ret, struct rpc_fd_pass **ret_pass);
/*
 * Room for one more record now? When not, the accept socket is watched and
 * the session's listeners resume (rpc_session_resume) once the client took
 * some: until then accepted connections wait in the listener's queue.
 */
bool rpc_accept_q_room(struct rpc_accept_q *q);
/* Hand connection c over with its data socket's client end (data_fd, copied). */
int rpc_accept_q_put(struct rpc_accept_q *q, const struct rpc_conn *c, int data_fd);
/* Records sent and not yet taken by the client (0 before the first tells their size). */
uint32_t rpc_accept_q_waiting(const struct rpc_accept_q *q);
/* Close the daemon's end (the listener is gone): the client's accept() sees the end. */
void rpc_accept_q_close(struct rpc_accept_q *q);

#endif
