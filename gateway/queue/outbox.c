/*
 * outbox.c: see outbox.h.
 */
#include "queue/batches.h"
#include "queue/outbox.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/contacts.h"
#include "base/log.h"
#include "base/mask.h"
#include "base/money.h"
#include "store/audit.h"
#include "store/billing.h"

#define ACTOR "dispatcher"

/* " CASE message_id WHEN ? THEN ? ... END" for n rows into sql, their
 * ids and values into p from *np on (n pairs): one statement sets a
 * column to each row's own value. */
static void
case_by_id(struct sbuf *sql, struct db_param *p, size_t *np,
	   const struct db_param *ids, const struct db_param *vals, size_t n)
{
	size_t i;

	sbuf_adds(sql, " CASE message_id");
	for (i = 0; i < n; i++) {
		sbuf_adds(sql, " WHEN ? THEN ?");
		p[(*np)++] = ids[i];
		p[(*np)++] = vals[i];
	}
	sbuf_adds(sql, " END");
}

/* The rest of an IN list of the n ids: placeholders and ")" into sql,
 * the ids into p from *np on. */
static void
in_by_id(struct sbuf *sql, struct db_param *p, size_t *np,
	 const struct db_param *ids, size_t n)
{
	size_t i;

	db_placeholders(sql, n);
	sbuf_adds(sql, ")");
	for (i = 0; i < n; i++)
		p[(*np)++] = ids[i];
}

static void
audit_detail_add(json_t *o, const char *key, const char *v)
{
	char *clean;

	if (v == NULL || *v == '\0')
		return;
	clean = utf8_clean(v, strlen(v), 1);
	json_object_set_new(o, key, json_string(clean));
	free(clean);
}

static char *
detail_dump(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	if (s == NULL)
		fatalx("outbox: json_dumps failed");
	return s;
}

/* The rows a recovery step has just marked with `marker` (all `retry`
 * now): an audit row each, then the mark cleared. Found by state: nothing
 * indexes lease_owner (migration 011), and `retry` holds few rows. */
static int
stage_marked(struct db *db, const char *marker, const char *event,
	     const char *reason, struct fg_err *err)
{
	if (db_exec(db,
		    "INSERT INTO audit_stage (event, account_no, case_id,"
		    " notice_id, message_id, reason)"
		    " SELECT ?, account_no, case_id, notice_id, message_id, ?"
		    " FROM messages WHERE " OUTBOX_ANY_PRIORITY
		    "  AND queue_state = 'retry' AND lease_owner = ?",
		    DB_ARGS(DB_STR(event), DB_STR(reason), DB_STR(marker)),
		    NULL, err) != 0)
		return -1;
	return db_exec(db,
		       "UPDATE messages SET lease_owner = NULL"
		       " WHERE " OUTBOX_ANY_PRIORITY
		       "  AND queue_state = 'retry' AND lease_owner = ?",
		       DB_ARGS(DB_STR(marker)), NULL, err);
}

int
outbox_recover(struct db *db, const struct config *cfg, const char *now,
	       unsigned long long *requeued, struct fg_err *err)
{
	char marker[64];
	unsigned long long a = 0, b = 0;

	/* Rows are marked, audited from the mark, then unmarked: the audit
	 * rows name exactly the rows changed. */
	snprintf(marker, sizeof(marker), "recover:%ld", (long)getpid());
	if (db_begin(db, err) != 0)
		return -1;
	if (audit_stage_begin(db, err) != 0 ||
	    db_exec(db,
		    "UPDATE messages SET state = 'retry', lease_owner = ?,"
		    " lease_expires_at = NULL, next_attempt_at = ?,"
		    " attempts = IF(attempts > 0, attempts - 1, 0)"
		    " WHERE " OUTBOX_ANY_PRIORITY " AND queue_state = 'leased'"
		    "  AND lease_expires_at < ?",
		    DB_ARGS(DB_STR(marker), DB_STR(now), DB_STR(now)), &a,
		    err) != 0 ||
	    (a > 0 && stage_marked(db, marker, "message_requeued",
				   "lease expired before sending", err) != 0) ||
	    batches_in_doubt(db, now, cfg->dispatch.lease, marker, &b, err) !=
		    0 ||
	    (b > 0 && stage_marked(db, marker, "message_in_doubt",
				   "no answer and no receipt: sending again",
				   err) != 0) ||
	    /* A commit mark (db.c) is looked for seconds after it is
	     * written; a day later it is of no use. */
	    db_exec(db,
		    "DELETE FROM commit_marks"
		    " WHERE made_at < UTC_TIMESTAMP() - INTERVAL 1 DAY"
		    " LIMIT 10000",
		    DB_NOARGS, NULL, err) != 0 ||
	    batches_prune(db, now, err) != 0 ||
	    audit_stage_flush(db, ACTOR, NULL, NULL, err) != 0 ||
	    db_commit(db, err) != 0) {
		db_rollback(db);
		return -1;
	}
	*requeued = a + b;
	return 0;
}

struct claim_ctx {
	struct claimed *m;
	size_t n;
	unsigned long long last; /* the highest id claimed queued for now */
};

static int
claim_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct claim_ctx *c = arg;
	struct claimed *m = &c->m[c->n++];

	(void)err;
	memset(m, 0, sizeof(*m));
	m->message_id = strtoull(row->val[0], NULL, 10);
	m->notice_id = strtoull(row->val[1], NULL, 10);
	m->case_id = row->val[2] ? strtoull(row->val[2], NULL, 10) : 0;
	m->contact_id = row->val[3] ? strtoll(row->val[3], NULL, 10) : 0;
	str_copy(m->account_no, row->val[4], sizeof(m->account_no));
	str_copy(m->channel, row->val[5], sizeof(m->channel));
	m->address = xstrdup(row->val[6]);
	str_copy(m->token, row->val[7] ? row->val[7] : "", sizeof(m->token));
	m->attempts = (int)strtol(row->val[8], NULL, 10);
	m->age = strtol(row->val[9] ? row->val[9] : "0", NULL, 10);
	if (row->val[10] != NULL && row->val[10][0] == '1' &&
	    m->message_id > c->last)
		c->last = m->message_id;
	return 0;
}

/* Due messages of one channel and priority class, appended to c: with
 * `rest` 0 those queued for now with an id after `after`; with `rest` 1
 * the others (those queued for now up to `after`, and those whose time
 * has come: a retry's backoff). */
static int
claim_select(struct db *db, struct claim_ctx *c, const char *channel,
	     int urgent, int anytime_only, int rest, unsigned long long after,
	     int limit, const char *now, struct fg_err *err)
{
	char sql[1024];

	/* Fixed texts: nothing from data reaches the SQL. A message's
	 * priority is 0 or 1: its notice's `urgent` (outage.c writes 1, the
	 * API a kind's 0 or 1), copied by fallbacks; a new level must be
	 * claimed here too (and named in OUTBOX_ANY_PRIORITY). Only what is
	 * due is in the ranges read on messages_waiting: `priority > 0`
	 * walked every urgent message ever sent (27 ms a claim instead of
	 * 0.4). The messages queued for now (next_attempt_at NULL) are in
	 * the index in id order, so their range starts at the cursor
	 * (outbox.h, struct outbox_cursor). The priority as a range of one
	 * value and the index named: with `priority = ?` MariaDB reads the
	 * index by its equal prefix from the queue's start, where the
	 * claimed messages' entries are (t_claim). */
	snprintf(
		sql, sizeof(sql),
		"SELECT message_id, notice_id, case_id, contact_id,"
		" account_no, channel, address, receipt_token, attempts,"
		" TIMESTAMPDIFF(SECOND, created_at, ?),"
		" state = 'queued' AND next_attempt_at IS NULL"
		" FROM messages FORCE INDEX (messages_waiting)"
		" WHERE priority BETWEEN %d AND %d%s AND channel = ? AND %s"
		" LIMIT ? FOR UPDATE SKIP LOCKED",
		urgent, urgent, anytime_only ? " AND anytime = 1" : "",
		rest ? "((queue_state = 'queued' AND next_attempt_at IS NULL"
		       "   AND message_id <= ?)"
		       "  OR (queue_state IN ('queued', 'retry')"
		       "      AND next_attempt_at <= ?)"
		       "  OR (queue_state = 'retry' AND next_attempt_at IS NULL))"
		     : "queue_state = 'queued' AND next_attempt_at IS NULL"
		       " AND message_id > ?");
	if (rest)
		return db_query(db, DB_BUFFERED, sql,
				DB_ARGS(DB_STR(now), DB_STR(channel),
					DB_ID(after), DB_STR(now),
					DB_INT(limit)),
				claim_cb, c, err);
	return db_query(db, DB_BUFFERED, sql,
			DB_ARGS(DB_STR(now), DB_STR(channel), DB_ID(after),
				DB_INT(limit)),
			claim_cb, c, err);
}

