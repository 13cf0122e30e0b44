/* SPDX-License-Identifier: MIT */
/*
 * log.h - synackd's logging: one line per message on stderr, with a
 * journald priority prefix ("<3>") when stderr is the journal's stream
 * ($JOURNAL_STREAM, see sd-daemon(3)), "synackd: level: message" otherwise.
 * Priorities are syslog's (LOG_ERR .. LOG_DEBUG). A line that finds no room
 * on stderr is dropped and counted, never waited for (log.c).
 */
#ifndef SYNACKD_LOG_H
#define SYNACKD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Decide the output format from $JOURNAL_STREAM and stderr, and how to write
 * stderr without waiting. */
void log_init(void);
/* Lines dropped so far for want of room on stderr (SynackLogDropped). */
uint64_t log_dropped(void);
/* Least severe priority logged (LOG_ERR .. LOG_DEBUG). */
void log_set_level(int prio);
int log_get_level(void);
bool log_enabled(int prio);
/* "err", "warning", "notice", "info", "debug" -> priority; -EINVAL otherwise. */
int log_level_from_name(const char *name);
/* config_log_level (0 = err .. 4 = debug) -> syslog priority. */
int log_level_from_config(int config_level);

void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log "message: strerror(-r)" at prio and return r (a negative errno). */
int log_errno_at(int prio, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_err(...)	  log_msg(LOG_ERR, __VA_ARGS__)
#define log_warning(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...)	  log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)	  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)	  log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_errno(r, ...) log_errno_at(LOG_ERR, (r), __VA_ARGS__)

/*
 * Log a failure that can repeat (a write to the TAP, an accept) only the
 * first time: *once is set after the first message and cleared by the
 * caller when the condition has gone away.
 */
#define log_once(once, prio, ...)                     \
	do {                                          \
		if (!*(once)) {                       \
			*(once) = true;               \
			log_msg((prio), __VA_ARGS__); \
		}                                     \
	} while (0)

#endif
