/* SPDX-License-Identifier: MIT */
/*
 * blocking.c - libsynack's blocking API, built on the non-blocking core:
 * each call queues a request and polls the session until its answer (or the
 * event it waits for) arrives. Received data is buffered per connection up
 * to SYNACK_RECV_WINDOW bytes; credit is granted back to the daemon as the
 * program reads, which is what keeps flow control end to end.
 *
 * With a daemon that grants data sockets (FEATURE_FD_DATA), connections made
 * here get one each instead: bytes go straight to and from it (the kernel's
 * socket buffers do the flow control), and the session carries only control
 * and errors. A Reset or Error is written to the session before the daemon
 * closes its end, so when the data socket ends the reason is there to read.
 */
#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "synack_internal.h"

/* Grant credit back once a quarter of the window has been read. */
#define SYNACK_CREDIT_BATCH (SYNACK_RECV_WINDOW / 4)

/* ------------------------------------------------------------------ event buffering */

/*
 * The blocking API reads a data socket as a plain stream: the peer's urgent
 * byte, which synackd sends out of band on it, stays inline there (as these
 * calls delivered it before there were data sockets), never skipped.
 */
static int synack_fd_inline(int fd)
{
	int one = 1;

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	return fd;
}
static int synack_rx_append(struct synack_cstate *c, const uint8_t *data, size_t len)
{
	if (c->rx_off + c->rx_len + len > c->rx_cap) {
		size_t cap = c->rx_cap ? c->rx_cap : SYNACK_RECV_WINDOW;
		uint8_t *n;

		/* the first append finds no buffer at all: nothing to move then */
		if (c->rx_len)
			memmove(c->rx, c->rx + c->rx_off, c->rx_len);
		c->rx_off = 0;
		/* the daemon keeps within the credit, so this grows only if the
		 * program raised the credit itself */
		while (cap < c->rx_len + len)
			cap *= 2;
		if (cap != c->rx_cap || !c->rx) {
			n = realloc(c->rx, cap);
			if (!n)
				return -ENOMEM;
			c->rx = n;
			c->rx_cap = cap;
		}
	}
	if (len)
		memcpy(c->rx + c->rx_off + c->rx_len, data, len);
	c->rx_len += len;
	return 0;
}

static int synack_inq_push(struct synack_cstate *l, synack_conn conn,
			   const struct sockaddr_in *remote)
{
	if (l->inq_len == l->inq_cap) {
		size_t cap = l->inq_cap ? 2 * l->inq_cap : 16;
		struct synack_incoming *n = malloc(cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		for (size_t i = 0; i < l->inq_len; i++)
			n[i] = l->inq[(l->inq_head + i) % l->inq_cap];
		free(l->inq);
		l->inq = n;
		l->inq_cap = cap;
		l->inq_head = 0;
	}
	l->inq[(l->inq_head + l->inq_len) % l->inq_cap] =
		(struct synack_incoming){ .conn = conn, .remote = *remote };
	l->inq_len++;
	return 0;
}

void synack_blocking_event(struct synack *s, const struct synack_event *ev)
{
	/* Closed for a connection already closed here: nothing to remember */
	struct synack_cstate *c = ev->type == SYNACK_EV_CLOSED ? synack_cstate_find(s, ev->conn)
							       : synack_cstate_get(s, ev->conn);
	struct synack_cstate *n;

	if (!c)
		return;
	switch (ev->type) {
	case SYNACK_EV_ESTABLISHED:
		c->established = true;
		c->local = ev->local;
		c->remote = ev->remote;
		break;
	case SYNACK_EV_INCOMING:
		n = synack_cstate_get(s, ev->new_conn);
		if (!n || n->fd >= 0 || synack_inq_push(c, ev->new_conn, &ev->remote) < 0) {
			if (ev->fd >= 0)
				close(ev->fd);
			synack_abort_async(s, ev->new_conn, NULL, NULL);
			break;
		}
		n->fd = synack_fd_inline(ev->fd);
		n->established = true;
		n->local = ev->local;
		n->remote = ev->remote;
		break;
	case SYNACK_EV_DATA:
		if (synack_rx_append(c, ev->data, ev->len) < 0)
			c->err = -ENOMEM;
		break;
	case SYNACK_EV_WRITABLE:
		c->writable = true;
		break;
	case SYNACK_EV_PEER_CLOSED:
		c->peer_closed = true;
		break;
	case SYNACK_EV_RESET:
	case SYNACK_EV_ERROR:
		c->err = ev->err;
		break;
	case SYNACK_EV_CLOSED:
		c->closed = true;
		break;
	case SYNACK_EV_URGENT:
		break; /* the blocking API reads a plain stream: urgent bytes inline */
	}
}

/* ------------------------------------------------------------------ waiting */

static int64_t synack_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Poll the session (and extra_fd, when >= 0) once, at most timeout_ms, and
 * process what came. Returns 1 if extra_fd is readable, 0, or -errno. done,
 * when not NULL, is what the caller waits for: reading stops once it is true,
 * without the read that would only say EAGAIN.
 */
static int synack_poll_until(struct synack *s, int extra_fd, int timeout_ms, const bool *done)
{
	struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN },
			       { .fd = extra_fd, .events = POLLIN } };
	int r;

	if (s->dead)
		return s->dead;
	if (synack_want_write(s))
		p[0].events |= POLLOUT;
	r = poll(p, extra_fd >= 0 ? 2 : 1, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents) {
		r = synack_process_until(s, done);
		if (r < 0)
			return r;
	}
	return extra_fd >= 0 && p[1].revents ? 1 : 0;
}

