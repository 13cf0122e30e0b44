/* SPDX-License-Identifier: MIT */
/*
 * synack-nc.c - netcat over synack: stdin to a TCP connection of synackd's
 * stack, the connection to stdout. Built on libsynack's blocking API.
 *
 *   synack-nc [OPTIONS] HOST PORT      connect
 *   synack-nc [OPTIONS] -l [-k] PORT   listen (and keep listening with -k)
 *
 * EOF on stdin half-closes the connection (FIN) while reading goes on; the
 * program ends when both directions are done. Exit status: 0 orderly close,
 * 1 usage or daemon error, 2 could not connect or listen, 3 reset or error
 * during the transfer, 4 local I/O error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "synack.h"

enum {
	NC_OK = 0,
	NC_USAGE = 1,
	NC_CONNECT = 2,
	NC_RESET = 3,
	NC_LOCAL = 4,
};

#define NC_BUF (256 * 1024)

struct nc_opts {
	const char *socket;
	const char *bind;
	bool listen, keep, no_stdin, verbose;
	uint32_t timeout_ms;
};

static void nc_usage(FILE *f)
{
	fprintf(f,
		"Usage: synack-nc [OPTIONS] HOST PORT\n"
		"       synack-nc [OPTIONS] -l [-k] PORT\n"
		"netcat over synack: stdin to the connection, the connection to stdout.\n\n"
		"  -l, --listen        listen for a connection on PORT\n"
		"  -k, --keep-open     with -l: serve connections one after another, forever\n"
		"  -b, --bind ADDR     with -l: listen on ADDR only (default: any)\n"
		"  -d, --no-stdin      do not read stdin (send FIN at once)\n"
		"  -w, --wait SECONDS  connect timeout\n"
		"  -s, --socket PATH   synackd's socket (default: $SYNACK_SOCKET, then\n"
		"                      %s)\n"
		"  -v, --verbose       say what happens on stderr\n"
		"  -h, --help          show this help\n\n"
		"Exit status: 0 orderly close, 1 usage or daemon error, 2 could not connect\n"
		"or listen, 3 reset or error during the transfer, 4 local I/O error.\n",
		SYNACK_DEFAULT_SOCKET);
}

static int nc_write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* stdin -> connection: one read; at EOF, half-close. Returns NC_* or -1 to go on. */
static int nc_pump_stdin(struct synack *s, synack_conn c, bool *stdin_open, uint8_t *buf)
{
	ssize_t n = read(STDIN_FILENO, buf, NC_BUF);
	ssize_t r;

	if (n < 0 && errno == EINTR)
		return -1;
	if (n < 0) {
		fprintf(stderr, "synack-nc: stdin: %s\n", strerror(errno));
		return NC_LOCAL;
	}
	if (n == 0) {
		*stdin_open = false;
		r = synack_shutdown(s, c);
		if (r < 0) {
			fprintf(stderr, "synack-nc: shutdown: %s\n", synack_strerror((int)r));
			return NC_RESET;
		}
		return -1;
	}
	r = synack_send(s, c, buf, (size_t)n);
	if (r < 0) {
		fprintf(stderr, "synack-nc: send: %s\n", synack_strerror((int)r));
		return NC_RESET;
	}
	return -1;
}

/* connection -> stdout: drain what is buffered. Returns NC_* or -1 to go on. */
static int nc_pump_conn(struct synack *s, synack_conn c, bool *peer_open, uint8_t *buf)
{
	for (;;) {
		ssize_t n = synack_recv_nowait(s, c, buf, NC_BUF);

		if (n == -EAGAIN)
			return -1;
		if (n < 0) {
			fprintf(stderr, "synack-nc: %s\n", synack_strerror((int)n));
			return NC_RESET;
		}
		if (n == 0) {
			*peer_open = false;
			return -1;
		}
		if (nc_write_all(STDOUT_FILENO, buf, (size_t)n) < 0) {
			fprintf(stderr, "synack-nc: stdout: %s\n", strerror(errno));
			return NC_LOCAL;
		}
	}
}

