/* SPDX-License-Identifier: MIT */
/*
 * synack.h - libsynack, the client library of synackd: TCP through synack's
 * userspace stack, over the daemon's Unix socket. The only public header;
 * every symbol is synack_*.
 *
 * Three ways to use it, on the same struct synack session:
 *
 *  - blocking calls for simple programs: synack_connect(), synack_listen(),
 *    synack_accept(), synack_send(), synack_recv(), synack_shutdown(),
 *    synack_close(). With a daemon that offers it (FEATURE_FD_DATA), each
 *    connection made here has a data socket of its own: one end of a Unix
 *    socketpair (synack_conn_fd()) carrying the connection's bytes raw;
 *    control and errors stay on the session. A program that stops reading
 *    fills that socket and the TCP window closes, so nobody's memory grows.
 *    With an older daemon, or SYNACK_NO_FD_DATA=1 in the environment, the
 *    library buffers received data per connection and grants receive credit
 *    as the program reads, to the same effect.
 *
 *  - a loop-agnostic core: non-blocking *_async() requests that take a
 *    callback, synack_fd() to poll (synack_set_watch_cb() says when to add or
 *    drop POLLOUT), synack_process() to handle what arrived, and an event
 *    callback (synack_set_event_cb()) for connection events. Once an event
 *    callback is set, events and data go to it and the program grants
 *    receive credit itself with synack_credit_async().
 *
 *  - a libuv adapter (synack_uv_attach(), in this same library) that drives
 *    the core from a uv_loop_t.
 *
 * Rules: functions return 0 or a non-negative count on success and a
 * negative errno on failure (synack_strerror() names it); output parameters
 * are written only on success. If a call that takes a callback fails, the
 * callback never runs; otherwise it runs exactly once: with the reply, or
 * with -ECONNRESET if the daemon goes away, or -ECANCELED from synack_free().
 * A session is not thread-safe; use one per thread.
 *
 * The daemon's socket: the path argument, else $SYNACK_SOCKET, else
 * SYNACK_DEFAULT_SOCKET.
 *
 * Example (blocking), an HTTP GET through synack:
 *
 *	struct synack *s;
 *	synack_conn c;
 *	char buf[4096];
 *	ssize_t n;
 *	int r = synack_open(NULL, "get", &s);
 *	if (r < 0)
 *		errx(1, "synackd: %s", synack_strerror(r));
 *	r = synack_connect(s, "10.77.0.1", 80, 5000, &c);
 *	if (r < 0)
 *		errx(1, "connect: %s", synack_strerror(r));
 *	synack_send(s, c, "GET / HTTP/1.0\r\n\r\n", 18);
 *	synack_shutdown(s, c);
 *	while ((n = synack_recv(s, c, buf, sizeof(buf))) > 0)
 *		fwrite(buf, 1, n, stdout);
 *	synack_close(s, c);
 *	synack_free(s);
 *
 * Link with `pkg-config --cflags --libs libsynack`.
 */
#ifndef SYNACK_H
#define SYNACK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SYNACK_DEFAULT_SOCKET	"/run/synack/synackd.sock"
#define SYNACK_PROTOCOL_VERSION 1

/* A client session: one connection to synackd. */
struct synack;
/* A connection or listener, named by the daemon; 0 is never valid. */
typedef uint64_t synack_conn;

/* ------------------------------------------------------------------ errors */

/* Text for a negative (or positive) errno, covering the daemon's status codes. */
const char *synack_strerror(int err);
/* "ECONNREFUSED" for -ECONNREFUSED; "UNKNOWN" if not known. */
const char *synack_err_name(int err);

/* ------------------------------------------------------------------ session */

/*
 * Connect to synackd and exchange Hello (this waits for the daemon's answer,
 * at most 5 seconds). name appears in the daemon's logs and in synackctl.
 * Fails with -ENOENT/-ECONNREFUSED (no daemon), -EACCES (socket permissions),
 * -EPROTONOSUPPORT (protocol versions differ), -ETIMEDOUT.
 */
int synack_open(const char *path, const char *name, struct synack **ret);
/*
 * Close the session. Pending callbacks run with -ECANCELED; the daemon closes
 * every connection the session still holds. Accepts NULL. Safe to call from a
 * callback (the session is freed when synack_process() returns).
 */
void synack_free(struct synack *s);
/* The session id the daemon gave (as synackctl shows it). */
uint64_t synack_session_id(const struct synack *s);

