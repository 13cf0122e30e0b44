/* SPDX-License-Identifier: MIT */
/*
 * rpc_session.c - one RPC client (see rpc_session.h): input validation,
 * replies and events out, the connections the client owns, and flow control.
 *
 * Memory per client is bounded: input is read into one fixed buffer and
 * frames are capped at limits.max_frame before allocation. What is queued
 * to the client is counted as the memory it holds (frame_pipe.h), in bytes
 * and in number (RPC_SESSION_MAX_WRITES). Data events are produced only
 * within the client's credit and while the queue stays under 7/8 of
 * limits.buffered_per_client; the last 1/8 is kept for replies, so a client
 * that writes while its Data waits unread can still be answered. A client
 * that does not read its socket has its requests held, one frame at a time,
 * once the queue reaches the limit: nothing more is taken from it (and its
 * socket is not read) until the queue drains. Other clients are unaffected.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "frame_pipe.h"
#include "rpc_accept.h"
#include "rpc_fd.h"
#include "log.h"
#include "rpc_handlers.h"
#include "rpc_server.h"
#include "rpc_session.h"
#include "sent_fds.h"
#include "stack_info.h"
#include "status.h"

/* A write to the client, freed when libuv is done with it. */
struct rpc_timer {
	uv_timer_t timer;
	struct rpc_session *ss; /* NULL once the connection is gone */
	stack_sock sock;
};

static void rpc_session_read_update(struct rpc_session *ss);
static void rpc_session_pump_all(struct rpc_session *ss);
static void rpc_session_fd_linger_close(struct rpc_session *ss, bool all);
static void rpc_session_take_input(struct rpc_session *ss);
static int rpc_session_take_proof(struct rpc_session *ss);
static void rpc_session_husk_free(struct rpc_session *ss);
static void rpc_session_drop_unclaimed_fds(struct rpc_session *ss, bool all);
static bool rpc_session_out_full(const struct rpc_session *ss);

/* ------------------------------------------------------------------ output */

/* The client's end of a data socket has left with w, or never will (sent
 * false): our copy of it goes. */
static void rpc_session_pass_release(struct rpc_session *ss, struct frame_write *w, bool sent)
{
	if (sent)
		ss->srv->ctr.fds_passed++;
	rpc_fd_pass_done(ss, w->pass);
	w->pass = NULL;
}

/* With nothing left in libuv's queue, every frame made so far is in the
 * client's socket: the data-socket ends that lingered for theirs go. */
static void rpc_session_linger_written(struct rpc_session *ss)
{
	if (uv_stream_get_write_queue_size((uv_stream_t *)&ss->pipe) == 0)
		rpc_session_fd_linger_close(ss, true);
}

static void rpc_session_written(uv_write_t *req, int status)
{
	struct frame_write *w = (struct frame_write *)req;
	struct rpc_session *ss = w->owner;

	ss->buffered -= w->len;
	ss->nwrites--;
	ss->writes_done++;
	if (w->pass)
		rpc_session_pass_release(ss, w, status == 0);
	frame_write_free(w);
	rpc_session_fd_linger_close(ss, false);
	if (ss->closing)
		return;
	if (status < 0) {
		/* the client is gone (EPIPE): while its input is held we would not see EOF */
		rpc_session_close(ss, uv_strerror(status));
		return;
	}
	rpc_session_take_input(ss);
	rpc_session_read_update(ss);
	rpc_session_pump_all(ss);
	rpc_server_kick(ss->srv);
}

int rpc_session_send(struct rpc_session *ss, const Synack__V1__ServerMessage *m)
{
	return rpc_session_send_fd(ss, m, NULL);
}

/* A batch that is never written: taken back as if never made (it is the last
 * one made, so writes_made goes back by one and the writes in flight keep
 * completing in order), its descriptor closed. */
static void rpc_session_unmake(struct rpc_session *ss, struct frame_write *w)
{
	ss->buffered -= w->len;
	ss->nwrites--;
	ss->writes_made--;
	if (w->pass)
		rpc_session_pass_release(ss, w, false);
	frame_write_free(w);
}

/*
 * What waits for a write need not wait for its callback (a loop turn later)
 * once libuv has written it whole at submission, as it does whenever the
 * client keeps up: the descriptor of a data socket went with its first
 * bytes (libuv drops send_handle once that sendmsg() succeeded), so our copy
 * of the client's end goes now; and with nothing left in the queue, every
 * frame made so far is in the client's socket, so the data-socket ends that
 * lingered for theirs go too. Both count against the session's descriptors
 * (rpc_fd_room()): held a turn longer, they refused the Connect that came
 * right behind a Close.
 */
static void rpc_session_written_now(struct rpc_session *ss, struct frame_write *w)
{
	if (w->pass && !w->req.send_handle)
		rpc_session_pass_release(ss, w, true);
	rpc_session_linger_written(ss);
}

/*
 * A batch written whole by rpc_session_flush() itself: what
 * rpc_session_written() does a turn later for libuv's writes, done now. Only
 * for a session nothing waits on (rpc_session_sync_ok()): what resumes after
 * a write, and may queue frames, would have nothing to resume.
 */
static void rpc_session_written_sync(struct rpc_session *ss, struct frame_write *w)
{
	ss->buffered -= w->len;
	ss->nwrites--;
	ss->writes_done++;
	frame_write_free(w); /* its descriptor, if any, is gone already (rpc_session_try_send()) */
	rpc_session_linger_written(ss); /* libuv's queue was empty, and this went whole */
}

/*
 * Nothing waits for the session's output to drain: its input is taken and no
 * pump is held. (A listener held for descriptors does not wait for a write
 * either: rpc_fd_room() writes what holds them before it refuses.)
 */
static bool rpc_session_sync_ok(const struct rpc_session *ss)
{
	return !ss->closing && ss->reading && !ss->in_len && !rpc_session_out_full(ss);
}

/*
 * Write the batch straight away when libuv has nothing queued and nothing
 * waits on the session (rpc_session_sync_ok()). Returns 1 when it went
 * whole, 0 when the rest from *ret_off is for libuv (all of it when the
 * socket is full, when the session may not write in place, or on a pipe
 * that is not a socket), or -errno (the client is gone).
 */
static int rpc_session_try_send(struct rpc_session *ss, struct frame_write *w, size_t *ret_off)
{
	ssize_t n;

	*ret_off = 0;
	if (!rpc_session_sync_ok(ss))
		return 0;
	n = frame_batch_try_send(w, &ss->pipe, w->pass ? rpc_fd_pass_fd(w->pass) : -1);
	if (n == -EAGAIN || n == -ENOTSOCK)
		return 0;
	if (n < 0)
		return (int)n;
	if (w->pass)
		rpc_session_pass_release(ss, w, true); /* went with the first byte */
	if ((size_t)n == w->wire_len) {
		rpc_session_written_sync(ss, w);
		return 1;
	}
	*ret_off = (size_t)n;
	return 0;
}