/* One priority class: the messages queued for now from the cursor on, and
 * when they are fewer than limit, the rest. The cursor goes on to the
 * last one claimed; a claim of only what may go at any hour passes over
 * the others and leaves it where it was. */
static int
claim_class(struct db *db, struct claim_ctx *c, const char *channel, int urgent,
	    int anytime_only, int limit, const char *now,
	    unsigned long long *after, struct fg_err *err)
{
	const size_t had = c->n;

	c->last = 0;
	if (claim_select(db, c, channel, urgent, anytime_only, 0, *after, limit,
			 now, err) != 0 ||
	    (c->n - had < (size_t)limit &&
	     claim_select(db, c, channel, urgent, anytime_only, 1, *after,
			  limit - (int)(c->n - had), now, err) != 0))
		return -1;
	if (!anytime_only && c->last > *after)
		*after = c->last;
	return 0;
}

int
outbox_claim(struct db *db, const char *channel, int limit, unsigned int only,
	     const char *now, struct outbox_cursor *cursor,
	     struct claimed **out, size_t *n, struct fg_err *err)
{
	const int anytime_only = (only & OUTBOX_ANYTIME_ONLY) != 0;
	struct claim_ctx c = {0};
	size_t k;

	*out = NULL;
	*n = 0;
	c.m = xcalloc((size_t)limit, sizeof(*c.m));
	if (db_begin(db, err) != 0)
		goto fail;
	/* Lock the due rows nobody else holds; SKIP LOCKED lets several
	 * dispatchers claim side by side without waiting or overlapping.
	 * Urgent ones (outage notices) first, through their own index. The
	 * row locks are the lease while the batch is loaded and rendered:
	 * outbox_submitting() marks and commits in the same transaction (a
	 * separate `leased` commit cost a statement per message and a
	 * commit per batch), and a dispatcher that dies before that leaves
	 * nothing behind but a rolled-back transaction. */
	if (claim_class(db, &c, channel, 1, anytime_only, limit, now,
			&cursor->after[1], err) != 0 ||
	    (!anytime_only && !(only & OUTBOX_URGENT_ONLY) &&
	     (size_t)limit > c.n &&
	     claim_class(db, &c, channel, 0, 0, limit - (int)c.n, now,
			 &cursor->after[0], err) != 0))
		goto rollback;
	if (c.n == 0) {
		db_rollback(db);
		free(c.m);
		return 0;
	}
	for (k = 0; k < c.n; k++)
		c.m[k].attempts++;
	*out = c.m;
	*n = c.n;
	return 0;
rollback:
	db_rollback(db);
	/* Whatever this transaction had locked is due again, and may lie
	 * behind the cursor. */
	memset(cursor, 0, sizeof(*cursor));
fail:
	outbox_free(c.m, c.n);
	return -1;
}

void
outbox_abandon(struct db *db, struct claimed *m, size_t n)
{
	db_rollback(db);
	outbox_free(m, n);
}

void
outbox_key(unsigned long long message_id, const char *token,
	   char out[OUTBOX_KEY_LEN])
{
	char hex[65];

	sha256_hex(token, strlen(token), hex);
	snprintf(out, OUTBOX_KEY_LEN, "%llu-%.16s", message_id, hex);
}

void
outbox_free(struct claimed *m, size_t n)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(m[i].address);
		free(m[i].body);
		free(m[i].subject);
		free(m[i].html);
		free(m[i].data);
		context_free(&m[i].ctx);
	}
	free(m);
}

struct load_ctx {
	struct claimed *m;
	size_t n;
	const struct config *cfg;
	const char *date;
	struct claimed **by_account; /* the n of m, by account_no's bytes */
};

static int
account_cmp(const void *a, const void *b)
{
	return strcmp((*(struct claimed *const *)a)->account_no,
		      (*(struct claimed *const *)b)->account_no);
}

/* one(m, row) for each claimed message m of the notice a loaded row
 * (notice_id first) is about: a batch may hold more than one message of
 * a notice (its contacts on one channel). */
static int
each_of_notice(struct load_ctx *l, const struct db_row *row,
	       void (*one)(struct claimed *, const struct db_row *))
{
	unsigned long long id = strtoull(row->val[0], NULL, 10);
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->m[i].notice_id == id)
			one(&l->m[i], row);
	return 0;
}

/* The notice and customer behind a message, and whether it may go. */
static void
load_one(struct claimed *m, const struct db_row *row)
{
	str_copy(m->kind, row->val[1], sizeof(m->kind));
	m->seq = (int)strtol(row->val[2], NULL, 10);
	/* Billing's bytes: a NUL or control byte becomes U+FFFD here rather
	 * than cutting the name short or reaching a provider. */
	m->ctx.name = row->val[6] ? utf8_clean(row->val[6], row->len[6], 1)
				  : xstrdup("");
	m->ctx.locale = xstrdup(row->val[7] ? row->val[7] : "");
	m->data = row->val[8] ? xstrdup(row->val[8]) : NULL;
	if (strncmp(m->kind, "dunning", 7) == 0) {
		if (strcmp(row->val[3], "1") != 0)
			m->cancel = "case closed before sending";
		else if (strcmp(row->val[4], "1") != 0)
			m->cancel = "customer no longer in billing";
		else if (strcmp(row->val[5], "0") != 0)
			m->cancel = "account on dunning hold";
	}
}

static int
load_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	return each_of_notice(arg, row, load_one);
}

static int
balance_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct load_ctx *l = arg;
	long long cents = 0;
	size_t i, lo, hi;

	(void)err;
	if (row->val[1] != NULL && money_parse(row->val[1], &cents) != 0)
		cents = 0;
	/* The first of the account's messages, by bisection: a batch's
	 * rows against its messages one by one was n squared. */
	lo = 0;
	hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(l->by_account[mid]->account_no, row->val[0]) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < l->n; i++) {
		struct claimed *m = l->by_account[i];

		if (strcmp(m->account_no, row->val[0]) != 0)
			break;
		m->ctx.t.amount_cents = cents;
		free(m->ctx.periods);
		m->ctx.periods = xstrdup(row->val[2] ? row->val[2] : "");
		str_copy(m->ctx.due_date, row->val[3] ? row->val[3] : "",
			 sizeof(m->ctx.due_date));
	}
	return 0;
}

/* An outage notice's version (and the one told before); a notice for a
 * version that is no longer the outage's is not sent: the next pass says
 * what is true now. */
static void
outage_one(struct claimed *m, const struct db_row *row)
{
	str_copy(m->ctx.outage_kind, row->val[1], sizeof(m->ctx.outage_kind));
	m->ctx.area = xstrdup(row->val[2]);
	m->ctx.reason = row->val[5] ? xstrdup(row->val[5]) : NULL;
	str_copy(m->ctx.starts_at, row->val[3], sizeof(m->ctx.starts_at));
	str_copy(m->ctx.ends_at, row->val[4], sizeof(m->ctx.ends_at));
	str_copy(m->ctx.old_starts_at, row->val[6] ? row->val[6] : "",
		 sizeof(m->ctx.old_starts_at));
	str_copy(m->ctx.old_ends_at, row->val[7] ? row->val[7] : "",
		 sizeof(m->ctx.old_ends_at));
	m->ctx.t.outage_kind = m->ctx.outage_kind;
	m->ctx.t.area = m->ctx.area;
	m->ctx.t.reason = m->ctx.reason;
	m->ctx.t.starts_at = m->ctx.starts_at;
	m->ctx.t.ends_at = m->ctx.ends_at;
	m->ctx.t.old_starts_at =
		m->ctx.old_starts_at[0] ? m->ctx.old_starts_at : NULL;
	m->ctx.t.old_ends_at =
		m->ctx.old_ends_at[0] ? m->ctx.old_ends_at : NULL;
	if (strcmp(row->val[8], "1") != 0)
		m->cancel = "the outage changed since this notice was planned";
	else if (row->val[9] == NULL || strcmp(row->val[9], "1") != 0)
		m->cancel = "billing changed the outage since the last pass "
			    "(the next pass tells what is true now)";
}

