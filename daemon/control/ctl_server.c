/* SPDX-License-Identifier: MIT */
/*
 * ctl_server.c - the control socket (see ctl_server.h): admission with
 * SO_PEERCRED, group checks, one session per synackctl with the RPC
 * framing, bounded output, and the streams fed by the core's trace hook
 * (history, state events, trace --follow) and by the link (capture). What
 * it asks of the daemon goes through struct ctl_server_host (ctl_server.h).
 */
#include <errno.h>
#include <grp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>

#include "ctl_handlers.h"
#include "ctl_server.h"
#include "frame_pipe.h"
#include "listener.h"
#include "log.h"
#include "stack_info.h"
#include "status.h"
#include "sent_fds.h"

/* Rings tracked for open connections beyond limits.max_conns (half-open SYNs). */
#define CTL_HISTORY_LIVE_SLACK 256

static void ctl_session_close(struct ctl_session *ss, const char *why);
static void ctl_session_read_update(struct ctl_session *ss);
static void ctl_session_take_input(struct ctl_session *ss);

/* ------------------------------------------------------------------ access */

/* Is gid among the groups /proc/PID/status lists (a kernel without SO_PEERGROUPS). */
static bool ctl_proc_in_group(pid_t pid, gid_t gid)
{
	char path[64], line[4096];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (strncmp(line, "Groups:", 7) != 0)
			continue;
		for (p = line + 7;; p = end) {
			unsigned long g = strtoul(p, &end, 10);

			if (end == p)
				break;
			if (g == gid) {
				found = true;
				break;
			}
		}
		break;
	}
	fclose(f);
	return found;
}

/*
 * Is gid among the peer's groups: its primary gid or a supplementary one, as
 * they were when it connected (SO_PEERGROUPS). Not /proc/PID/status first:
 * under the unit's ProtectProc=invisible synackd cannot see another user's
 * process there, and the pid may be another process's by now.
 */
static bool ctl_peer_in_group(const struct ctl_session *ss, gid_t gid)
{
	gid_t groups[64], *v = groups;
	socklen_t len = sizeof(groups);
	bool found = false;
	uv_os_fd_t fd;
	int r;

	if (ss->cl.gid == gid)
		return true;
	if (uv_fileno((const uv_handle_t *)&ss->pipe, &fd) < 0)
		return false;
	r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len);
	if (r < 0 && errno == ERANGE) { /* len now says how much it needs */
		v = malloc(len);
		if (!v)
			return false;
		r = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, v, &len);
	}
	if (r < 0 && errno == ENOPROTOOPT)
		found = ctl_proc_in_group(ss->cl.pid, gid);
	for (size_t i = 0; r == 0 && i < len / sizeof(gid_t) && !found; i++)
		found = v[i] == gid;
	if (v != groups)
		free(v);
	return found;
}

