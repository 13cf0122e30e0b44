/* SPDX-License-Identifier: MIT */
/*
 * system/busy_poll.h - interface.busy_poll: keep the loop polling, without
 * sleeping, for a while after it wakes (busy_poll.c).
 */
#ifndef SYNACK_BUSY_POLL_H
#define SYNACK_BUSY_POLL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct busy_poll {
	uv_idle_t idle;	  /* active while polling: the loop's poll does not block */
	uv_check_t check; /* after each wake: (re)start the window */
	uint64_t window_ns;
	uint64_t last_ns; /* when something was last seen ready */
	uint64_t turns;	  /* loop turns spent polling (SynackBusyPollTurns) */
	bool started;
};

/* Start polling windows of window_us after every wake of loop; 0 = off (nothing started). */
void busy_poll_start(struct busy_poll *bp, uv_loop_t *loop, uint64_t window_us);
/* Close the handles (the loop's next run finishes them). */
void busy_poll_stop(struct busy_poll *bp);

#endif
