/* SPDX-License-Identifier: MIT */
/*
 * preload.h - libsynack-preload.so, what synack-run puts under an unmodified
 * program (LD_PRELOAD): IPv4 TCP sockets become synack connections whose
 * file descriptors are the connections' data sockets (libsynack's detached
 * connections), so read, write, poll, select, epoll and sendfile work on
 * them unchanged; the socket calls that name addresses, listen, accept,
 * options and descriptors are interposed here.
 *
 * The parts: state.c (the table of interposed descriptors, the process's
 * session, fork), sockets.c (socket, bind, listen, accept, connect, names,
 * shutdown, close, dup, fcntl, ioctl), options.c (setsockopt, getsockopt,
 * TCP_INFO).
 */
#ifndef SYNACK_PRELOAD_H
#define SYNACK_PRELOAD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "synack.h"

enum pl_state {
	PL_FRESH,      /* socket() done: a placeholder, options recorded */
	PL_CONNECTING, /* the data socket is in place, the handshake under way */
	PL_CONNECTED,  /* the data socket carries the connection */
	PL_FAILED,     /* the connect failed; err says why */
	PL_LISTENING,  /* the descriptor is the listener's accept socket */
};

/* One interposed socket, shared by every descriptor dup()ed from it. */
struct pl_sock {
	unsigned refs;
	ino_t ino; /* the open file's inode: what every descriptor of it names */
	enum pl_state state;
	bool nonblock;
	bool bound;
	bool have_local; /* local is known (bound, listening, or told by Established) */
	struct sockaddr_in local, remote;
	synack_conn conn;
	pid_t session_pid;    /* the process whose session made conn (its owner) */
	unsigned session_gen; /* and which of its sessions (pl_session_gen) */
	int err;	      /* PL_FAILED: a negative errno, until SO_ERROR reports it */
	bool told;	      /* the connect's Established or Error event came */
	bool dead; /* PL_LISTENING: synackd closed the listener; a silent one stands in */
	struct pl_sock *next; /* pl_pending: connects waiting for their event */
	/* options set before there was a connection to set them on */
	bool reuseaddr, keepalive, nodelay, cork;
	unsigned keepidle_s, keepintvl_s, keepcnt;
	int sndbuf, rcvbuf;
	unsigned user_timeout_ms;
	unsigned maxseg; /* TCP_MAXSEG asked before connect or listen (0 none) */
	struct linger linger;
	char congestion[16];
};

/* The libc functions behind ours. */
struct pl_real {
	int (*socket)(int, int, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	int (*shutdown)(int, int);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
};
extern struct pl_real pl_real;

/* Non-zero in a thread inside this library: the calls it makes go straight to libc. */
extern __thread int pl_busy;

/* Take and give back the library's lock (and mark the thread busy). */
void pl_lock(void);
void pl_unlock(void);

/*
 * An interposed call's way in: fd's socket, with the lock taken, or NULL
 * (unlocked) when fd is not one of ours or the call comes from inside this
 * library: the caller then passes it to libc.
 */
struct pl_sock *pl_enter(int fd);
/* The socket behind fd, or NULL (under the lock). */
struct pl_sock *pl_get(int fd);
/* Track fd as s (one more reference); NULL untracks it. Under the lock. */
int pl_set(int fd, struct pl_sock *s);
struct pl_sock *pl_sock_new(bool nonblock);
/* One reference less (freed at none). */
void pl_sock_unref(struct pl_sock *s);
/* fd now names another open file for s (the data or accept socket put in place). */
void pl_rebind(int fd, struct pl_sock *s);

/* The process's session, opened on first use (again in a forked child). */
int pl_session(struct synack **ret);
/* fd is the session's own descriptor (a program closing it loses the session). */
bool pl_is_session_fd(int fd);
void pl_session_lost(void);
/* Handle what the session has without waiting. */
void pl_session_poll(void);
/*
 * Handle the session until *done (set by a callback): for a reply, which
 * always comes (or the session dies and the callbacks run), timeout_ms -1;
 * for an event, a bound (-ETIMEDOUT).
 */
int pl_session_wait(struct synack *s, const bool *done, int timeout_ms);
/* The current session's number (0 none): an event can come only on the one a connect used. */
unsigned pl_session_gen(void);
/* How long a call waits for a connect's event it knows is coming. */
#define PL_EVENT_WAIT_MS 5000
/* Remember s as waiting for its connect's outcome; drop it again. */
void pl_pending_add(struct pl_sock *s);
void pl_pending_del(struct pl_sock *s);

/* Set errno from a negative errno and return -1. */
int pl_fail(int err);
/* Whether a program's sockets of this kind go to the kernel (else refused). */
bool pl_others_to_kernel(void);

/* sockets.c: a connect's outcome so far: 0 connected, -EINPROGRESS, or why it failed. */
int pl_connect_outcome(int fd, struct pl_sock *s);

/* SO_LINGER's timeout in ms (0: off, or a zero timeout, which resets instead). */
uint64_t pl_linger_ms(const struct pl_sock *s);
/* options.c: apply what was recorded before the connection existed. */
void pl_apply_options(struct synack *ss, struct pl_sock *s);
/* The session to act on s's connection through (showing fd when another made it). */
int pl_conn_session(int fd, struct pl_sock *s, struct synack **ret);
/* A synchronous option request on s's connection (errno-style result). */
int pl_conn_setopt(int fd, struct pl_sock *s, enum synack_option opt, uint64_t v);

#endif
