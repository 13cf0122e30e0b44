/* SPDX-License-Identifier: MIT */
/*
 * test-config-keys.c - every key of the configuration: its default, a value
 * other than the default, its range edges and the values it refuses. The tcp
 * keys are driven from the core's tunables table, so a new tunable is tested
 * without touching this file. Every key's value written back as the file
 * writes it (config_key_format, for the reload report) reads as the same value,
 * and config_load_file_named() says which keys a file named.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

#include "config-test.h"
#include "config_internal.h"

#define IP(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (d))

static void test_defaults(void **state)
{
	struct synack_config c, twice;
	struct stack_tunables t;

	config_defaults(&c);
	assert_string_equal(c.interface.tap, "synack0");
	assert_int_equal(c.interface.mtu, 1500);
	assert_true(c.interface.offload);
	assert_int_equal(c.interface.address, IP(10, 77, 0, 2));
	assert_int_equal(c.interface.prefix_len, 24);
	assert_int_equal(c.interface.gateway, IP(10, 77, 0, 1));
	assert_memory_equal(c.interface.mac, "\0\0\0\0\0\0", 6);
	assert_true(c.interface.configure);
	assert_int_equal(c.interface.peer_address, IP(10, 77, 0, 1));
	assert_string_equal(c.interface.netns, "");
	assert_string_equal(c.rpc.socket, "/run/synack/synackd.sock");
	assert_string_equal(c.rpc.group, "synack");
	assert_int_equal(c.rpc.mode, 0660);
	assert_string_equal(c.control.socket, "/run/synack/control.sock");
	assert_string_equal(c.control.group, "synack");
	assert_string_equal(c.control.admin_group, "synack-admin");
	assert_int_equal(c.control.mode, 0660);
	assert_int_equal(c.services.echo, 0);
	assert_int_equal(c.services.discard, 0);
	assert_int_equal(c.services.chargen, 0);
	assert_int_equal(c.impair.loss_ppm, 0);
	assert_int_equal(c.impair.duplicate_ppm, 0);
	assert_int_equal(c.impair.reorder_ppm, 0);
	assert_int_equal(c.impair.corrupt_ppm, 0);
	assert_int_equal(c.impair.delay_us, 0);
	assert_int_equal(c.impair.seed, 1);
	assert_int_equal(c.impair.direction, CONFIG_IMPAIR_BOTH);
	assert_int_equal(c.limits.max_conns, 4096);
	assert_int_equal(c.limits.max_clients, 64);
	assert_int_equal(c.limits.conns_per_client, 1024);
	assert_int_equal(c.limits.buffered_per_client, 64ull << 20);
	assert_int_equal(c.limits.max_frame, 1u << 20);
	assert_int_equal(c.limits.clients_per_uid, 32);
	assert_int_equal(c.limits.conns_per_uid, 2048);
	assert_int_equal(c.rpc.hello_timeout_us, 10000000);
	assert_int_equal(c.rpc.idle_timeout_us, 300000000);
	assert_int_equal(c.shutdown.mode, CONFIG_CLOSE_FIN);
	assert_int_equal(c.shutdown.drain_us, 5000000);
	assert_false(c.shutdown.abort_on_disconnect);
	assert_int_equal(c.log.level, CONFIG_LOG_INFO);
	assert_int_equal(c.history.conns, 64);
	assert_int_equal(c.history.keep_us, 300000000);
	assert_int_equal(c.history.events, 256);
	/* tcp defaults are the core's own. */
	stack_tunables_defaults(&t);
	assert_memory_equal(&c.tcp, &t, sizeof(t));
	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++)
		assert_int_equal(stack_tunables_read(&c.tcp, (enum stack_tunable_id)i),
				 stack_tunable_desc((enum stack_tunable_id)i)->def);
	/* Deterministic down to the padding, so configs compare with memcmp. */
	memset(&twice, 0x5a, sizeof(twice));
	config_defaults(&twice);
	assert_memory_equal(&c, &twice, sizeof(c));
}

/* The key table: unique paths, every default parses, every tunable present once. */
static void test_key_table(void **state)
{
	unsigned tunables[STACK_TUN_COUNT_] = { 0 };
	size_t n = config_key_count();

	assert_true(n > 30);
	assert_null(config_key_at(n));
	for (size_t i = 0; i < n; i++) {
		const struct config_key *k = config_key_at(i);
		struct synack_config c;
		char err[128] = "";

		assert_non_null(k->meaning);
		assert_true(strlen(k->path) < CONFIG_KEY_PATH_MAX);
		assert_int_equal(config_key_find(k->path), (int)i);
		assert_int_equal(config_key_find_section(k->path), -ENOENT);
		if (k->type == CONFIG_T_TUNABLE) {
			assert_true(k->aux < STACK_TUN_COUNT_);
			tunables[k->aux]++;
			assert_string_equal(k->path + 4, config_key_tunable(k)->key);
			continue;
		}
		config_defaults(&c);
		struct config_scalar s = { .text = k->def, .len = strlen(k->def), .plain = true };
		if (config_value_set(k, &s, &c, err, sizeof(err)) != 0)
			fail_msg("default of %s does not parse: %s", k->path, err);
	}
	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++)
		assert_int_equal(tunables[i], 1);
	assert_true(config_key_find_section("tcp") >= 0);
	assert_true(config_key_find_section("tcp.rto") >= 0);
	assert_int_equal(config_key_find_section("tcp.rt"), -ENOENT);
	assert_int_equal(config_key_find("tcp.rto"), -ENOENT);

	char sections[128], small[12];

	config_key_sections(sections, sizeof(sections));
	assert_string_equal(sections, "interface, rpc, control, tcp, services, impair, limits, "
				      "shutdown, log, history");
	config_key_sections(small, sizeof(small));
	assert_string_equal(small, "interface");
}

