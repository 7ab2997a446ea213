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

/* The set's kinds as bits (their order aside). */
static unsigned int
set(const char *name)
{
	int kinds[CHANNEL_KINDS], count, i;
	unsigned int bits = 0;

	assert_int_equal(channel_kind_set(name, strlen(name), kinds, &count),
			 0);
	for (i = 0; i < count; i++)
		bits |= 1u << kinds[i];
	return bits;
}

static void
test_sets(void **state)
{
	int kinds[CHANNEL_KINDS], count;

	(void)state;
	assert_int_equal(set("all"), (1u << CHANNEL_KINDS) - 1);
	assert_int_equal(set("phone"),
			 (1u << CHANNEL_SMS) | (1u << CHANNEL_VOICE));
	assert_int_equal(set("mobile"), 1u << CHANNEL_SMS);
	assert_int_equal(set("email"), 1u << CHANNEL_EMAIL);
	assert_int_equal(set("token"), 1u << CHANNEL_PUSH);
	assert_int_equal(set("unreported"),
			 (1u << CHANNEL_EMAIL) | (1u << CHANNEL_PUSH));
	assert_int_equal(channel_kind_set("al", 2, kinds, &count), -1);
	assert_int_equal(channel_kind_set("phones", 6, kinds, &count), -1);
	/* n bytes only: "all}" is the token's text with its brace */
	assert_int_equal(channel_kind_set("all}", 3, kinds, &count), 0);
	assert_int_equal(count, CHANNEL_KINDS);
	assert_int_equal(kinds[0], 0);
}

/* by_cost: every kind once, in the order of cost_rank, which is each
 * kind's own; the reports list push, SMS, e-mail, voice. */
static void
test_by_cost(void **state)
{
	int kinds[CHANNEL_KINDS], count, i;

	(void)state;
	assert_int_equal(channel_kind_set("by_cost", 7, kinds, &count), 0);
	assert_int_equal(count, CHANNEL_KINDS);
	for (i = 0; i < count; i++)
		assert_int_equal(channel_kinds[kinds[i]].cost_rank, i);
	assert_int_equal(kinds[0], CHANNEL_PUSH);
	assert_int_equal(kinds[1], CHANNEL_SMS);
	assert_int_equal(kinds[2], CHANNEL_EMAIL);
	assert_int_equal(kinds[3], CHANNEL_VOICE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_sets),
		cmocka_unit_test(test_by_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
