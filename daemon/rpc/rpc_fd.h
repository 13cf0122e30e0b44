/* SPDX-License-Identifier: MIT */
/*
 * rpc_fd.h - the file descriptor data path of an RPC connection (proto
 * header, FEATURE_FD_DATA): one end of an AF_UNIX socketpair per
 * connection is the client's; the daemon moves raw bytes between its end
 * and the connection's rings with readv/writev, without protobuf and
 * without a copy of its own (stack_tcp_send_reserve, stack_tcp_recv_peek).
 */
#ifndef SYNACKD_RPC_FD_H
#define SYNACKD_RPC_FD_H

#include <stdbool.h>
#include <stdint.h>

#include <uv.h>

#include "fd_watch.h"
#include "stack.h"

struct rpc_session;
struct rpc_server;

/*
 * Each socketpair end's send buffer (SO_SNDBUF; Linux doubles it for its
 * own overhead, and caps it at net.core.wmem_max). The daemon's end keeps
 * Linux's default (net.core.wmem_default, 208 KiB unless changed) where that
 * lies between RPC_FD_SOCKBUF_TO_APP and twice it, and is set to
 * RPC_FD_SOCKBUF_TO_APP otherwise (rpc_fd_start_buf()). The daemon's end bounds
 * the bytes taken from the receive ring that the client has not read, the
 * client's end what it wrote that the daemon has not yet moved into the send
 * ring: what a connection can make the kernel hold for it outside the
 * stack's accounted rings. The client's end is the larger: a writer blocked
 * on a full buffer is woken, and the daemon reads, each time three quarters
 * of it have drained, and at 128 KiB those wake-ups and reads cost the daemon
 * a tenth of its CPU per GB sent (tests/bench/README.md). A detached
 * Connect's end keeps the smaller size: it holds filler, a quarter of its
 * buffer, for as long as the handshake takes (rpc_fd_gate()).
 */
#define RPC_FD_SOCKBUF_TO_APP	  (128 * 1024)
/*
 * The daemon's end grows, once full, to SO_SNDBUF half the connection's
 * receive buffer (so, as Linux counts it, the receive buffer's size), at
 * most RPC_FD_SOCKBUF_TO_APP_MAX: at 128 KiB a fast reader and the daemon
 * woke each other per 96 KiB while the sender waited on a closed window.
 * Only for a receive buffer the client did not set (tcp.recv_buffer, or what
 * autotuning grew it to with what the client takes per round trip,
 * tcp_autotune.c), and the growth of every end together stays within a
 * quarter of limits.memory (rpc_limits.fd_buf_growth): bytes on this end
 * are charged nowhere else. A grown end keeps its size until it closes.
 */
#define RPC_FD_SOCKBUF_TO_APP_MAX (2048 * 1024)
#define RPC_FD_SOCKBUF_FROM_APP	  (512 * 1024)
#define RPC_FD_SOCKBUF_GATED	  (128 * 1024)
/* How often a half-closed detached connection's data socket is checked for its last close. */
#define RPC_FD_HUP_CHECK_MS	  2000
/* Most bytes moved per direction and connection in one loop turn, for fairness. */
#define RPC_FD_TURN_BYTES	  (1024 * 1024)
/* Descriptors kept back from limits per data socket for everything else synackd opens. */
#define RPC_FD_RESERVE		  64

struct rpc_fd {
	struct rpc_session *ss; /* NULL once the connection is gone (lingering) */
	struct rpc_server *srv;
	struct rpc_fd *next;   /* the session's lingering list */
	uint64_t queued_until; /* ...until this write of the session's is done */
	stack_sock sock;
	int fd;		       /* the daemon's end */
	struct fd_watch watch; /* ...watched in the server's set (fd_watch.h) */
	bool app_eof;	       /* the client shut its end for writing: FIN queued */
	bool fin_out;	       /* the peer's FIN passed on: our end shut for writing */
	bool send_full;	       /* the send ring had no room: wait for WRITABLE */
	bool maybe_in;	       /* the client's end may have bytes or EOF for us: look */
	bool read_to_end;      /* a hang-up, the session's, a Close: read on to EOF or an error */
	bool out_full;	       /* the socketpair took less than offered: wait for POLLOUT */
	uint32_t to_app_buf;   /* the daemon's end's SO_SNDBUF as Linux reports it */
	uint32_t to_app_base;  /* and as it started */
	bool close_pending;    /* Close came: let go once the client's end reaches EOF */
	bool close_owed;       /* and its Reply is sent then (close_req is its id) */
	bool reason_queued;    /* a Reset or Error about it is queued: the end waits for it */
	bool detached;	       /* the data socket is the connection: its last close is a Close */
	uint32_t gate;	       /* filler bytes that keep the client's end unwritable (detached
			     * connect, until ESTABLISHED); nothing is read from it meanwhile */
	uint64_t close_req;
	uint64_t app_dev, app_ino; /* the client's end: what a Request.fd_proof must show */
	bool abort_on_close;	   /* SO_LINGER {1, 0}: the last close resets (detached) */
	uv_timer_t *hup_timer;	   /* detached: looks for the last close, or for the FIN's ACK */
	uint32_t linger_ms;	   /* SO_LINGER with a timeout (detached), 0 = off */
	bool no_oob;		   /* the kernel has no AF_UNIX MSG_OOB: urgent bytes go inline */
	bool lingering;		   /* closed: held until the FIN is ACKed or linger_until */
	bool unwatched;		   /* rpc_fd_unwatch(): its end's events are ignored from now */
	stack_time_us linger_until;
};

