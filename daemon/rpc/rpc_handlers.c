/* SPDX-License-Identifier: MIT */
/*
 * rpc_handlers.c - the RPC operations (see rpc_handlers.h): Connect, Listen,
 * Send, Credit, Shutdown, Close, Abort, SetOption, GetOption, Info. Every
 * operation on an id first checks that the calling session owns it: a
 * client can reach nothing it did not open or accept (EBADF otherwise, the
 * same answer as for an id that never existed, so ids leak nothing).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rpc_accept.h"
#include "rpc_fd.h"
#include "rpc_handlers.h"
#include "rpc_server.h"
#include "stack_info.h"
#include "status.h"
#include "tunables.h"

void rpc_status_set(Synack__V1__Status *st, char *msgbuf, size_t msgsize, int err,
		    const char *detail)
{
	synack__v1__status__init(st);
	st->code = status_code_from_errno(err);
	if (detail && *detail)
		snprintf(msgbuf, msgsize, "%s: %s", status_message(err), detail);
	else
		snprintf(msgbuf, msgsize, "%s", status_message(err));
	st->message = msgbuf;
}

int rpc_endpoint_from_pb(const Synack__V1__Endpoint *ep, struct stack_endpoint *ret)
{
	struct stack_endpoint e = { 0 };

	if (ep) {
		if (ep->addr.len == 4)
			e.addr = (uint32_t)ep->addr.data[0] << 24 |
				 (uint32_t)ep->addr.data[1] << 16 |
				 (uint32_t)ep->addr.data[2] << 8 | ep->addr.data[3];
		else if (ep->addr.len == 16)
			return -EAFNOSUPPORT;
		else if (ep->addr.len != 0)
			return -EINVAL;
		if (ep->port > 65535)
			return -EINVAL;
		e.port = (uint16_t)ep->port;
	}
	*ret = e;
	return 0;
}

void rpc_endpoint_to_pb(const struct stack_endpoint *e, Synack__V1__Endpoint *ep, uint8_t addr[4])
{
	synack__v1__endpoint__init(ep);
	addr[0] = (uint8_t)(e->addr >> 24);
	addr[1] = (uint8_t)(e->addr >> 16);
	addr[2] = (uint8_t)(e->addr >> 8);
	addr[3] = (uint8_t)e->addr;
	if (e->addr) {
		ep->addr.data = addr;
		ep->addr.len = 4;
	}
	ep->port = e->port;
}

/* The session's live (not releasing) connection with this id, or NULL. */
/*
 * A detached connection of another session, when the request showed its data
 * socket (Request.fd_proof): holding the client's end is the right to act on
 * it, as holding a kernel socket's descriptor is.
 */
static struct rpc_conn *rpc_handle_proven(struct rpc_session *ss, uint64_t id)
{
	struct rpc_server *srv = ss->srv;
	struct stack_tcp_info in;
	struct rpc_session *owner;
	struct rpc_conn *c;

	if (stack_tcp_info(srv->stack, (stack_sock)id, &in) < 0)
		return NULL;
	owner = rpc_server_session_of(srv, in.owner);
	c = owner ? rpc_session_conn_find(owner, (stack_sock)id) : NULL;
	if (!c || !c->detached || !c->fdp || c->fdp->app_ino != ss->proof_ino ||
	    c->fdp->app_dev != ss->proof_dev)
		return NULL;
	srv->ctr.fd_proofs++;
	return c;
}

static struct rpc_conn *rpc_handle_owned(struct rpc_session *ss, uint64_t id)
{
	struct rpc_conn *c = rpc_session_conn_find(ss, (stack_sock)id);

	if (!c && ss->has_proof)
		c = rpc_handle_proven(ss, id);
	return c && !c->releasing ? c : NULL;
}

/* May ss have a data socket more (takes_spare: from rpc_fd_create())? Its
 * feature, then descriptors (EMFILE, counted). */
static int rpc_handle_fd_check(struct rpc_session *ss, bool takes_spare, struct rpc_reply_buf *buf)
{
	int r;

	if (!ss->fd_data) {
		snprintf(buf->message, sizeof(buf->message),
			 "data sockets (fd) need FEATURE_FD_DATA in Hello");
		return -EINVAL;
	}
	r = rpc_fd_room(ss, takes_spare, buf->message, sizeof(buf->message));
	if (r < 0)
		ss->srv->ctr.fd_limit++;
	return r;
}

