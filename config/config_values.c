/* SPDX-License-Identifier: MIT */
/*
 * config_values.c - one scalar from the file turned into the typed field of
 * struct synack_config its key names: integers, booleans, units, names,
 * paths, addresses. Each parser checks the whole text and the key's range
 * and says what it expected when the text is wrong. And back: a field written
 * as the file writes it (config_value_format), which the parser reads again
 * as the same value, for saying what a reload changed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "config_internal.h"

static int config_fail(int r, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int config_fail(int r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return r;
}

void config_quote(const char *text, size_t len, char *buf, size_t buflen)
{
	size_t o = 0, i;

	if (buflen < 12) {
		if (buflen)
			buf[0] = '\0';
		return;
	}
	buf[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		bool esc = c < 0x20 || c == 0x7f || c == '"' || c == '\\';

		/* Keep room for the escape, then for ...", NUL. */
		if (o + (esc ? 4 : 1) + 5 > buflen)
			break;
		if (esc)
			o += (size_t)snprintf(buf + o, buflen - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '"';
	buf[o] = '\0';
}

bool config_scalar_is_null(const struct config_scalar *s)
{
	return s->plain &&
	       (s->len == 0 || strcmp(s->text, "~") == 0 || strcmp(s->text, "null") == 0 ||
		strcmp(s->text, "Null") == 0 || strcmp(s->text, "NULL") == 0);
}

static void config_store_uint(void *field, size_t size, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;

	switch (size) {
	case 1:
		memcpy(field, &u8, 1);
		break;
	case 2:
		memcpy(field, &u16, 2);
		break;
	case 4:
		memcpy(field, &u32, 4);
		break;
	default:
		memcpy(field, &v, 8);
		break;
	}
}

/* A plain run of decimal digits, no sign, no leading zero (YAML 1.1 octal). */
static int config_uint_parse(const char *s, uint64_t *ret)
{
	uint64_t v = 0;

	if (!*s)
		return -EINVAL;
	if (s[0] == '0' && s[1])
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*ret = v;
	return 0;
}

static int config_set_uint(const struct config_key *k, const struct config_scalar *s, uint64_t min,
			   uint64_t max, void *field, char *err, size_t errlen)
{
	char q[48];
	uint64_t v;
	int r;

	config_quote(s->text, s->len, q, sizeof(q));
	if (!s->plain)
		return config_fail(-EINVAL, err, errlen,
				   "expected an integer, not the quoted string %s", q);
	r = config_uint_parse(s->text, &v);
	if (r == -ERANGE || (r == 0 && (v < min || v > max)))
		return config_fail(-ERANGE, err, errlen,
				   "%s is out of range (%" PRIu64 "..%" PRIu64 ")", q, min, max);
	if (r < 0)
		return config_fail(-EINVAL, err, errlen,
				   "expected an integer %" PRIu64 "..%" PRIu64
				   " (decimal digits, no sign or leading zero), not %s",
				   min, max, q);
	config_store_uint(field, k->size, v);
	return 0;
}

