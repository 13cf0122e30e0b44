/* SPDX-License-Identifier: MIT */
/*
 * config.h - synackd's configuration: one typed struct with an embedded
 * default for every key, loaded from YAML (libyaml) with every error in the
 * file reported as FILE:LINE:COLUMN: message (1-based).
 *
 * The tcp: section is the core's tunables table (daemon/stack/tunables.h),
 * so its keys, defaults and ranges are defined there once.
 */
#ifndef SYNACK_CONFIG_H
#define SYNACK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tunables.h"

#define CONFIG_PATH_MAX 108 /* sun_path */
#define CONFIG_NAME_MAX 64

enum config_log_level {
	CONFIG_LOG_ERR,
	CONFIG_LOG_WARNING,
	CONFIG_LOG_NOTICE,
	CONFIG_LOG_INFO,
	CONFIG_LOG_DEBUG,
};

enum config_close_mode {
	CONFIG_CLOSE_FIN, /* graceful close, bounded by drain time */
	CONFIG_CLOSE_RST,
};

enum config_impair_dir {
	CONFIG_IMPAIR_BOTH,
	CONFIG_IMPAIR_IN,
	CONFIG_IMPAIR_OUT,
};

/* impair.match: the kinds of segment a rule acts on, bit i for name i (as impair.h's
 * IMPAIR_MATCH_* bits); "all" (0) acts on every frame. NULL-terminated. */
extern const char *const config_impair_match_names[];

struct synack_config {
	struct {
		char tap[16];	  /* IFNAMSIZ: create, or attach to a persistent TAP */
		uint32_t mtu;	  /* 68..65520 */
		bool offload;	  /* IFF_VNET_HDR + TUNSETOFFLOAD */
		uint32_t address; /* ours, host order */
		uint8_t prefix_len;
		uint32_t gateway;      /* 0 = none */
		uint8_t mac[6];	       /* all zero = derive one */
		bool configure;	       /* bring the link up and give the kernel side peer_address */
		uint32_t peer_address; /* the kernel side's address (with prefix_len) */
		char netns[CONFIG_PATH_MAX]; /* "" = current; else a path like /run/netns/NAME */
		uint64_t busy_poll_us; /* poll this long after a wake before sleeping; 0 = off */
	} interface;
	struct {
		char socket[CONFIG_PATH_MAX];
		char group[CONFIG_NAME_MAX]; /* "" = leave as is */
		uint32_t mode;		     /* socket file mode, e.g. 0660 */
		uint64_t hello_timeout_us;   /* Hello must arrive within this */
		uint64_t idle_timeout_us;    /* no connection, no request: hang up; 0 = never */
	} rpc;
	struct {
		char socket[CONFIG_PATH_MAX];
		char group[CONFIG_NAME_MAX];	   /* readers */
		char admin_group[CONFIG_NAME_MAX]; /* writers */
		uint32_t mode;
	} control;
	struct stack_tunables tcp;
	struct {
		uint16_t echo, discard, chargen; /* 0 = off */
	} services;
	struct config_impair {
		uint32_t loss_ppm, duplicate_ppm, reorder_ppm, corrupt_ppm; /* parts per million */
		uint64_t delay_us;
		uint64_t seed;
		enum config_impair_dir direction;
		/* Gilbert-Elliott bursts: enter BAD (p), leave it (r), loss in BAD and GOOD */
		uint32_t ge_p_ppm, ge_r_ppm, ge_bad_loss_ppm, ge_good_loss_ppm;
		uint64_t duplicate_delay_us; /* the copy follows the original this much later */
		uint32_t reorder_frames;  /* a reordered frame waits for this many later frames */
		uint64_t reorder_time_us; /* ... or this long (the cap; alone when frames is 0) */
		uint64_t jitter_us;	  /* delay +- jitter, uniform */
		uint64_t rate_bps;	  /* token bucket, bits per second; 0 = no limit */
		uint32_t match;		  /* bit i = config_impair_match_names[i]; 0 = all */
	} impair;
	struct {
		uint32_t max_conns;   /* connection slots in the stack */
		uint32_t max_clients; /* RPC sessions */
		uint32_t conns_per_client;
		uint64_t buffered_per_client; /* bytes */
		uint32_t max_frame;	      /* largest RPC frame, bytes */
		uint64_t memory;	      /* socket buffer budget of the stack, bytes */
		uint64_t memory_per_uid;      /* ... of which one uid may hold */
		uint32_t max_time_wait;	      /* TIME-WAIT records, outside max_conns */
		uint32_t max_orphans;	      /* closed by their owner, still finishing */
		uint32_t clients_per_uid;     /* RPC sessions of one uid */
		uint32_t conns_per_uid;	      /* connections of one uid's RPC sessions */
	} limits;
	struct {
		enum config_close_mode mode;
		uint64_t drain_us;
		bool abort_on_disconnect; /* a vanished client's connections get RST */
	} shutdown;
	struct {
		enum config_log_level level;
	} log;
	struct {
		uint32_t conns;	  /* closed connections whose history is kept */
		uint64_t keep_us; /* how long it is kept after close */
		uint32_t events;  /* history entries per connection */
	} history;
};

