/* SPDX-License-Identifier: MIT */
/*
 * requests.c - the non-blocking *_async() calls: each builds one Request,
 * queues it (client.c) and returns; its callback runs once with the reply.
 */
#include <errno.h>
#include <string.h>

#include "synack_internal.h"

int synack_connect_async(struct synack *s, const struct sockaddr_in *remote,
			 const struct sockaddr_in *local, uint32_t timeout_ms,
			 uint64_t initial_credit, synack_reply_cb cb, void *userdata)
{
	struct synack_connect_args a = { .timeout_ms = timeout_ms,
					 .initial_credit = initial_credit };

	return synack_connect_request(s, remote, local, &a, cb, userdata);
}

int synack_connect_fd_async(struct synack *s, const struct sockaddr_in *remote,
			    const struct sockaddr_in *local, uint32_t timeout_ms,
			    synack_reply_cb cb, void *userdata)
{
	struct synack_connect_args a = { .timeout_ms = timeout_ms, .flags = SYNACK_REQ_FD };

	if (!s->fd_data)
		return -ENOTSUP;
	return synack_connect_request(s, remote, local, &a, cb, userdata);
}

int synack_connect_detached_async(struct synack *s, const struct sockaddr_in *remote,
				  const struct sockaddr_in *local, uint32_t timeout_ms,
				  synack_reply_cb cb, void *userdata)
{
	return synack_connect_detached_mss_async(s, remote, local, timeout_ms, 0, cb, userdata);
}

int synack_connect_detached_mss_async(struct synack *s, const struct sockaddr_in *remote,
				      const struct sockaddr_in *local, uint32_t timeout_ms,
				      uint32_t mss, synack_reply_cb cb, void *userdata)
{
	struct synack_connect_args a = { .timeout_ms = timeout_ms,
					 .flags = SYNACK_REQ_FD | SYNACK_REQ_DETACHED,
					 .mss = mss };

	if (!s->detached)
		return -ENOTSUP;
	return synack_connect_request(s, remote, local, &a, cb, userdata);
}

int synack_listen_fd_async(struct synack *s, const struct sockaddr_in *local, uint32_t backlog,
			   synack_reply_cb cb, void *userdata)
{
	if (!s->fd_data)
		return -ENOTSUP;
	return synack_listen_request(s, local, backlog, 0, SYNACK_REQ_FD, cb, userdata);
}

int synack_listen_queue_async(struct synack *s, const struct sockaddr_in *local, uint32_t backlog,
			      synack_reply_cb cb, void *userdata)
{
	if (!s->detached)
		return -ENOTSUP;
	return synack_listen_request(s, local, backlog, 0, SYNACK_REQ_FD | SYNACK_REQ_DETACHED, cb,
				     userdata);
}