/* Membership of a group by name; "" is nobody's group. */
static bool ctl_peer_in_named_group(const struct ctl_session *ss, const char *name)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (!name[0] || getgrnam_r(name, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	return ctl_peer_in_group(ss, res->gr_gid);
}

static int ctl_session_allowed(struct ctl_session *ss, bool admin, char *why, size_t len)
{
	const struct synack_config *cfg = ss->srv->h.base.cfg;
	const char *group = admin ? cfg->control.admin_group : cfg->control.group;

	if (ss->cl.uid == 0)
		return 0;
	if (!admin && !group[0])
		return 0; /* no reading group: whoever may open the socket may read */
	if (ctl_peer_in_named_group(ss, group))
		return 0;
	/* the admin group may read too */
	if (!admin && ctl_peer_in_named_group(ss, cfg->control.admin_group))
		return 0;
	if (group[0])
		snprintf(why, len,
			 "%s needs root or membership of group '%s' (uid %u is not in it)",
			 admin ? "changing synackd" : "reading synackd's state", group,
			 (unsigned)ss->cl.uid);
	else
		snprintf(why, len,
			 "changing synackd needs root (control.admin_group is not set; uid %u)",
			 (unsigned)ss->cl.uid);
	return -EPERM;
}

/* ------------------------------------------------------------------ output */

static void ctl_session_written(uv_write_t *req, int status)
{
	struct frame_write *w = (struct frame_write *)req;
	struct ctl_session *ss = w->owner;

	ss->queued -= w->len;
	ss->nwrites--;
	frame_write_free(w);
	if (ss->closing)
		return;
	if (status < 0) {
		/* the client is gone (EPIPE): while its input is held we would not see EOF */
		ctl_session_close(ss, uv_strerror(status));
		return;
	}
	ctl_session_take_input(ss);
	ctl_session_read_update(ss);
}

static int ctl_session_send(struct ctl_session *ss, const Synack__V1__ControlServerMessage *m,
			    bool stream)
{
	size_t len;
	int r;

	if (ss->closing || uv_is_closing((uv_handle_t *)&ss->pipe))
		return -ESHUTDOWN;
	if (stream && ss->queued > CTL_STREAM_MAX_QUEUED) {
		ss->cl.dropped++;
		ss->srv->host.stream_drops++;
		return -ENOBUFS;
	}
	r = frame_pipe_write(&ss->pipe, &m->base, ss, ctl_session_written, &len);
	if (r < 0)
		return r;
	ss->queued += len;
	ss->nwrites++;
	ctl_session_read_update(ss);
	return 0;
}

static int ctl_session_send_event(struct ctl_session *ss, Synack__V1__ControlEvent *ev)
{
	Synack__V1__ControlServerMessage m = SYNACK__V1__CONTROL_SERVER_MESSAGE__INIT;

	m.msg_case = SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_EVENT;
	m.event = ev;
	return ctl_session_send(ss, &m, true);
}

/* The end of every stream of the session, with why. */
static void ctl_session_send_end(struct ctl_session *ss, int err, const char *why)
{
	Synack__V1__ControlEvent ev = SYNACK__V1__CONTROL_EVENT__INIT;
	Synack__V1__StreamEnd end = SYNACK__V1__STREAM_END__INIT;
	Synack__V1__Status st = SYNACK__V1__STATUS__INIT;
	Synack__V1__ControlServerMessage m = SYNACK__V1__CONTROL_SERVER_MESSAGE__INIT;

	st.code = err < 0 ? -err : err;
	st.message = (char *)why;
	end.reason = &st;
	end.dropped = ss->cl.dropped;
	ev.ev_case = SYNACK__V1__CONTROL_EVENT__EV_END;
	ev.end = &end;
	m.msg_case = SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_EVENT;
	m.event = &ev;
	ctl_session_send(ss, &m, false); /* the end is never dropped */
}

/* ------------------------------------------------------------------ streams */

static void ctl_session_streams_changed(struct ctl_session *ss)
{
	struct ctl_server *srv = ss->srv;
	uint32_t n = 0, ncap = 0;

	for (struct ctl_session *s = srv->sessions; s; s = s->next) {
		if (!s->closing && (s->cl.events || s->cl.follow || s->cl.capturing))
			n++;
		if (!s->closing && s->cl.capturing)
			ncap++;
	}
	srv->nsubscribers = n;
	srv->ncapturing = ncap;
}

static void ctl_session_capture_done(struct ctl_session *ss, const char *why)
{
	ss->cl.capturing = false;
	if (ss->cap_timer_on) {
		uv_timer_stop(&ss->cap_timer);
		ss->cap_timer_on = false;
	}
	ctl_session_send_end(ss, 0, why);
	ctl_session_streams_changed(ss);
}

static void ctl_session_capture_timeout(uv_timer_t *t)
{
	struct ctl_session *ss = t->data;

	ss->cap_timer_on = false;
	if (ss->cl.capturing)
		ctl_session_capture_done(ss, "capture duration reached");
}

static int ctl_session_capture_timer(struct ctl_session *ss, uint64_t ms)
{
	int r;

	if (ss->cap_timer_on)
		uv_timer_stop(&ss->cap_timer);
	ss->cap_timer_on = false;
	if (!ms)
		return 0;
	r = uv_timer_start(&ss->cap_timer, ctl_session_capture_timeout, ms, 0);
	if (r == 0)
		ss->cap_timer_on = true;
	return r;
}

static uint64_t ctl_realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void ctl_server_capture_one(struct ctl_session *ss, bool out, const uint8_t *frame,
				   size_t len, uint64_t realtime)
{
	Synack__V1__ControlEvent ev = SYNACK__V1__CONTROL_EVENT__INIT;
	Synack__V1__CaptureFrame cf = SYNACK__V1__CAPTURE_FRAME__INIT;

	cf.realtime_us = realtime;
	cf.dir = out ? SYNACK__V1__TRACE_DIR__TRACE_DIR_OUT : SYNACK__V1__TRACE_DIR__TRACE_DIR_IN;
	cf.orig_len = (uint32_t)len;
	cf.data.data = (uint8_t *)frame;
	cf.data.len = ss->cl.cap_snap && ss->cl.cap_snap < len ? ss->cl.cap_snap : len;
	cf.dropped = ss->cl.dropped;
	ev.ev_case = SYNACK__V1__CONTROL_EVENT__EV_FRAME;
	ev.frame = &cf;
	if (ctl_session_send_event(ss, &ev) < 0)
		return; /* dropped and counted: the next frame tells how many */
	if (ss->cl.cap_left && --ss->cl.cap_left == 0)
		ctl_session_capture_done(ss, "capture count reached");
}

bool ctl_server_capturing(void *ctx)
{
	const struct ctl_server *srv = ctx;

	return srv->ncapturing > 0;
}

void ctl_server_capture(void *ctx, bool out, const uint8_t *frame, size_t len)
{
	struct ctl_server *srv = ctx;
	uint64_t realtime;

	if (!srv->ncapturing)
		return;
	realtime = ctl_realtime_us();
	for (struct ctl_session *ss = srv->sessions; ss; ss = ss->next)
		if (ss->cl.capturing && !ss->closing)
			ctl_server_capture_one(ss, out, frame, len, realtime);
}

static void ctl_server_push_state(struct ctl_server *srv, const struct stack_trace *t,
				  const struct ctl_hist_entry *e, uint64_t id)
{
	Synack__V1__ControlEvent ev = SYNACK__V1__CONTROL_EVENT__INIT;
	Synack__V1__StateChange sc = SYNACK__V1__STATE_CHANGE__INIT;
	Synack__V1__Endpoint l = SYNACK__V1__ENDPOINT__INIT, r = SYNACK__V1__ENDPOINT__INIT;
	uint8_t la[4], ra[4];

	sc.time_us = t->now;
	sc.realtime_us = ctl_realtime_us();
	sc.conn = id;
	ctl_pb_endpoint(&t->local, &l, la);
	ctl_pb_endpoint(&t->remote, &r, ra);
	sc.local = &l;
	sc.remote = &r;
	sc.from = ctl_pb_state(e->from);
	sc.to = ctl_pb_state(e->to);
	sc.cause = (char *)(e->cause ? e->cause : "");
	sc.seg_flags = e->flags;
	sc.seg_seq = e->seq;
	sc.seg_ack = e->ack;
	ev.ev_case = SYNACK__V1__CONTROL_EVENT__EV_STATE;
	ev.state = &sc;
	for (struct ctl_session *ss = srv->sessions; ss; ss = ss->next)
		if (ss->cl.events && !ss->closing)
			ctl_session_send_event(ss, &ev);
}

static void ctl_server_push_trace(struct ctl_server *srv, const struct ctl_hist_entry *e,
				  uint64_t id)
{
	Synack__V1__ControlEvent ev = SYNACK__V1__CONTROL_EVENT__INIT;
	Synack__V1__TraceEntry te;
	bool ended = e->kind == CTL_HIST_STATE && e->to == 0;

	ctl_pb_trace_entry(e, &te);
	ev.ev_case = SYNACK__V1__CONTROL_EVENT__EV_TRACE;
	ev.trace = &te;
	for (struct ctl_session *ss = srv->sessions; ss; ss = ss->next) {
		if (ss->cl.follow != id || ss->closing)
			continue;
		ctl_session_send_event(ss, &ev);
		if (ended) {
			ss->cl.follow = 0;
			ctl_session_send_end(ss, 0, "the connection closed");
			ctl_session_streams_changed(ss);
		}
	}
}

void ctl_server_trace(struct ctl_server *srv, const struct stack_trace *t)
{
	struct ctl_hist_entry e;
	uint64_t id;

	ctl_history_trace(&srv->hist, srv->stack, t, &e, &id);
	if (!srv->nsubscribers)
		return;
	if (e.kind == CTL_HIST_STATE)
		ctl_server_push_state(srv, t, &e, id);
	if (id)
		ctl_server_push_trace(srv, &e, id);
}

/* ------------------------------------------------------------------ input */

static void ctl_session_strike(struct ctl_session *ss, const char *what)
{
	if (++ss->strikes >= CTL_SESSION_MAX_STRIKES) {
		log_notice("control: pid %d uid %u: too many protocol errors (last: %s), "
			   "disconnecting",
			   (int)ss->cl.pid, (unsigned)ss->cl.uid, what);
		ctl_session_close(ss, NULL);
	}
}

/* One whole frame from the client (a frame_pipe_reader callback). */
static void ctl_session_frame(void *ctx, const uint8_t *f, size_t len)
{
	struct ctl_session *ss = ctx;
	ProtobufCMessage *pm;
	struct frame_alloc a;

	frame_alloc_init(&a, 2 * CTL_MAX_REQUEST + 65536);
	if (frame_unpack(&synack__v1__control_request__descriptor, f, len, &a, &pm) < 0) {
		ctl_reply_status(&ss->cl, 0, -EBADMSG, "not a synack.v1.ControlRequest");
		ctl_session_strike(ss, "malformed message");
		return;
	}
	ss->srv->host.requests++;
	if (ctl_handle_request(&ss->cl, (Synack__V1__ControlRequest *)pm) == ENOMSG)
		ctl_session_strike(ss, "unknown operation");
	frame_unpacked_free(pm, &a);
}

static void ctl_session_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	struct ctl_session *ss = h->data;

	*buf = uv_buf_init((char *)ss->rbuf, sizeof(ss->rbuf));
}

