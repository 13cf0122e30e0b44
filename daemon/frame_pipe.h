/* SPDX-License-Identifier: MIT */
/*
 * frame_pipe.h - what the app (RPC) and control servers share about one
 * client's Unix stream: who is on the other end (SO_PEERCRED), and sending
 * one length-prefixed protobuf frame (proto/frame.h) with uv_write().
 */
#ifndef SYNACK_FRAME_PIPE_H
#define SYNACK_FRAME_PIPE_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

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

/* The peer's pid, uid and gid, as the kernel recorded them at connect(). */
int frame_pipe_peer_cred(uv_pipe_t *pipe, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid);

#endif
