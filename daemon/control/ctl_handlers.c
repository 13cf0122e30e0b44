/* SPDX-License-Identifier: MIT */
/*
 * ctl_handlers.c - the control operations (see ctl_handlers.h): status,
 * ping, the connection table, state events, traces, counters, tunables,
 * kill, capture, reload and the link impairment. Reading needs the
 * control group, changing anything the admin group (ctl_session_allowed).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl_handlers.h"
#include "frame.h"
#include "log.h"
#include "stack_info.h"
#include "status.h"
#include "synack-build.h"

/* Bytes of the reload errors sent back (the log has them all). */
#define CTL_RELOAD_ERRORS_MAX 4000

/* ------------------------------------------------------------------ conversions */

Synack__V1__TcpState ctl_pb_state(uint8_t stack_state)
{
	/* the core's states are RFC 9293's in order from CLOSED; the proto's start at 1 */
	if (stack_state > SYNACK__V1__TCP_STATE__TCP_STATE_TIME_WAIT - 1)
		return SYNACK__V1__TCP_STATE__TCP_STATE_UNSPECIFIED;
	return (Synack__V1__TcpState)(stack_state + 1);
}

void ctl_pb_endpoint(const struct stack_endpoint *e, Synack__V1__Endpoint *ret, uint8_t addr[4])
{
	synack__v1__endpoint__init(ret);
	addr[0] = (uint8_t)(e->addr >> 24);
	addr[1] = (uint8_t)(e->addr >> 16);
	addr[2] = (uint8_t)(e->addr >> 8);
	addr[3] = (uint8_t)e->addr;
	ret->addr.data = addr;
	ret->addr.len = e->addr ? 4 : 0;
	ret->port = e->port;
}

void ctl_pb_trace_entry(const struct ctl_hist_entry *e, Synack__V1__TraceEntry *ret)
{
	synack__v1__trace_entry__init(ret);
	ret->time_us = e->at;
	ret->is_state = e->kind == CTL_HIST_STATE;
	ret->dir = e->kind == CTL_HIST_SEG_OUT ? SYNACK__V1__TRACE_DIR__TRACE_DIR_OUT
					       : SYNACK__V1__TRACE_DIR__TRACE_DIR_IN;
	ret->flags = e->flags;
	ret->seq = e->seq;
	ret->ack = e->ack;
	ret->wnd = e->wnd;
	ret->len = e->len;
	if (ret->is_state) {
		ret->from = ctl_pb_state(e->from);
		ret->to = ctl_pb_state(e->to);
		ret->cause = (char *)(e->cause ? e->cause : "");
	}
}

static Synack__V1__TimerKind ctl_pb_timer(const char *name)
{
	static const struct {
		const char *name;
		Synack__V1__TimerKind kind;
	} map[] = {
		{ "on", SYNACK__V1__TIMER_KIND__TIMER_ON },
		{ "keepalive", SYNACK__V1__TIMER_KIND__TIMER_KEEPALIVE },
		{ "timewait", SYNACK__V1__TIMER_KIND__TIMER_TIMEWAIT },
		{ "persist", SYNACK__V1__TIMER_KIND__TIMER_PERSIST },
		{ "delack", SYNACK__V1__TIMER_KIND__TIMER_DELACK },
	};

	for (size_t i = 0; name && i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(name, map[i].name) == 0)
			return map[i].kind;
	return SYNACK__V1__TIMER_KIND__TIMER_OFF;
}

/* ------------------------------------------------------------------ replies */

static void ctl_send_reply(struct ctl_client *cl, Synack__V1__ControlReply *rp)
{
	Synack__V1__ControlServerMessage m = SYNACK__V1__CONTROL_SERVER_MESSAGE__INIT;
	Synack__V1__Status st = SYNACK__V1__STATUS__INIT;
	Synack__V1__ControlReply small = SYNACK__V1__CONTROL_REPLY__INIT;

	m.msg_case = SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_REPLY;
	m.reply = rp;
	if (cl->host->ops->send(cl, &m, false) != -EMSGSIZE)
		return;
	/* a body beyond the frame limit (a huge table): say so rather than stay silent */
	st.code = status_code_from_errno(-EMSGSIZE);
	st.message = "the reply is too large for one frame";
	small.id = rp->id;
	small.status = &st;
	m.reply = &small;
	cl->host->ops->send(cl, &m, false);
}

static void ctl_status_fill(Synack__V1__Status *st, char *buf, size_t len, int err,
			    const char *detail)
{
	synack__v1__status__init(st);
	st->code = status_code_from_errno(err);
	if (detail && *detail)
		snprintf(buf, len, "%s", detail);
	else
		snprintf(buf, len, "%s", err ? status_message(err) : "");
	st->message = buf;
}

void ctl_reply_status(struct ctl_client *cl, uint64_t id, int err, const char *detail)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__Status st;
	char msg[CTL_RELOAD_ERRORS_MAX + 64];

	ctl_status_fill(&st, msg, sizeof(msg), err, detail);
	rp.id = id;
	rp.status = &st;
	ctl_send_reply(cl, &rp);
}

/* An OK reply with a body the caller set in rp. */
static void ctl_reply_ok(struct ctl_client *cl, uint64_t id, Synack__V1__ControlReply *rp)
{
	Synack__V1__Status st = SYNACK__V1__STATUS__INIT;

	st.message = "";
	rp->id = id;
	rp->status = &st;
	ctl_send_reply(cl, rp);
}

/* ------------------------------------------------------------------ reading */

