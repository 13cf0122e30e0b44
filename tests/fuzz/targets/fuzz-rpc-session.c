/* SPDX-License-Identifier: MIT */
/*
 * fuzz-rpc-session.c - libFuzzer target for synackd's RPC request handling:
 * the real server, sessions and handlers (daemon/rpc/rpc_server.c,
 * rpc_session.c, rpc_handlers.c, frame_pipe.c) on a libuv loop, their stack
 * wired in memory to a second stack playing the peer (it echoes what it
 * receives on port 7 and refuses port 9). Two clients talk to the server
 * over socketpairs, so every message goes through the real read, framing,
 * unpack, validation, handler and reply path.
 *
 * Input: records of one opcode byte and its arguments (cut short at the
 * end of the input); bit 7 of the opcode picks the client (0 or 1):
 *   op % 8 == 0  a frame of raw bytes: length (1), then the payload
 *   op % 8 == 1  Hello: version selector (1; >= 250 speaks another version)
 *   op % 8 == 2  a Request: kind (1), connection selector (1), value (4),
 *                extra (1). Selector < 16: one of this client's own ids;
 *                16..31: one of the other client's ids (must get EBADF);
 *                else the value itself as the id
 *   op % 8 == 3  time: 2 bytes, the stacks' clock moves n ms
 *   op % 8 == 4  the peer: kind (1), argument (1): connect to a port one of
 *                the clients listens on, send bytes, close, abort
 *   op % 8 == 5  the client starts or stops reading what the server sends
 *   op % 8 == 6  the client hangs up, or connects again
 *   op % 8 == 7  raw bytes on the socket, no framing: length (1), bytes
 *
 * Oracles besides the sanitizers: a request on the other client's
 * connection is answered EBADF; Data never exceeds the credit the client
 * granted; a session with no write in flight holds no queued bytes; the
 * per-uid connection count equals the sessions' own; every handle closes
 * and every byte the stacks allocated comes back at the end.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "frame.h"
#include "frame_pipe.h"
#include "log.h"
#include "net/net.h" /* net_arp_seed() */
#include "rpc_server.h"
#include "rpc_session.h"
#include "stack.h"
#include "synack.pb-c.h"

/*
 * The harness itself gets no coverage instrumentation: its bookkeeping (the
 * checks walk every session's 256 buckets after every round) would feed
 * libFuzzer features that say nothing about the server, and cost time.
 */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#endif

#define FR_A	   0x0a4d0002u /* the daemon's stack */
#define FR_B	   0x0a4d0001u /* the peer */
#define FR_OWNER   1u
#define FR_QUEUE   128
#define FR_IDS	   16
#define FR_BCONNS  16
#define FR_FRAME   2048
#define FR_PENDING 64

#define FR_CHECK(x)                       \
	do {                              \
		if (!(x))                 \
			__builtin_trap(); \
	} while (0)

struct fr_frame {
	uint16_t len;
	uint8_t b[FR_FRAME];
};

struct fr_queue {
	struct fr_frame f[FR_QUEUE];
	unsigned head, n;
};

/* What a client knows: ids it was given, the credit it granted each. */
struct fr_client {
	int fd;		  /* our end; -1 when hung up */
	uint32_t session; /* the server's id for it, 0 when refused or gone */
	bool reading, hello_ok, drained;
	uint64_t next_id;
	uint64_t ids[FR_IDS];
	uint64_t credit[FR_IDS]; /* bytes of Data still allowed */
	unsigned nids;
	struct frame_decoder dec;
	/* requests whose reply we check: foreign (EBADF) or carrying a credit */
	struct {
		uint64_t id;
		bool foreign;
		uint64_t credit;
	} pending[FR_PENDING];
	unsigned npending;
	/* listeners and the credit their accepted connections start with */
	uint64_t lis[FR_IDS], lis_credit[FR_IDS];
	uint16_t lis_port[FR_IDS];
	unsigned nlis;
};

struct fr {
	uv_loop_t loop; /* kept across inputs: fr_setup() resets from counts on */
	bool loop_ready;
	unsigned counts[4]; /* hello replies, replies, replies with status 0, events */
	unsigned data_bytes;
	struct stack *a, *b;
	size_t alloc_a, alloc_b;
	stack_time_us now;
	struct rpc_server *srv;
	struct fr_client cl[2];
	stack_sock blis, bconns[FR_BCONNS];
	unsigned nbconns;
	/* big and only read where written: fr_setup() resets what is above */
	struct fr_queue to_a, to_b;
	uint8_t buf[8192];
};

