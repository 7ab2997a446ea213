/*
 * kinds_test.c: the table of channel kinds holds together (names and
 * template parts unique, every part found back to its kind), lookups by
 * name, and the sets SQL names with {K set}.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/kinds.h"

static void
test_table(void **state)
{
	const struct kind_part *part;
	size_t k, j, i;

	(void)state;
	for (k = 0; k < CHANNEL_KINDS; k++) {
		const struct channel_kind_info *c = &channel_kinds[k];

		assert_non_null(c->name);
		assert_true(strlen(c->name) <= 16); /* messages.channel */
		assert_non_null(c->units);
		assert_true(c->nparts >= 1);
		assert_int_equal(channel_kind_find(c->name), (int)k);
		assert_ptr_equal(channel_kind_of(c->name), c);
		for (j = k + 1; j < CHANNEL_KINDS; j++)
			assert_string_not_equal(c->name, channel_kinds[j].name);
		for (i = 0; i < c->nparts; i++) {
			/* "email.txt" belongs to email, "sms" to sms */
			assert_memory_equal(c->parts[i].suffix, c->name,
					    strlen(c->name));
			assert_ptr_equal(
				channel_kind_of_part(c->parts[i].suffix, &part),
				c);
			assert_ptr_equal(part, &c->parts[i]);
			assert_non_null(c->parts[i].shown_as);
		}
	}
	assert_int_equal(channel_kind_find("fax"), -1);
	assert_int_equal(channel_kind_find("SMS"), -1);
	assert_int_equal(channel_kind_find(""), -1);
	assert_null(channel_kind_of("sms "));
	assert_null(channel_kind_of_part("email", NULL));
	assert_null(channel_kind_of_part("md", NULL));
}

static unsigned int
set(const char *name)
{
	unsigned int bits = 0;

	assert_int_equal(channel_kind_set(name, strlen(name), &bits), 0);
	return bits;
}

static void
test_sets(void **state)
{
	unsigned int bits;

	(void)state;
	assert_int_equal(set("all"), (1u << CHANNEL_KINDS) - 1);
	assert_int_equal(set("phone"),
			 (1u << CHANNEL_SMS) | (1u << CHANNEL_VOICE));
	assert_int_equal(set("mobile"), 1u << CHANNEL_SMS);
	assert_int_equal(set("email"), 1u << CHANNEL_EMAIL);
	assert_int_equal(set("token"), 1u << CHANNEL_PUSH);
	assert_int_equal(set("unreported"),
			 (1u << CHANNEL_EMAIL) | (1u << CHANNEL_PUSH));
	assert_int_equal(channel_kind_set("al", 2, &bits), -1);
	assert_int_equal(channel_kind_set("phones", 6, &bits), -1);
	/* n bytes only: "all}" is the token's text with its brace */
	assert_int_equal(channel_kind_set("all}", 3, &bits), 0);
	assert_int_equal(bits, (1u << CHANNEL_KINDS) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_sets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
