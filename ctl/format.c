/* SPDX-License-Identifier: MIT */
/*
 * format.c - tables and JSON for each command's data (see format.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "format.h"
#include "tunables.h"
#include "json.h"
#include "table.h"

/* ss leaves ssthresh out while it is still "infinite". */
#define FORMAT_SSTHRESH_INFINITE 0x7fffffffu

void format_endpoint(const struct ctl_endpoint *e, char *addr, size_t alen, char *port, size_t plen)
{
	snprintf(addr, alen, "%u.%u.%u.%u", e->addr >> 24, (e->addr >> 16) & 0xff,
		 (e->addr >> 8) & 0xff, e->addr & 0xff);
	if (e->port)
		snprintf(port, plen, "%u", e->port);
	else
		snprintf(port, plen, "*");
}

void format_endpoint_joined(const struct ctl_endpoint *e, char *buf, size_t len)
{
	char addr[16], port[8];

	format_endpoint(e, addr, sizeof(addr), port, sizeof(port));
	snprintf(buf, len, "%s:%s", addr, port);
}

/* ss -i's second line, in ss's order and spelling. */
static void format_conn_info(const struct ctl_conn *c, char *buf, size_t len)
{
	const struct ctl_conn_info *i = &c->info;
	size_t n = 0;

#define FORMAT_PUT(...)                                                       \
	do {                                                                  \
		if (n < len)                                                  \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__); \
	} while (0)
	buf[0] = '\0';
	if (i->ts_ok)
		FORMAT_PUT("ts ");
	if (i->sack_ok)
		FORMAT_PUT("sack ");
	if (i->congestion[0])
		FORMAT_PUT("%s ", i->congestion);
	if (i->wscale_ok)
		FORMAT_PUT("wscale:%u,%u ", i->snd_wscale, i->rcv_wscale);
	FORMAT_PUT("rto:%g rtt:%g/%g mss:%" PRIu32 " cwnd:%" PRIu32 " ", i->rto_us / 1000.0,
		   i->rtt_us / 1000.0, i->rttvar_us / 1000.0, i->mss, i->cwnd);
	if (i->ssthresh && i->ssthresh < FORMAT_SSTHRESH_INFINITE)
		FORMAT_PUT("ssthresh:%" PRIu32 " ", i->ssthresh);
	FORMAT_PUT("bytes_acked:%" PRIu64 " bytes_received:%" PRIu64 " retrans:%" PRIu32
		   "/%" PRIu64,
		   i->bytes_acked, i->bytes_received, c->timer.retransmits, i->retrans);
	if (i->rcv_rtt_us)
		FORMAT_PUT(" rcv_rtt:%g", i->rcv_rtt_us / 1000.0);
	if (i->rcv_space)
		FORMAT_PUT(" rcv_space:%" PRIu32, i->rcv_space);
	if (i->sndbuf || i->rcvbuf)
		FORMAT_PUT(" sndbuf:%" PRIu32 " rcvbuf:%" PRIu32, i->sndbuf, i->rcvbuf);
#undef FORMAT_PUT
}

static void format_conn_owner(const struct ctl_owner *o, char *buf, size_t len)
{
	if (!o->known) {
		buf[0] = '\0';
		return;
	}
	/* ss -p: users:(("name",pid=N,fd=N)); a client has a uid, not an fd */
	snprintf(buf, len, "users:((\"%s\",pid=%" PRId32 ",uid=%" PRIu32 "))", o->name, o->pid,
		 o->uid);
}

/* The -o column: ss's timer:(...), or for a closed connection (conns --closed)
 * how long ago it closed. */
static void format_conn_timer(const struct ctl_conn *c, char *buf, size_t len)
{
	char when[32];

	if (!c->closed) {
		table_format_ss_timer(&c->timer, buf, len);
		return;
	}
	table_format_ss_time(c->closed_ago_ms, when, sizeof(when));
	snprintf(buf, len, "closed:(%s ago)", when);
}