static int synack_poll_once(struct synack *s, int extra_fd, int timeout_ms)
{
	return synack_poll_until(s, extra_fd, timeout_ms, NULL);
}

struct synack_call {
	bool done;
	int status;
	struct synack_result res;
};

static void synack_call_done(struct synack *s, int status, const struct synack_result *res,
			     void *userdata)
{
	struct synack_call *call = userdata;

	call->done = true;
	call->status = status;
	if (res)
		call->res = *res;
}

/*
 * Poll the session and one data socket (for events) at most timeout_ms, and
 * process what came on the session. Returns the data socket's revents, or -errno.
 */
static int synack_poll_data(struct synack *s, int fd, short events, int timeout_ms)
{
	struct pollfd p[2] = { { .fd = s->fd, .events = POLLIN }, { .fd = fd, .events = events } };
	int r;

	if (s->dead)
		return s->dead;
	if (synack_want_write(s))
		p[0].events |= POLLOUT;
	r = poll(p, 2, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents) {
		r = synack_process(s);
		if (r < 0)
			return r;
	}
	return p[1].revents;
}

/* The data socket ended or failed (err: 0 at EOF): the reason, if any, is on the session. */
static int synack_data_ended(struct synack *s, struct synack_cstate *c, int err)
{
	if (!c->err && !s->dead && !s->depth)
		synack_process(s);
	return c->err ? c->err : err;
}

static ssize_t synack_data_send(struct synack *s, struct synack_cstate *c, const uint8_t *p,
				size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n;
		int r;

		if (c->err)
			return c->err;
		n = send(c->fd, p + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return synack_data_ended(s, c, errno == ECONNRESET ? -ECONNRESET : -EPIPE);
		r = synack_poll_data(s, c->fd, POLLOUT, -1);
		if (r < 0)
			return r;
	}
	return (ssize_t)len;
}

static ssize_t synack_data_recv(struct synack *s, struct synack_cstate *c, void *buf, size_t len)
{
	ssize_t n = recv(c->fd, buf, len, MSG_DONTWAIT);

	if (n > 0)
		return n;
	if (n == 0)
		return synack_data_ended(s, c, 0);
	if (errno == EAGAIN || errno == EINTR)
		return c->err ? c->err : s->dead ? s->dead : -EAGAIN;
	return synack_data_ended(s, c, -errno);
}

/* Wait for a request queued with synack_call_done(); returns its status. */
static int synack_call_wait(struct synack *s, struct synack_call *call)
{
	while (!call->done) {
		int r = synack_poll_until(s, -1, -1, &call->done);

		/* a dead session has run every callback; otherwise kill it so
		 * the callback cannot fire later into this stack frame */
		if (r < 0 && !call->done)
			synack_session_fail(s, r);
	}
	return call->status;
}

static int synack_blocking_check(const struct synack *s)
{
	if (s->ev_cb)
		return -EBUSY; /* events go to the callback: nothing to wait on */
	if (s->depth)
		return -EDEADLK;
	return s->dead;
}

