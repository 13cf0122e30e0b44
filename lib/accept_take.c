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
#include "fdpass.h"
#include "synack.h"

/* Keep the first descriptor a message carried; close any others. */
static void synack_keep_first_fd(void *ctx, int fd)
{
	int *first = ctx;

	if (*first < 0)
		*first = fd;
	else
		close(fd);
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
	} ctl; /* room for more than one: extras are closed, not left in flight */
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
	fd = -1;
	fdpass_each(&mh, synack_keep_first_fd, &fd);
	if (n == 0) {
		if (fd >= 0)
			close(fd);
		return -ECONNABORTED; /* the daemon closed the listener */
	}
	if (fd < 0 && mh.msg_flags & MSG_CTRUNC)
		return -EMFILE; /* at RLIMIT_NOFILE the kernel dropped it: that one is lost */
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
