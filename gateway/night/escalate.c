/*
 * escalate.c: see escalate.h.
 */
#include "night/escalate.h"

#include <string.h>

#include "base/log.h"
#include "queue/outbox.h"

#define ACTOR "escalation"

/* The latest notice of each open case, step_days old, balance still
 * due, with whether one of its messages reached the customer and whether
 * one is still unsent (queued or retry: cancelled with the notice). The
 * cases are read in full (a scan: it costs less than finding each of
 * tmp_bal's accounts by index), so this part's are kept first, by their
 * number, before their notices are looked up: without it every part
 * looked up every case's notice and kept its own by tmp_bal (at 1M
 * customers, night 2's part in the client: 1.48 s, 1.15 s with). The same
 * for the next notices (planner.c) and the tasks below. A notice's
 * messages are joined once and folded into its row by its key (a notice
 * has one message unless a fallback added more): two lookups a notice
 * instead of two EXISTS of two each (10M, one part of two, 1.8 million
 * notices, in the client: 17.2 and 20.8 s against 21.3 and 24.5 s). The
 * count of notices failed is the apply's, since a fold counts twice. */
#define FAIL_REACHED "COALESCE(" OUTBOX_REACHED("m") ", 0)"
#define FAIL_UNSENT  "COALESCE(m.state IN ('queued', 'retry'), 0)"
#define FAIL_PART    DB_PART("k.account_no")
const char escalate_fail_decide[] =
	"INSERT INTO tmp_fail (notice_id, case_id, account_no, seq, balance,"
	" delivered, unsent)"
	" SELECT n.notice_id, n.case_id, n.account_no, n.seq, t.balance,"
	"  " FAIL_REACHED ", " FAIL_UNSENT " FROM dunning_cases k"
	" JOIN notices n ON n.case_id = k.case_id AND n.seq = k.step"
	" JOIN tmp_bal t ON t.account_no = k.account_no"
	" LEFT JOIN tmp_quar q ON q.account_no = k.account_no"
	" LEFT JOIN messages m ON m.notice_id = n.notice_id"
	" WHERE k.active_account IS NOT NULL AND k.state = 'open'"
	"   AND q.account_no IS NULL"
	"   AND n.state IN ('planned', 'sending', 'sent', 'delivered')"
	"   AND n.sent_on <= DATE_SUB(?, INTERVAL ? DAY)"
	"   AND t.balance >= ? AND t.known = 1 AND t.hold = 0"
	"   AND " FAIL_PART " ON DUPLICATE KEY UPDATE"
	"  delivered = delivered OR VALUES(delivered),"
	"  unsent = unsent OR VALUES(unsent)";

const char escalate_fail_table[] =
	"CREATE TEMPORARY TABLE tmp_fail ("
	" notice_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
	" case_id BIGINT UNSIGNED NOT NULL,"
	" account_no VARCHAR(32) NOT NULL,"
	" seq INT NOT NULL,"
	" balance DECIMAL(16,2) NOT NULL,"
	" delivered INT NOT NULL,"
	" unsent INT NOT NULL,"
	" KEY (case_id)) ENGINE=MEMORY";

#define FAIL_AUDIT                                                             \
	"INSERT INTO audit_stage (event, account_no, case_id, notice_id, seq," \
	" amount, delivered)"                                                  \
	" SELECT 'notice_failed', f.account_no, f.case_id, f.notice_id,"       \
	"  f.seq, f.balance, f.delivered"                                      \
	" FROM tmp_fail f"

const char escalate_fail_audit[] = FAIL_AUDIT;

const char escalate_fail_audit_uncarried[] =
	FAIL_AUDIT " LEFT JOIN tmp_next x ON x.case_id = f.case_id"
		   " WHERE x.case_id IS NULL OR f.unsent = 1";

const char escalate_fail_audit_cancel[] =
	"INSERT INTO audit_stage (event, account_no, case_id,"
	" notice_id, message_id, channel, address, reason)"
	" SELECT 'message_cancelled', m.account_no, m.case_id,"
	"  m.notice_id, m.message_id, m.channel, m.address,"
	"  'notice failed before this message was sent'"
	" FROM tmp_fail f JOIN messages m ON m.notice_id = f.notice_id"
	" WHERE f.unsent = 1 AND m.state IN ('queued', 'retry')";

const char escalate_fail_apply_notices[] =
	"UPDATE tmp_fail f STRAIGHT_JOIN notices n"
	"  FORCE INDEX (PRIMARY) ON n.notice_id = f.notice_id"
	" SET n.state = 'failed', n.failed_on = ?";

const char escalate_fail_apply_messages[] =
	"UPDATE tmp_fail f STRAIGHT_JOIN messages m"
	"  FORCE INDEX (messages_notice_contact)"
	"  ON m.notice_id = f.notice_id"
	" SET m.state = 'cancelled',"
	"  m.last_error = 'notice failed before this message was sent'"
	" WHERE f.unsent = 1 AND m.state IN ('queued', 'retry')";

