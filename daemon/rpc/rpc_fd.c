/* SPDX-License-Identifier: MIT */
/*
 * rpc_fd.c - the file descriptor data path (rpc_fd.h): a socketpair per
 * connection, bytes moved between the daemon's end and the connection's
 * rings in place, and the ends of stream mapped as a kernel socket maps
 * them (RFC 9293 §3.10.4 CLOSE, §3.10.7.4 for the FIN; RFC 2525 §2.17 for
 * a close with data unread). The peer's urgent byte goes out of band on the
 * socketpair (RFC 9293 §3.8.5 MUST-30/31: the application is told).
 *
 * Flow control stays end to end: bytes are read from the socketpair only
 * while the send ring has room (a client whose writes outrun TCP blocks on
 * its own socket), and written into it only as far as it takes them (a
 * client that stops reading leaves the bytes in the receive ring, whose
 * window then closes). Work per loop turn is batched and bounded
 * (RPC_FD_TURN_BYTES), so one fast connection cannot starve the others.
 * The daemon's ends are watched edge-triggered (fd_watch.h): once an edge
 * says so, an end is read for as much as FIONREAD counts (on to EOF or an
 * error after a hang-up, its own or its session's, or a Close), and asked
 * for again when the turn's share ends first; room to write is asked for
 * only while an end is full.
 *
 * Descriptors: a data socket holds two descriptors in synackd until the
 * client's end is written to the session, then one until the connection is
 * gone and the session's last frame about it is written (so the client sees
 * a Reset before the EOF it causes). They are bounded by RLIMIT_NOFILE (less
 * a reserve for the sessions and everything else) and, per session, by
 * twice limits.conns_per_client; a refusal is EMFILE, counted.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "rpc_fd.h"
#include "rpc_server.h"
#include "rpc_session.h"
#include "stack_info.h"
#include "sent_fds.h"

static void rpc_fd_poll_update(struct rpc_fd *f);
static void rpc_fd_free(struct fd_watch *w);

int rpc_fd_room(struct rpc_session *ss, bool takes_spare, char *msg, size_t len)
{
	struct rpc_server *srv = ss->srv;
	/* the spare's two are counted already: taking it costs the server none */
	uint32_t need = takes_spare && srv->spare ? 0 : 2;

	/* this session's ends closed this turn may only wait for their last frame
	 * to be written (the Closed event, the Close reply): write it now rather
	 * than refuse */
	if (srv->fds_held + need > srv->fd_max ||
	    ss->fds_held + 2 > 2 * (uint64_t)srv->limits.conns_per_client)
		rpc_session_fd_linger_flush(ss);
	if (srv->fds_held + need > srv->fd_max) {
		snprintf(msg, len,
			 "no file descriptor left for a data socket (%u held, at most %u under "
			 "RLIMIT_NOFILE)",
			 srv->fds_held, srv->fd_max);
		return -EMFILE;
	}
	if (ss->fds_held + 2 > 2 * (uint64_t)srv->limits.conns_per_client) {
		snprintf(msg, len,
			 "data sockets of this client not yet let go: %u descriptors "
			 "(2 x limits.conns_per_client)",
			 ss->fds_held);
		return -EMFILE;
	}
	return 0;
}

uint32_t rpc_fd_budget(uint32_t max_clients)
{
	struct rlimit rl;
	uint64_t keep = (uint64_t)max_clients + RPC_FD_RESERVE, lim;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	lim = rl.rlim_cur == RLIM_INFINITY ? UINT32_MAX : (uint64_t)rl.rlim_cur;
	if (lim > UINT32_MAX)
		lim = UINT32_MAX;
	return lim > keep ? (uint32_t)(lim - keep) : 0;
}

void rpc_fd_raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

void rpc_fd_held(struct rpc_server *srv, struct rpc_session *ss, int delta)
{
	srv->fds_held += delta;
	if (ss)
		ss->fds_held += delta;
}

static void rpc_fd_pass_closed(uv_handle_t *h)
{
	free(h->data);
}

