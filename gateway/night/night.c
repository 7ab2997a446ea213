/*
 * night.c: see night.h.
 */
#include "night/night.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/contacts.h"
#include "base/log.h"
#include "base/money.h"
#include "store/audit.h"
#include "store/billing_check.h"

/*
 * Overdue balance per account, in one pass over the open bills past
 * due_date + grace_days. A bill feegate cannot trust does not count; it is
 * counted in `bad` and looked at closely below. status is compared byte for
 * byte: 'OPEN' or 'open ' are not open (and are refused below).
 */
#define BILL_OK                                                                \
	"(CAST(b.status AS BINARY) = 'open'"                                   \
	" AND b.amount_due >= 0 AND b.amount_due <= ?"                         \
	" AND b.amount_paid >= 0 AND b.amount_paid <= b.amount_due"            \
	" AND b.due_date >= DATE_SUB(?, INTERVAL 10 YEAR)"                     \
	" AND CAST(b.period AS BINARY) REGEXP '^[0-9]{4}-(0[1-9]|1[0-2])$')"

/* A bill whose account_no the gateway cannot hold: missing, longer than
 * its 32 characters, or bytes that are not UTF-8 (a view or a wider column
 * yields them). It belongs to no account and is refused on its own. Each
 * part is 0, and costs nothing, where billing's column rules it out. */
#define BILL_KEY_BAD                                                           \
	"({N bills.account_no b.account_no}"                                   \
	" OR {W bills.account_no b.account_no 32}"                             \
	" OR NOT {V bills.account_no b.account_no})"

/* Summed by upserting each bill into tmp_bal's hash key: twice as fast as
 * GROUP BY, which goes through an internal temporary table first. Summed
 * exactly (billing's amounts may have up to 4 decimals); intake() rounds
 * the balance half up to cents once. */
static const char sql_balance[] =
	"INSERT INTO tmp_bal (account_no, balance, bad)"
	" SELECT b.account_no,"
	"  IF(" BILL_OK ", b.amount_due - b.amount_paid, 0),"
	"  NOT COALESCE(" BILL_OK ", 0)"
	" FROM {B}.billing_bills b"
	" WHERE b.status = 'open' AND b.due_date < DATE_SUB(?, INTERVAL ? DAY)"
	"   AND NOT " BILL_KEY_BAD
	" ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance),"
	"  bad = bad + VALUES(bad)";

/* Overdue bills of no account feegate can hold. */
static const char sql_bad_keys[] =
	"INSERT IGNORE INTO tmp_bad (source, row_key, account_no, reason)"
	" SELECT 'bill', b.bill_id, NULL, CASE"
	"   WHEN b.account_no IS NULL THEN 'account_no missing'"
	"   WHEN NOT {V bills.account_no b.account_no}"
	"     THEN 'account_no is not valid UTF-8'"
	"   ELSE 'account_no longer than 32 characters' END"
	" FROM {B}.billing_bills b"
	" WHERE b.status = 'open' AND b.due_date < DATE_SUB(?, INTERVAL ? DAY)"
	"   AND " BILL_KEY_BAD;

/* Why a bill is refused; NULL if it is fine. */
#define BILL_REASON                                                            \
	" CASE"                                                                \
	"   WHEN b.status IS NULL THEN 'status missing'"                       \
	"   WHEN CAST(b.status AS BINARY) NOT IN"                              \
	"        ('open', 'paid', 'cancelled', 'disputed')"                    \
	"     THEN 'unknown status'"                                           \
	"   WHEN CAST(b.status AS BINARY) <> 'open' THEN NULL"                 \
	"   WHEN b.amount_due IS NULL OR b.amount_paid IS NULL"                \
	"        OR b.due_date IS NULL"                                        \
	"     THEN 'amount or due_date missing'"                               \
	"   WHEN b.amount_due < 0 THEN 'negative amount_due'"                  \
	"   WHEN b.amount_due > ? THEN 'amount_due above max_bill_amount'"     \
	"   WHEN b.amount_paid < 0 THEN 'negative amount_paid'"                \
	"   WHEN b.amount_paid > b.amount_due"                                 \
	"     THEN 'amount_paid above amount_due'"                             \
	"   WHEN b.due_date < DATE_SUB(?, INTERVAL 10 YEAR)"                   \
	"     THEN 'due_date more than 10 years ago'"                          \
	"   WHEN b.due_date > DATE_ADD(?, INTERVAL 1 YEAR)"                    \
	"     THEN 'due_date more than a year ahead'"                          \
	"   WHEN b.period IS NULL THEN 'period missing'"                       \
	"   WHEN CAST(b.period AS BINARY) NOT REGEXP"                          \
	"        '^[0-9]{4}-(0[1-9]|1[0-2])$'"                                 \
	"     THEN 'malformed period'"                                         \
	" END"

