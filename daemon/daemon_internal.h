/* SPDX-License-Identifier: MIT */
/*
 * daemon_internal.h - how daemon.c starts and stops the two servers, whose
 * own code (rpc/, control/) does not know struct daemon: the files that
 * wire them in, daemon_rpc.c and daemon_control.c, register each as an
 * owner, install its listener's handler, and answer what it asks of the
 * daemon.
 */
#ifndef SYNACKD_DAEMON_INTERNAL_H
#define SYNACKD_DAEMON_INTERNAL_H

struct ctl_server;
struct daemon;
struct rpc_server;

/*
 * Serve the daemon's rpc listener. Call after the listeners and the stack
 * are up (like services_start()).
 */
int daemon_rpc_start(struct daemon *d, struct rpc_server **ret);
/*
 * Hang up every session (their connections closed as on a client
 * disconnect) and free the server once their handles are closed, which
 * needs the loop to run (daemon_cleanup() runs it). Accepts NULL.
 */
void daemon_rpc_stop(struct rpc_server *srv);

/* Serve the control listener, capture the link, keep the trace history. */
int daemon_control_start(struct daemon *d, struct ctl_server **ret);
/* Unhook it from the listener and the link, hang up its sessions, free it. NULL ok. */
void daemon_control_stop(struct ctl_server *srv);

#endif
