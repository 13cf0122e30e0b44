/* SPDX-License-Identifier: MIT */
/*
 * test-libsynack.c - libsynack's core against a scripted fake synackd on a
 * Unix socket (a thread): the Hello exchange, the socket path rules, replies
 * matched to callbacks, the "exactly once" callback rule when the daemon goes
 * away or the session is freed (also from inside a callback), errno mapping,
 * and the blocking API's buffering with credit granted back as it reads.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame.h"
#include "synack.h"
#include "synack.pb-c.h"

/* ------------------------------------------------------------------ fake daemon */

enum fake_script {
	FAKE_REPLY_ALL,	     /* answer every request: OK, or ECONNREFUSED for Connect */
	FAKE_HANG_UP,	     /* hello, then close after the first request arrives */
	FAKE_BAD_VERSION,    /* hello with version 99 */
	FAKE_SILENT,	     /* hello, then read requests and answer nothing */
	FAKE_DATA_AND_CREDIT /* hello; Connect -> 7 + Established + 200 KiB Data; count credit */
};

struct fake {
	char dir[64], path[128];
	int lfd;
	pthread_t thread;
	enum fake_script script;
	uint64_t credit_granted; /* FAKE_DATA_AND_CREDIT: sum of Credit requests */
	unsigned requests;
};

static void fake_send(int fd, const ProtobufCMessage *m)
{
	uint8_t *buf;
	size_t len;

	assert_int_equal(frame_pack(m, FRAME_MAX_LIMIT, &buf, &len), 0);
	/* the client may be gone already (that is what some tests are about) */
	if (send(fd, buf, len, MSG_NOSIGNAL) != (ssize_t)len)
		fprintf(stderr, "fake daemon: client gone\n");
	free(buf);
}

static void fake_hello_reply(int fd, uint32_t version)
{
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;
	Synack__V1__HelloReply h = SYNACK__V1__HELLO_REPLY__INIT;
	Synack__V1__Status st = SYNACK__V1__STATUS__INIT;

	h.status = &st;
	h.version = version;
	h.max_frame = 1 << 20;
	h.session = 42;
	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_HELLO;
	m.hello = &h;
	fake_send(fd, &m.base);
}

static void fake_reply(int fd, uint64_t id, int code, uint64_t conn)
{
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;
	Synack__V1__Reply rp = SYNACK__V1__REPLY__INIT;
	Synack__V1__Status st = SYNACK__V1__STATUS__INIT;
	Synack__V1__ConnectResult cr = SYNACK__V1__CONNECT_RESULT__INIT;

	st.code = code;
	st.message = "";
	rp.id = id;
	rp.status = &st;
	if (conn) {
		cr.conn = conn;
		rp.result_case = SYNACK__V1__REPLY__RESULT_CONNECT;
		rp.connect = &cr;
	}
	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_REPLY;
	m.reply = &rp;
	fake_send(fd, &m.base);
}

static void fake_event(int fd, uint64_t conn, Synack__V1__Event__EvCase kind, const uint8_t *data,
		       size_t len)
{
	Synack__V1__ServerMessage m = SYNACK__V1__SERVER_MESSAGE__INIT;
	Synack__V1__Event ev = SYNACK__V1__EVENT__INIT;
	Synack__V1__Established es = SYNACK__V1__ESTABLISHED__INIT;
	Synack__V1__Data d = SYNACK__V1__DATA__INIT;

	ev.conn = conn;
	ev.ev_case = kind;
	if (kind == SYNACK__V1__EVENT__EV_ESTABLISHED) {
		ev.established = &es;
	} else {
		d.data.data = (uint8_t *)data;
		d.data.len = len;
		ev.data = &d;
	}
	m.msg_case = SYNACK__V1__SERVER_MESSAGE__MSG_EVENT;
	m.event = &ev;
	fake_send(fd, &m.base);
}

