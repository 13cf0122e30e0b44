/* SPDX-License-Identifier: MIT */
/*
 * daemon.c - synackd's loop glue (see daemon.h): start-up in the order the
 * pieces depend on each other, the kick (poll the core, dispatch events,
 * re-arm the one timer), the owner table, signals (SIGTERM/SIGINT stop,
 * SIGHUP reload), systemd notifications, and tear-down.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "busy_poll.h"
#include "ctl_server.h"
#include "daemon.h"
#include "daemon_internal.h"
#include "frame_pipe.h"
#include "link.h"
#include "listener.h"
#include "log.h"
#include "netlink.h"
#include "netns.h"
#include "notify.h"
#include "rpc_server.h"
#include "services.h"
#include "stack_info.h"
#include "tap.h"
#include "sent_fds.h"

/* Owner ids: low 16 bits slot + 1, high 16 bits the slot's generation. */
#define DAEMON_OWNERS_MAX	65535u
/* Rounds of poll + dispatch per kick before the loop gets a turn. */
#define DAEMON_KICK_ROUNDS	16
/* Events dispatched per round. */
#define DAEMON_EVENTS_PER_ROUND 65536
#define DAEMON_STATUS_MS	5000

struct daemon_owner {
	const struct owner_ops *ops;
	void *ctx;
	uint16_t gen;
	bool used;
};

enum daemon_phase { DAEMON_RUNNING, DAEMON_DRAINING, DAEMON_DONE };

struct daemon {
	uv_loop_t loop;
	struct daemon_opts opts;
	struct synack_config cfg;
	struct tap tap;
	struct link link;
	struct stack *stack;
	uv_timer_t timer, status_timer, drain_timer;
	uv_signal_t sig_term, sig_int, sig_hup;
	struct busy_poll busy; /* interface.busy_poll */
	struct notify notify;
	struct listener rpc, control;
	struct services *services;
	struct rpc_server *rpc_server;
	struct ctl_server *ctl_server;
	uint8_t mac[6];
	stack_time_us started;
	struct daemon_owner *owners;
	uint32_t owners_cap;
	bool in_kick, kick_again;
	enum daemon_phase phase;
	int exit_code;
	uint32_t clients;
	size_t freed_since_trim; /* socket buffer bytes freed since the last malloc_trim() */
	char status[256];
};

/* ---- owners ---- */

int daemon_owner_register(struct daemon *d, const struct owner_ops *ops, void *ctx,
			  uint32_t *ret_id)
{
	uint32_t i;

	for (i = 0; i < d->owners_cap && d->owners[i].used; i++)
		;
	if (i == d->owners_cap) {
		uint32_t cap = d->owners_cap ? d->owners_cap * 2 : 16;
		struct daemon_owner *o;

		if (cap > DAEMON_OWNERS_MAX)
			cap = DAEMON_OWNERS_MAX;
		if (cap <= d->owners_cap)
			return -ENOSPC;
		o = realloc(d->owners, cap * sizeof(*o));
		if (!o)
			return -ENOMEM;
		memset(o + d->owners_cap, 0, (cap - d->owners_cap) * sizeof(*o));
		d->owners = o;
		d->owners_cap = cap;
	}
	d->owners[i].ops = ops;
	d->owners[i].ctx = ctx;
	d->owners[i].used = true;
	*ret_id = ((uint32_t)d->owners[i].gen << 16) | (i + 1);
	return 0;
}

static struct daemon_owner *daemon_owner_find(struct daemon *d, uint32_t id)
{
	uint32_t slot = id & 0xffff;

	if (slot == 0 || slot > d->owners_cap)
		return NULL;
	if (!d->owners[slot - 1].used || d->owners[slot - 1].gen != (id >> 16))
		return NULL;
	return &d->owners[slot - 1];
}

void daemon_owner_unregister(struct daemon *d, uint32_t id)
{
	struct daemon_owner *o = daemon_owner_find(d, id);

	if (!o)
		return;
	o->used = false;
	o->ops = NULL;
	o->ctx = NULL;
	o->gen++;
}

static stack_time_us daemon_host_now(void *ctx)
{
	(void)ctx;
	return daemon_now();
}

static void daemon_host_kick(void *ctx)
{
	daemon_kick(ctx);
}

static int daemon_host_owner_register(void *ctx, const struct owner_ops *ops, void *owner_ctx,
				      uint32_t *ret_id)
{
	return daemon_owner_register(ctx, ops, owner_ctx, ret_id);
}

static void daemon_host_owner_unregister(void *ctx, uint32_t id)
{
	daemon_owner_unregister(ctx, id);
}

void daemon_owner_host(struct daemon *d, struct owner_host *ret)
{
	*ret = (struct owner_host){
		.ctx = d,
		.stack = d->stack,
		.loop = &d->loop,
		.cfg = &d->cfg,
		.now = daemon_host_now,
		.kick = daemon_host_kick,
		.owner_register = daemon_host_owner_register,
		.owner_unregister = daemon_host_owner_unregister,
	};
}

