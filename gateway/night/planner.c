/*
 * planner.c: see planner.h. Each step first decides into a temporary table
 * (what will change and why), then stages the audit events from it, then
 * applies it: the audit rows describe exactly the rows changed.
 */
#include "night/planner.h"

#include <stdlib.h>
#include <string.h>

#include "base/contacts.h"
#include "base/log.h"
#include "night/escalate.h"

#define ACTOR "planner"

/* Active cases to close, and why. Quarantined accounts are left alone.
 * The cases of this session's part of the accounts: tmp_bal holds only
 * those (intake.c). An account with overdue bills has its customer row's
 * answers in tmp_bal already (known; hold, 1 for billing's hold, 2 for a
 * missing dunning_hold), so billing_customers is looked up only for the
 * cases whose account owes nothing overdue tonight: paid, or gone from
 * billing. Looking it up for every active case took 1.1-1.4 s of night
 * 2's statement time at 1,000,000 customers to close none (0.6 s
 * without). A missing dunning_hold stops new notices (intake) but does
 * not close a case: only a hold billing set does. An active case's
 * active_account is its account_no (001_foundation.sql): both halves read
 * cases_one_active alone, never a case's row. */
/* The cases of accounts with overdue bills tonight: from the few of
 * tmp_bal that would close, each case found by its account. Going through
 * every active case instead took 3.3-4.8 s in the client at 10M (one part
 * of two, 3.7 million active cases) against 0.13-0.23 s. */
#define CLOSE_OWING                                                            \
	"SELECT k.case_id, t.account_no, t.balance, CASE"                      \
	"   WHEN t.known = 0 THEN 'cancelled'"                                 \
	"   WHEN t.balance <= 0 THEN 'paid'"                                   \
	"   WHEN t.balance < ? THEN 'below_minimum'"                           \
	"   ELSE 'hold' END"                                                   \
	" FROM tmp_bal t"                                                      \
	" STRAIGHT_JOIN dunning_cases k FORCE INDEX (cases_one_active)"        \
	"  ON k.active_account = t.account_no"                                 \
	" LEFT JOIN tmp_quar q ON q.account_no = t.account_no"                 \
	" WHERE q.account_no IS NULL"                                          \
	"   AND (t.known = 0 OR t.balance < ? OR t.hold = 1)"
/* The cases of accounts that owe nothing overdue: paid, or gone. Every
 * active case of the part is looked at, in the index alone (2.5-3.5 s
 * against 2.9-4.4 s through the cases' rows, the same client runs). */
#define CLOSE_OWING_NOTHING                                                    \
	"SELECT k.case_id, k.active_account, 0,"                               \
	"  IF(c.account_no IS NULL, 'cancelled', 'paid')"                      \
	" FROM dunning_cases k FORCE INDEX (cases_one_active)"                 \
	" LEFT JOIN tmp_bal t ON t.account_no = k.active_account"              \
	" LEFT JOIN tmp_quar q ON q.account_no = k.active_account"             \
	" LEFT JOIN {B}.billing_customers c"                                   \
	"  ON {=customers.account_no c.account_no k.active_account}"           \
	" WHERE k.active_account IS NOT NULL AND t.account_no IS NULL"         \
	"   AND q.account_no IS NULL"                                          \
	"   AND (c.account_no IS NULL OR 0 < ? OR c.dunning_hold <> 0)"        \
	"   AND " DB_PART("k.active_account")
static const char sql_close_decide[] =
	"INSERT INTO tmp_close (case_id, account_no, balance, reason) " CLOSE_OWING
	" UNION ALL " CLOSE_OWING_NOTHING;

static int
close_count_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct night_counts *n = arg;
	unsigned long long k = strtoull(row->val[1], NULL, 10);

	(void)err;
	if (strcmp(row->val[0], "paid") == 0)
		n->closed_paid += k;
	else if (strcmp(row->val[0], "below_minimum") == 0)
		n->closed_below_minimum += k;
	else if (strcmp(row->val[0], "hold") == 0)
		n->closed_hold += k;
	else
		n->closed_cancelled += k;
	return 0;
}