static void ctl_session_on_bad_frame(void *ctx, int err)
{
	struct ctl_session *ss = ctx;

	ctl_reply_status(&ss->cl, 0, err,
			 err == -EMSGSIZE ? "request too large" : "zero-length frame");
	ctl_session_close(ss, "bad frame");
}

static void ctl_session_on_ended(void *ctx, int err)
{
	ctl_session_close(ctx, err == UV_EOF ? NULL : uv_strerror(err));
}

static bool ctl_session_out_full(const struct ctl_session *ss)
{
	return ss->queued >= CTL_SESSION_MAX_QUEUED || ss->nwrites >= CTL_SESSION_MAX_WRITES;
}

/*
 * No more requests are taken while the replies queued are at the bound (a
 * frame_pipe_reader callback): checked before each request, not after a
 * whole read, so one read full of requests that each walk the connection
 * table cannot queue many times the bound.
 */
static bool ctl_session_in_full(void *ctx)
{
	return ctl_session_out_full(ctx);
}

static const struct frame_pipe_reader ctl_session_reader = {
	.frame = ctl_session_frame,
	.bad_frame = ctl_session_on_bad_frame,
	.ended = ctl_session_on_ended,
	.full = ctl_session_in_full,
};

/* Take the requests read but held back, as far as the output has room. */
static void ctl_session_take_input(struct ctl_session *ss)
{
	if (!ss->in_len)
		return;
	frame_pipe_cut(&ss->dec, &ss->in, &ss->in_len, &ss->closing, &ctl_session_reader, ss);
	if (!ss->in_len)
		ss->in = NULL;
}