struct config_error {
	unsigned line, column; /* 1-based; 0 when the error has no position */
	char message[160];
};

struct config_errors {
	char file[256];
	struct config_error *v;
	size_t n, cap;
};

/* Every key's embedded default. */
void config_defaults(struct synack_config *c);
/*
 * Load a file over the defaults. On success returns 0 and writes *ret. On
 * failure returns -EINVAL (errors in errs) or another -errno (file unreadable,
 * also recorded in errs), and leaves *ret untouched.
 * errs must be zero-initialised or from an earlier load: it is emptied first,
 * then holds this load's errors (none on success). errs may be NULL.
 * The YAML rules (units, null sections, no anchors/tags, one document) are
 * documented at the top of config/synackd.yaml.
 */
int config_load_file(const char *path, struct synack_config *ret, struct config_errors *errs);
/* The same from a buffer; name is used as FILE in messages. */
int config_load_buffer(const char *name, const char *buf, size_t len, struct synack_config *ret,
		       struct config_errors *errs);
/* Print each error as FILE:LINE:COLUMN: message, one per line. */
void config_errors_print(const struct config_errors *errs, FILE *f);
void config_errors_free(struct config_errors *errs);

/*
 * config_load_file() that also says which keys the file names: ret_named[i]
 * is true for key i (config_key_path(i)) when the file gives it a value,
 * false when it comes from the defaults. ret_named has CONFIG_KEYS_MAX
 * entries, written on success (may be NULL). A reload uses it to keep what
 * `synackctl set` changed unless the file names the key.
 */
int config_load_file_named(const char *path, struct synack_config *ret, struct config_errors *errs,
			   bool *ret_named);

/* Upper bound on the number of keys (checked at compile time). */
#define CONFIG_KEYS_MAX	 128
/* Room for any key's value as config_key_format() writes it (paths are the longest). */
#define CONFIG_VALUE_MAX 112

/* The keys one by one, in the table's order (sections together): i < config_key_count(). */
size_t config_key_count(void);
/* Key i's dotted path as the file writes it ("tcp.rto.min"); NULL past the end. */
const char *config_key_path(size_t i);
/* Key i is a tcp: key: the tunable it sets in *ret; else -ENOENT. */
int config_key_tunable_id(size_t i, enum stack_tunable_id *ret);
/*
 * c's value of key i written the way the file writes it and the parser reads it
 * back ("30s", "256KiB", "10.77.0.2/24", "0660", "cubic"; "" for an empty string),
 * so two values differ exactly when their texts do. Returns the length, -ENOENT
 * past the end, or -ENOBUFS when buf is too short (CONFIG_VALUE_MAX always fits).
 */
int config_key_format(size_t i, const struct synack_config *c, char *buf, size_t len);
/* Copy key i's value (its field; with an address, its prefix length) from src to dst:
 * 0, or -ENOENT past the end. */
int config_key_copy(size_t i, struct synack_config *dst, const struct synack_config *src);

/* A file longer than this is refused before it is parsed. */
#define CONFIG_FILE_MAX	  (1u << 20)
/* After this many errors the loader stops and says so. */
#define CONFIG_ERRORS_MAX 100

/* The impair: section alone: 0, or -EINVAL/-ERANGE with why (naming the key) when a value is
 * outside its key's range or the values do not fit together (synackctl impair sends these). */
int config_impair_check(const struct config_impair *c, char *why, size_t len);
/* Does the impair: section change anything (some probability, delay, jitter or rate)? */
bool config_impair_active(const struct config_impair *c);

/* Unit parsers shared with synackctl: "200ms" "30s" "2h" -> µs; "256KiB" -> bytes; "1.5%" -> ppm.
 * They return 0, -EINVAL (malformed; durations need a unit), -ERANGE (too large) or -EDOM
 * (finer than 1µs / 1 byte / 1 ppm), and write the value only on success. */
int config_parse_duration(const char *s, uint64_t *ret_us);
int config_parse_size(const char *s, uint64_t *ret_bytes);
int config_parse_percent(const char *s, uint32_t *ret_ppm);
/* Write a value in the units config files use (e.g. "30s", "256KiB"). */
int config_format_duration(uint64_t us, char *buf, size_t len);
int config_format_size(uint64_t bytes, char *buf, size_t len);
/* ppm -> "1.5%" (shortest exact form). The formatters return the length written or -ENOBUFS. */
int config_format_percent(uint32_t ppm, char *buf, size_t len);

#endif
