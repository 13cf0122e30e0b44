/* SPDX-License-Identifier: MIT */
/*
 * frame_pipe.c - peer credentials and framed writes on a client's Unix
 * stream, shared by rpc_session.c and ctl_server.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "frame.h"
#include "frame_pipe.h"

int frame_pipe_write(uv_pipe_t *pipe, const ProtobufCMessage *m, void *owner, uv_write_cb cb,
		     size_t *ret_len)
{
	struct frame_write *w = calloc(1, sizeof(*w));
	uv_buf_t b;
	int r;

	if (!w)
		return -ENOMEM;
	/* our own messages may be as large as a Data event plus its envelope */
	r = frame_pack(m, FRAME_MAX_LIMIT, &w->buf, &w->len);
	if (r < 0) {
		free(w);
		return r;
	}
	w->owner = owner;
	b = uv_buf_init((char *)w->buf, (unsigned)w->len);
	r = uv_write(&w->req, (uv_stream_t *)pipe, &b, 1, cb);
	if (r < 0) {
		frame_write_free(w);
		return r;
	}
	*ret_len = w->len;
	return 0;
}

void frame_write_free(struct frame_write *w)
{
	if (!w)
		return;
	free(w->buf);
	free(w);
}

int frame_pipe_peer_cred(uv_pipe_t *pipe, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	uv_os_fd_t fd;
	int r = uv_fileno((uv_handle_t *)pipe, &fd);

	if (r < 0)
		return r;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return -errno;
	*ret_pid = cred.pid;
	*ret_uid = cred.uid;
	*ret_gid = cred.gid;
	return 0;
}
