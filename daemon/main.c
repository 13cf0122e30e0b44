/* SPDX-License-Identifier: MIT */
/*
 * main.c - synackd's command line: --help, --version, --check-config.
 * (The daemon proper is wired in as the shell lands.)
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "synack-build.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: synackd [OPTIONS]\n"
		   "A userspace TCP/IP stack on a TAP device.\n\n"
		   "  -c, --config FILE        read FILE (default: embedded defaults)\n"
		   "      --check-config FILE  validate FILE, print its errors, and exit\n"
		   "  -f, --foreground         stay in the foreground (the default)\n"
		   "  -l, --log-level LEVEL    err, warning, notice, info or debug\n"
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

int main(int argc, char **argv)
{
	enum { OPT_CHECK_CONFIG = 0x100 };
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, OPT_CHECK_CONFIG },
		{ "foreground", no_argument, NULL, 'f' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:fl:hV", opts, NULL)) != -1) {
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
		case 'f':
		case 'l':
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	fprintf(stderr, "synackd: the daemon is not wired up yet\n");
	return EXIT_FAILURE;
}
