/* SPDX-License-Identifier: MIT */
/*
 * client.c - libsynack's loop-agnostic core: the session socket, the Hello
 * exchange, queued requests matched to replies by id, and event dispatch
 * (to the program's event callback, or to the blocking API's buffers).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "status.h"
#include "synack_internal.h"

#define SYNACK_READ_CHUNK	 (64 * 1024)
#define SYNACK_READS_PER_PROCESS 64

static int synack_dispatch_frame(struct synack *s, const uint8_t *f, size_t len);

/* ------------------------------------------------------------------ output */

static void synack_watch_update(struct synack *s)
{
	bool want = synack_want_write(s);

	if (want == s->watching_out || !s->watch_cb)
		return;
	s->watching_out = want;
	s->watch_cb(s, want ? POLLIN | POLLOUT : POLLIN, s->watch_ud);
}

static int synack_out_append(struct synack *s, const uint8_t *buf, size_t len)
{
	if (s->out_off > 0 && s->out_off == s->out_len)
		s->out_off = s->out_len = 0;
	if (s->out_len + len > s->out_cap) {
		size_t cap = s->out_cap ? s->out_cap : 4096;
		uint8_t *n;

		if (s->out_off > 0) {
			memmove(s->out, s->out + s->out_off, s->out_len - s->out_off);
			s->out_len -= s->out_off;
			s->out_off = 0;
		}
		while (cap < s->out_len + len)
			cap *= 2;
		if (cap != s->out_cap) {
			n = realloc(s->out, cap);
			if (!n)
				return -ENOMEM;
			s->out = n;
			s->out_cap = cap;
		}
	}
	memcpy(s->out + s->out_len, buf, len);
	s->out_len += len;
	return 0;
}

/* Write what the socket takes now; -errno only when the session died. */
static int synack_flush(struct synack *s)
{
	while (s->out_off < s->out_len) {
		ssize_t n = send(s->fd, s->out + s->out_off, s->out_len - s->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			/* the daemon went away: one name for it, whichever side noticed */
			return errno == EPIPE ? -ECONNRESET : -errno;
		}
		s->out_off += (size_t)n;
	}
	return 0;
}

/*
 * A frame that carries a descriptor (SCM_RIGHTS on its first byte): what is
 * queued goes first, waiting for the socket at most a second, then the
 * frame's first part with the descriptor; the rest is queued as usual.
 */
static int synack_send_with_fd(struct synack *s, const uint8_t *buf, size_t len, int fd)
{
	union fdpass_ctl ctl;
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int r;

	for (int waited = 0; s->out_off < s->out_len; waited += 10) {
		struct pollfd p = { .fd = s->fd, .events = POLLOUT };

		r = synack_flush(s);
		if (r < 0)
			return r;
		if (s->out_off < s->out_len && (waited >= 1000 || poll(&p, 1, 10) < 0))
			return -EAGAIN;
	}
	fdpass_attach(&mh, &ctl, fd);
	do
		n = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE ? -ECONNRESET : -errno;
	return synack_out_append(s, buf + n, len - (size_t)n);
}

int synack_prove_next(struct synack *s, int fd)
{
	if (!s || fd < -1)
		return -EINVAL;
	if (fd >= 0 && !s->detached)
		return -ENOTSUP;
	s->proof_fd = fd;
	return 0;
}

static int synack_send_message(struct synack *s, const ProtobufCMessage *m)
{
	uint8_t *buf;
	size_t len;
	int r = frame_pack(m, s->max_frame, &buf, &len);

	if (r < 0)
		return r;
	r = synack_out_append(s, buf, len);
	free(buf);
	return r;
}

/* ------------------------------------------------------------------ requests */

static void synack_fail_all(struct synack *s, int err)
{
	struct synack_req *q;

	s->depth++;
	while ((q = s->req_head)) {
		s->req_head = q->next;
		if (!s->req_head)
			s->req_tail = NULL;
		if (q->cb)
			q->cb(s, err, NULL, q->userdata);
		free(q);
	}
	s->depth--;
}

static void synack_die(struct synack *s, int err)
{
	if (s->dead)
		return;
	s->dead = err;
	synack_fail_all(s, err);
}

void synack_session_fail(struct synack *s, int err)
{
	synack_die(s, err);
}