/* One file setting every key outside tcp to something other than its default. */
static void test_every_key(void **state)
{
	static const char text[] = "interface:\n"
				   "  tap: tap-x.1\n"
				   "  mtu: 9000\n"
				   "  offload: false\n"
				   "  address: 192.168.50.10/16\n"
				   "  gateway: 192.168.0.1\n"
				   "  mac: 02:AA:bb:0c:0D:ff\n"
				   "  configure: no\n"
				   "  peer_address: 192.168.50.1\n"
				   "  netns: /run/netns/pod\n"
				   "rpc:\n"
				   "  socket: /tmp/s.sock\n"
				   "  group: \"\"\n"
				   "  mode: 0600\n"
				   "control:\n"
				   "  socket: '/tmp/c.sock'\n"
				   "  group: wheel\n"
				   "  admin_group: root\n"
				   "  mode: \"0o640\"\n"
				   "services: { echo: 7, discard: 9, chargen: 19 }\n"
				   "impair:\n"
				   "  loss: 1.5%\n"
				   "  duplicate: 0.0001%\n"
				   "  reorder: 100%\n"
				   "  corrupt: 33%\n"
				   "  delay: 250ms\n"
				   "  seed: 18446744073709551615\n"
				   "  direction: out\n"
				   "limits:\n"
				   "  max_conns: 100000\n"
				   "  max_clients: 1\n"
				   "  conns_per_client: 7\n"
				   "  buffered_per_client: 1.5GiB\n"
				   "  max_frame: 65536\n"
				   "shutdown:\n"
				   "  mode: rst\n"
				   "  drain: 0s\n"
				   "  abort_on_disconnect: yes\n"
				   "log:\n"
				   "  level: debug\n"
				   "history:\n"
				   "  conns: 0\n"
				   "  keep: 1h\n"
				   "  events: 4096\n";
	static const uint8_t mac[6] = { 0x02, 0xaa, 0xbb, 0x0c, 0x0d, 0xff };
	struct synack_config c, def;

	config_test_ok(text, &c);
	config_defaults(&def);
	assert_string_equal(c.interface.tap, "tap-x.1");
	assert_int_equal(c.interface.mtu, 9000);
	assert_false(c.interface.offload);
	assert_int_equal(c.interface.address, IP(192, 168, 50, 10));
	assert_int_equal(c.interface.prefix_len, 16);
	assert_int_equal(c.interface.gateway, IP(192, 168, 0, 1));
	assert_memory_equal(c.interface.mac, mac, 6);
	assert_false(c.interface.configure);
	assert_int_equal(c.interface.peer_address, IP(192, 168, 50, 1));
	assert_string_equal(c.interface.netns, "/run/netns/pod");
	assert_string_equal(c.rpc.socket, "/tmp/s.sock");
	assert_string_equal(c.rpc.group, "");
	assert_int_equal(c.rpc.mode, 0600);
	assert_string_equal(c.control.socket, "/tmp/c.sock");
	assert_string_equal(c.control.group, "wheel");
	assert_string_equal(c.control.admin_group, "root");
	assert_int_equal(c.control.mode, 0640);
	assert_int_equal(c.services.echo, 7);
	assert_int_equal(c.services.discard, 9);
	assert_int_equal(c.services.chargen, 19);
	assert_int_equal(c.impair.loss_ppm, 15000);
	assert_int_equal(c.impair.duplicate_ppm, 1);
	assert_int_equal(c.impair.reorder_ppm, 1000000);
	assert_int_equal(c.impair.corrupt_ppm, 330000);
	assert_int_equal(c.impair.delay_us, 250000);
	assert_int_equal(c.impair.seed, UINT64_MAX);
	assert_int_equal(c.impair.direction, CONFIG_IMPAIR_OUT);
	assert_int_equal(c.limits.max_conns, 100000);
	assert_int_equal(c.limits.max_clients, 1);
	assert_int_equal(c.limits.conns_per_client, 7);
	assert_int_equal(c.limits.buffered_per_client, 3ull << 29);
	assert_int_equal(c.limits.max_frame, 65536);
	assert_int_equal(c.shutdown.mode, CONFIG_CLOSE_RST);
	assert_int_equal(c.shutdown.drain_us, 0);
	assert_true(c.shutdown.abort_on_disconnect);
	assert_int_equal(c.log.level, CONFIG_LOG_DEBUG);
	assert_int_equal(c.history.conns, 0);
	assert_int_equal(c.history.keep_us, 3600000000ull);
	assert_int_equal(c.history.events, 4096);
	assert_memory_equal(&c.tcp, &def.tcp, sizeof(def.tcp));
}

