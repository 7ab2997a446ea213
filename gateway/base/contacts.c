/*
 * contacts.c: see contacts.h.
 */
#include "base/contacts.h"

#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "base/kinds.h"
#include "base/log.h"

enum { RE_CONTROL, RE_E164, RE_CN_MOBILE, RE_EMAIL, RE_PUSH, RE_COUNT };
static regex_t re[RE_COUNT];
static pthread_once_t re_once = PTHREAD_ONCE_INIT;

static void
re_compile(void)
{
	static const char *const src[RE_COUNT] = {CONTACT_RE_CONTROL,
						  CONTACT_RE_E164,
						  CONTACT_RE_CN_MOBILE,
						  CONTACT_RE_EMAIL,
						  CONTACT_RE_PUSH};
	int i;

	for (i = 0; i < RE_COUNT; i++)
		if (regcomp(&re[i], src[i], REG_EXTENDED | REG_NOSUB) != 0)
			fatalx("contacts: pattern %d does not compile", i);
}

static int
matches(int k, const char *s)
{
	return regexec(&re[k], s, 0, NULL, 0) == 0;
}

static const char *
reason_of(enum address_form form, const char *a, size_t n)
{
	if (matches(RE_CONTROL, a))
		return "address contains control characters";
	switch (form) {
	case ADDRESS_MOBILE:
	case ADDRESS_PHONE:
		if (!matches(RE_E164, a))
			return "phone number not in E.164 form";
		if (form == ADDRESS_MOBILE && strncmp(a, "+86", 3) == 0 &&
		    !matches(RE_CN_MOBILE, a))
			return "not a mainland China mobile number";
		return NULL;
	case ADDRESS_EMAIL:
		if (n > CONTACT_EMAIL_MAX || !matches(RE_EMAIL, a))
			return "malformed e-mail address";
		return NULL;
	case ADDRESS_TOKEN:
		if (n > CONTACT_PUSH_MAX || !matches(RE_PUSH, a))
			return "malformed push token";
		return NULL;
	}
	return NULL;
}

const char *
contact_reason(const char *channel, const char *address, size_t n)
{
	const struct channel_kind_info *kind = channel_kind_of(channel);
	const char *why;
	char *a;

	pthread_once(&re_once, re_compile);
	if (kind == NULL)
		return "unknown channel";
	if (memchr(address, '\0', n) != NULL)
		return "address contains control characters";
	a = xstrndup(address, n); /* regexec wants it terminated */
	why = reason_of(kind->address, a, n);
	free(a);
	return why;
}

void
contacts_rank_sql(const struct config *cfg, const char *prefix, struct sbuf *b)
{
	int k;

	if (cfg->dunning.channel_order == NULL)
		return;
	/* The kinds' fixed names and small numbers: nothing from data or
	 * free configuration text reaches the SQL. */
	sbuf_addf(b, "CASE %schannel", prefix);
	for (k = 0; k < CHANNEL_KINDS; k++)
		if (cfg->dunning.channel_rank[k] != 0)
			sbuf_addf(b, " WHEN '%s' THEN %d",
				  channel_kinds[k].name,
				  cfg->dunning.channel_rank[k]);
	sbuf_adds(b, " ELSE 9 END, ");
}

void
contacts_channel_filter(const struct config *cfg, const char *prefix,
			struct sbuf *b)
{
	int k, n = 0;

	for (k = 0; k < CHANNEL_KINDS; k++) {
		if (cfg->channels.provider[k] == NULL)
			continue;
		if (n++ == 0)
			sbuf_addf(b, " AND %schannel IN (", prefix);
		else
			sbuf_adds(b, ", ");
		sbuf_addf(b, "'%s'", channel_kinds[k].name);
	}
	if (n > 0)
		sbuf_adds(b, ")");
}

/* Rows go in sorted, and INSERT IGNORE keeps the first one per account. (A
 * window function does the same, but joining its derived table costs ten
 * times more.) */
char *
contacts_pick_sql(const struct config *cfg, const char *into, const char *from)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_addf(&b,
		  "INSERT IGNORE INTO %s (account_no, contact_id)"
		  " SELECT account_no, contact_id FROM %s"
		  " WHERE consent = 1 AND reason IS NULL",
		  into, from);
	contacts_channel_filter(cfg, "", &b);
	sbuf_adds(&b, " ORDER BY account_no, ");
	contacts_rank_sql(cfg, "", &b);
	sbuf_adds(&b, "priority, contact_id");
	return sbuf_take(&b);
}