/*
 * Start writing the frames batched this turn: at once when it can go whole
 * (usually, while the client keeps up), else one libuv write request for
 * what is left. On failure they are dropped, as a write that failed, and
 * out_error is set: the flush handle's callback then arms the linger timer,
 * which closes the session (never under a caller that is still using it);
 * the batch is taken back (rpc_session_unmake).
 */
static int rpc_session_flush(struct rpc_session *ss)
{
	struct frame_write *w = ss->out;
	uv_stream_t *handle = NULL;
	size_t off;
	int r;

	if (!w)
		return 0;
	ss->out = NULL;
	r = rpc_session_try_send(ss, w, &off);
	if (r == 0 && w->pass)
		r = rpc_fd_pass_handle(w->pass, &handle);
	if (r == 0)
		r = frame_batch_send(w, off, &ss->pipe, handle, rpc_session_written);
	if (r >= 0) {
		ss->srv->ctr.writes_out++;
		if (r == 0) {
			ss->srv->ctr.writes_queued++;
			rpc_session_written_now(ss, w);
		}
		if (!ss->out_error)
			uv_prepare_stop(&ss->flush);
		return 0;
	}
	rpc_session_unmake(ss, w);
	if (!ss->out_error)
		ss->out_error = r;
	rpc_session_fd_linger_close(ss, false);
	return r;
}

bool rpc_session_fd_linger_flush(struct rpc_session *ss)
{
	/* a batch that holds a client's end also holds a descriptor until written */
	bool holds = ss->fd_linger || (ss->out && ss->out->pass);

	if (!holds || ss->closing || ss->out_error || rpc_session_flush(ss) < 0)
		return false;
	/* also with no batch to write: the writes done may only wait for their callbacks */
	rpc_session_linger_written(ss);
	return true;
}

static void rpc_session_write_failed(uv_timer_t *t)
{
	struct rpc_session *ss = t->data;

	rpc_session_close(ss, uv_strerror(ss->out_error));
}

/*
 * Just before the loop waits: this turn's frames go out. Nothing here may
 * queue frames for any session (they would wait for the next wake-up): a
 * session whose batch could not be written is closed from its linger timer
 * (idle until it hangs up), at the start of the next turn; the armed timer
 * keeps the loop from waiting.
 */
static void rpc_session_flush_cb(uv_prepare_t *h)
{
	struct rpc_session *ss = h->data;

	rpc_session_flush(ss);
	uv_prepare_stop(&ss->flush);
	if (ss->out_error && !ss->closing)
		uv_timer_start(&ss->linger, rpc_session_write_failed, 0, 0);
}

/* Drop what is batched and not written (the session goes). */
static void rpc_session_out_drop(struct rpc_session *ss)
{
	struct frame_write *w = ss->out;

	if (!w)
		return;
	ss->out = NULL;
	rpc_session_unmake(ss, w);
}

int rpc_session_send_fd(struct rpc_session *ss, const Synack__V1__ServerMessage *m,
			struct rpc_fd_pass *pass)
{
	bool fresh;
	size_t grown;
	int r;

	/* hung up (uv_shutdown() is issued): nothing more goes out */
	if (uv_is_closing((uv_handle_t *)&ss->pipe) || !uv_is_writable((uv_stream_t *)&ss->pipe))
		return -ESHUTDOWN;
	if (ss->out_error)
		return ss->out_error;
	/* a descriptor goes with the first byte of a write: this frame starts one */
	if (pass && (r = rpc_session_flush(ss)) < 0)
		return r;
	fresh = !ss->out;
	r = frame_batch_add(&ss->out, &m->base, ss, RPC_SESSION_BATCH_BYTES, &grown);
	if (r == -ENOSPC) {
		if ((r = rpc_session_flush(ss)) < 0)
			return r;
		fresh = true;
		r = frame_batch_add(&ss->out, &m->base, ss, RPC_SESSION_BATCH_BYTES, &grown);
	}
	ss->buffered += grown;
	if (r < 0)
		return r;
	ss->srv->ctr.frames_out++;
	if (fresh) {
		ss->out->pass = pass;
		ss->nwrites++;
		ss->writes_made++;
		uv_prepare_start(&ss->flush, rpc_session_flush_cb);
	}
	if (ss->buffered > ss->peak_buffered)
		ss->peak_buffered = ss->buffered;
	/* while requests are being taken, rpc_session_read() updates once at the end */
	if (!ss->in_len)
		rpc_session_read_update(ss);
	return 0;
}

int rpc_session_send_event(struct rpc_session *ss, Synack__V1__Event *ev)
{
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;

	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_EVENT;
	m.event = ev;
	return rpc_session_send(ss, &m);
}

static void rpc_session_send_simple_event(struct rpc_session *ss, stack_sock sock,
					  Synack__V1__Event__EvCase kind)
{
	Synack__V1__Event ev = SYNACK__V1__EVENT__INIT;
	Synack__V1__Writable wr = SYNACK__V1__WRITABLE__INIT;
	Synack__V1__PeerClosed pc = SYNACK__V1__PEER_CLOSED__INIT;
	Synack__V1__Closed cl = SYNACK__V1__CLOSED__INIT;

	ev.conn = sock;
	ev.ev_case = kind;
	if (kind == SYNACK__V1__EVENT__EV_WRITABLE)
		ev.writable = &wr;
	else if (kind == SYNACK__V1__EVENT__EV_PEER_CLOSED)
		ev.peer_closed = &pc;
	else
		ev.closed = &cl;
	rpc_session_send_event(ss, &ev);
}

void rpc_session_send_status_event(struct rpc_session *ss, stack_sock sock,
				   Synack__V1__Event__EvCase kind, int err)
{
	Synack__V1__Event ev = SYNACK__V1__EVENT__INIT;
	Synack__V1__Reset rs = SYNACK__V1__RESET__INIT;
	Synack__V1__Error er = SYNACK__V1__ERROR__INIT;
	Synack__V1__Status st;
	char msg[160];

	rpc_status_set(&st, msg, sizeof(msg), err, NULL);
	ev.conn = sock;
	ev.ev_case = kind;
	if (kind == SYNACK__V1__EVENT__EV_RESET) {
		rs.reason = &st;
		ev.reset = &rs;
	} else {
		er.reason = &st;
		ev.error = &er;
	}
	rpc_session_send_event(ss, &ev);
}

/* Why c ends (Reset or Error); its data socket's end then waits for this frame. */
static void rpc_session_tell_end(struct rpc_session *ss, struct rpc_conn *c,
				 Synack__V1__Event__EvCase kind, int err)
{
	rpc_session_send_status_event(ss, c->sock, kind, err);
	if (c->fdp)
		c->fdp->reason_queued = true;
}

static void rpc_session_send_endpoints_event(struct rpc_session *ss, stack_sock sock,
					     stack_sock new_conn, const struct rpc_conn *c,
					     struct rpc_fd_pass *pass)
{
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;
	Synack__V1__Event ev = SYNACK__V1__EVENT__INIT;
	Synack__V1__Established es = SYNACK__V1__ESTABLISHED__INIT;
	Synack__V1__Incoming in = SYNACK__V1__INCOMING__INIT;
	Synack__V1__Endpoint l, r;
	uint8_t la[4], ra[4];

