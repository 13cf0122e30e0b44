/* SPDX-License-Identifier: MIT */
/*
 * ctl-world.c - synackd's control handlers in memory (see ctl-world.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "config.h"
#include "ctl-world.h"
#include "frame.h"
#include "log.h"
#include "stack_info.h"
#include "synack.pb-c.h"

static struct ctl_world *cw_of(struct ctl_host *h)
{
	return (struct ctl_world *)((char *)h - offsetof(struct ctl_world, host));
}

/* ------------------------------------------------------------------ the cores */

static void *cw_alloc(void *ctx, size_t size)
{
	struct cw_core *c = ctx;

	c->alloc_bytes += size;
	return malloc(size ? size : 1);
}

static void cw_free(void *ctx, void *ptr, size_t size)
{
	struct cw_core *c = ctx;

	CHECK(size <= c->alloc_bytes);
	c->alloc_bytes -= size;
	free(ptr);
}

static int cw_emit(void *ctx, const uint8_t *frame, size_t len, const struct stack_frame_meta *meta)
{
	struct cw_core *c = ctx;
	struct cw_queue *q = c->out;
	uint32_t i;

	if (q->n == CW_QUEUE || len > CW_FRAME)
		return 0; /* the wire drops it */
	i = (q->head + q->n++) % CW_QUEUE;
	memcpy(q->frame[i], frame, len);
	q->len[i] = (uint16_t)len;
	return 0;
}

static void cw_trace(void *ctx, const struct stack_trace *t)
{
	struct ctl_world *f = ctx;
	struct ctl_hist_entry e;
	uint64_t id;

	ctl_history_trace(&f->hist, f->us.s, t, &e, &id);
}

static void cw_core_init(struct ctl_world *f, struct cw_core *c, uint32_t addr, uint8_t mac_last,
			 struct cw_queue *out, bool traced)
{
	struct stack_config cfg = { 0 };
	struct stack_env env = { 0 };

	cfg.mac[0] = 2;
	cfg.mac[5] = mac_last;
	cfg.addr = addr;
	cfg.prefix_len = 24;
	cfg.mtu = 1500;
	cfg.max_conns = CW_MAX_CONNS;
	stack_tunables_defaults(&cfg.tun);
	cfg.tun.recv_buffer = 4096;
	cfg.tun.send_buffer = 4096;
	for (int i = 0; i < 16; i++)
		env.secret[i] = (uint8_t)(i + mac_last);
	env.seed = mac_last;
	env.sink.ctx = c;
	env.sink.emit = cw_emit;
	env.allocator.ctx = c;
	env.allocator.alloc = cw_alloc;
	env.allocator.free = cw_free;
	if (traced) {
		env.trace = cw_trace;
		env.trace_ctx = f;
	}
	c->out = out;
	c->s = calloc(1, stack_size());
	CHECK(c->s && stack_init(c->s, f->now, &cfg, &env) == 0);
}

/* Deliver queued frames both ways until the wire is quiet (bounded). */
static void cw_pump(struct ctl_world *f)
{
	for (int round = 0; round < 64 && (f->q[0].n || f->q[1].n); round++) {
		for (int d = 0; d < 2; d++) {
			struct cw_queue *q = &f->q[d];
			struct stack *to = d == 0 ? f->peer.s : f->us.s;
			uint32_t n = q->n;

			while (n--) {
				uint32_t i = q->head;

				q->head = (q->head + 1) % CW_QUEUE;
				q->n--;
				stack_input(to, f->now, q->frame[i], q->len[i], NULL);
			}
		}
	}
}

static int cw_owned_slot(struct ctl_world *f, stack_sock sock)
{
	for (int i = 0; i < (int)CW_OWNED; i++)
		if (f->owned[i] == sock && sock != STACK_SOCK_NONE)
			return i;
	return -1;
}

/* Events: what synackd's owners would do with them, kept small. */
static void cw_events(struct ctl_world *f)
{
	static uint8_t buf[4096];
	struct stack_event ev;

	for (int round = 0; round < 4; round++) {
		bool busy = false;

		while (stack_event_pop(f->us.s, &ev)) {
			int i = cw_owned_slot(f, ev.sock);

			if (ev.type == STACK_EV_READABLE)
				stack_tcp_recv(f->us.s, f->now, ev.sock, buf, sizeof(buf));
			if (ev.type == STACK_EV_CLOSED && i >= 0)
				f->owned[i] = STACK_SOCK_NONE;
			busy = true;
		}
		while (stack_event_pop(f->peer.s, &ev)) {
			busy = true;
			if (ev.type == STACK_EV_READABLE)
				stack_tcp_recv(f->peer.s, f->now, ev.sock, buf, sizeof(buf));
			if (ev.type == STACK_EV_CLOSED)
				for (int i = 0; i < (int)CW_PEER_SOCKS; i++)
					if (f->peer_socks[i] == ev.sock)
						f->peer_socks[i] = STACK_SOCK_NONE;
		}
		if (round && !busy && !f->q[0].n && !f->q[1].n)
			break; /* quiet: nothing more would happen at this time */
		stack_poll(f->us.s, f->now);
		stack_poll(f->peer.s, f->now);
		cw_pump(f);
	}
}

