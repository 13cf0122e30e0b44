/* SPDX-License-Identifier: MIT */
/*
 * daemon.h - struct daemon: one libuv loop around one stack instance.
 *
 * After every input, timer and request the loop "kicks" the core:
 * now = uv_hrtime() / 1000, stack_poll(now), pop and dispatch every event,
 * re-arm the one uv_timer_t at stack_poll_at(). Events go to "owners" by
 * the owner tag the socket was opened with (owner.h): the built-in
 * services, the RPC server, the control server. Those are handed a struct
 * owner_host (daemon_owner_host()) and never include this header; the
 * files that wire them to the daemon are daemon_rpc.c and daemon_control.c
 * (daemon_internal.h).
 */
#ifndef SYNACKD_DAEMON_H
#define SYNACKD_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "owner.h"
#include "stack.h"

struct ctl_reload_report;
struct daemon;
struct listener;

struct daemon_opts {
	const char *config_path; /* NULL: running on the embedded defaults */
	const char *netns;	 /* overrides interface.netns when set */
	int log_level;		 /* syslog priority from --log-level, or -1 */
};

/* Set everything up, run until SIGTERM/SIGINT, tear down; returns the exit status. */
int daemon_run(const struct daemon_opts *opts, const struct synack_config *cfg);

/* ---- for the files that wire the servers to the daemon (daemon_*.c) ---- */

/* What an owner is handed (owner.h): the core, the loop, the clock, kick, registration. */
void daemon_owner_host(struct daemon *d, struct owner_host *ret);
/* -ENOSPC when 65535 owners are registered. */
int daemon_owner_register(struct daemon *d, const struct owner_ops *ops, void *ctx,
			  uint32_t *ret_id);
/* Events still arriving for a released owner's sockets are answered with abort/ignored. */
void daemon_owner_unregister(struct daemon *d, uint32_t id);

struct stack *daemon_stack(struct daemon *d);
uv_loop_t *daemon_loop(struct daemon *d);
const struct synack_config *daemon_config(const struct daemon *d);
/* Monotonic microseconds, the core's clock. */
stack_time_us daemon_now(void);
/* Run the core now (poll, dispatch events, re-arm the timer); safe to call from event handlers. */
void daemon_kick(struct daemon *d);
/* The listening sockets, to serve: install a handler with listener_set_handler(). */
struct listener *daemon_rpc_listener(struct daemon *d);
struct listener *daemon_control_listener(struct daemon *d);
/* Clients connected over RPC, shown in STATUS= (the RPC server adds and removes). */
void daemon_clients_add(struct daemon *d, int delta);

/* ---- for the control server's wiring (daemon_control.c) ---- */

struct daemon_info {
	char tap[16];
	uint8_t mac[6];
	bool offload; /* the TAP carries virtio-net headers */
	uint32_t clients;
	stack_time_us started;
	uint64_t busy_poll_turns; /* loop turns spent polling (interface.busy_poll) */
	uint64_t notify_dropped;  /* notifications the service manager had no room for */
	uint32_t notify_pending;  /* ...and those waiting to be sent again */
};
void daemon_get_info(struct daemon *d, struct daemon_info *ret);
struct link *daemon_link(struct daemon *d);
struct rpc_server *daemon_rpc_server(struct daemon *d);
/*
 * Re-read the configuration file as SIGHUP does. 0 when applied, with what
 * changed, what was kept and what was not applied in *ret_report (may be NULL;
 * ctl_handlers.h); -ENODATA when there is no file (started without --config:
 * nothing changes); -EINVAL when refused, with the file's errors in ret_errs
 * (the caller frees them with config_errors_free()); -EBUSY while stopping.
 *
 * A tunable whose running value differs from what the configuration gave it
 * was changed at runtime (synackctl set): it keeps that value unless the new
 * file names its key. Every other key takes the new file's value (its default
 * when the file leaves it out), except those that need a restart.
 */
int daemon_reload_config(struct daemon *d, struct config_errors *ret_errs,
			 struct ctl_reload_report *ret_report);
/* Put an impairment in force now (synackctl impair); checked by the caller. -EBUSY while
 * stopping. daemon_config()'s impair: section then shows it. */
int daemon_impair_set(struct daemon *d, const struct config_impair *c);

#endif