static struct fr *g;

/* ------------------------------------------------------------------ the stacks */

static void *fr_alloc(void *ctx, size_t size)
{
	*(size_t *)ctx += size;
	return malloc(size ? size : 1);
}

static void fr_free(void *ctx, void *ptr, size_t size)
{
	FR_CHECK(size <= *(size_t *)ctx);
	*(size_t *)ctx -= size;
	free(ptr);
}

static int fr_emit(void *ctx, const uint8_t *frame, size_t len, const struct stack_frame_meta *meta)
{
	struct fr_queue *q = ctx;
	struct fr_frame *f;

	if (q->n == FR_QUEUE || len > FR_FRAME)
		return -ENOBUFS; /* a full link drops, like a TAP would */
	f = &q->f[(q->head + q->n++) % FR_QUEUE];
	f->len = (uint16_t)len;
	memcpy(f->b, frame, len);
	return 0;
}

static struct stack *fr_stack(uint32_t addr, uint8_t mac_last, struct fr_queue *out, size_t *acct)
{
	struct stack_config cfg = { 0 };
	struct stack_env env = { 0 };
	struct stack *s = calloc(1, stack_size());

	cfg.mac[0] = 2, cfg.mac[5] = mac_last;
	cfg.addr = addr;
	cfg.prefix_len = 24;
	cfg.mtu = 1500;
	cfg.max_conns = 24;
	stack_tunables_defaults(&cfg.tun);
	cfg.tun.send_buffer = 16384;
	cfg.tun.recv_buffer = 16384;
	for (int i = 0; i < 16; i++)
		env.secret[i] = (uint8_t)(i + mac_last);
	env.seed = mac_last;
	env.sink.ctx = out;
	env.sink.emit = fr_emit;
	env.allocator.ctx = acct;
	env.allocator.alloc = fr_alloc;
	env.allocator.free = fr_free;
	FR_CHECK(s && stack_init(s, g->now, &cfg, &env) == 0);
	return s;
}

static unsigned fr_deliver(struct fr_queue *q, struct stack *to)
{
	unsigned n = q->n;

	/* only what is queued now: replies wait for the next round */
	for (unsigned k = n; k > 0; k--) {
		struct fr_frame *f = &q->f[q->head];

		q->head = (q->head + 1) % FR_QUEUE;
		q->n--;
		stack_input(to, g->now, f->b, f->len, NULL);
	}
	return n;
}

/* ------------------------------------------------------------------ the peer */

static void fr_peer_add(stack_sock s)
{
	if (g->nbconns < FR_BCONNS)
		g->bconns[g->nbconns++] = s;
	else
		stack_tcp_abort(g->b, g->now, s);
}

static void fr_peer_drop(stack_sock s)
{
	for (unsigned i = 0; i < g->nbconns; i++) {
		if (g->bconns[i] == s) {
			g->bconns[i] = g->bconns[--g->nbconns];
			return;
		}
	}
}

/* Echo what arrives, as far as the send buffer takes it. */
static void fr_peer_echo(stack_sock s)
{
	ssize_t n;

	while ((n = stack_tcp_recv(g->b, g->now, s, g->buf, sizeof(g->buf))) > 0)
		stack_tcp_send(g->b, g->now, s, g->buf, (size_t)n);
}

