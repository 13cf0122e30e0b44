/* SPDX-License-Identifier: MIT */
/*
 * notify.c - synackd's messages to its service manager (sd_notify(3)'s
 * protocol: one datagram of NAME=VALUE lines to the AF_UNIX socket in
 * $NOTIFY_SOCKET, a path or "@" for an abstract name), and libsystemd's
 * sd_listen_fds_with_names(3) and sd_watchdog_enabled(3), wrapped for
 * synackd (see notify.h).
 *
 * The datagrams go out without blocking: sd_notify() sends on a blocking
 * socket, and a manager that does not read (a full receive queue: 10
 * datagrams by default) would stop the whole loop in it. A status line or
 * a watchdog ping that finds the queue full is dropped (the next one
 * follows; the latest status line dropped is sent once there is room, unless
 * a newer one went out); READY=1, RELOADING=1 and STOPPING=1 wait in a short
 * queue of their own and are sent again every NOTIFY_RETRY_MS, in order.
 * FDSTORE=1 (the TAP, at start) is tried once, without waiting either.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "log.h"
#include "notify.h"

#define NOTIFY_RETRY_MS 20

/* $NOTIFY_SOCKET as an address; false (with a warning) for what AF_UNIX cannot reach. */
static bool notify_address(struct notify *n, const char *env)
{
	size_t len = strlen(env);

	if ((env[0] != '/' && env[0] != '@') || len < 2 || len >= sizeof(n->addr.sun_path)) {
		log_warning("NOTIFY_SOCKET=%s is not an AF_UNIX path or @name; not notifying", env);
		return false;
	}
	memset(&n->addr, 0, sizeof(n->addr));
	n->addr.sun_family = AF_UNIX;
	memcpy(n->addr.sun_path, env, len);
	if (env[0] == '@')
		n->addr.sun_path[0] = '\0'; /* abstract: the name's length counts, no NUL */
	n->addrlen =
		(socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (env[0] == '/' ? 1 : 0));
	return true;
}

/* One datagram, never blocking: 0, -EAGAIN when the manager's queue is full, or -errno. */
static int notify_sendto(struct notify *n, const char *msg)
{
	ssize_t r;

	do {
		r = sendto(n->fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL,
			   (const struct sockaddr *)&n->addr, n->addrlen);
	} while (r < 0 && errno == EINTR);
	if (r >= 0)
		return 0;
	if (errno == EWOULDBLOCK)
		return -EAGAIN;
	return -errno;
}

static void notify_failed(struct notify *n, int err)
{
	if (!n->logged_error)
		log_errno_at(LOG_WARNING, err, "cannot notify the service manager");
	n->logged_error = true;
}

/* Send what waits, in order; true when nothing waits any more. */
static bool notify_flush(struct notify *n)
{
	while (n->npending) {
		int r = notify_sendto(n, n->pending[0]);

		if (r == -EAGAIN)
			return false;
		if (r < 0)
			notify_failed(n, r);
		n->npending--;
		memmove(n->pending[0], n->pending[1], n->npending * sizeof(n->pending[0]));
	}
	/* the latest status line dropped, unless a later one went out */
	if (n->status[0]) {
		int r = notify_sendto(n, n->status);

		if (r == -EAGAIN)
			return false;
		n->status[0] = '\0';
	}
	if (n->retry.loop && !uv_is_closing((uv_handle_t *)&n->retry))
		uv_timer_stop(&n->retry);
	return true;
}

static void notify_retry_cb(uv_timer_t *t)
{
	notify_flush(t->data);
}

/* Try again every NOTIFY_RETRY_MS while something waits (notify_flush stops it). */
static void notify_retry_arm(struct notify *n)
{
	if (n->retry.loop && !uv_is_active((uv_handle_t *)&n->retry))
		uv_timer_start(&n->retry, notify_retry_cb, NOTIFY_RETRY_MS, NOTIFY_RETRY_MS);
}

static void notify_queue_full(struct notify *n)
{
	if (!n->logged_full)
		log_notice("the service manager's notification socket is full; dropping "
			   "status lines and watchdog pings until it reads");
	n->logged_full = true;
}

/* must_arrive: READY=1, RELOADING=1, STOPPING=1 wait for room; the rest is dropped. */
static void notify_send(struct notify *n, const char *msg, bool must_arrive)
{
	if (!n->enabled)
		return;
	if (notify_flush(n)) {
		int r = notify_sendto(n, msg);

		if (r == 0) {
			n->logged_full = false;
			if (strstr(msg, "STATUS="))
				n->status[0] = '\0'; /* newer than the one dropped */
			return;
		}
		if (r != -EAGAIN) {
			notify_failed(n, r);
			return;
		}
	}
	notify_queue_full(n);
	if (!must_arrive || n->npending == NOTIFY_PENDING) {
		n->dropped++;
		if (strncmp(msg, "STATUS=", 7) == 0) /* the manager shows it: keep the latest */
			snprintf(n->status, sizeof(n->status), "%s", msg);
		if (n->status[0])
			notify_retry_arm(n);
		return;
	}
	snprintf(n->pending[n->npending++], sizeof(n->pending[0]), "%s", msg);
	if (strstr(msg, "STATUS="))
		n->status[0] = '\0'; /* it carries a newer status than the one dropped */
	notify_retry_arm(n);
}

