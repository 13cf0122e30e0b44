/* SPDX-License-Identifier: MIT */
/*
 * config_check.c - rules that involve more than one key, checked once every
 * key has its value: the addresses on the link must fit together, the RTO
 * bounds must be ordered, the built-in services need distinct ports, an
 * impairment must be one that can be applied.
 * An error is placed at the value the file gave (the later one when the file
 * gave several), or without a position when every value involved is a default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>

#include "config_internal.h"

struct config_checker {
	const struct synack_config *c;
	const struct config_pos *pos;
	struct config_errors *errs;
	int r;
};

/* Where the later of two keys (by table path) was set, or no position. */
static struct config_pos config_check_where(const struct config_checker *k, const char *a,
					    const char *b)
{
	struct config_pos none = { 0, 0 }, pa = none, pb = none;
	int ia = config_key_find(a), ib = b ? config_key_find(b) : -1;

	if (ia >= 0)
		pa = k->pos[ia];
	if (ib >= 0)
		pb = k->pos[ib];
	if (pb.line > pa.line || (pb.line == pa.line && pb.column > pa.column))
		return pb;
	return pa;
}

static void config_check_fail(struct config_checker *k, const char *a, const char *b,
			      const char *msg)
{
	struct config_pos p = config_check_where(k, a, b);

	if (config_errors_add(k->errs, p.line, p.column, "%s", msg) == -ENOMEM)
		k->r = -ENOMEM;
}

static void config_ipv4_str(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

static uint32_t config_netmask(uint8_t prefix_len)
{
	return prefix_len ? ~(uint32_t)0 << (32 - prefix_len) : 0;
}

static void config_check_interface(struct config_checker *k)
{
	typeof(k->c->interface) *i = &k->c->interface;
	uint32_t mask = config_netmask(i->prefix_len), net = i->address & mask;
	char a[16], msg[160];

	config_ipv4_str(i->address, a, sizeof(a));
	if (i->prefix_len <= 30 && (i->address == net || i->address == (net | ~mask))) {
		snprintf(msg, sizeof(msg),
			 "interface.address: %s/%u is the network or broadcast address of its "
			 "subnet",
			 a, i->prefix_len);
		config_check_fail(k, "interface.address", NULL, msg);
	}
	if (i->configure && i->peer_address == i->address) {
		snprintf(
			msg, sizeof(msg),
			"interface.peer_address: %s is the stack's own address (interface.address)",
			a);
		config_check_fail(k, "interface.address", "interface.peer_address", msg);
	} else if (i->configure && (i->peer_address & mask) != net) {
		snprintf(msg, sizeof(msg),
			 "interface.peer_address: not inside interface.address's subnet %s/%u", a,
			 i->prefix_len);
		config_check_fail(k, "interface.address", "interface.peer_address", msg);
	}
	if (i->gateway && i->gateway == i->address) {
		snprintf(msg, sizeof(msg),
			 "interface.gateway: %s is the stack's own address (interface.address)", a);
		config_check_fail(k, "interface.address", "interface.gateway", msg);
	} else if (i->gateway && (i->gateway & mask) != net) {
		snprintf(msg, sizeof(msg),
			 "interface.gateway: not inside interface.address's subnet %s/%u (\"\" = "
			 "no gateway)",
			 a, i->prefix_len);
		config_check_fail(k, "interface.address", "interface.gateway", msg);
	}
}

static void config_check_rto(struct config_checker *k)
{
	const struct stack_tunables *t = &k->c->tcp;
	char lo[24], hi[24], msg[160];

	config_format_duration(t->rto_min, lo, sizeof(lo));
	config_format_duration(t->rto_max, hi, sizeof(hi));
	if (t->rto_min > t->rto_max) {
		snprintf(msg, sizeof(msg), "tcp.rto.min (%s) is above tcp.rto.max (%s)", lo, hi);
		config_check_fail(k, "tcp.rto.min", "tcp.rto.max", msg);
	}
	if (t->rto_initial > t->rto_max) {
		config_format_duration(t->rto_initial, lo, sizeof(lo));
		snprintf(msg, sizeof(msg), "tcp.rto.initial (%s) is above tcp.rto.max (%s)", lo,
			 hi);
		config_check_fail(k, "tcp.rto.initial", "tcp.rto.max", msg);
	}
}

static void config_check_services(struct config_checker *k)
{
	static const char *const names[] = { "services.echo", "services.discard",
					     "services.chargen" };
	const uint16_t ports[] = { k->c->services.echo, k->c->services.discard,
				   k->c->services.chargen };
	char msg[160];

	for (size_t a = 0; a < 3; a++) {
		for (size_t b = a + 1; b < 3; b++) {
			if (!ports[a] || ports[a] != ports[b])
				continue;
			snprintf(msg, sizeof(msg), "%s and %s both use port %u", names[a], names[b],
				 ports[a]);
			config_check_fail(k, names[a], names[b], msg);
		}
	}
}

/* Impairment settings that would do nothing, or never end, are refused (config_impair.c). */
static void config_check_impair(struct config_checker *k)
{
	const char *a, *b, *msg = config_impair_rule(&k->c->impair, &a, &b);

	if (msg)
		config_check_fail(k, a, b, msg);
}

int config_check(const struct synack_config *c, const struct config_pos *pos,
		 struct config_errors *errs)
{
	struct config_checker k = { .c = c, .pos = pos, .errs = errs, .r = 0 };

	config_check_interface(&k);
	config_check_rto(&k);
	config_check_services(&k);
	config_check_impair(&k);
	return k.r;
}
