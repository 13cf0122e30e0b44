/* SPDX-License-Identifier: MIT */
/*
 * error.c - synack_strerror() and synack_err_name(), read from the status
 * table shared with synackd (proto/status.c), so both sides say the same.
 */
#include <string.h>

#include "status.h"
#include "synack.h"

const char *synack_strerror(int err)
{
	if (status_lookup(err))
		return status_message(err);
	return strerror(err < 0 ? -err : err);
}

const char *synack_err_name(int err)
{
	return status_name(err);
}