static int ctl_handle_hello(struct ctl_client *cl, uint64_t id, const Synack__V1__ControlHello *h)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__ControlHelloReply hr = SYNACK__V1__CONTROL_HELLO_REPLY__INIT;
	char why[160];

	if (h->version != PROTO_VERSION) {
		snprintf(why, sizeof(why), "synackctl speaks %u, synackd speaks %u", h->version,
			 PROTO_VERSION);
		ctl_reply_status(cl, id, -EPROTONOSUPPORT, why);
		return EPROTONOSUPPORT;
	}
	hr.version = PROTO_VERSION;
	hr.server_name = "synackd " SYNACK_VERSION;
	hr.admin = cl->host->ops->allowed(cl, true, why, sizeof(why)) == 0;
	hr.features = SYNACK__V1__CONTROL_FEATURE__CONTROL_FEATURE_CLOSED_CONNS |
		      SYNACK__V1__CONTROL_FEATURE__CONTROL_FEATURE_CAPTURE_STOP;
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_HELLO;
	rp.hello = &hr;
	ctl_reply_ok(cl, id, &rp);
	return 0;
}

/* Every connection to cb, counted: each walk costs O(connections). */
static int ctl_walk(struct ctl_host *h,
		    int (*cb)(void *ctx, stack_sock sock, const struct stack_tcp_info *info),
		    void *ctx)
{
	h->walks++;
	return stack_tcp_foreach(h->stack, cb, ctx);
}

static int ctl_count_state(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	uint32_t *by_state = ctx;

	if (info->state < SYNACK__V1__TCP_STATE__TCP_STATE_TIME_WAIT)
		by_state[info->state]++;
	return 0;
}

/* The impair: section as the proto carries it (set false: a report). */
static void ctl_pb_impair(const struct config_impair *c, Synack__V1__Impair *ret)
{
	synack__v1__impair__init(ret);
	ret->loss_ppm = c->loss_ppm;
	ret->duplicate_ppm = c->duplicate_ppm;
	ret->reorder_ppm = c->reorder_ppm;
	ret->corrupt_ppm = c->corrupt_ppm;
	ret->delay_us = c->delay_us;
	ret->seed = c->seed;
	ret->direction = (uint32_t)c->direction;
	ret->ge_p_ppm = c->ge_p_ppm;
	ret->ge_r_ppm = c->ge_r_ppm;
	ret->ge_bad_loss_ppm = c->ge_bad_loss_ppm;
	ret->ge_good_loss_ppm = c->ge_good_loss_ppm;
	ret->duplicate_delay_us = c->duplicate_delay_us;
	ret->reorder_frames = c->reorder_frames;
	ret->reorder_time_us = c->reorder_time_us;
	ret->jitter_us = c->jitter_us;
	ret->rate_bps = c->rate_bps;
	ret->match = c->match;
}

static void ctl_impair_from_pb(const Synack__V1__Impair *m, struct config_impair *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->loss_ppm = m->loss_ppm;
	ret->duplicate_ppm = m->duplicate_ppm;
	ret->reorder_ppm = m->reorder_ppm;
	ret->corrupt_ppm = m->corrupt_ppm;
	ret->delay_us = m->delay_us;
	ret->seed = m->seed;
	/* out of range stays out of range: config_impair_check() refuses it */
	ret->direction =
		m->direction > 2 ? (enum config_impair_dir)3 : (enum config_impair_dir)m->direction;
	ret->ge_p_ppm = m->ge_p_ppm;
	ret->ge_r_ppm = m->ge_r_ppm;
	ret->ge_bad_loss_ppm = m->ge_bad_loss_ppm;
	ret->ge_good_loss_ppm = m->ge_good_loss_ppm;
	ret->duplicate_delay_us = m->duplicate_delay_us;
	ret->reorder_frames = m->reorder_frames;
	ret->reorder_time_us = m->reorder_time_us;
	ret->jitter_us = m->jitter_us;
	ret->rate_bps = m->rate_bps;
	ret->match = m->match;
}

static int ctl_handle_status(struct ctl_client *cl, uint64_t id)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__StatusInfo si = SYNACK__V1__STATUS_INFO__INIT;
	const struct synack_config *cfg = cl->host->cfg;
	uint32_t by_state[SYNACK__V1__TCP_STATE__TCP_STATE_TIME_WAIT] = { 0 };
	Synack__V1__Impair imp;
	struct ctl_host_info info;

	cl->host->ops->info(cl->host, &info);
	ctl_walk(cl->host, ctl_count_state, by_state);
	si.version = SYNACK_VERSION;
	si.uptime_us = cl->host->ops->now(cl->host) - info.started;
	si.tap = info.tap;
	si.mac.data = info.mac;
	si.mac.len = 6;
	si.address = cfg->interface.address;
	si.prefix_len = cfg->interface.prefix_len;
	si.mtu = cfg->interface.mtu;
	si.offload = info.offload;
	si.conns_by_state = by_state;
	si.n_conns_by_state = sizeof(by_state) / sizeof(by_state[0]);
	si.clients = info.clients;
	si.impaired = config_impair_active(&cfg->impair);
	ctl_pb_impair(&cfg->impair, &imp);
	si.impair = &imp;
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_STATUS_INFO;
	rp.status_info = &si;
	ctl_reply_ok(cl, id, &rp);
	return 0;
}

/* One connection's row, with storage for what it points to. */
struct ctl_conn_row {
	Synack__V1__ConnEntry e;
	Synack__V1__Endpoint ep[2];
	uint8_t addr[2][4];
};

/*
 * The connections' infos, copied while the core walks its table. Rows point
 * into themselves, so they are built only once every info is in and the row
 * array has its final size (a row moved by a realloc would point into freed
 * memory).
 */
struct ctl_conn_walk {
	struct ctl_host *h;
	struct stack_tcp_info *v;
	size_t n, cap;
};