int
planner_settle(struct night *nt, struct fg_err *err)
{
	const char *d = nt->date, *min = nt->min_amount;
	const struct night_stmt s[] = {
		{"CREATE TEMPORARY TABLE tmp_close ("
		 " case_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
		 " account_no VARCHAR(32) NOT NULL,"
		 " balance DECIMAL(16,2) NOT NULL,"
		 " reason VARCHAR(16) NOT NULL) ENGINE=MEMORY",
		 DB_NOARGS, NULL},
		{sql_close_decide,
		 DB_ARGS(DB_STR(min), DB_STR(min), DB_STR(min)), NULL},
		{"INSERT INTO audit_stage (event, account_no, case_id, reason,"
		 " amount)"
		 " SELECT 'case_closed', account_no, case_id, reason, balance"
		 " FROM tmp_close",
		 DB_NOARGS, NULL},
		{"INSERT INTO audit_stage (event, account_no, case_id,"
		 " notice_id, seq, reason)"
		 " SELECT IF(x.reason IN ('paid', 'below_minimum'),"
		 "  'notice_settled', 'notice_cancelled'),"
		 "  n.account_no, n.case_id, n.notice_id, n.seq, x.reason"
		 " FROM tmp_close x JOIN notices n ON n.case_id = x.case_id"
		 " WHERE n.state IN ('planned', 'sending', 'sent', 'delivered')",
		 DB_NOARGS, NULL},
		{"INSERT INTO audit_stage (event, account_no, case_id,"
		 " notice_id, message_id, channel, address, reason)"
		 " SELECT 'message_cancelled', m.account_no, m.case_id,"
		 "  m.notice_id, m.message_id, m.channel, m.address,"
		 "  CONCAT('case closed: ', x.reason)"
		 " FROM tmp_close x JOIN notices n ON n.case_id = x.case_id"
		 " JOIN messages m ON m.notice_id = n.notice_id"
		 " WHERE m.state IN ('queued', 'retry')",
		 DB_NOARGS, &nt->n.messages_cancelled},
		{"INSERT INTO audit_stage (event, account_no, case_id, task_id,"
		 " reason)"
		 " SELECT 'task_closed', t.account_no, t.case_id, t.task_id,"
		 "  x.reason"
		 " FROM tmp_close x JOIN collection_tasks t"
		 "  ON t.case_id = x.case_id"
		 " WHERE t.state IN ('open', 'assigned')",
		 DB_NOARGS, &nt->n.tasks_closed},
		{"UPDATE tmp_close x STRAIGHT_JOIN notices n"
		 "  FORCE INDEX (notices_case_seq) ON n.case_id = x.case_id"
		 " SET n.state = IF(x.reason IN ('paid', 'below_minimum'),"
		 "  'settled', 'cancelled'), n.closed_on = ?"
		 " WHERE n.state IN ('planned', 'sending', 'sent', 'delivered')",
		 DB_ARGS(DB_STR(d)), NULL},
		{"UPDATE tmp_close x STRAIGHT_JOIN notices n"
		 "  FORCE INDEX (notices_case_seq) ON n.case_id = x.case_id"
		 " STRAIGHT_JOIN messages m FORCE INDEX (messages_notice_contact)"
		 "  ON m.notice_id = n.notice_id"
		 " SET m.state = 'cancelled',"
		 "  m.last_error = CONCAT('case closed: ', x.reason)"
		 " WHERE m.state IN ('queued', 'retry')",
		 DB_NOARGS, NULL},
		{"UPDATE tmp_close x STRAIGHT_JOIN collection_tasks t"
		 "  FORCE INDEX (tasks_one_per_case) ON t.case_id = x.case_id"
		 " SET t.state = IF(x.reason IN ('paid', 'below_minimum'),"
		 "  'done', 'cancelled'), t.closed_on = ?,"
		 "  t.close_reason = x.reason"
		 " WHERE t.state IN ('open', 'assigned')",
		 DB_ARGS(DB_STR(d)), NULL},
		{"UPDATE tmp_close x STRAIGHT_JOIN dunning_cases k"
		 "  FORCE INDEX (PRIMARY) ON k.case_id = x.case_id"
		 " SET k.state = 'closed', k.close_reason = x.reason,"
		 "  k.closed_on = ?, k.active_account = NULL",
		 DB_ARGS(DB_STR(d)), NULL},
	};

	if (night_begin(nt, err) != 0)
		return -1;
	if (night_exec(nt, s, FG_NELEM(s), err) != 0 ||
	    db_query(nt->db, DB_STREAM,
		     "SELECT reason, COUNT(*) FROM tmp_close GROUP BY reason",
		     DB_NOARGS, close_count_cb, &nt->n, err) != 0 ||
	    db_exec(nt->db, "DROP TEMPORARY TABLE tmp_close", DB_NOARGS, NULL,
		    err) != 0) {
		night_rollback(nt);
		return -1;
	}
	return night_commit(nt, ACTOR, err);
}

