/* SPDX-License-Identifier: MIT */
/*
 * sim.c - the deterministic simulator's command line (DESIGN.md, testing
 * layer 2): run seeds [first, first + N) or exactly one, print each failing
 * seed with the command that replays it, and a summary line
 * "N seeds: P passed, F failed". Exit status 0 only when every seed passed.
 *
 *   sim --seeds 2000            seeds 1..2000
 *   sim --first 5000 --seeds 100
 *   sim --seed 1234 -v          replay one seed with a trace of every segment
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim_run.h"

struct sim_cli {
	uint64_t first, count;
	struct sim_opts opts;
};

static void sim_usage(FILE *f, const char *argv0)
{
	fprintf(f,
		"usage: %s [--seeds N] [--first S] [--seed S] [--no-offload] [--no-direct] [-v]\n"
		"  --seeds N     run N seeds (default 100)\n"
		"  --first S     start at seed S (default 1)\n"
		"  --seed S      run exactly seed S (replay)\n"
		"  --no-offload  no side offloads, whatever the seed says (a seed as it\n"
		"                ran before offloads were drawn: FINDINGS.md)\n"
		"  --no-direct   no side reads directly, whatever the seed says (a seed\n"
		"                as it ran before direct readers were drawn: FINDINGS.md)\n"
		"  -v            trace every segment, state change and link impairment\n",
		argv0);
}

static int sim_parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

static int sim_parse_args(int argc, char **argv, struct sim_cli *cli)
{
	cli->first = 1;
	cli->count = 100;
	sim_opts_defaults(&cli->opts);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r = 0;

		if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
			cli->opts.verbose = true;
		} else if (strcmp(a, "--seeds") == 0) {
			r = sim_parse_u64(i + 1 < argc ? argv[++i] : NULL, &cli->count);
		} else if (strcmp(a, "--first") == 0) {
			r = sim_parse_u64(i + 1 < argc ? argv[++i] : NULL, &cli->first);
		} else if (strcmp(a, "--seed") == 0) {
			r = sim_parse_u64(i + 1 < argc ? argv[++i] : NULL, &cli->first);
			cli->count = 1;
		} else if (strcmp(a, "--no-offload") == 0) {
			cli->opts.no_offload = true;
		} else if (strcmp(a, "--no-direct") == 0) {
			cli->opts.no_direct = true;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			sim_usage(stdout, argv[0]);
			exit(0);
		} else {
			r = -EINVAL;
		}
		if (r < 0) {
			fprintf(stderr, "sim: bad argument '%s'\n", a);
			sim_usage(stderr, argv[0]);
			return -1;
		}
	}
	return 0;
}

static double sim_wall_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sim_add(struct sim_result *sum, const struct sim_result *r)
{
	sum->vtime += r->vtime;
	sum->steps += r->steps;
	sum->bytes += r->bytes;
	sum->segs += r->segs;
	sum->retrans += r->retrans;
	sum->link.offered += r->link.offered;
	sum->link.refused += r->link.refused;
	sum->link.lost += r->link.lost;
	sum->link.duplicated += r->link.duplicated;
	sum->link.reordered += r->link.reordered;
	sum->link.corrupted += r->link.corrupted;
}

static void sim_print_totals(const struct sim_result *sum, double wall)
{
	printf("totals: %.1f MiB delivered, %" PRIu64 " segments (%" PRIu64
	       " retransmitted), %.0f s virtual, %" PRIu64 " steps, %.1f s wall\n",
	       (double)sum->bytes / (1024.0 * 1024.0), sum->segs, sum->retrans,
	       (double)sum->vtime / 1e6, sum->steps, wall);
	printf("link: %" PRIu64 " frames, %" PRIu64 " lost, %" PRIu64
	       " refused (queue full), %" PRIu64 " duplicated, %" PRIu64 " reordered, %" PRIu64
	       " corrupted\n",
	       sum->link.offered, sum->link.lost, sum->link.refused, sum->link.duplicated,
	       sum->link.reordered, sum->link.corrupted);
}

int main(int argc, char **argv)
{
	struct sim_result sum = { 0 }, res;
	uint64_t passed = 0, failed = 0;
	struct sim_cli cli;
	double t0;

	if (sim_parse_args(argc, argv, &cli) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	t0 = sim_wall_seconds();
	for (uint64_t i = 0; i < cli.count; i++) {
		uint64_t seed = cli.first + i;

		if (sim_run_seed(seed, &cli.opts, &res) == 0) {
			passed++;
		} else {
			failed++;
			printf("seed %" PRIu64 " FAILED: %s\n  replay: %s --seed %" PRIu64 " -v\n",
			       seed, res.fail, argv[0], seed);
		}
		sim_add(&sum, &res);
	}
	sim_print_totals(&sum, sim_wall_seconds() - t0);
	printf("%" PRIu64 " seeds: %" PRIu64 " passed, %" PRIu64 " failed\n", cli.count, passed,
	       failed);
	return failed ? 1 : 0;
}
