/* SPDX-License-Identifier: MIT */
/*
 * client.c - synackctl's transport (see client.h): a blocking Unix stream
 * socket to synackd's control socket, the RPC framing (proto/frame.h),
 * ControlRequest out, ControlServerMessage in, and the conversion of each
 * reply into the model's structs. Streams (events, trace --follow,
 * capture) are ControlEvents read with poll() and a timeout.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "frame.h"
#include "status.h"
#include "synack.pb-c.h"

/* How long a reply may take before the daemon counts as unreachable. */
#define CTL_CLIENT_REPLY_MS  10000
/* The largest message synackd sends (a connection table, a capture frame). */
#define CTL_CLIENT_MAX_FRAME FRAME_MAX_LIMIT

struct ctl_client {
	int fd;
	uint64_t next_id;
	struct frame_decoder dec;
	uint8_t rbuf[64 * 1024];
	size_t roff, rlen; /* input read but not yet decoded */
	/* the last message received, kept until the next call (frame data points into it) */
	struct frame_alloc alloc;
	ProtobufCMessage *held;
	char err[4096];
	/* trace --follow: entries of the follow reply not yet returned */
	struct ctl_trace_entry *pending;
	size_t npending, pending_at;
	size_t last_trace_n;
	uint64_t last_trace_id;
	uint32_t features; /* ControlHelloReply.features: the daemon's later additions */
	char server_name[64];
	/* capture */
	struct ctl_filter cap_filter;
	bool cap_filtered;
	uint64_t cap_dropped; /* the highest drop count any frame carried */
	/* while set, waits let only the signals this mask leaves out through (ppoll) */
	const sigset_t *wait_mask;
};

/* ------------------------------------------------------------------ wire */

static void ctl_client_release(struct ctl_client *c)
{
	if (c->held) {
		frame_unpacked_free(c->held, &c->alloc);
		c->held = NULL;
	}
}

static int ctl_client_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int ctl_client_send(struct ctl_client *c, Synack__V1__ControlRequest *rq)
{
	uint8_t *buf;
	size_t len;
	int r;

	rq->id = ++c->next_id;
	r = frame_pack(&rq->base, FRAME_MAX_DEFAULT, &buf, &len);
	if (r < 0)
		return r;
	r = ctl_client_write_all(c->fd, buf, len);
	free(buf);
	return r;
}

static uint64_t ctl_client_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Wait for input up to the deadline (0 = forever); 1 readable, 0 timed out, -errno. */
static int ctl_client_wait(struct ctl_client *c, uint64_t deadline)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	struct timespec ts;
	int timeout = -1, r;

	if (deadline) {
		uint64_t now = ctl_client_now_ms();

		timeout = now >= deadline ? 0 : (int)(deadline - now);
	}
	if (c->wait_mask) {
		ts = (struct timespec){ .tv_sec = timeout / 1000,
					.tv_nsec = (long)(timeout % 1000) * 1000000 };
		r = ppoll(&p, 1, timeout < 0 ? NULL : &ts, c->wait_mask);
	} else {
		r = poll(&p, 1, timeout);
	}
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	return r;
}

