/* SPDX-License-Identifier: MIT */
/*
 * sim_adversary.c - adversarial scenarios on the deterministic simulator
 * (issue 9): fixed bulk transfers from A to B, built on the random runs of
 * sim_run.c through struct sim_hooks, each held to a bound in virtual time on
 * top of everything sim_check.c and sim_app.c check (byte-exact delivery,
 * invariants, states, no reset, no leak).
 *
 *  forge  An attacker who knows the 4-tuple and B's receive window injects,
 *         every millisecond while the transfer runs, segments whose SEQ is in
 *         the window but whose ACK lies outside RFC 5961 §5.2's acceptable
 *         range (older than SND.UNA - MAX.SND.WND, or never sent); most carry
 *         a TSval far ahead of the real one, all carry bytes that differ from
 *         the real stream. Each must be dropped with a challenge ACK, at most
 *         challenge_ack_limit a second, deliver nothing and leave TS.Recent
 *         alone (RFC 7323 §4.3, RFC 9293 §3.10.7.4), so the transfer ends
 *         within 1.5 x the same run without the attacker, + 50 ms.
 *  wrap   A transfer whose sequence numbers cross ISS + 2^31 or ISS + 2^32,
 *         with the first transmission of four segments lost around the
 *         crossing. NewReno must repair each by fast retransmit (RFC 5681
 *         §3.2, RFC 6582), never a retransmission timeout, within
 *         bytes / rate + (slow start + 3 per loss + 4) round trips.
 *         The -burst cases lose 12 segments in a row at each point: SACK
 *         recovery (RFC 6675, PRR) must repair each burst as one loss event
 *         (3 round trips), the rate halving at each event, as the next one
 *         may fall in a later window; one retransmission per round trip
 *         would need 12 round trips a burst.
 *  loss   A 16 MiB transfer over 1 % random loss (loss1) or 5 % loss with
 *         2 % reordering and 1 % duplication (loss5), SACK on, on the 20 ms
 *         path or a 1 ms one (-lan, where a 200 ms timeout costs 200 round
 *         trips), the ACKs too in loss5-both: the goodput
 *         must reach half of the Mathis et al. model, MSS / RTT x 1.22 /
 *         sqrt(p), and retransmission timeouts stay below one per 100
 *         segments lost (RACK-TLP repairs single losses and tails). Goodput,
 *         timeouts and probes are printed for the before/after table.
 *  stretch  A 2 MiB transfer on the 20 ms path, no loss, both sides with
 *         offloads, so each of A's TSO frames reaches B whole and B ACKs it
 *         once: up to 44 segments an ACK, as the kernel ACKs synackd's TSO
 *         frames through a TAP. Slow start must grow as fast as against a
 *         receiver that ACKs every second segment (the same run with B not
 *         offloading, A's frames cut on the way): within 1.1 x its time +
 *         one round trip.
 *
 * A test cannot send 2^31 bytes. Instead, once both ends are ESTABLISHED and
 * nothing has been sent, the connection is given a loss-free history of
 * `skip` bytes: the sender's ISS (and NewReno's recover point, which starts
 * at the ISS and moves only on a loss) and the receiver's IRS are moved back
 * by that much, through the core's internal headers. Every other variable of
 * a loss-free connection is the same whatever it has carried. This is test
 * code only; the core has no hook for it.
 *
 *   sim-adversary               every case, three seeds each
 *   sim-adversary --case wrap31 --seeds 5 -v
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "sim_run.h"
#include "stack_internal.h"
#include "tcp/tcp_conn.h"
#include "tcp/tcp_wire.h"
#include "wire.h"

#define ADV_KIB		1024ull
#define ADV_MIB		(1024ull * 1024ull)
#define ADV_RATE_BPS	100000000ull /* both directions */
#define ADV_DELAY_US	10000ull     /* one way: a 20 ms round trip */
#define ADV_FORGE_EVERY 1000ull	     /* one forged segment per millisecond */

enum adv_kind { ADV_FORGE, ADV_WRAP, ADV_LOSS, ADV_STRETCH };

