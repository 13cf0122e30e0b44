/* SPDX-License-Identifier: MIT */
/*
 * config.c - loading a configuration: read the file (bounded), walk its YAML
 * over the embedded defaults, check the rules between keys, and hand the
 * result over (and, on request, which keys the file named) only when there
 * was no error at all.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config_internal.h"

int config_load_buffer_pos(const char *name, const char *buf, size_t len, struct synack_config *ret,
			   struct config_errors *errs, struct config_pos *ret_pos)
{
	struct config_pos pos[CONFIG_KEYS_MAX] = { { 0, 0 } };
	struct config_errors local;
	struct synack_config c;
	int r = 0;

	config_errors_init(&local, name);
	config_defaults(&c);
	if (!buf && len)
		r = -EINVAL;
	else if (len > CONFIG_FILE_MAX)
		r = config_errors_add(&local, 0, 0, "file is larger than %u bytes",
				      CONFIG_FILE_MAX);
	else
		r = config_yaml_walk(buf ? buf : "", len, &c, &local, pos);
	/* Rules between keys only make sense once every key parsed. */
	if (r == 0 && local.n == 0)
		r = config_check(&c, pos, &local);
	if (r != -ENOMEM && local.n)
		r = -EINVAL;
	if (r == 0) {
		memcpy(ret, &c, sizeof(c));
		if (ret_pos)
			memcpy(ret_pos, pos, config_key_count() * sizeof(*pos));
	}
	if (errs)
		config_errors_move(errs, &local);
	else
		config_errors_free(&local);
	return r;
}

int config_load_buffer(const char *name, const char *buf, size_t len, struct synack_config *ret,
		       struct config_errors *errs)
{
	return config_load_buffer_pos(name, buf, len, ret, errs, NULL);
}

/* The whole file, up to CONFIG_FILE_MAX + 1 bytes, from any kind of file (pipes too). */
static int config_read_file(int fd, char **ret, size_t *ret_len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k;

		if (n == cap) {
			char *b;

			if (cap > CONFIG_FILE_MAX)
				break;
			cap *= 2;
			b = realloc(buf, cap);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
		}
		k = read(fd, buf + n, cap - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int e = errno;

			free(buf);
			return -e;
		}
		if (k == 0)
			break;
		n += (size_t)k;
	}
	*ret = buf;
	*ret_len = n;
	return 0;
}

static int config_file_fail_msg(const char *path, int r, const char *why,
				struct config_errors *errs)
{
	if (errs) {
		config_errors_free(errs);
		config_errors_init(errs, path);
		config_errors_add(errs, 0, 0, "cannot read: %s", why);
	}
	return r;
}

static int config_file_fail(const char *path, int r, struct config_errors *errs)
{
	return config_file_fail_msg(path, r, strerror(-r), errs);
}

/* A FIFO, device or socket would keep synackd waiting for a writer (a reload,
 * on the loop), or be opened for nothing: refused before and after open(). */
static int config_file_not_regular(const char *path, struct config_errors *errs)
{
	return config_file_fail_msg(path, -EINVAL, "not a regular file", errs);
}

int config_load_file_named(const char *path, struct synack_config *ret, struct config_errors *errs,
			   bool *ret_named)
{
	struct config_pos pos[CONFIG_KEYS_MAX];
	struct stat st;
	size_t len = 0;
	char *buf = NULL;
	int fd, r;

	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return config_file_not_regular(path, errs);
	/* O_NONBLOCK too: it may have become a FIFO since */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return config_file_fail(path, -errno, errs);
	if (fstat(fd, &st) < 0)
		r = -errno;
	else
		r = S_ISDIR(st.st_mode) ? -EISDIR : 0;
	if (r < 0) {
		close(fd);
		return config_file_fail(path, r, errs);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return config_file_not_regular(path, errs);
	}
	r = config_read_file(fd, &buf, &len);
	close(fd);
	if (r < 0)
		return config_file_fail(path, r, errs);
	r = config_load_buffer_pos(path, buf, len, ret, errs, pos);
	free(buf);
	/* a key has a position when the file gave it a value */
	for (size_t i = 0; r == 0 && ret_named && i < CONFIG_KEYS_MAX; i++)
		ret_named[i] = i < config_key_count() && pos[i].line != 0;
	return r;
}

int config_load_file(const char *path, struct synack_config *ret, struct config_errors *errs)
{
	return config_load_file_named(path, ret, errs, NULL);
}