/* The next message: 1 with *ret, 0 on timeout (deadline in ms, 0 = none), -errno. */
static int ctl_client_recv(struct ctl_client *c, uint64_t deadline,
			   Synack__V1__ControlServerMessage **ret)
{
	const uint8_t *f;
	size_t flen;

	ctl_client_release(c);
	for (;;) {
		const uint8_t *in = c->rbuf + c->roff;
		size_t in_len = c->rlen - c->roff;
		int r = frame_decoder_next(&c->dec, &in, &in_len, &f, &flen);

		c->roff = (size_t)(in - c->rbuf);
		if (r < 0)
			return -EPROTO;
		if (r == 1)
			break;
		r = ctl_client_wait(c, deadline);
		if (r <= 0)
			return r;
		ssize_t n = recv(c->fd, c->rbuf, sizeof(c->rbuf), 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return errno == EINTR ? 0 : -errno;
		c->roff = 0;
		c->rlen = (size_t)n;
	}
	frame_alloc_init(&c->alloc, 4 * (size_t)CTL_CLIENT_MAX_FRAME);
	if (frame_unpack(&synack__v1__control_server_message__descriptor, f, flen, &c->alloc,
			 &c->held) < 0)
		return -EPROTO;
	*ret = (Synack__V1__ControlServerMessage *)c->held;
	return 1;
}

/* A reply's status as 0 or -errno, its message kept for ctl_client_error(). */
static int ctl_client_status(struct ctl_client *c, const Synack__V1__Status *st)
{
	if (!st || st->code == 0)
		return 0;
	snprintf(c->err, sizeof(c->err), "%s", st->message ? st->message : "");
	return status_code_to_errno(st->code);
}

/* Send rq and wait for its reply (events that arrive meanwhile are skipped). */
static int ctl_client_call(struct ctl_client *c, Synack__V1__ControlRequest *rq,
			   Synack__V1__ControlReply **ret)
{
	uint64_t deadline = ctl_client_now_ms() + CTL_CLIENT_REPLY_MS;
	Synack__V1__ControlServerMessage *m;
	int r;

	c->err[0] = '\0';
	r = ctl_client_send(c, rq);
	/* synackd hung up, maybe after saying why (a refused session): read that */
	if (r < 0 && r != -EPIPE && r != -ECONNRESET)
		return r;
	for (;;) {
		r = ctl_client_recv(c, deadline, &m);
		if (r == 0 && ctl_client_now_ms() >= deadline)
			return -ETIMEDOUT;
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		if (m->msg_case != SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_REPLY)
			continue;
		if (m->reply->id != rq->id && m->reply->id != 0)
			continue;
		r = ctl_client_status(c, m->reply->status);
		if (r < 0)
			return r;
		*ret = m->reply;
		return 0;
	}
}

/* ------------------------------------------------------------------ conversions */

static enum ctl_state ctl_client_state(Synack__V1__TcpState s)
{
	if (s < SYNACK__V1__TCP_STATE__TCP_STATE_CLOSED ||
	    s > SYNACK__V1__TCP_STATE__TCP_STATE_TIME_WAIT)
		return CTL_STATE_CLOSED;
	return (enum ctl_state)(s - 1);
}

static void ctl_client_endpoint(const Synack__V1__Endpoint *e, struct ctl_endpoint *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!e)
		return;
	if (e->addr.len == 4)
		ret->addr = (uint32_t)e->addr.data[0] << 24 | (uint32_t)e->addr.data[1] << 16 |
			    (uint32_t)e->addr.data[2] << 8 | e->addr.data[3];
	ret->port = (uint16_t)e->port;
}

