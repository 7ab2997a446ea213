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

#include "base/mask.h"
#include "base/util.h"

static const struct {
	const char *channel, *address, *masked;
} cases[] = {
	{"sms", "+8613812345678", "+86138****5678"},
	{"voice", "+8657112345678", "+86571****5678"},
	{"sms", "+4420712345", "+44****2345"},
	{"sms", "+123456789", "+1****6789"},
	{"sms", "+861381234567890", "+86138****7890"},
	{"sms", "+8613812345678<script>", "+86138****ipt>"},
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

/* Text from a provider or a mail server never carries the address. */
static void
test_in_text(void **state)
{
	char t[128];

	(void)state;
	str_copy(t,
		 "550 5.1.1 <Zhang.Wei@Example.com>: Recipient address "
		 "rejected\r\n",
		 sizeof(t));
	mask_in_text("email", "zhang.wei@example.com", t, sizeof(t));
	assert_string_equal(t, "550 5.1.1 <z***@example.com>: Recipient "
			       "address rejected");
	str_copy(t, "The 'To' number 8613812345678 (+8613812345678) is invalid",
		 sizeof(t));
	mask_in_text("sms", "+8613812345678", t, sizeof(t));
	assert_string_equal(t, "The 'To' number 86138****5678 "
			       "(+86138****5678) is invalid");
	/* Cut to the buffer, never past it. */
	str_copy(t, "x +8613812345678 y", sizeof(t));
	mask_in_text("sms", "+8613812345678", t, 10);
	assert_string_equal(t, "x +86138*");
	/* Nothing to hide: unchanged. */
	str_copy(t, "SMTP 451 try later", sizeof(t));
	mask_in_text("email", "a@b.cn", t, sizeof(t));
	assert_string_equal(t, "SMTP 451 try later");
}

/* Every form in which a provider or relay may quote a customer's number
 * or e-mail address (issue 20), as the masked text reads. */
static const struct {
	const char *channel, *address, *text, *masked;
} forms[] = {
	/* the issue's own: the national number inside Chinese text */
	{"sms", "+8613673193639",
	 "{\"error\":{\"code\":\"unknown_number\",\"message\":"
	 "\"号码13673193639为空号\"}}",
	 "{\"error\":{\"code\":\"unknown_number\",\"message\":"
	 "\"号码136****3639为空号\"}}"},
	{"sms", "+8613673193639", "to +86 136 7319 3639 failed",
	 "to +86136****3639 failed"},
	{"sms", "+8613673193639", "to 86-136-7319-3639", "to 86136****3639"},
	{"sms", "+8613673193639", "to 136.7319.3639.", "to 136****3639."},
	{"sms", "+8613673193639", "to 0086 13673193639", "to 00861****3639"},
	{"sms", "+8613673193639", "(+86) 136-7319-3639 busy",
	 "(+86136****3639 busy"},
	{"sms", "+8613673193639", "号码１３６７３１９３６３９无效",
	 "号码136****3639无效"},
	{"sms", "+8613673193639", "＋８６　１３６　７３１９　３６３９",
	 "+86136****3639"},
	{"voice", "+8657187654321", "call to 0571-8765-4321 busy",
	 "call to 0571****4321 busy"},
	{"voice", "+8657187654321", "(0571) 87654321 no answer",
	 "(0571****4321 no answer"},
	/* joined to other digits by a separator: a provider's message id */
	{"sms", "+8613673193639", "id sim-3-013673193639",
	 "id sim-3-0136****3639"},
	{"sms", "+8613673193639", "MSG-20261002-8613673193639 ok",
	 "MSG-20261002-86136****3639 ok"},
	{"voice", "+8657187654321", "CA-1-057187654321", "CA-1-0571****4321"},
	/* glued to other digits: a date and the number in one id */
	{"sms", "+8613673193639", "id 2026100213673193639 ok",
	 "id 20261****3639 ok"},
	{"sms", "+8613673193639", "id 202610021130008613673193639",
	 "id 20261****3639"},
	/* the last 7 digits alone are the number too */
	{"sms", "+8613673193639", "ends 7319 3639", "ends ****3639"},
	/* other numbers, amounts and dates stay */
	{"sms", "+8613673193639",
	 "id 20261002113000 cost 0.045 for 13673193630",
	 "id 20261002113000 cost 0.045 for 13673193630"},
	{"email", "zhang.wei@example.com", "user ZHANG.WEI unknown",
	 "user Z*** unknown"},
	{"email", "zhang.wei@example.com", "<zhang.wei@Other.example> moved",
	 "<z***@Other.example> moved"},
	{"email", "zhang.wei@example.com", "mailbox zhang.weiss full",
	 "mailbox zhang.weiss full"},
	{"email", "li@example.com", "li@example.com: no such user, li",
	 "l***@example.com: no such user, li"},
	/* about no one address: every number and e-mail address */
	{"", NULL, "bad receipt for 8613673193639 / Zhang.Wei@Example.COM",
	 "bad receipt for 86136****3639 / Z***@Example.COM"},
};

static void
test_in_text_forms(void **state)
{
	char t[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		str_copy(t, forms[i].text, sizeof(t));
		mask_in_text(forms[i].channel, forms[i].address, t, sizeof(t));
		assert_string_equal(t, forms[i].masked);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mask_table),
		cmocka_unit_test(test_no_full_number),
		cmocka_unit_test(test_in_text),
		cmocka_unit_test(test_in_text_forms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
