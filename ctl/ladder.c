/* SPDX-License-Identifier: MIT */
/*
 * ladder.c - draw a connection's trace as a ladder diagram (see ladder.h).
 * Sequence arithmetic is modulo 2^32 as RFC 9293 §3.4 defines it.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "ladder.h"

#define LADDER_TIME_W  9  /* "60000.123" */
#define LADDER_STATE_W 12 /* "SYN-RECEIVED" */
#define LADDER_INNER_W 54 /* between the lifelines: the line is 80 columns */
#define LADDER_MIN_RUN 2  /* dashes an arrow keeps however long its label */

void ladder_init(struct ladder *l, FILE *f, unsigned flags)
{
	memset(l, 0, sizeof(*l));
	l->f = f;
	l->flags = flags;
}

static void ladder_header(struct ladder *l, uint64_t t)
{
	if (l->started)
		return;
	l->started = true;
	l->t0 = t;
	fprintf(l->f, "%*s  %-*s %-6s%*s\n", LADDER_TIME_W, "time/ms", LADDER_STATE_W, "state",
		"synack", LADDER_INNER_W + 2 - 6, "peer");
}

static void ladder_time(const struct ladder *l, uint64_t t, char *buf, size_t len)
{
	uint64_t d = t >= l->t0 ? t - l->t0 : 0;

	snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, d / 1000, d % 1000);
}

/* A number in our (dir OUT) or the peer's (dir IN) sequence space. */
static uint32_t ladder_number(struct ladder *l, enum ctl_direction space, uint32_t v)
{
	if (l->flags & LADDER_ABSOLUTE)
		return v;
	if (!l->have_base[space]) {
		l->have_base[space] = true;
		l->base[space] = v;
	}
	return v - l->base[space]; /* modulo 2^32 */
}

/* Learn each side's ISN from its SYN before numbering; note a history that starts later. */
static void ladder_learn_base(struct ladder *l, const struct ctl_trace_entry *e)
{
	enum ctl_direction space = e->seg.dir;

	if (l->flags & LADDER_ABSOLUTE || l->have_base[space])
		return;
	if (e->seg.flags & CTL_TCP_SYN) {
		l->have_base[space] = true;
		l->base[space] = e->seg.seq;
	} else if (!l->noted) {
		l->noted = true;
		fprintf(l->f,
			"%*s  (no %s SYN in the history: numbers count from the first seen)\n",
			LADDER_TIME_W, "", space == CTL_DIR_OUT ? "local" : "peer");
	}
}

static void ladder_label(struct ladder *l, const struct ctl_trace_entry *e, char *buf, size_t len)
{
	enum ctl_direction other = e->seg.dir == CTL_DIR_OUT ? CTL_DIR_IN : CTL_DIR_OUT;
	char flags[48];
	size_t n;

	ctl_tcp_flags_format(e->seg.flags, flags, sizeof(flags));
	n = (size_t)snprintf(buf, len, "%s seq=%" PRIu32, flags,
			     ladder_number(l, e->seg.dir, e->seg.seq));
	if (e->seg.flags & CTL_TCP_ACK && n < len)
		n += (size_t)snprintf(buf + n, len - n, " ack=%" PRIu32,
				      ladder_number(l, other, e->seg.ack));
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, " win=%" PRIu32, e->seg.wnd);
	if (e->seg.len > 0 && n < len)
		snprintf(buf + n, len - n, " len=%" PRIu32, e->seg.len);
}

static void ladder_dashes(FILE *f, size_t n)
{
	while (n--)
		fputc('-', f);
}

static void ladder_prefix(struct ladder *l, uint64_t t, const char *state)
{
	char when[32];

	ladder_time(l, t, when, sizeof(when));
	fprintf(l->f, "%*s  %-*s |", LADDER_TIME_W, when, LADDER_STATE_W, state);
}

static void ladder_segment_line(struct ladder *l, const struct ctl_trace_entry *e,
				const char *state)
{
	char label[160];
	size_t run;

	ladder_learn_base(l, e);
	ladder_label(l, e, label, sizeof(label));
	/* "-- " label " " run ">" or "<" run " " label " --" */
	run = strlen(label) + 5 < LADDER_INNER_W ? LADDER_INNER_W - 5 - strlen(label)
						 : LADDER_MIN_RUN;
	ladder_prefix(l, e->time_us, state);
	if (e->seg.dir == CTL_DIR_OUT) {
		fprintf(l->f, "-- %s ", label);
		ladder_dashes(l->f, run);
		fputs(">|\n", l->f);
	} else {
		fputc('<', l->f);
		ladder_dashes(l->f, run);
		fprintf(l->f, " %s --|\n", label);
	}
}

static void ladder_state_line(struct ladder *l, const struct ctl_trace_entry *e)
{
	char cause[64] = "";
	int n = 0;

	if (e->state.cause[0])
		n = snprintf(cause, sizeof(cause), "  (%s)", e->state.cause);
	ladder_prefix(l, e->time_us, ctl_state_rfc_name(e->state.to));
	fprintf(l->f, "%s%*s|\n", cause, n < LADDER_INNER_W ? LADDER_INNER_W - n : 0, "");
}

static void ladder_flush_segment(struct ladder *l)
{
	if (!l->have_seg)
		return;
	l->have_seg = false;
	ladder_segment_line(l, &l->seg, l->seg_has_state ? ctl_state_rfc_name(l->seg_state) : "");
}

static void ladder_flush_state(struct ladder *l)
{
	if (!l->have_state)
		return;
	l->have_state = false;
	ladder_state_line(l, &l->state);
}

static void ladder_feed_segment(struct ladder *l, const struct ctl_trace_entry *e)
{
	bool attach;

	ladder_flush_segment(l);
	/* a call (connect, close) or a timer changed the state and this segment went out */
	attach = l->have_state && e->seg.dir == CTL_DIR_OUT && l->state.time_us == e->time_us;
	l->seg = *e;
	l->have_seg = true;
	l->seg_has_state = attach;
	if (attach) {
		l->seg_state = l->state.state.to;
		l->have_state = false;
	}
	ladder_flush_state(l);
}

static void ladder_feed_state(struct ladder *l, const struct ctl_trace_entry *e)
{
	if (l->have_seg && !l->seg_has_state && l->seg.seg.dir == CTL_DIR_IN &&
	    l->seg.time_us == e->time_us) {
		l->seg_has_state = true;
		l->seg_state = e->state.to;
		return;
	}
	ladder_flush_segment(l);
	ladder_flush_state(l);
	l->state = *e;
	l->have_state = true;
}

void ladder_feed(struct ladder *l, const struct ctl_trace_entry *e)
{
	ladder_header(l, e->time_us);
	if (e->kind == CTL_TRACE_SEGMENT)
		ladder_feed_segment(l, e);
	else
		ladder_feed_state(l, e);
}

void ladder_flush(struct ladder *l)
{
	ladder_flush_segment(l);
	ladder_flush_state(l);
	fflush(l->f);
}

int ladder_render(FILE *f, const struct ctl_trace_entry *e, size_t n, unsigned flags)
{
	struct ladder l;

	ladder_init(&l, f, flags);
	for (size_t i = 0; i < n; i++)
		ladder_feed(&l, &e[i]);
	ladder_flush(&l);
	return ferror(f) ? -EIO : 0;
}
