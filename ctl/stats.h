/* SPDX-License-Identifier: MIT */
/*
 * stats.h - what `stats` does besides printing: nstat-style name patterns,
 * and --delta, which (like nstat) keeps the last values seen in a history
 * file and prints the increments since then.
 */
#ifndef SYNACK_CTL_STATS_H
#define SYNACK_CTL_STATS_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"

/*
 * The history file: $SYNACKCTL_HISTORY, else $XDG_RUNTIME_DIR/synackctl.stats,
 * else /tmp/.synackctl.u<UID> (nstat's /tmp/.nstat.u<UID>). -ENOBUFS if short.
 */
int stats_history_path(char *buf, size_t len);
/* Read "Name value" lines. -ENOENT when there is no history yet. */
int stats_history_load(const char *path, struct ctl_counter **ret, size_t *ret_n);
/* Write atomically (a temporary file renamed over path), mode 0600. */
int stats_history_save(const char *path, const struct ctl_counter *c, size_t n);
/*
 * Turn cur into increments since prev. Gauges keep their value; a counter
 * that went down (synackd restarted) or is new keeps its whole value.
 */
void stats_delta(struct ctl_counter *cur, size_t n, const struct ctl_counter *prev, size_t pn);
/* nstat patterns: shell wildcards, case-insensitive; no patterns match all. */
bool stats_match(const char *name, char *const *patterns, size_t n);

#endif