static int format_conns_columns(struct table *t, const struct format_conns_opts *o)
{
	struct table_column cols[TABLE_MAX_COLUMNS] = {
		{ "State", TABLE_LEFT, NULL },	{ "Recv-Q", TABLE_LEFT, NULL },
		{ "Send-Q", TABLE_LEFT, NULL }, { "Local Address", TABLE_RIGHT, ":" },
		{ "Port", TABLE_LEFT, NULL },	{ "Peer Address", TABLE_RIGHT, ":" },
		{ "Port", TABLE_LEFT, NULL },
	};
	size_t n = 7;

	if (o->process)
		cols[n++] = (struct table_column){ "Process", TABLE_LEFT, NULL };
	if (o->timers)
		cols[n++] = (struct table_column){ "", TABLE_LEFT, NULL };
	if (o->extended)
		cols[n++] = (struct table_column){ "", TABLE_LEFT, NULL };
	return table_init(t, cols, n);
}

static int format_conn_row(struct table *t, const struct ctl_conn *c,
			   const struct format_conns_opts *o)
{
	char laddr[16], lport[8], raddr[16], rport[8], extra[256];

	format_endpoint(&c->local, laddr, sizeof(laddr), lport, sizeof(lport));
	format_endpoint(&c->remote, raddr, sizeof(raddr), rport, sizeof(rport));
	if (table_row_begin(t) < 0)
		return -ENOMEM;
	table_cell(t, ctl_state_ss_name(c->state));
	table_cell_printf(t, "%" PRIu32, c->recv_q);
	table_cell_printf(t, "%" PRIu32, c->send_q);
	table_cell(t, laddr);
	table_cell(t, lport);
	table_cell(t, raddr);
	table_cell(t, rport);
	if (o->process) {
		format_conn_owner(&c->owner, extra, sizeof(extra));
		table_cell(t, extra);
	}
	if (o->timers) {
		format_conn_timer(c, extra, sizeof(extra));
		table_cell(t, extra);
	}
	if (o->extended)
		table_cell_printf(t, "id:%" PRIu64, c->id);
	if (o->info && c->state != CTL_STATE_LISTEN) {
		format_conn_info(c, extra, sizeof(extra));
		table_row_detail(t, extra);
	}
	return 0;
}

int format_conns_table(FILE *f, const struct ctl_conn *c, size_t n,
		       const struct format_conns_opts *o)
{
	struct table t;
	int r = format_conns_columns(&t, o);

	for (size_t i = 0; r == 0 && i < n; i++)
		r = format_conn_row(&t, &c[i], o);
	if (r == 0)
		r = table_print(&t, f, o->no_header ? TABLE_NO_HEADER : 0);
	table_free(&t);
	return r;
}

static void format_json_endpoint(struct json_writer *w, const char *key,
				 const struct ctl_endpoint *e)
{
	char addr[16], port[8];

	format_endpoint(e, addr, sizeof(addr), port, sizeof(port));
	json_key(w, key);
	json_object_begin(w);
	json_kv_string(w, "address", addr);
	json_kv_uint(w, "port", e->port);
	json_object_end(w);
}

