/*
 * fuzz_template.c: every shipped template rendered for every channel with
 * values taken from the input (names, areas, reasons, tickets, dates,
 * periods: any bytes, invalid UTF-8 included). A push payload stays valid
 * JSON within its limit and nothing crashes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "queue/template.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct template_set *ts;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const channels[] = {"sms",       "email.subject",
					       "email.txt", "email.html",
					       "voice",     "push"};
	static const char *const locales[] = {"zh-CN", "en"};
	static const struct template_limits lim = {3, 3, {1, 1, 1, 1}};
	const char *f[9] = {0};
	char *copy = malloc(size + 1), *p;
	struct tpl_context c = {0};
	struct fg_err err;
	size_t k, ch, l, n = 0;

	if (ts == NULL &&
	    (ts = template_set_load("templates", NULL, &lim, &err)) == NULL)
		abort();
	memcpy(copy, data, size);
	copy[size] = '\0';
	/* Fields separated by newlines. */
	for (p = copy; n < 9; n++) {
		f[n] = p;
		p = strchr(p, '\n');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	c.account_no = f[0] ? f[0] : "";
	c.name = f[1];
	c.periods = f[2];
	c.due_date = f[3];
	c.business_date = "2026-10-12";
	c.amount_cents = (long long)size * 1234567;
	c.late_fee_cents = size % 2 ? 2716 : -1;
	c.outage_kind = size % 3 ? "planned" : "temporary";
	c.area = f[4];
	c.starts_at = f[5];
	c.ends_at = f[6];
	c.reason = f[7];
	c.old_starts_at = f[5];
	c.old_ends_at = f[6];
	c.ticket = f[8];
	c.status = f[7];
	for (k = 0; k < TPL_OTHER_KINDS + 3; k++) {
		char kind[32];

		if (k < 3)
			snprintf(kind, sizeof(kind), "dunning_%zu", k + 1);
		else
			snprintf(kind, sizeof(kind), "%s",
				 tpl_other_kinds[k - 3]);
		for (l = 0; l < 2; l++)
			for (ch = 0; ch < 6; ch++) {
				struct sbuf out;
				struct sms_length len;

				sbuf_init(&out);
				if (template_render(ts, locales[l], kind,
						    channels[ch], &c, &out,
						    &err) != 0)
					abort();
				if (ch == 5 &&
				    template_push_valid(out.s, &err) != 0 &&
				    out.len <= PUSH_TEXT_MAX) {
					fprintf(stderr, "%s %s: %s\n%s\n",
						locales[l], kind, err.msg,
						out.s);
					abort();
				}
				if (ch == 0)
					sms_measure(out.s, &len);
				sbuf_free(&out);
			}
	}
	free(copy);
	return 0;
}
