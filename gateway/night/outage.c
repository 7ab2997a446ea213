/*
 * outage.c: see outage.h. Like the planner: decide into temporary tables,
 * stage the audit rows from them, apply; one transaction.
 */
#include "night/outage.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/contacts.h"
#include "store/billing.h"

#define ACTOR "planner"

/* Why billing's outage row cannot be used; NULL if it can. Only outages
 * that have not been over for two days are looked at. Values longer than
 * the gateway keeps (outage_versions) are refused, not cut. */
const char outage_sql_refused[] =
	"INSERT IGNORE INTO tmp_bad (source, row_key, account_no, reason)"
	" SELECT 'outage', COALESCE(b.outage_id, '(none)'), NULL, CASE"
	"   WHEN b.outage_id IS NULL THEN 'outage_id missing'"
	"   WHEN {W outages.outage_id b.outage_id 32}"
	"     THEN 'outage_id longer than 32 characters'"
	"   WHEN b.kind IS NULL THEN 'kind missing'"
	"   WHEN b.status IS NULL THEN 'status missing'"
	"   WHEN CAST(b.kind AS BINARY) NOT IN ('planned', 'temporary')"
	"     THEN 'unknown outage kind'"
	"   WHEN CAST(b.status AS BINARY) NOT IN ('scheduled', 'cancelled')"
	"     THEN 'unknown outage status'"
	"   WHEN b.area IS NULL OR CHAR_LENGTH(TRIM({T outages.area b.area})) = 0"
	"     THEN 'area is empty'"
	"   WHEN NOT {V outages.area b.area} OR NOT {V outages.reason b.reason}"
	"     THEN 'area or reason is not valid UTF-8'"
	"   WHEN {W outages.area b.area 128}"
	"     THEN 'area longer than 128 characters'"
	"   WHEN {W outages.reason b.reason 255}"
	"     THEN 'reason longer than 255 characters'"
	"   WHEN b.starts_at IS NULL OR b.ends_at IS NULL"
	"     THEN 'starts_at or ends_at missing'"
	"   WHEN b.ends_at <= b.starts_at THEN 'ends_at not after starts_at'"
	"   WHEN b.starts_at > DATE_ADD(?, INTERVAL 1 YEAR)"
	"     THEN 'starts_at more than a year ahead'"
	" END AS reason"
	" FROM {B}.billing_outages b"
	" WHERE b.ends_at IS NULL OR b.ends_at >= DATE_SUB(?, INTERVAL 2 DAY)"
	" HAVING reason IS NOT NULL";

/* Outages new to us, or changed since the version we hold. */
static const char sql_changed[] =
	"INSERT INTO tmp_over (outage_id, version)"
	" SELECT b.outage_id, COALESCE(o.version, 0) + 1"
	" FROM {B}.billing_outages b"
	" LEFT JOIN tmp_bad x ON x.source = 'outage'"
	"  AND {=outages.outage_id b.outage_id x.row_key}"
	" LEFT JOIN outages o ON {=outages.outage_id b.outage_id o.outage_id}"
	" LEFT JOIN outage_versions v ON v.outage_id = o.outage_id"
	"  AND v.version = o.version"
	" WHERE b.ends_at >= DATE_SUB(?, INTERVAL 2 DAY) AND x.row_key IS NULL"
	"   AND b.outage_id IS NOT NULL"
	"   AND (v.outage_id IS NULL OR NOT " OUTAGE_SAME("v", "b") ")";

/* Late: less lead than the rules ask, for the times the notice gives. */
#define LATE_SQL                                                               \
	" IF(c.kind = 'temporary',"                                            \
	"    TIMESTAMPDIFF(MINUTE, ?, c.starts_at) < ? * 60,"                  \
	"    DATEDIFF(c.starts_at, ?) < ?)"

