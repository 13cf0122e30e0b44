/* SPDX-License-Identifier: MIT */
/*
 * main.c - synackd's command line: options, the configuration (embedded
 * defaults, or a file), --check-config, then the daemon (daemon.c).
 * synackd always runs in the foreground, as systemd and containers expect.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "synack-build.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: synackd [OPTIONS]\n"
		   "A userspace TCP/IP stack on a TAP device.\n\n"
		   "  -c, --config FILE        read FILE (default: embedded defaults)\n"
		   "      --check-config FILE  validate FILE, print its errors, and exit\n"
		   "  -f, --foreground         stay in the foreground (always the case)\n"
		   "  -l, --log-level LEVEL    err, warning, notice, info or debug\n"
		   "  -n, --netns PATH         run in the network namespace at PATH\n"
		   "  -h, --help               show this help\n"
		   "  -V, --version            show the version\n");
}

static int check_config(const char *path)
{
	struct config_errors errs = { 0 };
	struct synack_config cfg;
	int r = config_load_file(path, &cfg, &errs);

	if (r < 0) {
		config_errors_print(&errs, stderr);
		config_errors_free(&errs);
		return EXIT_FAILURE;
	}
	config_errors_free(&errs);
	printf("%s: configuration OK\n", path);
	return EXIT_SUCCESS;
}

/* Load the file over the defaults, or just the defaults; errors go to the log. */
static int load_config(const char *path, struct synack_config *cfg)
{
	struct config_errors errs = { 0 };
	int r;

	if (!path) {
		config_defaults(cfg);
		return 0;
	}
	r = config_load_file(path, cfg, &errs);
	if (r < 0) {
		for (size_t i = 0; i < errs.n; i++) {
			if (errs.v[i].line)
				log_err("%s:%u:%u: %s", errs.file, errs.v[i].line, errs.v[i].column,
					errs.v[i].message);
			else
				log_err("%s: %s", errs.file, errs.v[i].message);
		}
		log_err("%s: not starting", path);
	}
	config_errors_free(&errs);
	return r;
}

int main(int argc, char **argv)
{
	enum { OPT_CHECK_CONFIG = 0x100 };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, OPT_CHECK_CONFIG },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "netns", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct daemon_opts dopts = { .log_level = -1 };
	struct synack_config cfg;
	int c;

	log_init();
	while ((c = getopt_long(argc, argv, "c:fl:n:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		case 'V':
			printf("synackd %s\n", SYNACK_VERSION);
			return EXIT_SUCCESS;
		case OPT_CHECK_CONFIG:
			return check_config(optarg);
		case 'c':
			dopts.config_path = optarg;
			break;
		case 'f':
			break;
		case 'l':
			dopts.log_level = log_level_from_name(optarg);
			if (dopts.log_level < 0) {
				fprintf(stderr, "synackd: unknown log level \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'n':
			dopts.netns = optarg;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "synackd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (dopts.log_level >= 0)
		log_set_level(dopts.log_level);
	if (load_config(dopts.config_path, &cfg) < 0)
		return EXIT_FAILURE;
	if (dopts.log_level < 0)
		log_set_level(log_level_from_config(cfg.log.level));
	return daemon_run(&dopts, &cfg);
}