static int
outage_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	return each_of_notice(arg, row, outage_one);
}

static int
load_outages(struct db *db, struct load_ctx *l, struct fg_err *err)
{
	struct db_param *p;
	struct sbuf sql;
	size_t i, k = 0;
	int rc;

	p = xcalloc(db_in_pad(l->n), sizeof(*p));
	for (i = 0; i < l->n; i++)
		if (strncmp(l->m[i].kind, "outage", 6) == 0)
			p[k++] = DB_ID(l->m[i].notice_id);
	if (k == 0) {
		free(p);
		return 0;
	}
	sbuf_init(&sql);
	/* STRAIGHT_JOIN, here and in outbox_load(): the batch's notices
	 * first, by primary key, then each one's rows by key. Statistics
	 * taken while a table was nearly empty (outage_versions, notices
	 * before tonight's outage) once made MariaDB start from the outage
	 * and read all its notices for every batch: 60-380 ms a batch of an
	 * outage of 21,183 accounts instead of 0.5 (t_stale_stats). Each
	 * of the gateway's tables by its primary key too: "1 row" made it
	 * scan the outage's versions for every batch. */
	sbuf_adds(
		&sql,
		"SELECT STRAIGHT_JOIN n.notice_id, v.kind, v.area,"
		" DATE_FORMAT(v.starts_at, '%Y-%m-%d %H:%i'),"
		" DATE_FORMAT(v.ends_at, '%Y-%m-%d %H:%i'), v.reason,"
		" DATE_FORMAT(pv.starts_at, '%Y-%m-%d %H:%i'),"
		" DATE_FORMAT(pv.ends_at, '%Y-%m-%d %H:%i'),"
		" o.version = n.outage_version,"
		/* Billing's row itself, right before sending: the
		   * versions know only what a pass saw. */
		" " OUTAGE_SAME(
			"v",
			"b") ""
			     " FROM notices n FORCE INDEX (PRIMARY)"
			     " JOIN outage_versions v FORCE INDEX (PRIMARY)"
			     "  ON v.outage_id = n.outage_id"
			     "  AND v.version = n.outage_version"
			     " LEFT JOIN outage_versions pv FORCE INDEX (PRIMARY)"
			     "  ON pv.outage_id = n.outage_id"
			     "  AND pv.version = n.outage_prev"
			     " JOIN outages o FORCE INDEX (PRIMARY)"
			     "  ON o.outage_id = n.outage_id"
			     " LEFT JOIN {B}.billing_outages b"
			     "  ON {=outages.outage_id b.outage_id n.outage_id}"
			     " WHERE n.notice_id IN (");
	db_placeholders(&sql, db_in_pad(k));
	sbuf_adds(&sql, ")");
	rc = db_query(db, DB_STREAM, sql.s, p, db_pad_params(p, k), outage_cb,
		      l, err);
	sbuf_free(&sql);
	free(p);
	return rc;
}

/* An API notice says what it is about itself (validated when it came):
 * its values replace what billing's balance would say. */
static void
apply_data(struct claimed *c)
{
	json_t *d = json_loads(c->data, 0, NULL);
	const char *v;
	long long cents;

	if (d == NULL)
		return;
	if ((v = json_string_value(json_object_get(d, "amount"))) != NULL &&
	    money_parse(v, &cents) == 0)
		c->ctx.t.amount_cents = cents;
	if ((v = json_string_value(json_object_get(d, "period"))) != NULL) {
		free(c->ctx.periods);
		c->ctx.periods = xstrdup(v);
		c->ctx.t.periods = c->ctx.periods;
	}
	if ((v = json_string_value(json_object_get(d, "due_date"))) != NULL) {
		str_copy(c->ctx.due_date, v, sizeof(c->ctx.due_date));
		c->ctx.t.due_date = c->ctx.due_date;
	}
	if ((v = json_string_value(json_object_get(d, "ticket"))) != NULL) {
		c->ctx.ticket = xstrdup(v);
		c->ctx.t.ticket = c->ctx.ticket;
	}
	if ((v = json_string_value(json_object_get(d, "status"))) != NULL) {
		c->ctx.status = xstrdup(v);
		c->ctx.t.status = c->ctx.status;
	}
	c->ctx.t.late_fee_cents = -1;
	json_decref(d);
}

int
outbox_load(struct db *db, const struct config *cfg, struct claimed *m,
	    size_t n, const char *business_date, struct fg_err *err)
{
	struct load_ctx l = {m, n, cfg, business_date, NULL};
	struct db_param *p;
	struct sbuf sql;
	size_t i;
	int rc = -1;

	if (n == 0)
		return 0;
	sbuf_init(&sql);
	sbuf_adds(&sql,
		  "SELECT STRAIGHT_JOIN n.notice_id, n.kind, n.seq,"
		  " k.active_account IS NOT NULL, c.account_no IS NOT NULL,"
		  " COALESCE(c.dunning_hold <> 0, 0), c.name, c.locale, n.data"
		  " FROM notices n FORCE INDEX (PRIMARY)"
		  " LEFT JOIN dunning_cases k FORCE INDEX (PRIMARY)"
		  "  ON k.case_id = n.case_id"
		  " LEFT JOIN {B}.billing_customers c"
		  "  ON {=customers.account_no c.account_no n.account_no}"
		  " WHERE n.notice_id IN (");
	db_placeholders(&sql, db_in_pad(n));
	sbuf_adds(&sql, ")");
	/* By the notices the claim named: the messages' rows, just read
	 * and locked by the claim, are not read again (a lookup a message
	 * by primary key). */
	p = xcalloc(db_in_pad(n), sizeof(*p));
	for (i = 0; i < n; i++)
		p[i] = DB_ID(m[i].notice_id);
	db_pad_params(p, n);
	if (db_query(db, DB_STREAM, sql.s, p, db_in_pad(n), load_cb, &l, err) !=
		    0 ||
	    load_outages(db, &l, err) != 0)
		goto out;
	free(p);
	p = NULL;
	/* The balance as of now: a payment since the night cancels. The
	 * due date is a filter on the index's entries, not a term of its
	 * ranges (IS TRUE): with it, MariaDB's range analysis combined a
	 * date range with each of the batch's accounts on every execution
	 * (in the client at 1M, a claim of 200 as text: EXPLAIN alone
	 * 1.3-1.5 ms with it, 0.5-0.7 ms without; the statement 2.0-3.6 ms
	 * and 1.5-1.7 ms). The ranges still stop at each account's open
	 * bills. */
	sbuf_free(&sql);
	sbuf_init(&sql);
	sbuf_adds(
		&sql,
		"SELECT {T bills.account_no b.account_no} a,"
		" ROUND(SUM(b.amount_due - b.amount_paid), 2),"
		" GROUP_CONCAT(DISTINCT b.period ORDER BY b.period"
		"  SEPARATOR ','),"
		" DATE_FORMAT(MIN(b.due_date), '%Y-%m-%d')"
		" FROM {B}.billing_bills b"
		" WHERE b.status = 'open' AND CAST(b.status AS BINARY) = 'open'"
		"  AND (b.due_date < DATE_SUB(?, INTERVAL ? DAY)) IS TRUE"
		"  AND b.account_no IN (");
	db_placeholders(&sql, db_in_pad(n));
	sbuf_adds(&sql, ") GROUP BY a");
	p = xcalloc(db_in_pad(n) + 2, sizeof(*p));
	p[0] = DB_STR(business_date);
	p[1] = DB_INT(cfg->dunning.grace_days);
	l.by_account = xcalloc(n, sizeof(*l.by_account));
	for (i = 0; i < n; i++) {
		p[2 + i] = DB_STR(m[i].account_no);
		l.by_account[i] = &m[i];
	}
	qsort(l.by_account, n, sizeof(*l.by_account), account_cmp);
	if (db_query(db, DB_STREAM, sql.s, p, 2 + db_pad_params(p + 2, n),
		     balance_cb, &l, err) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct claimed *c = &m[i];

		str_copy(c->ctx.account_no, c->account_no,
			 sizeof(c->ctx.account_no));
		str_copy(c->ctx.business_date, business_date,
			 sizeof(c->ctx.business_date));
		if (c->ctx.periods == NULL)
			c->ctx.periods = xstrdup("");
		if (c->ctx.name == NULL)
			c->ctx.name = xstrdup("");
		c->ctx.t.account_no = c->ctx.account_no;
		c->ctx.t.name = c->ctx.name;
		c->ctx.t.periods = c->ctx.periods;
		c->ctx.t.due_date = c->ctx.due_date[0] ? c->ctx.due_date : NULL;
		c->ctx.t.business_date = c->ctx.business_date;
		context_late_fee(&c->ctx, cfg);
		if (c->data != NULL)
			apply_data(c);
		if (c->cancel == NULL && strncmp(c->kind, "dunning", 7) == 0 &&
		    c->ctx.t.amount_cents < cfg->dunning.min_amount)
			c->cancel = "paid before sending";
	}
	rc = 0;
out:
	free(l.by_account);
	free(p);
	sbuf_free(&sql);
	return rc;
}