/*
 * Connect.data: queued in SYN-SENT (RFC 9293 §3.10.2, SEND), before the
 * SYN-ACK can come, so it leaves with the handshake's last ACK. What the
 * send buffer does not take is the client's to send later.
 */
static uint64_t rpc_handle_connect_data(struct rpc_server *srv, stack_sock sock,
					const ProtobufCBinaryData *data)
{
	ssize_t n;

	if (!data->len)
		return 0;
	n = stack_tcp_send(srv->stack, rpc_server_now(srv), sock, data->data, data->len);
	return n > 0 ? (uint64_t)n : 0;
}

static int rpc_handle_connect(struct rpc_session *ss, const Synack__V1__Connect *m,
			      Synack__V1__Reply *rp, struct rpc_reply_buf *buf)
{
	struct rpc_server *srv = ss->srv;
	struct stack_endpoint local, remote;
	struct stack_connect_opts co = { 0 };
	struct stack_tcp_info in;
	struct rpc_conn *c;
	stack_sock sock;
	int r;

	if (!m->remote)
		return -EDESTADDRREQ;
	r = rpc_endpoint_from_pb(m->remote, &remote);
	if (r < 0)
		return r;
	r = rpc_endpoint_from_pb(m->local, &local);
	if (r < 0)
		return r;
	if (remote.addr == 0 || remote.port == 0)
		return -EDESTADDRREQ;
	r = rpc_session_room(ss, buf->message, sizeof(buf->message));
	if (r < 0)
		return r;
	if (m->detached && (!m->fd || !ss->detached_ok)) {
		snprintf(buf->message, sizeof(buf->message),
			 "detached needs fd and FEATURE_DETACHED in Hello");
		return -EINVAL;
	}
	if (m->fd) {
		r = rpc_handle_fd_check(ss, true, buf);
		if (r < 0)
			return r;
	}
	if (m->data.len && !ss->connect_data_ok) {
		snprintf(buf->message, sizeof(buf->message),
			 "data needs FEATURE_CONNECT_DATA in Hello");
		return -EINVAL;
	}
	if (m->mss > UINT16_MAX)
		return -EINVAL;
	co.mss = (uint16_t)m->mss;
	r = stack_tcp_connect_opts(srv->stack, rpc_server_now(srv), &local, &remote, ss->owner, &co,
				   &sock);
	if (r < 0)
		return r;
	/* its buffers count against the client's uid (limits.memory_per_uid) */
	r = stack_tcp_set_account(srv->stack, sock, (uint32_t)ss->uid);
	if (r == 0)
		r = rpc_session_conn_add(ss, sock, &c);
	if (r < 0) {
		stack_tcp_abort(srv->stack, rpc_server_now(srv), sock);
		return r;
	}
	synack__v1__connect_result__init(&buf->connect);
	if (m->fd) {
		r = rpc_fd_create(ss, sock, &c->fdp, &buf->pass);
		if (r == 0 && m->detached) {
			c->detached = true;
			rpc_fd_detach(c->fdp, buf->pass);
			r = rpc_fd_gate(c->fdp, buf->pass);
		}
		if (r < 0) {
			/* never named to the client: gone without a Closed */
			rpc_fd_pass_done(ss, buf->pass);
			buf->pass = NULL;
			stack_tcp_abort(srv->stack, rpc_server_now(srv), sock);
			rpc_session_conn_forget(ss, c);
			return r;
		}
		buf->connect.fd = true;
	}
	/*
	 * What can fail has been done (a failure after the handshake would reach
	 * the peer with the request and then a reset). Now the first bytes, then
	 * the SYN-ACK the kernel sent within the SYN's write: the handshake's
	 * last ACK carries them out at once, and the peer works on them while the
	 * reply is made. Events of what was read wait for the kick after this
	 * request (the reply goes first); those of other connections too, so a
	 * request pipelined behind this one may meet a change its event has not
	 * told yet, as after any busy kick.
	 */
	buf->connect.taken = rpc_handle_connect_data(srv, sock, &m->data);
	if (srv->host.link_answers)
		srv->host.link_answers(srv->host.ctx);
	c->credit = m->initial_credit;
	c->local = local;
	c->remote = remote;
	if (stack_tcp_info(srv->stack, sock, &in) == 0) {
		c->local = in.local; /* the port the core picked */
		if (strcmp(in.state_name, "ESTABLISHED") == 0)
			srv->ctr.connects_inline++; /* the handshake is done already */
	}
	rpc_endpoint_to_pb(&c->local, &buf->ep[0], buf->addr[0]);
	buf->connect.local = &buf->ep[0];
	if (m->timeout_ms)
		rpc_session_arm_connect_timer(ss, c, m->timeout_ms);
	buf->connect.conn = sock;
	rp->result_case = SYNACK__V1__REPLY__RESULT_CONNECT;
	rp->connect = &buf->connect;
	return 0;
}

