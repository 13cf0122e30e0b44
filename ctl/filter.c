/* SPDX-License-Identifier: MIT */
/*
 * filter.c - parse and match ss-style connection filters (see filter.h).
 * State groups follow iproute2 ss's definitions. The expression is read by
 * recursive descent straight into disjunctive normal form, not pushed down
 * to the terms on the way, so matching stays a loop over flat clauses.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filter.h"

#define S(x) CTL_STATE_BIT(CTL_STATE_##x)

static const struct {
	const char *name;
	ctl_state_mask mask;
} filter_groups[] = {
	{ "all", CTL_STATES_ALL },
	{ "connected", CTL_STATES_ALL & ~(S(LISTEN) | S(CLOSED)) },
	{ "synchronized", CTL_STATES_ALL & ~(S(LISTEN) | S(CLOSED) | S(SYN_SENT)) },
	{ "bucket", S(SYN_RECEIVED) | S(TIME_WAIT) },
	{ "big", CTL_STATES_ALL & ~(S(SYN_RECEIVED) | S(TIME_WAIT)) },
};

#undef S

void filter_init(struct ctl_filter *f)
{
	memset(f, 0, sizeof(*f));
	f->states = CTL_STATES_ALL;
}

int filter_state_group(const char *name, ctl_state_mask *ret)
{
	enum ctl_state s;

	for (size_t i = 0; i < sizeof(filter_groups) / sizeof(filter_groups[0]); i++) {
		if (strcasecmp(name, filter_groups[i].name) == 0) {
			*ret = filter_groups[i].mask;
			return 0;
		}
	}
	if (ctl_state_parse(name, &s) < 0)
		return -EINVAL;
	*ret = CTL_STATE_BIT(s);
	return 0;
}

/* The filter's words: every argument split at white space, as ss joins its arguments. */
struct filter_cursor {
	char **w;
	int n, i;  /* words, the next one */
	int depth; /* parentheses open */
	char *err;
	size_t errlen;
};

/* Clauses ORed, each of terms ANDed: what an expression compiles to. */
struct filter_dnf {
	struct filter_clause c[FILTER_MAX_CLAUSES];
	size_t n;
};

static int filter_fail_at(const struct filter_cursor *c, int at, const char *hint, const char *fmt,
			  ...) __attribute__((format(printf, 4, 5)));

/*
 * "MESSAGE (word N)" or "MESSAGE (word N): HINT", for word `at` (0-based);
 * past the last word: "(at the end of the filter)".
 */
static int filter_fail_at(const struct filter_cursor *c, int at, const char *hint, const char *fmt,
			  ...)
{
	va_list ap;
	size_t len;

	if (!c->err || !c->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->err, c->errlen, fmt, ap);
	va_end(ap);
	len = strlen(c->err);
	if (at < c->n)
		snprintf(c->err + len, c->errlen - len, " (word %d)%s%s", at + 1, hint ? ": " : "",
			 hint ? hint : "");
	else
		snprintf(c->err + len, c->errlen - len, " (at the end of the filter)%s%s",
			 hint ? ": " : "", hint ? hint : "");
	return -EINVAL;
}

static int filter_parse_op(const char *w, enum filter_op *ret)
{
	static const struct {
		const char *word;
		enum filter_op op;
	} ops[] = {
		{ "=", FILTER_EQ },  { "==", FILTER_EQ },  { "eq", FILTER_EQ }, { "!=", FILTER_NE },
		{ "ne", FILTER_NE }, { "neq", FILTER_NE }, { "<", FILTER_LT },	{ "lt", FILTER_LT },
		{ "<=", FILTER_LE }, { "le", FILTER_LE },  { ">", FILTER_GT },	{ "gt", FILTER_GT },
		{ ">=", FILTER_GE }, { "ge", FILTER_GE },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		if (strcmp(w, ops[i].word) == 0) {
			*ret = ops[i].op;
			return 0;
		}
	}
	return -EINVAL;
}