void rpc_fd_pass_done(struct rpc_session *ss, struct rpc_fd_pass *p)
{
	if (!p)
		return;
	rpc_fd_held(p->srv, ss, -1);
	if (p->pipe_state != RPC_FD_PASS_OPEN)
		close(p->fd); /* ours, not the pipe's */
	if (p->pipe_state == RPC_FD_PASS_BARE) {
		free(p);
		return;
	}
	p->pipe.data = p;
	uv_close((uv_handle_t *)&p->pipe, rpc_fd_pass_closed);
}

int rpc_fd_pass_handle(struct rpc_fd_pass *p, uv_stream_t **ret)
{
	int r;

	if (p->pipe_state == RPC_FD_PASS_INIT)
		return UV_EBADF; /* opening it failed before */
	if (p->pipe_state == RPC_FD_PASS_BARE) {
		r = uv_pipe_init(p->srv->loop, &p->pipe, 0);
		if (r < 0)
			return r;
		p->pipe_state = RPC_FD_PASS_INIT;
		/* open, the pipe takes the descriptor: closing it is then the pipe's */
		r = uv_pipe_open(&p->pipe, p->fd);
		if (r < 0)
			return r;
		p->pipe_state = RPC_FD_PASS_OPEN;
	}
	*ret = (uv_stream_t *)&p->pipe;
	return 0;
}

static void rpc_fd_on_poll(struct fd_watch *w, int status, int events)
{
	struct rpc_fd *f = (struct rpc_fd *)((char *)w - offsetof(struct rpc_fd, watch));

	if (f->unwatched)
		return; /* done with: its events mean nothing now */
	/* an error (the client closed with data unread) shows in the next read or write */
	if (events & UV_WRITABLE || status < 0)
		f->out_full = false;
	if (events & UV_READABLE || status < 0)
		f->maybe_in = true;
	if (events & UV_DISCONNECT || status < 0)
		f->read_to_end = true;
	rpc_fd_pump(f);
	if (f->ss)
		rpc_server_kick(f->srv);
}

/* The bound on bytes in flight one way: a Unix stream socket charges them to
 * the writer's send buffer alone (unix(7): SO_RCVBUF has no effect there), so
 * one option per end. Failure only loses the bound's precision, never the
 * connection. */
static void rpc_fd_sockbuf(int fd, int v)
{
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
}

/* The same past net.core.wmem_max where synackd may (CAP_NET_ADMIN, as its
 * unit gives it): a grown end is what the receive buffer asked for. */
static void rpc_fd_sockbuf_force(int fd, int v)
{
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) < 0)
		rpc_fd_sockbuf(fd, v);
}

/* An end's SO_SNDBUF as Linux reports it (twice what was set, capped), 0 if unknown. */
static uint32_t rpc_fd_sockbuf_now(int fd)
{
	int v = 0;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) < 0 || v < 0)
		return 0;
	return (uint32_t)v;
}

/* How often a new end's SO_SNDBUF is read back from Linux rather than remembered. */
#define RPC_FD_START_BUF_EVERY_US 1000000

/* Whether Linux's default SO_SNDBUF for a new end (net.core.wmem_default,
 * 208 KiB unless changed) is kept: from what RPC_FD_SOCKBUF_TO_APP asks for to
 * what Linux makes of it (doubled), the bound the setting would give anyway. */
static bool rpc_fd_default_buf_fits(uint32_t v)
{
	return v >= RPC_FD_SOCKBUF_TO_APP && v <= 2 * RPC_FD_SOCKBUF_TO_APP;
}

/*
 * Give a new daemon's end its starting SO_SNDBUF: Linux's default where it
 * fits (no system call per end), else RPC_FD_SOCKBUF_TO_APP. What the end
 * starts with is the same for every end while the sysctls stay, so it is
 * read back once a second, not per end.
 */
static uint32_t rpc_fd_start_buf(struct rpc_server *srv, int fd)
{
	stack_time_us now = rpc_server_now(srv);

	if (srv->fd_buf_start == 0 || now - srv->fd_buf_start_at >= RPC_FD_START_BUF_EVERY_US) {
		uint32_t v = rpc_fd_sockbuf_now(fd);

		srv->fd_buf_set = !rpc_fd_default_buf_fits(v);
		if (srv->fd_buf_set) {
			rpc_fd_sockbuf(fd, RPC_FD_SOCKBUF_TO_APP);
			v = rpc_fd_sockbuf_now(fd);
		}
		srv->fd_buf_start = v;
		srv->fd_buf_start_at = now;
	} else if (srv->fd_buf_set) {
		rpc_fd_sockbuf(fd, RPC_FD_SOCKBUF_TO_APP);
	}
	return srv->fd_buf_start;
}

