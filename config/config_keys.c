/* SPDX-License-Identifier: MIT */
/*
 * config_keys.c - the key table: every configuration key with its dotted
 * path, value type, place in struct synack_config, default and range. The
 * tcp: keys are generated from the core's STACK_TUNABLES table, whose kinds,
 * defaults and ranges are used as they are (never copied here).
 * config/synackd.yaml documents the same keys; a unit test keeps them equal.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "config_internal.h"

#define CONFIG_FIELD(f) \
	.offset = offsetof(struct synack_config, f), .size = sizeof(((struct synack_config *)0)->f)

static const char *const config_log_levels[] = {
	[CONFIG_LOG_ERR] = "err",	[CONFIG_LOG_WARNING] = "warning",
	[CONFIG_LOG_NOTICE] = "notice", [CONFIG_LOG_INFO] = "info",
	[CONFIG_LOG_DEBUG] = "debug",	NULL
};

static const char *const config_close_modes[] = {
	[CONFIG_CLOSE_FIN] = "fin", [CONFIG_CLOSE_RST] = "rst", NULL
};

static const char *const config_impair_dirs[] = {
	[CONFIG_IMPAIR_BOTH] = "both", [CONFIG_IMPAIR_IN] = "in", [CONFIG_IMPAIR_OUT] = "out", NULL
};

const char *const config_impair_match_names[] = { "syn", "synack", "fin",   "rst",
						  "ack", "data",   "other", NULL };

#define CONFIG_SEC(x) ((uint64_t)(x)*1000000ull)

/* Parameters are short to stay clear of the designators (.min, .meaning, ...). */
#define CONFIG_TUNABLE_KEY(f, k, kind, d, lo, hi, ex, m) \
	{ .path = "tcp." k,                              \
	  .type = CONFIG_T_TUNABLE,                      \
	  CONFIG_FIELD(tcp.f),                           \
	  .aux = STACK_TUN_##f,                          \
	  .meaning = m },

