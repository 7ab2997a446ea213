/*
 * mask_test.c: how addresses appear in logs, audit details and to agents.
 * The same table is checked against the notice_log view's SQL in
 * tests/integration/t_mask_view.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mask.h"

static const struct {
	const char *channel, *address, *masked;
} cases[] = {
	{"sms", "+8613812345678", "+86138****5678"},
	{"voice", "+8657112345678", "+86571****5678"},
	{"sms", "+4420712345", "+44****2345"},
	{"sms", "+123456789", "+1****6789"},
	{"sms", "12345678", "********"},
	{"sms", "123", "***"},
	{"sms", "", ""},
	{"email", "zhang.wei@example.com", "z***@example.com"},
	{"email", "a@b.cn", "a***@b.cn"},
	{"email", "@example.com", "********"},
	{"email", "no-at-sign", "********"},
	{"email", "王伟@example.com", "王***@example.com"},
	{"push", "fcm:0123456789abcdef", "fcm:01***"},
	{"push", "short", "*****"},
	{"unknown", "+8613812345678", "********"},
	{"sms", "+86１３８12345678", "+86１３８****5678"},
};

static void
test_mask_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = mask_address(cases[i].channel, cases[i].address);

		assert_string_equal(m, cases[i].masked);
		free(m);
	}
}

/* The middle digits of a mobile number never survive masking. */
static void
test_no_full_number(void **state)
{
	char *m = mask_address("sms", "+8613812345678");

	(void)state;
	assert_null(strstr(m, "1381234"));
	free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_table),
		cmocka_unit_test(test_no_full_number),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
