/*
 * contacts.c: see contacts.h.
 */
#include "contacts.h"

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
