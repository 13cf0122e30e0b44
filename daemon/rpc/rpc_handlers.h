/* SPDX-License-Identifier: MIT */
/*
 * rpc_handlers.h - one function per RPC operation: the Request's fields to
 * stack calls, the result into the Reply. Handlers do no I/O of their own;
 * the session queues the Reply (and any events) they produce.
 */
#ifndef SYNACKD_RPC_HANDLERS_H
#define SYNACKD_RPC_HANDLERS_H

#include "rpc_session.h"

/* Storage for whatever a Reply points to, so handlers never allocate. */
struct rpc_reply_buf {
	Synack__V1__Status status;
	Synack__V1__ConnectResult connect;
	Synack__V1__ListenResult listen;
	Synack__V1__SendResult send;
	Synack__V1__OptionValue option;
	Synack__V1__ConnInfo info;
	Synack__V1__Endpoint ep[2];
	uint8_t addr[2][4];
	char message[160];
	struct rpc_fd_pass *pass; /* a data socket's client end to go with the Reply */
	bool no_reply;		  /* the Reply goes later (a data socket's Close) */
};

/*
 * Run the request's operation for ss and fill rp (id, status, result).
 * Unknown operations get ENOMSG; returns the status code (0 or positive errno)
 * so the session can count protocol errors.
 */
int rpc_handle_request(struct rpc_session *ss, const Synack__V1__Request *rq, Synack__V1__Reply *rp,
		       struct rpc_reply_buf *buf);

/* Fill a Status from a negative errno and an optional detail. */
void rpc_status_set(Synack__V1__Status *st, char *msgbuf, size_t msgsize, int err,
		    const char *detail);

/* Endpoint conversions (addr: 4 bytes, network order; empty = any). */
int rpc_endpoint_from_pb(const Synack__V1__Endpoint *ep, struct stack_endpoint *ret);
void rpc_endpoint_to_pb(const struct stack_endpoint *e, Synack__V1__Endpoint *ep, uint8_t addr[4]);

#endif
