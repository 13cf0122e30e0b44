/* SPDX-License-Identifier: MIT */
/*
 * rpc-client.c - the client side of the RPC integration tests (issue 5):
 *
 *   rpc-client probe                    does synackd serve RPC? (77 if not)
 *   rpc-client many HOST PORT N BYTES   N concurrent connections to an echo
 *                                       server through the async API, BYTES
 *                                       each way per connection, verified
 *   rpc-client raw                      malformed, unknown, out-of-order and
 *                                       oversized frames from a raw socket get
 *                                       error replies, then a hang-up
 *   rpc-client limits HOST PORT         per-client limits and connect errors
 *   rpc-client owner HOST PORT          a client of another uid cannot touch
 *                                       a connection it does not own
 *   rpc-client urgent HOST PORT         the peer's urgent byte on the Send/Data
 *                                       path: an URGENT event marks it
 *   rpc-client proof HOST PORT          another session acts on a detached
 *                                       connection only with its data socket
 *                                       as proof (Request.fd_proof)
 *   rpc-client slow HOST PORT PID       withheld credit closes the TCP window
 *                                       and synackd (PID) does not grow
 *   rpc-client mem HOST PORT N PID KIB  N connections ask for 64 MiB buffers
 *                                       and send all they can: synackd's RSS
 *                                       stays within KIB + 10 %, another
 *                                       client is still served (issue 9)
 *   rpc-client idle HOST PORT N PID 0   RSS per idle established connection
 *   rpc-client closefirst HOST PORT N PID
 *                                       N connections opened and closed first
 *                                       by us, as fast as they go, to kernel
 *                                       listeners this process serves on PORT..
 *                                       PORT+2 (84,696 ephemeral tuples), after
 *                                       8,192 to warm up: every one must end in
 *                                       TIME-WAIT on synackd (PID), whose RSS
 *                                       per entry is printed
 *   rpc-client timeouts HELLO IDLE HOST PORT  a raw client that never says Hello
 *                                       is dropped after HELLO ms, a session
 *                                       with no connection after IDLE ms; one
 *                                       that holds a connection stays
 *   rpc-client uidcaps HOST PORT        limits.clients_per_uid = 2 and
 *                                       conns_per_uid = 3 refuse root's 3rd
 *                                       session and 4th connection while uid
 *                                       65534 still connects
 *   rpc-client uidorphans HOST PORT N   N connections to a peer that never
 *                                       reads, each closed with 256 KiB unsent
 *                                       (orphans), then N more; prints
 *                                       "holding" and keeps them 30 s
 *   rpc-client flood N MS PID KIB       N raw clients send Info requests for MS
 *                                       milliseconds and never read; synackd's
 *                                       RSS stays within its baseline + N x KIB
 *                                       (limits.buffered_per_client) + 10 %, and
 *                                       comes back within 10 % of the baseline
 *                                       once they hang up
 *
 * The daemon's socket comes from $SYNACK_SOCKET. Exit 0 on success, 1 on a
 * failed check (with the reason on stderr), 77 when synackd does not serve
 * RPC at all.
 */
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "frame.h"
#include "synack.h"
#include "synack.pb-c.h"
#include "tcp/tcp_timewait.h"

#define FAIL(...)                                            \
	do {                                                 \
		fprintf(stderr, "rpc-client: " __VA_ARGS__); \
		fputc('\n', stderr);                         \
		exit(1);                                     \
	} while (0)

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct synack *open_or_skip(const char *name)
{
	struct synack *s;
	int r = synack_open(NULL, name, &s);

	if (r == -ECONNRESET) {
		fprintf(stderr, "rpc-client: synackd accepts but does not serve RPC (not wired)\n");
		exit(77);
	}
	if (r < 0)
		FAIL("synack_open: %s", synack_strerror(r));
	return s;
}

/*
 * Byte off of connection k's stream: little-endian 64-bit words that say
 * (k << 40 | word index), so any misplaced byte is caught and the kernel
 * side (kpeer.py echo) can check the stream it receives too.
 */
static uint8_t pattern(uint64_t k, uint64_t off)
{
	uint64_t w = (k << 40) | (off >> 3);

	return (uint8_t)(w >> ((off & 7) * 8));
}

/* ------------------------------------------------------------------ many */

struct many_conn {
	unsigned index;
	synack_conn id;
	uint64_t sent, received;
	bool send_busy, established, done, closed;
};

struct many {
	struct synack *s;
	struct many_conn *c;
	unsigned n, done, closed;
	uint64_t bytes;
	uint8_t buf[16384];
};

static struct many_conn *many_find(struct many *m, synack_conn id)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->c[i].id == id)
			return &m->c[i];
	return NULL;
}

static void many_send_more(struct many *m, struct many_conn *c);

static void many_sent(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct many_conn *c = ud;

	c->send_busy = false;
	if (status < 0)
		FAIL("send on conn %u: %s", c->index, synack_strerror(status));
	c->sent += res->taken;
}

static void many_send_more(struct many *m, struct many_conn *c)
{
	size_t len = sizeof(m->buf);
	int r;

	if (c->send_busy || !c->established || c->sent >= m->bytes)
		return;
	if (len > m->bytes - c->sent)
		len = (size_t)(m->bytes - c->sent);
	for (size_t i = 0; i < len; i++)
		m->buf[i] = pattern(c->index, c->sent + i);
	r = synack_send_async(m->s, c->id, m->buf, len, many_sent, c);
	if (r < 0)
		FAIL("send_async: %s", synack_strerror(r));
	c->send_busy = true;
}

/* Say what the wrong bytes look like: shifted, another connection's, or noise. */
static void many_mismatch(struct many *m, struct many_conn *c, const uint8_t *d, size_t len,
			  size_t at)
{
	uint64_t off = c->received + at;

	for (unsigned k = 0; k < m->n; k++) {
		for (int64_t shift = -70000; shift <= 70000; shift++) {
			int64_t o = (int64_t)off + shift;
			size_t j, cmp = len - at < 64 ? len - at : 64;

			if (o < 0)
				continue;
			for (j = 0; j < cmp; j++)
				if (d[at + j] != pattern(k, (uint64_t)o + j))
					break;
			if (j == cmp)
				FAIL("conn %u: byte %llu (event of %zu bytes, at %zu) is conn %u's "
				     "byte %lld (shift %lld); sent %llu",
				     c->index, (unsigned long long)off, len, at, k, (long long)o,
				     (long long)shift, (unsigned long long)c->sent);
		}
	}
	FAIL("conn %u: byte %llu (event of %zu bytes, at %zu) differs: noise; sent %llu", c->index,
	     (unsigned long long)off, len, at, (unsigned long long)c->sent);
}

static void many_event(struct synack *s, const struct synack_event *ev, void *ud)
{
	struct many *m = ud;
	struct many_conn *c = many_find(m, ev->conn);

	if (!c)
		FAIL("event %d for unknown conn %llu", ev->type, (unsigned long long)ev->conn);
	switch (ev->type) {
	case SYNACK_EV_ESTABLISHED:
		c->established = true;
		break;
	case SYNACK_EV_DATA:
		for (size_t i = 0; i < ev->len; i++)
			if (ev->data[i] != pattern(c->index, c->received + i))
				many_mismatch(m, c, ev->data, ev->len, i);
		c->received += ev->len;
		synack_credit_async(s, c->id, ev->len, NULL, NULL);
		if (c->received == m->bytes && !c->done) {
			c->done = true;
			m->done++;
			synack_close_async(s, c->id, NULL, NULL);
		}
		break;
	case SYNACK_EV_CLOSED:
		c->closed = true;
		m->closed++;
		break;
	case SYNACK_EV_WRITABLE:
	case SYNACK_EV_PEER_CLOSED:
		break;
	default:
		FAIL("conn %u: event %d: %s", c->index, ev->type, synack_strerror(ev->err));
	}
}

static void many_connected(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct many_conn *c = ud;

	if (status < 0)
		FAIL("connect %u: %s", c->index, synack_strerror(status));
	c->id = res->conn;
}

static int cmd_many(const char *host, uint16_t port, unsigned n, uint64_t bytes)
{
	struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct many m = { .n = n, .bytes = bytes };
	int64_t deadline = now_ms() + 120000;

	inet_pton(AF_INET, host, &remote.sin_addr);
	m.s = open_or_skip("rpc-many");
	m.c = calloc(n, sizeof(*m.c));
	synack_set_event_cb(m.s, many_event, &m);
	for (unsigned i = 0; i < n; i++) {
		m.c[i].index = i;
		if (synack_connect_async(m.s, &remote, NULL, 10000, 65536, many_connected,
					 &m.c[i]) < 0)
			FAIL("connect_async %u", i);
	}
	while (m.closed < n) {
		struct pollfd p = { .fd = synack_fd(m.s), .events = POLLIN };
		int r;

		if (now_ms() > deadline)
			FAIL("timeout: %u of %u connections done", m.done, n);
		if (synack_want_write(m.s))
			p.events |= POLLOUT;
		poll(&p, 1, 1000);
		r = synack_process(m.s);
		if (r < 0)
			FAIL("process: %s", synack_strerror(r));
		for (unsigned i = 0; i < n; i++)
			many_send_more(&m, &m.c[i]);
	}
	printf("many: %u connections, %llu bytes each way each, all verified\n", n,
	       (unsigned long long)bytes);
	synack_free(m.s);
	free(m.c);
	return 0;
}

/* ------------------------------------------------------------------ raw */

static int raw_dial(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const char *p = getenv("SYNACK_SOCKET");
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", p ? p : SYNACK_DEFAULT_SOCKET);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		FAIL("raw connect: %s", strerror(errno));
	return fd;
}