/* The bills behind a `bad` count: few, found through the account index. */
static const char sql_bad_overdue[] =
	"INSERT IGNORE INTO tmp_bad (source, row_key, account_no, reason)"
	" SELECT 'bill', b.bill_id, b.account_no," BILL_REASON " AS reason"
	" FROM tmp_bal t JOIN {B}.billing_bills b"
	"  ON {=bills.account_no b.account_no t.account_no}"
	" WHERE t.bad > 0 AND b.status = 'open'"
	"   AND b.due_date < DATE_SUB(?, INTERVAL ? DAY)"
	" HAVING reason IS NOT NULL";

/* Statuses nobody knows, and open bills due absurdly far ahead (they would
 * never become overdue): index ranges on (status, due_date), not scans. */
static const char sql_bad_elsewhere[] =
	"INSERT IGNORE INTO tmp_bad (source, row_key, account_no, reason)"
	" SELECT 'bill', b.bill_id, b.account_no," BILL_REASON " AS reason"
	" FROM {B}.billing_bills b"
	" WHERE b.status NOT IN ('open', 'paid', 'cancelled', 'disputed')"
	"    OR b.status IS NULL"
	"    OR (b.status = 'open' AND (b.due_date IS NULL"
	"        OR b.due_date > DATE_ADD(?, INTERVAL 1 YEAR)))"
	" HAVING reason IS NOT NULL";

/* The customers who may hear from us tonight, read once: whether billing
 * knows them, their hold flag and grid (the ladder steps use these instead
 * of joining billing_customers again), and whether their row has a problem.
 * Name, segment or locale problems do not stop dunning (a message can do
 * without the name); they are recorded so that billing can correct them.
 * A missing dunning_hold is read as a hold: no notice until billing says.
 * IGNORE: a grid_id of bytes that are not UTF-8 converts with a warning,
 * and strict mode would make that warning end the night (a name is checked
 * before it is converted). Nothing else here can be cut short (a grid_id
 * too long for the contract is dropped, not truncated). */
static const char sql_customers[] =
	"UPDATE IGNORE tmp_bal t JOIN {B}.billing_customers c"
	"  ON {=customers.account_no c.account_no t.account_no}"
	" SET t.known = 1, t.hold = COALESCE(c.dunning_hold <> 0, 1),"
	" t.grid_id = IF(CHAR_LENGTH(c.grid_id) > 32, NULL, c.grid_id),"
	" t.reason = CASE"
	"   WHEN c.dunning_hold IS NULL THEN 'dunning_hold missing'"
	"   WHEN NOT {V customers.name c.name}"
	"     THEN 'name is not valid UTF-8'"
	"   WHEN c.name IS NULL"
	"        OR {T customers.name c.name} REGEXP '^[\\\\p{Z}\\\\s]*$'"
	"     THEN 'name is empty'"
	"   WHEN {T customers.name c.name} REGEXP '\\\\p{Cc}'"
	"     THEN 'name contains control characters'"
	"   WHEN CHAR_LENGTH({T customers.name c.name}) > 128"
	"     THEN 'name longer than 128 characters'"
	"   WHEN CAST(COALESCE(c.segment, '') AS BINARY) NOT IN"
	"        ('residential', 'commercial', 'large')"
	"     THEN 'unknown segment'"
	"   WHEN CAST(COALESCE(c.locale, '') AS BINARY) NOT IN ('zh-CN', 'en')"
	"     THEN 'unsupported locale'"
	" END";

