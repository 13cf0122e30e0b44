/* SPDX-License-Identifier: MIT */
/*
 * options.c - setsockopt() and getsockopt() of libsynack-preload
 * (preload.h): the TCP and socket options synack has (TCP_NODELAY,
 * SO_KEEPALIVE and TCP_KEEP*, SO_SNDBUF/SO_RCVBUF, TCP_CONGESTION,
 * TCP_USER_TIMEOUT, TCP_MAXSEG, TCP_CORK) go to the connection through the session, recorded first when there is no
 * connection yet; SO_ERROR reports a connect's outcome, then ICMP soft
 * errors (read and cleared, as Linux); TCP_INFO and TCP_MAXSEG are filled
 * from the connection's Info; SO_LINGER is kept for close(). Options of the
 * socket layer the data socket has too (timeouts, low-water marks) are set
 * on it; what synack does not have is ENOPROTOOPT, never a silent success.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preload.h"

struct pl_optwait {
	bool done;
	int status;
	uint64_t value;
	char name[16];
	struct synack_info info;
	char state[24];
};

static void pl_opt_cb(struct synack *ss, int status, const struct synack_result *res, void *ud)
{
	struct pl_optwait *w = ud;

	(void)ss;
	w->done = true;
	w->status = status;
	if (status < 0 || !res)
		return;
	w->value = res->value;
	if (res->name)
		snprintf(w->name, sizeof(w->name), "%s", res->name);
	if (res->info) {
		w->info = *res->info;
		snprintf(w->state, sizeof(w->state), "%s",
			 res->info->state ? res->info->state : "");
	}
}

int pl_conn_session(int fd, struct pl_sock *s, struct synack **ret)
{
	int r;

	if (!s->conn || s->state == PL_FAILED)
		return -ENOTCONN;
	r = pl_session(ret);
	/* a connection this process's session did not make (a forked child's, a
	 * worker's accepted one): the request shows its data socket */
	if (r == 0 && s->session_pid != getpid())
		r = synack_prove_next(*ret, fd);
	return r;
}

int pl_conn_setopt(int fd, struct pl_sock *s, enum synack_option opt, uint64_t v)
{
	struct pl_optwait w = { 0 };
	struct synack *ss;
	int r = pl_conn_session(fd, s, &ss);

	if (r == 0) {
		r = synack_setopt_async(ss, s->conn, opt, v, pl_opt_cb, &w);
		synack_prove_next(ss, -1); /* used, or not to outlive a refusal */
	}
	if (r == 0)
		r = pl_session_wait(ss, &w.done, -1);
	return r < 0 ? r : w.status;
}

static int pl_conn_getopt(int fd, struct pl_sock *s, enum synack_option opt, uint64_t *ret)
{
	struct pl_optwait w = { 0 };
	struct synack *ss;
	int r = pl_conn_session(fd, s, &ss);

	if (r == 0) {
		r = synack_getopt_async(ss, s->conn, opt, pl_opt_cb, &w);
		synack_prove_next(ss, -1);
	}
	if (r == 0)
		r = pl_session_wait(ss, &w.done, -1);
	if (r == 0)
		r = w.status;
	if (r == 0)
		*ret = w.value;
	return r;
}

/* Set (set != NULL) or read into get the connection's congestion control. */
static int pl_conn_congestion(int fd, struct pl_sock *s, const char *set, char *get, size_t len)
{
	struct pl_optwait w = { 0 };
	struct synack *ss;
	int r = pl_conn_session(fd, s, &ss);

	if (r == 0) {
		r = set ? synack_set_congestion_async(ss, s->conn, set, pl_opt_cb, &w)
			: synack_get_congestion_async(ss, s->conn, pl_opt_cb, &w);
		synack_prove_next(ss, -1);
	}
	if (r == 0)
		r = pl_session_wait(ss, &w.done, -1);
	if (r == 0)
		r = w.status;
	if (r == 0 && get)
		snprintf(get, len, "%s", w.name);
	return r;
}