/*
 * The accept queue a listener gets: what the client asked (RPC_LISTEN_BACKLOG
 * by default, RPC_LISTEN_MAX_BACKLOG at most), but no more than the room its
 * uid and the client have left beside the listener. The connections queued
 * there become the uid's when accepted; a larger queue would let one uid's
 * listener fill the table however low limits.conns_per_uid is.
 */
static uint32_t rpc_listen_room(uint32_t cap, uint32_t held)
{
	return cap > held ? cap - held : 0;
}

static uint32_t rpc_listen_backlog(const struct rpc_session *ss, uint32_t want)
{
	const struct rpc_limits *l = &ss->srv->limits;
	uint32_t room = RPC_LISTEN_MAX_BACKLOG, r;

	/* the room left once the listener itself is counted */
	r = rpc_listen_room(l->conns_per_uid, (ss->u ? ss->u->conns : 0) + 1);
	if (r < room)
		room = r;
	r = rpc_listen_room(l->conns_per_client, ss->nconns + 1);
	if (r < room)
		room = r;
	if (room == 0)
		room = 1; /* at the cap: one connection waits for an accept */
	if (!want)
		want = RPC_LISTEN_BACKLOG;
	return want < room ? want : room;
}

static int rpc_handle_listen(struct rpc_session *ss, const Synack__V1__Listen *m,
			     Synack__V1__Reply *rp, struct rpc_reply_buf *buf)
{
	struct rpc_server *srv = ss->srv;
	struct stack_endpoint local;
	struct stack_tcp_info in;
	struct rpc_conn *c;
	stack_sock sock;
	uint32_t backlog;
	int r;

	r = rpc_endpoint_from_pb(m->local, &local);
	if (r < 0)
		return r;
	r = rpc_session_room(ss, buf->message, sizeof(buf->message));
	if (r < 0)
		return r;
	if (m->fd && !ss->fd_data) {
		snprintf(buf->message, sizeof(buf->message),
			 "data sockets (fd) need FEATURE_FD_DATA in Hello");
		return -EINVAL;
	}
	if (m->queue) {
		if (!m->fd || !ss->detached_ok) {
			snprintf(buf->message, sizeof(buf->message),
				 "queue needs fd and FEATURE_DETACHED in Hello");
			return -EINVAL;
		}
		/* the accept socket is a socketpair of its own, not the spare */
		r = rpc_handle_fd_check(ss, false, buf);
		if (r < 0)
			return r;
	}
	backlog = rpc_listen_backlog(ss, m->backlog);
	r = stack_tcp_listen(srv->stack, rpc_server_now(srv), &local, backlog, ss->owner, &sock);
	if (r < 0)
		return r;
	/* its children's buffers count against the client's uid until accepted */
	r = stack_tcp_set_account(srv->stack, sock, (uint32_t)ss->uid);
	if (r == 0)
		r = rpc_session_conn_add(ss, sock, &c);
	if (r < 0) {
		stack_tcp_close(srv->stack, rpc_server_now(srv), sock);
		return r;
	}
	if (m->queue) {
		r = rpc_accept_q_create(ss, sock, backlog, &c->aq, &buf->pass);
		if (r < 0) {
			stack_tcp_close(srv->stack, rpc_server_now(srv), sock);
			rpc_session_conn_forget(ss, c);
			return r;
		}
	}
	c->listener = true;
	c->fd_mode = m->fd;
	c->initial_credit = m->initial_credit;
	c->local = local;
	if (stack_tcp_info(srv->stack, sock, &in) == 0)
		c->local = local = in.local; /* the port the core picked for 0 */
	synack__v1__listen_result__init(&buf->listen);
	buf->listen.conn = sock;
	rpc_endpoint_to_pb(&local, &buf->ep[0], buf->addr[0]);
	buf->listen.local = &buf->ep[0];
	buf->listen.queue = m->queue;
	rp->result_case = SYNACK__V1__REPLY__RESULT_LISTEN;
	rp->listen = &buf->listen;
	return 0;
}