/* ------------------------------------------------------------------ calls */

static int synack_resolve(const char *host, uint16_t port, struct sockaddr_in *ret)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *ai;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int r;

	if (!host || !*host || inet_pton(AF_INET, host, &sin.sin_addr) == 1) {
		*ret = sin;
		return 0;
	}
	r = getaddrinfo(host, NULL, &hints, &ai);
	if (r != 0)
		return r == EAI_NONAME ? -EHOSTUNREACH : -EINVAL;
	memcpy(&sin.sin_addr, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
	freeaddrinfo(ai);
	*ret = sin;
	return 0;
}

/*
 * The first bytes of a connection go in its Connect (FEATURE_CONNECT_DATA):
 * the daemon queues them before the SYN-ACK can come, so they leave with the
 * handshake's last ACK (RFC 9293 §3.10.2: SEND in SYN-SENT queues the data).
 * At most this much, to stay well inside a frame; the reply says how much
 * the send buffer took.
 */
#define SYNACK_CONNECT_DATA_MAX (16u * 1024)

static size_t synack_connect_data_len(const struct synack *s, size_t len)
{
	if (!s->connect_data)
		return 0;
	return len < SYNACK_CONNECT_DATA_MAX ? len : SYNACK_CONNECT_DATA_MAX;
}

/*
 * What the Connect did not carry, written to the data socket as soon as the
 * daemon hands it over, while the SYN is out: only what the socket takes
 * without waiting; the caller sends the rest once established. Returns how
 * much went.
 */
static size_t synack_early_send(const struct synack_cstate *c, const void *buf, size_t len)
{
	ssize_t n;

	if (len == 0 || c->fd < 0)
		return 0;
	n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	return n > 0 ? (size_t)n : 0;
}

static int synack_connect_wait(struct synack *s, const char *host, uint16_t port,
			       uint32_t timeout_ms, const void *buf, size_t len, synack_conn *ret)
{
	struct synack_call call = { 0 };
	struct synack_connect_args a = { 0 };
	struct sockaddr_in remote;
	struct synack_cstate *c;
	synack_conn id;
	size_t early;
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	if (!host || !*host)
		return -EDESTADDRREQ;
	r = synack_resolve(host, port, &remote);
	if (r < 0)
		return r;
	a.timeout_ms = timeout_ms;
	a.initial_credit = SYNACK_RECV_WINDOW;
	a.flags = s->fd_data ? SYNACK_REQ_FD : 0;
	a.data = buf;
	a.len = synack_connect_data_len(s, len);
	r = synack_connect_request(s, &remote, NULL, &a, synack_call_done, &call);
	if (r < 0)
		return r;
	r = synack_call_wait(s, &call);
	if (r < 0)
		return r;
	c = synack_cstate_get(s, call.res.conn);
	if (!c || c->fd >= 0) {
		if (call.res.fd >= 0)
			close(call.res.fd);
		return c ? -EPROTO : -ENOMEM;
	}
	c->fd = synack_fd_inline(call.res.fd);
	early = call.res.taken < len ? (size_t)call.res.taken : len;
	early += synack_early_send(c, (const uint8_t *)buf + early, len - early);
	while (!c->established && !c->err && !c->closed) {
		r = synack_poll_once(s, -1, -1);
		if (r < 0)
			return r;
	}
	if (!c->established) {
		r = c->err ? c->err : -ECONNABORTED;
		if (!c->closed)
			synack_abort_async(s, c->id, NULL, NULL);
		synack_cstate_drop(s, c->id);
		return r;
	}
	id = c->id;
	if (early < len) {
		ssize_t n = synack_send(s, id, (const uint8_t *)buf + early, len - early);

		if (n < 0) {
			synack_abort(s, id);
			return (int)n;
		}
	}
	*ret = id;
	return 0;
}

int synack_connect(struct synack *s, const char *host, uint16_t port, uint32_t timeout_ms,
		   synack_conn *ret)
{
	return synack_connect_wait(s, host, port, timeout_ms, NULL, 0, ret);
}

int synack_connect_data(struct synack *s, const char *host, uint16_t port, const void *buf,
			size_t len, uint32_t timeout_ms, synack_conn *ret)
{
	if (len > 0 && !buf)
		return -EINVAL;
	return synack_connect_wait(s, host, port, timeout_ms, buf, len, ret);
}