/* A port number 1..65535 or a TCP service name; "" is refused. */
static int filter_parse_port(const char *s, uint16_t *ret)
{
	char *end;
	unsigned long v;

	if (*s == '\0')
		return -EINVAL;
	if (*s >= '0' && *s <= '9') {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || *end || v > 65535)
			return -EINVAL;
		*ret = (uint16_t)v;
		return 0;
	}
	struct servent *se = getservbyname(s, "tcp");
	if (!se)
		return -EINVAL;
	*ret = ntohs((uint16_t)se->s_port);
	return 0;
}

/* One to four dotted decimal octets; a short form like 10.77 gets prefix 8 per octet. */
static int filter_parse_addr(const char *s, uint32_t *addr, uint8_t *implied_prefix)
{
	uint32_t a = 0;
	int octets = 0;

	while (octets < 4) {
		char *end;
		unsigned long v;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = strtoul(s, &end, 10);
		if (v > 255 || end - s > 3)
			return -EINVAL;
		a |= (uint32_t)v << (24 - 8 * octets);
		octets++;
		s = end;
		if (*s == '\0')
			break;
		if (*s != '.')
			return -EINVAL;
		s++;
	}
	if (*s != '\0')
		return -EINVAL;
	*addr = a;
	*implied_prefix = (uint8_t)(8 * octets);
	return 0;
}

/* ADDR[/PREFIX][:PORT] or *[:PORT] or :PORT, the word at `at` */
static int filter_parse_addrspec(const struct filter_cursor *c, int at, const char *word,
				 struct filter_term *t)
{
	const char *spec = c->w[at];
	char buf[64], *colon, *slash;

	if (strlen(spec) >= sizeof(buf))
		return filter_fail_at(c, at, NULL, "%s: address '%s' is too long", word, spec);
	strcpy(buf, spec);
	colon = strrchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (filter_parse_port(colon + 1, &t->port) < 0)
			return filter_fail_at(c, at, NULL, "%s: bad port '%s' in '%s'", word,
					      colon + 1, spec);
		t->has_port = true;
	}
	if (buf[0] == '\0' || strcmp(buf, "*") == 0) {
		if (!t->has_port)
			return filter_fail_at(c, at, NULL, "%s: '%s' matches everything", word,
					      spec);
		return 0;
	}
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	uint8_t implied;
	if (filter_parse_addr(buf, &t->addr, &implied) < 0)
		return filter_fail_at(c, at, NULL, "%s: bad IPv4 address '%s'", word, buf);
	t->prefix_len = implied;
	if (slash) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);

		if (slash[1] == '\0' || *end || p > 32)
			return filter_fail_at(c, at, NULL, "%s: bad prefix length '/%s'", word,
					      slash + 1);
		t->prefix_len = (uint8_t)p;
	}
	t->has_addr = true;
	return 0;
}

static const char *filter_peek(const struct filter_cursor *c)
{
	return c->i < c->n ? c->w[c->i] : NULL;
}

static bool filter_peek_is(const struct filter_cursor *c, const char *a, const char *b,
			   const char *d)
{
	const char *w = filter_peek(c);

	return w && (strcmp(w, a) == 0 || strcmp(w, b) == 0 || (d && strcmp(w, d) == 0));
}

static bool filter_at_or(const struct filter_cursor *c)
{
	return filter_peek_is(c, "or", "||", "|");
}

static bool filter_at_and(const struct filter_cursor *c)
{
	return filter_peek_is(c, "and", "&&", "&");
}

static bool filter_at_not(const struct filter_cursor *c)
{
	return filter_peek_is(c, "not", "!", NULL);
}

static bool filter_at_state(const struct filter_cursor *c)
{
	return filter_peek_is(c, "state", "exclude", NULL);
}

