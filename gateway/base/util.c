/*
 * util.c: see util.h.
 */
#include "base/util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "base/log.h"

void
err_set(struct fg_err *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void
err_prefix(struct fg_err *err, const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;
	int n;

	if (err == NULL)
		return;
	sbuf_init(&b);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n > 0) {
		b.s = xrealloc(b.s, (size_t)n + 1);
		va_start(ap, fmt);
		vsnprintf(b.s, (size_t)n + 1, fmt, ap);
		va_end(ap);
		b.len = (size_t)n;
		b.cap = (size_t)n + 1;
	}
	sbuf_adds(&b, ": ");
	sbuf_adds(&b, err->msg);
	str_copy(err->msg, b.s, sizeof(err->msg)); /* may cut: fine */
	sbuf_free(&b);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return p;
}

void *
xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL)
		fatalx("out of memory (%zu x %zu bytes)", nmemb, size);
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (q == NULL)
		fatalx("out of memory (%zu bytes)", n);
	return q;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xasprintf(const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;
	int n;

	sbuf_init(&b);
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		fatalx("xasprintf: bad format");
	b.s = xrealloc(b.s, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(b.s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return b.s;
}

size_t
str_copy(char *dst, const char *src, size_t dsize)
{
	size_t n = strlen(src);

	if (dsize > 0) {
		size_t k = n < dsize - 1 ? n : dsize - 1;
		memcpy(dst, src, k);
		dst[k] = '\0';
	}
	return n;
}

void
sbuf_init(struct sbuf *b)
{
	b->cap = 64;
	b->len = 0;
	b->s = xmalloc(b->cap);
	b->s[0] = '\0';
}

void
sbuf_free(struct sbuf *b)
{
	FREE(b->s);
	b->len = b->cap = 0;
}

static void
sbuf_grow(struct sbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->len + extra + 1 > b->cap)
		b->cap *= 2;
	b->s = xrealloc(b->s, b->cap);
}

void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	sbuf_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_addf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	sbuf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
sbuf_take(struct sbuf *b)
{
	char *s = b->s;

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

/*
 * Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if the
 * bytes there are not one: overlong forms, surrogates and code points above
 * U+10FFFF are invalid (RFC 3629).
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int c = s[0], cp;
	size_t len, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

char *
utf8_clean(const char *s, size_t n, int strip_controls)
{
	const unsigned char *p = (const unsigned char *)s;
	struct sbuf b;
	size_t i = 0, k;

	sbuf_init(&b);
	while (i < n) {
		k = utf8_seq(p + i, n - i);
		/* Controls: C0 but tab, DEL, and C1 (U+0080-U+009F). */
		if (k == 0 || (strip_controls &&
			       ((k == 1 && p[i] != '\t' &&
				 (p[i] < 0x20 || p[i] == 0x7f)) ||
				(k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0)))) {
			sbuf_add(&b, "\xef\xbf\xbd", 3);
			i += k ? k : 1;
			continue;
		}
		sbuf_add(&b, s + i, k);
		i += k;
	}
	return sbuf_take(&b);
}

size_t
utf8_len(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, count = 0, k;

	while (i < n) {
		k = utf8_seq(p + i, n - i);
		i += k ? k : 1;
		count++;
	}
	return count;
}

int
utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(p + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

size_t
u64_to_dec(unsigned long long v, char *buf)
{
	char tmp[21];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

int
parse_ll(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

char *
secret_file_read(const char *path, const char **why)
{
	char buf[1024];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL) {
		*why = strerror(errno);
		return NULL;
	}
	if (fgets(buf, sizeof(buf), fp) == NULL)
		buf[0] = '\0';
	fclose(fp);
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	if (n == 0) {
		*why = "it is empty";
		return NULL;
	}
	*why = NULL;
	return xstrdup(buf);
}

void
hex_encode(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
hex_digit(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

int
hex_decode(const char *hex, unsigned char *out, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int hi = hex_digit((unsigned char)hex[2 * i]), lo;

		if (hi < 0 ||
		    (lo = hex_digit((unsigned char)hex[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi * 16 + lo);
	}
	return 0;
}

void
sha256_hex(const void *s, size_t n, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(s, n, md);
	hex_encode(md, sizeof(md), out);
}

int
random_hex(char *out, size_t n)
{
	unsigned char small[64], *r = n <= sizeof(small) ? small : NULL;
	int rc = -1;

	if (n > INT_MAX)
		return -1;
	if (r == NULL)
		r = xmalloc(n);
	if (RAND_bytes(r, (int)n) == 1) {
		hex_encode(r, n, out);
		rc = 0;
	}
	OPENSSL_cleanse(r, n);
	if (r != small)
		free(r);
	return rc;
}

int
random_hex128(char out[33])
{
	return random_hex(out, 16);
}

double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
