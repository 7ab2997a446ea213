#!/bin/sh
# The audit trail: every step is a row; `feegate audit verify` passes on an
# untouched chain and names the first row changed, removed or inserted out
# of order (exit 1), and `--since-last` from where the last check left
# it; addresses are masked in the details.
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

# --since-last (the daily timer's): the chain taken on from the head the
# last intact check reached, so a day's check reads that day's rows; the
# row that check ended on must still hold the hash it reached. The rows
# before it are the weekly full check's.
# (400 accounts more, for a history to spare.)
sqlb "INSERT INTO billing_customers (account_no, name, grid_id) SELECT CONCAT('S', seq), '客户', 'G1' FROM seq_1_to_400;
      INSERT INTO billing_contacts (contact_id, account_no, channel, address)
      SELECT 1000 + seq, CONCAT('S', seq), 'sms', CONCAT('+86139', LPAD(seq, 8, '0')) FROM seq_1_to_400;
      INSERT INTO billing_bills (bill_id, account_no, period, amount_due, due_date)
      SELECT CONCAT('S-', seq), CONCAT('S', seq), '2026-09', 50.00, '2026-10-01' FROM seq_1_to_400"
night 2026-10-25
r0=$(handler_reads)
fgok audit verify
full=$(( $(handler_reads) - r0 ))
head=$(sqlg "SELECT MAX(seq) FROM audit_log")
eq "1 $head $(sqlg "SELECT hash FROM audit_log WHERE seq = $head")" \
   "$(sqlg "SELECT intact, head_seq, head_hash FROM audit_checks ORDER BY check_id DESC LIMIT 1")" \
   "a check records the head it reached"
customer A3; contact 3 A3 sms +8613812345679; bill A3-1 A3 50.00 2026-10-01
night 2026-10-26
new=$(sqlg "SELECT COUNT(*) FROM audit_log WHERE seq > $head")
[ "$new" -gt 0 ] || fail "the night wrote no audit rows"
r0=$(handler_reads)
fgok audit verify --since-last
read=$(( $(handler_reads) - r0 ))
has "$(cat "$work/last.out")" "chain intact: $new rows after seq $head, head" "--since-last walks the rows after the last check's head"
echo "     rows read: a full check $full ($head rows in the chain), --since-last $read ($new new)"
[ "$read" -lt $((full - head + new + 50)) ] || fail "--since-last read $read rows, a full check $full"
checked=$(sqlg "SELECT MAX(seq) FROM audit_log")
since_broken() {  # since_broken WHAT TEXT
	set +e
	out=$(fg audit verify --since-last); rc=$?
	set -e
	eq "1" "$rc" "--since-last, $1: exit 1"
	has "$out" "$2" "--since-last, $1: names the row"
}
# A row changed since the last check: the week's next night, one row of
# it changed.
night 2026-11-02
last=$(sqlg "SELECT MAX(seq) FROM audit_log")
[ "$last" -gt $((checked + 1)) ] || fail "the next night wrote no audit rows"
sqlg "UPDATE audit_log SET actor = 'staff' WHERE seq = $((checked + 1))"
since_broken "a row changed after the checked head" "chain broken at seq $((checked + 1))"
sqlg "UPDATE audit_log SET actor = 'planner' WHERE seq = $((checked + 1))"
fgok audit verify --since-last
has "$(cat "$work/last.out")" "chain intact: $((last - checked)) rows after seq $checked" "restored"
fgok audit verify --since-last
has "$(cat "$work/last.out")" "chain intact: 0 rows after seq $last" "and nothing new"
# The row the last check ended on, rewritten (its hash) or removed.
sqlg "CREATE TABLE saved AS SELECT * FROM audit_log WHERE seq = $last"
sqlg "UPDATE audit_log SET hash = REPEAT('b', 64) WHERE seq = $last"
since_broken "the checked head rewritten" "chain broken at seq $last: the row verified as the head at"
has "$out" "is changed since" "--since-last, the checked head rewritten: says so"
sqlg "DELETE FROM audit_log WHERE seq = $last"
since_broken "the checked head removed" "is gone since"
sqlg "INSERT INTO audit_log SELECT * FROM saved; DROP TABLE saved"
# A row before the checked head is the full check's to find.
sqlg "UPDATE audit_log SET actor = 'staff' WHERE seq = 7"
fgok audit verify --since-last
expect_broken "changed before the checked head, full check" "chain broken at seq 7"
sqlg "UPDATE audit_log SET actor = '$actor' WHERE seq = 7"
# No intact check to start from: the whole chain.
mysql_cli -e "DELETE FROM \`$gschema\`.audit_checks"
fgok audit verify --since-last
has "$(cat "$work/last.out")" "chain intact: $last rows after seq 0" "--since-last without a check walks it all"
run_rc 2 "--since-last with --archive" fg audit verify --since-last --archive "$work/none.jsonl.gz"

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
rc=0; out=$(fg run --date 2026-11-09 2>&1) || rc=$?
eq 1 "$rc" "privileges missing: exit status 1"
has "$out" "the database account lacks INSERT on message_texts, UPDATE on message_texts, INSERT on commit_marks (after \`feegate db migrate\`, run sql/grants.sql again)" \
    "privileges missing: each named, and what to do"
eq "0" "$(sqlg "SELECT COUNT(*) FROM nights WHERE business_date = '2026-11-09'")" "privileges missing: no night begun"
mysql_cli -e "GRANT INSERT ON \`$gschema\`.commit_marks TO 'feegate_it'@'localhost';
	GRANT INSERT, UPDATE ON \`$gschema\`.message_texts TO 'feegate_it'@'localhost'"
fgok run --date 2026-11-09
done_ok