static void ctl_conn_owner(struct ctl_host *h, uint64_t owner, Synack__V1__ConnEntry *e)
{
	const char *name;
	pid_t pid;
	uid_t uid;

	if (h->ops->owner_info(h, owner, &pid, &uid, &name) < 0)
		return;
	e->owner_known = true;
	e->owner_pid = pid;
	e->owner_uid = uid;
	e->owner_name = (char *)name;
}

static void ctl_conn_fill(struct ctl_host *h, const struct stack_tcp_info *in,
			  struct ctl_conn_row *row)
{
	Synack__V1__ConnEntry *e = &row->e;

	synack__v1__conn_entry__init(e);
	e->id = in->id;
	e->state = ctl_pb_state(in->state);
	ctl_pb_endpoint(&in->local, &row->ep[0], row->addr[0]);
	ctl_pb_endpoint(&in->remote, &row->ep[1], row->addr[1]);
	e->local = &row->ep[0];
	e->remote = &row->ep[1];
	/* ss: a listener's Recv-Q is its accept queue, Send-Q its backlog */
	e->recv_q = in->listener ? in->accept_queue : in->recv_queue;
	e->send_q = in->listener ? in->backlog : in->send_queue;
	e->timer = ctl_pb_timer(in->timer_name);
	e->timer_remaining_us = in->timer_remaining_us;
	e->timer_retransmits = in->retransmits;
	e->rtt_us = in->srtt_us;
	e->rttvar_us = in->rttvar_us;
	e->rto_us = in->rto_us;
	e->cwnd = in->cwnd;
	e->ssthresh = in->ssthresh;
	e->mss = in->mss;
	e->snd_wscale = in->snd_wscale;
	e->rcv_wscale = in->rcv_wscale;
	e->wscale_ok = in->wscale_ok;
	e->ts_ok = in->ts_ok;
	e->sack_ok = in->sack_ok;
	e->bytes_acked = in->bytes_acked;
	e->bytes_received = in->bytes_received;
	e->retrans = in->total_retrans;
	e->listener = in->listener;
	e->congestion = (char *)(in->listener || !in->cc_name ? "" : in->cc_name);
	e->snd_mss = in->snd_mss;
	e->sndbuf = in->sndbuf;
	e->rcvbuf = in->rcvbuf;
	e->rcv_rtt_us = in->rcv_rtt_us;
	e->rcv_space = in->rcv_space;
	e->owner_name = "";
	ctl_conn_owner(h, in->owner, e);
}

static int ctl_conn_collect(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	struct ctl_conn_walk *w = ctx;

	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		struct stack_tcp_info *v = realloc(w->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n] = *info;
	/* a listener's Recv-Q counts what waits in its client's accept socket too
	 * (accepted by synackd, not yet by the program), as ss counts its queue */
	if (info->listener && w->h->ops->listener_waiting)
		w->v[w->n].accept_queue += w->h->ops->listener_waiting(w->h, info->owner, sock);
	w->n++;
	return 0;
}

static int ctl_id_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The live connections' ids, sorted (for ctl_conn_listed); NULL with n 0. */
static int ctl_live_ids(const struct ctl_conn_walk *w, uint64_t **ret)
{
	uint64_t *ids = NULL;

	if (w->n && !(ids = malloc(w->n * sizeof(*ids))))
		return -ENOMEM;
	for (size_t i = 0; i < w->n; i++)
		ids[i] = w->v[i].id;
	if (w->n)
		qsort(ids, w->n, sizeof(*ids), ctl_id_cmp);
	*ret = ids;
	return 0;
}

/* Whether a closed ring is listed live already (a TIME-WAIT record's history may
 * be closed while the record still stands): a search, so that a long history
 * beside a full table stays O(closed log live) on the loop. */
static bool ctl_conn_listed(const uint64_t *ids, size_t n, uint64_t id)
{
	return n && bsearch(&id, ids, n, sizeof(*ids), ctl_id_cmp) != NULL;
}

/* The closed connections the trace history still holds, and not listed live: how many. */
static size_t ctl_closed_count(struct ctl_host *h, const uint64_t *ids, size_t n)
{
	size_t count = 0;

	ctl_history_prune(h->hist, h->ops->now(h));
	for (const struct ctl_hist_conn *c = h->hist->closed.first; c; c = c->next)
		count += c->id && !ctl_conn_listed(ids, n, c->id);
	return count;
}

/* A row for a closed connection: its id, addresses and when it closed. */
static void ctl_closed_fill(const struct ctl_hist_conn *c, stack_time_us now,
			    struct ctl_conn_row *row)
{
	Synack__V1__ConnEntry *e = &row->e;

	synack__v1__conn_entry__init(e);
	e->id = c->id;
	e->state = SYNACK__V1__TCP_STATE__TCP_STATE_CLOSED;
	ctl_pb_endpoint(&c->local, &row->ep[0], row->addr[0]);
	ctl_pb_endpoint(&c->remote, &row->ep[1], row->addr[1]);
	e->local = &row->ep[0];
	e->remote = &row->ep[1];
	e->owner_name = "";
	e->congestion = "";
	e->closed = true;
	e->closed_ago_us = now > c->closed_at ? now - c->closed_at : 0;
}

