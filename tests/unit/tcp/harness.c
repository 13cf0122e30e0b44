/* SPDX-License-Identifier: MIT */
/*
 * harness.c - see harness.h: a real stack with a recording sink, the
 * peer's MAC seeded into ARP, segments in as frames, segments out parsed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "csum.h"
#include "wire.h"

static const uint8_t h_local_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t h_remote_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

bool h_alloc_fail;
bool h_no_emit_tail;
bool h_no_direct;

/* ctx is the harness: live and peak bytes the stack holds, for memory bounds */
static void *h_alloc(void *ctx, size_t size)
{
	struct harness *h = ctx;
	void *p;

	if (h_alloc_fail)
		return NULL;
	p = malloc(size ? size : 1);
	if (p) {
		h->mem_live += size;
		if (h->mem_live > h->mem_peak)
			h->mem_peak = h->mem_live;
	}
	return p;
}

static void h_dealloc(void *ctx, void *ptr, size_t size)
{
	struct harness *h = ctx;

	if (ptr)
		h->mem_live -= size;
	free(ptr);
}

static int h_emit(void *ctx, const uint8_t *frame, size_t len, const struct stack_frame_meta *meta)
{
	struct harness *h = ctx;
	struct h_frame *f;

	if (h->tail - h->head >= 256)
		return -ENOBUFS;
	f = &h->frames[h->tail++ % 256];
	f->data = malloc(len);
	memcpy(f->data, frame, len);
	f->len = len;
	f->meta = meta ? *meta : (struct stack_frame_meta){ 0 };
	if (f->meta.gso_type != STACK_GSO_NONE)
		h->gso_frames++;
	return 0;
}

/* As a link writing the pieces would: head, then the tail's, into one frame of our own. */
static int h_emit_tail(void *ctx, uint8_t *head, size_t head_len,
		       const struct stack_frame_tail *tail, const struct stack_frame_meta *meta)
{
	struct harness *h = ctx;
	size_t len = head_len + stack_frame_tail_len(tail);
	uint8_t *frame = malloc(len);
	int r;

	assert_non_null(frame);
	memcpy(frame, head, head_len);
	stack_frame_tail_copy(frame + head_len, tail);
	r = h_emit(ctx, frame, len, meta);
	free(frame);
	if (r == 0) {
		h->tail_frames++;
		if (tail->len[0] && tail->len[1])
			h->tail_frames_wrapped++;
	}
	return r;
}

static void h_trace(void *ctx, const struct stack_trace *t)
{
	struct harness *h = ctx;

	h->trace_count++;
	if (t->kind == STACK_TRACE_STATE)
		h->traced_states++;
}

static size_t h_direct(void *ctx, stack_sock sock, uint64_t owner, const uint8_t *data, size_t len)
{
	struct harness *h = ctx;

	(void)owner;
	return h->direct ? h->direct(h, sock, data, len) : 0;
}

struct harness *h_new(void (*tweak)(struct stack_config *cfg))
{
	struct harness *h = calloc(1, sizeof(*h));
	struct stack_env env = { 0 };

