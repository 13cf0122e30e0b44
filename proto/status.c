/* SPDX-License-Identifier: MIT */
/*
 * status.c - the errno <-> status code <-> name/message table (see status.h).
 * The messages say what the code means for a synack connection, so
 * synack_strerror() reads well in application logs.
 */
#include <errno.h>
#include <string.h>

#include "status.h"

#define S(e, msg)          \
	{                  \
		e, #e, msg \
	}

static const struct status_entry status_table[] = {
	{ 0, "OK", "success" },
	S(EPERM, "operation not permitted"),
	S(ENOENT, "no such connection or socket"),
	S(EINTR, "interrupted"),
	S(EIO, "input/output error"),
	S(EBADF, "no such connection (closed or not owned by this client)"),
	S(EAGAIN, "resource temporarily unavailable"),
	S(ENOMEM, "out of memory"),
	S(EACCES, "permission denied"),
	S(EFAULT, "bad address"),
	S(EBUSY, "busy"),
	S(EEXIST, "already exists"),
	S(EINVAL, "invalid argument"),
	S(EMFILE, "connection limit per client reached"),
	S(ENFILE, "connection limit of the daemon reached"),
	S(ENOSPC, "no space left"),
	S(EPIPE, "broken pipe: the connection can no longer send"),
	S(ERANGE, "value out of range"),
	S(ENOSYS, "not implemented"),
	S(ENOTSUP, "operation not supported"),
	S(ENOMSG, "unknown message or operation"),
	S(EPROTO, "protocol error"),
	S(EBADMSG, "malformed message"),
	S(EOVERFLOW, "value too large"),
	S(EUSERS, "too many clients"),
	S(ENOTSOCK, "not a connection"),
	S(EDESTADDRREQ, "destination address required"),
	S(EMSGSIZE, "message too long"),
	S(ENOPROTOOPT, "unknown option"),
	S(EPROTONOSUPPORT, "protocol version not supported"),
	S(EAFNOSUPPORT, "address family not supported"),
	S(EADDRINUSE, "address already in use"),
	S(EADDRNOTAVAIL, "address not available"),
	S(ENETDOWN, "network is down"),
	S(ENETUNREACH, "network unreachable"),
	S(ECONNABORTED, "connection aborted"),
	S(ECONNRESET, "connection reset by peer"),
	S(ENOBUFS, "no buffer space available"),
	S(EISCONN, "already connected"),
	S(ENOTCONN, "not connected"),
	S(ESHUTDOWN, "cannot send after shutdown"),
	S(ETIMEDOUT, "connection timed out"),
	S(ECONNREFUSED, "connection refused"),
	S(EHOSTDOWN, "host is down"),
	S(EHOSTUNREACH, "no route to host"),
	S(EALREADY, "operation already in progress"),
	S(EINPROGRESS, "operation in progress"),
	S(ECANCELED, "operation canceled"),
};

#undef S

#define STATUS_CODE_MAX 4095

unsigned status_count(void)
{
	return sizeof(status_table) / sizeof(status_table[0]);
}

const struct status_entry *status_at(unsigned i)
{
	return i < status_count() ? &status_table[i] : NULL;
}

const struct status_entry *status_lookup(int code)
{
	if (code < 0)
		code = -code;
	for (unsigned i = 0; i < status_count(); i++)
		if (status_table[i].code == code)
			return &status_table[i];
	return NULL;
}

const char *status_name(int code)
{
	const struct status_entry *e = status_lookup(code);

	return e ? e->name : "UNKNOWN";
}

const char *status_message(int code)
{
	const struct status_entry *e = status_lookup(code);

	return e ? e->message : "unknown error";
}

int status_from_name(const char *name)
{
	for (unsigned i = 0; i < status_count(); i++)
		if (strcmp(status_table[i].name, name) == 0)
			return status_table[i].code;
	return -EINVAL;
}

int status_code_from_errno(int err)
{
	if (err < 0)
		err = -err;
	if (err > STATUS_CODE_MAX)
		return EIO;
	return err;
}

int status_code_to_errno(int code)
{
	if (code == 0)
		return 0;
	if (code < 0 || code > STATUS_CODE_MAX)
		return -EPROTO;
	return -code;
}
