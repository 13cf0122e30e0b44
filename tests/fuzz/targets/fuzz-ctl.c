/* SPDX-License-Identifier: MIT */
/*
 * fuzz-ctl.c - libFuzzer target for the control socket's requests: unpacked
 * ControlRequests go through synackd's real handlers (daemon/control/ctl_handlers.c)
 * and trace history against two cores in memory (ctl-world.h, which lists
 * the checks made on the way), with time passing and connections coming
 * and going between requests.
 *
 * Input: one byte choosing the client (% 3: root, a member of the reading
 * group only, a stranger), then records of one opcode byte and arguments
 * (cut short at the end of the input):
 *   op % 3 == 0  request: length (2, big endian, mod 8192) and that many
 *                bytes, taken as the control server takes a frame;
 *   op % 3 == 1  time step: 2 bytes, the clock moves n * n microseconds
 *                (up to ~4300 s);
 *   op % 3 == 2  world: 1 byte for ctl_world_act() (connections opened,
 *                accepted, closed by either side, a burst of 64); the first
 *                FUZZ_MAX_ACTS of them count, and only the first burst.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "ctl-world.h"

/* World changes per input, and bursts of 64 connections (the costly ones) */
#define FUZZ_MAX_ACTS 32

static size_t cw_take(const uint8_t **p, size_t *n, void *dst, size_t want)
{
	size_t k = want < *n ? want : *n;

	memset(dst, 0, want);
	memcpy(dst, *p, k);
	*p += k;
	*n -= k;
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_world f;
	const uint8_t *p = data;
	size_t n = size;
	unsigned acts = 0, bursts = 0;

	if (size < 1)
		return 0;
	memset(&f, 0, sizeof(f));
	ctl_world_setup(&f, (enum ctl_world_who)(*p++ % 3));
	n--;
	for (int steps = 0; n && steps < 256; steps++) {
		uint8_t op = *p++, b[2];

		n--;
		switch (op % 3) {
		case 0: {
			size_t len;

			cw_take(&p, &n, b, 2);
			len = (size_t)(b[0] << 8 | b[1]) % 8192;
			if (len > n)
				len = n;
			/* every request that unpacks gets exactly one reply, with its id */
			if (ctl_world_request(&f, p, len) == -EPROTO)
				__builtin_trap();
			p += len;
			n -= len;
			break;
		}
		case 1:
			cw_take(&p, &n, b, 2);
			ctl_world_step(&f, (stack_time_us)(b[0] << 8 | b[1]) * (b[0] << 8 | b[1]));
			break;
		default:
			cw_take(&p, &n, b, 1);
			/* each act costs segments and traces: keep an input's cost bounded */
			if (acts++ < FUZZ_MAX_ACTS && ((b[0] & 6) != 6 || !bursts++))
				ctl_world_act(&f, b[0]);
			break;
		}
	}
	ctl_world_teardown(&f);
	return 0;
}