static void raw_write(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		FAIL("raw write: %s", strerror(errno));
}

static void raw_frame(int fd, const void *payload, uint32_t len)
{
	uint8_t hdr[4] = { len >> 24, len >> 16, len >> 8, len };

	raw_write(fd, hdr, 4);
	raw_write(fd, payload, len);
}

static void raw_message(int fd, const ProtobufCMessage *m)
{
	uint8_t *buf;
	size_t len;

	if (frame_pack(m, FRAME_MAX_LIMIT, &buf, &len) < 0)
		FAIL("pack");
	raw_write(fd, buf, len);
	free(buf);
}

/* Read one ServerMessage (or NULL at EOF) within 5 s. */
static Synack__V1__ServerMessage *raw_read(int fd)
{
	static struct frame_decoder dec;
	static bool init;
	static uint8_t buf[4096];
	static const uint8_t *in;
	static size_t in_len;
	int64_t deadline = now_ms() + 5000;
	const uint8_t *f;
	size_t flen;

	if (!init) {
		frame_decoder_init(&dec, FRAME_MAX_LIMIT);
		init = true;
	}
	for (;;) {
		int r = frame_decoder_next(&dec, &in, &in_len, &f, &flen);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (r < 0)
			FAIL("raw: bad frame from synackd");
		if (r == 1)
			return synack__v1__server_message__unpack(NULL, flen, f);
		if (now_ms() > deadline)
			FAIL("raw: no answer within 5 s");
		if (poll(&p, 1, 500) <= 0)
			continue; /* nothing yet: do not block in read() past the deadline */
		n = read(fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno == ECONNRESET))
			return NULL;
		if (n < 0)
			continue;
		in = buf;
		in_len = (size_t)n;
	}
}

static void raw_expect_reply(int fd, int code, const char *what)
{
	Synack__V1__ServerMessage *m = raw_read(fd);

	if (!m || m->msg_case != SYNACK__V1__SERVER_MESSAGE__MSG_REPLY || !m->reply->status)
		FAIL("%s: expected an error reply, got %s", what, m ? "something else" : "EOF");
	if (m->reply->status->code != code)
		FAIL("%s: expected code %d, got %d (%s)", what, code, m->reply->status->code,
		     m->reply->status->message);
	printf("raw: %s -> %d (%s)\n", what, code, m->reply->status->message);
	synack__v1__server_message__free_unpacked(m, NULL);
}

static void raw_expect_eof(int fd, const char *what)
{
	Synack__V1__ServerMessage *m;

	while ((m = raw_read(fd)))
		synack__v1__server_message__free_unpacked(m, NULL);
	printf("raw: %s -> disconnected\n", what);
	close(fd);
}

static void raw_hello(int fd, uint32_t version)
{
	Synack__V1__ClientMessage cm = SYNACK__V1__CLIENT_MESSAGE__INIT;
	Synack__V1__Hello h = SYNACK__V1__HELLO__INIT;

	h.version = version;
	h.client_name = "rpc-raw";
	cm.msg_case = SYNACK__V1__CLIENT_MESSAGE__MSG_HELLO;
	cm.hello = &h;
	raw_message(fd, &cm.base);
}

static void raw_info_request(int fd, uint64_t id)
{
	Synack__V1__ClientMessage cm = SYNACK__V1__CLIENT_MESSAGE__INIT;
	Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
	Synack__V1__Info info = SYNACK__V1__INFO__INIT;

	info.conn = 12345;
	rq.id = id;
	rq.op_case = SYNACK__V1__REQUEST__OP_INFO;
	rq.info = &info;
	cm.msg_case = SYNACK__V1__CLIENT_MESSAGE__MSG_REQUEST;
	cm.request = &rq;
	raw_message(fd, &cm.base);
}

static int cmd_raw(void)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	/* a Request (field 2) whose op is field 99: unknown to this daemon */
	static const uint8_t unknown_op[] = { 0x12, 0x05, 0x08, 0x07, 0x9a, 0x06, 0x00 };
	Synack__V1__ServerMessage *m;
	int fd;

	/* 1: request before Hello; then a version mismatch */
	fd = raw_dial();
	raw_info_request(fd, 1);
	raw_expect_reply(fd, EPROTO, "request before Hello");
	raw_hello(fd, 999);
	m = raw_read(fd);
	if (!m || m->msg_case != SYNACK__V1__SERVER_MESSAGE__MSG_HELLO ||
	    m->hello->status->code != EPROTONOSUPPORT)
		FAIL("version 999: expected EPROTONOSUPPORT");
	synack__v1__server_message__free_unpacked(m, NULL);
	raw_expect_eof(fd, "version mismatch");

	/* 2: malformed and unknown messages, then the hang-up after repeated garbage */
	fd = raw_dial();
	raw_hello(fd, SYNACK_PROTOCOL_VERSION);
	m = raw_read(fd);
	if (!m || m->msg_case != SYNACK__V1__SERVER_MESSAGE__MSG_HELLO || m->hello->status->code)
		FAIL("hello refused");
	synack__v1__server_message__free_unpacked(m, NULL);
	raw_info_request(fd, 2);
	raw_expect_reply(fd, EBADF, "info on a connection not ours");
	raw_frame(fd, garbage, sizeof(garbage));
	raw_expect_reply(fd, EBADMSG, "malformed protobuf");
	raw_frame(fd, unknown_op, sizeof(unknown_op));
	raw_expect_reply(fd, ENOMSG, "unknown operation");
	raw_frame(fd, garbage, sizeof(garbage));
	raw_expect_reply(fd, EBADMSG, "malformed protobuf again");
	raw_frame(fd, garbage, sizeof(garbage));
	raw_expect_reply(fd, EBADMSG, "malformed protobuf, 4th strike");
	raw_expect_eof(fd, "repeated garbage");

	/* 3: a frame over the limit: refused before its payload is read */
	fd = raw_dial();
	raw_hello(fd, SYNACK_PROTOCOL_VERSION);
	synack__v1__server_message__free_unpacked(raw_read(fd), NULL);
	raw_write(fd, (const uint8_t[]){ 0x7f, 0xff, 0xff, 0xff }, 4);
	raw_expect_reply(fd, EMSGSIZE, "oversized frame");
	raw_expect_eof(fd, "oversized frame");

	/* 4: a zero-length frame */
	fd = raw_dial();
	raw_write(fd, (const uint8_t[]){ 0, 0, 0, 0 }, 4);
	raw_expect_reply(fd, EBADMSG, "zero-length frame");
	raw_expect_eof(fd, "zero-length frame");
	return 0;
}

/* ------------------------------------------------------------------ owner */

struct owner_try {
	int status;
	bool done;
};

static void owner_done(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct owner_try *t = ud;

	t->status = status;
	t->done = true;
}

/* In a child of another uid: every call on the owner's connection gets EBADF. */
static void owner_intrude(synack_conn c)
{
	static const char *const what[] = { "send", "credit", "close", "abort" };
	struct owner_try t[4] = { 0 };
	struct synack *o;
	int r;

	if (setgid(65534) < 0 || setuid(65534) < 0)
		FAIL("setuid nobody: %s", strerror(errno));
	r = synack_open(NULL, "intruder", &o);
	if (r < 0)
		FAIL("uid 65534: open: %s", synack_strerror(r));
	/* the async core: the blocking API would refuse ids it never saw */
	synack_send_async(o, c, "x", 1, owner_done, &t[0]);
	synack_credit_async(o, c, 1000, owner_done, &t[1]);
	synack_close_async(o, c, owner_done, &t[2]);
	synack_abort_async(o, c, owner_done, &t[3]);
	while (!(t[0].done && t[1].done && t[2].done && t[3].done)) {
		struct pollfd p = { .fd = synack_fd(o), .events = POLLIN };

		poll(&p, 1, 1000);
		if (synack_process(o) < 0)
			FAIL("intruder session died");
	}
	for (int i = 0; i < 4; i++)
		if (t[i].status != -EBADF)
			FAIL("uid 65534: %s on another client's connection: %s", what[i],
			     synack_strerror(t[i].status));
	printf("owner: uid 65534 got EBADF for send, credit, close and abort\n");
	synack_free(o);
}

static int cmd_owner(const char *host, uint16_t port)
{
	struct synack *s = open_or_skip("rpc-owner");
	char buf[64];
	synack_conn c;
	pid_t pid;
	int r, st;

	r = synack_connect(s, host, port, 5000, &c);
	if (r < 0)
		FAIL("connect: %s", synack_strerror(r));
	pid = fork();
	if (pid == 0) {
		owner_intrude(c);
		_exit(0);
	}
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("the intruder check failed");
	/* the owner's connection is untouched */
	if (synack_send(s, c, "still mine", 10) != 10)
		FAIL("owner send");
	r = (int)synack_recv(s, c, buf, sizeof(buf));
	if (r != 10 || memcmp(buf, "still mine", 10))
		FAIL("owner echo: %d", r);
	printf("owner: the owner's connection still works\n");
	synack_close(s, c);
	synack_free(s);
	return 0;
}

/* ------------------------------------------------------------------ slow reader */

/*
 * Whether synackd's RSS says anything: not under AddressSanitizer, whose
 * allocator keeps freed memory in quarantine and adds shadow memory
 * (rpc-env.sh sets SYNACK_RSS_UNCHECKED for such a synackd). The bounds on
 * RSS are then printed as not checked; every other assertion stands.
 */