/* A byte the client sends with MSG_OOB comes inline on our end: sent to the
 * peer in order, unmarked (synack sends no urgent data), never lost. */
static void rpc_fd_oob_inline(int fd)
{
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
}

/* An AF_UNIX socketpair of type: ours in *ret_fd, the client's in *ret_pass;
 * ss may be NULL (a spare, counted by the server alone). */
static int rpc_fd_socketpair(struct rpc_server *srv, struct rpc_session *ss, int type, int *ret_fd,
			     struct rpc_fd_pass **ret_pass)
{
	struct rpc_fd_pass *p;
	int sv[2];

	/* non-blocking both: our end is polled, and the client's libsynack
	 * expects its end so (as uv_pipe_open() would make it) */
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return -errno;
	/* bytes (or accept records) only: a descriptor sent on it would be
	 * released by our reads, on the loop (sent_fds.h) */
	sent_fds_refuse(sv[0]);
	p = calloc(1, sizeof(*p));
	if (!p) {
		close(sv[0]);
		close(sv[1]);
		return -ENOMEM;
	}
	p->srv = srv;
	p->fd = sv[1];
	/* from here both descriptors are counted */
	rpc_fd_held(srv, ss, 2);
	*ret_fd = sv[0];
	*ret_pass = p;
	return 0;
}

int rpc_fd_pair_open(struct rpc_session *ss, int type, uv_poll_t *poll, int *ret_fd,
		     struct rpc_fd_pass **ret_pass)
{
	int r = rpc_fd_socketpair(ss->srv, ss, type, ret_fd, ret_pass);

	if (r < 0)
		return r;
	r = uv_poll_init(ss->srv->loop, poll, *ret_fd);
	if (r < 0) {
		close(*ret_fd);
		rpc_fd_held(ss->srv, ss, -1);
		rpc_fd_pass_done(ss, *ret_pass);
		*ret_pass = NULL;
	}
	return r;
}

/* A data socket with both ends set up, for no connection yet; ss may be NULL (a spare). */
static int rpc_fd_make(struct rpc_server *srv, struct rpc_session *ss, struct rpc_fd **ret,
		       struct rpc_fd_pass **ret_pass)
{
	struct rpc_fd *f = calloc(1, sizeof(*f));
	int r, app;

	if (!f)
		return -ENOMEM;
	r = rpc_fd_socketpair(srv, ss, SOCK_STREAM, &f->fd, ret_pass);
	if (r < 0) {
		free(f);
		return r;
	}
	fd_watch_init(&f->watch, f->fd, rpc_fd_on_poll);
	/* in the set from the start, off the path of the Connect that takes it;
	 * an end that cannot be watched would never be read: no data socket
	 * (ENOSPC: fs.epoll.max_user_watches) */
	r = fd_watch_update(srv->watch, &f->watch, UV_READABLE);
	if (r < 0) {
		close(f->fd);
		rpc_fd_held(srv, ss, -1);
		rpc_fd_pass_done(ss, *ret_pass);
		*ret_pass = NULL;
		free(f);
		return r;
	}
	app = rpc_fd_pass_fd(*ret_pass);
	f->to_app_buf = f->to_app_base = rpc_fd_start_buf(srv, f->fd);
	rpc_fd_sockbuf(app, RPC_FD_SOCKBUF_FROM_APP);
	rpc_fd_oob_inline(f->fd);
	f->srv = srv;
	*ret = f;
	return 0;
}

int rpc_fd_create(struct rpc_session *ss, stack_sock sock, struct rpc_fd **ret,
		  struct rpc_fd_pass **ret_pass)
{
	struct rpc_server *srv = ss->srv;
	struct rpc_fd *f;
	int r;

	if (srv->spare) {
		/* made ahead: its descriptors become the session's */
		f = srv->spare;
		*ret_pass = srv->spare_pass;
		srv->spare = NULL;
		srv->spare_pass = NULL;
		ss->fds_held += 2;
	} else {
		r = rpc_fd_make(srv, ss, &f, ret_pass);
		if (r < 0)
			return r;
	}
	f->ss = ss;
	f->sock = sock;
	srv->fd_conns++;
	srv->fd_buf_bytes += f->to_app_buf;
	*ret = f;
	return 0;
}