static void daemon_dispatch(struct daemon *d, const struct stack_event *ev)
{
	struct daemon_owner *o = daemon_owner_find(d, (uint32_t)(ev->owner >> 32));

	if (o) {
		o->ops->event(o->ctx, ev, (uint32_t)ev->owner);
		return;
	}
	/* the owner is gone: nobody will read or close this socket */
	if (ev->type != STACK_EV_CLOSED) {
		log_debug("event %d for a socket whose owner is gone: aborting it", ev->type);
		stack_tcp_abort(d->stack, daemon_now(), ev->sock);
	}
}

/* stack_env.direct: in-order bytes for the owner's direct reader (none: all kept). */
static size_t daemon_direct(void *ctx, stack_sock sock, uint64_t owner, const uint8_t *data,
			    size_t len)
{
	struct daemon_owner *o = daemon_owner_find(ctx, (uint32_t)(owner >> 32));

	if (!o || !o->ops->direct)
		return 0;
	return o->ops->direct(o->ctx, sock, (uint32_t)owner, data, len);
}

/* ---- the kick ---- */

stack_time_us daemon_now(void)
{
	return uv_hrtime() / 1000;
}

static void daemon_timer_cb(uv_timer_t *t)
{
	daemon_kick(t->data);
}

static void daemon_arm_timer(struct daemon *d, bool again)
{
	stack_time_us at = stack_poll_at(d->stack), now = daemon_now();
	uint64_t ms;

	if (again)
		at = now;
	if (at == STACK_TIME_NEVER) {
		uv_timer_stop(&d->timer);
		return;
	}
	ms = at > now ? (at - now + 999) / 1000 : 0;
	uv_timer_start(&d->timer, daemon_timer_cb, ms, 0);
}

/* Dispatch every pending event; true when there was one. */
static bool daemon_drain_events(struct daemon *d)
{
	struct stack_event ev;
	unsigned n = 0;

	while (n < DAEMON_EVENTS_PER_ROUND && stack_event_pop(d->stack, &ev)) {
		daemon_dispatch(d, &ev);
		n++;
	}
	return n > 0;
}

static void daemon_check_drained(struct daemon *d);

static void daemon_maybe_trim(struct daemon *d);

void daemon_kick(struct daemon *d)
{
	bool busy = true;

	if (d->in_kick) {
		d->kick_again = true;
		return;
	}
	if (!d->stack || d->phase == DAEMON_DONE)
		return;
	d->in_kick = true;
	/* what the input brought first, then the timers: a quick ACK is due at
	 * once (tcp.quick_acks), and an answer written now still carries it */
	daemon_drain_events(d);
	for (int round = 0; round < DAEMON_KICK_ROUNDS && busy; round++) {
		d->kick_again = false;
		stack_poll(d->stack, daemon_now());
		busy = daemon_drain_events(d) || d->kick_again;
	}
	d->in_kick = false;
	daemon_maybe_trim(d);
	daemon_arm_timer(d, busy);
	if (d->phase == DAEMON_DRAINING)
		daemon_check_drained(d);
}

/* ---- accessors ---- */

struct stack *daemon_stack(struct daemon *d)
{
	return d->stack;
}

uv_loop_t *daemon_loop(struct daemon *d)
{
	return &d->loop;
}

const struct synack_config *daemon_config(const struct daemon *d)
{
	return &d->cfg;
}

struct listener *daemon_rpc_listener(struct daemon *d)
{
	return &d->rpc;
}

struct listener *daemon_control_listener(struct daemon *d)
{
	return &d->control;
}

void daemon_clients_add(struct daemon *d, int delta)
{
	d->clients = (uint32_t)((int64_t)d->clients + delta);
}

void daemon_get_info(struct daemon *d, struct daemon_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	snprintf(ret->tap, sizeof(ret->tap), "%s", d->tap.name);
	memcpy(ret->mac, d->mac, 6);
	ret->offload = d->tap.vnet_hdr;
	ret->clients = d->clients;
	ret->started = d->started;
	ret->busy_poll_turns = d->busy.turns;
	ret->notify_dropped = d->notify.dropped;
	ret->notify_pending = d->notify.npending;
}

struct link *daemon_link(struct daemon *d)
{
	return &d->link;
}

struct rpc_server *daemon_rpc_server(struct daemon *d)
{
	return d->rpc_server;
}

/* ---- status ---- */

static void daemon_format_status(struct daemon *d, char *buf, size_t len)
{
	const struct stack_counters *c = stack_counters_get(d->stack);
	struct in_addr a = { .s_addr = htonl(d->cfg.interface.address) };
	char addr[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, addr, sizeof(addr));
	snprintf(buf, len, "%s %s/%u: %llu connections established, %u clients", d->tap.name, addr,
		 d->cfg.interface.prefix_len, (unsigned long long)c->v[STACK_CTR_TcpCurrEstab],
		 d->clients);
}

static void daemon_status_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;
	char status[256];

	frame_pipe_trim_owed(uv_now(&d->loop)); /* even when nothing else turns the loop */
	daemon_format_status(d, status, sizeof(status));
	if (strcmp(status, d->status) == 0)
		return;
	memcpy(d->status, status, sizeof(status));
	notify_status(&d->notify, status);
}

/* READY=1 with the normal status line, or with why (kept until the status timer's next change). */
static void daemon_ready(struct daemon *d, const char *why)
{
	if (why)
		snprintf(d->status, sizeof(d->status), "%s", why);
	else
		daemon_format_status(d, d->status, sizeof(d->status));
	notify_ready(&d->notify, d->status);
}

