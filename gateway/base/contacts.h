/*
 * contacts.h: when a billing contact may be used, as one SQL fragment for
 * every query that picks contacts (the planner's notice, the dispatcher's
 * fallback). The query names billing_contacts `ct`; the fallback joins
 * CONTACT_BLOCKS_JOIN and CONTACT_REASON_SQL is NULL for a usable contact
 * and otherwise says why not; the night's candidates take the same checks
 * (CONTACT_REASON_CHECKS) and the blocks after (CONTACT_BLOCKED_FIND).
 * Addresses are compared byte for byte. Both pick the first by
 * contacts_rank_sql(), then priority.
 */
#ifndef FEEGATE_CONTACTS_H
#define FEEGATE_CONTACTS_H

/* What a usable address looks like, one source for the SQL below (MariaDB's
 * PCRE over the address's bytes) and for contact_reason() (POSIX extended
 * regular expressions in the C locale, bytewise): written in the syntax
 * both read alike. A control byte is refused first, so PCRE's `$` (which
 * also matches before a final newline) and POSIX's never disagree. */
#define CONTACT_RE_CONTROL   "[[:cntrl:]]"
#define CONTACT_RE_E164      "^[+][1-9][0-9]{7,14}$"
#define CONTACT_RE_CN_MOBILE "^[+]861[3-9][0-9]{9}$"
#define CONTACT_RE_EMAIL                                                       \
	"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?"       \
	"([.][A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$"
#define CONTACT_RE_PUSH "^[A-Za-z0-9:_-]{16,}$"
/* Lengths are compared apart: glibc's regcomp() builds a bounded
 * repetition out, and "{16,4096}" alone took 130 MB. */
#define CONTACT_EMAIL_MAX 254  /* bytes */
#define CONTACT_PUSH_MAX  4096 /* bytes */
#define CONTACT_STR_(x)   #x
#define CONTACT_STR(x)    CONTACT_STR_(x)

#define CONTACT_BLOCKS_JOIN                                                    \
	" LEFT JOIN contact_blocks cb"                                         \
	"  ON {=contacts.contact_id ct.contact_id cb.contact_id}"              \
	"  AND {=contacts.address ct.address cb.address}"

/* Longer addresses do not fit the outbox (messages.address). */
#define CONTACT_ADDRESS_MAX 320 /* characters */

/* Why the contact's own fields make it unusable, as WHEN clauses of a
 * CASE (the reasons in order; the first that holds is given). */
/* clang-format off */
#define CONTACT_REASON_CHECKS                                                  \
	"   WHEN ct.channel IS NULL THEN 'channel missing'"                    \
	"   WHEN ct.address IS NULL THEN 'address missing'"                    \
	"   WHEN ct.consent IS NULL THEN 'consent missing'"                    \
	"   WHEN ct.priority IS NULL THEN 'priority missing'"                  \
	"   WHEN CAST(ct.channel AS BINARY) NOT IN ({K all})"                  \
	"     THEN 'unknown channel'"                                          \
	"   WHEN NOT {V contacts.address ct.address}"                          \
	"     THEN 'address is not valid UTF-8'"                               \
	"   WHEN {W contacts.address ct.address " CONTACT_STR(CONTACT_ADDRESS_MAX) "}"\
	"     THEN 'address longer than 320 characters'"                       \
	"   WHEN CAST(ct.address AS BINARY) REGEXP '" CONTACT_RE_CONTROL "'"   \
	"     THEN 'address contains control characters'"                      \
	"   WHEN ct.channel IN ({K phone}) AND CAST(ct.address AS BINARY)"     \
	"        NOT REGEXP '" CONTACT_RE_E164 "'"                             \
	"     THEN 'phone number not in E.164 form'"                           \
	"   WHEN ct.channel IN ({K mobile})"                                   \
	"        AND CAST(ct.address AS BINARY) LIKE '+86%'"                   \
	"        AND CAST(ct.address AS BINARY)"                               \
	"        NOT REGEXP '" CONTACT_RE_CN_MOBILE "'"                        \
	"     THEN 'not a mainland China mobile number'"                       \
	"   WHEN ct.channel IN ({K email})"                                    \
	"        AND (LENGTH(ct.address) > " CONTACT_STR(CONTACT_EMAIL_MAX)    \
	"             OR CAST(ct.address AS BINARY)"                           \
	"                NOT REGEXP '" CONTACT_RE_EMAIL "')"                   \
	"     THEN 'malformed e-mail address'"                                 \
	"   WHEN ct.channel IN ({K token})"                                    \
	"        AND (LENGTH(ct.address) > " CONTACT_STR(CONTACT_PUSH_MAX)     \
	"             OR CAST(ct.address AS BINARY)"                           \
	"                NOT REGEXP '" CONTACT_RE_PUSH "')"                    \
	"     THEN 'malformed push token'"
