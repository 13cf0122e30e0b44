/* SPDX-License-Identifier: MIT */
/*
 * tcp/tcp_syncookie.c - SYN cookies (RFC 4987 §3.6): a listener whose SYN
 * queue is full (or that has no free slot) answers a SYN with a SYN,ACK
 * whose ISS is a keyed, time-limited cookie and keeps no state at all; the
 * peer's ACK of that ISS proves it received our SYN,ACK at the address it
 * claimed, and recreates the connection directly in ESTABLISHED.
 *
 * The cookie (our ISS), for the 4-tuple, the peer's ISN and a counter that
 * steps every TCP_COOKIE_PERIOD_US (64 s):
 *
 *   ISS = (SipHash(secret, tuple, peer ISN, counter, i) & ~63) | i
 *
 * i (the low 6 bits, hashed too) says what we announced: bits 0-1 index
 * tcp_cookie_mss[], the largest table MSS not above the peer's, and bits
 * 2-5 hold our own window shift (0 when the SYN,ACK offered none). The ACK
 * takes the shift from there, not from the listener's RCVBUF or tunables
 * of the moment, which may have changed since: the peer scales by what the
 * SYN,ACK said (RFC 7323 §2.2). An ACK is valid when SEG.ACK - 1 matches
 * the hash for the current counter or the one before (a cookie lives 64 to
 * 128 s), with SEG.SEQ - 1 as the peer's ISN. The other 26 bits are the
 * authenticator: a blind guess succeeds once in 2^26 (64 M) tries.
 *
 * What else the SYN negotiated rides in our timestamp, when both sides
 * use timestamps: the low 6 bits of the SYN,ACK's TSval hold the peer's
 * window shift (bits 0-3, 15 = no window scaling) and SACK-permitted
 * (bit 4), and the peer's ACK echoes them in TSecr. That TSval is moved
 * back by up to 63 ms so it never runs ahead of the connection's clock,
 * whose offset is a keyed hash of the tuple (so the ACK finds it again).
 * Without timestamps the SYN,ACK offers neither window scaling nor SACK
 * (nothing could carry them back), and a cookie connection runs without
 * both: windows of at most 64 KiB, no SACK.
 *
 * Costs of statelessness: a cookie SYN,ACK is never retransmitted (the peer's
 * SYN retransmission brings a new one), MSS values between table entries are
 * rounded down, and the first RTT sample from the echoed TSval may be up to
 * 63 ms long.
 */
#include <errno.h>
#include <string.h>

#include "../siphash.h"
#include "../wire.h"
#include "tcp_conn.h"

#define TCP_COOKIE_PERIOD_US 64000000ull /* the counter's step */
#define TCP_COOKIE_AGES	     2		 /* counter values accepted: now and the one before */
#define TCP_COOKIE_TS_MASK   0x3fu
#define TCP_COOKIE_TS_NO_WS  0x0fu
#define TCP_COOKIE_TS_SACK   0x10u
#define TCP_COOKIE_INFO	     0x3fu /* the ISS's low bits: MSS index and our window shift */
#define TCP_COOKIE_WS_SHIFT  2

/* SipHash domain bytes; tcp_isn.c uses 1..4 under the same secret */
enum tcp_cookie_domain {
	TCP_HASH_COOKIE = 16,
	TCP_HASH_COOKIE_TS = 17,
};

/* The MSS a cookie can say: common values, rounded down to the nearest. */
static const uint16_t tcp_cookie_mss[4] = { 536, 1300, 1440, 1460 };

static size_t tcp_syncookie_put_tuple(uint8_t *b, const struct tcp_tuple *t)
{
	wire_put32(b, t->laddr);
	wire_put16(b + 4, t->lport);
	wire_put32(b + 6, t->raddr);
	wire_put16(b + 10, t->rport);
	return 12;
}

static uint32_t tcp_syncookie_hash(const struct stack *s, const struct tcp_tuple *t,
				   uint32_t peer_isn, uint32_t counter, uint32_t info)
{
	uint8_t b[1 + 12 + 4 + 4 + 1];
	size_t n = 0;

	b[n++] = TCP_HASH_COOKIE;
	n += tcp_syncookie_put_tuple(b + n, t);
	wire_put32(b + n, peer_isn);
	wire_put32(b + n + 4, counter);
	b[n + 8] = (uint8_t)info;
	return (uint32_t)siphash24(s->env.secret, b, sizeof(b));
}

static uint32_t tcp_syncookie_counter(stack_time_us now)
{
	return (uint32_t)(now / TCP_COOKIE_PERIOD_US);
}

