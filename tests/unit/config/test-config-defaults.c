/* SPDX-License-Identifier: MIT */
/*
 * test-config-defaults.c - config/synackd.yaml, the documented default
 * configuration, is a fixture: it must load without error, name every key
 * of the table, and give exactly config_defaults(), field by field and byte
 * by byte. Usage: test-config-defaults PATH/TO/synackd.yaml
 */
#include <errno.h>
#include <stdlib.h>

#include "config-test.h"
#include "config_internal.h"
#include "stack.h"

static const char *default_file;

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(CONFIG_FILE_MAX);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, CONFIG_FILE_MAX, f);
	fclose(f);
	return buf;
}

static void test_file_gives_defaults(void **state)
{
	struct config_errors errs = { 0 };
	struct synack_config def, c;
	int r;

	config_defaults(&def);
	memset(&c, 0xee, sizeof(c));
	r = config_load_file(default_file, &c, &errs);
	if (r < 0)
		config_test_dump(&errs);
	assert_int_equal(r, 0);
	assert_int_equal(errs.n, 0);
	config_errors_free(&errs);

	assert_string_equal(c.interface.tap, def.interface.tap);
	assert_int_equal(c.interface.mtu, def.interface.mtu);
	assert_int_equal(c.interface.offload, def.interface.offload);
	assert_int_equal(c.interface.address, def.interface.address);
	assert_int_equal(c.interface.prefix_len, def.interface.prefix_len);
	assert_int_equal(c.interface.gateway, def.interface.gateway);
	assert_memory_equal(c.interface.mac, def.interface.mac, 6);
	assert_int_equal(c.interface.configure, def.interface.configure);
	assert_int_equal(c.interface.peer_address, def.interface.peer_address);
	assert_string_equal(c.interface.netns, def.interface.netns);
	assert_string_equal(c.rpc.socket, def.rpc.socket);
	assert_string_equal(c.rpc.group, def.rpc.group);
	assert_int_equal(c.rpc.mode, def.rpc.mode);
	assert_string_equal(c.control.socket, def.control.socket);
	assert_string_equal(c.control.group, def.control.group);
	assert_string_equal(c.control.admin_group, def.control.admin_group);
	assert_int_equal(c.control.mode, def.control.mode);
	for (unsigned i = 0; i < STACK_TUN_COUNT_; i++) {
		enum stack_tunable_id id = (enum stack_tunable_id)i;

		print_message("tcp.%s\n", stack_tunable_desc(id)->key);
		assert_int_equal(stack_tunables_read(&c.tcp, id),
				 stack_tunables_read(&def.tcp, id));
		assert_int_equal(stack_tunables_read(&c.tcp, id), stack_tunable_desc(id)->def);
	}
	assert_int_equal(c.services.echo, def.services.echo);
	assert_int_equal(c.services.discard, def.services.discard);
	assert_int_equal(c.services.chargen, def.services.chargen);
	assert_int_equal(c.impair.loss_ppm, def.impair.loss_ppm);
	assert_int_equal(c.impair.duplicate_ppm, def.impair.duplicate_ppm);
	assert_int_equal(c.impair.reorder_ppm, def.impair.reorder_ppm);
	assert_int_equal(c.impair.corrupt_ppm, def.impair.corrupt_ppm);
	assert_int_equal(c.impair.delay_us, def.impair.delay_us);
	assert_int_equal(c.impair.seed, def.impair.seed);
	assert_int_equal(c.impair.direction, def.impair.direction);
	assert_int_equal(c.limits.max_conns, def.limits.max_conns);
	assert_int_equal(c.limits.max_clients, def.limits.max_clients);
	assert_int_equal(c.limits.conns_per_client, def.limits.conns_per_client);
	assert_int_equal(c.limits.buffered_per_client, def.limits.buffered_per_client);
	assert_int_equal(c.limits.max_frame, def.limits.max_frame);
	assert_int_equal(c.limits.max_time_wait, def.limits.max_time_wait);
	assert_int_equal(c.limits.max_time_wait, STACK_DEFAULT_MAX_TIME_WAIT);
	assert_int_equal(c.limits.max_orphans, def.limits.max_orphans);
	assert_int_equal(c.limits.max_orphans, STACK_DEFAULT_MAX_ORPHANS);
	assert_int_equal(c.limits.clients_per_uid, def.limits.clients_per_uid);
	assert_int_equal(c.limits.conns_per_uid, def.limits.conns_per_uid);
	assert_int_equal(c.rpc.hello_timeout_us, def.rpc.hello_timeout_us);
	assert_int_equal(c.rpc.idle_timeout_us, def.rpc.idle_timeout_us);
	assert_int_equal(c.shutdown.mode, def.shutdown.mode);
	assert_int_equal(c.shutdown.drain_us, def.shutdown.drain_us);
	assert_int_equal(c.shutdown.abort_on_disconnect, def.shutdown.abort_on_disconnect);
	assert_int_equal(c.log.level, def.log.level);
	assert_int_equal(c.history.conns, def.history.conns);
	assert_int_equal(c.history.keep_us, def.history.keep_us);
	assert_int_equal(c.history.events, def.history.events);
	/* And nothing else differs, padding included. */
	assert_memory_equal(&c, &def, sizeof(c));
}