static int config_bool_parse(const char *s, bool *ret)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
					   "YES",  "on",   "On",   "ON",  NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no",  "No",
					  "NO",	   "off",   "Off",   "OFF", NULL };

	for (size_t i = 0; yes[i]; i++) {
		if (strcmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int config_set_bool(const struct config_key *k, const struct config_scalar *s, void *field,
			   char *err, size_t errlen)
{
	char q[48];
	bool v;

	config_quote(s->text, s->len, q, sizeof(q));
	if (!s->plain || config_bool_parse(s->text, &v) < 0)
		return config_fail(-EINVAL, err, errlen,
				   "expected a boolean (true/false, yes/no, on/off), not %s%s", q,
				   s->plain ? "" : " (quoted)");
	memcpy(field, &v, sizeof(v));
	return 0;
}

/* Durations, sizes and percentages: kind names the parser and the formatter. */
enum config_unit_kind { CONFIG_UNIT_DURATION, CONFIG_UNIT_SIZE, CONFIG_UNIT_PERCENT };

static int config_unit_format_any(enum config_unit_kind kind, uint64_t v, char *buf, size_t len)
{
	switch (kind) {
	case CONFIG_UNIT_DURATION:
		return config_format_duration(v, buf, len);
	case CONFIG_UNIT_SIZE:
		return config_format_size(v, buf, len);
	default:
		return config_format_percent((uint32_t)v, buf, len);
	}
}

static int config_unit_parse_any(enum config_unit_kind kind, const char *s, uint64_t *ret)
{
	uint32_t ppm;
	int r;

	switch (kind) {
	case CONFIG_UNIT_DURATION:
		return config_parse_duration(s, ret);
	case CONFIG_UNIT_SIZE:
		return config_parse_size(s, ret);
	default:
		r = config_parse_percent(s, &ppm);
		if (r == 0)
			*ret = ppm;
		return r;
	}
}

static const char *const config_unit_expect[] = {
	[CONFIG_UNIT_DURATION] = "a duration with a unit (us, ms, s, min, h), e.g. 200ms or 1.5s",
	[CONFIG_UNIT_SIZE] = "a size in bytes, or with a unit (B, KiB, MiB, GiB), e.g. 256KiB",
	[CONFIG_UNIT_PERCENT] = "a percentage 0%..100%, e.g. 0.5%",
};

static const char *const config_unit_base[] = {
	[CONFIG_UNIT_DURATION] = "1us",
	[CONFIG_UNIT_SIZE] = "1 byte",
	[CONFIG_UNIT_PERCENT] = "0.0001%",
};

static int config_set_units(const struct config_key *k, const struct config_scalar *s,
			    enum config_unit_kind kind, uint64_t min, uint64_t max, void *field,
			    char *err, size_t errlen)
{
	char q[48], lo[32], hi[32];
	uint64_t v;
	int r;

	config_quote(s->text, s->len, q, sizeof(q));
	config_unit_format_any(kind, min, lo, sizeof(lo));
	config_unit_format_any(kind, max, hi, sizeof(hi));
	r = config_unit_parse_any(kind, s->text, &v);
	if (r == -ERANGE || (r == 0 && (v < min || v > max)))
		return config_fail(-ERANGE, err, errlen, "%s is out of range (%s..%s)", q, lo, hi);
	if (r == -EDOM)
		return config_fail(-EINVAL, err, errlen, "%s is finer than %s", q,
				   config_unit_base[kind]);
	if (r < 0)
		return config_fail(-EINVAL, err, errlen, "expected %s, not %s",
				   config_unit_expect[kind], q);
	config_store_uint(field, k->size, v);
	return 0;
}

static int config_set_tunable(const struct config_key *k, const struct config_scalar *s,
			      void *field, char *err, size_t errlen)
{
	const struct stack_tunable_desc *d = config_key_tunable(k);

	switch (d->kind) {
	case STACK_TUN_DURATION:
		return config_set_units(k, s, CONFIG_UNIT_DURATION, d->min, d->max, field, err,
					errlen);
	case STACK_TUN_SIZE:
		return config_set_units(k, s, CONFIG_UNIT_SIZE, d->min, d->max, field, err, errlen);
	case STACK_TUN_BOOL: {
		bool b = false;
		int r = config_set_bool(k, s, &b, err, errlen);
		uint64_t v = b ? 1 : 0;

		if (r == 0)
			memcpy(field, &v, sizeof(v));
		return r;
	}
	case STACK_TUN_NAME: {
		enum stack_tunable_id id = (enum stack_tunable_id)k->aux;
		const char *const *names = stack_tunable_names(id);
		char q[48], list[128] = "";
		uint64_t v;

		if (stack_tunable_name_lookup(id, s->text, &v) == 0) {
			memcpy(field, &v, sizeof(v));
			return 0;
		}
		config_quote(s->text, s->len, q, sizeof(q));
		for (size_t i = 0; names && names[i]; i++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 i ? ", " : "", names[i]);
		return config_fail(-EINVAL, err, errlen, "expected one of %s, not %s", list, q);
	}
	default:
		return config_set_uint(k, s, d->min, d->max, field, err, errlen);
	}
}

/* Linux dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or white space. */
static int config_set_ifname(const struct config_key *k, const struct config_scalar *s, void *field,
			     char *err, size_t errlen)
{
	char q[48];

	config_quote(s->text, s->len, q, sizeof(q));
	if (s->len < k->min || s->len > k->max)
		return config_fail(-ERANGE, err, errlen,
				   "interface name %s must be %" PRIu64 "..%" PRIu64 " bytes long",
				   q, k->min, k->max);
	if (strcmp(s->text, ".") == 0 || strcmp(s->text, "..") == 0 ||
	    strpbrk(s->text, "/: \t\n\r\v\f"))
		return config_fail(
			-EINVAL, err, errlen,
			"interface name %s must not be . or .. nor contain '/', ':' or spaces", q);
	memset(field, 0, k->size);
	memcpy(field, s->text, s->len);
	return 0;
}

static int config_set_path(const struct config_key *k, const struct config_scalar *s, void *field,
			   char *err, size_t errlen)
{
	char q[48];

	config_quote(s->text, s->len, q, sizeof(q));
	if (s->len > k->max)
		return config_fail(-ERANGE, err, errlen, "path %s is longer than %" PRIu64 " bytes",
				   q, k->max);
	if (s->len == 0 && k->min == 0) {
		memset(field, 0, k->size);
		return 0;
	}
	if (s->text[0] != '/')
		return config_fail(-EINVAL, err, errlen, "expected an absolute path, not %s%s", q,
				   k->min ? "" : " (or \"\" for none)");
	memset(field, 0, k->size);
	memcpy(field, s->text, s->len);
	return 0;
}

/* The portable user/group name set (POSIX) that useradd/groupadd accept. */
static int config_set_group(const struct config_key *k, const struct config_scalar *s, void *field,
			    char *err, size_t errlen)
{
	char q[48];
	bool ok = s->len <= k->max && s->text[0] != '-';

	for (size_t i = 0; ok && i < s->len; i++) {
		char c = s->text[i];

		ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		     c == '_' || c == '-' || c == '.';
	}
	if (!ok) {
		config_quote(s->text, s->len, q, sizeof(q));
		return config_fail(-EINVAL, err, errlen,
				   "expected a group name (up to %" PRIu64
				   " of A-Z a-z 0-9 _ . -, not starting with -) or \"\", not %s",
				   k->max, q);
	}
	memset(field, 0, k->size);
	memcpy(field, s->text, s->len);
	return 0;
}

/* Always octal, like chmod: "0660", "660" and "0o660" are the same mode. */
static int config_set_mode(const struct config_key *k, const struct config_scalar *s, void *field,
			   char *err, size_t errlen)
{
	const char *p = s->text;
	uint64_t v = 0;
	char q[48];
	size_t n = 0;

	if (p[0] == '0' && p[1] == 'o')
		p += 2;
	for (; *p >= '0' && *p <= '7' && n < 5; p++, n++)
		v = v * 8 + (uint64_t)(*p - '0');
	if (*p || n == 0 || v > k->max) {
		config_quote(s->text, s->len, q, sizeof(q));
		return config_fail(-EINVAL, err, errlen,
				   "expected an octal file mode 0000..0777 (e.g. 0660), not %s", q);
	}
	config_store_uint(field, k->size, v);
	return 0;
}

static int config_ipv4_parse(const char *s, uint32_t *ret)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ret = ntohl(a.s_addr);
	return 0;
}

/* An address a host can have: not 0.0.0.0, loopback, multicast or class E/broadcast. */
static bool config_ipv4_is_host(uint32_t a)
{
	return a != 0 && (a >> 24) != 127 && (a >> 28) < 14;
}

static int config_set_ipv4(const struct config_key *k, const struct config_scalar *s, void *field,
			   char *err, size_t errlen)
{
	uint32_t a;
	char q[48];

	config_quote(s->text, s->len, q, sizeof(q));
	if (s->len == 0 && k->min == 0) {
		config_store_uint(field, k->size, 0);
		return 0;
	}
	if (config_ipv4_parse(s->text, &a) < 0)
		return config_fail(-EINVAL, err, errlen,
				   "expected an IPv4 address like 10.77.0.1%s, not %s",
				   k->min ? "" : " (or \"\" for none)", q);
	if (!config_ipv4_is_host(a))
		return config_fail(-EINVAL, err, errlen,
				   "%s is not a host address (0.0.0.0, loopback, multicast and "
				   "broadcast are not)",
				   q);
	config_store_uint(field, k->size, a);
	return 0;
}

static int config_set_ipv4_prefix(const struct config_key *k, const struct config_scalar *s,
				  struct synack_config *c, char *err, size_t errlen)
{
	char q[48], addr[16];
	const char *slash = strchr(s->text, '/');
	uint64_t len;
	uint32_t a;
	uint8_t plen;

	config_quote(s->text, s->len, q, sizeof(q));
	if (!slash || (size_t)(slash - s->text) >= sizeof(addr) ||
	    config_uint_parse(slash + 1, &len) < 0)
		return config_fail(
			-EINVAL, err, errlen,
			"expected an IPv4 address with prefix length like 10.77.0.2/24, not %s", q);
	memcpy(addr, s->text, (size_t)(slash - s->text));
	addr[slash - s->text] = '\0';
	if (config_ipv4_parse(addr, &a) < 0)
		return config_fail(
			-EINVAL, err, errlen,
			"expected an IPv4 address with prefix length like 10.77.0.2/24, not %s", q);
	if (!config_ipv4_is_host(a))
		return config_fail(-EINVAL, err, errlen, "%s is not a host address", q);
	if (len < k->min || len > k->max)
		return config_fail(-ERANGE, err, errlen,
				   "prefix length in %s is out of range (%" PRIu64 "..%" PRIu64 ")",
				   q, k->min, k->max);
	plen = (uint8_t)len;
	config_store_uint((char *)c + k->offset, k->size, a);
	memcpy((char *)c + k->aux, &plen, sizeof(plen));
	return 0;
}

static int config_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int config_set_mac(const struct config_key *k, const struct config_scalar *s, void *field,
			  char *err, size_t errlen)
{
	uint8_t mac[6] = { 0 };
	char q[48];
	bool ok = s->len == 17;

	config_quote(s->text, s->len, q, sizeof(q));
	if (s->len == 0) {
		memset(field, 0, 6);
		return 0;
	}
	for (size_t i = 0; ok && i < 6; i++) {
		int hi = config_hex_digit(s->text[i * 3]),
		    lo = config_hex_digit(s->text[i * 3 + 1]);

		ok = hi >= 0 && lo >= 0 && (i == 5 || s->text[i * 3 + 2] == ':');
		mac[i] = (uint8_t)(hi * 16 + lo);
	}
	if (!ok)
		return config_fail(-EINVAL, err, errlen,
				   "expected a MAC address like 02:00:00:4d:00:02 (or \"\" to "
				   "derive one), not %s",
				   q);
	if (mac[0] & 1)
		return config_fail(-EINVAL, err, errlen,
				   "%s is a multicast address; the stack needs a unicast one", q);
	memcpy(field, mac, 6);
	return 0;
}

static int config_set_enum(const struct config_key *k, const struct config_scalar *s, void *field,
			   char *err, size_t errlen)
{
	char q[48], list[96] = "";
	size_t o = 0;

	for (size_t i = 0; k->names[i]; i++) {
		if (strcmp(s->text, k->names[i]) == 0) {
			config_store_uint(field, k->size, i);
			return 0;
		}
	}
	for (size_t i = 0; k->names[i] && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      k->names[i]);
	config_quote(s->text, s->len, q, sizeof(q));
	return config_fail(-EINVAL, err, errlen, "expected one of %s, not %s", list, q);
}

/* "all" or a comma-separated list of names, into a bit mask. */
static int config_set_flags(const struct config_key *k, const struct config_scalar *s, void *field,
			    char *err, size_t errlen)
{
	char q[48], list[96] = "";
	const char *p = s->text;
	uint64_t mask = 0;
	size_t o = 0;

	if (strcmp(p, "all") == 0) {
		config_store_uint(field, k->size, 0);
		return 0;
	}
	while (*p) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; k->names[i]; i++)
			if (strlen(k->names[i]) == n && memcmp(k->names[i], p, n) == 0)
				break;
		if (!k->names[i] || n == 0)
			break;
		mask |= 1ull << i;
		p += n;
		if (*p == ',')
			p++;
		if (!*p && p[-1] == ',')
			mask = 0; /* a trailing comma */
	}
	if (!*p && mask) {
		config_store_uint(field, k->size, mask);
		return 0;
	}
	for (size_t i = 0; k->names[i] && o < sizeof(list); i++)
		o += (size_t)snprintf(list + o, sizeof(list) - o, "%s%s", i ? ", " : "",
				      k->names[i]);
	config_quote(s->text, s->len, q, sizeof(q));
	return config_fail(-EINVAL, err, errlen,
			   "expected all, or a comma-separated list of %s, not %s", list, q);
}