static void ctl_client_copy(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static void ctl_client_conn(const Synack__V1__ConnEntry *e, struct ctl_conn *ret)
{
	/* ss counts cwnd in segments of the effective MSS (payload after options) */
	uint32_t mss = e->snd_mss ? e->snd_mss : e->mss ? e->mss : 1;

	memset(ret, 0, sizeof(*ret));
	ret->id = e->id;
	ret->state = ctl_client_state(e->state);
	ctl_client_endpoint(e->local, &ret->local);
	ctl_client_endpoint(e->remote, &ret->remote);
	ret->recv_q = e->recv_q;
	ret->send_q = e->send_q;
	ret->timer.kind = e->timer <= SYNACK__V1__TIMER_KIND__TIMER_DELACK
				  ? (enum ctl_timer_kind)e->timer
				  : CTL_TIMER_OFF;
	ret->timer.remaining_ms = e->timer_remaining_us / 1000;
	ret->timer.retransmits = e->timer_retransmits;
	ret->info.rtt_us = e->rtt_us;
	ret->info.rttvar_us = e->rttvar_us;
	ret->info.rto_us = e->rto_us;
	ret->info.cwnd = e->cwnd / mss; /* ss prints segments */
	/* "infinite" (no loss yet) stays infinite, which ss leaves out */
	ret->info.ssthresh = e->ssthresh >= 0x7fffffffu ? 0x7fffffffu : e->ssthresh / mss;
	ret->info.mss = e->snd_mss ? e->snd_mss : e->mss;
	ctl_client_copy(ret->info.congestion, sizeof(ret->info.congestion), e->congestion);
	ret->info.snd_wscale = (uint8_t)e->snd_wscale;
	ret->info.rcv_wscale = (uint8_t)e->rcv_wscale;
	ret->info.wscale_ok = e->wscale_ok;
	ret->info.ts_ok = e->ts_ok;
	ret->info.sack_ok = e->sack_ok;
	ret->info.bytes_acked = e->bytes_acked;
	ret->info.bytes_received = e->bytes_received;
	ret->info.retrans = e->retrans;
	ret->info.sndbuf = e->sndbuf;
	ret->info.rcvbuf = e->rcvbuf;
	ret->info.rcv_rtt_us = e->rcv_rtt_us;
	ret->info.rcv_space = e->rcv_space;
	ret->owner.known = e->owner_known;
	ret->owner.pid = e->owner_pid;
	ret->owner.uid = e->owner_uid;
	ctl_client_copy(ret->owner.name, sizeof(ret->owner.name), e->owner_name);
	ret->closed = e->closed;
	ret->closed_ago_ms = e->closed_ago_us / 1000;
}

static void ctl_client_trace_entry(const Synack__V1__TraceEntry *e, struct ctl_trace_entry *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->time_us = e->time_us;
	if (e->is_state) {
		ret->kind = CTL_TRACE_STATE;
		ret->state.from = ctl_client_state(e->from);
		ret->state.to = ctl_client_state(e->to);
		ctl_client_copy(ret->state.cause, sizeof(ret->state.cause), e->cause);
		return;
	}
	ret->kind = CTL_TRACE_SEGMENT;
	ret->seg.dir = e->dir == SYNACK__V1__TRACE_DIR__TRACE_DIR_OUT ? CTL_DIR_OUT : CTL_DIR_IN;
	ret->seg.flags = (uint8_t)e->flags;
	ret->seg.seq = e->seq;
	ret->seg.ack = e->ack;
	ret->seg.wnd = e->wnd;
	ret->seg.len = e->len;
}

static void ctl_client_event(const Synack__V1__StateChange *s, struct ctl_event *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->time_us = s->time_us;
	ret->realtime_us = s->realtime_us;
	ret->conn_id = s->conn;
	ctl_client_endpoint(s->local, &ret->local);
	ctl_client_endpoint(s->remote, &ret->remote);
	ret->from = ctl_client_state(s->from);
	ret->to = ctl_client_state(s->to);
	ctl_client_copy(ret->cause, sizeof(ret->cause), s->cause);
	ret->seg_flags = (uint8_t)s->seg_flags;
	ret->seg_seq = s->seg_seq;
	ret->seg_ack = s->seg_ack;
}

static void ctl_client_tunable(const Synack__V1__Tunable *t, struct ctl_tunable *ret)
{
	memset(ret, 0, sizeof(*ret));
	ctl_client_copy(ret->key, sizeof(ret->key), t->key);
	ret->unit = t->unit <= SYNACK__V1__TUNABLE_UNIT__TUNABLE_NAME ? (enum ctl_unit)t->unit
								      : CTL_UNIT_COUNT;
	ret->value = t->value;
	ret->def = t->default_;
	ret->min = t->min;
	ret->max = t->max;
	ret->affects_existing = t->affects_existing;
	ctl_client_copy(ret->meaning, sizeof(ret->meaning), t->meaning);
}

/* ------------------------------------------------------------------ session */

static int ctl_client_connect(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	if (!path || strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	*ret_fd = fd;
	return 0;
}

int ctl_client_open(const char *path, struct ctl_client **ret)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__ControlHello h = SYNACK__V1__CONTROL_HELLO__INIT;
	Synack__V1__ControlReply *rp;
	struct ctl_client *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	frame_decoder_init(&c->dec, CTL_CLIENT_MAX_FRAME);
	r = ctl_client_connect(path, &c->fd);
	if (r < 0) {
		frame_decoder_deinit(&c->dec);
		free(c);
		return r;
	}
	h.version = PROTO_VERSION;
	h.client_name = "synackctl";
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_HELLO;
	rq.hello = &h;
	r = ctl_client_call(c, &rq, &rp);
	if (r < 0) {
		ctl_client_close(c);
		return r;
	}
	if (rp->body_case == SYNACK__V1__CONTROL_REPLY__BODY_HELLO) {
		c->features = rp->hello->features;
		ctl_client_copy(c->server_name, sizeof(c->server_name), rp->hello->server_name);
	}
	*ret = c;
	return 0;
}

void ctl_client_close(struct ctl_client *c)
{
	if (!c)
		return;
	ctl_client_release(c);
	frame_decoder_deinit(&c->dec);
	if (c->fd >= 0)
		close(c->fd);
	free(c->pending);
	free(c);
}

const char *ctl_client_error(const struct ctl_client *c)
{
	return c ? c->err : "";
}

/* A request without fields: op selects it, body is its empty message. */
static int ctl_client_simple(struct ctl_client *c, Synack__V1__ControlRequest__OpCase op,
			     Synack__V1__ControlReply **ret)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__ControlStatus st = SYNACK__V1__CONTROL_STATUS__INIT;
	Synack__V1__ControlPing ping = SYNACK__V1__CONTROL_PING__INIT;
	Synack__V1__Subscribe sub = SYNACK__V1__SUBSCRIBE__INIT;
	Synack__V1__Stats stats = SYNACK__V1__STATS__INIT;
	Synack__V1__Reload rl = SYNACK__V1__RELOAD__INIT;

	rq.op_case = op;
	switch (op) {
	case SYNACK__V1__CONTROL_REQUEST__OP_STATUS:
		rq.status = &st;
		break;
	case SYNACK__V1__CONTROL_REQUEST__OP_PING:
		rq.ping = &ping;
		break;
	case SYNACK__V1__CONTROL_REQUEST__OP_SUBSCRIBE:
		rq.subscribe = &sub;
		break;
	case SYNACK__V1__CONTROL_REQUEST__OP_STATS:
		rq.stats = &stats;
		break;
	case SYNACK__V1__CONTROL_REQUEST__OP_RELOAD:
		rq.reload = &rl;
		break;
	default:
		return -EINVAL;
	}
	return ctl_client_call(c, &rq, ret);
}