/* A message's receipt token, from its batch's key (32 hex digits): the
 * first 32 hex digits of SHA-256("KEY:ID"), as mark_submitting() has
 * MariaDB make it. */
static void
receipt_token(const char *key, unsigned long long message_id, char out[33])
{
	char in[64], hex[65];
	int n = snprintf(in, sizeof(in), "%s:%llu", key, message_id);

	sha256_hex(in, (size_t)n, hex);
	memcpy(out, hex, 32);
	out[32] = '\0';
}

/* The batch's row (batches.h: how recovery finds a message that got no
 * answer once the lease is over); each message's parts by CASE on its id
 * (padded like an IN list), its token from the batch's key (a message
 * that has one keeps it), the lease and the batch for all; then the
 * texts, appended to message_texts in one bulk insert
 * (020_message_texts.sql says why they are not on the message's row). */
static int
mark_submitting(struct db *db, const struct config *cfg, struct claimed **c,
		size_t k, const char *key, const char *owner,
		const char *provider, const char *now, struct fg_err *err)
{
	size_t kk = db_in_pad(k), i, np = 0;
	struct db_param *p = xcalloc(3 * kk + 8, sizeof(*p)),
			*v = xcalloc(2 * kk, sizeof(*v));
	struct db_param *id = v, *parts = v + kk;
	struct db_bulk *texts = NULL;
	unsigned long long batch = 0, *mids = xcalloc(k, sizeof(*mids));
	struct sbuf sql;
	int rc;

	for (i = 0; i < k; i++)
		mids[i] = c[i]->message_id;
	rc = batches_open(db, c[0]->channel, provider, now, cfg->dispatch.lease,
			  mids, k, &batch, err);
	free(mids);
	if (rc != 0) {
		free(p);
		free(v);
		return -1;
	}
	for (i = 0; i < kk; i++) { /* padded: the last one repeats */
		const struct claimed *m = c[i < k ? i : k - 1];

		id[i] = DB_ID(m->message_id);
		parts[i] = DB_INT(m->parts);
		if (i < k)
			c[i]->batch_id = batch;
	}
	sbuf_init(&sql);
	sbuf_adds(&sql, "UPDATE messages SET state = 'submitting', parts =");
	case_by_id(&sql, p, &np, id, parts, kk);
	/* receipt_token() in SQL: a value a row given by CASE cost as much
	 * as the rest of the row's update (50,000 rows in the client). */
	sbuf_adds(&sql, ", receipt_token = COALESCE(NULLIF(receipt_token, ''),"
			" LEFT(SHA2(CONCAT(?, ':', message_id), 256), 32)),"
			" submitted_at = ?, next_attempt_at = ?,"
			" provider = ?,"
			" attempts = attempts + 1, lease_owner = ?,"
			" lease_expires_at = DATE_ADD(?, INTERVAL ? SECOND),"
			" batch_id = ?"
			" WHERE message_id IN (");
	p[np++] = DB_STR(key);
	p[np++] = DB_STR(now);
	p[np++] = DB_STR(now);
	p[np++] = DB_STR(provider);
	p[np++] = DB_STR(owner);
	p[np++] = DB_STR(now);
	p[np++] = DB_INT(cfg->dispatch.lease);
	p[np++] = DB_ID(batch);
	in_by_id(&sql, p, &np, id, kk);
	rc = db_exec(db, sql.s, p, np, NULL, err);
	sbuf_free(&sql);
	free(p);
	free(v);
	if (rc != 0)
		return -1;
	texts = db_bulk_new(db,
			    "INSERT INTO message_texts (message_id, body)"
			    " VALUES (?, ?)"
			    " ON DUPLICATE KEY UPDATE body = VALUES(body)",
			    "is", k, err);
	if (texts == NULL)
		return -1;
	for (i = 0; i < k; i++) {
		if (c[i]->body == NULL) /* not rendered: nothing to keep */
			continue;
		db_bulk_int(texts, 0, (long long)c[i]->message_id);
		db_bulk_str(texts, 1, c[i]->body);
		if (db_bulk_row(texts, err) != 0) {
			db_bulk_free(texts);
			return -1;
		}
	}
	rc = db_bulk_flush(texts, err);
	db_bulk_free(texts);
	return rc;
}

/* An outage or service notice whose messages were all cancelled (the
 * outage changed, the notice is no longer true) is cancelled itself, not
 * left planned, on the business date (closed_on: until then its sent_on,
 * migration 022). A dunning notice stays as it is: the night fails it
 * when it is due, and the ladder goes on from there. */
static int
notices_cancelled(struct db *db, const struct claimed *m, size_t n,
		  const char *business_date, struct fg_err *err)
{
	struct db_param *p = xcalloc(db_in_pad(n) + 1, sizeof(*p));
	size_t i, k = 0;
	int rc;

	for (i = 0; i < n; i++)
		if (m[i].cancel != NULL && strcmp(m[i].kind, "dunning") != 0)
			p[1 + k++] = DB_ID(m[i].notice_id);
	if (k == 0) {
		free(p);
		return 0;
	}
	p[0] = DB_STR(business_date);
	rc = db_exec_in(db,
			"UPDATE notices n SET n.state = 'cancelled',"
			" n.closed_on = ?"
			" WHERE n.state IN ('planned', 'sending')"
			" AND n.kind <> 'dunning'"
			" AND NOT EXISTS (SELECT 1 FROM messages x"
			"  WHERE x.notice_id = n.notice_id AND x.state IN"
			"  ('queued', 'retry', 'leased', 'submitting',"
			"   'accepted', 'delivered'))"
			" AND n.notice_id IN (",
			p, 1, k, NULL, err);
	free(p);
	return rc;
}

int
outbox_submitting(struct db *db, const struct config *cfg, struct claimed *m,
		  size_t n, const char *owner, const char *provider,
		  const char *now, const char *business_date,
		  struct fg_err *err)
{
	struct audit_batch *w = audit_batch_new();
	struct claimed **go = xcalloc(n, sizeof(*go));
	/* The receipt tokens (the credential a receipt for the message
	 * brings): from 128 random bits a batch, OpenSSL's CSPRNG, never
	 * kept (receipt_token()); a token tells nothing of the key nor of
	 * another message's token. A draw a message was 7% of the
	 * dispatcher's CPU, and MariaDB's RANDOM_BYTES() is evaluated once a
	 * statement. Kept across attempts. */
	char key[33];
	size_t i, k = 0;

	if (random_hex128(key) != 0) {
		err_set(err, "outbox: no random bytes for the receipt tokens");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		struct claimed *c = &m[i];

		if (c->cancel != NULL) {
			json_t *d = json_object();
			char *detail,
				*masked = mask_address(c->channel, c->address);

			json_object_set_new(d, "reason",
					    json_string(c->cancel));
			audit_detail_add(d, "channel", c->channel);
			audit_detail_add(d, "address", masked);
			free(masked);
			detail = detail_dump(d);
			/* Not an attempt: attempts stays as it was. */
			if (db_exec(db,
				    "UPDATE messages SET state = 'cancelled',"
				    " last_error = ?, lease_owner = NULL,"
				    " lease_expires_at = NULL, final_at = ?"
				    " WHERE message_id = ?",
				    DB_ARGS(DB_STR(c->cancel), DB_STR(now),
					    DB_ID(c->message_id)),
				    NULL, err) != 0) {
				free(detail);
				goto fail;
			}
			audit_batch_add(w, "message_cancelled", c->account_no,
					c->case_id, c->notice_id, c->message_id,
					0, detail);
			free(detail);
			continue;
		}
		if (c->token[0] == '\0')
			receipt_token(key, c->message_id, c->token);
		go[k++] = c;
	}
	if (k > 0 && mark_submitting(db, cfg, go, k, key, owner, provider, now,
				     err) != 0)
		goto fail;
	if (k < n && notices_cancelled(db, m, n, business_date, err) != 0)
		goto fail;
	if (audit_batch_write(db, w, ACTOR, business_date, err) != 0)
		goto fail;
	audit_batch_free(w);
	free(go);
	explicit_bzero(key, sizeof(key));
	return db_commit(db, err);
fail:
	audit_batch_free(w);
	free(go);
	explicit_bzero(key, sizeof(key));
	db_rollback(db);
	return -1;
}

