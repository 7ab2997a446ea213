/*
 * escape_test.c: text into HTML, XML and JSON: each format's table of
 * inputs and what must come out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "base/escape.h"

/* in escaped as format takes it (-1: a /metrics label) is want. */
static void
check(size_t i, const char *in, int format, const char *want)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, "");
	if (format < 0)
		escape_label(&b, in);
	else
		escape_add(&b, in, (enum part_format)format);
	if (strcmp(b.s, want) != 0)
		fail_msg("case %zu: got \"%s\", want \"%s\"", i, b.s, want);
	sbuf_free(&b);
}

static void
test_table(void **state)
{
	static const struct {
		enum part_format f;
		const char *in, *out;
	} cases[] = {
		{PART_TEXT, "<b>&'\"", "<b>&'\""},
		{PART_HTML, "<script>alert('x')</script>",
		 "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"},
		{PART_HTML, "A&B \"C\"", "A&amp;B &quot;C&quot;"},
		{PART_XML, "Robert'); DROP", "Robert&apos;); DROP"},
		{PART_XML, "<Say>&</Say>", "&lt;Say&gt;&amp;&lt;/Say&gt;"},
		{PART_JSON, "say \"hi\"\\", "say \\\"hi\\\"\\\\"},
		{PART_JSON, "a\nb\tc\x01", "a\\u000ab\\u0009c\\u0001"},
		{PART_JSON, "<&'>", "<&'>"},
		{PART_HTML, "张伟 ¥1,811.28", "张伟 ¥1,811.28"},
		{PART_HTML, "", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(i, cases[i].in, (int)cases[i].f, cases[i].out);
}

/* /metrics label values: what Prometheus' text format escapes, and only
 * that. */
static void
test_label(void **state)
{
	static const char *const cases[][2] = {
		{"sim", "sim"},
		{"a\"b", "a\\\"b"},
		{"c:\\d", "c:\\\\d"},
		{"two\nlines", "two\\nlines"},
		{"国网 {x=1}", "国网 {x=1}"},
		{"", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(i, cases[i][0], -1, cases[i][1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_label),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
