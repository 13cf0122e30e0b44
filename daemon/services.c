/* SPDX-License-Identifier: MIT */
/*
 * services.c - built-in TCP servers over the stack_tcp_* calls:
 * RFC 862 echo (send back what arrives), RFC 863 discard (drop what
 * arrives), RFC 864 chargen (send the rotating 72-character lines until
 * the client goes away; what the client sends is discarded).
 *
 * Flow control is the core's: echo reads only as much as it can send (a
 * bounded per-connection buffer holds what the send buffer refused, and no
 * more is read until WRITABLE), chargen fills the send buffer and waits for
 * WRITABLE. discard and chargen drop what arrives as it arrives (the core's
 * direct delivery), so it is never copied into a receive ring; bytes that
 * came before (with the handshake) are dropped from the ring in place.
 * Each connection closes once the peer's FIN has been read and
 * everything owed was handed to the core; RESET/ERROR release the handle.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "owner.h"
#include "services.h"

enum svc_kind { SVC_ECHO, SVC_DISCARD, SVC_CHARGEN, SVC_COUNT };

static const char *const svc_names[SVC_COUNT] = { "echo", "discard", "chargen" };

#define SVC_SCRATCH	  65536
/* cookies above the connection slots name the listeners */
#define SVC_COOKIE_LISTEN 0xffffff00u
/* chargen: 95 printable characters, 72 per line, each line starting one later (RFC 864) */
#define CHARGEN_LINE	  74
#define CHARGEN_PERIOD	  (95 * CHARGEN_LINE)
/* chargen offers this much per send (9 periods, 62 KiB): a send call each
 * 7 KiB would hand the stack (and the wire) small pieces */
#define CHARGEN_CHUNK	  (9 * CHARGEN_PERIOD)

struct svc_conn {
	stack_sock sock;
	bool in_use, closing;
	enum svc_kind kind;
	uint8_t *buf; /* echo: what the send buffer refused, NULL when nothing is held */
	uint32_t buf_off, buf_len;
	uint32_t pos; /* chargen: offset into the pattern */
	uint32_t next_free;
};

struct services {
	struct owner_host h; /* the daemon, as owner.h hands it */
	uint32_t owner;
	uint16_t ports[SVC_COUNT];
	stack_sock listeners[SVC_COUNT];
	struct svc_conn *conns;
	uint32_t cap, nused, free_head;
	uint32_t fresh; /* conns[] below this were used once; the rest is untouched (calloc) */
	uint8_t scratch[SVC_SCRATCH];
	/* the pattern repeated, so any offset in the first period has a chunk after it */
	uint8_t chargen[CHARGEN_CHUNK + CHARGEN_PERIOD];
	bool logged_full;
};

#define SVC_NONE UINT32_MAX

static void svc_chargen_pattern(uint8_t *out)
{
	for (unsigned line = 0; line < 95; line++) {
		uint8_t *p = out + line * CHARGEN_LINE;

		for (unsigned i = 0; i < 72; i++)
			p[i] = (uint8_t)(' ' + (line + i) % 95);
		p[72] = '\r';
		p[73] = '\n';
	}
	for (size_t off = CHARGEN_PERIOD; off < CHARGEN_CHUNK + CHARGEN_PERIOD;
	     off += CHARGEN_PERIOD)
		memcpy(out + off, out, CHARGEN_PERIOD);
}

static struct svc_conn *svc_conn_alloc(struct services *sv, uint32_t *ret_slot)
{
	uint32_t slot = sv->free_head;

	if (slot != SVC_NONE)
		sv->free_head = sv->conns[slot].next_free;
	else if (sv->fresh < sv->cap)
		slot = sv->fresh++;
	else
		return NULL;
	memset(&sv->conns[slot], 0, sizeof(sv->conns[slot]));
	sv->conns[slot].in_use = true;
	sv->nused++;
	*ret_slot = slot;
	return &sv->conns[slot];
}