static bool rss_checked(void)
{
	static int checked = -1;

	if (checked < 0) {
		checked = getenv("SYNACK_RSS_UNCHECKED") == NULL;
		if (!checked)
			printf("RSS bounds not checked: synackd is built with AddressSanitizer\n");
	}
	return checked;
}

static long rss_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

struct slow {
	uint64_t received;
	bool peer_closed, failed;
	int err;
};

static void slow_event(struct synack *s, const struct synack_event *ev, void *ud)
{
	struct slow *sl = ud;

	if (ev->type == SYNACK_EV_DATA)
		sl->received += ev->len;
	else if (ev->type == SYNACK_EV_PEER_CLOSED)
		sl->peer_closed = true;
	else if (ev->type == SYNACK_EV_RESET || ev->type == SYNACK_EV_ERROR) {
		sl->failed = true;
		sl->err = ev->err;
	}
}

static void slow_run(struct synack *s, int ms)
{
	int64_t end = now_ms() + ms;

	while (now_ms() < end) {
		struct pollfd p = { .fd = synack_fd(s), .events = POLLIN };

		if (synack_want_write(s))
			p.events |= POLLOUT;
		poll(&p, 1, 100);
		if (synack_process(s) < 0)
			FAIL("session died");
	}
}

static void slow_connected(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	if (status < 0)
		FAIL("connect: %s", synack_strerror(status));
	*(synack_conn *)ud = res->conn;
}

struct slow_info {
	bool done;
	int status;
	struct synack_info info;
};

static void slow_info_done(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct slow_info *si = ud;

	si->done = true;
	si->status = status;
	if (status == 0)
		si->info = *res->info;
}

static int cmd_slow(const char *host, uint16_t port, pid_t daemon_pid, uint64_t total)
{
	struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct synack *s = open_or_skip("rpc-slow");
	struct slow sl = { 0 };
	synack_conn c = 0;
	long rss1, rss2;
	uint64_t held;

	inet_pton(AF_INET, host, &remote.sin_addr);
	synack_set_event_cb(s, slow_event, &sl);
	if (synack_connect_async(s, &remote, NULL, 5000, 65536, slow_connected, &c) < 0)
		FAIL("connect_async");
	slow_run(s, 2000);
	held = sl.received;
	rss1 = rss_kib(daemon_pid);
	slow_run(s, 3000);
	rss2 = rss_kib(daemon_pid);
	if (sl.received != 65536 || held != 65536)
		FAIL("credit 65536 but %llu bytes delivered", (unsigned long long)sl.received);
	printf("slow: credit withheld: exactly %llu bytes delivered; synackd RSS %ld -> %ld KiB\n",
	       (unsigned long long)sl.received, rss1, rss2);
	if (rss_checked() && rss2 - rss1 > 1024)
		FAIL("synackd grew by %ld KiB while the reader held back", rss2 - rss1);
	{
		struct slow_info si = { 0 };

		if (synack_info_async(s, c, slow_info_done, &si) < 0)
			FAIL("info_async");
		while (!si.done)
			slow_run(s, 50);
		if (si.status < 0)
			FAIL("info: %s", synack_strerror(si.status));
		printf("slow: %s, receive window %u, %llu bytes received by the stack\n",
		       si.info.state, si.info.rcv_wnd, (unsigned long long)si.info.bytes_received);
		if (si.info.rcv_wnd >= si.info.mss)
			FAIL("the receive window did not close: %u", si.info.rcv_wnd);
	}
	/* now read everything: the window reopens and the rest arrives */
	synack_credit_async(s, c, UINT64_MAX / 2, NULL, NULL);
	for (int i = 0; i < 600 && !sl.peer_closed && !sl.failed; i++)
		slow_run(s, 100);
	if (sl.failed)
		FAIL("after granting credit: %s", synack_strerror(sl.err));
	if (sl.received != total)
		FAIL("received %llu of %llu", (unsigned long long)sl.received,
		     (unsigned long long)total);
	printf("slow: credit granted: all %llu bytes arrived\n", (unsigned long long)total);
	synack_free(s);
	return 0;
}

/* ------------------------------------------------------------------ memory budget */

struct mem_conn {
	unsigned index;
	synack_conn id;
	bool established, busy, full, failed;
	uint64_t taken;
};

struct memt {
	struct synack *s;
	struct mem_conn *c;
	unsigned n, established, full, connected;
	int64_t last_taken_ms;
	uint64_t taken;
	uint8_t buf[65536];
};

static struct mem_conn *mem_find(struct memt *m, synack_conn id)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->c[i].id == id)
			return &m->c[i];
	return NULL;
}

static void mem_setopt_done(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	if (status < 0 && status != -ECANCELED)
		FAIL("setopt SNDBUF/RCVBUF: %s", synack_strerror(status));
}

static bool mem_idle_only;

static void mem_connected(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct mem_conn *c = ud;

	if (status < 0)
		FAIL("connect %u: %s", c->index, synack_strerror(status));
	c->id = res->conn;
	if (mem_idle_only)
		return;
	/* in SYN-SENT: ask for 64 MiB each way (the daemon caps it) */
	if (synack_setopt_async(s, c->id, SYNACK_OPT_SNDBUF, 64ull << 20, mem_setopt_done, NULL) <
		    0 ||
	    synack_setopt_async(s, c->id, SYNACK_OPT_RCVBUF, 64ull << 20, mem_setopt_done, NULL) <
		    0)
		FAIL("setopt_async");
}

static struct memt *mem_current;
static bool mem_opt_done;

static void mem_getopt_done(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	if (status < 0)
		FAIL("getopt SNDBUF: %s", synack_strerror(status));
	*(uint64_t *)ud = res->value;
	mem_opt_done = true;
}

static void mem_sent(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct mem_conn *c = ud;
	struct memt *m = mem_current;

	c->busy = false;
	if (status < 0) {
		c->failed = true;
		return;
	}
	c->taken += res->taken;
	m->taken += res->taken;
	if (res->taken)
		m->last_taken_ms = now_ms();
	if (res->taken < sizeof(m->buf) && !c->full) {
		c->full = true; /* until a WRITABLE event */
		m->full++;
	}
}

static void mem_event(struct synack *s, const struct synack_event *ev, void *ud)
{
	struct memt *m = ud;
	struct mem_conn *c = mem_find(m, ev->conn);

	if (!c)
		return;
	switch (ev->type) {
	case SYNACK_EV_ESTABLISHED:
		c->established = true;
		m->established++;
		break;
	case SYNACK_EV_WRITABLE:
		if (c->full) {
			c->full = false;
			m->full--;
		}
		break;
	case SYNACK_EV_DATA:
	case SYNACK_EV_PEER_CLOSED:
	case SYNACK_EV_CLOSED:
		break;
	default:
		FAIL("conn %u: event %d: %s", c->index, ev->type, synack_strerror(ev->err));
	}
}

static void mem_run(struct memt *m, int timeout_ms)
{
	struct pollfd p = { .fd = synack_fd(m->s), .events = POLLIN };
	int r;

	if (synack_want_write(m->s))
		p.events |= POLLOUT;
	poll(&p, 1, timeout_ms);
	r = synack_process(m->s);
	if (r < 0)
		FAIL("process: %s", synack_strerror(r));
}

/* Queue a send on every connection that has none in flight and room for more. */
static void mem_send_all(struct memt *m, bool syn_sent_too)
{
	for (unsigned i = 0; i < m->n; i++) {
		struct mem_conn *c = &m->c[i];

		if (!c->id || c->busy || c->full || c->failed || (!c->established && !syn_sent_too))
			continue;
		if (synack_send_async(m->s, c->id, m->buf, sizeof(m->buf), mem_sent, c) < 0)
			FAIL("send_async");
		c->busy = true;
	}
}

/*
 * One client, n connections to a kernel listener that never reads: each asks
 * for 64 MiB SNDBUF and RCVBUF and sends as much as it can (from SYN-SENT
 * on). synackd's RSS must stay within budget_kib + 10 % of its baseline, and
 * another client must still be answered meanwhile. With idle_only, measure
 * the RSS an idle established connection costs instead.
 */