static void ctl_session_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
	struct ctl_session *ss = st->data;

	if (nread == 0 || ss->closing)
		return;
	if (nread < 0) {
		ctl_session_on_ended(ss, (int)nread);
		return;
	}
	ss->in = (const uint8_t *)buf->base;
	ss->in_len = (size_t)nread;
	ctl_session_take_input(ss);
	ctl_session_read_update(ss);
	ss->srv->h.base.kick(ss->srv->h.base.ctx);
}

/*
 * Read requests only while nothing read is held back and the replies
 * already queued are below the bound: rbuf holds what is held back, and
 * a client that does not read its replies fills its own socket buffer.
 */
static void ctl_session_read_update(struct ctl_session *ss)
{
	bool want = !ss->closing && ss->in_len == 0 && !ctl_session_out_full(ss);

	if (want == ss->reading)
		return;
	if (want &&
	    uv_read_start((uv_stream_t *)&ss->pipe, ctl_session_alloc, ctl_session_read) < 0)
		return;
	if (!want)
		uv_read_stop((uv_stream_t *)&ss->pipe);
	ss->reading = want;
}

/* ------------------------------------------------------------------ sessions */

static void ctl_session_handle_closed(uv_handle_t *h)
{
	struct ctl_session *ss = h->data;

	if (h == (uv_handle_t *)&ss->pipe) {
		uv_close((uv_handle_t *)&ss->cap_timer, ctl_session_handle_closed);
		return;
	}
	frame_decoder_deinit(&ss->dec);
	free(ss);
}