/* ---- stop ---- */

static int daemon_count_busy(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	unsigned *n = ctx;

	if (!info->listener && strcmp(info->state_name, "TIME-WAIT") != 0 &&
	    strcmp(info->state_name, "CLOSED") != 0)
		(*n)++;
	return 0;
}

/* Connections not yet closed or in TIME-WAIT. */
static unsigned daemon_busy_conns(struct daemon *d)
{
	unsigned n = 0;

	stack_tcp_foreach(d->stack, daemon_count_busy, &n);
	return n;
}

static void daemon_close_handle(uv_handle_t *h)
{
	if (h->loop && !uv_is_closing(h))
		uv_close(h, NULL);
}

/* Close every handle so uv_run() returns. */
static void daemon_finish(struct daemon *d)
{
	if (d->phase == DAEMON_DONE)
		return;
	d->phase = DAEMON_DONE;
	listener_stop(&d->rpc);
	listener_stop(&d->control);
	link_stop(&d->link);
	notify_close(&d->notify);
	busy_poll_stop(&d->busy);
	daemon_close_handle((uv_handle_t *)&d->timer);
	daemon_close_handle((uv_handle_t *)&d->status_timer);
	daemon_close_handle((uv_handle_t *)&d->drain_timer);
	daemon_close_handle((uv_handle_t *)&d->sig_term);
	daemon_close_handle((uv_handle_t *)&d->sig_int);
	daemon_close_handle((uv_handle_t *)&d->sig_hup);
}

static void daemon_check_drained(struct daemon *d)
{
	if (daemon_busy_conns(d) == 0 && link_idle(&d->link)) {
		log_info("all connections closed; exiting");
		daemon_finish(d);
	}
}

static void daemon_drain_cb(uv_timer_t *t)
{
	struct daemon *d = t->data;
	unsigned n = daemon_busy_conns(d);

	log_notice("drain time over: exiting with %u connection%s still closing", n,
		   n == 1 ? "" : "s");
	daemon_finish(d);
}

static void daemon_stop(struct daemon *d, const char *why)
{
	bool abort = d->cfg.shutdown.mode == CONFIG_CLOSE_RST;
	char drain[32];

	if (d->phase != DAEMON_RUNNING) {
		log_notice("%s again: exiting now", why);
		daemon_finish(d);
		return;
	}
	d->phase = DAEMON_DRAINING;
	notify_stopping(&d->notify);
	config_format_duration(d->cfg.shutdown.drain_us, drain, sizeof(drain));
	log_info("%s: stopping; closing connections with %s (drain up to %s)", why,
		 abort ? "RST" : "FIN", drain);
	listener_stop(&d->rpc);
	listener_stop(&d->control);
	uv_timer_stop(&d->status_timer);
	for (uint32_t i = 0; i < d->owners_cap; i++)
		if (d->owners[i].used && d->owners[i].ops->shutdown)
			d->owners[i].ops->shutdown(d->owners[i].ctx, abort);
	uv_timer_start(&d->drain_timer, daemon_drain_cb, d->cfg.shutdown.drain_us / 1000, 0);
	daemon_kick(d);
}

/* ---- reload ---- */

static void daemon_log_config_errors(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		const struct config_error *e = &errs->v[i];

		if (e->line)
			log_err("%s:%u:%u: %s", errs->file, e->line, e->column, e->message);
		else
			log_err("%s: %s", errs->file, e->message);
	}
}

/*
 * Keys a running synackd cannot take: the TAP and its addresses, the sockets as
 * bound, the tables sized at start. A reload leaves them as they run and says
 * so, one warning per group (a section "x." or one key).
 */
static const struct {
	const char *key;
	unsigned group;
} daemon_restart_keys[] = {
	{ "interface.", 0 },
	{ "rpc.socket", 1 },
	{ "rpc.group", 1 },
	{ "rpc.mode", 1 },
	{ "control.", 1 },
	{ "limits.max_conns", 2 },
	{ "limits.max_time_wait", 2 },
	{ "limits.max_orphans", 2 },
};

static const char *const daemon_restart_warnings[] = {
	"interface changes need a restart; not applied",
	"rpc/control socket changes need a restart; not applied",
	"limits.max_conns, max_time_wait and max_orphans need a restart; not applied",
};
#define DAEMON_RESTART_GROUPS (sizeof(daemon_restart_warnings) / sizeof(daemon_restart_warnings[0]))

/* The group of a key that needs a restart, or -1. */
static int daemon_restart_group(const char *key)
{
	for (size_t i = 0; i < sizeof(daemon_restart_keys) / sizeof(daemon_restart_keys[0]); i++) {
		const char *k = daemon_restart_keys[i].key;
		size_t n = strlen(k);

		if (k[n - 1] == '.' ? strncmp(key, k, n) == 0 : strcmp(key, k) == 0)
			return (int)daemon_restart_keys[i].group;
	}
	return -1;
}

