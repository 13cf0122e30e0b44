/* SPDX-License-Identifier: MIT */
/*
 * speed_main.c - bench-speed: the speed bench's load generator and servers
 * (tests/bench/README.md, "speed"), through the kernel's sockets or through
 * synackd with libsynack's blocking API. No hashing: it measures the path.
 *
 *   bench-speed send   kernel|synack HOST PORT SECONDS   connect, write for SECONDS
 *   bench-speed recv   kernel|synack HOST PORT SECONDS   connect, read for SECONDS
 *   bench-speed crr    kernel|synack HOST PORT SECONDS   connect (with the byte, on synack), 1 byte each way, close; again
 *   bench-speed rr     kernel|synack HOST PORT SECONDS   one connection, 1-byte ping-pong
 *   bench-speed sink   kernel|synack ADDR PORT SECONDS   accept one, read to EOF
 *   bench-speed source kernel|synack ADDR PORT SECONDS   accept one, write until it goes
 *   bench-speed echo   kernel ADDR PORT SECONDS          echo every connection (epoll)
 *   bench-speed hold   kernel HOST PORT N SRC[,SRC...]   open N idle connections, keep them
 *   bench-speed pair   to-app|from-app SECONDS          no network: a unix socketpair between
 *                                                       two processes, written for SECONDS
 *
 * Servers print "listening" once reachable; hold prints its JSON line once
 * every connection is established (or failed) and then waits for SIGTERM.
 * Everything else prints one JSON line at the end: {"mode", "stack", "bytes",
 * "seconds", "count", "p50_us", "p99_us", "error"}; pair adds "sndbuf", its
 * writing end's SO_SNDBUF as Linux reports it. Exit 0, 1 error, 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "synack.h"

#define SPEED_CHUNK		 (256u * 1024)
#define SPEED_MAX_SAMPLES	 (4u * 1024 * 1024)
/*
 * pair: a data socket's traffic without the network, as on the app path.
 * to-app: synackd writes up to a loop turn's share (RPC_FD_TURN_BYTES) into
 * its end, whose SO_SNDBUF has grown to its most (RPC_FD_SOCKBUF_TO_APP_MAX),
 * and bench-speed reads SPEED_CHUNK at a time. from-app: bench-speed writes
 * SPEED_CHUNK at a time into the client's end (SO_SNDBUF
 * RPC_FD_SOCKBUF_FROM_APP) and synackd reads up to a turn's share.
 */
#define SPEED_PAIR_TURN		 (1024u * 1024)
#define SPEED_PAIR_SNDBUF_TO_APP (2048 * 1024)
#define SPEED_PAIR_SNDBUF_FROM	 (512 * 1024)

/* One connection through either stack. */
struct speed_conn {
	struct synack *s; /* NULL: a kernel socket */
	synack_conn c;
	int fd;
};

static struct synack *speed_session; /* the libsynack session, when the stack is synack */
static const char *speed_error;

static double speed_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int speed_addr(const char *host, int port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!host || !*host)
		return 0;
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -EINVAL;
}

/* A kernel TCP socket; $SPEED_TCP_CONGESTION, when set, names its congestion
 * control (and that of the connections a listener accepts), so both paths of a
 * comparison run one algorithm whatever the namespace's default. Needs
 * CAP_NET_ADMIN outside net.ipv4.tcp_allowed_congestion_control. */