/* Where refused rows wait to be recorded. */
static const char sql_tmp_bad[] = "CREATE TEMPORARY TABLE tmp_bad ("
				  " source VARCHAR(16) NOT NULL,"
				  " row_key VARCHAR(64) NOT NULL,"
				  " account_no VARCHAR(32) NULL,"
				  " reason VARCHAR(128) NOT NULL,"
				  " channel VARCHAR(16) NULL,"
				  " address VARCHAR(320) NULL,"
				  " PRIMARY KEY (source, row_key, reason))";

/* Overdue bills of an account billing does not know cannot be dunned. */
static const char sql_bad_customers[] =
	"INSERT IGNORE INTO tmp_bad (source, row_key, account_no, reason)"
	" SELECT 'customer', account_no, account_no,"
	"  IF(known, reason,"
	"     'overdue bills for an account not in billing_customers')"
	" FROM tmp_bal WHERE known = 0 OR reason IS NOT NULL";

int
night_begin(struct night *nt, struct fg_err *err)
{
	if (db_begin(nt->db, err) != 0)
		return -1;
	if (audit_stage_begin(nt->db, err) != 0) {
		db_rollback(nt->db);
		return -1;
	}
	return 0;
}

int
night_commit(struct night *nt, const char *actor, struct fg_err *err)
{
	if (audit_stage_flush(nt->db, actor, nt->date, &nt->n.audit_rows,
			      err) != 0 ||
	    db_commit(nt->db, err) != 0) {
		night_rollback(nt);
		return -1;
	}
	return 0;
}

void
night_rollback(struct night *nt)
{
	struct fg_err ignored;
	unsigned int why = nt->db->last_errno; /* for night_retry */

	db_rollback(nt->db);
	/* Temporary tables are not transactional: drop whatever the failed
	 * step had created, so the night's next attempt starts clean. */
	db_exec(nt->db,
		"DROP TEMPORARY TABLE IF EXISTS audit_stage, tmp_close, tmp_fail,"
		" tmp_task, tmp_next, tmp_contact, tmp_pick, tmp_unreach,"
		" tmp_over, tmp_ocur, tmp_told, tmp_onote, tmp_ocontact,"
		" tmp_opick, tmp_ounreach",
		DB_NOARGS, NULL, &ignored);
	nt->db->last_errno = why;
}

int
night_retry(struct night *nt, int (*step)(struct night *, struct fg_err *),
	    struct fg_err *err)
{
	struct night_counts saved = nt->n;
	int tries, rc;

	for (tries = 0;; tries++) {
		rc = step(nt, err);
		/* A lost connection took the night's temporary tables with
		 * it: the whole night runs again, not the step. */
		if (rc == 0 || nt->db->lost || !db_retryable(nt->db) ||
		    tries == 3)
			return rc;
		/* Rolled back whole (temporary tables too): run it again, and
		 * count only what the run that commits does. */
		log_warnx("night %s: lock conflict, running the step again: %s",
			  nt->date, err->msg);
		nt->n = saved;
		usleep(100000u * (unsigned)(tries + 1));
	}
}

int
night_exec(struct night *nt, const struct night_stmt *s, size_t n,
	   struct fg_err *err)
{
	unsigned long long affected;
	size_t i;

	for (i = 0; i < n; i++) {
		if (db_exec(nt->db, s[i].sql, s[i].p, s[i].np, &affected,
			    err) != 0)
			return -1;
		if (s[i].affected != NULL)
			*s[i].affected += affected;
	}
	return 0;
}

int
night_step(struct night *nt, const char *actor, const struct night_stmt *s,
	   size_t n, struct fg_err *err)
{
	if (night_begin(nt, err) != 0)
		return -1;
	if (night_exec(nt, s, n, err) != 0) {
		night_rollback(nt);
		return -1;
	}
	return night_commit(nt, actor, err);
}