	assert_non_null(h);
	memcpy(h->cfg.mac, h_local_mac, 6);
	h->cfg.addr = H_LOCAL_ADDR;
	h->cfg.prefix_len = 24;
	h->cfg.mtu = 1500;
	h->cfg.max_conns = 16;
	stack_tunables_defaults(&h->cfg.tun);
	h->cfg.tun.timestamps = 0;
	h->cfg.tun.sack = 0;
	h->cfg.tun.window_scaling = 0;
	h->cfg.tun.recv_buffer = H_RCVBUF;
	h->cfg.tun.send_buffer = 65536;
	/* fixed buffers, so windows and scales are what each test sets (test-tcp-autotune.c
	 * turns autotuning on) */
	h->cfg.tun.buffer_autotune = 0;
	/* every ACK for data delayed as RFC 1122 §4.2.3.2 has it, as the tests
	 * segment by segment expect (test-tcp-quickack.c turns quick ACKs on) */
	h->cfg.tun.quick_acks = 0;
	if (tweak)
		tweak(&h->cfg);
	for (int i = 0; i < 16; i++)
		env.secret[i] = (uint8_t)(i * 7 + 1);
	env.seed = 42;
	env.sink.ctx = h;
	env.sink.emit = h_emit;
	if (!h_no_emit_tail)
		env.sink.emit_tail = h_emit_tail;
	h_no_emit_tail = false;
	env.allocator.ctx = h;
	env.allocator.alloc = h_alloc;
	env.allocator.free = h_dealloc;
	env.trace = h_trace;
	env.trace_ctx = h;
	if (!h_no_direct) {
		env.direct = h_direct;
		env.direct_ctx = h;
	}
	h_no_direct = false;
	h->s = calloc(1, stack_size());
	assert_non_null(h->s);
	assert_int_equal(stack_init(h->s, 0, &h->cfg, &env), 0);
	assert_int_equal(net_arp_seed(h->s, 0, H_REMOTE_ADDR, h_remote_mac), 0);
	h->lport = H_LOCAL_PORT;
	h_drain(h); /* the gratuitous ARP */
	return h;
}

void h_drain(struct harness *h)
{
	while (h->head != h->tail) {
		free(h->frames[h->head % 256].data);
		h->head++;
	}
}

void h_free(struct harness *h)
{
	if (!h)
		return;
	h_drain(h);
	stack_deinit(h->s);
	free(h->s);
	free(h);
}

static void h_inject_l4(struct harness *h, stack_time_us t, const uint8_t *l4, size_t l4_len)
{
	size_t len = STACK_L4_OFF + l4_len;
	uint8_t *f = calloc(1, len);
	uint8_t *ip = f + STACK_ETH_HLEN;

	memcpy(f, h_local_mac, 6);
	memcpy(f + 6, h_remote_mac, 6);
	wire_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	wire_put16(ip + 2, (uint16_t)(STACK_IP4_HLEN + l4_len));
	wire_put16(ip + 4, 1);
	wire_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	wire_put32(ip + 12, H_REMOTE_ADDR);
	wire_put32(ip + 16, H_LOCAL_ADDR);
	wire_put16(ip + 10, csum_buf(ip, STACK_IP4_HLEN));
	memcpy(f + STACK_L4_OFF, l4, l4_len);
	h->now = t;
	stack_input(h->s, t, f, len, NULL);
	free(f);
}

void h_send(struct harness *h, stack_time_us t, struct tcp_seg seg, const void *data)
{
	uint8_t *l4 = calloc(1, TCP_HDR_MAX + seg.len + 1);
	size_t hlen = tcp_wire_write(l4, &seg);

	for (uint32_t i = 0; i < seg.len; i++)
		l4[hlen + i] =
			data ? ((const uint8_t *)data)[i] : (uint8_t)('a' + (seg.seq + i) % 26);
	tcp_wire_set_csum(l4, hlen + seg.len, H_REMOTE_ADDR, H_LOCAL_ADDR);
	h_inject_l4(h, t, l4, hlen + seg.len);
	free(l4);
}

void h_send_raw(struct harness *h, stack_time_us t, const uint8_t *l4, size_t len, bool good_csum)
{
	uint8_t *b = calloc(1, len + 1);

	memcpy(b, l4, len);
	if (good_csum && len >= 20)
		tcp_wire_set_csum(b, len, H_REMOTE_ADDR, H_LOCAL_ADDR);
	h_inject_l4(h, t, b, len);
	free(b);
}

void h_poll(struct harness *h, stack_time_us t)
{
	h->now = t;
	stack_poll(h->s, t);
}