static void format_json_conn(struct json_writer *w, const struct ctl_conn *c)
{
	const struct ctl_conn_info *i = &c->info;

	json_object_begin(w);
	json_kv_uint(w, "id", c->id);
	json_kv_string(w, "state", ctl_state_rfc_name(c->state));
	json_kv_string(w, "ss_state", ctl_state_ss_name(c->state));
	format_json_endpoint(w, "local", &c->local);
	format_json_endpoint(w, "remote", &c->remote);
	json_kv_uint(w, "recv_q", c->recv_q);
	json_kv_uint(w, "send_q", c->send_q);
	json_key(w, "closed_ago_ms"); /* conns --closed: null while it lives */
	if (c->closed)
		json_uint(w, c->closed_ago_ms);
	else
		json_null(w);
	json_key(w, "timer");
	if (c->timer.kind == CTL_TIMER_OFF) {
		json_null(w);
	} else {
		json_object_begin(w);
		json_kv_string(w, "name", ctl_timer_name(c->timer.kind));
		json_kv_uint(w, "remaining_ms", c->timer.remaining_ms);
		json_kv_uint(w, "retransmits", c->timer.retransmits);
		json_object_end(w);
	}
	json_kv_double(w, "rtt_ms", i->rtt_us / 1000.0);
	json_kv_double(w, "rttvar_ms", i->rttvar_us / 1000.0);
	json_kv_double(w, "rto_ms", i->rto_us / 1000.0);
	json_kv_uint(w, "cwnd", i->cwnd);
	json_kv_uint(w, "ssthresh", i->ssthresh);
	json_kv_string(w, "congestion", i->congestion);
	json_kv_uint(w, "mss", i->mss);
	json_key(w, "wscale");
	if (i->wscale_ok) {
		json_object_begin(w);
		json_kv_uint(w, "snd", i->snd_wscale);
		json_kv_uint(w, "rcv", i->rcv_wscale);
		json_object_end(w);
	} else {
		json_null(w);
	}
	json_kv_bool(w, "timestamps", i->ts_ok);
	json_kv_bool(w, "sack", i->sack_ok);
	json_kv_uint(w, "bytes_acked", i->bytes_acked);
	json_kv_uint(w, "bytes_received", i->bytes_received);
	json_kv_uint(w, "retrans", i->retrans);
	json_kv_uint(w, "sndbuf", i->sndbuf);
	json_kv_uint(w, "rcvbuf", i->rcvbuf);
	json_kv_double(w, "rcv_rtt_ms", i->rcv_rtt_us / 1000.0);
	json_kv_uint(w, "rcv_space", i->rcv_space);
	json_key(w, "owner");
	if (c->owner.known) {
		json_object_begin(w);
		json_kv_int(w, "pid", c->owner.pid);
		json_kv_uint(w, "uid", c->owner.uid);
		json_kv_string(w, "name", c->owner.name);
		json_object_end(w);
	} else {
		json_null(w);
	}
	json_object_end(w);
}

int format_conns_json(FILE *f, const struct ctl_conn *c, size_t n)
{
	struct json_writer w;

	json_writer_init(&w, f, JSON_ARRAY_LINES);
	json_array_begin(&w);
	for (size_t i = 0; i < n; i++)
		format_json_conn(&w, &c[i]);
	json_array_end(&w);
	return json_writer_end(&w);
}

int format_counters_table(FILE *f, const struct ctl_counter *c, size_t n, bool zeros)
{
	static const struct table_column cols[] = {
		{ "Counter", TABLE_LEFT, NULL },
		{ "Value", TABLE_RIGHT, NULL },
	};
	struct table t;
	int r = table_init(&t, cols, 2);

	for (size_t i = 0; r == 0 && i < n; i++) {
		if (!zeros && c[i].value == 0)
			continue;
		r = table_row_begin(&t);
		if (r == 0)
			r = table_cell(&t, c[i].name);
		if (r == 0)
			r = table_cell_printf(&t, "%" PRIu64, c[i].value);
	}
	if (r == 0)
		r = table_print(&t, f, 0);
	table_free(&t);
	return r;
}

int format_counters_json(FILE *f, const struct ctl_counter *c, size_t n, bool zeros)
{
	struct json_writer w;

	json_writer_init(&w, f, 0);
	json_object_begin(&w);
	for (size_t i = 0; i < n; i++) {
		if (zeros || c[i].value != 0)
			json_kv_uint(&w, c[i].name, c[i].value);
	}
	json_object_end(&w);
	return json_writer_end(&w);
}