static int ctl_handle_list_conns(struct ctl_client *cl, uint64_t id, const Synack__V1__ListConns *m)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__ConnList list = SYNACK__V1__CONN_LIST__INIT;
	struct ctl_conn_walk w = { .h = cl->host };
	struct ctl_conn_row *rows = NULL;
	Synack__V1__ConnEntry **v = NULL;
	stack_time_us now = cl->host->ops->now(cl->host);
	uint64_t *ids = NULL;
	size_t n = 0, closed = 0;
	int r = ctl_walk(cl->host, ctl_conn_collect, &w);

	if (r == 0 && m && m->closed && (r = ctl_live_ids(&w, &ids)) == 0)
		closed = ctl_closed_count(cl->host, ids, w.n);
	if (r == 0 && w.n + closed &&
	    (!(rows = calloc(w.n + closed, sizeof(*rows))) ||
	     !(v = calloc(w.n + closed, sizeof(*v)))))
		r = -ENOMEM;
	if (r < 0) {
		free(ids);
		free(rows);
		free(w.v);
		ctl_reply_status(cl, id, r, "listing connections");
		return -r;
	}
	for (size_t i = 0; i < w.n; i++) {
		ctl_conn_fill(cl->host, &w.v[i], &rows[i]);
		v[n] = &rows[n].e;
		n++;
	}
	/* oldest first, as the history keeps them; nothing changed them since the count */
	for (const struct ctl_hist_conn *c = cl->host->hist->closed.first; c && closed;
	     c = c->next) {
		if (!c->id || ctl_conn_listed(ids, w.n, c->id))
			continue;
		ctl_closed_fill(c, now, &rows[n]);
		v[n] = &rows[n].e;
		n++;
		closed--;
	}
	list.conns = v;
	list.n_conns = n;
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_CONNS;
	rp.conns = &list;
	ctl_reply_ok(cl, id, &rp);
	free(v);
	free(rows);
	free(w.v);
	free(ids);
	return 0;
}

static int ctl_handle_subscribe(struct ctl_client *cl, uint64_t id)
{
	cl->events = true;
	cl->host->ops->streams_changed(cl);
	ctl_reply_status(cl, id, 0, NULL);
	return 0;
}

struct ctl_find {
	uint64_t id;
	stack_sock sock;
	struct stack_tcp_info info;
};

static int ctl_find_conn(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	struct ctl_find *f = ctx;

	if (info->id != f->id)
		return 0;
	f->sock = sock;
	f->info = *info;
	return 1;
}

static bool ctl_conn_lookup(struct ctl_host *h, uint64_t id, struct ctl_find *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->id = id;
	return ctl_walk(h, ctl_find_conn, ret) == 1;
}

static int ctl_handle_trace(struct ctl_client *cl, uint64_t id, const Synack__V1__Trace *t)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__TraceHistory th = SYNACK__V1__TRACE_HISTORY__INIT;
	struct ctl_hist_conn *c =
		ctl_history_find(cl->host->hist, t->conn, cl->host->ops->now(cl->host));
	Synack__V1__TraceEntry *te = NULL, **v = NULL;
	struct ctl_find f;
	char why[96];

	if (!c && !ctl_conn_lookup(cl->host, t->conn, &f)) {
		snprintf(why, sizeof(why), "no connection %llu (or its history expired)",
			 (unsigned long long)t->conn);
		ctl_reply_status(cl, id, -ESRCH, why); /* ENOENT would read as "no daemon" */
		return ESRCH;
	}
	if (c && c->n) {
		te = calloc(c->n, sizeof(*te));
		v = calloc(c->n, sizeof(*v));
		if (!te || !v) {
			free(te);
			free(v);
			ctl_reply_status(cl, id, -ENOMEM, NULL);
			return ENOMEM;
		}
		for (uint32_t i = 0; i < c->n; i++) {
			ctl_pb_trace_entry(ctl_hist_conn_at(c, i), &te[i]);
			v[i] = &te[i];
		}
		th.entries = v;
		th.n_entries = c->n;
		th.dropped = c->dropped;
	}
	th.conn = t->conn;
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_TRACE;
	rp.trace = &th;
	ctl_reply_ok(cl, id, &rp);
	free(te);
	free(v);
	if (t->follow && !(c && c->closed)) {
		cl->follow = t->conn;
		cl->host->ops->streams_changed(cl);
	}
	return 0;
}

#define CTL_DAEMON_COUNTERS 14

/* The daemon's own counters, after the core's. */
static void ctl_daemon_counters(struct ctl_host *h, Synack__V1__Counter *v, size_t *n)
{
	struct ctl_host_info info;

	h->ops->info(h, &info);
	const struct {
		const char *name;
		uint64_t value;
		bool gauge;
	} extra[] = {
		{ "SynackTapRxFrames", info.rx_frames, false },
		{ "SynackTapRxBadHeaders", info.rx_bad_hdr, false },
		{ "SynackTapRxAnswers", info.rx_answers, false },
		{ "SynackTapTxFrames", info.tx_frames, false },
		{ "SynackTapTxQueued", info.tx_queued, false },
		{ "SynackTapTxDrops", info.tx_dropped, false },
		{ "SynackTapTxErrors", info.tx_errors, false },
		{ "SynackRpcClients", info.clients, true },
		{ "SynackCtlRequests", h->requests, false },
		{ "SynackCtlRefused", h->refused, false },
		{ "SynackCtlStreamDrops", h->stream_drops, false },
		{ "SynackHistoryEvicted", h->hist->evicted, false },
		{ "SynackCtlSessionsRefused", h->sessions_refused, false },
		{ "SynackBusyPollTurns", info.busy_poll_turns, false },
	};
	_Static_assert(sizeof(extra) / sizeof(extra[0]) == CTL_DAEMON_COUNTERS,
		       "CTL_DAEMON_COUNTERS counts the daemon's counters");

	for (size_t i = 0; i < CTL_DAEMON_COUNTERS; i++) {
		Synack__V1__Counter *c = &v[(*n)++];

		synack__v1__counter__init(c);
		c->name = (char *)extra[i].name;
		c->value = extra[i].value;
		c->gauge = extra[i].gauge;
	}
	/* then the host's other parts (the RPC server's refusals and clean-ups) */
	for (size_t i = 0; i < info.n_extra && i < CTL_HOST_EXTRA_COUNTERS; i++) {
		Synack__V1__Counter *c = &v[(*n)++];

		synack__v1__counter__init(c);
		c->name = (char *)info.extra[i].name;
		c->value = info.extra[i].value;
		c->gauge = info.extra[i].gauge;
	}
	/* and the link impairment's */
	for (size_t i = 0; i < info.n_impair && i < CTL_HOST_IMPAIR_COUNTERS; i++) {
		Synack__V1__Counter *c = &v[(*n)++];

		synack__v1__counter__init(c);
		c->name = (char *)info.impair[i].name;
		c->value = info.impair[i].value;
		c->gauge = info.impair[i].gauge;
	}
}

