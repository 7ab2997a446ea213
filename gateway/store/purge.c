/*
 * purge.c: see purge.h.
 */
#include "store/purge.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "base/log.h"
#include "store/audit.h"
#include "store/views.h"

#define ACTOR "purge"

/* The day days before today. */
static int
cutoff(struct db *db, const char *today, int days, char out[16],
       struct fg_err *err)
{
	int found;

	return db_query_value(db, "SELECT DATE_SUB(?, INTERVAL ? DAY)",
			      DB_ARGS(DB_STR(today), DB_INT(days)), out, 16,
			      &found, err);
}

/* Statements run as one short transaction. */
static int
batch(struct db *db, struct purge_counts *c, const char *const *sql,
      const struct db_param *const *p, const size_t *np,
      unsigned long long **affected, size_t n, struct fg_err *err)
{
	unsigned long long a;
	double t0 = mono_now(), took;
	size_t i;

	if (db_begin(db, err) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (db_exec(db, sql[i], p[i], np[i], &a, err) != 0) {
			db_rollback(db);
			return -1;
		}
		if (affected[i] != NULL)
			*affected[i] += a;
	}
	c->batches++;
	if (db_commit(db, err) != 0)
		return -1;
	took = mono_now() - t0;
	if (took > c->longest)
		c->longest = took;
	/* As long again idle: a purge takes at most half the database's
	 * time from a dispatcher sending beside it (bench-purge.sh). */
	if (took > 0)
		nanosleep(&(struct timespec){(time_t)took,
					     (long)((took -
						     (double)(time_t)took) *
						    1e9)},
			  NULL);
	return 0;
}

/*
 * Messages final before the cut: text dropped, address masked. Walked by
 * message_id from where the last run stopped (purge_marks), a batch at a
 * time, up to the first message made or finished after the cut: messages
 * are made in time order, so each run reads only what is new. One made
 * before the cut and still not final (it should have expired long ago)
 * is passed over, not waited for: it goes with its case (history_days).
 */
static int
redact(struct db *db, const char *today, const char *cut,
       struct purge_counts *c, struct fg_err *err)
{
	for (;;) {
		unsigned long long upto, lo, stop, end;
		char ends[24];

		if (db_query_ull(
			    db,
			    "SELECT upto FROM purge_marks WHERE what = 'messages'",
			    DB_NOARGS, &upto, err) != 0 ||
		    db_query_ull(db,
				 "SELECT MIN(message_id) FROM messages"
				 " WHERE message_id > ?",
				 DB_ARGS(DB_ID(upto)), &lo, err) != 0)
			return -1;
		if (lo == 0)
			return 0;
		if (db_query_ull(
			    db,
			    "SELECT MIN(message_id) FROM messages"
			    " WHERE message_id BETWEEN ? AND ? + " FG_STR(
				    PURGE_BATCH) " - 1"
						 " AND (created_on >= ? OR final_at >= ?)",
			    DB_ARGS(DB_ID(lo), DB_ID(lo), DB_STR(cut),
				    DB_STR(cut)),
			    &stop, err) != 0)
			return -1;
		end = stop != 0 ? stop - 1 : lo + PURGE_BATCH - 1;
		if (end < lo)
			return 0;
		snprintf(ends, sizeof(ends), "%llu", end);
		{
			/* The texts first: the messages' redacted_on says
			 * which ones go. */
			const char *sql[] = {
				("DELETE t FROM message_texts t"
				 " JOIN messages m ON m.message_id = t.message_id"
				 " WHERE t.message_id BETWEEN ? AND ?"
				 "  AND m.final_at < ? AND m.redacted_on IS NULL"),
				"UPDATE messages SET"
				" address = " MASKED_ADDRESS(
					"") ", redacted_on = ?"
					    " WHERE message_id BETWEEN ? AND ?"
					    "  AND final_at < ? AND redacted_on IS NULL",
				"INSERT INTO purge_marks (what, upto)"
				" VALUES ('messages', ?)"
				" ON DUPLICATE KEY UPDATE upto = VALUES(upto)",
			};
			const struct db_param p0[] = {DB_ID(lo), DB_ID(end),
						      DB_STR(cut)},
					      p1[] = {DB_STR(today), DB_ID(lo),
						      DB_ID(end), DB_STR(cut)},
					      p2[] = {DB_ID(end)};
			const struct db_param *p[] = {p0, p1, p2};
			const size_t np[] = {3, 4, 1};
			unsigned long long *a[] = {NULL, &c->redacted, NULL};

			if (batch(db, c, sql, p, np, a, 3, err) != 0)
				return -1;
		}
		if (stop != 0)
			return 0;
	}
}