/* Run a transaction again when the database chose it as a deadlock victim,
 * it waited too long for a lock, or the connection went and came back: it
 * was rolled back whole (db_retryable). */
#define RETRY_TXN(db, call)                                                    \
	do {                                                                   \
		int tries_;                                                    \
		for (tries_ = 0;; tries_++) {                                  \
			int rc_ = (call);                                      \
			if (rc_ == 0 || !db_retryable(db) || tries_ == 4)      \
				return rc_;                                    \
			log_warnx("outbox: rolled back, running it again: %s", \
				  err->msg);                                   \
			usleep(5000u * (unsigned)(tries_ + 1));                \
		}                                                              \
	} while (0)

static int
block_contact(struct db *db, long long contact_id, const char *channel,
	      const char *address, const char *reason, const char *now,
	      struct fg_err *err)
{
	if (contact_id == 0)
		return 0;
	return db_exec(
		db,
		"INSERT INTO contact_blocks (contact_id, channel, address,"
		" reason, since) VALUES (?, ?, ?, ?, ?)"
		" ON DUPLICATE KEY UPDATE address = VALUES(address),"
		"  reason = VALUES(reason), since = VALUES(since),"
		"  failures = failures + 1",
		DB_ARGS(DB_INT(contact_id), DB_STR(channel), DB_STR(address),
			DB_STR(reason), DB_STR(now)),
		NULL, err);
}

/* The channels with a provider: a fallback goes only where we can send. */
static size_t
enabled_channels(const struct config *cfg, struct db_param *p)
{
	size_t n = 0;
	int k;

	for (k = 0; k < CHANNEL_KINDS; k++)
		if (cfg->channels.provider[k] != NULL)
			p[n++] = DB_STR(channel_kinds[k].name);
	return n;
}

struct fallback_ctx {
	unsigned long long message_id;
	char channel[17];
	long long contact_id;
	char *address;
};

static int
fallback_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct fallback_ctx *f = arg;

	(void)err;
	f->message_id = strtoull(row->val[0], NULL, 10);
	str_copy(f->channel, row->val[1], sizeof(f->channel));
	f->contact_id = strtoll(row->val[2], NULL, 10);
	f->address = xstrdup(row->val[3]);
	return 1;
}

/* A notice none of whose contacts is left to try: unreachable once no
 * message of it is live (a notice that went to several contacts at once,
 * a large customer's outage notice, still reaches the others), failed
 * at once, as a notice with no contact at all is when it is planned (it
 * counts toward the ladder). */
static int
notice_exhausted(struct db *db, struct audit_batch *w, const char *account_no,
		 unsigned long long case_id, unsigned long long notice_id,
		 const char *why, const char *business_date, struct fg_err *err)
{
	char live[8], *detail;
	int found;
	json_t *d;

	if (db_query_value(db,
			   "SELECT 1 FROM messages WHERE notice_id = ?"
			   " AND state IN ('queued', 'retry', 'leased',"
			   " 'submitting', 'accepted', 'delivered')"
			   " LIMIT 1",
			   DB_ARGS(DB_ID(notice_id)), live, sizeof(live),
			   &found, err) != 0)
		return -1;
	if (found)
		return 0;
	if (db_exec(db,
		    "UPDATE notices SET state = 'failed',"
		    " unreachable = 1, failed_on = ?"
		    " WHERE notice_id = ? AND state IN"
		    " ('planned', 'sending', 'sent')",
		    DB_ARGS(DB_STR(business_date), DB_ID(notice_id)), NULL,
		    err) != 0)
		return -1;
	d = json_object();
	audit_detail_add(d, "reason", why);
	detail = detail_dump(d);
	audit_batch_add(w, "notice_unreachable", account_no, case_id, notice_id,
			0, 0, detail);
	free(detail);
	return 0;
}

/* The message just queued for the notice, audited with why. */
static int
audit_next_queued(struct db *db, struct audit_batch *w, const char *account_no,
		  unsigned long long case_id, unsigned long long notice_id,
		  const char *why, struct fg_err *err)
{
	struct fallback_ctx f = {0};
	char *masked, *detail;
	json_t *d;

	if (db_query(db, DB_STREAM,
		     "SELECT message_id, channel, contact_id, address"
		     " FROM messages WHERE notice_id = ?"
		     " ORDER BY message_id DESC LIMIT 1",
		     DB_ARGS(DB_ID(notice_id)), fallback_cb, &f, err) != 0) {
		free(f.address);
		return -1;
	}
	masked = mask_address(f.channel, f.address);
	d = json_object();
	audit_detail_add(d, "reason", why);
	audit_detail_add(d, "channel", f.channel);
	json_object_set_new(d, "contact_id", json_integer(f.contact_id));
	audit_detail_add(d, "address", masked);
	free(masked);
	detail = detail_dump(d);
	audit_batch_add(w, "message_queued", account_no, case_id, notice_id,
			f.message_id, 0, detail);
	free(detail);
	free(f.address);
	return 0;
}

int
outbox_queue_next(struct db *db, const struct config *cfg,
		  struct audit_batch *w, const char *account_no,
		  unsigned long long case_id, unsigned long long notice_id,
		  const char *why, const char *business_date,
		  struct fg_err *err)
{
	struct db_param p[CHANNEL_KINDS + 4];
	unsigned long long added = 0;
	struct sbuf sql;
	size_t nch;
	int rc;

	p[0] = DB_STR(business_date);
	p[1] = DB_ID(notice_id);
	nch = enabled_channels(cfg, p + 2);
	if (nch == 0)
		p[2 + nch++] = DB_STR("none");
	sbuf_init(&sql);
	sbuf_adds(
		&sql,
		"INSERT INTO messages (notice_id, case_id, account_no, channel,"
		" contact_id, address, state, created_on, priority, anytime)"
		" SELECT n.notice_id, n.case_id, n.account_no, ct.channel,"
		"  ct.contact_id, ct.address, 'queued', ?, n.urgent, n.anytime"
		" FROM notices n"
		" JOIN {B}.billing_contacts ct"
		"  ON {=contacts.account_no ct.account_no n.account_no}" CONTACT_BLOCKS_JOIN
		" LEFT JOIN messages tried ON tried.notice_id = n.notice_id"
		"  AND {=contacts.contact_id ct.contact_id tried.contact_id}"
		" WHERE n.notice_id = ? AND ct.consent <> 0"
		"  AND" CONTACT_HAS_ID "  AND tried.message_id IS NULL"
		"  AND (" CONTACT_REASON_SQL ") IS NULL"
		"  AND ct.channel IN (");
	db_placeholders(&sql, nch);
	sbuf_adds(&sql, ") ORDER BY ");
	contacts_rank_sql(cfg, "ct.", &sql);
	sbuf_adds(&sql, "ct.priority, ct.contact_id LIMIT 1");
	rc = db_exec(db, sql.s, p, nch + 2, &added, err);
	sbuf_free(&sql);
	if (rc != 0)
		return -1;
	if (added == 0)
		return notice_exhausted(db, w, account_no, case_id, notice_id,
					why, business_date, err);
	return audit_next_queued(db, w, account_no, case_id, notice_id, why,
				 err);
}

/* The attempts of a batch the providers took: their messages accepted
 * (unless a receipt came first: its state stays), in one statement for up
 * to RECORD_CHUNK of them (their notices read as sent: NOTICE_STATE). */
#define RECORD_CHUNK 200

static int
record_sent_chunk(struct db *db, struct attempt **s, size_t k,
		  struct fg_err *err)
{
	size_t kk = db_in_pad(k), i, np = 0;
	struct db_param *p = xcalloc(3 * kk, sizeof(*p)),
			*v = xcalloc(2 * kk, sizeof(*v));
	struct db_param *id = v, *ref = v + kk;
	struct sbuf sql;
	int rc;