static int cmd_mem(const char *host, uint16_t port, unsigned n, pid_t pid, long budget_kib,
		   bool idle_only)
{
	struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct memt *m = calloc(1, sizeof(*m));
	long base = rss_kib(pid), peak = base, rss;
	int64_t deadline = now_ms() + 30000, t0;
	struct synack *other;
	struct synack_info oi;
	synack_conn oc;
	uint64_t v;
	int r;

	inet_pton(AF_INET, host, &remote.sin_addr);
	mem_current = m;
	mem_idle_only = idle_only;
	m->n = n;
	m->c = calloc(n, sizeof(*m->c));
	m->s = open_or_skip("rpc-mem");
	synack_set_event_cb(m->s, mem_event, m);
	for (unsigned i = 0; i < n; i++) {
		m->c[i].index = i;
		if (synack_connect_async(m->s, &remote, NULL, 20000, 0, mem_connected, &m->c[i]) <
		    0)
			FAIL("connect_async %u", i);
	}
	if (!idle_only)
		memset(m->buf, 'm', sizeof(m->buf));
	while (m->established < n) {
		if (now_ms() > deadline)
			FAIL("only %u of %u connections established", m->established, n);
		mem_run(m, 100);
		if (!idle_only)
			mem_send_all(m, true);
		rss = rss_kib(pid);
		peak = rss > peak ? rss : peak;
	}
	if (idle_only) {
		for (int i = 0; i < 20; i++)
			mem_run(m, 100);
		rss = rss_kib(pid);
		printf("mem: %u idle established connections: synackd RSS %ld -> %ld KiB, "
		       "%.2f KiB per connection\n",
		       n, base, rss, (double)(rss - base) / n);
		synack_free(m->s);
		return 0;
	}
	/* send until nothing more is taken for 2 s (every connection full) */
	m->last_taken_ms = now_ms();
	while (now_ms() - m->last_taken_ms < 2000) {
		if (now_ms() > deadline + 30000)
			FAIL("still taking data after 60 s");
		mem_send_all(m, false);
		mem_run(m, 100);
		rss = rss_kib(pid);
		peak = rss > peak ? rss : peak;
	}
	printf("mem: %u connections took %llu bytes (%u short of what they asked); "
	       "synackd RSS baseline %ld KiB, peak %ld KiB, budget %ld KiB\n",
	       n, (unsigned long long)m->taken, m->full, base, peak, budget_kib);
	if (rss_checked() && peak > base + budget_kib + budget_kib / 10)
		FAIL("synackd RSS %ld KiB is over baseline %ld + budget %ld + 10 %%", peak, base,
		     budget_kib);
	mem_opt_done = false;
	if (synack_getopt_async(m->s, m->c[0].id, SYNACK_OPT_SNDBUF, mem_getopt_done, &v) < 0)
		FAIL("getopt_async");
	while (!mem_opt_done)
		mem_run(m, 100);
	printf("mem: SNDBUF asked 64 MiB, effective %llu bytes\n", (unsigned long long)v);
	if (v >= 64ull << 20)
		FAIL("SNDBUF was not capped");
	/* another client is still served, and promptly */
	t0 = now_ms();
	r = synack_open(NULL, "rpc-mem-other", &other);
	if (r == 0)
		r = synack_connect(other, host, port, 5000, &oc);
	/* (same uid, so no send: its share is spent; the daemon answers all the same) */
	if (r == 0)
		r = synack_info(other, oc, &oi);
	if (r < 0)
		FAIL("another client meanwhile: %s", synack_strerror(r));
	printf("mem: another client connected (%s) in %lld ms\n", oi.state,
	       (long long)(now_ms() - t0));
	if (now_ms() - t0 > 5000)
		FAIL("another client waited %lld ms", (long long)(now_ms() - t0));
	synack_free(other);
	synack_free(m->s);
	free(m->c);
	free(m);
	return 0;
}

/* ------------------------------------------------------------------ session timeouts */

/* Run s until it dies (returns the ms it took) or limit_ms passes (-1). */
static int64_t session_death_ms(struct synack *s, int64_t t0, int limit_ms)
{
	while (now_ms() - t0 < limit_ms) {
		struct pollfd p = { .fd = synack_fd(s), .events = POLLIN };

		if (synack_want_write(s))
			p.events |= POLLOUT;
		poll(&p, 1, 50);
		if (synack_process(s) < 0)
			return now_ms() - t0;
	}
	return -1;
}

static int cmd_timeouts(int hello_ms, int idle_ms, const char *host, uint16_t port)
{
	struct synack *idle, *busy = open_or_skip("rpc-busy");
	Synack__V1__ServerMessage *m;
	int64_t t0, dt;
	synack_conn c;
	char buf[16];
	int fd, r;

	r = synack_connect(busy, host, port, 5000, &c);
	if (r < 0)
		FAIL("connect: %s", synack_strerror(r));

	/* 1: never a Hello: an error reply (ETIMEDOUT), then the hang-up */
	t0 = now_ms();
	fd = raw_dial();
	m = raw_read(fd);
	dt = now_ms() - t0;
	if (!m || m->msg_case != SYNACK__V1__SERVER_MESSAGE__MSG_REPLY ||
	    m->reply->status->code != ETIMEDOUT)
		FAIL("silent client: expected an ETIMEDOUT reply, got %s", m ? "another" : "EOF");
	synack__v1__server_message__free_unpacked(m, NULL);
	raw_expect_eof(fd, "no Hello");
	if (dt < hello_ms)
		FAIL("silent client dropped after %lld ms, before rpc.hello_timeout (%d ms)",
		     (long long)dt, hello_ms);
	printf("timeouts: a client without Hello was dropped after %lld ms (hello_timeout %d ms)\n",
	       (long long)dt, hello_ms);

	/* 2: Hello but no connection and no request: dropped after idle_ms */
	t0 = now_ms();
	r = synack_open(NULL, "rpc-idle", &idle);
	if (r < 0)
		FAIL("idle session: %s", synack_strerror(r));
	dt = session_death_ms(idle, t0, idle_ms + 10000);
	if (dt < 0)
		FAIL("a session without connections outlived rpc.idle_timeout (%d ms) by 10 s",
		     idle_ms);
	if (dt < idle_ms)
		FAIL("idle session dropped after %lld ms, before rpc.idle_timeout (%d ms)",
		     (long long)dt, idle_ms);
	printf("timeouts: a session without connections was dropped after %lld ms "
	       "(idle_timeout %d ms)\n",
	       (long long)dt, idle_ms);
	synack_free(idle);

	/* 3: the session holding a connection all along still works */
	if (synack_send(busy, c, "still here", 10) != 10)
		FAIL("busy session: send");
	r = (int)synack_recv(busy, c, buf, sizeof(buf));
	if (r != 10 || memcmp(buf, "still here", 10))
		FAIL("busy session: echo: %d", r);
	printf("timeouts: the session holding a connection is still served\n");
	synack_close(busy, c);
	synack_free(busy);
	return 0;
}

/* ------------------------------------------------------------------ per-uid caps */

/* In a child as uid 65534: a session and a connection while root is at its caps. */
static void uidcaps_other_uid(const char *host, uint16_t port)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		struct synack *o;
		synack_conn c;
		int r;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			FAIL("setuid nobody: %s", strerror(errno));
		r = synack_open(NULL, "rpc-nobody", &o);
		if (r < 0)
			FAIL("uid 65534: open while root is at its caps: %s", synack_strerror(r));
		r = synack_connect(o, host, port, 5000, &c);
		if (r < 0)
			FAIL("uid 65534: connect while root is at its caps: %s",
			     synack_strerror(r));
		printf("uidcaps: uid 65534 still opens a session and connects\n");
		synack_free(o);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("the other uid's client failed");
}

static int cmd_uidcaps(const char *host, uint16_t port)
{
	struct synack *s[3];
	synack_conn c[4], l;
	int r;

	for (int i = 0; i < 2; i++) {
		r = synack_open(NULL, "rpc-uid", &s[i]);
		if (r < 0)
			FAIL("session %d: %s", i + 1, synack_strerror(r));
	}
	r = synack_open(NULL, "rpc-uid", &s[2]);
	if (r != -EUSERS)
		FAIL("3rd session of uid 0 with clients_per_uid 2: expected EUSERS, got %s",
		     r == 0 ? "success" : synack_strerror(r));
	printf("uidcaps: uid 0's 3rd session refused: %s\n", synack_strerror(r));
	uidcaps_other_uid(host, port);

	/* 3 connections between the two sessions, then the 4th is refused in either */
	for (int i = 0; i < 3; i++) {
		r = synack_connect(s[i % 2], host, port, 5000, &c[i]);
		if (r < 0)
			FAIL("connection %d: %s", i + 1, synack_strerror(r));
	}
	r = synack_connect(s[1], host, port, 5000, &c[3]);
	if (r != -EMFILE)
		FAIL("4th connection of uid 0 with conns_per_uid 3: expected EMFILE, got %s",
		     r == 0 ? "success" : synack_strerror(r));
	r = synack_listen(s[0], NULL, 0, 8, &l, NULL);
	if (r != -EMFILE)
		FAIL("listener over conns_per_uid: expected EMFILE, got %s",
		     r == 0 ? "success" : synack_strerror(r));
	printf("uidcaps: uid 0's 4th connection and a listener refused: %s\n", synack_strerror(r));
	uidcaps_other_uid(host, port);

	/* a connection closed in one session makes room in the other */
	synack_close(s[0], c[0]);
	for (int i = 0; i < 50; i++) {
		r = synack_connect(s[1], host, port, 5000, &c[3]);
		if (r != -EMFILE)
			break;
		usleep(100000);
	}
	if (r < 0)
		FAIL("connection after a close in the other session: %s", synack_strerror(r));
	printf("uidcaps: a close in one session frees the uid's slot for the other\n");
	synack_free(s[0]);
	synack_free(s[1]);
	return 0;
}

/*
 * A uid at limits.conns_per_uid = N closes its N connections while the
 * peer never reads, so each stays an orphan (FIN-WAIT-1, 256 KiB unsent,
 * the peer's window shut); then it opens N more. The script checks what the
 * uid holds meanwhile (its N connections, not its orphans as well).
 */
static int cmd_uidorphans(const char *host, uint16_t port, unsigned n)
{
	static char data[256 * 1024];
	struct synack *s;
	synack_conn c[64];
	int r;

	if (n > 64)
		FAIL("uidorphans: at most 64");
	r = synack_open(NULL, "rpc-uid-orphans", &s);
	if (r < 0)
		FAIL("open: %s", synack_strerror(r));
	for (unsigned i = 0; i < n; i++) {
		r = synack_connect(s, host, port, 5000, &c[i]);
		if (r < 0)
			FAIL("connection %u: %s", i + 1, synack_strerror(r));
		if (synack_send(s, c[i], data, sizeof(data)) != (ssize_t)sizeof(data))
			FAIL("connection %u: send", i + 1);
	}
	for (unsigned i = 0; i < n; i++)
		synack_close(s, c[i]);
	printf("uidorphans: %u connections closed with data unsent\n", n);
	for (unsigned i = 0; i < n; i++) {
		r = synack_connect(s, host, port, 5000, &c[i]);
		if (r < 0)
			FAIL("connection %u after the orphans: %s", n + i + 1, synack_strerror(r));
	}
	printf("uidorphans: %u more connected; holding\n", n);
	sleep(30);
	synack_free(s);
	return 0;
}

