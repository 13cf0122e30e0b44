/* SPDX-License-Identifier: MIT */
/*
 * units.h - values typed on synackctl's command line: a tunable's value in
 * its unit (`set msl 1s`, `set send_buffer 512KiB`, `set sack off`), checked
 * against the core's tunables table (daemon/stack/tunables.h) before it is
 * sent, plus the durations and percentages of watch, capture and impair.
 * The unit parsers are config/'s, so the CLI and synackd.yaml agree.
 */
#ifndef SYNACK_CTL_UNITS_H
#define SYNACK_CTL_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* The tunable named key from the built-in table (value = its default). -ENOENT when unknown. */
int units_tunable_lookup(const char *key, struct ctl_tunable *ret);
/* How many tunables the built-in table has, and the i-th one's key. */
size_t units_tunable_count(void);
const char *units_tunable_key(size_t i);
/*
 * Parse text as a value for key: units for durations and sizes, a plain
 * number for counts, true/false/on/off/yes/no/1/0 for booleans; then the
 * range check. On failure returns -ENOENT (unknown key), -EINVAL (not a
 * value of that kind) or -ERANGE, with a message for people in err.
 */
int units_parse_tunable(const char *key, const char *text, uint64_t *ret, char *err, size_t errlen);
/* "2", "0.5" (seconds, as watch(1) takes them) or a duration with a unit ("500ms"). */
int units_parse_interval(const char *text, uint64_t *ret_us);
/* A non-negative decimal integer that fits in uint64_t. */
int units_parse_u64(const char *text, uint64_t *ret);

#endif