static int ctl_handle_stats(struct ctl_client *cl, uint64_t id)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__CounterList list = SYNACK__V1__COUNTER_LIST__INIT;
	const struct stack_counters *sc = stack_counters_get(cl->host->stack);
#define CTL_STATS_MAX \
	(STACK_CTR_COUNT + CTL_DAEMON_COUNTERS + CTL_HOST_EXTRA_COUNTERS + CTL_HOST_IMPAIR_COUNTERS)
	Synack__V1__Counter v[CTL_STATS_MAX];
	Synack__V1__Counter *pv[CTL_STATS_MAX];
	size_t n = 0;

	for (unsigned i = 0; i < STACK_CTR_COUNT; i++) {
		synack__v1__counter__init(&v[n]);
		v[n].name = (char *)stack_counter_name((enum stack_counter_id)i);
		v[n].value = sc->v[i];
		v[n].gauge = i == STACK_CTR_TcpCurrEstab || i == STACK_CTR_SynackTcpTimeWait ||
			     i == STACK_CTR_SynackTcpOrphans || i == STACK_CTR_SynackTcpMemBytes;
		n++;
	}
	ctl_daemon_counters(cl->host, v, &n);
	for (size_t i = 0; i < n; i++)
		pv[i] = &v[i];
	list.counters = pv;
	list.n_counters = n;
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_COUNTERS;
	rp.counters = &list;
	ctl_reply_ok(cl, id, &rp);
	return 0;
}

static Synack__V1__TunableUnit ctl_pb_unit(enum stack_tunable_kind k)
{
	switch (k) {
	case STACK_TUN_DURATION:
		return SYNACK__V1__TUNABLE_UNIT__TUNABLE_DURATION_US;
	case STACK_TUN_SIZE:
		return SYNACK__V1__TUNABLE_UNIT__TUNABLE_SIZE_BYTES;
	case STACK_TUN_BOOL:
		return SYNACK__V1__TUNABLE_UNIT__TUNABLE_BOOL;
	case STACK_TUN_NAME:
		return SYNACK__V1__TUNABLE_UNIT__TUNABLE_NAME;
	default:
		return SYNACK__V1__TUNABLE_UNIT__TUNABLE_COUNT;
	}
}

static void ctl_tunable_fill(struct ctl_host *h, enum stack_tunable_id tid, Synack__V1__Tunable *t)
{
	const struct stack_tunable_desc *d = stack_tunable_desc(tid);

	synack__v1__tunable__init(t);
	t->key = (char *)d->key;
	t->unit = ctl_pb_unit(d->kind);
	t->value = stack_tunables_read(stack_tunables_get(h->stack), tid);
	t->default_ = d->def;
	t->min = d->min;
	t->max = d->max;
	t->affects_existing = d->affects_existing;
	t->meaning = (char *)d->meaning;
}

/* Reply with the tunables from first to first + n - 1. */
static void ctl_reply_tunables(struct ctl_client *cl, uint64_t id, unsigned first, unsigned n)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__TunableList tl = SYNACK__V1__TUNABLE_LIST__INIT;
	Synack__V1__Tunable v[STACK_TUN_COUNT_], *pv[STACK_TUN_COUNT_];

	for (unsigned i = 0; i < n; i++) {
		ctl_tunable_fill(cl->host, (enum stack_tunable_id)(first + i), &v[i]);
		pv[i] = &v[i];
	}
	tl.tunables = pv;
	tl.n_tunables = n;
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_TUNABLES;
	rp.tunables = &tl;
	ctl_reply_ok(cl, id, &rp);
}

static int ctl_handle_get_tunables(struct ctl_client *cl, uint64_t id,
				   const Synack__V1__GetTunables *g)
{
	enum stack_tunable_id tid;
	char why[128];

	if (!g->key || !g->key[0]) {
		ctl_reply_tunables(cl, id, 0, STACK_TUN_COUNT_);
		return 0;
	}
	if (stack_tunable_lookup(g->key, &tid) < 0) {
		snprintf(why, sizeof(why), "unknown tunable '%.64s'", g->key);
		ctl_reply_status(cl, id, -EINVAL, why);
		return EINVAL;
	}
	ctl_reply_tunables(cl, id, tid, 1);
	return 0;
}

/* ------------------------------------------------------------------ changing */

/* A tunable's value the way the config file writes it ("30s", "256KiB", "true", "6", "cubic"). */
static void ctl_format_value(enum stack_tunable_id tid, enum stack_tunable_kind kind, uint64_t v,
			     char *buf, size_t len)
{
	if (kind == STACK_TUN_NAME && stack_tunable_name(tid, v)) {
		snprintf(buf, len, "%s", stack_tunable_name(tid, v));
		return;
	}
	if (kind == STACK_TUN_DURATION && config_format_duration(v, buf, len) >= 0)
		return;
	if (kind == STACK_TUN_SIZE && config_format_size(v, buf, len) >= 0)
		return;
	if (kind == STACK_TUN_BOOL)
		snprintf(buf, len, "%s", v ? "true" : "false");
	else
		snprintf(buf, len, "%llu", (unsigned long long)v);
}