int synack_request_submit(struct synack *s, Synack__V1__Request *rq, synack_reply_cb cb,
			  void *userdata)
{
	Synack__V1__ClientMessage cm = SYNACK__V1__CLIENT_MESSAGE__INIT;
	struct synack_req *q;
	int proof = s->proof_fd, r;

	s->proof_fd = -1; /* this request's, whatever becomes of it */
	if (s->dead)
		return s->dead;
	q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	rq->id = q->id = ++s->next_id;
	cm.msg_case = SYNACK__V1__CLIENT_MESSAGE__MSG_REQUEST;
	cm.request = rq;
	if (proof >= 0) {
		uint8_t *buf;
		size_t len;

		rq->fd_proof = true;
		r = frame_pack(&cm.base, s->max_frame, &buf, &len);
		if (r == 0) {
			r = synack_send_with_fd(s, buf, len, proof);
			free(buf);
		}
	} else {
		r = synack_send_message(s, &cm.base);
	}
	if (r < 0) {
		free(q);
		return r;
	}
	q->cb = cb;
	q->userdata = userdata;
	if (s->req_tail)
		s->req_tail->next = q;
	else
		s->req_head = q;
	s->req_tail = q;
	r = synack_flush(s);
	if (r < 0)
		/* the request is queued: its callback will run with the error */
		synack_die(s, r);
	synack_watch_update(s);
	return 0;
}

static struct synack_req *synack_req_take(struct synack *s, uint64_t id)
{
	struct synack_req **pp, *q, *prev = NULL;

	for (pp = &s->req_head; (q = *pp); prev = q, pp = &q->next) {
		if (q->id != id)
			continue;
		*pp = q->next;
		if (s->req_tail == q)
			s->req_tail = prev;
		return q;
	}
	return NULL;
}

/* ------------------------------------------------------------------ endpoints */

void synack_endpoint_to_pb(const struct sockaddr_in *sin, Synack__V1__Endpoint *ep)
{
	if (sin->sin_addr.s_addr != htonl(INADDR_ANY)) {
		ep->addr.data = (uint8_t *)&sin->sin_addr.s_addr;
		ep->addr.len = 4;
	}
	ep->port = ntohs(sin->sin_port);
}

void synack_endpoint_from_pb(const Synack__V1__Endpoint *ep, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	if (!ep)
		return;
	if (ep->addr.len == 4)
		memcpy(&sin->sin_addr.s_addr, ep->addr.data, 4);
	sin->sin_port = htons((uint16_t)ep->port);
}

size_t synack_send_max(const struct synack *s)
{
	/* room for the envelope around the bytes */
	return s->max_frame > 256 ? s->max_frame - 256 : 1;
}

/* ------------------------------------------------------------------ connection states */

static unsigned synack_bucket(synack_conn id)
{
	return (unsigned)((id * 0x9e3779b97f4a7c15ull) >> 56) % SYNACK_CONN_BUCKETS;
}

struct synack_cstate *synack_cstate_find(struct synack *s, synack_conn id)
{
	struct synack_cstate *c;

