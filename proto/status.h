/* SPDX-License-Identifier: MIT */
/*
 * status.h - the one table mapping errno values to RPC status codes, names
 * and messages, shared by synackd (building replies) and libsynack (turning
 * replies into negative errno and synack_strerror() text).
 *
 * A status code on the wire is 0 (success) or a positive Linux errno value.
 * Codes the table does not know are carried through unchanged but reported
 * as "unknown error N"; a code outside 1..4095 from a peer becomes EPROTO.
 */
#ifndef SYNACK_STATUS_H
#define SYNACK_STATUS_H

#include <stdbool.h>

struct status_entry {
	int code;	     /* positive errno value, 0 for OK */
	const char *name;    /* "ECONNREFUSED" */
	const char *message; /* "connection refused" (what it means on synack) */
};

/* The table entry for a code (positive or negative errno), or NULL. */
const struct status_entry *status_lookup(int code);
/* "ECONNREFUSED"; "OK" for 0; "UNKNOWN" for codes not in the table. */
const char *status_name(int code);
/* Human text for a code; never NULL. */
const char *status_message(int code);
/* A code by its name ("ETIMEDOUT"), or -EINVAL. */
int status_from_name(const char *name);

/* An errno in either sign -> the wire code (positive, 0 for success). */
int status_code_from_errno(int err);
/* A wire code from a peer -> 0 or a negative errno (garbage -> -EPROTO). */
int status_code_to_errno(int code);

/* Iterate: entries 0..status_count()-1 (for docs and tests). */
unsigned status_count(void);
const struct status_entry *status_at(unsigned i);

#endif
