/* SPDX-License-Identifier: MIT */
/*
 * rpc_server.c - synackd's RPC clients (see rpc_server.h): admission
 * (limits.max_clients, limits.clients_per_uid, SO_PEERCRED), the registry of
 * sessions and uids, and the routing of stack events to the session named by
 * the owner cookie. It reaches its host only through struct rpc_host, so the
 * fuzz target runs it without daemon.c; daemon_rpc.c is the daemon's glue.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frame_pipe.h"
#include "log.h"
#include "rpc_accept.h"
#include "rpc_fd.h"
#include "rpc_handlers.h"
#include "owner.h"
#include "rpc_server.h"
#include "rpc_session.h"
#include "sent_fds.h"

void rpc_limits_from_config(struct rpc_limits *l, const struct synack_config *cfg)
{
	l->max_clients = cfg->limits.max_clients;
	l->conns_per_client = cfg->limits.conns_per_client;
	l->buffered_per_client = cfg->limits.buffered_per_client;
	l->max_frame = cfg->limits.max_frame;
	if (l->max_frame > FRAME_MAX_LIMIT)
		l->max_frame = FRAME_MAX_LIMIT;
	l->clients_per_uid = cfg->limits.clients_per_uid;
	l->conns_per_uid = cfg->limits.conns_per_uid;
	l->hello_timeout_ms = (cfg->rpc.hello_timeout_us + 999) / 1000;
	l->idle_timeout_ms = (cfg->rpc.idle_timeout_us + 999) / 1000;
	l->abort_on_disconnect = cfg->shutdown.abort_on_disconnect;
	l->fd_buf_growth = cfg->limits.memory / 4;
}

stack_time_us rpc_server_now(const struct rpc_server *srv)
{
	return srv->host.now(srv->host.ctx);
}

void rpc_server_kick(struct rpc_server *srv)
{
	srv->host.kick(srv->host.ctx);
}

/* The owner tag (owner.h): the owner id above, the session id as the cookie. */
uint64_t rpc_server_owner_tag(const struct rpc_server *srv, uint32_t session_id)
{
	return owner_tag(srv->owner_id, session_id);
}

uint32_t rpc_server_session_count(const struct rpc_server *srv)
{
	return srv->nsessions;
}

void rpc_server_counters(const struct rpc_server *srv, struct rpc_counter_value *v)
{
	static const struct rpc_counters none;
	const struct rpc_counters *c = srv ? &srv->ctr : &none;
	struct frame_pipe_stats fp;

	frame_pipe_stats_get(&fp);
	const struct rpc_counter_value all[] = {
		{ "SynackRpcHelloTimeouts", c->hello_timeouts, false },
		{ "SynackRpcIdleTimeouts", c->idle_timeouts, false },
		{ "SynackRpcUidClientLimit", c->uid_clients, false },
		{ "SynackRpcUidConnLimit", c->uid_conns, false },
		{ "SynackRpcInputHeld", c->input_held, false },
		{ "SynackRpcUidOrphansReset", c->uid_orphans_reset, false },
		{ "SynackRpcFdConns", srv ? srv->fd_conns : 0, true },
		{ "SynackRpcFdHeld", srv ? srv->fds_held : 0, true },
		{ "SynackRpcFdLimit", c->fd_limit, false },
		{ "SynackRpcFdsPassed", c->fds_passed, false },
		{ "SynackRpcFdResets", c->fd_resets, false },
		{ "SynackRpcFdsDropped", c->fds_dropped, false },
		{ "SynackRpcFdProofs", c->fd_proofs, false },
		{ "SynackRpcUrgentMarks", c->urgent_marks, false },
		{ "SynackRpcConnectsInline", c->connects_inline, false },
		{ "SynackRpcFdBufsGrown", c->fd_bufs_grown, false },
		{ "SynackRpcFdBufsCapped", c->fd_bufs_capped, false },
		{ "SynackRpcFdBufBytes", srv ? srv->fd_buf_bytes : 0, true },
		{ "SynackRpcFramesOut", c->frames_out, false },
		{ "SynackRpcWritesOut", c->writes_out, false },
		{ "SynackRpcWritesQueued", c->writes_queued, false },
		/* frame_pipe is shared with the control socket: these cover both */
		{ "SynackClientQueuedBytes", fp.queued_bytes, true },
		{ "SynackClientHeapTrims", fp.trims, false },
	};

	_Static_assert(sizeof(all) / sizeof(all[0]) == RPC_SERVER_COUNTERS,
		       "RPC_SERVER_COUNTERS counts the counters listed here");
	memcpy(v, all, sizeof(all));
}