static int speed_socket(int flags)
{
	const char *cc = getenv("SPEED_TCP_CONGESTION");
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);

	if (fd < 0 || !cc || !*cc)
		return fd;
	if (setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, cc, (socklen_t)strlen(cc)) < 0) {
		int e = errno;

		fprintf(stderr, "bench-speed: TCP_CONGESTION %s: %s\n", cc, strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int speed_connect(struct speed_conn *k, const char *host, int port)
{
	struct sockaddr_in sa;
	int one = 1;

	k->s = speed_session;
	if (k->s)
		return synack_connect(k->s, host, (uint16_t)port, 10000, &k->c);
	if (speed_addr(host, port, &sa) < 0)
		return -EINVAL;
	k->fd = speed_socket(0);
	if (k->fd < 0)
		return -errno;
	setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(k->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(k->fd);
		return e;
	}
	return 0;
}

static ssize_t speed_send(struct speed_conn *k, const void *buf, size_t len)
{
	ssize_t n;

	if (k->s)
		return synack_send(k->s, k->c, buf, len);
	n = send(k->fd, buf, len, MSG_NOSIGNAL);
	return n < 0 ? -errno : n;
}

static ssize_t speed_recv(struct speed_conn *k, void *buf, size_t len)
{
	ssize_t n;

	if (k->s)
		return synack_recv(k->s, k->c, buf, len);
	n = recv(k->fd, buf, len, 0);
	return n < 0 ? -errno : n;
}

static void speed_close(struct speed_conn *k)
{
	if (k->s)
		synack_close(k->s, k->c);
	else
		close(k->fd);
}

/* Listen, say so, accept one connection. */
static int speed_accept(struct speed_conn *k, const char *addr, int port)
{
	struct sockaddr_in sa;
	int one = 1, l, r;

	k->s = speed_session;
	if (k->s) {
		synack_conn lc;

		r = synack_listen(k->s, addr, (uint16_t)port, 16, &lc, NULL);
		if (r < 0)
			return r;
		printf("listening\n");
		fflush(stdout);
		r = synack_accept(k->s, lc, &k->c, NULL);
		synack_close(k->s, lc);
		return r;
	}
	if (speed_addr(addr, port, &sa) < 0)
		return -EINVAL;
	l = speed_socket(0);
	if (l < 0)
		return -errno;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 16) < 0) {
		r = -errno;
		close(l);
		return r;
	}
	printf("listening\n");
	fflush(stdout);
	k->fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	r = k->fd < 0 ? -errno : 0;
	close(l);
	return r;
}

/* Bulk: write (or read) for secs; *bytes moved. Stops early when the peer goes. */
static int speed_bulk(struct speed_conn *k, bool out, double secs, uint64_t *bytes, double *took)
{
	static uint8_t buf[SPEED_CHUNK];
	double t0 = speed_now(), t = t0;
	ssize_t n = 0;

	memset(buf, 'x', sizeof(buf));
	while (t - t0 < secs) {
		n = out ? speed_send(k, buf, sizeof(buf)) : speed_recv(k, buf, sizeof(buf));
		t = speed_now();
		if (n <= 0)
			break;
		*bytes += (uint64_t)n;
	}
	*took = t - t0;
	return n < 0 ? (int)n : 0;
}

/* One byte there and back on k; its round trip in microseconds, or -errno. */
static double speed_ping(struct speed_conn *k)
{
	char b = 'p';
	double t0 = speed_now();
	ssize_t n = speed_send(k, &b, 1);

	if (n == 1)
		n = speed_recv(k, &b, 1);
	if (n != 1)
		return n < 0 ? (double)n : -EPIPE;
	return (speed_now() - t0) * 1e6;
}

/*
 * One short connection's exchange on k: connect, 1 byte there and back; -errno
 * on failure. A libsynack client hands the byte over with the connect
 * (synack_connect_data()), as a program making short connections would.
 */
static double speed_connect_ping(struct speed_conn *k, const char *host, int port)
{
	char b = 'p';
	ssize_t n;
	int r;

	if (!speed_session) {
		r = speed_connect(k, host, port);
		return r < 0 ? r : speed_ping(k);
	}
	k->s = speed_session;
	r = synack_connect_data(k->s, host, (uint16_t)port, &b, 1, 10000, &k->c);
	if (r < 0)
		return r;
	n = speed_recv(k, &b, 1);
	return n == 1 ? 0 : n < 0 ? (double)n : -EPIPE;
}

static int speed_cmp(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;

	return x < y ? -1 : x > y;
}