int
escalate_fail_notices(struct night *nt, struct fg_err *err)
{
	const char *d = nt->date;
	const struct night_stmt s[] = {
		{escalate_fail_table, DB_NOARGS, NULL},
		{escalate_fail_decide,
		 DB_ARGS(DB_STR(d), DB_INT(nt->cfg->dunning.step_days),
			 DB_STR(nt->min_amount)),
		 NULL},
		{escalate_fail_audit, DB_NOARGS, NULL},
		{escalate_fail_audit_cancel, DB_NOARGS,
		 &nt->n.messages_cancelled},
		{escalate_fail_apply_notices, DB_ARGS(DB_STR(d)),
		 &nt->n.notices_failed},
		{escalate_fail_apply_messages, DB_NOARGS, NULL},
		{"DROP TEMPORARY TABLE tmp_fail", DB_NOARGS, NULL},
	};

	return night_step(nt, ACTOR, s, FG_NELEM(s), err);
}

/* Open cases whose last notice has failed and is step_days old, with the
 * balance still due and no task yet. The count of failed notices is taken
 * again here: no task without `notices` failed notices, whatever else. */
static const char sql_task_decide[] =
	"INSERT INTO tmp_task (case_id, account_no, grid_id, balance, failed,"
	" delivered)"
	" SELECT k.case_id, k.account_no, t.grid_id, t.balance,"
	"  (SELECT COUNT(*) FROM notices f"
	"   WHERE f.case_id = k.case_id AND f.state = 'failed') AS failed,"
	"  (SELECT COUNT(DISTINCT d.notice_id) FROM notices d"
	"   JOIN messages m ON m.notice_id = d.notice_id"
	"   WHERE d.case_id = k.case_id AND " OUTBOX_REACHED(
		"m") ")"
		     " FROM dunning_cases k"
		     " JOIN notices n ON n.case_id = k.case_id AND n.seq = k.step"
		     " JOIN tmp_bal t ON t.account_no = k.account_no"
		     " LEFT JOIN tmp_quar q ON q.account_no = k.account_no"
		     " LEFT JOIN collection_tasks x ON x.case_id = k.case_id"
		     " WHERE k.active_account IS NOT NULL AND k.state = 'open'"
		     "   AND k.step >= ? AND n.state = 'failed'"
		     "   AND n.sent_on <= DATE_SUB(?, INTERVAL ? DAY)"
		     "   AND t.balance >= ? AND t.known = 1 AND t.hold = 0"
		     "   AND q.account_no IS NULL AND x.task_id IS NULL"
		     "   AND " DB_PART("k.account_no") " HAVING failed >= ?";

int
escalate_raise_tasks(struct night *nt, struct fg_err *err)
{
	const struct config *cfg = nt->cfg;
	const char *d = nt->date;
	const struct night_stmt s[] = {
		{"CREATE TEMPORARY TABLE tmp_task ("
		 " case_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
		 " account_no VARCHAR(32) NOT NULL,"
		 " grid_id VARCHAR(32) NULL,"
		 " balance DECIMAL(16,2) NOT NULL,"
		 " failed INT NOT NULL,"
		 " delivered INT NOT NULL) ENGINE=MEMORY",
		 DB_NOARGS, NULL},
		{sql_task_decide,
		 DB_ARGS(DB_INT(cfg->dunning.notices), DB_STR(d),
			 DB_INT(cfg->dunning.step_days), DB_STR(nt->min_amount),
			 DB_INT(cfg->dunning.notices)),
		 NULL},
		{"INSERT INTO collection_tasks (account_no, case_id, grid_id,"
		 " amount_due, notices_failed, notices_delivered, reason, state,"
		 " created_on)"
		 " SELECT account_no, case_id, grid_id, balance, failed,"
		 "  delivered, CONCAT(failed, ' automated notices failed'),"
		 "  'open', ?"
		 " FROM tmp_task",
		 DB_ARGS(DB_STR(d)), &nt->n.tasks_created},
		{"INSERT INTO audit_stage (event, account_no, case_id, task_id,"
		 " grid_id, amount, notices_failed, notices_delivered)"
		 " SELECT 'task_created', t.account_no, t.case_id, t.task_id,"
		 "  t.grid_id, t.amount_due, t.notices_failed,"
		 "  t.notices_delivered"
		 " FROM tmp_task x JOIN collection_tasks t"
		 "  ON t.case_id = x.case_id",
		 DB_NOARGS, NULL},
		{"INSERT INTO audit_stage (event, account_no, case_id, reason)"
		 " SELECT 'case_escalated', account_no, case_id,"
		 "  'manual collection task raised'"
		 " FROM tmp_task",
		 DB_NOARGS, NULL},
		{"UPDATE tmp_task x STRAIGHT_JOIN dunning_cases k"
		 "  FORCE INDEX (PRIMARY) ON k.case_id = x.case_id"
		 " SET k.state = 'escalated'",
		 DB_NOARGS, NULL},
		{"DROP TEMPORARY TABLE tmp_task", DB_NOARGS, NULL},
	};

	return night_step(nt, ACTOR, s, FG_NELEM(s), err);
}

int
escalate_run(struct night *nt, int planned, struct fg_err *err)
{
	if (!planned && night_retry(nt, escalate_fail_notices, err) != 0)
		return -1;
	return night_retry(nt, escalate_raise_tasks, err);
}