void rpc_fd_spare_make(struct rpc_server *srv)
{
	if (srv->spare || srv->stopping || srv->fds_held + 2 > srv->fd_max)
		return;
	if (rpc_fd_make(srv, NULL, &srv->spare, &srv->spare_pass) < 0)
		srv->spare = NULL; /* the next Connect makes its own, and says why if it fails */
}

void rpc_fd_spare_free(struct rpc_server *srv)
{
	struct rpc_fd *f = srv->spare;

	if (!f)
		return;
	rpc_fd_pass_done(NULL, srv->spare_pass);
	rpc_fd_held(srv, NULL, -1);
	fd_watch_release(srv->watch, &f->watch, rpc_fd_free);
	close(f->fd);
	srv->spare = NULL;
	srv->spare_pass = NULL;
}

int rpc_fd_pass_fd(const struct rpc_fd_pass *p)
{
	return p->fd;
}

/* Whether fd can be written without blocking now (poll's POLLOUT). */
static bool rpc_fd_sock_writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT);
}

/* The filler's unit, and the drain's: a quarter of a gated end's buffer in about four. */
#define RPC_FD_GATE_CHUNK (RPC_FD_SOCKBUF_GATED / 8)

void rpc_fd_detach(struct rpc_fd *f, const struct rpc_fd_pass *p)
{
	struct stat st;

	f->detached = true;
	if (fstat(rpc_fd_pass_fd(p), &st) == 0) {
		f->app_dev = (uint64_t)st.st_dev;
		f->app_ino = (uint64_t)st.st_ino;
	}
}

