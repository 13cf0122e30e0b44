/* SPDX-License-Identifier: MIT */
/*
 * frame_pipe.h - what the app (RPC) and control servers share about one
 * client's Unix stream: who is on the other end (SO_PEERCRED), cutting what
 * arrives into length-prefixed protobuf frames (proto/frame.h), and sending
 * one frame, or a batch of them, with uv_write().
 *
 * A queued frame costs what it really holds: one allocation for the
 * uv_write_t, the header and the payload, counted with malloc's own size
 * and chunk overhead, so a session's byte limit bounds its memory and not
 * only the bytes on the wire. Frames can be batched, one write for many. When the replies queued to all clients have
 * drained after a burst, the freed heap goes back to the system
 * (malloc_trim), so a burst does not leave the daemon's RSS high.
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
	void *owner;	 /* the session that sent it */
	size_t len;	 /* the memory this write holds: allocation and malloc overhead */
	size_t wire_len; /* header + payload, the bytes in data (every frame's, in a batch) */
	size_t cap;	 /* bytes allocated for the struct and data */
	void *pass;	 /* the sender's: what went with the frame (a descriptor's handle) */
	uint8_t data[];
};

/*
 * Pack m and start writing it to pipe. On success *ret_len is the memory
 * the queued frame holds (w->len, more than its size on the wire) and cb
 * runs exactly once, with req == &w->req; it must call frame_write_free(w).
 * On failure cb never runs.
 */
int frame_pipe_write(uv_pipe_t *pipe, const ProtobufCMessage *m, void *owner, uv_write_cb cb,
		     size_t *ret_len);
void frame_write_free(struct frame_write *w);

/*
 * Frames of one turn of the loop packed back to back and written with one
 * uv_write2() request: usually one system call and one wake-up of the
 * reader. frame_batch_add() packs m behind what *batch holds (a new batch,
 * owned by owner, when *batch is NULL), growing it (doubling, but never
 * past room for max_wire bytes); *ret_grown is what the batch's memory grew
 * by (already counted in the stats, as frame_write.len). -ENOSPC, with
 * nothing added, when the batch has frames and m would take it past
 * max_wire bytes on the wire: send it and start another. On any error no
 * frame is added, a batch made for m is freed (*batch stays NULL), and a
 * batch that grew keeps its room: *ret_grown counts it, error or not.
 * frame_batch_send() starts writing it from byte off, with send_handle's descriptor
 * passed along (SCM_RIGHTS) with its first byte when not NULL (pipe must
 * then be an IPC pipe), so a frame that passes one must start a batch; cb
 * as for frame_pipe_write(). On failure the caller still owns the batch, to
 * frame_write_free().
 */
int frame_batch_add(struct frame_write **batch, const ProtobufCMessage *m, void *owner,
		    size_t max_wire, size_t *ret_grown);
int frame_batch_send(struct frame_write *w, size_t off, uv_pipe_t *pipe, uv_stream_t *send_handle,
		     uv_write_cb cb);
/*
 * Write the batch now with one sendmsg(), past libuv, with pass_fd (when
 * >= 0) on its first byte: only while libuv's queue for pipe is empty, as
 * anything queued must go first. Returns the bytes written (the caller
 * queues the rest with frame_batch_send() from that offset, without the
 * descriptor, which went with them) or -errno: -EAGAIN when nothing could
 * go now (the socket is full, libuv has bytes queued, the pipe is shut),
 * -ENOTSOCK when the pipe is not a socket (the caller then leaves it to
 * libuv). Saves libuv's write request and, for a frame passing a
 * descriptor, the send handle it needs (three system calls: two to open
 * it, one when it closes), and libuv's writability bookkeeping after the
 * write (an epoll_ctl per write).
 */
ssize_t frame_batch_try_send(const struct frame_write *w, uv_pipe_t *pipe, int pass_fd);

/* What a session does with the frames arriving on its stream. */
struct frame_pipe_reader {
	/* one whole frame (valid only during the call) */
	void (*frame)(void *ctx, const uint8_t *f, size_t len);
	/* the framing is broken (-EMSGSIZE, -EBADMSG, -ENOMEM): answer and hang up */
	void (*bad_frame)(void *ctx, int err);
	/* the peer closed (UV_EOF) or reading failed (a UV_ error) */
	void (*ended)(void *ctx, int err);
	/* optional: true while the session's output is full, so no frame is taken */
	bool (*full)(void *ctx);
};

/*
 * Cut frames out of *in (advancing in and in_len) and hand each to r->frame
 * while *closing is false and r->full (if set) says there is room; what is
 * left stays in *in for later (the caller keeps its buffer and stops
 * reading). r->bad_frame on a framing error, then everything is consumed.
 */
void frame_pipe_cut(struct frame_decoder *dec, const uint8_t **in, size_t *in_len,
		    const bool *closing, const struct frame_pipe_reader *r, void *ctx);

/*
 * Handle one uv_read_cb result: cut the bytes into frames with dec and hand
 * each to r->frame until *closing turns true, r->bad_frame on a framing
 * error (then stop), r->ended when nread < 0. Returns nread when the
 * stream ended, else 0.
 */
ssize_t frame_pipe_feed(struct frame_decoder *dec, ssize_t nread, const uv_buf_t *buf,
			const bool *closing, const struct frame_pipe_reader *r, void *ctx);

/* What is queued to every client now, and what the burst clean-up did. */
struct frame_pipe_stats {
	uint64_t queued_bytes;	/* memory held by frames not yet written */
	uint64_t queued_writes; /* and their number */
	uint64_t peak_bytes;	/* the most queued since the last trim */
	uint64_t trims;		/* times the heap was given back (at most one a second) */
};
void frame_pipe_stats_get(struct frame_pipe_stats *ret);
/* Queues this large are a burst whose memory should go back when they drain. */
#define FRAME_PIPE_TRIM_HIGH (256u << 10)
/*
 * Give the heap's free pages back to the system (a session that had a burst
 * ended, socket buffers were freed): at once if the last trim was at least a
 * second before now_ms (the loop's clock, uv_now), else later, by
 * frame_pipe_trim_owed(). why and peak (bytes) are for the log.
 */
void frame_pipe_trim(uint64_t now_ms, const char *why, uint64_t peak);
/* Do a trim that was asked for too soon, if its second is up (called as the loop turns). */
void frame_pipe_trim_owed(uint64_t now_ms);

/* The peer's pid, uid and gid, as the kernel recorded them at connect(). */
int frame_pipe_peer_cred(uv_pipe_t *pipe, pid_t *ret_pid, uid_t *ret_uid, gid_t *ret_gid);

#endif