	rpc_endpoint_to_pb(&c->local, &l, la);
	rpc_endpoint_to_pb(&c->remote, &r, ra);
	ev.conn = sock;
	if (new_conn) {
		in.conn = new_conn;
		in.local = &l;
		in.remote = &r;
		in.fd = pass != NULL;
		ev.ev_case = SYNACK__V1__EVENT__EV_INCOMING;
		ev.incoming = &in;
	} else {
		es.local = &l;
		es.remote = &r;
		ev.ev_case = SYNACK__V1__EVENT__EV_ESTABLISHED;
		ev.established = &es;
	}
	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_EVENT;
	m.event = &ev;
	if (rpc_session_send_fd(ss, &m, pass) < 0)
		rpc_fd_pass_done(ss,
				 pass); /* the connection's Reset/Closed cannot reach it either */
}

/* ------------------------------------------------------------------ connections */

static unsigned rpc_conn_bucket(stack_sock sock)
{
	return (unsigned)((sock * 0x9e3779b97f4a7c15ull) >> 56) % RPC_CONN_BUCKETS;
}

struct rpc_conn *rpc_session_conn_find(struct rpc_session *ss, stack_sock sock)
{
	struct rpc_conn *c;

	for (c = ss->conns[rpc_conn_bucket(sock)]; c; c = c->next)
		if (c->sock == sock)
			return c;
	return NULL;
}

/*
 * Room for one more connection of ss's uid under limits.conns_per_uid. The
 * uid holds its sessions' connections and listeners and also the orphans
 * they left: connections closed that still finish on their own and keep a
 * slot for as long as the peer (which may be the uid's accomplice) can
 * stretch tcp.orphan_retries. When only those orphans stand in the way, the
 * uid's oldest are reset to make room (TcpExtTCPAbortOnMemory,
 * SynackRpcUidOrphansReset), as limits.max_orphans does stack-wide: refusing
 * instead would let remote peers lock the uid out by holding windows shut.
 */
static bool rpc_uid_room(struct rpc_session *ss)
{
	struct rpc_server *srv = ss->srv;
	uint32_t cap = srv->limits.conns_per_uid;

	if (!ss->u)
		return true;
	if (ss->u->conns >= cap)
		return false;
	while (ss->u->conns + stack_tcp_account_orphans(srv->stack, (uint32_t)ss->uid) >= cap &&
	       stack_tcp_account_reap(srv->stack, rpc_server_now(srv), (uint32_t)ss->uid) == 0)
		srv->ctr.uid_orphans_reset++;
	return true;
}

bool rpc_session_can_add(struct rpc_session *ss)
{
	return ss->nconns < ss->srv->limits.conns_per_client && rpc_uid_room(ss);
}

int rpc_session_room(struct rpc_session *ss, char *msg, size_t len)
{
	const struct rpc_limits *l = &ss->srv->limits;

	/* connections this client closed in the same burst of requests are let
	 * go by the stack's events: run them before counting (a Close is not
	 * waited for, as close(2) is not) */
	if (!rpc_session_can_add(ss))
		rpc_server_kick(ss->srv);
	if (ss->nconns >= l->conns_per_client) {
		snprintf(msg, len,
			 "connection limit per client reached (limits.conns_per_client = %u)",
			 l->conns_per_client);
		return -EMFILE;
	}
	if (!rpc_uid_room(ss)) {
		ss->srv->ctr.uid_conns++;
		snprintf(msg, len, "connection limit of uid %u reached (limits.conns_per_uid = %u)",
			 (unsigned)ss->uid, l->conns_per_uid);
		return -EMFILE;
	}
	return 0;
}

static void rpc_session_idle_arm(struct rpc_session *ss);

int rpc_session_conn_add(struct rpc_session *ss, stack_sock sock, struct rpc_conn **ret)
{
	struct rpc_conn *c = calloc(1, sizeof(*c));
	unsigned b = rpc_conn_bucket(sock);

	if (!c)
		return -ENOMEM;
	c->sock = sock;
	c->next = ss->conns[b];
	ss->conns[b] = c;
	ss->nconns++;
	if (ss->u)
		ss->u->conns++;
	*ret = c;
	return 0;
}

static void rpc_timer_closed(uv_handle_t *h)
{
	free(h->data);
}

static void rpc_conn_timer_drop(struct rpc_conn *c)
{
	struct rpc_timer *t;

	if (!c->connect_timer)
		return;
	t = c->connect_timer->data;
	t->ss = NULL;
	uv_timer_stop(&t->timer);
	uv_close((uv_handle_t *)&t->timer, rpc_timer_closed);
	c->connect_timer = NULL;
}

/*
 * A gone connection's data socket: closed once what the session queued about
 * it (Reset, Error, Closed) is written, so the client finds the reason on the
 * session before it reads the end of the data socket. Not when the client's
 * own Close let it go and no Reset or Error came first: there is no reason to
 * find then (the Close reply only says it is done), and the client has
 * closed its end already (libsynack closes it before the Close, a detached
 * end's last close is what the Close waited for), so it goes at once. Closed
 * at once, it also goes before the next data socket is on its way to the
 * client: closing a Unix socket while a descriptor is in flight anywhere
 * makes Linux queue its Unix garbage collector (unix_gc), which one short
 * connection after another kept doing.
 */
static void rpc_session_send_error(struct rpc_session *ss, uint64_t id, int err,
				   const char *detail);

static void rpc_session_fd_drop(struct rpc_session *ss, struct rpc_conn *c)
{
	struct rpc_fd *f = c->fdp;

	if (!f)
		return;
	c->fdp = NULL;
	if (f->close_owed && !ss->closing)
		rpc_session_send_error(ss, f->close_req, 0, NULL); /* the Close is done */
	if (ss->nwrites == 0 || ss->closing || (f->close_owed && !f->reason_queued)) {
		rpc_fd_close(f);
		return;
	}
	rpc_fd_linger(f);
	f->queued_until = ss->writes_made; /* the last write queued, the batch being filled */
	f->next = ss->fd_linger;
	ss->fd_linger = f;
}

/* Close the lingering ends whose writes are done (libuv completes them in
 * order), or all of them. */
static void rpc_session_fd_linger_close(struct rpc_session *ss, bool all)
{
	struct rpc_fd *f, *n, **pp = &ss->fd_linger;

	for (f = ss->fd_linger; f; f = n) {
		n = f->next;
		if (!all && ss->nwrites > 0 && f->queued_until > ss->writes_done) {
			pp = &f->next;
			continue;
		}
		*pp = n;
		rpc_fd_close(f);
	}
}