int config_value_set(const struct config_key *k, const struct config_scalar *s,
		     struct synack_config *c, char *err, size_t errlen)
{
	void *field = (char *)c + k->offset;

	if (strlen(s->text) != s->len)
		return config_fail(-EINVAL, err, errlen, "value contains a NUL byte");
	switch (k->type) {
	case CONFIG_T_UINT:
		return config_set_uint(k, s, k->min, k->max, field, err, errlen);
	case CONFIG_T_BOOL:
		return config_set_bool(k, s, field, err, errlen);
	case CONFIG_T_DURATION:
		return config_set_units(k, s, CONFIG_UNIT_DURATION, k->min, k->max, field, err,
					errlen);
	case CONFIG_T_SIZE:
		return config_set_units(k, s, CONFIG_UNIT_SIZE, k->min, k->max, field, err, errlen);
	case CONFIG_T_PERCENT:
		return config_set_units(k, s, CONFIG_UNIT_PERCENT, k->min, k->max, field, err,
					errlen);
	case CONFIG_T_IFNAME:
		return config_set_ifname(k, s, field, err, errlen);
	case CONFIG_T_PATH:
		return config_set_path(k, s, field, err, errlen);
	case CONFIG_T_GROUP:
		return config_set_group(k, s, field, err, errlen);
	case CONFIG_T_MODE:
		return config_set_mode(k, s, field, err, errlen);
	case CONFIG_T_IPV4:
		return config_set_ipv4(k, s, field, err, errlen);
	case CONFIG_T_IPV4_PREFIX:
		return config_set_ipv4_prefix(k, s, c, err, errlen);
	case CONFIG_T_MAC:
		return config_set_mac(k, s, field, err, errlen);
	case CONFIG_T_ENUM:
		return config_set_enum(k, s, field, err, errlen);
	case CONFIG_T_FLAGS:
		return config_set_flags(k, s, field, err, errlen);
	case CONFIG_T_TUNABLE:
		return config_set_tunable(k, s, field, err, errlen);
	}
	return config_fail(-EINVAL, err, errlen, "internal error: unknown key type");
}