/* ------------------------------------------------------------------ loop-agnostic core */

/*
 * The file descriptor to poll for reading (always) and writing (see watch
 * cb). A blocking socket that libsynack reads and writes with MSG_DONTWAIT
 * only (its blocking calls wait in poll()); it may be made non-blocking.
 */
int synack_fd(const struct synack *s);
/* True while requests are queued for the daemon: poll for POLLOUT too. */
bool synack_want_write(const struct synack *s);
/* Called when synack_want_write() changes; events is POLLIN or POLLIN|POLLOUT. */
typedef void (*synack_watch_cb)(struct synack *s, int events, void *userdata);
void synack_set_watch_cb(struct synack *s, synack_watch_cb cb, void *userdata);
/*
 * Read and handle everything that arrived, write what is queued, run the
 * callbacks. Never blocks. Returns 0, or a negative errno when the session
 * is dead (-ECONNRESET: the daemon closed it, -EPROTO: it sent garbage).
 */
int synack_process(struct synack *s);

enum synack_event_type {
	SYNACK_EV_ESTABLISHED, /* connect completed: local and remote are set */
	SYNACK_EV_INCOMING,    /* a listener accepted new_conn (local/remote set) */
	SYNACK_EV_DATA,	       /* data/len: bytes, within the credit granted */
	SYNACK_EV_WRITABLE,    /* send buffer space freed after a short send */
	SYNACK_EV_PEER_CLOSED, /* FIN received: all data was delivered before */
	SYNACK_EV_RESET,       /* err: -ECONNRESET or why the daemon reset it */
	SYNACK_EV_CLOSED,      /* the id is released; nothing follows */
	SYNACK_EV_ERROR,       /* err: -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH... */
	SYNACK_EV_URGENT,      /* the peer marked urgent data (Send/Data path): the len-th
				* byte (from 0) of the DATA still to come is the last urgent
				* byte; it stays in the stream (data sockets: MSG_OOB) */
};

struct synack_event {
	enum synack_event_type type;
	synack_conn conn;     /* for INCOMING: the listener */
	synack_conn new_conn; /* INCOMING only */
	struct sockaddr_in local, remote;
	const uint8_t *data; /* DATA only; valid during the callback */
	size_t len;
	int err; /* RESET and ERROR: a negative errno */
	int fd; /* INCOMING on a synack_listen_fd_async() listener: the data socket, yours; else -1 */
};

typedef void (*synack_event_cb)(struct synack *s, const struct synack_event *ev, void *userdata);
/* Route events to cb (NULL: back to the blocking API's buffering). */
void synack_set_event_cb(struct synack *s, synack_event_cb cb, void *userdata);

/* A connection as the daemon sees it (what `ss -ti` shows). */
struct synack_info {
	const char *state; /* RFC 9293 name: "ESTABLISHED", "SYN-SENT", ... */
	struct sockaddr_in local, remote;
	uint32_t snd_una, snd_nxt, snd_wnd, rcv_nxt, rcv_wnd;
	uint32_t mss, cwnd, ssthresh;
	uint32_t srtt_us, rttvar_us, rto_us;
	uint64_t bytes_sent, bytes_received, retransmits;
	uint64_t credit; /* receive credit the daemon still holds for us */
	uint64_t unsent; /* bytes in the send buffer */
	/* 2026-12: what TCP_INFO has too */
	uint32_t snd_mss, rcv_mss;    /* effective send MSS (cwnd's unit); the MSS we advertise */
	uint32_t retrans_now, probes; /* consecutive timeouts; unanswered probes */
	uint32_t backoff;	      /* RTO backoff shift */
	uint8_t snd_wscale, rcv_wscale;
	bool ts_ok, sack_ok, wscale_ok; /* negotiated options */
	int soft_error; /* last ICMP soft error (-errno), 0 none; SYNACK_OPT_ERROR clears it */
};

/* What a reply carries; which field is set depends on the request. */
struct synack_result {
	synack_conn conn;		/* connect, listen */
	struct sockaddr_in local;	/* listen: the bound address (port chosen if 0);
					 * connect: where it goes from (a daemon older
					 * than 2026-12 leaves it zero) */
	uint64_t taken;			/* send: bytes copied into the send buffer;
					 * synack_connect_data(): of its first bytes */
	uint64_t value;			/* get option */
	const char *name;		/* get option by name (congestion); NULL otherwise */
	const struct synack_info *info; /* info */
	int fd; /* connect with synack_connect_fd_async(): the data socket, yours; else -1 */
};

