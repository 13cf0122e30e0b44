/* SPDX-License-Identifier: MIT */
/*
 * rpc_server.h - the application side of synackd's RPC socket: clients of
 * the daemon's "rpc" listener become sessions (limits.max_clients, peer
 * credentials from SO_PEERCRED), and stack events reach the session that
 * owns the connection.
 *
 * It does not know the daemon (no daemon.h here): daemon/daemon_rpc.c wires
 * it in. The server is one owner (owner.h); each session's owner tag is
 * owner_tag(owner id, session id), so the cookie that comes back with every
 * event names the session. The listening socket (activated or bound) is the
 * daemon's; its connections are handed to rpc_server_adopt(). Everything
 * else the server needs from its host comes through struct rpc_host, so the
 * RPC fuzz target drives the real server, sessions and handlers without
 * daemon.c.
 */
#ifndef SYNACKD_RPC_SERVER_H
#define SYNACKD_RPC_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "config.h"
#include "stack.h"

struct rpc_session;
struct rpc_fd;
struct rpc_fd_pass;

struct rpc_limits {
	uint32_t max_clients;
	uint32_t conns_per_client;
	uint64_t buffered_per_client;
	uint32_t max_frame;
	uint32_t clients_per_uid;
	uint32_t conns_per_uid;
	uint64_t hello_timeout_ms;
	uint64_t idle_timeout_ms; /* 0: never */
	bool abort_on_disconnect;
	uint64_t fd_buf_growth; /* limits.memory / 4: what grown daemon ends may add (rpc_fd.h) */
};

/* What the sessions of one uid hold together (limits.*_per_uid). */
struct rpc_uid {
	struct rpc_uid *next;
	uid_t uid;
	uint32_t clients;
	uint32_t conns; /* connections and listeners, until their CLOSED event */
};

#define RPC_UID_BUCKETS 64

/* Refusals and clean-ups, shown by synackctl stats (rpc_server_counters()). */
struct rpc_counters {
	uint64_t hello_timeouts; /* no Hello within rpc.hello_timeout */
	uint64_t idle_timeouts;	 /* no connection and no request for rpc.idle_timeout */
	uint64_t uid_clients;	 /* sessions refused: limits.clients_per_uid */
	uint64_t uid_conns;	 /* conns_per_uid: connects, listens refused; accepts held (once) */
	uint64_t input_held;	 /* times a client's requests were held: its queue was full */
	uint64_t uid_orphans_reset; /* a uid's orphans reset to give it room (conns_per_uid) */
	uint64_t fd_limit;	    /* data sockets refused (or accepts held): no descriptor left */
	uint64_t fds_passed;	    /* data sockets handed to clients */
	uint64_t fd_resets;	    /* a client closed its data socket with bytes to go: RST */
	uint64_t fds_dropped;	    /* descriptors a client sent us unasked, closed */
	uint64_t fd_proofs;	    /* requests that acted on a connection by its data socket */
	uint64_t urgent_marks; /* urgent marks told: out of band on data sockets, Urgent events */
	uint64_t connects_inline; /* Connects whose handshake ended within the request */
	uint64_t fd_bufs_grown;	  /* times a daemon's end grew for a fast reader (rpc_fd.h) */
	uint64_t fd_bufs_capped;  /* fills of an end whose growth limits.memory / 4 refused */
	uint64_t frames_out;	  /* replies and events queued to clients */
	uint64_t writes_out;	  /* ...and the writes that carried them (a turn's batch each) */
	uint64_t
		writes_queued; /* of those, the ones that waited in libuv's queue (not all written at once) */
};

/* What the server needs from whoever runs it (the daemon, or a test harness). */
struct rpc_host {
	void *ctx;
	stack_time_us (*now)(void *ctx);	   /* the core's clock */
	void (*kick)(void *ctx);		   /* run the core: poll, dispatch events */
	void (*clients_add)(void *ctx, int delta); /* sessions connected, for STATUS= */
	/* optional: take in what the link holds now, events left for the next
	 * kick (a SYN's answer, before a Connect's slower half: rpc_handlers.c) */
	void (*link_answers)(void *ctx);
};