/* The reply must carry body; -EPROTO otherwise. */
static int ctl_client_body(const Synack__V1__ControlReply *rp, Synack__V1__ControlReply__BodyCase b)
{
	return rp->body_case == b ? 0 : -EPROTO;
}

int ctl_ping(struct ctl_client *c)
{
	Synack__V1__ControlReply *rp;

	return ctl_client_simple(c, SYNACK__V1__CONTROL_REQUEST__OP_PING, &rp);
}

static void ctl_client_impair_from_pb(const Synack__V1__Impair *m, struct config_impair *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->loss_ppm = m->loss_ppm;
	ret->duplicate_ppm = m->duplicate_ppm;
	ret->reorder_ppm = m->reorder_ppm;
	ret->corrupt_ppm = m->corrupt_ppm;
	ret->delay_us = m->delay_us;
	ret->seed = m->seed;
	ret->direction = m->direction <= CONFIG_IMPAIR_OUT ? (enum config_impair_dir)m->direction
							   : CONFIG_IMPAIR_BOTH;
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

int ctl_fetch_status(struct ctl_client *c, struct ctl_status *ret)
{
	Synack__V1__ControlReply *rp;
	const Synack__V1__StatusInfo *si;
	struct ctl_status s = { 0 };
	int r = ctl_client_simple(c, SYNACK__V1__CONTROL_REQUEST__OP_STATUS, &rp);

	if (r < 0 || (r = ctl_client_body(rp, SYNACK__V1__CONTROL_REPLY__BODY_STATUS_INFO)) < 0)
		return r;
	si = rp->status_info;
	ctl_client_copy(s.version, sizeof(s.version), si->version);
	s.uptime_us = si->uptime_us;
	ctl_client_copy(s.tap, sizeof(s.tap), si->tap);
	if (si->mac.len == 6)
		memcpy(s.mac, si->mac.data, 6);
	s.address = si->address;
	s.prefix_len = (uint8_t)si->prefix_len;
	s.mtu = si->mtu;
	s.offload = si->offload;
	for (size_t i = 0; i < si->n_conns_by_state && i < CTL_STATE_COUNT; i++)
		s.conns_by_state[i] = si->conns_by_state[i];
	s.clients = si->clients;
	s.impaired = si->impaired;
	if (si->impair)
		ctl_client_impair_from_pb(si->impair, &s.impair);
	*ret = s;
	return 0;
}

int ctl_fetch_conns(struct ctl_client *c, struct ctl_conn **ret, size_t *ret_n)
{
	return ctl_fetch_conns_closed(c, false, ret, ret_n);
}

int ctl_fetch_conns_closed(struct ctl_client *c, bool closed, struct ctl_conn **ret, size_t *ret_n)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__ListConns lc = SYNACK__V1__LIST_CONNS__INIT;
	Synack__V1__ControlReply *rp;
	struct ctl_conn *v;
	size_t n;
	int r;

	if (closed && !(c->features & SYNACK__V1__CONTROL_FEATURE__CONTROL_FEATURE_CLOSED_CONNS)) {
		/* it would ignore the field and list none: say so instead */
		snprintf(c->err, sizeof(c->err),
			 "%s keeps no record of closed connections (it is older than this "
			 "synackctl)",
			 c->server_name[0] ? c->server_name : "this synackd");
		return -EOPNOTSUPP;
	}
	lc.closed = closed;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_LIST_CONNS;
	rq.list_conns = &lc;
	r = ctl_client_call(c, &rq, &rp);

	if (r < 0 || (r = ctl_client_body(rp, SYNACK__V1__CONTROL_REPLY__BODY_CONNS)) < 0)
		return r;
	n = rp->conns->n_conns;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ctl_client_conn(rp->conns->conns[i], &v[i]);
	*ret = v;
	*ret_n = n;
	return (int)(n > INT32_MAX ? INT32_MAX : n);
}