/* New cases: owing at least min_amount, no active case, no hold. A case's
 * step is the seq of its latest notice; a new case is due notice 1 on the
 * same terms, planned below in the same transaction, so it is opened at
 * step 1 rather than opened at 0 and stepped (a write a case fewer). */
static const char sql_open_cases[] =
	"INSERT INTO dunning_cases (account_no, state, step, opened_on,"
	" balance_at_open, active_account)"
	" SELECT t.account_no, 'open', 1, ?, t.balance, t.account_no"
	" FROM tmp_bal t"
	" LEFT JOIN dunning_cases k ON k.active_account = t.account_no"
	" LEFT JOIN tmp_quar q ON q.account_no = t.account_no"
	" WHERE t.balance >= ? AND t.known = 1 AND t.hold = 0"
	"   AND k.case_id IS NULL AND q.account_no IS NULL";

/* Cases due a notice tonight: new ones (step 1 and no notice yet; step 0
 * is taken the same way, though a case opened at 0 was stepped in its own
 * transaction and none is left), and open ones whose latest notice has
 * failed and is step_days old. One step per case; tmp_next's `step` is
 * the case's as read, so that only the cases whose step moves are
 * written. This part's cases kept by their number first (escalate.c, the
 * failing: 0.52 s and 0.44 s in the client at 1M). */
static const char sql_next_decide[] =
	"INSERT INTO tmp_next (case_id, account_no, seq, step, opened_amount)"
	" SELECT k.case_id, k.account_no,"
	"  IF(n.case_id IS NULL, 1, k.step + 1), k.step, k.balance_at_open"
	" FROM dunning_cases k"
	" JOIN tmp_bal t ON t.account_no = k.account_no"
	" LEFT JOIN tmp_quar q ON q.account_no = k.account_no"
	" LEFT JOIN notices n ON n.case_id = k.case_id AND n.seq = k.step"
	" WHERE k.active_account IS NOT NULL AND k.state = 'open'"
	"   AND q.account_no IS NULL"
	"   AND t.balance >= ? AND t.known = 1 AND t.hold = 0"
	"   AND ((n.case_id IS NULL AND k.step <= 1)"
	"        OR (k.step < ? AND n.state = 'failed'"
	"            AND n.sent_on <= DATE_SUB(?, INTERVAL ? DAY)))"
	"   AND " DB_PART("k.account_no");

/* The contacts of those accounts, each with the reason it cannot be used
 * (NULL if it can; the blocked ones marked after, NIGHT_CONTACTS_BLOCKED).
 * Addresses are compared byte for byte. */
static const char sql_contacts[] =
	"INSERT INTO tmp_contact (" CONTACT_CANDIDATE_NAMES
	")" CONTACT_CANDIDATES_OF("tmp_next");