/* Unlink and free c (its stack handle is already released). */
static void rpc_session_conn_free(struct rpc_session *ss, struct rpc_conn *c)
{
	struct rpc_conn **pp;

	for (pp = &ss->conns[rpc_conn_bucket(c->sock)]; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	rpc_conn_timer_drop(c);
	rpc_session_fd_drop(ss, c);
	if (c->aq)
		rpc_accept_q_close(c->aq);
	ss->nconns--;
	if (ss->u)
		ss->u->conns--;
	free(c);
	if (!ss->nconns && !ss->closing) {
		/* idle from now on */
		ss->last_active = uv_now(ss->srv->loop);
		rpc_session_idle_arm(ss);
	}
}

void rpc_session_conn_forget(struct rpc_session *ss, struct rpc_conn *c)
{
	rpc_session_conn_free(ss, c);
}

void rpc_session_conn_release(struct rpc_session *ss, struct rpc_conn *c, bool abort)
{
	struct rpc_server *srv = ss->srv;
	stack_time_us now = rpc_server_now(srv);

	if (c->releasing)
		return;
	c->releasing = true;
	rpc_conn_timer_drop(c);
	if (abort)
		stack_tcp_abort(srv->stack, now, c->sock);
	else
		stack_tcp_close(srv->stack, now, c->sock);
	/* the CLOSED event that follows frees c and tells the client */
}

static void rpc_session_connect_timeout(uv_timer_t *h)
{
	struct rpc_timer *t = h->data;
	struct rpc_session *ss = t->ss;
	struct rpc_conn *c;

	if (!ss)
		return;
	c = rpc_session_conn_find(ss, t->sock);
	if (!c || c->established || c->releasing)
		return;
	rpc_session_tell_end(ss, c, SYNACK__V1__EVENT__EV_ERROR, -ETIMEDOUT);
	rpc_session_conn_release(ss, c, true);
	rpc_server_kick(ss->srv);
}

int rpc_session_arm_connect_timer(struct rpc_session *ss, struct rpc_conn *c, uint32_t ms)
{
	struct rpc_timer *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	r = uv_timer_init(ss->srv->loop, &t->timer);
	if (r < 0) {
		free(t);
		return r;
	}
	t->timer.data = t;
	t->ss = ss;
	t->sock = c->sock;
	c->connect_timer = &t->timer;
	return uv_timer_start(&t->timer, rpc_session_connect_timeout, ms, 0);
}

/* ------------------------------------------------------------------ flow control */

/* The share of the client's queue that Data events may fill; the rest is for replies. */
static uint64_t rpc_session_data_limit(const struct rpc_session *ss)
{
	return ss->srv->limits.buffered_per_client - ss->srv->limits.buffered_per_client / 8;
}

static bool rpc_session_out_full(const struct rpc_session *ss)
{
	return ss->buffered >= rpc_session_data_limit(ss) ||
	       ss->nwrites >= RPC_SESSION_MAX_WRITES - RPC_SESSION_MAX_WRITES / 8;
}

static bool rpc_session_in_full_now(const struct rpc_session *ss)
{
	return ss->buffered >= ss->srv->limits.buffered_per_client ||
	       ss->nwrites >= RPC_SESSION_MAX_WRITES;
}

/* No more requests are taken while this is true (a frame_pipe_reader callback). */
static bool rpc_session_in_full(void *ctx)
{
	struct rpc_session *ss = ctx;

	if (!rpc_session_in_full_now(ss))
		return false;
	if (ss->reading)
		ss->srv->ctr.input_held++; /* counted once per hold: reading stops now */
	return true;
}

/* The peer's urgent mark, once, before the Data that carries it (MUST-30/31). */
static void rpc_session_tell_urgent(struct rpc_session *ss, struct rpc_conn *c)
{
	Synack__V1__Event ev = SYNACK__V1__EVENT__INIT;
	Synack__V1__Urgent u = SYNACK__V1__URGENT__INIT;
	uint32_t off;

	if (stack_tcp_urgent_offset(ss->srv->stack, c->sock, &off) != 1 ||
	    c->urgent_told == c->delivered + off + 1)
		return;
	u.offset = off;
	ev.conn = c->sock;
	ev.ev_case = SYNACK__V1__EVENT__EV_URGENT;
	ev.urgent = &u;
	if (rpc_session_send_event(ss, &ev) < 0)
		return; /* told on the next pump */
	c->urgent_told = c->delivered + off + 1;
	ss->srv->ctr.urgent_marks++;
}

void rpc_session_pump(struct rpc_session *ss, struct rpc_conn *c)
{
	static uint8_t chunk[RPC_DATA_CHUNK];
	struct rpc_server *srv = ss->srv;

	if (c->listener || c->releasing)
		return;
	if (c->fdp) {
		rpc_fd_pump(c->fdp); /* a data socket moves even in a husk */
		return;
	}
	if (ss->closing)
		return;
	while (c->credit > 0 && !rpc_session_out_full(ss)) {
		Synack__V1__Event ev = SYNACK__V1__EVENT__INIT;
		Synack__V1__Data d = SYNACK__V1__DATA__INIT;
		uint64_t room = rpc_session_data_limit(ss) - ss->buffered;
		size_t want = RPC_DATA_CHUNK;
		ssize_t n;

		if (want > c->credit)
			want = (size_t)c->credit;
		if (want > room)
			want = (size_t)room;
		rpc_session_tell_urgent(ss, c);
		n = stack_tcp_recv(srv->stack, rpc_server_now(srv), c->sock, chunk, want);
		if (n <= 0)
			break; /* -EAGAIN: nothing yet; 0: end of stream, told below */
		d.data.data = chunk;
		d.data.len = (size_t)n;
		ev.conn = c->sock;
		ev.ev_case = SYNACK__V1__EVENT__EV_DATA;
		ev.data = &d;
		if (rpc_session_send_event(ss, &ev) < 0)
			break;
		c->credit -= (uint64_t)n;
		c->delivered += (uint64_t)n;
	}
	/* PeerClosed only after the last byte went out, credit or not */
	if (c->peer_fin && !c->peer_closed_sent && stack_tcp_readable(srv->stack, c->sock) == 0) {
		c->peer_closed_sent = true;
		rpc_session_send_simple_event(ss, c->sock, SYNACK__V1__EVENT__EV_PEER_CLOSED);
	}
}

/* Learn the endpoints the core chose (ephemeral port, the peer of an accept). */
static void rpc_conn_learn_endpoints(struct rpc_session *ss, struct rpc_conn *c)
{
	struct stack_tcp_info in;

	if (stack_tcp_info(ss->srv->stack, c->sock, &in) == 0) {
		c->local = in.local;
		c->remote = in.remote;
	}
}

/* Accept what a listener holds while the client is under its limit. */
static void rpc_session_accept(struct rpc_session *ss, struct rpc_conn *l)
{
	struct rpc_server *srv = ss->srv;
	bool held = l->accept_pending; /* already waiting for room, and counted then */

	l->accept_pending = true;
	if (!held && ss->u && ss->u->conns >= srv->limits.conns_per_uid)
		srv->ctr.uid_conns++; /* they wait in the listener's queue: once per hold */
	while (!l->releasing && rpc_session_can_add(ss)) {
		struct rpc_fd_pass *pass = NULL;
		struct rpc_conn *c;
		char why[160];

		if (l->aq && !rpc_accept_q_room(l->aq))
			return; /* the accept socket is full: resumed when records are taken */
		if (l->fd_mode && rpc_fd_room(ss, true, why, sizeof(why)) < 0) {
			/* held until a data socket lets go: the listen queue fills meanwhile */
			if (!held)
				srv->ctr.fd_limit++; /* counted once per hold */
			return;
		}
		stack_sock sock;
		int r = stack_tcp_accept(srv->stack, rpc_server_now(srv), l->sock, ss->owner,
					 &sock);

		if (r < 0) {
			l->accept_pending = false; /* -EAGAIN: the queue is empty */
			return;
		}
		if (stack_tcp_set_account(srv->stack, sock, (uint32_t)ss->uid) < 0 ||
		    rpc_session_conn_add(ss, sock, &c) < 0) {
			stack_tcp_abort(srv->stack, rpc_server_now(srv), sock);
			continue;
		}
		c->established = true;
		c->credit = l->initial_credit;
		c->local = l->local;
		rpc_conn_learn_endpoints(ss, c);
		if (l->fd_mode && rpc_fd_create(ss, sock, &c->fdp, &pass) < 0) {
			/* the client never hears of it: no Closed either */
			stack_tcp_abort(srv->stack, rpc_server_now(srv), sock);
			rpc_session_conn_free(ss, c);
			continue;
		}
		if (l->aq) {
			/* detached from birth: the record is all the client hears of it */
			c->detached = c->quiet = true;
			rpc_fd_detach(c->fdp, pass);
			r = rpc_accept_q_put(l->aq, c, rpc_fd_pass_fd(pass));
			rpc_fd_pass_done(ss, pass);
			if (r < 0) {
				/* this one is lost; the rest wait (the accept socket is full
				 * or going: its poll says when to go on) */
				stack_tcp_abort(srv->stack, rpc_server_now(srv), sock);
				return;
			}
		} else {
			rpc_session_send_endpoints_event(ss, l->sock, sock, c, pass);
		}
		rpc_session_pump(ss, c);
	}
}

void rpc_session_resume(struct rpc_session *ss)
{
	rpc_session_pump_all(ss);
}

/* After output drained or a connection went away: resume what was held back. */
static void rpc_session_pump_all(struct rpc_session *ss)
{
	for (unsigned b = 0; b < RPC_CONN_BUCKETS; b++) {
		/* this runs after every write: most buckets are empty, skip them cheaply */
		if (!ss->conns[b])
			continue;
		if (rpc_session_out_full(ss))
			break;
		for (struct rpc_conn *c = ss->conns[b], *n; c; c = n) {
			n = c->next;
			if (c->listener && c->accept_pending)
				rpc_session_accept(ss, c);
			else if (!c->fdp && (c->credit || c->peer_fin))
				rpc_session_pump(ss, c); /* data sockets move on their own events */
		}
	}
}

void rpc_session_stack_event(struct rpc_session *ss, const struct stack_event *ev)
{
	struct rpc_conn *c = rpc_session_conn_find(ss, ev->sock);

	if (!c) /* a closing session holds only what it keeps */
		return;
	switch (ev->type) {
	case STACK_EV_ESTABLISHED:
		c->established = true;
		rpc_conn_timer_drop(c);
		rpc_conn_learn_endpoints(ss, c);
		if (!c->quiet)
			rpc_session_send_endpoints_event(ss, c->sock, 0, c, NULL);
		c->quiet = c->detached; /* its one event is told */
		if (c->fdp && c->fdp->gate)
			rpc_fd_ungate(c->fdp); /* the client's end turns writable */
		else if (c->fdp)
			rpc_fd_writable(c->fdp); /* SNDBUF is known now: take what waits */
		break;
	case STACK_EV_ACCEPTABLE:
		rpc_session_accept(ss, c);
		break;
	case STACK_EV_READABLE:
		rpc_session_pump(ss, c);
		break;
	case STACK_EV_WRITABLE:
		if (c->fdp)
			rpc_fd_writable(c->fdp);
		else
			rpc_session_send_simple_event(ss, c->sock, SYNACK__V1__EVENT__EV_WRITABLE);
		break;
	case STACK_EV_PEER_CLOSED:
		c->peer_fin = true;
		rpc_session_pump(ss, c);
		break;
	case STACK_EV_RESET:
	case STACK_EV_ERROR:
		if (!c->quiet)
			rpc_session_tell_end(ss, c,
					     ev->type == STACK_EV_RESET
						     ? SYNACK__V1__EVENT__EV_RESET
						     : SYNACK__V1__EVENT__EV_ERROR,
					     ev->err ? ev->err : -ECONNRESET);
		c->quiet = c->detached;
		/* the connection is dead: release its handle, Closed follows */
		rpc_session_conn_release(ss, c, true);
		break;
	case STACK_EV_CLOSED: {
		bool uid_full = ss->u && ss->u->conns >= ss->srv->limits.conns_per_uid;

		if (!c->detached)
			rpc_session_send_simple_event(ss, c->sock, SYNACK__V1__EVENT__EV_CLOSED);
		rpc_session_conn_free(ss, c);
		if (ss->husk && !ss->nconns) {
			if (uid_full)
				rpc_server_uid_room(ss->srv,
						    ss); /* before it goes: ss names the uid */
			rpc_session_husk_free(ss);	 /* its last kept connection went */
			return;
		}
		rpc_session_pump_all(ss); /* under the limit again: accept */
		if (uid_full)
			rpc_server_uid_room(ss->srv, ss); /* and the uid's other sessions too */
		break;
	}
	}
}

/* ------------------------------------------------------------------ input */

static void rpc_session_strike(struct rpc_session *ss, const char *what)
{
	if (++ss->strikes >= RPC_SESSION_MAX_STRIKES) {
		log_notice("rpc: client %u (pid %d, uid %u): too many protocol errors (last: %s), "
			   "disconnecting",
			   ss->id, (int)ss->pid, (unsigned)ss->uid, what);
		rpc_session_close(ss, NULL);
	}
}

/* An error Reply to a frame we could not take as a request (id unknown: 0). */
static void rpc_session_send_error(struct rpc_session *ss, uint64_t id, int err, const char *detail)
{
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;
	Synack__V1__Reply rp = SYNACK__V1__REPLY__INIT;
	Synack__V1__Status st;
	char msg[200];

	rpc_status_set(&st, msg, sizeof(msg), err, detail);
	rp.id = id;
	rp.status = &st;
	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_REPLY;
	m.reply = &rp;
	rpc_session_send(ss, &m);
}

static void rpc_session_hello(struct rpc_session *ss, const Synack__V1__Hello *h)
{
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;
	Synack__V1__HelloReply hr = SYNACK__V1__HELLO_REPLY__INIT;
	Synack__V1__Status st;
	char msg[160], detail[96];
	int err = 0;

	if (ss->hello_done) {
		rpc_session_send_error(ss, 0, -EPROTO, "Hello sent twice");
		rpc_session_strike(ss, "second Hello");
		return;
	}
	if (h->version != PROTO_VERSION) {
		snprintf(detail, sizeof(detail), "client speaks %u, synackd speaks %u", h->version,
			 PROTO_VERSION);
		err = -EPROTONOSUPPORT;
	}
	rpc_status_set(&st, msg, sizeof(msg), err, err ? detail : NULL);
	hr.status = &st;
	hr.version = PROTO_VERSION;
	hr.server_name = "synackd";
	hr.max_frame = ss->srv->limits.max_frame;
	hr.session = ss->id;
	/* data sockets travel as SCM_RIGHTS: only on an IPC pipe (not the fuzz target's) */
	if (!err && h->features & SYNACK__V1__FEATURE__FEATURE_FD_DATA && ss->pipe.ipc) {
		hr.features = SYNACK__V1__FEATURE__FEATURE_FD_DATA;
		ss->fd_data = true;
		if (h->features & SYNACK__V1__FEATURE__FEATURE_DETACHED) {
			uv_os_fd_t fd;

			hr.features |= SYNACK__V1__FEATURE__FEATURE_DETACHED;
			ss->detached_ok = true;
			/* its proofs come as descriptors (the listener refuses them) */
			if (uv_fileno((uv_handle_t *)&ss->pipe, &fd) == 0)
				sent_fds_accept(fd);
		}
	}
	if (!err && h->features & SYNACK__V1__FEATURE__FEATURE_CONNECT_DATA) {
		hr.features |= SYNACK__V1__FEATURE__FEATURE_CONNECT_DATA;
		ss->connect_data_ok = true;
	}
	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_HELLO;
	m.hello = &hr;
	rpc_session_send(ss, &m);
	if (err) {
		log_info("rpc: client %u (pid %d): %s", ss->id, (int)ss->pid, detail);
		rpc_session_close(ss, NULL);
		return;
	}
	ss->hello_done = true;
	uv_timer_stop(&ss->idle);
	rpc_session_idle_arm(ss);
	snprintf(ss->name, sizeof(ss->name), "%s", h->client_name ? h->client_name : "");
	log_debug("rpc: client %u is \"%s\" (pid %d, uid %u)", ss->id, ss->name, (int)ss->pid,
		  (unsigned)ss->uid);
}

static void rpc_session_request(struct rpc_session *ss, const Synack__V1__Request *rq)
{
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;
	Synack__V1__Reply rp = SYNACK__V1__REPLY__INIT;
	struct rpc_reply_buf buf;
	int code;

	if (!ss->hello_done) {
		rpc_session_send_error(ss, rq->id, -EPROTO, "Hello must come first");
		rpc_session_strike(ss, "request before Hello");
		return;
	}
	if (rq->fd_proof && rpc_session_take_proof(ss) < 0) {
		rpc_session_send_error(ss, rq->id, -EPROTO, "fd_proof, but no descriptor came");
		rpc_session_strike(ss, "fd_proof without a descriptor");
		return;
	}
	code = rpc_handle_request(ss, rq, &rp, &buf);
	ss->has_proof = false;
	if (buf.no_reply && code == 0)
		return;
	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_REPLY;
	m.reply = &rp;
	if (rpc_session_send_fd(ss, &m, buf.pass) < 0)
		rpc_fd_pass_done(ss, buf.pass);
	else if (buf.pass && rp.result_case == SYNACK__V1__REPLY__RESULT_CONNECT) {
		/* start watching the new data socket (bytes may come before ESTABLISHED) */
		struct rpc_conn *c = rpc_session_conn_find(ss, (stack_sock)rp.connect->conn);

		if (c)
			rpc_session_pump(ss, c);
		/* answered: the next Connect's data socket, while the peer works */
		rpc_fd_spare_make(ss->srv);
	}
	if (code == ENOMSG)
		rpc_session_strike(ss, "unknown operation");
}

/* One whole frame from the client (a frame_pipe_reader callback). */
static void rpc_session_frame(void *ctx, const uint8_t *f, size_t len)
{
	struct rpc_session *ss = ctx;
	Synack__V1__ClientMessage *cm;
	ProtobufCMessage *pm;
	struct frame_alloc a;

	ss->last_active = uv_now(ss->srv->loop);
	/* a frame is bounded by max_frame; unpacking cannot need more than this */
	frame_alloc_init(&a, 2 * (size_t)ss->srv->limits.max_frame + 65536);
	if (frame_unpack(&synack__v1__client_message__descriptor, f, len, &a, &pm) < 0) {
		rpc_session_send_error(ss, 0, -EBADMSG, "not a synack.v1.ClientMessage");
		rpc_session_strike(ss, "malformed message");
		return;
	}
	cm = (Synack__V1__ClientMessage *)pm;
	switch (cm->msg_case) {
	case SYNACK__V1__CLIENT_MESSAGE__MSG_HELLO:
		rpc_session_hello(ss, cm->hello);
		break;
	case SYNACK__V1__CLIENT_MESSAGE__MSG_REQUEST:
		rpc_session_request(ss, cm->request);
		break;
	default:
		rpc_session_send_error(ss, 0, -ENOMSG, "empty or unknown envelope");
		rpc_session_strike(ss, "unknown envelope");
		break;
	}
	frame_unpacked_free(pm, &a);
}

static void rpc_session_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct rpc_session *ss = h->data;

	*buf = uv_buf_init((char *)ss->rbuf, sizeof(ss->rbuf));
}