int synack_connect_request(struct synack *s, const struct sockaddr_in *remote,
			   const struct sockaddr_in *local, const struct synack_connect_args *a,
			   synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Connect c = SYNACK__V1__CONNECT__INIT;
	Synack__V1__Endpoint re = SYNACK__V1__ENDPOINT__INIT, le = SYNACK__V1__ENDPOINT__INIT;

	if (!remote || remote->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	synack_endpoint_to_pb(remote, &re);
	c.remote = &re;
	if (local) {
		if (local->sin_family != AF_INET)
			return -EAFNOSUPPORT;
		synack_endpoint_to_pb(local, &le);
		c.local = &le;
	}
	if (a->len && !s->connect_data)
		return -ENOTSUP;
	c.timeout_ms = a->timeout_ms;
	c.initial_credit = a->initial_credit;
	c.fd = (a->flags & SYNACK_REQ_FD) != 0;
	c.detached = (a->flags & SYNACK_REQ_DETACHED) != 0;
	c.mss = a->mss;
	c.data.data = (uint8_t *)a->data;
	c.data.len = a->len;
	rq.op_case = SYNACK__V1__REQUEST__OP_CONNECT;
	rq.connect = &c;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_listen_async(struct synack *s, const struct sockaddr_in *local, uint32_t backlog,
			uint64_t initial_credit, synack_reply_cb cb, void *userdata)
{
	return synack_listen_request(s, local, backlog, initial_credit, 0, cb, userdata);
}

int synack_listen_request(struct synack *s, const struct sockaddr_in *local, uint32_t backlog,
			  uint64_t initial_credit, unsigned flags, synack_reply_cb cb,
			  void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Listen l = SYNACK__V1__LISTEN__INIT;
	Synack__V1__Endpoint le = SYNACK__V1__ENDPOINT__INIT;

	if (!local || local->sin_family != AF_INET)
		return -EAFNOSUPPORT;
	synack_endpoint_to_pb(local, &le);
	l.local = &le;
	l.backlog = backlog;
	l.initial_credit = initial_credit;
	l.fd = (flags & SYNACK_REQ_FD) != 0;
	l.queue = (flags & SYNACK_REQ_DETACHED) != 0;
	rq.op_case = SYNACK__V1__REQUEST__OP_LISTEN;
	rq.listen = &l;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_send_async(struct synack *s, synack_conn c, const void *buf, size_t len,
		      synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Send m = SYNACK__V1__SEND__INIT;

	if (!buf && len)
		return -EFAULT;
	/* what does not fit in one frame is simply not taken: the reply says so */
	if (len > synack_send_max(s))
		len = synack_send_max(s);
	m.conn = c;
	m.data.data = (uint8_t *)buf;
	m.data.len = len;
	rq.op_case = SYNACK__V1__REQUEST__OP_SEND;
	rq.send = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_credit_async(struct synack *s, synack_conn c, uint64_t bytes, synack_reply_cb cb,
			void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Credit m = SYNACK__V1__CREDIT__INIT;

	m.conn = c;
	m.bytes = bytes;
	rq.op_case = SYNACK__V1__REQUEST__OP_CREDIT;
	rq.credit = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_shutdown_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Shutdown m = SYNACK__V1__SHUTDOWN__INIT;

	m.conn = c;
	rq.op_case = SYNACK__V1__REQUEST__OP_SHUTDOWN;
	rq.shutdown = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_close_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Close m = SYNACK__V1__CLOSE__INIT;

	m.conn = c;
	rq.op_case = SYNACK__V1__REQUEST__OP_CLOSE;
	rq.close = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_abort_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Abort m = SYNACK__V1__ABORT__INIT;

	m.conn = c;
	rq.op_case = SYNACK__V1__REQUEST__OP_ABORT;
	rq.abort = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

static bool synack_option_valid(enum synack_option opt)
{
	return (opt >= SYNACK_OPT_NODELAY && opt <= SYNACK_OPT_RCVBUF) ||
	       opt == SYNACK_OPT_USER_TIMEOUT_MS || opt == SYNACK_OPT_LINGER_RESET ||
	       opt == SYNACK_OPT_MAXSEG || opt == SYNACK_OPT_LINGER_MS || opt == SYNACK_OPT_CORK;
}

int synack_setopt_async(struct synack *s, synack_conn c, enum synack_option opt, uint64_t value,
			synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__SetOption m = SYNACK__V1__SET_OPTION__INIT;

	if (!synack_option_valid(opt))
		return -ENOPROTOOPT;
	m.conn = c;
	m.option = (Synack__V1__Option)opt;
	m.value = value;
	rq.op_case = SYNACK__V1__REQUEST__OP_SET_OPTION;
	rq.set_option = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_getopt_async(struct synack *s, synack_conn c, enum synack_option opt, synack_reply_cb cb,
			void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__GetOption m = SYNACK__V1__GET_OPTION__INIT;

	if (!synack_option_valid(opt) && opt != SYNACK_OPT_ERROR)
		return -ENOPROTOOPT;
	m.conn = c;
	m.option = (Synack__V1__Option)opt;
	rq.op_case = SYNACK__V1__REQUEST__OP_GET_OPTION;
	rq.get_option = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_set_congestion_async(struct synack *s, synack_conn c, const char *name,
				synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__SetOption m = SYNACK__V1__SET_OPTION__INIT;

	if (!name)
		return -EINVAL;
	m.conn = c;
	m.option = SYNACK__V1__OPTION__OPTION_CONGESTION;
	m.name = (char *)name;
	rq.op_case = SYNACK__V1__REQUEST__OP_SET_OPTION;
	rq.set_option = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_get_congestion_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__GetOption m = SYNACK__V1__GET_OPTION__INIT;

	m.conn = c;
	m.option = SYNACK__V1__OPTION__OPTION_CONGESTION;
	rq.op_case = SYNACK__V1__REQUEST__OP_GET_OPTION;
	rq.get_option = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}

int synack_info_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata)
{
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Info m = SYNACK__V1__INFO__INIT;

	m.conn = c;
	rq.op_case = SYNACK__V1__REQUEST__OP_INFO;
	rq.info = &m;
	return synack_request_submit(s, &rq, cb, userdata);
}
