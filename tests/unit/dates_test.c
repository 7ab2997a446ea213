/*
 * dates_test.c: business dates and wall-clock stamps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base/dates.h"

static void
test_date_valid_table(void **state)
{
	static const struct {
		const char *in;
		int ok;
	} cases[] = {
		{"2026-10-01", 1}, {"2024-02-29", 1},
		{"2000-02-29", 1}, {"2026-12-31", 1},
		{"2199-12-31", 1}, {"2026-02-29", 0},
		{"2100-02-29", 0}, {"2026-13-01", 0},
		{"2026-00-10", 0}, {"2026-04-31", 0},
		{"2026-10-00", 0}, {"1999-12-31", 0},
		{"2200-01-01", 0}, {"2026-1-01", 0},
		{"2026/10/01", 0}, {"2026-10-01x", 0},
		{"", 0},           {"20261001", 0},
		{"2026-10-0a", 0}, {"' OR 1=1 --", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(date_valid(cases[i].in), cases[i].ok);
}

static void
test_today_and_now(void **state)
{
	char d[DATE_LEN], t[TIME_LEN];

	(void)state;
	assert_int_equal(date_today("Asia/Shanghai", d), 0);
	assert_true(date_valid(d));
	time_now_utc(t);
	assert_int_equal(strlen(t), 26);
	assert_int_equal(t[10], ' ');
	assert_int_equal(t[19], '.');
	t[10] = '\0';
	assert_true(date_valid(t));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_valid_table),
		cmocka_unit_test(test_today_and_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