static int rpc_handle_send(struct rpc_session *ss, const Synack__V1__Send *m, Synack__V1__Reply *rp,
			   struct rpc_reply_buf *buf)
{
	struct rpc_server *srv = ss->srv;
	struct rpc_conn *c = rpc_handle_owned(ss, m->conn);
	ssize_t n;

	if (!c)
		return -EBADF;
	if (c->listener)
		return -ENOTCONN;
	if (c->fdp) {
		snprintf(buf->message, sizeof(buf->message),
			 "the connection's bytes go on its data socket");
		return -EINVAL;
	}
	n = stack_tcp_send(srv->stack, rpc_server_now(srv), c->sock, m->data.data, m->data.len);
	if (n < 0)
		return (int)n;
	synack__v1__send_result__init(&buf->send);
	buf->send.taken = (uint64_t)n;
	rp->result_case = SYNACK__V1__REPLY__RESULT_SEND;
	rp->send = &buf->send;
	return 0;
}

static int rpc_handle_credit(struct rpc_session *ss, const Synack__V1__Credit *m)
{
	struct rpc_conn *c = rpc_handle_owned(ss, m->conn);

	if (!c)
		return -EBADF;
	if (c->listener)
		return -ENOTCONN;
	if (c->fdp)
		return -EINVAL; /* its flow control is the data socket's */
	c->credit = m->bytes > UINT64_MAX - c->credit ? UINT64_MAX : c->credit + m->bytes;
	rpc_session_pump(ss, c);
	return 0;
}

static int rpc_handle_shutdown(struct rpc_session *ss, uint64_t id)
{
	struct rpc_conn *c = rpc_handle_owned(ss, id);

	if (!c)
		return -EBADF;
	if (c->listener)
		return -ENOTCONN;
	/* the client half-closes a data socket with shutdown(SHUT_WR) on its end:
	 * a FIN queued here could go out before bytes still in the socketpair */
	if (c->fdp)
		return -EINVAL;
	return stack_tcp_shutdown(ss->srv->stack, rpc_server_now(ss->srv), c->sock);
}

static int rpc_handle_release(struct rpc_session *ss, uint64_t id, bool abort, uint64_t req_id,
			      struct rpc_reply_buf *buf)
{
	struct rpc_conn *c = rpc_handle_owned(ss, id);

	if (!c)
		return -EBADF;
	if (!abort && c->detached) {
		/*
		 * Its close is the last close() of its data socket; a Close only
		 * asks to hear when that is done: at once when another process still
		 * holds the socket or no linger time is set, else once its FIN is
		 * ACKed or the linger time has passed (SO_LINGER, OPTION_LINGER_MS).
		 */
		if (!c->fdp || !c->fdp->linger_ms || c->fdp->close_owed ||
		    !rpc_fd_client_gone(c->fdp) || rpc_session_conn_find(ss, id) != c)
			return 0;
		c->fdp->close_owed = true;
		c->fdp->close_req = req_id;
		c->fdp->close_pending = true; /* gone already: no need to wait for its check */
		buf->no_reply = true;
		rpc_fd_pump(c->fdp);
		return 0;
	}
	if (c->fdp && !abort && c->fdp->close_owed) {
		snprintf(buf->message, sizeof(buf->message), "a Close is already under way");
		return -EALREADY;
	}
	if (c->fdp && !abort) {
		/*
		 * As close() of a kernel socket: what the client wrote before still goes
		 * out, so the connection is let go once its data socket reaches EOF; the
		 * Reply waits until then (a client may hang up once it has it).
		 */
		c->fdp->close_pending = c->fdp->close_owed = true;
		c->fdp->close_req = req_id;
		buf->no_reply = true;
		/* libsynack shuts its end before the Close: look now, whether or not
		 * the poll has said so yet this turn, and on to the end of stream
		 * past any last bytes, so that the connection is let go within the
		 * request and a Connect behind it has the slot */
		c->fdp->maybe_in = true;
		c->fdp->read_to_end = true;
		rpc_fd_pump(c->fdp);
		return 0;
	}
	rpc_session_conn_release(ss, c, abort);
	return 0;
}

