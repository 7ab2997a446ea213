/*
 * mask.c: see mask.h.
 */
#include "mask.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Byte offset of code point number k (0-based) in s, or strlen(s). */
static size_t
cp_offset(const char *s, size_t k)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, seen = 0;

	while (p[i] != '\0') {
		if ((p[i] & 0xc0) != 0x80) {
			if (seen == k)
				return i;
			seen++;
		}
		i++;
	}
	return i;
}

char *
mask_address(const char *channel, const char *address)
{
	size_t n = utf8_len(address, strlen(address)), i;
	const char *at;
	struct sbuf b;

	sbuf_init(&b);
	at = strchr(address, '@');
	if (strcmp(channel, "email") == 0 && at != NULL && at != address) {
		sbuf_add(&b, address, cp_offset(address, 1));
		sbuf_adds(&b, "***");
		sbuf_adds(&b, at);
	} else if ((strcmp(channel, "sms") == 0 ||
		    strcmp(channel, "voice") == 0) &&
		   n >= 9) {
		sbuf_add(&b, address,
			 cp_offset(address, n - 8 < 6 ? n - 8 : 6));
		sbuf_adds(&b, "****");
		sbuf_adds(&b, address + cp_offset(address, n - 4));
	} else if (strcmp(channel, "push") == 0 && n > 8) {
		sbuf_add(&b, address, cp_offset(address, 6));
		sbuf_adds(&b, "***");
	} else {
		for (i = 0; i < n && i < 8; i++)
			sbuf_add(&b, "*", 1);
	}
	return sbuf_take(&b);
}

/* Replace each case-insensitive occurrence of needle in b's text. */
static void
replace_all(struct sbuf *out, const char *text, const char *needle,
	    const char *with)
{
	size_t n = strlen(needle);
	const char *p = text, *hit;

	while (n > 0 && (hit = strcasestr(p, needle)) != NULL) {
		sbuf_add(out, p, (size_t)(hit - p));
		sbuf_adds(out, with);
		p = hit + n;
	}
	sbuf_adds(out, p);
}

void
mask_in_text(const char *channel, const char *address, char *text, size_t size)
{
	char *masked, *once, *twice, *e;
	struct sbuf b;
	size_t i;

	if (size == 0)
		return;
	masked = mask_address(channel, address);
	sbuf_init(&b);
	replace_all(&b, text, address, masked);
	once = sbuf_take(&b);
	sbuf_init(&b);
	/* A number is often quoted without its '+'. */
	if (address[0] == '+' && strlen(address) >= 9)
		replace_all(&b, once, address + 1, masked + 1);
	else
		sbuf_adds(&b, once);
	twice = sbuf_take(&b);
	str_copy(text, twice, size);
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] == '\r' || text[i] == '\n' || text[i] == '\t')
			text[i] = ' ';
	e = text + strlen(text);
	while (e > text && e[-1] == ' ')
		*--e = '\0';
	free(masked);
	free(once);
	free(twice);
}
