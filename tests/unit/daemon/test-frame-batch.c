/* SPDX-License-Identifier: MIT */
/*
 * test-frame-batch.c - frames batched into one write (daemon/system/frame_pipe.c,
 * frame_batch_add and frame_batch_send), over a real socketpair on a real
 * libuv loop: every frame comes out whole and in order from one write, a
 * descriptor passed with a batch arrives with its first byte, a batch stops
 * at its size limit (-ENOSPC, nothing added) and grows no further than that
 * limit needs, and what a batch holds is counted in the shared stats until
 * it is freed. frame_batch_try_send() writes a batch at once, past libuv,
 * with its descriptor, only while libuv has nothing queued; what a full
 * socket leaves goes through libuv from that offset, and every frame still
 * comes out whole, in order, with the descriptor on the first byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame.h"
#include "frame_pipe.h"
#include "synack.pb-c.h"

/* A Hello reply naming i, so that the frames can be told apart. */
struct hello {
	Synack__V1__ServerMessage m;
	Synack__V1__HelloReply hr;
	char name[32];
};

static const ProtobufCMessage *hello(struct hello *h, unsigned i)
{
	synack__v1__server_message__init(&h->m);
	synack__v1__hello_reply__init(&h->hr);
	snprintf(h->name, sizeof(h->name), "frame %u", i);
	h->hr.server_name = h->name;
	h->m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_HELLO;
	h->m.hello = &h->hr;
	return &h->m.base;
}

static uint64_t queued_bytes(void)
{
	struct frame_pipe_stats st;

	frame_pipe_stats_get(&st);
	return st.queued_bytes;
}

struct world {
	uv_loop_t loop;
	uv_pipe_t pipe;	  /* the writer, an IPC pipe */
	uv_pipe_t passed; /* a descriptor to pass along */
	int reader;	  /* the other end of pipe */
	int passed_peer;
	int written; /* write callbacks: status */
	unsigned ncb;
};

static void world_open(struct world *w)
{
	int sv[2], pv[2];

	memset(w, 0, sizeof(*w));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, pv), 0);
	assert_int_equal(uv_loop_init(&w->loop), 0);
	assert_int_equal(uv_pipe_init(&w->loop, &w->pipe, 1), 0);
	assert_int_equal(uv_pipe_open(&w->pipe, sv[0]), 0);
	assert_int_equal(uv_pipe_init(&w->loop, &w->passed, 0), 0);
	assert_int_equal(uv_pipe_open(&w->passed, pv[0]), 0);
	w->reader = sv[1];
	w->passed_peer = pv[1];
}

/* The writer's descriptor. */
static int pipe_fd(struct world *w)
{
	uv_os_fd_t fd = -1;

	assert_int_equal(uv_fileno((uv_handle_t *)&w->pipe, &fd), 0);
	return fd;
}

static void world_close(struct world *w)
{
	uv_close((uv_handle_t *)&w->pipe, NULL);
	uv_close((uv_handle_t *)&w->passed, NULL);
	uv_run(&w->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&w->loop), 0);
	close(w->reader);
	close(w->passed_peer);
}

static void written(uv_write_t *req, int status)
{
	struct frame_write *fw = (struct frame_write *)req;
	struct world *w = fw->owner;

	w->written = status;
	w->ncb++;
	frame_write_free(fw);
}

