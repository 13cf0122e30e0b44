/* SPDX-License-Identifier: MIT */
/*
 * sim_app.c - the two simulated applications. A accepts one connection on
 * its listener, B connects; then each writes its seeded byte stream and reads
 * the other's in random chunk sizes at random virtual times, sometimes
 * stopping reads for a while (so windows close), and closes the way the
 * scenario says (shutdown then read to EOF, or close once done; first,
 * second, at the same moment, or as it comes). Every byte read is compared
 * with the stream the peer must have sent, and every event is checked against
 * what the application expects at that point.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sim_world.h"

#define SIM_CHUNK_MAX (64 * 1024)

static uint8_t sim_app_buf[SIM_CHUNK_MAX];
static uint8_t sim_app_want[SIM_CHUNK_MAX];

/* The byte stream side i sends: a keyed function of the offset, cheap to regenerate. */
void sim_pattern(uint64_t key, uint64_t off, uint8_t *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint64_t block = (off + i) >> 3, st = key ^ (block * 0x9e3779b97f4a7c15ull);
		uint64_t v = sim_splitmix64(&st);
		unsigned k = (unsigned)((off + i) & 7);

		for (; k < 8 && i < len; k++, i++)
			buf[i] = (uint8_t)(v >> (8 * k));
	}
}

uint64_t sim_app_key(const struct sim_world *w, int idx)
{
	return w->seed * 2 + (uint64_t)idx + 0x5157ull;
}

static char sim_app_name(const struct sim_side *sd)
{
	return sd->idx == SIM_A ? 'A' : 'B';
}

/* Run the application again at at (or sooner if it already is due sooner). */
static void sim_app_wake(struct sim_side *sd, stack_time_us at)
{
	if (at < sd->app.next_action)
		sd->app.next_action = at;
}

static stack_time_us sim_app_think(struct sim_world *w, struct sim_side *sd)
{
	return w->now + sim_rng_below(&sd->app.rng, w->sc.think_us + 1);
}

void sim_app_start(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;

	memset(a, 0, sizeof(*a));
	sim_rng_seed(&a->rng, w->seed, 10 + (uint64_t)sd->idx);
	a->next_action = STACK_TIME_NEVER;
	a->close_at = STACK_TIME_NEVER;
	if (sd->idx == SIM_A) {
		struct stack_endpoint local = { .addr = sd->addr, .port = SIM_PORT };
		int r = stack_tcp_listen(sd->stack, w->now, &local, 4, SIM_OWNER_LISTEN,
					 &a->listener);

		if (r < 0)
			sim_fail(w, "A: listen: %s", strerror(-r));
		a->have_listener = r == 0;
		return;
	}
	/* B connects a little later, so the gratuitous ARPs cross first sometimes */
	a->next_action = sim_rng_below(&a->rng, 50000);
}

static void sim_app_setopt(struct sim_world *w, struct sim_side *sd, enum stack_tcp_opt opt,
			   uint64_t value)
{
	int r = stack_tcp_setopt(sd->stack, w->now, sd->app.sock, opt, value);

	if (r < 0)
		sim_fail(w, "%c: setopt(%d, %llu): %s", sim_app_name(sd), opt,
			 (unsigned long long)value, strerror(-r));
}

/* Nagle off and keepalive on (short timers, so idle stretches see probes) as the seed says. */
static void sim_app_setopts(struct sim_world *w, struct sim_side *sd)
{
	if (w->sc.direct[sd->idx]) {
		int r = stack_tcp_set_direct(sd->stack, sd->app.sock, true);

		if (r < 0)
			sim_fail(w, "%c: set_direct: %s", sim_app_name(sd), strerror(-r));
	}
	if (w->sc.nodelay[sd->idx])
		sim_app_setopt(w, sd, STACK_TCP_NODELAY, 1);
	if (!w->sc.keepidle_us[sd->idx])
		return;
	sim_app_setopt(w, sd, STACK_TCP_KEEPIDLE_US, w->sc.keepidle_us[sd->idx]);
	sim_app_setopt(w, sd, STACK_TCP_KEEPINTVL_US, w->sc.keepintvl_us[sd->idx]);
	sim_app_setopt(w, sd, STACK_TCP_KEEPCNT, 9);
	sim_app_setopt(w, sd, STACK_TCP_KEEPALIVE, 1);
}