	for (i = 0; i < kk; i++) { /* padded: the last one repeats */
		const struct attempt *a = s[i < k ? i : k - 1];

		id[i] = DB_ID(a->m->message_id);
		ref[i] = DB_STR(a->res.ref);
	}
	/* The provider is on the row since it was marked submitting: the
	 * lane's, whose answer this is (a lane keeps its provider). A
	 * reference a receipt brought first (Kannel names its message only
	 * there, and its report can beat the answer) is kept. */
	sbuf_init(&sql);
	sbuf_adds(&sql, "UPDATE messages SET"
			" state = IF(state = 'submitting', 'accepted', state),"
			" provider_ref = COALESCE(NULLIF(");
	case_by_id(&sql, p, &np, id, ref, kk);
	sbuf_adds(&sql, ", ''), NULLIF(provider_ref, ''), '')"
			", lease_owner = NULL, lease_expires_at = NULL"
			" WHERE message_id IN (");
	in_by_id(&sql, p, &np, id, kk);
	rc = db_exec(db, sql.s, p, np, NULL, err);
	sbuf_free(&sql);
	free(p);
	free(v);
	return rc;
}

static int
record_sent(struct db *db, struct attempt *a, size_t n, struct fg_err *err)
{
	struct attempt *s[RECORD_CHUNK];
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		if (a[i].d.outcome != OUTCOME_SENT)
			continue;
		s[k++] = &a[i];
		if (k == RECORD_CHUNK) {
			if (record_sent_chunk(db, s, k, err) != 0)
				return -1;
			k = 0;
		}
	}
	return k > 0 ? record_sent_chunk(db, s, k, err) : 0;
}

/* The attempt's audit row, in the batch of the transaction. */
static void
attempt_audit(struct audit_batch *w, const struct attempt *t)
{
	const struct claimed *m = t->m;
	const struct delivery_result *r = &t->res;
	json_t *d = json_object();
	char *detail;

	audit_detail_add(d, "provider", t->provider);
	json_object_set_new(d, "attempt", json_integer(m->attempts));
	audit_detail_add(d, "result", outcome_names[t->d.outcome]);
	audit_detail_add(d, "code", r->code);
	audit_detail_add(d, "text", r->text);
	audit_detail_add(d, "ref", r->ref);
	if (m->parts > 0)
		json_object_set_new(d, "parts", json_integer(m->parts));
	if (m->fit[0] != '\0')
		audit_detail_add(d, "shortened", m->fit);
	if (t->d.delay > 0)
		json_object_set_new(d, "retry_in", json_integer(t->d.delay));
	detail = detail_dump(d);
	audit_batch_add(w, "message_attempt", m->account_no, m->case_id,
			m->notice_id, m->message_id, 0, detail);
	free(detail);
}

/* An attempt that did not end at the provider: tried again later, or
 * the message's end (its contact blocked when the address is at fault). */
static int
attempt_not_sent(struct db *db, const struct attempt *t, const char *errtext,
		 const char *now, struct fg_err *err)
{
	const struct claimed *m = t->m;
	int rc;

	if (t->d.outcome == OUTCOME_RETRY || t->d.outcome == OUTCOME_REQUEUE)
		return db_exec(
			db,
			"UPDATE messages SET state = 'retry',"
			" provider = ?, last_error = ?,"
			" next_attempt_at = DATE_ADD(?, INTERVAL ? SECOND),"
			" attempts = attempts - ?,"
			" lease_owner = NULL, lease_expires_at = NULL"
			" WHERE message_id = ? AND state = 'submitting'",
			DB_ARGS(DB_STR(t->provider), DB_STR(errtext),
				DB_STR(now), DB_INT(t->d.delay),
				DB_INT(t->d.outcome == OUTCOME_REQUEUE),
				DB_ID(m->message_id)),
			NULL, err);
	rc = db_exec(db,
		     "UPDATE messages SET state = ?, provider = ?,"
		     " last_error = ?, final_at = ?,"
		     " lease_owner = NULL, lease_expires_at = NULL"
		     " WHERE message_id = ?"
		     "  AND state IN ('submitting', 'leased')",
		     DB_ARGS(DB_STR(t->d.outcome == OUTCOME_EXPIRED
					    ? "expired"
					    : "failed_permanent"),
			     DB_STR(t->provider), DB_STR(errtext), DB_STR(now),
			     DB_ID(m->message_id)),
		     NULL, err);
	if (rc == 0 && t->d.outcome == OUTCOME_FAILED)
		rc = block_contact(db, m->contact_id, m->channel, m->address,
				   errtext, now, err);
	return rc;
}

static int
record_once(struct db *db, const struct config *cfg, struct attempt *a,
	    size_t n, const char *now, const char *business_date,
	    struct fg_err *err)
{
	struct audit_batch *w = audit_batch_new();
	struct batch_counts counts = {0};
	size_t i;

	if (db_begin(db, err) != 0) {
		audit_batch_free(w);
		return -1;
	}
	/* Those the provider took, all at once. */
	if (record_sent(db, a, n, err) != 0)
		goto fail;
	for (i = 0; i < n; i++) {
		const struct attempt *t = &a[i];
		const struct claimed *m = t->m;
		char errtext[256];
		int ended = t->d.outcome == OUTCOME_EXPIRED ||
			    t->d.outcome == OUTCOME_FAILED ||
			    t->d.outcome == OUTCOME_REFUSED;

		snprintf(errtext, sizeof(errtext), "%s %s", t->res.code,
			 t->res.text);
		if (t->d.outcome != OUTCOME_SENT &&
		    attempt_not_sent(db, t, errtext, now, err) != 0)
			goto fail;
		attempt_audit(w, t);
		/* Answered; a receipt awaited when the provider took it. */
		batches_note(&counts, m->batch_id, 1,
			     t->d.outcome == OUTCOME_SENT);
		/* The notice goes on to its next contact. */
		if (ended &&
		    outbox_queue_next(db, cfg, w, m->account_no, m->case_id,
				      m->notice_id, errtext, business_date,
				      err) != 0)
			goto fail;
	}
	if (batches_write(db, &counts, err) != 0 ||
	    audit_batch_write(db, w, ACTOR, business_date, err) != 0)
		goto fail;
	audit_batch_free(w);
	batches_counts_free(&counts);
	return db_commit(db, err);
fail:
	audit_batch_free(w);
	batches_counts_free(&counts);
	db_rollback(db);
	return -1;
}

int
outbox_record(struct db *db, const struct config *cfg, struct attempt *a,
	      size_t n, const char *now, const char *business_date,
	      struct fg_err *err)
{
	if (n == 0)
		return 0;
	RETRY_TXN(db, record_once(db, cfg, a, n, now, business_date, err));
}

struct receipt_row {
	unsigned long long message_id;
	char state[24];
	char token[64];
	unsigned long long notice_id, case_id;
	long long contact_id;
	char account_no[33];
	char channel[17];
	char *address;
	int attempts;
	unsigned long long batch_id; /* message_batches, or 0 */
	int has_ref;                 /* provider_ref is set */
	char *progress; /* the progress codes applied: PROGRESS_SEP each */
	int progressed; /* progress grew in this batch: to be written */
};

struct receipt_rows {
	struct receipt_row *r;
	size_t n;
};

static int
receipt_row_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct receipt_rows *rows = arg;
	struct receipt_row *r = &rows->r[rows->n++];

	(void)err;
	r->message_id = strtoull(row->val[0], NULL, 10);
	str_copy(r->state, row->val[1], sizeof(r->state));
	str_copy(r->token, row->val[2] ? row->val[2] : "", sizeof(r->token));
	r->notice_id = strtoull(row->val[3], NULL, 10);
	r->case_id = row->val[4] ? strtoull(row->val[4], NULL, 10) : 0;
	r->contact_id = row->val[5] ? strtoll(row->val[5], NULL, 10) : 0;
	str_copy(r->account_no, row->val[6], sizeof(r->account_no));
	str_copy(r->channel, row->val[7], sizeof(r->channel));
	r->address = xstrdup(row->val[8]);
	r->attempts = row->val[9] ? (int)strtol(row->val[9], NULL, 10) : 0;
	r->has_ref = row->val[10] != NULL && row->val[10][0] == '1';
	r->progress = xstrdup(row->val[11] ? row->val[11] : "");
	r->batch_id = row->val[12] ? strtoull(row->val[12], NULL, 10) : 0;
	return 0;
}