int
night_record_input_errors(struct night *nt, struct fg_err *err)
{
	unsigned long long n = 0;

	if (db_exec(nt->db,
		    "INSERT INTO audit_stage (event, account_no, source,"
		    " row_key, reason, channel, address)"
		    " SELECT 'input_rejected', e.account_no, e.source,"
		    "  e.row_key, e.reason, e.channel, e.address"
		    " FROM tmp_bad e"
		    " LEFT JOIN input_errors ie ON ie.source = e.source"
		    "  AND ie.row_key = e.row_key AND ie.reason = e.reason"
		    " WHERE ie.error_id IS NULL"
		    " ORDER BY e.source, e.row_key",
		    DB_NOARGS, &n, err) != 0 ||
	    db_exec(nt->db,
		    "INSERT INTO input_errors (source, row_key, account_no,"
		    " reason, first_seen_on, last_seen_on)"
		    " SELECT source, row_key, account_no, reason, ?, ?"
		    " FROM tmp_bad"
		    " ON DUPLICATE KEY UPDATE"
		    "  last_seen_on = GREATEST(last_seen_on, VALUES(last_seen_on))",
		    DB_ARGS(DB_STR(nt->date), DB_STR(nt->date)), NULL,
		    err) != 0 ||
	    db_exec(nt->db, "DELETE FROM tmp_bad", DB_NOARGS, NULL, err) != 0)
		return -1;
	nt->n.input_errors += n;
	return 0;
}

int
night_decide(struct night *nt, const char *actor, const struct night_stmt *s,
	     size_t n, const char *count_sql, db_row_fn count_cb,
	     const char *drop, struct fg_err *err)
{
	char sql[256];

	snprintf(sql, sizeof(sql), "DROP TEMPORARY TABLE %s", drop);
	if (night_begin(nt, err) != 0)
		return -1;
	if (night_exec(nt, s, n, err) != 0 ||
	    night_record_input_errors(nt, err) != 0 ||
	    db_query(nt->db, DB_STREAM, count_sql, DB_NOARGS, count_cb, &nt->n,
		     err) != 0 ||
	    db_exec(nt->db, sql, DB_NOARGS, NULL, err) != 0) {
		night_rollback(nt);
		return -1;
	}
	return night_commit(nt, actor, err);
}

static int
intake_record(struct night *nt, struct fg_err *err)
{
	if (night_begin(nt, err) != 0)
		return -1;
	if (night_record_input_errors(nt, err) != 0) {
		night_rollback(nt);
		return -1;
	}
	return night_commit(nt, "planner", err);
}

int
night_read_billing(struct night *nt, struct fg_err *err)
{
	const char *d = nt->date, *max = nt->max_bill;
	const int grace = nt->cfg->dunning.grace_days;
	const struct night_stmt s[] = {
		{"CREATE TEMPORARY TABLE tmp_bal ("
		 " account_no VARCHAR(32) NOT NULL PRIMARY KEY,"
		 " balance DECIMAL(20,4) NOT NULL,"
		 " bad INT NOT NULL,"
		 " known TINYINT NOT NULL DEFAULT 0,"
		 " hold TINYINT NOT NULL DEFAULT 0,"
		 " grid_id VARCHAR(32) NULL,"
		 " reason VARCHAR(60) CHARACTER SET ascii NULL) ENGINE=MEMORY",
		 DB_NOARGS, NULL},
		{"CREATE TEMPORARY TABLE tmp_quar ("
		 " account_no VARCHAR(32) NOT NULL PRIMARY KEY) ENGINE=MEMORY",
		 DB_NOARGS, NULL},
		{sql_tmp_bad, DB_NOARGS, NULL},
		{sql_balance,
		 DB_ARGS(DB_STR(max), DB_STR(d), DB_STR(max), DB_STR(d),
			 DB_STR(d), DB_INT(grace)),
		 NULL},
		/* Half up to cents, once, on the sum (two bills of 10.005
		 * owe 20.01); a MEMORY table's scan, and no write where
		 * billing keeps cents. */
		{"UPDATE tmp_bal SET balance = ROUND(balance, 2)"
		 " WHERE balance <> ROUND(balance, 2)",
		 DB_NOARGS, NULL},
		{sql_bad_keys, DB_ARGS(DB_STR(d), DB_INT(grace)), NULL},
		{sql_bad_overdue,
		 DB_ARGS(DB_STR(max), DB_STR(d), DB_STR(d), DB_STR(d),
			 DB_INT(grace)),
		 NULL},
		{sql_bad_elsewhere,
		 DB_ARGS(DB_STR(max), DB_STR(d), DB_STR(d), DB_STR(d)), NULL},
		{"INSERT IGNORE INTO tmp_quar (account_no)"
		 " SELECT account_no FROM tmp_bad"
		 " WHERE source = 'bill' AND account_no IS NOT NULL",
		 DB_NOARGS, NULL},
		{sql_customers, DB_NOARGS, NULL},
		{sql_bad_customers, DB_NOARGS, NULL},
	};

	return night_exec(nt, s, FG_NELEM(s), err);
}

