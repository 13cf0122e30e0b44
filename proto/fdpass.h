/* SPDX-License-Identifier: MIT */
/*
 * fdpass.h - descriptors on Unix socket messages (SCM_RIGHTS), the way
 * synackd and libsynack hand data sockets, accept sockets and proofs
 * (Request.fd_proof) to each other.
 */
#ifndef SYNACK_FDPASS_H
#define SYNACK_FDPASS_H

#include <sys/socket.h>

/* Room for the control message of one descriptor. */
union fdpass_ctl {
	struct cmsghdr h;
	char buf[CMSG_SPACE(sizeof(int))];
};

/* Make mh carry fd (SCM_RIGHTS), its control data in ctl. */
void fdpass_attach(struct msghdr *mh, union fdpass_ctl *ctl, int fd);

/* Call fn with each descriptor mh carried, in order; returns how many. */
unsigned fdpass_each(struct msghdr *mh, void (*fn)(void *ctx, int fd), void *ctx);

#endif
