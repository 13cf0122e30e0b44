/* SPDX-License-Identifier: MIT */
/*
 * http-server.c - a small HTTP/1.1 file server on synack (RFC 9110/9112
 * subset): GET and HEAD of files under a directory, Content-Length,
 * keep-alive (HTTP/1.1 default, "Connection: close" honoured), 404/400/405/
 * 501 answers, a Content-Type from the file name's extension. Built on
 * libsynack's blocking API, one connection at a time: an example of the
 * API, not a production server.
 *
 *   synack-http [-s SOCKET] [-p PORT] DIRECTORY    (port 8080 by default)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synack.h"

#define HTTP_HEAD_MAX 8192
#define HTTP_CHUNK    (256 * 1024)
#define HTTP_PORT     8080

struct http_conn {
	struct synack *s;
	synack_conn c;
	char head[HTTP_HEAD_MAX + 1];
	size_t len; /* bytes in head (a request may follow the previous one) */
};

struct http_request {
	char method[16], target[1024];
	bool keep_alive;
};

static int http_send_str(struct http_conn *h, const char *str)
{
	ssize_t r = synack_send(h->s, h->c, str, strlen(str));

	return r < 0 ? (int)r : 0;
}

/* Read until a blank line ends the header; 0 at a clean end of stream. */
static int http_read_head(struct http_conn *h, size_t *ret_end)
{
	for (;;) {
		char *end;
		ssize_t n;

		h->head[h->len] = '\0';
		end = strstr(h->head, "\r\n\r\n");
		if (end) {
			*ret_end = (size_t)(end - h->head) + 4;
			return 1;
		}
		if (h->len == HTTP_HEAD_MAX)
			return -EMSGSIZE;
		n = synack_recv(h->s, h->c, h->head + h->len, HTTP_HEAD_MAX - h->len);
		if (n <= 0)
			return n == 0 && h->len == 0 ? 0 : (n < 0 ? (int)n : -EPROTO);
		h->len += (size_t)n;
	}
}

static int http_parse(const char *head, struct http_request *rq)
{
	char version[16];
	const char *conn;

	if (sscanf(head, "%15s %1023s %15s", rq->method, rq->target, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7) != 0)
		return -EINVAL;
	rq->keep_alive = strcmp(version, "HTTP/1.1") == 0;
	conn = strcasestr(head, "\r\nConnection:");
	if (conn) {
		conn += strlen("\r\nConnection:");
		while (*conn == ' ')
			conn++;
		if (strncasecmp(conn, "close", 5) == 0)
			rq->keep_alive = false;
		else if (strncasecmp(conn, "keep-alive", 10) == 0)
			rq->keep_alive = true;
	}
	return 0;
}

static int http_error(struct http_conn *h, int code, const char *reason, bool keep_alive)
{
	char msg[256];

	snprintf(msg, sizeof(msg),
		 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
		 "Connection: %s\r\n\r\n%s\n",
		 code, reason, strlen(reason) + 1, keep_alive ? "keep-alive" : "close", reason);
	return http_send_str(h, msg);
}

/* The media type for a file name (RFC 9110 §8.3), by its extension. */
static const char *http_media_type(const char *name)
{
	static const struct {
		const char *ext, *type;
	} types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".htm", "text/html; charset=utf-8" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".css", "text/css" },
		{ ".js", "text/javascript" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" },
		{ ".gif", "image/gif" },
		{ ".ico", "image/vnd.microsoft.icon" },
		{ ".pdf", "application/pdf" },
	};
	const char *dot = strrchr(name, '.');

	if (dot && !strchr(dot, '/'))
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot, types[i].ext) == 0)
				return types[i].type;
	return "application/octet-stream";
}

/* Map the target to a regular file under root; -ENOENT for anything else. */
static int http_open(const char *root, const char *target, off_t *ret_size)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	if (target[0] != '/' || strstr(target, "..") || strchr(target, '?'))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s%s%s", root, target,
		 target[strlen(target) - 1] == '/' ? "index.html" : "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return -ENOENT;
	}
	*ret_size = st.st_size;
	return fd;
}