/* The YAML that sets one tcp tunable, and where its value starts. */
static void tunable_yaml(const char *key, const char *value, char *buf, size_t len, unsigned *line,
			 unsigned *col)
{
	const char *dot = strchr(key, '.');

	if (dot) {
		snprintf(buf, len, "tcp:\n  %.*s:\n    %s: %s\n", (int)(dot - key), key, dot + 1,
			 value);
		*line = 3;
		*col = 4 + (unsigned)strlen(dot + 1) + 2 + 1;
	} else {
		snprintf(buf, len, "tcp:\n  %s: %s\n", key, value);
		*line = 2;
		*col = 2 + (unsigned)strlen(key) + 2 + 1;
	}
}

static void tunable_text(const struct stack_tunable_desc *d, uint64_t v, char *buf, size_t len)
{
	switch (d->kind) {
	case STACK_TUN_DURATION:
		assert_true(config_format_duration(v, buf, len) > 0);
		break;
	case STACK_TUN_SIZE:
		assert_true(config_format_size(v, buf, len) > 0);
		break;
	case STACK_TUN_BOOL:
		snprintf(buf, len, "%s", v ? "true" : "false");
		break;
	case STACK_TUN_NAME:
		snprintf(buf, len, "%s", stack_tunable_name(d - stack_tunable_desc(0), v));
		break;
	default:
		snprintf(buf, len, "%" PRIu64, v);
		break;
	}
}

/* A tunable set to v loads as v, alone in a file. */
static void tunable_accepts(enum stack_tunable_id id, uint64_t v)
{
	const struct stack_tunable_desc *d = stack_tunable_desc(id);
	char text[256], value[48];
	struct synack_config c;
	unsigned line, col;

	tunable_text(d, v, value, sizeof(value));
	tunable_yaml(d->key, value, text, sizeof(text), &line, &col);
	/* rto.max below the default rto.min would break the rule min <= max. */
	if (id == STACK_TUN_rto_max && v < stack_tunable_desc(STACK_TUN_rto_min)->def)
		snprintf(text, sizeof(text), "tcp:\n  rto: { min: 1ms, initial: 1ms, max: %s }\n",
			 value);
	config_test_ok(text, &c);
	assert_int_equal(stack_tunables_read(&c.tcp, id), v);
}

static void tunable_refuses(enum stack_tunable_id id, const char *value, const char *words)
{
	const struct stack_tunable_desc *d = stack_tunable_desc(id);
	char text[256];
	unsigned line, col;

	tunable_yaml(d->key, value, text, sizeof(text), &line, &col);
	config_test_one_error(text, line, col, words);
}

static void test_tunables(void **state)
{
	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++) {
		enum stack_tunable_id id = (enum stack_tunable_id)i;
		const struct stack_tunable_desc *d = stack_tunable_desc(id);
		char value[48];

		print_message("tcp.%s\n", d->key);
		tunable_accepts(id, d->min);
		tunable_accepts(id, d->max);
		tunable_accepts(id, d->def);
		if (d->kind == STACK_TUN_BOOL) {
			tunable_refuses(id, "2", "expected a boolean");
			tunable_refuses(id, "\"true\"", "expected a boolean");
			continue;
		}
		if (d->kind == STACK_TUN_NAME) {
			/* by name only: neither the index nor an unknown name */
			tunable_refuses(id, "0", "expected one of");
			tunable_refuses(id, "vegas", "expected one of");
			continue;
		}
		tunable_text(d, d->max + 1, value, sizeof(value));
		tunable_refuses(id, value, "out of range");
		if (d->min > 0) {
			tunable_text(d, d->min - 1, value, sizeof(value));
			tunable_refuses(id, value, "out of range");
		}
		if (d->kind == STACK_TUN_DURATION) {
			tunable_refuses(id, "5",
					"expected a duration with a unit (us, ms, s, min, h)");
			tunable_refuses(id, "5parsecs", "expected a duration");
			tunable_refuses(id, "99999999999999999999h", "out of range");
		} else if (d->kind == STACK_TUN_SIZE) {
			tunable_refuses(id, "5kB", "expected a size");
			tunable_refuses(id, "0.5B", "finer than 1 byte");
		} else {
			tunable_refuses(id, "-1", "expected an integer");
			tunable_refuses(id, "1.5", "expected an integer");
			tunable_refuses(id, "99999999999999999999999", "out of range");
		}
	}
}

