/* SPDX-License-Identifier: MIT */
/*
 * state.c - libsynack-preload's state (preload.h): the table from file
 * descriptors to interposed sockets, the lock around it, the process's
 * session with synackd (opened on first use, and again in a forked child,
 * which must not share its parent's), and the connects waiting for their
 * Established or Error event.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "preload.h"

struct pl_real pl_real;
__thread int pl_busy;

static pthread_mutex_t pl_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct pl_sock **pl_tab;
static size_t pl_tab_len;
static struct synack *pl_s;
static pid_t pl_s_pid;
static unsigned pl_s_gen; /* counts the sessions opened: connects remember theirs */
static dev_t pl_s_dev;	  /* what the session's descriptor is, so a program */
static ino_t pl_s_ino;	  /* that closed it behind our back (close_range) is seen */
static struct pl_sock *pl_pending;
/* read at start: a program may clear its environment (nginx's workers do) */
static char pl_socket_path[108];
static char pl_name[64] = "synack-run";
static bool pl_refuse_others;

#define PL_RESOLVE(name) pl_real.name = (__typeof__(pl_real.name))dlsym(RTLD_NEXT, #name)

static void pl_atfork_prepare(void)
{
	pthread_mutex_lock(&pl_mutex);
}

static void pl_atfork_parent(void)
{
	pthread_mutex_unlock(&pl_mutex);
}

static void pl_atfork_child(void)
{
	/* the parent's session stays the parent's: drop our copy of its socket
	 * now (so it ends when the parent does) and open our own when needed */
	if (pl_s) {
		pl_real.close(synack_fd(pl_s));
		pl_s = NULL; /* its memory is the parent's copy: left alone */
	}
	pl_pending = NULL;
	pthread_mutex_unlock(&pl_mutex);
}

__attribute__((constructor)) static void pl_init(void)
{
	PL_RESOLVE(socket);
	PL_RESOLVE(connect);
	PL_RESOLVE(bind);
	PL_RESOLVE(listen);
	PL_RESOLVE(accept4);
	PL_RESOLVE(getsockname);
	PL_RESOLVE(getpeername);
	PL_RESOLVE(setsockopt);
	PL_RESOLVE(getsockopt);
	PL_RESOLVE(shutdown);
	PL_RESOLVE(close);
	PL_RESOLVE(dup);
	PL_RESOLVE(dup2);
	PL_RESOLVE(dup3);
	PL_RESOLVE(fcntl);
	PL_RESOLVE(ioctl);
	pthread_atfork(pl_atfork_prepare, pl_atfork_parent, pl_atfork_child);
	if (getenv("SYNACK_SOCKET"))
		snprintf(pl_socket_path, sizeof(pl_socket_path), "%s", getenv("SYNACK_SOCKET"));
	if (getenv("SYNACK_RUN_NAME"))
		snprintf(pl_name, sizeof(pl_name), "%s", getenv("SYNACK_RUN_NAME"));
	pl_refuse_others =
		getenv("SYNACK_RUN_OTHERS") && strcmp(getenv("SYNACK_RUN_OTHERS"), "refuse") == 0;
}

void pl_lock(void)
{
	pthread_mutex_lock(&pl_mutex);
	pl_busy++;
}

void pl_unlock(void)
{
	pl_busy--;
	pthread_mutex_unlock(&pl_mutex);
}

struct pl_sock *pl_enter(int fd)
{
	struct pl_sock *s;

	if (pl_busy)
		return NULL;
	pl_lock();
	s = pl_get(fd);
	if (!s)
		pl_unlock();
	return s;
}

int pl_fail(int err)
{
	errno = err < 0 ? -err : err;
	return -1;
}

bool pl_others_to_kernel(void)
{
	return !pl_refuse_others;
}

/* The open file fd names now (its inode): a descriptor closed behind our back
 * (fclose, close_range, a raw syscall) and reused is not ours any more. */
static ino_t pl_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

struct pl_sock *pl_get(int fd)
{
	struct pl_sock *s = fd >= 0 && (size_t)fd < pl_tab_len ? pl_tab[fd] : NULL;

	if (s && pl_ino(fd) != s->ino) {
		pl_set(fd, NULL);
		return NULL;
	}
	return s;
}

void pl_rebind(int fd, struct pl_sock *s)
{
	s->ino = pl_ino(fd);
}

struct pl_sock *pl_sock_new(bool nonblock)
{
	struct pl_sock *s = calloc(1, sizeof(*s));

	if (s) {
		s->nonblock = nonblock;
		s->local.sin_family = AF_INET;
		s->remote.sin_family = AF_INET;
	}
	return s;
}

void pl_sock_unref(struct pl_sock *s)
{
	if (--s->refs > 0)
		return;
	pl_pending_del(s);
	free(s);
}

