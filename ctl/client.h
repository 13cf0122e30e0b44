/* SPDX-License-Identifier: MIT */
/*
 * client.h - synackctl's side of the control socket: one call per request,
 * each returning the model's typed data (model.h).
 *
 * Every call returns 0 (or a count) on success and -errno on failure. When
 * the daemon refused a request, the call returns its status as -errno and
 * ctl_client_error() gives the daemon's message. -ENOTCONN, -ECONNREFUSED,
 * -ENOENT, -EPIPE and -ECONNRESET from any call mean the daemon cannot be
 * reached (exit code 3); -EPERM and -EACCES mean the caller lacks the group
 * the request needs. Arrays returned through ret_* are malloc'd; free them
 * with free().
 *
 * The wire protocol is synack.proto's ControlRequest / ControlServerMessage
 * on the control socket, framed as on the RPC socket (proto/frame.h). A
 * reply's status is returned as -errno; the daemon names a connection or key
 * it does not know with ESRCH or EINVAL (never ENOENT, which means "no
 * daemon" here). A stream the daemon ended returns -ENODATA.
 */
#ifndef SYNACK_CTL_CLIENT_H
#define SYNACK_CTL_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "filter.h"
#include "model.h"

struct ctl_client;

/* Connect to the control socket at path and say Hello. */
int ctl_client_open(const char *path, struct ctl_client **ret);
void ctl_client_close(struct ctl_client *c);
/* The daemon's message for the last refused request ("" when none). */
const char *ctl_client_error(const struct ctl_client *c);

int ctl_ping(struct ctl_client *c);
int ctl_fetch_status(struct ctl_client *c, struct ctl_status *ret);
/* Every connection and listener; the filter is applied here, in synackctl. */
int ctl_fetch_conns(struct ctl_client *c, struct ctl_conn **ret, size_t *ret_n);
/* The same, and with closed also the connections closed lately whose history synackd
 * still keeps (ctl_conn.closed; state CLOSED). */
int ctl_fetch_conns_closed(struct ctl_client *c, bool closed, struct ctl_conn **ret, size_t *ret_n);
int ctl_fetch_counters(struct ctl_client *c, struct ctl_counter **ret, size_t *ret_n);
/* key NULL: every tunable. -EINVAL for an unknown key. */
int ctl_fetch_tunables(struct ctl_client *c, const char *key, struct ctl_tunable **ret,
		       size_t *ret_n);
/* Set one tunable to a value in its base unit (µs, bytes, count, 0/1). */
int ctl_set_tunable(struct ctl_client *c, const char *key, uint64_t value);
int ctl_fetch_trace(struct ctl_client *c, uint64_t conn_id, struct ctl_trace_entry **ret,
		    size_t *ret_n);
/* Abort a connection with RST. */
int ctl_kill(struct ctl_client *c, uint64_t conn_id);
/* Re-read the configuration; on success *ret says what changed (free ret->v). On -EINVAL,
 * ctl_client_error() holds the file's errors. */
int ctl_reload(struct ctl_client *c, struct ctl_reload *ret);
int ctl_fetch_impair(struct ctl_client *c, struct ctl_impair *ret);
/* Put imp in force; imp then holds what the daemon reports in force. */
int ctl_set_impair(struct ctl_client *c, struct ctl_impair *imp);

/*
 * Streams. After a subscribe call, the next call waits up to timeout_ms
 * (-1 = forever) for one item: 1 with an item, 0 on timeout, -errno when the
 * stream ends. A frame's data stays valid until the next call.
 */
int ctl_events_subscribe(struct ctl_client *c);
int ctl_events_next(struct ctl_client *c, struct ctl_event *ret, int timeout_ms);
int ctl_trace_follow(struct ctl_client *c, uint64_t conn_id);
int ctl_trace_next(struct ctl_client *c, struct ctl_trace_entry *ret, int timeout_ms);
int ctl_capture_start(struct ctl_client *c, const struct ctl_filter *filter, char *ifname,
		      size_t ifname_len);
int ctl_capture_next(struct ctl_client *c, struct ctl_frame *ret, int timeout_ms);
/*
 * End the capture (CaptureStop) and read what synackd had queued for it up
 * to its StreamEnd: *ret_dropped is then every frame dropped for the capture,
 * also after the last one ctl_capture_next() returned. 1 with that count, 0
 * when no StreamEnd came (the capture had ended already), -errno (-ENOMSG:
 * an older synackd without CaptureStop; -ETIMEDOUT; -EINTR: *signals, which
 * the caller's SIGINT/SIGTERM handler counts, went past seen: the user will
 * not wait; *ret_dropped is the latest frame's count then). SIGINT and SIGTERM
 * are blocked meanwhile except inside the wait itself (ppoll), so a signal
 * that comes between a check and the wait still ends it.
 */
int ctl_capture_stop(struct ctl_client *c, uint64_t *ret_dropped,
		     const volatile sig_atomic_t *signals, sig_atomic_t seen);

#endif