static void fr_peer_event(const struct stack_event *ev)
{
	stack_sock s;

	switch (ev->type) {
	case STACK_EV_ACCEPTABLE:
		while (stack_tcp_accept(g->b, g->now, ev->sock, 2, &s) == 0)
			fr_peer_add(s);
		break;
	case STACK_EV_READABLE:
		fr_peer_echo(ev->sock);
		break;
	case STACK_EV_PEER_CLOSED:
		fr_peer_echo(ev->sock);
		stack_tcp_close(g->b, g->now, ev->sock);
		fr_peer_drop(ev->sock);
		break;
	case STACK_EV_RESET:
	case STACK_EV_ERROR:
		stack_tcp_abort(g->b, g->now, ev->sock);
		fr_peer_drop(ev->sock);
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ the server's host */

static stack_time_us fr_now(void *ctx)
{
	return g->now;
}

static void fr_kick(void *ctx)
{
	/* fr_step() polls and dispatches after every record */
}

static void fr_clients_add(void *ctx, int delta)
{
}

/* ------------------------------------------------------------------ the clients */

static void fr_client_open(unsigned k)
{
	struct fr_client *c = &g->cl[k];
	struct rpc_session *ss;
	int sv[2], small = 4096;

	if (c->fd >= 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
		return;
	/* a small socket buffer: a client that does not read fills it fast */
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	ss = calloc(1, sizeof(*ss));
	FR_CHECK(ss && uv_pipe_init(&g->loop, &ss->pipe, 0) == 0);
	FR_CHECK(uv_pipe_open(&ss->pipe, sv[1]) == 0);
	memset(c->ids, 0, sizeof(c->ids));
	c->nids = c->nlis = c->npending = 0;
	c->hello_ok = false;
	c->fd = sv[0];
	c->session = 0;
	frame_decoder_init(&c->dec, FRAME_MAX_LIMIT);
	if (rpc_server_adopt(g->srv, ss) == 0)
		c->session = ss->id;
}

static void fr_client_close(unsigned k)
{
	struct fr_client *c = &g->cl[k];

	if (c->fd < 0)
		return;
	close(c->fd);
	c->fd = -1;
	c->session = 0;
	frame_decoder_deinit(&c->dec);
}

static void fr_write(struct fr_client *c, const uint8_t *b, size_t len)
{
	if (c->fd >= 0)
		/* a full socket drops it: the server is not reading */
		(void)!send(c->fd, b, len, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static void fr_send(struct fr_client *c, const ProtobufCMessage *m)
{
	uint8_t *b;
	size_t len;

	if (frame_pack(m, FRAME_MAX_LIMIT, &b, &len) == 0) {
		fr_write(c, b, len);
		free(b);
	}
}

static int fr_id_index(const struct fr_client *c, uint64_t id)
{
	for (unsigned i = 0; i < c->nids; i++)
		if (c->ids[i] == id)
			return (int)i;
	return -1;
}

static void fr_id_add(struct fr_client *c, uint64_t id, uint64_t credit)
{
	if (c->nids < FR_IDS && fr_id_index(c, id) < 0) {
		c->ids[c->nids] = id;
		c->credit[c->nids++] = credit;
	}
}

static void fr_reply(struct fr_client *c, const Synack__V1__Reply *rp)
{
	uint64_t credit = 0;
	bool found = false;

	for (unsigned i = 0; i < c->npending; i++) {
		if (c->pending[i].id != rp->id)
			continue;
		if (c->pending[i].foreign)
			FR_CHECK(rp->status && rp->status->code == EBADF);
		credit = c->pending[i].credit;
		c->pending[i] = c->pending[--c->npending];
		found = true;
		break;
	}
	if (!found || !rp->status || rp->status->code)
		return;
	if (rp->result_case == SYNACK__V1__REPLY__RESULT_CONNECT)
		fr_id_add(c, rp->connect->conn, credit);
	if (rp->result_case == SYNACK__V1__REPLY__RESULT_LISTEN && c->nlis < FR_IDS) {
		c->lis[c->nlis] = rp->listen->conn;
		c->lis_credit[c->nlis] = credit;
		c->lis_port[c->nlis++] = rp->listen->local ? (uint16_t)rp->listen->local->port : 0;
		fr_id_add(c, rp->listen->conn, 0);
	}
}

static void fr_event(struct fr_client *c, const Synack__V1__Event *ev)
{
	int i;

	if (ev->ev_case == SYNACK__V1__EVENT__EV_INCOMING && ev->incoming) {
		for (unsigned l = 0; l < c->nlis; l++)
			if (c->lis[l] == ev->conn)
				fr_id_add(c, ev->incoming->conn, c->lis_credit[l]);
		return;
	}
	if (ev->ev_case != SYNACK__V1__EVENT__EV_DATA || !ev->data)
		return;
	i = fr_id_index(c, ev->conn);
	if (i < 0)
		return; /* an id we could not record (table full) */
	/* the flow-control promise: never more than the credit granted */
	FR_CHECK(ev->data->data.len <= c->credit[i]);
	c->credit[i] -= ev->data->data.len;
}

static unsigned fr_client_read(unsigned k)
{
	struct fr_client *c = &g->cl[k];
	unsigned got = 0;
	ssize_t n;

	while (c->fd >= 0 && c->reading && (n = read(c->fd, g->buf, sizeof(g->buf))) > 0) {
		got += (unsigned)n;
		/* a short read emptied the socket: no read just to see EAGAIN */
		if ((size_t)n < sizeof(g->buf))
			c->drained = true;
		const uint8_t *in = g->buf, *f;
		size_t in_len = (size_t)n, flen;

		while (frame_decoder_next(&c->dec, &in, &in_len, &f, &flen) == 1) {
			Synack__V1__ServerMessage *m =
				synack__v1__server_message__unpack(NULL, flen, f);

			FR_CHECK(m); /* the server only sends what it can pack */
			if (m->msg_case == SYNACK__V1__SERVER_MESSAGE__MSG_HELLO) {
				c->hello_ok = m->hello->status && !m->hello->status->code;
				g->counts[0]++;
			} else if (m->msg_case == SYNACK__V1__SERVER_MESSAGE__MSG_REPLY) {
				g->counts[1]++;
				g->counts[2] += m->reply->status && !m->reply->status->code;
				fr_reply(c, m->reply);
			} else if (m->msg_case == SYNACK__V1__SERVER_MESSAGE__MSG_EVENT) {
				g->counts[3]++;
				if (m->event->ev_case == SYNACK__V1__EVENT__EV_DATA)
					g->data_bytes += (unsigned)m->event->data->data.len;
				fr_event(c, m->event);
			}
			synack__v1__server_message__free_unpacked(m, NULL);
		}
		if (c->drained) {
			c->drained = false;
			break;
		}
	}
	return got;
}

/* Read for both clients that have something: one poll() instead of two reads. */
static unsigned fr_clients_read(void)
{
	struct pollfd pf[2];
	unsigned got = 0;

	for (unsigned k = 0; k < 2; k++) {
		pf[k].fd = g->cl[k].reading ? g->cl[k].fd : -1; /* poll() skips fd < 0 */
		pf[k].events = POLLIN;
		pf[k].revents = 0;
	}
	if (poll(pf, 2, 0) <= 0)
		return 0;
	for (unsigned k = 0; k < 2; k++)
		if (pf[k].revents)
			got += fr_client_read(k);
	return got;
}

/* ------------------------------------------------------------------ checks */

static void fr_check(void)
{
	for (struct rpc_session *ss = g->srv->sessions; ss; ss = ss->next) {
		uint32_t n = 0, same = 0;

		if (!ss->nwrites)
			FR_CHECK(ss->buffered == 0);
		for (unsigned b = 0; b < RPC_CONN_BUCKETS; b++)
			for (struct rpc_conn *c = ss->conns[b]; c; c = c->next)
				n++;
		FR_CHECK(n == ss->nconns);
		if (!ss->u)
			continue;
		for (struct rpc_session *o = g->srv->sessions; o; o = o->next)
			if (o->u == ss->u)
				same += o->nconns;
		FR_CHECK(same == ss->u->conns);
	}
}

/*
 * Run everything until quiet (at least twice, at most 8 rounds): the loop,
 * the link both ways, the stacks, the events, the clients' reading.
 */
static void fr_step(void)
{
	unsigned busy = 1;

	for (int round = 0; round < 8 && (busy || round < 2); round++) {
		struct stack_event ev;

		uv_run(&g->loop, UV_RUN_NOWAIT);
		busy = fr_deliver(&g->to_b, g->b);
		busy += fr_deliver(&g->to_a, g->a);
		stack_poll(g->a, g->now);
		stack_poll(g->b, g->now);
		while (stack_event_pop(g->b, &ev)) {
			fr_peer_event(&ev);
			busy++;
		}
		while (stack_event_pop(g->a, &ev)) {
			if ((ev.owner >> 32) == FR_OWNER)
				rpc_server_event(g->srv, &ev, (uint32_t)ev.owner);
			busy++;
		}
		busy += fr_clients_read();
		fr_check();
	}
}

/* ------------------------------------------------------------------ the input */

static size_t fr_take(const uint8_t **p, size_t *n, void *dst, size_t want)
{
	size_t k = want < *n ? want : *n;

	memset(dst, 0, want);
	memcpy(dst, *p, k);
	*p += k;
	*n -= k;
	return k;
}

/* The id a request names, from the selector; *foreign when it is the other client's. */
static uint64_t fr_pick_id(unsigned k, uint8_t sel, uint32_t val, bool *foreign)
{
	const struct fr_client *own = &g->cl[k], *other = &g->cl[k ^ 1];

	*foreign = false;
	if (sel < 16)
		return own->nids ? own->ids[sel % own->nids] : 0;
	if (sel < 32 && other->nids) {
		uint64_t id = other->ids[sel % other->nids];

		/* ids are never reused (slot generations), but a table may be stale */
		*foreign = fr_id_index(own, id) < 0;
		return id;
	}
	return val;
}

static void fr_request(unsigned k, const uint8_t **p, size_t *n)
{
	struct fr_client *c = &g->cl[k];
	Synack__V1__ClientMessage cm = SYNACK__V1__CLIENT_MESSAGE__INIT;
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Connect co = SYNACK__V1__CONNECT__INIT;
	Synack__V1__Listen li = SYNACK__V1__LISTEN__INIT;
	Synack__V1__Send se = SYNACK__V1__SEND__INIT;
	Synack__V1__Credit cr = SYNACK__V1__CREDIT__INIT;
	Synack__V1__Shutdown sh = SYNACK__V1__SHUTDOWN__INIT;
	Synack__V1__Close cl = SYNACK__V1__CLOSE__INIT;
	Synack__V1__Abort ab = SYNACK__V1__ABORT__INIT;
	Synack__V1__SetOption so = SYNACK__V1__SET_OPTION__INIT;
	Synack__V1__GetOption go = SYNACK__V1__GET_OPTION__INIT;
	Synack__V1__Info in = SYNACK__V1__INFO__INIT;
	Synack__V1__Endpoint ep = SYNACK__V1__ENDPOINT__INIT;
	uint8_t kind, sel, extra, addr[16] = { 10, 77, 0, 1 };
	uint64_t credit = 0, id;
	uint32_t val;
	bool foreign;

	fr_take(p, n, &kind, 1);
	fr_take(p, n, &sel, 1);
	fr_take(p, n, &val, 4);
	fr_take(p, n, &extra, 1);
	id = fr_pick_id(k, sel, val, &foreign);
	rq.id = ++c->next_id;
	switch (kind % 10) {
	case 0: /* Connect to the peer: echo (7), closed (9), or any port */
		ep.addr.data = addr;
		ep.addr.len = extra & 0x80 ? (extra & 3) * 4 : 4; /* 0, 4, 8 or 12 bytes */
		ep.port = extra & 1 ? 7 : extra & 2 ? 9 : val >> 16;
		co.remote = extra & 0x40 ? NULL : &ep;
		co.initial_credit = credit = val & 0x8000 ? UINT64_MAX : val & 0xffff;
		co.timeout_ms = extra & 4 ? 1 : 0;
		rq.op_case = SYNACK__V1__REQUEST__OP_CONNECT;
		rq.connect = &co;
		break;
	case 1: /* Listen on a port (0: ephemeral) */
		ep.port = extra & 1 ? 0 : 8000 + (val & 7);
		li.local = &ep;
		li.backlog = extra >> 4;
		li.initial_credit = credit = val >> 8;
		rq.op_case = SYNACK__V1__REQUEST__OP_LISTEN;
		rq.listen = &li;
		break;
	case 2:
		se.conn = id;
		se.data.data = g->buf;
		se.data.len = val % 6000;
		memset(g->buf, 'x', se.data.len);
		rq.op_case = SYNACK__V1__REQUEST__OP_SEND;
		rq.send = &se;
		break;
	case 3:
		cr.conn = id;
		cr.bytes = extra & 1 ? UINT64_MAX - val : val;
		rq.op_case = SYNACK__V1__REQUEST__OP_CREDIT;
		rq.credit = &cr;
		if (!foreign && fr_id_index(c, id) >= 0) {
			uint64_t *have = &c->credit[fr_id_index(c, id)];

			*have = cr.bytes > UINT64_MAX - *have ? UINT64_MAX : *have + cr.bytes;
		}
		break;
	case 4:
		sh.conn = id;
		rq.op_case = SYNACK__V1__REQUEST__OP_SHUTDOWN;
		rq.shutdown = &sh;
		break;
	case 5:
		cl.conn = id;
		rq.op_case = SYNACK__V1__REQUEST__OP_CLOSE;
		rq.close = &cl;
		break;
	case 6:
		ab.conn = id;
		rq.op_case = SYNACK__V1__REQUEST__OP_ABORT;
		rq.abort = &ab;
		break;
	case 7: /* every option, and values across their ranges */
		so.conn = id;
		so.option = (Synack__V1__Option)(extra % 9);
		so.value = extra & 0x80 ? (uint64_t)val << 32 | val : val;
		rq.op_case = SYNACK__V1__REQUEST__OP_SET_OPTION;
		rq.set_option = &so;
		break;
	case 8:
		go.conn = id;
		go.option = (Synack__V1__Option)(extra % 9);
		rq.op_case = SYNACK__V1__REQUEST__OP_GET_OPTION;
		rq.get_option = &go;
		break;
	default:
		in.conn = id;
		rq.op_case = SYNACK__V1__REQUEST__OP_INFO;
		rq.info = &in;
		break;
	}
	/* Connect and Listen name no id: nothing is foreign about them */
	if (rq.op_case == SYNACK__V1__REQUEST__OP_CONNECT ||
	    rq.op_case == SYNACK__V1__REQUEST__OP_LISTEN)
		foreign = false;
	if (c->npending < FR_PENDING && (foreign || credit)) {
		c->pending[c->npending].id = rq.id;
		c->pending[c->npending].foreign = foreign && c->hello_ok;
		c->pending[c->npending++].credit = credit;
	} else if (c->npending < FR_PENDING) {
		c->pending[c->npending].id = rq.id;
		c->pending[c->npending].foreign = false;
		c->pending[c->npending++].credit = 0;
	}
	cm.msg_case = SYNACK__V1__CLIENT_MESSAGE__MSG_REQUEST;
	cm.request = &rq;
	fr_send(c, &cm.base);
}

static void fr_peer(const uint8_t **p, size_t *n)
{
	uint8_t kind, arg;
	stack_sock s;

	fr_take(p, n, &kind, 1);
	fr_take(p, n, &arg, 1);
	switch (kind % 4) {
	case 0: { /* connect to a port a client listens on */
		const struct fr_client *c = &g->cl[arg & 1];
		struct stack_endpoint to = { FR_A, c->nlis ? c->lis_port[arg % c->nlis] : 8000 };

		if (stack_tcp_connect(g->b, g->now, NULL, &to, 2, &s) == 0)
			fr_peer_add(s);
		break;
	}
	case 1: /* send on one of the peer's connections */
		if (g->nbconns) {
			memset(g->buf, 'p', 4096);
			stack_tcp_send(g->b, g->now, g->bconns[arg % g->nbconns], g->buf,
				       (size_t)arg * 16);
		}
		break;
	case 2:
		if (g->nbconns) {
			s = g->bconns[arg % g->nbconns];
			fr_peer_drop(s);
			stack_tcp_close(g->b, g->now, s);
		}
		break;
	default:
		if (g->nbconns) {
			s = g->bconns[arg % g->nbconns];
			fr_peer_drop(s);
			stack_tcp_abort(g->b, g->now, s);
		}
		break;
	}
}

static void fr_record(const uint8_t **p, size_t *n)
{
	uint8_t op, len;
	unsigned k;
	uint16_t ms;

	fr_take(p, n, &op, 1);
	k = op >> 7;
	switch (op % 8) {
	case 0: { /* a frame of raw bytes */
		uint8_t fb[4 + 255];

		fr_take(p, n, &len, 1);
		len = len ? len : 1;
		fb[0] = fb[1] = fb[2] = 0;
		fb[3] = len;
		fr_take(p, n, fb + 4, len);
		fr_write(&g->cl[k], fb, 4u + len);
		break;
	}
	case 1: {
		Synack__V1__ClientMessage cm = SYNACK__V1__CLIENT_MESSAGE__INIT;
		Synack__V1__Hello h = SYNACK__V1__HELLO__INIT;
		uint8_t v;

		fr_take(p, n, &v, 1);
		h.version = v >= 250 ? v : PROTO_VERSION;
		h.client_name = v & 1 ? "fuzz" : NULL;
		cm.msg_case = SYNACK__V1__CLIENT_MESSAGE__MSG_HELLO;
		cm.hello = &h;
		fr_send(&g->cl[k], &cm.base);
		break;
	}
	case 2:
		fr_request(k, p, n);
		break;
	case 3:
		fr_take(p, n, &ms, 2);
		g->now += (stack_time_us)ms * 1000;
		break;
	case 4:
		fr_peer(p, n);
		break;
	case 5:
		g->cl[k].reading = !g->cl[k].reading;
		break;
	case 6:
		if (g->cl[k].fd >= 0)
			fr_client_close(k);
		else
			fr_client_open(k);
		break;
	default: {
		uint8_t raw[255];

		fr_take(p, n, &len, 1);
		fr_take(p, n, raw, len);
		fr_write(&g->cl[k], raw, len);
		break;
	}
	}
}

/* ------------------------------------------------------------------ set-up and tear-down */

static void fr_setup(void)
{
	static const uint8_t mac_a[6] = { 2, 0, 0, 0, 0, 2 }, mac_b[6] = { 2, 0, 0, 0, 0, 1 };
	const struct rpc_host host = { .now = fr_now,
				       .kick = fr_kick,
				       .clients_add = fr_clients_add };
	struct rpc_limits lim = {
		.max_clients = 4,
		.conns_per_client = 6,
		.buffered_per_client = 64 * 1024,
		.max_frame = 16 * 1024,
		.clients_per_uid = 2,
		.conns_per_uid = 8,
		.hello_timeout_ms = 60000,
		.idle_timeout_ms = 0,
		.fd_buf_growth = 8 << 20, /* data sockets' ends may grow (rpc_fd_grow_to_app) */
	};
	struct stack_endpoint echo = { 0, 7 };

	/* everything but the loop, the frame slots and scratch buffer (half a megabyte) */
	memset(&g->counts, 0, offsetof(struct fr, to_a) - offsetof(struct fr, counts));
	g->to_a.head = g->to_a.n = g->to_b.head = g->to_b.n = 0;
	g->now = 1000000;
	if (!g->loop_ready) {
		/* one loop for the whole run: fr_teardown() leaves it with no handle */
		FR_CHECK(uv_loop_init(&g->loop) == 0);
		g->loop_ready = true;
	}
	g->a = fr_stack(FR_A, 2, &g->to_b, &g->alloc_a);
	g->b = fr_stack(FR_B, 1, &g->to_a, &g->alloc_b);
	net_arp_seed(g->a, g->now, FR_B, mac_b);
	net_arp_seed(g->b, g->now, FR_A, mac_a);
	FR_CHECK(stack_tcp_listen(g->b, g->now, &echo, 8, 1, &g->blis) == 0);
	g->srv = rpc_server_new(&host, &g->loop, g->a, FR_OWNER, &lim);
	FR_CHECK(g->srv);
	for (unsigned k = 0; k < 2; k++) {
		g->cl[k].fd = -1;
		g->cl[k].reading = true;
		fr_client_open(k);
	}
}

static void fr_count_handle(uv_handle_t *h, void *arg)
{
	(*(int *)arg)++; /* uv_walk() shows no handle of libuv's own */
}

static void fr_teardown(void)
{
	int i;

	for (unsigned k = 0; k < 2; k++)
		fr_client_close(k);
	rpc_server_delete(g->srv);
	/* every session closes its handles within a few turns of the loop */
	for (i = 0; i < 1000 && uv_run(&g->loop, UV_RUN_NOWAIT); i++)
		;
	i = 0;
	/* what uv_loop_close() would insist on, but the loop stays for the next input */
	uv_walk(&g->loop, fr_count_handle, &i);
	FR_CHECK(i == 0 && !uv_loop_alive(&g->loop));
	stack_deinit(g->a);
	stack_deinit(g->b);
	FR_CHECK(g->alloc_a == 0 && g->alloc_b == 0);
	free(g->a);
	free(g->b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fr state;
	unsigned records = 0;

	g = &state;
	signal(SIGPIPE, SIG_IGN); /* as synackd does: a hung-up client is an error, not a signal */
	log_set_level(LOG_ERR);
	fr_setup();
	fr_step();
	while (size > 0 && records++ < 200) {
		fr_record(&data, &size);
		fr_step();
	}
	/* FUZZ_RPC_VERBOSE=1: what an input reached, for writing seeds */
	if (getenv("FUZZ_RPC_VERBOSE"))
		fprintf(stderr, "%u hello replies, %u replies (%u ok), %u events, %u data bytes\n",
			g->counts[0], g->counts[1], g->counts[2], g->counts[3], g->data_bytes);
	fr_teardown();
	return 0;
}

#if defined(__clang__)
#pragma clang attribute pop
#endif