/* ------------------------------------------------------------------ flood */

/*
 * Write as many Info requests as the socket takes now (non-blocking); *off
 * is where the last partial write stopped in the batch, so frames stay whole.
 */
static void flood_burst(int fd, size_t *off)
{
	static uint8_t batch[16384];
	static size_t batch_len;

	if (!batch_len) {
		/* one request packed once, repeated: the replies are small EBADF errors */
		Synack__V1__ClientMessage cm = SYNACK__V1__CLIENT_MESSAGE__INIT;
		Synack__V1__Request rq = SYNACK__V1__REQUEST__INIT;
		Synack__V1__Info info = SYNACK__V1__INFO__INIT;
		uint8_t *one;
		size_t len;

		info.conn = 12345;
		rq.id = 1;
		rq.op_case = SYNACK__V1__REQUEST__OP_INFO;
		rq.info = &info;
		cm.msg_case = SYNACK__V1__CLIENT_MESSAGE__MSG_REQUEST;
		cm.request = &rq;
		if (frame_pack(&cm.base, FRAME_MAX_LIMIT, &one, &len) < 0)
			FAIL("pack");
		while (batch_len + len <= sizeof(batch)) {
			memcpy(batch + batch_len, one, len);
			batch_len += len;
		}
		free(one);
	}
	for (;;) {
		ssize_t n = send(fd, batch + *off, batch_len - *off, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n <= 0)
			return; /* the socket is full: the daemon is not reading */
		*off = (*off + (size_t)n) % batch_len;
	}
}

static int cmd_flood(unsigned n, int ms, pid_t daemon_pid, long budget_kib)
{
	int *fd = calloc(n, sizeof(*fd));
	size_t *off = calloc(n, sizeof(*off));
	long base, peak, rss, limit, after = -1;
	int64_t end;

	/* the baseline: the daemon with no flooding client */
	base = rss_kib(daemon_pid);
	if (base < 0)
		FAIL("no RSS for pid %d", (int)daemon_pid);
	peak = base;
	for (unsigned i = 0; i < n; i++) {
		fd[i] = raw_dial();
		raw_hello(fd[i], SYNACK_PROTOCOL_VERSION); /* its reply is never read either */
	}
	end = now_ms() + ms;
	while (now_ms() < end) {
		for (unsigned i = 0; i < n; i++)
			flood_burst(fd[i], &off[i]);
		rss = rss_kib(daemon_pid);
		if (rss < 0)
			FAIL("synackd died during the flood");
		if (rss > peak)
			peak = rss;
		usleep(2000);
	}
	/* the promise: the configured budget + 10 % */
	limit = (base + (long)n * budget_kib) * 11 / 10;
	printf("flood: %u clients for %d ms: synackd RSS %ld KiB before, peak %ld KiB, "
	       "limit %ld KiB (baseline + %u x %ld KiB + 10 %%)\n",
	       n, ms, base, peak, limit, n, budget_kib);
	for (unsigned i = 0; i < n; i++)
		close(fd[i]);
	/* and the burst's memory goes back once they are gone (waited for only
	 * where RSS is checked) */
	for (int i = 0; i < (rss_checked() ? 100 : 1); i++) {
		usleep(100000);
		after = rss_kib(daemon_pid);
		if (after < 0)
			FAIL("synackd died after the flood");
		if (after <= base * 11 / 10)
			break;
	}
	printf("flood: after the clients left: synackd RSS %ld KiB (baseline %ld KiB)\n", after,
	       base);
	if (rss_checked() && peak > limit)
		FAIL("synackd grew to %ld KiB, over its budget of %ld KiB", peak, limit);
	if (rss_checked() && after > base * 11 / 10)
		FAIL("synackd kept %ld KiB after the clients left (baseline %ld KiB)", after, base);
	free(fd);
	free(off);
	return 0;
}

/* ------------------------------------------------------------------ data sockets, async */

struct fdasync {
	int status, fd;
	synack_conn conn;
	bool replied, established, closed_reply;
};

static void fdasync_connected(struct synack *s, int status, const struct synack_result *res,
			      void *ud)
{
	struct fdasync *fa = ud;

	fa->replied = true;
	fa->status = status;
	if (status == 0) {
		fa->conn = res->conn;
		fa->fd = res->fd;
	}
}

static void fdasync_closed(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct fdasync *fa = ud;

	fa->closed_reply = true;
	fa->status = status;
}

static void fdasync_event(struct synack *s, const struct synack_event *ev, void *ud)
{
	struct fdasync *fa = ud;

	if (ev->type == SYNACK_EV_ESTABLISHED)
		fa->established = true;
	if (ev->type == SYNACK_EV_DATA)
		FAIL("fdasync: a DATA event for a connection with a data socket");
}

static void fdasync_turn(struct synack *s)
{
	struct pollfd p = { .fd = synack_fd(s), .events = POLLIN };

	if (synack_want_write(s))
		p.events |= POLLOUT;
	poll(&p, 1, 100);
	if (synack_process(s) < 0)
		FAIL("fdasync: session died");
}

/*
 * Issue 12: synack_connect_fd_async() against the kernel's echo server: the
 * reply carries the data socket, bytes go both ways on it, no DATA event
 * comes, shutdown(SHUT_WR) is a FIN (the echo server answers with its own:
 * read 0), and synack_close_async() is answered.
 */
static int cmd_fdasync(const char *host, uint16_t port)
{
	struct synack *s = open_or_skip("rpc-fdasync");
	struct fdasync fa = { .fd = -1 };
	struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons(port) };
	char buf[64];
	size_t got = 0;
	int64_t end = now_ms() + 10000;
	ssize_t n;

	inet_pton(AF_INET, host, &remote.sin_addr);
	synack_set_event_cb(s, fdasync_event, &fa);
	if (synack_connect_fd_async(s, &remote, NULL, 5000, fdasync_connected, &fa) < 0)
		FAIL("fdasync: connect_fd_async");
	while ((!fa.replied || !fa.established) && now_ms() < end)
		fdasync_turn(s);
	if (fa.status < 0 || fa.fd < 0 || !fa.established)
		FAIL("fdasync: connect: %s, data socket %d", synack_strerror(fa.status), fa.fd);
	if (synack_conn_fd(s, fa.conn) != -EBADF && synack_conn_fd(s, fa.conn) != -ENOTSOCK)
		FAIL("fdasync: the library kept a data socket it gave away");
	if (write(fa.fd, "hello, data socket", 18) != 18 || shutdown(fa.fd, SHUT_WR) < 0)
		FAIL("fdasync: write: %s", strerror(errno));
	while (now_ms() < end) {
		n = recv(fa.fd, buf + got, sizeof(buf) - got, MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n > 0)
			got += (size_t)n;
		else
			fdasync_turn(s);
	}
	if (got != 18 || memcmp(buf, "hello, data socket", 18) != 0)
		FAIL("fdasync: the echo came back as %zu bytes", got);
	close(fa.fd);
	if (synack_close_async(s, fa.conn, fdasync_closed, &fa) < 0)
		FAIL("fdasync: close_async");
	while (!fa.closed_reply && now_ms() < end)
		fdasync_turn(s);
	if (!fa.closed_reply || (fa.status < 0 && fa.status != -EBADF))
		FAIL("fdasync: close: %s", synack_strerror(fa.status));
	printf("fdasync: the echo came back on the data socket, then EOF; Close answered\n");
	synack_free(s);
	return 0;
}

/* ------------------------------------------------------------------ proof */

struct pwait {
	bool done;
	int status;
	synack_conn conn;
	int fd;
	uint64_t value;
};

static void pwait_cb(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct pwait *w = ud;

	(void)s;
	w->done = true;
	w->status = status;
	w->fd = -1;
	if (status == 0 && res) {
		w->conn = res->conn;
		w->fd = res->fd;
		w->value = res->value;
	}
}

static void pwait_ignore(struct synack *s, const struct synack_event *ev, void *ud)
{
	(void)s;
	(void)ev;
	(void)ud;
}

/* Turn s until w is answered (5 s at most); its status. */
static int pwait_run(struct synack *s, struct pwait *w)
{
	int64_t end = now_ms() + 5000;

	while (!w->done && now_ms() < end) {
		struct pollfd p = { .fd = synack_fd(s), .events = POLLIN };

		if (synack_process(s) < 0)
			FAIL("proof: the session died");
		if (w->done)
			break;
		if (synack_want_write(s))
			p.events |= POLLOUT;
		poll(&p, 1, 50);
	}
	if (!w->done)
		FAIL("proof: no answer within 5 s");
	return w->status;
}

/* B sets NODELAY on A's connection c, showing proof (or not): the status. */
static int proof_setopt(struct synack *b, synack_conn c, int proof)
{
	struct pwait w = { 0 };

	if (proof >= 0 && synack_prove_next(b, proof) < 0)
		FAIL("proof: synack_prove_next");
	if (synack_setopt_async(b, c, SYNACK_OPT_NODELAY, 1, pwait_cb, &w) < 0)
		FAIL("proof: setopt_async");
	return pwait_run(b, &w);
}

/*
 * Request.fd_proof: only the holder of a detached connection's data socket
 * acts on it from another session. Session B cannot touch A's connection
 * without proof, nor with another socket as proof, nor a connection that is
 * not detached; with the right data socket it can (the option lands).
 */
