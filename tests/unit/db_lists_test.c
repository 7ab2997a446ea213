/*
 * db_lists_test.c: the IN lists' padding (db.h): lengths go to the next
 * power of two, the last value repeats into the padding and nothing past
 * it is written, and the placeholders match the padded count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/db.h"

static void
test_in_pad(void **state)
{
	(void)state;
	assert_int_equal(db_in_pad(0), 1);
	assert_int_equal(db_in_pad(1), 1);
	assert_int_equal(db_in_pad(2), 2);
	assert_int_equal(db_in_pad(3), 4);
	assert_int_equal(db_in_pad(100), 128);
	assert_int_equal(db_in_pad(128), 128);
	assert_int_equal(db_in_pad(129), 256);
	assert_int_equal(db_in_pad(500), 512);
}

static void
test_pad_params(void **state)
{
	struct db_param p[10];
	size_t i, k;

	(void)state;
	for (i = 0; i < 10; i++)
		p[i] = DB_ID(1000 + i);
	/* five ids pad to eight: ids 0-4, then id 4 three times; p[8] and
	 * p[9] untouched */
	k = db_pad_params(p, 5);
	assert_int_equal(k, 8);
	for (i = 0; i < 5; i++)
		assert_int_equal(p[i].u, 1000 + i);
	for (i = 5; i < 8; i++) {
		assert_int_equal(p[i].type, DBP_ID);
		assert_int_equal(p[i].u, 1004);
	}
	assert_int_equal(p[8].u, 1008);
	assert_int_equal(p[9].u, 1009);
	/* an empty list writes nothing */
	p[0] = DB_ID(7);
	assert_int_equal(db_pad_params(p, 0), 1);
	assert_int_equal(p[0].u, 7);
}

static void
test_placeholders(void **state)
{
	struct sbuf b;
	char *s;

	(void)state;
	sbuf_init(&b);
	db_placeholders(&b, 0);
	assert_string_equal(b.s != NULL ? b.s : "", "");
	db_placeholders(&b, db_in_pad(3));
	assert_string_equal(b.s, "?, ?, ?, ?");
	sbuf_free(&b);
	s = db_sql_in_list("DELETE FROM t WHERE id IN (", 3, " LIMIT 9");
	assert_string_equal(s,
			    "DELETE FROM t WHERE id IN (?, ?, ?, ?) LIMIT 9");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_pad),
		cmocka_unit_test(test_pad_params),
		cmocka_unit_test(test_placeholders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