int synack_listen(struct synack *s, const char *host, uint16_t port, uint32_t backlog,
		  synack_conn *ret, struct sockaddr_in *ret_local)
{
	struct synack_call call = { 0 };
	struct sockaddr_in local;
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	r = synack_resolve(host, port, &local);
	if (r < 0)
		return r;
	r = synack_listen_request(s, &local, backlog, SYNACK_RECV_WINDOW,
				  s->fd_data ? SYNACK_REQ_FD : 0, synack_call_done, &call);
	if (r < 0)
		return r;
	r = synack_call_wait(s, &call);
	if (r < 0)
		return r;
	if (!synack_cstate_get(s, call.res.conn))
		return -ENOMEM;
	*ret = call.res.conn;
	if (ret_local)
		*ret_local = call.res.local;
	return 0;
}

int synack_accept(struct synack *s, synack_conn l, synack_conn *ret, struct sockaddr_in *ret_remote)
{
	struct synack_cstate *c;
	struct synack_incoming in;
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	c = synack_cstate_find(s, l);
	if (!c)
		return -EBADF;
	while (c->inq_len == 0) {
		if (c->err)
			return c->err;
		if (c->closed)
			return -EBADF;
		r = synack_poll_once(s, -1, -1);
		if (r < 0)
			return r;
	}
	in = c->inq[c->inq_head];
	c->inq_head = (c->inq_head + 1) % c->inq_cap;
	c->inq_len--;
	*ret = in.conn;
	if (ret_remote)
		*ret_remote = in.remote;
	return 0;
}

ssize_t synack_send(struct synack *s, synack_conn conn, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct synack_cstate *c;
	size_t off = 0;
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	c = synack_cstate_find(s, conn);
	if (!c)
		return -EBADF;
	if (c->fd >= 0)
		return synack_data_send(s, c, p, len);
	while (off < len) {
		struct synack_call call = { 0 };

		if (c->err)
			return c->err;
		c->writable = false;
		r = synack_send_async(s, conn, p + off, len - off, synack_call_done, &call);
		if (r < 0)
			return r;
		r = synack_call_wait(s, &call);
		if (r < 0)
			return r;
		off += call.res.taken;
		if (off == len)
			break;
		while (!c->writable && !c->err && !c->closed) {
			r = synack_poll_once(s, -1, -1);
			if (r < 0)
				return r;
		}
		if (c->closed && !c->writable)
			return c->err ? c->err : -EPIPE;
	}
	return (ssize_t)len;
}

static void synack_credit_back(struct synack *s, struct synack_cstate *c, size_t n)
{
	c->to_credit += n;
	if (c->to_credit < SYNACK_CREDIT_BATCH)
		return;
	if (synack_credit_async(s, c->id, c->to_credit, NULL, NULL) == 0)
		c->to_credit = 0;
}

ssize_t synack_recv_nowait(struct synack *s, synack_conn conn, void *buf, size_t len)
{
	struct synack_cstate *c = synack_cstate_find(s, conn);
	size_t n;

	if (!c)
		return -EBADF;
	if (c->fd >= 0)
		return synack_data_recv(s, c, buf, len);
	if (c->rx_len == 0) {
		if (c->peer_closed)
			return 0;
		if (c->err)
			return c->err;
		if (c->closed)
			return 0;
		return s->dead ? s->dead : -EAGAIN;
	}
	n = len < c->rx_len ? len : c->rx_len;
	memcpy(buf, c->rx + c->rx_off, n);
	c->rx_off += n;
	c->rx_len -= n;
	if (c->rx_len == 0)
		c->rx_off = 0;
	synack_credit_back(s, c, n);
	return (ssize_t)n;
}

ssize_t synack_recv(struct synack *s, synack_conn conn, void *buf, size_t len)
{
	int r = synack_blocking_check(s);
	ssize_t n;

	if (r < 0)
		return r;
	while ((n = synack_recv_nowait(s, conn, buf, len)) == -EAGAIN) {
		struct synack_cstate *c = synack_cstate_find(s, conn);

		r = c && c->fd >= 0 ? synack_poll_data(s, c->fd, POLLIN, -1)
				    : synack_poll_once(s, -1, -1);
		if (r < 0)
			return r;
	}
	return n;
}

