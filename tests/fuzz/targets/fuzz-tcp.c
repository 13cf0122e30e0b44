/* SPDX-License-Identifier: MIT */
/*
 * fuzz-tcp.c - libFuzzer target for the TCP engine: a stack holding a
 * listener on port 80 and one established connection (the peer at
 * 10.77.0.1:40000, ISN just below 2^32) is fed crafted segments built from
 * the input, socket calls and time steps.
 *
 * Input: records of one opcode byte and its arguments (cut short at the
 * end of the input):
 *   op % 4 == 0  time step: 2 bytes, the clock moves n * n microseconds
 *                (up to ~4300 s), then stack_poll();
 *   op % 4 == 1  segment: flags (1), seq delta (4) and ack delta (4)
 *                relative to what the connection expects, window (2),
 *                payload length (2, mod 3000), option bits (1); bit 2 of
 *                op aims it at a fresh port pair instead of the connection,
 *                bit 3 sends it with a wrong checksum, bit 4 makes it the
 *                peer's answer to the last SYN,ACK the stack sent (deltas
 *                relative to that SYN,ACK, its TSval echoed), which reaches
 *                SYN cookies (the SYN queue holds 2) and half-open children;
 *                bit 5 of op: 8 more bytes, up to 4 SACK blocks (start and
 *                length bytes each, in units of 64 and 32 bytes from SND.UNA;
 *                length 0 makes a reversed block), for the scoreboard;
 *   op % 4 == 2  raw L4 bytes: length (1), then that many bytes as the TCP
 *                header and payload (checksum fixed unless op bit 3);
 *   op % 4 == 3  a socket call chosen by the next byte (send, recv, shutdown,
 *                close, abort, accept, connect, setopt, info).
 *
 * Oracles besides the sanitizers: for every connection SND.UNA <= SND.NXT
 * (both cursors), the send queue fits its buffer, the unsent count never
 * exceeds the queue, the advertised window fits the free receive space;
 * stack_poll_at() is never in the past after a poll; and
 * every allocated byte comes back at stack_deinit().
 *
 * Every input runs twice: as above, then with the checksum and TSO
 * offloaded and a sink with emit_tail, which reads every payload piece the
 * core leaves in a send ring (so the sanitizers see a piece outside live
 * memory) and checks that the pieces add up to the frame's IP length and
 * come with a partial checksum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "stack_info.h"
#include "stack_internal.h"
#include "tcp/tcp_conn.h"
#include "wire.h"

#define FT_LOCAL  0x0a4d0002u
#define FT_REMOTE 0x0a4d0001u
#define FT_ISN	  0xffffd8efu

struct ft {
	struct stack *s;
	size_t alloc_bytes;
	stack_time_us now;
	stack_sock lsock, sock;
	uint8_t frame[STACK_L4_OFF + 4000];
	uint32_t peer_nxt; /* next sequence number the peer would send */
	bool have_synack;
	struct tcp_seg synack; /* the last SYN,ACK the stack sent (options, no payload) */
};

static void *ft_alloc(void *ctx, size_t size)
{
	struct ft *f = ctx;

	f->alloc_bytes += size;
	return malloc(size ? size : 1);
}

static void ft_free(void *ctx, void *ptr, size_t size)
{
	struct ft *f = ctx;

	if (size > f->alloc_bytes)
		__builtin_trap();
	f->alloc_bytes -= size;
	free(ptr);
}