/* One message per notice, to the contact picked. */
static const char sql_queue[] =
	"INSERT INTO messages (notice_id, case_id, account_no, channel,"
	" contact_id, address, state, created_on)"
	" SELECT n.notice_id, x.case_id, x.account_no, c.channel,"
	"  c.contact_id, c.address, 'queued', ?"
	" FROM tmp_next x"
	" JOIN notices n ON n.case_id = x.case_id AND n.seq = x.seq"
	" JOIN tmp_pick p ON p.account_no = x.account_no"
	" JOIN {B}.billing_contacts c"
	"  ON {=contacts.contact_id c.contact_id p.contact_id}";

static int
seq_count_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct night_counts *n = arg;
	long long seq = strtoll(row->val[0], NULL, 10);

	(void)err;
	if (seq >= 1 && seq <= NIGHT_MAX_SEQ)
		n->notices[seq] += strtoull(row->val[1], NULL, 10);
	return 0;
}

/* The advance step's working tables. tmp_next carries the case's
 * balance_at_open for notice 1's audit row (case_opened.amount), read with
 * the case rather than looked up again: that lookup was a third of the
 * audit statement's time in the client at 10M. */
static const char *const advance_tables[] = {
	"CREATE TEMPORARY TABLE tmp_next ("
	" case_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
	" account_no VARCHAR(32) NOT NULL,"
	" seq INT NOT NULL,"
	" step INT NOT NULL,"
	" opened_amount DECIMAL(14,2) NOT NULL) ENGINE=MEMORY",
	"CREATE TEMPORARY TABLE tmp_contact (" CONTACT_CANDIDATE_COLUMNS
	" KEY USING BTREE (reason)) ENGINE=MEMORY",
	"CREATE TEMPORARY TABLE tmp_blocked (" CONTACT_BLOCKED_COLUMNS,
	"CREATE TEMPORARY TABLE tmp_pick (" CONTACT_PICK_COLUMNS,
	"CREATE TEMPORARY TABLE tmp_unreach ("
	" case_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
	" account_no VARCHAR(32) NOT NULL,"
	" seq INT NOT NULL) ENGINE=MEMORY",
	escalate_fail_table,
};