static void rpc_session_on_bad_frame(void *ctx, int err)
{
	struct rpc_session *ss = ctx;

	/* the stream cannot be resynchronised: say why and hang up */
	rpc_session_send_error(
		ss, 0, err, err == -EMSGSIZE ? "frame over limits.max_frame" : "zero-length frame");
	rpc_session_close(ss, err == -EMSGSIZE ? "oversized frame" : "bad frame");
}

static void rpc_session_on_ended(void *ctx, int err)
{
	rpc_session_close(ctx, err == UV_EOF ? NULL : uv_strerror(err));
}

static const struct frame_pipe_reader rpc_session_reader = {
	.frame = rpc_session_frame,
	.bad_frame = rpc_session_on_bad_frame,
	.ended = rpc_session_on_ended,
	.full = rpc_session_in_full,
};

/* Take the requests read but held back, as far as the output has room. */
static void rpc_session_take_input(struct rpc_session *ss)
{
	if (!ss->in_len)
		return;
	frame_pipe_cut(&ss->dec, &ss->in, &ss->in_len, &ss->closing, &rpc_session_reader, ss);
	if (!ss->in_len)
		ss->in = NULL;
}

/*
 * The session's pipe is an IPC pipe (so data sockets can go out); libuv takes
 * any descriptor a client sends in. Only a data socket shown with a
 * Request.fd_proof is used (and closed once looked at): up to
 * RPC_SESSION_PROOFS wait for their frames, while a frame is incomplete or
 * held back; any other is closed at once, so a client cannot make synackd
 * hold descriptors that way.
 */