static uint64_t config_load_uint(const void *field, size_t size)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t v;

	switch (size) {
	case 1:
		memcpy(&u8, field, 1);
		return u8;
	case 2:
		memcpy(&u16, field, 2);
		return u16;
	case 4:
		memcpy(&u32, field, 4);
		return u32;
	default:
		memcpy(&v, field, 8);
		return v;
	}
}

/* snprintf's result as the formatters return it: the length, or -ENOBUFS when cut short. */
static int config_formatted(int n, size_t len)
{
	return n < 0 || (size_t)n >= len ? -ENOBUFS : n;
}

static int config_format_tunable(const struct config_key *k, const struct synack_config *c,
				 char *buf, size_t len)
{
	enum stack_tunable_id id = (enum stack_tunable_id)k->aux;
	uint64_t v = stack_tunables_read(&c->tcp, id);

	switch (config_key_tunable(k)->kind) {
	case STACK_TUN_DURATION:
		return config_format_duration(v, buf, len);
	case STACK_TUN_SIZE:
		return config_format_size(v, buf, len);
	case STACK_TUN_BOOL:
		return config_formatted(snprintf(buf, len, "%s", v ? "true" : "false"), len);
	case STACK_TUN_NAME:
		if (stack_tunable_name(id, v))
			return config_formatted(snprintf(buf, len, "%s", stack_tunable_name(id, v)),
						len);
		break;
	default:
		break;
	}
	return config_formatted(snprintf(buf, len, "%" PRIu64, v), len);
}