/* The timestamp offset of a cookie connection: fixed by the tuple, found again at the ACK. */
static uint32_t tcp_syncookie_ts_offset(const struct stack *s, const struct tcp_tuple *t)
{
	uint8_t b[1 + 12];

	b[0] = TCP_HASH_COOKIE_TS;
	tcp_syncookie_put_tuple(b + 1, t);
	return (uint32_t)siphash24(s->env.secret, b, sizeof(b));
}

static void tcp_syncookie_tuple(const struct ip4_rx *ip, const struct tcp_seg *seg,
				struct tcp_tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->laddr = ip->dst;
	t->raddr = ip->src;
	t->lport = seg->dport;
	t->rport = seg->sport;
}

/* The window a cookie SYN,ACK offers (unscaled, RFC 7323 §2.2) and the child starts from. */
static uint32_t tcp_syncookie_window(const struct tcp_conn *l)
{
	return stack_min(l->rcvbuf_size, 65535u);
}

static uint32_t tcp_syncookie_mss_index(const struct stack *s, const struct tcp_seg *syn)
{
	uint32_t mss = stack_min(syn->opt.has_mss ? syn->opt.mss : 536u, s->cfg.mtu - 40);
	uint32_t i = 3;

	while (i > 0 && tcp_cookie_mss[i] > mss)
		i--;
	return i;
}

bool tcp_syncookie_wanted(const struct stack *s, const struct tcp_conn *l)
{
	uint64_t mode = s->cfg.tun.syncookies;

	return mode == 2 || (mode == 1 && l->syn_qlen >= tcp_listen_synq_max(s, l));
}

void tcp_syncookie_send(struct stack *s, stack_time_us now, struct tcp_conn *l,
			const struct ip4_rx *ip, const struct tcp_seg *syn)
{
	const struct stack_tunables *tun = &s->cfg.tun;
	uint32_t info = tcp_syncookie_mss_index(s, syn);
	struct tcp_tuple t;
	struct tcp_seg out;

	tcp_syncookie_tuple(ip, syn, &t);
	memset(&out, 0, sizeof(out));
	out.sport = syn->dport;
	out.dport = syn->sport;
	out.ack = syn->seq + 1;
	out.flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
	out.wnd = (uint16_t)tcp_syncookie_window(l);
	out.opt.wscale = -1;
	out.opt.has_mss = true;
	out.opt.mss = (uint16_t)stack_min(s->cfg.mtu - 40, 65535u - 40);
	if (l->user_mss && out.opt.mss > l->user_mss)
		out.opt.mss = l->user_mss; /* TCP_MAXSEG on the listener */
	if (tun->timestamps && syn->opt.has_ts) {
		uint32_t bits = TCP_COOKIE_TS_NO_WS;
		uint32_t now_ts = (uint32_t)(now / 1000) + tcp_syncookie_ts_offset(s, &t);
		uint32_t tsval;

		if (tun->window_scaling && syn->opt.wscale >= 0) {
			out.opt.wscale = (int8_t)tcp_input_wscale_for(
				tcp_autotune_rcvbuf_ceiling(s, l->rcvbuf_locked, l->rcvbuf_size));
			info |= (uint32_t)out.opt.wscale << TCP_COOKIE_WS_SHIFT;
			bits = (uint32_t)stack_min(syn->opt.wscale, 14);
		}
		if (tun->sack && syn->opt.sack_ok) {
			out.opt.sack_ok = true;
			bits |= TCP_COOKIE_TS_SACK;
		}
		tsval = (now_ts & ~TCP_COOKIE_TS_MASK) | bits;
		if (seq_gt(tsval, now_ts))
			tsval -= TCP_COOKIE_TS_MASK + 1; /* never ahead of the clock */
		out.opt.has_ts = true;
		out.opt.tsval = tsval;
		out.opt.tsecr = syn->opt.tsval;
	}
	out.seq = (tcp_syncookie_hash(s, &t, syn->seq, tcp_syncookie_counter(now), info) &
		   ~TCP_COOKIE_INFO) |
		  info;
	l->cookie_sent_at = now;
	l->cookie_sent = true;
	STACK_INC(s, TcpExtSyncookiesSent);
	tcp_output_stateless(s, now, l, ip->dst, ip->src, &out);
}

/* The cookie's info bits when it is one we made for this tuple and ISN lately; -EINVAL if not. */
static int tcp_syncookie_check(const struct stack *s, const struct tcp_tuple *t, uint32_t peer_isn,
			       uint32_t cookie, stack_time_us now)
{
	uint32_t info = cookie & TCP_COOKIE_INFO, counter = tcp_syncookie_counter(now);

	for (uint32_t age = 0; age < TCP_COOKIE_AGES; age++) {
		uint32_t h = tcp_syncookie_hash(s, t, peer_isn, counter - age, info);

		if ((h & ~TCP_COOKIE_INFO) == (cookie & ~TCP_COOKIE_INFO))
			return (int)info;
	}
	return -EINVAL;
}

