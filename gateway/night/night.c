/*
 * night.c: see night.h.
 */
#include "night/night.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "base/money.h"
#include "store/audit.h"
#include "store/billing_check.h"

static const char sql_tmp_bad[] = "CREATE TEMPORARY TABLE tmp_bad ("
				  " source VARCHAR(16) NOT NULL,"
				  " row_key VARCHAR(64) NOT NULL,"
				  " account_no VARCHAR(32) NULL,"
				  " reason VARCHAR(128) NOT NULL,"
				  " channel VARCHAR(16) NULL,"
				  " address VARCHAR(320) NULL,"
				  " PRIMARY KEY (source, row_key, reason))";

int
night_bad_table(struct night *nt, struct fg_err *err)
{
	return db_exec(nt->db, sql_tmp_bad, DB_NOARGS, NULL, err);
}

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
		" tmp_task, tmp_next, tmp_contact, tmp_blocked, tmp_pick,"
		" tmp_unreach, tmp_over, tmp_ocur, tmp_told, tmp_onote,"
		" tmp_ocontact, tmp_oblocked, tmp_opick, tmp_ounreach",
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

/* "t1, t2": the names of the tables the statements create. */
static void
table_names(const char *const *tables, size_t n, struct sbuf *out)
{
	static const char create[] = "CREATE TEMPORARY TABLE ";
	size_t i;

	for (i = 0; i < n; i++) {
		const char *name = tables[i] + sizeof(create) - 1;

		sbuf_addf(out, "%s%.*s", i ? ", " : "",
			  (int)strcspn(name, " ("), name);
	}
}

/* Whether the decided step has urgent notices to write (pending_sql found
 * a row): then nt->urgent_hold is told, and *held set. */
static int
hold_if_pending(struct night *nt, const struct night_decision *dc, int *held,
		struct fg_err *err)
{
	char any[8];
	int found;

	if (dc->pending_sql == NULL || nt->urgent_hold == NULL)
		return 0;
	if (db_query_value(nt->db, dc->pending_sql, DB_NOARGS, any, sizeof(any),
			   &found, err) != 0)
		return -1;
	if (found) {
		nt->urgent_hold(nt->urgent_arg, 1);
		*held = 1;
	}
	return 0;
}

int
night_decide(struct night *nt, const struct night_decision *dc,
	     struct fg_err *err)
{
	const size_t decided = dc->pending_sql != NULL ? dc->decided : dc->n;
	struct sbuf drop;
	size_t i;
	int rc = -1, held = 0;

	sbuf_init(&drop);
	sbuf_adds(&drop, "DROP TEMPORARY TABLE ");
	table_names(dc->tables, dc->ntables, &drop);
	if (night_begin(nt, err) != 0)
		goto out;
	for (i = 0; i < dc->ntables; i++)
		if (db_exec(nt->db, dc->tables[i], DB_NOARGS, NULL, err) != 0)
			goto fail;
	if (night_exec(nt, dc->s, decided, err) != 0 ||
	    hold_if_pending(nt, dc, &held, err) != 0 ||
	    night_exec(nt, dc->s + decided, dc->n - decided, err) != 0 ||
	    night_record_input_errors(nt, err) != 0 ||
	    db_query(nt->db, DB_STREAM, dc->count_sql, DB_NOARGS, dc->count_cb,
		     &nt->n, err) != 0 ||
	    db_exec(nt->db, drop.s, DB_NOARGS, NULL, err) != 0)
		goto fail;
	rc = night_commit(nt, dc->actor, err);
	goto out;
fail:
	night_rollback(nt);
out:
	if (held)
		nt->urgent_hold(nt->urgent_arg, 0);
	sbuf_free(&drop);
	return rc;
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
	return night_bad_table(nt, err);
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
	return 0;
}

int
night_finished(struct night *nt, struct fg_err *err)
{
	return db_exec(nt->db,
		       "UPDATE nights SET finished_at = UTC_TIMESTAMP(6)"
		       " WHERE business_date = ?",
		       DB_ARGS(DB_STR(nt->date)), NULL, err);
}

void
night_close(struct night *nt)
{
	struct fg_err ignored;

	db_exec(nt->db,
		"DROP TEMPORARY TABLE IF EXISTS tmp_sum, tmp_bal, tmp_quar,"
		" tmp_bad",
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