/* Who is owed which notice tonight (see outage.h). */
static const char sql_first[] =
	"INSERT IGNORE INTO tmp_onote (outage_id, account_no, kind, version,"
	" prev, late, anytime)"
	" SELECT c.outage_id, a.account_no, 'outage_notice', c.version, NULL," LATE_SQL
	", 0"
	" FROM tmp_ocur c"
	" JOIN {B}.billing_outage_accounts a"
	"  ON {=outage_accounts.outage_id a.outage_id c.outage_id}"
	" JOIN {B}.billing_customers bc"
	"  ON {=customers.account_no bc.account_no a.account_no}"
	" LEFT JOIN tmp_told t ON t.outage_id = c.outage_id"
	"  AND {=outage_accounts.account_no a.account_no t.account_no}"
	" LEFT JOIN notice_outages ex ON ex.outage_id = c.outage_id"
	"  AND {=outage_accounts.account_no a.account_no ex.account_no}"
	"  AND ex.kind = 'outage_notice'"
	"  AND ex.outage_version = c.version"
	" WHERE c.status = 'scheduled' AND c.ends_at > ?"
	"   AND t.account_no IS NULL AND ex.notice_id IS NULL"
	"   AND (c.kind = 'temporary' OR DATEDIFF(c.starts_at, ?) <= ?)";

static const char sql_moved[] =
	"INSERT IGNORE INTO tmp_onote (outage_id, account_no, kind, version,"
	" prev, late, anytime)"
	" SELECT c.outage_id, t.account_no, 'outage_rescheduled', c.version,"
	"  t.version," LATE_SQL ", 0"
	" FROM tmp_ocur c JOIN tmp_told t ON t.outage_id = c.outage_id"
	" JOIN outage_versions tv ON tv.outage_id = t.outage_id"
	"  AND tv.version = t.version"
	" LEFT JOIN notice_outages ex ON ex.outage_id = c.outage_id"
	"  AND ex.account_no = t.account_no AND ex.kind = 'outage_rescheduled'"
	"  AND ex.outage_version = c.version"
	" WHERE c.status = 'scheduled' AND c.ends_at > ? AND t.version < c.version"
	"   AND (tv.starts_at <> c.starts_at OR tv.ends_at <> c.ends_at)"
	"   AND ex.notice_id IS NULL";

static const char sql_cancelled[] =
	"INSERT IGNORE INTO tmp_onote (outage_id, account_no, kind, version,"
	" prev, late, anytime)"
	" SELECT c.outage_id, t.account_no, 'outage_cancelled', c.version,"
	"  t.version, 0, 0"
	" FROM tmp_ocur c JOIN tmp_told t ON t.outage_id = c.outage_id"
	" JOIN outage_versions tv ON tv.outage_id = t.outage_id"
	"  AND tv.version = t.version"
	" LEFT JOIN notice_outages ex ON ex.outage_id = c.outage_id"
	"  AND ex.account_no = t.account_no AND ex.kind = 'outage_cancelled'"
	" WHERE c.status = 'cancelled' AND tv.ends_at > ? AND ex.notice_id IS NULL";

/* Reminded once per times told (prev = the version told). */
static const char sql_reminder[] =
	"INSERT IGNORE INTO tmp_onote (outage_id, account_no, kind, version,"
	" prev, late, anytime)"
	" SELECT c.outage_id, t.account_no, 'outage_reminder', c.version,"
	"  t.version, 0, 0"
	" FROM tmp_ocur c JOIN tmp_told t ON t.outage_id = c.outage_id"
	" JOIN outage_versions tv ON tv.outage_id = t.outage_id"
	"  AND tv.version = t.version"
	" LEFT JOIN notice_outages ex ON ex.outage_id = c.outage_id"
	"  AND ex.account_no = t.account_no AND ex.kind = 'outage_reminder'"
	"  AND ex.outage_prev = t.version"
	" WHERE ? > 0 AND c.status = 'scheduled' AND c.starts_at > ?"
	"   AND tv.starts_at = c.starts_at AND tv.ends_at = c.ends_at"
	"   AND DATEDIFF(c.starts_at, ?) BETWEEN 1 AND ?"
	"   AND t.last_on < ? AND ex.notice_id IS NULL";

static const char sql_restored[] =
	"INSERT IGNORE INTO tmp_onote (outage_id, account_no, kind, version,"
	" prev, late, anytime)"
	" SELECT c.outage_id, t.account_no, 'outage_restored', c.version,"
	"  t.version, 0, 0"
	" FROM tmp_ocur c JOIN tmp_told t ON t.outage_id = c.outage_id"
	" LEFT JOIN notice_outages ex ON ex.outage_id = c.outage_id"
	"  AND ex.account_no = t.account_no AND ex.kind = 'outage_restored'"
	" WHERE ? AND c.status = 'scheduled' AND c.ends_at <= ?"
	"   AND ex.notice_id IS NULL";

