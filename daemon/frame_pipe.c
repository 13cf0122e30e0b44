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

ssize_t frame_pipe_feed(struct frame_decoder *dec, ssize_t nread, const uv_buf_t *buf,
			const bool *closing, const struct frame_pipe_reader *r, void *ctx)
{
	const uint8_t *in = (const uint8_t *)buf->base, *f;
	size_t in_len, flen;
	int err;

	if (nread < 0) {
		r->ended(ctx, (int)nread);
		return nread;
	}
	in_len = (size_t)nread;
	while (!*closing && (err = frame_decoder_next(dec, &in, &in_len, &f, &flen)) != 0) {
		if (err < 0) {
			/* the stream cannot be resynchronised */
			r->bad_frame(ctx, err);
			break;
		}
		r->frame(ctx, f, flen);
	}
	return 0;
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