static int filter_parse_port_term(struct filter_cursor *c, const char *word, struct filter_term *t)
{
	const char *w = filter_peek(c);

	t->op = FILTER_EQ;
	if (w && filter_parse_op(w, &t->op) == 0) {
		c->i++;
		w = filter_peek(c);
	}
	if (!w)
		return filter_fail_at(c, c->i, NULL, "%s: expected a port, like '%s = :80'", word,
				      word);
	c->i++;
	const char *p = w;
	if (p[0] == '*' && p[1] == ':')
		p += 2;
	else if (p[0] == ':')
		p++;
	if (filter_parse_port(p, &t->port) < 0)
		return filter_fail_at(c, c->i - 1, NULL, "%s: bad port '%s'", word, w);
	t->has_port = true;
	return 0;
}

static int filter_parse_addr_term(struct filter_cursor *c, const char *word, struct filter_term *t)
{
	const char *w = filter_peek(c);
	enum filter_op op;

	if (w && filter_parse_op(w, &op) == 0) {
		if (op != FILTER_EQ)
			return filter_fail_at(c, c->i, NULL,
					      "%s: only '=' compares addresses, not '%s'", word, w);
		c->i++;
		w = filter_peek(c);
	}
	if (!w)
		return filter_fail_at(c, c->i, NULL, "%s: expected ADDR[/PREFIX][:PORT]", word);
	t->op = FILTER_EQ;
	return filter_parse_addrspec(c, c->i++, word, t);
}

static int filter_parse_term(struct filter_cursor *c, struct filter_term *t)
{
	int at = c->i;
	const char *word = c->w[c->i++];

	memset(t, 0, sizeof(*t));
	if (strcmp(word, "sport") == 0 || strcmp(word, "dport") == 0) {
		t->field = word[0] == 's' ? FILTER_SPORT : FILTER_DPORT;
		return filter_parse_port_term(c, word, t);
	}
	if (strcmp(word, "src") == 0 || strcmp(word, "dst") == 0) {
		t->field = word[0] == 's' ? FILTER_SRC : FILTER_DST;
		return filter_parse_addr_term(c, word, t);
	}
	if (strcmp(word, "state") == 0 || strcmp(word, "exclude") == 0)
		return filter_fail_at(c, at,
				      "state and exclude apply to the whole filter, so they go "
				      "outside parentheses and never after not",
				      "'%s' cannot stand here", word);
	if (word[0] == '!')
		return filter_fail_at(c, at, "'!' is a word of its own, as in '! sport = :80'",
				      "unknown filter word '%s'", word);
	return filter_fail_at(
		c, at,
		"expected sport, dport, src, dst, state, exclude, not, !, and, &&, or, "
		"||, ( or )",
		"unknown filter word '%s'", word);
}

/* not pushed down to a term: a port comparison turns around, an address match is negated. */
static void filter_term_negate(struct filter_term *t)
{
	static const enum filter_op opposite[] = {
		[FILTER_EQ] = FILTER_NE, [FILTER_NE] = FILTER_EQ, [FILTER_LT] = FILTER_GE,
		[FILTER_LE] = FILTER_GT, [FILTER_GT] = FILTER_LE, [FILTER_GE] = FILTER_LT,
	};

	if (t->field == FILTER_SPORT || t->field == FILTER_DPORT)
		t->op = opposite[t->op];
	else
		t->negate = !t->negate;
}

static int filter_too_big(const struct filter_cursor *c, int at, bool terms)
{
	char hint[160];

	snprintf(hint, sizeof(hint),
		 "multiplied out (and over or, not pushed down to the terms) it needs %s than %d",
		 terms ? "an alternative of more terms" : "more alternatives",
		 terms ? FILTER_MAX_TERMS : FILTER_MAX_CLAUSES);
	return filter_fail_at(c, at, hint, "filter too big at '%s'", c->w[at]);
}

