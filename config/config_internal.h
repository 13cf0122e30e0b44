/* SPDX-License-Identifier: MIT */
/*
 * config_internal.h - what the configuration module's files share: the key
 * table (one entry per leaf key: dotted path, value type, storage, default,
 * range), scalar values as the YAML walk hands them over, and error recording.
 * Not installed; the unit tests include it to reach the table.
 */
#ifndef SYNACK_CONFIG_INTERNAL_H
#define SYNACK_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Longest dotted key path ("tcp.keepalive.interval" and the like). */
#define CONFIG_KEY_PATH_MAX 64

enum config_type {
	CONFIG_T_UINT,	      /* plain decimal integer, min..max */
	CONFIG_T_BOOL,	      /* true/false, yes/no, on/off */
	CONFIG_T_DURATION,    /* µs, written with a unit */
	CONFIG_T_SIZE,	      /* bytes, optional unit */
	CONFIG_T_PERCENT,     /* ppm, written with % */
	CONFIG_T_IFNAME,      /* a Linux interface name */
	CONFIG_T_PATH,	      /* an absolute path (or "" when min is 0) */
	CONFIG_T_GROUP,	      /* a group name, or "" */
	CONFIG_T_MODE,	      /* octal file mode */
	CONFIG_T_IPV4,	      /* dotted quad, host order; "" = 0 when min is 0 */
	CONFIG_T_IPV4_PREFIX, /* a.b.c.d/len: address at offset, length at aux */
	CONFIG_T_MAC,	      /* xx:xx:xx:xx:xx:xx, unicast; "" = all zero */
	CONFIG_T_ENUM,	      /* one of names[] */
	CONFIG_T_FLAGS,	      /* "all" (0) or a comma-separated list of names[]: bit i = names[i] */
	CONFIG_T_TUNABLE,     /* a tcp tunable: kind, default, range from tunables.h */
};

struct config_key {
	const char *path; /* "interface.mtu" */
	enum config_type type;
	size_t offset, size;	  /* the field in struct synack_config */
	const char *def;	  /* the default as it is written in YAML (not for tunables) */
	uint64_t min, max;	  /* numeric range, or string length range */
	size_t aux;		  /* prefix_len offset (IPV4_PREFIX), tunable id (TUNABLE) */
	const char *const *names; /* ENUM: value i is names[i]; NULL-terminated */
	const char *meaning;
};

/* One scalar value from the file. text is NUL-terminated. */
struct config_scalar {
	const char *text;
	size_t len;
	bool plain; /* unquoted, so YAML's null/bool/int rules apply */
};

/* config_keys.c (config_key_count(), config_key_path() and config_key_tunable_id() are in
 * config.h) */
const struct config_key *config_key_at(size_t i);
/* Index of the key with this exact path, or -ENOENT. */
int config_key_find(const char *path);
/* 0 when some key lives under path (a section such as "tcp.rto"), else -ENOENT. */
int config_key_find_section(const char *path);
/* The top-level sections, in table order: "interface, rpc, ..." (cut short to fit). */
void config_key_sections(char *buf, size_t len);
/* The kind, default and range of a tunable key. */
const struct stack_tunable_desc *config_key_tunable(const struct config_key *k);

/* config_values.c: parse s for key k and store it in c. On failure returns
 * -EINVAL or -ERANGE with a message (without the key's name) in err. */
int config_value_set(const struct config_key *k, const struct config_scalar *s,
		     struct synack_config *c, char *err, size_t errlen);
/* config_values.c: c's value of key k as the file writes it (config_key_format()). */
int config_value_format(const struct config_key *k, const struct synack_config *c, char *buf,
			size_t len);
/* Whether a plain scalar is YAML's null (empty, ~, null). */
bool config_scalar_is_null(const struct config_scalar *s);
/* Write text (len bytes) as a short double-quoted string fit for a message. */
void config_quote(const char *text, size_t len, char *buf, size_t buflen);

/* config_errors.c */
void config_errors_init(struct config_errors *e, const char *file);
/* Record one error; -ENOMEM when out of memory, -E2BIG when the list is full. */
int config_errors_add(struct config_errors *e, unsigned line, unsigned column, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Move src into *dst (freeing what dst held); src is left empty. */
void config_errors_move(struct config_errors *dst, struct config_errors *src);

/* Where a key's value was found in the file (1-based; line 0 = not in the file). */
struct config_pos {
	unsigned line, column;
};

/* config_yaml.c: walk the YAML in buf over c, recording errors and, for each
 * key index, where its value was (pos[] has config_key_count() entries). */
int config_yaml_walk(const char *buf, size_t len, struct synack_config *c,
		     struct config_errors *errs, struct config_pos *pos);

/* config.c: config_load_buffer() that also says where each key's value was
 * (ret_pos: config_key_count() entries, written on success; may be NULL). */
int config_load_buffer_pos(const char *name, const char *buf, size_t len, struct synack_config *ret,
			   struct config_errors *errs, struct config_pos *ret_pos);

/* config_check.c: rules that involve more than one key. */
int config_check(const struct synack_config *c, const struct config_pos *pos,
		 struct config_errors *errs);

/* config_impair.c: the first rule across impair: keys that c breaks (its message, and the two
 * keys involved in ret_a, ret_b), or NULL. */
const char *config_impair_rule(const struct config_impair *c, const char **ret_a,
			       const char **ret_b);

#endif