struct adv_case {
	const char *name;
	enum adv_kind kind;
	uint64_t bytes;	   /* A -> B */
	uint64_t skip;	   /* wrap: bytes of loss-free history given to the connection */
	uint64_t cross;	   /* wrap: the point crossed, 2^31 or 2^32 past the ISS */
	uint32_t loss_ppm; /* random loss A -> B */
	bool sack;
	const int64_t *drops; /* wrap: where segments are lost, relative to the point crossed */
	uint32_t burst;	      /* wrap: segments lost in a row at each point (0: 1) */
	uint32_t reorder_ppm, dup_ppm; /* loss: A -> B */
	uint64_t delay_us;	       /* one way (0: ADV_DELAY_US) */
	bool both;		       /* loss: B -> A (the ACKs) impaired the same way */
};

static uint64_t adv_delay(const struct adv_case *cs)
{
	return cs->delay_us ? cs->delay_us : ADV_DELAY_US;
}

/*
 * The first loss is on the side of the crossing where SND.UNA - recover
 * reads as negative in 32-bit sequence arithmetic if recover still sits at
 * the ISS (past 2^31, or before 2^32); a loss on the other side would set a
 * new recover point and hide the problem.
 */
#define ADV_DROPS 4
static const int64_t adv_drops_31[ADV_DROPS] = { 16 * 1024, 128 * 1024, 384 * 1024, 700 * 1024 };
static const int64_t adv_drops_32[ADV_DROPS] = { -256 * 1024, -16 * 1024, 384 * 1024, 700 * 1024 };

static const struct adv_case adv_cases[] = {
	{ "forge", ADV_FORGE, 4 * ADV_MIB, 0, 0, 0, true, NULL },
	{ "forge-lossy", ADV_FORGE, 4 * ADV_MIB, 0, 0, 5000, false, NULL },
	{ "wrap31", ADV_WRAP, 2 * ADV_MIB, (1ull << 31) - ADV_MIB, 1ull << 31, 0, true,
	  adv_drops_31 },
	{ "wrap31-nosack", ADV_WRAP, 2 * ADV_MIB, (1ull << 31) - ADV_MIB, 1ull << 31, 0, false,
	  adv_drops_31 },
	{ "wrap32", ADV_WRAP, 2 * ADV_MIB, (1ull << 32) - ADV_MIB, 1ull << 32, 0, true,
	  adv_drops_32 },
	{ "wrap32-nosack", ADV_WRAP, 2 * ADV_MIB, (1ull << 32) - ADV_MIB, 1ull << 32, 0, false,
	  adv_drops_32 },
	{ "wrap31-burst", ADV_WRAP, 2 * ADV_MIB, (1ull << 31) - ADV_MIB, 1ull << 31, 0, true,
	  adv_drops_31, 12 },
	{ "wrap32-burst", ADV_WRAP, 2 * ADV_MIB, (1ull << 32) - ADV_MIB, 1ull << 32, 0, true,
	  adv_drops_32, 12 },
	{ "loss1", ADV_LOSS, 16 * ADV_MIB, 0, 0, 10000, true, NULL, 0, 0, 0 },
	{ "loss5", ADV_LOSS, 16 * ADV_MIB, 0, 0, 50000, true, NULL, 0, 20000, 10000 },
	{ "loss1-lan", ADV_LOSS, 16 * ADV_MIB, 0, 0, 10000, true, NULL, 0, 0, 0, 500 },
	{ "loss5-lan", ADV_LOSS, 16 * ADV_MIB, 0, 0, 50000, true, NULL, 0, 20000, 10000, 500 },
	{ "loss5-both", ADV_LOSS, 16 * ADV_MIB, 0, 0, 50000, true, NULL, 0, 20000, 10000, 0, true },
	{ "stretch", ADV_STRETCH, 2 * ADV_MIB, 0, 0, 0, true, NULL },
};