/* A name list's value: names[v], or the number when v is none of them. */
static int config_format_enum(const struct config_key *k, uint64_t v, char *buf, size_t len)
{
	for (uint64_t i = 0; k->names[i]; i++)
		if (i == v)
			return config_formatted(snprintf(buf, len, "%s", k->names[i]), len);
	return config_formatted(snprintf(buf, len, "%" PRIu64, v), len);
}

static int config_format_flags(const struct config_key *k, uint64_t mask, char *buf, size_t len)
{
	size_t o = 0;

	if (!mask)
		return config_formatted(snprintf(buf, len, "all"), len);
	for (size_t i = 0; k->names[i] && i < 64; i++) {
		int n;

		if (!(mask & (1ull << i)))
			continue;
		n = snprintf(buf + o, len - o, "%s%s", o ? "," : "", k->names[i]);
		if (config_formatted(n, len - o) < 0)
			return -ENOBUFS;
		o += (size_t)n;
	}
	return (int)o;
}

static int config_format_ipv4(uint32_t a, char *buf, size_t len)
{
	return config_formatted(snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff,
					 (a >> 8) & 0xff, a & 0xff),
				len);
}

int config_value_format(const struct config_key *k, const struct synack_config *c, char *buf,
			size_t len)
{
	const void *field = (const char *)c + k->offset;
	uint64_t v = 0;
	uint8_t plen, mac[6];
	int r;

	if (!len)
		return -ENOBUFS;
	if (k->type != CONFIG_T_TUNABLE && k->type != CONFIG_T_MAC && k->type != CONFIG_T_IFNAME &&
	    k->type != CONFIG_T_PATH && k->type != CONFIG_T_GROUP)
		v = config_load_uint(field, k->size);
	switch (k->type) {
	case CONFIG_T_UINT:
		return config_formatted(snprintf(buf, len, "%" PRIu64, v), len);
	case CONFIG_T_BOOL: {
		bool b;

		memcpy(&b, field, sizeof(b));
		return config_formatted(snprintf(buf, len, "%s", b ? "true" : "false"), len);
	}
	case CONFIG_T_DURATION:
		return config_format_duration(v, buf, len);
	case CONFIG_T_SIZE:
		return config_format_size(v, buf, len);
	case CONFIG_T_PERCENT:
		return config_format_percent((uint32_t)v, buf, len);
	case CONFIG_T_IFNAME:
	case CONFIG_T_PATH:
	case CONFIG_T_GROUP:
		/* NUL-terminated in their fields (the parser keeps room for it) */
		if (!*(const char *)field)
			return config_formatted(snprintf(buf, len, "\"\""), len);
		return config_formatted(
			snprintf(buf, len, "%.*s", (int)k->size, (const char *)field), len);
	case CONFIG_T_MODE:
		return config_formatted(snprintf(buf, len, "%04" PRIo64, v), len);
	case CONFIG_T_IPV4:
		if (!v)
			return config_formatted(snprintf(buf, len, "\"\""), len);
		return config_format_ipv4((uint32_t)v, buf, len);
	case CONFIG_T_IPV4_PREFIX:
		memcpy(&plen, (const char *)c + k->aux, sizeof(plen));
		r = config_format_ipv4((uint32_t)v, buf, len);
		if (r < 0)
			return r;
		return config_formatted(r + snprintf(buf + r, len - (size_t)r, "/%u", plen), len);
	case CONFIG_T_MAC:
		memcpy(mac, field, sizeof(mac));
		if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
			return config_formatted(snprintf(buf, len, "\"\""), len);
		return config_formatted(snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
						 mac[1], mac[2], mac[3], mac[4], mac[5]),
					len);
	case CONFIG_T_ENUM:
		return config_format_enum(k, v, buf, len);
	case CONFIG_T_FLAGS:
		return config_format_flags(k, v, buf, len);
	case CONFIG_T_TUNABLE:
		return config_format_tunable(k, c, buf, len);
	}
	return -EINVAL;
}