static const struct config_key config_keys[] = {
	{ .path = "interface.tap",
	  .type = CONFIG_T_IFNAME,
	  CONFIG_FIELD(interface.tap),
	  .def = "synack0",
	  .min = 1,
	  .max = 15,
	  .meaning = "TAP device to create, or a persistent one to attach to" },
	{ .path = "interface.mtu",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(interface.mtu),
	  .def = "1500",
	  .min = 68,
	  .max = 65520,
	  .meaning = "link MTU in bytes" },
	{ .path = "interface.offload",
	  .type = CONFIG_T_BOOL,
	  CONFIG_FIELD(interface.offload),
	  .def = "true",
	  .meaning = "virtio-net header: checksum and segmentation offload" },
	{ .path = "interface.address",
	  .type = CONFIG_T_IPV4_PREFIX,
	  CONFIG_FIELD(interface.address),
	  .aux = offsetof(struct synack_config, interface.prefix_len),
	  .def = "10.77.0.2/24",
	  .min = 1,
	  .max = 32,
	  .meaning = "the stack's own address and prefix length" },
	{ .path = "interface.gateway",
	  .type = CONFIG_T_IPV4,
	  CONFIG_FIELD(interface.gateway),
	  .def = "10.77.0.1",
	  .min = 0,
	  .meaning = "default route; \"\" = none" },
	{ .path = "interface.mac",
	  .type = CONFIG_T_MAC,
	  CONFIG_FIELD(interface.mac),
	  .def = "",
	  .meaning = "the stack's MAC address; \"\" = derive one" },
	{ .path = "interface.configure",
	  .type = CONFIG_T_BOOL,
	  CONFIG_FIELD(interface.configure),
	  .def = "true",
	  .meaning = "bring the link up and give the kernel side peer_address" },
	{ .path = "interface.peer_address",
	  .type = CONFIG_T_IPV4,
	  CONFIG_FIELD(interface.peer_address),
	  .def = "10.77.0.1",
	  .min = 1,
	  .meaning = "the kernel side's address (same prefix length)" },
	{ .path = "interface.netns",
	  .type = CONFIG_T_PATH,
	  CONFIG_FIELD(interface.netns),
	  .def = "",
	  .min = 0,
	  .max = CONFIG_PATH_MAX - 1,
	  .meaning = "network namespace to run in; \"\" = the current one" },
	{ .path = "interface.busy_poll",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(interface.busy_poll_us),
	  .def = "0s",
	  .min = 0,
	  .max = CONFIG_SEC(1) / 1000,
	  .meaning = "after a wake, poll without sleeping until nothing came for this long "
		     "(CPU for latency); 0 = off" },

	{ .path = "rpc.socket",
	  .type = CONFIG_T_PATH,
	  CONFIG_FIELD(rpc.socket),
	  .def = "/run/synack/synackd.sock",
	  .min = 1,
	  .max = CONFIG_PATH_MAX - 1,
	  .meaning = "Unix socket applications connect to" },
	{ .path = "rpc.group",
	  .type = CONFIG_T_GROUP,
	  CONFIG_FIELD(rpc.group),
	  .def = "synack",
	  .min = 0,
	  .max = 32,
	  .meaning = "group owning the socket; \"\" = leave as is" },
	{ .path = "rpc.mode",
	  .type = CONFIG_T_MODE,
	  CONFIG_FIELD(rpc.mode),
	  .def = "0660",
	  .min = 0,
	  .max = 0777,
	  .meaning = "socket file mode (octal)" },
	{ .path = "rpc.hello_timeout",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(rpc.hello_timeout_us),
	  .def = "10s",
	  .min = CONFIG_SEC(1) / 1000,
	  .max = CONFIG_SEC(3600),
	  .meaning = "a client that has not said Hello by then is disconnected" },
	{ .path = "rpc.idle_timeout",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(rpc.idle_timeout_us),
	  .def = "5min",
	  .min = 0,
	  .max = CONFIG_SEC(7 * 24 * 3600),
	  .meaning = "a client owning no connection and sending nothing for this long is "
		     "disconnected; 0s = never" },

	{ .path = "control.socket",
	  .type = CONFIG_T_PATH,
	  CONFIG_FIELD(control.socket),
	  .def = "/run/synack/control.sock",
	  .min = 1,
	  .max = CONFIG_PATH_MAX - 1,
	  .meaning = "Unix socket synackctl connects to" },
	{ .path = "control.group",
	  .type = CONFIG_T_GROUP,
	  CONFIG_FIELD(control.group),
	  .def = "synack",
	  .min = 0,
	  .max = 32,
	  .meaning = "members may read state" },
	{ .path = "control.admin_group",
	  .type = CONFIG_T_GROUP,
	  CONFIG_FIELD(control.admin_group),
	  .def = "synack-admin",
	  .min = 0,
	  .max = 32,
	  .meaning = "members (and root) may change state" },
	{ .path = "control.mode",
	  .type = CONFIG_T_MODE,
	  CONFIG_FIELD(control.mode),
	  .def = "0660",
	  .min = 0,
	  .max = 0777,
	  .meaning = "socket file mode (octal)" },

	STACK_TUNABLES(CONFIG_TUNABLE_KEY)

		{ .path = "services.echo",
		  .type = CONFIG_T_UINT,
		  CONFIG_FIELD(services.echo),
		  .def = "0",
		  .min = 0,
		  .max = 65535,
		  .meaning = "RFC 862 echo server port; 0 = off" },
	{ .path = "services.discard",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(services.discard),
	  .def = "0",
	  .min = 0,
	  .max = 65535,
	  .meaning = "RFC 863 discard server port; 0 = off" },
	{ .path = "services.chargen",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(services.chargen),
	  .def = "0",
	  .min = 0,
	  .max = 65535,
	  .meaning = "RFC 864 chargen server port; 0 = off" },

	{ .path = "impair.loss",
	  .type = CONFIG_T_PERCENT,
	  CONFIG_FIELD(impair.loss_ppm),
	  .def = "0%",
	  .min = 0,
	  .max = 1000000,
	  .meaning = "frames dropped" },
	{ .path = "impair.duplicate",
	  .type = CONFIG_T_PERCENT,
	  CONFIG_FIELD(impair.duplicate_ppm),
	  .def = "0%",
	  .min = 0,
	  .max = 1000000,
	  .meaning = "frames sent twice" },
	{ .path = "impair.reorder",
	  .type = CONFIG_T_PERCENT,
	  CONFIG_FIELD(impair.reorder_ppm),
	  .def = "0%",
	  .min = 0,
	  .max = 1000000,
	  .meaning = "frames held back behind the next" },
	{ .path = "impair.corrupt",
	  .type = CONFIG_T_PERCENT,
	  CONFIG_FIELD(impair.corrupt_ppm),
	  .def = "0%",
	  .min = 0,
	  .max = 1000000,
	  .meaning = "frames with one bit flipped" },
	{ .path = "impair.delay",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(impair.delay_us),
	  .def = "0ms",
	  .min = 0,
	  .max = CONFIG_SEC(60),
	  .meaning = "added to every frame" },
	{ .path = "impair.seed",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(impair.seed),
	  .def = "1",
	  .min = 0,
	  .max = UINT64_MAX,
	  .meaning = "seed of the impairment's random numbers" },
	{ .path = "impair.direction",
	  .type = CONFIG_T_ENUM,
	  CONFIG_FIELD(impair.direction),
	  .def = "both",
	  .names = config_impair_dirs,
	  .meaning = "frames impaired: in (from the link), out, or both" },
	{ .path = "impair.match",
	  .type = CONFIG_T_FLAGS,
	  CONFIG_FIELD(impair.match),
	  .def = "all",
	  .names = config_impair_match_names,
	  .meaning =
		  "segments impaired: all, or a list of syn, synack, fin, rst, ack, data, other" },
	{ .path = "impair.duplicate_delay",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(impair.duplicate_delay_us),
	  .def = "0ms",
	  .min = 0,
	  .max = CONFIG_SEC(600),
	  .meaning = "the copy of a duplicated frame follows it this much later" },
	{ .path = "impair.reorder_frames",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(impair.reorder_frames),
	  .def = "1",
	  .min = 0,
	  .max = 1000,
	  .meaning = "a reordered frame is held until this many later frames passed" },
	{ .path = "impair.reorder_time",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(impair.reorder_time_us),
	  .def = "10ms",
	  .min = 0,
	  .max = CONFIG_SEC(60),
	  .meaning = "... or at most this long (alone when reorder_frames is 0)" },
	{ .path = "impair.jitter",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(impair.jitter_us),
	  .def = "0ms",
	  .min = 0,
	  .max = CONFIG_SEC(60),
	  .meaning = "delay varies by up to this much either way (uniform)" },
	{ .path = "impair.rate",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(impair.rate_bps),
	  .def = "0",
	  .min = 0,
	  .max = 100000000000ull,
	  .meaning = "token bucket rate in bits per second; 0 = no limit" },
	{ .path = "impair.gilbert_elliott.p",
	  .type = CONFIG_T_PERCENT,
	  CONFIG_FIELD(impair.ge_p_ppm),
	  .def = "0%",
	  .min = 0,
	  .max = 1000000,
	  .meaning = "burst loss: chance per frame to enter the bad state; 0% = off" },
	{ .path = "impair.gilbert_elliott.r",
	  .type = CONFIG_T_PERCENT,
	  CONFIG_FIELD(impair.ge_r_ppm),
	  .def = "100%",
	  .min = 0,
	  .max = 1000000,
	  .meaning = "chance per frame to leave the bad state (bursts last 1/r frames)" },
	{ .path = "impair.gilbert_elliott.bad_loss",
	  .type = CONFIG_T_PERCENT,
	  CONFIG_FIELD(impair.ge_bad_loss_ppm),
	  .def = "100%",
	  .min = 0,
	  .max = 1000000,
	  .meaning = "frames lost in the bad state" },
	{ .path = "impair.gilbert_elliott.good_loss",
	  .type = CONFIG_T_PERCENT,
	  CONFIG_FIELD(impair.ge_good_loss_ppm),
	  .def = "0%",
	  .min = 0,
	  .max = 1000000,
	  .meaning = "frames lost in the good state" },

	{ .path = "limits.max_conns",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(limits.max_conns),
	  .def = "4096",
	  .min = 1,
	  .max = 1048576,
	  .meaning = "connection slots in the stack" },
	{ .path = "limits.max_clients",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(limits.max_clients),
	  .def = "64",
	  .min = 1,
	  .max = 65536,
	  .meaning = "RPC clients connected at once" },
	{ .path = "limits.conns_per_client",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(limits.conns_per_client),
	  .def = "1024",
	  .min = 1,
	  .max = 1048576,
	  .meaning = "connections one client may own" },
	{ .path = "limits.buffered_per_client",
	  .type = CONFIG_T_SIZE,
	  CONFIG_FIELD(limits.buffered_per_client),
	  .def = "64MiB",
	  .min = 64ull << 10,
	  .max = 16ull << 30,
	  .meaning = "bytes buffered for one client's connections" },
	{ .path = "limits.max_frame",
	  .type = CONFIG_T_SIZE,
	  CONFIG_FIELD(limits.max_frame),
	  .def = "1MiB",
	  .min = 4ull << 10,
	  .max = 64ull << 20,
	  .meaning = "largest RPC frame accepted" },
	{ .path = "limits.memory",
	  .type = CONFIG_T_SIZE,
	  CONFIG_FIELD(limits.memory),
	  .def = "1GiB",
	  .min = 1ull << 20,
	  .max = 1ull << 40,
	  .meaning = "memory for all TCP socket buffers together" },
	{ .path = "limits.memory_per_uid",
	  .type = CONFIG_T_SIZE,
	  CONFIG_FIELD(limits.memory_per_uid),
	  .def = "256MiB",
	  .min = 64ull << 10,
	  .max = 1ull << 40,
	  .meaning = "memory for the TCP socket buffers of one client uid" },
	{ .path = "limits.max_time_wait",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(limits.max_time_wait),
	  .def = "65536",
	  .min = 1,
	  .max = 4194304,
	  .meaning =
		  "TIME-WAIT records (~128 bytes each, outside max_conns); the oldest recycled" },
	{ .path = "limits.max_orphans",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(limits.max_orphans),
	  .def = "1024",
	  .min = 1,
	  .max = 1048576,
	  .meaning = "connections closed by their owner still finishing; over it the oldest is "
		     "reset" },
	{ .path = "limits.clients_per_uid",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(limits.clients_per_uid),
	  .def = "32",
	  .min = 1,
	  .max = 65536,
	  .meaning = "RPC clients one uid may have connected at once" },
	{ .path = "limits.conns_per_uid",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(limits.conns_per_uid),
	  .def = "2048",
	  .min = 1,
	  .max = 1048576,
	  .meaning = "connections and listeners the RPC clients of one uid may own together" },

	{ .path = "shutdown.mode",
	  .type = CONFIG_T_ENUM,
	  CONFIG_FIELD(shutdown.mode),
	  .def = "fin",
	  .names = config_close_modes,
	  .meaning = "how connections end when synackd stops: fin (graceful) or rst" },
	{ .path = "shutdown.drain",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(shutdown.drain_us),
	  .def = "5s",
	  .min = 0,
	  .max = CONFIG_SEC(3600),
	  .meaning = "longest a graceful stop waits for connections to close" },
	{ .path = "shutdown.abort_on_disconnect",
	  .type = CONFIG_T_BOOL,
	  CONFIG_FIELD(shutdown.abort_on_disconnect),
	  .def = "false",
	  .meaning = "a vanished client's connections get RST instead of FIN" },

	{ .path = "log.level",
	  .type = CONFIG_T_ENUM,
	  CONFIG_FIELD(log.level),
	  .def = "info",
	  .names = config_log_levels,
	  .meaning = "least severe message logged" },

	{ .path = "history.conns",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(history.conns),
	  .def = "64",
	  .min = 0,
	  .max = 65536,
	  .meaning = "closed connections whose history is kept" },
	{ .path = "history.keep",
	  .type = CONFIG_T_DURATION,
	  CONFIG_FIELD(history.keep_us),
	  .def = "5min",
	  .min = 0,
	  .max = CONFIG_SEC(7 * 24 * 3600),
	  .meaning = "how long a closed connection's history is kept" },
	{ .path = "history.events",
	  .type = CONFIG_T_UINT,
	  CONFIG_FIELD(history.events),
	  .def = "256",
	  .min = 0,
	  .max = 65536,
	  .meaning = "history entries per connection" },
};