/* status: 0 or a negative errno; res is valid only during the callback. */
typedef void (*synack_reply_cb)(struct synack *s, int status, const struct synack_result *res,
				void *userdata);

/* Options (values are integers; booleans 0/1, times in milliseconds). */
enum synack_option {
	SYNACK_OPT_NODELAY = 1,
	SYNACK_OPT_KEEPALIVE = 2,
	SYNACK_OPT_KEEPIDLE_MS = 3,
	SYNACK_OPT_KEEPINTVL_MS = 4,
	SYNACK_OPT_KEEPCNT = 5,
	SYNACK_OPT_SNDBUF = 6,
	SYNACK_OPT_RCVBUF = 7,
	/* by name only: synack_set_congestion(), synack_get_congestion() */
	SYNACK_OPT_CONGESTION = 8,
	/* get only: the pending ICMP soft error as a positive errno, then cleared (SO_ERROR) */
	SYNACK_OPT_ERROR = 9,
	/* RFC 5482 user timeout, 0 = off: ETIMEDOUT once data stays unacknowledged this long */
	SYNACK_OPT_USER_TIMEOUT_MS = 10,
	/* detached connections: the data socket's last close resets (SO_LINGER {1, 0}) */
	SYNACK_OPT_LINGER_RESET = 11,
	/* TCP_MAXSEG: the most a segment carries (88..32767); on a listener, also advertised */
	SYNACK_OPT_MAXSEG = 12,
	/* detached: SO_LINGER's timeout; after the last close a Close is answered once the
	 * FIN is ACKed or this long has passed (0 = off) */
	SYNACK_OPT_LINGER_MS = 13,
	/* bool, TCP_CORK: only full segments go while on; off (or the FIN) sends the rest */
	SYNACK_OPT_CORK = 14,
};

/* local may be NULL; timeout_ms 0 = the stack's SYN retries alone. */
int synack_connect_async(struct synack *s, const struct sockaddr_in *remote,
			 const struct sockaddr_in *local, uint32_t timeout_ms,
			 uint64_t initial_credit, synack_reply_cb cb, void *userdata);
int synack_listen_async(struct synack *s, const struct sockaddr_in *local, uint32_t backlog,
			uint64_t initial_credit, synack_reply_cb cb, void *userdata);
/*
 * The same with a data socket per connection (FEATURE_FD_DATA; -ENOTSUP when
 * the daemon does not offer it): the connect reply's res->fd, or each
 * INCOMING event's ev->fd, is the connection's data socket, a non-blocking
 * AF_UNIX stream socket carrying its bytes raw; DATA, WRITABLE and
 * PEER_CLOSED do not come for it, and send/credit get -EINVAL. It is the
 * program's: reading 0 is the peer's FIN (or the end after a RESET or ERROR
 * event, which comes first); shutdown(SHUT_WR) is a FIN; the peer's urgent
 * byte is its out-of-band byte (POLLPRI, recv(MSG_OOB), or SO_OOBINLINE);
 * close() it, then synack_close_async() (answered once the daemon has read
 * it to the end) or synack_abort_async().
 */
int synack_connect_fd_async(struct synack *s, const struct sockaddr_in *remote,
			    const struct sockaddr_in *local, uint32_t timeout_ms,
			    synack_reply_cb cb, void *userdata);
int synack_listen_fd_async(struct synack *s, const struct sockaddr_in *local, uint32_t backlog,
			   synack_reply_cb cb, void *userdata);
/*
 * Detached connections (FEATURE_DETACHED; -ENOTSUP when the daemon does not
 * offer it): what synack-run makes unmodified programs' sockets of. The data
 * socket is the connection; the session hears of it once at most.
 *
 * synack_connect_detached_async(): the reply's res->fd is the data socket at
 * once, but it is not writable until the handshake completes, as a kernel
 * socket after a non-blocking connect(); then one ESTABLISHED or ERROR event
 * comes (the daemon's end closes after an ERROR), and nothing more. The last
 * close() of the data socket, in whichever process holds it, is the
 * connection's close (FIN, or RST if received bytes were left unread).
 *
 * synack_listen_queue_async(): the reply's res->fd is the listener's accept
 * socket (AF_UNIX SOCK_SEQPACKET, non-blocking: clear O_NONBLOCK to block on it). It is
 * readable while an accepted connection waits; synack_accept_take() takes one.
 * Accepted connections are detached (no INCOMING event, no events at all).
 * The last close() of the accept socket closes the listener.
 */
