/* SPDX-License-Identifier: MIT */
/*
 * sent_fds.c - descriptors clients send synackd, made harmless to close on
 * the loop (see sent_fds.h): a socket's linger off before synackd closes it,
 * and SCM_RIGHTS refused on the sockets that never carry descriptors.
 */
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "sent_fds.h"

/* 1 once a socket refused descriptors (the kernel has SO_PASSRIGHTS), 0 once
 * one could not, -1 before any was asked */
static int sent_fds_refusing = -1;

/* reads of what a closing socket holds: 64 KiB each, more than its buffer can
 * hold; a backstop, the queue ends first */
#define SENT_FDS_DRAIN_MAX 4096

#ifndef SO_PASSRIGHTS
#define SO_PASSRIGHTS 83 /* Linux 6.16 */
#endif

bool sent_fd_is_socket(int fd)
{
	int type;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0;
}

void sent_fd_disarm(int fd)
{
	struct linger off = { .l_onoff = 0 };

	if (sent_fd_is_socket(fd))
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
}

/* fdpass_each()'s callback: a descriptor a message carried, disarmed and closed. */
static void sent_fds_close_one(void *ctx, int fd)
{
	(void)ctx;
	sent_fd_disarm(fd);
	close(fd);
}

void sent_fds_drain(int fd)
{
	static char data[64 * 1024];
	union {
		struct cmsghdr align;
		/* SCM_MAX_FD descriptors, and room for credentials beside them */
		char buf[CMSG_SPACE(sizeof(int) * 253) + CMSG_SPACE(64)];
	} ctl;

	/* the peer can send no more (EPIPE): what is queued is all there is */
	if (shutdown(fd, SHUT_RD) < 0)
		return; /* not a connected socket */
	for (int i = 0; i < SENT_FDS_DRAIN_MAX; i++) {
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr m = { .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n < 0)
			return; /* nothing more queued */
		/* the end: nothing read and no descriptor (credentials, with
		 * SO_PASSCRED, come on every read, also at the end) */
		if (fdpass_each(&m, sent_fds_close_one, NULL) == 0 && n == 0)
			return;
	}
}

void sent_fds_close_handle(uv_handle_t *h, uv_close_cb cb)
{
	uv_os_fd_t fd;

	if (uv_fileno(h, &fd) == 0)
		sent_fds_drain(fd);
	uv_close(h, cb);
}

bool sent_fds_refuse(int fd)
{
	int off = 0;
	bool ok = setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off)) == 0;

	if (ok || errno == ENOPROTOOPT)
		sent_fds_refusing = ok;
	return ok;
}

void sent_fds_accept(int fd)
{
	int on = 1;

	(void)setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &on, sizeof(on));
}

void sent_fds_close(int fd)
{
	if (sent_fds_refusing != 1)
		sent_fds_drain(fd);
	close(fd);
}

bool sent_fds_refuse_handle(uv_handle_t *h)
{
	uv_os_fd_t fd;

	return uv_fileno(h, &fd) == 0 && sent_fds_refuse(fd);
}
