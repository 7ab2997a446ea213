/*
 * fuzz_mask.c: masking of addresses and of provider texts. The masked
 * form never holds the address's digits in full and nothing crashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const channels[] = {"sms", "voice", "email", "push",
					       ""};
	char *in = xstrndup((const char *)data, size);
	char text[512];
	size_t i;

	for (i = 0; i < sizeof(channels) / sizeof(channels[0]); i++) {
		char *m = mask_address(channels[i], in);

		/* A phone number of 11 digits or more is never shown whole. */
		if (strlen(in) >= 12 && in[0] == '+' &&
		    strspn(in + 1, "0123456789") == strlen(in) - 1 &&
		    strstr(m, in + 1) != NULL)
			abort();
		free(m);
		snprintf(text, sizeof(text), "error for %s: refused", in);
		mask_in_text(channels[i], in, text, sizeof(text));
	}
	free(in);
	return 0;
}