/* One recvmsg with flags: the bytes in buf (their count returned), a passed descriptor in *fd. */
static ssize_t read_once_flags(int s, uint8_t *buf, size_t len, int *fd, int flags)
{
	union {
		struct cmsghdr align;
		uint8_t space[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { buf, len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = c.space,
			     .msg_controllen = sizeof(c.space) };
	ssize_t n = recvmsg(s, &mh, flags);
	struct cmsghdr *cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;

	*fd = -1;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

/* One blocking recvmsg (read_once_flags). */
static ssize_t read_once(int s, uint8_t *buf, size_t len, int *fd)
{
	return read_once_flags(s, buf, len, fd, 0);
}

/* Decode the frames in buf: their count; each must name the next i. */
static unsigned frames_in(const uint8_t *buf, size_t len, unsigned first)
{
	struct frame_decoder dec;
	const uint8_t *f;
	size_t flen;
	unsigned n = 0;

	frame_decoder_init(&dec, FRAME_MAX_LIMIT);
	while (frame_decoder_next(&dec, &buf, &len, &f, &flen) == 1) {
		Synack__V1__ServerMessage *m = synack__v1__server_message__unpack(NULL, flen, f);
		char want[32];

		assert_non_null(m);
		assert_int_equal(m->msg_case, SYNACK__V1__SERVER_MESSAGE__MSG_HELLO);
		snprintf(want, sizeof(want), "frame %u", first + n);
		assert_string_equal(m->hello->server_name, want);
		synack__v1__server_message__free_unpacked(m, NULL);
		n++;
	}
	assert_int_equal(len, 0); /* nothing left over: every frame was whole */
	assert_int_equal(frame_decoder_pending(&dec), 0);
	frame_decoder_deinit(&dec);
	return n;
}

static void test_frames_in_one_write(void **state)
{
	struct world w;
	struct frame_write *b = NULL;
	struct hello h;
	uint64_t base = queued_bytes();
	size_t grown, held = 0;
	uint8_t buf[65536];
	ssize_t n;
	int fd;

	world_open(&w);
	for (unsigned i = 0; i < 50; i++) {
		assert_int_equal(frame_batch_add(&b, hello(&h, i), &w, SIZE_MAX, &grown), 0);
		held += grown;
		/* what it holds is counted as it grows, the first frame at its own size */
		assert_int_equal(b->len, held);
		assert_int_equal(queued_bytes(), base + held);
		if (i == 0)
			assert_int_equal(b->cap, sizeof(*b) + b->wire_len);
	}
	assert_int_equal(frame_batch_send(b, 0, &w.pipe, NULL, written), 0);
	uv_run(&w.loop, UV_RUN_NOWAIT);
	assert_int_equal(w.ncb, 1);
	assert_int_equal(w.written, 0);
	assert_int_equal(queued_bytes(), base);
	n = read_once(w.reader, buf, sizeof(buf), &fd);
	assert_true(n > 0);
	assert_int_equal(fd, -1);
	assert_int_equal(frames_in(buf, (size_t)n, 0), 50);
	world_close(&w);
}

static void test_descriptor_with_first_byte(void **state)
{
	struct world w;
	struct frame_write *b = NULL;
	struct hello h;
	uint8_t buf[4096];
	size_t grown;
	ssize_t n;
	int fd;

	world_open(&w);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(frame_batch_add(&b, hello(&h, i), &w, SIZE_MAX, &grown), 0);
	assert_int_equal(frame_batch_send(b, 0, &w.pipe, (uv_stream_t *)&w.passed, written), 0);
	uv_run(&w.loop, UV_RUN_NOWAIT);
	assert_int_equal(w.ncb, 1);
	/* a reader that takes one byte first gets the descriptor with it */
	n = read_once(w.reader, buf, 1, &fd);
	assert_int_equal(n, 1);
	assert_true(fd >= 0);
	/* and it is the socket passed: its peer hears what is written to it */
	assert_int_equal(write(fd, "x", 1), 1);
	assert_int_equal(read(w.passed_peer, buf + 1, 1), 1);
	assert_int_equal(buf[1], 'x');
	close(fd);
	n = read_once(w.reader, buf + 1, sizeof(buf) - 1, &fd);
	assert_int_equal(fd, -1);
	assert_int_equal(frames_in(buf, (size_t)n + 1, 0), 3);
	world_close(&w);
}

static void test_size_limit(void **state)
{
	struct frame_write *b = NULL, *before;
	struct hello h;
	uint64_t base = queued_bytes();
	size_t grown, wire;

	/* a lone frame goes in whatever its size */
	assert_int_equal(frame_batch_add(&b, hello(&h, 0), NULL, 1, &grown), 0);
	wire = b->wire_len;
	assert_true(wire > 1);
	/* the second would take the batch one byte past the limit */
	before = b;
	assert_int_equal(frame_batch_add(&b, hello(&h, 1), NULL, 2 * wire - 1, &grown), -ENOSPC);
	assert_ptr_equal(b, before);
	assert_int_equal(b->wire_len, wire);
	assert_int_equal(grown, 0);
	assert_int_equal(frames_in(b->data, b->wire_len, 0), 1);
	frame_write_free(b);
	assert_int_equal(queued_bytes(), base);
	/* nothing to pack: an error, and no batch made for it */
	b = NULL;
	{
		Synack__V1__ServerMessage empty = SYNACK__V1__SERVER_MESSAGE__INIT;

		assert_int_equal(frame_batch_add(&b, &empty.base, NULL, SIZE_MAX, &grown),
				 -EMSGSIZE);
	}
	assert_null(b);
	assert_int_equal(queued_bytes(), base);
}

/* Doubling stops at the room the limit allows: what a batch holds is memory charged
 * to the client (limits.buffered_per_client), and room it cannot use is waste. */
static void test_growth_capped(void **state)
{
	struct frame_write *b = NULL;
	struct hello h;
	size_t grown, max_wire = 2000;
	unsigned n = 0;

	while (frame_batch_add(&b, hello(&h, n), NULL, max_wire, &grown) == 0)
		n++;
	assert_true(n > 100); /* about 15 bytes a frame */
	assert_true(b->wire_len <= max_wire);
	assert_true(b->cap <= sizeof(*b) + max_wire);
	assert_int_equal(frames_in(b->data, b->wire_len, 0), n);
	frame_write_free(b);
}

/* Frames from i = first on, up to about bytes on the wire, in *b (new). */
static unsigned batch_of(struct frame_write **b, void *owner, unsigned first, size_t bytes)
{
	struct hello h;
	size_t grown;
	unsigned n = 0;

	*b = NULL;
	while ((*b ? (*b)->wire_len : 0) < bytes) {
		assert_int_equal(frame_batch_add(b, hello(&h, first + n), owner, SIZE_MAX, &grown),
				 0);
		n++;
	}
	return n;
}

/* Everything the reader has now (non-blocking), appended at buf + *len; a descriptor in *fd. */
static void drain(int s, uint8_t *buf, size_t cap, size_t *len, int *fd)
{
	for (;;) {
		int got;
		ssize_t n = read_once_flags(s, buf + *len, cap - *len, &got, MSG_DONTWAIT);

		if (n <= 0)
			return;
		if (got >= 0) {
			assert_int_equal(*fd, -1); /* one descriptor only */
			*fd = got;
		}
		*len += (size_t)n;
	}
}

static void test_try_send_whole(void **state)
{
	struct world w;
	struct frame_write *b;
	uint8_t buf[4096];
	unsigned n;
	int fd;

	world_open(&w);
	n = batch_of(&b, &w, 0, 200);
	/* one sendmsg: all of it, and the descriptor with the first byte */
	assert_int_equal(frame_batch_try_send(b, &w.pipe, w.passed_peer), (ssize_t)b->wire_len);
	frame_write_free(b);
	assert_int_equal(read_once(w.reader, buf, 1, &fd), 1);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(
		frames_in(buf, 1 + (size_t)read_once(w.reader, buf + 1, sizeof(buf) - 1, &fd), 0),
		n);
	assert_int_equal(fd, -1);
	world_close(&w);
}

static void test_try_send_rest_through_libuv(void **state)
{
	static uint8_t buf[8 << 20];
	struct world w;
	struct frame_write *b;
	size_t len = 0;
	ssize_t sent;
	unsigned n;
	int fd = -1, sndbuf = 4096;

	world_open(&w);
	assert_int_equal(setsockopt(w.reader, SOL_SOCKET, SO_RCVBUF, &sndbuf, sizeof(sndbuf)), 0);
	assert_int_equal(setsockopt(pipe_fd(&w), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)),
			 0);
	/* far more than the socket holds: part goes now, the rest from where it stopped */
	n = batch_of(&b, &w, 0, 1 << 20);
	sent = frame_batch_try_send(b, &w.pipe, w.passed_peer);
	assert_true(sent > 0);
	assert_true((size_t)sent < b->wire_len);
	assert_int_equal(frame_batch_send(b, (size_t)sent, &w.pipe, NULL, written), 0);
	/* queued in libuv now: nothing may go past it, even with room in the socket */
	{
		struct frame_write *b2;

		drain(w.reader, buf, sizeof(buf), &len, &fd);
		batch_of(&b2, &w, n, 10);
		assert_int_equal(frame_batch_try_send(b2, &w.pipe, -1), -EAGAIN);
		frame_write_free(b2);
	}
	while (w.ncb == 0) {
		drain(w.reader, buf, sizeof(buf), &len, &fd);
		uv_run(&w.loop, UV_RUN_NOWAIT);
	}
	drain(w.reader, buf, sizeof(buf), &len, &fd);
	assert_int_equal(w.written, 0);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(frames_in(buf, len, 0), n);
	world_close(&w);
}

static void test_try_send_full_socket(void **state)
{
	static uint8_t filler[1 << 16];
	struct world w;
	struct frame_write *b;
	int sndbuf = 4096, fd;

	world_open(&w);
	assert_int_equal(setsockopt(pipe_fd(&w), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)),
			 0);
	fcntl(pipe_fd(&w), F_SETFL, O_NONBLOCK);
	while (send(pipe_fd(&w), filler, sizeof(filler), MSG_DONTWAIT) > 0)
		;
	batch_of(&b, &w, 0, 100);
	/* nothing goes, and the descriptor does not go either */
	assert_int_equal(frame_batch_try_send(b, &w.pipe, w.passed_peer), -EAGAIN);
	frame_write_free(b);
	while (read_once_flags(w.reader, filler, sizeof(filler), &fd, MSG_DONTWAIT) > 0)
		assert_int_equal(fd, -1);
	world_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_in_one_write),
		cmocka_unit_test(test_descriptor_with_first_byte),
		cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_growth_capped),
		cmocka_unit_test(test_try_send_whole),
		cmocka_unit_test(test_try_send_rest_through_libuv),
		cmocka_unit_test(test_try_send_full_socket),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