/* Set each tunable that differs; err[id] gets stack_tunable_set()'s refusal, else 0. */
static void daemon_apply_tunables(struct daemon *d, const struct stack_tunables *t,
				  int err[STACK_TUN_COUNT_])
{
	stack_time_us now = daemon_now();

	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++) {
		enum stack_tunable_id id = (enum stack_tunable_id)i;
		uint64_t v = stack_tunables_read(t, id);

		err[i] = 0;
		if (v != stack_tunables_read(stack_tunables_get(d->stack), id))
			err[i] = stack_tunable_set(d->stack, now, id, v);
	}
}

static void daemon_report_add(struct ctl_reload_report *rep, enum ctl_reload_kind kind,
			      const char *key, const char *before, const char *after,
			      const char *file, const char *why)
{
	struct ctl_reload_value *v;

	if (rep->n >= sizeof(rep->v) / sizeof(rep->v[0]))
		return;
	v = &rep->v[rep->n++];
	v->kind = kind;
	v->key = key;
	snprintf(v->before, sizeof(v->before), "%s", before);
	snprintf(v->after, sizeof(v->after), "%s", after);
	snprintf(v->file, sizeof(v->file), "%s", file);
	snprintf(v->why, sizeof(v->why), "%s", why ? why : "");
	rep->n_kind[kind]++;
}

/* "1 changed, 2 kept, 1 not applied", or "nothing changed". */
static void daemon_report_summary(const struct ctl_reload_report *rep, char *buf, size_t len)
{
	static const char *const names[] = { "changed", "kept", "not applied" };
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned k = 0; k <= CTL_RELOAD_NOT_APPLIED && o < len; k++) {
		int n;

		if (!rep->n_kind[k])
			continue;
		n = snprintf(buf + o, len - o, "%s%u %s", o ? ", " : "", rep->n_kind[k], names[k]);
		if (n < 0)
			break;
		o += (size_t)n;
	}
	if (!o)
		snprintf(buf, len, "nothing changed");
}

static void daemon_report_log(const struct ctl_reload_report *rep)
{
	bool warn[DAEMON_RESTART_GROUPS] = { false };

	for (size_t i = 0; i < rep->n; i++) {
		const struct ctl_reload_value *v = &rep->v[i];
		int g;

		switch (v->kind) {
		case CTL_RELOAD_CHANGED:
			log_info("reload: %s: %s -> %s", v->key, v->before, v->after);
			break;
		case CTL_RELOAD_KEPT:
			log_info("reload: %s = %s kept (set at runtime, not in the file)", v->key,
				 v->after);
			break;
		case CTL_RELOAD_NOT_APPLIED:
			g = daemon_restart_group(v->key);
			if (g >= 0)
				warn[g] = true;
			/* a restart's keys also get their group's warning below */
			log_msg(g >= 0 ? LOG_INFO : LOG_WARNING,
				"reload: %s = %s not applied (%s; the file says %s)", v->key,
				v->before, v->why, v->file);
			break;
		}
	}
	for (size_t g = 0; g < DAEMON_RESTART_GROUPS; g++)
		if (warn[g])
			log_warning("reload: %s", daemon_restart_warnings[g]);
}

static void daemon_impair_apply(struct daemon *d, const struct config_impair *c, const char *who);

/*
 * Take the new file (named: which keys it names) as far as a running synackd
 * can, and say in rep what changed, what was kept and what was not applied.
 *
 * d->cfg is the configuration as the files gave it, so a tunable whose running
 * value differs from d->cfg.tcp was changed at runtime (synackctl set): it stays
 * unless the file names its key, and d->cfg.tcp takes the file's value all the
 * same, so that the next reload still sees it as set at runtime. Keys that need
 * a restart keep their running values (daemon_restart_keys).
 */
/*
 * The file's cross-key rule for the RTO (config_check.c: min and initial not
 * above max) must hold for the merged values too: when a kept runtime value
 * breaks it with the file's, the kept RTO values give way to the file's
 * (which passed the rule) and are reported as changed.
 */
static void daemon_keep_rto_ordered(struct stack_tunables *next, const struct stack_tunables *file,
				    bool *kept)
{
	static const enum stack_tunable_id rto[] = { STACK_TUN_rto_min, STACK_TUN_rto_initial,
						     STACK_TUN_rto_max };

	if (next->rto_min <= next->rto_max && next->rto_initial <= next->rto_max)
		return;
	for (size_t i = 0; i < sizeof(rto) / sizeof(rto[0]); i++) {
		if (!kept[rto[i]])
			continue;
		kept[rto[i]] = false;
		stack_tunables_write(next, rto[i], stack_tunables_read(file, rto[i]));
		log_warning("reload: tcp.%s set at runtime gives way to the file's: beside "
			    "the file's RTO values it would break rto.min, rto.initial <= rto.max",
			    stack_tunable_desc(rto[i])->key);
	}
}

static void daemon_apply(struct daemon *d, const struct synack_config *file, const bool *named,
			 struct ctl_reload_report *rep)
{
	struct synack_config before = d->cfg, next = *file, after;
	struct stack_tunables cfg_tcp = d->cfg.tcp; /* as the files so far gave them */
	const char *why[CONFIG_KEYS_MAX] = { NULL };
	bool kept[STACK_TUN_COUNT_] = { false };
	int err[STACK_TUN_COUNT_];
	struct services_ports ports = {
		.echo = file->services.echo,
		.discard = file->services.discard,
		.chargen = file->services.chargen,
	};
	char b[CONFIG_VALUE_MAX], a[CONFIG_VALUE_MAX], f[CONFIG_VALUE_MAX];

