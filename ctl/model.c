/* SPDX-License-Identifier: MIT */
/*
 * model.c - names for the model's enums: RFC 9293 §3.3.2 state names and
 * the spellings ss uses for them, ss timer names, TCP flag lists.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

struct ctl_state_names {
	const char *ss;	       /* ss column */
	const char *rfc;       /* RFC 9293 */
	const char *ss_filter; /* ss `state` keyword */
};

static const struct ctl_state_names ctl_state_names[CTL_STATE_COUNT] = {
	[CTL_STATE_CLOSED] = { "CLOSED", "CLOSED", "closed" },
	[CTL_STATE_LISTEN] = { "LISTEN", "LISTEN", "listening" },
	[CTL_STATE_SYN_SENT] = { "SYN-SENT", "SYN-SENT", "syn-sent" },
	[CTL_STATE_SYN_RECEIVED] = { "SYN-RECV", "SYN-RECEIVED", "syn-recv" },
	[CTL_STATE_ESTABLISHED] = { "ESTAB", "ESTABLISHED", "established" },
	[CTL_STATE_FIN_WAIT_1] = { "FIN-WAIT-1", "FIN-WAIT-1", "fin-wait-1" },
	[CTL_STATE_FIN_WAIT_2] = { "FIN-WAIT-2", "FIN-WAIT-2", "fin-wait-2" },
	[CTL_STATE_CLOSE_WAIT] = { "CLOSE-WAIT", "CLOSE-WAIT", "close-wait" },
	[CTL_STATE_CLOSING] = { "CLOSING", "CLOSING", "closing" },
	[CTL_STATE_LAST_ACK] = { "LAST-ACK", "LAST-ACK", "last-ack" },
	[CTL_STATE_TIME_WAIT] = { "TIME-WAIT", "TIME-WAIT", "time-wait" },
};

const char *ctl_state_ss_name(enum ctl_state s)
{
	return (unsigned)s < CTL_STATE_COUNT ? ctl_state_names[s].ss : "UNKNOWN";
}

const char *ctl_state_rfc_name(enum ctl_state s)
{
	return (unsigned)s < CTL_STATE_COUNT ? ctl_state_names[s].rfc : "UNKNOWN";
}

/* Case-insensitive compare that takes '_' in a for '-' in b. */
static bool ctl_name_equal(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int ca = *a == '_' ? '-' : tolower((unsigned char)*a);

		if (ca != tolower((unsigned char)*b))
			return false;
	}
	return *a == *b;
}

int ctl_state_parse(const char *name, enum ctl_state *ret)
{
	for (unsigned i = 0; i < CTL_STATE_COUNT; i++) {
		const struct ctl_state_names *n = &ctl_state_names[i];

		if (ctl_name_equal(name, n->ss) || ctl_name_equal(name, n->rfc) ||
		    ctl_name_equal(name, n->ss_filter)) {
			*ret = (enum ctl_state)i;
			return 0;
		}
	}
	/* ss prints UNCONN for a closed socket; take it too. */
	if (ctl_name_equal(name, "unconn") || ctl_name_equal(name, "unconnected")) {
		*ret = CTL_STATE_CLOSED;
		return 0;
	}
	return -EINVAL;
}

const char *ctl_timer_name(enum ctl_timer_kind k)
{
	switch (k) {
	case CTL_TIMER_ON:
		return "on";
	case CTL_TIMER_KEEPALIVE:
		return "keepalive";
	case CTL_TIMER_TIMEWAIT:
		return "timewait";
	case CTL_TIMER_PERSIST:
		return "persist";
	case CTL_TIMER_DELACK:
		return "delack";
	case CTL_TIMER_OFF:
		break;
	}
	return "off";
}

bool ctl_counter_name_is_gauge(const char *name)
{
	static const char *const gauges[] = { "TcpCurrEstab", "SynackTcpTimeWait",
					      "SynackTcpOrphans", "SynackTcpMemBytes" };

	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		if (strcmp(name, gauges[i]) == 0)
			return true;
	}
	return false;
}

int ctl_tcp_flags_format(uint8_t flags, char *buf, size_t len)
{
	/* The order people read them in: SYN,ACK and FIN,ACK, not ACK,SYN. */
	static const struct {
		uint8_t bit;
		const char *name;
	} order[] = {
		{ CTL_TCP_SYN, "SYN" }, { CTL_TCP_FIN, "FIN" }, { CTL_TCP_RST, "RST" },
		{ CTL_TCP_PSH, "PSH" }, { CTL_TCP_URG, "URG" }, { CTL_TCP_ECE, "ECE" },
		{ CTL_TCP_CWR, "CWR" }, { CTL_TCP_ACK, "ACK" },
	};
	size_t n = 0;

	if (len == 0)
		return -ENOBUFS;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (!(flags & order[i].bit))
			continue;
		int w = snprintf(buf + n, len - n, "%s%s", n ? "," : "", order[i].name);
		if (w < 0 || (size_t)w >= len - n)
			return -ENOBUFS;
		n += (size_t)w;
	}
	if (n == 0) {
		if (len < 5)
			return -ENOBUFS;
		memcpy(buf, "none", 5);
		n = 4;
	}
	return (int)n;
}