/* The notices of tmp_onote, once inserted. */
#define ONOTE_JOIN                                                             \
	" FROM tmp_onote x JOIN notice_outages xo"                             \
	"  ON xo.outage_id = x.outage_id AND xo.account_no = x.account_no"     \
	"  AND xo.kind = x.kind AND xo.outage_version = x.version"             \
	" JOIN notices n ON n.notice_id = xo.notice_id"

struct kind_count {
	const char *kind;
	size_t off;
};

static const struct kind_count kind_counts[] = {
	{"outage_notice", offsetof(struct night_counts, outage_notices)},
	{"outage_reminder", offsetof(struct night_counts, outage_reminders)},
	{"outage_rescheduled",
	 offsetof(struct night_counts, outage_rescheduled)},
	{"outage_cancelled", offsetof(struct night_counts, outage_cancelled)},
	{"outage_restored", offsetof(struct night_counts, outage_restored)},
};

static int
count_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct night_counts *n = arg;
	size_t i;

	(void)err;
	for (i = 0; i < FG_NELEM(kind_counts); i++)
		if (strcmp(row->val[0], kind_counts[i].kind) == 0)
			*(unsigned long long *)((char *)n +
						kind_counts[i].off) +=
				strtoull(row->val[1], NULL, 10);
	n->outage_late += strtoull(row->val[2], NULL, 10);
	return 0;
}

/* The statements that queue messages: a large customer's usable contacts
 * on channels we send on, the first [outage] large_contacts of them in the
 * order dunning would pick them (billing may list thousands: a factory's
 * every employee must not get a text); the others' first (tmp_opick). */
static char *
sql_queue_large(const struct config *cfg)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(
		&b,
		"INSERT INTO messages (notice_id, case_id, account_no,"
		" channel, contact_id, address, state, created_on, priority,"
		" anytime)"
		" SELECT n.notice_id, NULL, x.account_no, ct.channel,"
		"  ct.contact_id, ct.address, 'queued', ?, 1, x.anytime" ONOTE_JOIN
		" JOIN (SELECT t.account_no, t.contact_id, ROW_NUMBER() OVER"
		"   (PARTITION BY t.account_no ORDER BY ");
	contacts_rank_sql(cfg, "t.", &b);
	sbuf_adds(&b, "t.priority, t.contact_id) AS rn"
		      "  FROM tmp_ocontact t JOIN {B}.billing_customers bc"
		      "   ON {=customers.account_no bc.account_no t.account_no}"
		      "  WHERE CAST(bc.segment AS BINARY) = 'large'"
		      "   AND t.consent = 1 AND t.reason IS NULL");
	contacts_channel_filter(cfg, "t.", &b);
	sbuf_adds(&b, ") t ON t.account_no = x.account_no"
		      " JOIN {B}.billing_contacts ct"
		      "  ON {=contacts.contact_id ct.contact_id t.contact_id}"
		      " WHERE t.rn <= ?");
	return sbuf_take(&b);
}

static const char sql_queue_first[] =
	"INSERT INTO messages (notice_id, case_id, account_no, channel,"
	" contact_id, address, state, created_on, priority, anytime)"
	" SELECT n.notice_id, NULL, x.account_no, ct.channel, ct.contact_id,"
	"  ct.address, 'queued', ?, 1, x.anytime" ONOTE_JOIN
	" JOIN {B}.billing_customers bc"
	"  ON {=customers.account_no bc.account_no x.account_no}"
	" JOIN tmp_opick p ON p.account_no = x.account_no"
	" JOIN {B}.billing_contacts ct"
	"  ON {=contacts.contact_id ct.contact_id p.contact_id}"
	" WHERE CAST(bc.segment AS BINARY) <> 'large' OR bc.segment IS NULL";

static const char sql_record_versions[] =
	"INSERT INTO outage_versions (outage_id, version, kind, area,"
	" starts_at, ends_at, reason, status, seen_on, seen_at)"
	" SELECT x.outage_id, x.version, b.kind, b.area, b.starts_at,"
	"  b.ends_at, b.reason, b.status, ?, ?"
	" FROM tmp_over x"
	" JOIN {B}.billing_outages b"
	"  ON {=outages.outage_id b.outage_id x.outage_id}";

static const char sql_record_outages[] =
	"INSERT INTO outages (outage_id, version, first_seen_at)"
	" SELECT outage_id, version, ? FROM tmp_over"
	" ON DUPLICATE KEY UPDATE version = VALUES(version)";