static void sim_app_connect(struct sim_world *w, struct sim_side *sd)
{
	struct stack_endpoint remote = { .addr = w->side[SIM_A].addr, .port = SIM_PORT };
	int r = stack_tcp_connect(sd->stack, w->now, NULL, &remote, SIM_OWNER_CONN, &sd->app.sock);

	if (r < 0) {
		sim_fail(w, "B: connect: %s", strerror(-r));
		return;
	}
	sd->app.have_sock = true;
	sim_app_setopts(w, sd);
}

static void sim_app_close_listener(struct sim_world *w, struct sim_side *sd)
{
	int r;

	if (!sd->app.have_listener || sd->app.listener_closed)
		return;
	r = stack_tcp_close(sd->stack, w->now, sd->app.listener);
	if (r < 0)
		sim_fail(w, "A: close listener: %s", strerror(-r));
	sd->app.listener_closed = true;
}

static void sim_app_accept(struct sim_world *w, struct sim_side *sd)
{
	int r = stack_tcp_accept(sd->stack, w->now, sd->app.listener, SIM_OWNER_CONN,
				 &sd->app.sock);

	if (r == -EAGAIN)
		return;
	if (r < 0) {
		sim_fail(w, "A: accept: %s", strerror(-r));
		return;
	}
	sd->app.have_sock = true;
	sim_progress(w);
	/* accept() raises READABLE/PEER_CLOSED for what arrived before it: take them now */
	sim_app_events(w, sd);
	sim_app_setopts(w, sd);
	if (!w->sc.keep_listener)
		sim_app_close_listener(w, sd);
}

static void sim_app_send(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;
	uint64_t left = w->sc.bytes[sd->idx] - a->tx_done;
	size_t chunk;
	ssize_t n;

	if (a->shut || a->closed || a->send_short || left == 0)
		return;
	chunk = (size_t)sim_rng_range(&a->rng, 1, w->sc.max_chunk);
	if (chunk > left)
		chunk = (size_t)left;
	sim_pattern(sim_app_key(w, sd->idx), a->tx_done, sim_app_buf, chunk);
	n = stack_tcp_send(sd->stack, w->now, a->sock, sim_app_buf, chunk);
	if (n < 0) {
		sim_fail(w, "%c: send(%zu) at offset %llu: %s", sim_app_name(sd), chunk,
			 (unsigned long long)a->tx_done, strerror((int)-n));
		return;
	}
	if ((size_t)n > chunk) {
		sim_fail(w, "%c: send(%zu) took %zd", sim_app_name(sd), chunk, n);
		return;
	}
	a->tx_done += (uint64_t)n;
	a->send_short = (size_t)n < chunk;
	if (n)
		sim_progress(w);
}

/* Compare n bytes just read at offset rx_done with the peer's stream. */
static void sim_app_verify(struct sim_world *w, struct sim_side *sd, size_t n)
{
	struct sim_app *a = &sd->app;
	int peer = 1 - sd->idx;

	if (a->rx_done + n > w->sc.bytes[peer]) {
		sim_fail(w, "%c: read %llu bytes, the peer sent only %llu", sim_app_name(sd),
			 (unsigned long long)(a->rx_done + n),
			 (unsigned long long)w->sc.bytes[peer]);
		return;
	}
	sim_pattern(sim_app_key(w, peer), a->rx_done, sim_app_want, n);
	if (memcmp(sim_app_buf, sim_app_want, n) != 0) {
		size_t i = 0;

		while (sim_app_buf[i] == sim_app_want[i])
			i++;
		sim_fail(w, "%c: data corrupted at stream offset %llu: got 0x%02x, want 0x%02x",
			 sim_app_name(sd), (unsigned long long)(a->rx_done + i), sim_app_buf[i],
			 sim_app_want[i]);
	}
}

