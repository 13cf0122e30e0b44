/* SPDX-License-Identifier: MIT */
/*
 * client.c - placeholder transport: the control protocol does not exist
 * yet, so opening the socket fails with -ENOTCONN and synackctl reports the
 * daemon unreachable (exit 3). Replaced by the protobuf client.
 */
#include <errno.h>
#include <stdlib.h>

#include "client.h"

struct ctl_client {
	int fd;
};

int ctl_client_open(const char *path, struct ctl_client **ret)
{
	(void)path;
	(void)ret;
	return -ENOTCONN;
}

void ctl_client_close(struct ctl_client *c)
{
	free(c);
}

const char *ctl_client_error(const struct ctl_client *c)
{
	(void)c;
	return "";
}

int ctl_ping(struct ctl_client *c)
{
	return -ENOTCONN;
}

int ctl_fetch_status(struct ctl_client *c, struct ctl_status *ret)
{
	return -ENOTCONN;
}

int ctl_fetch_conns(struct ctl_client *c, struct ctl_conn **ret, size_t *ret_n)
{
	return -ENOTCONN;
}

int ctl_fetch_counters(struct ctl_client *c, struct ctl_counter **ret, size_t *ret_n)
{
	return -ENOTCONN;
}

int ctl_fetch_tunables(struct ctl_client *c, const char *key, struct ctl_tunable **ret,
		       size_t *ret_n)
{
	return -ENOTCONN;
}

int ctl_set_tunable(struct ctl_client *c, const char *key, uint64_t value)
{
	return -ENOTCONN;
}

int ctl_fetch_trace(struct ctl_client *c, uint64_t conn_id, struct ctl_trace_entry **ret,
		    size_t *ret_n)
{
	return -ENOTCONN;
}

int ctl_kill(struct ctl_client *c, uint64_t conn_id)
{
	return -ENOTCONN;
}

int ctl_reload(struct ctl_client *c)
{
	return -ENOTCONN;
}

int ctl_fetch_impair(struct ctl_client *c, struct ctl_impair *ret)
{
	return -ENOTCONN;
}

int ctl_set_impair(struct ctl_client *c, const struct ctl_impair *imp)
{
	return -ENOTCONN;
}

int ctl_events_subscribe(struct ctl_client *c)
{
	return -ENOTCONN;
}

int ctl_events_next(struct ctl_client *c, struct ctl_event *ret, int timeout_ms)
{
	return -ENOTCONN;
}

int ctl_trace_follow(struct ctl_client *c, uint64_t conn_id)
{
	return -ENOTCONN;
}

int ctl_trace_next(struct ctl_client *c, struct ctl_trace_entry *ret, int timeout_ms)
{
	return -ENOTCONN;
}

int ctl_capture_start(struct ctl_client *c, const struct ctl_filter *filter, char *ifname,
		      size_t ifname_len)
{
	return -ENOTCONN;
}

int ctl_capture_next(struct ctl_client *c, struct ctl_frame *ret, int timeout_ms)
{
	return -ENOTCONN;
}