void ctl_world_act(struct ctl_world *f, uint8_t a)
{
	struct stack_endpoint us = { CW_US, (a & 8) ? 9 : 7 }, peer = { CW_PEER, 80 };
	stack_sock sock;
	int i = (a >> 4) % CW_OWNED;

	switch (a & 7) {
	case 0: /* the peer connects to echo or discard */
		if (f->peer_socks[i] == STACK_SOCK_NONE &&
		    stack_tcp_connect(f->peer.s, f->now, NULL, &us, 1, &sock) == 0)
			f->peer_socks[i] = sock;
		break;
	case 1: /* we accept, as an RPC client would */
		for (int l = 0; l < 2 && f->owned[i] == STACK_SOCK_NONE; l++)
			if (stack_tcp_accept(f->us.s, f->now, f->listeners[l], CW_OWNER(i),
					     &sock) == 0)
				f->owned[i] = sock;
		break;
	case 2: /* we close one of ours: it finishes as an orphan */
		if (f->owned[i] != STACK_SOCK_NONE &&
		    stack_tcp_close(f->us.s, f->now, f->owned[i]) == 0)
			f->owned[i] = STACK_SOCK_NONE;
		break;
	case 3: /* the peer closes, or sends a little first */
		if (f->peer_socks[i] != STACK_SOCK_NONE) {
			if (a & 8)
				stack_tcp_send(f->peer.s, f->now, f->peer_socks[i], "hello", 5);
			else
				stack_tcp_close(f->peer.s, f->now, f->peer_socks[i]);
		}
		break;
	case 4: /* we connect out (an RPC client's connect) */
		if (f->owned[i] == STACK_SOCK_NONE &&
		    stack_tcp_connect(f->us.s, f->now, NULL, &peer, CW_OWNER(i), &sock) == 0)
			f->owned[i] = sock;
		break;
	case 5: /* the peer accepts what reached its listener */
		while (stack_tcp_accept(f->peer.s, f->now, f->peer_listener, 2, &sock) == 0)
			;
		break;
	default: /* a burst: the peer opens connections in every free slot of its own */
		for (i = CW_OWNED; i < (int)CW_PEER_SOCKS; i++)
			if (f->peer_socks[i] == STACK_SOCK_NONE &&
			    stack_tcp_connect(f->peer.s, f->now, NULL, &us, 1, &sock) == 0)
				f->peer_socks[i] = sock;
		break;
	}
	cw_events(f);
}

/* ------------------------------------------------------------------ the host */

static void cw_print_reply(const Synack__V1__ControlReply *rp)
{
	size_t n = 0;

	if (rp->body_case == SYNACK__V1__CONTROL_REPLY__BODY_CONNS)
		n = rp->conns->n_conns;
	else if (rp->body_case == SYNACK__V1__CONTROL_REPLY__BODY_TRACE)
		n = rp->trace->n_entries;
	else if (rp->body_case == SYNACK__V1__CONTROL_REPLY__BODY_KILL)
		n = rp->kill->n_outcomes;
	fprintf(stderr, "reply %llu: status %u \"%s\", body %d (%zu items)\n",
		(unsigned long long)rp->id, rp->status->code, rp->status->message,
		(int)rp->body_case, n);
}

static int cw_send(struct ctl_client *cl, const Synack__V1__ControlServerMessage *m, bool stream)
{
	struct ctl_world *f = cw_of(cl->host);
	Synack__V1__ControlServerMessage *back;
	struct frame_alloc a;
	bool back_is_reply;
	uint8_t *buf;
	size_t len;
	int r;

	/* as frame_pipe_write: a message too large for a frame is refused, not sent */
	r = frame_pack(&m->base, f->frame_max, &buf, &len);
	if (r < 0)
		return r;
	frame_alloc_init(&a, 64u << 20);
	CHECK(frame_unpack(&synack__v1__control_server_message__descriptor, buf + FRAME_HEADER_SIZE,
			   len - FRAME_HEADER_SIZE, &a, (ProtobufCMessage **)&back) == 0);
	back_is_reply = back->msg_case == SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_REPLY;
	if (back_is_reply) {
		f->replies++;
		f->reply_id = back->reply->id;
		CHECK(back->reply->status != NULL);
		if (f->verbose)
			cw_print_reply(back->reply);
	}
	frame_unpacked_free(&back->base, &a);
	CHECK(a.used == 0);
	if (back_is_reply) {
		free(f->last);
		f->last = buf;
		f->last_len = len;
	} else {
		free(buf);
	}
	return 0;
}