/* a = a or b */
static int filter_dnf_or(const struct filter_cursor *c, int at, struct filter_dnf *a,
			 const struct filter_dnf *b)
{
	if (a->n + b->n > FILTER_MAX_CLAUSES)
		return filter_too_big(c, at, false);
	memcpy(&a->c[a->n], b->c, b->n * sizeof(b->c[0]));
	a->n += b->n;
	return 0;
}

/* a = a and b: every clause of a with every clause of b */
static int filter_dnf_and(const struct filter_cursor *c, int at, struct filter_dnf *a,
			  const struct filter_dnf *b)
{
	struct filter_dnf *r;

	if (a->n * b->n > FILTER_MAX_CLAUSES)
		return filter_too_big(c, at, false);
	r = malloc(sizeof(*r));
	if (!r)
		return filter_fail_at(c, at, NULL, "out of memory");
	r->n = 0;
	for (size_t i = 0; i < a->n; i++) {
		for (size_t j = 0; j < b->n; j++) {
			const struct filter_clause *x = &a->c[i], *y = &b->c[j];
			struct filter_clause *z = &r->c[r->n++];

			if (x->n + y->n > FILTER_MAX_TERMS) {
				free(r);
				return filter_too_big(c, at, true);
			}
			memcpy(z->terms, x->terms, x->n * sizeof(x->terms[0]));
			memcpy(z->terms + x->n, y->terms, y->n * sizeof(y->terms[0]));
			z->n = x->n + y->n;
		}
	}
	*a = *r;
	free(r);
	return 0;
}

/* Included and excluded states: the result is (included or all) minus excluded. */
struct filter_states {
	ctl_state_mask included, excluded;
	bool any_included;
};

static int filter_parse_state_word(struct filter_cursor *c, struct filter_states *st)
{
	const char *word = c->w[c->i++];
	const char *name = filter_peek(c);
	ctl_state_mask m;

	if (!name)
		return filter_fail_at(c, c->i, NULL, "%s: expected a state name", word);
	if (filter_state_group(name, &m) < 0)
		return filter_fail_at(
			c, c->i,
			"try established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, "
			"time-wait, closed, close-wait, last-ack, listening, closing, "
			"or the groups all, connected, synchronized, bucket, big",
			"%s: unknown state '%s'", word, name);
	c->i++;
	if (strcmp(word, "exclude") == 0) {
		st->excluded |= m;
	} else {
		st->included |= m;
		st->any_included = true;
	}
	return 0;
}

/*
 * Recursive descent, one function per precedence level. Each returns the
 * DNF of what it read, negated when neg is set: not (a or b) is read as
 * (not a) and (not b), not (a and b) as (not a) or (not b), so not never
 * needs a node of its own. *empty says nothing but state words was read
 * (the caller decides whether that is an error).
 */
static int filter_parse_or(struct filter_cursor *c, struct filter_states *st, bool neg,
			   struct filter_dnf *out, bool *empty);

static int filter_parse_unary(struct filter_cursor *c, struct filter_states *st, bool neg,
			      struct filter_dnf *out)
{
	int not_at = -1;

	while (filter_at_not(c)) {
		not_at = c->i++;
		neg = !neg;
	}
	const char *w = filter_peek(c);
	if (!w || filter_at_or(c) || filter_at_and(c) || strcmp(w, ")") == 0) {
		if (not_at >= 0)
			return filter_fail_at(c, not_at, NULL, "'%s' needs a term after it",
					      c->w[not_at]);
		return filter_fail_at(c, c->i, NULL, "expected a term");
	}
	if (strcmp(w, "(") == 0) {
		int open_at = c->i++;
		bool empty;
		int r;

		if (c->depth == FILTER_MAX_DEPTH)
			return filter_fail_at(c, open_at, NULL, "parentheses nested deeper than %d",
					      FILTER_MAX_DEPTH);
		c->depth++;
		r = filter_parse_or(c, st, neg, out, &empty);
		c->depth--;
		if (r < 0)
			return r;
		if (!filter_peek(c))
			return filter_fail_at(c, open_at, NULL, "'(' is never closed");
		if (empty)
			return filter_fail_at(c, open_at, NULL, "'(' needs a term inside");
		c->i++; /* ")": anything else ended filter_parse_or */
		return 0;
	}
	struct filter_term *t = &out->c[0].terms[0];
	int r = filter_parse_term(c, t);
	if (r < 0)
		return r;
	if (neg)
		filter_term_negate(t);
	out->c[0].n = 1;
	out->n = 1;
	return 0;
}

