/* SPDX-License-Identifier: MIT */
/*
 * listener.c - listening Unix sockets from socket activation or bound at a
 * path (see listener.h).
 *
 * Binding: a socket file left by a previous run is removed only when
 * nothing answers on it (a connect() is refused), so two daemons never
 * steal each other's socket. The parent directory is created (0755) when
 * missing; under systemd, RuntimeDirectory= or the .socket unit makes it.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"
#include "sent_fds.h"

#define LISTENER_BACKLOG 128

/* -EADDRINUSE when a live server answers at path, 0 when it is free (now). */
static int listener_clear_stale(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	int fd, r;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	/* non-blocking: a live server whose backlog is full (hung) answers EAGAIN
	 * at once, where a blocking connect would wait for it */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	strncpy(sa.sun_path, path, sizeof(sa.sun_path) - 1);
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	if (r < 0)
		r = -errno;
	close(fd);
	if (r == 0 || r == -EAGAIN)
		return -EADDRINUSE;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int listener_make_parent(const char *path)
{
	char dir[108];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int listener_set_perms(const char *path, uint32_t mode, const char *group)
{
	if (chmod(path, (mode_t)mode) < 0)
		return -errno;
	if (group && group[0]) {
		struct group *gr = getgrnam(group);

		if (!gr)
			return -ESRCH;
		if (chown(path, (uid_t)-1, gr->gr_gid) < 0)
			return -errno;
	}
	return 0;
}

static void listener_reject(struct listener *l)
{
	uv_pipe_t *c = malloc(sizeof(*c));

	if (!c || uv_pipe_init(l->pipe.loop, c, 0) < 0) {
		free(c);
		return;
	}
	if (listener_accept(l, c) < 0)
		log_debug("%s socket: accept failed", l->what);
	sent_fds_close_handle((uv_handle_t *)c, (uv_close_cb)free);
}

static void listener_connection_cb(uv_stream_t *server, int status)
{
	struct listener *l = server->data;

	if (status < 0) {
		log_once(&l->accept_failed, LOG_WARNING, "%s socket: %s", l->what,
			 uv_strerror(status));
		return;
	}
	if (l->on_connection)
		l->on_connection(l->ctx, l);
	else
		listener_reject(l);
}

static int listener_bind(struct listener *l, const char *path, uint32_t mode, const char *group)
{
	int r;

	r = listener_make_parent(path);
	if (r < 0)
		return log_errno(r, "%s socket %s: cannot create its directory", l->what, path);
	r = listener_clear_stale(path);
	if (r == -EADDRINUSE)
		return log_errno(r, "%s socket %s: another server is listening there", l->what,
				 path);
	if (r < 0)
		return log_errno(r, "%s socket %s: cannot remove the old file", l->what, path);
	r = uv_pipe_bind(&l->pipe, path);
	if (r < 0)
		return log_errno(r, "%s socket %s: cannot bind", l->what, path);
	snprintf(l->path, sizeof(l->path), "%s", path);
	r = listener_set_perms(path, mode, group);
	if (r == -ESRCH)
		log_warning("%s socket %s: group \"%s\" does not exist; leaving the group as is",
			    l->what, path, group);
	else if (r < 0)
		log_errno_at(LOG_WARNING, r, "%s socket %s: cannot set mode %04o group %s", l->what,
			     path, (unsigned)mode, group);
	return 0;
}

int listener_start(struct listener *l, uv_loop_t *loop, const char *what, int fd, const char *path,
		   uint32_t mode, const char *group)
{
	int r;

	memset(l, 0, sizeof(*l));
	l->what = what;
	r = uv_pipe_init(loop, &l->pipe, 0);
	if (r < 0)
		return log_errno(r, "%s socket", what);
	l->pipe.data = l;
	l->open = true;
	if (fd >= 0) {
		r = uv_pipe_open(&l->pipe, fd);
		if (r < 0) {
			log_errno(r, "%s socket: cannot use the passed fd %d", what, fd);
			goto fail;
		}
		l->activated = true;
	} else {
		r = listener_bind(l, path, mode, group);
		if (r < 0)
			goto fail;
	}
	r = uv_listen((uv_stream_t *)&l->pipe, LISTENER_BACKLOG, listener_connection_cb);
	if (r < 0) {
		log_errno(r, "%s socket: cannot listen", what);
		goto fail;
	}
	if (l->activated)
		log_info("%s socket: socket-activated (fd %d)", what, fd);
	else
		log_info("%s socket: listening on %s", what, path);
	return 0;
fail:
	listener_stop(l);
	return r;
}

void listener_set_handler(struct listener *l, listener_cb cb, void *ctx)
{
	l->on_connection = cb;
	l->ctx = ctx;
}

int listener_accept(struct listener *l, uv_pipe_t *client)
{
	return uv_accept((uv_stream_t *)&l->pipe, (uv_stream_t *)client);
}

void listener_stop(struct listener *l)
{
	if (!l->open)
		return;
	l->open = false;
	if (l->path[0]) {
		unlink(l->path);
		l->path[0] = '\0';
	}
	uv_close((uv_handle_t *)&l->pipe, NULL);
}