int
planner_advance(struct night *nt, struct fg_err *err)
{
	const struct config *cfg = nt->cfg;
	const char *d = nt->date, *min = nt->min_amount;
	char *pick = contacts_pick_sql(cfg, "tmp_pick", "tmp_contact");
	int rc;
	const struct night_stmt s[] = {
		/* The notices that fail tonight first (escalate.h): the next
		 * notice follows a failed one. */
		{escalate_fail_decide,
		 DB_ARGS(DB_STR(d), DB_INT(cfg->dunning.step_days),
			 DB_STR(min)),
		 NULL},
		{escalate_fail_apply_notices, DB_ARGS(DB_STR(d)),
		 &nt->n.notices_failed},
		{sql_open_cases, DB_ARGS(DB_STR(d), DB_STR(min)),
		 &nt->n.cases_opened},
		{sql_next_decide,
		 DB_ARGS(DB_STR(min), DB_INT(cfg->dunning.notices), DB_STR(d),
			 DB_INT(cfg->dunning.step_days)),
		 NULL},
		{escalate_fail_audit_uncarried, DB_NOARGS, NULL},
		{escalate_fail_audit_cancel, DB_NOARGS,
		 &nt->n.messages_cancelled},
		{escalate_fail_apply_messages, DB_NOARGS, NULL},
		{"INSERT INTO notices (case_id, account_no, kind, seq, sent_on,"
		 " state)"
		 " SELECT case_id, account_no, 'dunning', seq, ?, 'planned'"
		 " FROM tmp_next",
		 DB_ARGS(DB_STR(d)), NULL},
		{"UPDATE tmp_next x STRAIGHT_JOIN dunning_cases k"
		 "  FORCE INDEX (PRIMARY) ON k.case_id = x.case_id"
		 " SET k.step = x.seq WHERE x.seq <> x.step",
		 DB_NOARGS, NULL},
		{sql_contacts, DB_NOARGS, NULL},
		NIGHT_CONTACTS_BLOCKED("tmp_blocked", "tmp_contact"),
		{pick, DB_NOARGS, NULL},
		{sql_queue, DB_ARGS(DB_STR(d)), &nt->n.messages_queued},
		/* One row a notice, carrying its case's opening (new cases
		 * are exactly those at seq 1 tonight) or the failure of the
		 * notice before it (unless its rows came first, above), and
		 * its message. */
		{"INSERT INTO audit_stage (event, account_no, case_id,"
		 " notice_id, message_id, seq, `case_opened.amount`,"
		 " `notice_failed.notice_id`, `notice_failed.seq`,"
		 " `notice_failed.amount`, `notice_failed.delivered`,"
		 " `message_queued.channel`, `message_queued.contact_id`,"
		 " `message_queued.address`)"
		 " SELECT 'notice_planned', x.account_no, x.case_id,"
		 "  n.notice_id, m.message_id, x.seq,"
		 "  IF(x.seq = 1, x.opened_amount, NULL), f.notice_id, f.seq,"
		 "  f.balance, f.delivered, m.channel, m.contact_id, m.address"
		 " FROM tmp_next x"
		 " JOIN notices n ON n.case_id = x.case_id AND n.seq = x.seq"
		 " LEFT JOIN tmp_fail f ON f.case_id = x.case_id"
		 "  AND f.unsent = 0"
		 " LEFT JOIN messages m ON m.notice_id = n.notice_id",
		 DB_NOARGS, NULL},
		/* Notices with no contact to go to: found once, then
		 * audited and failed through this small table. */
		{"INSERT INTO tmp_unreach (case_id, account_no, seq)"
		 " SELECT x.case_id, x.account_no, x.seq FROM tmp_next x"
		 " LEFT JOIN tmp_pick p ON p.account_no = x.account_no"
		 " WHERE p.account_no IS NULL",
		 DB_NOARGS, &nt->n.unreachable},
		{"INSERT INTO audit_stage (event, account_no, case_id,"
		 " notice_id, seq, reason)"
		 " SELECT 'notice_unreachable', u.account_no, u.case_id,"
		 "  n.notice_id, u.seq,"
		 "  'no consented contact with a valid address'"
		 " FROM tmp_unreach u"
		 " JOIN notices n ON n.case_id = u.case_id AND n.seq = u.seq",
		 DB_NOARGS, NULL},
		{"UPDATE tmp_unreach u STRAIGHT_JOIN notices n"
		 "  FORCE INDEX (notices_case_seq)"
		 "  ON n.case_id = u.case_id AND n.seq = u.seq"
		 " SET n.state = 'failed', n.unreachable = 1, n.failed_on = ?",
		 DB_ARGS(DB_STR(d)), NULL},
		{"INSERT IGNORE INTO tmp_bad" CONTACT_NO_ID_FROM("tmp_next"),
		 DB_NOARGS, NULL},
		{"INSERT IGNORE INTO tmp_bad" CONTACT_REFUSED_FROM(
			 "tmp_contact"),
		 DB_NOARGS, NULL},
	};

	const struct night_decision dc = {
		ACTOR,
		advance_tables,
		FG_NELEM(advance_tables),
		s,
		FG_NELEM(s),
		"SELECT seq, COUNT(*) FROM tmp_next GROUP BY seq",
		seq_count_cb,
		0,
		NULL,
	};

	rc = night_decide(nt, &dc, err);
	free(pick);
	return rc;
}

int
planner_run(struct night *nt, struct fg_err *err)
{
	if (night_retry(nt, planner_settle, err) != 0)
		return -1;
	return night_retry(nt, planner_advance, err);
}