static int cmd_proof(const char *host, uint16_t port)
{
	struct synack *a = open_or_skip("rpc-proof-a"), *b = open_or_skip("rpc-proof-b");
	struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct pwait w = { 0 }, w2 = { 0 }, g = { 0 };
	struct pollfd p;
	int sp[2], r;

	inet_pton(AF_INET, host, &remote.sin_addr);
	synack_set_event_cb(a, pwait_ignore, NULL);
	synack_set_event_cb(b, pwait_ignore, NULL);
	if (synack_connect_detached_async(a, &remote, NULL, 5000, pwait_cb, &w) < 0 ||
	    pwait_run(a, &w) < 0 || w.fd < 0)
		FAIL("proof: detached connect: %s", synack_strerror(w.status));
	p = (struct pollfd){ .fd = w.fd, .events = POLLOUT };
	for (int i = 0; i < 100 && poll(&p, 1, 0) == 0; i++)
		synack_process(a), poll(&p, 1, 50);
	if (!(p.revents & POLLOUT))
		FAIL("proof: the detached connection's data socket never turned writable");
	r = proof_setopt(b, w.conn, -1);
	if (r != -EBADF)
		FAIL("proof: another session's connection without proof: %s", synack_strerror(r));
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) < 0)
		FAIL("proof: socketpair");
	r = proof_setopt(b, w.conn, sp[0]);
	if (r != -EBADF)
		FAIL("proof: a socket that is not its data socket: %s", synack_strerror(r));
	r = proof_setopt(b, w.conn, w.fd);
	if (r != 0)
		FAIL("proof: its own data socket as proof: %s", synack_strerror(r));
	if (synack_getopt_async(a, w.conn, SYNACK_OPT_NODELAY, pwait_cb, &g) < 0 ||
	    pwait_run(a, &g) < 0 || g.value != 1)
		FAIL("proof: the option did not reach the connection");
	/* a connection that is not detached is its session's alone */
	if (synack_connect_fd_async(a, &remote, NULL, 5000, pwait_cb, &w2) < 0 ||
	    pwait_run(a, &w2) < 0 || w2.fd < 0)
		FAIL("proof: connect with a data socket: %s", synack_strerror(w2.status));
	r = proof_setopt(b, w2.conn, w2.fd);
	if (r != -EBADF)
		FAIL("proof: a connection that is not detached: %s", synack_strerror(r));
	printf("proof: no proof, a wrong socket and a non-detached connection get EBADF; "
	       "the data socket itself works\n");
	close(sp[0]);
	close(sp[1]);
	close(w.fd);
	close(w2.fd);
	synack_free(b);
	synack_free(a);
	return 0;
}

/* ------------------------------------------------------------------ urgent */

struct urgent_state {
	char got[64];
	size_t len;
	long mark; /* where an URGENT event put the urgent byte in got, -1 none */
	bool ended;
};

static void urgent_event(struct synack *s, const struct synack_event *ev, void *ud)
{
	struct urgent_state *u = ud;

	(void)s;
	if (ev->type == SYNACK_EV_URGENT)
		u->mark = (long)(u->len + ev->len);
	else if (ev->type == SYNACK_EV_DATA && u->len + ev->len <= sizeof(u->got)) {
		memcpy(u->got + u->len, ev->data, ev->len);
		u->len += ev->len;
	} else if (ev->type == SYNACK_EV_PEER_CLOSED || ev->type == SYNACK_EV_RESET ||
		   ev->type == SYNACK_EV_ERROR) {
		u->ended = true;
	}
}

/*
 * MUST-30/31 on the Send/Data path: a peer that sends "abc", "X" urgent, "def"
 * gets an URGENT event that puts the mark on the X, and the bytes in order.
 */
static int cmd_urgent(const char *host, uint16_t port)
{
	struct synack *s = open_or_skip("rpc-urgent");
	struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct urgent_state u = { .mark = -1 };
	struct pwait w = { 0 };
	int64_t end = now_ms() + 10000;

	inet_pton(AF_INET, host, &remote.sin_addr);
	synack_set_event_cb(s, urgent_event, &u);
	if (synack_connect_async(s, &remote, NULL, 5000, 65536, pwait_cb, &w) < 0 ||
	    pwait_run(s, &w) < 0)
		FAIL("urgent: connect: %s", synack_strerror(w.status));
	while (!u.ended && now_ms() < end) {
		struct pollfd p = { .fd = synack_fd(s), .events = POLLIN };

		if (synack_process(s) < 0)
			FAIL("urgent: the session died");
		poll(&p, 1, 50);
	}
	if (u.len != 7 || memcmp(u.got, "abcXdef", 7) != 0)
		FAIL("urgent: got '%.*s'", (int)u.len, u.got);
	if (u.mark != 3)
		FAIL("urgent: the URGENT event put the mark at %ld, not on the X (3)", u.mark);
	printf("urgent: abcXdef in order, the mark on the X\n");
	synack_free(s);
	return 0;
}

/* Descriptors this process has open. */
static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		FAIL("opendir /proc/self/fd: %s", strerror(errno));
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own */
}

/* One echo through c's data socket with a tag only it sends. */
static void fdlimit_echo(struct synack *s, synack_conn c, int tag)
{
	char want[32], got[32];
	int fd = synack_conn_fd(s, c), n = snprintf(want, sizeof(want), "conn %d", tag);

	if (fd < 0)
		FAIL("fdlimit: connection %d has no data socket", tag);
	if (synack_send(s, c, want, (size_t)n) != n || synack_recv(s, c, got, sizeof(got)) != n ||
	    memcmp(want, got, (size_t)n) != 0)
		FAIL("fdlimit: connection %d's echo came back wrong", tag);
}

/*
 * At RLIMIT_NOFILE the kernel drops a data socket passed with SCM_RIGHTS
 * (MSG_CTRUNC, no control data). The connect it belonged to must fail with
 * EMFILE (and the daemon's connection be aborted), not EPROTO, and no later
 * connection may take another's socket: each echo carries its own tag.
 */
static int cmd_fdlimit(const char *host, uint16_t port)
{
	struct synack *s = open_or_skip("rpc-fdlimit");
	struct rlimit rl, was;
	synack_conn c[3];
	int r;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		FAIL("getrlimit: %s", strerror(errno));
	was = rl;
	/* room for two data sockets, not a third */
	rl.rlim_cur = (rlim_t)open_fds() + 2;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		FAIL("setrlimit: %s", strerror(errno));
	for (int i = 0; i < 2; i++) {
		r = synack_connect(s, host, port, 5000, &c[i]);
		if (r < 0)
			FAIL("fdlimit: connection %d: %s", i, synack_strerror(r));
		fdlimit_echo(s, c[i], i);
	}
	r = synack_connect(s, host, port, 5000, &c[2]);
	if (r != -EMFILE)
		FAIL("fdlimit: a connect whose data socket was dropped at RLIMIT_NOFILE: "
		     "expected EMFILE, got %s",
		     r == 0 ? "success" : synack_strerror(r));
	printf("fdlimit: the 3rd connect at RLIMIT_NOFILE got EMFILE\n");
	/* room again: the session goes on, each connection with its own socket */
	synack_close(s, c[0]);
	r = synack_connect(s, host, port, 5000, &c[0]);
	if (r < 0)
		FAIL("fdlimit: connect after a close: %s", synack_strerror(r));
	fdlimit_echo(s, c[0], 3);
	fdlimit_echo(s, c[1], 1);
	printf("fdlimit: after a close the session goes on, each echo on its own socket\n");
	/* a dup() of the data socket must not hold back the Close (EOF) */
	if (setrlimit(RLIMIT_NOFILE, &was) < 0)
		FAIL("setrlimit: %s", strerror(errno));
	r = dup(synack_conn_fd(s, c[1]));
	if (r < 0)
		FAIL("fdlimit: dup: %s", strerror(errno));
	if (synack_close(s, c[1]) < 0)
		FAIL("fdlimit: close with a dup of its data socket held");
	close(r);
	printf("fdlimit: a close returns while a dup of the data socket is still open\n");
	synack_free(s);
	return 0;
}

/* ------------------------------------------------------------------ limits and errors */

/*
 * With limits.conns_per_client = 4 and limits.max_clients = 3 (test-limits.sh):
 * the 5th connection gets EMFILE, a 4th session is refused, a closed port
 * gives ECONNREFUSED and a silent address times out within timeout_ms.
 */
static int cmd_limits(const char *host, uint16_t port)
{
	struct synack *s = open_or_skip("rpc-limits"), *more[3] = { 0 };
	synack_conn c[5];
	int64_t t0;
	int r;

	for (int i = 0; i < 4; i++) {
		r = synack_connect(s, host, port, 5000, &c[i]);
		if (r < 0)
			FAIL("connection %d: %s", i, synack_strerror(r));
	}
	r = synack_connect(s, host, port, 5000, &c[4]);
	if (r != -EMFILE)
		FAIL("5th connection: expected EMFILE, got %s", synack_strerror(r));
	printf("limits: 5th connection refused: %s\n", synack_strerror(r));
	synack_close(s, c[3]);
	/* the slot comes back once the daemon has released the connection */
	for (int i = 0; i < 50; i++) {
		r = synack_connect(s, host, port, 5000, &c[3]);
		if (r != -EMFILE)
			break;
		usleep(100000);
	}
	if (r < 0)
		FAIL("connection after a close: %s", synack_strerror(r));
	printf("limits: a closed connection frees its slot\n");

	r = synack_open(NULL, "second", &more[0]);
	if (r == 0)
		r = synack_open(NULL, "third", &more[1]);
	if (r < 0)
		FAIL("sessions 2 and 3: %s", synack_strerror(r));
	r = synack_open(NULL, "fourth", &more[2]);
	if (r != -EUSERS)
		FAIL("4th session with max_clients 3: expected EUSERS, got %s",
		     r == 0 ? "success" : synack_strerror(r));
	printf("limits: 4th session refused: %s\n", synack_strerror(r));
	synack_free(more[0]);
	synack_free(more[1]);

	for (int i = 0; i < 4; i++)
		synack_close(s, c[i]);
	r = synack_connect(s, host, 9, 5000, &c[0]);
	if (r != -ECONNREFUSED)
		FAIL("closed port: expected ECONNREFUSED, got %s", synack_strerror(r));
	printf("limits: closed port: %s\n", synack_strerror(r));
	t0 = now_ms();
	r = synack_connect(s, "10.77.0.99", 80, 700, &c[0]);
	if (r != -ETIMEDOUT && r != -EHOSTUNREACH)
		FAIL("silent address: expected ETIMEDOUT, got %s", synack_strerror(r));
	if (now_ms() - t0 > 5000)
		FAIL("silent address: the 700 ms timeout took %lld ms", (long long)(now_ms() - t0));
	printf("limits: silent address: %s after %lld ms\n", synack_strerror(r),
	       (long long)(now_ms() - t0));
	synack_free(s);
	return 0;
}

