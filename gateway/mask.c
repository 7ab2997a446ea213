/*
 * mask.c: see mask.h.
 */
#include "mask.h"

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
		sbuf_add(&b, address, cp_offset(address, n - 8));
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