/* State words stand anywhere outside parentheses and apply to the whole filter. */
static int filter_skip_states(struct filter_cursor *c, struct filter_states *st)
{
	while (c->depth == 0 && filter_at_state(c)) {
		int r = filter_parse_state_word(c, st);

		if (r < 0)
			return r;
	}
	return 0;
}

static int filter_parse_and(struct filter_cursor *c, struct filter_states *st, bool neg,
			    struct filter_dnf *out, bool *empty)
{
	struct filter_dnf *rhs = NULL;
	int r = 0;

	*empty = true;
	while (r == 0 && (r = filter_skip_states(c, st)) == 0) {
		const char *w = filter_peek(c);
		int at = c->i;

		if (!w || filter_at_or(c) || strcmp(w, ")") == 0)
			break;
		if (filter_at_and(c)) {
			c->i++;
			r = filter_skip_states(c, st);
			w = filter_peek(c);
			if (r == 0 && (*empty || !w || filter_at_or(c) || filter_at_and(c) ||
				       strcmp(w, ")") == 0))
				r = filter_fail_at(c, at, NULL, "'%s' needs a term on each side",
						   c->w[at]);
			if (r < 0)
				break;
		}
		if (*empty) {
			r = filter_parse_unary(c, st, neg, out);
			*empty = false;
			continue;
		}
		if (!rhs && !(rhs = malloc(sizeof(*rhs)))) {
			r = filter_fail_at(c, at, NULL, "out of memory");
			break;
		}
		r = filter_parse_unary(c, st, neg, rhs);
		if (r == 0)
			r = neg ? filter_dnf_or(c, at, out, rhs) : filter_dnf_and(c, at, out, rhs);
	}
	free(rhs);
	return r;
}

static int filter_parse_or(struct filter_cursor *c, struct filter_states *st, bool neg,
			   struct filter_dnf *out, bool *empty)
{
	struct filter_dnf *rhs = NULL;
	bool rhs_empty;
	int r = filter_parse_and(c, st, neg, out, empty);

	while (r == 0 && filter_at_or(c)) {
		int at = c->i++;

		if (!rhs && !(rhs = malloc(sizeof(*rhs)))) {
			r = filter_fail_at(c, at, NULL, "out of memory");
			break;
		}
		r = filter_parse_and(c, st, neg, rhs, &rhs_empty);
		if (r == 0 && (*empty || rhs_empty))
			r = filter_fail_at(c, at, NULL, "'%s' needs a term on each side", c->w[at]);
		if (r == 0)
			r = neg ? filter_dnf_and(c, at, out, rhs) : filter_dnf_or(c, at, out, rhs);
	}
	free(rhs);
	return r;
}