static int speed_rr(const char *host, int port, double secs, bool reconnect, uint64_t *count,
		    double *took, double *p50, double *p99)
{
	float *lat = malloc(SPEED_MAX_SAMPLES * sizeof(float));
	struct speed_conn k = { 0 };
	double t0 = speed_now(), t = t0;
	int r = 0;

	if (!lat)
		return -ENOMEM;
	if (!reconnect)
		r = speed_connect(&k, host, port);
	while (r == 0 && t - t0 < secs && *count < SPEED_MAX_SAMPLES) {
		double ts = speed_now(), us;

		us = reconnect ? speed_connect_ping(&k, host, port) : speed_ping(&k);
		if (reconnect && us >= 0)
			speed_close(&k);
		if (us < 0) {
			r = (int)us;
			break;
		}
		t = speed_now();
		lat[(*count)++] = (float)((t - ts) * 1e6);
	}
	if (!reconnect && r == 0)
		speed_close(&k);
	*took = t - t0;
	if (*count) {
		qsort(lat, *count, sizeof(float), speed_cmp);
		*p50 = lat[*count / 2];
		*p99 = lat[*count * 99 / 100];
	}
	free(lat);
	return r;
}

/* The kernel echo server: every connection, every byte back; runs until killed or secs. */
static int speed_echo(const char *addr, int port, double secs)
{
	struct epoll_event ev, evs[256];
	struct sockaddr_in sa;
	int one = 1, l, ep;
	double t0 = speed_now();
	char buf[4096];

	if (speed_addr(addr, port, &sa) < 0)
		return -EINVAL;
	l = speed_socket(SOCK_NONBLOCK);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (l < 0 || ep < 0)
		return -errno;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 4096) < 0)
		return -errno;
	ev.events = EPOLLIN;
	ev.data.fd = l;
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	printf("listening\n");
	fflush(stdout);
	while (speed_now() - t0 < secs) {
		int n = epoll_wait(ep, evs, 256, 200);

		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			ssize_t m;

			if (fd == l) {
				int c;

				while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >=
				       0) {
					setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			m = recv(fd, buf, sizeof(buf), 0);
			if (m > 0 && send(fd, buf, (size_t)m, MSG_NOSIGNAL) == m)
				continue;
			if (m < 0 && errno == EAGAIN)
				continue;
			close(fd); /* EOF, error, or a reply that did not fit: done with it */
		}
	}
	return 0;
}

/* Open n connections to host:port from the source addresses in srcs, many at a time. */
static int speed_hold(const char *host, int port, long n, char *srcs)
{
	struct sockaddr_in dst, src[64];
	struct epoll_event ev, evs[256];
	struct rlimit rl = { (rlim_t)n + 1024, (rlim_t)n + 1024 }, hard;
	long started = 0, held = 0, failed = 0, inflight = 0;
	int nsrc = 0, one = 1, ep;
	double t0 = speed_now();

	for (char *s = strtok(srcs, ","); s && nsrc < 64; s = strtok(NULL, ","))
		if (speed_addr(s, 0, &src[nsrc]) == 0)
			nsrc++;
	if (!nsrc || speed_addr(host, port, &dst) < 0)
		return -EINVAL;
	/* raising the hard limit needs CAP_SYS_RESOURCE: stay under it (the bench
	 * starts several of us when one cannot hold them all) */
	if (getrlimit(RLIMIT_NOFILE, &hard) == 0 && rl.rlim_max > hard.rlim_max)
		rl.rlim_cur = rl.rlim_max = hard.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || (rlim_t)n + 64 > rl.rlim_cur) {
		fprintf(stderr, "bench-speed: hold %ld: RLIMIT_NOFILE is %llu\n", n,
			(unsigned long long)rl.rlim_cur);
		return -EMFILE;
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	while (held + failed < n && speed_now() - t0 < 120) {
		while (started < n && inflight < 512) {
			int fd = speed_socket(SOCK_NONBLOCK);

			started++;
			if (fd < 0) {
				failed++;
				continue;
			}
			setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
			if (bind(fd, (struct sockaddr *)&src[started % nsrc], sizeof(src[0])) < 0 ||
			    (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 &&
			     errno != EINPROGRESS)) {
				close(fd);
				failed++;
				continue;
			}
			ev.events = EPOLLOUT;
			ev.data.fd = fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			inflight++;
		}
		int m = epoll_wait(ep, evs, 256, 1000);

		for (int i = 0; i < m; i++) {
			int fd = evs[i].data.fd, err = 0;
			socklen_t len = sizeof(err);

			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			inflight--;
			if (err) {
				close(fd);
				failed++;
			} else {
				held++;
			}
		}
	}
	printf("{\"mode\": \"hold\", \"held\": %ld, \"failed\": %ld, \"seconds\": %.3f}\n", held,
	       failed + (n - held - failed), speed_now() - t0);
	fflush(stdout);
	pause(); /* the harness ends it (SIGTERM) */
	return 0;
}

