/* SPDX-License-Identifier: MIT */
/*
 * owner.h - what the parts of synackd that own connections (the built-in
 * services, the RPC server, the control server) are handed by the daemon:
 * the core and the loop, and the calls back into the daemon they need,
 * as a struct of function pointers, so that none of them includes
 * daemon.h. daemon.c fills one in for each (daemon_owner_host()); a test
 * or fuzz harness may fill in its own.
 *
 * Events go to owners by the owner tag a socket was opened with: an owner
 * registers a set of callbacks and gets an id; the tags it passes to
 * stack_tcp_listen/connect/accept are owner_tag(id, cookie), and the
 * cookie comes back with every event.
 */
#ifndef SYNACKD_OWNER_H
#define SYNACKD_OWNER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "stack.h"

struct owner_ops {
	/* An event for a socket opened with one of this owner's tags. */
	void (*event)(void *ctx, const struct stack_event *ev, uint32_t cookie);
	/* The daemon is stopping: stop accepting and close every connection (abort: with RST). */
	void (*shutdown)(void *ctx, bool abort);
	/* Optional: the direct reader of this owner's sockets marked with
	 * stack_tcp_set_direct() (stack_env.direct): how many of len in-order
	 * bytes it took as they arrived. It must not call into the stack. */
	size_t (*direct)(void *ctx, stack_sock sock, uint32_t cookie, const uint8_t *data,
			 size_t len);
};

struct owner_host {
	void *ctx; /* the daemon's, passed back to every call below */
	struct stack *stack;
	uv_loop_t *loop;
	const struct synack_config *cfg; /* the running configuration (a reload changes it) */
	/* Monotonic microseconds, the core's clock. */
	stack_time_us (*now)(void *ctx);
	/* Run the core now (poll, dispatch events, re-arm its timer); safe from event handlers. */
	void (*kick)(void *ctx);
	/* -ENOSPC when 65535 owners are registered. */
	int (*owner_register)(void *ctx, const struct owner_ops *ops, void *owner_ctx,
			      uint32_t *ret_id);
	/* Events still arriving for a released owner's sockets are answered with abort/ignored. */
	void (*owner_unregister)(void *ctx, uint32_t id);
};

/* The owner tag for stack_tcp_*(): never 0 for an id > 0, unique per (owner, cookie). */
static inline uint64_t owner_tag(uint32_t id, uint32_t cookie)
{
	return ((uint64_t)id << 32) | cookie;
}

#endif
