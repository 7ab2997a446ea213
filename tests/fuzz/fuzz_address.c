/*
 * fuzz_address.c: contact_reason(), the C reading of the address patterns
 * (contacts.h) that the dispatcher checks before a message leaves. Input:
 * one byte choosing the channel, then the address. Nothing crashes; an
 * address it lets through is what the providers' adapters rely on: a
 * phone number is '+' and 8 to 15 digits, an e-mail address has one '@',
 * no control byte, space, quote or angle bracket and at most 254 bytes, a
 * push token is 16 or more of [A-Za-z0-9:_-]; and its mask never shows a
 * phone number whole.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/contacts.h"
#include "base/mask.h"
#include "base/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const channels[] = {"sms", "voice", "email", "push"};
	const char *channel, *why;
	char *addr, *m;
	size_t n;

	if (size < 1)
		return 0;
	channel = channels[data[0] % 4];
	n = size - 1;
	addr = xstrndup((const char *)data + 1, n); /* stops at a NUL */
	why = contact_reason(channel, (const char *)data + 1, n);
	if (why == NULL) {
		size_t len = strlen(addr);

		if (len != n) /* a NUL inside was let through */
			abort();
		if (strcmp(channel, "sms") == 0 ||
		    strcmp(channel, "voice") == 0) {
			if (addr[0] != '+' || len < 9 || len > 16 ||
			    strspn(addr + 1, "0123456789") != len - 1)
				abort();
			m = mask_address(channel, addr);
			if (strstr(m, addr + 1) != NULL)
				abort();
			free(m);
		} else if (strcmp(channel, "email") == 0) {
			const char *at = strchr(addr, '@');

			if (at == NULL || strchr(at + 1, '@') != NULL ||
			    len > 254 ||
			    strpbrk(addr, " \t\r\n\"'<>()") != NULL)
				abort();
		} else if (len < 16 || len > 4096 ||
			   strspn(addr, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkl"
					"mnopqrstuvwxyz0123456789:_-") != len) {
			abort();
		}
	}
	free(addr);
	return 0;
}