static void rpc_session_proof_close(struct rpc_session *ss, uv_pipe_t *p)
{
	uv_os_fd_t fd;

	if (uv_fileno((uv_handle_t *)p, &fd) == 0)
		sent_fd_disarm(fd); /* its close must not wait (a lingering socket) */
	rpc_fd_held(ss->srv, ss, -1);
	p->data = p;
	uv_close((uv_handle_t *)p, (uv_close_cb)free);
}

static void rpc_session_take_received_fds(struct rpc_session *ss)
{
	while (uv_pipe_pending_count(&ss->pipe) > 0) {
		uv_pipe_t *p = malloc(sizeof(*p));

		if (!p || uv_pipe_init(ss->srv->loop, p, 0) < 0) {
			free(p);
			rpc_session_close(ss, "cannot close a descriptor it sent");
			return;
		}
		uv_accept((uv_stream_t *)&ss->pipe, (uv_stream_t *)p);
		rpc_fd_held(ss->srv, ss, 1);
		if (ss->detached_ok && ss->nproofs < RPC_SESSION_PROOFS) {
			ss->proofs[ss->nproofs++] = p;
			continue;
		}
		rpc_session_proof_close(ss, p);
		ss->srv->ctr.fds_dropped++;
	}
}

/* What no frame claimed once every frame read so far is handled: closed. */
static void rpc_session_drop_unclaimed_fds(struct rpc_session *ss, bool all)
{
	if (!all && (ss->in_len || frame_decoder_pending(&ss->dec)))
		return;
	while (ss->nproofs) {
		rpc_session_proof_close(ss, ss->proofs[--ss->nproofs]);
		ss->srv->ctr.fds_dropped++;
	}
}

