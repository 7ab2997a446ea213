/*
 * util_test.c: bounded strings, UTF-8 cleaning, number parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"

static void
test_utf8_clean_table(void **state)
{
	static const struct {
		const char *in;
		size_t len;
		int strip;
		const char *out;
	} cases[] = {
		{"plain", 5, 0, "plain"},
		{"王伟", 6, 0, "王伟"},
		{"a\xffz", 3, 0, "a\xef\xbf\xbdz"}, /* stray byte */
		{"\xe7\x8e", 2, 0,
		 "\xef\xbf\xbd\xef\xbf\xbd"}, /* cut sequence */
		{"\xc0\xaf", 2, 0,
		 "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong '/' */
		{"\xed\xa0\x80", 3, 0,
		 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* surrogate */
		{"\xf4\x90\x80\x80", 4, 0,
		 "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"}, /* >
									 U+10FFFF
								       */
		{"a\nb\tc", 5, 1,
		 "a\xef\xbf\xbd"
		 "b\tc"},
		{"a\nb", 3, 0, "a\nb"},
		{"nul\0x", 5, 1, "nul\xef\xbf\xbdx"},
		/* C1 controls (U+0085 NEL, U+009B CSI) are controls too;
		 * U+00A0 is not */
		{"a\xc2\x85z\xc2\x9b", 6, 1, "a\xef\xbf\xbdz\xef\xbf\xbd"},
		{"a\xc2\xa0z", 4, 1, "a\xc2\xa0z"},
		{"a\xc2\x85z", 4, 0, "a\xc2\x85z"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *o = utf8_clean(cases[i].in, cases[i].len, cases[i].strip);

		assert_string_equal(o, cases[i].out);
		free(o);
	}
}

static void
test_utf8_len(void **state)
{
	(void)state;
	assert_int_equal(utf8_len("abc", 3), 3);
	assert_int_equal(utf8_len("王伟", 6), 2);
	assert_int_equal(utf8_len("a\xff", 2), 2);
	assert_int_equal(utf8_len("", 0), 0);
}

static void
test_str_copy(void **state)
{
	char b[4];

	(void)state;
	assert_int_equal(str_copy(b, "ab", sizeof(b)), 2);
	assert_string_equal(b, "ab");
	assert_int_equal(str_copy(b, "abcdef", sizeof(b)), 6);
	assert_string_equal(b, "abc");
}

static void
test_parse_ll(void **state)
{
	long long v = 0;

	(void)state;
	assert_int_equal(parse_ll("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_ll("-1", 0, 100, &v), -1);
	assert_int_equal(parse_ll("101", 0, 100, &v), -1);
	assert_int_equal(parse_ll("4x", 0, 100, &v), -1);
	assert_int_equal(parse_ll("", 0, 100, &v), -1);
	assert_int_equal(parse_ll(NULL, 0, 100, &v), -1);
	assert_int_equal(parse_ll("99999999999999999999", 0, 100, &v), -1);
}

static void
test_sbuf_and_err(void **state)
{
	struct sbuf b;
	struct fg_err err;
	char *s;
	int i;

	(void)state;
	sbuf_init(&b);
	for (i = 0; i < 1000; i++)
		sbuf_addf(&b, "%d,", i);
	assert_int_equal(b.len, strlen(b.s));
	assert_memory_equal(b.s, "0,1,2,", 6);
	s = sbuf_take(&b);
	assert_int_equal(b.len, 0);
	free(s);
	sbuf_free(&b);

	err_set(&err, "db: %s", "gone");
	err_prefix(&err, "night %s", "2026-10-01");
	assert_string_equal(err.msg, "night 2026-10-01: db: gone");
}

/* Hex both ways, SHA-256 against FIPS 180-2's "abc" vector, random hex. */
static void
test_hex(void **state)
{
	const unsigned char b[] = {0x00, 0x7f, 0xa5, 0xff};
	unsigned char back[4];
	char out[65], r1[65], r2[65];

	(void)state;
	hex_encode(b, sizeof(b), out);
	assert_string_equal(out, "007fa5ff");
	assert_int_equal(hex_decode("007FA5ff", back, 4), 0);
	assert_memory_equal(back, b, 4);
	assert_int_equal(hex_decode("00 7", back, 2), -1);
	sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223"
				 "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(random_hex(r1, 32), 0);
	assert_int_equal(random_hex(r2, 32), 0);
	assert_int_equal(strlen(r1), 64);
	assert_int_equal(strspn(r1, "0123456789abcdef"), 64);
	assert_string_not_equal(r1, r2);
}

/* A batch's receipt tokens in one draw (outbox_submitting): every digit
 * hex, no token twice, none of them all zero. */
static void
test_random_hex_batch(void **state)
{
	enum { TOKENS = 200 };
	char *hex = malloc(TOKENS * 32 + 1);
	size_t i, j;

	(void)state;
	assert_non_null(hex);
	assert_int_equal(random_hex(hex, TOKENS * 16), 0);
	assert_int_equal(strlen(hex), TOKENS * 32);
	assert_int_equal(strspn(hex, "0123456789abcdef"), TOKENS * 32);
	for (i = 0; i < TOKENS; i++) {
		assert_int_not_equal(strspn(hex + i * 32, "0"), 32);
		for (j = i + 1; j < TOKENS; j++)
			assert_false(memcmp(hex + i * 32, hex + j * 32, 32) ==
				     0);
	}
	free(hex);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utf8_clean_table),
		cmocka_unit_test(test_random_hex_batch),
		cmocka_unit_test(test_utf8_len),
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test(test_hex),
		cmocka_unit_test(test_parse_ll),
		cmocka_unit_test(test_sbuf_and_err),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
