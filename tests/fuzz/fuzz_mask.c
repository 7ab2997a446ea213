/*
 * fuzz_mask.c: what the gateway does with an address in C: the phone
 * numbers staff type into search (timeline_phone_query: only E.164 or an
 * 11-digit mainland mobile, normalized, never longer than its buffer),
 * masking of addresses and of provider texts (the masked form never holds
 * a number's digits in full, in whatever form a provider quotes it). Addresses from billing are validated in SQL
 * (CONTACT_REASON_SQL), driven by the corpus of t_hostile. Nothing
 * crashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mask.h"
#include "base/util.h"
#include "store/timeline.h"

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

/* text with fullwidth digits made ASCII and every separator and other
 * non-digit byte between digits dropped: how a reader sees the digits. */
static void
digits_only(const char *text, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t o = 0;

	while (*p != '\0' && o + 1 < len) {
		if (*p >= '0' && *p <= '9') {
			out[o++] = (char)*p++;
		} else if (p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x90 &&
			   p[2] <= 0x99) {
			out[o++] = (char)('0' + p[2] - 0x90);
			p += 3;
		} else if (*p == '*') { /* a mask breaks the run */
			out[o++] = '*';
			p++;
		} else {
			p++;
		}
	}
	out[o] = '\0';
}

/* A mainland mobile made of the input's digits, quoted by a provider in
 * each form mask_in_text() knows: its last 7 digits never survive. */
static void
quoted_forms(const char *in)
{
	char nat[12], addr[16], text[256], about[256], norm[256], fw[64];
	size_t n = 0, i, o;
	const char *p;

	for (p = in; *p != '\0' && n < 11; p++)
		if (*p >= '0' && *p <= '9')
			nat[n++] = *p;
	if (n < 11)
		return;
	nat[0] = '1';
	nat[11] = '\0';
	snprintf(addr, sizeof(addr), "+86%s", nat);
	for (i = 0, o = 0; i < 11; i++, o += 3) {
		fw[o] = (char)0xef;
		fw[o + 1] = (char)0xbc;
		fw[o + 2] = (char)(0x90 + nat[i] - '0');
	}
	fw[o] = '\0';
	for (i = 0; i < 6; i++) {
		switch (i) {
		case 0:
			snprintf(text, sizeof(text), "号码%s为空号", nat);
			break;
		case 1:
			snprintf(text, sizeof(text), "to 86%s.", nat);
			break;
		case 2:
			snprintf(text, sizeof(text), "+86 %.3s-%.4s-%.4s", nat,
				 nat + 3, nat + 7);
			break;
		case 3:
			snprintf(text, sizeof(text), "0086 %.3s %.4s %.4s", nat,
				 nat + 3, nat + 7);
			break;
		case 4:
			snprintf(text, sizeof(text), "(%s)", fw);
			break;
		default:
			snprintf(text, sizeof(text), "%s: %s", in, nat);
			break;
		}
		/* About the message, and about no one address (the same
		 * form, less the random input the number came from). */
		str_copy(about, text, sizeof(about));
		mask_in_text("sms", addr, text, sizeof(text));
		digits_only(text, norm, sizeof(norm));
		/* (the last form holds the input, which may hold anything) */
		if (i < 5 && strstr(norm, nat + 4) != NULL)
			abort();
		if (i < 5) {
			mask_in_text("", NULL, about, sizeof(about));
			digits_only(about, norm, sizeof(norm));
			if (strstr(norm, nat + 4) != NULL)
				abort();
		}
	}
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
	quoted_forms(in);
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
