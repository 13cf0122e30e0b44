/* SPDX-License-Identifier: MIT */
/*
 * test-ctl-handlers.c - synackd's control handlers (daemon/control/ctl_handlers.c)
 * driven in memory (tests/fuzz/targets/ctl-world.h): the connection list
 * past its first allocation, as a reader; the message of a failed kill; a
 * reload's reply, refused and applied.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctl-world.h"
#include "frame.h"
#include "stack_info.h"
#include "status.h"

/* A request packed as synackctl sends it. */
static void request(struct ctl_world *w, Synack__V1__ControlRequest *rq)
{
	size_t len = protobuf_c_message_get_packed_size(&rq->base);
	uint8_t *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	protobuf_c_message_pack(&rq->base, buf);
	assert_int_equal(ctl_world_request(w, buf, len), 0);
	free(buf);
}

/* The last reply, unpacked (free with protobuf_c_message_free_unpacked). */
static Synack__V1__ControlReply *last_reply(struct ctl_world *w,
					    Synack__V1__ControlServerMessage **ret_m)
{
	Synack__V1__ControlServerMessage *m;

	assert_non_null(w->last);
	m = synack__v1__control_server_message__unpack(NULL, w->last_len - FRAME_HEADER_SIZE,
						       w->last + FRAME_HEADER_SIZE);
	assert_non_null(m);
	assert_int_equal(m->msg_case, SYNACK__V1__CONTROL_SERVER_MESSAGE__MSG_REPLY);
	*ret_m = m;
	return m->reply;
}

static int count_conn(void *ctx, stack_sock sock, const struct stack_tcp_info *info)
{
	(*(size_t *)ctx)++;
	return 0;
}

static uint32_t addr_of(const Synack__V1__Endpoint *e)
{
	const uint8_t *a = e->addr.data;

	return e->addr.len == 4 ? (uint32_t)a[0] << 24 | a[1] << 16 | a[2] << 8 | a[3] : 0;
}

/* More connections than the list's first allocation (64), listed by a reader. */
static void test_list_many(void **state)
{
	static struct ctl_world w;
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__ListConns lc = SYNACK__V1__LIST_CONNS__INIT;
	Synack__V1__ControlServerMessage *m;
	Synack__V1__ControlReply *rp;
	size_t n = 0;

	ctl_world_setup(&w, CTL_WORLD_READER);
	ctl_world_act(&w, 0x06); /* a burst of connections from the peer */
	ctl_world_step(&w, 300000);
	stack_tcp_foreach(w.host.stack, count_conn, &n);
	assert_true(n > 64);
	rq.id = 7;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_LIST_CONNS;
	rq.list_conns = &lc;
	request(&w, &rq);
	rp = last_reply(&w, &m);
	assert_int_equal(rp->id, 7);
	assert_int_equal(rp->status->code, 0);
	assert_int_equal(rp->body_case, SYNACK__V1__CONTROL_REPLY__BODY_CONNS);
	assert_int_equal(rp->conns->n_conns, n);
	for (size_t i = 0; i < rp->conns->n_conns; i++) {
		const Synack__V1__ConnEntry *e = rp->conns->conns[i];

		/* each row's endpoints are its own: ours, and the peer's (or none: listeners) */
		assert_int_equal(addr_of(e->local), e->listener ? 0 : 0x0a4d0002u);
		assert_int_equal(addr_of(e->remote), e->listener ? 0 : 0x0a4d0001u);
		assert_true(e->id > 0);
		for (size_t j = 0; j < i; j++)
			assert_true(rp->conns->conns[j]->id != e->id);
	}
	print_message("%zu connections listed\n", n);
	protobuf_c_message_free_unpacked(&m->base, NULL);
	ctl_world_teardown(&w);
}

/* Killing one connection that is not there says which, not "". */
static void test_kill_unknown_says_why(void **state)
{
	static struct ctl_world w;
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__Kill k = SYNACK__V1__KILL__INIT;
	Synack__V1__ControlServerMessage *m;
	Synack__V1__ControlReply *rp;
	uint64_t conns[1] = { 999 };

	ctl_world_setup(&w, CTL_WORLD_ROOT);
	rq.id = 8;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_KILL;
	rq.kill = &k;
	k.conns = conns;
	k.n_conns = 1;
	request(&w, &rq);
	rp = last_reply(&w, &m);
	assert_int_equal(rp->status->code, status_code_from_errno(-ESRCH));
	assert_string_equal(rp->status->message, "no connection 999");
	assert_int_equal(rp->kill->n_outcomes, 1);
	assert_string_equal(rp->kill->outcomes[0]->status->message, "no connection 999");
	protobuf_c_message_free_unpacked(&m->base, NULL);
	ctl_world_teardown(&w);
}

/*
 * A reader's dry-run kill of 2,000 ids (a 64 KiB request holds ~30,000):
 * the table is walked a bounded number of times, not once per id, and
 * each id gets its outcome.
 */
