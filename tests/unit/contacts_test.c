/*
 * contacts_test.c: contact_reason(), the C reading of the address patterns
 * the SQL uses (contacts.h): the same reasons, the same order, and the
 * cases where PCRE and POSIX regular expressions could part ways.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/contacts.h"
#include "base/util.h"

static void
test_reasons(void **state)
{
	static const struct {
		const char *channel, *address, *why;
	} cases[] = {
		{"sms", "+8613800138000", NULL},
		{"voice", "+8657187654321", NULL},
		{"voice", "+14155550100", NULL},
		{"email", "li.na@example.com", NULL},
		{"email", "li.na+bills@mail.example.com.cn", NULL},
		{"push", "fcm:tokA0000000000000001", NULL},
		{"fax", "+8657187654321", "unknown channel"},
		{"SMS", "+8613800138000", "unknown channel"},
		{"sms", "+8613800138000\n",
		 "address contains control characters"},
		{"email", "li.na@example.com\r\nBcc: x@example.com",
		 "address contains control characters"},
		{"push", "tok\tAAAAAAAAAAAAAAAAAA",
		 "address contains control characters"},
		{"sms", "13800138000", "phone number not in E.164 form"},
		{"sms", "+86 138 0013 8000", "phone number not in E.164 form"},
		{"sms", "+0861380013800", "phone number not in E.164 form"},
		{"sms",
		 "\xef\xbc\x8b"
		 "8613800138000",
		 "phone number not in E.164 form"},
		{"sms", "", "phone number not in E.164 form"},
		{"sms", "+1234567", "phone number not in E.164 form"},
		{"sms", "+1234567890123456", "phone number not in E.164 form"},
		{"voice", "057187654321", "phone number not in E.164 form"},
		{"sms", "+8612345678901", "not a mainland China mobile number"},
		{"sms", "+861380013800", "not a mainland China mobile number"},
		{"voice", "+8612345678901",
		 NULL}, /* a landline may be called */
		{"email", "li.na@@example.com", "malformed e-mail address"},
		{"email", "li na@example.com", "malformed e-mail address"},
		{"email", "li.na@example", "malformed e-mail address"},
		{"email", "li.na@-example.com", "malformed e-mail address"},
		{"email", "li.na@example-.com", "malformed e-mail address"},
		{"email", "<script>@example.com", "malformed e-mail address"},
		{"email", "li.na@\xe4\xbe\x8b\xe5\xad\x90.cn",
		 "malformed e-mail address"},
		{"push", "short", "malformed push token"},
		{"push", "token with spaces in it", "malformed push token"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *why =
			contact_reason(cases[i].channel, cases[i].address,
				       strlen(cases[i].address));

		if (cases[i].why == NULL) {
			if (why != NULL)
				fail_msg("%s %s: %s", cases[i].channel,
					 cases[i].address, why);
		} else if (why == NULL || strcmp(why, cases[i].why) != 0) {
			fail_msg("%s %s: [%s], not [%s]", cases[i].channel,
				 cases[i].address, why ? why : "(usable)",
				 cases[i].why);
		}
	}
}

static void
test_lengths(void **state)
{
	char local[80];
	struct sbuf mail;

	(void)state;
	/* A NUL inside what billing sent: not cut short, refused. */
	assert_string_equal(contact_reason("sms",
					   "+86138\0"
					   "00138000",
					   14),
			    "address contains control characters");
	/* 64 characters before the @ at most, 254 bytes in all. */
	memset(local, 'a', 64);
	snprintf(local + 64, sizeof(local) - 64, "@example.com");
	assert_null(contact_reason("email", local, strlen(local)));
	memset(local, 'a', 65);
	snprintf(local + 65, sizeof(local) - 65, "@example.com");
	assert_string_equal(contact_reason("email", local, strlen(local)),
			    "malformed e-mail address");
	sbuf_init(&mail);
	sbuf_adds(&mail, "a@");
	while (mail.len < 250)
		sbuf_adds(&mail, "b.");
	sbuf_adds(&mail, "cn");
	assert_true(mail.len <= 254);
	assert_null(contact_reason("email", mail.s, mail.len));
	sbuf_adds(&mail, ".xyz");
	assert_true(mail.len > 254);
	assert_string_equal(contact_reason("email", mail.s, mail.len),
			    "malformed e-mail address");
	sbuf_free(&mail);
	/* A push token: 4,096 bytes at most. */
	sbuf_init(&mail);
	while (mail.len < 4096)
		sbuf_adds(&mail, "tok:");
	assert_null(contact_reason("push", mail.s, mail.len));
	sbuf_adds(&mail, "x");
	assert_string_equal(contact_reason("push", mail.s, mail.len),
			    "malformed push token");
	sbuf_free(&mail);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reasons),
		cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