static int http_send_file(struct http_conn *h, int fd)
{
	static char buf[HTTP_CHUNK];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		ssize_t r = synack_send(h->s, h->c, buf, (size_t)n);

		if (r < 0)
			return (int)r;
	}
	return n < 0 ? -errno : 0;
}

static int http_respond(struct http_conn *h, const char *root, const struct http_request *rq)
{
	bool head = strcmp(rq->method, "HEAD") == 0;
	char hdr[256];
	off_t size;
	int fd, r;

	if (!head && strcmp(rq->method, "GET") != 0)
		return http_error(h, 501, "Not Implemented", rq->keep_alive);
	fd = http_open(root, rq->target, &size);
	if (fd < 0)
		return http_error(h, 404, "Not Found", rq->keep_alive);
	snprintf(hdr, sizeof(hdr),
		 "HTTP/1.1 200 OK\r\nContent-Type: %s\r\n"
		 "Content-Length: %lld\r\nConnection: %s\r\n\r\n",
		 http_media_type(rq->target[strlen(rq->target) - 1] == '/' ? "index.html"
									   : rq->target),
		 (long long)size, rq->keep_alive ? "keep-alive" : "close");
	r = http_send_str(h, hdr);
	if (r == 0 && !head)
		r = http_send_file(h, fd);
	close(fd);
	return r;
}

/* Serve requests on one connection until it or the client ends it. */
static void http_serve(struct synack *s, synack_conn c, const char *root)
{
	static struct http_conn h;
	struct http_request rq;
	size_t end = 0;
	int r;

	h.s = s;
	h.c = c;
	h.len = 0;
	for (;;) {
		r = http_read_head(&h, &end);
		if (r <= 0) {
			if (r == -EMSGSIZE)
				http_error(&h, 431, "Request Header Fields Too Large", false);
			break;
		}
		if (http_parse(h.head, &rq) < 0) {
			http_error(&h, 400, "Bad Request", false);
			break;
		}
		/* requests carry no body here (GET/HEAD); keep what follows */
		memmove(h.head, h.head + end, h.len - end);
		h.len -= end;
		if (http_respond(&h, root, &rq) < 0 || !rq.keep_alive)
			break;
	}
	synack_shutdown(s, c);
	synack_close(s, c);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] =
		"Usage: synack-http [-s SOCKET] [-p PORT] DIRECTORY\n"
		"Serve the files under DIRECTORY over HTTP/1.1 on synack's TCP.\n"
		"  -s, --socket PATH  synackd's socket (default $SYNACK_SOCKET, then\n"
		"                     " SYNACK_DEFAULT_SOCKET ")\n"
		"  -p, --port PORT    port to listen on (default 8080)\n"
		"  -h, --help         this text\n";
	const char *path = NULL;
	uint16_t port = HTTP_PORT;
	struct synack *s;
	synack_conn l, c;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "s:p:h", longopts, NULL)) != -1) {
		char *end;
		long v;

		switch (opt) {
		case 's':
			path = optarg;
			break;
		case 'p':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 || v > 65535) {
				fprintf(stderr, "synack-http: bad port '%s' (1..65535)\n", optarg);
				return 2;
			}
			port = (uint16_t)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fputs(usage, stderr);
		return 2;
	}
	r = synack_open(path, "synack-http", &s);
	if (r == 0)
		r = synack_listen(s, NULL, port, 64, &l, NULL);
	if (r < 0) {
		fprintf(stderr, "synack-http: %s\n", synack_strerror(r));
		return 1;
	}
	fprintf(stderr, "synack-http: serving %s on port %u\n", argv[optind], port);
	while ((r = synack_accept(s, l, &c, NULL)) == 0)
		http_serve(s, c, argv[optind]);
	fprintf(stderr, "synack-http: accept: %s\n", synack_strerror(r));
	synack_free(s);
	return 1;
}