int format_tunable_value(const char *key, enum ctl_unit unit, uint64_t v, char *buf, size_t len)
{
	enum stack_tunable_id id;
	const char *name;
	int n;

	switch (unit) {
	case CTL_UNIT_NAME:
		/* the names are the core's table's (tunables.h) */
		name = stack_tunable_lookup(key, &id) == 0 ? stack_tunable_name(id, v) : NULL;
		if (name) {
			n = snprintf(buf, len, "%s", name);
			break;
		}
		n = snprintf(buf, len, "%" PRIu64, v);
		break;
	case CTL_UNIT_DURATION:
		return config_format_duration(v, buf, len);
	case CTL_UNIT_SIZE:
		return config_format_size(v, buf, len);
	case CTL_UNIT_BOOL:
		n = snprintf(buf, len, "%s", v ? "true" : "false");
		break;
	case CTL_UNIT_COUNT:
	default:
		n = snprintf(buf, len, "%" PRIu64, v);
		break;
	}
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

static const char *format_unit_name(enum ctl_unit unit)
{
	switch (unit) {
	case CTL_UNIT_DURATION:
		return "us";
	case CTL_UNIT_SIZE:
		return "bytes";
	case CTL_UNIT_BOOL:
		return "bool";
	case CTL_UNIT_NAME:
		return "name";
	case CTL_UNIT_COUNT:
		break;
	}
	return "count";
}

static int format_tunable_row(struct table *t, const struct ctl_tunable *k)
{
	char v[32], def[32], min[32], max[32];

	format_tunable_value(k->key, k->unit, k->value, v, sizeof(v));
	format_tunable_value(k->key, k->unit, k->def, def, sizeof(def));
	format_tunable_value(k->key, k->unit, k->min, min, sizeof(min));
	format_tunable_value(k->key, k->unit, k->max, max, sizeof(max));
	if (table_row_begin(t) < 0)
		return -ENOMEM;
	table_cell(t, k->key);
	table_cell(t, v);
	table_cell(t, def);
	if (k->unit == CTL_UNIT_BOOL)
		table_cell(t, "true|false");
	else if (k->unit == CTL_UNIT_NAME)
		table_cell_printf(t, "%s|%s", min, max);
	else
		table_cell_printf(t, "%s..%s", min, max);
	table_cell(t, k->affects_existing ? "yes" : "no");
	table_cell(t, k->meaning);
	if (strcmp(k->key, "msl") == 0 && k->value <= UINT64_MAX / 2) {
		char note[64];

		/* RFC 9293 §3.4.2: TIME-WAIT lasts 2 x MSL */
		format_tunable_value(k->key, k->unit, 2 * k->value, v, sizeof(v));
		snprintf(note, sizeof(note), "TIME-WAIT = 2 x msl = %s", v);
		table_row_detail(t, note);
	}
	return 0;
}

int format_tunables_table(FILE *f, const struct ctl_tunable *t, size_t n)
{
	static const struct table_column cols[] = {
		{ "Key", TABLE_LEFT, NULL },	  { "Value", TABLE_LEFT, NULL },
		{ "Default", TABLE_LEFT, NULL },  { "Range", TABLE_LEFT, NULL },
		{ "Existing", TABLE_LEFT, NULL }, { "Meaning", TABLE_LEFT, NULL },
	};
	struct table tb;
	int r = table_init(&tb, cols, sizeof(cols) / sizeof(cols[0]));

	for (size_t i = 0; r == 0 && i < n; i++)
		r = format_tunable_row(&tb, &t[i]);
	if (r == 0)
		r = table_print(&tb, f, 0);
	table_free(&tb);
	return r;
}

static void format_json_tunable_number(struct json_writer *w, const char *key, enum ctl_unit unit,
				       uint64_t v)
{
	if (unit == CTL_UNIT_BOOL)
		json_kv_bool(w, key, v != 0);
	else
		json_kv_uint(w, key, v);
}

int format_tunables_json(FILE *f, const struct ctl_tunable *t, size_t n)
{
	struct json_writer w;
	char text[32];

	json_writer_init(&w, f, JSON_ARRAY_LINES);
	json_array_begin(&w);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(&w);
		json_kv_string(&w, "key", t[i].key);
		format_json_tunable_number(&w, "value", t[i].unit, t[i].value);
		format_tunable_value(t[i].key, t[i].unit, t[i].value, text, sizeof(text));
		json_kv_string(&w, "text", text);
		json_kv_string(&w, "unit", format_unit_name(t[i].unit));
		format_json_tunable_number(&w, "default", t[i].unit, t[i].def);
		format_json_tunable_number(&w, "min", t[i].unit, t[i].min);
		format_json_tunable_number(&w, "max", t[i].unit, t[i].max);
		json_kv_bool(&w, "affects_existing", t[i].affects_existing);
		json_kv_string(&w, "meaning", t[i].meaning);
		json_object_end(&w);
	}
	json_array_end(&w);
	return json_writer_end(&w);
}