static int cw_allowed(struct ctl_client *cl, bool admin, char *why, size_t len)
{
	struct ctl_world *f = cw_of(cl->host);

	if (f->who == CTL_WORLD_ROOT || (f->who == CTL_WORLD_READER && !admin))
		return 0;
	snprintf(why, len, "%s is refused to uid %u", admin ? "changing" : "reading",
		 (unsigned)cl->uid);
	return -EPERM;
}

static void cw_streams_changed(struct ctl_client *cl)
{
	cw_of(cl->host)->streams++;
}

static int cw_capture_timer(struct ctl_client *cl, uint64_t ms)
{
	cw_of(cl->host)->cap_ms = ms;
	return 0;
}

/* as the daemon does: the capture is over, its timer with it */
static void cw_capture_end(struct ctl_client *cl, const char *why)
{
	CHECK(cl->capturing && why && *why);
	cl->capturing = false;
	cw_of(cl->host)->cap_ms = 0;
	cw_of(cl->host)->streams++;
}

static stack_time_us cw_now(struct ctl_host *h)
{
	return cw_of(h)->now;
}

static void cw_kick(struct ctl_host *h)
{
	cw_events(cw_of(h));
}

static void cw_info(struct ctl_host *h, struct ctl_host_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	memcpy(ret->tap, "sk0", 4);
	ret->mac[0] = 2;
	ret->clients = 1;
	ret->started = 1000000;
	ret->rx_frames = cw_of(h)->now;
}

static int cw_owner_info(struct ctl_host *h, uint64_t owner, pid_t *ret_pid, uid_t *ret_uid,
			 const char **ret_name)
{
	if (owner < CW_OWNER(0) || owner >= CW_OWNER(CW_OWNED))
		return -ENOENT;
	*ret_pid = (pid_t)owner;
	*ret_uid = 1000;
	*ret_name = "fuzz-client";
	return 0;
}

static int cw_kill_owned(struct ctl_host *h, uint64_t owner, stack_sock sock)
{
	struct ctl_world *f = cw_of(h);
	int i = cw_owned_slot(f, sock);

	if (i < 0 || owner != CW_OWNER(i))
		return -ENOENT;
	f->owned[i] = STACK_SOCK_NONE; /* the client is told and lets go */
	return stack_tcp_abort(f->us.s, f->now, sock);
}

/* One entry of an applied reload's report, as daemon_apply() makes them. */
static void cw_report_add(struct ctl_reload_report *rep, enum ctl_reload_kind kind, const char *key,
			  const char *before, const char *after, const char *why)
{
	struct ctl_reload_value *v = &rep->v[rep->n++];

	v->kind = kind;
	v->key = key;
	snprintf(v->before, sizeof(v->before), "%s", before);
	snprintf(v->after, sizeof(v->after), "%s", after);
	snprintf(v->file, sizeof(v->file), "%s", kind == CTL_RELOAD_CHANGED ? after : "30s");
	snprintf(v->why, sizeof(v->why), "%s", why);
	rep->n_kind[kind]++;
}

/* As a reload of a file with mistakes (the errors the real parser gives), then one that
 * applies: a change, a runtime value kept and a key that needs a restart. */
static int cw_reload(struct ctl_host *h, struct config_errors *ret_errs,
		     struct ctl_reload_report *ret)
{
	static const char bad[] = "tcp:\n  msl: forever\n  nope: 1\nlimits:\n  max_conns: -3\n";
	struct synack_config cfg;

	if (cw_of(h)->reloads++ % 2) {
		snprintf(ret->file, sizeof(ret->file), "/etc/synack/synackd.yaml");
		cw_report_add(ret, CTL_RELOAD_CHANGED, "tcp.rto.min", "200ms", "300ms", "");
		cw_report_add(ret, CTL_RELOAD_KEPT, "tcp.msl", "10s", "10s", "");
		cw_report_add(ret, CTL_RELOAD_NOT_APPLIED, "interface.mtu", "1500", "1500",
			      "needs a restart");
		return 0;
	}
	memset(ret_errs, 0, sizeof(*ret_errs));
	snprintf(ret_errs->file, sizeof(ret_errs->file), "/etc/synack/synackd.yaml");
	CHECK(config_load_buffer(ret_errs->file, bad, sizeof(bad) - 1, &cfg, ret_errs) < 0);
	return -EINVAL;
}

