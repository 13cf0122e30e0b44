/* SPDX-License-Identifier: MIT */
/*
 * sockets.c - the interposed socket calls of libsynack-preload (preload.h).
 *
 * socket(AF_INET, SOCK_STREAM) gives a placeholder (an unconnected Unix
 * socket) and records what the program asks of it. connect() asks synackd
 * for a detached connection and puts its data socket in the placeholder's
 * place (dup3), before returning, so the descriptor the program polls is
 * final: it turns writable when the handshake completes (EINPROGRESS, then
 * SO_ERROR, as a kernel socket). listen() puts the listener's accept socket
 * there; accept() takes a record from it. bind() records the address; an
 * address on 127.0.0.0/8 sends the socket to the kernel instead (synack has
 * no loopback). Every other descriptor passes straight to libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"

/* ------------------------------------------------------------------ helpers */

struct pl_reply {
	bool done;
	int status;
	synack_conn conn;
	int fd;
	struct sockaddr_in local;
	struct pl_sock *connecting; /* a connect's socket: waits for its event from now */
};

static void pl_reply_cb(struct synack *ss, int status, const struct synack_result *res, void *ud)
{
	struct pl_reply *r = ud;

	(void)ss;
	r->done = true;
	r->status = status;
	if (status == 0 && res) {
		r->conn = res->conn;
		r->fd = res->fd;
		r->local = res->local;
		if (r->connecting) {
			/* before the frames after this reply: its event may be among them */
			r->connecting->conn = res->conn;
			r->connecting->told = false;
			pl_pending_add(r->connecting);
		}
	} else if (res && res->fd >= 0) {
		close(res->fd);
	}
}

/* Socket-level options set on the placeholder itself (setsockopt's default
 * case), which the socket put in its place must keep. */
static void pl_copy_sockopts(int from, int to)
{
	static const int names[] = { SO_RCVTIMEO, SO_SNDTIMEO, SO_RCVLOWAT,
				     SO_SNDLOWAT, SO_PRIORITY, SO_OOBINLINE };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char v[sizeof(struct timeval)];
		socklen_t len = sizeof(v);

		if (pl_real.getsockopt(from, SOL_SOCKET, names[i], v, &len) == 0)
			pl_real.setsockopt(to, SOL_SOCKET, names[i], v, len);
	}
}

/* Put newfd where fd is (same number, its close-on-exec flag and socket-level
 * options kept), in s's mode. */