static void test_kill_many_ids_bounded(void **state)
{
	static struct ctl_world w;
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__Kill k = SYNACK__V1__KILL__INIT;
	Synack__V1__ControlServerMessage *m;
	Synack__V1__ControlReply *rp;
	static uint64_t ids[2000];
	size_t n = 0, ok = 0;
	uint64_t walks;

	ctl_world_setup(&w, CTL_WORLD_READER);
	ctl_world_act(&w, 0x06);
	ctl_world_step(&w, 300000);
	stack_tcp_foreach(w.host.stack, count_conn, &n);
	for (size_t i = 0; i < 2000; i++)
		ids[i] = 2000 - i; /* every live id, in a different order, and many unknown */
	rq.id = 9;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_KILL;
	rq.kill = &k;
	k.conns = ids;
	k.n_conns = 2000;
	k.dry_run = true;
	walks = w.host.walks;
	request(&w, &rq);
	print_message("2000 ids: %llu walks of %zu connections\n",
		      (unsigned long long)(w.host.walks - walks), n);
	assert_true(w.host.walks - walks <= 2);
	rp = last_reply(&w, &m);
	assert_int_equal(rp->kill->n_outcomes, 2000);
	for (size_t i = 0; i < 2000; i++) {
		assert_int_equal(rp->kill->outcomes[i]->conn, ids[i]);
		ok += rp->kill->outcomes[i]->status->code == 0;
	}
	assert_int_equal(ok, n); /* each live connection once, nothing else */
	protobuf_c_message_free_unpacked(&m->base, NULL);
	ctl_world_teardown(&w);
}

/* A list too large for one frame gets a status reply saying so, not silence. */
static void test_reply_too_large(void **state)
{
	static struct ctl_world w;
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__ListConns lc = SYNACK__V1__LIST_CONNS__INIT;
	Synack__V1__ControlServerMessage *m;
	Synack__V1__ControlReply *rp;
	size_t len;
	uint8_t *buf;

	ctl_world_setup(&w, CTL_WORLD_READER);
	ctl_world_act(&w, 0x06);
	ctl_world_step(&w, 300000);
	w.frame_max = 2048; /* 68 rows do not fit; FRAME_MAX_LIMIT is 64 MiB in synackd */
	rq.id = 10;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_LIST_CONNS;
	rq.list_conns = &lc;
	len = protobuf_c_message_get_packed_size(&rq.base);
	buf = malloc(len);
	assert_non_null(buf);
	protobuf_c_message_pack(&rq.base, buf);
	assert_int_equal(ctl_world_request(&w, buf, len), 0); /* one reply, with the id */
	free(buf);
	rp = last_reply(&w, &m);
	assert_int_equal(rp->id, 10);
	assert_int_equal(rp->status->code, status_code_from_errno(-EMSGSIZE));
	assert_non_null(strstr(rp->status->message, "too large"));
	protobuf_c_message_free_unpacked(&m->base, NULL);
	ctl_world_teardown(&w);
}

/* A refused reload lists the file's errors; an applied one what it changed, kept and left. */
static void test_reload_reply(void **state)
{
	static struct ctl_world w;
	Synack__V1__ControlRequest rq = SYNACK__V1__CONTROL_REQUEST__INIT;
	Synack__V1__Reload rl = SYNACK__V1__RELOAD__INIT;
	Synack__V1__ControlServerMessage *m;
	Synack__V1__ControlReply *rp;
	const Synack__V1__ReloadResult *rr;

	ctl_world_setup(&w, CTL_WORLD_ROOT);
	rq.id = 9;
	rq.op_case = SYNACK__V1__CONTROL_REQUEST__OP_RELOAD;
	rq.reload = &rl;
	request(&w, &rq);
	rp = last_reply(&w, &m);
	assert_int_equal(rp->status->code, status_code_from_errno(-EINVAL));
	assert_non_null(strstr(rp->status->message, "/etc/synack/synackd.yaml:2:"));
	assert_int_equal(rp->body_case, SYNACK__V1__CONTROL_REPLY__BODY__NOT_SET);
	protobuf_c_message_free_unpacked(&m->base, NULL);

	request(&w, &rq);
	rp = last_reply(&w, &m);
	assert_int_equal(rp->status->code, 0);
	assert_int_equal(rp->body_case, SYNACK__V1__CONTROL_REPLY__BODY_RELOAD);
	rr = rp->reload;
	assert_string_equal(rr->file, "/etc/synack/synackd.yaml");
	assert_int_equal(rr->n_changed, 1);
	assert_string_equal(rr->changed[0]->key, "tcp.rto.min");
	assert_string_equal(rr->changed[0]->before, "200ms");
	assert_string_equal(rr->changed[0]->after, "300ms");
	assert_int_equal(rr->n_kept, 1);
	assert_string_equal(rr->kept[0]->key, "tcp.msl");
	assert_string_equal(rr->kept[0]->after, "10s");
	assert_string_equal(rr->kept[0]->file, "30s");
	assert_int_equal(rr->n_not_applied, 1);
	assert_string_equal(rr->not_applied[0]->key, "interface.mtu");
	assert_string_equal(rr->not_applied[0]->why, "needs a restart");
	protobuf_c_message_free_unpacked(&m->base, NULL);
	ctl_world_teardown(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_many),
		cmocka_unit_test(test_kill_unknown_says_why),
		cmocka_unit_test(test_kill_many_ids_bounded),
		cmocka_unit_test(test_reply_too_large),
		cmocka_unit_test(test_reload_reply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