/* The reading end of pair: read chunk bytes at a time to EOF; exit 0, or 1 on an error. */
static void speed_pair_reader(int fd, size_t chunk)
{
	static uint8_t buf[SPEED_PAIR_TURN];

	for (;;) {
		ssize_t n = read(fd, buf, chunk);

		if (n == 0)
			_exit(0);
		if (n < 0 && errno != EINTR)
			_exit(1);
	}
}

/*
 * A data socket's transport alone: a unix socketpair between this process,
 * writing for secs, and a child reading until EOF, sized as synackd and
 * bench-speed size theirs in that direction (to_app). *bytes is what was
 * written (what is still in the socket at the end is under 5 MB), all of it
 * read once the child exits 0; *sndbuf the writing end's SO_SNDBUF as Linux
 * reports it. What a path that hands its bytes over a socketpair pays for
 * that alone, on top of its own work.
 */
static int speed_pair(bool to_app, double secs, uint64_t *bytes, double *took, int *sndbuf,
		      char *why, size_t why_len)
{
	static uint8_t buf[SPEED_PAIR_TURN];
	size_t wr = to_app ? SPEED_PAIR_TURN : SPEED_CHUNK,
	       rd = to_app ? SPEED_CHUNK : SPEED_PAIR_TURN;
	int sv[2], st = 0, want = to_app ? SPEED_PAIR_SNDBUF_TO_APP : SPEED_PAIR_SNDBUF_FROM;
	socklen_t len = sizeof(*sndbuf);
	pid_t child;
	double t0, t;
	int r = 0;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	/* past net.core.wmem_max as synackd may (CAP_NET_ADMIN); what Linux
	 * made of it is reported, not assumed */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)) < 0)
		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
	if (getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, sndbuf, &len) < 0)
		*sndbuf = 0;
	child = fork();
	if (child < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (child == 0) {
		close(sv[0]);
		speed_pair_reader(sv[1], rd);
	}
	close(sv[1]);
	memset(buf, 'x', sizeof(buf));
	t0 = t = speed_now();
	while (t - t0 < secs) {
		ssize_t n = write(sv[0], buf, wr);
		int err = errno;

		t = speed_now();
		if (n < 0 && err == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -err : -EPIPE;
			break;
		}
		*bytes += (uint64_t)n;
	}
	*took = t - t0;
	close(sv[0]);
	if (waitpid(child, &st, 0) < 0) {
		snprintf(why, why_len, "waitpid: %s", strerror(errno));
		return r < 0 ? r : -ECHILD;
	}
	if (WIFSIGNALED(st))
		snprintf(why, why_len, "the reader was killed by signal %d", WTERMSIG(st));
	else if (WEXITSTATUS(st) != 0)
		snprintf(why, why_len, "the reader failed (exit %d)", WEXITSTATUS(st));
	else if (r < 0)
		snprintf(why, why_len, "write: %s", strerror(-r));
	return why[0] ? (r < 0 ? r : -EIO) : 0;
}

