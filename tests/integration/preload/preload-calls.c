/* SPDX-License-Identifier: MIT */
/*
 * preload-calls.c - each call libsynack-preload interposes, its normal use
 * and its error paths, checked against what Linux's own sockets answer
 * (issue 12, point 4: unit tests for each interposed call's error paths).
 * Run under synack-run by test-calls.sh, with a kernel echo server at
 * ECHO_ADDR:ECHO_PORT and nothing listening on ECHO_PORT + 1.
 *
 * Usage: preload-calls ECHO_ADDR ECHO_PORT
 * Prints one "ok" line per check; exits 1 at the first failure.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, what)                                                                  \
	do {                                                                               \
		if (cond) {                                                                \
			printf("ok: %s\n", what);                                          \
		} else {                                                                   \
			printf("FAIL: %s (errno %d: %s)\n", what, errno, strerror(errno)); \
			failures++;                                                        \
		}                                                                          \
	} while (0)

/* The call failed with exactly this errno. */
#define FAILS(expr, err, what) CHECK((expr) < 0 && errno == (err), what)

static struct sockaddr_in addr_of(const char *ip, int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static int tcp(void)
{
	return socket(AF_INET, SOCK_STREAM, 0);
}

/* Echo n bytes through fd; true when they came back intact. */
static int echo_ok(int fd, size_t n)
{
	char out[4096], in[4096];
	size_t got = 0;

	memset(out, 'e', sizeof(out));
	if (n > sizeof(out) || write(fd, out, n) != (ssize_t)n)
		return 0;
	while (got < n) {
		ssize_t r = read(fd, in + got, n - got);

		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	return memcmp(in, out, n) == 0;
}

static int getint(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);

	return getsockopt(fd, level, name, &v, &len) < 0 ? -1000 - errno : v;
}

static void check_fresh(const struct sockaddr_in *echo)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in any = addr_of("0.0.0.0", 0), got;
	socklen_t len = sizeof(got);
	int fd = tcp(), one = 1;

	CHECK(fd >= 0, "socket(AF_INET, SOCK_STREAM)");
	CHECK(getint(fd, SOL_SOCKET, SO_TYPE) == SOCK_STREAM, "SO_TYPE is SOCK_STREAM");
	CHECK(getint(fd, SOL_SOCKET, SO_DOMAIN) == AF_INET, "SO_DOMAIN is AF_INET");
	CHECK(getint(fd, SOL_SOCKET, SO_PROTOCOL) == IPPROTO_TCP, "SO_PROTOCOL is TCP");
	FAILS(getpeername(fd, (struct sockaddr *)&got, &len), ENOTCONN,
	      "getpeername before connect: ENOTCONN");
	FAILS(shutdown(fd, SHUT_WR), ENOTCONN, "shutdown before connect: ENOTCONN");
	FAILS(accept(fd, NULL, NULL), EINVAL, "accept on a socket not listening: EINVAL");
	FAILS(bind(fd, (struct sockaddr *)&a6, sizeof(a6)), EAFNOSUPPORT,
	      "bind with an IPv6 address: EAFNOSUPPORT");
	FAILS(bind(fd, (struct sockaddr *)&any, 4), EINVAL, "bind with a short address: EINVAL");
	FAILS(setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, 1), EINVAL,
	      "setsockopt with a short value: EINVAL");
	FAILS(setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &one, sizeof(one)), ENOPROTOOPT,
	      "an option synack does not have: ENOPROTOOPT");
	FAILS(setsockopt(fd, IPPROTO_IP, IP_TOS, &one, sizeof(one)), ENOPROTOOPT,
	      "an IP-level option: ENOPROTOOPT");
	CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
		      getint(fd, SOL_SOCKET, SO_REUSEADDR) == 1,
	      "SO_REUSEADDR is kept");
	CHECK(bind(fd, (struct sockaddr *)&any, sizeof(any)) == 0, "bind 0.0.0.0:0");
	FAILS(bind(fd, (struct sockaddr *)&any, sizeof(any)), EINVAL, "bind twice: EINVAL");
	(void)echo;
	close(fd);
}