static int ctl_handle_set_tunable(struct ctl_client *cl, uint64_t id,
				  const Synack__V1__SetTunable *st)
{
	const struct stack_tunable_desc *d;
	enum stack_tunable_id tid;
	char why[256], val[32], lo[32], hi[32];
	int r;

	if (!st->key || stack_tunable_lookup(st->key, &tid) < 0) {
		snprintf(why, sizeof(why), "unknown tunable '%.64s'", st->key ? st->key : "");
		ctl_reply_status(cl, id, -EINVAL, why);
		return EINVAL;
	}
	d = stack_tunable_desc(tid);
	r = stack_tunable_set(cl->host->stack, cl->host->ops->now(cl->host), tid, st->value);
	ctl_format_value(tid, d->kind, st->value, val, sizeof(val));
	if (r < 0) {
		ctl_format_value(tid, d->kind, d->min, lo, sizeof(lo));
		ctl_format_value(tid, d->kind, d->max, hi, sizeof(hi));
		snprintf(why, sizeof(why), "%s = %s refused: %s (range %s..%s)", d->key, val,
			 status_message(r), lo, hi);
		ctl_reply_status(cl, id, r, why);
		return -r;
	}
	log_info("control: tcp.%s = %s (set by uid %u, pid %d)", d->key, val, (unsigned)cl->uid,
		 (int)cl->pid);
	cl->host->ops->kick(cl->host);
	ctl_reply_tunables(cl, id, tid, 1);
	return 0;
}

/* What a kill needs of a connection; the table is walked once per request, not per id. */
struct ctl_kill_target {
	uint64_t id, owner;
	stack_sock sock;
	bool orphan, gone;
	const char *state_name; /* static, from the core */
};

struct ctl_kill_index {
	struct ctl_kill_target *v;
	size_t n, cap;
};

static int ctl_kill_collect(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	struct ctl_kill_index *x = ctx;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 64;
		struct ctl_kill_target *v = realloc(x->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		x->v = v;
		x->cap = cap;
	}
	x->v[x->n++] = (struct ctl_kill_target){ .id = info->id,
						 .owner = info->owner,
						 .sock = sock,
						 .orphan = info->orphan,
						 .state_name = info->state_name };
	return 0;
}

static int ctl_kill_target_cmp(const void *a, const void *b)
{
	const struct ctl_kill_target *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Every connection, sorted by id. */
static int ctl_kill_index(struct ctl_host *h, struct ctl_kill_index *ret)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	r = ctl_walk(h, ctl_kill_collect, ret);
	if (r < 0) {
		free(ret->v);
		return r;
	}
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), ctl_kill_target_cmp);
	return 0;
}

static struct ctl_kill_target *ctl_kill_find(struct ctl_kill_index *x, uint64_t id)
{
	struct ctl_kill_target key = { .id = id };
	struct ctl_kill_target *t =
		x->n ? bsearch(&key, x->v, x->n, sizeof(*x->v), ctl_kill_target_cmp) : NULL;

	return t && !t->gone ? t : NULL;
}

/* Abort one connection; RPC clients that own it are told (Reset, then Closed). */
static int ctl_kill_one(struct ctl_host *h, struct ctl_kill_index *x, uint64_t conn, bool dry_run,
			char *why, size_t len)
{
	struct ctl_kill_target *t = ctl_kill_find(x, conn);
	int r;

	if (!t) {
		snprintf(why, len, "no connection %llu", (unsigned long long)conn);
		return -ESRCH;
	}
	if (dry_run)
		return 0;
	if (t->orphan) {
		/* closed by its owner and finishing on its own: nobody to tell */
		r = stack_tcp_kill_orphan(h->stack, h->ops->now(h), t->sock);
	} else {
		r = h->ops->kill_owned(h, t->owner, t->sock);
		if (r == -ENOENT)
			r = stack_tcp_abort(h->stack, h->ops->now(h), t->sock);
	}
	if (r < 0) {
		snprintf(why, len, "cannot abort connection %llu: %s", (unsigned long long)conn,
			 status_message(r));
		return r;
	}
	t->gone = true; /* named twice: the second finds it gone */
	log_info("control: connection %llu (%s) aborted", (unsigned long long)conn, t->state_name);
	return 0;
}

static int ctl_handle_kill(struct ctl_client *cl, uint64_t id, const Synack__V1__Kill *k)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__KillResult kr = SYNACK__V1__KILL_RESULT__INIT;
	Synack__V1__KillOutcome *o, **po;
	Synack__V1__Status *st;
	char(*msg)[160];
	int first_err = 0;
	struct ctl_kill_index x;

	if (ctl_kill_index(cl->host, &x) < 0) {
		ctl_reply_status(cl, id, -ENOMEM, NULL);
		return ENOMEM;
	}
	o = calloc(k->n_conns + 1, sizeof(*o));
	po = calloc(k->n_conns + 1, sizeof(*po));
	st = calloc(k->n_conns + 1, sizeof(*st));
	msg = calloc(k->n_conns + 1, sizeof(*msg));
	if (!o || !po || !st || !msg) {
		free(o), free(po), free(st), free(msg), free(x.v);
		ctl_reply_status(cl, id, -ENOMEM, NULL);
		return ENOMEM;
	}
	for (size_t i = 0; i < k->n_conns; i++) {
		char why[sizeof(msg[i])]; /* apart from msg[i]: the status is printed from it */
		int r = ctl_kill_one(cl->host, &x, k->conns[i], k->dry_run, why, sizeof(why));

		synack__v1__kill_outcome__init(&o[i]);
		o[i].conn = k->conns[i];
		ctl_status_fill(&st[i], msg[i], sizeof(msg[i]), r, r < 0 ? why : NULL);
		o[i].status = &st[i];
		po[i] = &o[i];
		if (r < 0 && !first_err)
			first_err = r;
	}
	cl->host->ops->kick(cl->host);
	kr.outcomes = po;
	kr.n_outcomes = k->n_conns;
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_KILL;
	rp.kill = &kr;
	if (first_err && k->n_conns == 1) {
		/* one connection: its failure is the request's */
		Synack__V1__Status s0 = st[0];

		rp.id = id;
		rp.status = &s0;
		ctl_send_reply(cl, &rp);
	} else {
		ctl_reply_ok(cl, id, &rp);
	}
	free(o), free(po), free(st), free(msg), free(x.v);
	return first_err ? -first_err : 0;
}