static void test_ints_and_bools(void **state)
{
	struct synack_config c;

	config_test_ok("interface: { mtu: 68 }\n", &c);
	assert_int_equal(c.interface.mtu, 68);
	config_test_ok("interface: { mtu: 65520 }\n", &c);
	assert_int_equal(c.interface.mtu, 65520);
	config_test_one_error("interface: { mtu: 67 }\n", 1, 19,
			      "interface.mtu: \"67\" is out of range (68..65520)");
	config_test_one_error("interface: { mtu: 65521 }\n", 1, 19, "out of range (68..65520)");
	config_test_one_error("interface:\n  mtu: \"1500\"\n", 2, 8, "not the quoted string");
	config_test_one_error("interface:\n  mtu: 01500\n", 2, 8, "no sign or leading zero");
	config_test_one_error("interface:\n  mtu: 0x5dc\n", 2, 8, "expected an integer");
	config_test_one_error("interface:\n  mtu: +1500\n", 2, 8, "expected an integer");
	config_test_one_error("interface:\n  mtu: 1500.0\n", 2, 8, "expected an integer");
	config_test_one_error("interface:\n  mtu: 1_500\n", 2, 8, "expected an integer");
	config_test_ok("services: { echo: 65535, discard: 0 }\n", &c);
	assert_int_equal(c.services.echo, 65535);
	config_test_one_error("services:\n  chargen: 65536\n", 2, 12, "out of range (0..65535)");
	config_test_one_error("impair:\n  seed: 18446744073709551616\n", 2, 9, "out of range");
	config_test_one_error("limits:\n  max_conns: 0\n", 2, 14, "out of range (1..1048576)");
	config_test_one_error("limits:\n  max_clients: 65537\n", 2, 16, "out of range (1..65536)");
	config_test_one_error("limits:\n  conns_per_client: 1048577\n", 2, 21, "out of range");
	config_test_one_error("history:\n  conns: 65537\n", 2, 10, "out of range (0..65536)");
	config_test_one_error("history:\n  events: 65537\n", 2, 11, "out of range (0..65536)");

	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
					   "YES",  "on",   "On",   "ON" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No",
					  "NO",	   "off",   "Off",   "OFF" };
	char text[64];

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "shutdown: { abort_on_disconnect: %s }\n", yes[i]);
		config_test_ok(text, &c);
		assert_true(c.shutdown.abort_on_disconnect);
		snprintf(text, sizeof(text), "interface: { offload: %s }\n", no[i]);
		config_test_ok(text, &c);
		assert_false(c.interface.offload);
	}
	config_test_one_error("interface:\n  offload: 1\n", 2, 12,
			      "expected a boolean (true/false, yes/no, on/off)");
	config_test_one_error("interface:\n  offload: 'yes'\n", 2, 12, "(quoted)");
	config_test_one_error("interface:\n  offload: tRUE\n", 2, 12, "expected a boolean");
}

static void test_units_in_keys(void **state)
{
	struct synack_config c;

	config_test_ok("impair: { delay: 1.5s, loss: 0.25% }\nshutdown: { drain: 2min }\n", &c);
	assert_int_equal(c.impair.delay_us, 1500000);
	assert_int_equal(c.impair.loss_ppm, 2500);
	assert_int_equal(c.shutdown.drain_us, 120000000);
	config_test_ok("history: { keep: 168h }\nlimits: { max_frame: 64MiB, buffered_per_client: "
		       "16GiB }\n",
		       &c);
	assert_int_equal(c.history.keep_us, 168ull * 3600000000ull);
	assert_int_equal(c.limits.max_frame, 64u << 20);
	assert_int_equal(c.limits.buffered_per_client, 16ull << 30);
	config_test_one_error("impair:\n  delay: 200\n", 2, 10,
			      "expected a duration with a unit (us, ms, s, min, h)");
	config_test_one_error("impair:\n  delay: 61s\n", 2, 10,
			      "\"61s\" is out of range (0s..1min)");
	config_test_one_error("impair:\n  loss: 5\n", 2, 9, "expected a percentage 0%..100%");
	config_test_one_error("impair:\n  loss: 100.5%\n", 2, 9, "out of range (0%..100%)");
	config_test_one_error("impair:\n  corrupt: 0.00001%\n", 2, 12, "finer than 0.0001%");
	config_test_one_error("impair:\n  duplicate: -1%\n", 2, 14, "expected a percentage");
	config_test_one_error("impair:\n  reorder: 1%%\n", 2, 12, "expected a percentage");
	config_test_one_error("limits:\n  max_frame: 128MiB\n", 2, 14,
			      "out of range (4KiB..64MiB)");
	config_test_one_error("limits:\n  max_frame: 1MB\n", 2, 14, "(B, KiB, MiB, GiB)");
	config_test_one_error("limits:\n  buffered_per_client: 17GiB\n", 2, 24,
			      "out of range (64KiB..16GiB)");
	config_test_one_error("shutdown:\n  drain: 2h\n", 2, 10, "out of range (0s..1h)");
	config_test_one_error("history:\n  keep: 169h\n", 2, 9, "out of range");
	config_test_one_error("history:\n  keep: 1d\n", 2, 9, "expected a duration");
}