static void ctl_session_unlink(struct ctl_session *ss)
{
	struct ctl_server *srv = ss->srv;

	for (struct ctl_session **pp = &srv->sessions; *pp; pp = &(*pp)->next) {
		if (*pp == ss) {
			*pp = ss->next;
			srv->nsessions--;
			srv->nroot -= ss->cl.uid == 0;
			break;
		}
	}
	ctl_session_streams_changed(ss); /* counts what is left on the list */
}

/* Hang up now: pending writes are cancelled with the handle. */
static void ctl_session_close(struct ctl_session *ss, const char *why)
{
	if (ss->closing)
		return;
	ss->closing = true;
	if (why)
		log_info("control: pid %d uid %u: %s", (int)ss->cl.pid, (unsigned)ss->cl.uid, why);
	ctl_session_unlink(ss);
	if (ss->cap_timer_on)
		uv_timer_stop(&ss->cap_timer);
	sent_fds_close_handle((uv_handle_t *)&ss->pipe, ctl_session_handle_closed);
}

static void ctl_server_reject_closed(uv_handle_t *h)
{
	free(h->data);
}

/*
 * Tell a refused client why (a reply with id 0 and EUSERS, which synackctl
 * prints) before hanging up. The socket is new and the reply small: one
 * non-blocking write is enough, and nothing is queued.
 */
static void ctl_server_refuse(struct ctl_session *ss)
{
	Synack__V1__ControlServerMessage m = SYNACK__V1__CONTROL_SERVER_MESSAGE__INIT;
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__Status st = SYNACK__V1__STATUS__INIT;
	char msg[160];
	uint8_t *buf;
	size_t len;

	snprintf(msg, sizeof(msg),
		 "too many control sessions: at most %u per uid other than root, %u in all",
		 CTL_SESSIONS_PER_UID, CTL_SESSIONS_MAX);
	st.code = status_code_from_errno(-EUSERS);
	st.message = msg;
	rp.status = &st;
	m.msg_case = SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_REPLY;
	m.reply = &rp;
	if (frame_pack(&m.base, FRAME_MAX_LIMIT, &buf, &len) == 0) {
		uv_buf_t b = uv_buf_init((char *)buf, (unsigned)len);

		uv_try_write((uv_stream_t *)&ss->pipe, &b, 1);
		free(buf);
	}
}

/* Room for one more session of uid? Root's are always let in. */
static bool ctl_server_room(struct ctl_server *srv, uid_t uid)
{
	uint32_t mine = 0;

	if (uid == 0)
		return true;
	if (srv->nsessions - srv->nroot >= CTL_SESSIONS_MAX)
		return false;
	for (struct ctl_session *ss = srv->sessions; ss; ss = ss->next)
		mine += ss->cl.uid == uid;
	return mine < CTL_SESSIONS_PER_UID;
}

