/* SPDX-License-Identifier: MIT */
/*
 * fuzz-config.c - the configuration loader on arbitrary bytes. Besides
 * crashes and leaks it checks the loader's promises: success means no errors
 * listed, failure means at least one and the output left untouched, every
 * error prints; and the unit parsers give back what their formatters wrote.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_config_units(const uint8_t *data, size_t size)
{
	char text[64], buf[64];
	uint64_t v, back;
	uint32_t ppm, pback;

	if (size >= sizeof(text))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (config_parse_duration(text, &v) == 0 &&
	    (config_format_duration(v, buf, sizeof(buf)) < 0 ||
	     config_parse_duration(buf, &back) != 0 || back != v))
		abort();
	if (config_parse_size(text, &v) == 0 && (config_format_size(v, buf, sizeof(buf)) < 0 ||
						 config_parse_size(buf, &back) != 0 || back != v))
		abort();
	if (config_parse_percent(text, &ppm) == 0 &&
	    (ppm > 1000000 || config_format_percent(ppm, buf, sizeof(buf)) < 0 ||
	     config_parse_percent(buf, &pback) != 0 || pback != ppm))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config_errors errs = { 0 };
	struct synack_config cfg, before;
	static FILE *devnull; /* opened once, for the life of the fuzzer */
	int r;

	memset(&cfg, 0x5a, sizeof(cfg));
	memcpy(&before, &cfg, sizeof(cfg));
	r = config_load_buffer("fuzz.yaml", (const char *)data, size, &cfg, &errs);
	if (r == 0 && errs.n != 0)
		abort();
	if (r == -EINVAL && (errs.n == 0 || errs.n > CONFIG_ERRORS_MAX + 1 ||
			     memcmp(&cfg, &before, sizeof(cfg)) != 0))
		abort();
	if (r != 0 && r != -EINVAL && r != -ENOMEM)
		abort();
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	if (devnull)
		config_errors_print(&errs, devnull);
	config_errors_free(&errs);
	fuzz_config_units(data, size);
	return 0;
}
