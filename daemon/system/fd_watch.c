/* SPDX-License-Identifier: MIT */
/*
 * fd_watch.c - many descriptors behind one edge-triggered epoll instance
 * (fd_watch.h).
 *
 * The loop watches the instance's descriptor for readability; when it is
 * readable, one epoll_wait() with no timeout takes up to FD_WATCH_BATCH
 * ready descriptors and their callbacks run; the rest stay ready in the
 * instance for the next turn. A watch released while its event waits in the
 * batch is struck from it, and its owner is freed from a check handle after
 * the turn's I/O, so no callback ever sees freed memory. Room to write is
 * asked for once: when it comes, EPOLLOUT is taken out again, as a unix
 * socket reports room at every read of its peer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "fd_watch.h"

#define FD_WATCH_BATCH 64

struct fd_watch_set {
	uv_poll_t poll;	 /* the epoll instance, in the loop */
	uv_check_t reap; /* frees released watches after the turn */
	int epfd;
	int open_handles; /* poll and reap, until their close callbacks */
	struct epoll_event ready[FD_WATCH_BATCH];
	int nready, at; /* the batch being dispatched, and where */
	struct fd_watch *dead;
};

#define FD_WATCH_IN (EPOLLIN | EPOLLRDHUP | EPOLLET)

static int fd_watch_ctl(struct fd_watch_set *s, struct fd_watch *w, uint32_t mask)
{
	struct epoll_event ev = { .events = mask, .data.ptr = w };

	if (epoll_ctl(s->epfd, w->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd, &ev) < 0)
		return -errno;
	w->armed = mask;
	return 0;
}

static void fd_watch_dispatch(struct fd_watch_set *s, struct fd_watch *w, uint32_t e)
{
	int events = 0;

	/* asked once: room came (or the end is gone), and would be said again at
	 * every read of the peer */
	if ((e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) && (w->armed & EPOLLOUT))
		fd_watch_ctl(s, w, FD_WATCH_IN);
	if (e & EPOLLERR) {
		w->cb(w, UV_EBADF, 0);
		return;
	}
	if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
		events |= UV_READABLE;
	if (e & (EPOLLRDHUP | EPOLLHUP))
		events |= UV_DISCONNECT;
	if (e & (EPOLLOUT | EPOLLHUP))
		events |= UV_WRITABLE;
	if (events)
		w->cb(w, 0, events);
}

static void fd_watch_on_ready(uv_poll_t *h, int status, int events)
{
	struct fd_watch_set *s = h->data;
	int n;

	(void)status;
	(void)events;
	n = epoll_wait(s->epfd, s->ready, FD_WATCH_BATCH, 0);
	if (n <= 0)
		return;
	s->nready = n;
	for (s->at = 0; s->at < s->nready; s->at++) {
		struct fd_watch *w = s->ready[s->at].data.ptr;

		if (w)
			fd_watch_dispatch(s, w, s->ready[s->at].events);
	}
	s->nready = s->at = 0;
}

static void fd_watch_reap(uv_check_t *h)
{
	struct fd_watch_set *s = h->data;
	struct fd_watch *w = s->dead, *n;

	s->dead = NULL;
	uv_check_stop(&s->reap);
	for (; w; w = n) {
		n = w->dead_next;
		w->free_cb(w);
	}
}

static void fd_watch_set_closed(uv_handle_t *h)
{
	struct fd_watch_set *s = h->data;

	if (--s->open_handles > 0)
		return;
	close(s->epfd);
	free(s);
}

struct fd_watch_set *fd_watch_set_new(uv_loop_t *loop)
{
	struct fd_watch_set *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return NULL;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		free(s);
		return NULL;
	}
	r = uv_poll_init(loop, &s->poll, s->epfd);
	if (r < 0) {
		close(s->epfd);
		free(s);
		errno = -r;
		return NULL;
	}
	s->poll.data = s;
	s->open_handles = 1;
	r = uv_poll_start(&s->poll, UV_READABLE, fd_watch_on_ready);
	if (r < 0) {
		/* the handle is in the loop: the set goes once libuv lets go of it */
		uv_close((uv_handle_t *)&s->poll, fd_watch_set_closed);
		errno = -r;
		return NULL;
	}
	uv_check_init(loop, &s->reap); /* cannot fail: it only links the handle */
	s->reap.data = s;
	s->open_handles = 2;
	/* neither keeps the loop running: what is watched belongs to handles that do */
	uv_unref((uv_handle_t *)&s->poll);
	uv_unref((uv_handle_t *)&s->reap);
	return s;
}

/* Not from a callback of the set: the watches released so far are freed at once. */
void fd_watch_set_close(struct fd_watch_set *s)
{
	if (!s)
		return;
	fd_watch_reap(&s->reap);
	uv_close((uv_handle_t *)&s->poll, fd_watch_set_closed);
	uv_close((uv_handle_t *)&s->reap, fd_watch_set_closed);
}

void fd_watch_init(struct fd_watch *w, int fd, fd_watch_cb cb)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->cb = cb;
}

int fd_watch_update(struct fd_watch_set *s, struct fd_watch *w, int want)
{
	uint32_t mask = FD_WATCH_IN | ((want & UV_WRITABLE) ? EPOLLOUT : 0);

	if (mask == w->armed || (!want && !w->armed))
		return 0;
	return fd_watch_ctl(s, w, mask);
}

int fd_watch_rearm(struct fd_watch_set *s, struct fd_watch *w)
{
	/* a MOD reports the descriptor again if it is ready now */
	return w->armed ? fd_watch_ctl(s, w, w->armed) : 0;
}

void fd_watch_release(struct fd_watch_set *s, struct fd_watch *w, fd_watch_free_cb free_cb)
{
	for (int i = s->at + 1; i < s->nready; i++)
		if (s->ready[i].data.ptr == w)
			s->ready[i].data.ptr = NULL;
	w->armed = 0;
	w->fd = -1; /* its number may be another socket's soon: never touched again */
	w->free_cb = free_cb;
	w->dead_next = s->dead;
	s->dead = w;
	uv_check_start(&s->reap, fd_watch_reap);
}
