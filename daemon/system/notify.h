/* SPDX-License-Identifier: MIT */
/*
 * notify.h - synackd and its service manager: sd_notify() readiness,
 * status, reload, stop and watchdog messages; the fds systemd hands over at
 * start (socket activation by name, and the TAP from the fd store); storing
 * the TAP fd back so a restart keeps the interface. Messages never block the
 * loop (notify.c says what happens while the manager does not read).
 *
 * Everything here is a no-op outside systemd ($NOTIFY_SOCKET, $LISTEN_FDS
 * unset), so synackd runs the same by hand, in a container or under tests.
 */
#ifndef SYNACKD_NOTIFY_H
#define SYNACKD_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>
#include <uv.h>

/* The fds passed by name at start; -1 for each one not passed. */
struct notify_fds {
	int rpc;     /* FileDescriptorName=rpc: the app socket, listening */
	int control; /* FileDescriptorName=control: synackctl's socket, listening */
	int tap;     /* FDNAME=tap from the fd store */
};

/* READY=1, RELOADING=1 and STOPPING=1 kept while the manager's queue is full */
#define NOTIFY_PENDING 8

struct notify {
	bool enabled; /* $NOTIFY_SOCKET is set and usable */
	int fd;	      /* non-blocking datagram socket towards it */
	struct sockaddr_un addr;
	socklen_t addrlen;
	char pending[NOTIFY_PENDING][512];
	unsigned npending;
	uv_timer_t retry; /* sends what is pending again while any is */
	uint64_t dropped; /* not sent for want of room (SynackNotifyDropped) */
	char status[512]; /* the latest STATUS= dropped, sent once there is room */
	bool logged_full, logged_error;
	uv_timer_t watchdog;
	bool watchdog_on;
	uint64_t watchdog_usec;
};

/* Collect $LISTEN_FDS by name (and unset the variables). Unknown names are closed. */
int notify_listen_fds(struct notify_fds *ret);
/* Start WATCHDOG=1 pings at half of $WATCHDOG_USEC when the manager asks for them. */
int notify_init(struct notify *n, uv_loop_t *loop);
void notify_close(struct notify *n);

void notify_ready(struct notify *n, const char *status);
void notify_status(struct notify *n, const char *status);
/* RELOADING=1 with MONOTONIC_USEC= of now (Type=notify-reload wants both). */
void notify_reloading(struct notify *n);
void notify_stopping(struct notify *n);
/* FDSTORE=1 with FDNAME=name, when the manager has an fd store for us. */
int notify_store_fd(struct notify *n, int fd, const char *name);

#endif
