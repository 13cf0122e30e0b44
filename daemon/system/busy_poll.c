/* SPDX-License-Identifier: MIT */
/*
 * system/busy_poll.c - interface.busy_poll: after the loop wakes, it goes on
 * polling its descriptors without sleeping until the window has passed with
 * none of them ready, then sleeps as before. A packet or a client's request
 * that comes within the window is then handled without the wake-up (on a
 * virtual machine, a halted vCPU woken by an IPI: tens of µs), at the price
 * of the CPU spent polling: up to the window after each burst, a whole core
 * under steady traffic. Off (0) by default; an idle daemon polls only for a
 * window after each wake (a timer: the status timer every 5 s, TCP timers),
 * never on and on. Linux's net.core.busy_poll makes the same trade for
 * sockets.
 *
 * How: an active uv_idle_t makes libuv poll with a zero timeout; the idle
 * callback looks at libuv's epoll descriptor with poll(2) (which reports it
 * readable when any watched descriptor is, and consumes nothing) and stops
 * itself once nothing was ready for the window; a uv_check_t, run after
 * every poll, reopens the window after the loop slept and woke.
 */
#include <poll.h>

#include "busy_poll.h"

static void busy_poll_idle_cb(uv_idle_t *h)
{
	struct busy_poll *bp = h->data;
	struct pollfd p = { .fd = uv_backend_fd(h->loop), .events = POLLIN };
	uint64_t now = uv_hrtime();

	bp->turns++;
	if (poll(&p, 1, 0) > 0)
		bp->last_ns = now;
	else if (now - bp->last_ns > bp->window_ns)
		uv_idle_stop(h); /* quiet for the whole window: sleep again */
}

static void busy_poll_check_cb(uv_check_t *h)
{
	struct busy_poll *bp = h->data;

	if (uv_is_active((uv_handle_t *)&bp->idle))
		return;
	/* the loop slept and something woke it: poll for a window from now */
	bp->last_ns = uv_hrtime();
	uv_idle_start(&bp->idle, busy_poll_idle_cb);
}

void busy_poll_start(struct busy_poll *bp, uv_loop_t *loop, uint64_t window_us)
{
	bp->window_ns = window_us * 1000;
	bp->turns = 0;
	bp->started = window_us > 0;
	if (!bp->started)
		return;
	uv_idle_init(loop, &bp->idle);
	uv_check_init(loop, &bp->check);
	bp->idle.data = bp->check.data = bp;
	/* neither keeps the loop alive: the daemon's own handles decide when it ends */
	uv_unref((uv_handle_t *)&bp->idle);
	uv_unref((uv_handle_t *)&bp->check);
	uv_check_start(&bp->check, busy_poll_check_cb);
}

void busy_poll_stop(struct busy_poll *bp)
{
	if (!bp->started)
		return;
	bp->started = false;
	uv_close((uv_handle_t *)&bp->idle, NULL);
	uv_close((uv_handle_t *)&bp->check, NULL);
}