/* One run: what the hooks do and saw. */
struct adv {
	const struct adv_case *cs;
	bool attack; /* forge: with the attacker; stretch: B takes TSO frames whole (else the
		      * baseline run) */
	struct sim_rng rng;
	stack_time_us start, done_at, deadline, last_step;
	/* forge */
	bool attacking;
	stack_time_us forge_next, attack_start, attack_end;
	uint64_t forged, forged_ts;
	/* wrap */
	bool skipped;
	uint32_t drop_seq[ADV_DROPS];
	uint32_t dropped[ADV_DROPS]; /* segments lost at each point */
	bool have_high;
	uint32_t high; /* the highest sequence number A has sent: beyond it, a first transmission */
	/* counters at the last step: B's challenge ACKs and PAWS drops, A's recoveries */
	uint64_t chack, chack_skipped, paws, timeouts, fast_rexmits;
	uint64_t probes, retrans, lost_link, segs_out;
	uint64_t chack_limit;
};

/* The connection of side idx, found by its 4-tuple (NULL before B's SYN). */
static struct tcp_conn *adv_conn(struct sim_world *w, int idx)
{
	const struct sim_side *a = &w->side[SIM_A], *b = &w->side[SIM_B];
	struct tcp_tuple t;
	struct tcp_conn *c;

	if (!b->path.have_tuple)
		return NULL;
	if (idx == SIM_B)
		t = (struct tcp_tuple){ .laddr = b->addr,
					.raddr = a->addr,
					.lport = b->path.lport,
					.rport = SIM_PORT };
	else
		t = (struct tcp_tuple){ .laddr = a->addr,
					.raddr = b->addr,
					.lport = SIM_PORT,
					.rport = b->path.lport };
	c = tcp_conn_lookup(w->side[idx].stack, &t);
	return c && c->state != TCP_LISTEN ? c : NULL;
}

/* A clean 100 Mbit/s path with a 20 ms round trip; 256 KiB buffers; timestamps on. */
static void adv_scenario(struct sim_world *w, void *ctx)
{
	struct adv *a = ctx;
	struct sim_scenario *sc = &w->sc;

	sc->order = SIM_CLOSE_A_FIRST;
	sc->bytes[SIM_A] = a->cs->bytes;
	sc->bytes[SIM_B] = 0;
	sc->seed_arp = true;
	sc->use_blocking = false;
	sc->stalls = false;
	sc->keep_listener = false;
	sc->think_us = 0;
	sc->max_chunk = 65536;
	sc->msl_us = SEC_US(4);
	for (int i = 0; i < SIM_SIDES; i++) {
		struct sim_link_params *p = &sc->link[i];
		struct stack_tunables *t = &sc->tun[i];

		sc->mode[i] = SIM_MODE_SHUTDOWN;
		sc->mtu[i] = 1500;
		sc->nodelay[i] = false;
		sc->keepidle_us[i] = 0;
		sc->keepintvl_us[i] = 0;
		memset(p, 0, sizeof(*p));
		p->delay_us = adv_delay(a->cs);
		p->rate_bps = ADV_RATE_BPS;
		p->queue_limit = 512;
		stack_tunables_defaults(t);
		t->rto_max = SEC_US(2);
		/* 256 KiB: the window stays below the link queue (512 frames) */
		t->send_buffer = 256 * ADV_KIB;
		t->recv_buffer = 256 * ADV_KIB;
		t->timestamps = true;
		t->window_scaling = true;
		t->sack = a->cs->sack;
		t->msl = sc->msl_us;
		/* the wrap cases' losses were placed on the flights slow start has
		 * with delayed ACKs; quick ACKs (tcp.quick_acks) at the start grow
		 * it faster, and without SACK the fourth loss then falls within
		 * NewReno's recovery from the first three, and every duplicate ACK
		 * it draws comes before that recovery ends (RFC 6582 §3.2: within
		 * one they only inflate the window), so it is found by a
		 * retransmission timeout, which this case is not about */
		if (a->cs->kind == ADV_WRAP && !a->cs->sack)
			t->quick_acks = 0;
	}
	sc->link[SIM_A].loss_ppm = a->cs->loss_ppm;
	sc->link[SIM_A].reorder_ppm = a->cs->reorder_ppm;
	sc->link[SIM_A].reorder_us = 2 * adv_delay(a->cs) / 10; /* a tenth of the round trip */
	sc->link[SIM_A].dup_ppm = a->cs->dup_ppm;
	if (a->cs->both)
		sc->link[SIM_B] = sc->link[SIM_A];
	/* offloads only where the case is about them: the other cases' bounds
	 * and planned losses are per wire segment, as they were written */
	sc->offload[SIM_A] = a->cs->kind == ADV_STRETCH;
	sc->offload[SIM_B] = a->cs->kind == ADV_STRETCH && a->attack;
	a->chack_limit = sc->tun[SIM_B].challenge_ack_limit;
}

