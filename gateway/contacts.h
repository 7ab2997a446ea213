/*
 * contacts.h: when a billing contact may be used, as one SQL fragment for
 * every query that picks contacts (the planner's notice, the dispatcher's
 * fallback). The query names billing_contacts `ct` and joins
 * CONTACT_BLOCKS_JOIN; CONTACT_REASON_SQL is NULL for a usable contact and
 * otherwise says why not. Addresses are compared byte for byte. Both pick
 * the first by contacts_rank_sql(), then priority.
 */
#ifndef FEEGATE_CONTACTS_H
#define FEEGATE_CONTACTS_H

#define CONTACT_BLOCKS_JOIN                                                    \
	" LEFT JOIN contact_blocks cb ON cb.contact_id = ct.contact_id"        \
	"  AND cb.address = ct.address"

#define CONTACT_REASON_SQL                                                        \
	" CASE"                                                                   \
	"   WHEN CAST(ct.channel AS BINARY) NOT IN"                               \
	"        ('sms', 'email', 'voice', 'push')"                               \
	"     THEN 'unknown channel'"                                             \
	"   WHEN ct.channel IN ('sms', 'voice') AND CAST(ct.address AS BINARY)"   \
	"        NOT REGEXP '^[+][1-9][0-9]{7,14}$'"                              \
	"     THEN 'phone number not in E.164 form'"                              \
	"   WHEN ct.channel = 'sms' AND CAST(ct.address AS BINARY) LIKE '+86%'"   \
	"        AND CAST(ct.address AS BINARY)"                                  \
	"        NOT REGEXP '^[+]861[3-9][0-9]{9}$'"                              \
	"     THEN 'not a mainland China mobile number'"                          \
	"   WHEN ct.channel = 'email' AND (LENGTH(ct.address) > 254"              \
	"        OR CAST(ct.address AS BINARY) NOT REGEXP"                        \
	"        '^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?" \
	"([.][A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$')"                         \
	"     THEN 'malformed e-mail address'"                                    \
	"   WHEN ct.channel = 'push' AND CAST(ct.address AS BINARY)"              \
	"        NOT REGEXP '^[A-Za-z0-9:_-]{16,4096}$'"                          \
	"     THEN 'malformed push token'"                                        \
	"   WHEN cb.contact_id IS NOT NULL THEN 'failed permanently before'"      \
	" END"

#include "config.h"
#include "util.h"

/* Append the sort key that puts contacts in [dunning] channel_order, as
 * "CASE <prefix>channel ... END, " (nothing without an order): every query
 * that picks a contact orders by it, then by priority. */
void contacts_rank_sql(const struct config *cfg, const char *prefix,
		       struct sbuf *b);

#endif
