/* SPDX-License-Identifier: MIT */
/*
 * test-proto-status.c - the errno <-> status table: names and codes agree,
 * every code the issue names is present, codes survive the wire both ways,
 * and garbage from a peer becomes EPROTO.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "status.h"

static void test_required_codes(void **state)
{
	const int need[] = { ECONNREFUSED,  ETIMEDOUT,	     EHOSTUNREACH, ENETUNREACH, EADDRINUSE,
			     EADDRNOTAVAIL, ECONNRESET,	     ENOTCONN,	   EBADF,	EPERM,
			     EINVAL,	    EMSGSIZE,	     EPROTO,	   ENOBUFS,	EAGAIN,
			     EMFILE,	    EPROTONOSUPPORT, EBADMSG,	   ENOMSG };

	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		const struct status_entry *e = status_lookup(need[i]);

		assert_non_null(e);
		assert_int_equal(e->code, need[i]);
		assert_int_equal(status_lookup(-need[i]), e);
	}
	assert_string_equal(status_name(ECONNREFUSED), "ECONNREFUSED");
	assert_string_equal(status_name(-ETIMEDOUT), "ETIMEDOUT");
	assert_string_equal(status_message(ECONNREFUSED), "connection refused");
	assert_string_equal(status_name(0), "OK");
}

static void test_names_unique_and_consistent(void **state)
{
	for (unsigned i = 0; i < status_count(); i++) {
		const struct status_entry *e = status_at(i);

		assert_int_equal(status_from_name(e->name), e->code);
		for (unsigned j = i + 1; j < status_count(); j++) {
			assert_int_not_equal(status_at(j)->code, e->code);
			assert_string_not_equal(status_at(j)->name, e->name);
		}
		assert_true(strlen(e->message) > 0);
	}
	assert_null(status_at(status_count()));
	assert_int_equal(status_from_name("ENOTANERRNO"), -EINVAL);
}

static void test_wire_mapping(void **state)
{
	assert_int_equal(status_code_from_errno(-ECONNRESET), ECONNRESET);
	assert_int_equal(status_code_from_errno(ECONNRESET), ECONNRESET);
	assert_int_equal(status_code_from_errno(0), 0);
	assert_int_equal(status_code_from_errno(-100000), EIO);
	assert_int_equal(status_code_to_errno(0), 0);
	assert_int_equal(status_code_to_errno(ETIMEDOUT), -ETIMEDOUT);
	assert_int_equal(status_code_to_errno(-5), -EPROTO);
	assert_int_equal(status_code_to_errno(1 << 20), -EPROTO);
	assert_string_equal(status_name(4000), "UNKNOWN");
	assert_string_equal(status_message(4000), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_required_codes),
		cmocka_unit_test(test_names_unique_and_consistent),
		cmocka_unit_test(test_wire_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