static int pl_place(int fd, int newfd, struct pl_sock *s)
{
	int cloexec = pl_real.fcntl(fd, F_GETFD) & FD_CLOEXEC;
	int fl = pl_real.fcntl(newfd, F_GETFL);

	pl_copy_sockopts(fd, newfd);

	pl_real.fcntl(newfd, F_SETFL, s->nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
	if (pl_real.dup3(newfd, fd, cloexec ? O_CLOEXEC : 0) < 0) {
		int e = -errno;

		pl_real.close(newfd);
		return e;
	}
	pl_real.close(newfd);
	pl_rebind(fd, s);
	return 0;
}

static int pl_sin(const struct sockaddr *sa, socklen_t len, struct sockaddr_in *ret)
{
	if (!sa || len < (socklen_t)sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family != AF_INET)
		return -EAFNOSUPPORT;
	if (len < (socklen_t)sizeof(struct sockaddr_in))
		return -EINVAL;
	memcpy(ret, sa, sizeof(*ret));
	return 0;
}

static bool pl_loopback(const struct sockaddr_in *sin)
{
	return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
}

/* Copy sin out as the kernel's calls do: truncated to *len, *len set to its size. */
static void pl_copy_addr(const struct sockaddr_in *sin, struct sockaddr *sa, socklen_t *len)
{
	if (!sa || !len)
		return;
	memcpy(sa, sin, *len < sizeof(*sin) ? *len : sizeof(*sin));
	*len = sizeof(*sin);
}

/*
 * A socket for the kernel after all (an address on loopback): a real TCP
 * socket with what was recorded, in the placeholder's place. The caller
 * then makes the real call.
 */
static int pl_to_kernel(int fd, struct pl_sock *s)
{
	int one = 1, k = pl_real.socket(AF_INET, SOCK_STREAM, 0), r;

	if (k < 0)
		return -errno;
	if (s->reuseaddr)
		pl_real.setsockopt(k, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s->keepalive)
		pl_real.setsockopt(k, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	if (s->nodelay)
		pl_real.setsockopt(k, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
	if (s->sndbuf)
		pl_real.setsockopt(k, SOL_SOCKET, SO_SNDBUF, &s->sndbuf, sizeof(int));
	if (s->rcvbuf)
		pl_real.setsockopt(k, SOL_SOCKET, SO_RCVBUF, &s->rcvbuf, sizeof(int));
	if (s->linger.l_onoff)
		pl_real.setsockopt(k, SOL_SOCKET, SO_LINGER, &s->linger, sizeof(s->linger));
	if (s->bound && pl_real.bind(k, (const struct sockaddr *)&s->local, sizeof(s->local)) < 0) {
		int e = -errno;

		pl_real.close(k);
		return e;
	}
	r = pl_place(fd, k, s);
	if (r < 0)
		return r;
	pl_set(fd, NULL);
	return 0;
}

/*
 * What became of a connect under way, without waiting for the handshake:
 * 0 connected, -EINPROGRESS, or why it failed. The data socket says which
 * (writable once established; its far end closed once failed); the reason
 * of a failure is on the session, written before that close.
 */
int pl_connect_outcome(int fd, struct pl_sock *s)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	struct synack *ss;

	if (s->state != PL_CONNECTING)
		return s->state == PL_FAILED ? s->err : 0;
	pl_session_poll();
	if (s->state != PL_CONNECTING)
		return s->state == PL_FAILED ? s->err : 0;
	if (poll(&p, 1, 0) < 0)
		return -errno;
	if (p.revents & (POLLHUP | POLLERR)) {
		/* its event was written before that close: on the session that made it
		 * (a forked child, or a process whose session was reopened, hears none) */
		if (s->session_pid == getpid() && s->session_gen == pl_session_gen() &&
		    pl_session(&ss) == 0)
			pl_session_wait(ss, &s->told, PL_EVENT_WAIT_MS);
		if (s->state == PL_CONNECTED)
			return 0; /* it was established, then ended: reads say so */
		if (s->state != PL_FAILED) {
			s->state = PL_FAILED;
			s->err = -ECONNREFUSED;
		}
		return s->err;
	}
	if (p.revents & POLLOUT) {
		s->state = PL_CONNECTED; /* the Established event tells the address later */
		return 0;
	}
	return -EINPROGRESS;
}

/* The local address of a connection, once its Established event came. */
static void pl_learn_local(struct pl_sock *s)
{
	struct synack *ss;

	if (s->have_local || s->told || s->session_pid != getpid() ||
	    s->session_gen != pl_session_gen() || pl_session(&ss) < 0)
		return;
	pl_session_wait(ss, &s->told, PL_EVENT_WAIT_MS);
}

/* ------------------------------------------------------------------ socket, bind */

int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), fd;
	struct pl_sock *s;

	if (pl_busy || !(domain == AF_INET || domain == AF_INET6))
		return pl_real.socket(domain, type, protocol);
	if (domain != AF_INET || base != SOCK_STREAM ||
	    (protocol != 0 && protocol != IPPROTO_TCP)) {
		if (!pl_others_to_kernel())
			return pl_fail(-EAFNOSUPPORT);
		return pl_real.socket(domain, type, protocol);
	}
	pl_lock();
	fd = pl_real.socket(AF_UNIX, SOCK_STREAM | (type & (SOCK_NONBLOCK | SOCK_CLOEXEC)), 0);
	if (fd >= 0) {
		s = pl_sock_new(type & SOCK_NONBLOCK);
		if (!s || pl_set(fd, s) < 0) {
			pl_real.close(fd);
			fd = pl_fail(-ENOMEM);
		}
	}
	pl_unlock();
	return fd;
}

