/* SPDX-License-Identifier: MIT */
/*
 * ctl-world.h - synackd's control handlers (daemon/control/ctl_handlers.c) in
 * memory, for the ctl fuzz target and unit tests: "our" core (10.77.0.2,
 * echo on 7 and discard on 9, as synackd runs them) wired to a peer core
 * (10.77.0.1, listening on 80) by two frame queues, the trace history fed
 * by our core's trace hook, and a struct ctl_host that packs every reply
 * as the control server would, plays the RPC server for the connections
 * it accepted (owner lookup, kill) and answers access checks for one of
 * three kinds of client.
 *
 * Checked on the way (a trap when not): every message sent unpacks again;
 * a client that may not change synackd leaves the tunables as they were;
 * each core gives back every byte at teardown. ctl_world_request() says
 * whether the request got exactly one reply, carrying its id.
 */
#ifndef SYNACK_TESTS_CTL_WORLD_H
#define SYNACK_TESTS_CTL_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl_handlers.h"
#include "ctl_history.h"
#include "stack.h"

/* The largest request, as ctl_server.h's CTL_MAX_REQUEST. */
#define CTL_WORLD_MAX_REQ (64 * 1024)
#define CW_US		  0x0a4d0002u
#define CW_PEER		  0x0a4d0001u
#define CW_MAX_CONNS	  96u
#define CW_QUEUE	  64u
#define CW_FRAME	  2048u
#define CW_OWNED	  16u
#define CW_PEER_SOCKS	  80u
#define CW_OWNER(i)	  (0x10000ull + (i)) /* owner tags of the connections we accepted */

#define CHECK(x)                          \
	do {                              \
		if (!(x))                 \
			__builtin_trap(); \
	} while (0)

/* Who asks: root, a member of control.group only, anyone else. */
enum ctl_world_who { CTL_WORLD_ROOT, CTL_WORLD_READER, CTL_WORLD_STRANGER };

struct cw_queue {
	uint8_t frame[CW_QUEUE][CW_FRAME];
	uint16_t len[CW_QUEUE];
	uint32_t head, n;
};

struct cw_core {
	struct stack *s;
	size_t alloc_bytes;
	struct cw_queue *out; /* frames it sent, for the other core */
};

struct ctl_world {
	struct cw_core us, peer;
	struct cw_queue q[2];
	stack_time_us now;
	struct ctl_history hist;
	struct ctl_host host;
	struct ctl_client cl;
	enum ctl_world_who who;
	stack_sock listeners[2]; /* ours: echo, discard */
	stack_sock peer_listener;
	stack_sock owned[CW_OWNED]; /* our connections an "RPC client" holds, by slot */
	stack_sock peer_socks[CW_PEER_SOCKS];
	uint32_t replies;  /* ControlReply messages sent for the current request */
	uint64_t reply_id; /* the id the last one carried */
	uint32_t streams;  /* stream_changed calls */
	uint64_t cap_ms;   /* the last capture timer */
	uint32_t reloads;
	bool verbose;	  /* $FUZZ_CTL_VERBOSE: print each reply (to check seeds) */
	size_t frame_max; /* the largest frame written: FRAME_MAX_LIMIT, less in tests */
	uint8_t *last;	  /* the last reply, packed (frame header first) */
	size_t last_len;
};

void ctl_world_setup(struct ctl_world *w, enum ctl_world_who who);
void ctl_world_teardown(struct ctl_world *w);
/*
 * One request's bytes, taken as ctl_session_frame() takes them: unpacked as
 * a synack.v1.ControlRequest and handled. -EBADMSG when it does not unpack,
 * -EPROTO when it did not get exactly one reply with its id, else 0.
 */
int ctl_world_request(struct ctl_world *w, const uint8_t *p, size_t len);
/* Let time pass: the clock moves dt, both cores are polled, frames delivered. */
void ctl_world_step(struct ctl_world *w, stack_time_us dt);
/*
 * Change the world; a is slot << 4 | flag (8) | action (0..7): the peer
 * connects to echo (to discard with the flag), we accept into slot, we close
 * slot's connection, the peer closes (sends with the flag), we connect out,
 * the peer accepts, or (6, 7) a burst of 64 connections from the peer.
 */
void ctl_world_act(struct ctl_world *w, uint8_t a);

#endif