static int
receipt_row_cmp(const void *a, const void *b)
{
	unsigned long long x = ((const struct receipt_row *)a)->message_id,
			   y = ((const struct receipt_row *)b)->message_id;

	return x < y ? -1 : x > y;
}

static struct receipt_row *
receipt_row_find(struct receipt_rows *rows, unsigned long long id)
{
	struct receipt_row key;

	key.message_id = id;
	return bsearch(&key, rows->r, rows->n, sizeof(*rows->r),
		       receipt_row_cmp);
}

static int
is_final_state(const char *state)
{
	return strcmp(state, "delivered") == 0 ||
	       strcmp(state, "failed_permanent") == 0 ||
	       strcmp(state, "expired") == 0 || strcmp(state, "cancelled") == 0;
}

/* One receipt that is not "delivered": its own statements (busy and
 * unanswered calls, failures with their fallback: a few per night). */
/* Whether the channel's receipts may ask for the same address again
 * (kinds.h; a call that was busy or not answered). */
static int
retries_address(const char *channel)
{
	const struct channel_kind_info *k = channel_kind_of(channel);

	return k != NULL && k->retries_address;
}

static int
receipt_other(struct db *db, const struct config *cfg, struct audit_batch *w,
	      struct receipt_row *row, const struct receipt *r, int again,
	      const char *errtext, const char *now, const char *business_date,
	      struct fg_err *err)
{
	int failed = r->status == DELIVERY_PERMFAIL, rc;

	if (again && retries_address(row->channel)) {
		str_copy(row->state, "retry", sizeof(row->state));
		return db_exec(db,
			       "UPDATE messages SET state = 'retry',"
			       " next_attempt_at = CAST(? AS DATETIME(6))"
			       "  + INTERVAL ? SECOND,"
			       " last_error = ?, lease_owner = NULL,"
			       " lease_expires_at = NULL WHERE message_id = ?",
			       DB_ARGS(DB_STR(now),
				       DB_INT(cfg->voice.retry_after),
				       DB_STR(errtext), DB_ID(r->message_id)),
			       NULL, err);
	}
	if (again) {
		/* Not delivered for the moment (a phone off until the SMSC
		 * gave up): the same address after the backoff, while the
		 * message is younger than expire_after; then it expires. */
		unsigned long long n = 0;

		if (db_exec(db,
			    "UPDATE messages SET state = 'retry',"
			    " next_attempt_at = CAST(? AS DATETIME(6))"
			    "  + INTERVAL ? SECOND,"
			    " last_error = ?, lease_owner = NULL,"
			    " lease_expires_at = NULL WHERE message_id = ?"
			    " AND created_at > CAST(? AS DATETIME(6))"
			    "  - INTERVAL ? SECOND",
			    DB_ARGS(DB_STR(now),
				    DB_INT(policy_backoff(cfg, row->attempts,
							  0)),
				    DB_STR(errtext), DB_ID(r->message_id),
				    DB_STR(now),
				    DB_INT(cfg->dispatch.expire_after)),
			    &n, err) != 0)
			return -1;
		if (n > 0) {
			str_copy(row->state, "retry", sizeof(row->state));
			return 0;
		}
	}
	str_copy(row->state, failed ? "failed_permanent" : "expired",
		 sizeof(row->state));
	rc = db_exec(db,
		     "UPDATE messages SET state = ?, final_at = ?,"
		     " last_error = ?, lease_owner = NULL,"
		     " lease_expires_at = NULL WHERE message_id = ?",
		     DB_ARGS(DB_STR(row->state), DB_STR(now), DB_STR(errtext),
			     DB_ID(r->message_id)),
		     NULL, err);
	if (rc == 0 && failed)
		rc = block_contact(db, row->contact_id, row->channel,
				   row->address, errtext, now, err);
	if (rc == 0)
		rc = outbox_queue_next(db, cfg, w, row->account_no,
				       row->case_id, row->notice_id, errtext,
				       business_date, err);
	return rc;
}

/* The delivered ones of a batch: one statement for all of them (their
 * notices read as delivered: NOTICE_STATE). */
static int
receipts_delivered(struct db *db, const unsigned long long *mid, size_t k,
		   const char *now, struct fg_err *err)
{
	struct db_param *p;
	size_t i;
	int rc;

	if (k == 0)
		return 0;
	p = xcalloc(db_in_pad(k) + 1, sizeof(*p));
	p[0] = DB_STR(now);
	for (i = 0; i < k; i++)
		p[1 + i] = DB_ID(mid[i]);
	rc = db_exec_in(db,
			"UPDATE messages SET state = 'delivered',"
			" final_at = ?, lease_owner = NULL,"
			" lease_expires_at = NULL WHERE message_id IN (",
			p, 1, k, NULL, err);
	free(p);
	return rc;
}

/* The progress reports (a message's "sent", a call's "ringing") a message
 * has had are kept on its row, each code followed by PROGRESS_SEP (a
 * newline, which a code masked by mask_in_text never holds; read with the
 * row, written with the batch): a provider that posts one again
 * (a retry, a replay) is answered as for a duplicate and nothing more is
 * written. They were looked up in the audit trail, through the account's
 * index: the trail of every account in the batch, a quarter of the
 * receipts' database time in a night with voice calls (three progress
 * reports a call). A code too long to keep (the column holds
 * PROGRESS_MAX) is audited again if posted again. */
#define PROGRESS_SEP '\n'
#define PROGRESS_MAX 512

static int
progress_has(const struct receipt_row *row, const char *code)
{
	const char *p = row->progress;
	size_t n = strlen(code);

	while (*p != '\0') {
		const char *end = strchr(p, PROGRESS_SEP);

		if (end == NULL)
			break;
		if ((size_t)(end - p) == n && memcmp(p, code, n) == 0)
			return 1;
		p = end + 1;
	}
	return 0;
}

static void
progress_add(struct receipt_row *row, const char *code)
{
	size_t have = strlen(row->progress), n = strlen(code);

	if (have + n + 1 >= PROGRESS_MAX)
		return;
	row->progress = xrealloc(row->progress, have + n + 2);
	memcpy(row->progress + have, code, n);
	row->progress[have + n] = PROGRESS_SEP;
	row->progress[have + n + 1] = '\0';
	row->progressed = 1;
}

/* UPDATE messages SET column = each message's own value WHERE
 * message_id IN (...) [AND only]: one statement for the k of them. only
 * MAY be NULL. */
static int
update_by_id(struct db *db, const char *column, const char *only,
	     const unsigned long long *ids, const char *const *vals, size_t k,
	     struct fg_err *err)
{
	size_t kk = db_in_pad(k), i, np = 0;
	struct db_param *p, *v;
	struct sbuf sql;
	int rc;

	if (k == 0)
		return 0;
	p = xcalloc(3 * kk, sizeof(*p));
	v = xcalloc(2 * kk, sizeof(*v));
	for (i = 0; i < kk; i++) { /* padded: the last one repeats */
		v[i] = DB_ID(ids[i < k ? i : k - 1]);
		v[kk + i] = DB_STR(vals[i < k ? i : k - 1]);
	}
	sbuf_init(&sql);
	sbuf_adds(&sql, "UPDATE messages SET ");
	sbuf_adds(&sql, column);
	sbuf_adds(&sql, " =");
	case_by_id(&sql, p, &np, v, v + kk, kk);
	sbuf_adds(&sql, " WHERE message_id IN (");
	in_by_id(&sql, p, &np, v, kk);
	if (only != NULL) {
		sbuf_adds(&sql, " AND ");
		sbuf_adds(&sql, only);
	}
	rc = db_exec(db, sql.s, p, np, NULL, err);
	sbuf_free(&sql);
	free(p);
	free(v);
	return rc;
}

/* The references that came with receipts, for messages that had none,
 * and the progress codes the batch added: a statement each. */