int ctl_fetch_counters(struct ctl_client *c, struct ctl_counter **ret, size_t *ret_n)
{
	Synack__V1__ControlReply *rp;
	struct ctl_counter *v;
	size_t n;
	int r = ctl_client_simple(c, SYNACK__V1__CONTROL_REQUEST__OP_STATS, &rp);

	if (r < 0 || (r = ctl_client_body(rp, SYNACK__V1__CONTROL_REPLY__BODY_COUNTERS)) < 0)
		return r;
	n = rp->counters->n_counters;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const Synack__V1__Counter *k = rp->counters->counters[i];

		ctl_client_copy(v[i].name, sizeof(v[i].name), k->name);
		v[i].value = k->value;
		v[i].gauge = k->gauge;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int ctl_fetch_tunables(struct ctl_client *c, const char *key, struct ctl_tunable **ret,
		       size_t *ret_n)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__GetTunables g = SYNACK__V1__GET_TUNABLES__INIT;
	Synack__V1__ControlReply *rp;
	struct ctl_tunable *v;
	size_t n;
	int r;

	g.key = (char *)(key ? key : "");
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_GET_TUNABLES;
	rq.get_tunables = &g;
	r = ctl_client_call(c, &rq, &rp);
	if (r < 0 || (r = ctl_client_body(rp, SYNACK__V1__CONTROL_REPLY__BODY_TUNABLES)) < 0)
		return r;
	n = rp->tunables->n_tunables;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ctl_client_tunable(rp->tunables->tunables[i], &v[i]);
	*ret = v;
	*ret_n = n;
	return 0;
}

int ctl_set_tunable(struct ctl_client *c, const char *key, uint64_t value)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__SetTunable s = SYNACK__V1__SET_TUNABLE__INIT;
	Synack__V1__ControlReply *rp;

	s.key = (char *)key;
	s.value = value;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_SET_TUNABLE;
	rq.set_tunable = &s;
	return ctl_client_call(c, &rq, &rp);
}

/* Send Trace and convert the history in the reply. */
static int ctl_client_trace(struct ctl_client *c, uint64_t conn_id, bool follow,
			    struct ctl_trace_entry **ret, size_t *ret_n)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__Trace t = SYNACK__V1__TRACE__INIT;
	Synack__V1__ControlReply *rp;
	struct ctl_trace_entry *v;
	size_t n;
	int r;

	t.conn = conn_id;
	t.follow = follow;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_TRACE;
	rq.trace = &t;
	r = ctl_client_call(c, &rq, &rp);
	if (r < 0 || (r = ctl_client_body(rp, SYNACK__V1__CONTROL_REPLY__BODY_TRACE)) < 0)
		return r;
	n = rp->trace->n_entries;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ctl_client_trace_entry(rp->trace->entries[i], &v[i]);
	*ret = v;
	*ret_n = n;
	return 0;
}

int ctl_fetch_trace(struct ctl_client *c, uint64_t conn_id, struct ctl_trace_entry **ret,
		    size_t *ret_n)
{
	int r = ctl_client_trace(c, conn_id, false, ret, ret_n);

	if (r == 0) {
		c->last_trace_id = conn_id;
		c->last_trace_n = *ret_n;
	}
	return r;
}

int ctl_kill(struct ctl_client *c, uint64_t conn_id)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__Kill k = SYNACK__V1__KILL__INIT;
	Synack__V1__ControlReply *rp;

	k.conns = &conn_id;
	k.n_conns = 1;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_KILL;
	rq.kill = &k;
	return ctl_client_call(c, &rq, &rp);
}