_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) <= CONFIG_KEYS_MAX,
	       "raise CONFIG_KEYS_MAX");

size_t config_key_count(void)
{
	return sizeof(config_keys) / sizeof(config_keys[0]);
}

const struct config_key *config_key_at(size_t i)
{
	return i < config_key_count() ? &config_keys[i] : NULL;
}

const char *config_key_path(size_t i)
{
	return i < config_key_count() ? config_keys[i].path : NULL;
}

int config_key_tunable_id(size_t i, enum stack_tunable_id *ret)
{
	if (i >= config_key_count() || config_keys[i].type != CONFIG_T_TUNABLE)
		return -ENOENT;
	*ret = (enum stack_tunable_id)config_keys[i].aux;
	return 0;
}

int config_key_format(size_t i, const struct synack_config *c, char *buf, size_t len)
{
	if (i >= config_key_count())
		return -ENOENT;
	return config_value_format(&config_keys[i], c, buf, len);
}

int config_key_copy(size_t i, struct synack_config *dst, const struct synack_config *src)
{
	const struct config_key *k = config_key_at(i);

	if (!k)
		return -ENOENT;
	memcpy((char *)dst + k->offset, (const char *)src + k->offset, k->size);
	if (k->type == CONFIG_T_IPV4_PREFIX)
		memcpy((char *)dst + k->aux, (const char *)src + k->aux,
		       sizeof(((struct synack_config *)0)->interface.prefix_len));
	return 0;
}

