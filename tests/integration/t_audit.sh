#!/bin/sh
# The audit trail: every step is a row; `feegate audit verify` passes on an
# untouched chain and names the first row changed, removed or inserted out
# of order (exit 1); addresses are masked in the details.
. "$(dirname "$0")/lib.sh"
fresh_schemas

customer A1; contact 1 A1 sms +8613812345678; bill A1-1 A1 90.00 2026-10-01
customer A2; contact 2 A2 email zhang.wei@example.com; bill A2-1 A2 90.00 2026-10-01
for d in 2026-10-02 2026-10-09 2026-10-16 2026-10-23; do night $d; done
pay A2-1
night 2026-10-24

eq "case_opened,notice_planned,message_queued,notice_failed,message_cancelled,notice_planned,message_queued,notice_failed,message_cancelled,notice_planned,message_queued,notice_failed,message_cancelled,task_created,case_escalated" \
   "$(audit_events A1)" "every ladder step of A1 is an audit event, in order"
# A notice the night plans is one row, carrying its case's opening and its
# message's queueing (gateway/store/audit.h); `feegate log` lists them under its seq.
eq "notice_planned,notice_failed,message_cancelled,notice_planned,notice_failed,message_cancelled,notice_planned,notice_failed,message_cancelled,task_created,case_escalated" \
   "$(sqlg "SELECT GROUP_CONCAT(event ORDER BY seq) FROM audit_log WHERE account_no = 'A1'")" "a planned notice is one row"
first=$(sqlg "SELECT MIN(seq) FROM audit_log WHERE account_no = 'A1'")
eq "$first,$first,$first" "$(audit_events A1 seq | cut -d, -f1-3)" "carried events under their row's seq"
eq "None,None,$(sqlg "SELECT MIN(message_id) FROM messages WHERE account_no = 'A1'")" \
   "$(audit_events A1 message_id | cut -d, -f1-3)" "the message's id with message_queued only"
eq "$(sqlg "SELECT MIN(case_id) FROM dunning_cases WHERE account_no = 'A1'"),None" \
   "$(audit_events A1 case_id | cut -d, -f1),$(audit_events A1 notice_id | cut -d, -f1)" "case_opened names its case, no notice"
has "$(sqlg "SELECT GROUP_CONCAT(event ORDER BY seq) FROM audit_log WHERE account_no = 'A2'")" "case_closed" "payment audited"
eq "planner 2026-10-02" "$(sqlg "SELECT actor, business_date FROM audit_log WHERE seq = 1")" "actor and business date"

# No full address anywhere in the audit details, carried events included;
# masked forms are there.
eq "0" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%13812345678%' OR detail LIKE '%zhang.wei%'")" "no full phone number or e-mail in audit details"
eq "3" "$(audit_events A1 detail | grep -c '^{"channel":"sms","contact_id":1,"address":"+86138\*\*\*\*5678"}$')" "masked phone in details"
has "$(audit_events A2 detail)" '{"channel":"email","contact_id":2,"address":"z***@example.com"}' "masked e-mail in details"

rows=$(sqlg "SELECT COUNT(*) FROM audit_log")
out=$(fg audit verify)
has "$out" "chain intact: $rows rows" "verify passes on an untouched chain"

expect_broken() {  # expect_broken WHAT SEQ_TEXT
	set +e
	out=$(fg audit verify); rc=$?
	set -e
	eq "1" "$rc" "$1: exit 1"
	has "$out" "$2" "$1: names the row"
}

# A changed detail, in an event the row carries.
s2=$(sqlg "SELECT MIN(seq) FROM audit_log WHERE account_no = 'A2'")
eq '{"seq":1,"case_opened":{"amount":"90.00"},"message_queued":{"channel":"email","contact_id":2,"address":"z***@example.com"}}' \
   "$(sqlg "SELECT detail FROM audit_log WHERE seq = $s2")" "notice_planned detail"
sqlg "UPDATE audit_log SET detail = REPLACE(detail, '90.00', '9.00') WHERE seq = $s2"
expect_broken "changed row" "chain broken at seq $s2: row changed"
sqlg "UPDATE audit_log SET detail = REPLACE(detail, '9.00', '90.00') WHERE seq = $s2"
has "$(fg audit verify)" "chain intact" "restored"

