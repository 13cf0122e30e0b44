/* SPDX-License-Identifier: MIT */
/*
 * filter.h - ss-style connection filters for conns, kill, capture, events.
 *
 * Grammar, as ss reads it: the arguments are joined and split at white
 * space, so `'( sport = :22 or dport = :22 )'` in one argument and the same
 * words as separate arguments are one filter. Parentheses, `!`, `&&` and
 * `||` are words of their own, as ss wants ("(sport" is refused).
 *   FILTER   := [EXPR], with state STATE and exclude STATE anywhere outside ( )
 *   EXPR     := AND [OR-OP AND]...
 *   AND      := UNARY [[AND-OP] UNARY]...     (side by side means and)
 *   UNARY    := NOT-OP UNARY | ( EXPR ) | TERM
 *   OR-OP    := or | || | |        AND-OP := and | && | &       NOT-OP := not | !
 *   TERM     := sport PORTCMP | dport PORTCMP | src ADDRSPEC | dst ADDRSPEC
 *   PORTCMP  := [OP] [:]PORT                    ("sport = :80", "dport :443")
 *   OP       := = == eq | != ne neq | < lt | <= le | > gt | >= ge
 *   ADDRSPEC := [= | == | eq] ADDR[/PREFIX][:PORT]   (ADDR may be *)
 * not binds tightest, then and, then or: "a or b and not c" is
 * "a or (b and (not c))". Examples:
 *   sport = :80 or sport = :443
 *   ( sport = :80 or sport = :443 ) and not dst 10.77.0.0/24
 *   ! ( dport >= :1024 || src 10.77.0.2 )
 * STATE is a state in ss, ss-filter or RFC spelling ("established",
 * "syn-recv", "time-wait", "listening", "closed") or a group:
 *   all, connected (all but listening and closed), synchronized (connected
 *   but syn-sent), bucket (syn-recv and time-wait), big (all but bucket).
 * With no state words every state matches. Several state words add up;
 * exclude removes. State words apply to the whole filter wherever they stand,
 * so they may not stand inside parentheses or after not. PORT is a number or
 * a service name from /etc/services.
 *
 * The expression is compiled to the flat form below: an OR of AND-clauses
 * (disjunctive normal form), with every not pushed down to the terms (De
 * Morgan): a port comparison takes the opposite operator, an address term
 * its negate flag. What does not fit FILTER_MAX_CLAUSES clauses of
 * FILTER_MAX_TERMS terms once multiplied out is refused, as are parentheses
 * nested deeper than FILTER_MAX_DEPTH. Every error names the word and its
 * position (counting the filter's words from 1).
 */
#ifndef SYNACK_CTL_FILTER_H
#define SYNACK_CTL_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define FILTER_MAX_TERMS   16 /* ANDed terms in one clause */
#define FILTER_MAX_CLAUSES 16 /* ORed clauses */
#define FILTER_MAX_DEPTH   32 /* parentheses inside parentheses */

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
	bool negate;		 /* src/dst under a not: true when the spec does not match */
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
 * Parse argv[0..argc) into f. On failure returns -EINVAL (-ENOMEM) with a
 * message naming the bad word and its position in err ("dport: bad port 'x'
 * at word 3") and leaves f untouched.
 */
int filter_parse(struct ctl_filter *f, int argc, char *const *argv, char *err, size_t errlen);
/* true when the filter narrows anything (kill refuses an empty filter). */
bool filter_is_empty(const struct ctl_filter *f);
bool filter_match(const struct ctl_filter *f, const struct ctl_conn *c);
/* A state or group name -> mask; -EINVAL when unknown. */
int filter_state_group(const char *name, ctl_state_mask *ret);

#endif