/* ------------------------------------------------------------------ uids */

static unsigned rpc_uid_bucket(uid_t uid)
{
	return (unsigned)((uid * 0x9e3779b1u) >> 26) % RPC_UID_BUCKETS;
}

static struct rpc_uid *rpc_uid_find(struct rpc_server *srv, uid_t uid)
{
	for (struct rpc_uid *u = srv->uids[rpc_uid_bucket(uid)]; u; u = u->next)
		if (u->uid == uid)
			return u;
	return NULL;
}

/* The entry of uid, made on its first session. */
static int rpc_uid_get(struct rpc_server *srv, uid_t uid, struct rpc_uid **ret)
{
	struct rpc_uid *u = rpc_uid_find(srv, uid);
	unsigned b = rpc_uid_bucket(uid);

	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u)
			return -ENOMEM;
		u->uid = uid;
		u->next = srv->uids[b];
		srv->uids[b] = u;
	}
	*ret = u;
	return 0;
}

/* Forget uid's entry once its last session and connection are gone. */
static void rpc_uid_put(struct rpc_server *srv, struct rpc_uid *u)
{
	struct rpc_uid **pp;

	if (u->clients || u->conns)
		return;
	for (pp = &srv->uids[rpc_uid_bucket(u->uid)]; *pp; pp = &(*pp)->next) {
		if (*pp == u) {
			*pp = u->next;
			free(u);
			return;
		}
	}
}

void rpc_server_uid_room(struct rpc_server *srv, struct rpc_session *except)
{
	/* a husk's accept-socket listeners wait for room as well */
	for (struct rpc_session *ss = srv->sessions; ss; ss = ss->next)
		if (ss != except && ss->u == except->u && (!ss->closing || ss->husk))
			rpc_session_resume(ss);
}

/* ------------------------------------------------------------------ sessions */

static struct rpc_session *rpc_server_session_find(struct rpc_server *srv, uint32_t id)
{
	for (struct rpc_session *ss = srv->sessions; ss; ss = ss->next)
		if (ss->id == id)
			return ss;
	return NULL;
}

/* Session ids are the owner cookie: 32 bits, never 0, never two alive at once. */
static uint32_t rpc_server_new_id(struct rpc_server *srv)
{
	do {
		srv->next_id++;
	} while (srv->next_id == 0 || rpc_server_session_find(srv, srv->next_id));
	return srv->next_id;
}

void rpc_server_event(struct rpc_server *srv, const struct stack_event *ev, uint32_t cookie)
{
	struct rpc_session *ss = rpc_server_session_find(srv, cookie);

	if (ss) {
		rpc_session_stack_event(ss, ev);
		return;
	}
	/* a session that hung up gave its connections back; finish what is left */
	if (ev->type != STACK_EV_CLOSED)
		stack_tcp_abort(srv->stack, rpc_server_now(srv), ev->sock);
}

void rpc_server_close_all(struct rpc_server *srv, bool abort)
{
	struct rpc_session *ss, *n;

	srv->stopping = true;
	rpc_fd_spare_free(srv);
	if (abort)
		srv->limits.abort_on_disconnect = true;
	for (ss = srv->sessions; ss; ss = n) {
		n = ss->next;
		rpc_session_close(ss, NULL);
	}
}

static void rpc_server_release(struct rpc_server *srv);

void rpc_server_client_gone(struct rpc_server *srv, struct rpc_session *ss)
{
	if (ss->client_gone)
		return;
	ss->client_gone = true;
	srv->nsessions--;
	if (!srv->nsessions)
		rpc_fd_spare_free(srv); /* no client left to take it */
	if (!srv->free_when_empty)
		srv->host.clients_add(srv->host.ctx, -1);
	if (ss->u)
		ss->u->clients--;
}