static void ctl_client_reload_entry(const Synack__V1__ReloadValue *m, enum ctl_reloaded kind,
				    struct ctl_reload_entry *ret)
{
	ret->kind = kind;
	snprintf(ret->key, sizeof(ret->key), "%s", m->key ? m->key : "");
	snprintf(ret->before, sizeof(ret->before), "%s", m->before ? m->before : "");
	snprintf(ret->after, sizeof(ret->after), "%s", m->after ? m->after : "");
	snprintf(ret->file, sizeof(ret->file), "%s", m->file ? m->file : "");
	snprintf(ret->why, sizeof(ret->why), "%s", m->why ? m->why : "");
}

int ctl_reload(struct ctl_client *c, struct ctl_reload *ret)
{
	Synack__V1__ControlReply *rp;
	const Synack__V1__ReloadResult *rr;
	struct ctl_reload out = { 0 };
	int r = ctl_client_simple(c, SYNACK__V1__CONTROL_REQUEST__OP_RELOAD, &rp);

	if (r < 0)
		return r;
	if (rp->body_case != SYNACK__V1__CONTROL_REPLY__BODY_RELOAD) {
		*ret = out; /* an older synackd: applied, without saying what changed */
		return 0;
	}
	rr = rp->reload;
	out.reported = true;
	snprintf(out.file, sizeof(out.file), "%s", rr->file ? rr->file : "");
	out.v = calloc(rr->n_changed + rr->n_kept + rr->n_not_applied + 1, sizeof(*out.v));
	if (!out.v)
		return -ENOMEM;
	for (size_t i = 0; i < rr->n_changed; i++)
		ctl_client_reload_entry(rr->changed[i], CTL_RELOADED_CHANGED, &out.v[out.n++]);
	for (size_t i = 0; i < rr->n_kept; i++)
		ctl_client_reload_entry(rr->kept[i], CTL_RELOADED_KEPT, &out.v[out.n++]);
	for (size_t i = 0; i < rr->n_not_applied; i++)
		ctl_client_reload_entry(rr->not_applied[i], CTL_RELOADED_NOT_APPLIED,
					&out.v[out.n++]);
	*ret = out;
	return 0;
}

/* imp NULL: ask for the impairment in force; else set it. Either way *ret gets the reply's. */
static int ctl_client_impair(struct ctl_client *c, const struct ctl_impair *imp,
			     struct ctl_impair *ret)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__Impair im = SYNACK__V1__IMPAIR__INIT;
	Synack__V1__ControlReply *rp;
	int r;

	if (imp) {
		const struct config_impair *x = &imp->c;

		im.set = true;
		im.loss_ppm = x->loss_ppm;
		im.duplicate_ppm = x->duplicate_ppm;
		im.reorder_ppm = x->reorder_ppm;
		im.corrupt_ppm = x->corrupt_ppm;
		im.delay_us = x->delay_us;
		im.seed = x->seed;
		im.direction = (uint32_t)x->direction;
		im.ge_p_ppm = x->ge_p_ppm;
		im.ge_r_ppm = x->ge_r_ppm;
		im.ge_bad_loss_ppm = x->ge_bad_loss_ppm;
		im.ge_good_loss_ppm = x->ge_good_loss_ppm;
		im.duplicate_delay_us = x->duplicate_delay_us;
		im.reorder_frames = x->reorder_frames;
		im.reorder_time_us = x->reorder_time_us;
		im.jitter_us = x->jitter_us;
		im.rate_bps = x->rate_bps;
		im.match = x->match;
	}
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_IMPAIR;
	rq.impair = &im;
	r = ctl_client_call(c, &rq, &rp);
	if (r < 0 || (r = ctl_client_body(rp, SYNACK__V1__CONTROL_REPLY__BODY_IMPAIR)) < 0)
		return r;
	ctl_client_impair_from_pb(rp->impair, &ret->c);
	return 0;
}

int ctl_fetch_impair(struct ctl_client *c, struct ctl_impair *ret)
{
	return ctl_client_impair(c, NULL, ret);
}

int ctl_set_impair(struct ctl_client *c, struct ctl_impair *imp)
{
	return ctl_client_impair(c, imp, imp);
}

/* ------------------------------------------------------------------ streams */