static bool notify_listen_check(int fd, const char *name)
{
	if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) > 0)
		return true;
	log_warning("socket-activated fd %d (%s) is not a listening Unix stream socket; "
		    "ignoring it",
		    fd, name);
	return false;
}

int notify_listen_fds(struct notify_fds *ret)
{
	struct notify_fds f = { .rpc = -1, .control = -1, .tap = -1 };
	char **names = NULL;
	int n;

	n = sd_listen_fds_with_names(1, &names);
	if (n < 0)
		return log_errno(n, "cannot read $LISTEN_FDS");
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		const char *name = names && names[i] ? names[i] : "unknown";

		if (strcmp(name, "rpc") == 0 && f.rpc < 0 && notify_listen_check(fd, name))
			f.rpc = fd;
		else if (strcmp(name, "control") == 0 && f.control < 0 &&
			 notify_listen_check(fd, name))
			f.control = fd;
		else if (strcmp(name, "tap") == 0 && f.tap < 0)
			f.tap = fd;
		else {
			log_warning("closing passed fd %d named \"%s\": not rpc, control or tap",
				    fd, name);
			close(fd);
		}
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	*ret = f;
	return n;
}

static void notify_watchdog_cb(uv_timer_t *t)
{
	struct notify *n = t->data;

	notify_send(n, "WATCHDOG=1", false);
}

int notify_init(struct notify *n, uv_loop_t *loop)
{
	uint64_t usec = 0;
	int r;

	const char *env = getenv("NOTIFY_SOCKET");

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	if (env && notify_address(n, env)) {
		n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (n->fd < 0)
			return log_errno(-errno, "notification socket");
		n->enabled = true;
	}
	r = uv_timer_init(loop, &n->retry);
	if (r < 0)
		return log_errno(r, "notification retry timer");
	n->retry.data = n;
	r = uv_timer_init(loop, &n->watchdog);
	if (r < 0)
		return log_errno(r, "watchdog timer");
	n->watchdog.data = n;
	r = sd_watchdog_enabled(0, &usec);
	if (r <= 0 || usec == 0)
		return 0;
	n->watchdog_usec = usec;
	n->watchdog_on = true;
	/* half the interval, as sd_watchdog_enabled(3) recommends; at least 1 ms */
	uint64_t ms = usec / 2000 ? usec / 2000 : 1;
	uv_timer_start(&n->watchdog, notify_watchdog_cb, ms, ms);
	log_debug("watchdog: pinging every %llu ms", (unsigned long long)ms);
	return 0;
}

void notify_close(struct notify *n)
{
	if (n->enabled && !notify_flush(n)) {
		unsigned left = n->npending + (n->status[0] ? 1 : 0);

		log_notice("exiting with %u notification%s the service manager did not take", left,
			   left == 1 ? "" : "s");
	}
	if (n->retry.loop && !uv_is_closing((uv_handle_t *)&n->retry))
		uv_close((uv_handle_t *)&n->retry, NULL);
	if (n->watchdog.loop && !uv_is_closing((uv_handle_t *)&n->watchdog))
		uv_close((uv_handle_t *)&n->watchdog, NULL);
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->enabled = false;
}

void notify_ready(struct notify *n, const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify_send(n, msg, true);
}

void notify_status(struct notify *n, const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	notify_send(n, msg, false);
}

void notify_reloading(struct notify *n)
{
	struct timespec ts;
	char msg[128];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg),
		 "RELOADING=1\nSTATUS=Reloading the configuration\nMONOTONIC_USEC=%llu",
		 (unsigned long long)ts.tv_sec * 1000000ull +
			 (unsigned long long)ts.tv_nsec / 1000);
	notify_send(n, msg, true);
}

void notify_stopping(struct notify *n)
{
	notify_send(n, "STOPPING=1\nSTATUS=Stopping", true);
}

int notify_store_fd(struct notify *n, int fd, const char *name)
{
	char msg[64];
	struct iovec iov = { .iov_base = msg };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	union fdpass_ctl ctl;
	ssize_t r;

	if (!n->enabled)
		return 0;
	/* as every message, without waiting: a manager that does not read now
	 * only costs the TAP its survival across a restart */
	iov.iov_len = (size_t)snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	mh.msg_name = &n->addr;
	mh.msg_namelen = n->addrlen;
	fdpass_attach(&mh, &ctl, fd);
	do {
		r = sendmsg(n->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	if (r < 0)
		return log_errno_at(LOG_WARNING, -errno,
				    "cannot store the %s fd with the service manager", name);
	return 0;
}
