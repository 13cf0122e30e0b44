/* SPDX-License-Identifier: MIT */
/*
 * sim_run.h - run one seed of the simulator: build the scenario from the
 * seed, set up two stacks and the link, drive the virtual clock until both
 * connections are gone (or a check fails, or the run exceeds its bounds), and
 * check the outcome.
 */
#ifndef SYNACK_SIM_RUN_H
#define SYNACK_SIM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "sim_world.h"

struct sim_result {
	bool passed;
	char fail[512];
	stack_time_us fail_at;
	stack_time_us vtime; /* virtual time the run took */
	uint64_t steps;
	uint64_t bytes; /* both directions */
	uint64_t segs;
	uint64_t retrans;
	struct sim_link_stats link;
};

void sim_opts_defaults(struct sim_opts *o);
/* 0 when the seed passed; -1 with res->fail set when it did not. */
int sim_run_seed(uint64_t seed, const struct sim_opts *o, struct sim_result *res);

#endif