/* ------------------------------------------------------------------ close first */

#define CF_PORTS    3
#define CF_WARMUP   8192 /* touches every slot and history ring before measuring */
#define CF_INFLIGHT 256

struct closefirst {
	struct synack *s;
	unsigned n, started, connected, closed, inflight, failed;
	int first_err;
	int ep;
	unsigned kaccepted, kclosed;
};

static void cf_closed(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct closefirst *cf = ud;

	cf->inflight--;
	if (status < 0) {
		if (!cf->failed++)
			cf->first_err = status;
		return;
	}
	cf->closed++;
}

static void cf_connected(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct closefirst *cf = ud;

	if (status < 0) {
		cf->inflight--;
		if (!cf->failed++)
			cf->first_err = status;
		return;
	}
}

static void cf_event(struct synack *s, const struct synack_event *ev, void *ud)
{
	struct closefirst *cf = ud;

	if (ev->type == SYNACK_EV_ESTABLISHED) {
		cf->connected++;
		/* we close first: our FIN, their FIN, our TIME-WAIT */
		if (synack_close_async(s, ev->conn, cf_closed, cf) < 0)
			FAIL("close_async");
	} else if (ev->type == SYNACK_EV_RESET || ev->type == SYNACK_EV_ERROR) {
		cf->inflight--;
		if (!cf->failed++)
			cf->first_err = ev->err;
	}
}

/* The kernel side: accept, read to the end, close (so synack closed first). */
static void cf_kernel(struct closefirst *cf, const int *lfd)
{
	struct epoll_event evs[256];
	int n = epoll_wait(cf->ep, evs, 256, 0);
	char buf[256];

	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		bool listener = false;

		for (int k = 0; k < CF_PORTS; k++)
			listener |= fd == lfd[k];
		if (listener) {
			int c;

			while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				struct epoll_event e = { .events = EPOLLIN | EPOLLRDHUP,
							 .data.fd = c };

				if (epoll_ctl(cf->ep, EPOLL_CTL_ADD, c, &e) < 0)
					FAIL("epoll_ctl: %s", strerror(errno));
				cf->kaccepted++;
			}
			continue;
		}
		ssize_t r = recv(fd, buf, sizeof(buf), 0);

		if (r > 0 || (r < 0 && errno == EAGAIN))
			continue;
		close(fd);
		cf->kclosed++;
	}
}

static int cf_listen(const char *host, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	inet_pton(AF_INET, host, &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 4096) < 0)
		FAIL("kernel listener %s:%u: %s", host, port, strerror(errno));
	return fd;
}

static void cf_run(struct closefirst *cf, const int *lfd, int ms)
{
	struct pollfd p[2] = { { .fd = synack_fd(cf->s), .events = POLLIN },
			       { .fd = cf->ep, .events = POLLIN } };

	if (synack_want_write(cf->s))
		p[0].events |= POLLOUT;
	poll(p, 2, ms);
	if (synack_process(cf->s) < 0)
		FAIL("session died");
	cf_kernel(cf, lfd);
}

/* Open and close first n more connections; returns the milliseconds it took. */
static int64_t cf_phase(struct closefirst *cf, const char *host, uint16_t port, const int *lfd,
			unsigned n)
{
	int64_t t0 = now_ms(), deadline = t0 + 100000;

	cf->n += n;
	while (cf->closed + cf->failed < cf->n || cf->kclosed < cf->kaccepted ||
	       cf->kclosed < cf->closed) {
		while (cf->started < cf->n && cf->inflight < CF_INFLIGHT) {
			struct sockaddr_in remote = { .sin_family = AF_INET };

			remote.sin_port = htons((uint16_t)(port + cf->started % CF_PORTS));
			inet_pton(AF_INET, host, &remote.sin_addr);
			if (synack_connect_async(cf->s, &remote, NULL, 10000, 0, cf_connected, cf) <
			    0)
				FAIL("connect_async");
			cf->started++;
			cf->inflight++;
		}
		if (cf->failed)
			FAIL("connection %u failed: %s (%u closed first before it)",
			     cf->closed + cf->failed, synack_strerror(cf->first_err), cf->closed);
		if (now_ms() > deadline)
			FAIL("timeout: %u of %u closed, kernel accepted %u, closed %u", cf->closed,
			     cf->n, cf->kaccepted, cf->kclosed);
		cf_run(cf, lfd, 100);
	}
	/* the last FINs from the kernel reach synackd: let it settle */
	for (int i = 0; i < 5; i++)
		cf_run(cf, lfd, 100);
	return now_ms() - t0;
}

static int cmd_closefirst(const char *host, uint16_t port, unsigned n, pid_t daemon_pid)
{
	struct closefirst cf = { 0 };
	int lfd[CF_PORTS];
	long rss0, rss1;
	int64_t ms;
	double per;

	cf.ep = epoll_create1(0);
	for (int i = 0; i < CF_PORTS; i++) {
		struct epoll_event e = { .events = EPOLLIN };

		lfd[i] = cf_listen(host, (uint16_t)(port + i));
		e.data.fd = lfd[i];
		epoll_ctl(cf.ep, EPOLL_CTL_ADD, lfd[i], &e);
	}
	cf.s = open_or_skip("rpc-closefirst");
	synack_set_event_cb(cf.s, cf_event, &cf);
	cf_phase(&cf, host, port, lfd, CF_WARMUP);
	rss0 = rss_kib(daemon_pid);
	ms = cf_phase(&cf, host, port, lfd, n);
	rss1 = rss_kib(daemon_pid);
	per = (double)(rss1 - rss0) * 1024 / n;
	printf("closefirst: %u + %u connections opened and closed first; the %u in %.1f s "
	       "(%.0f/s), %u failed\n",
	       CF_WARMUP, n, n, ms / 1000.0, n * 1000.0 / (double)(ms ? ms : 1), cf.failed);
	printf("closefirst: synackd RSS %ld -> %ld KiB: %.0f bytes per TIME-WAIT entry measured; "
	       "record %zu bytes, %zu with its share of the table (static)\n",
	       rss0, rss1, per, sizeof(struct tcp_tw), (size_t)TCP_TW_BYTES_PER_ENTRY);
	if (rss_checked() && per > 512)
		FAIL("%.0f bytes of RSS per TIME-WAIT entry (bound: 512)", per);
	synack_free(cf.s);
	return 0;
}

/* ------------------------------------------------------------------ congestion */

static void cc_expect(struct synack *s, synack_conn c, const char *want)
{
	char name[16];
	int r = synack_get_congestion(s, c, name, sizeof(name));

	if (r < 0)
		FAIL("get congestion: %s", synack_strerror(r));
	if (strcmp(name, want) != 0)
		FAIL("congestion control is '%s', expected '%s'", name, want);
}