int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in sin;
	struct pl_sock *s;
	int r;

	s = pl_enter(fd);
	if (!s)
		return pl_real.bind(fd, sa, len);
	r = pl_sin(sa, len, &sin);
	if (r == 0 && (s->bound || s->state != PL_FRESH))
		r = -EINVAL;
	if (r == 0) {
		s->local = sin;
		s->bound = s->have_local = true;
	}
	pl_unlock();
	return r < 0 ? pl_fail(r) : 0;
}

/* ------------------------------------------------------------------ listen, accept */

static int pl_listen(int fd, struct pl_sock *s, int backlog)
{
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct pl_reply rep = { .fd = -1 };
	struct synack *ss;
	int r;

	if (s->state == PL_LISTENING)
		return 0;
	if (s->state != PL_FRESH)
		return -EINVAL;
	r = pl_session(&ss);
	if (r < 0)
		return r;
	r = synack_listen_queue_async(ss, s->bound ? &s->local : &any,
				      backlog > 0 ? (uint32_t)backlog : 0, pl_reply_cb, &rep);
	if (r == 0)
		r = pl_session_wait(ss, &rep.done, -1);
	if (r == 0)
		r = rep.status;
	if (r < 0)
		return r;
	r = pl_place(fd, rep.fd, s);
	if (r < 0) {
		synack_close_async(ss, rep.conn, NULL, NULL);
		return r;
	}
	s->conn = rep.conn;
	s->session_pid = getpid();
	s->session_gen = pl_session_gen();
	s->local.sin_port = rep.local.sin_port;
	s->have_local = true;
	s->state = PL_LISTENING;
	/* what its connections inherit, asked before listen() */
	if (s->maxseg)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_MAXSEG, s->maxseg, NULL, NULL);
	if (s->user_timeout_ms)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_USER_TIMEOUT_MS, s->user_timeout_ms,
				    NULL, NULL);
	return 0;
}

int listen(int fd, int backlog)
{
	struct pl_sock *s;
	int r;

	s = pl_enter(fd);
	if (!s)
		return pl_real.listen(fd, backlog);
	if (s->state == PL_FRESH && s->bound && pl_loopback(&s->local)) {
		r = pl_to_kernel(fd, s);
		pl_unlock();
		return r < 0 ? pl_fail(r) : pl_real.listen(fd, backlog);
	}
	r = pl_listen(fd, s, backlog);
	pl_unlock();
	return r < 0 ? pl_fail(r) : 0;
}

/* A listening Unix socket on an address of its own: never readable. */
static void pl_bury_listener(int fd, struct pl_sock *s)
{
	sa_family_t af = AF_UNIX;
	int k = pl_real.socket(AF_UNIX, SOCK_STREAM, 0);

	if (k < 0)
		return;
	/* an address of sa_family_t alone: the kernel picks an abstract one */
	if (pl_real.bind(k, (const struct sockaddr *)&af, sizeof(af)) < 0 ||
	    pl_real.listen(k, 1) < 0) {
		pl_real.close(k);
		return;
	}
	if (pl_place(fd, k, s) < 0)
		return; /* pl_place closed k */
	s->dead = true;
}