void pl_apply_options(struct synack *ss, struct pl_sock *s)
{
	/* asked before connect(): set now, answers not awaited (the daemon
	 * takes them in order, before anything the program sends) */
	if (s->nodelay)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_NODELAY, 1, NULL, NULL);
	if (s->cork)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_CORK, 1, NULL, NULL);
	if (s->keepalive)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_KEEPALIVE, 1, NULL, NULL);
	if (s->keepidle_s)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_KEEPIDLE_MS, s->keepidle_s * 1000ull,
				    NULL, NULL);
	if (s->keepintvl_s)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_KEEPINTVL_MS, s->keepintvl_s * 1000ull,
				    NULL, NULL);
	if (s->keepcnt)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_KEEPCNT, s->keepcnt, NULL, NULL);
	if (s->sndbuf)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_SNDBUF, (uint64_t)s->sndbuf, NULL,
				    NULL);
	if (s->rcvbuf)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_RCVBUF, (uint64_t)s->rcvbuf, NULL,
				    NULL);
	if (s->congestion[0])
		synack_set_congestion_async(ss, s->conn, s->congestion, NULL, NULL);
	if (s->user_timeout_ms)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_USER_TIMEOUT_MS, s->user_timeout_ms,
				    NULL, NULL);
	if (s->linger.l_onoff && !s->linger.l_linger)
		synack_setopt_async(ss, s->conn, SYNACK_OPT_LINGER_RESET, 1, NULL, NULL);
	if (pl_linger_ms(s))
		synack_setopt_async(ss, s->conn, SYNACK_OPT_LINGER_MS, pl_linger_ms(s), NULL, NULL);
}

uint64_t pl_linger_ms(const struct pl_sock *s)
{
	return s->linger.l_onoff && s->linger.l_linger > 0 ? (uint64_t)s->linger.l_linger * 1000
							   : 0;
}

static int pl_int_arg(const void *v, socklen_t len, int *ret)
{
	if (!v || len < (socklen_t)sizeof(int))
		return -EINVAL;
	memcpy(ret, v, sizeof(int));
	return 0;
}

/* An option with a synack counterpart: recorded, and set on the connection if there is one. */
static int pl_set_mapped(int fd, struct pl_sock *s, enum synack_option opt, uint64_t v)
{
	bool live = s->conn && s->state != PL_FAILED && s->state != PL_LISTENING;

	return live ? pl_conn_setopt(fd, s, opt, v) : 0;
}

