/* SPDX-License-Identifier: MIT */
/*
 * frame_pipe.h - what the app (RPC) and control servers share about one
 * client's Unix stream: who is on the other end (SO_PEERCRED), cutting what
 * arrives into length-prefixed protobuf frames (proto/frame.h), and sending
 * one frame with uv_write().
 */
#ifndef SYNACK_FRAME_PIPE_H
#define SYNACK_FRAME_PIPE_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

#include "frame.h"

/* One frame in flight; the write callback gets it back as its uv_write_t. */
struct frame_write {
	uv_write_t req;
	void *owner; /* the session that sent it */
	uint8_t *buf;
	size_t len;
};

/*
 * Pack m and start writing it to pipe. On success *ret_len is the frame's
 * size and cb runs exactly once, with req == &w->req; it must call
 * frame_write_free(w). On failure cb never runs.
 */
int frame_pipe_write(uv_pipe_t *pipe, const ProtobufCMessage *m, void *owner, uv_write_cb cb,
		     size_t *ret_len);
void frame_write_free(struct frame_write *w);

/* What a session does with the frames arriving on its stream. */
struct frame_pipe_reader {
	/* one whole frame (valid only during the call) */
	void (*frame)(void *ctx, const uint8_t *f, size_t len);
	/* the framing is broken (-EMSGSIZE, -EBADMSG, -ENOMEM): answer and hang up */
	void (*bad_frame)(void *ctx, int err);
	/* the peer closed (UV_EOF) or reading failed (a UV_ error) */
	void (*ended)(void *ctx, int err);
};

/*
 * Handle one uv_read_cb result: cut the bytes into frames with dec and hand
 * each to r->frame until *closing turns true, r->bad_frame on a framing
 * error (then stop), r->ended when nread < 0. Returns nread when the
 * stream ended, else 0.
 */
ssize_t frame_pipe_feed(struct frame_decoder *dec, ssize_t nread, const uv_buf_t *buf,
			const bool *closing, const struct frame_pipe_reader *r, void *ctx);

/* The peer's pid, uid and gid, as the kernel recorded them at connect(). */
int frame_pipe_peer_cred(uv_pipe_t *pipe, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid);

#endif