static int synack_simple_call(struct synack *s, int r, struct synack_call *call)
{
	if (r < 0)
		return r;
	return synack_call_wait(s, call);
}

int synack_shutdown(struct synack *s, synack_conn c)
{
	struct synack_call call = { 0 };
	struct synack_cstate *cs;
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	cs = synack_cstate_find(s, c);
	if (cs && cs->fd >= 0)
		/* the daemon reads the end of the data socket: a FIN after the bytes */
		return shutdown(cs->fd, SHUT_WR) < 0 ? -errno : 0;
	return synack_simple_call(s, synack_shutdown_async(s, c, synack_call_done, &call), &call);
}

/*
 * Close a connection's data socket, as a program closes a kernel socket
 * (bytes it left unread make the daemon reset the connection). Returns 1
 * when the daemon must still be told, 2 when it must be told about a data
 * socket's connection, 0 when it already let go (Closed came).
 */
static int synack_data_let_go(struct synack *s, synack_conn id)
{
	struct synack_cstate *c = synack_cstate_find(s, id);

	if (c && c->closing)
		return -EBADF; /* closed already: its Close is on its way */
	if (!c || c->fd < 0)
		return 1; /* the Send/Data path: the daemon answers for it */
	close(c->fd);
	c->fd = -1;
	if (c->closed) {
		synack_cstate_drop(s, id);
		return 0;
	}
	return 2;
}

/* The reply to a Close nobody waited for: the connection's state goes now. */
static void synack_close_done(struct synack *s, int status, const struct synack_result *res,
			      void *userdata)
{
	struct synack_cstate *c = userdata;

	(void)status;
	(void)res;
	synack_cstate_drop(s, c->id);
}

int synack_close(struct synack *s, synack_conn c)
{
	struct synack_call call = { 0 };
	struct synack_cstate *cs;
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	/* the daemon reads the data socket to its end, then sends FIN: say
	 * where that is even if the program still holds a dup() of it (or a
	 * child forked with it), whose copy would keep the socket open */
	cs = synack_cstate_find(s, c);
	if (cs && cs->fd >= 0)
		shutdown(cs->fd, SHUT_WR);
	r = synack_data_let_go(s, c);
	if (r <= 0)
		return r;
	if (r == 2) {
		/* as close(2) does, return without waiting: what is written is in
		 * the data socket, which the daemon drains even if this session
		 * ends first. The state stays until the reply, so events on their
		 * way for this connection find it and do not make a new one. */
		r = synack_close_async(s, c, synack_close_done, cs);
		if (r < 0) {
			synack_cstate_drop(s, c);
			return r;
		}
		cs->closing = true;
		return 0;
	}
	r = synack_simple_call(s, synack_close_async(s, c, synack_call_done, &call), &call);
	synack_cstate_drop(s, c);
	return r;
}

int synack_abort(struct synack *s, synack_conn c)
{
	struct synack_call call = { 0 };
	bool had_fd;
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	r = synack_data_let_go(s, c);
	if (r <= 0)
		return r;
	had_fd = r == 2;
	r = synack_simple_call(s, synack_abort_async(s, c, synack_call_done, &call), &call);
	synack_cstate_drop(s, c);
	return had_fd && r == -EBADF ? 0 : r;
}

int synack_setopt(struct synack *s, synack_conn c, enum synack_option opt, uint64_t value)
{
	struct synack_call call = { 0 };
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	return synack_simple_call(s, synack_setopt_async(s, c, opt, value, synack_call_done, &call),
				  &call);
}

int synack_getopt(struct synack *s, synack_conn c, enum synack_option opt, uint64_t *ret)
{
	struct synack_call call = { 0 };
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	r = synack_simple_call(s, synack_getopt_async(s, c, opt, synack_call_done, &call), &call);
	if (r < 0)
		return r;
	*ret = call.res.value;
	return 0;
}

int synack_set_congestion(struct synack *s, synack_conn c, const char *name)
{
	struct synack_call call = { 0 };
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	return synack_simple_call(
		s, synack_set_congestion_async(s, c, name, synack_call_done, &call), &call);
}

struct synack_name_call {
	struct synack_call call;
	char name[32]; /* the reply's name outlives it only as a copy */
};