static const char sql_audit_seen[] =
	"INSERT INTO audit_stage (event, outage_id, version, kind,"
	" status, area, starts_at, ends_at)"
	" SELECT 'outage_seen', v.outage_id, v.version, v.kind,"
	"  v.status, v.area,"
	"  DATE_FORMAT(v.starts_at, '%Y-%m-%d %H:%i'),"
	"  DATE_FORMAT(v.ends_at, '%Y-%m-%d %H:%i')"
	" FROM tmp_over x JOIN outage_versions v"
	"  ON v.outage_id = x.outage_id AND v.version = x.version"
	" ORDER BY v.outage_id";

static const char sql_current[] =
	"INSERT INTO tmp_ocur (outage_id, version, kind, status,"
	" starts_at, ends_at)"
	" SELECT o.outage_id, o.version, v.kind, v.status, v.starts_at,"
	"  v.ends_at"
	" FROM outages o JOIN outage_versions v"
	"  ON v.outage_id = o.outage_id AND v.version = o.version"
	" WHERE v.ends_at >= DATE_SUB(?, INTERVAL 2 DAY)";

static const char sql_told[] =
	"INSERT INTO tmp_told (outage_id, account_no, version, last_on)"
	" SELECT n.outage_id, n.account_no, MAX(n.outage_version),"
	"  MAX(n.sent_on)"
	" FROM tmp_ocur c JOIN notice_outages n ON n.outage_id = c.outage_id"
	" WHERE n.kind IN ('outage_notice', 'outage_rescheduled')"
	"  AND EXISTS (SELECT 1 FROM messages m"
	"   WHERE m.notice_id = n.notice_id AND m.state IN ("
	"    'leased', 'submitting', 'accepted', 'delivered'))"
	" GROUP BY n.outage_id, n.account_no";

static const char sql_anytime[] =
	"UPDATE tmp_onote x JOIN tmp_ocur c ON c.outage_id = x.outage_id"
	" SET x.anytime = (c.kind = 'temporary'"
	"  AND x.kind <> 'outage_restored'"
	"  AND TIMESTAMPDIFF(MINUTE, ?, c.starts_at) < ? * 60)";

static const char sql_notices[] =
	"INSERT INTO notices (case_id, account_no, kind, seq, sent_on,"
	" state, outage_id, outage_version, outage_prev, late_notice,"
	" urgent, anytime)"
	" SELECT NULL, account_no, kind, 0, ?, 'planned', outage_id,"
	"  version, prev, late, 1, anytime"
	" FROM tmp_onote ORDER BY outage_id, account_no, kind";

/* Each new notice's key (021_notice_keys.sql): the notices just inserted,
 * found by account and day (a notice already keyed is an older one). */
static const char sql_notice_keys[] =
	"INSERT INTO notice_outages (notice_id, outage_id, account_no, kind,"
	" outage_version, outage_prev, sent_on)"
	" SELECT n.notice_id, n.outage_id, n.account_no, n.kind,"
	"  n.outage_version, n.outage_prev, n.sent_on"
	" FROM tmp_onote x STRAIGHT_JOIN notices n"
	"  FORCE INDEX (notices_account_day)"
	"  ON n.account_no = x.account_no AND n.sent_on = ?"
	" LEFT JOIN notice_outages k ON k.notice_id = n.notice_id"
	" WHERE n.outage_id = x.outage_id AND n.kind = x.kind"
	"   AND n.outage_version = x.version AND k.notice_id IS NULL";

static const char sql_candidates[] =
	"INSERT IGNORE INTO tmp_ocontact (" CONTACT_CANDIDATE_NAMES
	")" CONTACT_CANDIDATES_OF(
		"(SELECT DISTINCT account_no FROM tmp_onote)");

static const char sql_audit_planned[] =
	"INSERT INTO audit_stage (event, account_no, notice_id,"
	" message_id, kind, outage_id, version, late_notice,"
	" `message_queued.channel`, `message_queued.contact_id`,"
	" `message_queued.address`)"
	" SELECT 'notice_planned', x.account_no, n.notice_id,"
	"  m.message_id, x.kind, x.outage_id, x.version,"
	"  NULLIF(x.late, 0), m.channel, m.contact_id,"
	"  m.address" ONOTE_JOIN
	" LEFT JOIN tmp_opick p ON p.account_no = x.account_no"
	" LEFT JOIN messages m ON m.notice_id = n.notice_id"
	"  AND m.contact_id = p.contact_id"
	" ORDER BY n.notice_id";