/* Give the client what it asked for, per script; false to hang up. */
static bool fake_handle(struct fake *f, int fd, Synack__V1__ClientMessage *cm)
{
	static uint8_t data[200 * 1024];
	Synack__V1__Request *rq = cm->request;

	if (cm->msg_case == SYNACK__V1__CLIENT_MESSAGE__MSG_HELLO) {
		fake_hello_reply(fd, f->script == FAKE_BAD_VERSION ? 99 : SYNACK_PROTOCOL_VERSION);
		return true;
	}
	f->requests++;
	switch (f->script) {
	case FAKE_HANG_UP:
		return false;
	case FAKE_SILENT:
		return true;
	case FAKE_DATA_AND_CREDIT:
		if (rq->op_case == SYNACK__V1__REQUEST__OP_CONNECT) {
			assert_int_equal(rq->connect->initial_credit, SYNACK_RECV_WINDOW);
			fake_reply(fd, rq->id, 0, 7);
			fake_event(fd, 7, SYNACK__V1__EVENT__EV_ESTABLISHED, NULL, 0);
			for (size_t i = 0; i < sizeof(data); i++)
				data[i] = (uint8_t)i;
			fake_event(fd, 7, SYNACK__V1__EVENT__EV_DATA, data, sizeof(data));
			return true;
		}
		if (rq->op_case == SYNACK__V1__REQUEST__OP_CREDIT)
			f->credit_granted += rq->credit->bytes;
		fake_reply(fd, rq->id, 0, 0);
		return true;
	default:
		fake_reply(fd, rq->id,
			   rq->op_case == SYNACK__V1__REQUEST__OP_CONNECT ? ECONNREFUSED : 0, 0);
		return true;
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	struct frame_decoder d;
	uint8_t buf[65536];
	int fd = accept(f->lfd, NULL, NULL);
	bool go = fd >= 0;

	frame_decoder_init(&d, FRAME_MAX_LIMIT);
	while (go) {
		ssize_t n = read(fd, buf, sizeof(buf));
		const uint8_t *in = buf, *fr;
		size_t in_len, flen;

		if (n <= 0)
			break;
		in_len = (size_t)n;
		while (go && frame_decoder_next(&d, &in, &in_len, &fr, &flen) == 1) {
			Synack__V1__ClientMessage *cm =
				synack__v1__client_message__unpack(NULL, flen, fr);

			go = cm && fake_handle(f, fd, cm);
			synack__v1__client_message__free_unpacked(cm, NULL);
		}
	}
	frame_decoder_deinit(&d);
	if (fd >= 0)
		close(fd);
	return NULL;
}

static void fake_start(struct fake *f, enum fake_script script)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->script = script;
	strcpy(f->dir, "/tmp/test-libsynack.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
	strcpy(sun.sun_path, f->path);
	f->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(f->lfd, 4), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/* ------------------------------------------------------------------ helpers */

struct counted {
	unsigned calls;
	int status;
	uint64_t conn;
};

static void counted_cb(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	struct counted *c = ud;

	c->calls++;
	c->status = status;
	if (res)
		c->conn = res->conn;
}

/* Process until cond holds or 5 s pass. */
#define PROCESS_UNTIL(s, cond)                                                       \
	do {                                                                         \
		for (int i_ = 0; i_ < 500 && !(cond); i_++) {                        \
			struct pollfd p_ = { .fd = synack_fd(s), .events = POLLIN }; \
			poll(&p_, 1, 10);                                            \
			if (synack_process(s) < 0)                                   \
				break;                                               \
		}                                                                    \
	} while (0)

static const struct sockaddr_in remote = { .sin_family = AF_INET, .sin_port = 0x5000 };

/* ------------------------------------------------------------------ tests */

static void test_open_and_path_rules(void **state)
{
	struct fake f;
	struct synack *s;

	fake_start(&f, FAKE_REPLY_ALL);
	setenv("SYNACK_SOCKET", f.path, 1);
	/* the argument wins over the environment */
	assert_int_equal(synack_open("/nonexistent/sock", "t", &s), -ENOENT);
	/* then the environment */
	assert_int_equal(synack_open(NULL, "t", &s), 0);
	assert_int_equal(synack_session_id(s), 42);
	synack_free(s);
	unsetenv("SYNACK_SOCKET");
	fake_stop(&f);
	/* then the default, which does not exist in the test environment or is not ours */
	assert_true(synack_open("", "t", &s) < 0 || (synack_free(s), 1));
}

static void test_version_mismatch(void **state)
{
	struct fake f;
	struct synack *s = NULL;

	fake_start(&f, FAKE_BAD_VERSION);
	assert_int_equal(synack_open(f.path, "t", &s), -EPROTONOSUPPORT);
	assert_null(s);
	fake_stop(&f);
}

static void test_reply_status_mapping(void **state)
{
	struct counted a = { 0 }, b = { 0 };
	struct fake f;
	struct synack *s;

	fake_start(&f, FAKE_REPLY_ALL);
	assert_int_equal(synack_open(f.path, "t", &s), 0);
	assert_int_equal(synack_connect_async(s, &remote, NULL, 0, 0, counted_cb, &a), 0);
	assert_int_equal(synack_shutdown_async(s, 5, counted_cb, &b), 0);
	PROCESS_UNTIL(s, a.calls && b.calls);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.status, -ECONNREFUSED);
	assert_int_equal(b.calls, 1);
	assert_int_equal(b.status, 0);
	assert_string_equal(synack_strerror(a.status), "connection refused");
	assert_string_equal(synack_err_name(a.status), "ECONNREFUSED");
	/* a call that fails at once never runs its callback */
	assert_int_equal(synack_setopt_async(s, 5, (enum synack_option)99, 1, counted_cb, &b),
			 -ENOPROTOOPT);
	assert_int_equal(b.calls, 1);
	synack_free(s);
	fake_stop(&f);
}

static void test_daemon_goes_away(void **state)
{
	struct counted a = { 0 }, b = { 0 }, c = { 0 };
	struct fake f;
	struct synack *s;

	fake_start(&f, FAKE_HANG_UP);
	assert_int_equal(synack_open(f.path, "t", &s), 0);
	assert_int_equal(synack_close_async(s, 1, counted_cb, &a), 0);
	assert_int_equal(synack_close_async(s, 2, counted_cb, &b), 0);
	PROCESS_UNTIL(s, a.calls && b.calls);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(a.status, -ECONNRESET);
	assert_int_equal(synack_process(s), -ECONNRESET);
	/* the session is dead: calls fail, their callbacks never run */
	assert_int_equal(synack_close_async(s, 3, counted_cb, &c), -ECONNRESET);
	synack_free(s);
	assert_int_equal(a.calls + b.calls + c.calls, 2);
	fake_stop(&f);
}

static void test_free_cancels_pending(void **state)
{
	struct counted a = { 0 };
	struct fake f;
	struct synack *s;

	fake_start(&f, FAKE_SILENT);
	assert_int_equal(synack_open(f.path, "t", &s), 0);
	assert_int_equal(synack_abort_async(s, 1, counted_cb, &a), 0);
	synack_free(s);
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.status, -ECANCELED);
	fake_stop(&f);
}

