/* SPDX-License-Identifier: MIT */
/*
 * fd_watch.h - many descriptors watched through one epoll instance of our
 * own, edge-triggered, which the libuv loop watches as one descriptor
 * (epoll(7): an epoll instance is itself pollable). For the RPC data
 * sockets, one per connection: with a uv_poll_t each, a connection paid
 * libuv's descriptor check at init (epoll ADD + DEL, FIONBIO), an epoll DEL
 * at every uv_poll_start() besides the ADD or MOD, a DEL to stop and one
 * more at close: seven system calls. Here a descriptor is added once, for
 * input, and leaves the set when it is closed: one epoll_ctl for a short
 * connection. Waiting for room to write costs one to ask and one when it
 * came, and reading on after a turn's share one more.
 *
 * Edge-triggered: an event says something changed, once. The owner keeps
 * its own "may have input" flag and reads what was there (until EAGAIN, or
 * as much as FIONREAD said: bytes that come later raise a new edge, and an
 * end of stream that came with the bytes shows as UV_DISCONNECT), and when
 * it stops early with input left (a budget) asks for the edge again with
 * fd_watch_rearm(). Every event reaches the callback, wanted or not, so
 * none is lost while the owner is not reading. The set's own handles do not
 * keep the loop running (uv_unref): the owners of what it watches do.
 */
#ifndef SYNACKD_FD_WATCH_H
#define SYNACKD_FD_WATCH_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

struct fd_watch;
struct fd_watch_set;

/*
 * What w's descriptor became ready for (UV_READABLE, UV_WRITABLE: a hang-up
 * reports both, and UV_DISCONNECT once the peer shut its writing or is
 * gone), or status < 0 (UV_EBADF: the descriptor has an error, which the
 * next read or write will say) with events 0.
 */
typedef void (*fd_watch_cb)(struct fd_watch *w, int status, int events);
/* A released watch's owner is freed with this, once the loop turn is over. */
typedef void (*fd_watch_free_cb)(struct fd_watch *w);

/* Embed one per descriptor; fd_watch_init() it. */
struct fd_watch {
	int fd;
	uint32_t armed; /* the epoll events registered (0: not in the set) */
	fd_watch_cb cb;
	fd_watch_free_cb free_cb; /* set by fd_watch_release() */
	struct fd_watch *dead_next;
};

/* A set on loop, or NULL (errno set) if epoll or the loop refuses. */
struct fd_watch_set *fd_watch_set_new(uv_loop_t *loop);
/* Close the set (every watch released; not from one of its callbacks); it frees
 * itself once libuv is done. */
void fd_watch_set_close(struct fd_watch_set *s);

void fd_watch_init(struct fd_watch *w, int fd, fd_watch_cb cb);
/*
 * Watch w: input always from the first call on, room to write (UV_WRITABLE
 * in want) until it comes. No system call when nothing changes. A
 * descriptor ready already is reported at the next turn.
 */
int fd_watch_update(struct fd_watch_set *s, struct fd_watch *w, int want);
/* The owner stopped looking with input left: report w again if it is still readable. */
int fd_watch_rearm(struct fd_watch_set *s, struct fd_watch *w);
/*
 * The descriptor is closed right after this (and is nowhere else, so the
 * kernel drops it from the set then): drop its events not yet dispatched
 * this turn, and free its owner with free_cb after the turn (callbacks
 * still running may hold it, as after uv_close()).
 */
void fd_watch_release(struct fd_watch_set *s, struct fd_watch *w, fd_watch_free_cb free_cb);

#endif
