/* SPDX-License-Identifier: MIT */
/*
 * sim_world.h - the state of one simulated run: two stacks (A listens on
 * 10.0.0.1, B connects from 10.0.0.2), the two directions of the impaired
 * link between them, an application on each side that writes and reads in
 * random chunks at random virtual times, what the trace hook and the events
 * told us, and the first failure.
 *
 * sim_run.c drives the virtual clock, sim_app.c plays the applications,
 * sim_check.c watches the trace and checks the invariants and the outcome.
 */
#ifndef SYNACK_SIM_WORLD_H
#define SYNACK_SIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim_link.h"
#include "sim_rng.h"
#include "stack.h"

#define SIM_SIDES	 2
#define SIM_A		 0 /* the listener, 10.0.0.1 */
#define SIM_B		 1 /* the connector, 10.0.0.2 */
#define SIM_PORT	 8080
#define SIM_MAX_STATES	 32 /* state changes remembered per side */
#define SIM_OWNER_LISTEN 100
#define SIM_OWNER_CONN	 200

/* Who starts the close. */
enum sim_close_order {
	SIM_CLOSE_A_FIRST, /* B closes only after reading A's FIN */
	SIM_CLOSE_B_FIRST, /* A closes only after reading B's FIN */
	SIM_CLOSE_SIMUL,   /* both at the same virtual time, after all data arrived */
	SIM_CLOSE_ANY,	   /* each as soon as it is ready; races decide */
	SIM_CLOSE_ORDER_COUNT,
};

/* How an application closes. */
enum sim_close_mode {
	SIM_MODE_SHUTDOWN, /* shutdown() when done writing, read to EOF, then close() */
	SIM_MODE_CLOSE,	   /* close() once everything is written and read */
};

/* What one seed chose: the scenario, printed with -v. */
struct sim_scenario {
	enum sim_close_order order;
	enum sim_close_mode mode[SIM_SIDES];
	uint64_t bytes[SIM_SIDES];		/* bytes each side sends */
	struct sim_link_params link[SIM_SIDES]; /* [SIM_A] carries A -> B */
	bool seed_arp;
	bool use_blocking;  /* drive stack_link_set_blocked() from the queue depth */
	bool stalls;	    /* the readers sometimes stop reading for a while */
	bool keep_listener; /* close the listener only at the end */
	bool input_batches; /* frames due at once go in as one batch, as synackd's link reads
			     * them (stack_input_batch_begin/_end), the applications after */
	/* per side: its link completes checksums and cuts TSO frames, as synackd's
	 * TAP with virtio-net offloads, so the side emits partial checksums, TSO
	 * frames and payload from its send ring */
	bool offload[SIM_SIDES];
	/* per side: the application takes in-order bytes as they arrive
	 * (stack_tcp_set_direct), as synackd's discard service does, but all,
	 * some or none of each offer */
	bool direct[SIM_SIDES];
	uint32_t mtu[SIM_SIDES];
	uint64_t msl_us;
	uint64_t think_us;  /* largest pause between application actions */
	uint32_t max_chunk; /* largest send/recv call */
	struct stack_tunables tun[SIM_SIDES];
	bool nodelay[SIM_SIDES];
	uint64_t keepidle_us[SIM_SIDES]; /* 0: keepalive off */
	uint64_t keepintvl_us[SIM_SIDES];
};

/* What the application on one side does and has seen. */
struct sim_app {
	struct sim_rng rng;
	stack_sock sock, listener;
	bool have_sock, have_listener;
	uint64_t tx_done, rx_done; /* bytes handed to send / read back */
	bool send_short;	   /* the last send took less than asked: wait for WRITABLE */
	bool shut, closed, eof, listener_closed;
	stack_time_us next_action, stall_until, close_at;
	/* events seen */
	unsigned ev_established, ev_acceptable, ev_peer_closed, ev_closed, ev_listener_closed;
};

/* The connection's state changes on one side, from the trace hook. */
struct sim_path {
	uint8_t st[SIM_MAX_STATES];
	stack_time_us at[SIM_MAX_STATES];
	unsigned n;
	bool overflow;
	bool have_tuple;
	uint16_t lport, rport;
};

