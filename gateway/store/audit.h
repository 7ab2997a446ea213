/*
 * audit.h: the append-only, hash-chained audit trail.
 *
 * Each row's hash is SHA-256 over the previous row's hash and this row's
 * fields in a canonical, length-prefixed form (audit_hash), so that editing,
 * deleting or inserting a row anywhere breaks the chain from there on, and
 * `feegate audit verify` names the first row at fault. The head of the chain
 * (last seq and hash) lives in audit_head; appenders lock it for the length
 * of their transaction, so rows from several processes never fork the
 * chain and a rolled-back transaction leaves no trace.
 *
 * Set-based steps do not write audit rows one by one: they INSERT ... SELECT
 * their events into the session's audit_stage table, and audit_stage_flush
 * turns the staged rows into chained audit rows in bulk, inside the same
 * transaction as the change they describe.
 *
 * A row may carry the events that one step did for the same account along
 * with its own, as members of its detail named after them: the night's
 * notice_planned row holds its case's `case_opened` (a notice #1) or the
 * `notice_failed` of the notice before it (its notice_id in the member),
 * and its message's `message_queued`, one row where there were three
 * (planning's time at 100k customers: a quarter less); an outage notice's
 * row holds the message to the contact picked first. Readers list each as
 * an event of its own (timeline.c, audit_events).
 */
#ifndef FEEGATE_AUDIT_H
#define FEEGATE_AUDIT_H

#include <stdio.h>

#include "base/util.h"
#include "store/db.h"

#define AUDIT_HASH_LEN 65

/* One row in text form, as stored; NULL for SQL NULL. */
struct audit_row {
	const char *seq;
	const char *business_date;
	const char *at;
	const char *actor;
	const char *event;
	const char *account_no;
	const char *case_id;
	const char *notice_id;
	const char *message_id;
	const char *task_id;
	const char *detail; /* a JSON object */
};

/* hash = SHA-256(prev_hash, canonical(row)), lowercase hex. */
void audit_hash(const char *prev_hash, const struct audit_row *row,
		char out[AUDIT_HASH_LEN]);

struct audit_writer;

/* Lock the chain head; MUST be called inside a transaction. actor is who
 * acts (planner, escalation, dispatcher, a staff user); business_date MAY
 * be NULL. */
struct audit_writer *audit_open(struct db *db, const char *actor,
				const char *business_date, struct fg_err *err);
/* Append one row (fields copied). account_no and detail MAY be NULL;
 * ids of 0 mean none. */
int audit_append(struct audit_writer *w, const char *event,
		 const char *account_no, unsigned long long case_id,
		 unsigned long long notice_id, unsigned long long message_id,
		 unsigned long long task_id, const char *detail,
		 struct fg_err *err);
/* Write what is buffered and move the head; the caller commits. Frees w
 * whatever the outcome. */
int audit_close(struct audit_writer *w, unsigned long long *rows,
		struct fg_err *err);

/*
 * Lock order: every transaction takes the audit head last, just before it
 * commits (row locks first, then the head), so that appenders can never
 * deadlock on each other. Code that writes audit rows one by one collects
 * them in an audit_batch during the transaction and writes the batch at
 * the end; set-based code stages them (below).
 */
struct audit_batch;

struct audit_batch *audit_batch_new(void);
/* Copy one row into the batch; detail MAY be NULL; ids of 0 mean none. */
void audit_batch_add(struct audit_batch *b, const char *event,
		     const char *account_no, unsigned long long case_id,
		     unsigned long long notice_id,
		     unsigned long long message_id, unsigned long long task_id,
		     const char *detail);
/* Lock the head, chain and write the batch (inside the transaction). */
int audit_batch_write(struct db *db, struct audit_batch *b, const char *actor,
		      const char *business_date, struct fg_err *err);
void audit_batch_free(struct audit_batch *b);

/* Drop what is buffered (the caller rolls back) and free w. */
void audit_abort(struct audit_writer *w);

/* Create this session's (empty) audit_stage table. */
int audit_stage_begin(struct db *db, struct fg_err *err);
/* Chain every staged row into audit_log, in staging order, and drop the
 * stage. Columns after the fixed ones become the JSON detail, with the
 * address masked. */
int audit_stage_flush(struct db *db, const char *actor,
		      const char *business_date, unsigned long long *rows,
		      struct fg_err *err);

/* Where the chain stands: the last row's seq and hash (0 and
 * AUDIT_ZERO_HASH before the first row, or a checkpoint's). */
struct audit_chain {
	unsigned long long seq;
	char hash[AUDIT_HASH_LEN];
};
#define AUDIT_ZERO_HASH                                                        \
	"0000000000000000000000000000000000000000000000000000000000000000"
/* The columns of a row as audit_row and verify read them, hash last. */
#define AUDIT_ROW_COLUMNS                                                      \
	"seq, DATE_FORMAT(business_date, '%Y-%m-%d'),"                         \
	" DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s.%f'), actor, event,"              \
	" account_no, case_id, notice_id, message_id, task_id, detail, hash"

/* Whether r, with stored_hash, is the next row of the chain at c: 0 and
 * c moved on to it, or 1 with err naming the first row at fault. */
int audit_chain_next(struct audit_chain *c, const struct audit_row *r,
		     const char *stored_hash, struct fg_err *err);

/* Walk the chain in the table from from (the start, or a checkpoint) to
 * the head. Returns 0 if intact (err->msg holds the head's hash), 1 if
 * broken (the first row at fault is described in err), -1 if it could not
 * be read. *rows gets how many rows were walked. */
int audit_verify_from(struct db *db, const struct audit_chain *from,
		      unsigned long long *rows, struct fg_err *err);

#endif