static void test_strings(void **state)
{
	struct synack_config c;

	config_test_ok("interface: { tap: abcdefghijklmno }\n", &c);
	assert_string_equal(c.interface.tap, "abcdefghijklmno");
	config_test_ok("interface: { tap: \"tap0\" }\n", &c);
	assert_string_equal(c.interface.tap, "tap0");
	config_test_one_error("interface: { tap: abcdefghijklmnop }\n", 1, 19,
			      "must be 1..15 bytes long");
	config_test_one_error("interface: { tap: \"\" }\n", 1, 19, "must be 1..15 bytes long");
	config_test_one_error("interface: { tap: a/b }\n", 1, 19, "must not be");
	config_test_one_error("interface: { tap: \"a b\" }\n", 1, 19, "must not be");
	config_test_one_error("interface: { tap: \"a:b\" }\n", 1, 19, "must not be");
	config_test_one_error("interface: { tap: .. }\n", 1, 19, "must not be");
	/* A plain scalar is text for a string key, even one YAML would call a number. */
	config_test_ok("interface:\n  tap: 0\n", &c);
	assert_string_equal(c.interface.tap, "0");

	config_test_ok("interface: { netns: \"\" }\n", &c);
	assert_string_equal(c.interface.netns, "");
	config_test_one_error("interface: { netns: pod }\n", 1, 21,
			      "expected an absolute path, not \"pod\" (or \"\" for none)");
	config_test_one_error("rpc: { socket: \"\" }\n", 1, 16,
			      "expected an absolute path, not \"\"");
	config_test_one_error("rpc: { socket: run/s.sock }\n", 1, 16, "expected an absolute path");

	char text[256], path[120];

	memset(path, 'a', sizeof(path));
	path[0] = '/';
	snprintf(text, sizeof(text), "control:\n  socket: %.*s\n", 107, path);
	config_test_ok(text, &c);
	assert_int_equal(strlen(c.control.socket), 107);
	snprintf(text, sizeof(text), "control:\n  socket: %.*s\n", 108, path);
	config_test_one_error(text, 2, 11, "is longer than 107 bytes");

	config_test_ok("rpc: { group: users_1.x-y }\n", &c);
	assert_string_equal(c.rpc.group, "users_1.x-y");
	config_test_one_error("rpc: { group: -x }\n", 1, 15, "expected a group name");
	config_test_one_error("rpc: { group: \"a b\" }\n", 1, 15, "expected a group name");
	config_test_one_error("control: { admin_group: abcdefghijklmnopqrstuvwxyzabcdefg }\n", 1,
			      25, "up to 32");
	config_test_one_error("control: { group: 'é' }\n", 1, 19, "expected a group name");

	config_test_ok("rpc: { mode: 777 }\n", &c);
	assert_int_equal(c.rpc.mode, 0777);
	config_test_ok("rpc: { mode: 0 }\n", &c);
	assert_int_equal(c.rpc.mode, 0);
	config_test_one_error("rpc: { mode: 0800 }\n", 1, 14, "expected an octal file mode");
	config_test_one_error("rpc: { mode: 1777 }\n", 1, 14, "expected an octal file mode");
	config_test_one_error("control: { mode: rw }\n", 1, 18, "expected an octal file mode");
	config_test_one_error("control: { mode: 0o }\n", 1, 18, "expected an octal file mode");
}

static void test_addresses(void **state)
{
	struct synack_config c;
	static const uint8_t mac[6] = { 0x02, 0, 0, 0x4d, 0, 0x02 };

	config_test_ok(
		"interface: { address: 10.0.0.5/8, gateway: \"\", peer_address: 10.9.9.9 }\n", &c);
	assert_int_equal(c.interface.address, IP(10, 0, 0, 5));
	assert_int_equal(c.interface.prefix_len, 8);
	assert_int_equal(c.interface.gateway, 0);
	assert_int_equal(c.interface.peer_address, IP(10, 9, 9, 9));
	config_test_ok("interface: { address: 10.77.0.2/32, configure: false, gateway: '' }\n", &c);
	assert_int_equal(c.interface.prefix_len, 32);
	config_test_one_error("interface:\n  address: 10.77.0.2\n", 2, 12,
			      "with prefix length like 10.77.0.2/24");
	config_test_one_error("interface:\n  address: 10.77.0.2/33\n", 2, 12,
			      "prefix length in \"10.77.0.2/33\" is out of range (1..32)");
	config_test_one_error("interface:\n  address: 10.77.0.2/0\n", 2, 12,
			      "out of range (1..32)");
	config_test_one_error("interface:\n  address: 10.77.0.2/024\n", 2, 12,
			      "with prefix length");
	config_test_one_error("interface:\n  address: 10.77.0.256/24\n", 2, 12,
			      "with prefix length");
	config_test_one_error("interface:\n  address: 10.77.0/24\n", 2, 12, "with prefix length");
	config_test_one_error("interface:\n  address: 127.0.0.1/8\n", 2, 12,
			      "is not a host address");
	config_test_one_error("interface:\n  address: 1234567890123456789/8\n", 2, 12,
			      "with prefix length");
	config_test_one_error("interface:\n  gateway: 224.0.0.1\n", 2, 12, "is not a host address");
	config_test_one_error("interface:\n  gateway: 10.77.0.x\n", 2, 12,
			      "expected an IPv4 address like 10.77.0.1 (or \"\" for none)");
	config_test_one_error("interface:\n  peer_address: \"\"\n", 2, 17,
			      "expected an IPv4 address");
	config_test_one_error("interface:\n  peer_address: 255.255.255.255\n", 2, 17,
			      "not a host address");
	config_test_one_error("interface:\n  peer_address: 0.0.0.0\n", 2, 17, "not a host address");

	config_test_ok("interface: { mac: \"02:00:00:4d:00:02\" }\n", &c);
	assert_memory_equal(c.interface.mac, mac, 6);
	config_test_ok("interface: { mac: '' }\n", &c);
	assert_memory_equal(c.interface.mac, "\0\0\0\0\0\0", 6);
	config_test_one_error("interface: { mac: \"03:00:00:4d:00:02\" }\n", 1, 19, "multicast");
	config_test_one_error("interface: { mac: \"02:00:00:4d:00\" }\n", 1, 19,
			      "expected a MAC address");
	config_test_one_error("interface: { mac: \"02-00-00-4d-00-02\" }\n", 1, 19,
			      "expected a MAC address");
	config_test_one_error("interface: { mac: \"02:00:00:4d:00:0g\" }\n", 1, 19,
			      "expected a MAC address");
	config_test_one_error("interface: { mac: \"02:00:00:4d:00:023\" }\n", 1, 19,
			      "expected a MAC address");
}