/* Hand B a segment from A's address, as the attacker would put it on the wire. */
static void adv_inject(struct sim_world *w, const struct tcp_seg *seg, const uint8_t *data)
{
	static uint8_t f[STACK_L4_OFF + TCP_HDR_MAX + 1500];
	struct sim_side *dst = &w->side[SIM_B], *src = &w->side[SIM_A];
	uint8_t *ip = f + STACK_ETH_HLEN, *l4 = f + STACK_L4_OFF;
	size_t hlen, l4_len;

	memset(f, 0, sizeof(f));
	hlen = tcp_wire_write(l4, seg);
	l4_len = hlen + seg->len;
	memcpy(l4 + hlen, data, seg->len);
	memcpy(f, dst->mac, 6);
	memcpy(f + 6, src->mac, 6);
	wire_put16(f + 12, 0x0800);
	ip[0] = 0x45;
	wire_put16(ip + 2, (uint16_t)(STACK_IP4_HLEN + l4_len));
	wire_put16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	wire_put32(ip + 12, src->addr);
	wire_put32(ip + 16, dst->addr);
	wire_put16(ip + 10, csum_buf(ip, STACK_IP4_HLEN));
	tcp_wire_set_csum(l4, l4_len, src->addr, dst->addr);
	stack_input(dst->stack, w->now, f, STACK_L4_OFF + l4_len, NULL);
	sim_app_events(w, dst);
}

/*
 * One forged segment: SEQ at RCV.NXT or elsewhere in B's window, an ACK B
 * must refuse (RFC 5961 §5.2), three times in four a TSval 2^24..2^24+2^30
 * ahead of TS.Recent, and bytes that differ from the real stream at every
 * offset, so that any of them delivered fails the byte-exact check.
 */