/* clang-format on */
#define CONTACT_BLOCKED_REASON "'failed permanently before'"
#define CONTACT_REASON_SQL                                                     \
	" CASE" CONTACT_REASON_CHECKS                                          \
	"   WHEN cb.contact_id IS NOT NULL THEN " CONTACT_BLOCKED_REASON       \
	" END"

/* A temporary table of candidate contacts, as contacts_pick_sql() reads
 * it: "CREATE TEMPORARY TABLE t (" CONTACT_CANDIDATE_COLUMNS "...)", filled
 * by "INSERT INTO t (" CONTACT_CANDIDATE_NAMES ")" CONTACT_CANDIDATES_OF(x),
 * then the blocked ones marked (CONTACT_BLOCKED_FIND and _MARK); and the
 * table of picks (account_no, contact_id). */
#define CONTACT_CANDIDATE_COLUMNS                                              \
	" contact_id BIGINT NOT NULL PRIMARY KEY,"                             \
	" account_no VARCHAR(32) NOT NULL,"                                    \
	" channel VARCHAR(16) CHARACTER SET ascii NOT NULL,"                   \
	" priority BIGINT NOT NULL,"                                           \
	" consent INT NOT NULL,"                                               \
	" reason VARCHAR(40) CHARACTER SET ascii NULL,"
#define CONTACT_CANDIDATE_NAMES                                                \
	"contact_id, account_no, channel, priority, consent, reason"
#define CONTACT_CANDIDATE_SELECT                                               \
	" SELECT ct.contact_id, ct.account_no,"                                \
	"  IF(CAST(ct.channel AS BINARY) IN ({K all}),"                        \
	"     ct.channel, ''),"                                                \
	"  COALESCE(ct.priority, 0), COALESCE(ct.consent <> 0, 0),"            \
	" CASE" CONTACT_REASON_CHECKS " END"
/* The candidates of the accounts of table (or derived table) x: "INSERT
 * [IGNORE] INTO t (" CONTACT_CANDIDATE_NAMES ")" CONTACT_CANDIDATES_OF(x). */
#define CONTACT_ACCOUNT_JOIN                                                   \
	" JOIN {B}.billing_contacts ct"                                        \
	"  ON {=contacts.account_no ct.account_no x.account_no}"
#define CONTACT_CANDIDATES_OF(x)                                               \
	CONTACT_CANDIDATE_SELECT " FROM " x " x" CONTACT_ACCOUNT_JOIN          \
				 " WHERE" CONTACT_HAS_ID
/* The candidates of table t that failed permanently before at the address
 * billing still has (contact_blocks): their ids into table b
 * ("CREATE TEMPORARY TABLE b (" CONTACT_BLOCKED_COLUMNS), then their reason
 * from b. Found from contact_blocks, a few rows, rather than by a lookup
 * in it for every candidate (730,000 candidates at 1M customers: 1.6 µs
 * of MariaDB's CPU a candidate with contact_blocks empty, 2.0 with 58,000
 * blocks, a quarter of the candidates' statement); two statements, since
 * a statement cannot read the temporary table it writes. */
#define CONTACT_BLOCKED_COLUMNS                                                \
	" contact_id BIGINT NOT NULL PRIMARY KEY) ENGINE=MEMORY"
