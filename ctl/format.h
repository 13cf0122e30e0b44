/* SPDX-License-Identifier: MIT */
/*
 * format.h - what each synackctl command prints, for people (tables in ss,
 * nstat and sysctl shapes) and for programs (JSON), from the model's data.
 * Pure: FILE* in, text out, so every layout is tested with golden strings.
 */
#ifndef SYNACK_CTL_FORMAT_H
#define SYNACK_CTL_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "model.h"

struct format_conns_opts {
	bool timers;	/* -o: ss's timer:(...) column */
	bool info;	/* -i: a second line of TCP internals */
	bool process;	/* -p: the owning client */
	bool extended;	/* -e: the connection id */
	bool no_header; /* -H */
};

/* "10.77.0.2" and "80"; "*" for port 0. */
void format_endpoint(const struct ctl_endpoint *e, char *addr, size_t alen, char *port,
		     size_t plen);
/* "10.77.0.2:80" */
void format_endpoint_joined(const struct ctl_endpoint *e, char *buf, size_t len);

/*
 * The conns table, ss -tan columns:
 *   State Recv-Q Send-Q Local Address:Port Peer Address:Port [Process] [timer] [id]
 * with -i's line under each row, tab-indented as ss does.
 */
int format_conns_table(FILE *f, const struct ctl_conn *c, size_t n,
		       const struct format_conns_opts *o);
/* A JSON array, one object per connection per line, every field present. */
int format_conns_json(FILE *f, const struct ctl_conn *c, size_t n);

/* nstat's layout: name, value; zeros skipped unless zeros. */
int format_counters_table(FILE *f, const struct ctl_counter *c, size_t n, bool zeros);
/* One object {"TcpActiveOpens": 3, ...}. */
int format_counters_json(FILE *f, const struct ctl_counter *c, size_t n, bool zeros);

/* A tunable's value in its unit: "30s", "256KiB", "15", "true". -ENOBUFS if short. */
int format_tunable_value(const char *key, enum ctl_unit unit, uint64_t v, char *buf, size_t len);
/* Key Value Default Range Existing Meaning; msl also says how long TIME-WAIT lasts. */
int format_tunables_table(FILE *f, const struct ctl_tunable *t, size_t n);
int format_tunables_json(FILE *f, const struct ctl_tunable *t, size_t n);

/* One event per line: time, conn id, endpoints, old -> new, cause. */
int format_event_line(FILE *f, const struct ctl_event *e);
/* One JSON object per line. */
int format_event_json(FILE *f, const struct ctl_event *e);

int format_trace_json(FILE *f, const struct ctl_trace_entry *e, size_t n);
int format_status(FILE *f, const struct ctl_status *s);
int format_status_json(FILE *f, const struct ctl_status *s);
int format_impair(FILE *f, const struct ctl_impair *imp);
/* The same as one JSON object: "active", "summary", and every parameter in base units
 * (ppm, microseconds, bits per second). */
int format_impair_json(FILE *f, const struct ctl_impair *imp);
/* The impair: section on one line: "off", or "direction out, match syn, duplicate 100% (copy
 * 3s later), seed 7" (only what is on). Returns the length written. */
int format_impair_summary(const struct config_impair *c, char *buf, size_t len);

/*
 * `reload`: "configuration reloaded from FILE: 1 changed, 1 kept" (or ": nothing changed"),
 * then a line per key: "  tcp.rto.min: 200ms -> 300ms",
 * "  tcp.msl = 10s (set at runtime, not in the file)",
 * "  interface.mtu = 1500 (not applied: needs a restart; the file says 9000)".
 */
int format_reload(FILE *f, const struct ctl_reload *r);
/* {"file": ..., "changed": [{"key", "before", "after"}], "kept": [{"key", "value", "file"}],
 *  "not_applied": [{"key", "value", "file", "why"}]} */
int format_reload_json(FILE *f, const struct ctl_reload *r);

#endif
