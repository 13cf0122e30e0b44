/* SPDX-License-Identifier: MIT */
/*
 * log.c - stderr logging with journald priority prefixes (see log.h).
 *
 * Under systemd, $JOURNAL_STREAM holds "DEVICE:INODE" of the stream the
 * journal gave us; if stderr is still that stream, every line starts with
 * "<N>" so journald files it at priority N. Otherwise lines read
 * "synackd: warning: message" for people and for test logs.
 *
 * A line never waits for room: a reader of stderr that stops reading (the
 * journal busy, a container's log pipe, a terminal on hold) would stop the
 * whole loop in write(). A socket is written with MSG_DONTWAIT; a pipe or a
 * terminal through a non-blocking descriptor of its own (opened again
 * through /proc/self/fd/2, so stderr's own stays as it is), or, where that
 * open is refused (a pipe another user made), only after poll() says there
 * is room (a line is less than PIPE_BUF: it then fits). A line that finds
 * no room is dropped and counted (SynackLogDropped; also one a terminal
 * took only part of), and the next line that goes out says how many went.
 * A regular file is written as it is.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

enum log_out { LOG_OUT_PLAIN, LOG_OUT_SOCKET, LOG_OUT_NONBLOCK, LOG_OUT_POLLED };

static struct {
	bool journal;
	int level;
	enum log_out out;
	int fd;		  /* LOG_OUT_NONBLOCK: our own non-blocking descriptor of stderr */
	uint64_t dropped; /* lines that found no room */
	uint64_t said;	  /* ...of which the last line out told */
} log_state = { .journal = false, .level = LOG_INFO, .fd = -1 };

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

/* How stderr is written without waiting (see the top of the file). */
static void log_choose_output(void)
{
	struct stat st;
	int fd;

	log_state.out = LOG_OUT_PLAIN;
	if (fstat(STDERR_FILENO, &st) < 0)
		return;
	if (S_ISSOCK(st.st_mode)) {
		log_state.out = LOG_OUT_SOCKET;
		return;
	}
	if (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))
		return;
	fd = open("/proc/self/fd/2", O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		log_state.out = LOG_OUT_POLLED; /* no /proc, or not ours to open */
		return;
	}
	if (log_state.fd >= 0)
		close(log_state.fd);
	log_state.fd = fd;
	log_state.out = LOG_OUT_NONBLOCK;
}

void log_init(void)
{
	log_state.journal = log_stderr_is_journal();
	log_choose_output();
}

uint64_t log_dropped(void)
{
	return log_state.dropped;
}

/* One whole line out, or -EAGAIN when there is no room for it now. */
static int log_write_line(const char *buf, size_t len)
{
	ssize_t n;

	do {
		switch (log_state.out) {
		case LOG_OUT_SOCKET:
			n = send(STDERR_FILENO, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
			break;
		case LOG_OUT_NONBLOCK:
			n = write(log_state.fd, buf, len);
			break;
		case LOG_OUT_POLLED: {
			struct pollfd p = { .fd = STDERR_FILENO, .events = POLLOUT };

			if (poll(&p, 1, 0) != 1 || !(p.revents & POLLOUT)) {
				errno = EAGAIN;
				n = -1;
				break;
			}
			n = write(STDERR_FILENO, buf, len);
			break;
		}
		default:
			n = write(STDERR_FILENO, buf, len);
			break;
		}
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	if (n >= 0 && (size_t)n < len)
		return -EAGAIN; /* a terminal took part of it: the rest is lost */
	return 0;		/* written, or no stderr to write to */
}

static int log_format(char *buf, size_t len, int prio, const char *text)
{
	if (log_state.journal)
		return snprintf(buf, len, "<%d>%s\n", prio, text);
	return snprintf(buf, len, "synackd: %s: %s\n", log_names[prio], text);
}

static void log_emit(int prio, const char *text)
{
	char buf[1400];
	int n;

	if (log_state.dropped > log_state.said) {
		char note[96];

		snprintf(note, sizeof(note),
			 "%" PRIu64 " log lines dropped: stderr's reader had no room for them",
			 log_state.dropped - log_state.said);
		n = log_format(buf, sizeof(buf), LOG_NOTICE, note);
		if (log_write_line(buf, (size_t)n) < 0) {
			log_state.dropped++;
			return;
		}
		log_state.said = log_state.dropped;
	}
	n = log_format(buf, sizeof(buf), prio, text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = (int)sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	if (log_write_line(buf, (size_t)n) < 0)
		log_state.dropped++;
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
	char line[1024 + 128];
	size_t at;
	int n;

	if (!log_enabled(prio))
		return;
	n = vsnprintf(line, 1024, fmt, ap);
	if (n < 0)
		return;
	at = n < 1024 ? (size_t)n : 1023; /* the message's end, cut at 1023 */
	snprintf(line + at, sizeof(line) - at, "%s", suffix);
	log_emit(prio, line);
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