int synack_connect_detached_async(struct synack *s, const struct sockaddr_in *remote,
				  const struct sockaddr_in *local, uint32_t timeout_ms,
				  synack_reply_cb cb, void *userdata);
int synack_listen_queue_async(struct synack *s, const struct sockaddr_in *local, uint32_t backlog,
			      synack_reply_cb cb, void *userdata);
/* synack_connect_detached_async() with TCP_MAXSEG set before the SYN (mss 0: none). */
int synack_connect_detached_mss_async(struct synack *s, const struct sockaddr_in *remote,
				      const struct sockaddr_in *local, uint32_t timeout_ms,
				      uint32_t mss, synack_reply_cb cb, void *userdata);

/*
 * The next request on s (a SetOption, GetOption, Info or Abort naming a
 * detached connection) carries fd, that connection's data socket, to show
 * that this process holds it: it may act on it although another session
 * made or accepted it (a forked child, a server's worker). fd must stay open
 * until the request is submitted; a call that fails before submitting one
 * leaves it armed, and fd -1 disarms it. -ENOTSUP without FEATURE_DETACHED.
 */
int synack_prove_next(struct synack *s, int fd);

struct synack_accepted {
	synack_conn conn;
	struct sockaddr_in local, remote;
	int fd; /* the data socket, the caller's */
};
/*
 * Take the next connection from accept socket qfd (blocks unless qfd is
 * non-blocking: -EAGAIN then). flags: SOCK_NONBLOCK and/or SOCK_CLOEXEC for
 * the data socket, as accept4(). -ECONNABORTED when the listener is gone,
 * -EMFILE when this process is at RLIMIT_NOFILE (that connection is lost:
 * its data socket could not be received), -EPROTO for a record that is not one.
 */
int synack_accept_take(int qfd, int flags, struct synack_accepted *ret);

/* The reply says how many bytes were taken; a WRITABLE event follows a short send. */
int synack_send_async(struct synack *s, synack_conn c, const void *buf, size_t len,
		      synack_reply_cb cb, void *userdata);
/* Allow bytes more of received data to be pushed as DATA events. cb may be NULL. */
int synack_credit_async(struct synack *s, synack_conn c, uint64_t bytes, synack_reply_cb cb,
			void *userdata);
int synack_shutdown_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata);
int synack_close_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata);
int synack_abort_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata);
int synack_setopt_async(struct synack *s, synack_conn c, enum synack_option opt, uint64_t value,
			synack_reply_cb cb, void *userdata);
int synack_getopt_async(struct synack *s, synack_conn c, enum synack_option opt, synack_reply_cb cb,
			void *userdata);
int synack_info_async(struct synack *s, synack_conn c, synack_reply_cb cb, void *userdata);
/* Congestion control by name ("cubic", "newreno"); -EINVAL (the daemon's
 * message names the known ones) for another. The get's reply has res->name. */
int synack_set_congestion_async(struct synack *s, synack_conn c, const char *name,
				synack_reply_cb cb, void *userdata);
int synack_get_congestion_async(struct synack *s, synack_conn c, synack_reply_cb cb,
				void *userdata);

/* ------------------------------------------------------------------ blocking API */

/*
 * These wait (polling synack_fd()) until their answer arrives. They must not
 * be called from a callback, nor while an event callback is set. Connections
 * get a receive window of SYNACK_RECV_WINDOW bytes buffered in the library.
 */
#define SYNACK_RECV_WINDOW (256u * 1024)

/* host: a dotted IPv4 address or a name (resolved here, IPv4 only). -EMFILE when the
 * connection's data socket could not be received (this process is at RLIMIT_NOFILE):
 * the connection is aborted and the session goes on. */
int synack_connect(struct synack *s, const char *host, uint16_t port, uint32_t timeout_ms,
		   synack_conn *ret);
/*
 * synack_connect() with the first len bytes to send: with a data socket they
 * are written while the SYN is out and leave with the handshake's last ACK,
 * a round trip to the daemon sooner than synack_send() after connecting (a
 * short request/response connection's latency). Returns 0 once established
 * and all len bytes are queued; on any error the connection is gone.
 */