# A changed timestamp, actor or account is as bad as a changed detail.
actor=$(sqlg "SELECT actor FROM audit_log WHERE seq = 7")
sqlg "UPDATE audit_log SET actor = 'staff' WHERE seq = 7"
expect_broken "changed actor" "chain broken at seq 7"
sqlg "UPDATE audit_log SET actor = '$actor' WHERE seq = 7"
has "$(fg audit verify)" "chain intact" "restored"

# A removed row in the middle.
sqlg "CREATE TABLE saved AS SELECT * FROM audit_log WHERE seq = 9"
sqlg "DELETE FROM audit_log WHERE seq = 9"
expect_broken "removed row" "chain broken at seq 9: row 9 removed"

# A forged row in its place (right seq, made-up hash).
sqlg "INSERT INTO audit_log SELECT * FROM saved"
sqlg "UPDATE audit_log SET hash = REPEAT('a', 64), event = 'case_closed' WHERE seq = 9"
expect_broken "forged row" "chain broken at seq 9"
sqlg "DELETE FROM audit_log WHERE seq = 9; INSERT INTO audit_log SELECT * FROM saved; DROP TABLE saved"
has "$(fg audit verify)" "chain intact" "restored"

# Rows swapped (inserted out of order).
sqlg "UPDATE audit_log SET seq = 100000 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 100000"
expect_broken "swapped rows" "chain broken at seq 3"
sqlg "UPDATE audit_log SET seq = 100000 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = 100000"

# The last rows removed (the head remembers).
last=$(sqlg "SELECT MAX(seq) FROM audit_log")
sqlg "CREATE TABLE saved AS SELECT * FROM audit_log WHERE seq >= $last - 1; DELETE FROM audit_log WHERE seq >= $last - 1"
expect_broken "truncated tail" "removed from the end"
sqlg "INSERT INTO audit_log SELECT * FROM saved; DROP TABLE saved"
has "$(fg audit verify)" "chain intact" "restored"
# feegate's own account (sql/grants.sql, the one every test runs as) may
# append to the audit trail but never change or delete a row of it, nor
# write billing.
app_sql() {
	mariadb --no-defaults --default-character-set=utf8mb4 --socket="$sock" -ufeegate_it -p"$APP_PASSWORD" --batch --skip-column-names -e "$1" 2>&1
}
for stmt in "UPDATE \`$gschema\`.audit_log SET detail = '{}' WHERE seq = 1" \
	"DELETE FROM \`$gschema\`.audit_log WHERE seq = 1" \
	"UPDATE \`$bschema\`.billing_bills SET status = 'paid'"; do
	out=$(app_sql "$stmt") && fail "the application account may: $stmt"
	has "$out" "command denied" "refused: $stmt"
done
eq "1" "$(app_sql "SELECT COUNT(*) > 0 FROM \`$gschema\`.audit_log")" "but it reads the trail"
# An account that lacks a privilege of grants.sql (not run again after an
# upgrade added a table: message_texts came in migration 020) is refused
# at start-up, every privilege it lacks named, saying what to do; not
# sent into a night whose every batch fails. Without commit marks it
# could commit nothing.
mysql_cli -e "REVOKE INSERT ON \`$gschema\`.commit_marks FROM 'feegate_it'@'localhost';
	REVOKE INSERT, UPDATE ON \`$gschema\`.message_texts FROM 'feegate_it'@'localhost'"
rc=0; out=$(fg run --date 2026-10-31 2>&1) || rc=$?
eq 1 "$rc" "privileges missing: exit status 1"
has "$out" "the database account lacks INSERT on message_texts, UPDATE on message_texts, INSERT on commit_marks (after \`feegate db migrate\`, run sql/grants.sql again)" \
    "privileges missing: each named, and what to do"
eq "0" "$(sqlg "SELECT COUNT(*) FROM nights WHERE business_date = '2026-10-31'")" "privileges missing: no night begun"
mysql_cli -e "GRANT INSERT ON \`$gschema\`.commit_marks TO 'feegate_it'@'localhost';
	GRANT INSERT, UPDATE ON \`$gschema\`.message_texts TO 'feegate_it'@'localhost'"
fgok run --date 2026-10-31
done_ok