bool h_pop(struct harness *h, struct tcp_seg *ret)
{
	while (h->head != h->tail) {
		struct h_frame *f = &h->frames[h->head++ % 256];
		const uint8_t *ip = f->data + STACK_ETH_HLEN;
		size_t ihl, tot;
		bool ok = false;

		if (f->len >= STACK_L4_OFF + 20 && wire_get16(f->data + 12) == 0x0800 &&
		    ip[9] == 6) {
			ihl = (size_t)(ip[0] & 15) * 4;
			tot = wire_get16(ip + 2);
			assert_true(tot + STACK_ETH_HLEN <= f->len);
			assert_int_equal(wire_get32(ip + 12), H_LOCAL_ADDR);
			assert_int_equal(wire_get32(ip + 16), H_REMOTE_ADDR);
			if (!f->meta.csum_partial)
				assert_true(tcp_wire_csum_ok(ip + ihl, tot - ihl, H_LOCAL_ADDR,
							     H_REMOTE_ADDR));
			assert_int_equal(tcp_wire_parse(ip + ihl, tot - ihl, ret), 0);
			memcpy(h->payload, ret->payload, ret->len);
			ret->payload = h->payload;
			ok = true;
		}
		free(f->data);
		if (ok)
			return true;
	}
	return false;
}

static void h_flags(uint8_t f, char *b)
{
	int n = 0;

	if (f & TCP_FLAG_SYN)
		b[n++] = 'S';
	if (f & TCP_FLAG_FIN)
		b[n++] = 'F';
	if (f & TCP_FLAG_RST)
		b[n++] = 'R';
	if (f & TCP_FLAG_PSH)
		b[n++] = 'P';
	if (f & TCP_FLAG_URG)
		b[n++] = 'U';
	if (f & TCP_FLAG_ACK)
		b[n++] = '.';
	b[n] = 0;
}

void h_format(const struct tcp_seg *seg, char *buf, size_t len)
{
	char fl[8];
	int n;

	h_flags(seg->flags, fl);
	n = snprintf(buf, len, "%u > %u: Flags [%s], seq %u, ack %u, win %u, options [", seg->sport,
		     seg->dport, fl, seg->seq, seg->ack, seg->wnd);
	if (seg->opt.has_mss)
		n += snprintf(buf + n, len - n, "mss %u,", seg->opt.mss);
	if (seg->opt.sack_ok)
		n += snprintf(buf + n, len - n, "sackOK,");
	if (seg->opt.has_ts)
		n += snprintf(buf + n, len - n, "TS val %u ecr %u,", seg->opt.tsval,
			      seg->opt.tsecr);
	if (seg->opt.wscale >= 0)
		n += snprintf(buf + n, len - n, "wscale %d,", seg->opt.wscale);
	for (int i = 0; i < seg->opt.nsack; i++)
		n += snprintf(buf + n, len - n, "sack %u:%u,", seg->opt.sack[i].left,
			      seg->opt.sack[i].right);
	snprintf(buf + n, len - n, "], length %u", seg->len);
}

static bool h_opts_equal(const struct tcp_opts *a, const struct tcp_opts *b)
{
	if (a->has_mss != b->has_mss || (a->has_mss && a->mss != b->mss))
		return false;
	if (a->wscale != b->wscale || a->sack_ok != b->sack_ok || a->has_ts != b->has_ts)
		return false;
	if (a->has_ts && (a->tsval != b->tsval || a->tsecr != b->tsecr))
		return false;
	if (a->nsack != b->nsack)
		return false;
	for (int i = 0; i < a->nsack; i++)
		if (a->sack[i].left != b->sack[i].left || a->sack[i].right != b->sack[i].right)
			return false;
	return true;
}

void h_expect_at(struct harness *h, const char *file, int line, struct tcp_seg exp)
{
	struct tcp_seg got;
	char a[512], b[512];

	if (!h_pop(h, &got)) {
		h_format(&exp, a, sizeof(a));
		fail_msg("%s:%d: expected %s, got nothing", file, line, a);
	}
	if (exp.opt.has_ts && exp.opt.tsval == H_TS_AUTO)
		exp.opt.tsval = (uint32_t)(h->now / 1000) + h->ts_off;
	if (got.sport != exp.sport || got.dport != exp.dport || got.flags != exp.flags ||
	    got.seq != exp.seq || got.ack != exp.ack || got.wnd != exp.wnd || got.len != exp.len ||
	    !h_opts_equal(&got.opt, &exp.opt)) {
		h_format(&exp, a, sizeof(a));
		h_format(&got, b, sizeof(b));
		fail_msg("%s:%d: segment mismatch\n  expected %s\n       got %s", file, line, a, b);
	}
}