static void test_enums(void **state)
{
	static const char *const levels[] = { "err", "warning", "notice", "info", "debug" };
	static const char *const dirs[] = { "both", "in", "out" };
	struct synack_config c;
	char text[64];

	for (unsigned i = 0; i < 5; i++) {
		snprintf(text, sizeof(text), "log: { level: %s }\n", levels[i]);
		config_test_ok(text, &c);
		assert_int_equal(c.log.level, i);
	}
	for (unsigned i = 0; i < 3; i++) {
		snprintf(text, sizeof(text), "impair: { direction: \"%s\" }\n", dirs[i]);
		config_test_ok(text, &c);
		assert_int_equal(c.impair.direction, i);
	}
	config_test_ok("shutdown: { mode: fin }\n", &c);
	assert_int_equal(c.shutdown.mode, CONFIG_CLOSE_FIN);
	config_test_one_error("log:\n  level: warn\n", 2, 10,
			      "expected one of err, warning, notice, info, debug, not \"warn\"");
	config_test_one_error("log:\n  level: INFO\n", 2, 10, "expected one of");
	config_test_one_error("shutdown:\n  mode: reset\n", 2, 9, "expected one of fin, rst");
	config_test_one_error("impair:\n  direction: up\n", 2, 14, "expected one of both, in, out");
}

/* Cross-key rules, placed at the value the file gave. */
static void test_cross_checks(void **state)
{
	struct synack_config c;

	config_test_one_error("interface:\n  peer_address: 10.77.0.2\n", 2, 17,
			      "is the stack's own address");
	config_test_one_error("interface:\n  peer_address: 10.78.0.1\n", 2, 17,
			      "not inside interface.address's subnet 10.77.0.2/24");
	config_test_ok("interface:\n  peer_address: 10.78.0.1\n  configure: false\n", &c);
	config_test_one_error("interface:\n  gateway: 10.78.0.1\n", 2, 12,
			      "interface.gateway: not inside");
	config_test_one_error("interface:\n  gateway: 10.77.0.1\n  address: 10.77.0.1/24\n  "
			      "peer_address: 10.77.0.3\n",
			      3, 12, "interface.gateway: 10.77.0.1 is the stack's own address");
	config_test_one_error("interface:\n  address: 10.77.0.0/24\n", 2, 12,
			      "network or broadcast");
	config_test_one_error("interface:\n  address: 10.77.0.255/24\n", 2, 12,
			      "network or broadcast");
	config_test_one_error("tcp:\n  rto:\n    min: 3s\n    max: 2s\n", 4, 10,
			      "tcp.rto.min (3s) is above tcp.rto.max (2s)");
	config_test_one_error("tcp:\n  rto:\n    max: 500ms\n", 3, 10,
			      "tcp.rto.initial (1s) is above tcp.rto.max (500ms)");
	config_test_one_error("services:\n  echo: 7\n  chargen: 7\n", 3, 12,
			      "services.echo and services.chargen both use port 7");
	config_test_ok("services:\n  echo: 0\n  chargen: 0\n", &c);
}

/* The impairment keys added for the impairment stage (issue 10), their rules, and the
 * same checks for what synackctl impair sends (config_impair_check). */