static void speed_usage(void)
{
	fprintf(stderr, "usage: bench-speed send|recv|crr|rr|sink|source kernel|synack HOST PORT "
			"SECONDS\n"
			"       bench-speed echo kernel ADDR PORT SECONDS\n"
			"       bench-speed hold kernel HOST PORT N SRC[,SRC...]\n"
			"       bench-speed pair to-app|from-app SECONDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *host;
	struct speed_conn k = { 0 };
	uint64_t bytes = 0, count = 0;
	double secs, took = 0, p50 = 0, p99 = 0;
	int port, r;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "pair") == 0) {
		bool to_app = strcmp(argv[2], "to-app") == 0;
		char why[128] = "";
		int sndbuf = 0;

		secs = atof(argv[3]);
		if ((!to_app && strcmp(argv[2], "from-app") != 0) || !(secs > 0 && secs < 3600))
			speed_usage();
		alarm((unsigned)secs + 30);
		r = speed_pair(to_app, secs, &bytes, &took, &sndbuf, why, sizeof(why));
		printf("{\"mode\": \"pair\", \"stack\": \"unix\", \"bytes\": %llu, "
		       "\"seconds\": %.6f, \"count\": 0, \"p50_us\": 0, \"p99_us\": 0, "
		       "\"sndbuf\": %d, \"error\": \"%s\"}\n",
		       (unsigned long long)bytes, took, sndbuf, why);
		return r < 0;
	}
	if (argc < 6)
		speed_usage();
	mode = argv[1];
	host = argv[3];
	port = atoi(argv[4]);
	if (strcmp(mode, "hold") == 0 && argc == 7)
		return speed_hold(host, port, atol(argv[5]), argv[6]) < 0;
	secs = atof(argv[5]);
	alarm((unsigned)secs + 30); /* a stuck peer cannot keep the bench waiting */
	if (strcmp(mode, "echo") == 0)
		return speed_echo(host, port, secs) < 0;
	if (strcmp(argv[2], "synack") == 0) {
		r = synack_open(NULL, "bench-speed", &speed_session);
		if (r < 0) {
			fprintf(stderr, "bench-speed: %s\n", synack_strerror(r));
			return 1;
		}
	} else if (strcmp(argv[2], "kernel") != 0) {
		speed_usage();
	}
	if (strcmp(mode, "send") == 0 || strcmp(mode, "recv") == 0) {
		r = speed_connect(&k, host, port);
		if (r == 0) {
			r = speed_bulk(&k, mode[0] == 's', secs, &bytes, &took);
			speed_close(&k);
		}
	} else if (strcmp(mode, "sink") == 0 || strcmp(mode, "source") == 0) {
		r = speed_accept(&k, host, port);
		if (r == 0) {
			r = speed_bulk(&k, mode[1] == 'o', secs, &bytes, &took);
			speed_close(&k);
		}
		if (r == -EPIPE || r == -ECONNRESET)
			r = 0; /* the client went at its time limit */
	} else if (strcmp(mode, "crr") == 0 || strcmp(mode, "rr") == 0) {
		r = speed_rr(host, port, secs, mode[0] == 'c', &count, &took, &p50, &p99);
	} else {
		speed_usage();
	}
	if (r < 0)
		speed_error = speed_session ? synack_strerror(r) : strerror(-r);
	printf("{\"mode\": \"%s\", \"stack\": \"%s\", \"bytes\": %llu, \"seconds\": %.6f, "
	       "\"count\": %llu, \"p50_us\": %.1f, \"p99_us\": %.1f, \"error\": \"%s\"}\n",
	       mode, argv[2], (unsigned long long)bytes, took, (unsigned long long)count, p50, p99,
	       speed_error ? speed_error : "");
	fflush(stdout);
	synack_free(speed_session);
	return r < 0;
}