static int ctl_handle_capture(struct ctl_client *cl, uint64_t id, const Synack__V1__Capture *c)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__CaptureStarted cs = SYNACK__V1__CAPTURE_STARTED__INIT;
	struct ctl_host_info info;
	int r;

	if (cl->capturing) {
		ctl_reply_status(cl, id, -EALREADY, "a capture is already running on this session");
		return EALREADY;
	}
	r = cl->host->ops->capture_timer(cl, c->duration_ms);
	if (r < 0) {
		ctl_reply_status(cl, id, r, "capture timer");
		return -r;
	}
	cl->host->ops->info(cl->host, &info);
	cs.ifname = info.tap;
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_CAPTURE;
	rp.capture = &cs;
	ctl_reply_ok(cl, id, &rp); /* the reply before the first frame */
	cl->cap_left = c->count;
	cl->cap_snap = c->snaplen;
	cl->dropped = 0;
	cl->capturing = true;
	cl->host->ops->streams_changed(cl);
	log_info("control: capture started by uid %u, pid %d", (unsigned)cl->uid, (int)cl->pid);
	return 0;
}

/* CaptureStop: the StreamEnd first, saying what was dropped, then the reply. */
static int ctl_handle_capture_stop(struct ctl_client *cl, uint64_t id)
{
	if (!cl->capturing) {
		ctl_reply_status(cl, id, -EINVAL, "no capture runs on this session");
		return EINVAL;
	}
	cl->host->ops->capture_end(cl, "capture stopped by the client");
	ctl_reply_status(cl, id, 0, NULL);
	log_info("control: capture stopped by uid %u, pid %d (%llu dropped)", (unsigned)cl->uid,
		 (int)cl->pid, (unsigned long long)cl->dropped);
	return 0;
}

/* An applied reload's reply: what it changed, kept and did not apply (ReloadResult). */
static int ctl_reply_reload(struct ctl_client *cl, uint64_t id, const struct ctl_reload_report *rep)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__ReloadResult rr = SYNACK__V1__RELOAD_RESULT__INIT;
	Synack__V1__ReloadValue *v = calloc(rep->n ? rep->n : 1, sizeof(*v));
	Synack__V1__ReloadValue **lists = calloc(rep->n ? rep->n : 1, sizeof(*lists));
	size_t used = 0;

	if (!v || !lists) {
		free(v);
		free(lists);
		ctl_reply_status(cl, id, -ENOMEM, "the reload was applied; no memory to say how");
		return ENOMEM;
	}
	rr.file = (char *)rep->file;
	/* one array of pointers, cut in three runs: changed, kept, not applied */
	for (unsigned k = 0; k <= CTL_RELOAD_NOT_APPLIED; k++) {
		Synack__V1__ReloadValue **run = lists + used;
		size_t n = 0;

		for (size_t i = 0; i < rep->n; i++) {
			const struct ctl_reload_value *x = &rep->v[i];

			if (x->kind != (enum ctl_reload_kind)k)
				continue;
			synack__v1__reload_value__init(&v[used + n]);
			v[used + n].key = (char *)x->key;
			v[used + n].before = (char *)x->before;
			v[used + n].after = (char *)x->after;
			v[used + n].file = (char *)x->file;
			v[used + n].why = (char *)x->why;
			run[n] = &v[used + n];
			n++;
		}
		if (k == CTL_RELOAD_CHANGED) {
			rr.changed = run;
			rr.n_changed = n;
		} else if (k == CTL_RELOAD_KEPT) {
			rr.kept = run;
			rr.n_kept = n;
		} else {
			rr.not_applied = run;
			rr.n_not_applied = n;
		}
		used += n;
	}
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_RELOAD;
	rp.reload = &rr;
	ctl_reply_ok(cl, id, &rp);
	free(lists);
	free(v);
	return 0;
}

