/* SPDX-License-Identifier: MIT */
/*
 * ctl_handlers.h - one function per control operation (synack.proto's
 * ControlRequest): the stack's and the daemon's state into typed replies,
 * and the few changes synackctl may make. Each handler queues its own
 * ControlReply on the session; replies that carry lists are built in
 * memory that lives only until the reply is packed.
 */
#ifndef SYNACKD_CTL_HANDLERS_H
#define SYNACKD_CTL_HANDLERS_H

#include "ctl_history.h"
#include "ctl_server.h"

/* Run the request and queue its reply; returns the status code sent (0 or positive errno). */
int ctl_handle_request(struct ctl_session *ss, const Synack__V1__ControlRequest *rq);
/* Queue a reply with only a status (err: negative errno or 0). */
void ctl_reply_status(struct ctl_session *ss, uint64_t id, int err, const char *detail);

/* Conversions shared with the server's streams. */
void ctl_pb_trace_entry(const struct ctl_hist_entry *e, Synack__V1__TraceEntry *ret);
Synack__V1__TcpState ctl_pb_state(uint8_t stack_state);
void ctl_pb_endpoint(const struct stack_endpoint *e, Synack__V1__Endpoint *ret, uint8_t addr[4]);

#endif