	for (c = s->conns[synack_bucket(id)]; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

struct synack_cstate *synack_cstate_get(struct synack *s, synack_conn id)
{
	struct synack_cstate *c = synack_cstate_find(s, id);

	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = id;
	c->fd = -1;
	c->next = s->conns[synack_bucket(id)];
	s->conns[synack_bucket(id)] = c;
	return c;
}

static void synack_cstate_free(struct synack_cstate *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->rx);
	free(c->inq);
	free(c);
}

void synack_cstate_drop(struct synack *s, synack_conn id)
{
	struct synack_cstate **pp, *c;

	for (pp = &s->conns[synack_bucket(id)]; (c = *pp); pp = &c->next) {
		if (c->id == id) {
			*pp = c->next;
			synack_cstate_free(c);
			return;
		}
	}
}

/* ------------------------------------------------------------------ data sockets */

/* Keep a data socket that came with a frame until the frame is handled. */
static int synack_fdq_push(struct synack *s, int fd)
{
	if (s->fdq_len == SYNACK_FDQ_MAX) {
		close(fd);
		return -EPROTO;
	}
	s->fdq[(s->fdq_head + s->fdq_len) % SYNACK_FDQ_MAX] = fd;
	s->fdq_len++;
	return 0;
}

int synack_fdq_pop(struct synack *s)
{
	int fd;

	if (s->fdq_len == 0)
		return -EPROTO; /* the frame says a socket came with it: it did not */
	fd = s->fdq[s->fdq_head];
	s->fdq_head = (s->fdq_head + 1) % SYNACK_FDQ_MAX;
	s->fdq_len--;
	return fd;
}

int synack_conn_fd(struct synack *s, synack_conn conn)
{
	struct synack_cstate *c = synack_cstate_find(s, conn);

	if (!c)
		return -EBADF;
	return c->fd >= 0 ? c->fd : -ENOTSOCK;
}

/* ------------------------------------------------------------------ input */

static const char *synack_state_name(Synack__V1__TcpState st)
{
	static const char *const names[] = {
		"UNKNOWN",    "CLOSED",	    "LISTEN",	  "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED",
		"FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT",
	};

	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "UNKNOWN";
}

static void synack_info_from_pb(const Synack__V1__ConnInfo *ci, struct synack_info *in)
{
	memset(in, 0, sizeof(*in));
	in->state = synack_state_name(ci->state);
	synack_endpoint_from_pb(ci->local, &in->local);
	synack_endpoint_from_pb(ci->remote, &in->remote);
	in->snd_una = ci->snd_una;
	in->snd_nxt = ci->snd_nxt;
	in->snd_wnd = ci->snd_wnd;
	in->rcv_nxt = ci->rcv_nxt;
	in->rcv_wnd = ci->rcv_wnd;
	in->mss = ci->mss;
	in->cwnd = ci->cwnd;
	in->ssthresh = ci->ssthresh;
	in->srtt_us = ci->srtt_us;
	in->rttvar_us = ci->rttvar_us;
	in->rto_us = ci->rto_us;
	in->bytes_sent = ci->bytes_sent;
	in->bytes_received = ci->bytes_received;
	in->retransmits = ci->retransmits;
	in->credit = ci->credit;
	in->unsent = ci->unsent;
	in->snd_mss = ci->snd_mss;
	in->rcv_mss = ci->rcv_mss;
	in->retrans_now = ci->retrans_now;
	in->probes = ci->probes;
	in->backoff = ci->backoff;
	in->snd_wscale = (uint8_t)ci->snd_wscale;
	in->rcv_wscale = (uint8_t)ci->rcv_wscale;
	in->ts_ok = ci->options & 1;
	in->sack_ok = ci->options & 2;
	in->wscale_ok = ci->options & 4;
	in->soft_error = -(int)ci->soft_error;
}

static int synack_handle_reply(struct synack *s, const Synack__V1__Reply *rp)
{
	struct synack_req *q = synack_req_take(s, rp->id);
	struct synack_result res = { .fd = -1 };
	struct synack_info info;
	int status;

	if (!q)
		return -EPROTO; /* a reply to nothing we asked */
	status = rp->status ? status_code_to_errno(rp->status->code) : -EPROTO;
	switch (rp->result_case) {
	case SYNACK__V1__REPLY__RESULT_CONNECT:
		res.conn = rp->connect->conn;
		res.taken = rp->connect->taken;
		synack_endpoint_from_pb(rp->connect->local, &res.local);
		if (rp->connect->fd) {
			res.fd = synack_fdq_pop(s);
			if (res.fd < 0) {
				/* its data socket was lost: the connection is of no use */
				status = res.fd;
				synack_abort_async(s, res.conn, NULL, NULL);
			}
		}
		break;
	case SYNACK__V1__REPLY__RESULT_LISTEN:
		res.conn = rp->listen->conn;
		synack_endpoint_from_pb(rp->listen->local, &res.local);
		if (rp->listen->queue) {
			res.fd = synack_fdq_pop(s);
			if (res.fd < 0) {
				/* its accept socket was lost: the listener is of no use */
				status = res.fd;
				synack_close_async(s, res.conn, NULL, NULL);
			}
		}
		break;
	case SYNACK__V1__REPLY__RESULT_SEND:
		res.taken = rp->send->taken;
		break;
	case SYNACK__V1__REPLY__RESULT_OPTION:
		res.value = rp->option->value;
		res.name = rp->option->name && rp->option->name[0] ? rp->option->name : NULL;
		break;
	case SYNACK__V1__REPLY__RESULT_INFO:
		synack_info_from_pb(rp->info, &info);
		res.info = &info;
		break;
	default:
		break;
	}
	if (q->cb)
		q->cb(s, status, &res, q->userdata); /* a data socket is the callback's now */
	else if (res.fd >= 0)
		close(res.fd);
	free(q);
	return 0;
}

static int synack_event_from_pb(const Synack__V1__Event *e, struct synack_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->fd = -1;
	ev->conn = e->conn;
	ev->local.sin_family = ev->remote.sin_family = AF_INET;
	switch (e->ev_case) {
	case SYNACK__V1__EVENT__EV_ESTABLISHED:
		ev->type = SYNACK_EV_ESTABLISHED;
		synack_endpoint_from_pb(e->established->local, &ev->local);
		synack_endpoint_from_pb(e->established->remote, &ev->remote);
		return 0;
	case SYNACK__V1__EVENT__EV_INCOMING:
		ev->type = SYNACK_EV_INCOMING;
		ev->new_conn = e->incoming->conn;
		synack_endpoint_from_pb(e->incoming->local, &ev->local);
		synack_endpoint_from_pb(e->incoming->remote, &ev->remote);
		return ev->new_conn ? 0 : -EPROTO;
	case SYNACK__V1__EVENT__EV_DATA:
		ev->type = SYNACK_EV_DATA;
		ev->data = e->data->data.data;
		ev->len = e->data->data.len;
		return 0;
	case SYNACK__V1__EVENT__EV_WRITABLE:
		ev->type = SYNACK_EV_WRITABLE;
		return 0;
	case SYNACK__V1__EVENT__EV_PEER_CLOSED:
		ev->type = SYNACK_EV_PEER_CLOSED;
		return 0;
	case SYNACK__V1__EVENT__EV_RESET:
		ev->type = SYNACK_EV_RESET;
		ev->err = e->reset->reason ? status_code_to_errno(e->reset->reason->code) : 0;
		if (ev->err == 0)
			ev->err = -ECONNRESET;
		return 0;
	case SYNACK__V1__EVENT__EV_CLOSED:
		ev->type = SYNACK_EV_CLOSED;
		return 0;
	case SYNACK__V1__EVENT__EV_ERROR:
		ev->type = SYNACK_EV_ERROR;
		ev->err = e->error->reason ? status_code_to_errno(e->error->reason->code) : 0;
		if (ev->err == 0)
			ev->err = -EIO;
		return 0;
	case SYNACK__V1__EVENT__EV_URGENT:
		ev->type = SYNACK_EV_URGENT;
		ev->len = (size_t)e->urgent->offset;
		return 0;
	default:
		return 0; /* an event from a newer daemon: ignore it */
	}
}

static int synack_handle_event(struct synack *s, const Synack__V1__Event *e)
{
	struct synack_event ev;
	int r = synack_event_from_pb(e, &ev);

	if (r < 0 || e->ev_case == SYNACK__V1__EVENT__EV__NOT_SET)
		return r;
	if (ev.type == SYNACK_EV_INCOMING && e->incoming->fd) {
		ev.fd = synack_fdq_pop(s);
		if (ev.fd == -EMFILE) {
			/* its data socket was lost (RLIMIT_NOFILE): refuse this one */
			synack_abort_async(s, ev.new_conn, NULL, NULL);
			return 0;
		}
		if (ev.fd < 0)
			return ev.fd;
	}
	if (s->ev_cb)
		s->ev_cb(s, &ev, s->ev_ud);
	else
		synack_blocking_event(s, &ev);
	return 0;
}

static int synack_handle_hello(struct synack *s, const Synack__V1__HelloReply *h)
{
	int r;

	if (s->hello_done)
		return -EPROTO;
	r = h->status ? status_code_to_errno(h->status->code) : -EPROTO;
	if (r < 0)
		return r;
	if (h->version != SYNACK_PROTOCOL_VERSION)
		return -EPROTONOSUPPORT;
	s->hello_done = true;
	s->session = h->session;
	s->fd_data = (h->features & SYNACK__V1__FEATURE__FEATURE_FD_DATA) != 0;
	s->detached = (h->features & SYNACK__V1__FEATURE__FEATURE_DETACHED) != 0;
	s->connect_data = (h->features & SYNACK__V1__FEATURE__FEATURE_CONNECT_DATA) != 0;
	if (h->max_frame >= 1024 && h->max_frame < s->max_frame)
		s->max_frame = h->max_frame;
	return 0;
}

static int synack_dispatch_frame(struct synack *s, const uint8_t *f, size_t len)
{
	Synack__V1__ServerMessage *m;
	ProtobufCMessage *pm;
	struct frame_alloc a;
	int r;

	frame_alloc_init(&a, 2 * (size_t)s->max_frame + 65536);
	r = frame_unpack(&synack__v1__server_message__descriptor, f, len, &a, &pm);
	if (r < 0)
		return -EPROTO;
	m = (Synack__V1__ServerMessage *)pm;
	if (m->msg_case == SYNACK__V1__SERVER_MESSAGE__MSG_HELLO)
		r = synack_handle_hello(s, m->hello);
	else if (!s->hello_done)
		r = -EPROTO;
	else if (m->msg_case == SYNACK__V1__SERVER_MESSAGE__MSG_REPLY)
		r = synack_handle_reply(s, m->reply);
	else if (m->msg_case == SYNACK__V1__SERVER_MESSAGE__MSG_EVENT)
		r = synack_handle_event(s, m->event);
	frame_unpacked_free(pm, &a);
	return r;
}

/* Keep every descriptor that came with the bytes (SCM_RIGHTS), in order. */
struct synack_fd_taker {
	struct synack *s;
	int r;
};

static void synack_take_fd(void *ctx, int fd)
{
	struct synack_fd_taker *t = ctx;

	if (synack_fdq_push(t->s, fd) < 0)
		t->r = -EPROTO;
}

static int synack_take_fds(struct synack *s, struct msghdr *mh)
{
	struct synack_fd_taker t = { s, 0 };

	fdpass_each(mh, synack_take_fd, &t);
	return t.r;
}

/*
 * The kernel dropped a descriptor that came with these bytes (MSG_CTRUNC,
 * often with no control data at all: we are at RLIMIT_NOFILE). The daemon
 * sends one per message, so the frame that names it takes -EMFILE from the
 * queue in its place and the queue stays in step: no later frame can take
 * another connection's socket.
 */
static int synack_fd_lost(struct synack *s, const struct msghdr *mh)
{
	for (const struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm;
	     cm = CMSG_NXTHDR((struct msghdr *)mh, (struct cmsghdr *)cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len > CMSG_LEN(0))
			return -EPROTO; /* some came, some did not: not what the daemon sends */
	return synack_fdq_push(s, -EMFILE);
}

/* One read of the session, and every frame it completes handled: 1 if bytes
 * came, 0 if none (EAGAIN, EINTR), or -errno. */
static int synack_read_once(struct synack *s)
{
	uint8_t buf[SYNACK_READ_CHUNK];
	union {
		struct cmsghdr align;
		uint8_t space[CMSG_SPACE(8 * sizeof(int))];
	} cbuf;
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf.space,
			     .msg_controllen = sizeof(cbuf.space) };
	const uint8_t *in = buf, *f;
	size_t in_len, flen;
	ssize_t n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	int r;

	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -errno;
	if (mh.msg_controllen > 0 && synack_take_fds(s, &mh) < 0)
		return -EPROTO;
	if ((mh.msg_flags & MSG_CTRUNC) && synack_fd_lost(s, &mh) < 0)
		return -EPROTO;
	if (n == 0)
		return -ECONNRESET;
	in_len = (size_t)n;
	while ((r = frame_decoder_next(&s->dec, &in, &in_len, &f, &flen)) == 1) {
		r = synack_dispatch_frame(s, f, flen);
		if (r < 0 || s->free_pending || s->dead)
			return r < 0 ? r : 1;
	}
	return r < 0 ? -EPROTO : 1;
}

static void synack_destroy(struct synack *s);

int synack_process_until(struct synack *s, const bool *done)
{
	int r = 0;

	if (s->dead)
		return s->dead;
	s->depth++;
	for (int i = 0; i < SYNACK_READS_PER_PROCESS; i++) {
		r = synack_read_once(s);
		if (r <= 0 || s->free_pending || s->dead || (done && *done))
			break;
	}
	if (r >= 0 && !s->dead)
		r = synack_flush(s);
	if (r < 0)
		synack_die(s, r);
	s->depth--;
	if (s->free_pending && s->depth == 0) {
		synack_destroy(s);
		return -ECANCELED;
	}
	synack_watch_update(s);
	return s->dead ? s->dead : 0;
}

int synack_process(struct synack *s)
{
	return synack_process_until(s, NULL);
}

/* ------------------------------------------------------------------ session */

static int synack_socket_path(const char *path, struct sockaddr_un *sun)
{
	const char *p = path && *path ? path : getenv("SYNACK_SOCKET");

	if (!p || !*p)
		p = SYNACK_DEFAULT_SOCKET;
	if (strlen(p) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	strcpy(sun->sun_path, p);
	return 0;
}

static int synack_dial(const char *path)
{
	struct sockaddr_un sun;
	int fd, r = synack_socket_path(path, &sun);

	if (r < 0)
		return r;
	/* left blocking (no fcntl()): every read and write says MSG_DONTWAIT, so
	 * a program may make it non-blocking or not. The blocking calls wait in
	 * poll(), not in a read that waits: Linux wakes a waiting reader each time
	 * the daemon reads a request of ours (the write space it frees), and that
	 * wake-up and its IPI cost synackd more than poll()'s system call saves */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int64_t synack_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int synack_hello(struct synack *s, const char *name)
{
	Synack__V1__ClientMessage cm = SYNACK__V1__CLIENT_MESSAGE__INIT;
	Synack__V1__Hello h = SYNACK__V1__HELLO__INIT;
	int64_t deadline = synack_now_ms() + SYNACK_OPEN_TIMEOUT_MS;
	int r;

	h.version = SYNACK_PROTOCOL_VERSION;
	/* SYNACK_NO_FD_DATA=1: the Send/Data path for everything (to compare, or debug) */
	if (!getenv("SYNACK_NO_FD_DATA") || strcmp(getenv("SYNACK_NO_FD_DATA"), "1") != 0)
		h.features = SYNACK__V1__FEATURE__FEATURE_FD_DATA |
			     SYNACK__V1__FEATURE__FEATURE_DETACHED;
	h.features |= SYNACK__V1__FEATURE__FEATURE_CONNECT_DATA;
	h.client_name = (char *)(name ? name : "");
	cm.msg_case = SYNACK__V1__CLIENT_MESSAGE__MSG_HELLO;
	cm.hello = &h;
	r = synack_send_message(s, &cm.base);
	while (r >= 0 && !s->hello_done) {
		int64_t left = deadline - synack_now_ms();
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		int w = 0;

		if (s->out_off < s->out_len)
			p.events |= POLLOUT;
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return -errno;
		if (p.events & POLLOUT)
			w = synack_flush(s);
		/* a daemon that refuses us says why before hanging up: read that first */
		if (p.revents & (POLLIN | POLLHUP | POLLERR))
			r = synack_read_once(s);
		if (r >= 0 && w < 0)
			r = w;
	}
	return r < 0 ? r : 0;
}

int synack_open(const char *path, const char *name, struct synack **ret)
{
	struct synack *s;
	int r;

	if (!ret)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->max_frame = FRAME_MAX_DEFAULT;
	s->proof_fd = -1;
	frame_decoder_init(&s->dec, FRAME_MAX_LIMIT);
	s->fd = synack_dial(path);
	if (s->fd < 0) {
		r = s->fd;
		s->fd = -1;
		synack_destroy(s);
		return r;
	}
	r = synack_hello(s, name);
	if (r < 0) {
		synack_destroy(s);
		return r;
	}
	*ret = s;
	return 0;
}

static void synack_destroy(struct synack *s)
{
	if (s->uv_detach)
		s->uv_detach(s);
	synack_fail_all(s, -ECANCELED);
	for (unsigned i = 0; i < SYNACK_CONN_BUCKETS; i++) {
		struct synack_cstate *c, *n;

		for (c = s->conns[i]; c; c = n) {
			n = c->next;
			synack_cstate_free(c);
		}
	}
	if (s->fd >= 0)
		close(s->fd);
	while (s->fdq_len > 0) {
		int fd = synack_fdq_pop(s);

		if (fd >= 0) /* not a lost one's place (synack_fd_lost) */
			close(fd);
	}
	frame_decoder_deinit(&s->dec);
	free(s->out);
	free(s);
}

void synack_free(struct synack *s)
{
	if (!s)
		return;
	if (s->depth > 0) {
		s->free_pending = true;
		return;
	}
	synack_destroy(s);
}

uint64_t synack_session_id(const struct synack *s)
{
	return s->session;
}

int synack_fd(const struct synack *s)
{
	return s->fd;
}

bool synack_want_write(const struct synack *s)
{
	return !s->dead && s->out_off < s->out_len;
}

void synack_set_watch_cb(struct synack *s, synack_watch_cb cb, void *userdata)
{
	s->watch_cb = cb;
	s->watch_ud = userdata;
	s->watching_out = false;
	if (cb)
		cb(s, synack_want_write(s) ? POLLIN | POLLOUT : POLLIN, userdata);
	s->watching_out = synack_want_write(s);
}

void synack_set_event_cb(struct synack *s, synack_event_cb cb, void *userdata)
{
	s->ev_cb = cb;
	s->ev_ud = userdata;
}