int accept4(int fd, struct sockaddr *sa, socklen_t *len, int flags)
{
	struct synack_accepted a;
	struct pl_sock *s, *n;
	unsigned gen;
	pid_t owner;
	int r;

	s = pl_enter(fd);
	if (!s)
		return pl_real.accept4(fd, sa, len, flags);
	r = s->state == PL_LISTENING ? 0 : -EINVAL;
	owner = s->session_pid;
	gen = s->session_gen;
	if (r == 0 && s->dead) {
		/* its listener is gone: nothing ever comes (a blocking accept waits for a signal) */
		pl_unlock();
		return pl_real.accept4(fd, sa, len, flags);
	}
	pl_unlock();
	if (r < 0)
		return pl_fail(r);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return pl_fail(-EINVAL);
	/* blocks here, unlocked, when the accept socket is blocking */
	r = synack_accept_take(fd, flags, &a);
	if (r == -ECONNABORTED || r == -ENOTCONN || r == -EINVAL) {
		/* synackd closed the listener (it stopped, or the session that made
		 * it ended): a listener that never gets a connection takes its place,
		 * so the program is not woken for it again */
		pl_lock();
		s = pl_get(fd);
		if (s && s->state == PL_LISTENING)
			pl_bury_listener(fd, s);
		pl_unlock();
		return pl_fail(-ECONNABORTED);
	}
	if (r < 0)
		return pl_fail(r);
	pl_lock();
	n = pl_sock_new(flags & SOCK_NONBLOCK);
	if (!n || pl_set(a.fd, n) < 0) {
		pl_unlock();
		pl_real.close(a.fd);
		return pl_fail(-ENOMEM);
	}
	n->state = PL_CONNECTED;
	n->conn = a.conn;
	n->session_pid = owner; /* the listener's session owns what it accepts */
	n->session_gen = gen;
	n->local = a.local;
	n->remote = a.remote;
	n->have_local = n->told = true;
	pl_unlock();
	pl_copy_addr(&a.remote, sa, len);
	return a.fd;
}

int accept(int fd, struct sockaddr *sa, socklen_t *len)
{
	return accept4(fd, sa, len, 0);
}

/* ------------------------------------------------------------------ connect */

static int pl_connect(int fd, struct pl_sock *s, const struct sockaddr_in *sin)
{
	struct pl_reply rep = { .fd = -1, .connecting = s };
	struct synack *ss;
	int r;

	r = pl_session(&ss);
	if (r < 0)
		return r;
	s->err = 0; /* an event that comes with the reply sets it */
	r = synack_connect_detached_mss_async(ss, sin, s->bound ? &s->local : NULL, 0, s->maxseg,
					      pl_reply_cb, &rep);
	if (r == 0)
		r = pl_session_wait(ss, &rep.done, -1);
	if (r == 0)
		r = rep.status;
	if (r < 0)
		return r;
	r = pl_place(fd, rep.fd, s);
	if (r < 0) {
		pl_pending_del(s);
		synack_abort_async(ss, rep.conn, NULL, NULL);
		return r;
	}
	s->session_pid = getpid();
	s->session_gen = pl_session_gen();
	s->remote = *sin;
	if (rep.local.sin_port) {
		/* where it goes from, known at once (getsockname waits for nothing) */
		s->local = rep.local;
		s->have_local = true;
	}
	if (!s->told)
		s->state = PL_CONNECTING; /* else its event came with the reply */
	pl_apply_options(ss, s);
	return -EINPROGRESS;
}

int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in sin;
	struct pl_sock *s;
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int r;

	s = pl_enter(fd);
	if (!s)
		return pl_real.connect(fd, sa, len);
	switch (s->state) {
	case PL_LISTENING:
		r = -EINVAL;
		break;
	case PL_CONNECTED:
		r = -EISCONN;
		break;
	case PL_CONNECTING:
		r = pl_connect_outcome(fd, s);
		if (r == 0)
			r = -EISCONN;
		else if (r == -EINPROGRESS)
			r = -EALREADY;
		else
			s->err = 0; /* reported */
		break;
	default:
		r = pl_sin(sa, len, &sin);
		if (r == 0 && pl_loopback(&sin)) {
			r = pl_to_kernel(fd, s);
			pl_unlock();
			return r < 0 ? pl_fail(r) : pl_real.connect(fd, sa, len);
		}
		if (r == 0)
			r = pl_connect(fd, s, &sin);
		break;
	}
	if (r != -EINPROGRESS || s->nonblock) {
		pl_unlock();
		return r < 0 ? pl_fail(r) : 0;
	}
	/* a blocking connect: wait on the data socket itself, unlocked */
	pl_unlock();
	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	pl_lock();
	s = pl_get(fd);
	r = s ? pl_connect_outcome(fd, s) : -EBADF;
	if (s && r < 0)
		s->err = 0;
	pl_unlock();
	return r < 0 ? pl_fail(r) : 0;
}