/* ISO 8601 UTC with microseconds: 2026-11-24T06:40:01.123456Z */
static void format_realtime(uint64_t us, char *buf, size_t len)
{
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;
	char day[32];

	gmtime_r(&secs, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06uZ", day, (unsigned)(us % 1000000));
}

int format_event_line(FILE *f, const struct ctl_event *e)
{
	char when[48], local[24], remote[24], flags[48];

	format_realtime(e->realtime_us, when, sizeof(when));
	format_endpoint_joined(&e->local, local, sizeof(local));
	format_endpoint_joined(&e->remote, remote, sizeof(remote));
	fprintf(f, "%s id:%" PRIu64 " %s %s %s -> %s", when, e->conn_id, local, remote,
		ctl_state_rfc_name(e->from), ctl_state_rfc_name(e->to));
	/* the cause names the segment ("rcv SYN,ACK"); its numbers follow */
	if (e->cause[0])
		fprintf(f, " (%s", e->cause);
	if (e->seg_flags) {
		if (!e->cause[0]) {
			ctl_tcp_flags_format(e->seg_flags, flags, sizeof(flags));
			fprintf(f, " (%s", flags);
		}
		fprintf(f, " seq=%" PRIu32, e->seg_seq);
		if (e->seg_flags & CTL_TCP_ACK)
			fprintf(f, " ack=%" PRIu32, e->seg_ack);
	}
	if (e->cause[0] || e->seg_flags)
		fputc(')', f);
	fputc('\n', f);
	return ferror(f) ? -EIO : 0;
}

int format_event_json(FILE *f, const struct ctl_event *e)
{
	struct json_writer w;
	char when[48], flags[48];

	format_realtime(e->realtime_us, when, sizeof(when));
	json_writer_init(&w, f, 0);
	json_object_begin(&w);
	json_kv_string(&w, "time", when);
	json_kv_uint(&w, "monotonic_us", e->time_us);
	json_kv_uint(&w, "id", e->conn_id);
	format_json_endpoint(&w, "local", &e->local);
	format_json_endpoint(&w, "remote", &e->remote);
	json_kv_string(&w, "from", ctl_state_rfc_name(e->from));
	json_kv_string(&w, "to", ctl_state_rfc_name(e->to));
	json_kv_string(&w, "cause", e->cause);
	json_key(&w, "segment");
	if (e->seg_flags) {
		ctl_tcp_flags_format(e->seg_flags, flags, sizeof(flags));
		json_object_begin(&w);
		json_kv_string(&w, "flags", flags);
		json_kv_uint(&w, "seq", e->seg_seq);
		json_kv_uint(&w, "ack", e->seg_ack);
		json_object_end(&w);
	} else {
		json_null(&w);
	}
	json_object_end(&w);
	fflush(f);
	return json_writer_end(&w);
}

int format_trace_json(FILE *f, const struct ctl_trace_entry *e, size_t n)
{
	struct json_writer w;
	char flags[48];

	json_writer_init(&w, f, JSON_ARRAY_LINES);
	json_array_begin(&w);
	for (size_t i = 0; i < n; i++) {
		json_object_begin(&w);
		json_kv_uint(&w, "time_us", e[i].time_us);
		if (e[i].kind == CTL_TRACE_SEGMENT) {
			ctl_tcp_flags_format(e[i].seg.flags, flags, sizeof(flags));
			json_kv_string(&w, "type", "segment");
			json_kv_string(&w, "direction", e[i].seg.dir == CTL_DIR_IN ? "in" : "out");
			json_kv_string(&w, "flags", flags);
			json_kv_uint(&w, "seq", e[i].seg.seq);
			json_kv_uint(&w, "ack", e[i].seg.ack);
			json_kv_uint(&w, "win", e[i].seg.wnd);
			json_kv_uint(&w, "len", e[i].seg.len);
		} else {
			json_kv_string(&w, "type", "state");
			json_kv_string(&w, "from", ctl_state_rfc_name(e[i].state.from));
			json_kv_string(&w, "to", ctl_state_rfc_name(e[i].state.to));
			json_kv_string(&w, "cause", e[i].state.cause);
		}
		json_object_end(&w);
	}
	json_array_end(&w);
	return json_writer_end(&w);
}

static void format_uptime(uint64_t us, char *buf, size_t len)
{
	uint64_t s = us / 1000000;

	snprintf(buf, len, "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64, s / 86400,
		 s / 3600 % 24, s / 60 % 60, s % 60);
}

static void format_addr(uint32_t a, char *buf, size_t len)
{
	struct ctl_endpoint e = { .addr = a };
	char port[8];

	format_endpoint(&e, buf, len, port, sizeof(port));
}

int format_status(FILE *f, const struct ctl_status *s)
{
	char up[48], addr[16], line[512];
	bool any = false;

	format_uptime(s->uptime_us, up, sizeof(up));
	format_addr(s->address, addr, sizeof(addr));
	fprintf(f, "version:     %s\n", s->version);
	fprintf(f, "uptime:      %s\n", up);
	fprintf(f,
		"interface:   %s mac %02x:%02x:%02x:%02x:%02x:%02x address %s/%u mtu %" PRIu32
		" offload %s\n",
		s->tap, s->mac[0], s->mac[1], s->mac[2], s->mac[3], s->mac[4], s->mac[5], addr,
		s->prefix_len, s->mtu, s->offload ? "on" : "off");
	fprintf(f, "connections:");
	for (unsigned i = 0; i < CTL_STATE_COUNT; i++) {
		if (!s->conns_by_state[i])
			continue;
		fprintf(f, "%s %s %" PRIu32, any ? "," : "", ctl_state_ss_name((enum ctl_state)i),
			s->conns_by_state[i]);
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : " none");
	fprintf(f, "clients:     %" PRIu32 "\n", s->clients);
	format_impair_summary(&s->impair, line, sizeof(line));
	fprintf(f, "impairment:  %s\n", s->impaired ? line : "off");
	return ferror(f) ? -EIO : 0;
}

int format_status_json(FILE *f, const struct ctl_status *s)
{
	struct json_writer w;
	char addr[16], mac[18], line[512];

	format_addr(s->address, addr, sizeof(addr));
	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", s->mac[0], s->mac[1], s->mac[2],
		 s->mac[3], s->mac[4], s->mac[5]);
	json_writer_init(&w, f, 0);
	json_object_begin(&w);
	json_kv_string(&w, "version", s->version);
	json_kv_uint(&w, "uptime_us", s->uptime_us);
	json_key(&w, "interface");
	json_object_begin(&w);
	json_kv_string(&w, "tap", s->tap);
	json_kv_string(&w, "mac", mac);
	json_kv_string(&w, "address", addr);
	json_kv_uint(&w, "prefix_len", s->prefix_len);
	json_kv_uint(&w, "mtu", s->mtu);
	json_kv_bool(&w, "offload", s->offload);
	json_object_end(&w);
	json_key(&w, "connections");
	json_object_begin(&w);
	for (unsigned i = 0; i < CTL_STATE_COUNT; i++)
		json_kv_uint(&w, ctl_state_rfc_name((enum ctl_state)i), s->conns_by_state[i]);
	json_object_end(&w);
	json_kv_uint(&w, "clients", s->clients);
	json_kv_bool(&w, "impaired", s->impaired);
	format_impair_summary(&s->impair, line, sizeof(line));
	json_kv_string(&w, "impairment", line);
	json_object_end(&w);
	return json_writer_end(&w);
}