int rpc_fd_gate(struct rpc_fd *f, struct rpc_fd_pass *p)
{
	static char filler[RPC_FD_GATE_CHUNK]; /* zeros, in .bss */
	int app = rpc_fd_pass_fd(p);

	if (app < 0)
		return -EBADF;
	/* the filler is what the end holds while the handshake runs, perhaps for
	 * minutes: the smaller buffer, so that it is a quarter of that */
	rpc_fd_sockbuf(app, RPC_FD_SOCKBUF_GATED);
	/* a Unix stream socket is writable while under a quarter of its send
	 * buffer is in flight: a few chunks of filler are enough, bounded anyway */
	while (rpc_fd_sock_writable(app)) {
		ssize_t n = send(app, filler, sizeof(filler), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		f->gate += (uint32_t)n;
		if (f->gate > 4 * RPC_FD_SOCKBUF_GATED)
			return -ENOBUFS;
	}
	return 0;
}

void rpc_fd_ungate(struct rpc_fd *f)
{
	static char sink[RPC_FD_GATE_CHUNK]; /* one loop: never in use twice */

	while (f->gate > 0) {
		ssize_t n = recv(f->fd, sink, f->gate < sizeof(sink) ? f->gate : sizeof(sink),
				 MSG_DONTWAIT);

		if (n <= 0)
			break; /* the client closed its end already: the next read says so */
		f->gate -= (uint32_t)n;
	}
	f->gate = 0;
	f->maybe_in = true;
	rpc_fd_pump(f);
}

static void rpc_fd_free(struct fd_watch *w)
{
	free((char *)w - offsetof(struct rpc_fd, watch));
}

static void rpc_fd_timer_closed(uv_handle_t *h)
{
	free(h);
}

void rpc_fd_close(struct rpc_fd *f)
{
	struct rpc_server *srv = f->srv;

	if (f->hup_timer) {
		uv_timer_stop(f->hup_timer);
		uv_close((uv_handle_t *)f->hup_timer, rpc_fd_timer_closed);
		f->hup_timer = NULL;
	}

	srv->fd_conns--;
	srv->fd_buf_bytes -= f->to_app_buf;
	srv->fd_buf_grown -= f->to_app_buf - f->to_app_base;
	rpc_fd_held(srv, f->ss, -1);
	f->ss = NULL;
	/* freed after this turn: callbacks still running may hold f */
	fd_watch_release(srv->watch, &f->watch, rpc_fd_free);
	sent_fds_close(f->fd);
	f->fd = -1;
}

void rpc_fd_linger(struct rpc_fd *f)
{
	rpc_fd_unwatch(f);
	if (f->hup_timer)
		uv_timer_stop(f->hup_timer); /* nothing to look at: the connection is gone */
}

void rpc_fd_unwatch(struct rpc_fd *f)
{
	f->unwatched = true;
	fd_watch_update(f->srv->watch, &f->watch, 0); /* a wait for room, if any, goes */
}

/* The client is gone from its end while bytes were still to go: RST, as a kernel socket. */
static void rpc_fd_reset(struct rpc_fd *f)
{
	struct rpc_session *ss = f->ss;
	struct rpc_conn *c = rpc_session_conn_find(ss, f->sock);

	f->srv->ctr.fd_resets++;
	f->app_eof = f->fin_out = true;
	rpc_fd_unwatch(f);
	if (c)
		rpc_session_conn_release(ss, c, true);
}

/*
 * The daemon's end is full: unless the client set the connection's receive
 * buffer, let the end hold as much (a client that keeps up with a fast
 * sender has had it autotuned up), so that the client and the daemon wake
 * each other less often; within the server's budget for grown ends
 * (rpc_fd.h).
 */
static void rpc_fd_grow_to_app(struct rpc_fd *f)
{
	struct rpc_server *srv = f->srv;
	uint64_t rcvbuf, locked, want;
	uint32_t got;

	if (stack_tcp_getopt(srv->stack, f->sock, STACK_TCP_RCVBUF_LOCKED, &locked) < 0 || locked ||
	    stack_tcp_getopt(srv->stack, f->sock, STACK_TCP_RCVBUF, &rcvbuf) < 0)
		return;
	want = rcvbuf / 2 < RPC_FD_SOCKBUF_TO_APP_MAX ? rcvbuf / 2 : RPC_FD_SOCKBUF_TO_APP_MAX;
	if (want <= RPC_FD_SOCKBUF_TO_APP || 2 * want <= f->to_app_buf)
		return; /* no more than a new end is given, or as Linux counts it the end has that */
	if (srv->fd_buf_grown + (2 * want - f->to_app_buf) > srv->limits.fd_buf_growth) {
		srv->ctr.fd_bufs_capped++;
		return;
	}
	rpc_fd_sockbuf_force(f->fd, (int)want);
	got = rpc_fd_sockbuf_now(f->fd);
	if (got <= f->to_app_buf)
		return; /* capped at wmem_max without CAP_NET_ADMIN: nothing gained */
	srv->fd_buf_bytes += got - f->to_app_buf;
	srv->fd_buf_grown += got - f->to_app_buf;
	f->to_app_buf = got;
	srv->ctr.fd_bufs_grown++;
}

/* Receive ring -> socketpair. Returns false when the connection was reset. */
static bool rpc_fd_to_app(struct rpc_fd *f)
{
	struct rpc_server *srv = f->srv;
	size_t moved = 0;

	while (!f->out_full && !f->fin_out && moved < RPC_FD_TURN_BYTES) {
		struct stack_span sp[2];
		struct iovec iov[2];
		ssize_t n = stack_tcp_recv_peek(srv->stack, f->sock, sp), w;
		uint32_t mark;

		if (n < 0)
			return true; /* nothing yet; or the connection failed (an event says so) */
		if (n == 0) {
			/* the peer's FIN, after every byte: the client reads 0 */
			shutdown(f->fd, SHUT_WR);
			f->fin_out = true;
			return true;
		}
		if (!f->no_oob && stack_tcp_urgent_offset(srv->stack, f->sock, &mark) == 1 &&
		    mark < (uint32_t)n) {
			if (mark == 0) {
				/* the peer's urgent byte: out of band on the data socket, so
				 * the client sees POLLPRI and reads it with MSG_OOB (or inline
				 * with SO_OOBINLINE), as from a kernel TCP socket */
				w = send(f->fd, sp[0].base, 1,
					 MSG_OOB | MSG_DONTWAIT | MSG_NOSIGNAL);
				if (w < 0 && (errno == EOPNOTSUPP || errno == EINVAL)) {
					/* a kernel without AF_UNIX MSG_OOB (before 5.15, or not
					 * configured): urgent bytes go inline, unmarked */
					f->no_oob = true;
					continue;
				}
				if (w < 0 && errno != EAGAIN && errno != EINTR) {
					rpc_fd_reset(f);
					return false;
				}
				if (w < 0) {
					f->out_full = true;
					return true;
				}
				srv->ctr.urgent_marks++;
				stack_tcp_recv_consume(srv->stack, rpc_server_now(srv), f->sock, 1);
				moved++;
				continue;
			}
			n = mark; /* up to the urgent byte: it goes on its own */
			if (sp[0].len >= (size_t)n) {
				sp[0].len = (size_t)n;
				sp[1].len = 0;
			} else {
				sp[1].len = (size_t)n - sp[0].len;
			}
		}
		for (int i = 0; i < 2; i++)
			iov[i] = (struct iovec){ sp[i].base, sp[i].len };
		w = writev(f->fd, iov, sp[1].len ? 2 : 1);
		if (w < 0) {
			if (errno == EAGAIN || errno == EINTR) {
				f->out_full = true;
				rpc_fd_grow_to_app(f);
				return true;
			}
			/* EPIPE, ECONNRESET: the client closed its end, data keeps coming */
			rpc_fd_reset(f);
			return false;
		}
		stack_tcp_recv_consume(srv->stack, rpc_server_now(srv), f->sock, (size_t)w);
		moved += (size_t)w;
		if (w < n) {
			f->out_full = true;
			rpc_fd_grow_to_app(f);
		}
	}
	/*
	 * This turn's share is used up with bytes (or the end of stream) still to
	 * pass on, and no stack event may come to say so again: go on when the
	 * socket is writable, which is at once, on the loop's next turn.
	 */
	if (moved >= RPC_FD_TURN_BYTES && !f->fin_out)
		f->out_full = true;
	return true;
}

/* Whether the client's end is closed in every process that held it, not only shut. */
static bool rpc_fd_app_gone(const struct rpc_fd *f)
{
	struct pollfd pfd = { .fd = f->fd, .events = POLLIN };

	/* POLLHUP on our end: the client's end is released, or both sides are shut */
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP);
}