static const char sql_audit_queued[] =
	"INSERT INTO audit_stage (event, account_no, notice_id,"
	" message_id, channel, contact_id, address)"
	" SELECT 'message_queued', m.account_no, m.notice_id,"
	"  m.message_id, m.channel, m.contact_id, m.address" ONOTE_JOIN
	" JOIN messages m ON m.notice_id = n.notice_id"
	" LEFT JOIN tmp_opick p ON p.account_no = x.account_no"
	" WHERE p.contact_id IS NULL OR m.contact_id <> p.contact_id"
	" ORDER BY m.message_id";

static const char sql_unreachable[] =
	"INSERT INTO tmp_ounreach (notice_id, account_no)"
	" SELECT n.notice_id, n.account_no" ONOTE_JOIN
	" LEFT JOIN messages m ON m.notice_id = n.notice_id"
	" WHERE m.message_id IS NULL";

static const char sql_audit_unreachable[] =
	"INSERT INTO audit_stage (event, account_no, notice_id, reason)"
	" SELECT 'notice_unreachable', account_no, notice_id,"
	"  'no consented contact with a valid address'"
	" FROM tmp_ounreach ORDER BY notice_id";

static const char sql_fail_unreachable[] =
	"UPDATE notices n JOIN tmp_ounreach u ON u.notice_id = n.notice_id"
	" SET n.state = 'failed', n.unreachable = 1, n.failed_on = ?";

/* The outage step's working tables. */
static const char *const outage_tables[] = {
	"CREATE TEMPORARY TABLE tmp_over ("
	" outage_id VARCHAR(32) NOT NULL PRIMARY KEY,"
	" version INT UNSIGNED NOT NULL) ENGINE=MEMORY",
	"CREATE TEMPORARY TABLE tmp_ocur ("
	" outage_id VARCHAR(32) NOT NULL PRIMARY KEY,"
	" version INT UNSIGNED NOT NULL,"
	" kind VARCHAR(16) NOT NULL,"
	" status VARCHAR(16) NOT NULL,"
	" starts_at DATETIME NOT NULL,"
	" ends_at DATETIME NOT NULL) ENGINE=MEMORY",
	"CREATE TEMPORARY TABLE tmp_told ("
	" outage_id VARCHAR(32) NOT NULL,"
	" account_no VARCHAR(32) NOT NULL,"
	" version INT UNSIGNED NOT NULL,"
	" last_on DATE NOT NULL,"
	" PRIMARY KEY (outage_id, account_no)) ENGINE=MEMORY",
	"CREATE TEMPORARY TABLE tmp_onote ("
	" outage_id VARCHAR(32) NOT NULL,"
	" account_no VARCHAR(32) NOT NULL,"
	" kind VARCHAR(32) NOT NULL,"
	" version INT UNSIGNED NOT NULL,"
	" prev INT UNSIGNED NULL,"
	" late TINYINT NOT NULL,"
	" anytime TINYINT NOT NULL,"
	" PRIMARY KEY (outage_id, account_no, kind)) ENGINE=MEMORY",
	"CREATE TEMPORARY TABLE tmp_ocontact (" CONTACT_CANDIDATE_COLUMNS
	" KEY (account_no)) ENGINE=MEMORY",
	"CREATE TEMPORARY TABLE tmp_oblocked (" CONTACT_BLOCKED_COLUMNS,
	"CREATE TEMPORARY TABLE tmp_opick (" CONTACT_PICK_COLUMNS,
	"CREATE TEMPORARY TABLE tmp_ounreach ("
	" notice_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,"
	" account_no VARCHAR(32) NOT NULL) ENGINE=MEMORY",
};

