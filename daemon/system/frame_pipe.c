/* SPDX-License-Identifier: MIT */
/*
 * frame_pipe.c - peer credentials and framed writes on a client's Unix
 * stream, shared by rpc_session.c and ctl_server.c: one allocation per
 * queued frame, accounted with its real size, and the heap given back to
 * the system after a burst of queued frames has drained. Frames can be
 * batched: packed back to back and written with one uv_write2(), or with
 * one sendmsg() of our own while libuv has nothing queued for the pipe.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "fdpass.h"
#include "frame.h"
#include "frame_pipe.h"
#include "log.h"

/*
 * Bursts: once this much was queued at some point, the heap is trimmed when
 * the queues drop to a quarter of it. Every trim (these, a session with a
 * long queue leaving, the daemon's freed socket buffers) is at most one a
 * second, as trimming walks the whole heap: a slow reader that keeps filling
 * and draining, or clients that come with a burst and leave, cost one trim a
 * second. A trim asked for too soon is owed and done when the second is up.
 */

#define FRAME_PIPE_TRIM_EVERY_MS  1000
/* A batch that grows past its first frame gets at least this much room. */
#define FRAME_BATCH_MIN		  1024
/* What glibc keeps beside each chunk (its size field), on top of the usable size. */
#define FRAME_PIPE_CHUNK_OVERHEAD (2 * sizeof(size_t))

static struct frame_pipe_stats frame_pipe_stats;
static uint64_t frame_pipe_last_trim_ms;
static bool frame_pipe_trimmed_once;
static const char *frame_pipe_trim_owed_why; /* a trim asked for too soon, or NULL */
static uint64_t frame_pipe_trim_owed_peak;

void frame_pipe_stats_get(struct frame_pipe_stats *ret)
{
	*ret = frame_pipe_stats;
}

/* The memory one allocation of n bytes really takes. */
static size_t frame_pipe_cost(void *p, size_t n)
{
#ifdef __GLIBC__
	n = malloc_usable_size(p);
#endif
	return n + FRAME_PIPE_CHUNK_OVERHEAD;
}

int frame_pipe_write(uv_pipe_t *pipe, const ProtobufCMessage *m, void *owner, uv_write_cb cb,
		     size_t *ret_len)
{
	struct frame_write *w = NULL;
	int r = frame_batch_add(&w, m, owner, SIZE_MAX, ret_len);

	if (r < 0)
		return r;
	r = frame_batch_send(w, 0, pipe, NULL, cb);
	if (r < 0)
		frame_write_free(w);
	return r;
}

/* Make room for need bytes in *batch (a new one if NULL), never past limit when need
 * fits under it; its memory's growth in *grown. */
static int frame_batch_room(struct frame_write **batch, size_t need, size_t limit, void *owner,
			    size_t *grown)
{
	struct frame_write *w = *batch, *nw;
	size_t cap, old = w ? w->len : 0;

	if (w && need <= w->cap)
		return 0;
	/* a lone frame gets its own size; a batch that grows doubles */
	cap = need;
	if (w && cap < 2 * w->cap)
		cap = 2 * w->cap;
	if (w && cap < FRAME_BATCH_MIN)
		cap = FRAME_BATCH_MIN;
	/* no room the batch's limit would never let it use: memory counts against
	 * the client's buffer limit (limits.buffered_per_client) */
	if (cap > limit && need <= limit)
		cap = limit;
	nw = realloc(w, cap); /* not submitted yet: nothing points into it */
	if (!nw)
		return -ENOMEM;
	if (!w) {
		memset(nw, 0, sizeof(*nw));
		nw->owner = owner;
		frame_pipe_stats.queued_writes++;
	}
	nw->cap = cap;
	nw->len = frame_pipe_cost(nw, cap);
	*grown += nw->len - old;
	frame_pipe_stats.queued_bytes += nw->len - old;
	if (frame_pipe_stats.queued_bytes > frame_pipe_stats.peak_bytes)
		frame_pipe_stats.peak_bytes = frame_pipe_stats.queued_bytes;
	*batch = nw;
	return 0;
}

int frame_batch_add(struct frame_write **batch, const ProtobufCMessage *m, void *owner,
		    size_t max_wire, size_t *ret_grown)
{
	size_t plen = protobuf_c_message_get_packed_size(m), have, flen;
	uint8_t *f;
	int r;

	*ret_grown = 0;
	/* our own messages may be as large as a Data event plus its envelope */
	if (plen == 0 || plen > FRAME_MAX_LIMIT)
		return -EMSGSIZE;
	have = *batch ? (*batch)->wire_len : 0;
	flen = FRAME_HEADER_SIZE + plen;
	if (have > 0 && have + flen > max_wire)
		return -ENOSPC;
	r = frame_batch_room(batch, sizeof(**batch) + have + flen,
			     max_wire > SIZE_MAX - sizeof(**batch) ? SIZE_MAX
								   : sizeof(**batch) + max_wire,
			     owner, ret_grown);
	if (r < 0)
		return r;
	f = (*batch)->data + have;
	f[0] = (uint8_t)(plen >> 24);
	f[1] = (uint8_t)(plen >> 16);
	f[2] = (uint8_t)(plen >> 8);
	f[3] = (uint8_t)plen;
	if (protobuf_c_message_pack(m, f + FRAME_HEADER_SIZE) != plen) {
		if (have == 0) {
			/* the batch was made for this frame: it goes */
			frame_write_free(*batch);
			*batch = NULL;
			*ret_grown = 0;
		}
		return -EMSGSIZE; /* nothing added: wire_len is unchanged */
	}
	(*batch)->wire_len = have + flen;
	return 0;
}

