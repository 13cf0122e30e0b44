/* SPDX-License-Identifier: MIT */
/*
 * prom.c - Prometheus text exposition (format 0.0.4) of nstat counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

#include "prom.h"

/* Longest first, so TcpExt wins over Tcp. */
static const char *const prom_groups[] = {
	"TcpExt", "IcmpMsg", "UdpLite", "IpExt", "Synack", "Icmp", "Tcp", "Udp", "Ip",
};

static size_t prom_group_len(const char *name)
{
	for (size_t i = 0; i < sizeof(prom_groups) / sizeof(prom_groups[0]); i++) {
		size_t n = strlen(prom_groups[i]);

		/* the group must be followed by the start of a field: TcpExtTW, not Tcpx */
		if (strncmp(name, prom_groups[i], n) == 0 && name[n] >= 'A' && name[n] <= 'Z')
			return n;
	}
	return 0;
}

static bool prom_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

int prom_metric_name(const struct ctl_counter *c, char *buf, size_t len)
{
	size_t g = prom_group_len(c->name);
	size_t n = 0;
	int w;

	w = snprintf(buf, len, "synack_netstat_");
	if (w < 0 || (size_t)w >= len)
		return -ENOBUFS;
	n = (size_t)w;
	for (size_t i = 0; c->name[i]; i++) {
		if (n + 2 >= len)
			return -ENOBUFS;
		if (g && i == g)
			buf[n++] = '_';
		buf[n++] = prom_name_char(c->name[i]) ? c->name[i] : '_';
	}
	buf[n] = '\0';
	if (!c->gauge) {
		w = snprintf(buf + n, len - n, "_total");
		if (w < 0 || (size_t)w >= len - n)
			return -ENOBUFS;
		n += (size_t)w;
	}
	return (int)n;
}

int prom_write(FILE *f, const struct ctl_counter *c, size_t n)
{
	char name[128];

	for (size_t i = 0; i < n; i++) {
		if (prom_metric_name(&c[i], name, sizeof(name)) < 0)
			continue;
		fprintf(f, "# HELP %s synackd's nstat %s %s.\n", name,
			c[i].gauge ? "gauge" : "counter", c[i].name);
		fprintf(f, "# TYPE %s %s\n", name, c[i].gauge ? "gauge" : "counter");
		fprintf(f, "%s %" PRIu64 "\n", name, c[i].value);
	}
	return ferror(f) ? -EIO : 0;
}