/* ------------------------------------------------------------------ names, shutdown */

/* getsockname/getpeername of s (locked; unlocked on return). */
static int pl_name(int fd, struct pl_sock *s, struct sockaddr *sa, socklen_t *len, bool peer)
{
	struct sockaddr_in sin;
	int r = 0;

	if (peer) {
		if (s->state == PL_CONNECTING)
			pl_connect_outcome(fd, s);
		if (s->state != PL_CONNECTED)
			r = -ENOTCONN;
		sin = s->remote;
	} else {
		if (s->state == PL_CONNECTING || s->state == PL_CONNECTED)
			pl_learn_local(s);
		sin = s->local;
		sin.sin_family = AF_INET;
	}
	pl_unlock();
	if (r < 0)
		return pl_fail(r);
	if (!sa || !len)
		return pl_fail(-EFAULT);
	pl_copy_addr(&sin, sa, len);
	return 0;
}

int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pl_sock *s = pl_enter(fd);

	return s ? pl_name(fd, s, sa, len, false) : pl_real.getsockname(fd, sa, len);
}

int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pl_sock *s = pl_enter(fd);

	return s ? pl_name(fd, s, sa, len, true) : pl_real.getpeername(fd, sa, len);
}

int shutdown(int fd, int how)
{
	struct pl_sock *s = pl_enter(fd);
	enum pl_state st;

	if (!s)
		return pl_real.shutdown(fd, how);
	st = s->state;
	pl_unlock();
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return pl_fail(-EINVAL);
	if (st == PL_LISTENING)
		return 0;
	if (st != PL_CONNECTED && st != PL_CONNECTING)
		return pl_fail(-ENOTCONN);
	/* SHUT_RD puts nothing on the wire (as Linux); shutting the data socket
	 * for reading would make synackd reset the connection */
	return how == SHUT_RD ? 0 : pl_real.shutdown(fd, SHUT_WR);
}

/* ------------------------------------------------------------------ descriptors */

/* A linger wait's answer: on the heap, for a wait that gives up before it comes. */
struct pl_linger {
	bool done, abandoned;
};

static void pl_linger_cb(struct synack *ss, int status, const struct synack_result *res, void *ud)
{
	struct pl_linger *l = ud;

	(void)ss;
	(void)status;
	if (res && res->fd >= 0)
		pl_real.close(res->fd);
	if (l->abandoned)
		free(l);
	else
		l->done = true;
}

/*
 * SO_LINGER with a timeout: after the real close, wait (that long and a
 * second at most) until synackd says the connection's FIN is ACKed, or that
 * another process holds it. Called and returns locked; the lock is let go
 * between looks, so only this thread waits, as close() on Linux.
 */
static void pl_linger_wait(struct pl_sock *s)
{
	uint64_t ms = pl_linger_ms(s) + 1000;
	struct pl_linger *l = calloc(1, sizeof(*l));
	struct timespec t0, t;
	struct synack *ss;

	if (!l || s->session_pid != getpid() || s->session_gen != pl_session_gen() ||
	    pl_session(&ss) < 0 || synack_close_async(ss, s->conn, pl_linger_cb, l) < 0) {
		free(l);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = synack_fd(ss), .events = POLLIN };

		if (l->done)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((uint64_t)((t.tv_sec - t0.tv_sec) * 1000 +
			       (t.tv_nsec - t0.tv_nsec) / 1000000) >= ms)
			break;
		pl_unlock();
		poll(&p, 1, 20);
		pl_lock();
		if (pl_session_gen() != s->session_gen)
			break; /* the session went meanwhile: nothing more will come */
		pl_session_poll();
	}
	if (l->done)
		free(l);
	else
		l->abandoned = true; /* its callback frees it, if it ever runs */
}

