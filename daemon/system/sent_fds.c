/* SPDX-License-Identifier: MIT */
/*
 * sent_fds.c - descriptors clients send synackd, made harmless to close on
 * the loop (see sent_fds.h): a socket's linger off before synackd closes it,
 * and SCM_RIGHTS refused on the sockets that never carry descriptors.
 */
#include <sys/socket.h>
#include <unistd.h>

#include "fdpass.h"
#include "sent_fds.h"

/* reads of a socket's leftovers before it is closed: about 4 MiB at most */
#define SENT_FDS_DRAIN_READS 64

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
		char buf[CMSG_SPACE(sizeof(int) * 253)]; /* SCM_MAX_FD per message */
	} ctl;

	for (int i = 0; i < SENT_FDS_DRAIN_READS; i++) {
		struct iovec iov = { .iov_base = data, .iov_len = sizeof(data) };
		struct msghdr m = { .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(fd, &m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

		if (n <= 0)
			return; /* the end, nothing more now, or not a socket */
		fdpass_each(&m, sent_fds_close_one, NULL);
	}
}

void sent_fds_drain_handle(uv_handle_t *h)
{
	uv_os_fd_t fd;

	if (uv_fileno(h, &fd) == 0)
		sent_fds_drain(fd);
}

bool sent_fds_refuse(int fd)
{
	int off = 0;

	return setsockopt(fd, SOL_SOCKET, SO_PASSRIGHTS, &off, sizeof(off)) == 0;
}

bool sent_fds_refuse_handle(uv_handle_t *h)
{
	uv_os_fd_t fd;

	return uv_fileno(h, &fd) == 0 && sent_fds_refuse(fd);
}