size_t sim_app_direct(struct sim_world *w, struct sim_side *sd, stack_sock sock,
		      const uint8_t *data, size_t len)
{
	struct sim_app *a = &sd->app;
	size_t n;

	/* a reader that stalls takes nothing: the bytes are kept, as for a read */
	if (w->failed || !a->have_sock || sock != a->sock || a->closed || a->eof ||
	    w->now < a->stall_until)
		return 0;
	switch (sim_rng_below(&a->rng, 4)) {
	case 0:
		return 0;
	case 1:
		n = (size_t)sim_rng_range(&a->rng, 1, len);
		break;
	default:
		n = len;
		break;
	}
	if (n > SIM_CHUNK_MAX)
		n = SIM_CHUNK_MAX;
	memcpy(sim_app_buf, data, n);
	sim_app_verify(w, sd, n);
	a->rx_done += (uint64_t)n;
	sim_progress(w);
	/* no READABLE comes for these bytes: the application acts on them itself */
	sim_app_wake(sd, sim_app_think(w, sd));
	return n;
}

static void sim_app_eof(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;
	uint64_t want = w->sc.bytes[1 - sd->idx];

	a->eof = true;
	sim_progress(w);
	if (a->rx_done != want)
		sim_fail(w, "%c: EOF after %llu of %llu bytes", sim_app_name(sd),
			 (unsigned long long)a->rx_done, (unsigned long long)want);
	if (!a->ev_peer_closed)
		sim_fail(w, "%c: recv() returned EOF before any PEER_CLOSED event",
			 sim_app_name(sd));
}

static void sim_app_recv(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;

	if (a->closed || a->eof || w->now < a->stall_until)
		return;
	for (int k = 0; k < 4 && !w->failed; k++) {
		size_t chunk = (size_t)sim_rng_range(&a->rng, 1, w->sc.max_chunk);
		ssize_t n = stack_tcp_recv(sd->stack, w->now, a->sock, sim_app_buf, chunk);

		if (n == -EAGAIN)
			break;
		if (n < 0) {
			sim_fail(w, "%c: recv: %s", sim_app_name(sd), strerror((int)-n));
			return;
		}
		if (n == 0) {
			sim_app_eof(w, sd);
			break;
		}
		sim_app_verify(w, sd, (size_t)n);
		a->rx_done += (uint64_t)n;
		sim_progress(w);
	}
	if (w->sc.stalls && sim_rng_one_in(&a->rng, 16))
		a->stall_until = w->now + sim_rng_range(&a->rng, 1000, 2000000);
}

/* May this side start its close now, as far as the scenario goes? */
static bool sim_app_may_close(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;
	int peer = 1 - sd->idx;

	if (a->tx_done != w->sc.bytes[sd->idx])
		return false;
	if (w->sc.mode[sd->idx] == SIM_MODE_CLOSE && a->rx_done != w->sc.bytes[peer])
		return false;
	switch (w->sc.order) {
	case SIM_CLOSE_A_FIRST:
		return sd->idx == SIM_A || a->eof;
	case SIM_CLOSE_B_FIRST:
		return sd->idx == SIM_B || a->eof;
	case SIM_CLOSE_SIMUL:
		return w->simul_close_at != STACK_TIME_NEVER;
	case SIM_CLOSE_ANY:
	case SIM_CLOSE_ORDER_COUNT:
		break;
	}
	return true;
}

static void sim_app_do_close(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;
	int r;

	if (stack_tcp_readable(sd->stack, a->sock)) {
		sim_fail(w, "%c: about to close with %zu bytes unread", sim_app_name(sd),
			 stack_tcp_readable(sd->stack, a->sock));
		return;
	}
	r = stack_tcp_close(sd->stack, w->now, a->sock);
	if (r < 0)
		sim_fail(w, "%c: close: %s", sim_app_name(sd), strerror(-r));
	a->closed = true;
	sim_progress(w);
	if (sd->idx == SIM_A)
		sim_app_close_listener(w, sd);
}