static const struct ctl_host_ops cw_ops = {
	.send = cw_send,
	.allowed = cw_allowed,
	.streams_changed = cw_streams_changed,
	.capture_timer = cw_capture_timer,
	.capture_end = cw_capture_end,
	.now = cw_now,
	.kick = cw_kick,
	.info = cw_info,
	.owner_info = cw_owner_info,
	.kill_owned = cw_kill_owned,
	.reload = cw_reload,
};

/* ------------------------------------------------------------------ requests */

/* One request, as ctl_session_frame() takes it. */
int ctl_world_request(struct ctl_world *f, const uint8_t *p, size_t len)
{
	struct stack_tunables before = *stack_tunables_get(f->us.s);
	ProtobufCMessage *pm;
	struct frame_alloc a;
	uint64_t id;

	frame_alloc_init(&a, 2 * CTL_WORLD_MAX_REQ + 65536);
	if (frame_unpack(&synack__v1__control_request__descriptor, p, len, &a, &pm) < 0) {
		CHECK(a.used == 0);
		return -EBADMSG;
	}
	id = ((Synack__V1__ControlRequest *)pm)->id;
	f->replies = 0;
	f->host.requests++;
	ctl_handle_request(&f->cl, (Synack__V1__ControlRequest *)pm);
	frame_unpacked_free(pm, &a);
	CHECK(a.used == 0);
	if (f->who != CTL_WORLD_ROOT)
		CHECK(memcmp(&before, stack_tunables_get(f->us.s), sizeof(before)) == 0);
	cw_events(f);
	return f->replies == 1 && f->reply_id == id ? 0 : -EPROTO;
}

void ctl_world_step(struct ctl_world *f, stack_time_us dt)
{
	f->now += dt;
	cw_events(f);
}

void ctl_world_setup(struct ctl_world *f, enum ctl_world_who who)
{
	struct stack_endpoint echo = { 0, 7 }, discard = { 0, 9 }, web = { 0, 80 };
	static const uint8_t key[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };
	/* the handlers only read it (const): built once, not for every fuzz input */
	static struct synack_config cfg;
	static bool cfg_ready;

	if (!cfg_ready) {
		config_defaults(&cfg);
		cfg_ready = true;
	}
	f->now = 1000000;
	for (int i = 0; i < (int)CW_OWNED; i++)
		f->owned[i] = STACK_SOCK_NONE;
	for (int i = 0; i < (int)CW_PEER_SOCKS; i++)
		f->peer_socks[i] = STACK_SOCK_NONE;
	CHECK(ctl_history_init(&f->hist, key, 32, 8, 10000000, CW_MAX_CONNS + 4) == 0);
	cw_core_init(f, &f->us, CW_US, 2, &f->q[0], true);
	cw_core_init(f, &f->peer, CW_PEER, 1, &f->q[1], false);
	CHECK(stack_tcp_listen(f->us.s, f->now, &echo, 128, 1, &f->listeners[0]) == 0);
	CHECK(stack_tcp_listen(f->us.s, f->now, &discard, 128, 1, &f->listeners[1]) == 0);
	CHECK(stack_tcp_listen(f->peer.s, f->now, &web, 128, 1, &f->peer_listener) == 0);
	f->host.ops = &cw_ops;
	f->host.stack = f->us.s;
	f->host.hist = &f->hist;
	f->host.cfg = &cfg;
	f->cl.host = &f->host;
	f->who = who;
	f->cl.uid = f->who == CTL_WORLD_ROOT ? 0 : 65534;
	f->cl.pid = 4242;
	f->frame_max = FRAME_MAX_LIMIT;
	log_set_level(LOG_ERR); /* the handlers log what they change */
	f->verbose = getenv("FUZZ_CTL_VERBOSE") != NULL;
	/* two connections to start with: one accepted by a client, one in the queue */
	ctl_world_act(f, 0x00);
	ctl_world_act(f, 0x18);
	ctl_world_act(f, 0x01);
}

void ctl_world_teardown(struct ctl_world *f)
{
	stack_deinit(f->us.s);
	stack_deinit(f->peer.s);
	CHECK(f->us.alloc_bytes == 0 && f->peer.alloc_bytes == 0);
	free(f->us.s);
	free(f->peer.s);
	ctl_history_free(&f->hist);
	free(f->last);
}