	before.tcp = *stack_tunables_get(d->stack); /* what runs, `set` included */
	/* under --log-level, the level that runs is that one, not the file's */
	for (int c = CONFIG_LOG_ERR; d->opts.log_level >= 0 && c <= CONFIG_LOG_DEBUG; c++)
		if (log_level_from_config(c) == d->opts.log_level)
			before.log.level = (enum config_log_level)c;
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *key = config_key_path(i);
		enum stack_tunable_id id;

		if (config_key_tunable_id(i, &id) == 0) {
			uint64_t run = stack_tunables_read(&before.tcp, id);

			kept[id] = !named[i] && run != stack_tunables_read(&cfg_tcp, id) &&
				   run != stack_tunables_read(&file->tcp, id);
			if (kept[id])
				stack_tunables_write(&next.tcp, id, run);
			continue;
		}
		if (daemon_restart_group(key) >= 0)
			why[i] = "needs a restart";
		else if (strcmp(key, "log.level") == 0 && d->opts.log_level >= 0)
			why[i] = "--log-level overrides it";
		config_key_format(i, &before, b, sizeof(b));
		config_key_format(i, file, f, sizeof(f));
		if (why[i] && strcmp(b, f) != 0)
			config_key_copy(i, &next, &before);
		else
			why[i] = NULL;
	}
	daemon_keep_rto_ordered(&next.tcp, &file->tcp, kept);

	d->cfg = next;
	if (d->opts.log_level < 0)
		log_set_level(log_level_from_config(next.log.level));
	daemon_apply_tunables(d, &next.tcp, err);
	stack_memory_set(d->stack, next.limits.memory, next.limits.memory_per_uid);
	services_apply(d->services, &ports);
	if (memcmp(&before.impair, &next.impair, sizeof(next.impair)) != 0)
		daemon_impair_apply(d, &next.impair, "reload");
	rpc_server_apply(d->rpc_server, &d->cfg);
	ctl_server_apply(d->ctl_server, &d->cfg);
	/* the configuration's tunables are the file's (kept ones too); a refused one's stay */
	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++) {
		enum stack_tunable_id id = (enum stack_tunable_id)i;

		stack_tunables_write(&d->cfg.tcp, id,
				     stack_tunables_read(err[i] ? &cfg_tcp : &file->tcp, id));
	}

	after = d->cfg;
	after.tcp = *stack_tunables_get(d->stack);
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *key = config_key_path(i);
		enum stack_tunable_id id;
		bool tun = config_key_tunable_id(i, &id) == 0;

		config_key_format(i, &before, b, sizeof(b));
		config_key_format(i, &after, a, sizeof(a));
		config_key_format(i, file, f, sizeof(f));
		if (tun && kept[id])
			daemon_report_add(rep, CTL_RELOAD_KEPT, key, b, a, f, NULL);
		else if (why[i])
			daemon_report_add(rep, CTL_RELOAD_NOT_APPLIED, key, b, a, f, why[i]);
		else if (tun && err[id])
			daemon_report_add(rep, CTL_RELOAD_NOT_APPLIED, key, b, a, f,
					  strerror(-err[id]));
		else if (strcmp(a, b) != 0)
			daemon_report_add(rep, CTL_RELOAD_CHANGED, key, b, a, f, NULL);
	}
}

int daemon_reload_config(struct daemon *d, struct config_errors *ret_errs,
			 struct ctl_reload_report *ret_report)
{
	struct config_errors errs = { 0 };
	struct ctl_reload_report *rep = ret_report;
	bool named[CONFIG_KEYS_MAX];
	struct synack_config nc;
	char summary[96];
	int r;

	if (d->phase != DAEMON_RUNNING)
		return -EBUSY;
	notify_reloading(&d->notify);
	if (!d->opts.config_path) {
		log_notice(
			"reload: running on the built-in defaults (no --config); nothing to read");
		daemon_ready(d, NULL);
		return -ENODATA; /* nothing was reloaded: synackctl says so */
	}
	r = config_load_file_named(d->opts.config_path, &nc, &errs, named);
	if (r < 0) {
		daemon_log_config_errors(&errs);
		log_err("reload: %s refused; keeping the running configuration",
			d->opts.config_path);
		if (ret_errs)
			*ret_errs = errs;
		else
			config_errors_free(&errs);
		daemon_ready(d, "Reload refused: configuration errors (see the log); running on "
				"the previous configuration");
		return -EINVAL;
	}
	config_errors_free(&errs);
	if (!rep && !(rep = malloc(sizeof(*rep)))) {
		log_err("reload: out of memory; keeping the running configuration");
		daemon_ready(d, NULL);
		return -ENOMEM;
	}
	memset(rep, 0, sizeof(*rep));
	snprintf(rep->file, sizeof(rep->file), "%s", d->opts.config_path);
	daemon_apply(d, &nc, named, rep);
	daemon_report_log(rep);
	daemon_report_summary(rep, summary, sizeof(summary));
	log_info("reload: %s applied%s%s", d->opts.config_path, rep->n ? ": " : "; ", summary);
	if (rep != ret_report)
		free(rep);
	daemon_ready(d, NULL);
	return 0;
}

