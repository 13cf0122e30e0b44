/* SPDX-License-Identifier: MIT */
/*
 * sent_fds.h - descriptors clients send synackd (SCM_RIGHTS), made harmless
 * to close on the loop.
 *
 * Closing the last reference to a file can wait: a TCP socket with SO_LINGER
 * waits up to its linger time for its unsent data and FIN to be
 * acknowledged. A client can send such a socket and close its own copy, so
 * that synackd's close is the last; the same when the socket still waits
 * unread in one of synackd's sockets as that is closed. Sockets that never
 * carry descriptors refuse them (sent_fds_refuse(), where the kernel can); a
 * descriptor synackd does take in is disarmed before it is closed
 * (sent_fd_disarm(); a client still holding a copy of the socket finds
 * its linger off too), and a client's socket is drained before it is
 * closed (sent_fds_drain()). The RPC listener refuses descriptors too; a
 * session that asks for FEATURE_DETACHED takes them again (its proofs).
 * Left: more than 64 descriptors in one message on such a session (libuv
 * reads with room for 64: the kernel releases the rest in that read, on the
 * loop); on kernels without SO_PASSRIGHTS (before 6.16), a descriptor in a
 * data socket's bytes, an accept socket's record or a control request is
 * released by the read that passes it, and an accept socket (SEQPACKET) is
 * drained only up to an empty record; a non-socket file whose close waits
 * (FUSE).
 */
#ifndef SYNACKD_SENT_FDS_H
#define SYNACKD_SENT_FDS_H

#include <stdbool.h>
#include <uv.h>

/* fd is a socket, asked of the socket layer alone (no file system call). */
bool sent_fd_is_socket(int fd);
/* Before closing a descriptor a client sent: a socket's linger turned off, so
 * its close returns at once (the kernel still sends what it holds). */
void sent_fd_disarm(int fd);
/* Before closing a client's socket: its read side shut (the client can send
 * no more), then what it sent and we did not read taken in, its descriptors
 * disarmed and closed, so the close does not release them itself. */
void sent_fds_drain(int fd);
/* uv_close() of a client's pipe handle, drained first (a handle without a
 * descriptor yet, not accepted, is closed as it is). */
void sent_fds_close_handle(uv_handle_t *h, uv_close_cb cb);
/* An AF_UNIX socket of ours that no client may send descriptors on: refuse
 * them (SO_PASSRIGHTS off, Linux >= 6.16; the sender gets EPERM). false
 * where the kernel has no such option. */
bool sent_fds_refuse(int fd);
/* Take descriptors again on one socket (a session that may send proofs). */
void sent_fds_accept(int fd);
/* Close one of our sockets that refused descriptors (sent_fds_refuse()):
 * drained first where the kernel could not refuse them. */
void sent_fds_close(int fd);
/* The same for a handle (a listening pipe: what it accepts inherits it). */
bool sent_fds_refuse_handle(uv_handle_t *h);

#endif