static int pl_setsockopt(int fd, struct pl_sock *s, int level, int name, const void *v,
			 socklen_t len)
{
	int x = 0, r;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR:
		case SO_REUSEPORT:
			r = pl_int_arg(v, len, &x);
			if (r == 0 && name == SO_REUSEADDR)
				s->reuseaddr = x != 0;
			return r;
		case SO_KEEPALIVE:
			r = pl_int_arg(v, len, &x);
			if (r == 0)
				s->keepalive = x != 0;
			return r ? r : pl_set_mapped(fd, s, SYNACK_OPT_KEEPALIVE, x != 0);
		case SO_SNDBUF:
		case SO_RCVBUF:
			r = pl_int_arg(v, len, &x);
			if (r == 0 && x < 0)
				r = -EINVAL;
			if (r < 0)
				return r;
			*(name == SO_SNDBUF ? &s->sndbuf : &s->rcvbuf) = x;
			return pl_set_mapped(
				fd, s, name == SO_SNDBUF ? SYNACK_OPT_SNDBUF : SYNACK_OPT_RCVBUF,
				(uint64_t)x);
		case SO_LINGER:
			if (!v || len < (socklen_t)sizeof(struct linger))
				return -EINVAL;
			memcpy(&s->linger, v, sizeof(s->linger));
			/* a zero timeout: the last close, in whichever process, resets;
			 * another: close() waits for the FIN's ACK that long at most */
			r = pl_set_mapped(fd, s, SYNACK_OPT_LINGER_RESET,
					  s->linger.l_onoff && !s->linger.l_linger);
			if (r == 0)
				r = pl_set_mapped(fd, s, SYNACK_OPT_LINGER_MS, pl_linger_ms(s));
			return r;
		default:
			/* socket-layer options the data socket has as well (SO_RCVTIMEO...) */
			return pl_real.setsockopt(fd, level, name, v, len) < 0 ? -errno : 0;
		}
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
	case TCP_CORK:
		r = pl_int_arg(v, len, &x);
		if (r == 0)
			*(name == TCP_NODELAY ? &s->nodelay : &s->cork) = x != 0;
		return r ? r
			 : pl_set_mapped(fd, s,
					 name == TCP_NODELAY ? SYNACK_OPT_NODELAY : SYNACK_OPT_CORK,
					 x != 0);
	case TCP_KEEPIDLE:
	case TCP_KEEPINTVL:
	case TCP_KEEPCNT:
		r = pl_int_arg(v, len, &x);
		if (r == 0 && (x < 1 || x > 32767))
			r = -EINVAL;
		if (r < 0)
			return r;
		if (name == TCP_KEEPIDLE) {
			s->keepidle_s = (unsigned)x;
			return pl_set_mapped(fd, s, SYNACK_OPT_KEEPIDLE_MS, x * 1000ull);
		}
		if (name == TCP_KEEPINTVL) {
			s->keepintvl_s = (unsigned)x;
			return pl_set_mapped(fd, s, SYNACK_OPT_KEEPINTVL_MS, x * 1000ull);
		}
		s->keepcnt = (unsigned)x;
		return pl_set_mapped(fd, s, SYNACK_OPT_KEEPCNT, (uint64_t)x);
	case TCP_MAXSEG:
		r = pl_int_arg(v, len, &x);
		if (r == 0 && x != 0 && (x < 88 || x > 32767))
			r = -EINVAL;
		if (r < 0)
			return r;
		s->maxseg = (unsigned)x;
		if (!s->conn || s->state == PL_FAILED)
			return 0; /* the connect or listen takes it */
		return pl_conn_setopt(fd, s, SYNACK_OPT_MAXSEG, (uint64_t)x);
	case TCP_USER_TIMEOUT:
		r = pl_int_arg(v, len, &x);
		if (r == 0 && x < 0)
			r = -EINVAL;
		if (r < 0)
			return r;
		s->user_timeout_ms = (unsigned)x;
		return pl_set_mapped(fd, s, SYNACK_OPT_USER_TIMEOUT_MS, (uint64_t)x);
	case TCP_CONGESTION: {
		char name16[sizeof(s->congestion)];
		size_t n = len < sizeof(name16) - 1 ? len : sizeof(name16) - 1;

		if (!v)
			return -EFAULT;
		memcpy(name16, v, n);
		name16[n] = '\0';
		if (!s->conn || s->state == PL_LISTENING || s->state == PL_FAILED) {
			snprintf(s->congestion, sizeof(s->congestion), "%s", name16);
			return 0;
		}
		return pl_conn_congestion(fd, s, name16, NULL, 0);
	}
	default:
		return -ENOPROTOOPT;
	}
}

int setsockopt(int fd, int level, int name, const void *v, socklen_t len)
{
	struct pl_sock *s;
	int r;

	s = pl_enter(fd);
	if (!s)
		return pl_real.setsockopt(fd, level, name, v, len);
	r = pl_setsockopt(fd, s, level, name, v, len);
	pl_unlock();
	return r < 0 ? pl_fail(r) : 0;
}

/* ------------------------------------------------------------------ getsockopt */

static int pl_put_int(void *v, socklen_t *len, int x)
{
	if (!v || !len)
		return -EFAULT;
	if (*len > sizeof(int))
		*len = sizeof(int);
	memcpy(v, &x, *len);
	return 0;
}

