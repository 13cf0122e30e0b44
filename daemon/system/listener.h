/* SPDX-License-Identifier: MIT */
/*
 * listener.h - the daemon's two Unix stream sockets (the app's RPC socket
 * and synackctl's control socket) as listening uv_pipe_t handles: taken
 * from socket activation when systemd passed them, else bound at the
 * configured path with the configured mode and group.
 *
 * Who serves a socket is pluggable: listener_set_handler() installs the
 * connection callback (the RPC and control servers). Until one is set,
 * incoming connections are accepted and closed at once.
 */
#ifndef SYNACKD_LISTENER_H
#define SYNACKD_LISTENER_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct listener;
typedef void (*listener_cb)(void *ctx, struct listener *l);

struct listener {
	const char *what; /* "rpc" or "control", for messages */
	uv_pipe_t pipe;
	bool open;
	bool activated; /* the fd came from the service manager */
	char path[108]; /* the path we bound and unlink on exit ("" when activated) */
	listener_cb on_connection;
	void *ctx;
	bool accept_failed; /* log_once flag */
};

/* Listen on fd (socket activation) or, when fd < 0, bind path. */
int listener_start(struct listener *l, uv_loop_t *loop, const char *what, int fd, const char *path,
		   uint32_t mode, const char *group);
void listener_set_handler(struct listener *l, listener_cb cb, void *ctx);
/* Accept one client into an initialised uv_pipe_t; 0 or -errno. */
int listener_accept(struct listener *l, uv_pipe_t *client);
/* Stop listening and remove the socket file we created. */
void listener_stop(struct listener *l);

#endif