/* Append to buf at *used (snprintf that stops at the end). */
static void format_cat(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void format_cat(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n > 0)
		*used += (size_t)n;
}

/* The match mask as config writes it: "all" or "syn,fin". */
static void format_impair_match(uint32_t mask, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	if (!mask) {
		snprintf(buf, len, "all");
		return;
	}
	for (unsigned i = 0; config_impair_match_names[i]; i++)
		if (mask & (1u << i))
			format_cat(buf, len, &used, "%s%s", used ? "," : "",
				   config_impair_match_names[i]);
}

static const char *format_impair_dir(enum config_impair_dir d)
{
	static const char *const dir[] = { "both", "in", "out" };

	return (unsigned)d < 3 ? dir[d] : "?";
}

int format_impair_summary(const struct config_impair *c, char *buf, size_t len)
{
	char a[32], b[32], d[32], e[32], m[64];
	size_t used = 0;

	buf[0] = '\0';
	if (!config_impair_active(c)) {
		format_cat(buf, len, &used, "off");
		return (int)used;
	}
	format_impair_match(c->match, m, sizeof(m));
	format_cat(buf, len, &used, "direction %s, match %s", format_impair_dir(c->direction), m);
	if (c->loss_ppm) {
		config_format_percent(c->loss_ppm, a, sizeof(a));
		format_cat(buf, len, &used, ", loss %s", a);
	}
	if ((c->ge_p_ppm && c->ge_bad_loss_ppm) || c->ge_good_loss_ppm) {
		config_format_percent(c->ge_p_ppm, a, sizeof(a));
		config_format_percent(c->ge_r_ppm, b, sizeof(b));
		config_format_percent(c->ge_bad_loss_ppm, d, sizeof(d));
		config_format_percent(c->ge_good_loss_ppm, e, sizeof(e));
		format_cat(buf, len, &used, ", gilbert-elliott p %s r %s bad-loss %s good-loss %s",
			   a, b, d, e);
	}
	if (c->rate_bps)
		format_cat(buf, len, &used, ", rate %" PRIu64 " bit/s", c->rate_bps);
	if (c->corrupt_ppm) {
		config_format_percent(c->corrupt_ppm, a, sizeof(a));
		format_cat(buf, len, &used, ", corrupt %s", a);
	}
	if (c->delay_us || c->jitter_us) {
		config_format_duration(c->delay_us, a, sizeof(a));
		config_format_duration(c->jitter_us, b, sizeof(b));
		format_cat(buf, len, &used, ", delay %s jitter %s", a, b);
	}
	if (c->reorder_ppm) {
		config_format_percent(c->reorder_ppm, a, sizeof(a));
		config_format_duration(c->reorder_time_us, b, sizeof(b));
		format_cat(buf, len, &used, ", reorder %s (behind %" PRIu32 " frames or %s)", a,
			   c->reorder_frames, b);
	}
	if (c->duplicate_ppm) {
		config_format_percent(c->duplicate_ppm, a, sizeof(a));
		config_format_duration(c->duplicate_delay_us, b, sizeof(b));
		format_cat(buf, len, &used, ", duplicate %s (copy %s later)", a, b);
	}
	format_cat(buf, len, &used, ", seed %" PRIu64, c->seed);
	return (int)used;
}