static void adv_forge_one(struct sim_world *w, struct adv *a, const struct tcp_conn *c)
{
	static uint8_t data[1000];
	uint32_t wnd = seq_gt(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	struct tcp_seg seg = { .opt = { .wscale = -1 } };
	struct sim_rng *r = &a->rng;

	if (wnd == 0)
		return;
	seg.len = 1 + (uint32_t)sim_rng_below(r, wnd < sizeof(data) ? wnd : sizeof(data));
	seg.seq = c->rcv_nxt;
	if (sim_rng_one_in(r, 2))
		seg.seq += (uint32_t)sim_rng_below(r, wnd - seg.len + 1);
	if (sim_rng_one_in(r, 2))
		seg.ack = c->snd_una - c->max_snd_wnd - 1 - (uint32_t)sim_rng_below(r, 1u << 20);
	else
		seg.ack = c->snd_max + 1 + (uint32_t)sim_rng_below(r, 1u << 20);
	seg.sport = SIM_PORT;
	seg.dport = c->tuple.lport;
	seg.flags = TCP_FLAG_ACK | TCP_FLAG_PSH;
	seg.wnd = (uint16_t)sim_rng_next(r);
	if (c->ts_ok && !sim_rng_one_in(r, 4)) {
		seg.opt.has_ts = true;
		seg.opt.tsval = c->ts_recent + (1u << 24) + (uint32_t)sim_rng_below(r, 1u << 30);
		seg.opt.tsecr = (uint32_t)sim_rng_next(r);
		a->forged_ts++;
	}
	sim_pattern(sim_app_key(w, SIM_A), seg.seq - (c->irs + 1), data, seg.len);
	for (uint32_t i = 0; i < seg.len; i++)
		data[i] = (uint8_t)~data[i];
	adv_inject(w, &seg, data);
	a->forged++;
}

/* The attack runs from B's ESTABLISHED until B has read the whole stream. */
static void adv_forge(struct sim_world *w, struct adv *a)
{
	struct tcp_conn *c = adv_conn(w, SIM_B);

	a->attacking = a->attack && !a->done_at && c && c->state == TCP_ESTABLISHED;
	if (!a->attacking)
		return;
	if (a->attack_start == STACK_TIME_NEVER) {
		a->attack_start = w->now;
		a->forge_next = w->now;
	}
	while (w->now >= a->forge_next && !w->failed) {
		adv_forge_one(w, a, c);
		a->forge_next += ADV_FORGE_EVERY;
	}
	a->attack_end = w->now;
}

/*
 * Give the connection a loss-free history of cs->skip bytes before A sends
 * its first byte, and place the losses around ISS + cs->cross.
 */
static void adv_skip(struct sim_world *w, struct adv *a)
{
	struct tcp_conn *s = adv_conn(w, SIM_A), *r = adv_conn(w, SIM_B);
	uint32_t skip = (uint32_t)a->cs->skip;

	if (a->skipped || !s || !r || s->state != TCP_ESTABLISHED || r->state != TCP_ESTABLISHED)
		return;
	if (s->snd_max != s->iss + 1 || s->cc.recover != s->iss) {
		sim_fail(w, "A sent data or lost a segment before the history could be given");
		return;
	}
	s->iss -= skip;
	s->cc.recover -= skip;
	r->irs -= skip;
	a->skipped = true;
	for (int i = 0; i < ADV_DROPS; i++)
		a->drop_seq[i] = s->iss + (uint32_t)a->cs->cross + (uint32_t)a->cs->drops[i];
}

static void adv_sample(struct sim_world *w, struct adv *a)
{
	const uint64_t *vb = stack_counters_get(w->side[SIM_B].stack)->v;
	const uint64_t *va = stack_counters_get(w->side[SIM_A].stack)->v;

	a->chack = vb[STACK_CTR_TcpExtTCPChallengeACK];
	a->chack_skipped = vb[STACK_CTR_TcpExtTCPACKSkippedChallenge];
	a->paws = vb[STACK_CTR_TcpExtPAWSEstab];
	a->timeouts = va[STACK_CTR_TcpExtTCPTimeouts];
	a->fast_rexmits = va[STACK_CTR_TcpExtTCPFastRetrans];
	a->probes = va[STACK_CTR_TcpExtTCPLossProbes];
	a->retrans = va[STACK_CTR_TcpRetransSegs];
	a->segs_out = va[STACK_CTR_TcpOutSegs];
	a->lost_link = w->link[SIM_A].stats.lost;
}

static void adv_step(struct sim_world *w, void *ctx)
{
	struct adv *a = ctx;
	struct tcp_conn *s = adv_conn(w, SIM_A);

	/* B reads in the application step that follows the hook: the last hook's time */
	if (!a->done_at && w->side[SIM_B].app.rx_done == a->cs->bytes && a->start)
		a->done_at = a->last_step;
	a->last_step = w->now;
	if (!a->start && s && s->state == TCP_ESTABLISHED) {
		a->start = w->now;
		a->deadline += w->now;
	}
	if (a->cs->kind == ADV_WRAP)
		adv_skip(w, a);
	else if (a->cs->kind == ADV_FORGE)
		adv_forge(w, a);
	adv_sample(w, a);
	if (a->start && !a->done_at && w->now > a->deadline)
		sim_fail(w,
			 "transfer not done %.3f s after it started (bound %.3f s): B read %" PRIu64
			 " of %" PRIu64 " bytes; A: %" PRIu64 " timeouts, %" PRIu64
			 " fast retransmits; B: %" PRIu64 " PAWS drops, %" PRIu64 " challenge ACKs",
			 (double)(w->now - a->start) / 1e6, (double)(a->deadline - a->start) / 1e6,
			 w->side[SIM_B].app.rx_done, a->cs->bytes, a->timeouts, a->fast_rexmits,
			 a->paws, a->chack);
}

static stack_time_us adv_next_at(struct sim_world *w, void *ctx)
{
	const struct adv *a = ctx;

	return a->attacking ? a->forge_next : STACK_TIME_NEVER;
}

/* Lose the first transmission of each segment that carries a drop point. */
static bool adv_drop(struct sim_world *w, void *ctx, int idx, const uint8_t *frame, size_t len)
{
	struct adv *a = ctx;
	const uint8_t *ip = frame + STACK_ETH_HLEN;
	struct tcp_seg seg;
	size_t ihl, tot;
	bool first;

	if (!a->skipped || idx != SIM_A || len < STACK_L4_OFF + TCP_HDR_MIN ||
	    wire_get16(frame + 12) != 0x0800 || ip[9] != 6)
		return false;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = wire_get16(ip + 2);
	if (tot > len - STACK_ETH_HLEN || tot < ihl + TCP_HDR_MIN ||
	    tcp_wire_parse(ip + ihl, tot - ihl, &seg) < 0 || seg.len == 0)
		return false;
	/* a first transmission starts at or beyond everything sent before */
	first = !a->have_high || seq_ge(seg.seq, a->high);
	if (first) {
		a->high = seg.seq + seg.len;
		a->have_high = true;
	}
	for (int i = 0; i < ADV_DROPS && first; i++) {
		uint32_t span = (a->cs->burst ? a->cs->burst : 1) * 1448;

		/* the segment holding the point, and those after it up to burst of them */
		if (a->dropped[i] < (a->cs->burst ? a->cs->burst : 1) &&
		    (a->drop_seq[i] - seg.seq < seg.len || seg.seq - a->drop_seq[i] < span)) {
			a->dropped[i]++;
			return true;
		}
	}
	return false;
}

/*
 * The wrap cases' bound, a simple model of NewReno on this path: the bytes
 * before the first loss at the link rate, the rest at half of it (each loss
 * halves the window, which then grows by only one segment a round trip), slow
 * start up to the bandwidth-delay product from the initial window, three
 * round trips for each loss (three duplicate ACKs, the retransmission, the
 * ACK that closes the hole) and four for the handshake's last ACK, the first
 * segment and the last ACK. A retransmission timeout (200 ms, then slow
 * start from one segment) does not fit in it.
 */
static stack_time_us adv_wrap_bound(const struct adv_case *cs)
{
	const uint64_t rtt = 2 * ADV_DELAY_US, smss = 1448, iw = 10 * smss;
	uint64_t bdp = ADV_RATE_BPS / 8 * rtt / 1000000, ss = 0;
	uint64_t first = cs->cross - cs->skip + (uint64_t)cs->drops[0];

	while ((iw << ss) < bdp)
		ss++;
	if (cs->burst > 1) {
		/* bursts: the events may fall in separate windows, each halving the rate
		 * left by the one before (the others' model assumes one halving) */
		uint64_t t = first * 8 * 1000000 / ADV_RATE_BPS, rate = ADV_RATE_BPS;

		for (int i = 0; i < ADV_DROPS; i++) {
			uint64_t to = i + 1 < ADV_DROPS
					      ? cs->cross - cs->skip + (uint64_t)cs->drops[i + 1]
					      : cs->bytes;
			uint64_t from = cs->cross - cs->skip + (uint64_t)cs->drops[i];

			rate /= 2;
			t += (to - from) * 8 * 1000000 / rate;
		}
		return t + (ss + 3 * ADV_DROPS + 4) * rtt;
	}
	return first * 8 * 1000000 / ADV_RATE_BPS +
	       (cs->bytes - first) * 8 * 1000000 / (ADV_RATE_BPS / 2) +
	       (ss + 3 * ADV_DROPS + 4) * rtt;
}

static int adv_run(const struct adv_case *cs, uint64_t seed, bool attack, stack_time_us bound,
		   bool verbose, struct adv *a)
{
	struct sim_hooks hooks = {
		.ctx = a,
		.scenario = adv_scenario,
		.step = adv_step,
		.next_at = adv_next_at,
		.drop = adv_drop,
	};
	struct sim_opts o;
	struct sim_result res;

	memset(a, 0, sizeof(*a));
	a->cs = cs;
	a->attack = attack;
	a->deadline = bound;
	a->attack_start = STACK_TIME_NEVER;
	sim_rng_seed(&a->rng, seed, 99);
	sim_opts_defaults(&o);
	o.verbose = verbose;
	o.max_time = SEC_US(180);
	o.hooks = &hooks;
	if (sim_run_seed(seed, &o, &res) < 0) {
		printf("%s seed %" PRIu64 "%s FAILED: %s\n", cs->name, seed,
		       cs->kind == ADV_FORGE && !attack	    ? " (without the attacker)"
		       : cs->kind == ADV_STRETCH && !attack ? " (B not offloading)"
							    : "",
		       res.fail);
		return -1;
	}
	if (!a->done_at) {
		printf("%s seed %" PRIu64 " FAILED: the transfer's end was not seen\n", cs->name,
		       seed);
		return -1;
	}
	return 0;
}

static double adv_s(stack_time_us t)
{
	return (double)t / 1e6;
}

/*
 * The attacked transfer within its bound; challenge ACKs at most one per
 * 1/challenge_ack_limit s while the attack lasted (so at most the limit in
 * any second), and the attack did push against that limit.
 */
static int adv_check_forge(const struct adv_case *cs, uint64_t seed, const struct adv *a,
			   stack_time_us base, stack_time_us bound)
{
	stack_time_us span = a->attack_end - a->attack_start;
	uint64_t allowed = span * a->chack_limit / 1000000 + 1;

	printf("%s seed %" PRIu64 ": %.3f s (without the attacker %.3f s, bound %.3f s), %" PRIu64
	       " forged (%" PRIu64 " with a TSval ahead) over %.3f s, %" PRIu64
	       " challenge ACKs (at most %" PRIu64 " at %" PRIu64 "/s), %" PRIu64 " skipped\n",
	       cs->name, seed, adv_s(a->done_at - a->start), adv_s(base), adv_s(bound), a->forged,
	       a->forged_ts, adv_s(span), a->chack, allowed, a->chack_limit, a->chack_skipped);
	if (a->done_at - a->start > bound)
		printf("  FAILED: slower than the bound\n");
	else if (a->chack > allowed)
		printf("  FAILED: more challenge ACKs than challenge_ack_limit allows\n");
	else if (a->chack == 0 || a->chack_skipped == 0)
		printf("  FAILED: the attack never reached the challenge ACK limit\n");
	else
		return 0;
	return -1;
}

static int adv_check_wrap(const struct adv_case *cs, uint64_t seed, const struct adv *a,
			  stack_time_us bound)
{
	uint32_t lost = 0, want = ADV_DROPS * (cs->burst ? cs->burst : 1);

	for (int i = 0; i < ADV_DROPS; i++)
		lost += a->dropped[i];
	printf("%s seed %" PRIu64 ": %.3f s (bound %.3f s), %u segments lost, %" PRIu64
	       " fast retransmits, %" PRIu64 " timeouts\n",
	       cs->name, seed, adv_s(a->done_at - a->start), adv_s(bound), lost, a->fast_rexmits,
	       a->timeouts);
	if (a->done_at - a->start > bound)
		printf("  FAILED: slower than the bound\n");
	else if (lost != want)
		printf("  FAILED: not every planned loss happened\n");
	else if (a->timeouts)
		printf("  FAILED: a loss cost a retransmission timeout\n");
	else
		return 0;
	return -1;
}

/*
 * The loss cases' bound: half the goodput of the Mathis et al. model for
 * NewReno-like congestion avoidance at loss rate p, MSS / RTT x 1.22 /
 * sqrt(p) (sqrt by bisection: the core's tests link no libm), capped by the
 * link rate.
 */
static uint64_t adv_mathis_bps(const struct adv_case *cs)
{
	const double mss = 1448, rtt = 2.0 * adv_delay(cs) / 1e6, p = cs->loss_ppm / 1e6;
	double lo = 0, hi = 1, rate;

	for (int i = 0; i < 60; i++) {
		double mid = (lo + hi) / 2;

		if (mid * mid < p)
			lo = mid;
		else
			hi = mid;
	}
	rate = mss * 8 / rtt * 1.22 / lo;
	return rate > ADV_RATE_BPS ? ADV_RATE_BPS : (uint64_t)rate;
}

static int adv_check_loss(const struct adv_case *cs, uint64_t seed, const struct adv *a)
{
	double secs = adv_s(a->done_at - a->start);
	double mbps = (double)cs->bytes * 8 / secs / 1e6, model = adv_mathis_bps(cs) / 1e6;

	printf("%s seed %" PRIu64 ": %.3f s, %.1f Mbit/s (model %.1f, bound %.1f), %" PRIu64
	       " frames lost on the link, %" PRIu64 " retransmitted, %" PRIu64 " timeouts, %" PRIu64
	       " loss probes\n",
	       cs->name, seed, secs, mbps, model, model / 2, a->lost_link, a->retrans, a->timeouts,
	       a->probes);
	if (mbps < model / 2)
		printf("  FAILED: below half the model's goodput\n");
	else if (a->timeouts * 100 > a->lost_link)
		printf("  FAILED: more than one timeout per 100 segments lost\n");
	else
		return 0;
	return -1;
}

/* The stretch case: the run with stretch ACKs within its bound from the baseline's. */
static int adv_check_stretch(const struct adv_case *cs, uint64_t seed, const struct adv *a,
			     stack_time_us base, stack_time_us bound)
{
	printf("%s seed %" PRIu64 ": %.3f s with an ACK per TSO frame, %.3f s with an ACK per "
	       "second segment (bound %.3f s), %" PRIu64 " segments sent\n",
	       cs->name, seed, adv_s(a->done_at - a->start), adv_s(base), adv_s(bound),
	       a->segs_out);
	if (a->done_at - a->start <= bound)
		return 0;
	printf("  FAILED: slower than the bound\n");
	return -1;
}

static int adv_case_run(const struct adv_case *cs, uint64_t seed, bool verbose)
{
	struct adv a;
	stack_time_us base, bound;

	if (cs->kind == ADV_LOSS) {
		if (adv_run(cs, seed, false, SEC_US(120), verbose, &a) < 0)
			return -1;
		return adv_check_loss(cs, seed, &a);
	}
	if (cs->kind == ADV_WRAP) {
		bound = adv_wrap_bound(cs);
		if (adv_run(cs, seed, false, bound, verbose, &a) < 0)
			return -1;
		return adv_check_wrap(cs, seed, &a, bound);
	}
	if (adv_run(cs, seed, false, SEC_US(30), verbose, &a) < 0)
		return -1;
	base = a.done_at - a.start;
	if (cs->kind == ADV_STRETCH) {
		bound = base + base / 10 + 2 * adv_delay(cs);
		if (adv_run(cs, seed, true, bound, verbose, &a) < 0)
			return -1;
		return adv_check_stretch(cs, seed, &a, base, bound);
	}
	bound = base + base / 2 + MS_US(50);
	if (adv_run(cs, seed, true, bound, verbose, &a) < 0)
		return -1;
	return adv_check_forge(cs, seed, &a, base, bound);
}

int main(int argc, char **argv)
{
	const char *only = NULL;
	uint64_t seeds = 3, passed = 0, failed = 0;
	bool verbose = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-v") == 0) {
			verbose = true;
		} else if (strcmp(argv[i], "--case") == 0 && i + 1 < argc) {
			only = argv[++i];
		} else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
			seeds = strtoull(argv[++i], NULL, 0);
		} else {
			fprintf(stderr, "usage: %s [--case NAME] [--seeds N] [-v]\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t k = 0; k < sizeof(adv_cases) / sizeof(adv_cases[0]); k++) {
		if (only && strcmp(only, adv_cases[k].name) != 0)
			continue;
		for (uint64_t seed = 1; seed <= seeds; seed++) {
			if (adv_case_run(&adv_cases[k], seed, verbose) == 0)
				passed++;
			else
				failed++;
		}
	}
	printf("%" PRIu64 " passed, %" PRIu64 " failed\n", passed, failed);
	return failed || !passed ? 1 : 0;
}