static void check_connect(const struct sockaddr_in *echo)
{
	struct sockaddr_in closed = *echo, local, peer;
	socklen_t len = sizeof(local);
	struct pollfd p;
	int fd = tcp(), nb, one = 1, r;
	struct tcp_info ti;
	socklen_t tlen = sizeof(ti);

	closed.sin_port = htons((uint16_t)(ntohs(echo->sin_port) + 1));
	FAILS(connect(fd, (struct sockaddr *)&closed, sizeof(closed)), ECONNREFUSED,
	      "blocking connect to a closed port: ECONNREFUSED");
	close(fd);

	nb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	FAILS(connect(nb, (struct sockaddr *)&closed, sizeof(closed)), EINPROGRESS,
	      "non-blocking connect: EINPROGRESS");
	p = (struct pollfd){ .fd = nb, .events = POLLOUT };
	CHECK(poll(&p, 1, 5000) == 1, "the refused connect wakes poll");
	CHECK(getint(nb, SOL_SOCKET, SO_ERROR) == ECONNREFUSED, "SO_ERROR says ECONNREFUSED");
	CHECK(getint(nb, SOL_SOCKET, SO_ERROR) == 0, "SO_ERROR reports it once");
	close(nb);

	nb = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(nb, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	r = 10;
	FAILS(setsockopt(nb, IPPROTO_TCP, TCP_MAXSEG, &r, sizeof(r)), EINVAL,
	      "TCP_MAXSEG below 88: EINVAL");
	r = 1000;
	CHECK(setsockopt(nb, IPPROTO_TCP, TCP_MAXSEG, &r, sizeof(r)) == 0,
	      "TCP_MAXSEG 1000 before connect");
	FAILS(connect(nb, (struct sockaddr *)echo, sizeof(*echo)), EINPROGRESS,
	      "non-blocking connect to the echo server: EINPROGRESS");
	r = connect(nb, (struct sockaddr *)echo, sizeof(*echo));
	CHECK(r < 0 && (errno == EALREADY || errno == EISCONN),
	      "connect again meanwhile: EALREADY (or EISCONN once done)");
	p = (struct pollfd){ .fd = nb, .events = POLLOUT };
	CHECK(poll(&p, 1, 5000) == 1 && (p.revents & POLLOUT), "POLLOUT once established");
	CHECK(getint(nb, SOL_SOCKET, SO_ERROR) == 0, "SO_ERROR 0");
	FAILS(connect(nb, (struct sockaddr *)echo, sizeof(*echo)), EISCONN,
	      "connect once connected: EISCONN");
	CHECK(getsockname(nb, (struct sockaddr *)&local, &len) == 0 && local.sin_port != 0 &&
		      local.sin_family == AF_INET,
	      "getsockname gives the local port");
	len = sizeof(peer);
	CHECK(getpeername(nb, (struct sockaddr *)&peer, &len) == 0 &&
		      peer.sin_port == echo->sin_port &&
		      peer.sin_addr.s_addr == echo->sin_addr.s_addr,
	      "getpeername gives the echo server");
	CHECK(getint(nb, IPPROTO_TCP, TCP_NODELAY) == 1, "TCP_NODELAY set before connect holds");
	CHECK(getsockopt(nb, IPPROTO_TCP, TCP_INFO, &ti, &tlen) == 0 &&
		      ti.tcpi_state == TCP_ESTABLISHED && ti.tcpi_snd_mss > 0 &&
		      ti.tcpi_snd_cwnd > 0,
	      "TCP_INFO: ESTABLISHED, MSS and cwnd filled");
	CHECK((ti.tcpi_options & (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE)) ==
			      (TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE) &&
		      ti.tcpi_snd_wscale > 0 && ti.tcpi_rcv_wscale > 0 && ti.tcpi_retransmits == 0,
	      "TCP_INFO: options, window scales, no retransmission");
	CHECK(getint(nb, IPPROTO_TCP, TCP_MAXSEG) == (int)ti.tcpi_snd_mss &&
		      ti.tcpi_snd_mss <= 1000 && ti.tcpi_advmss == 1000,
	      "TCP_MAXSEG is the send MSS, within the 1000 asked (and advertised)");
	r = 500;
	CHECK(setsockopt(nb, IPPROTO_TCP, TCP_MAXSEG, &r, sizeof(r)) == 0 &&
		      getint(nb, IPPROTO_TCP, TCP_MAXSEG) <= 500,
	      "TCP_MAXSEG 500 on the live connection (the echo below still flows)");
	/* buffer sizes change on a live connection, and bytes still flow */
	r = 1 << 20;
	CHECK(setsockopt(nb, SOL_SOCKET, SO_SNDBUF, &r, sizeof(r)) == 0 &&
		      setsockopt(nb, SOL_SOCKET, SO_RCVBUF, &r, sizeof(r)) == 0 &&
		      getint(nb, SOL_SOCKET, SO_SNDBUF) > 0 &&
		      getint(nb, SOL_SOCKET, SO_RCVBUF) > 0,
	      "SO_SNDBUF and SO_RCVBUF set on a live connection");
	r = 8192;
	CHECK(setsockopt(nb, SOL_SOCKET, SO_RCVBUF, &r, sizeof(r)) == 0 &&
		      getint(nb, SOL_SOCKET, SO_RCVBUF) == 8192,
	      "and shrunk again: the connection's receive buffer is 8192");
	CHECK(setsockopt(nb, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)) == 0 &&
		      getint(nb, IPPROTO_TCP, TCP_CORK) == 1 &&
		      setsockopt(nb, IPPROTO_TCP, TCP_CORK, &(int){ 0 }, sizeof(int)) == 0,
	      "TCP_CORK on and off again");
	r = 5000;
	CHECK(setsockopt(nb, IPPROTO_TCP, TCP_USER_TIMEOUT, &r, sizeof(r)) == 0 &&
		      getint(nb, IPPROTO_TCP, TCP_USER_TIMEOUT) == 5000,
	      "TCP_USER_TIMEOUT set on the connection");
	FAILS(listen(nb, 5), EINVAL, "listen on a connected socket: EINVAL");
	FAILS(shutdown(nb, 7), EINVAL, "shutdown with a bad how: EINVAL");
	/* blocking again via fcntl: read waits for the echo */
	CHECK(fcntl(nb, F_SETFL, fcntl(nb, F_GETFL) & ~O_NONBLOCK) == 0 && echo_ok(nb, 1000),
	      "1000 bytes echoed");
	close(nb);
}