static int
receipts_rows_write(struct db *db, const struct receipt_item *it,
		    const size_t *refs, size_t nrefs,
		    const struct receipt_rows *rows, struct fg_err *err)
{
	size_t n = nrefs > rows->n ? nrefs : rows->n, i, k = 0;
	unsigned long long *ids = xcalloc(n + 1, sizeof(*ids));
	const char **vals = xcalloc(n + 1, sizeof(*vals));
	int rc;

	for (i = 0; i < nrefs; i++) {
		ids[i] = it[refs[i]].r.message_id;
		vals[i] = it[refs[i]].r.ref;
	}
	rc = update_by_id(db, "provider_ref", "COALESCE(provider_ref, '') = ''",
			  ids, vals, nrefs, err);
	for (i = 0; rc == 0 && i < rows->n; i++)
		if (rows->r[i].progressed) {
			ids[k] = rows->r[i].message_id;
			vals[k++] = rows->r[i].progress;
		}
	if (rc == 0)
		rc = update_by_id(db, "progress", NULL, ids, vals, k, err);
	free(ids);
	free(vals);
	return rc;
}

/* Whether a receipt changes its message: not for an unknown message or
 * a token that is not the message's (why says which; constant-time
 * compare: the token is the credential), nor for a replay or a late
 * duplicate (verdict 1). What the provider says may quote the address,
 * in any form: masked here, where it is kept, so the log line after it
 * too. A call's progress is added to its row. */
static int
receipt_admit(struct receipt_item *it, struct receipt_row *row)
{
	const struct receipt *r = &it->r;

	if (row == NULL || strlen(row->token) != 32 || strlen(r->token) != 32 ||
	    CRYPTO_memcmp(row->token, r->token, 32) != 0) {
		str_copy(it->why,
			 row != NULL ? "wrong receipt token"
				     : "no such message",
			 sizeof(it->why));
		return 0;
	}
	mask_in_text(row->channel, row->address, it->r.text,
		     sizeof(it->r.text));
	mask_in_text(row->channel, row->address, it->r.code,
		     sizeof(it->r.code));
	mask_in_text(row->channel, row->address, it->r.ref, sizeof(it->r.ref));
	if (is_final_state(row->state) ||
	    (!r->final && progress_has(row, r->code))) {
		it->verdict = 1;
		return 0;
	}
	if (!r->final)
		progress_add(row, r->code);
	return 1;
}

/* Busy or not answered: *again when the same address is tried later,
 * while the message (or, for a kind that retries the address, the
 * notice's calls) has attempts left. */
static int
receipt_again(struct db *db, const struct config *cfg,
	      const struct receipt_row *row, const struct receipt *r,
	      int *again, struct fg_err *err)
{
	unsigned long long calls = 0;

	*again = 0;
	if (!r->final || r->status != DELIVERY_TEMPFAIL || !r->retry)
		return 0;
	if (!retries_address(row->channel)) {
		*again = row->attempts < cfg->dispatch.max_attempts;
		return 0;
	}
	if (db_query_ull(db,
			 "SELECT SUM(attempts) FROM messages"
			 " WHERE notice_id = ? AND channel = ?",
			 DB_ARGS(DB_ID(row->notice_id), DB_STR(row->channel)),
			 &calls, err) != 0)
		return -1;
	*again = (long long)calls < cfg->voice.max_attempts;
	return 0;
}

/* The receipt's audit row, in the batch of the transaction. */
static void
receipt_audit(struct audit_batch *w, const struct receipt_item *it,
	      const struct receipt_row *row, const char *status,
	      const char *text)
{
	json_t *d = json_object();
	char *detail;

	audit_detail_add(d, "provider", it->provider);
	audit_detail_add(d, "status", status);
	audit_detail_add(d, "code", it->r.code);
	audit_detail_add(d, "text", text);
	audit_detail_add(d, "ref", it->r.ref);
	detail = detail_dump(d);
	audit_batch_add(w, "receipt", row->account_no, row->case_id,
			row->notice_id, it->r.message_id, 0, detail);
	free(detail);
}

/* The receipts' messages, locked for the transaction, sorted by id. */
static int
receipt_rows_lock(struct db *db, const struct receipt_item *it, size_t n,
		  struct receipt_rows *rows, struct fg_err *err)
{
	struct db_param *p = xcalloc(db_in_pad(n), sizeof(*p));
	char *sql;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		p[i] = DB_ID(it[i].r.message_id);
	sql = db_sql_in_list(
		"SELECT message_id, state, receipt_token, notice_id,"
		" case_id, contact_id, account_no, channel, address,"
		" attempts, COALESCE(provider_ref, '') <> '', progress,"
		" batch_id FROM messages WHERE message_id IN (",
		n, " FOR UPDATE");
	rc = db_query(db, DB_BUFFERED, sql, p, db_pad_params(p, n),
		      receipt_row_cb, rows, err);
	if (rc == 0)
		qsort(rows->r, rows->n, sizeof(*rows->r), receipt_row_cmp);
	free(sql);
	free(p);
	return rc;
}

static int
receipts_once(struct db *db, const struct config *cfg, struct receipt_item *it,
	      size_t n, const char *now, const char *business_date,
	      struct fg_err *err)
{
	struct receipt_rows rows = {xcalloc(n, sizeof(*rows.r)), 0};
	struct audit_batch *w = NULL;
	struct batch_counts counts = {0};
	unsigned long long *mid = xcalloc(n, sizeof(*mid));
	size_t *refs = xcalloc(n, sizeof(*refs)), nrefs = 0;
	size_t i, k = 0;
	int rc = -1;

	for (i = 0; i < n; i++) {
		it[i].verdict = -1;
		it[i].why[0] = '\0';
	}
	if (db_begin(db, err) != 0)
		goto out;
	if (receipt_rows_lock(db, it, n, &rows, err) != 0)
		goto fail;
	w = audit_batch_new();
	/* In order of arrival: a call's progress, then its end. */
	for (i = 0; i < n; i++) {
		const struct receipt *r = &it[i].r;
		struct receipt_row *row =
			receipt_row_find(&rows, r->message_id);
		const char *status;
		char errtext[256], rtext[sizeof(r->text)];
		int again = 0;

		if (!receipt_admit(&it[i], row))
			continue;
		if (receipt_again(db, cfg, row, r, &again, err) != 0)
			goto fail;
		status = !r->final                        ? "progress"
			 : r->status == DELIVERY_OK       ? "delivered"
			 : r->status == DELIVERY_PERMFAIL ? "failed"
			 : again                          ? "retry"
							  : "expired";
		str_copy(rtext, r->text, sizeof(rtext));
		snprintf(errtext, sizeof(errtext), "%s%s%s", r->code,
			 rtext[0] ? " " : "", rtext);
		receipt_audit(w, &it[i], row, status, rtext);
		it[i].verdict = 0;
		/* A provider that names its message only in the receipt
		 * (Kannel's %I): kept as the message's reference. */
		if (!row->has_ref && r->names_message && r->ref[0] != '\0') {
			refs[nrefs++] = i;
			row->has_ref = 1;
		}
		if (!r->final)
			continue;
		/* The receipt its batch awaited (one that beat the answer
		 * too: the answer counts it up). */
		if (strcmp(row->state, "submitting") == 0 ||
		    strcmp(row->state, "accepted") == 0)
			batches_note(&counts, row->batch_id, 0, -1);
		if (r->status == DELIVERY_OK && !again) {
			str_copy(row->state, "delivered", sizeof(row->state));
			mid[k++] = r->message_id;
		} else if (receipt_other(db, cfg, w, row, r, again, errtext,
					 now, business_date, err) != 0) {
			goto fail;
		}
	}
	if (receipts_rows_write(db, it, refs, nrefs, &rows, err) != 0 ||
	    receipts_delivered(db, mid, k, now, err) != 0 ||
	    batches_write(db, &counts, err) != 0 ||
	    audit_batch_write(db, w, ACTOR, business_date, err) != 0)
		goto fail;
	if (db_commit(db, err) != 0)
		goto out;
	rc = 0;
	goto out;
fail:
	db_rollback(db);
out:
	if (rc != 0)
		for (i = 0; i < n; i++)
			it[i].verdict = -1;
	audit_batch_free(w);
	batches_counts_free(&counts);
	for (i = 0; i < rows.n; i++) {
		free(rows.r[i].address);
		free(rows.r[i].progress);
	}
	free(rows.r);
	free(mid);
	free(refs);
	return rc;
}

int
outbox_receipts(struct db *db, const struct config *cfg,
		struct receipt_item *it, size_t n, const char *now,
		const char *business_date, struct fg_err *err)
{
	if (n == 0)
		return 0;
	RETRY_TXN(db, receipts_once(db, cfg, it, n, now, business_date, err));
}