bool rpc_fd_client_gone(const struct rpc_fd *f)
{
	return f->close_pending || rpc_fd_app_gone(f);
}

static void rpc_fd_hup_check(uv_timer_t *t)
{
	struct rpc_fd *f = t->data;

	if (!f->ss || f->close_pending) {
		uv_timer_stop(t); /* the connection ends another way */
		return;
	}
	if (!rpc_fd_app_gone(f))
		return;
	uv_timer_stop(t);
	f->close_pending = true;
	rpc_fd_pump(f);
	rpc_server_kick(f->srv);
}

/*
 * A detached connection's client shut its end for writing and still holds
 * it. Nothing on the socket says when it lets go (POLLHUP needs a watch
 * that a half-closed socket would keep firing), so look now and then: a
 * kernel socket closed after a half-close becomes an orphan that ends.
 */
/* Run cb on f every ms (the one timer a data socket may have). False if none could be had. */
static bool rpc_fd_every(struct rpc_fd *f, uv_timer_cb cb, uint64_t ms)
{
	if (!f->hup_timer) {
		f->hup_timer = malloc(sizeof(*f->hup_timer));
		if (!f->hup_timer || uv_timer_init(f->srv->loop, f->hup_timer) < 0) {
			free(f->hup_timer);
			f->hup_timer = NULL;
			return false;
		}
		f->hup_timer->data = f;
	}
	uv_timer_start(f->hup_timer, cb, ms, ms);
	return true;
}

static void rpc_fd_watch_last_close(struct rpc_fd *f)
{
	/* without a timer the peer's FIN or a reset still ends it */
	rpc_fd_every(f, rpc_fd_hup_check, RPC_FD_HUP_CHECK_MS);
}

/* SO_LINGER's wait is over: our FIN is ACKed (or the connection is gone), or time is up. */
static bool rpc_fd_linger_over(struct rpc_fd *f)
{
	struct stack_tcp_info in;

	if (rpc_server_now(f->srv) >= f->linger_until ||
	    stack_tcp_info(f->srv->stack, f->sock, &in) < 0)
		return true;
	return strcmp(in.state_name, "FIN-WAIT-2") == 0 ||
	       strcmp(in.state_name, "TIME-WAIT") == 0 || strcmp(in.state_name, "CLOSED") == 0;
}