static uint8_t pl_tcp_state(const char *name)
{
	static const char *const names[] = {
		"",	      "ESTABLISHED", "SYN-SENT",  "SYN-RECEIVED",
		"FIN-WAIT-1", "FIN-WAIT-2",  "TIME-WAIT", "CLOSED",
		"CLOSE-WAIT", "LAST-ACK",    "LISTEN",	  "CLOSING",
	};

	for (uint8_t i = 1; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return i; /* Linux numbers them in this order (TCP_ESTABLISHED = 1) */
	return TCP_CLOSE;
}

/* TCP_INFO from the connection's Info: what synack knows, the rest 0. */
static int pl_tcp_info(int fd, struct pl_sock *s, void *v, socklen_t *len)
{
	struct pl_optwait w = { 0 };
	struct tcp_info ti;
	struct synack *ss;
	uint32_t mss;
	int r;

	if (!v || !len)
		return -EFAULT;
	r = pl_conn_session(fd, s, &ss);
	if (r == 0) {
		r = synack_info_async(ss, s->conn, pl_opt_cb, &w);
		synack_prove_next(ss, -1);
	}
	if (r == 0)
		r = pl_session_wait(ss, &w.done, -1);
	if (r == 0)
		r = w.status;
	if (r < 0)
		return r;
	mss = w.info.snd_mss ? w.info.snd_mss : w.info.mss ? w.info.mss : 536;
	/* the MSS may have gone down since (TCP_MAXSEG, path MTU): what a segment
	 * carries now is that less the timestamp option */
	if (w.info.mss && w.info.mss - (w.info.ts_ok ? 12u : 0u) < mss)
		mss = w.info.mss - (w.info.ts_ok ? 12u : 0u);
	memset(&ti, 0, sizeof(ti));
	ti.tcpi_state = pl_tcp_state(w.state);
	ti.tcpi_retransmits = (uint8_t)w.info.retrans_now;
	ti.tcpi_probes = (uint8_t)w.info.probes;
	ti.tcpi_backoff = (uint8_t)w.info.backoff;
	ti.tcpi_options = (w.info.ts_ok ? TCPI_OPT_TIMESTAMPS : 0) |
			  (w.info.sack_ok ? TCPI_OPT_SACK : 0) |
			  (w.info.wscale_ok ? TCPI_OPT_WSCALE : 0);
	ti.tcpi_snd_wscale = w.info.snd_wscale & 0xf;
	ti.tcpi_rcv_wscale = w.info.rcv_wscale & 0xf;
	ti.tcpi_rto = w.info.rto_us;
	ti.tcpi_snd_mss = mss;
	ti.tcpi_rcv_mss = mss; /* Linux's is a guess at the peer's; ours is what we send */
	ti.tcpi_advmss = w.info.rcv_mss ? w.info.rcv_mss : mss;
	ti.tcpi_unacked = (w.info.snd_nxt - w.info.snd_una + mss - 1) / mss;
	ti.tcpi_pmtu = mss + 40;
	ti.tcpi_rtt = w.info.srtt_us;
	ti.tcpi_rttvar = w.info.rttvar_us;
	ti.tcpi_snd_cwnd = w.info.cwnd / mss;
	ti.tcpi_snd_ssthresh =
		w.info.ssthresh >= UINT32_MAX / 2 ? 0x7fffffff : w.info.ssthresh / mss;
	ti.tcpi_total_retrans = (uint32_t)w.info.retransmits;
	ti.tcpi_rcv_space = w.info.rcv_wnd;
	if (*len > sizeof(ti))
		*len = sizeof(ti);
	memcpy(v, &ti, *len);
	return 0;
}

static int pl_getsockopt(int fd, struct pl_sock *s, int level, int name, void *v, socklen_t *len)
{
	uint64_t x;
	int r;

	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			r = 0;
			if (s->state == PL_CONNECTING || s->state == PL_FAILED) {
				r = pl_connect_outcome(fd, s);
				if (r == -EINPROGRESS)
					r = 0;
				s->err = 0; /* reported once, as the kernel's */
			} else if (s->state == PL_CONNECTED &&
				   pl_conn_getopt(fd, s, SYNACK_OPT_ERROR, &x) == 0) {
				/* an ICMP error the connection survived, reported and cleared */
				r = -(int)x;
			}
			return pl_put_int(v, len, -r);
		case SO_TYPE:
			return pl_put_int(v, len, SOCK_STREAM);
		case SO_DOMAIN:
			return pl_put_int(v, len, AF_INET);
		case SO_PROTOCOL:
			return pl_put_int(v, len, IPPROTO_TCP);
		case SO_ACCEPTCONN:
			return pl_put_int(v, len, s->state == PL_LISTENING);
		case SO_REUSEADDR:
			return pl_put_int(v, len, s->reuseaddr);
		case SO_KEEPALIVE:
			return pl_put_int(v, len, s->keepalive);
		case SO_SNDBUF:
		case SO_RCVBUF:
			if (s->state == PL_CONNECTED &&
			    pl_conn_getopt(fd, s,
					   name == SO_SNDBUF ? SYNACK_OPT_SNDBUF
							     : SYNACK_OPT_RCVBUF,
					   &x) == 0)
				return pl_put_int(v, len, x > INT32_MAX ? INT32_MAX : (int)x);
			break; /* none of synack's yet: the data socket's */
		case SO_LINGER:
			if (!v || !len)
				return -EFAULT;
			if (*len > sizeof(s->linger))
				*len = sizeof(s->linger);
			memcpy(v, &s->linger, *len);
			return 0;
		default:
			break;
		}
		return pl_real.getsockopt(fd, level, name, v, len) < 0 ? -errno : 0;
	}
	if (level != IPPROTO_TCP)
		return -ENOPROTOOPT;
	switch (name) {
	case TCP_NODELAY:
		return pl_put_int(v, len, s->nodelay);
	case TCP_CORK:
		return pl_put_int(v, len, s->cork);
	case TCP_KEEPIDLE:
		return pl_put_int(v, len, s->keepidle_s ? (int)s->keepidle_s : 7200);
	case TCP_KEEPINTVL:
		return pl_put_int(v, len, s->keepintvl_s ? (int)s->keepintvl_s : 75);
	case TCP_KEEPCNT:
		return pl_put_int(v, len, s->keepcnt ? (int)s->keepcnt : 9);
	case TCP_USER_TIMEOUT:
		return pl_put_int(v, len, (int)s->user_timeout_ms);
	case TCP_INFO:
		return pl_tcp_info(fd, s, v, len);
	case TCP_MAXSEG: {
		struct tcp_info ti;
		socklen_t n = sizeof(ti);

		/* the effective send MSS once connected; before, what was asked or the default */
		if (s->state != PL_CONNECTED || pl_tcp_info(fd, s, &ti, &n) < 0)
			return pl_put_int(v, len, s->maxseg ? (int)s->maxseg : 536);
		return pl_put_int(v, len, (int)ti.tcpi_snd_mss);
	}
	case TCP_CONGESTION: {
		char buf[16] = "cubic";

		if (s->congestion[0])
			snprintf(buf, sizeof(buf), "%s", s->congestion);
		if (s->state == PL_CONNECTED)
			pl_conn_congestion(fd, s, NULL, buf, sizeof(buf));
		if (!v || !len)
			return -EFAULT;
		if (*len > sizeof(buf))
			*len = sizeof(buf);
		memcpy(v, buf, *len);
		return 0;
	}
	default:
		return -ENOPROTOOPT;
	}
}

int getsockopt(int fd, int level, int name, void *v, socklen_t *len)
{
	struct pl_sock *s;
	int r;

	s = pl_enter(fd);
	if (!s)
		return pl_real.getsockopt(fd, level, name, v, len);
	r = pl_getsockopt(fd, s, level, name, v, len);
	pl_unlock();
	return r < 0 ? pl_fail(r) : 0;
}
