/* SPDX-License-Identifier: MIT */
/*
 * config_yaml.c - the walk over libyaml's parser events that applies a
 * configuration file to struct synack_config. Mappings are matched against
 * the key table by dotted path (interface.mtu, tcp.rto.min); anything the
 * table does not know, a value of the wrong shape, or a key given twice is
 * recorded with its position and skipped, so that one pass lists every
 * error. A syntax error stops the walk (libyaml cannot resume after one).
 *
 * Not supported, on purpose: anchors and aliases (no reason to need them in a
 * flat schema, and they make "the same value" hard to report), explicit tags,
 * and more than one document per file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

#include "config_internal.h"

/* Longest key name looked up; longer ones are unknown by definition. */
#define CONFIG_NAME_LOOKUP_MAX 40

struct config_walk {
	yaml_parser_t parser;
	const char *buf;
	size_t len;
	struct synack_config *cfg;
	struct config_errors *errs;
	struct config_pos *pos;
	bool stop; /* a syntax error or too many errors: no more events */
	bool nomem;
};

/* A key already seen in one mapping: its table index and line. */
struct config_seen {
	int id;
	unsigned line;
};

static void config_walk_error_at(struct config_walk *w, unsigned line, unsigned column,
				 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void config_walk_error_at(struct config_walk *w, unsigned line, unsigned column,
				 const char *fmt, ...)
{
	char msg[sizeof(((struct config_error *)0)->message)];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = config_errors_add(w->errs, line, column, "%s", msg);
	if (r < 0)
		w->stop = true;
	if (r == -ENOMEM)
		w->nomem = true;
}

/* libyaml marks are 0-based; messages are 1-based. */
#define config_walk_error(w, mark, ...) \
	config_walk_error_at(w, (unsigned)(mark).line + 1, (unsigned)(mark).column + 1, __VA_ARGS__)

/* The line and column of a byte offset, counted the way libyaml counts marks. */
static void config_offset_pos(const char *buf, size_t len, size_t offset, unsigned *line,
			      unsigned *column)
{
	unsigned l = 1, c = 1;

	for (size_t i = 0; i < offset && i < len; i++) {
		unsigned char ch = (unsigned char)buf[i];

		if (ch == '\n' || (ch == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
			l++;
			c = 1;
		} else if ((ch & 0xc0) != 0x80 && ch != '\r') {
			c++;
		}
	}
	*line = l;
	*column = c;
}

static void config_walk_syntax_error(struct config_walk *w)
{
	const yaml_parser_t *p = &w->parser;
	const yaml_mark_t *m = &p->problem_mark;
	const char *problem = p->problem ? p->problem : "unknown error";
	unsigned line, column;
	char ctx[96] = "";
	bool tab;

	switch (p->error) {
	case YAML_MEMORY_ERROR:
		w->nomem = true;
		config_walk_error_at(w, 0, 0, "out of memory while parsing");
		return;
	case YAML_READER_ERROR:
		config_offset_pos(w->buf, w->len, p->problem_offset, &line, &column);
		if (p->problem_value >= 0)
			config_walk_error_at(w, line, column, "not UTF-8 text: %s (byte 0x%02x)",
					     problem, (unsigned)p->problem_value & 0xff);
		else
			config_walk_error_at(w, line, column, "not UTF-8 text: %s", problem);
		return;
	default:
		break;
	}
	if (p->context && (p->context_mark.line != m->line || p->context_mark.column != m->column))
		snprintf(ctx, sizeof(ctx), " (%s at line %zu column %zu)", p->context,
			 p->context_mark.line + 1, p->context_mark.column + 1);
	else if (p->context)
		snprintf(ctx, sizeof(ctx), " (%s)", p->context);
	tab = m->index < w->len && w->buf[m->index] == '\t';
	/* At the end of a file without a final newline libyaml moves to a line
	 * that does not exist; point at the real end instead. */
	line = (unsigned)m->line + 1;
	column = (unsigned)m->column + 1;
	if (m->index >= w->len)
		config_offset_pos(w->buf, w->len, w->len, &line, &column);
	config_walk_error_at(w, line, column, "syntax error: %s%s%s", problem, ctx,
			     tab ? "; indent with spaces, not tabs" : "");
}

/* The next event; on failure the syntax error is recorded and the walk stops. */
static int config_walk_next(struct config_walk *w, yaml_event_t *ev)
{
	if (w->stop)
		return -ECANCELED;
	if (!yaml_parser_parse(&w->parser, ev)) {
		config_walk_syntax_error(w);
		w->stop = true;
		return -EINVAL;
	}
	return 0;
}

static const char *config_event_shape(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a sequence";
	case YAML_ALIAS_EVENT:
		return "an alias";
	default:
		return "a scalar";
	}
}

/* Anchors and tags are refused wherever they appear on a node we look at. */
static void config_walk_check_props(struct config_walk *w, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL, *tag = NULL;

	/* libyaml limits anchors to [0-9A-Za-z_-] and checks tags, so they print as they are. */
	if (ev->type == YAML_SCALAR_EVENT) {
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
	} else if (ev->type == YAML_MAPPING_START_EVENT) {
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
	} else if (ev->type == YAML_SEQUENCE_START_EVENT) {
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
	} else if (ev->type == YAML_ALIAS_EVENT) {
		config_walk_error(w, ev->start_mark,
				  "alias *%.40s: anchors and aliases are not supported",
				  (const char *)ev->data.alias.anchor);
		return;
	}
	if (anchor)
		config_walk_error(w, ev->start_mark,
				  "anchor &%.40s: anchors and aliases are not supported",
				  (const char *)anchor);
	if (tag)
		config_walk_error(w, ev->start_mark, "tag %.60s: tags are not supported",
				  (const char *)tag);
}

/* Consume the rest of a node whose first event is first, without looking at it. */
static void config_walk_skip(struct config_walk *w, const yaml_event_t *first)
{
	unsigned long depth;
	yaml_event_t ev;

	if (first->type != YAML_MAPPING_START_EVENT && first->type != YAML_SEQUENCE_START_EVENT)
		return;
	for (depth = 1; depth > 0;) {
		if (config_walk_next(w, &ev) < 0)
			return;
		if (ev.type == YAML_MAPPING_START_EVENT || ev.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
	}
}

/* Read the next node (a value) and skip it. */
static void config_walk_skip_next(struct config_walk *w)
{
	yaml_event_t ev;

	if (config_walk_next(w, &ev) < 0)
		return;
	config_walk_skip(w, &ev);
	yaml_event_delete(&ev);
}

static void config_walk_mapping(struct config_walk *w, const char *parent);

static void config_walk_leaf(struct config_walk *w, int id, const char *path, const yaml_event_t *v)
{
	const struct config_key *k = config_key_at((size_t)id);
	struct config_scalar s;
	char err[128];

	config_walk_check_props(w, v);
	if (v->type == YAML_ALIAS_EVENT)
		return;
	if (v->type != YAML_SCALAR_EVENT) {
		config_walk_error(w, v->start_mark, "%s: expected a single value, not %s", path,
				  config_event_shape(v));
		config_walk_skip(w, v);
		return;
	}
	s.text = (const char *)v->data.scalar.value;
	s.len = v->data.scalar.length;
	s.plain = v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	if (config_scalar_is_null(&s)) {
		config_walk_error(w, v->start_mark, "%s: missing value", path);
		return;
	}
	if (config_value_set(k, &s, w->cfg, err, sizeof(err)) < 0) {
		config_walk_error(w, v->start_mark, "%s: %s", path, err);
		return;
	}
	w->pos[id].line = (unsigned)v->start_mark.line + 1;
	w->pos[id].column = (unsigned)v->start_mark.column + 1;
}

/* A section's value: a mapping of its keys, or null (same as an empty mapping). */
static void config_walk_section(struct config_walk *w, const char *path, const yaml_event_t *v)
{
	config_walk_check_props(w, v);
	if (v->type == YAML_MAPPING_START_EVENT) {
		config_walk_mapping(w, path);
		return;
	}
	if (v->type == YAML_SCALAR_EVENT && v->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		struct config_scalar s = { .text = (const char *)v->data.scalar.value,
					   .len = v->data.scalar.length,
					   .plain = true };

		if (config_scalar_is_null(&s))
			return;
	}
	if (v->type == YAML_ALIAS_EVENT)
		return;
	config_walk_error(w, v->start_mark,
			  "%s: is a section, expected a mapping of its keys, not %s", path,
			  config_event_shape(v));
	config_walk_skip(w, v);
}

/*
 * Which child of parent the key names: a key (*section false) or a section
 * (*section true), as an index into the key table unique within the parent.
 */
static int config_walk_resolve(const char *parent, const yaml_event_t *key, char *path,
			       size_t pathlen, bool *section)
{
	const char *name = (const char *)key->data.scalar.value;
	size_t len = key->data.scalar.length;
	int id;

	snprintf(path, pathlen, "%s%s%.*s", parent, *parent ? "." : "",
		 (int)(len > CONFIG_NAME_LOOKUP_MAX ? CONFIG_NAME_LOOKUP_MAX : len), name);
	if (len == 0 || len > CONFIG_NAME_LOOKUP_MAX || strlen(name) != len || strchr(name, '.'))
		return -ENOENT;
	id = config_key_find(path);
	if (id >= 0) {
		*section = false;
		return id;
	}
	id = config_key_find_section(path);
	if (id >= 0)
		*section = true;
	return id;
}

static void config_walk_unknown(struct config_walk *w, const char *parent, const yaml_event_t *key)
{
	char q[64], sections[96];

	config_quote((const char *)key->data.scalar.value, key->data.scalar.length, q, sizeof(q));
	if (memchr(key->data.scalar.value, '.', key->data.scalar.length))
		config_walk_error(w, key->start_mark,
				  "unknown key %s%s%s: write dotted names as nested mappings, e.g. "
				  "rto: { min: 200ms }",
				  q, *parent ? " in " : "", parent);
	else if (*parent)
		config_walk_error(w, key->start_mark, "unknown key %s in %s", q, parent);
	else {
		config_key_sections(sections, sizeof(sections));
		config_walk_error(w, key->start_mark, "unknown section %s (known: %s)", q,
				  sections);
	}
}

/* One key: value pair of a mapping, starting from its key event. */
static void config_walk_entry(struct config_walk *w, const char *parent, const yaml_event_t *key,
			      struct config_seen *seen, size_t *nseen)
{
	char path[CONFIG_KEY_PATH_MAX + CONFIG_NAME_LOOKUP_MAX + 2];
	bool section = false;
	yaml_event_t v;
	int id;

	if (key->type != YAML_SCALAR_EVENT) {
		config_walk_error(w, key->start_mark, "a key must be a name, not %s",
				  config_event_shape(key));
		config_walk_skip(w, key);
		config_walk_skip_next(w);
		return;
	}
	config_walk_check_props(w, key);
	id = config_walk_resolve(parent, key, path, sizeof(path), &section);
	if (id < 0) {
		config_walk_unknown(w, parent, key);
		config_walk_skip_next(w);
		return;
	}
	for (size_t i = 0; i < *nseen; i++) {
		if (seen[i].id == id) {
			config_walk_error(w, key->start_mark, "duplicate key %s (first at line %u)",
					  path, seen[i].line);
			config_walk_skip_next(w);
			return;
		}
	}
	if (*nseen < CONFIG_KEYS_MAX) {
		seen[*nseen].id = id;
		seen[*nseen].line = (unsigned)key->start_mark.line + 1;
		(*nseen)++;
	}
	if (config_walk_next(w, &v) < 0)
		return;
	if (section)
		config_walk_section(w, path, &v);
	else
		config_walk_leaf(w, id, path, &v);
	yaml_event_delete(&v);
}

/* The entries of a mapping whose start event has been read, up to its end. */
static void config_walk_mapping(struct config_walk *w, const char *parent)
{
	struct config_seen seen[CONFIG_KEYS_MAX];
	size_t nseen = 0;
	yaml_event_t key;

	for (;;) {
		if (config_walk_next(w, &key) < 0)
			return;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return;
		}
		config_walk_entry(w, parent, &key, seen, &nseen);
		yaml_event_delete(&key);
		if (w->stop)
			return;
	}
}

/* The document's root: a mapping of sections, or nothing at all. */
static void config_walk_root(struct config_walk *w)
{
	yaml_event_t ev;

	if (config_walk_next(w, &ev) < 0)
		return;
	config_walk_check_props(w, &ev);
	if (ev.type == YAML_MAPPING_START_EVENT) {
		config_walk_mapping(w, "");
	} else if (ev.type == YAML_SCALAR_EVENT &&
		   ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		   config_scalar_is_null(
			   &(struct config_scalar){ .text = (const char *)ev.data.scalar.value,
						    .len = ev.data.scalar.length,
						    .plain = true })) {
		/* "---" alone, or "~": no settings, like an empty file. */
	} else if (ev.type != YAML_ALIAS_EVENT) {
		config_walk_error(w, ev.start_mark,
				  "the top level must be a mapping of sections (interface:, tcp:, "
				  "...), not %s",
				  config_event_shape(&ev));
		config_walk_skip(w, &ev);
	}
	yaml_event_delete(&ev);
}

static void config_walk_stream(struct config_walk *w)
{
	yaml_event_t ev;

	if (config_walk_next(w, &ev) < 0) /* STREAM-START */
		return;
	yaml_event_delete(&ev);
	if (config_walk_next(w, &ev) < 0)
		return;
	if (ev.type == YAML_STREAM_END_EVENT) { /* empty, or only comments */
		yaml_event_delete(&ev);
		return;
	}
	yaml_event_delete(&ev); /* DOCUMENT-START */
	config_walk_root(w);
	if (config_walk_next(w, &ev) < 0) /* DOCUMENT-END */
		return;
	yaml_event_delete(&ev);
	if (config_walk_next(w, &ev) < 0)
		return;
	if (ev.type == YAML_DOCUMENT_START_EVENT)
		config_walk_error(w, ev.start_mark,
				  "a second YAML document: a configuration file holds exactly one");
	yaml_event_delete(&ev);
}

int config_yaml_walk(const char *buf, size_t len, struct synack_config *c,
		     struct config_errors *errs, struct config_pos *pos)
{
	struct config_walk w = {
		.buf = buf,
		.len = len,
		.cfg = c,
		.errs = errs,
		.pos = pos,
	};

	if (!yaml_parser_initialize(&w.parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&w.parser, (const unsigned char *)buf, len);
	/* Refuse UTF-16 (libyaml would otherwise detect and accept it). */
	yaml_parser_set_encoding(&w.parser, YAML_UTF8_ENCODING);
	config_walk_stream(&w);
	yaml_parser_delete(&w.parser);
	return w.nomem ? -ENOMEM : 0;
}