static void rpc_fd_linger_check(uv_timer_t *t)
{
	struct rpc_fd *f = t->data;

	if (!f->ss || !f->lingering || rpc_fd_linger_over(f)) {
		uv_timer_stop(t);
		f->linger_ms = 0; /* done waiting: the next pump lets it go */
		if (f->ss)
			rpc_fd_pump(f);
		rpc_server_kick(f->srv);
	}
}

/* The client shut its end for writing (or closed it): a FIN after what is queued. */
static void rpc_fd_app_eof(struct rpc_fd *f)
{
	struct rpc_server *srv = f->srv;

	f->app_eof = true;
	if (f->detached && rpc_fd_app_gone(f))
		f->close_pending = true; /* its last close: the connection's Close */
	else if (f->detached)
		rpc_fd_watch_last_close(f);
	if (f->close_pending && f->abort_on_close)
		return; /* SO_LINGER {1, 0}: no FIN, the release resets it (rpc_fd_pump) */
	stack_tcp_shutdown(srv->stack, rpc_server_now(srv), f->sock);
}

/*
 * Bytes the client has written into the socketpair and we have not read:
 * > 0 that many (1: at least one, when only the peek saw them), 0 end of
 * stream (the client shut its end), -EAGAIN none yet, another -errno when
 * its end was closed with bytes unread (ECONNRESET).
 */
static int rpc_fd_pending(struct rpc_fd *f)
{
	int inq = 0;
	char b;
	ssize_t r;

	/* FIONREAD first while an edge most likely brought bytes
	 * (rpc_fd_from_app reads what it says and stops); after a hang-up, the
	 * end of stream is likely: a peek first then, which tells bytes, "not
	 * yet", end of stream and an error apart in one call */
	if (!f->read_to_end && ioctl(f->fd, FIONREAD, &inq) == 0 && inq > 0)
		return inq;
	r = recv(f->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r <= 0)
		return r == 0 ? 0 : -errno;
	if (ioctl(f->fd, FIONREAD, &inq) == 0 && inq > 0)
		return inq;
	return 1;
}

/* Socketpair -> send ring. Returns false when the connection was reset. */
static bool rpc_fd_from_app(struct rpc_fd *f)
{
	struct rpc_server *srv = f->srv;
	size_t moved = 0;

	/* only where the poll said so, or reading resumed: a look at an empty
	 * socket costs two system calls per pump, and the poll watches it anyway */
	while (f->maybe_in && !f->app_eof && !f->send_full && !f->gate &&
	       moved < RPC_FD_TURN_BYTES) {
		stack_time_us now = rpc_server_now(srv);
		struct stack_span sp[2];
		struct iovec iov[2];
		ssize_t n, rd;
		int inq = rpc_fd_pending(f);
		size_t want;

		if (inq == -EAGAIN || inq == -EINTR) {
			f->maybe_in = inq == -EINTR;
			if (inq == -EINTR)
				fd_watch_rearm(srv->watch, &f->watch); /* not looked at: again */
			return true;
		}
		if (inq < 0) {
			/* ECONNRESET: the client closed its end with bytes unread (RFC 2525 §2.17) */
			rpc_fd_reset(f);
			return false;
		}
		if (inq == 0) {
			rpc_fd_app_eof(f);
			return true;
		}
		/* room for what the client wrote, no more: a reservation grows the
		 * send ring and is charged to the budget, and an idle connection
		 * must not hold a full ring (tcp_mem.c) */
		want = (size_t)inq < RPC_FD_TURN_BYTES - moved ? (size_t)inq
							       : RPC_FD_TURN_BYTES - moved;
		n = stack_tcp_send_reserve(srv->stack, now, f->sock, want, sp);

		if (n < 0) {
			/* the connection cannot send any more: stop reading from the client */
			f->send_full = true;
			return true;
		}
		if (n == 0) {
			f->send_full = true; /* STACK_EV_WRITABLE resumes */
			return true;
		}
		for (int i = 0; i < 2; i++)
			iov[i] = (struct iovec){ sp[i].base, sp[i].len };
		rd = readv(f->fd, iov, sp[1].len ? 2 : 1);
		if (rd > 0) {
			stack_tcp_send_commit(srv->stack, now, f->sock, (size_t)rd);
			moved += (size_t)rd;
			/* every byte counted is in: what comes after it raises a new
			 * edge (fd_watch.h), so a look now would find nothing, unless
			 * the end of stream came with the bytes (read_to_end: a hang-up
			 * seen, the session's, or a Close). Otherwise look again: a
			 * short read is not the end of the input (it stops at an
			 * urgent mark). */
			if (rd == inq && !f->read_to_end) {
				f->maybe_in = false;
				return true;
			}
			continue;
		}
		if (rd == 0) {
			rpc_fd_app_eof(f);
			return true;
		}
		if (errno == EINTR)
			fd_watch_rearm(srv->watch, &f->watch); /* not read: again */
		if (errno == EAGAIN)
			f->maybe_in = false; /* nothing after all: the next edge says when */
		if (errno == EAGAIN || errno == EINTR)
			return true;
		/* ECONNRESET: the client closed its end with bytes unread (RFC 2525 §2.17) */
		rpc_fd_reset(f);
		return false;
	}
	/* this turn's share is used up with input left: the edge that said so is
	 * spent, so ask for it again (edge-triggered, fd_watch.h) */
	if (f->maybe_in && moved >= RPC_FD_TURN_BYTES)
		fd_watch_rearm(srv->watch, &f->watch);
	return true;
}