int format_impair(FILE *f, const struct ctl_impair *imp)
{
	char line[512];

	format_impair_summary(&imp->c, line, sizeof(line));
	fprintf(f, "impairment: %s\n", line);
	return ferror(f) ? -EIO : 0;
}

int format_impair_json(FILE *f, const struct ctl_impair *imp)
{
	const struct config_impair *c = &imp->c;
	struct json_writer w;
	char line[512], match[128];

	format_impair_summary(c, line, sizeof(line));
	format_impair_match(c->match, match, sizeof(match));
	json_writer_init(&w, f, 0);
	json_object_begin(&w);
	json_kv_bool(&w, "active", config_impair_active(c));
	json_kv_string(&w, "summary", line);
	json_kv_string(&w, "direction", format_impair_dir(c->direction));
	json_kv_string(&w, "match", match);
	json_kv_uint(&w, "loss_ppm", c->loss_ppm);
	json_kv_uint(&w, "duplicate_ppm", c->duplicate_ppm);
	json_kv_uint(&w, "duplicate_delay_us", c->duplicate_delay_us);
	json_kv_uint(&w, "reorder_ppm", c->reorder_ppm);
	json_kv_uint(&w, "reorder_frames", c->reorder_frames);
	json_kv_uint(&w, "reorder_time_us", c->reorder_time_us);
	json_kv_uint(&w, "corrupt_ppm", c->corrupt_ppm);
	json_kv_uint(&w, "delay_us", c->delay_us);
	json_kv_uint(&w, "jitter_us", c->jitter_us);
	json_kv_uint(&w, "rate_bps", c->rate_bps);
	json_kv_uint(&w, "ge_p_ppm", c->ge_p_ppm);
	json_kv_uint(&w, "ge_r_ppm", c->ge_r_ppm);
	json_kv_uint(&w, "ge_bad_loss_ppm", c->ge_bad_loss_ppm);
	json_kv_uint(&w, "ge_good_loss_ppm", c->ge_good_loss_ppm);
	json_kv_uint(&w, "seed", c->seed);
	json_object_end(&w);
	return json_writer_end(&w) < 0 || ferror(f) ? -EIO : 0;
}