int close(int fd)
{
	struct pl_sock *s;
	int r;

	if (pl_busy)
		return pl_real.close(fd);
	pl_lock();
	if (pl_is_session_fd(fd))
		pl_session_lost();
	s = pl_get(fd);
	if (!s) {
		pl_unlock();
		return pl_real.close(fd);
	}
	/* SO_LINGER is synackd's to apply, at the last close of all */
	if (s->refs == 1 && pl_linger_ms(s) && s->state == PL_CONNECTED) {
		s->refs++; /* ours until the wait is over */
		pl_set(fd, NULL);
		r = pl_real.close(fd);
		pl_linger_wait(s);
		pl_sock_unref(s);
		pl_unlock();
		return r;
	}
	pl_set(fd, NULL);
	pl_session_poll(); /* replies nobody waits for go now */
	pl_unlock();
	return pl_real.close(fd);
}

/* newfd now names what oldfd names (or nothing of ours). */
static void pl_dup_track(int oldfd, int newfd)
{
	if (pl_is_session_fd(newfd))
		pl_session_lost();
	pl_set(newfd, pl_get(oldfd));
}

int dup(int fd)
{
	int r;

	if (pl_busy)
		return pl_real.dup(fd);
	pl_lock();
	r = pl_real.dup(fd);
	if (r >= 0)
		pl_dup_track(fd, r);
	pl_unlock();
	return r;
}

int dup2(int oldfd, int newfd)
{
	int r;

	if (pl_busy)
		return pl_real.dup2(oldfd, newfd);
	pl_lock();
	r = pl_real.dup2(oldfd, newfd);
	if (r >= 0 && oldfd != newfd)
		pl_dup_track(oldfd, newfd);
	pl_unlock();
	return r;
}

int dup3(int oldfd, int newfd, int flags)
{
	int r;

	if (pl_busy)
		return pl_real.dup3(oldfd, newfd, flags);
	pl_lock();
	r = pl_real.dup3(oldfd, newfd, flags);
	if (r >= 0)
		pl_dup_track(oldfd, newfd);
	pl_unlock();
	return r;
}

static int pl_fcntl(int fd, int cmd, void *arg)
{
	struct pl_sock *s;
	int r;

	if (pl_busy || (cmd != F_SETFL && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC))
		return pl_real.fcntl(fd, cmd, arg);
	pl_lock();
	r = pl_real.fcntl(fd, cmd, arg);
	if (r >= 0) {
		if (cmd == F_SETFL) {
			s = pl_get(fd);
			if (s)
				s->nonblock = ((long)arg & O_NONBLOCK) != 0;
		} else {
			pl_dup_track(fd, r);
		}
	}
	pl_unlock();
	return r;
}

/* Under _FILE_OFFSET_BITS=64 the header names this fcntl64; programs built
 * without it call "fcntl": both symbols are ours. */
int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return pl_fcntl(fd, cmd, arg);
}

int pl_fcntl_plain(int fd, int cmd, ...) __asm__("fcntl");
int pl_fcntl_plain(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	return pl_fcntl(fd, cmd, arg);
}

int ioctl(int fd, unsigned long req, ...)
{
	struct pl_sock *s;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (pl_busy || req != FIONBIO)
		return pl_real.ioctl(fd, req, arg);
	pl_lock();
	r = pl_real.ioctl(fd, req, arg);
	s = r == 0 && arg ? pl_get(fd) : NULL;
	if (s)
		s->nonblock = *(const int *)arg != 0;
	pl_unlock();
	return r;
}