/*
 * The client's end on its way out, closed once written. The session sends
 * it itself with its frame when nothing is queued before it; a libuv send
 * handle (pipe) is opened for it only when the frame has to wait in
 * libuv's queue (rpc_fd_pass_handle), which costs three system calls (two
 * to open it, one when it closes).
 */
struct rpc_fd_pass {
	int fd;
	enum {
		RPC_FD_PASS_BARE, /* pipe unused */
		RPC_FD_PASS_INIT, /* pipe initialised, not open: fd is still ours to close */
		RPC_FD_PASS_OPEN, /* pipe holds fd: closing the pipe closes it */
	} pipe_state;
	uv_pipe_t pipe;
	struct rpc_server *srv;
};

/*
 * Descriptors data sockets may hold: RLIMIT_NOFILE's soft limit less one per
 * client session (limits.max_clients) and RPC_FD_RESERVE for the rest.
 */
uint32_t rpc_fd_budget(uint32_t max_clients);
/* Raise RLIMIT_NOFILE's soft limit to the hard one (synackd, at start). */
void rpc_fd_raise_nofile(void);
/* -EMFILE (with why in msg) when the server or session has no descriptor left for one
 * more data socket; the caller counts the refusal (SynackRpcFdLimit). takes_spare:
 * the socket will come from rpc_fd_create(), which takes the server's spare
 * when there is one (its descriptors are counted already); false for another
 * socketpair (an accept socket). */
int rpc_fd_room(struct rpc_session *ss, bool takes_spare, char *msg, size_t len);
/* Count delta descriptors as held by the server and (ss may be NULL) the session. */
void rpc_fd_held(struct rpc_server *srv, struct rpc_session *ss, int delta);
/*
 * An AF_UNIX socketpair of type for a client: our end (non-blocking) in
 * *ret_fd, watched by poll (initialised here), the client's in *ret_pass.
 * Both descriptors are counted (rpc_fd_held); each is given back as it closes.
 */
int rpc_fd_pair_open(struct rpc_session *ss, int type, uv_poll_t *poll, int *ret_fd,
		     struct rpc_fd_pass **ret_pass);
/*
 * A data socket for sock: *ret_pass is the client's end, to send with the
 * frame naming it. Takes the server's spare when there is one.
 */
int rpc_fd_create(struct rpc_session *ss, stack_sock sock, struct rpc_fd **ret,
		  struct rpc_fd_pass **ret_pass);
/*
 * Make one data socket ahead, after a Connect has been answered, so the next
 * Connect finds it ready and its handshake waits for no system call of ours
 * (rpc_handlers.c). Its two descriptors count as the server's
 * (SynackRpcFdHeld) until the last client goes; none is made past the
 * descriptor budget or while the server stops.
 */
void rpc_fd_spare_make(struct rpc_server *srv);
/* Close the spare (the server stops). */
void rpc_fd_spare_free(struct rpc_server *srv);
/*
 * The connection is detached (its Close is the last close of the client's
 * end p): remember which socket that end is, for a Request.fd_proof
 * (rpc_handlers.c). Call before the end is sent.
 */
void rpc_fd_detach(struct rpc_fd *f, const struct rpc_fd_pass *p);
/*
 * Keep the client's end (p) unwritable until rpc_fd_ungate(): fill it with
 * filler the daemon's end holds unread, so a program polling the end for
 * POLLOUT after a non-blocking connect wakes once the handshake is done (or
 * failed: the daemon's end then closes). Call before the end is sent.
 */
int rpc_fd_gate(struct rpc_fd *f, struct rpc_fd_pass *p);
/* Drop the filler: the client's end turns writable and data moves. */
void rpc_fd_ungate(struct rpc_fd *f);
/* The client's end, to send with a frame or an accept socket record. */
int rpc_fd_pass_fd(const struct rpc_fd_pass *p);
/* The client's end as a libuv send handle (uv_write2()) in *ret, opened on first use; or a UV_ error. */
int rpc_fd_pass_handle(struct rpc_fd_pass *p, uv_stream_t **ret);
/* The client's end was written (or could not be): close our copy. Accepts NULL. */
void rpc_fd_pass_done(struct rpc_session *ss, struct rpc_fd_pass *p);
/* Move what can move, both ways (stack events, poll). */
void rpc_fd_pump(struct rpc_fd *f);
/* The send ring has room again (STACK_EV_WRITABLE). */
void rpc_fd_writable(struct rpc_fd *f);
/*
 * The session hangs up: take what the client wrote and the send buffer has
 * room for now, so a client that wrote and exited loses as little as a kernel
 * socket's would (the rest, beyond the send buffer, is lost with the session).
 */
void rpc_fd_drain(struct rpc_fd *f);
/* The client's end is closed in every process that held it (POLLHUP on ours). */
bool rpc_fd_client_gone(const struct rpc_fd *f);
/* Done watching the daemon's end: its events are ignored from now (it leaves the
 * set when it is closed; a system call only to take back a wait for room). */
void rpc_fd_unwatch(struct rpc_fd *f);
/* The connection is gone and the end only waits for the session's last frame
 * about it to be written: no watch, no hang-up check. */
void rpc_fd_linger(struct rpc_fd *f);
/* Close the daemon's end now (the connection is gone or the session hangs up). */
void rpc_fd_close(struct rpc_fd *f);

#endif