static void sim_app_close_policy(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;
	int r;

	if (a->closed || w->failed)
		return;
	if (a->shut) {
		if (a->eof)
			sim_app_do_close(w, sd);
		return;
	}
	if (a->close_at == STACK_TIME_NEVER) {
		if (!sim_app_may_close(w, sd))
			return;
		a->close_at = w->sc.order == SIM_CLOSE_SIMUL
				      ? w->simul_close_at
				      : w->now + sim_rng_below(&a->rng, 50000);
	}
	if (w->now < a->close_at)
		return;
	if (w->sc.mode[sd->idx] == SIM_MODE_CLOSE) {
		sim_app_do_close(w, sd);
		return;
	}
	r = stack_tcp_shutdown(sd->stack, w->now, a->sock);
	if (r < 0)
		sim_fail(w, "%c: shutdown: %s", sim_app_name(sd), strerror(-r));
	a->shut = true;
	sim_progress(w);
	if (a->eof)
		sim_app_do_close(w, sd);
}

/* When the application next has something to do on its own (not waiting for an event). */
static void sim_app_schedule(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;
	bool want_send, want_recv;

	if (a->closed || !a->have_sock)
		return;
	want_send = !a->shut && !a->send_short && a->tx_done < w->sc.bytes[sd->idx];
	/* after PEER_CLOSED the EOF itself is still to be read */
	want_recv = !a->eof && (a->ev_peer_closed || stack_tcp_readable(sd->stack, a->sock) > 0);
	if (want_recv && w->now < a->stall_until)
		sim_app_wake(sd, a->stall_until);
	else if (want_recv || want_send)
		sim_app_wake(sd, sim_app_think(w, sd));
	if (!a->shut && a->close_at != STACK_TIME_NEVER)
		sim_app_wake(sd, a->close_at > w->now ? a->close_at : w->now);
}

void sim_app_act(struct sim_world *w, struct sim_side *sd)
{
	struct sim_app *a = &sd->app;

	a->next_action = STACK_TIME_NEVER;
	if (sd->idx == SIM_B && !a->have_sock) {
		sim_app_connect(w, sd);
		return;
	}
	if (sd->idx == SIM_A && !a->have_sock)
		sim_app_accept(w, sd);
	if (!a->have_sock || a->closed)
		return;
	sim_app_send(w, sd);
	sim_app_recv(w, sd);
	sim_app_close_policy(w, sd);
	sim_app_schedule(w, sd);
}

/* With SIM_CLOSE_SIMUL, pick the common close time once every byte has arrived. */
void sim_app_check_simul(struct sim_world *w)
{
	if (w->sc.order != SIM_CLOSE_SIMUL || w->simul_close_at != STACK_TIME_NEVER)
		return;
	for (int i = 0; i < SIM_SIDES; i++) {
		const struct sim_app *a = &w->side[i].app;

		if (!a->have_sock || a->tx_done != w->sc.bytes[i] ||
		    a->rx_done != w->sc.bytes[1 - i])
			return;
	}
	w->simul_close_at = w->now + sim_rng_below(&w->rng, 50000);
	for (int i = 0; i < SIM_SIDES; i++)
		sim_app_wake(&w->side[i], w->simul_close_at);
}

bool sim_app_finished(const struct sim_side *sd)
{
	const struct sim_app *a = &sd->app;

	if (!a->closed || a->ev_closed != 1)
		return false;
	return sd->idx == SIM_B || (a->listener_closed && a->ev_listener_closed == 1);
}