/* Every key of the table is written in the file (so it documents them all). */
static void test_file_names_every_key(void **state)
{
	struct config_pos pos[CONFIG_KEYS_MAX];
	struct synack_config c;
	size_t len;
	char *buf = read_all(default_file, &len);
	unsigned missing = 0;

	memset(pos, 0, sizeof(pos));
	assert_int_equal(config_load_buffer_pos(default_file, buf, len, &c, NULL, pos), 0);
	for (size_t i = 0; i < config_key_count(); i++) {
		if (pos[i].line == 0) {
			print_message("%s is not in %s\n", config_key_at(i)->path, default_file);
			missing++;
		}
	}
	assert_int_equal(missing, 0);
	free(buf);
}

/* The text of line n (1-based) of buf, in out. */
static void line_text(const char *buf, size_t len, unsigned n, char *out, size_t outlen)
{
	const char *p = buf, *end = buf + len, *nl;

	for (unsigned i = 1; i < n && p < end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	nl = memchr(p, '\n', (size_t)(end - p));
	snprintf(out, outlen, "%.*s", (int)((nl ? nl : end) - p), p);
}

/* The range a key's comment should state, as the formatters write its bounds; 0 if none. */
static int key_range(const struct config_key *k, char *out, size_t len)
{
	const struct stack_tunable_desc *d = config_key_tunable(k);
	int kind = d ? (int)d->kind : -1;
	uint64_t min = d ? d->min : k->min, max = d ? d->max : k->max;
	char lo[32], hi[32];

	if (k->type == CONFIG_T_DURATION || kind == STACK_TUN_DURATION) {
		config_format_duration(min, lo, sizeof(lo));
		config_format_duration(max, hi, sizeof(hi));
	} else if (k->type == CONFIG_T_SIZE || kind == STACK_TUN_SIZE) {
		config_format_size(min, lo, sizeof(lo));
		config_format_size(max, hi, sizeof(hi));
	} else if (k->type == CONFIG_T_UINT || kind == STACK_TUN_COUNT) {
		snprintf(lo, sizeof(lo), "%llu", (unsigned long long)min);
		snprintf(hi, sizeof(hi), "%llu", (unsigned long long)max);
	} else {
		return 0;
	}
	snprintf(out, len, "%s..%s", lo, hi);
	return 1;
}

/* The comment on each numeric key's line states the range the loader enforces. */
static void test_file_documents_ranges(void **state)
{
	struct config_pos pos[CONFIG_KEYS_MAX];
	struct synack_config c;
	unsigned wrong = 0;
	size_t len;
	char *buf = read_all(default_file, &len);

	assert_int_equal(config_load_buffer_pos(default_file, buf, len, &c, NULL, pos), 0);
	for (size_t i = 0; i < config_key_count(); i++) {
		const struct config_key *k = config_key_at(i);
		char line[256], range[80];

		if (!key_range(k, range, sizeof(range)))
			continue;
		line_text(buf, len, pos[i].line, line, sizeof(line));
		if (!strstr(line, range)) {
			print_message("%s: line %u does not state the range %s: %s\n", k->path,
				      pos[i].line, range, line);
			wrong++;
		}
	}
	assert_int_equal(wrong, 0);
	free(buf);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_gives_defaults),
		cmocka_unit_test(test_file_names_every_key),
		cmocka_unit_test(test_file_documents_ranges),
	};

	default_file = argc > 1 ? argv[1] : getenv("SYNACK_DEFAULT_CONFIG");
	if (!default_file) {
		fprintf(stderr, "usage: %s PATH/TO/synackd.yaml\n", argv[0]);
		return 2;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