static void daemon_reload(struct daemon *d)
{
	daemon_reload_config(d, NULL, NULL);
}

static void daemon_signal_cb(uv_signal_t *h, int signum)
{
	struct daemon *d = h->data;

	if (signum == SIGHUP)
		daemon_reload(d);
	else
		daemon_stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

/* ---- start-up ---- */

static void *daemon_alloc(void *ctx, size_t size)
{
	return malloc(size);
}

/* calloc: large tables come straight from mmap, zero pages the kernel fills
 * on first touch, so a slot table sized for max_conns costs RSS only as far
 * as slots are used */
static void *daemon_zalloc(void *ctx, size_t size)
{
	return calloc(1, size);
}

/*
 * Socket buffers are large blocks: once a burst of them is freed, hand the
 * pages back to the system (glibc keeps freed heap memory otherwise, and
 * RSS would stay at the burst's peak). Trimming walks the heap, so only
 * after DAEMON_TRIM_AFTER bytes were freed, at the end of a kick, and at
 * most once a second with the client queues' trims (frame_pipe_trim).
 */
#define DAEMON_TRIM_AFTER (4u << 20)

static void daemon_free(void *ctx, void *ptr, size_t size)
{
	struct daemon *d = ctx;

	free(ptr);
	if (d && ptr)
		d->freed_since_trim += size;
}

static void daemon_maybe_trim(struct daemon *d)
{
	uint64_t now = uv_now(&d->loop);

	frame_pipe_trim_owed(now);
	if (d->freed_since_trim < DAEMON_TRIM_AFTER)
		return;
	frame_pipe_trim(now, "socket buffers freed", d->freed_since_trim);
	d->freed_since_trim = 0;
}

static void daemon_trace(void *ctx, const struct stack_trace *t)
{
	struct daemon *d = ctx;
	char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];
	struct in_addr la = { .s_addr = htonl(t->local.addr) };
	struct in_addr ra = { .s_addr = htonl(t->remote.addr) };

	if (d->ctl_server)
		ctl_server_trace(d->ctl_server, t); /* synackctl trace/events */
	if (t->kind != STACK_TRACE_STATE || !log_enabled(LOG_DEBUG))
		return;
	inet_ntop(AF_INET, &la, l, sizeof(l));
	inet_ntop(AF_INET, &ra, r, sizeof(r));
	log_debug("tcp %s:%u %s:%u: %s -> %s at %llu.%06llu", l, t->local.port, r, t->remote.port,
		  stack_tcp_state_name(t->state.from), stack_tcp_state_name(t->state.to),
		  (unsigned long long)(t->now / 1000000), (unsigned long long)(t->now % 1000000));
}

/* A locally administered unicast MAC from the TAP's name (stable across restarts). */
static void daemon_derive_mac(const char *name, const uint8_t kernel_mac[6], uint8_t out[6])
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	const char *salt = "synackd:";

	for (const char *p = salt; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
	out[0] = 0x02;
	for (int i = 1; i < 6; i++)
		out[i] = (uint8_t)(h >> (8 * (i - 1)));
	if (memcmp(out, kernel_mac, 6) == 0)
		out[5] ^= 0x01;
}

static int daemon_open_tap(struct daemon *d, int stored_fd)
{
	const struct synack_config *c = &d->cfg;
	int r;

	if (stored_fd >= 0) {
		r = tap_adopt(&d->tap, stored_fd, c->interface.offload);
		if (r == 0) {
			log_info("TAP %s: reusing the fd from the service manager's fd store",
				 d->tap.name);
			return 0;
		}
	}
	r = tap_open(&d->tap, c->interface.tap, c->interface.offload);
	if (r < 0)
		return r;
	notify_store_fd(&d->notify, d->tap.fd, "tap");
	return 0;
}

static void daemon_configure_link(struct daemon *d)
{
	const struct synack_config *c = &d->cfg;
	int r;

	if (!c->interface.configure)
		return;
	r = netlink_link_up(d->tap.ifindex, c->interface.mtu);
	if (r == -EPERM) {
		log_notice("TAP %s: no CAP_NET_ADMIN, leaving its state, MTU and addresses as "
			   "they are",
			   d->tap.name);
		return;
	}
	if (r < 0) {
		log_errno_at(LOG_WARNING, r, "TAP %s: cannot set MTU %u and bring it up",
			     d->tap.name, c->interface.mtu);
		return;
	}
	r = netlink_addr_add(d->tap.ifindex, c->interface.peer_address, c->interface.prefix_len);
	if (r < 0)
		log_errno_at(LOG_WARNING, r, "TAP %s: cannot add the kernel side's address",
			     d->tap.name);
}

static void daemon_link_kick(void *ctx)
{
	daemon_kick(ctx);
}

static void daemon_link_fail(void *ctx, int err)
{
	struct daemon *d = ctx;

	log_errno(err, "TAP %s failed (was it deleted?); exiting", d->tap.name);
	notify_stopping(&d->notify);
	d->exit_code = EXIT_FAILURE;
	daemon_finish(d);
}