static int
plan_step(struct night *nt, const char *now, struct fg_err *err)
{
	const struct config *cfg = nt->cfg;
	const char *d = nt->date;
	const int P = cfg->outage.planned_notice_days;
	const int H = cfg->outage.temporary_notice_hours;
	const int R = cfg->outage.reminder_days;
	char *pick = contacts_pick_sql(cfg, "tmp_opick", "tmp_ocontact");
	char *large = sql_queue_large(cfg);
	int rc = -1;
	/* What is owed whom, decided; then written. */
	const struct night_stmt decide[] = {
		/* What billing changed. */
		{outage_sql_refused, DB_ARGS(DB_STR(now), DB_STR(now)), NULL},
		{sql_changed, DB_ARGS(DB_STR(now)), &nt->n.outage_versions},
		{sql_record_versions, DB_ARGS(DB_STR(d), DB_STR(now)), NULL},
		{sql_record_outages, DB_ARGS(DB_STR(now)), NULL},
		{sql_audit_seen, DB_NOARGS, NULL},
		/* Where each outage stands, and who has been told what. */
		{sql_current, DB_ARGS(DB_STR(now)), NULL},
		{sql_told, DB_NOARGS, NULL},
		{sql_first,
		 DB_ARGS(DB_STR(now), DB_INT(H), DB_STR(d), DB_INT(P),
			 DB_STR(now), DB_STR(d), DB_INT(P)),
		 NULL},
		{sql_moved,
		 DB_ARGS(DB_STR(now), DB_INT(H), DB_STR(d), DB_INT(P),
			 DB_STR(now)),
		 NULL},
		{sql_cancelled, DB_ARGS(DB_STR(now)), NULL},
		{sql_reminder,
		 DB_ARGS(DB_INT(R), DB_STR(now), DB_STR(d), DB_INT(R),
			 DB_STR(d)),
		 NULL},
		{sql_restored,
		 DB_ARGS(DB_INT(cfg->outage.restored), DB_STR(now)), NULL},
		/* At any hour only what cannot wait for the morning: a
		 * temporary outage starting within temporary_notice_hours. */
		{sql_anytime, DB_ARGS(DB_STR(now), DB_INT(H)), NULL},
	};
	const struct night_stmt write[] = {
		/* The notices, and their messages. */
		{sql_notices, DB_ARGS(DB_STR(d)), NULL},
		{sql_notice_keys, DB_ARGS(DB_STR(d)), NULL},
		{sql_candidates, DB_NOARGS, NULL},
		NIGHT_CONTACTS_BLOCKED("tmp_oblocked", "tmp_ocontact"),
		{pick, DB_NOARGS, NULL},
		{large, DB_ARGS(DB_STR(d), DB_INT(cfg->outage.large_contacts)),
		 &nt->n.messages_queued},
		{sql_queue_first, DB_ARGS(DB_STR(d)), &nt->n.messages_queued},
		/* One audit row a notice, carrying the message to the contact
		 * picked first (as the night's notices do, audit.h); a large
		 * customer's other messages are rows of their own. */
		{sql_audit_planned, DB_NOARGS, NULL},
		{sql_audit_queued, DB_NOARGS, NULL},
		/* No contact to go to. */
		{sql_unreachable, DB_NOARGS, &nt->n.outage_unreachable},
		{sql_audit_unreachable, DB_NOARGS, NULL},
		{sql_fail_unreachable, DB_ARGS(DB_STR(d)), NULL},
		{"INSERT IGNORE INTO tmp_bad" CONTACT_NO_ID_FROM(
			 "(SELECT DISTINCT account_no FROM tmp_onote)"),
		 DB_NOARGS, NULL},
		{"INSERT IGNORE INTO tmp_bad" CONTACT_REFUSED_FROM(
			 "tmp_ocontact"),
		 DB_NOARGS, NULL},
	};
	struct night_stmt s[FG_NELEM(decide) + FG_NELEM(write)];
	/* Notices to write: in serve, the dispatcher claims only urgent
	 * messages until they are queued (night.h, urgent_hold). Beside a
	 * night's sending the pass is one thread among the sending's many:
	 * 50,000 accounts' notices took 29-33 s to their first message at 1M
	 * (docs/performance.md, table 5). */
	const struct night_decision dc = {
		ACTOR,
		outage_tables,
		FG_NELEM(outage_tables),
		s,
		FG_NELEM(s),
		"SELECT kind, COUNT(*), SUM(late) FROM tmp_onote GROUP BY kind",
		count_cb,
		FG_NELEM(decide),
		"SELECT 1 FROM tmp_onote LIMIT 1",
	};

	memcpy(s, decide, sizeof(decide));
	memcpy(s + FG_NELEM(decide), write, sizeof(write));
	rc = night_decide(nt, &dc, err);
	free(pick);
	free(large);
	return rc;
}

static int
plan_now(struct night *nt, struct fg_err *err)
{
	return plan_step(nt, nt->now, err);
}

int
outage_plan(struct night *nt, struct fg_err *err)
{
	return night_retry(nt, plan_now, err);
}
