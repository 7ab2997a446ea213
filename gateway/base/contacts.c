/*
 * contacts.c: see contacts.h.
 */
#include "base/contacts.h"

#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

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
reason_of(int sms, int voice, int email, int push, const char *a, size_t n)
{
	if (matches(RE_CONTROL, a))
		return "address contains control characters";
	if ((sms || voice) && !matches(RE_E164, a))
		return "phone number not in E.164 form";
	if (sms && strncmp(a, "+86", 3) == 0 && !matches(RE_CN_MOBILE, a))
		return "not a mainland China mobile number";
	if (email && (n > CONTACT_EMAIL_MAX || !matches(RE_EMAIL, a)))
		return "malformed e-mail address";
	if (push && (n > CONTACT_PUSH_MAX || !matches(RE_PUSH, a)))
		return "malformed push token";
	return NULL;
}

const char *
contact_reason(const char *channel, const char *address, size_t n)
{
	int sms = strcmp(channel, "sms") == 0;
	int voice = strcmp(channel, "voice") == 0;
	int email = strcmp(channel, "email") == 0;
	int push = strcmp(channel, "push") == 0;
	const char *why;
	char *a;

	pthread_once(&re_once, re_compile);
	if (!sms && !voice && !email && !push)
		return "unknown channel";
	if (memchr(address, '\0', n) != NULL)
		return "address contains control characters";
	a = xstrndup(address, n); /* regexec wants it terminated */
	why = reason_of(sms, voice, email, push, a, n);
	free(a);
	return why;
}

void
contacts_rank_sql(const struct config *cfg, const char *prefix, struct sbuf *b)
{
	static const char *const names[4] = {"sms", "email", "voice", "push"};
	int k;

	if (cfg->dunning.channel_order == NULL)
		return;
	/* The four fixed channel names and small numbers: nothing from data
	 * or free configuration text reaches the SQL. */
	sbuf_addf(b, "CASE %schannel", prefix);
	for (k = 0; k < 4; k++)
		if (cfg->dunning.channel_rank[k] != 0)
			sbuf_addf(b, " WHEN '%s' THEN %d", names[k],
				  cfg->dunning.channel_rank[k]);
	sbuf_adds(b, " ELSE 9 END, ");
}

void
contacts_channel_filter(const struct config *cfg, const char *prefix,
			struct sbuf *b)
{
	const char *ch[4] = {cfg->channels.sms ? "'sms'" : NULL,
			     cfg->channels.email ? "'email'" : NULL,
			     cfg->channels.voice ? "'voice'" : NULL,
			     cfg->channels.push ? "'push'" : NULL};
	int i, n = 0;

	for (i = 0; i < 4; i++) {
		if (ch[i] == NULL)
			continue;
		if (n++ == 0)
			sbuf_addf(b, " AND %schannel IN (", prefix);
		else
			sbuf_adds(b, ", ");
		sbuf_adds(b, ch[i]);
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