void rpc_server_session_gone(struct rpc_server *srv, struct rpc_session *ss)
{
	struct rpc_session **pp;

	rpc_server_client_gone(srv, ss);
	for (pp = &srv->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == ss) {
			*pp = ss->next;
			break;
		}
	}
	if (ss->u) {
		rpc_uid_put(srv, ss->u); /* its connections were given back at close */
		ss->u = NULL;
	}
	if (srv->free_when_empty && !srv->sessions)
		rpc_server_release(srv);
}

/* Free the server and what is left of its uid table. */
static void rpc_server_release(struct rpc_server *srv)
{
	fd_watch_set_close(srv->watch); /* every data socket is closed by now */
	for (unsigned b = 0; b < RPC_UID_BUCKETS; b++) {
		for (struct rpc_uid *u = srv->uids[b], *n; u; u = n) {
			n = u->next;
			free(u);
		}
	}
	free(srv);
}

static void rpc_server_reject_closed(uv_handle_t *h)
{
	free(h->data);
}

/*
 * Tell a refused client why (a HelloReply with the status) before hanging
 * up, so it sees EUSERS rather than a bare reset. The reply is small and the
 * socket new: one non-blocking write is enough, and nothing is queued.
 */
static void rpc_server_refuse(struct rpc_session *ss, int err, const char *why)
{
	Synack__V1__HelloReply hr = SYNACK__V1__HELLO_REPLY__INIT;
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;
	Synack__V1__Status st;
	char msg[160];
	uint8_t *buf;
	size_t len;

	rpc_status_set(&st, msg, sizeof(msg), err, why);
	hr.status = &st;
	hr.version = PROTO_VERSION;
	hr.server_name = "synackd";
	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_HELLO;
	m.hello = &hr;
	if (frame_pack(&m.base, FRAME_MAX_LIMIT, &buf, &len) == 0) {
		uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);

		uv_try_write((uv_stream_t *)&ss->pipe, &b, 1);
		free(buf);
	}
}

/*
 * Accept one client; refuse it (close at once) when over a limit or
 * stopping, with why in buf. The uid's share is checked once its
 * credentials are known, so one uid cannot take every client slot.
 */
static int rpc_server_admit(struct rpc_server *srv, struct rpc_session *ss, char *why, size_t len)
{
	struct rpc_uid *u;
	int r;

	if (srv->stopping) {
		snprintf(why, len, "synackd is stopping");
		return -ESHUTDOWN;
	}
	if (srv->nsessions >= srv->limits.max_clients) {
		log_once(&srv->full_logged, LOG_WARNING,
			 "rpc: %u clients connected (limits.max_clients), refusing more",
			 srv->nsessions);
		snprintf(why, len, "limits.max_clients reached");
		return -EUSERS;
	}
	srv->full_logged = false;
	r = frame_pipe_peer_cred(&ss->pipe, &ss->pid, &ss->uid, &ss->gid);
	if (r < 0)
		return r;
	r = rpc_uid_get(srv, ss->uid, &u);
	if (r < 0)
		return r;
	if (u->clients >= srv->limits.clients_per_uid) {
		srv->ctr.uid_clients++;
		log_notice("rpc: uid %u has %u clients connected (limits.clients_per_uid), "
			   "refusing pid %d",
			   (unsigned)ss->uid, u->clients, (int)ss->pid);
		snprintf(why, len, "limits.clients_per_uid (%u) reached for uid %u",
			 srv->limits.clients_per_uid, (unsigned)ss->uid);
		rpc_uid_put(srv, u);
		return -EUSERS;
	}
	u->clients++;
	ss->u = u;
	return 0;
}

int rpc_server_adopt(struct rpc_server *srv, struct rpc_session *ss)
{
	char why[96];
	int r;

	ss->pipe.data = ss;
	ss->srv = srv;
	r = rpc_server_admit(srv, ss, why, sizeof(why));
	if (r == 0) {
		ss->id = rpc_server_new_id(srv);
		ss->owner = rpc_server_owner_tag(srv, ss->id);
		r = rpc_session_start(ss);
	}
	if (r < 0) {
		if (ss->u) {
			ss->u->clients--;
			rpc_uid_put(srv, ss->u);
		}
		if (r == -EUSERS || r == -ESHUTDOWN)
			rpc_server_refuse(ss, r, why);
		else
			log_warning("rpc: new client: %s", strerror(-r));
		sent_fds_close_handle((uv_handle_t *)&ss->pipe, rpc_server_reject_closed);
		return r;
	}
	ss->next = srv->sessions;
	srv->sessions = ss;
	srv->nsessions++;
	srv->host.clients_add(srv->host.ctx, 1);
	log_debug("rpc: client %u connected (pid %d, uid %u, gid %u)", ss->id, (int)ss->pid,
		  (unsigned)ss->uid, (unsigned)ss->gid);
	return 0;
}