/* The impairment as a line for the log ("loss 1% ... direction out"). */
static void daemon_impair_describe(const struct config_impair *c, char *buf, size_t len)
{
	static const char *const dirs[] = { "both", "in", "out" };
	char loss[16], dup[16], reo[16], cor[16], delay[32], jit[32];

	config_format_percent(c->loss_ppm, loss, sizeof(loss));
	config_format_percent(c->duplicate_ppm, dup, sizeof(dup));
	config_format_percent(c->reorder_ppm, reo, sizeof(reo));
	config_format_percent(c->corrupt_ppm, cor, sizeof(cor));
	config_format_duration(c->delay_us, delay, sizeof(delay));
	config_format_duration(c->jitter_us, jit, sizeof(jit));
	snprintf(buf, len,
		 "loss %s duplicate %s reorder %s corrupt %s delay %s jitter %s rate %llu "
		 "bit/s match 0x%x direction %s seed %llu",
		 loss, dup, reo, cor, delay, jit, (unsigned long long)c->rate_bps, c->match,
		 (unsigned)c->direction < 3 ? dirs[c->direction] : "?",
		 (unsigned long long)c->seed);
}

/* Apply an impair: section to the link (who: "config", "reload", "control"). */
static void daemon_impair_apply(struct daemon *d, const struct config_impair *c, const char *who)
{
	bool was =
		link_impair_on(&d->link.imp, IMPAIR_IN) || link_impair_on(&d->link.imp, IMPAIR_OUT);
	char line[256];

	d->cfg.impair = *c;
	link_impair_apply(&d->link.imp, c);
	if (config_impair_active(c)) {
		daemon_impair_describe(c, line, sizeof(line));
		log_notice("%s: link impairment on: %s", who, line);
	} else if (was) {
		log_notice("%s: link impairment off", who);
	}
}

int daemon_impair_set(struct daemon *d, const struct config_impair *c)
{
	if (d->phase != DAEMON_RUNNING)
		return -EBUSY;
	daemon_impair_apply(d, c, "control");
	return 0;
}

static int daemon_start_stack(struct daemon *d)
{
	const struct synack_config *c = &d->cfg;
	struct stack_config sc = { 0 };
	struct stack_env env = { 0 };
	int r;

	if (c->interface.mac[0] | c->interface.mac[1] | c->interface.mac[2] | c->interface.mac[3] |
	    c->interface.mac[4] | c->interface.mac[5])
		memcpy(sc.mac, c->interface.mac, 6);
	else
		daemon_derive_mac(d->tap.name, d->tap.kernel_mac, sc.mac);
	memcpy(d->mac, sc.mac, 6);
	sc.addr = c->interface.address;
	sc.prefix_len = c->interface.prefix_len;
	sc.gateway = c->interface.gateway;
	sc.mtu = c->interface.mtu;
	sc.tx_csum_offload = tap_tx_offload(&d->tap);
	sc.tx_tso = tap_tx_offload(&d->tap);
	sc.max_conns = c->limits.max_conns;
	sc.max_time_wait = c->limits.max_time_wait;
	sc.max_orphans = c->limits.max_orphans;
	sc.tun = c->tcp;
	sc.memory = c->limits.memory;
	sc.memory_per_uid = c->limits.memory_per_uid;

	if (getrandom(env.secret, sizeof(env.secret), 0) != sizeof(env.secret) ||
	    getrandom(&env.seed, sizeof(env.seed), 0) != sizeof(env.seed))
		return log_errno(-errno, "getrandom");
	env.sink = (struct stack_sink){ .ctx = &d->link,
					.emit = link_emit,
					.emit_tail = link_emit_tail };
	env.allocator = (struct stack_allocator){
		.ctx = d, .alloc = daemon_alloc, .free = daemon_free, .zalloc = daemon_zalloc
	};
	env.trace = daemon_trace;
	env.trace_ctx = d;
	env.direct = daemon_direct;
	env.direct_ctx = d;

	r = link_init(&d->link, &d->tap);
	if (r < 0)
		return log_errno(r, "link");
	d->link.kick = daemon_link_kick;
	d->link.fail = daemon_link_fail;
	d->link.ctx = d;
	d->stack = calloc(1, stack_size());
	if (!d->stack)
		return -ENOMEM;
	r = stack_init(d->stack, daemon_now(), &sc, &env);
	if (r < 0) {
		free(d->stack);
		d->stack = NULL;
		return log_errno(r, "cannot start the stack");
	}
	log_info("TAP %s: %02x:%02x:%02x:%02x:%02x:%02x, MTU %u, offloads %s", d->tap.name,
		 sc.mac[0], sc.mac[1], sc.mac[2], sc.mac[3], sc.mac[4], sc.mac[5], sc.mtu,
		 d->tap.vnet_hdr ? "on" : "off");
	daemon_impair_apply(d, &c->impair, "config");
	return link_start(&d->link, &d->loop, d->stack);
}