static void free_in_cb(struct synack *s, int status, const struct synack_result *res, void *ud)
{
	(*(unsigned *)ud)++;
	synack_free(s);
}

static void test_free_from_callback(void **state)
{
	unsigned calls = 0;
	struct counted later = { 0 };
	struct fake f;
	struct synack *s;

	fake_start(&f, FAKE_REPLY_ALL);
	assert_int_equal(synack_open(f.path, "t", &s), 0);
	assert_int_equal(synack_shutdown_async(s, 1, free_in_cb, &calls), 0);
	assert_int_equal(synack_shutdown_async(s, 2, counted_cb, &later), 0);
	for (int i = 0; i < 500 && calls == 0; i++) {
		struct pollfd p = { .fd = synack_fd(s), .events = POLLIN };

		poll(&p, 1, 10);
		if (synack_process(s) == -ECANCELED)
			break; /* freed: s is gone */
	}
	assert_int_equal(calls, 1);
	/* the second reply may or may not have been read: either way exactly once */
	assert_int_equal(later.calls, 1);
	fake_stop(&f);
}

static void test_blocking_recv_grants_credit(void **state)
{
	struct fake f;
	struct synack *s;
	synack_conn c;
	uint8_t buf[8192];
	size_t total = 0;

	fake_start(&f, FAKE_DATA_AND_CREDIT);
	assert_int_equal(synack_open(f.path, "t", &s), 0);
	assert_int_equal(synack_connect(s, "10.0.0.1", 80, 0, &c), 0);
	assert_int_equal(c, 7);
	while (total < 200 * 1024) {
		ssize_t n = synack_recv(s, c, buf, sizeof(buf));

		assert_true(n > 0);
		for (ssize_t i = 0; i < n; i++)
			assert_int_equal(buf[i], (uint8_t)(total + (size_t)i));
		total += (size_t)n;
	}
	assert_int_equal(synack_recv_nowait(s, c, buf, sizeof(buf)), -EAGAIN);
	/* a round trip so every credit grant has reached the fake daemon */
	assert_int_equal(synack_shutdown(s, c), 0);
	assert_true(f.credit_granted >= 3 * (SYNACK_RECV_WINDOW / 4));
	assert_true(f.credit_granted <= total);
	synack_free(s);
	fake_stop(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_and_path_rules),
		cmocka_unit_test(test_version_mismatch),
		cmocka_unit_test(test_reply_status_mapping),
		cmocka_unit_test(test_daemon_goes_away),
		cmocka_unit_test(test_free_cancels_pending),
		cmocka_unit_test(test_free_from_callback),
		cmocka_unit_test(test_blocking_recv_grants_credit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