static void rpc_fd_poll_update(struct rpc_fd *f)
{
	int want = 0;

	if (!f->app_eof && !f->send_full && !f->gate)
		want |= UV_READABLE;
	if (f->out_full && !f->fin_out)
		want |= UV_WRITABLE;
	/* no system call unless the wait for room changes; on failure (ENOMEM)
	 * the watch stays as it was (what it has registered still reports) and
	 * the next update asks again */
	fd_watch_update(f->srv->watch, &f->watch, want);
}

void rpc_fd_pump(struct rpc_fd *f)
{
	struct rpc_session *ss = f->ss;
	struct rpc_conn *c;

	if (!ss || !rpc_fd_to_app(f) || !rpc_fd_from_app(f))
		return;
	if (f->app_eof && (f->fin_out || f->close_pending)) {
		/* both ways finished, or closed and every byte the client wrote taken: the
		 * connection ends as a closed kernel socket's would (FIN, or RST if unread) */
		rpc_fd_unwatch(f);
		if (f->close_pending && f->linger_ms && !f->abort_on_close) {
			/* SO_LINGER with a timeout: held (and its Close unanswered) until
			 * the FIN is ACKed or the time is up, as close() blocks on Linux */
			if (!f->lingering) {
				f->lingering = true;
				f->linger_until = rpc_server_now(f->srv) + f->linger_ms * 1000ull;
			}
			if (!rpc_fd_linger_over(f) && rpc_fd_every(f, rpc_fd_linger_check, 20))
				return;
			if (f->hup_timer)
				uv_timer_stop(f->hup_timer); /* over: nothing more to look at */
		}
		c = rpc_session_conn_find(ss, f->sock);
		if (c && !c->releasing)
			rpc_session_conn_release(ss, c, f->close_pending && f->abort_on_close);
		return;
	}
	rpc_fd_poll_update(f);
}

void rpc_fd_drain(struct rpc_fd *f)
{
	f->send_full = false;
	f->maybe_in = true;
	/* the client may be gone with the hang-up of its end still unseen: look
	 * past its last bytes, as far as the send ring and the turn's share
	 * allow, for ECONNRESET (a RST, RFC 2525 §2.17) or EOF */
	f->read_to_end = true;
	if (f->ss)
		rpc_fd_from_app(f);
}

void rpc_fd_writable(struct rpc_fd *f)
{
	/* look now only if reading had stopped for want of room; otherwise the
	 * watch (fd_watch.h) says when something comes: a look at an empty
	 * socket costs two system calls, which every new connection paid at
	 * ESTABLISHED */
	if (f->send_full)
		f->maybe_in = true;
	f->send_full = false;
	rpc_fd_pump(f);
}