int format_reload(FILE *f, const struct ctl_reload *r)
{
	static const char *const names[] = { "changed", "kept", "not applied" };
	unsigned count[CTL_RELOADED_NOT_APPLIED + 1] = { 0 };
	const char *sep = ": ";

	if (!r->reported) {
		fprintf(f, "configuration reloaded\n");
		return ferror(f) ? -EIO : 0;
	}
	for (size_t i = 0; i < r->n; i++)
		if (r->v[i].kind <= CTL_RELOADED_NOT_APPLIED)
			count[r->v[i].kind]++;
	fprintf(f, "configuration reloaded from %s", r->file);
	for (unsigned k = 0; k <= CTL_RELOADED_NOT_APPLIED; k++) {
		if (!count[k])
			continue;
		fprintf(f, "%s%u %s", sep, count[k], names[k]);
		sep = ", ";
	}
	fprintf(f, "%s\n", r->n ? "" : ": nothing changed");
	for (size_t i = 0; i < r->n; i++) {
		const struct ctl_reload_entry *e = &r->v[i];

		switch (e->kind) {
		case CTL_RELOADED_CHANGED:
			fprintf(f, "  %s: %s -> %s\n", e->key, e->before, e->after);
			break;
		case CTL_RELOADED_KEPT:
			fprintf(f, "  %s = %s (set at runtime, not in the file)\n", e->key,
				e->after);
			break;
		case CTL_RELOADED_NOT_APPLIED:
			fprintf(f, "  %s = %s (not applied: %s; the file says %s)\n", e->key,
				e->before, e->why, e->file);
			break;
		}
	}
	return ferror(f) ? -EIO : 0;
}

int format_reload_json(FILE *f, const struct ctl_reload *r)
{
	static const char *const lists[] = { "changed", "kept", "not_applied" };
	struct json_writer w;

	json_writer_init(&w, f, 0);
	json_object_begin(&w);
	json_kv_bool(&w, "reported", r->reported);
	json_kv_string(&w, "file", r->file);
	for (unsigned k = 0; k <= CTL_RELOADED_NOT_APPLIED; k++) {
		json_key(&w, lists[k]);
		json_array_begin(&w);
		for (size_t i = 0; i < r->n; i++) {
			const struct ctl_reload_entry *e = &r->v[i];

			if (e->kind != (enum ctl_reloaded)k)
				continue;
			json_object_begin(&w);
			json_kv_string(&w, "key", e->key);
			if (e->kind == CTL_RELOADED_CHANGED) {
				json_kv_string(&w, "before", e->before);
				json_kv_string(&w, "after", e->after);
			} else {
				json_kv_string(&w, "value", e->before);
				json_kv_string(&w, "file", e->file);
			}
			if (e->kind == CTL_RELOADED_NOT_APPLIED)
				json_kv_string(&w, "why", e->why);
			json_object_end(&w);
		}
		json_array_end(&w);
	}
	json_object_end(&w);
	return json_writer_end(&w);
}
