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
