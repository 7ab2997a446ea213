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
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sbuf b;

		sbuf_init(&b);
		sbuf_adds(&b, "");
		escape_add(&b, cases[i].in, cases[i].f);
		if (strcmp(b.s, cases[i].out) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, b.s,
				 cases[i].out);
		sbuf_free(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