static void svc_conn_free(struct services *sv, uint32_t slot)
{
	struct svc_conn *c = &sv->conns[slot];

	free(c->buf);
	memset(c, 0, sizeof(*c));
	c->next_free = sv->free_head;
	sv->free_head = slot;
	sv->nused--;
	sv->logged_full = false;
}

static void svc_close(struct services *sv, struct svc_conn *c, bool abort)
{
	stack_time_us now = sv->h.now(sv->h.ctx);

	if (c->closing)
		return;
	c->closing = true;
	if (abort)
		stack_tcp_abort(sv->h.stack, now, c->sock);
	else
		stack_tcp_close(sv->h.stack, now, c->sock);
}

/* Drop what is waiting, in place (no copy out of the receive ring: nobody
 * looks at the bytes); true when the peer's FIN was reached. */
static bool svc_drain_input(struct services *sv, struct svc_conn *c)
{
	struct stack *s = sv->h.stack;

	for (;;) {
		struct stack_span sp[2];
		ssize_t n = stack_tcp_recv_peek(s, c->sock, sp);

		if (n == 0)
			return true;
		if (n < 0)
			return false;
		stack_tcp_recv_consume(s, sv->h.now(sv->h.ctx), c->sock, (size_t)n);
	}
}

/* Send len bytes; returns how many the send buffer took. */
static size_t svc_send_all(struct services *sv, struct svc_conn *c, const uint8_t *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = stack_tcp_send(sv->h.stack, sv->h.now(sv->h.ctx), c->sock, p + done,
					   len - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	return done;
}

/*
 * Echo: read into the shared scratch buffer and send it straight back. When
 * the send buffer takes less, the rest waits in a per-connection buffer (at
 * most one read's worth) and nothing more is read until WRITABLE: the
 * receive window then closes and the peer slows down. An idle or flowing
 * connection holds no buffer of its own.
 */
static void svc_echo_pump(struct services *sv, struct svc_conn *c)
{
	struct stack *s = sv->h.stack;

	if (c->buf_len) {
		size_t n = svc_send_all(sv, c, c->buf + c->buf_off, c->buf_len);

		c->buf_off += (uint32_t)n;
		c->buf_len -= (uint32_t)n;
		if (c->buf_len)
			return; /* still full: wait for WRITABLE */
		free(c->buf);
		c->buf = NULL;
		c->buf_off = 0;
	}
	for (;;) {
		ssize_t n = stack_tcp_recv(s, sv->h.now(sv->h.ctx), c->sock, sv->scratch,
					   sizeof(sv->scratch));
		size_t sent;

		if (n == 0) {
			svc_close(sv, c, false);
			return;
		}
		if (n < 0)
			return; /* -EAGAIN: wait for READABLE */
		sent = svc_send_all(sv, c, sv->scratch, (size_t)n);
		if (sent < (size_t)n) {
			c->buf = malloc((size_t)n - sent);
			if (!c->buf) {
				svc_close(sv, c, true);
				return;
			}
			memcpy(c->buf, sv->scratch + sent, (size_t)n - sent);
			c->buf_len = (uint32_t)((size_t)n - sent);
			return;
		}
	}
}

static void svc_discard_pump(struct services *sv, struct svc_conn *c)
{
	if (svc_drain_input(sv, c))
		svc_close(sv, c, false);
}

static void svc_chargen_pump(struct services *sv, struct svc_conn *c)
{
	struct stack *s = sv->h.stack;

	if (svc_drain_input(sv, c)) {
		svc_close(sv, c, false);
		return;
	}
	for (;;) {
		ssize_t n = stack_tcp_send(s, sv->h.now(sv->h.ctx), c->sock, sv->chargen + c->pos,
					   CHARGEN_CHUNK);

		if (n <= 0)
			return;
		c->pos = (uint32_t)((c->pos + (size_t)n) % CHARGEN_PERIOD);
		if ((size_t)n < CHARGEN_CHUNK)
			return; /* full: WRITABLE follows */
	}
}

static void svc_pump(struct services *sv, struct svc_conn *c)
{
	if (c->closing)
		return;
	switch (c->kind) {
	case SVC_ECHO:
		svc_echo_pump(sv, c);
		break;
	case SVC_DISCARD:
		svc_discard_pump(sv, c);
		break;
	default:
		svc_chargen_pump(sv, c);
		break;
	}
}

static void svc_accept_all(struct services *sv, enum svc_kind kind)
{
	struct stack *s = sv->h.stack;

	for (;;) {
		uint32_t slot;
		struct svc_conn *c = svc_conn_alloc(sv, &slot);
		stack_sock sock;
		int r;

		if (!c) {
			/* no room: take the connection and refuse it with RST */
			r = stack_tcp_accept(s, sv->h.now(sv->h.ctx), sv->listeners[kind],
					     owner_tag(sv->owner, SVC_NONE), &sock);
			if (r < 0)
				return;
			stack_tcp_abort(s, sv->h.now(sv->h.ctx), sock);
			log_once(&sv->logged_full, LOG_WARNING,
				 "%s: %u connections open, refusing more", svc_names[kind],
				 sv->cap);
			continue;
		}
		r = stack_tcp_accept(s, sv->h.now(sv->h.ctx), sv->listeners[kind],
				     owner_tag(sv->owner, slot), &sock);
		if (r < 0) {
			svc_conn_free(sv, slot);
			return;
		}
		c->sock = sock;
		c->kind = kind;
		/* discard and chargen take what arrives as it arrives (svc_direct) */
		if (kind != SVC_ECHO)
			stack_tcp_set_direct(s, sock, true);
		/* data or a FIN may have come with the handshake: no event will say so */
		svc_pump(sv, c);
	}
}

static void svc_event(void *ctx, const struct stack_event *ev, uint32_t cookie)
{
	struct services *sv = ctx;
	struct svc_conn *c;

	if (cookie >= SVC_COOKIE_LISTEN) {
		unsigned kind = cookie - SVC_COOKIE_LISTEN;

		if (kind < SVC_COUNT && ev->type == STACK_EV_ACCEPTABLE &&
		    ev->sock == sv->listeners[kind])
			svc_accept_all(sv, kind);
		return;
	}
	if (cookie >= sv->cap || !sv->conns[cookie].in_use || sv->conns[cookie].sock != ev->sock)
		return;
	c = &sv->conns[cookie];
	switch (ev->type) {
	case STACK_EV_CLOSED:
		svc_conn_free(sv, cookie);
		break;
	case STACK_EV_RESET:
	case STACK_EV_ERROR:
		log_debug("%s: connection ended: %s", svc_names[c->kind], strerror(-ev->err));
		svc_close(sv, c, false);
		break;
	default:
		svc_pump(sv, c);
		break;
	}
}

static int svc_listen(struct services *sv, enum svc_kind kind, uint16_t port)
{
	const struct synack_config *cfg = sv->h.cfg;
	struct stack_endpoint ep = { .addr = cfg->interface.address, .port = port };
	int r;

	r = stack_tcp_listen(sv->h.stack, sv->h.now(sv->h.ctx), &ep, 128,
			     owner_tag(sv->owner, SVC_COOKIE_LISTEN + kind), &sv->listeners[kind]);
	if (r < 0)
		return log_errno(r, "%s: cannot listen on port %u", svc_names[kind], port);
	/* the built-in services' buffers are the daemon's own (its children inherit this) */
	stack_tcp_set_account(sv->h.stack, sv->listeners[kind], (uint32_t)getuid());
	sv->ports[kind] = port;
	log_info("%s: listening on port %u", svc_names[kind], port);
	return 0;
}

/* Stop one service: close its listener and (graceful or not) its connections. */
static void svc_stop(struct services *sv, enum svc_kind kind, bool abort)
{
	if (sv->listeners[kind] != STACK_SOCK_NONE) {
		stack_tcp_close(sv->h.stack, sv->h.now(sv->h.ctx), sv->listeners[kind]);
		sv->listeners[kind] = STACK_SOCK_NONE;
		log_info("%s: stopped listening on port %u", svc_names[kind], sv->ports[kind]);
	}
	sv->ports[kind] = 0;
	for (uint32_t i = 0; i < sv->fresh; i++)
		if (sv->conns[i].in_use && sv->conns[i].kind == kind)
			svc_close(sv, &sv->conns[i], abort);
}

static void svc_shutdown(void *ctx, bool abort)
{
	struct services *sv = ctx;

	for (unsigned k = 0; k < SVC_COUNT; k++)
		svc_stop(sv, k, abort);
}

/* discard and chargen drop what arrives as it arrives (stack_tcp_set_direct):
 * never kept in a receive ring nobody reads. */
static size_t svc_direct(void *ctx, stack_sock sock, uint32_t cookie, const uint8_t *data,
			 size_t len)
{
	struct services *sv = ctx;

	(void)data;
	if (cookie >= sv->cap || !sv->conns[cookie].in_use || sv->conns[cookie].sock != sock ||
	    sv->conns[cookie].kind == SVC_ECHO)
		return 0;
	return len;
}

static const struct owner_ops svc_ops = {
	.event = svc_event,
	.shutdown = svc_shutdown,
	.direct = svc_direct,
};

static const uint16_t *svc_port_list(const struct services_ports *p, uint16_t out[SVC_COUNT])
{
	out[SVC_ECHO] = p->echo;
	out[SVC_DISCARD] = p->discard;
	out[SVC_CHARGEN] = p->chargen;
	return out;
}

void services_apply(struct services *sv, const struct services_ports *ports)
{
	uint16_t want[SVC_COUNT];

	svc_port_list(ports, want);
	for (unsigned k = 0; k < SVC_COUNT; k++) {
		if (want[k] == sv->ports[k])
			continue;
		svc_stop(sv, k, false);
		if (want[k])
			svc_listen(sv, k, want[k]);
	}
	sv->h.kick(sv->h.ctx);
}

int services_start(const struct owner_host *h, const struct services_ports *ports,
		   uint32_t max_conns, struct services **ret)
{
	struct services *sv = calloc(1, sizeof(*sv));
	uint16_t want[SVC_COUNT];
	int r;

	if (!sv)
		return -ENOMEM;
	sv->h = *h;
	sv->cap = max_conns ? max_conns : 1;
	sv->conns = calloc(sv->cap, sizeof(*sv->conns));
	if (!sv->conns) {
		free(sv);
		return -ENOMEM;
	}
	/* slots are taken from the free list, then fresh from the untouched
	 * tail: the table costs RSS only as far as connections use it */
	sv->free_head = SVC_NONE;
	svc_chargen_pattern(sv->chargen);
	r = sv->h.owner_register(sv->h.ctx, &svc_ops, sv, &sv->owner);
	if (r < 0) {
		services_free(sv);
		return r;
	}
	svc_port_list(ports, want);
	for (unsigned k = 0; k < SVC_COUNT; k++) {
		if (want[k] && (r = svc_listen(sv, k, want[k])) < 0) {
			services_free(sv);
			return r;
		}
	}
	*ret = sv;
	return 0;
}

uint32_t services_conns(const struct services *sv)
{
	return sv ? sv->nused : 0;
}

void services_free(struct services *sv)
{
	if (!sv)
		return;
	for (uint32_t i = 0; i < sv->fresh; i++)
		free(sv->conns[i].buf);
	if (sv->owner)
		sv->h.owner_unregister(sv->h.ctx, sv->owner);
	free(sv->conns);
	free(sv);
}
