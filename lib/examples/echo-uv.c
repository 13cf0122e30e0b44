/* SPDX-License-Identifier: MIT */
/*
 * echo-uv.c - an RFC 862 echo server on synack, driven by libuv through
 * libsynack's adapter (synack_uv_attach). Shows the async API's flow
 * control: received bytes are granted back as credit only once the echo of
 * them was taken by the send buffer, so a peer that does not read its echo
 * closes its own sending window instead of growing anybody's memory.
 *
 *   synack-echo-uv [-s SOCKET] PORT     (PORT 0: any free port; usage errors exit 2)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "synack.h"

#define ECHO_WINDOW (64 * 1024)

struct echo_conn {
	struct echo_conn *next;
	synack_conn id;
	uint8_t buf[ECHO_WINDOW]; /* received, not yet taken by the send buffer */
	size_t len;
	bool sending, peer_closed, closing;
};

static struct echo_conn *conns;
static struct synack *session;

static struct echo_conn *echo_find(synack_conn id)
{
	for (struct echo_conn *c = conns; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void echo_flush(struct echo_conn *c);

static void echo_sent(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct echo_conn *c = ud;

	c->sending = false;
	if (status < 0) {
		if (!c->closing && synack_abort_async(s, c->id, NULL, NULL) == 0)
			c->closing = true;
		return;
	}
	memmove(c->buf, c->buf + res->taken, c->len - res->taken);
	c->len -= res->taken;
	/* what left our buffer may come in again */
	if (res->taken)
		synack_credit_async(s, c->id, res->taken, NULL, NULL);
	if (res->taken)
		echo_flush(c); /* else: wait for WRITABLE */
}

static void echo_flush(struct echo_conn *c)
{
	if (c->sending || c->closing)
		return;
	if (c->len > 0) {
		if (synack_send_async(session, c->id, c->buf, c->len, echo_sent, c) == 0)
			c->sending = true;
		return;
	}
	if (c->peer_closed && synack_close_async(session, c->id, NULL, NULL) == 0)
		c->closing = true;
}

static void echo_event(struct synack *s, const struct synack_event *ev, void *ud)
{
	struct echo_conn *c = echo_find(ev->type == SYNACK_EV_INCOMING ? ev->new_conn : ev->conn);
	struct echo_conn **pp;

	switch (ev->type) {
	case SYNACK_EV_INCOMING:
		c = calloc(1, sizeof(*c));
		if (!c) {
			synack_abort_async(s, ev->new_conn, NULL, NULL);
			return;
		}
		c->id = ev->new_conn;
		c->next = conns;
		conns = c;
		return;
	case SYNACK_EV_DATA:
		if (!c || ev->len > sizeof(c->buf) - c->len)
			return; /* the daemon keeps within our credit: cannot happen */
		memcpy(c->buf + c->len, ev->data, ev->len);
		c->len += ev->len;
		echo_flush(c);
		return;
	case SYNACK_EV_WRITABLE:
		if (c)
			echo_flush(c);
		return;
	case SYNACK_EV_PEER_CLOSED:
		if (c) {
			c->peer_closed = true;
			echo_flush(c);
		}
		return;
	case SYNACK_EV_CLOSED:
		for (pp = &conns; *pp; pp = &(*pp)->next) {
			if (*pp == c) {
				*pp = c->next;
				free(c);
				break;
			}
		}
		return;
	default:
		return; /* RESET and ERROR: CLOSED follows */
	}
}

static void echo_listening(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	if (status < 0) {
		fprintf(stderr, "synack-echo-uv: listen: %s\n", synack_strerror(status));
		exit(1);
	}
	fprintf(stderr, "synack-echo-uv: listening on port %u\n", ntohs(res->local.sin_port));
}

static void echo_session_died(struct synack *s, int err, void *ud)
{
	fprintf(stderr, "synack-echo-uv: synackd: %s\n", synack_strerror(err));
	uv_stop(ud);
}

static int echo_usage(FILE *f, int status)
{
	fprintf(f, "Usage: synack-echo-uv [-s SOCKET] PORT\n"
		   "An RFC 862 echo server on synack's TCP (libuv). PORT 0: any free port.\n"
		   "  -s, --socket PATH  synackd's socket (default: $SYNACK_SOCKET, else\n"
		   "                     /run/synack/synackd.sock)\n"
		   "  -h, --help         this help\n");
	return status;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sockaddr_in local = { .sin_family = AF_INET };
	const char *path = NULL;
	uv_loop_t *loop = uv_default_loop();
	char *end;
	long port;
	int opt, r;

	while ((opt = getopt_long(argc, argv, "s:h", opts, NULL)) != -1) {
		if (opt == 's')
			path = optarg;
		else
			return echo_usage(opt == 'h' ? stdout : stderr, opt == 'h' ? 0 : 2);
	}
	if (optind != argc - 1)
		return echo_usage(stderr, 2);
	errno = 0;
	port = strtol(argv[optind], &end, 10);
	if (errno || *end || end == argv[optind] || port < 0 || port > 65535) {
		fprintf(stderr, "synack-echo-uv: bad port '%s' (0..65535)\n", argv[optind]);
		return 2;
	}
	local.sin_port = htons((uint16_t)port);
	r = synack_open(path, "synack-echo-uv", &session);
	if (r < 0) {
		fprintf(stderr, "synack-echo-uv: cannot reach synackd: %s\n", synack_strerror(r));
		return 1;
	}
	synack_set_event_cb(session, echo_event, NULL);
	r = synack_uv_attach(session, loop, echo_session_died, loop);
	if (r == 0)
		r = synack_listen_async(session, &local, 128, ECHO_WINDOW, echo_listening, NULL);
	if (r < 0) {
		fprintf(stderr, "synack-echo-uv: %s\n", synack_strerror(r));
		return 1;
	}
	uv_run(loop, UV_RUN_DEFAULT);
	synack_free(session);
	uv_run(loop, UV_RUN_NOWAIT); /* let the adapter's handle close */
	return 1;
}
