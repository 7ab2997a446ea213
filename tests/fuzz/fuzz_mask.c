/*
 * fuzz_mask.c: what the gateway does with an address in C: the phone
 * numbers staff type into search (timeline_phone_query: only E.164 or an
 * 11-digit mainland mobile, normalized, never longer than its buffer),
 * masking of addresses and of provider texts (the masked form never holds
 * a number's digits in full). Addresses from billing are validated in SQL
 * (CONTACT_REASON_SQL), driven by the corpus of t_hostile. Nothing
 * crashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"
#include "timeline.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether masked shows a run of 11 or more digits of in whole. */
static int
digits_shown(const char *in, const char *masked)
{
	char run[64];
	size_t n;

	for (; *in != '\0'; in += n ? n : 1) {
		n = strspn(in, "0123456789");
		if (n >= 11 && n < sizeof(run)) {
			memcpy(run, in, n);
			run[n] = '\0';
			if (strstr(masked, run) != NULL)
				return 1;
		}
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const channels[] = {"sms", "voice", "email", "push",
					       ""};
	char *in = xstrndup((const char *)data, size);
	char text[512], phone[32], tiny[6];
	size_t i, n;

	for (i = 0; i < sizeof(channels) / sizeof(channels[0]); i++) {
		char *m = mask_address(channels[i], in);

		/* A phone number of 11 digits or more is never shown whole. */
		if (strlen(in) >= 12 && in[0] == '+' &&
		    strspn(in + 1, "0123456789") == strlen(in) - 1 &&
		    strstr(m, in + 1) != NULL)
			abort();
		/* Nor any run of 11 digits or more in a malformed one. */
		if (i < 2 && digits_shown(in, m))
			abort();
		free(m);
		snprintf(text, sizeof(text), "error for %s: refused", in);
		mask_in_text(channels[i], in, text, sizeof(text));
	}
	if (timeline_phone_query(in, phone, sizeof(phone))) {
		n = strlen(phone);
		if (phone[0] != '+' || n < 8 || n > 16 ||
		    strspn(phone + 1, "0123456789") != n - 1)
			abort();
		/* Cut to the buffer, never past it. */
		if (timeline_phone_query(in, tiny, sizeof(tiny)) &&
		    strlen(tiny) >= sizeof(tiny))
			abort();
	}
	free(in);
	return 0;
}
