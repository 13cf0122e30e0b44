/* SPDX-License-Identifier: MIT */
/*
 * notify.c - sd_notify(3), sd_listen_fds_with_names(3) and sd_watchdog_enabled(3)
 * from libsystemd, wrapped for synackd (see notify.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static void notify_send(struct notify *n, const char *msg)
{
	int r;

	if (!n->enabled)
		return;
	r = sd_notify(0, msg);
	if (r < 0)
		log_errno_at(LOG_WARNING, r, "sd_notify failed");
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

	notify_send(n, "WATCHDOG=1");
}

int notify_init(struct notify *n, uv_loop_t *loop)
{
	uint64_t usec = 0;
	int r;

	memset(n, 0, sizeof(*n));
	n->enabled = getenv("NOTIFY_SOCKET") != NULL;
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
	if (n->watchdog.loop && !uv_is_closing((uv_handle_t *)&n->watchdog))
		uv_close((uv_handle_t *)&n->watchdog, NULL);
}

void notify_ready(struct notify *n, const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", status);
	notify_send(n, msg);
}

void notify_status(struct notify *n, const char *status)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "STATUS=%s", status);
	notify_send(n, msg);
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
	notify_send(n, msg);
}

void notify_stopping(struct notify *n)
{
	notify_send(n, "STOPPING=1\nSTATUS=Stopping");
}

int notify_store_fd(struct notify *n, int fd, const char *name)
{
	char msg[64];
	int r;

	if (!n->enabled)
		return 0;
	snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", name);
	r = sd_pid_notify_with_fds(0, 0, msg, &fd, 1);
	if (r < 0)
		return log_errno_at(LOG_WARNING, r,
				    "cannot store the %s fd with the service manager", name);
	return 0;
}