/* Move bytes both ways until both directions are done. */
static int nc_transfer(struct synack *s, synack_conn c, bool read_stdin)
{
	static uint8_t buf[NC_BUF];
	bool stdin_open = read_stdin, peer_open = true;
	int r;

	if (!read_stdin) {
		r = synack_shutdown(s, c);
		if (r < 0)
			return NC_RESET;
	}
	while (stdin_open || peer_open) {
		uint64_t ready = 0;

		r = synack_wait(s, &c, peer_open ? 1 : 0, stdin_open ? STDIN_FILENO : -1, -1,
				&ready);
		if (r < 0) {
			fprintf(stderr, "synack-nc: synackd: %s\n", synack_strerror(r));
			return NC_USAGE;
		}
		if (ready & 1) {
			r = nc_pump_conn(s, c, &peer_open, buf);
			if (r >= 0)
				return r;
		}
		if (ready & (UINT64_C(1) << 63)) {
			r = nc_pump_stdin(s, c, &stdin_open, buf);
			if (r >= 0)
				return r;
		}
	}
	return NC_OK;
}

static void nc_say(const struct nc_opts *o, const char *what, const struct sockaddr_in *sin)
{
	char a[INET_ADDRSTRLEN];

	if (!o->verbose)
		return;
	inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
	fprintf(stderr, "synack-nc: %s %s:%u\n", what, a, ntohs(sin->sin_port));
}

static int nc_connect(struct synack *s, const struct nc_opts *o, const char *host, uint16_t port)
{
	synack_conn c;
	int r = synack_connect(s, host, port, o->timeout_ms, &c);

	if (r < 0) {
		fprintf(stderr, "synack-nc: connect to %s port %u: %s\n", host, port,
			synack_strerror(r));
		return NC_CONNECT;
	}
	if (o->verbose)
		fprintf(stderr, "synack-nc: connected to %s port %u%s\n", host, port,
			synack_conn_fd(s, c) >= 0 ? " (data socket)" : "");
	r = nc_transfer(s, c, !o->no_stdin);
	synack_close(s, c);
	return r;
}

static int nc_listen(struct synack *s, const struct nc_opts *o, uint16_t port)
{
	struct sockaddr_in local, remote;
	synack_conn l, c;
	int r = synack_listen(s, o->bind, port, 16, &l, &local);
	bool first = true;

	if (r < 0) {
		fprintf(stderr, "synack-nc: listen on port %u: %s\n", port, synack_strerror(r));
		return NC_CONNECT;
	}
	nc_say(o, "listening on", &local);
	do {
		r = synack_accept(s, l, &c, &remote);
		if (r < 0) {
			fprintf(stderr, "synack-nc: accept: %s\n", synack_strerror(r));
			return NC_CONNECT;
		}
		nc_say(o, "connection from", &remote);
		/* stdin goes to the first connection; later ones get EOF at once */
		r = nc_transfer(s, c, first && !o->no_stdin);
		first = false;
		synack_close(s, c);
	} while (o->keep && r != NC_USAGE && r != NC_LOCAL);
	synack_close(s, l);
	return r;
}

static int nc_port(const char *arg, uint16_t *ret)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (!*arg || *end || v > 65535)
		return -EINVAL;
	*ret = (uint16_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", no_argument, NULL, 'l' },
		{ "keep-open", no_argument, NULL, 'k' },
		{ "bind", required_argument, NULL, 'b' },
		{ "no-stdin", no_argument, NULL, 'd' },
		{ "wait", required_argument, NULL, 'w' },
		{ "socket", required_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct nc_opts o = { 0 };
	struct synack *s;
	uint16_t port;
	char *end;
	unsigned long secs;
	int c, r;

	while ((c = getopt_long(argc, argv, "lkb:dw:s:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			o.listen = true;
			break;
		case 'k':
			o.keep = true;
			break;
		case 'b':
			o.bind = optarg;
			break;
		case 'd':
			o.no_stdin = true;
			break;
		case 'w':
			secs = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end != '\0' || secs < 1 ||
			    secs > 4000000) {
				fprintf(stderr, "synack-nc: bad -w '%s' (seconds, 1..4000000)\n",
					optarg);
				return NC_USAGE;
			}
			o.timeout_ms = (uint32_t)secs * 1000;
			break;
		case 's':
			o.socket = optarg;
			break;
		case 'v':
			o.verbose = true;
			break;
		case 'h':
			nc_usage(stdout);
			return NC_OK;
		default:
			nc_usage(stderr);
			return NC_USAGE;
		}
	}
	if (argc - optind != (o.listen ? 1 : 2) || nc_port(argv[argc - 1], &port) < 0) {
		nc_usage(stderr);
		return NC_USAGE;
	}
	r = synack_open(o.socket, "synack-nc", &s);
	if (r < 0) {
		fprintf(stderr, "synack-nc: cannot reach synackd: %s\n", synack_strerror(r));
		return NC_USAGE;
	}
	r = o.listen ? nc_listen(s, &o, port) : nc_connect(s, &o, argv[optind], port);
	synack_free(s);
	return r;
}