static int
intake(struct night *nt, struct fg_err *err)
{
	if (night_read_billing(nt, err) != 0)
		return -1;
	return night_retry(nt, intake_record, err);
}

void
night_init(struct night *nt, struct db *db, const struct config *cfg,
	   const char *date, const char *now)
{
	memset(nt, 0, sizeof(*nt));
	nt->db = db;
	nt->cfg = cfg;
	str_copy(nt->date, date, sizeof(nt->date));
	if (now != NULL)
		str_copy(nt->now, now, sizeof(nt->now));
	else if (time_local_now(cfg->dunning.timezone, nt->now) != 0 ||
		 strncmp(nt->now, date, 10) != 0)
		snprintf(nt->now, sizeof(nt->now), "%s 00:00:00", date);
	money_format(cfg->dunning.min_amount, nt->min_amount,
		     sizeof(nt->min_amount));
	money_format(cfg->dunning.max_bill_amount, nt->max_bill,
		     sizeof(nt->max_bill));
}

/* Nothing is planned on billing data older than max_billing_lag: read
 * after the lock, just before billing is. */
static int
night_fresh(struct night *nt, struct fg_err *err)
{
	struct billing_lag l;
	int rc = billing_fresh(nt->db, &l, err);

	nt->replicated = l.replicated;
	nt->billing_lag = l.seconds;
	return rc == 0 ? 0 : -1;
}

int
night_open_outages(struct night *nt, struct db *db, const struct config *cfg,
		   const char *date, const char *now, struct fg_err *err)
{
	night_init(nt, db, cfg, date, now);
	if (db_lock(db, "planner", cfg->db.lock_timeout, err) != 0)
		return -1;
	nt->locked = 1;
	if (night_fresh(nt, err) != 0)
		return -1;
	return db_exec(db, sql_tmp_bad, DB_NOARGS, NULL, err);
}

int
night_open(struct night *nt, struct db *db, const struct config *cfg,
	   const char *date, const char *now, struct fg_err *err)
{
	char last[DATE_LEN + 4];
	int found;

	night_init(nt, db, cfg, date, now);
	if (db_lock(db, "planner", cfg->db.lock_timeout, err) != 0)
		return -1;
	nt->locked = 1;
	if (night_fresh(nt, err) != 0)
		return -1;
	if (db_query_value(db,
			   "SELECT DATE_FORMAT(MAX(business_date), '%Y-%m-%d')"
			   " FROM nights",
			   DB_NOARGS, last, sizeof(last), &found, err) != 0)
		return -1;
	if (last[0] != '\0' && strcmp(date, last) < 0) {
		err_set(err,
			"business date %s is before the last night already run "
			"(%s): nights run forward",
			date, last);
		return 2;
	}
	if (db_exec(db,
		    "INSERT INTO nights (business_date, first_run_at,"
		    " last_run_at, runs)"
		    " VALUES (?, UTC_TIMESTAMP(6), UTC_TIMESTAMP(6), 1)"
		    " ON DUPLICATE KEY UPDATE runs = runs + 1,"
		    "  last_run_at = VALUES(last_run_at)",
		    DB_ARGS(DB_STR(date)), NULL, err) != 0)
		return -1;
	return intake(nt, err);
}