/* The next event: 1 with *ret, 0 on timeout, -errno (-ENODATA: the daemon ended the stream). */
static int ctl_client_next_event(struct ctl_client *c, int timeout_ms,
				 Synack__V1__ControlEvent **ret)
{
	uint64_t deadline = timeout_ms < 0 ? 0 : ctl_client_now_ms() + (uint64_t)timeout_ms;
	Synack__V1__ControlServerMessage *m;
	int r;

	for (;;) {
		r = ctl_client_recv(c, deadline, &m);
		if (r <= 0) {
			if (r == 0 && deadline && ctl_client_now_ms() < deadline)
				continue; /* interrupted early: keep waiting */
			return r;
		}
		if (m->msg_case != SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_EVENT)
			continue;
		if (m->event->ev_case == SYNACK__V1__CONTROL_EVENT__EV_END) {
			const Synack__V1__StreamEnd *e = m->event->end;

			ctl_client_copy(c->err, sizeof(c->err),
					e->reason && e->reason->message ? e->reason->message : "");
			return -ENODATA;
		}
		*ret = m->event;
		return 1;
	}
}

int ctl_events_subscribe(struct ctl_client *c)
{
	Synack__V1__ControlReply *rp;

	return ctl_client_simple(c, SYNACK__V1__CONTROL_REQUEST__OP_SUBSCRIBE, &rp);
}

int ctl_events_next(struct ctl_client *c, struct ctl_event *ret, int timeout_ms)
{
	Synack__V1__ControlEvent *ev;
	int r;

	do {
		r = ctl_client_next_event(c, timeout_ms, &ev);
	} while (r == 1 && ev->ev_case != SYNACK__V1__CONTROL_EVENT__EV_STATE);
	if (r == 1)
		ctl_client_event(ev->state, ret);
	return r;
}

int ctl_trace_follow(struct ctl_client *c, uint64_t conn_id)
{
	struct ctl_trace_entry *v;
	size_t n, skip = c->last_trace_id == conn_id ? c->last_trace_n : 0;
	int r = ctl_client_trace(c, conn_id, true, &v, &n);

	if (r < 0)
		return r;
	/* what ctl_fetch_trace returned was drawn already; the rest comes first */
	free(c->pending);
	c->pending = v;
	c->npending = n;
	c->pending_at = skip < n ? skip : n;
	return 0;
}

int ctl_trace_next(struct ctl_client *c, struct ctl_trace_entry *ret, int timeout_ms)
{
	Synack__V1__ControlEvent *ev;
	int r;

	if (c->pending_at < c->npending) {
		*ret = c->pending[c->pending_at++];
		return 1;
	}
	do {
		r = ctl_client_next_event(c, timeout_ms, &ev);
	} while (r == 1 && ev->ev_case != SYNACK__V1__CONTROL_EVENT__EV_TRACE);
	if (r == 1)
		ctl_client_trace_entry(ev->trace, ret);
	return r;
}

int ctl_capture_start(struct ctl_client *c, const struct ctl_filter *filter, char *ifname,
		      size_t ifname_len)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__Capture cap = SYNACK__V1__CAPTURE__INIT;
	Synack__V1__ControlReply *rp;
	int r;

	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_CAPTURE;
	rq.capture = &cap;
	r = ctl_client_call(c, &rq, &rp);
	if (r < 0 || (r = ctl_client_body(rp, SYNACK__V1__CONTROL_REPLY__BODY_CAPTURE)) < 0)
		return r;
	if (ifname && ifname_len)
		ctl_client_copy(ifname, ifname_len, rp->capture->ifname);
	c->cap_dropped = 0;
	c->cap_filtered = filter && !filter_is_empty(filter);
	if (c->cap_filtered) {
		c->cap_filter = *filter;
		c->cap_filter.states = CTL_STATES_ALL; /* frames have no state */
	}
	return 0;
}

static uint32_t ctl_client_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Does an Ethernet/IPv4/TCP frame belong to a connection the filter matches? */
static bool ctl_client_frame_match(const struct ctl_client *c, const uint8_t *f, size_t len,
				   enum ctl_direction dir)
{
	struct ctl_conn conn = { .state = CTL_STATE_ESTABLISHED };
	struct ctl_endpoint src, dst;
	size_t ihl;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4)
		return false;
	ihl = (size_t)(f[14] & 0x0f) * 4;
	if (f[23] != 6 || ihl < 20 || len < 14 + ihl + 4)
		return false;
	src.addr = ctl_client_be32(f + 26);
	dst.addr = ctl_client_be32(f + 30);
	src.port = (uint16_t)(f[14 + ihl] << 8 | f[15 + ihl]);
	dst.port = (uint16_t)(f[16 + ihl] << 8 | f[17 + ihl]);
	conn.local = dir == CTL_DIR_OUT ? src : dst;
	conn.remote = dir == CTL_DIR_OUT ? dst : src;
	return filter_match(&c->cap_filter, &conn);
}