#define CONTACT_BLOCKED_FIND(b, t)                                             \
	"INSERT INTO " b " (contact_id) SELECT t.contact_id"                   \
	" FROM contact_blocks cb JOIN " t " t ON t.contact_id = cb.contact_id" \
	" JOIN {B}.billing_contacts ct"                                        \
	"  ON {=contacts.contact_id ct.contact_id t.contact_id}"               \
	"  AND {=contacts.address ct.address cb.address}"                      \
	" WHERE t.reason IS NULL"
#define CONTACT_BLOCKED_MARK(t, b)                                             \
	"UPDATE " t " t JOIN " b " b ON b.contact_id = t.contact_id"           \
	" SET t.reason = " CONTACT_BLOCKED_REASON
/* The unusable candidates of table t, as rows refused (reported to
 * billing): "INSERT IGNORE INTO tmp_bad" CONTACT_REFUSED_FROM("t"). */
#define CONTACT_REFUSED_FROM(t)                                                \
	" (source, row_key, account_no, reason, channel, address)"             \
	" SELECT 'contact', t.contact_id, t.account_no, t.reason,"             \
	"  c.channel, c.address"                                               \
	" FROM " t " t"                                                        \
	" JOIN {B}.billing_contacts c"                                         \
	"  ON {=contacts.contact_id c.contact_id t.contact_id}"                \
	" WHERE t.reason IS NOT NULL"
/* Contacts without a contact_id the outbox can keep (it names each
 * message's contact by a BIGINT) cannot be used: CONTACT_HAS_ID leaves
 * them out of the candidates, and this records them, for the accounts of
 * table x (account_no): "INSERT IGNORE INTO tmp_bad"
 * CONTACT_NO_ID_FROM("x"). Nothing to do, and no read, where billing's
 * contact_id is integers and cannot be NULL. */
#define CONTACT_HAS_ID " COALESCE({I contacts.contact_id ct.contact_id}, 0)"
#define CONTACT_NO_ID_FROM(x)                                                   \
	" (source, row_key, account_no, reason)"                                \
	" SELECT 'contact',"                                                    \
	"  COALESCE(ct.contact_id, CONCAT('(none), account ', ct.account_no))," \
	"  ct.account_no, IF(ct.contact_id IS NULL, 'contact_id missing',"      \
	"  'contact_id is not a whole number without leading zeros')"           \
	" FROM " x " x" CONTACT_ACCOUNT_JOIN " WHERE NOT" CONTACT_HAS_ID
#define CONTACT_PICK_COLUMNS                                                   \
	" account_no VARCHAR(32) NOT NULL PRIMARY KEY,"                        \
	" contact_id BIGINT NOT NULL) ENGINE=MEMORY"

#include "base/config.h"
#include "base/util.h"

/* Append the sort key that puts contacts in [dunning] channel_order, as
 * "CASE <prefix>channel ... END, " (nothing without an order): every query
 * that picks a contact orders by it, then by priority. */
void contacts_rank_sql(const struct config *cfg, const char *prefix,
		       struct sbuf *b);
/* Append " AND <prefix>channel IN (...)", the channels with a provider
 * (nothing when none is configured: plan only, every channel counts). */
void contacts_channel_filter(const struct config *cfg, const char *prefix,
			     struct sbuf *b);
/* The statement that fills table into (account_no, contact_id) with the
 * first consented, usable contact of each account in table from
 * (contact_id, account_no, channel, priority, consent, reason), on a channel
 * we can send on, in channel_order and then by priority. */
char *contacts_pick_sql(const struct config *cfg, const char *into,
			const char *from);

/* Why an address (n bytes, perhaps with a NUL inside) cannot be used on a
 * channel, in the words of CONTACT_REASON_SQL, or NULL when it can. The
 * dispatcher checks every message once more before it leaves; fuzzed by
 * tests/fuzz/fuzz_address.c. Thread-safe. */
const char *contact_reason(const char *channel, const char *address, size_t n);

#endif
