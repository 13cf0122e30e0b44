/* SPDX-License-Identifier: MIT */
/*
 * filter.h - ss-style connection filters for conns, kill, capture, events.
 *
 * Grammar (words as separate arguments, as with ss):
 *   FILTER   := [state STATE | exclude STATE]... [EXPR]
 *   EXPR     := TERM... [or TERM...]...        (terms side by side are ANDed)
 *   TERM     := sport PORTCMP | dport PORTCMP | src ADDRSPEC | dst ADDRSPEC
 *   PORTCMP  := [OP] [:]PORT                    ("sport = :80", "dport :443")
 *   OP       := = == eq | != ne neq | < lt | <= le | > gt | >= ge
 *   ADDRSPEC := [= | == | eq] ADDR[/PREFIX][:PORT]   (ADDR may be *)
 * STATE is a state in ss, ss-filter or RFC spelling ("established",
 * "syn-recv", "time-wait", "listening", "closed") or a group:
 *   all, connected (all but listening and closed), synchronized (connected
 *   but syn-sent), bucket (syn-recv and time-wait), big (all but bucket).
 * With no state words every state matches. Several state words add up;
 * exclude removes. PORT is a number or a service name from /etc/services.
 * `and` between terms is accepted and is the default.
 */
#ifndef SYNACK_CTL_FILTER_H
#define SYNACK_CTL_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define FILTER_MAX_TERMS   16
#define FILTER_MAX_CLAUSES 8

enum filter_field {
	FILTER_SPORT,
	FILTER_DPORT,
	FILTER_SRC,
	FILTER_DST,
};

enum filter_op {
	FILTER_EQ,
	FILTER_NE,
	FILTER_LT,
	FILTER_LE,
	FILTER_GT,
	FILTER_GE,
};

struct filter_term {
	enum filter_field field;
	enum filter_op op;	 /* ports */
	uint16_t port;		 /* ports, and src/dst with :PORT */
	bool has_port, has_addr; /* src/dst */
	uint32_t addr;		 /* host order */
	uint8_t prefix_len;	 /* 0..32 */
};

/* Terms ANDed together. */
struct filter_clause {
	struct filter_term terms[FILTER_MAX_TERMS];
	size_t n;
};

struct ctl_filter {
	ctl_state_mask states;
	struct filter_clause clauses[FILTER_MAX_CLAUSES]; /* ORed; none = match all */
	size_t n;
};

/* A filter that matches everything. */
void filter_init(struct ctl_filter *f);
/*
 * Parse argv[0..argc) into f. On failure returns -EINVAL with a message
 * naming the bad word in err ("dport: bad port 'x'") and leaves f untouched.
 */
int filter_parse(struct ctl_filter *f, int argc, char *const *argv, char *err, size_t errlen);
/* true when the filter narrows anything (kill refuses an empty filter). */
bool filter_is_empty(const struct ctl_filter *f);
bool filter_match(const struct ctl_filter *f, const struct ctl_conn *c);
/* A state or group name -> mask; -EINVAL when unknown. */
int filter_state_group(const char *name, ctl_state_mask *ret);

#endif