/* OPTION_CONGESTION through libsynack: default, set, refuse, read back; data still flows. */
static int cmd_congestion(const char *host, uint16_t port, const char *def)
{
	struct synack *s = open_or_skip("rpc-congestion");
	static char buf[100000], back[100000];
	synack_conn c;
	char tiny[4];
	size_t got = 0;
	int r;

	r = synack_connect(s, host, port, 5000, &c);
	if (r < 0)
		FAIL("connect: %s", synack_strerror(r));
	cc_expect(s, c, def);
	r = synack_set_congestion(s, c, "newreno");
	if (r < 0)
		FAIL("set newreno: %s", synack_strerror(r));
	cc_expect(s, c, "newreno");
	r = synack_set_congestion(s, c, "vegas");
	if (r != -EINVAL)
		FAIL("set vegas: expected EINVAL, got %s", r ? synack_strerror(r) : "success");
	cc_expect(s, c, "newreno");
	r = synack_get_congestion(s, c, tiny, sizeof(tiny));
	if (r != -ENAMETOOLONG)
		FAIL("a 4-byte buffer: expected ENAMETOOLONG, got %s", synack_strerror(r));
	r = synack_set_congestion(s, c, "cubic");
	if (r < 0)
		FAIL("set cubic: %s", synack_strerror(r));
	cc_expect(s, c, "cubic");
	/* the switch happened mid-connection: the echo still comes back whole */
	memset(buf, 'c', sizeof(buf));
	if (synack_send(s, c, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
		FAIL("send");
	while (got < sizeof(back)) {
		ssize_t n = synack_recv(s, c, back + got, sizeof(back) - got);

		if (n <= 0)
			FAIL("recv after %zu bytes: %s", got, n ? synack_strerror((int)n) : "EOF");
		got += (size_t)n;
	}
	if (memcmp(buf, back, sizeof(buf)) != 0)
		FAIL("the echo differs");
	printf("congestion: %s by default, newreno and cubic set, vegas refused (EINVAL), "
	       "%zu bytes echoed\n",
	       def, got);
	synack_close(s, c);
	synack_free(s);
	return 0;
}

/* ------------------------------------------------------------------ short */

#define SHORT_CONNS    50
#define SHORT_NONBLOCK 5 /* more, after the program made the session non-blocking */
#define SHORT_BULK     (1u << 20)

/*
 * churn HOST PORT N: N short connections one after another to one address
 * and port (connect with a byte, its echo, close first), so each leaves a
 * TIME-WAIT on our side. Past the 28232 ephemeral ports within 2 MSL, only
 * tcp.tw_reuse keeps connects from failing with EADDRNOTAVAIL.
 */
static int cmd_churn(const char *host, uint16_t port, unsigned n)
{
	struct synack *s = open_or_skip("rpc-churn");
	synack_conn c;
	int r;

	for (unsigned i = 0; i < n; i++) {
		char b = 'c';
		ssize_t got;

		r = synack_connect_data(s, host, port, &b, 1, 5000, &c);
		if (r < 0)
			FAIL("churn: connection %u of %u: %s", i + 1, n, synack_strerror(r));
		got = synack_recv(s, c, &b, 1);
		if (got != 1)
			FAIL("churn: connection %u: recv: %s", i + 1,
			     got < 0 ? synack_strerror((int)got) : "EOF");
		r = synack_close(s, c);
		if (r < 0)
			FAIL("churn: connection %u: close: %s", i + 1, synack_strerror(r));
	}
	synack_free(s);
	printf("churn: %u connections to one port, none refused\n", n);
	return 0;
}

/*
 * Short connections (issue 11): synack_connect_data() hands the first bytes
 * over with the connect and synack_close() returns without waiting for the
 * daemon. SHORT_CONNS request/response connections in a row against the
 * kernel's echo, with limits.conns_per_client 2 (test-short-conns.sh): none
 * is refused (a closed connection's slot is free for the next connect) and
 * every echo comes back whole. Then SHORT_BULK bytes of first data to the
 * kernel's sink, closed, the session freed and the process gone at once:
 * the daemon still sends every byte (the sink checks them).
 */
static int cmd_short(const char *host, uint16_t echo_port, uint16_t sink_port)
{
	struct synack *s = open_or_skip("rpc-short");
	uint8_t *bulk = malloc(SHORT_BULK);
	synack_conn c;
	int r;

	if (!bulk)
		FAIL("out of memory");
	for (int i = 0; i < SHORT_CONNS + SHORT_NONBLOCK; i++) {
		char req[32], back[32];
		size_t len = (size_t)snprintf(req, sizeof(req), "request %d", i), got = 0;

		/* the last few after the program made the session's socket
		 * non-blocking, as an event loop's poll handle would: the blocking
		 * calls must work either way */
		if (i == SHORT_CONNS &&
		    fcntl(synack_fd(s), F_SETFL, fcntl(synack_fd(s), F_GETFL) | O_NONBLOCK) < 0)
			FAIL("O_NONBLOCK on the session: %s", strerror(errno));

		r = synack_connect_data(s, host, echo_port, req, len, 5000, &c);
		if (r < 0)
			FAIL("short connection %d: %s", i, synack_strerror(r));
		while (got < len) {
			ssize_t n = synack_recv(s, c, back + got, len - got);

			if (n <= 0)
				FAIL("short connection %d: recv: %s", i,
				     n ? synack_strerror((int)n) : "EOF");
			got += (size_t)n;
		}
		if (memcmp(req, back, len) != 0)
			FAIL("short connection %d: the echo differs", i);
		r = synack_close(s, c);
		if (r < 0)
			FAIL("short connection %d: close: %s", i, synack_strerror(r));
	}
	printf("short: %d connections with first data, each echoed whole, none refused "
	       "(the last %d with the session's socket non-blocking)\n",
	       SHORT_CONNS + SHORT_NONBLOCK, SHORT_NONBLOCK);
	for (uint64_t off = 0; off < SHORT_BULK; off++)
		bulk[off] = pattern(7, off);
	r = synack_connect_data(s, host, sink_port, bulk, SHORT_BULK, 5000, &c);
	if (r < 0)
		FAIL("bulk first data: %s", synack_strerror(r));
	r = synack_close(s, c);
	if (r < 0)
		FAIL("bulk close: %s", synack_strerror(r));
	synack_free(s);
	free(bulk);
	printf("short: %u bytes of first data sent, closed, session gone\n", SHORT_BULK);
	return 0;
}

/*
 * reconnect HOST PORT N: N connections one after another, each closed as
 * soon as it is established, with limits.conns_per_client 1
 * (test-reconnect.sh): the Close (not waited for) and the Connect behind it
 * reach synackd together, so the first must let the connection go before
 * the second is counted. The closed connection's data-socket end lingers
 * until the write holding its Closed event is done; synackd closed it when
 * that write's callback ran, a loop turn later, so the Connect read with the
 * Close found the session's descriptors taken: the second connection was
 * refused.
 */
static int cmd_reconnect(const char *host, uint16_t port, unsigned n)
{
	struct synack *s = open_or_skip("rpc-reconnect");
	synack_conn c;
	int r;

	for (unsigned i = 0; i < n; i++) {
		r = synack_connect(s, host, port, 5000, &c);
		if (r < 0)
			FAIL("reconnect: connection %u of %u: %s", i + 1, n, synack_strerror(r));
		r = synack_close(s, c);
		if (r < 0)
			FAIL("reconnect: connection %u: close: %s", i + 1, synack_strerror(r));
	}
	synack_free(s);
	printf("reconnect: %u connections, each closed at once, none refused\n", n);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && strcmp(argv[1], "reconnect") == 0)
		return cmd_reconnect(argv[2], (uint16_t)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (argc == 6 && strcmp(argv[1], "many") == 0)
		return cmd_many(argv[2], (uint16_t)atoi(argv[3]), (unsigned)atoi(argv[4]),
				strtoull(argv[5], NULL, 10));
	if (argc == 2 && strcmp(argv[1], "probe") == 0) {
		synack_free(open_or_skip("rpc-probe"));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "fdlimit") == 0)
		return cmd_fdlimit(argv[2], (uint16_t)atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "urgent") == 0)
		return cmd_urgent(argv[2], (uint16_t)atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "proof") == 0)
		return cmd_proof(argv[2], (uint16_t)atoi(argv[3]));
	if (argc == 4 && strcmp(argv[1], "fdasync") == 0)
		return cmd_fdasync(argv[2], (uint16_t)atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "churn") == 0)
		return cmd_churn(argv[2], (uint16_t)atoi(argv[3]),
				 (unsigned)strtoul(argv[4], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "short") == 0)
		return cmd_short(argv[2], (uint16_t)atoi(argv[3]), (uint16_t)atoi(argv[4]));
	if (argc == 4 && strcmp(argv[1], "limits") == 0)
		return cmd_limits(argv[2], (uint16_t)atoi(argv[3]));
	if (argc == 2 && strcmp(argv[1], "raw") == 0)
		return cmd_raw();
	if (argc == 4 && strcmp(argv[1], "owner") == 0)
		return cmd_owner(argv[2], (uint16_t)atoi(argv[3]));
	if (argc == 6 && strcmp(argv[1], "timeouts") == 0)
		return cmd_timeouts(atoi(argv[2]), atoi(argv[3]), argv[4], (uint16_t)atoi(argv[5]));
	if (argc == 4 && strcmp(argv[1], "uidcaps") == 0)
		return cmd_uidcaps(argv[2], (uint16_t)atoi(argv[3]));
	if (argc == 5 && strcmp(argv[1], "uidorphans") == 0)
		return cmd_uidorphans(argv[2], (uint16_t)atoi(argv[3]), (unsigned)atoi(argv[4]));
	if (argc == 6 && strcmp(argv[1], "flood") == 0)
		return cmd_flood((unsigned)atoi(argv[2]), atoi(argv[3]), (pid_t)atoi(argv[4]),
				 atol(argv[5]));
	if (argc == 6 && strcmp(argv[1], "slow") == 0)
		return cmd_slow(argv[2], (uint16_t)atoi(argv[3]), (pid_t)atoi(argv[4]),
				strtoull(argv[5], NULL, 10));
	if (argc == 7 && (strcmp(argv[1], "mem") == 0 || strcmp(argv[1], "idle") == 0))
		return cmd_mem(argv[2], (uint16_t)atoi(argv[3]), (unsigned)atoi(argv[4]),
			       (pid_t)atoi(argv[5]), atol(argv[6]), strcmp(argv[1], "idle") == 0);
	if (argc == 6 && strcmp(argv[1], "closefirst") == 0)
		return cmd_closefirst(argv[2], (uint16_t)atoi(argv[3]), (unsigned)atoi(argv[4]),
				      (pid_t)atoi(argv[5]));
	if (argc == 5 && strcmp(argv[1], "congestion") == 0)
		return cmd_congestion(argv[2], (uint16_t)atoi(argv[3]), argv[4]);
	fprintf(stderr,
		"usage: rpc-client "
		"many|probe|limits|raw|owner|timeouts|uidcaps|uidorphans|flood|slow|"
		"mem|idle|closefirst|congestion|fdasync|fdlimit|short|churn|reconnect ...\n");
	return 2;
}