/*
 * Closed cases before the cut, with their notices, messages and finished
 * tasks; then notices of no case (outages, the API) sent before it. Each
 * batch picks its rows into tmp_purge and removes what hangs on them.
 */
static int
history(struct db *db, const char *cut, struct purge_counts *c,
	struct fg_err *err)
{
	/* (each statement in parentheses: one string each, for clang) */
	static const char *const cases[] = {
		"DELETE FROM tmp_purge",
		("INSERT INTO tmp_purge (id) SELECT case_id FROM dunning_cases"
		 " WHERE closed_on < ? AND state = 'closed'"
		 " ORDER BY closed_on, case_id LIMIT " FG_STR(PURGE_BATCH)),
		("DELETE t FROM tmp_purge x JOIN notices n ON n.case_id = x.id"
		 " JOIN messages m ON m.notice_id = n.notice_id"
		 " JOIN message_texts t ON t.message_id = m.message_id"),
		("DELETE m FROM tmp_purge x JOIN notices n ON n.case_id = x.id"
		 " JOIN messages m ON m.notice_id = n.notice_id"),
		"DELETE n FROM tmp_purge x JOIN notices n ON n.case_id = x.id",
		("DELETE t FROM tmp_purge x JOIN collection_tasks t"
		 " ON t.case_id = x.id WHERE t.state IN ('done', 'cancelled')"),
		("DELETE k FROM tmp_purge x JOIN dunning_cases k"
		 " ON k.case_id = x.id"),
	};
	static const char *const loose[] = {
		"DELETE FROM tmp_purge",
		("INSERT INTO tmp_purge (id) SELECT notice_id FROM notices"
		 " WHERE case_id IS NULL AND sent_on < ?"
		 " ORDER BY notice_id LIMIT " FG_STR(PURGE_BATCH)),
		("DELETE t FROM tmp_purge x JOIN messages m"
		 " ON m.notice_id = x.id"
		 " JOIN message_texts t ON t.message_id = m.message_id"),
		("DELETE m FROM tmp_purge x JOIN messages m"
		 " ON m.notice_id = x.id"),
		("DELETE o FROM tmp_purge x JOIN notice_outages o"
		 " ON o.notice_id = x.id"),
		("DELETE r FROM tmp_purge x JOIN notices n ON n.notice_id = x.id"
		 " JOIN notice_requests r ON r.request_key = n.request_key"
		 " AND r.notice_id = n.notice_id"),
		"DELETE n FROM tmp_purge x JOIN notices n ON n.notice_id = x.id",
	};
	const struct db_param pc[] = {DB_STR(cut)};
	const struct db_param *p[] = {NULL, pc, NULL, NULL, NULL, NULL, NULL};
	const size_t np[] = {0, 1, 0, 0, 0, 0, 0};
	unsigned long long picked = 0;
	unsigned long long *ac[] = {NULL,         &picked,     NULL,
				    &c->messages, &c->notices, &c->tasks,
				    &c->cases};
	unsigned long long *al[] = {NULL, &picked, NULL,       &c->messages,
				    NULL, NULL,    &c->notices};
	int rc = -1;

	if (db_exec(db,
		    "CREATE TEMPORARY TABLE IF NOT EXISTS tmp_purge ("
		    " id BIGINT UNSIGNED NOT NULL PRIMARY KEY) ENGINE=MEMORY",
		    DB_NOARGS, NULL, err) != 0)
		return -1;
	do {
		picked = 0;
		if (batch(db, c, cases, p, np, ac, FG_NELEM(cases), err) != 0)
			goto out;
	} while (picked > 0);
	do {
		picked = 0;
		if (batch(db, c, loose, p, np, al, FG_NELEM(loose), err) != 0)
			goto out;
	} while (picked > 0);
	rc = 0;
out:
	db_exec(db, "DROP TEMPORARY TABLE IF EXISTS tmp_purge", DB_NOARGS, NULL,
		&(struct fg_err){0});
	return rc;
}

/* The access log, oldest first: its ids follow time, so a batch is a
 * range from the oldest row, and the first range with nothing old ends
 * it (no scan of what is kept). */