static void synack_name_done(struct synack *s, int status, const struct synack_result *res,
			     void *userdata)
{
	struct synack_name_call *nc = userdata;

	synack_call_done(s, status, res, &nc->call);
	nc->call.res.name = NULL;
	if (status == 0 && res && res->name)
		snprintf(nc->name, sizeof(nc->name), "%s", res->name);
}

int synack_get_congestion(struct synack *s, synack_conn c, char *buf, size_t len)
{
	struct synack_name_call nc = { 0 };
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	r = synack_simple_call(s, synack_get_congestion_async(s, c, synack_name_done, &nc),
			       &nc.call);
	if (r < 0)
		return r;
	if (!nc.name[0])
		return -EPROTO;
	if (strlen(nc.name) >= len)
		return -ENAMETOOLONG;
	memcpy(buf, nc.name, strlen(nc.name) + 1);
	return 0;
}

struct synack_info_call {
	struct synack_call call;
	struct synack_info info;
};

static void synack_info_done(struct synack *s, int status, const struct synack_result *res,
			     void *userdata)
{
	struct synack_info_call *ic = userdata;

	if (status == 0 && res && !res->info)
		status = -EPROTO;
	if (status == 0)
		ic->info = *res->info;
	synack_call_done(s, status, res, &ic->call);
}

int synack_info(struct synack *s, synack_conn c, struct synack_info *ret)
{
	struct synack_info_call ic = { 0 };
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	r = synack_simple_call(s, synack_info_async(s, c, synack_info_done, &ic), &ic.call);
	if (r < 0)
		return r;
	*ret = ic.info;
	return 0;
}

static bool synack_conn_ready(struct synack *s, synack_conn id)
{
	struct synack_cstate *c = synack_cstate_find(s, id);

	/* a data socket is ready when poll says so (see synack_wait) */
	if (c && c->fd >= 0)
		return c->err || s->dead;
	return !c || c->rx_len || c->peer_closed || c->err || c->closed || c->inq_len;
}

/*
 * Poll the session, fd (when >= 0) and the data sockets among conns once,
 * at most timeout_ms. Returns the ready mask (bit 63: fd), or -errno.
 */
static int64_t synack_wait_once(struct synack *s, const synack_conn *conns, unsigned n, int fd,
				int timeout_ms)
{
	struct pollfd p[66];
	unsigned idx[64], np = 2;
	int64_t mask = 0;
	int r;

	p[0] = (struct pollfd){ .fd = s->fd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (synack_want_write(s))
		p[0].events |= POLLOUT;
	for (unsigned i = 0; i < n; i++) {
		struct synack_cstate *c = synack_cstate_find(s, conns[i]);

		if (c && c->fd >= 0) {
			idx[np - 2] = i;
			p[np++] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
		}
	}
	r = poll(p, np, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (p[0].revents) {
		r = synack_process(s);
		if (r < 0)
			return r;
	}
	for (unsigned j = 2; j < np; j++)
		if (p[j].revents)
			mask |= INT64_C(1) << idx[j - 2];
	if (fd >= 0 && p[1].revents)
		mask |= INT64_MIN; /* bit 63 */
	return mask;
}

int synack_wait(struct synack *s, const synack_conn *conns, unsigned n, int fd, int timeout_ms,
		uint64_t *ret_ready)
{
	int64_t deadline = timeout_ms < 0 ? -1 : synack_clock_ms() + timeout_ms;
	int r = synack_blocking_check(s);

	if (r < 0)
		return r;
	if (n > 63)
		return -EINVAL;
	for (;;) {
		uint64_t mask = 0;
		int64_t got;
		int left = -1;

		for (unsigned i = 0; i < n; i++)
			if (synack_conn_ready(s, conns[i]))
				mask |= UINT64_C(1) << i;
		if (mask) {
			*ret_ready = mask;
			return 0;
		}
		if (deadline >= 0) {
			int64_t l = deadline - synack_clock_ms();

			if (l <= 0) {
				*ret_ready = 0;
				return 0;
			}
			left = (int)l;
		}
		got = synack_wait_once(s, conns, n, fd, left);
		if (got < 0 && got > -4096)
			return (int)got;
		if (got != 0) {
			*ret_ready = (uint64_t)got;
			return 0;
		}
	}
}