static void test_impair_keys(void **state)
{
	struct synack_config c, def;
	char why[200];

	config_test_ok("impair:\n"
		       "  match: syn,synack,other\n"
		       "  duplicate_delay: 3s\n"
		       "  reorder_frames: 3\n"
		       "  reorder_time: 0ms\n"
		       "  jitter: 2ms\n"
		       "  rate: 10000000\n"
		       "  gilbert_elliott: { p: 1%, r: 25%, bad_loss: 90%, good_loss: 0.1% }\n",
		       &c);
	assert_int_equal(c.impair.match, (1u << 0) | (1u << 1) | (1u << 6));
	assert_int_equal(c.impair.duplicate_delay_us, 3000000);
	assert_int_equal(c.impair.reorder_frames, 3);
	assert_int_equal(c.impair.reorder_time_us, 0);
	assert_int_equal(c.impair.jitter_us, 2000);
	assert_int_equal(c.impair.rate_bps, 10000000);
	assert_int_equal(c.impair.ge_p_ppm, 10000);
	assert_int_equal(c.impair.ge_r_ppm, 250000);
	assert_int_equal(c.impair.ge_bad_loss_ppm, 900000);
	assert_int_equal(c.impair.ge_good_loss_ppm, 1000);
	assert_true(config_impair_active(&c.impair));
	assert_int_equal(config_impair_check(&c.impair, why, sizeof(why)), 0);
	config_defaults(&def);
	assert_int_equal(def.impair.match, 0);
	assert_false(config_impair_active(&def.impair));
	config_test_ok("impair: { match: all }\n", &c);
	assert_int_equal(c.impair.match, 0);

	config_test_one_error("impair:\n  match: syn,bogus\n", 2, 10,
			      "expected all, or a comma-separated list of syn, synack");
	config_test_one_error("impair:\n  match: syn,\n", 2, 10, "comma-separated list");
	config_test_one_error("impair:\n  rate: 100000000001\n", 2, 9, "out of range");
	/* rules across keys: a reorder that holds nothing back, a burst that never ends */
	config_test_one_error("impair:\n  reorder: 1%\n  reorder_frames: 0\n  reorder_time: 0s\n",
			      4, 17, "impair.reorder needs reorder_frames or reorder_time");
	config_test_one_error("impair:\n  gilbert_elliott: { p: 1%, r: 0% }\n", 2, 32,
			      "burst would never end");

	/* synackctl impair's values are held to the same ranges and rules */
	config_defaults(&c);
	c.impair.delay_us = 61000000;
	assert_int_equal(config_impair_check(&c.impair, why, sizeof(why)), -ERANGE);
	assert_non_null(strstr(why, "impair.delay"));
	config_defaults(&c);
	c.impair.loss_ppm = 1000001;
	assert_int_equal(config_impair_check(&c.impair, why, sizeof(why)), -ERANGE);
	config_defaults(&c);
	c.impair.direction = (enum config_impair_dir)3;
	assert_int_equal(config_impair_check(&c.impair, why, sizeof(why)), -ERANGE);
	config_defaults(&c);
	c.impair.match = 1u << 7;
	assert_int_equal(config_impair_check(&c.impair, why, sizeof(why)), -ERANGE);
	config_defaults(&c);
	c.impair.reorder_ppm = 10000;
	c.impair.reorder_frames = 0;
	c.impair.reorder_time_us = 0;
	assert_int_equal(config_impair_check(&c.impair, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "reorder_frames"));
}

/*
 * c as one YAML document: every key in table order, nested by its dotted path
 * (a section's keys, and a subsection's, are together in the table), each value
 * as config_key_format() writes it.
 */
static void emit_yaml(const struct synack_config *c, char *buf, size_t len)
{
	char prev[CONFIG_KEY_PATH_MAX] = "", value[CONFIG_VALUE_MAX];
	size_t o = 0;

	for (size_t i = 0; i < config_key_count(); i++) {
		const char *path = config_key_path(i), *p = path;
		size_t depth = 0, same = 0;

		assert_true(config_key_format(i, c, value, sizeof(value)) > 0);
		/* the leading components this path shares with the previous one */
		while (strchr(p, '.')) {
			size_t n = (size_t)(strchr(p, '.') - path) + 1;

			if (strncmp(prev, path, n) == 0)
				same = depth + 1;
			else
				break;
			p = path + n;
			depth++;
		}
		p = path;
		for (depth = 0; strchr(p, '.'); depth++) {
			const char *dot = strchr(p, '.');

			if (depth >= same)
				o += (size_t)snprintf(buf + o, len - o, "%*s%.*s:\n",
						      (int)(2 * depth), "", (int)(dot - p), p);
			p = dot + 1;
		}
		o += (size_t)snprintf(buf + o, len - o, "%*s%s: %s\n", (int)(2 * depth), "", p,
				      value);
		assert_true(o < len);
		snprintf(prev, sizeof(prev), "%s", path);
	}
}