/* The next descriptor received: its inode for this request. -EPROTO if none came. */
static int rpc_session_take_proof(struct rpc_session *ss)
{
	uv_pipe_t *p;
	uv_os_fd_t fd;
	struct stat st;
	int r = -EPROTO;

	if (!ss->nproofs)
		return r;
	p = ss->proofs[0];
	memmove(ss->proofs, ss->proofs + 1, --ss->nproofs * sizeof(ss->proofs[0]));
	/* a socket, named by device and inode: any other file is no proof (and
	 * is not fstat()ed: a file on a FUSE mount could keep that waiting) */
	if (uv_fileno((uv_handle_t *)p, &fd) == 0 && sent_fd_is_socket(fd) && fstat(fd, &st) == 0 &&
	    S_ISSOCK(st.st_mode)) {
		ss->proof_dev = (uint64_t)st.st_dev;
		ss->proof_ino = (uint64_t)st.st_ino;
		ss->has_proof = true;
		r = 0;
	}
	rpc_session_proof_close(ss, p);
	return r;
}

static void rpc_session_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct rpc_session *ss = st->data;

	if (ss->pipe.ipc)
		rpc_session_take_received_fds(ss);

	if (nread == 0 || ss->closing)
		return;
	if (nread < 0) {
		rpc_session_on_ended(ss, (int)nread);
		return;
	}
	ss->in = (const uint8_t *)buf->base;
	ss->in_len = (size_t)nread;
	rpc_session_take_input(ss);
	rpc_session_drop_unclaimed_fds(ss, false);
	rpc_session_read_update(ss);
	rpc_server_kick(ss->srv);
}

/*
 * Read from the client only while nothing it sent is held back and its
 * queued output is below the limit, so a client that sends requests
 * without reading replies cannot grow the daemon: the kernel's socket
 * buffer fills and its writes block.
 */
static void rpc_session_read_update(struct rpc_session *ss)
{
	bool want = !ss->closing && ss->in_len == 0 && !rpc_session_in_full_now(ss);

	if (want == ss->reading)
		return;
	if (want &&
	    uv_read_start((uv_stream_t *)&ss->pipe, rpc_session_alloc, rpc_session_read) < 0)
		return;
	if (!want)
		uv_read_stop((uv_stream_t *)&ss->pipe);
	ss->reading = want;
}

/*
 * The session's one timer before it hangs up: first Hello must come within
 * rpc.hello_timeout; after it, a session that owns no connection and sends
 * nothing for rpc.idle_timeout is hung up, so sessions that only hold a
 * client slot do not hold it forever.
 */
static void rpc_session_idle_fire(uv_timer_t *t)
{
	struct rpc_session *ss = t->data;
	struct rpc_server *srv = ss->srv;
	uint64_t now = uv_now(srv->loop), ms = srv->limits.idle_timeout_ms;

	if (ss->closing)
		return;
	if (!ss->hello_done) {
		srv->ctr.hello_timeouts++;
		log_notice("rpc: client %u (pid %d, uid %u): no Hello within %llu ms "
			   "(rpc.hello_timeout), disconnecting",
			   ss->id, (int)ss->pid, (unsigned)ss->uid,
			   (unsigned long long)srv->limits.hello_timeout_ms);
		rpc_session_send_error(ss, 0, -ETIMEDOUT, "no Hello within rpc.hello_timeout");
		rpc_session_close(ss, NULL);
		return;
	}
	if (ss->nconns || !ms)
		return; /* re-armed when the last connection goes */
	if (now - ss->last_active < ms) {
		uv_timer_start(&ss->idle, rpc_session_idle_fire, ms - (now - ss->last_active), 0);
		return;
	}
	srv->ctr.idle_timeouts++;
	log_info("rpc: client %u (pid %d, uid %u): no connection and no request for %llu ms "
		 "(rpc.idle_timeout), disconnecting",
		 ss->id, (int)ss->pid, (unsigned)ss->uid, (unsigned long long)ms);
	rpc_session_send_error(ss, 0, -ETIMEDOUT, "idle for rpc.idle_timeout");
	rpc_session_close(ss, NULL);
}

static void rpc_session_idle_arm(struct rpc_session *ss)
{
	uint64_t ms = ss->srv->limits.idle_timeout_ms;

	if (!ss->hello_done || ss->closing || !ms || ss->nconns ||
	    uv_is_active((uv_handle_t *)&ss->idle))
		return;
	uv_timer_start(&ss->idle, rpc_session_idle_fire, ms, 0);
}

/*
 * A reload changed the timeouts: the pending deadline was computed from the
 * old ones (and none is armed when idle_timeout was 0), so compute it again
 * from when the session began (Hello) or was last active (idle).
 */
void rpc_session_timeouts_changed(struct rpc_session *ss)
{
	struct rpc_server *srv = ss->srv;
	uint64_t now = uv_now(srv->loop), since, ms;

	if (ss->closing)
		return;
	uv_timer_stop(&ss->idle);
	if (ss->hello_done) {
		ms = srv->limits.idle_timeout_ms;
		since = ss->last_active;
		if (!ms || ss->nconns)
			return; /* armed again when the last connection goes */
	} else {
		ms = srv->limits.hello_timeout_ms;
		since = ss->started;
	}
	uv_timer_start(&ss->idle, rpc_session_idle_fire, now - since < ms ? ms - (now - since) : 0,
		       0);
}