struct rpc_server {
	struct rpc_host host;
	uv_loop_t *loop;
	struct stack *stack;
	uint32_t owner_id;
	struct rpc_limits limits;
	struct rpc_session *sessions;
	uint32_t nsessions;
	uint32_t next_id;
	bool stopping;	      /* the daemon is shutting down: no new clients */
	bool free_when_empty; /* rpc_server_delete() ran while sessions were closing */
	bool full_logged;
	struct rpc_uid *uids[RPC_UID_BUCKETS];
	struct rpc_counters ctr;
	uint32_t fd_max;   /* descriptors data sockets may hold (RLIMIT_NOFILE less a reserve) */
	uint32_t fds_held; /* and hold now, with the client ends not yet written */
	uint32_t fd_conns; /* connections on the fd data path */
	uint64_t fd_buf_bytes; /* their daemon ends' SO_SNDBUF as Linux counts, summed */
	uint64_t fd_buf_grown; /* of that, above where each started (budget: fd_buf_growth) */
	uint32_t fd_buf_start; /* a new end's SO_SNDBUF as Linux reported it last, or 0 */
	bool fd_buf_set; /* new ends get RPC_FD_SOCKBUF_TO_APP: Linux's default does not fit */
	stack_time_us fd_buf_start_at; /* when (rpc_fd_start_buf()) */
	struct fd_watch_set *watch;    /* every data socket's end, in one epoll instance */
	struct rpc_fd *spare;	       /* a data socket made ahead (rpc_fd_spare_make) */
	struct rpc_fd_pass *spare_pass;
};

/* The limits the server applies, from the configuration. */
void rpc_limits_from_config(struct rpc_limits *l, const struct synack_config *cfg);

/* ---- the server itself (rpc_server.c; daemon/daemon_rpc.c runs it in synackd) ---- */
/* Take new limits after a reload; connections and sessions that exist stay. */
void rpc_server_apply(struct rpc_server *srv, const struct synack_config *cfg);
/* A server whose sessions' owner tags carry owner_id; NULL without memory. */
struct rpc_server *rpc_server_new(const struct rpc_host *host, uv_loop_t *loop, struct stack *stack,
				  uint32_t owner_id, const struct rpc_limits *limits);
/*
 * Take a new client: ss is zeroed but for its pipe, initialised on srv->loop
 * and connected. The server owns ss from here whatever the result: a refused
 * client (-EUSERS, -ESHUTDOWN) is told why, then its pipe is closed and ss
 * freed.
 */
int rpc_server_adopt(struct rpc_server *srv, struct rpc_session *ss);
/* A stack event for a socket opened with one of the server's owner tags. */
void rpc_server_event(struct rpc_server *srv, const struct stack_event *ev, uint32_t cookie);
/* Stop taking clients and hang up every session (abort: their connections get RST). */
void rpc_server_close_all(struct rpc_server *srv, bool abort);
/* Hang up every session, free the server once they are gone. Accepts NULL. */
void rpc_server_delete(struct rpc_server *srv);

/* Sessions connected now (for STATUS=, synackctl and tests). */
uint32_t rpc_server_session_count(const struct rpc_server *srv);

/* The RPC side's counters for synackctl stats: names with the Synack prefix. */
#define RPC_SERVER_COUNTERS 23
struct rpc_counter_value {
	const char *name;
	uint64_t value;
	bool gauge;
};
/* Fill v[RPC_SERVER_COUNTERS]; zeros when srv is NULL. */
void rpc_server_counters(const struct rpc_server *srv, struct rpc_counter_value *v);

/* ---- for the control server (synackctl conns -p, kill) ---- */
/* The client owning a connection with this owner tag; -ENOENT when not an RPC client's. */
int rpc_server_owner_info(struct rpc_server *srv, uint64_t owner, pid_t *ret_pid, uid_t *ret_uid,
			  const char **ret_name);
/*
 * Abort a connection an RPC client owns: RST on the wire, a Reset event
 * (ECONNABORTED) then Closed to the client. -ENOENT when owner is not one of
 * the server's sessions or the session does not hold sock.
 */
int rpc_server_kill(struct rpc_server *srv, uint64_t owner, stack_sock sock);
/* Connections waiting in the accept socket of listener sock (owner's), not yet taken. */
uint32_t rpc_server_listener_waiting(struct rpc_server *srv, uint64_t owner, stack_sock sock);
/* The session an owner tag names, or NULL. */
struct rpc_session *rpc_server_session_of(struct rpc_server *srv, uint64_t owner);

/* ---- for sessions ---- */
stack_time_us rpc_server_now(const struct rpc_server *srv);
void rpc_server_kick(struct rpc_server *srv);
uint64_t rpc_server_owner_tag(const struct rpc_server *srv, uint32_t session_id);
void rpc_server_session_gone(struct rpc_server *srv, struct rpc_session *ss);
/* Its client hung up (the slot is free) though the session lives on as a husk. */
void rpc_server_client_gone(struct rpc_server *srv, struct rpc_session *ss);
/* One of uid's connections went away: listeners of its other sessions may accept again. */
void rpc_server_uid_room(struct rpc_server *srv, struct rpc_session *except);

#endif