void ctl_server_on_connection(void *ctx, struct listener *l)
{
	struct ctl_server *srv = ctx;
	struct ctl_session *ss = calloc(1, sizeof(*ss));
	int r;

	if (!ss)
		return;
	if (uv_pipe_init(srv->loop, &ss->pipe, 0) < 0) {
		free(ss);
		return;
	}
	ss->pipe.data = ss;
	ss->srv = srv;
	ss->cl.host = &srv->host;
	r = listener_accept(l, &ss->pipe);
	if (r == 0) /* also one that connected before the listener refused them */
		sent_fds_refuse_handle((uv_handle_t *)&ss->pipe);
	if (r == 0)
		r = frame_pipe_peer_cred(&ss->pipe, &ss->cl.pid, &ss->cl.uid, &ss->cl.gid);
	if (r == 0 && !ctl_server_room(srv, ss->cl.uid)) {
		srv->host.sessions_refused++;
		log_once(&srv->logged_full, LOG_NOTICE,
			 "control: uid %u (pid %d) has %u sessions or there are %u: more are "
			 "closed (counted in SynackCtlSessionsRefused)",
			 (unsigned)ss->cl.uid, (int)ss->cl.pid, CTL_SESSIONS_PER_UID,
			 CTL_SESSIONS_MAX);
		ctl_server_refuse(ss);
		sent_fds_close_handle((uv_handle_t *)&ss->pipe, ctl_server_reject_closed);
		return;
	}
	if (r == 0)
		r = uv_timer_init(srv->loop, &ss->cap_timer);
	if (r < 0) {
		log_warning("control: new client: %s", strerror(-r));
		sent_fds_close_handle((uv_handle_t *)&ss->pipe, ctl_server_reject_closed);
		return;
	}
	ss->cap_timer.data = ss;
	frame_decoder_init(&ss->dec, CTL_MAX_REQUEST);
	ss->next = srv->sessions;
	srv->sessions = ss;
	srv->nsessions++;
	srv->nroot += ss->cl.uid == 0;
	ctl_session_read_update(ss);
	log_debug("control: client connected (pid %d, uid %u, gid %u)", (int)ss->cl.pid,
		  (unsigned)ss->cl.uid, (unsigned)ss->cl.gid);
}

/* ------------------------------------------------------------------ the handlers' host */

static struct ctl_session *ctl_session_of(struct ctl_client *c)
{
	return (struct ctl_session *)((char *)c - offsetof(struct ctl_session, cl));
}

static struct ctl_server *ctl_server_of(struct ctl_host *h)
{
	return (struct ctl_server *)((char *)h - offsetof(struct ctl_server, host));
}

static int ctl_host_send(struct ctl_client *c, const Synack__V1__ControlServerMessage *m,
			 bool stream)
{
	return ctl_session_send(ctl_session_of(c), m, stream);
}

static int ctl_host_allowed(struct ctl_client *c, bool admin, char *why, size_t len)
{
	return ctl_session_allowed(ctl_session_of(c), admin, why, len);
}

static void ctl_host_streams_changed(struct ctl_client *c)
{
	ctl_session_streams_changed(ctl_session_of(c));
}

static int ctl_host_capture_timer(struct ctl_client *c, uint64_t ms)
{
	return ctl_session_capture_timer(ctl_session_of(c), ms);
}

static void ctl_host_capture_end(struct ctl_client *c, const char *why)
{
	ctl_session_capture_done(ctl_session_of(c), why);
}

static struct owner_host *ctl_server_base(struct ctl_host *h)
{
	return &ctl_server_of(h)->h.base;
}

static stack_time_us ctl_host_now(struct ctl_host *h)
{
	struct owner_host *b = ctl_server_base(h);

	return b->now(b->ctx);
}

static void ctl_host_kick(struct ctl_host *h)
{
	struct owner_host *b = ctl_server_base(h);

	b->kick(b->ctx);
}