int config_key_find(const char *path)
{
	for (size_t i = 0; i < config_key_count(); i++)
		if (strcmp(config_keys[i].path, path) == 0)
			return (int)i;
	return -ENOENT;
}

int config_key_find_section(const char *path)
{
	size_t n = strlen(path);

	for (size_t i = 0; i < config_key_count(); i++)
		if (strncmp(config_keys[i].path, path, n) == 0 && config_keys[i].path[n] == '.')
			return (int)i;
	return -ENOENT;
}

void config_key_sections(char *buf, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *path = config_keys[i].path;
		size_t n = strcspn(path, ".");
		int r;

		/* The table keeps each section's keys together: a new section starts here. */
		if (i > 0 && strncmp(config_keys[i - 1].path, path, n + 1) == 0)
			continue;
		r = snprintf(buf + o, len - o, "%s%.*s", o ? ", " : "", (int)n, path);
		if (r < 0 || (size_t)r >= len - o) {
			buf[o] = '\0'; /* whole names only */
			return;
		}
		o += (size_t)r;
	}
}

const struct stack_tunable_desc *config_key_tunable(const struct config_key *k)
{
	if (k->type != CONFIG_T_TUNABLE)
		return NULL;
	return stack_tunable_desc((enum stack_tunable_id)k->aux);
}

void config_defaults(struct synack_config *c)
{
	memset(c, 0, sizeof(*c));
	stack_tunables_defaults(&c->tcp);
	for (size_t i = 0; i < config_key_count(); i++) {
		const struct config_key *k = &config_keys[i];
		struct config_scalar s = { .text = k->def, .plain = true };
		char err[8];
		int r;

		if (k->type == CONFIG_T_TUNABLE)
			continue;
		s.len = strlen(k->def);
		r = config_value_set(k, &s, c, err, sizeof(err));
		/* The defaults are constants above; tests/unit/config checks each one. */
		assert(r == 0);
		(void)r;
	}
}
