/* SPDX-License-Identifier: MIT */
/*
 * accept_take.c - synack_accept_take(): one accepted connection from a
 * listener's accept socket (synack.proto, "Detached connections"): a record
 * (proto/accept_record.h) with the data socket attached as SCM_RIGHTS.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "accept_record.h"
#include "synack.h"

/* The descriptor a message carried, or -1. Any other descriptors are closed. */
static int synack_cmsg_fd(struct msghdr *mh)
{
	int fd = -1;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int x;

			memcpy(&x, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (fd < 0)
				fd = x;
			else
				close(x);
		}
	}
	return fd;
}

static void synack_sin(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	sin->sin_port = port;
}

int synack_accept_take(int qfd, int flags, struct synack_accepted *ret)
{
	struct synack_accept_record rec;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} ctl;
	struct iovec iov = { &rec, sizeof(rec) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;
	int fd;

	if (!ret || flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	do
		n = recvmsg(qfd, &mh, flags & SOCK_CLOEXEC ? MSG_CMSG_CLOEXEC : 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	fd = synack_cmsg_fd(&mh);
	if (n == 0) {
		if (fd >= 0)
			close(fd);
		return -ECONNABORTED; /* the daemon closed the listener */
	}
	if ((size_t)n != sizeof(rec) || rec.magic != SYNACK_ACCEPT_RECORD_MAGIC ||
	    rec.size != sizeof(rec) || fd < 0 || mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
		if (fd >= 0)
			close(fd);
		return -EPROTO;
	}
	/* the mode asked for, whatever the daemon's side left on it */
	if (fcntl(fd, F_SETFL,
		  flags & SOCK_NONBLOCK ? fcntl(fd, F_GETFL) | O_NONBLOCK
					: fcntl(fd, F_GETFL) & ~O_NONBLOCK) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	ret->conn = rec.conn;
	ret->fd = fd;
	synack_sin(&ret->local, rec.local_addr, rec.local_port);
	synack_sin(&ret->remote, rec.remote_addr, rec.remote_port);
	return 0;
}
