/* SPDX-License-Identifier: MIT */
/*
 * log.c - stderr logging with journald priority prefixes (see log.h).
 *
 * Under systemd, $JOURNAL_STREAM holds "DEVICE:INODE" of the stream the
 * journal gave us; if stderr is still that stream, every line starts with
 * "<N>" so journald files it at priority N. Otherwise lines read
 * "synackd: warning: message" for people and for test logs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static struct {
	bool journal;
	int level;
} log_state = { .journal = false, .level = LOG_INFO };

static const char *const log_names[] = {
	[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",	  [LOG_CRIT] = "crit",
	[LOG_ERR] = "err",     [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
	[LOG_INFO] = "info",   [LOG_DEBUG] = "debug",
};

static bool log_stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%ju:%ju", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

void log_init(void)
{
	log_state.journal = log_stderr_is_journal();
}

void log_set_level(int prio)
{
	if (prio < LOG_ERR)
		prio = LOG_ERR;
	if (prio > LOG_DEBUG)
		prio = LOG_DEBUG;
	log_state.level = prio;
}

int log_get_level(void)
{
	return log_state.level;
}

bool log_enabled(int prio)
{
	return prio <= log_state.level;
}

int log_level_from_name(const char *name)
{
	for (int p = LOG_ERR; p <= LOG_DEBUG; p++)
		if (strcmp(name, log_names[p]) == 0)
			return p;
	return -EINVAL;
}

int log_level_from_config(int config_level)
{
	int p = LOG_ERR + config_level;

	return p > LOG_DEBUG ? LOG_DEBUG : p;
}

static void log_vmsg(int prio, const char *fmt, va_list ap, const char *suffix)
{
	char line[1024];
	int n;

	if (!log_enabled(prio))
		return;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n < 0)
		return;
	if (log_state.journal)
		fprintf(stderr, "<%d>%s%s\n", prio, line, suffix);
	else
		fprintf(stderr, "synackd: %s: %s%s\n", log_names[prio], line, suffix);
}

void log_msg(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap, "");
	va_end(ap);
}

int log_errno_at(int prio, int r, const char *fmt, ...)
{
	char suffix[128];
	va_list ap;

	snprintf(suffix, sizeof(suffix), ": %s", strerror(r < 0 ? -r : r));
	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap, suffix);
	va_end(ap);
	return r;
}