int synack_connect_data(struct synack *s, const char *host, uint16_t port, const void *buf,
			size_t len, uint32_t timeout_ms, synack_conn *ret);
/* host NULL or "" = any address; port 0 = an ephemeral port (see ret_local). */
int synack_listen(struct synack *s, const char *host, uint16_t port, uint32_t backlog,
		  synack_conn *ret, struct sockaddr_in *ret_local);
/*
 * The data socket of a connection made or accepted with the blocking API: a
 * non-blocking AF_UNIX stream socket carrying the connection's bytes (clear
 * O_NONBLOCK to block on it). Reading 0 is the peer's FIN (or the connection's
 * end: synack_recv() then says whether it was reset); shutdown(SHUT_WR) is a
 * FIN after the bytes written. It stays the library's: synack_close() or
 * synack_abort() closes it; do not close it yourself. -ENOTSOCK when the
 * connection has none (the daemon is older, SYNACK_NO_FD_DATA=1, or it was
 * made with the *_async() calls: synack_connect_fd_async() and
 * synack_listen_fd_async() hand their data sockets to the program), -EBADF
 * when c is unknown.
 */
int synack_conn_fd(struct synack *s, synack_conn c);
/* Wait for the next connection on listener l. ret_remote may be NULL. */
int synack_accept(struct synack *s, synack_conn l, synack_conn *ret,
		  struct sockaddr_in *ret_remote);
/* Send all len bytes (waiting for space); returns len or a negative errno. */
ssize_t synack_send(struct synack *s, synack_conn c, const void *buf, size_t len);
/* Up to len bytes; 0 at end of stream; waits until there is something. */
ssize_t synack_recv(struct synack *s, synack_conn c, void *buf, size_t len);
/* Like synack_recv() but returns -EAGAIN instead of waiting. */
ssize_t synack_recv_nowait(struct synack *s, synack_conn c, void *buf, size_t len);
/* Half-close: send FIN after the queued data; receiving goes on. */
int synack_shutdown(struct synack *s, synack_conn c);
/*
 * Graceful close; the id is released. With a data socket: it is shut for
 * writing and closed (so a dup() or a forked copy still open does not hold
 * the close back), and this returns at once, as close(2) does: the daemon
 * takes every byte written to it, even if the session ends first, then
 * sends FIN (RST instead if received bytes were left unread, RFC 2525
 * §2.17). Without one it waits for the daemon's answer.
 */
int synack_close(struct synack *s, synack_conn c);
/* Reset the connection (RST); the id is released (its data socket closed). */
int synack_abort(struct synack *s, synack_conn c);
int synack_setopt(struct synack *s, synack_conn c, enum synack_option opt, uint64_t value);
int synack_getopt(struct synack *s, synack_conn c, enum synack_option opt, uint64_t *ret);
/* The connection's congestion control, as ss names it; -ENAMETOOLONG when len is too small. */
int synack_set_congestion(struct synack *s, synack_conn c, const char *name);
int synack_get_congestion(struct synack *s, synack_conn c, char *buf, size_t len);
/* ret->state points to static storage. */
int synack_info(struct synack *s, synack_conn c, struct synack_info *ret);
/*
 * Wait until one of conns has something to receive (data, end of stream or
 * an error) or a listener among them has a connection to accept, at most
 * timeout_ms (-1 = forever). Also watches fd (e.g. stdin) for reading when
 * fd >= 0. n <= 63. Writes the ready set to *ret_ready (bit i for conns[i],
 * bit 63 for fd; 0 on timeout) and returns 0, or a negative errno.
 */
int synack_wait(struct synack *s, const synack_conn *conns, unsigned n, int fd, int timeout_ms,
		uint64_t *ret_ready);

/* ------------------------------------------------------------------ libuv adapter */

struct uv_loop_s;
/*
 * Drive s from a libuv loop: a uv_poll_t on synack_fd() calls synack_process()
 * and follows the watch callback. Use the *_async() calls and an event
 * callback with it. synack_free() detaches. on_error (may be NULL) runs once
 * if the session dies; free the session there or later.
 */
typedef void (*synack_uv_error_cb)(struct synack *s, int err, void *userdata);
int synack_uv_attach(struct synack *s, struct uv_loop_s *loop, synack_uv_error_cb on_error,
		     void *userdata);

#ifdef __cplusplus
}
#endif

#endif
