/*
 * money_test.c: amounts as whole cents, parsed and printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "base/money.h"

static void
test_parse_table(void **state)
{
	static const struct {
		const char *in;
		int ok;
		long long cents;
	} cases[] = {
		{"1", 1, 100},
		{"1.00", 1, 100},
		{"1.5", 1, 150},
		{"0.01", 1, 1},
		{"1234.56", 1, 123456},
		{"-12.30", 1, -1230},
		{"999999999999999", 1, 99999999999999900LL},
		{"", 0, 0},
		{".5", 0, 0},
		{"1.", 0, 0},
		{"1.234", 0, 0},
		{"1,000", 0, 0},
		{"12a", 0, 0},
		{" 1", 0, 0},
		{"1 ", 0, 0},
		{"-", 0, 0},
		{"1e3", 0, 0},
		{"9999999999999999", 0, 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long long c = -7;
		int rc = money_parse(cases[i].in, &c);

		assert_int_equal(rc == 0, cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(c, cases[i].cents);
	}
	assert_int_not_equal(money_parse(NULL, &(long long){0}), 0);
}

static void
test_format(void **state)
{
	char b[48];

	(void)state;
	money_format(0, b, sizeof(b));
	assert_string_equal(b, "0.00");
	money_format(123450, b, sizeof(b));
	assert_string_equal(b, "1234.50");
	money_format(-5, b, sizeof(b));
	assert_string_equal(b, "-0.05");
	money_format_grouped(123456789, b, sizeof(b));
	assert_string_equal(b, "1,234,567.89");
	money_format_grouped(99999, b, sizeof(b));
	assert_string_equal(b, "999.99");
	money_format_grouped(-100000000, b, sizeof(b));
	assert_string_equal(b, "-1,000,000.00");
	money_format_grouped(MONEY_MAX_CENTS, b, sizeof(b));
	assert_string_equal(b, "9,999,999,999,999.99");
}

static void
test_rates(void **state)
{
	long long ppm = -1;

	(void)state;
	assert_int_equal(ppm_parse("0.001", &ppm), 0);
	assert_int_equal(ppm, 1000);
	assert_int_equal(ppm_parse("0.0005", &ppm), 0);
	assert_int_equal(ppm, 500);
	assert_int_equal(ppm_parse("0", &ppm), 0);
	assert_int_equal(ppm, 0);
	assert_int_not_equal(ppm_parse("-0.001", &ppm), 0);
	assert_int_not_equal(ppm_parse("0.0000001", &ppm), 0);
	assert_int_not_equal(ppm_parse("1%", &ppm), 0);
	/* 874.66 owed 37 days at 0.1% a day: 32.36 (half up). */
	assert_int_equal(money_apply_rate(87466, 1000, 37), 3236);
	assert_int_equal(money_apply_rate(150, 1000, 3), 0); /* 0.45 fen */
	assert_int_equal(money_apply_rate(500, 1000, 1), 1); /* 0.5 fen up */
}

/* ppm_format writes what ppm_parse reads back, without trailing
 * zeros (config show prints rates and costs so). */
static void
test_rates_format(void **state)
{
	static const char *const forms[] = {"0", "0.001", "0.0005", "0.045",
					    "1", "12.5",  "100",    "0.000001"};
	char buf[32];
	long long ppm;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		assert_int_equal(ppm_parse(forms[i], &ppm), 0);
		ppm_format(ppm, buf, sizeof(buf));
		assert_string_equal(buf, forms[i]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_rates_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