int ctl_capture_next(struct ctl_client *c, struct ctl_frame *ret, int timeout_ms)
{
	Synack__V1__ControlEvent *ev;
	const Synack__V1__CaptureFrame *f;
	int r;

	for (;;) {
		r = ctl_client_next_event(c, timeout_ms, &ev);
		if (r != 1)
			return r;
		if (ev->ev_case != SYNACK__V1__CONTROL_EVENT__EV_FRAME)
			continue;
		f = ev->frame;
		ret->realtime_us = f->realtime_us;
		ret->dir =
			f->dir == SYNACK__V1__TRACE_DIR__TRACE_DIR_OUT ? CTL_DIR_OUT : CTL_DIR_IN;
		ret->orig_len = f->orig_len;
		/* every frame's count, also a frame the filter leaves out: the
		 * caller sees the latest count with the next frame it gets */
		if (f->dropped > c->cap_dropped)
			c->cap_dropped = f->dropped;
		ret->dropped = c->cap_dropped;
		ret->len = (uint32_t)f->data.len;
		ret->data = f->data.data;
		if (!c->cap_filtered || ctl_client_frame_match(c, ret->data, ret->len, ret->dir))
			return 1;
	}
}

/* What a message read while stopping says about the drops; true at the StreamEnd. */
static bool ctl_capture_stop_saw(struct ctl_client *c, const Synack__V1__ControlEvent *ev)
{
	if (ev->ev_case == SYNACK__V1__CONTROL_EVENT__EV_FRAME &&
	    ev->frame->dropped > c->cap_dropped)
		c->cap_dropped = ev->frame->dropped;
	if (ev->ev_case != SYNACK__V1__CONTROL_EVENT__EV_END)
		return false;
	if (ev->end->dropped > c->cap_dropped)
		c->cap_dropped = ev->end->dropped;
	return true;
}

int ctl_capture_stop(struct ctl_client *c, uint64_t *ret_dropped,
		     const volatile sig_atomic_t *signals, sig_atomic_t seen)
{
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__CaptureStop stop = SYNACK__V1__CAPTURE_STOP__INIT;
	uint64_t deadline = ctl_client_now_ms() + CTL_CLIENT_REPLY_MS;
	Synack__V1__ControlServerMessage *m;
	sigset_t block, old;
	bool ended = false;
	int r;

	*ret_dropped = c->cap_dropped;
	if (!(c->features & SYNACK__V1__CONTROL_FEATURE__CONTROL_FEATURE_CAPTURE_STOP))
		return -ENOMSG; /* an older synackd: the latest frame's count is all there is */
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_CAPTURE_STOP;
	rq.capture_stop = &stop;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &old);
	c->wait_mask = &old;
	r = ctl_client_send(c, &rq);
	/* the frames queued before the StreamEnd are read, not written: the capture is over */
	while (r >= 0) {
		sigset_t pending;

		/* one held back (ppoll returns without letting it in when the
		 * socket is readable already) counts as well */
		sigpending(&pending);
		if ((signals && *signals > seen) || (signals && (sigismember(&pending, SIGINT) ||
								 sigismember(&pending, SIGTERM)))) {
			r = -EINTR; /* a signal meanwhile: the user will not wait */
			break;
		}
		r = ctl_client_recv(c, deadline, &m);
		if (r == 0 && ctl_client_now_ms() >= deadline)
			r = -ETIMEDOUT;
		if (r < 0)
			break;
		if (r == 0)
			continue;
		if (m->msg_case == SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_EVENT) {
			ended = ctl_capture_stop_saw(c, m->event) || ended;
			continue;
		}
		if (m->msg_case != SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_REPLY ||
		    (m->reply->id != rq.id && m->reply->id != 0))
			continue;
		r = ctl_client_status(c, m->reply->status);
		break;
	}
	c->wait_mask = NULL;
	sigprocmask(SIG_SETMASK, &old, NULL);
	*ret_dropped = c->cap_dropped;
	if (r < 0)
		return r;
	return ended ? 1 : 0;
}