int rpc_session_start(struct rpc_session *ss)
{
	/* uv_timer_init() and uv_prepare_init() cannot fail: they only link the
	 * handle into the loop */
	int r = uv_timer_init(ss->srv->loop, &ss->linger);

	if (r == 0)
		r = uv_timer_init(ss->srv->loop, &ss->idle);
	if (r == 0)
		r = uv_prepare_init(ss->srv->loop, &ss->flush);
	if (r < 0)
		return r;
	ss->linger.data = ss;
	ss->idle.data = ss;
	ss->flush.data = ss;
	ss->open_handles = 4; /* pipe, linger, idle and flush, all initialised by now */
	frame_decoder_init(&ss->dec, ss->srv->limits.max_frame);
	ss->pipe.data = ss;
	ss->last_active = ss->started = uv_now(ss->srv->loop);
	uv_timer_start(&ss->idle, rpc_session_idle_fire, ss->srv->limits.hello_timeout_ms, 0);
	rpc_session_read_update(ss);
	if (!ss->reading)
		rpc_session_close(ss, "cannot read from the client");
	return 0;
}

/* ------------------------------------------------------------------ hang up */

static void rpc_session_handle_closed(uv_handle_t *h)
{
	struct rpc_session *ss = h->data;
	uint64_t peak = ss->peak_buffered, now = uv_now(ss->srv->loop);

	if (--ss->open_handles > 0)
		return;
	frame_decoder_deinit(&ss->dec);
	rpc_session_drop_unclaimed_fds(ss, true);
	if (ss->nconns) {
		/* the client is gone, its detached connections are not: a husk holds
		 * them (for event routing) until the last one goes */
		ss->husk = true;
		rpc_server_client_gone(ss->srv, ss);
		return;
	}
	rpc_server_session_gone(ss->srv, ss);
	free(ss);
	/* its queue (now freed) was a burst: give the memory back (at most once a second) */
	if (peak >= FRAME_PIPE_TRIM_HIGH)
		frame_pipe_trim(now, "an RPC client with a long queue left", peak);
}

/* A husk's last connection went: the session goes now. */
static void rpc_session_husk_free(struct rpc_session *ss)
{
	rpc_server_session_gone(ss->srv, ss);
	free(ss);
}

static void rpc_session_finish(struct rpc_session *ss)
{
	if (ss->finishing)
		return;
	ss->finishing = true;
	rpc_session_out_drop(ss); /* hung up, or the linger time is over */
	uv_timer_stop(&ss->linger);
	uv_timer_stop(&ss->idle);
	uv_close((uv_handle_t *)&ss->flush, rpc_session_handle_closed);
	uv_close((uv_handle_t *)&ss->linger, rpc_session_handle_closed);
	uv_close((uv_handle_t *)&ss->idle, rpc_session_handle_closed);
	/* descriptors it sent, taken in or still unread, closed disarmed */
	rpc_session_take_received_fds(ss);
	rpc_session_drop_unclaimed_fds(ss, true);
	sent_fds_close_handle((uv_handle_t *)&ss->pipe, rpc_session_handle_closed);
}

static void rpc_session_shutdown_done(uv_shutdown_t *req, int status)
{
	rpc_session_finish(req->data);
}

static void rpc_session_linger_done(uv_timer_t *t)
{
	rpc_session_finish(t->data);
}

/*
 * What outlives the session: detached connections and accept-socket
 * listeners belong to their data and accept sockets, which other processes
 * may hold (a forked child, a daemon whose parent exits), as a kernel
 * socket outlives the process that made it; and a connection whose Close
 * came while its data socket still held bytes goes on until every one of
 * them is sent (libsynack's synack_close() does not wait for the reply, as
 * close(2) does not). Not when synackd stops.
 */
static bool rpc_conn_kept(const struct rpc_session *ss, const struct rpc_conn *c)
{
	return !ss->srv->stopping && !c->releasing &&
	       (c->detached || c->aq || (c->fdp && c->fdp->close_pending));
}

/* Give back every connection (but those kept): the stack finishes them on its own. */
static void rpc_session_release_all(struct rpc_session *ss)
{
	struct rpc_server *srv = ss->srv;
	stack_time_us now = rpc_server_now(srv);

	for (unsigned b = 0; b < RPC_CONN_BUCKETS; b++) {
		struct rpc_conn *c, *n, **pp = &ss->conns[b];

		for (c = ss->conns[b]; c; c = n) {
			n = c->next;
			if (rpc_conn_kept(ss, c)) {
				pp = &c->next;
				continue;
			}
			/* drained while still findable: a reset must find it */
			if (c->fdp && !c->releasing && !srv->limits.abort_on_disconnect)
				rpc_fd_drain(c->fdp); /* may reset c: it is then releasing */
			*pp = n;
			if (!c->releasing) {
				if (srv->limits.abort_on_disconnect)
					stack_tcp_abort(srv->stack, now, c->sock);
				else
					stack_tcp_close(srv->stack, now, c->sock);
			}
			rpc_conn_timer_drop(c);
			if (c->fdp)
				rpc_fd_close(c->fdp);
			if (c->aq)
				rpc_accept_q_close(c->aq);
			free(c);
			ss->nconns--;
			if (ss->u)
				ss->u->conns--;
		}
	}
}

void rpc_session_close(struct rpc_session *ss, const char *why)
{
	bool uid_full;

	if (ss->closing) {
		/* synackd stops: what the session kept goes too */
		if (ss->srv->stopping && ss->nconns) {
			rpc_session_release_all(ss);
			if (ss->husk)
				rpc_session_husk_free(ss);
		}
		return;
	}
	uid_full = ss->u && ss->nconns && ss->u->conns >= ss->srv->limits.conns_per_uid;
	ss->closing = true;
	/* what this turn queued goes to libuv before any data socket closes below */
	rpc_session_flush(ss);
	uv_timer_stop(&ss->idle);
	if (why)
		log_info("rpc: client %u (pid %d): %s", ss->id, (int)ss->pid, why);
	rpc_session_release_all(ss);
	/* the same for what releasing them queued (Close replies), before the
	 * lingering ends close; handed to libuv, not yet read by the client, so
	 * a client whose socket is backed up may see an end's EOF first */
	rpc_session_flush(ss);
	rpc_session_fd_linger_close(ss, true);
	rpc_session_drop_unclaimed_fds(ss, true);
	if (uid_full)
		rpc_server_uid_room(ss->srv, ss); /* its uid has room again: resume the others */
	/* not while synackd stops: rpc_server_close_all walks the sessions, and a
	 * kick could free a husk under it (the stopping daemon kicks after) */
	if (!ss->srv->stopping)
		rpc_server_kick(ss->srv);
	if (ss->reading)
		uv_read_stop((uv_stream_t *)&ss->pipe);
	ss->reading = false;
	/* the last replies (why we hang up) go out first, within the linger time */
	rpc_session_flush(ss);
	ss->shutdown_req.data = ss;
	if (uv_shutdown(&ss->shutdown_req, (uv_stream_t *)&ss->pipe, rpc_session_shutdown_done) < 0)
		rpc_session_finish(ss);
	else
		uv_timer_start(&ss->linger, rpc_session_linger_done, RPC_SESSION_LINGER_MS, 0);
}
