/* SPDX-License-Identifier: MIT */
/*
 * stats.c - the stats history file for --delta, and name patterns.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "stats.h"

int stats_history_path(char *buf, size_t len)
{
	const char *env = getenv("SYNACKCTL_HISTORY");
	const char *run = getenv("XDG_RUNTIME_DIR");
	int n;

	if (env && *env)
		n = snprintf(buf, len, "%s", env);
	else if (run && *run)
		n = snprintf(buf, len, "%s/synackctl.stats", run);
	else
		n = snprintf(buf, len, "/tmp/.synackctl.u%u", (unsigned)getuid());
	return n < 0 || (size_t)n >= len ? -ENOBUFS : 0;
}

static int stats_append(struct ctl_counter **v, size_t *n, size_t *cap, const char *name,
			uint64_t value)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		struct ctl_counter *nv = realloc(*v, ncap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap = ncap;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	snprintf((*v)[*n].name, sizeof((*v)[*n].name), "%s", name);
	(*v)[*n].value = value;
	(*n)++;
	return 0;
}

int stats_history_load(const char *path, struct ctl_counter **ret, size_t *ret_n)
{
	FILE *f = fopen(path, "re");
	struct ctl_counter *v = NULL;
	size_t n = 0, cap = 0;
	char line[128], name[48];
	uint64_t value;
	int r = 0;

	if (!f)
		return -errno;
	while (r == 0 && fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		if (sscanf(line, "%47s %" SCNu64, name, &value) == 2)
			r = stats_append(&v, &n, &cap, name, value);
	}
	fclose(f);
	if (r < 0) {
		free(v);
		return r;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int stats_history_save(const char *path, const struct ctl_counter *c, size_t n)
{
	char tmp[4096];
	FILE *f;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(tmp);
		return -ENOMEM;
	}
	fprintf(f, "#synackctl stats history\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s %" PRIu64 "\n", c[i].name, c[i].value);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		int r = -errno;

		unlink(tmp);
		return r;
	}
	return 0;
}

static const struct ctl_counter *stats_find(const struct ctl_counter *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	}
	return NULL;
}

void stats_delta(struct ctl_counter *cur, size_t n, const struct ctl_counter *prev, size_t pn)
{
	for (size_t i = 0; i < n; i++) {
		const struct ctl_counter *p = stats_find(prev, pn, cur[i].name);

		if (cur[i].gauge || !p || p->value > cur[i].value)
			continue;
		cur[i].value -= p->value;
	}
}

bool stats_match(const char *name, char *const *patterns, size_t n)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (fnmatch(patterns[i], name, FNM_CASEFOLD) == 0)
			return true;
	}
	return false;
}