/* ------------------------------------------------------------------ control plane */

struct rpc_session *rpc_server_session_of(struct rpc_server *srv, uint64_t owner)
{
	if (!srv || (uint32_t)(owner >> 32) != srv->owner_id)
		return NULL;
	return rpc_server_session_find(srv, (uint32_t)owner);
}

int rpc_server_owner_info(struct rpc_server *srv, uint64_t owner, pid_t *ret_pid, uid_t *ret_uid,
			  const char **ret_name)
{
	struct rpc_session *ss = rpc_server_session_of(srv, owner);

	if (!ss)
		return -ENOENT;
	*ret_pid = ss->pid;
	*ret_uid = ss->uid;
	*ret_name = ss->name;
	return 0;
}

uint32_t rpc_server_listener_waiting(struct rpc_server *srv, uint64_t owner, stack_sock sock)
{
	struct rpc_session *ss = rpc_server_session_of(srv, owner);
	struct rpc_conn *c = ss ? rpc_session_conn_find(ss, sock) : NULL;

	return c && c->aq ? rpc_accept_q_waiting(c->aq) : 0;
}

int rpc_server_kill(struct rpc_server *srv, uint64_t owner, stack_sock sock)
{
	struct rpc_session *ss = rpc_server_session_of(srv, owner);
	struct rpc_conn *c = ss ? rpc_session_conn_find(ss, sock) : NULL;

	if (!c || c->releasing)
		return -ENOENT;
	/* a detached connection past its one event hears nothing: its data socket ends */
	if (!c->quiet && !ss->closing)
		rpc_session_send_status_event(ss, sock, SYNACK__V1__EVENT__EV_RESET, -ECONNABORTED);
	rpc_session_conn_release(ss, c, true); /* RST now, Closed when the stack says so */
	return 0;
}

/* ------------------------------------------------------------------ life cycle */

struct rpc_server *rpc_server_new(const struct rpc_host *host, uv_loop_t *loop, struct stack *stack,
				  uint32_t owner_id, const struct rpc_limits *limits)
{
	struct rpc_server *srv = calloc(1, sizeof(*srv));

	if (!srv)
		return NULL;
	srv->watch = fd_watch_set_new(loop);
	if (!srv->watch) {
		free(srv);
		return NULL;
	}
	srv->host = *host;
	srv->loop = loop;
	srv->stack = stack;
	srv->owner_id = owner_id;
	srv->limits = *limits;
	srv->fd_max = rpc_fd_budget(limits->max_clients);
	return srv;
}

void rpc_server_apply(struct rpc_server *srv, const struct synack_config *cfg)
{
	struct rpc_limits old;

	if (!srv)
		return;
	old = srv->limits;
	rpc_limits_from_config(&srv->limits, cfg);
	srv->fd_max = rpc_fd_budget(srv->limits.max_clients);
	/* raised connection caps: accepts held for room may go on now */
	if (srv->limits.conns_per_uid > old.conns_per_uid ||
	    srv->limits.conns_per_client > old.conns_per_client) {
		for (struct rpc_session *ss = srv->sessions; ss; ss = ss->next)
			if (!ss->closing)
				rpc_session_resume(ss);
		rpc_server_kick(srv);
	}
	if (srv->limits.hello_timeout_ms != old.hello_timeout_ms ||
	    srv->limits.idle_timeout_ms != old.idle_timeout_ms)
		for (struct rpc_session *ss = srv->sessions; ss; ss = ss->next)
			rpc_session_timeouts_changed(ss);
}

void rpc_server_delete(struct rpc_server *srv)
{
	if (!srv)
		return;
	rpc_server_close_all(srv, false);
	srv->host.clients_add(srv->host.ctx, -(int)srv->nsessions);
	if (!srv->sessions) {
		rpc_server_release(srv);
		return;
	}
	srv->free_when_empty = true;
}