/* Wire options to the core's, with the unit conversion (ms <-> us). */
static int rpc_option_map(Synack__V1__Option o, enum stack_tcp_opt *ret, uint64_t *ret_scale)
{
	static const struct {
		Synack__V1__Option pb;
		enum stack_tcp_opt opt;
		uint64_t scale;
	} map[] = {
		{ SYNACK__V1__OPTION__OPTION_NODELAY, STACK_TCP_NODELAY, 1 },
		{ SYNACK__V1__OPTION__OPTION_KEEPALIVE, STACK_TCP_KEEPALIVE, 1 },
		{ SYNACK__V1__OPTION__OPTION_KEEPIDLE_MS, STACK_TCP_KEEPIDLE_US, 1000 },
		{ SYNACK__V1__OPTION__OPTION_KEEPINTVL_MS, STACK_TCP_KEEPINTVL_US, 1000 },
		{ SYNACK__V1__OPTION__OPTION_KEEPCNT, STACK_TCP_KEEPCNT, 1 },
		{ SYNACK__V1__OPTION__OPTION_SNDBUF, STACK_TCP_SNDBUF, 1 },
		{ SYNACK__V1__OPTION__OPTION_RCVBUF, STACK_TCP_RCVBUF, 1 },
		{ SYNACK__V1__OPTION__OPTION_CONGESTION, STACK_TCP_CONGESTION, 1 },
		{ SYNACK__V1__OPTION__OPTION_USER_TIMEOUT_MS, STACK_TCP_USER_TIMEOUT_US, 1000 },
		{ SYNACK__V1__OPTION__OPTION_MAXSEG, STACK_TCP_MAXSEG, 1 },
		{ SYNACK__V1__OPTION__OPTION_CORK, STACK_TCP_CORK, 1 },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i].pb == o) {
			*ret = map[i].opt;
			*ret_scale = map[i].scale;
			return 0;
		}
	}
	return -ENOPROTOOPT;
}

/* OPTION_CONGESTION goes by name: its index in tcp.congestion_control's names. */
static int rpc_congestion_lookup(const char *name, uint64_t *ret, struct rpc_reply_buf *buf)
{
	const char *const *names = stack_tunable_names(STACK_TUN_congestion_control);
	size_t n = 0;

	if (name && stack_tunable_name_lookup(STACK_TUN_congestion_control, name, ret) == 0)
		return 0;
	n = (size_t)snprintf(buf->message, sizeof(buf->message),
			     "unknown congestion control '%.32s' (known:", name ? name : "");
	for (size_t i = 0; names && names[i] && n < sizeof(buf->message); i++)
		n += (size_t)snprintf(buf->message + n, sizeof(buf->message) - n, " %s", names[i]);
	if (n < sizeof(buf->message))
		snprintf(buf->message + n, sizeof(buf->message) - n, ")");
	/* not Linux's ENOENT: here that status reads "no such connection" */
	return -EINVAL;
}

/* The daemon's own options (how a detached data socket's last close ends it), not the core's. */
static bool rpc_option_is_linger(Synack__V1__Option option)
{
	return option == SYNACK__V1__OPTION__OPTION_LINGER_RESET ||
	       option == SYNACK__V1__OPTION__OPTION_LINGER_MS;
}

/* An OptionValue reply. */
static int rpc_reply_option(Synack__V1__Reply *rp, struct rpc_reply_buf *buf, uint64_t value)
{
	synack__v1__option_value__init(&buf->option);
	buf->option.value = value;
	rp->result_case = SYNACK__V1__REPLY__RESULT_OPTION;
	rp->option = &buf->option;
	return 0;
}

static int rpc_handle_setopt(struct rpc_session *ss, const Synack__V1__SetOption *m,
			     struct rpc_reply_buf *buf)
{
	struct rpc_conn *c = rpc_handle_owned(ss, m->conn);
	enum stack_tcp_opt opt;
	uint64_t scale, v;
	int r;