int pl_set(int fd, struct pl_sock *s)
{
	struct pl_sock *old;

	if (fd < 0)
		return -EBADF;
	if ((size_t)fd >= pl_tab_len) {
		size_t n = pl_tab_len ? pl_tab_len : 256;
		struct pl_sock **t;

		if (!s)
			return 0;
		while (n <= (size_t)fd)
			n *= 2;
		t = realloc(pl_tab, n * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memset(t + pl_tab_len, 0, (n - pl_tab_len) * sizeof(*t));
		pl_tab = t;
		pl_tab_len = n;
	}
	old = pl_tab[fd];
	if (s) {
		s->refs++;
		if (!s->ino)
			s->ino = pl_ino(fd);
	}
	pl_tab[fd] = s;
	if (old)
		pl_sock_unref(old);
	return 0;
}

void pl_pending_add(struct pl_sock *s)
{
	pl_pending_del(s);
	s->next = pl_pending;
	pl_pending = s;
}

void pl_pending_del(struct pl_sock *s)
{
	for (struct pl_sock **pp = &pl_pending; *pp; pp = &(*pp)->next) {
		if (*pp == s) {
			*pp = s->next;
			s->next = NULL;
			return;
		}
	}
}

/* ESTABLISHED or ERROR of a detached connect: the one event it gets. */
static void pl_on_event(struct synack *ss, const struct synack_event *ev, void *ud)
{
	(void)ss;
	(void)ud;
	for (struct pl_sock *s = pl_pending; s; s = s->next) {
		if (s->conn != ev->conn)
			continue;
		if (ev->type == SYNACK_EV_ESTABLISHED) {
			s->state = PL_CONNECTED;
			s->local = ev->local;
			s->remote = ev->remote;
			s->have_local = true;
		} else if (ev->type == SYNACK_EV_ERROR || ev->type == SYNACK_EV_RESET) {
			s->state = PL_FAILED;
			s->err = ev->err ? ev->err : -ECONNRESET;
		} else {
			return;
		}
		s->told = true;
		pl_pending_del(s);
		return;
	}
}

bool pl_is_session_fd(int fd)
{
	return pl_s && pl_s_pid == getpid() && synack_fd(pl_s) == fd;
}

/* Is the session's descriptor still the socket we opened? */
static bool pl_session_intact(void)
{
	struct stat st;

	return fstat(synack_fd(pl_s), &st) == 0 && st.st_dev == pl_s_dev && st.st_ino == pl_s_ino;
}

unsigned pl_session_gen(void)
{
	return pl_s ? pl_s_gen : 0;
}

void pl_session_lost(void)
{
	/* the program closed or replaced our descriptor: let the rest go with it
	 * (synack_free would close a descriptor number that is no longer ours) */
	pl_s = NULL;
}

int pl_session(struct synack **ret)
{
	int r;

	if (pl_s && pl_s_pid == getpid() && !pl_session_intact())
		pl_s = NULL; /* its number names something else now: not ours to close */
	if (pl_s && pl_s_pid == getpid()) {
		*ret = pl_s;
		return 0;
	}
	if (pl_s) {
		/* a child made without fork()'s handlers (clone): not ours either */
		pl_real.close(synack_fd(pl_s));
		pl_s = NULL;
	}
	r = synack_open(pl_socket_path[0] ? pl_socket_path : NULL, pl_name, &pl_s);
	if (r < 0)
		return r;
	pl_s_pid = getpid();
	pl_s_gen++;
	{
		struct stat st;

		if (fstat(synack_fd(pl_s), &st) == 0) {
			pl_s_dev = st.st_dev;
			pl_s_ino = st.st_ino;
		}
	}
	synack_set_event_cb(pl_s, pl_on_event, NULL);
	*ret = pl_s;
	return 0;
}

void pl_session_poll(void)
{
	if (!pl_s || pl_s_pid != getpid())
		return;
	if (!pl_session_intact() || synack_process(pl_s) < 0)
		pl_s = NULL; /* gone (the daemon went away): the next call opens again */
}

int pl_session_wait(struct synack *s, const bool *done, int timeout_ms)
{
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!*done) {
		struct pollfd p = { .fd = synack_fd(s), .events = POLLIN };
		struct timespec t;
		int r = synack_process(s), left = -1;

		if (r < 0) {
			if (s == pl_s)
				pl_s = NULL; /* the daemon is gone: the next call opens again */
			return r;	     /* the callbacks ran with the error */
		}
		if (*done)
			break;
		if (timeout_ms >= 0) {
			clock_gettime(CLOCK_MONOTONIC, &t);
			left = timeout_ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
						  (t.tv_nsec - t0.tv_nsec) / 1000000);
			if (left <= 0)
				return -ETIMEDOUT;
		}
		if (synack_want_write(s))
			p.events |= POLLOUT;
		if (poll(&p, 1, left) < 0 && errno != EINTR) {
			/* cannot wait on it: end the session, so every callback runs now
			 * (none may outlive its caller's frame) */
			r = -errno;
			if (s == pl_s)
				pl_s = NULL;
			synack_free(s);
			return r;
		}
	}
	return 0;
}