/* Every key's value written as the file writes it reads back as the same value. */
static void test_key_format(void **state)
{
	static char yaml[16384];
	struct synack_config c, back;
	struct config_errors errs = { 0 };
	struct config_pos pos[CONFIG_KEYS_MAX];
	static const uint8_t mac[6] = { 0x02, 0xaa, 0xbb, 0x0c, 0x0d, 0xff };
	enum stack_tunable_id id;
	char v[CONFIG_VALUE_MAX];

	/* the defaults: the whole file names every key once */
	config_defaults(&c);
	emit_yaml(&c, yaml, sizeof(yaml));
	assert_int_equal(config_load_buffer_pos("t.yaml", yaml, strlen(yaml), &back, &errs, pos),
			 0);
	assert_memory_equal(&c, &back, sizeof(c));
	for (size_t i = 0; i < config_key_count(); i++)
		assert_true(pos[i].line > 0);

	/* values other than the defaults, of every type */
	snprintf(c.interface.tap, sizeof(c.interface.tap), "tap-x.1");
	c.interface.mtu = 9000;
	c.interface.offload = false;
	c.interface.address = IP(192, 168, 50, 10);
	c.interface.prefix_len = 16;
	c.interface.gateway = 0;
	memcpy(c.interface.mac, mac, 6);
	c.interface.peer_address = IP(192, 168, 50, 1);
	snprintf(c.interface.netns, sizeof(c.interface.netns), "/run/netns/pod");
	memset(c.rpc.group, 0, sizeof(c.rpc.group));
	c.rpc.mode = 0600;
	c.rpc.idle_timeout_us = 0;
	c.impair.loss_ppm = 15000;
	c.impair.duplicate_ppm = 1;
	c.impair.match = 1u << 0 | 1u << 2; /* syn, fin */
	c.impair.direction = CONFIG_IMPAIR_OUT;
	c.impair.seed = UINT64_MAX;
	c.limits.buffered_per_client = 3ull << 29;
	c.shutdown.mode = CONFIG_CLOSE_RST;
	c.log.level = CONFIG_LOG_DEBUG;
	c.tcp.msl = 1500000;
	c.tcp.sack = 0;
	c.tcp.send_buffer = 1536 << 10;
	c.tcp.congestion_control = STACK_CC_NEWRENO;
	emit_yaml(&c, yaml, sizeof(yaml));
	if (config_load_buffer_pos("t.yaml", yaml, strlen(yaml), &back, &errs, pos) != 0) {
		print_message("%s", yaml);
		config_test_dump(&errs);
		fail();
	}
	assert_memory_equal(&c, &back, sizeof(c));

	/* as the reload report shows them */
	static const struct {
		const char *key, *text;
	} want[] = {
		{ "interface.tap", "tap-x.1" },
		{ "interface.mtu", "9000" },
		{ "interface.offload", "false" },
		{ "interface.address", "192.168.50.10/16" },
		{ "interface.gateway", "\"\"" },
		{ "interface.mac", "02:aa:bb:0c:0d:ff" },
		{ "rpc.group", "\"\"" },
		{ "rpc.mode", "0600" },
		{ "rpc.idle_timeout", "0s" },
		{ "impair.loss", "1.5%" },
		{ "impair.match", "syn,fin" },
		{ "impair.direction", "out" },
		{ "impair.seed", "18446744073709551615" },
		{ "limits.buffered_per_client", "1536MiB" },
		{ "log.level", "debug" },
		{ "tcp.msl", "1500ms" },
		{ "tcp.sack", "false" },
		{ "tcp.send_buffer", "1536KiB" },
		{ "tcp.congestion_control", "newreno" },
		{ "tcp.rto.min", "200ms" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int k = config_key_find(want[i].key);

		assert_true(k >= 0);
		assert_int_equal(config_key_format((size_t)k, &c, v, sizeof(v)),
				 (int)strlen(want[i].text));
		assert_string_equal(v, want[i].text);
	}
	assert_int_equal(config_key_format((size_t)config_key_find("interface.address"), &c, v, 8),
			 -ENOBUFS);
	assert_int_equal(config_key_format(config_key_count(), &c, v, sizeof(v)), -ENOENT);
	assert_null(config_key_path(config_key_count()));

	/* tunables by key; a copy takes the prefix length with the address */
	assert_int_equal(config_key_tunable_id((size_t)config_key_find("tcp.msl"), &id), 0);
	assert_int_equal(id, STACK_TUN_msl);
	assert_int_equal(config_key_tunable_id((size_t)config_key_find("interface.mtu"), &id),
			 -ENOENT);
	config_defaults(&back);
	assert_int_equal(config_key_copy((size_t)config_key_find("interface.address"), &back, &c),
			 0);
	assert_int_equal(back.interface.address, IP(192, 168, 50, 10));
	assert_int_equal(back.interface.prefix_len, 16);
	assert_int_equal(back.interface.mtu, 1500);
	assert_int_equal(config_key_copy(config_key_count(), &back, &c), -ENOENT);
	config_errors_free(&errs);
}

/* config_load_file_named() says which keys the file gave a value, and only those. */
static void test_load_file_named(void **state)
{
	static const char text[] = "tcp:\n  msl: 1s\n  rto: { min: 300ms }\nservices:\nlog:\n"
				   "  level: debug\n";
	char dir[] = "/tmp/config-named-XXXXXX", path[64];
	struct config_errors errs = { 0 };
	bool named[CONFIG_KEYS_MAX];
	struct synack_config c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	memset(named, 0x55, sizeof(named));
	assert_int_equal(config_load_file_named(path, &c, &errs, named), 0);
	for (size_t i = 0; i < config_key_count(); i++) {
		const char *k = config_key_path(i);
		bool want = !strcmp(k, "tcp.msl") || !strcmp(k, "tcp.rto.min") ||
			    !strcmp(k, "log.level");

		if (named[i] != want)
			fail_msg("%s: named %d", k, named[i]);
	}
	assert_int_equal(c.tcp.msl, 1000000);
	unlink(path);
	rmdir(dir);
	config_errors_free(&errs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),	cmocka_unit_test(test_key_table),
		cmocka_unit_test(test_every_key),	cmocka_unit_test(test_tunables),
		cmocka_unit_test(test_ints_and_bools),	cmocka_unit_test(test_units_in_keys),
		cmocka_unit_test(test_strings),		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_enums),		cmocka_unit_test(test_cross_checks),
		cmocka_unit_test(test_impair_keys),	cmocka_unit_test(test_key_format),
		cmocka_unit_test(test_load_file_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