	if (!c)
		return -EBADF;
	if (rpc_option_is_linger(m->option)) {
		if (!c->detached || !c->fdp)
			return -EINVAL;
		if (m->option == SYNACK__V1__OPTION__OPTION_LINGER_RESET)
			c->fdp->abort_on_close = m->value != 0;
		else /* longer than 49 days is as good as forever */
			c->fdp->linger_ms = m->value > UINT32_MAX ? UINT32_MAX : (uint32_t)m->value;
		return 0;
	}
	r = rpc_option_map(m->option, &opt, &scale);
	if (r < 0)
		return r;
	if (opt == STACK_TCP_CONGESTION) {
		r = rpc_congestion_lookup(m->name, &v, buf);
		if (r < 0)
			return r;
		return stack_tcp_setopt(ss->srv->stack, rpc_server_now(ss->srv), c->sock, opt, v);
	}
	if (m->value > UINT64_MAX / scale)
		return -ERANGE;
	return stack_tcp_setopt(ss->srv->stack, rpc_server_now(ss->srv), c->sock, opt,
				m->value * scale);
}

static int rpc_handle_getopt(struct rpc_session *ss, const Synack__V1__GetOption *m,
			     Synack__V1__Reply *rp, struct rpc_reply_buf *buf)
{
	struct rpc_conn *c = rpc_handle_owned(ss, m->conn);
	enum stack_tcp_opt opt;
	uint64_t scale, v;
	int r;

	if (!c)
		return -EBADF;
	if (rpc_option_is_linger(m->option)) {
		if (!c->detached || !c->fdp)
			return -EINVAL;
		return rpc_reply_option(rp, buf,
					m->option == SYNACK__V1__OPTION__OPTION_LINGER_RESET
						? c->fdp->abort_on_close
						: c->fdp->linger_ms);
	}
	if (m->option == SYNACK__V1__OPTION__OPTION_ERROR) {
		int err;

		r = stack_tcp_take_soft_error(ss->srv->stack, c->sock, &err);
		if (r < 0)
			return r;
		return rpc_reply_option(rp, buf, (uint64_t)-err);
	}
	r = rpc_option_map(m->option, &opt, &scale);
	if (r < 0)
		return r;
	r = stack_tcp_getopt(ss->srv->stack, c->sock, opt, &v);
	if (r < 0)
		return r;
	rpc_reply_option(rp, buf, v / scale);
	if (opt == STACK_TCP_CONGESTION)
		buf->option.name = (char *)stack_tunable_name(STACK_TUN_congestion_control, v);
	return 0;
}

