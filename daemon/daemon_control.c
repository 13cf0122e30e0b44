/* SPDX-License-Identifier: MIT */
/*
 * daemon_control.c - the control server (control/) wired into synackd: its
 * struct ctl_server_host (the core, the loop, and the daemon's answers:
 * status and counters of the link, the RPC server and the impairment
 * stage, reload, impair, and the RPC clients that own connections), its
 * owner registration (to hang up on shutdown), the control listener's
 * handler and the link's capture hook. The only control file that knows
 * struct daemon.
 */
#include <string.h>

#include "ctl_server.h"
#include "daemon.h"
#include "daemon_internal.h"
#include "link.h"
#include "log.h"
#include "listener.h"
#include "rpc_server.h"

/* The RPC server's counters (rpc_server.h), shown after the daemon's. */
static void daemon_control_rpc_counters(struct daemon *d, struct ctl_host_info *ret)
{
	struct rpc_counter_value rv[RPC_SERVER_COUNTERS];

	_Static_assert(RPC_SERVER_COUNTERS <= CTL_HOST_EXTRA_COUNTERS,
		       "room for the RPC server's counters");
	rpc_server_counters(daemon_rpc_server(d), rv);
	for (size_t i = 0; i < RPC_SERVER_COUNTERS; i++) {
		ret->extra[i].name = rv[i].name;
		ret->extra[i].value = rv[i].value;
		ret->extra[i].gauge = rv[i].gauge;
	}
	ret->n_extra = RPC_SERVER_COUNTERS;
}

/* The service manager's notifications (notify.h) and the log's drops
 * (log.h), after the RPC server's. */
static void daemon_control_notify_counters(const struct daemon_info *info,
					   struct ctl_host_info *ret)
{
	_Static_assert(RPC_SERVER_COUNTERS + 3 <= CTL_HOST_EXTRA_COUNTERS,
		       "room for the notification and log counters");
	ret->extra[ret->n_extra++] =
		(struct ctl_host_counter){ "SynackNotifyDropped", info->notify_dropped, false };
	ret->extra[ret->n_extra++] =
		(struct ctl_host_counter){ "SynackNotifyPending", info->notify_pending, true };
	ret->extra[ret->n_extra++] =
		(struct ctl_host_counter){ "SynackLogDropped", log_dropped(), false };
}

/* The impairment stage's counters (link_impair.h), shown after the extra ones. */
static void daemon_control_impair_counters(struct daemon *d, struct ctl_host_info *ret)
{
	struct link_impair_counter c[LINK_IMPAIR_COUNTERS];

	_Static_assert(LINK_IMPAIR_COUNTERS <= CTL_HOST_IMPAIR_COUNTERS,
		       "room for the impairment's counters");
	link_impair_counters(&daemon_link(d)->imp, c);
	for (size_t i = 0; i < LINK_IMPAIR_COUNTERS; i++) {
		ret->impair[i].name = c[i].name;
		ret->impair[i].value = c[i].value;
		ret->impair[i].gauge = c[i].gauge;
	}
	ret->n_impair = LINK_IMPAIR_COUNTERS;
}

static void daemon_control_info(void *ctx, struct ctl_host_info *ret)
{
	struct daemon *d = ctx;
	const struct link_stats *ls = &daemon_link(d)->stats;
	struct daemon_info info;

	daemon_get_info(d, &info);
	memcpy(ret->tap, info.tap, sizeof(ret->tap));
	memcpy(ret->mac, info.mac, sizeof(ret->mac));
	ret->offload = info.offload;
	ret->clients = info.clients;
	ret->started = info.started;
	ret->busy_poll_turns = info.busy_poll_turns;
	ret->rx_frames = ls->rx_frames;
	ret->rx_bad_hdr = ls->rx_bad_hdr;
	ret->rx_answers = ls->rx_answers;
	ret->tx_frames = ls->tx_frames;
	ret->tx_queued = ls->tx_queued;
	ret->tx_dropped = ls->tx_dropped;
	ret->tx_errors = ls->tx_errors;
	daemon_control_rpc_counters(d, ret);
	daemon_control_notify_counters(&info, ret);
	daemon_control_impair_counters(d, ret);
}

static int daemon_control_owner_info(void *ctx, uint64_t owner, pid_t *ret_pid, uid_t *ret_uid,
				     const char **ret_name)
{
	return rpc_server_owner_info(daemon_rpc_server(ctx), owner, ret_pid, ret_uid, ret_name);
}

static uint32_t daemon_control_listener_waiting(void *ctx, uint64_t owner, stack_sock sock)
{
	return rpc_server_listener_waiting(daemon_rpc_server(ctx), owner, sock);
}

static int daemon_control_kill_owned(void *ctx, uint64_t owner, stack_sock sock)
{
	return rpc_server_kill(daemon_rpc_server(ctx), owner, sock);
}

static int daemon_control_reload(void *ctx, struct config_errors *ret_errs,
				 struct ctl_reload_report *ret)
{
	return daemon_reload_config(ctx, ret_errs, ret);
}

static int daemon_control_impair(void *ctx, const struct config_impair *set)
{
	return daemon_impair_set(ctx, set);
}

static void daemon_control_owner_event(void *ctx, const struct stack_event *ev, uint32_t cookie)
{
	/* the control server opens no sockets */
}

static void daemon_control_owner_shutdown(void *ctx, bool abort)
{
	ctl_server_close_all(ctx);
}

static const struct owner_ops daemon_control_owner_ops = {
	.event = daemon_control_owner_event,
	.shutdown = daemon_control_owner_shutdown,
};

int daemon_control_start(struct daemon *d, struct ctl_server **ret)
{
	struct ctl_server_host h = {
		.info = daemon_control_info,
		.owner_info = daemon_control_owner_info,
		.listener_waiting = daemon_control_listener_waiting,
		.kill_owned = daemon_control_kill_owned,
		.reload = daemon_control_reload,
		.impair = daemon_control_impair,
	};
	struct link *link = daemon_link(d);
	struct daemon_info info;
	struct ctl_server *srv;
	int r;

	daemon_owner_host(d, &h.base);
	daemon_get_info(d, &info);
	h.started = info.started;
	r = ctl_server_new(&h, &srv);
	if (r < 0)
		return r;
	r = daemon_owner_register(d, &daemon_control_owner_ops, srv, &srv->owner_id);
	if (r < 0) {
		ctl_server_delete(srv);
		return r;
	}
	link->capture = ctl_server_capture;
	link->capture_active = ctl_server_capturing;
	link->capture_ctx = srv;
	listener_set_handler(daemon_control_listener(d), ctl_server_on_connection, srv);
	*ret = srv;
	return 0;
}

void daemon_control_stop(struct ctl_server *srv)
{
	struct daemon *d;
	struct link *link;

	if (!srv)
		return;
	d = srv->h.base.ctx;
	link = daemon_link(d);
	link->capture = NULL;
	link->capture_active = NULL;
	link->capture_ctx = NULL;
	listener_set_handler(daemon_control_listener(d), NULL, NULL);
	ctl_server_close_all(srv);
	daemon_owner_unregister(d, srv->owner_id);
	ctl_server_delete(srv);
}