static int daemon_start_handles(struct daemon *d)
{
	uv_timer_init(&d->loop, &d->timer);
	uv_timer_init(&d->loop, &d->status_timer);
	uv_timer_init(&d->loop, &d->drain_timer);
	d->timer.data = d->status_timer.data = d->drain_timer.data = d;
	uv_signal_init(&d->loop, &d->sig_term);
	uv_signal_init(&d->loop, &d->sig_int);
	uv_signal_init(&d->loop, &d->sig_hup);
	d->sig_term.data = d->sig_int.data = d->sig_hup.data = d;
	if (uv_signal_start(&d->sig_term, daemon_signal_cb, SIGTERM) < 0 ||
	    uv_signal_start(&d->sig_int, daemon_signal_cb, SIGINT) < 0 ||
	    uv_signal_start(&d->sig_hup, daemon_signal_cb, SIGHUP) < 0)
		return log_errno(-EINVAL, "cannot install signal handlers");
	uv_timer_start(&d->status_timer, daemon_status_cb, DAEMON_STATUS_MS, DAEMON_STATUS_MS);
	busy_poll_start(&d->busy, &d->loop, d->cfg.interface.busy_poll_us);
	return 0;
}

static int daemon_start_sockets(struct daemon *d, const struct notify_fds *fds)
{
	const struct synack_config *c = &d->cfg;
	int r;

	r = listener_start(&d->rpc, &d->loop, "rpc", fds->rpc, c->rpc.socket, c->rpc.mode,
			   c->rpc.group);
	if (r < 0)
		return r;
	r = listener_start(&d->control, &d->loop, "control", fds->control, c->control.socket,
			   c->control.mode, c->control.group);
	if (r < 0)
		return r;
	/* synackctl sends no descriptors, nor do RPC clients but for a detached
	 * connection's proof (rpc_session.c takes them again then); a connection
	 * inherits its listener's refusal when it connects */
	bool ctl_refuses = sent_fds_refuse_handle((uv_handle_t *)&d->control.pipe);
	bool rpc_refuses = sent_fds_refuse_handle((uv_handle_t *)&d->rpc.pipe);

	if (!ctl_refuses || !rpc_refuses)
		log_debug("the rpc and control sockets take descriptors: no SO_PASSRIGHTS "
			  "(Linux < 6.16) or no socket");
	return 0;
}

static int daemon_start(struct daemon *d)
{
	const char *netns = d->opts.netns ? d->opts.netns : d->cfg.interface.netns;
	struct services_ports ports = {
		.echo = d->cfg.services.echo,
		.discard = d->cfg.services.discard,
		.chargen = d->cfg.services.chargen,
	};
	struct owner_host host;
	struct notify_fds fds;
	int r;

	if (netns[0] && (r = netns_enter(netns)) < 0)
		return r;
	r = notify_listen_fds(&fds);
	if (r < 0)
		return r;
	r = notify_init(&d->notify, &d->loop);
	if (r < 0)
		return r;
	r = daemon_open_tap(d, fds.tap);
	if (r < 0)
		return r;
	daemon_configure_link(d);
	r = daemon_start_stack(d);
	if (r < 0)
		return r;
	r = daemon_start_handles(d);
	if (r < 0)
		return r;
	r = daemon_start_sockets(d, &fds);
	if (r < 0)
		return r;
	daemon_owner_host(d, &host);
	r = services_start(&host, &ports, d->cfg.limits.max_conns, &d->services);
	if (r < 0)
		return log_errno(r, "cannot start the built-in services");
	r = daemon_rpc_start(d, &d->rpc_server);
	if (r < 0)
		return log_errno(r, "cannot start the RPC server");
	r = daemon_control_start(d, &d->ctl_server);
	if (r < 0)
		return log_errno(r, "cannot start the control server");
	daemon_kick(d);
	daemon_ready(d, NULL);
	log_info("ready: %s", d->status);
	return 0;
}

static void daemon_cleanup(struct daemon *d)
{
	daemon_finish(d);
	daemon_rpc_stop(d->rpc_server);
	d->rpc_server = NULL;
	daemon_control_stop(d->ctl_server);
	d->ctl_server = NULL;
	services_free(d->services);
	d->services = NULL;
	/* let the closed handles' callbacks run */
	uv_run(&d->loop, UV_RUN_DEFAULT);
	if (d->stack) {
		stack_deinit(d->stack);
		free(d->stack);
	}
	link_free(&d->link);
	tap_close(&d->tap);
	free(d->owners);
	if (uv_loop_close(&d->loop) < 0)
		log_debug("event loop closed with handles still open");
}

int daemon_run(const struct daemon_opts *opts, const struct synack_config *cfg)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int r, status;

	if (!d)
		return EXIT_FAILURE;
	d->opts = *opts;
	d->cfg = *cfg;
	d->tap.fd = -1;
	d->notify.fd = -1; /* notify_close() on an early failure closes nothing */
	d->exit_code = EXIT_SUCCESS;
	d->started = daemon_now();
	signal(SIGPIPE, SIG_IGN);
	r = uv_loop_init(&d->loop);
	if (r < 0) {
		free(d);
		return EXIT_FAILURE;
	}
	r = daemon_start(d);
	if (r == 0)
		uv_run(&d->loop, UV_RUN_DEFAULT);
	else
		d->exit_code = EXIT_FAILURE;
	if (r == 0 && d->exit_code == EXIT_SUCCESS)
		log_info("stopped");
	daemon_cleanup(d);
	status = d->exit_code;
	free(d);
	return status;
}