/* What one side's segments said about windows (RFC 9293 §3.8.6, RFC 7323 §2). */
struct sim_wnd {
	int my_ws, peer_ws; /* window scale offered in our / the peer's SYN, -1 none */
	bool have_rcv_edge; /* the right edge we advertised last */
	uint32_t rcv_edge;
	bool have_snd_edge; /* the furthest right edge the peer ever advertised */
	uint32_t snd_edge;
};

struct sim_world;

/*
 * Optional hooks for scenarios built on the simulator (sim_adversary.c): the
 * random runs of sim.c use none. ctx is passed back to each.
 */
struct sim_hooks {
	void *ctx;
	/* after the seed picked the scenario: overwrite any part of w->sc */
	void (*scenario)(struct sim_world *w, void *ctx);
	/* each step, after deliveries and timers, before the applications act */
	void (*step)(struct sim_world *w, void *ctx);
	/* when step wants to run next (STACK_TIME_NEVER: only with the others) */
	stack_time_us (*next_at)(struct sim_world *w, void *ctx);
	/* a frame side idx emits: true loses it on the wire */
	bool (*drop)(struct sim_world *w, void *ctx, int idx, const uint8_t *frame, size_t len);
};

struct sim_side {
	struct sim_world *w;
	int idx;
	struct stack *stack;
	uint8_t mac[6];
	uint32_t addr;
	size_t alloc_bytes; /* outstanding through the allocator */
	struct sim_app app;
	struct sim_path path;
	struct sim_wnd wnd;
	uint64_t segs_out;
	bool blocked;
};

struct sim_opts {
	bool verbose;
	bool no_offload; /* no side offloads, whatever the seed says */
	bool no_direct;	 /* no side reads directly, whatever the seed says */
	uint64_t max_steps;
	stack_time_us max_time;	  /* virtual */
	stack_time_us stall_time; /* no progress for this long = failure */
	/* NULL for the random scenarios */
	const struct sim_hooks *hooks;
};

struct sim_world {
	uint64_t seed;
	const struct sim_opts *opts;
	struct sim_scenario sc;
	struct sim_rng rng;
	stack_time_us now, last_progress;
	uint64_t steps;
	struct sim_side side[SIM_SIDES];
	struct sim_link link[SIM_SIDES]; /* link[i] carries frames sent by side i */
	stack_time_us simul_close_at;
	bool failed;
	char fail[512];
};

/* sim_run.c */
void sim_fail(struct sim_world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sim_progress(struct sim_world *w);

/* sim_app.c */
void sim_app_start(struct sim_world *w, struct sim_side *sd);
void sim_app_act(struct sim_world *w, struct sim_side *sd);
void sim_app_events(struct sim_world *w, struct sim_side *sd);
bool sim_app_finished(const struct sim_side *sd);
void sim_app_check_simul(struct sim_world *w);
void sim_app_describe(const struct sim_world *w, const struct sim_side *sd, char *buf, size_t len);
void sim_pattern(uint64_t key, uint64_t off, uint8_t *buf, size_t len);
/* stack_env.direct of side sd: in-order bytes offered as they arrive; how many it took. */
size_t sim_app_direct(struct sim_world *w, struct sim_side *sd, stack_sock sock,
		      const uint8_t *data, size_t len);
/* The key of the stream side idx sends (for sim_pattern()). */
uint64_t sim_app_key(const struct sim_world *w, int idx);

/* sim_check.c */
void sim_check_trace(void *ctx, const struct stack_trace *t);
void sim_check_link_log(void *ctx, stack_time_us now, enum sim_link_fate fate, size_t len);
void sim_check_after_poll(struct sim_world *w, struct sim_side *sd);
void sim_check_invariants(struct sim_world *w);
void sim_check_outcome(struct sim_world *w);
size_t sim_check_conns(const struct sim_side *sd);
void sim_check_corrupt_dropped(struct sim_world *w, struct sim_side *sd, const struct sim_link *in);

#endif