void
night_close(struct night *nt)
{
	struct fg_err ignored;

	db_exec(nt->db,
		"DROP TEMPORARY TABLE IF EXISTS tmp_bal, tmp_quar, tmp_bad",
		DB_NOARGS, NULL, &ignored);
	if (nt->locked)
		db_unlock(nt->db, "planner");
	nt->locked = 0;
}

/* The outage counts, for people (" notice 3, ...") or as key=value. */
static void
outage_counts(const struct night_counts *c, int kv, FILE *out)
{
	const struct {
		const char *name;
		unsigned long long v;
	} o[] = {
		{"versions", c->outage_versions},
		{"notice", c->outage_notices},
		{"reminder", c->outage_reminders},
		{"rescheduled", c->outage_rescheduled},
		{"cancelled", c->outage_cancelled},
		{"restored", c->outage_restored},
		{"late", c->outage_late},
		{"unreachable", c->outage_unreachable},
	};
	size_t i;

	for (i = kv ? 0 : 1; i < FG_NELEM(o); i++) {
		if (kv)
			fprintf(out, " %s=%llu", o[i].name, o[i].v);
		else
			fprintf(out, "%s %s %llu", i == 1 ? "" : ",", o[i].name,
				o[i].v);
	}
	fputc('\n', out);
}

void
night_print(const struct night *nt, FILE *out)
{
	const struct night_counts *c = &nt->n;
	int seq;

	fprintf(out, "night %s\n", nt->date);
	fprintf(out, "  input rows refused (new)   %llu\n", c->input_errors);
	fprintf(out, "  cases opened               %llu\n", c->cases_opened);
	fprintf(out, "  notices sent               ");
	for (seq = 1; seq <= nt->cfg->dunning.notices && seq <= NIGHT_MAX_SEQ;
	     seq++)
		fprintf(out, "%s#%d: %llu", seq > 1 ? ", " : "", seq,
			c->notices[seq]);
	fprintf(out, " (unreachable: %llu)\n", c->unreachable);
	fprintf(out, "  messages queued            %llu\n", c->messages_queued);
	fprintf(out, "  notices failed (unpaid)    %llu\n", c->notices_failed);
	fprintf(out,
		"  cases closed               paid: %llu, below minimum: %llu, "
		"hold: %llu, cancelled: %llu\n",
		c->closed_paid, c->closed_below_minimum, c->closed_hold,
		c->closed_cancelled);
	fprintf(out, "  messages cancelled         %llu\n",
		c->messages_cancelled);
	fprintf(out, "  collection tasks raised    %llu (closed: %llu)\n",
		c->tasks_created, c->tasks_closed);
	fprintf(out, "  outage notices            ");
	outage_counts(c, 0, out);
	fprintf(out, "  audit rows written         %llu\n", c->audit_rows);
	if (nt->replicated)
		fprintf(out,
			"  billing data               replica %s, %lld s behind "
			"the billing server\n",
			nt->cfg->db.billing_replica, nt->billing_lag);
	/* The same on one key=value line, for scripts and log scrapers. */
	fprintf(out, "summary: date=%s opened=%llu notices=", nt->date,
		c->cases_opened);
	for (seq = 1; seq <= nt->cfg->dunning.notices && seq <= NIGHT_MAX_SEQ;
	     seq++)
		fprintf(out, "%s%llu", seq > 1 ? "," : "", c->notices[seq]);
	fprintf(out,
		" unreachable=%llu queued=%llu failed=%llu closed=%llu "
		"cancelled=%llu tasks=%llu refused=%llu audit=%llu\n",
		c->unreachable, c->messages_queued, c->notices_failed,
		c->closed_paid + c->closed_below_minimum + c->closed_hold +
			c->closed_cancelled,
		c->messages_cancelled, c->tasks_created, c->input_errors,
		c->audit_rows);
	if (nt->replicated)
		fprintf(out, "billing: date=%s replica=%s lag=%lld\n", nt->date,
			nt->cfg->db.billing_replica, nt->billing_lag);
	fprintf(out, "outages: date=%s", nt->date);
	outage_counts(c, 1, out);
}