static void sim_app_event_listener(struct sim_world *w, struct sim_side *sd,
				   const struct stack_event *ev)
{
	struct sim_app *a = &sd->app;

	switch (ev->type) {
	case STACK_EV_ACCEPTABLE:
		if (a->listener_closed)
			sim_fail(w, "A: ACCEPTABLE after the listener was closed");
		a->ev_acceptable++;
		if (!a->have_sock)
			sim_app_wake(sd, sim_app_think(w, sd));
		return;
	case STACK_EV_CLOSED:
		if (!a->listener_closed || a->ev_listener_closed++)
			sim_fail(w, "A: unexpected CLOSED event for the listener");
		return;
	default:
		sim_fail(w, "A: unexpected event %d (err %d) on the listener", ev->type, ev->err);
	}
}

static void sim_app_event_conn(struct sim_world *w, struct sim_side *sd,
			       const struct stack_event *ev)
{
	struct sim_app *a = &sd->app;
	char c = sim_app_name(sd);

	if (a->closed && ev->type != STACK_EV_CLOSED) {
		sim_fail(w, "%c: event %d after close()", c, ev->type);
		return;
	}
	switch (ev->type) {
	case STACK_EV_ESTABLISHED:
		if (sd->idx != SIM_B || a->ev_established++)
			sim_fail(w, "%c: unexpected ESTABLISHED event", c);
		sim_progress(w);
		break;
	case STACK_EV_WRITABLE:
		a->send_short = false;
		break;
	case STACK_EV_READABLE:
		break;
	case STACK_EV_PEER_CLOSED:
		if (a->ev_peer_closed++)
			sim_fail(w, "%c: second PEER_CLOSED event", c);
		break;
	case STACK_EV_RESET:
	case STACK_EV_ERROR:
		sim_fail(w, "%c: connection %s: %s", c,
			 ev->type == STACK_EV_RESET ? "reset" : "failed", strerror(-ev->err));
		return;
	case STACK_EV_CLOSED:
		if (!a->closed || a->ev_closed++)
			sim_fail(w, "%c: unexpected CLOSED event", c);
		return;
	default:
		sim_fail(w, "%c: unknown event %d", c, ev->type);
		return;
	}
	if (w->now >= a->stall_until || ev->type != STACK_EV_READABLE)
		sim_app_wake(sd, sim_app_think(w, sd));
	else
		sim_app_wake(sd, a->stall_until);
}

void sim_app_events(struct sim_world *w, struct sim_side *sd)
{
	struct stack_event ev;

	while (stack_event_pop(sd->stack, &ev)) {
		if (sd->app.have_listener && ev.sock == sd->app.listener) {
			if (ev.owner != SIM_OWNER_LISTEN)
				sim_fail(w, "A: listener event with owner %llu",
					 (unsigned long long)ev.owner);
			sim_app_event_listener(w, sd, &ev);
		} else if (sd->app.have_sock && ev.sock == sd->app.sock) {
			if (ev.owner != SIM_OWNER_CONN)
				sim_fail(w, "%c: event with owner %llu", sim_app_name(sd),
					 (unsigned long long)ev.owner);
			sim_app_event_conn(w, sd, &ev);
		} else {
			sim_fail(w, "%c: event %d for unknown handle %#llx", sim_app_name(sd),
				 ev.type, (unsigned long long)ev.sock);
		}
	}
}

/* One line on where the application is, for failure messages. */
void sim_app_describe(const struct sim_world *w, const struct sim_side *sd, char *buf, size_t len)
{
	const struct sim_app *a = &sd->app;

	snprintf(buf, len, "%c: wrote %llu/%llu read %llu/%llu, readable %zu%s%s%s%s%s%s",
		 sim_app_name(sd), (unsigned long long)a->tx_done,
		 (unsigned long long)w->sc.bytes[sd->idx], (unsigned long long)a->rx_done,
		 (unsigned long long)w->sc.bytes[1 - sd->idx],
		 a->have_sock && !a->closed ? stack_tcp_readable(sd->stack, a->sock) : 0,
		 a->send_short ? ", waiting for WRITABLE" : "",
		 w->now < a->stall_until ? ", reads stalled" : "", a->shut ? ", shut down" : "",
		 a->eof ? ", EOF" : "", a->closed ? ", closed" : "",
		 sim_app_finished(sd) ? ", finished" : "");
}