/* The SYN the cookie stands for: the options it negotiated, rebuilt from the ACK. */
static void tcp_syncookie_rebuild_syn(const struct stack *s, const struct tcp_seg *ack,
				      uint32_t info, struct tcp_seg *syn)
{
	memset(syn, 0, sizeof(*syn));
	syn->sport = ack->sport;
	syn->dport = ack->dport;
	syn->seq = ack->seq - 1;
	syn->flags = TCP_FLAG_SYN;
	syn->wnd = ack->wnd;
	syn->opt.has_mss = true;
	syn->opt.mss = tcp_cookie_mss[info & 3u];
	syn->opt.wscale = -1;
	/* options other than MSS come back only in the echo of our TSval */
	if (!s->cfg.tun.timestamps || !ack->opt.has_ts || !ack->opt.tsecr)
		return;
	syn->opt.has_ts = true;
	syn->opt.tsval = ack->opt.tsval;
	if ((ack->opt.tsecr & TCP_COOKIE_TS_NO_WS) != TCP_COOKIE_TS_NO_WS)
		syn->opt.wscale = (int8_t)(ack->opt.tsecr & TCP_COOKIE_TS_NO_WS);
	syn->opt.sack_ok = (ack->opt.tsecr & TCP_COOKIE_TS_SACK) != 0;
}

/*
 * Window scaling as the SYN,ACK settled it: on when the peer's shift came
 * back in the TSecr echo (we offered ours only then), with our shift from
 * the cookie.
 */
static void tcp_syncookie_window_scale(struct tcp_conn *c, const struct tcp_seg *syn, uint32_t info)
{
	c->wscale_ok = syn->opt.wscale >= 0;
	c->snd_wscale = c->wscale_ok ? (uint8_t)syn->opt.wscale : 0;
	c->rcv_wscale = c->wscale_ok ? (uint8_t)(info >> TCP_COOKIE_WS_SHIFT) : 0;
}

int tcp_syncookie_ack(struct stack *s, stack_time_us now, struct tcp_conn *l,
		      const struct ip4_rx *ip, const struct tcp_seg *seg, struct tcp_conn **ret_c)
{
	struct tcp_tuple t;
	struct tcp_seg syn;
	struct tcp_conn *c;
	int info;

	/* only while cookies may be out there: a stray ACK costs no hashing otherwise */
	if (!s->cfg.tun.syncookies || !l->cookie_sent ||
	    now - l->cookie_sent_at >= TCP_COOKIE_AGES * TCP_COOKIE_PERIOD_US)
		return -ENOENT;
	if (seg->flags & (TCP_FLAG_SYN | TCP_FLAG_RST))
		return -ENOENT;
	tcp_syncookie_tuple(ip, seg, &t);
	info = tcp_syncookie_check(s, &t, seg->seq - 1, seg->ack - 1, now);
	if (info < 0) {
		STACK_INC(s, TcpExtSyncookiesFailed);
		return -EINVAL;
	}
	/* a valid cookie that finds the accept queue full is dropped: the peer's
	 * retransmission may find room while the cookie is still good */
	if (l->aq_len >= l->backlog) {
		STACK_INC(s, TcpExtListenOverflows);
		STACK_INC(s, TcpExtListenDrops);
		return -ENOBUFS;
	}
	c = tcp_listen_new_child(s, l, ip, seg);
	if (!c) {
		STACK_INC(s, TcpExtListenDrops);
		return -ENOBUFS;
	}
	tcp_syncookie_rebuild_syn(s, seg, (uint32_t)info, &syn);
	tcp_input_passive_init(s, now, c, &syn, seg->ack - 1, seg);
	tcp_syncookie_window_scale(c, &syn, (uint32_t)info);
	c->ts_offset = tcp_syncookie_ts_offset(s, &t);
	/* the window our SYN,ACK offered, so data riding on this ACK is in it */
	c->rcv_adv = c->rcv_nxt + tcp_syncookie_window(l);
	/* that window was offered with nothing kept: back it now, or drop the ACK
	 * (the peer retransmits while the cookie is still good) */
	if (tcp_mem_rcv_reserve(s, c) < 0) {
		STACK_INC(s, TcpExtListenDrops);
		tcp_conn_destroy(s, now, c, TCP_CAUSE_NONE, NULL);
		return -ENOBUFS;
	}
	STACK_INC(s, TcpExtSyncookiesRecv);
	*ret_c = c;
	return 0;
}