static void ctl_host_info(struct ctl_host *h, struct ctl_host_info *ret)
{
	struct ctl_server *srv = ctl_server_of(h);

	memset(ret, 0, sizeof(*ret));
	srv->h.info(srv->h.base.ctx, ret);
}

static int ctl_host_owner_info(struct ctl_host *h, uint64_t owner, pid_t *ret_pid, uid_t *ret_uid,
			       const char **ret_name)
{
	struct ctl_server *srv = ctl_server_of(h);

	return srv->h.owner_info(srv->h.base.ctx, owner, ret_pid, ret_uid, ret_name);
}

static uint32_t ctl_host_listener_waiting(struct ctl_host *h, uint64_t owner, stack_sock sock)
{
	struct ctl_server *srv = ctl_server_of(h);

	return srv->h.listener_waiting(srv->h.base.ctx, owner, sock);
}

static int ctl_host_kill_owned(struct ctl_host *h, uint64_t owner, stack_sock sock)
{
	struct ctl_server *srv = ctl_server_of(h);

	return srv->h.kill_owned(srv->h.base.ctx, owner, sock);
}

static int ctl_host_reload(struct ctl_host *h, struct config_errors *ret_errs,
			   struct ctl_reload_report *ret)
{
	struct ctl_server *srv = ctl_server_of(h);

	return srv->h.reload(srv->h.base.ctx, ret_errs, ret);
}

static int ctl_host_impair(struct ctl_host *h, const struct config_impair *set)
{
	struct ctl_server *srv = ctl_server_of(h);

	return srv->h.impair(srv->h.base.ctx, set);
}

static const struct ctl_host_ops ctl_host_ops = {
	.send = ctl_host_send,
	.allowed = ctl_host_allowed,
	.streams_changed = ctl_host_streams_changed,
	.capture_timer = ctl_host_capture_timer,
	.capture_end = ctl_host_capture_end,
	.now = ctl_host_now,
	.kick = ctl_host_kick,
	.info = ctl_host_info,
	.owner_info = ctl_host_owner_info,
	.listener_waiting = ctl_host_listener_waiting,
	.kill_owned = ctl_host_kill_owned,
	.reload = ctl_host_reload,
	.impair = ctl_host_impair,
};

/* ------------------------------------------------------------------ life cycle */

void ctl_server_close_all(struct ctl_server *srv)
{
	while (srv->sessions)
		ctl_session_close(srv->sessions, NULL);
}

/* The history's tuple hash gets its own random key (the core's secret stays the core's). */
static int ctl_server_history_init(struct ctl_server *srv, const struct synack_config *cfg)
{
	uint8_t key[16];

	if (getrandom(key, sizeof(key), 0) != (ssize_t)sizeof(key))
		return -errno;
	return ctl_history_init(&srv->hist, key, cfg->history.events, cfg->history.conns,
				cfg->history.keep_us,
				cfg->limits.max_conns + CTL_HISTORY_LIVE_SLACK);
}

int ctl_server_new(const struct ctl_server_host *h, struct ctl_server **ret)
{
	struct ctl_server *srv = calloc(1, sizeof(*srv));
	int r;

	if (!srv)
		return -ENOMEM;
	srv->h = *h;
	srv->loop = h->base.loop;
	srv->stack = h->base.stack;
	srv->host.ops = &ctl_host_ops;
	srv->host.stack = srv->stack;
	srv->host.hist = &srv->hist;
	srv->host.cfg = h->base.cfg;
	srv->started = h->started;
	r = ctl_server_history_init(srv, h->base.cfg);
	if (r < 0) {
		free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

void ctl_server_apply(struct ctl_server *srv, const struct synack_config *cfg)
{
	if (srv)
		ctl_history_set_limits(&srv->hist, cfg->history.events, cfg->history.conns,
				       cfg->history.keep_us, srv->h.base.now(srv->h.base.ctx));
}

void ctl_server_delete(struct ctl_server *srv)
{
	if (!srv)
		return;
	ctl_server_close_all(srv);
	ctl_history_free(&srv->hist);
	free(srv);
}