static int
access_log(struct db *db, const char *cut, struct purge_counts *c,
	   struct fg_err *err)
{
	for (;;) {
		unsigned long long lo, gone = 0;
		const char *sql[] = {
			"DELETE FROM access_log WHERE id BETWEEN ? AND ? + " FG_STR(
				PURGE_BATCH) " - 1 AND at < ?"};
		struct db_param p0[3];
		const struct db_param *p[] = {p0};
		const size_t np[] = {3};
		unsigned long long *a[] = {&c->access};

		if (db_query_ull(db, "SELECT MIN(id) FROM access_log",
				 DB_NOARGS, &lo, err) != 0)
			return -1;
		if (lo == 0)
			return 0;
		p0[0] = DB_ID(lo);
		p0[1] = DB_ID(lo);
		p0[2] = DB_STR(cut);
		gone = c->access;
		if (batch(db, c, sql, p, np, a, 1, err) != 0)
			return -1;
		gone = c->access - gone;
		if (gone == 0)
			return 0;
	}
}

/* Refused billing rows not seen since the cut: billing corrected them. */
static int
input_errors(struct db *db, const char *cut, struct purge_counts *c,
	     struct fg_err *err)
{
	const char *sql[] = {"DELETE FROM input_errors"
			     " WHERE last_seen_on < ?"
			     " LIMIT " FG_STR(PURGE_BATCH)};
	const struct db_param p0[] = {DB_STR(cut)};
	const struct db_param *p[] = {p0};
	const size_t np[] = {1};
	unsigned long long before;

	do {
		unsigned long long *a[] = {&c->input_errors};

		before = c->input_errors;
		if (batch(db, c, sql, p, np, a, 1, err) != 0)
			return -1;
	} while (c->input_errors > before);
	return 0;
}

/* The run's audit row, when it did something. */
static int
audit_run(struct db *db, const char *today, const struct purge_counts *c,
	  struct fg_err *err)
{
	struct audit_batch *b;
	json_t *d;
	char *detail;
	int rc;

	if (c->redacted + c->cases + c->notices + c->messages + c->tasks +
		    c->access + c->input_errors ==
	    0)
		return 0;
	d = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "redacted",
		      (json_int_t)c->redacted, "cases", (json_int_t)c->cases,
		      "notices", (json_int_t)c->notices, "messages",
		      (json_int_t)c->messages, "tasks", (json_int_t)c->tasks,
		      "access_log", (json_int_t)c->access, "input_errors",
		      (json_int_t)c->input_errors);
	detail = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	b = audit_batch_new();
	audit_batch_add(b, "purged", NULL, 0, 0, 0, 0, detail);
	free(detail);
	rc = db_begin(db, err) != 0 ||
			     audit_batch_write(db, b, ACTOR, today, err) != 0 ||
			     db_commit(db, err) != 0
		     ? -1
		     : 0;
	if (rc != 0)
		db_rollback(db);
	audit_batch_free(b);
	return rc;
}

int
purge_run(struct db *db, const struct config *cfg, const char *today,
	  struct purge_counts *c, struct fg_err *err)
{
	char mcut[16], hcut[16], acut[16], icut[16];

	memset(c, 0, sizeof(*c));
	if (cutoff(db, today, cfg->retention.message_days, mcut, err) != 0 ||
	    cutoff(db, today, cfg->retention.history_days, hcut, err) != 0 ||
	    cutoff(db, today, cfg->retention.access_days, acut, err) != 0 ||
	    cutoff(db, today, cfg->retention.input_error_days, icut, err) !=
		    0 ||
	    redact(db, today, mcut, c, err) != 0 ||
	    history(db, hcut, c, err) != 0 ||
	    access_log(db, acut, c, err) != 0 ||
	    input_errors(db, icut, c, err) != 0 ||
	    audit_run(db, today, c, err) != 0) {
		err_prefix(err, "purge %s", today);
		return -1;
	}
	return 0;
}

void
purge_print(const char *today, const struct purge_counts *c, FILE *out)
{
	fprintf(out,
		"purge: date=%s redacted=%llu cases=%llu notices=%llu "
		"messages=%llu tasks=%llu access_log=%llu input_errors=%llu "
		"batches=%llu longest_ms=%.0f\n",
		today, c->redacted, c->cases, c->notices, c->messages, c->tasks,
		c->access, c->input_errors, c->batches, c->longest * 1000);
}