void h_expect_nothing_at(struct harness *h, const char *file, int line)
{
	struct tcp_seg got;
	char b[512];

	if (h_pop(h, &got)) {
		h_format(&got, b, sizeof(b));
		fail_msg("%s:%d: expected nothing, got %s", file, line, b);
	}
}

struct tcp_conn *h_conn(struct harness *h, stack_sock sock)
{
	return tcp_conn_from_sock(h->s, sock, false);
}

struct tcp_tw *h_tw(struct harness *h)
{
	struct tcp_tuple t = { .laddr = H_LOCAL_ADDR,
			       .raddr = H_REMOTE_ADDR,
			       .lport = h->lport,
			       .rport = H_REMOTE_PORT };

	return tcp_tw_lookup(h->s, &t);
}

enum tcp_conn_state h_state(struct harness *h, stack_sock sock)
{
	struct tcp_conn *c = h_conn(h, sock);

	if (!c && sock == h->sock && h_tw(h))
		return TCP_TIME_WAIT; /* its slot was handed to a TIME-WAIT record */
	return c ? c->state : TCP_CLOSED;
}

void h_expect_event(struct harness *h, enum stack_event_type type, stack_sock sock, int err)
{
	struct stack_event ev;

	assert_true(stack_event_pop(h->s, &ev));
	assert_int_equal(ev.type, type);
	if (sock)
		assert_int_equal(ev.sock, sock);
	assert_int_equal(ev.err, err);
}

void h_expect_no_event(struct harness *h)
{
	struct stack_event ev;

	if (stack_event_pop(h->s, &ev))
		fail_msg("unexpected event %d on %llx", ev.type, (unsigned long long)ev.sock);
}

void h_establish_passive(struct harness *h, stack_time_us t)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct tcp_seg got;

	assert_int_equal(stack_tcp_listen(h->s, t, &local, 8, 7, &h->lsock), 0);
	h_send(h, t,
	       SEG(.seq = H_REMOTE_ISN, .flags = TCP_FLAG_SYN, .opt.has_mss = true,
		   .opt.mss = H_MSS),
	       NULL);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN | TCP_FLAG_ACK);
	assert_int_equal(got.ack, H_REMOTE_ISN + 1);
	h->iss = got.seq;
	if (got.opt.has_ts)
		h->ts_off = got.opt.tsval - (uint32_t)(t / 1000);
	h_send(h, t, SEG(.seq = H_REMOTE_ISN + 1, .ack = h->iss + 1), NULL);
	h_expect_nothing(h);
	h_expect_event(h, STACK_EV_ACCEPTABLE, h->lsock, 0);
	h_expect_no_event(h);
	assert_int_equal(stack_tcp_accept(h->s, t, h->lsock, 9, &h->sock), 0);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
}

void h_establish_active(struct harness *h, stack_time_us t)
{
	struct stack_endpoint local = { 0, H_LOCAL_PORT };
	struct stack_endpoint remote = { H_REMOTE_ADDR, H_REMOTE_PORT };
	struct tcp_seg got;

	assert_int_equal(stack_tcp_connect(h->s, t, &local, &remote, 5, &h->sock), 0);
	assert_true(h_pop(h, &got));
	assert_int_equal(got.flags, TCP_FLAG_SYN);
	h->iss = got.seq;
	if (got.opt.has_ts)
		h->ts_off = got.opt.tsval - (uint32_t)(t / 1000);
	h_send(h, t,
	       SEG(.seq = H_REMOTE_ISN, .ack = h->iss + 1, .flags = TCP_FLAG_SYN | TCP_FLAG_ACK,
		   .opt.has_mss = true, .opt.mss = H_MSS),
	       NULL);
	h_expect(h, OUT(.seq = h->iss + 1, .ack = H_REMOTE_ISN + 1, .wnd = H_RCVBUF));
	h_expect_event(h, STACK_EV_ESTABLISHED, h->sock, 0);
	h_expect_no_event(h);
	assert_int_equal(h_state(h, h->sock), TCP_ESTABLISHED);
}
