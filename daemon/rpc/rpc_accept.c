/* SPDX-License-Identifier: MIT */
/*
 * rpc_accept.c - a listener's accept socket (rpc_accept.h): records out,
 * with the data socket of each accepted connection attached (SCM_RIGHTS);
 * the end of the client's side (every copy closed) closes the listener, as
 * the last close() of a listening socket does (RFC 9293 §3.10.4 CLOSE in
 * LISTEN). The socket's own buffer bounds how many records wait, sized from
 * the first record's cost so that it holds listen()'s backlog (up to what
 * net.core.wmem_max allows): while it is full no more connections are
 * accepted, so they wait in the listener's queue in the core, and when that
 * is full too the peer's handshake waits (SYN-ACK retransmission), as with a
 * kernel listener whose program does not accept.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <linux/sockios.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accept_record.h"
#include "fdpass.h"
#include "rpc_accept.h"
#include "rpc_fd.h"
#include "rpc_server.h"
#include "rpc_session.h"
#include "sent_fds.h"

static void rpc_accept_q_watch(struct rpc_accept_q *q, int events);

/* The client closed every copy of its end: the listener goes. */
static void rpc_accept_q_ended(struct rpc_accept_q *q)
{
	struct rpc_session *ss = q->ss;
	struct rpc_conn *l = rpc_session_conn_find(ss, q->listener);

	rpc_accept_q_watch(q, 0);
	if (l && !l->releasing)
		rpc_session_conn_release(ss, l, false);
}

static void rpc_accept_q_on_poll(uv_poll_t *h, int status, int events)
{
	struct rpc_accept_q *q = h->data;
	char junk[64];

	if (status < 0 || events & UV_WRITABLE) {
		/* records were taken: accept again */
		rpc_accept_q_watch(q, q->events & ~UV_WRITABLE);
		rpc_session_resume(q->ss);
	}
	if (status < 0 || events & UV_READABLE) {
		/* clients send nothing here; what comes is discarded (descriptors
		 * too: no buffer for them is given, the kernel closes them) */
		ssize_t n = recv(q->fd, junk, sizeof(junk), MSG_DONTWAIT);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			rpc_accept_q_ended(q);
	}
	rpc_server_kick(q->ss->srv);
}

static void rpc_accept_q_watch(struct rpc_accept_q *q, int events)
{
	if (events == q->events)
		return;
	q->events = events;
	if (events)
		uv_poll_start(&q->poll, events, rpc_accept_q_on_poll);
	else
		uv_poll_stop(&q->poll);
}

int rpc_accept_q_create(struct rpc_session *ss, stack_sock listener, uint32_t backlog,
			struct rpc_accept_q **ret, struct rpc_fd_pass **ret_pass)
{
	struct rpc_accept_q *q = calloc(1, sizeof(*q));
	int r;

	if (!q)
		return -ENOMEM;
	r = rpc_fd_pair_open(ss, SOCK_SEQPACKET, &q->poll, &q->fd, ret_pass);
	if (r < 0) {
		free(q);
		return r;
	}
	q->ss = ss;
	q->listener = listener;
	q->backlog = backlog ? backlog : 1;
	q->poll.data = q;
	rpc_accept_q_watch(q, UV_READABLE);
	*ret = q;
	return 0;
}

bool rpc_accept_q_room(struct rpc_accept_q *q)
{
	struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };

	/* POLLOUT on a Unix socket: under a quarter of its send buffer in flight,
	 * so the next record fits for sure */
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT))
		return true;
	rpc_accept_q_watch(q, q->events | UV_WRITABLE);
	return false;
}

/*
 * The first record sent into an empty socket tells what one costs (SIOCOUTQ:
 * the bytes of our records not yet taken, skb overhead included); the send
 * buffer is then sized so that the socket turns unwritable (POLLOUT off,
 * rpc_accept_q_room) past backlog records: Linux doubles the value set and
 * calls a Unix socket writable while under a quarter of it is in flight.
 */
static void rpc_accept_q_size(struct rpc_accept_q *q)
{
	int outq = 0;
	uint64_t want;

	if (ioctl(q->fd, SIOCOUTQ, &outq) < 0 || outq <= 0)
		return;
	q->per_record = (uint32_t)outq;
	want = (uint64_t)q->backlog * q->per_record * 2;
	if (want > INT32_MAX)
		want = INT32_MAX;
	setsockopt(q->fd, SOL_SOCKET, SO_SNDBUF, &(int){ (int)want }, sizeof(int));
}

int rpc_accept_q_put(struct rpc_accept_q *q, const struct rpc_conn *c, int data_fd)
{
	struct synack_accept_record rec = {
		.magic = SYNACK_ACCEPT_RECORD_MAGIC,
		.size = sizeof(rec),
		.conn = c->sock,
		.local_addr = htonl(c->local.addr),
		.remote_addr = htonl(c->remote.addr),
		.local_port = htons(c->local.port),
		.remote_port = htons(c->remote.port),
	};
	union fdpass_ctl ctl;
	struct iovec iov = { &rec, sizeof(rec) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int before = -1;

	fdpass_attach(&mh, &ctl, data_fd);
	if (!q->per_record && ioctl(q->fd, SIOCOUTQ, &before) < 0)
		before = -1;
	if (sendmsg(q->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	if (!q->per_record && before == 0)
		rpc_accept_q_size(q);
	return 0;
}

uint32_t rpc_accept_q_waiting(const struct rpc_accept_q *q)
{
	int outq = 0;

	if (!q->per_record || q->fd < 0 || ioctl(q->fd, SIOCOUTQ, &outq) < 0 || outq <= 0)
		return 0;
	/* every record costs the same: what is in flight over what one costs */
	return ((uint32_t)outq + q->per_record / 2) / q->per_record;
}

static void rpc_accept_q_closed(uv_handle_t *h)
{
	free(h->data);
}

void rpc_accept_q_close(struct rpc_accept_q *q)
{
	struct rpc_server *srv = q->ss->srv;

	rpc_fd_held(srv, q->ss, -1);
	uv_close((uv_handle_t *)&q->poll, rpc_accept_q_closed);
	sent_fds_close(q->fd);
	q->fd = -1;
}
