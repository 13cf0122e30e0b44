/* SPDX-License-Identifier: MIT */
/*
 * daemon_rpc.c - the RPC server (rpc/) wired into synackd: the daemon's
 * clock, kick and client count as the server's host (rpc_server.h), its
 * owner registration, and the rpc listener's accepted clients handed to
 * rpc_server_adopt(). The only RPC file that knows struct daemon.
 */
#include <errno.h>
#include <stdlib.h>

#include "daemon.h"
#include "daemon_internal.h"
#include "link.h"
#include "listener.h"
#include "log.h"
#include "rpc_fd.h"
#include "rpc_server.h"
#include "rpc_session.h"
#include "sent_fds.h"

static stack_time_us daemon_rpc_now(void *ctx)
{
	return daemon_now();
}

static void daemon_rpc_kick(void *ctx)
{
	daemon_kick(ctx);
}

static void daemon_rpc_link_answers(void *ctx)
{
	/* a TAP that failed is reported by its poll on the next turn (link_poll_cb) */
	(void)link_read_answers(daemon_link(ctx));
}

static void daemon_rpc_clients_add(void *ctx, int delta)
{
	daemon_clients_add(ctx, delta);
}

static void daemon_rpc_event(void *ctx, const struct stack_event *ev, uint32_t cookie)
{
	rpc_server_event(ctx, ev, cookie);
}

static void daemon_rpc_shutdown(void *ctx, bool abort)
{
	rpc_server_close_all(ctx, abort);
}

static const struct owner_ops daemon_rpc_owner_ops = {
	.event = daemon_rpc_event,
	.shutdown = daemon_rpc_shutdown,
};

static void daemon_rpc_pipe_closed(uv_handle_t *h)
{
	free(h->data);
}

static void daemon_rpc_on_connection(void *ctx, struct listener *l)
{
	struct rpc_server *srv = ctx;
	struct rpc_session *ss = calloc(1, sizeof(*ss));
	int r;

	if (!ss)
		return;
	/* IPC: data sockets (FEATURE_FD_DATA) go out with SCM_RIGHTS */
	r = uv_pipe_init(srv->loop, &ss->pipe, 1);
	if (r < 0) {
		free(ss);
		return;
	}
	r = listener_accept(l, &ss->pipe);
	if (r < 0) {
		log_warning("rpc: new client: %s", uv_strerror(r));
		ss->pipe.data = ss;
		sent_fds_close_handle((uv_handle_t *)&ss->pipe, daemon_rpc_pipe_closed);
		return;
	}
	/* also one that connected before the listener refused descriptors; its
	 * Hello takes them again if it asks for detached connections */
	sent_fds_refuse_handle((uv_handle_t *)&ss->pipe);
	rpc_server_adopt(srv, ss);
}

int daemon_rpc_start(struct daemon *d, struct rpc_server **ret)
{
	const struct rpc_host host = {
		.ctx = d,
		.now = daemon_rpc_now,
		.kick = daemon_rpc_kick,
		.clients_add = daemon_rpc_clients_add,
		.link_answers = daemon_rpc_link_answers,
	};
	struct rpc_limits limits;
	struct rpc_server *srv;
	uint32_t owner_id;
	int r;

	rpc_limits_from_config(&limits, daemon_config(d));
	rpc_fd_raise_nofile(); /* each data socket costs a descriptor */
	srv = rpc_server_new(&host, daemon_loop(d), daemon_stack(d), 0, &limits);
	if (!srv)
		return -ENOMEM;
	r = daemon_owner_register(d, &daemon_rpc_owner_ops, srv, &owner_id);
	if (r < 0) {
		rpc_server_delete(srv);
		return r;
	}
	srv->owner_id = owner_id;
	listener_set_handler(daemon_rpc_listener(d), daemon_rpc_on_connection, srv);
	*ret = srv;
	return 0;
}

void daemon_rpc_stop(struct rpc_server *srv)
{
	if (!srv)
		return;
	listener_set_handler(daemon_rpc_listener(srv->host.ctx), NULL, NULL);
	/* hang up while the owner is registered: the CLOSED events still find us */
	rpc_server_close_all(srv, false);
	daemon_owner_unregister(srv->host.ctx, srv->owner_id);
	rpc_server_delete(srv);
}
