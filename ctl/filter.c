/* SPDX-License-Identifier: MIT */
/*
 * filter.c - parse and match ss-style connection filters (see filter.h).
 * State groups follow iproute2 ss's definitions.
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

static int filter_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int filter_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
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

/* ADDR[/PREFIX][:PORT] or *[:PORT] or :PORT */
static int filter_parse_addrspec(const char *spec, struct filter_term *t, char *err, size_t errlen,
				 const char *word)
{
	char buf[64], *colon, *slash;

	if (strlen(spec) >= sizeof(buf))
		return filter_fail(err, errlen, "%s: address '%s' is too long", word, spec);
	strcpy(buf, spec);
	colon = strrchr(buf, ':');
	if (colon) {
		*colon = '\0';
		if (filter_parse_port(colon + 1, &t->port) < 0)
			return filter_fail(err, errlen, "%s: bad port '%s' in '%s'", word,
					   colon + 1, spec);
		t->has_port = true;
	}
	if (buf[0] == '\0' || strcmp(buf, "*") == 0) {
		if (!t->has_port)
			return filter_fail(err, errlen, "%s: '%s' matches everything", word, spec);
		return 0;
	}
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	uint8_t implied;
	if (filter_parse_addr(buf, &t->addr, &implied) < 0)
		return filter_fail(err, errlen, "%s: bad IPv4 address '%s'", word, buf);
	t->prefix_len = implied;
	if (slash) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);

		if (slash[1] == '\0' || *end || p > 32)
			return filter_fail(err, errlen, "%s: bad prefix length '/%s'", word,
					   slash + 1);
		t->prefix_len = (uint8_t)p;
	}
	t->has_addr = true;
	return 0;
}

struct filter_cursor {
	int argc, i;
	char *const *argv;
	char *err;
	size_t errlen;
};

static const char *filter_next(struct filter_cursor *c)
{
	return c->i < c->argc ? c->argv[c->i++] : NULL;
}

static const char *filter_peek(const struct filter_cursor *c)
{
	return c->i < c->argc ? c->argv[c->i] : NULL;
}

static int filter_parse_port_term(struct filter_cursor *c, const char *word, struct filter_term *t)
{
	const char *w = filter_next(c);

	t->op = FILTER_EQ;
	if (w && filter_parse_op(w, &t->op) == 0)
		w = filter_next(c);
	if (!w)
		return filter_fail(c->err, c->errlen, "%s: expected a port, like '%s = :80'", word,
				   word);
	const char *p = w;
	if (p[0] == '*' && p[1] == ':')
		p += 2;
	else if (p[0] == ':')
		p++;
	if (filter_parse_port(p, &t->port) < 0)
		return filter_fail(c->err, c->errlen, "%s: bad port '%s'", word, w);
	t->has_port = true;
	return 0;
}

static int filter_parse_addr_term(struct filter_cursor *c, const char *word, struct filter_term *t)
{
	const char *w = filter_next(c);
	enum filter_op op;

	if (w && filter_parse_op(w, &op) == 0) {
		if (op != FILTER_EQ)
			return filter_fail(c->err, c->errlen,
					   "%s: only '=' compares addresses, not '%s'", word, w);
		w = filter_next(c);
	}
	if (!w)
		return filter_fail(c->err, c->errlen, "%s: expected ADDR[/PREFIX][:PORT]", word);
	t->op = FILTER_EQ;
	return filter_parse_addrspec(w, t, c->err, c->errlen, word);
}

static int filter_parse_term(struct filter_cursor *c, const char *word, struct filter_term *t)
{
	memset(t, 0, sizeof(*t));
	if (strcmp(word, "sport") == 0 || strcmp(word, "dport") == 0) {
		t->field = word[0] == 's' ? FILTER_SPORT : FILTER_DPORT;
		return filter_parse_port_term(c, word, t);
	}
	if (strcmp(word, "src") == 0 || strcmp(word, "dst") == 0) {
		t->field = word[0] == 's' ? FILTER_SRC : FILTER_DST;
		return filter_parse_addr_term(c, word, t);
	}
	return filter_fail(c->err, c->errlen,
			   "unknown filter word '%s' (expected state, exclude, sport, dport, src, "
			   "dst or or)",
			   word);
}

/* Included and excluded states: the result is (included or all) minus excluded. */
struct filter_states {
	ctl_state_mask included, excluded;
	bool any_included;
};

static int filter_parse_state_word(struct filter_cursor *c, const char *word,
				   struct filter_states *st)
{
	const char *name = filter_next(c);
	ctl_state_mask m;

	if (!name)
		return filter_fail(c->err, c->errlen, "%s: expected a state name", word);
	if (filter_state_group(name, &m) < 0)
		return filter_fail(
			c->err, c->errlen,
			"%s: unknown state '%s' (try established, syn-sent, syn-recv, "
			"fin-wait-1, fin-wait-2, time-wait, closed, close-wait, last-ack, "
			"listening, closing, or the groups all, connected, synchronized, "
			"bucket, big)",
			word, name);
	if (strcmp(word, "exclude") == 0) {
		st->excluded |= m;
	} else {
		st->included |= m;
		st->any_included = true;
	}
	return 0;
}

int filter_parse(struct ctl_filter *ret, int argc, char *const *argv, char *err, size_t errlen)
{
	struct filter_cursor c = { .argc = argc, .argv = argv, .err = err, .errlen = errlen };
	struct ctl_filter f;
	struct filter_states st = { 0 };
	const char *w;
	int r;

	filter_init(&f);
	while ((w = filter_next(&c))) {
		if (strcmp(w, "state") == 0 || strcmp(w, "exclude") == 0) {
			r = filter_parse_state_word(&c, w, &st);
		} else if (strcmp(w, "and") == 0) {
			r = 0;
			if (!filter_peek(&c) || f.n == 0)
				r = filter_fail(err, errlen, "'and' needs a term on each side");
		} else if (strcmp(w, "or") == 0) {
			r = 0;
			if (!filter_peek(&c) || f.n == 0 || f.clauses[f.n - 1].n == 0)
				r = filter_fail(err, errlen, "'or' needs a term on each side");
			else if (f.n == FILTER_MAX_CLAUSES)
				r = filter_fail(err, errlen, "too many 'or' (at most %d)",
						FILTER_MAX_CLAUSES - 1);
			else
				f.n++;
		} else {
			if (f.n == 0)
				f.n = 1;
			struct filter_clause *cl = &f.clauses[f.n - 1];
			if (cl->n == FILTER_MAX_TERMS)
				return filter_fail(err, errlen, "too many terms (at most %d)",
						   FILTER_MAX_TERMS);
			r = filter_parse_term(&c, w, &cl->terms[cl->n]);
			if (r == 0)
				cl->n++;
		}
		if (r < 0)
			return r;
	}
	if (f.n > 0 && f.clauses[f.n - 1].n == 0)
		return filter_fail(err, errlen, "'or' needs a term on each side");
	f.states = (st.any_included ? st.included : CTL_STATES_ALL) & ~st.excluded;
	*ret = f;
	return 0;
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
		return filter_port_cmp(c->local.port, t->op, t->port);
	case FILTER_DPORT:
		return filter_port_cmp(c->remote.port, t->op, t->port);
	case FILTER_SRC:
		return filter_addr_match(t, &c->local);
	case FILTER_DST:
		return filter_addr_match(t, &c->remote);
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