/* The core's state names (RFC spelling) to the wire enum. */
static Synack__V1__TcpState rpc_state_from_name(const char *name)
{
	static const char *const names[] = {
		[SYNACK__V1__TCP_STATE__TCP_STATE_CLOSED] = "CLOSED",
		[SYNACK__V1__TCP_STATE__TCP_STATE_LISTEN] = "LISTEN",
		[SYNACK__V1__TCP_STATE__TCP_STATE_SYN_SENT] = "SYN-SENT",
		[SYNACK__V1__TCP_STATE__TCP_STATE_SYN_RECEIVED] = "SYN-RECEIVED",
		[SYNACK__V1__TCP_STATE__TCP_STATE_ESTABLISHED] = "ESTABLISHED",
		[SYNACK__V1__TCP_STATE__TCP_STATE_FIN_WAIT_1] = "FIN-WAIT-1",
		[SYNACK__V1__TCP_STATE__TCP_STATE_FIN_WAIT_2] = "FIN-WAIT-2",
		[SYNACK__V1__TCP_STATE__TCP_STATE_CLOSE_WAIT] = "CLOSE-WAIT",
		[SYNACK__V1__TCP_STATE__TCP_STATE_CLOSING] = "CLOSING",
		[SYNACK__V1__TCP_STATE__TCP_STATE_LAST_ACK] = "LAST-ACK",
		[SYNACK__V1__TCP_STATE__TCP_STATE_TIME_WAIT] = "TIME-WAIT",
	};

	for (size_t i = 1; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (Synack__V1__TcpState)i;
	return SYNACK__V1__TCP_STATE__TCP_STATE_UNSPECIFIED;
}

static uint32_t rpc_u32(uint64_t v)
{
	return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static int rpc_handle_info(struct rpc_session *ss, const Synack__V1__Info *m, Synack__V1__Reply *rp,
			   struct rpc_reply_buf *buf)
{
	struct rpc_conn *c = rpc_handle_owned(ss, m->conn);
	Synack__V1__ConnInfo *ci = &buf->info;
	struct stack_tcp_info in;
	int r;

	if (!c)
		return -EBADF;
	r = stack_tcp_info(ss->srv->stack, c->sock, &in);
	if (r < 0)
		return r;
	synack__v1__conn_info__init(ci);
	ci->state = rpc_state_from_name(in.state_name);
	rpc_endpoint_to_pb(&in.local, &buf->ep[0], buf->addr[0]);
	rpc_endpoint_to_pb(&in.remote, &buf->ep[1], buf->addr[1]);
	ci->local = &buf->ep[0];
	ci->remote = &buf->ep[1];
	ci->snd_una = in.snd_una;
	ci->snd_nxt = in.snd_nxt;
	ci->snd_wnd = in.snd_wnd;
	ci->rcv_nxt = in.rcv_nxt;
	ci->rcv_wnd = in.rcv_wnd;
	ci->mss = in.mss;
	ci->cwnd = in.cwnd;
	ci->ssthresh = in.ssthresh;
	ci->srtt_us = rpc_u32(in.srtt_us);
	ci->rttvar_us = rpc_u32(in.rttvar_us);
	ci->rto_us = rpc_u32(in.rto_us);
	ci->bytes_sent = in.bytes_sent;
	ci->bytes_received = in.bytes_received;
	ci->retransmits = in.total_retrans;
	ci->credit = c->credit;
	ci->unsent = in.send_queue;
	ci->congestion = (char *)(in.cc_name ? in.cc_name : "");
	ci->snd_mss = in.snd_mss;
	ci->rcv_mss = in.rcv_mss;
	ci->retrans_now = in.retransmits;
	ci->probes = in.probes;
	ci->backoff = in.backoff;
	ci->snd_wscale = in.snd_wscale;
	ci->rcv_wscale = in.rcv_wscale;
	ci->options = (in.ts_ok ? 1u : 0) | (in.sack_ok ? 2u : 0) | (in.wscale_ok ? 4u : 0);
	ci->soft_error = (uint32_t)-in.soft_error;
	rp->result_case = SYNACK__V1__REPLY__RESULT_INFO;
	rp->info = ci;
	return 0;
}

static int rpc_handle_dispatch(struct rpc_session *ss, const Synack__V1__Request *rq,
			       Synack__V1__Reply *rp, struct rpc_reply_buf *buf)
{
	switch (rq->op_case) {
	case SYNACK__V1__REQUEST__OP_CONNECT:
		return rpc_handle_connect(ss, rq->connect, rp, buf);
	case SYNACK__V1__REQUEST__OP_LISTEN:
		return rpc_handle_listen(ss, rq->listen, rp, buf);
	case SYNACK__V1__REQUEST__OP_SEND:
		return rpc_handle_send(ss, rq->send, rp, buf);
	case SYNACK__V1__REQUEST__OP_CREDIT:
		return rpc_handle_credit(ss, rq->credit);
	case SYNACK__V1__REQUEST__OP_SHUTDOWN:
		return rpc_handle_shutdown(ss, rq->shutdown->conn);
	case SYNACK__V1__REQUEST__OP_CLOSE:
		return rpc_handle_release(ss, rq->close->conn, false, rq->id, buf);
	case SYNACK__V1__REQUEST__OP_ABORT:
		return rpc_handle_release(ss, rq->abort->conn, true, rq->id, buf);
	case SYNACK__V1__REQUEST__OP_SET_OPTION:
		return rpc_handle_setopt(ss, rq->set_option, buf);
	case SYNACK__V1__REQUEST__OP_GET_OPTION:
		return rpc_handle_getopt(ss, rq->get_option, rp, buf);
	case SYNACK__V1__REQUEST__OP_INFO:
		return rpc_handle_info(ss, rq->info, rp, buf);
	default:
		snprintf(buf->message, sizeof(buf->message),
			 "no operation this daemon knows (protocol version %u)", PROTO_VERSION);
		return -ENOMSG;
	}
}

int rpc_handle_request(struct rpc_session *ss, const Synack__V1__Request *rq, Synack__V1__Reply *rp,
		       struct rpc_reply_buf *buf)
{
	char detail[sizeof(buf->message)];
	int r;

	buf->message[0] = '\0';
	buf->pass = NULL;
	buf->no_reply = false;
	rp->id = rq->id;
	r = rpc_handle_dispatch(ss, rq, rp, buf);
	if (r < 0)
		rp->result_case = SYNACK__V1__REPLY__RESULT__NOT_SET;
	memcpy(detail, buf->message, sizeof(detail));
	rpc_status_set(&buf->status, buf->message, sizeof(buf->message), r, detail);
	rp->status = &buf->status;
	return status_code_from_errno(r);
}