/* Split the arguments at white space into c->w (one allocation, freed by the caller). */
static int filter_split(struct filter_cursor *c, int argc, char *const *argv)
{
	static const char space[] = " \t\n\r\f\v";
	size_t chars = 0;
	char *buf;

	for (int i = 0; i < argc; i++)
		chars += strlen(argv[i]) + 1;
	/* at most one word per two characters: a word and its separator */
	c->w = malloc((chars / 2 + 1) * sizeof(char *) + chars + 1);
	if (!c->w)
		return filter_fail_at(c, 0, NULL, "out of memory");
	buf = (char *)(c->w + chars / 2 + 1);
	c->n = 0;
	for (int i = 0; i < argc; i++) {
		char *save = NULL;

		strcpy(buf, argv[i]);
		for (char *w = strtok_r(buf, space, &save); w; w = strtok_r(NULL, space, &save))
			c->w[c->n++] = w;
		buf += strlen(argv[i]) + 1;
	}
	for (int i = 0; i < c->n; i++) {
		const char *w = c->w[i];

		if ((strchr(w, '(') || strchr(w, ')')) && strcmp(w, "(") != 0 &&
		    strcmp(w, ")") != 0)
			return filter_fail_at(c, i,
					      "parentheses are words of their own, as in "
					      "'( sport = :80 )'",
					      "'%s'", w);
	}
	return 0;
}

int filter_parse(struct ctl_filter *ret, int argc, char *const *argv, char *err, size_t errlen)
{
	struct filter_cursor c = { .err = err, .errlen = errlen };
	struct filter_states st = { 0 };
	struct filter_dnf *dnf = malloc(sizeof(*dnf));
	bool empty = true;
	int r;

	if (!dnf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r = filter_split(&c, argc, argv);
	if (r == 0)
		r = filter_parse_or(&c, &st, false, dnf, &empty);
	if (r == 0 && filter_peek(&c)) /* only a ")" stops filter_parse_or early */
		r = filter_fail_at(&c, c.i, NULL, "')' has no '(' before it");
	if (r == 0) {
		filter_init(ret);
		if (!empty) {
			memcpy(ret->clauses, dnf->c, dnf->n * sizeof(dnf->c[0]));
			ret->n = dnf->n;
		}
		ret->states = (st.any_included ? st.included : CTL_STATES_ALL) & ~st.excluded;
	}
	free(c.w);
	free(dnf);
	return r;
}

bool filter_is_empty(const struct ctl_filter *f)
{
	return f->states == CTL_STATES_ALL && f->n == 0;
}

static bool filter_port_cmp(uint16_t v, enum filter_op op, uint16_t want)
{
	switch (op) {
	case FILTER_EQ:
		return v == want;
	case FILTER_NE:
		return v != want;
	case FILTER_LT:
		return v < want;
	case FILTER_LE:
		return v <= want;
	case FILTER_GT:
		return v > want;
	case FILTER_GE:
		return v >= want;
	}
	return false;
}

static bool filter_addr_match(const struct filter_term *t, const struct ctl_endpoint *e)
{
	if (t->has_addr) {
		uint32_t mask = t->prefix_len == 0 ? 0 : ~(uint32_t)0 << (32 - t->prefix_len);

		if ((e->addr & mask) != (t->addr & mask))
			return false;
	}
	return !t->has_port || e->port == t->port;
}

static bool filter_term_match(const struct filter_term *t, const struct ctl_conn *c)
{
	switch (t->field) {
	case FILTER_SPORT:
		return filter_port_cmp(c->local.port, t->op, t->port) != t->negate;
	case FILTER_DPORT:
		return filter_port_cmp(c->remote.port, t->op, t->port) != t->negate;
	case FILTER_SRC:
		return filter_addr_match(t, &c->local) != t->negate;
	case FILTER_DST:
		return filter_addr_match(t, &c->remote) != t->negate;
	}
	return false;
}

static bool filter_clause_match(const struct filter_clause *cl, const struct ctl_conn *c)
{
	for (size_t i = 0; i < cl->n; i++) {
		if (!filter_term_match(&cl->terms[i], c))
			return false;
	}
	return true;
}

bool filter_match(const struct ctl_filter *f, const struct ctl_conn *c)
{
	if ((unsigned)c->state >= CTL_STATE_COUNT || !(f->states & CTL_STATE_BIT(c->state)))
		return false;
	if (f->n == 0)
		return true;
	for (size_t i = 0; i < f->n; i++) {
		if (filter_clause_match(&f->clauses[i], c))
			return true;
	}
	return false;
}