static void check_dup_fork(const struct sockaddr_in *echo)
{
	int fd = tcp(), d, d2 = 77, d3, status, one = 1;
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	pid_t pid;

	CHECK(connect(fd, (struct sockaddr *)echo, sizeof(*echo)) == 0, "blocking connect");
	d = dup(fd);
	CHECK(d >= 0 && getsockname(d, (struct sockaddr *)&local, &len) == 0 && local.sin_port,
	      "a dup() is the same socket");
	CHECK(dup2(fd, d2) == d2 && getint(d2, SOL_SOCKET, SO_DOMAIN) == AF_INET, "so is a dup2()");
	d3 = fcntl(fd, F_DUPFD_CLOEXEC, 100);
	CHECK(d3 >= 100 && getint(d3, SOL_SOCKET, SO_TYPE) == SOCK_STREAM,
	      "and an F_DUPFD_CLOEXEC");
	close(d);
	close(d2);
	close(d3);
	CHECK(echo_ok(fd, 100), "closing the copies leaves the connection");
	pid = fork();
	if (pid == 0) {
		/* the child: the connection works, and options reach it by its data socket */
		int ok = echo_ok(fd, 200) &&
			 setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0 &&
			 getint(fd, IPPROTO_TCP, TCP_NODELAY) == 1;
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "a forked child echoes and sets TCP_NODELAY on its parent's connection");
	CHECK(echo_ok(fd, 300), "the parent's connection still works after the child");
	close(fd);
}

/*
 * A connection outlives the process that made it while another holds it:
 * A connects and forks B, A exits (its session with synackd ends), and B
 * still echoes through the connection, as with a kernel socket.
 */
static void check_outlives_maker(const struct sockaddr_in *echo)
{
	int p[2], status;
	char res = 0;
	pid_t a;

	if (pipe(p) < 0)
		return;
	a = fork();
	if (a == 0) {
		int fd = tcp();

		close(p[0]);
		if (connect(fd, (struct sockaddr *)echo, sizeof(*echo)) < 0)
			_exit(1);
		if (fork() == 0) {
			char ok;

			usleep(300 * 1000); /* the maker is gone by now */
			ok = echo_ok(fd, 500) ? 'y' : 'n';
			(void)!write(p[1], &ok, 1);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	waitpid(a, &status, 0);
	CHECK(read(p[0], &res, 1) == 1 && res == 'y',
	      "a connection echoes in a grandchild after the process that made it exited");
	close(p[0]);
}

static void check_listen(void)
{
	struct sockaddr_in any = addr_of("0.0.0.0", 0), got;
	socklen_t len = sizeof(got);
	int l = tcp(), on = 1;

	CHECK(bind(l, (struct sockaddr *)&any, sizeof(any)) == 0 && listen(l, 16) == 0,
	      "listen on 0.0.0.0:0");
	CHECK(getsockname(l, (struct sockaddr *)&got, &len) == 0 && got.sin_port != 0,
	      "getsockname gives the chosen port");
	CHECK(listen(l, 32) == 0, "listen again: 0, as Linux");
	CHECK(getint(l, SOL_SOCKET, SO_ACCEPTCONN) == 1, "SO_ACCEPTCONN 1");
	CHECK(ioctl(l, FIONBIO, &on) == 0, "FIONBIO on the listener");
	FAILS(accept(l, NULL, NULL), EAGAIN, "accept with nothing waiting: EAGAIN");
	FAILS(accept4(l, NULL, NULL, 0x40000000), EINVAL, "accept4 with a bad flag: EINVAL");
	printf("port %u\n", ntohs(got.sin_port));
	fflush(stdout);
	close(l);
}

int main(int argc, char **argv)
{
	struct sockaddr_in echo;

	if (argc != 3) {
		fprintf(stderr, "usage: preload-calls ECHO_ADDR ECHO_PORT\n");
		return 2;
	}
	echo = addr_of(argv[1], atoi(argv[2]));
	check_fresh(&echo);
	check_connect(&echo);
	check_dup_fork(&echo);
	check_outlives_maker(&echo);
	check_listen();
	if (failures)
		printf("%d checks failed\n", failures);
	return failures ? 1 : 0;
}
