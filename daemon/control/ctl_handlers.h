/* SPDX-License-Identifier: MIT */
/*
 * ctl_handlers.h - one function per control operation (synack.proto's
 * ControlRequest): the stack's and the daemon's state into typed replies,
 * and the few changes synackctl may make. Each handler queues its own
 * ControlReply on the client; replies that carry lists are built in
 * memory that lives only until the reply is packed.
 *
 * The handlers know synackd only through struct ctl_host: the core, the
 * trace history, the configuration and a few operations the control server
 * implements over libuv (ctl_server.c), and a fuzz target implements in
 * memory (tests/fuzz/targets/fuzz-ctl.c).
 */
#ifndef SYNACKD_CTL_HANDLERS_H
#define SYNACKD_CTL_HANDLERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "ctl_history.h"
#include "stack.h"
#include "synack.pb-c.h"

struct ctl_host;

/* One synackctl as the handlers see it: who it is, and the streams it asked for. */
struct ctl_client {
	struct ctl_host *host;
	pid_t pid;
	uid_t uid;
	gid_t gid;
	bool events;	   /* Subscribe: state transitions */
	uint64_t follow;   /* Trace follow: the connection id, 0 none */
	bool capturing;	   /* Capture */
	uint64_t cap_left; /* frames still wanted, 0 = no limit */
	uint32_t cap_snap; /* bytes per frame, 0 = all */
	uint64_t dropped;  /* stream items dropped because the client lagged */
};

/* A counter of another part of the host (the RPC server's), shown by `stats`. */
struct ctl_host_counter {
	const char *name;
	uint64_t value;
	bool gauge;
};
#define CTL_HOST_EXTRA_COUNTERS	 26
/* Room for the impairment stage's counters (link_impair.h), shown after the extra ones. */
#define CTL_HOST_IMPAIR_COUNTERS 24

/* What `status` and `stats` show of synackd beyond the core. */
struct ctl_host_info {
	char tap[16];
	uint8_t mac[6];
	bool offload; /* the TAP carries virtio-net headers */
	uint32_t clients;
	stack_time_us started;
	uint64_t rx_frames, rx_bad_hdr, tx_frames, tx_queued, tx_dropped, tx_errors; /* the link */
	uint64_t rx_answers;	  /* of rx_frames, read back at once after a Connect's SYN */
	uint64_t busy_poll_turns; /* loop turns spent polling (interface.busy_poll) */
	struct ctl_host_counter extra[CTL_HOST_EXTRA_COUNTERS]; /* after the daemon's own */
	size_t n_extra;
	struct ctl_host_counter impair[CTL_HOST_IMPAIR_COUNTERS]; /* after the extra ones */
	size_t n_impair;
};

/* What an applied reload did with one key; values as the configuration file writes them. */
enum ctl_reload_kind {
	CTL_RELOAD_CHANGED,	/* before -> after */
	CTL_RELOAD_KEPT,	/* set at runtime (synackctl set), not named by the file */
	CTL_RELOAD_NOT_APPLIED, /* the file differs from before, which stays (why) */
};

struct ctl_reload_value {
	enum ctl_reload_kind kind;
	const char *key; /* config_key_path(): static */
	char before[CONFIG_VALUE_MAX], after[CONFIG_VALUE_MAX], file[CONFIG_VALUE_MAX];
	char why[64]; /* NOT_APPLIED: "needs a restart", the stack's refusal */
};

/* The reply to a Reload (ReloadResult): one entry per key it concerns, in the file's key order. */
struct ctl_reload_report {
	char file[256]; /* as struct config_errors names it */
	struct ctl_reload_value v[CONFIG_KEYS_MAX];
	size_t n;
	unsigned n_kind[CTL_RELOAD_NOT_APPLIED + 1]; /* entries of each kind */
};

struct ctl_host_ops {
	/* Queue m for c; stream items (stream true) may be dropped when c lags (-ENOBUFS). */
	int (*send)(struct ctl_client *c, const Synack__V1__ControlServerMessage *m, bool stream);
	/* 0 when c may read (admin false) or change synackd (admin true), else -EPERM + why. */
	int (*allowed)(struct ctl_client *c, bool admin, char *why, size_t len);
	/* c's streams (events, follow, capturing) changed. */
	void (*streams_changed)(struct ctl_client *c);
	/* End c's capture after ms (0: no time limit). */
	int (*capture_timer)(struct ctl_client *c, uint64_t ms);
	/* End c's capture now: its StreamEnd (with the drops) is queued behind its frames. */
	void (*capture_end)(struct ctl_client *c, const char *why);
	/* Monotonic microseconds, the core's clock. */
	stack_time_us (*now)(struct ctl_host *h);
	/* Run the core now: the handlers changed it. */
	void (*kick)(struct ctl_host *h);
	void (*info)(struct ctl_host *h, struct ctl_host_info *ret);
	/* The RPC client that owns a connection (by the core's owner tag); -ENOENT if none. */
	int (*owner_info)(struct ctl_host *h, uint64_t owner, pid_t *ret_pid, uid_t *ret_uid,
			  const char **ret_name);
	/* Connections a listener has accepted that wait in its RPC client's accept socket
	 * (synack-run's listeners), not yet taken: part of its Recv-Q, as ss counts. May be NULL. */
	uint32_t (*listener_waiting)(struct ctl_host *h, uint64_t owner, stack_sock sock);
	/* Abort a connection an RPC client owns and tell the client; -ENOENT if none owns it. */
	int (*kill_owned)(struct ctl_host *h, uint64_t owner, stack_sock sock);
	/* Re-read the configuration file; 0 with what it did in *ret (allocated by the caller),
	 * -EINVAL with the file's errors in ret_errs, -ENODATA when the daemon runs without one
	 * (--config not given). */
	int (*reload)(struct ctl_host *h, struct config_errors *ret_errs,
		      struct ctl_reload_report *ret);
	/* Put an impairment in force (already checked with config_impair_check()); cfg's
	 * impair: section shows it afterwards. -EBUSY while stopping. */
	int (*impair)(struct ctl_host *h, const struct config_impair *set);
};

struct ctl_host {
	const struct ctl_host_ops *ops;
	struct stack *stack;
	struct ctl_history *hist;
	const struct synack_config *cfg;
	/* counters shown by `stats` (the host counts requests and stream drops) */
	uint64_t requests, refused, stream_drops, sessions_refused;
	/* walks over the whole connection table: a request makes a bounded number */
	uint64_t walks;
};

/* Run the request and queue its reply; returns the status code sent (0 or positive errno). */
int ctl_handle_request(struct ctl_client *c, const Synack__V1__ControlRequest *rq);
/* Queue a reply with only a status (err: negative errno or 0). */
void ctl_reply_status(struct ctl_client *c, uint64_t id, int err, const char *detail);

/* Conversions shared with the server's streams. */
void ctl_pb_trace_entry(const struct ctl_hist_entry *e, Synack__V1__TraceEntry *ret);
Synack__V1__TcpState ctl_pb_state(uint8_t stack_state);
void ctl_pb_endpoint(const struct stack_endpoint *e, Synack__V1__Endpoint *ret, uint8_t addr[4]);

#endif
