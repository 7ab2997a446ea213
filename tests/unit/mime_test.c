/*
 * mime_test.c: an e-mail as the relay gets it. Headers fold before 76
 * columns and decode back to what was given (Chinese names and a long
 * Chinese subject as encoded words, a name with a comma quoted, {key} in
 * List-Unsubscribe), the parts decode back to the text and the HTML, and
 * every line ends in CRLF.
 */
#include <openssl/evp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "channels/mime.h"

static const char subject[] =
	"【国网杭州供电公司】电费缴费提醒（户号3300000019）您的电费已逾期"
	"八十四天，请尽快缴纳以免违约金继续增加";
static const char text[] = "尊敬的张伟客户：\n\n您的户号 3300000019 有电费 "
			   "¥1,811.28 已逾期。\n";
static const char html[] = "<p>尊敬的<b>张伟</b>客户：</p>\n";

/* The value of header name, unfolded (CRLF + space joined), or NULL. */
static char *
header(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg;
	size_t n = strlen(name);
	struct sbuf v;

	while (p != NULL && p < end) {
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			const char *q = p + n + 1;

			sbuf_init(&v);
			for (;;) {
				const char *eol = strstr(q, "\r\n");

				sbuf_add(&v, q, (size_t)(eol - q));
				if (eol[2] != ' ')
					break;
				q = eol + 2;
			}
			return sbuf_take(&v);
		}
		p = strstr(p, "\r\n");
		p = p ? p + 2 : NULL;
	}
	return NULL;
}

/* Encoded words (=?UTF-8?B?...?=) decoded and joined, the rest as it is
 * (RFC 2047: the space between two encoded words is not text). */
static char *
decode_words(const char *v)
{
	struct sbuf out;
	const char *p = v;
	int last_word = 0;

	sbuf_init(&out);
	while (*p != '\0') {
		if (strncmp(p, "=?UTF-8?B?", 10) == 0) {
			const char *e = strstr(p + 10, "?=");
			unsigned char buf[128];
			int k, pad = 0;

			assert_non_null(e);
			k = EVP_DecodeBlock(buf, (const unsigned char *)p + 10,
					    (int)(e - p - 10));
			assert_true(k >= 0);
			pad = (e[-1] == '=') + (e[-2] == '=');
			/* whole characters in every word (RFC 2047 5.3) */
			assert_true(utf8_valid((const char *)buf,
					       (size_t)(k - pad)));
			/* strip a space before this word after another word */
			if (last_word && out.len > 0 &&
			    out.s[out.len - 1] == ' ')
				out.s[--out.len] = '\0';
			sbuf_add(&out, (const char *)buf, (size_t)(k - pad));
			p = e + 2;
			last_word = 1;
		} else {
			if (*p != ' ')
				last_word = 0;
			sbuf_add(&out, p++, 1);
		}
	}
	return sbuf_take(&out);
}

/* The base64 body of the part with content type type, decoded. */
static char *
part(const char *msg, const char *type)
{
	const char *p = strstr(msg, type), *q, *end;
	struct sbuf b64, out;
	unsigned char *buf;
	int k;

	assert_non_null(p);
	p = strstr(p, "\r\n\r\n") + 4;
	end = strstr(p, "\r\n--");
	sbuf_init(&b64);
	for (q = p; q < end; q++)
		if (*q != '\r' && *q != '\n')
			sbuf_add(&b64, q, 1);
	buf = malloc(b64.len + 4);
	k = EVP_DecodeBlock(buf, (const unsigned char *)b64.s, (int)b64.len);
	assert_true(k >= 0);
	k -= (b64.len > 0 && b64.s[b64.len - 1] == '=') +
	     (b64.len > 1 && b64.s[b64.len - 2] == '=');
	sbuf_init(&out);
	sbuf_add(&out, (const char *)buf, (size_t)k);
	free(buf);
	sbuf_free(&b64);
	return sbuf_take(&out);
}

static void
test_message(void **state)
{
	const struct mime_mail m = {
		.message_id = 40122,
		.key = "40122-0123456789abcdef",
		.from_name = "国网杭州供电公司",
		.from_addr = "noreply@example.cn",
		.reply_name = "Service, Hangzhou (95598)",
		.reply_addr = "service@example.cn",
		.to = "zhang.wei@example.com",
		.subject = subject,
		.text = text,
		.html = html,
		.domain = "example.cn",
		.list_unsubscribe =
			"<mailto:unsubscribe@example.cn?subject={key}>, "
			"<https://example.cn/u/{key}>",
		.one_click = 1,
		.now = 1790812800, /* 2026-10-01 00:00:00 UTC */
	};
	char *msg = mime_build(&m), *v, *d;
	const char *line = msg;

	(void)state;
	/* CRLF only, and no header line past 76 columns */
	while (*line != '\0') {
		const char *eol = strstr(line, "\r\n");

		assert_non_null(eol);
		assert_null(memchr(line, '\n', (size_t)(eol - line)));
		if (line < strstr(msg, "\r\n\r\n"))
			assert_true(eol - line <= 76);
		line = eol + 2;
	}
	v = header(msg, "Date");
	assert_string_equal(v, " Thu, 01 Oct 2026 00:00:00 +0000");
	free(v);
	v = header(msg, "Subject");
	d = decode_words(v);
	assert_string_equal(d + (d[0] == ' '), subject);
	free(d);
	free(v);
	v = header(msg, "From");
	d = decode_words(v);
	assert_string_equal(d, " 国网杭州供电公司 <noreply@example.cn>");
	free(d);
	free(v);
	v = header(msg, "Reply-To");
	assert_string_equal(
		v, " \"Service, Hangzhou (95598)\" <service@example.cn>");
	free(v);
	v = header(msg, "To");
	assert_string_equal(v, " <zhang.wei@example.com>");
	free(v);
	v = header(msg, "List-Unsubscribe");
	assert_non_null(strstr(v, "subject=40122-0123456789abcdef>,"));
	assert_non_null(
		strstr(v, "https://example.cn/u/40122-0123456789abcdef"));
	assert_null(strstr(v, "{key}"));
	free(v);
	v = header(msg, "List-Unsubscribe-Post");
	assert_string_equal(v, " List-Unsubscribe=One-Click");
	free(v);
	v = header(msg, "Message-ID");
	assert_string_equal(v, " <feegate.40122@example.cn>");
	free(v);
	d = part(msg, "text/plain");
	assert_string_equal(d, text);
	free(d);
	d = part(msg, "text/html");
	assert_string_equal(d, html);
	free(d);
	free(msg);
}

static void
test_plain_and_safe(void **state)
{
	const struct mime_mail m = {
		.message_id = 7,
		.key = "7-k",
		.from_name = "Hangzhou Power",
		.from_addr = "noreply@example.cn",
		.to = "a@example.com",
		.subject = "Your electricity bill is overdue",
		.text = "",
		.html = "",
		.domain = "example.cn",
		.now = 0,
	};
	char *msg = mime_build(&m), *v;

	(void)state;
	v = header(msg, "Subject");
	assert_string_equal(v, " Your electricity bill is overdue");
	free(v);
	v = header(msg, "From");
	assert_string_equal(v, " Hangzhou Power <noreply@example.cn>");
	free(v);
	assert_null(header(msg, "Reply-To"));
	assert_null(header(msg, "List-Unsubscribe"));
	free(msg);
	assert_true(mime_header_safe("a@example.com"));
	assert_false(mime_header_safe("a@example.com\r\nBcc: x@y"));
	assert_false(mime_header_safe("x\ny"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_plain_and_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
