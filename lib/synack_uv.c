/* SPDX-License-Identifier: MIT */
/*
 * synack_uv.c - the libuv adapter of libsynack: a uv_poll_t on the session's
 * socket that runs synack_process() and follows the core's watch callback
 * (POLLOUT only while requests are queued). Lives in libsynack itself, so
 * the library links libuv; the header needs only a forward declaration.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include <uv.h>

#include "synack_internal.h"

struct synack_uv {
	uv_poll_t poll;
	struct synack *s; /* NULL once detached */
	synack_uv_error_cb on_error;
	void *userdata;
};

static void synack_uv_closed(uv_handle_t *h)
{
	free(h->data);
}

static void synack_uv_detach(struct synack *s)
{
	struct synack_uv *u = s->uv;

	s->uv = NULL;
	s->uv_detach = NULL;
	s->watch_cb = NULL;
	u->s = NULL;
	uv_poll_stop(&u->poll);
	uv_close((uv_handle_t *)&u->poll, synack_uv_closed);
}

/* The session died: stop polling and tell the program, once. */
static void synack_uv_fail(struct synack_uv *u, int err)
{
	struct synack *s = u->s;

	uv_poll_stop(&u->poll);
	if (u->on_error) {
		synack_uv_error_cb cb = u->on_error;

		u->on_error = NULL;
		cb(s, err, u->userdata);
	}
}

static void synack_uv_on_poll(uv_poll_t *h, int status, int events)
{
	struct synack_uv *u = h->data;
	int r;

	if (!u->s)
		return;
	if (status < 0 && status != UV_EBADF) {
		synack_uv_fail(u, status);
		return;
	}
	r = synack_process(u->s);
	/* -ECANCELED: a callback freed the session, which detached us */
	if (r < 0 && r != -ECANCELED && u->s)
		synack_uv_fail(u, r);
}

static void synack_uv_watch(struct synack *s, int events, void *userdata)
{
	struct synack_uv *u = userdata;
	int uvev = UV_READABLE;

	if (events & POLLOUT)
		uvev |= UV_WRITABLE;
	uv_poll_start(&u->poll, uvev, synack_uv_on_poll);
}

int synack_uv_attach(struct synack *s, struct uv_loop_s *loop, synack_uv_error_cb on_error,
		     void *userdata)
{
	struct synack_uv *u;
	int r;

	if (!s || !loop)
		return -EINVAL;
	if (s->uv)
		return -EALREADY;
	if (s->dead)
		return s->dead;
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	r = uv_poll_init(loop, &u->poll, synack_fd(s));
	if (r < 0) {
		free(u);
		return r;
	}
	u->poll.data = u;
	u->s = s;
	u->on_error = on_error;
	u->userdata = userdata;
	s->uv = u;
	s->uv_detach = synack_uv_detach;
	synack_set_watch_cb(s, synack_uv_watch, u);
	return 0;
}
