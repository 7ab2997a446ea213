/*
 * night.h: one business date's pass over billing. night_open takes the
 * planner lock; intake (intake.h) reads billing once into this session's
 * temporary tables and records the rows it refuses; the planner and
 * escalation steps then decide
 * from those tables, each step in its own transaction together with its
 * audit rows.
 *
 * Temporary tables (per connection, dropped by night_close; a step's own
 * tables are dropped by the step, or by night_rollback when it fails):
 *   tmp_bal   (account_no, balance, known, hold, grid_id, ...) overdue
 *             balance of every account with an open bill past due_date +
 *             grace_days, and what billing_customers says of the account
 *             (known = 0: no such customer)
 *   tmp_quar  (account_no)           accounts with a refused bill: no
 *             ladder decision is taken on data known to be wrong
 *   tmp_bad   (source, row_key, ...) refused rows not yet recorded
 */
#ifndef FEEGATE_NIGHT_H
#define FEEGATE_NIGHT_H

#include <stdio.h>

#include "base/config.h"
#include "base/contacts.h"
#include "base/dates.h"
#include "store/db.h"

#define NIGHT_MAX_SEQ 10

struct night_counts {
	unsigned long long input_errors; /* first seen tonight */
	unsigned long long cases_opened;
	unsigned long long notices[NIGHT_MAX_SEQ + 1]; /* by seq */
	unsigned long long unreachable;
	unsigned long long messages_queued;
	unsigned long long notices_failed;
	unsigned long long closed_paid;
	unsigned long long closed_below_minimum;
	unsigned long long closed_hold;
	unsigned long long closed_cancelled;
	unsigned long long messages_cancelled;
	unsigned long long tasks_created;
	unsigned long long tasks_closed;
	unsigned long long audit_rows;
	/* Outages: versions seen, notices by kind, late and unreachable. */
	unsigned long long outage_versions;
	unsigned long long outage_notices;
	unsigned long long outage_reminders;
	unsigned long long outage_rescheduled;
	unsigned long long outage_cancelled;
	unsigned long long outage_restored;
	unsigned long long outage_late;
	unsigned long long outage_unreachable;
};

struct night {
	struct db *db;
	const struct config *cfg;
	char date[DATE_LEN];
	/* The local wall-clock time of the pass, "YYYY-MM-DD HH:MM:SS" in
	 * [dunning] timezone (--now, else now, else the date's start). */
	char now[TIME_LEN];
	char min_amount[32];
	char max_bill[32];
	/* Where billing is a replica: how far behind it was when the night
	 * read it (seconds). */
	int replicated;
	long long billing_lag;
	int locked;
	struct night_counts n;
	/* Told 1 when a deciding step has found urgent notices to write
	 * (night_decision's pending_sql), and 0 when its transaction ends,
	 * committed or not: serve's dispatcher claims only urgent messages
	 * meanwhile, so that the step is not one thread among the sending's
	 * many. NULL: nobody is told. */
	void (*urgent_hold)(void *arg, int on);
	void *urgent_arg;
};

/* Lock, check billing is fresh enough (billing_fresh: 1 with err when
 * not), check the date runs forward, note the night (pass.c then runs
 * intake_run, intake.h, to read billing). now
 * (local "YYYY-MM-DD HH:MM:SS") MAY be NULL: the wall clock on the date
 * itself, else the date's start. */
int night_open(struct night *nt, struct db *db, const struct config *cfg,
	       const char *date, const char *now, struct fg_err *err);
/* For the outage pass alone (serve, between nights): the lock, billing's
 * freshness and tmp_bad, no bills read, no night noted. */
int night_open_outages(struct night *nt, struct db *db,
		       const struct config *cfg, const char *date,
		       const char *now, struct fg_err *err);
/* The night ran to its end: its finished_at set (/metrics). */
int night_finished(struct night *nt, struct fg_err *err);
void night_close(struct night *nt);

/* nt for a pass on date at now (local "YYYY-MM-DD HH:MM:SS"; NULL: the
 * wall clock on the date itself, else the date's start): nothing opened. */
void night_init(struct night *nt, struct db *db, const struct config *cfg,
		const char *date, const char *now);
/* tmp_bad, where a step puts the billing rows it refuses (see
 * night_record_input_errors). */
int night_bad_table(struct night *nt, struct fg_err *err);

/* A step's transaction: begin with an empty audit stage; commit flushes
 * the stage into the audit trail as actor, then commits. */
int night_begin(struct night *nt, struct fg_err *err);
int night_commit(struct night *nt, const char *actor, struct fg_err *err);
void night_rollback(struct night *nt);

/* A statement of a step, with the counter its affected rows add to. */
struct night_stmt {
	const char *sql;
	const struct db_param *p;
	size_t np;
	unsigned long long *affected; /* MAY be NULL */
};

/* The candidates of table t (contacts.h) that failed permanently before
 * at the address billing still has, found into table b and marked: two
 * entries of a night_stmt array, always together. */
/* clang-format off */
#define NIGHT_CONTACTS_BLOCKED(b, t)                                           \
	{CONTACT_BLOCKED_FIND(b, t), DB_NOARGS, NULL},                         \
	{CONTACT_BLOCKED_MARK(t, b), DB_NOARGS, NULL}
/* clang-format on */

/* Run statements in order (inside a step's transaction). */
int night_exec(struct night *nt, const struct night_stmt *s, size_t n,
	       struct fg_err *err);
/* A deciding step: its working tables (each a "CREATE TEMPORARY TABLE
 * name (" statement), its statements, and count_sql, whose rows go to
 * count_cb with the night's counts as argument. When pending_sql is set,
 * s[0..decided) decide and the rest write: a row of pending_sql between
 * them tells nt->urgent_hold (night.h) until the step's end. */
struct night_decision {
	const char *actor;
	const char *const *tables;
	size_t ntables;
	const struct night_stmt *s;
	size_t n;
	const char *count_sql;
	db_row_fn count_cb;
	size_t decided;
	const char *pending_sql; /* MAY be NULL */
};

/* A deciding step in one transaction: the working tables made, the
 * statements run, the refused rows they put in tmp_bad recorded, the
 * counts read, the tables dropped, and commit as its actor. */
int night_decide(struct night *nt, const struct night_decision *dc,
		 struct fg_err *err);
/* night_begin, night_exec, night_commit as actor. */
int night_step(struct night *nt, const char *actor, const struct night_stmt *s,
	       size_t n, struct fg_err *err);

/* Run a step; when the database chose it as a deadlock victim (or it
 * waited too long for a lock) it was rolled back whole: run it again, up
 * to three times. */
int night_retry(struct night *nt, int (*step)(struct night *, struct fg_err *),
		struct fg_err *err);

/* Record the rows in tmp_bad: new ones are staged as input_rejected audit
 * events, every one updates input_errors; tmp_bad is emptied. Call inside a
 * step's transaction. */
int night_record_input_errors(struct night *nt, struct fg_err *err);

/* Print what this run did, for people. */
void night_print(const struct night *nt, FILE *out);

#endif