int frame_batch_send(struct frame_write *w, size_t off, uv_pipe_t *pipe, uv_stream_t *send_handle,
		     uv_write_cb cb)
{
	uv_buf_t b = uv_buf_init((char *)w->data + off, (unsigned)(w->wire_len - off));

	return uv_write2(&w->req, (uv_stream_t *)pipe, &b, 1, send_handle, cb);
}

ssize_t frame_batch_try_send(const struct frame_write *w, uv_pipe_t *pipe, int pass_fd)
{
	struct iovec iov = { (void *)w->data, w->wire_len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	union fdpass_ctl ctl;
	uv_os_fd_t fd;
	ssize_t n;

	/* only with nothing in libuv's queue, which would otherwise go first */
	if (uv_stream_get_write_queue_size((uv_stream_t *)pipe) > 0 ||
	    !uv_is_writable((uv_stream_t *)pipe) || uv_is_closing((uv_handle_t *)pipe) ||
	    uv_fileno((uv_handle_t *)pipe, &fd) < 0)
		return -EAGAIN;
	if (pass_fd >= 0)
		fdpass_attach(&mh, &ctl, pass_fd);
	do
		n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/*
 * Freed chunks in the middle of the heap stay in the process (free() only
 * gives back the top), so hand the free pages back to the system. glibc:
 * synackd is one thread, so everything is in the main arena, which
 * malloc_trim() walks whole.
 */
static void frame_pipe_trim_now(uint64_t now_ms, const char *why, uint64_t peak)
{
	struct frame_pipe_stats *st = &frame_pipe_stats;

	log_debug("%s (up to %llu KiB): returning the heap to the system", why,
		  (unsigned long long)(peak >> 10));
#ifdef __GLIBC__
	malloc_trim(0);
#endif
	st->trims++;
	st->peak_bytes = st->queued_bytes;
	frame_pipe_last_trim_ms = now_ms;
	frame_pipe_trimmed_once = true;
	frame_pipe_trim_owed_why = NULL;
}

/* Has the last trim aged enough for another one? */
static bool frame_pipe_trim_allowed(uint64_t now_ms)
{
	return !frame_pipe_trimmed_once ||
	       now_ms - frame_pipe_last_trim_ms >= FRAME_PIPE_TRIM_EVERY_MS;
}

void frame_pipe_trim(uint64_t now_ms, const char *why, uint64_t peak)
{
	if (frame_pipe_trim_allowed(now_ms)) {
		frame_pipe_trim_now(now_ms, why, peak);
		return;
	}
	/* too soon: owed, and done by frame_pipe_trim_owed() once the second is up */
	frame_pipe_trim_owed_why = why;
	if (peak > frame_pipe_trim_owed_peak)
		frame_pipe_trim_owed_peak = peak;
}

void frame_pipe_trim_owed(uint64_t now_ms)
{
	uint64_t peak = frame_pipe_trim_owed_peak;

	if (!frame_pipe_trim_owed_why || !frame_pipe_trim_allowed(now_ms))
		return;
	frame_pipe_trim_owed_peak = 0;
	frame_pipe_trim_now(now_ms, frame_pipe_trim_owed_why, peak);
}

/* After a burst, once the queues are down to a quarter of their peak. */
static void frame_pipe_trim_after_burst(uv_loop_t *loop)
{
	struct frame_pipe_stats *st = &frame_pipe_stats;
	uint64_t now = uv_now(loop);

	frame_pipe_trim_owed(now);
	if (st->peak_bytes < FRAME_PIPE_TRIM_HIGH || st->queued_bytes > st->peak_bytes / 4)
		return;
	frame_pipe_trim(now, "frames queued to clients drained", st->peak_bytes);
}

void frame_write_free(struct frame_write *w)
{
	uv_loop_t *loop;

	if (!w)
		return;
	loop = w->req.handle ? w->req.handle->loop : NULL;
	frame_pipe_stats.queued_bytes -= w->len;
	frame_pipe_stats.queued_writes--;
	free(w);
	if (loop)
		frame_pipe_trim_after_burst(loop);
}

void frame_pipe_cut(struct frame_decoder *dec, const uint8_t **in, size_t *in_len,
		    const bool *closing, const struct frame_pipe_reader *r, void *ctx)
{
	const uint8_t *f;
	size_t flen;
	int err;

	while (!*closing && *in_len > 0 && !(r->full && r->full(ctx))) {
		err = frame_decoder_next(dec, in, in_len, &f, &flen);
		if (err == 0)
			break;
		if (err < 0) {
			/* the stream cannot be resynchronised */
			*in_len = 0;
			r->bad_frame(ctx, err);
			break;
		}
		r->frame(ctx, f, flen);
	}
}

ssize_t frame_pipe_feed(struct frame_decoder *dec, ssize_t nread, const uv_buf_t *buf,
			const bool *closing, const struct frame_pipe_reader *r, void *ctx)
{
	const uint8_t *in = (const uint8_t *)buf->base;
	size_t in_len;

	if (nread < 0) {
		r->ended(ctx, (int)nread);
		return nread;
	}
	in_len = (size_t)nread;
	frame_pipe_cut(dec, &in, &in_len, closing, r, ctx);
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