static int ctl_handle_reload(struct ctl_client *cl, uint64_t id)
{
	struct config_errors errs = { 0 };
	struct ctl_reload_report *rep = malloc(sizeof(*rep));
	char msg[CTL_RELOAD_ERRORS_MAX];
	size_t used = 0;
	int r;

	if (!rep) {
		ctl_reply_status(cl, id, -ENOMEM, NULL);
		return ENOMEM;
	}
	memset(rep, 0, sizeof(*rep));
	r = cl->host->ops->reload(cl->host, &errs, rep);
	if (r == 0) {
		r = ctl_reply_reload(cl, id, rep);
		free(rep);
		return r;
	}
	free(rep);
	if (r != -EINVAL) {
		ctl_reply_status(cl, id, r,
				 r == -EBUSY ? "synackd is stopping"
				 : r == -ENODATA
					 ? "synackd was started without --config and runs on "
					   "its built-in defaults: there is no file to read again"
					 : NULL);
		return -r;
	}
	msg[0] = '\0';
	for (size_t i = 0; i < errs.n && used < sizeof(msg) - 1; i++) {
		const struct config_error *e = &errs.v[i];
		int n = e->line ? snprintf(msg + used, sizeof(msg) - used, "%s%s:%u:%u: %s",
					   i ? "\n" : "", errs.file, e->line, e->column, e->message)
				: snprintf(msg + used, sizeof(msg) - used, "%s%s: %s",
					   i ? "\n" : "", errs.file, e->message);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	config_errors_free(&errs);
	ctl_reply_status(cl, id, -EINVAL, msg);
	return EINVAL;
}

/* Report the impairment in force, or put a new one in force and report it. */
static int ctl_handle_impair(struct ctl_client *cl, uint64_t id, const Synack__V1__Impair *im)
{
	Synack__V1__ControlReply rp = SYNACK__V1__CONTROL_REPLY__INIT;
	Synack__V1__Impair out;
	struct config_impair c;
	char why[200];
	int r;

	if (im->set) {
		ctl_impair_from_pb(im, &c);
		r = config_impair_check(&c, why, sizeof(why));
		if (r == 0 && !cl->host->ops->impair) {
			r = -ENOTSUP;
			snprintf(why, sizeof(why), "this synackd cannot impair its link");
		}
		if (r == 0 && (r = cl->host->ops->impair(cl->host, &c)) < 0)
			snprintf(why, sizeof(why), "%s",
				 r == -EBUSY ? "synackd is stopping" : status_message(r));
		if (r < 0) {
			ctl_reply_status(cl, id, r, why);
			return -r;
		}
		log_info("control: impairment %s by uid %u, pid %d",
			 config_impair_active(&c) ? "set" : "cleared", (unsigned)cl->uid,
			 (int)cl->pid);
		cl->host->ops->kick(cl->host);
	}
	ctl_pb_impair(&cl->host->cfg->impair, &out);
	rp.body_case = SYNACK__V1__CONTROL_REPLY__BODY_IMPAIR;
	rp.impair = &out;
	ctl_reply_ok(cl, id, &rp);
	return 0;
}

/* ------------------------------------------------------------------ dispatch */

/* Does this operation change synackd (admin group) rather than read it? */
static bool ctl_op_changes(const Synack__V1__ControlRequest *rq)
{
	switch (rq->op_case) {
	case SYNACK__V1__CONTROL_REQUEST__OP_SET_TUNABLE:
	case SYNACK__V1__CONTROL_REQUEST__OP_CAPTURE:
	case SYNACK__V1__CONTROL_REQUEST__OP_RELOAD:
		return true;
	case SYNACK__V1__CONTROL_REQUEST__OP_KILL:
		return !rq->kill->dry_run;
	case SYNACK__V1__CONTROL_REQUEST__OP_IMPAIR:
		return rq->impair->set;
	default:
		return false;
	}
}

/* Hello and Ping answer anyone who could open the socket (probes). */
static bool ctl_op_open(const Synack__V1__ControlRequest *rq)
{
	return rq->op_case == SYNACK__V1__CONTROL_REQUEST__OP_HELLO ||
	       rq->op_case == SYNACK__V1__CONTROL_REQUEST__OP_PING;
}

static int ctl_dispatch(struct ctl_client *cl, const Synack__V1__ControlRequest *rq)
{
	uint64_t id = rq->id;

	switch (rq->op_case) {
	case SYNACK__V1__CONTROL_REQUEST__OP_HELLO:
		return ctl_handle_hello(cl, id, rq->hello);
	case SYNACK__V1__CONTROL_REQUEST__OP_PING:
		ctl_reply_status(cl, id, 0, NULL);
		return 0;
	case SYNACK__V1__CONTROL_REQUEST__OP_STATUS:
		return ctl_handle_status(cl, id);
	case SYNACK__V1__CONTROL_REQUEST__OP_LIST_CONNS:
		return ctl_handle_list_conns(cl, id, rq->list_conns);
	case SYNACK__V1__CONTROL_REQUEST__OP_SUBSCRIBE:
		return ctl_handle_subscribe(cl, id);
	case SYNACK__V1__CONTROL_REQUEST__OP_TRACE:
		return ctl_handle_trace(cl, id, rq->trace);
	case SYNACK__V1__CONTROL_REQUEST__OP_STATS:
		return ctl_handle_stats(cl, id);
	case SYNACK__V1__CONTROL_REQUEST__OP_GET_TUNABLES:
		return ctl_handle_get_tunables(cl, id, rq->get_tunables);
	case SYNACK__V1__CONTROL_REQUEST__OP_SET_TUNABLE:
		return ctl_handle_set_tunable(cl, id, rq->set_tunable);
	case SYNACK__V1__CONTROL_REQUEST__OP_KILL:
		return ctl_handle_kill(cl, id, rq->kill);
	case SYNACK__V1__CONTROL_REQUEST__OP_CAPTURE:
		return ctl_handle_capture(cl, id, rq->capture);
	case SYNACK__V1__CONTROL_REQUEST__OP_CAPTURE_STOP:
		return ctl_handle_capture_stop(cl, id);
	case SYNACK__V1__CONTROL_REQUEST__OP_RELOAD:
		return ctl_handle_reload(cl, id);
	case SYNACK__V1__CONTROL_REQUEST__OP_IMPAIR:
		return ctl_handle_impair(cl, id, rq->impair);
	default:
		ctl_reply_status(cl, id, -ENOMSG, "unknown control operation");
		return ENOMSG;
	}
}

int ctl_handle_request(struct ctl_client *cl, const Synack__V1__ControlRequest *rq)
{
	char why[200];

	if (!ctl_op_open(rq) &&
	    cl->host->ops->allowed(cl, ctl_op_changes(rq), why, sizeof(why)) < 0) {
		cl->host->refused++;
		ctl_reply_status(cl, rq->id, -EPERM, why);
		return EPERM;
	}
	return ctl_dispatch(cl, rq);
}
