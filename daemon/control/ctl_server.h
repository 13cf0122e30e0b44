/* SPDX-License-Identifier: MIT */
/*
 * ctl_server.h - synackd's control socket, served for synackctl: sessions
 * over the daemon's "control" listener with the RPC framing (proto/frame.h),
 * ControlRequest in, ControlServerMessage out (synack.proto).
 *
 * Access (SO_PEERCRED): reading needs uid 0 or membership of control.group
 * (any peer when that is ""), changing anything needs uid 0 or membership of
 * control.admin_group (only root when that is ""). Membership counts the
 * peer's primary gid and its supplementary groups as they were when it
 * connected (SO_PEERGROUPS; /proc/PID/status on a kernel without it).
 *
 * Sessions: at most CTL_SESSIONS_PER_UID per uid and CTL_SESSIONS_MAX in all;
 * past that a new one is told why (a reply with id 0 and EUSERS), closed at
 * once and counted (SynackCtlSessionsRefused).
 * Root's are always let in, so root's synackctl works however many others hold.
 *
 * Streams: a session may subscribe to state events, follow one connection's
 * trace, and capture the TAP's frames. Stream items are dropped (and
 * counted) when the session has more than CTL_STREAM_MAX_QUEUED bytes
 * waiting to be written: a slow synackctl never grows the daemon.
 *
 * The server also keeps the per-connection history (ctl_history.h); the
 * daemon feeds it from the core's trace hook with ctl_server_trace().
 *
 * It does not know the daemon (no daemon.h here): what it asks of it, the
 * core and the loop and the answers about the rest of synackd, comes in a
 * struct ctl_server_host; daemon/daemon_control.c fills that in, registers
 * the server as an owner, and wires the control listener and the link's
 * capture hook to it.
 */
#ifndef SYNACKD_CTL_SERVER_H
#define SYNACKD_CTL_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <uv.h>

#include "config.h"
#include "ctl_handlers.h"
#include "ctl_history.h"
#include "frame.h"
#include "owner.h"
#include "stack.h"
#include "synack.pb-c.h"

/* Largest request synackctl sends; replies may be larger (FRAME_MAX_LIMIT). */
#define CTL_MAX_REQUEST		(64 * 1024)
/* Queued output beyond which stream items are dropped. */
#define CTL_STREAM_MAX_QUEUED	(4u << 20)
/* Queued output beyond which the session's requests are not read. */
#define CTL_SESSION_MAX_QUEUED	(16u << 20)
/* ...and the number of queued frames, whatever their size. */
#define CTL_SESSION_MAX_WRITES	8192
/* Sessions of one uid other than root at once, and of all uids but root. */
#define CTL_SESSIONS_PER_UID	8
#define CTL_SESSIONS_MAX	64
/* Protocol errors before a session is dropped. */
#define CTL_SESSION_MAX_STRIKES 4

struct ctl_server;
struct listener;

struct ctl_session {
	struct ctl_client cl; /* who, and the streams wanted: what the handlers see */
	struct ctl_session *next;
	struct ctl_server *srv;
	uv_pipe_t pipe;
	bool closing, reading;
	unsigned strikes;
	struct frame_decoder dec;
	uint8_t rbuf[16 * 1024];
	const uint8_t *in; /* requests read into rbuf but held back while the output is full */
	size_t in_len;
	uint64_t queued;  /* memory of frames handed to uv_write and not yet written */
	uint32_t nwrites; /* and their number */

	uv_timer_t cap_timer; /* a capture's duration */
	bool cap_timer_on;
};

/*
 * What the control server needs from synackd: the core, the loop, the clock
 * and kick (base), when it started, and the answers the handlers' questions
 * about the rest of synackd need (ctl_handlers.h's struct ctl_host_ops, by
 * the same names; ctx is base.ctx).
 */
struct ctl_server_host {
	struct owner_host base;
	stack_time_us started;
	/* The daemon's part of status and stats; ret is zeroed first. */
	void (*info)(void *ctx, struct ctl_host_info *ret);
	int (*owner_info)(void *ctx, uint64_t owner, pid_t *ret_pid, uid_t *ret_uid,
			  const char **ret_name);
	uint32_t (*listener_waiting)(void *ctx, uint64_t owner, stack_sock sock);
	int (*kill_owned)(void *ctx, uint64_t owner, stack_sock sock);
	int (*reload)(void *ctx, struct config_errors *ret_errs, struct ctl_reload_report *ret);
	int (*impair)(void *ctx, const struct config_impair *set);
};

struct ctl_server {
	struct ctl_host host; /* the handlers' view of synackd, with the stats counters */
	struct ctl_server_host h;
	uv_loop_t *loop;
	struct stack *stack;
	uint32_t owner_id; /* as the daemon registered it (daemon_control.c) */
	struct ctl_session *sessions;
	uint32_t nsessions;
	uint32_t nroot; /* of which root's (not bounded) */
	bool logged_full;
	uint32_t nsubscribers; /* sessions with any stream: skip work when 0 */
	uint32_t ncapturing;   /* sessions capturing frames (ctl_server_capturing) */
	struct ctl_history hist;
	stack_time_us started;
};

/* A server with no session yet; 0, -ENOMEM, or getrandom()'s error. */
int ctl_server_new(const struct ctl_server_host *h, struct ctl_server **ret);
/* The control listener's handler (listener_set_handler(l, this, srv)). */
void ctl_server_on_connection(void *ctx, struct listener *l);
/* Take new history limits after a reload. */
void ctl_server_apply(struct ctl_server *srv, const struct synack_config *cfg);
/* Hang up every session (synackd stops). */
void ctl_server_close_all(struct ctl_server *srv);
/* Hang up every session and free the server (handles close as the loop runs). NULL ok. */
void ctl_server_delete(struct ctl_server *srv);
/* The core's trace hook calls this for every segment and state change. */
void ctl_server_trace(struct ctl_server *srv, const struct stack_trace *t);
/* The link calls this for every frame read from (out false) or written to the TAP. */
void ctl_server_capture(void *ctx, bool out, const uint8_t *frame, size_t len);
/* Does any session capture frames? The link's capture_active (ctx is the server). */
bool ctl_server_capturing(void *ctx);

#endif