static int ft_emit(void *ctx, const uint8_t *frame, size_t len, const struct stack_frame_meta *meta)
{
	struct ft *f = ctx;
	const uint8_t *ip = frame + STACK_ETH_HLEN;
	struct tcp_seg seg;
	size_t ihl, tot;

	if (len < STACK_L4_OFF)
		__builtin_trap();
	if (wire_get16(frame + 12) != 0x0800 || ip[9] != 6)
		return 0;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = wire_get16(ip + 2);
	if (tot > len - STACK_ETH_HLEN || tot < ihl ||
	    tcp_wire_parse(ip + ihl, tot - ihl, &seg) < 0)
		return 0;
	if ((seg.flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == (TCP_FLAG_SYN | TCP_FLAG_ACK)) {
		f->synack = seg;
		f->synack.payload = NULL;
		f->have_synack = true;
	}
	return 0;
}

static int ft_emit_tail(void *ctx, uint8_t *head, size_t head_len,
			const struct stack_frame_tail *tail, const struct stack_frame_meta *meta)
{
	static uint8_t whole[STACK_TXBUF_SIZE];
	size_t len = head_len + stack_frame_tail_len(tail);

	if (head_len < STACK_L4_OFF || len > sizeof(whole) || stack_frame_tail_len(tail) == 0 ||
	    wire_get16(head + STACK_ETH_HLEN + 2) != len - STACK_ETH_HLEN || !meta ||
	    !meta->csum_partial)
		__builtin_trap();
	memcpy(whole, head, head_len);
	stack_frame_tail_copy(whole + head_len, tail);
	return ft_emit(ctx, whole, len, meta);
}

static void ft_inject(struct ft *f, const uint8_t *l4, size_t l4_len, bool good_csum)
{
	uint8_t *fr = f->frame, *ip = fr + STACK_ETH_HLEN;
	static const uint8_t mac_local[6] = { 2, 0, 0, 0, 0, 2 },
			     mac_remote[6] = { 2, 0, 0, 0, 0, 1 };

	if (l4_len > sizeof(f->frame) - STACK_L4_OFF)
		l4_len = sizeof(f->frame) - STACK_L4_OFF;
	memcpy(fr, mac_local, 6);
	memcpy(fr + 6, mac_remote, 6);
	wire_put16(fr + 12, 0x0800);
	memset(ip, 0, STACK_IP4_HLEN);
	ip[0] = 0x45;
	wire_put16(ip + 2, (uint16_t)(STACK_IP4_HLEN + l4_len));
	ip[8] = 64;
	ip[9] = 6;
	wire_put32(ip + 12, FT_REMOTE);
	wire_put32(ip + 16, FT_LOCAL);
	wire_put16(ip + 10, csum_buf(ip, STACK_IP4_HLEN));
	if (l4 != fr + STACK_L4_OFF)
		memmove(fr + STACK_L4_OFF, l4, l4_len);
	if (good_csum && l4_len >= 20)
		tcp_wire_set_csum(fr + STACK_L4_OFF, l4_len, FT_REMOTE, FT_LOCAL);
	stack_input(f->s, f->now, fr, STACK_L4_OFF + l4_len, NULL);
}

static void ft_send_seg(struct ft *f, const struct tcp_seg *seg, bool good_csum)
{
	uint8_t *l4 = f->frame + STACK_L4_OFF;
	size_t hlen = tcp_wire_write(l4, seg);

	for (uint32_t i = 0; i < seg->len && hlen + i < sizeof(f->frame) - STACK_L4_OFF; i++)
		l4[hlen + i] = (uint8_t)(seg->seq + i);
	ft_inject(f, l4, hlen + seg->len, good_csum);
}

/* The memory waiters' list holds exactly the live connections marked as waiting. */
static void ft_check_waiters(const struct stack *s)
{
	const struct tcp_mem *m = &s->tcp.mem;
	uint32_t n = 0, marked = 0;

	for (uint32_t i = m->wait_head; i != TCP_SLOT_NONE; i = s->tcp.conns[i].mem_wait_next) {
		if (!s->tcp.conns[i].in_use || !s->tcp.conns[i].mem_wait || ++n > s->tcp.nslots)
			__builtin_trap();
	}
	for (uint32_t i = 0; i < s->tcp.nslots; i++)
		marked += s->tcp.conns[i].in_use && s->tcp.conns[i].mem_wait;
	if (n != m->waiters || marked != m->waiters)
		__builtin_trap();
}

static void ft_check(struct ft *f)
{
	struct stack *s = f->s;
	uint64_t charged = 0;

	for (uint32_t i = 0; i < s->tcp.nslots; i++) {
		const struct tcp_conn *c = &s->tcp.conns[i];

		if (!c->in_use)
			continue;
		charged += (uint64_t)c->mem_snd + c->mem_rcv + c->mem_sb + c->mem_reasm;
		if (seq_gt(c->snd_una, c->snd_nxt) || seq_gt(c->snd_nxt, c->snd_max))
			__builtin_trap();
		if (c->snd.len > c->snd.cap || tcp_conn_unsent(c) > c->snd.len)
			__builtin_trap();
		if (c->rcv.len > c->rcv.cap || c->snd.cap > c->mem_snd || c->rcv.cap > c->mem_rcv)
			__builtin_trap();
		/* the scoreboard: bounded, ordered ranges without gaps, none empty */
		if (c->rec.sb) {
			const struct tcp_sb *sb = c->rec.sb;

			if (sb->n > TCP_SB_MAX)
				__builtin_trap();
			for (uint32_t k = 0; k < sb->n; k++)
				if (!seq_lt(sb->e[k].start, sb->e[k].end) ||
				    (k + 1 < sb->n && sb->e[k].end != sb->e[k + 1].start))
					__builtin_trap();
		}
		/* the window we advertised never promises more than the memory charged for
		 * it, in every state that can keep data (not a half-open passive child: the
		 * ACK that completes it reserves its window before any data, tcp_mem.c) */
		if (c->state > TCP_SYN_SENT && c->state != TCP_TIME_WAIT && !c->orphan &&
		    !(c->state == TCP_SYN_RECEIVED && c->passive) &&
		    seq_gt(c->rcv_adv, c->rcv_nxt) &&
		    (uint64_t)(uint32_t)(c->rcv_adv - c->rcv_nxt) + c->rcv.len > c->mem_rcv)
			__builtin_trap();
	}
	/* the budget counts exactly what the connections hold, and stays within its limit */
	if (charged != s->tcp.mem.used || s->tcp.mem.used > s->tcp.mem.limit)
		__builtin_trap();
	ft_check_waiters(s);
}

static void ft_setup(struct ft *f, bool offload)
{
	struct stack_config cfg = { 0 };
	struct stack_env env = { 0 };
	struct stack_endpoint local = { 0, 80 };
	static const uint8_t mac_remote[6] = { 2, 0, 0, 0, 0, 1 };
	struct tcp_seg seg = { .sport = 40000, .dport = 80, .wnd = 8192, .opt.wscale = -1 };
	struct tcp_conn *c;

	cfg.mac[0] = 2, cfg.mac[5] = 2;
	cfg.addr = FT_LOCAL;
	cfg.prefix_len = 24;
	cfg.mtu = 1500;
	cfg.max_conns = 8;
	stack_tunables_defaults(&cfg.tun);
	cfg.tun.recv_buffer = 8192;
	cfg.tun.send_buffer = 8192;
	cfg.tun.syn_backlog = 2; /* the third half-open pair gets a SYN cookie */
	cfg.memory = 24 * 1024;	 /* tight: the budget's limits and pressure are reachable */
	for (int i = 0; i < 16; i++)
		env.secret[i] = (uint8_t)i;
	cfg.tx_csum_offload = offload;
	cfg.tx_tso = offload;
	env.sink.ctx = f;
	env.sink.emit = ft_emit;
	if (offload)
		env.sink.emit_tail = ft_emit_tail;
	env.allocator.ctx = f;
	env.allocator.alloc = ft_alloc;
	env.allocator.free = ft_free;
	f->s = calloc(1, stack_size());
	f->now = 1000000;
	if (stack_init(f->s, f->now, &cfg, &env) < 0)
		__builtin_trap();
	net_arp_seed(f->s, f->now, FT_REMOTE, mac_remote);
	stack_tcp_listen(f->s, f->now, &local, 4, 1, &f->lsock);
	seg.seq = FT_ISN;
	seg.flags = TCP_FLAG_SYN;
	seg.opt.has_mss = true;
	seg.opt.mss = 1460;
	seg.opt.has_ts = true;
	seg.opt.tsval = 1;
	seg.opt.sack_ok = true;
	seg.opt.wscale = 2;
	ft_send_seg(f, &seg, true);
	c = tcp_conn_lookup(f->s, &(struct tcp_tuple){ FT_LOCAL, FT_REMOTE, 80, 40000 });
	if (!c)
		__builtin_trap();
	memset(&seg.opt, 0, sizeof(seg.opt));
	seg.opt.wscale = -1;
	seg.opt.has_ts = true;
	seg.opt.tsval = 2;
	seg.seq = FT_ISN + 1;
	seg.ack = c->iss + 1;
	seg.flags = TCP_FLAG_ACK;
	ft_send_seg(f, &seg, true);
	if (stack_tcp_accept(f->s, f->now, f->lsock, 2, &f->sock) < 0)
		__builtin_trap();
	f->peer_nxt = FT_ISN + 1;
}

static size_t ft_take(const uint8_t **p, size_t *n, void *dst, size_t want)
{
	size_t k = want < *n ? want : *n;

	memset(dst, 0, want);
	memcpy(dst, *p, k);
	*p += k;
	*n -= k;
	return k;
}

static void ft_segment(struct ft *f, uint8_t op, const uint8_t **p, size_t *n)
{
	uint8_t b[14];
	struct tcp_seg seg = { .sport = 40000, .dport = 80, .opt.wscale = -1 };
	const struct tcp_conn *c = tcp_conn_from_sock(f->s, f->sock, false);

	ft_take(p, n, b, sizeof(b));
	seg.flags = b[0];
	seg.seq = (c ? c->rcv_nxt : f->peer_nxt) + wire_get32(b + 1);
	seg.ack = (c ? c->snd_una : 0) + wire_get32(b + 5);
	seg.wnd = wire_get16(b + 9);
	seg.len = wire_get16(b + 11) % 3000;
	if (b[13] & 1) {
		seg.opt.has_ts = true;
		seg.opt.tsval = (uint32_t)(f->now / 1000) + (b[13] >> 4);
		seg.opt.tsecr = 1;
	}
	if (b[13] & 2)
		seg.opt.has_mss = true, seg.opt.mss = (uint16_t)(b[13] * 64);
	if (b[13] & 4)
		seg.opt.wscale = (int8_t)(b[13] >> 4);
	if (b[13] & 8) {
		seg.opt.nsack = 1;
		seg.opt.sack[0].left = seg.ack;
		seg.opt.sack[0].right = seg.ack + 100;
	}
	if (op & 32) {
		uint8_t blk[8];

		ft_take(p, n, blk, sizeof(blk));
		seg.opt.nsack = 0;
		for (int i = 0; i < 4; i++) {
			tcp_seq left = (c ? c->snd_una : 0) + (uint32_t)blk[2 * i] * 64;

			if (!blk[2 * i] && !blk[2 * i + 1])
				continue;
			seg.opt.sack[seg.opt.nsack].left = left;
			seg.opt.sack[seg.opt.nsack].right =
				blk[2 * i + 1] ? left + (uint32_t)blk[2 * i + 1] * 32 : left - 32;
			seg.opt.nsack++;
		}
	}
	if (op & 4)
		seg.sport = (uint16_t)(40001 + (b[12] & 3));
	if ((op & 16) && f->have_synack) {
		seg.sport = f->synack.dport;
		seg.seq = f->synack.ack + wire_get32(b + 1);
		seg.ack = f->synack.seq + 1 + wire_get32(b + 5);
		if (seg.opt.has_ts)
			seg.opt.tsecr = f->synack.opt.tsval;
	}
	ft_send_seg(f, &seg, !(op & 8));
}

static void ft_call(struct ft *f, const uint8_t **p, size_t *n)
{
	static uint8_t buf[20000];
	uint8_t b[3];
	struct stack_endpoint remote = { FT_REMOTE, 40000 };
	struct stack_tcp_info info;
	stack_sock sock;
	uint16_t len;

	ft_take(p, n, b, sizeof(b));
	len = wire_get16(b + 1) % sizeof(buf);
	sock = (b[0] & 0x80) ? f->lsock : f->sock;
	switch (b[0] % 10) {
	case 0:
		stack_tcp_send(f->s, f->now, sock, buf, len);
		break;
	case 1:
		stack_tcp_recv(f->s, f->now, sock, buf, len);
		break;
	case 2:
		stack_tcp_shutdown(f->s, f->now, sock);
		break;
	case 3:
		stack_tcp_close(f->s, f->now, sock);
		break;
	case 4:
		stack_tcp_abort(f->s, f->now, sock);
		break;
	case 5:
		if (stack_tcp_accept(f->s, f->now, f->lsock, 3, &sock) == 0)
			f->sock = sock;
		break;
	case 6:
		remote.port = (uint16_t)(40000 + (len & 3));
		if (stack_tcp_connect(f->s, f->now, NULL, &remote, 4, &sock) == 0)
			f->sock = sock;
		break;
	case 7:
		stack_tcp_setopt(f->s, f->now, sock, (enum stack_tcp_opt)(len % 7), len);
		break;
	case 8:
		stack_tcp_info(f->s, sock, &info);
		break;
	default:
		stack_link_set_blocked(f->s, len & 1);
		break;
	}
	while (stack_event_pop(f->s, &(struct stack_event){ 0 }))
		;
}

/* One run of the input, with or without the link offloads (and emit_tail). */
static void ft_run(const uint8_t *data, size_t size, bool offload)
{
	struct ft f = { 0 };
	const uint8_t *p = data;
	size_t n = size;

	ft_setup(&f, offload);
	for (int steps = 0; n && steps < 2000; steps++) {
		uint8_t op = *p++;
		uint8_t b[2];

		n--;
		switch (op % 4) {
		case 0:
			ft_take(&p, &n, b, 2);
			f.now += (stack_time_us)wire_get16(b) * wire_get16(b);
			stack_poll(f.s, f.now);
			if (stack_poll_at(f.s) <= f.now)
				__builtin_trap();
			break;
		case 1:
			ft_segment(&f, op, &p, &n);
			break;
		case 2: {
			uint8_t len = 0;

			ft_take(&p, &n, &len, 1);
			if (len > n)
				len = (uint8_t)n;
			ft_inject(&f, p, len, !(op & 8));
			p += len;
			n -= len;
			break;
		}
		default:
			ft_call(&f, &p, &n);
			break;
		}
		ft_check(&f);
	}
	stack_deinit(f.s);
	free(f.s);
	if (f.alloc_bytes)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ft_run(data, size, false);
	ft_run(data, size, true);
	return 0;
}
