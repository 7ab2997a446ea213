/*
 * intake.c: see intake.h.
 */
#include "night/intake.h"

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

/* Summed by upserting each bill into tmp_sum's hash key: twice as fast as
 * GROUP BY, which goes through an internal temporary table first. Summed
 * exactly (billing's amounts may have up to 4 decimals); intake_read rounds
 * the balance half up to cents once. */
static const char sql_balance[] =
	"INSERT INTO tmp_sum (account_no, balance, bad)"
	" SELECT b.account_no,"
	"  IF(" BILL_OK ", b.amount_due - b.amount_paid, 0),"
	"  NOT COALESCE(" BILL_OK ", 0)"
	" FROM {B}.billing_bills b"
	" WHERE b.status = 'open' AND b.due_date < DATE_SUB(?, INTERVAL ? DAY)"
	"   AND NOT " BILL_KEY_BAD " AND {H bills.account_no b.account_no}"
	" ON DUPLICATE KEY UPDATE balance = balance + VALUES(balance),"
	"  bad = bad + VALUES(bad)";

/* Overdue bills of no account feegate can hold: part 0's (a night
 * planned in parts reads billing once a part, each for its own accounts:
 * the {H} terms, db.h's DB_PART). */
static const char sql_bad_keys[] =
	"INSERT IGNORE INTO tmp_bad (source, row_key, account_no, reason)"
	" SELECT 'bill', b.bill_id, NULL, CASE"
	"   WHEN b.account_no IS NULL THEN 'account_no missing'"
	"   WHEN NOT {V bills.account_no b.account_no}"
	"     THEN 'account_no is not valid UTF-8'"
	"   ELSE 'account_no longer than 32 characters' END"
	" FROM {B}.billing_bills b"
	" WHERE b.status = 'open' AND b.due_date < DATE_SUB(?, INTERVAL ? DAY)"
	"   AND " BILL_KEY_BAD " AND @fg_part = 0";

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

/* The bills behind a `bad` count: few, found through the account index.
 * From tmp_sum, whatever the estimates: MariaDB started from the overdue
 * bills and looked each one's account up, to find the few (1,000,000
 * customers: 727,590 bills read, 1.0 s, for none; t_plan_joins). */
static const char sql_bad_overdue[] =
	"INSERT IGNORE INTO tmp_bad (source, row_key, account_no, reason)"
	" SELECT STRAIGHT_JOIN 'bill', b.bill_id, b.account_no," BILL_REASON
	" AS reason"
	" FROM tmp_sum t JOIN {B}.billing_bills b"
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
	" WHERE (b.status NOT IN ('open', 'paid', 'cancelled', 'disputed')"
	"    OR b.status IS NULL"
	"    OR (b.status = 'open' AND (b.due_date IS NULL"
	"        OR b.due_date > DATE_ADD(?, INTERVAL 1 YEAR))))"
	"   AND {H bills.account_no b.account_no}"
	" HAVING reason IS NOT NULL";

/* The customers who may hear from us tonight, read once: whether billing
 * knows them, their hold flag and grid (the ladder steps use these instead
 * of joining billing_customers again), and whether their row has a problem.
 * Name, segment or locale problems do not stop dunning (a message can do
 * without the name); they are recorded so that billing can correct them.
 * A missing dunning_hold is read as a hold: no notice until billing says.
 * hold is 0 (none), 1 (billing's hold) or 2 (no dunning_hold: held, but
 * not billing's word; planner.c closes a case only on a 1).
 * IGNORE: a grid_id of bytes that are not UTF-8 converts with a warning,
 * and strict mode would make that warning end the night (a name is checked
 * before it is converted). Nothing else here can be cut short (a grid_id
 * too long for the contract is dropped, not truncated).
 * tmp_bal is made here, from tmp_sum and billing_customers, by an INSERT
 * ... SELECT, for which InnoDB reads billing as a consistent read (READ
 * COMMITTED), whereas it share-locks every row a multi-table UPDATE reads
 * from the tables it does not write. tmp_bal used to be summed into and
 * then updated from billing_customers: the UPDATE ... JOIN held a lock on
 * every owing customer's row for the statement's length (seconds at
 * millions of accounts), so billing's own writes to those customers
 * waited for the night, and the night waited for (and timed out on) any
 * customer row billing held. db.c refuses such statements
 * (billing_locks(), billing.h); t_billing_locks keeps billing's rows
 * locked through a night. */
static const char sql_customers[] =
	"INSERT IGNORE INTO tmp_bal (account_no, balance, bad, known, hold,"
	" grid_id, reason)"
	" SELECT t.account_no, t.balance, t.bad, c.account_no IS NOT NULL,"
	"  IF(c.account_no IS NULL, 0, COALESCE(c.dunning_hold <> 0, 2)),"
	"  IF(CHAR_LENGTH(c.grid_id) > 32, NULL, c.grid_id),"
	"  IF(c.account_no IS NULL, NULL, CASE"
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
	"  END)"
	" FROM tmp_sum t LEFT JOIN {B}.billing_customers c"
	"  ON {=customers.account_no c.account_no t.account_no}";

/* Where refused rows wait to be recorded. */

/* Overdue bills of an account billing does not know cannot be dunned. */
static const char sql_bad_customers[] =
	"INSERT IGNORE INTO tmp_bad (source, row_key, account_no, reason)"
	" SELECT 'customer', account_no, account_no,"
	"  IF(known, reason,"
	"     'overdue bills for an account not in billing_customers')"
	" FROM tmp_bal WHERE known = 0 OR reason IS NOT NULL";

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
intake_read(struct night *nt, struct fg_err *err)
{
	const char *d = nt->date, *max = nt->max_bill;
	const int grace = nt->cfg->dunning.grace_days;
	const struct night_stmt s[] = {
		{"CREATE TEMPORARY TABLE tmp_sum ("
		 " account_no VARCHAR(32) NOT NULL PRIMARY KEY,"
		 " balance DECIMAL(20,4) NOT NULL,"
		 " bad INT NOT NULL) ENGINE=MEMORY",
		 DB_NOARGS, NULL},
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
		{sql_balance,
		 DB_ARGS(DB_STR(max), DB_STR(d), DB_STR(max), DB_STR(d),
			 DB_STR(d), DB_INT(grace)),
		 NULL},
		/* Half up to cents, once, on the sum (two bills of 10.005
		 * owe 20.01); a MEMORY table's scan, and no write where
		 * billing keeps cents. */
		{"UPDATE tmp_sum SET balance = ROUND(balance, 2)"
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
		{"DROP TEMPORARY TABLE tmp_sum", DB_NOARGS, NULL},
		{sql_bad_customers, DB_NOARGS, NULL},
	};

	if (night_bad_table(nt, err) != 0)
		return -1;
	return night_exec(nt, s, FG_NELEM(s), err);
}

int
intake_run(struct night *nt, struct fg_err *err)
{
	if (intake_read(nt, err) != 0)
		return -1;
	return night_retry(nt, intake_record, err);
}
