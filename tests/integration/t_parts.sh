#!/bin/sh
# A night planned on several connections ([database] night_connections,
# each for its part of the accounts) decides what one connection decides:
# the same cases, notices, messages, tasks, refused rows and audit events,
# over four nights of the ladder (cases opened, notices failed, a paid
# case closed, tasks raised). The accounts are split by a hash of the
# account number as the gateway holds it, whatever billing's character
# set: a billing row and the gateway's rows of its account must fall in
# one part, or a part would close a case whose bills it never read. Among
# the accounts: three that billing's collation confuses ('a1', 'A1',
# 'A1 '), Chinese, full-width and accented account numbers, bills of no
# account, a bill that cannot be trusted beside a good one, a bill of an
# account billing does not know.
. "$(dirname "$0")/lib.sh"

nights="2026-10-01 2026-10-08 2026-10-15 2026-10-22"

# ladder CHARSET COLLATION PARTS: the four nights on fresh schemas; what
# they left, by what the rows are (not their ids), and the audit events.
ladder() {
	BILLING_CHARSET="$1 $2" fresh_schemas "night_connections = $3
[log]
level = debug"
	{ echo "SET @n = 500, @seed = 't_parts', @start = '2026-10-01', @on_time = 0.5;"
	  cat "$top/sql/demo/generate.sql"; } | mysql_cli "$bschema"
	n=9000
	for a in A1 户号-0001 'ＡＢ１２' ü-7; do
		n=$((n + 1))
		customer "$a"
		contact $n "$a" sms "+86139000$n"
		bill "P-$n" "$a" 80.00 2026-09-10
	done
	# Other accounts to the gateway, one to billing's collation: refused.
	bill LOW-1 a1 30.00 2026-09-10
	bill SP-1 "A1 " 30.00 2026-09-10
	# Bills of no account, of nobody billing knows, one not to trust.
	sqlb "ALTER TABLE billing_bills MODIFY account_no VARCHAR(32) NULL"
	sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
	      VALUES ('NOACCT', NULL, '2026-09', 50, 0, '2026-09-10', 'open')"
	bill NOBODY-1 NOBODY 50.00 2026-09-10
	customer QUAR; contact 9100 QUAR sms +8613900009100
	bill QUAR-1 QUAR 50.00 2026-09-10
	bill QUAR-2 QUAR 50.00 2026-09-10 0 unpaid
	for d in $nights; do
		night "$d"
		# 'ü-7' pays after its first notice; the others do not.
		[ "$d" != 2026-10-01 ] ||
			sqlb "UPDATE billing_bills SET amount_paid = amount_due
			      WHERE bill_id = 'P-9004'"
		# Then a third pay, some go on hold, some leave billing: the
		# cases close (paid, hold, cancelled) across the parts.
		[ "$d" != 2026-10-08 ] ||
			sqlb "UPDATE billing_bills SET amount_paid = amount_due
			      WHERE CRC32(bill_id) % 3 = 0 AND bill_id NOT LIKE 'P-%';
			      UPDATE billing_customers SET dunning_hold = 1
			      WHERE CRC32(account_no) % 7 = 0 AND account_no NOT IN
			       (SELECT account_no FROM billing_bills WHERE bill_id LIKE 'P-%');
			      DELETE FROM billing_customers
			      WHERE CRC32(account_no) % 11 = 1 AND account_no NOT IN
			       (SELECT account_no FROM billing_bills WHERE bill_id LIKE 'P-%')"
	done
	eq "$3" "$(grep -c 'CREATE TEMPORARY TABLE tmp_bal' "$work/night-2026-10-01.err")" \
	   "$1: night 1 read billing on $3 connections"
	has "$(fg audit verify)" "chain intact" "$1, $3 connections: the audit chain"
	snapshot >"$work/snap-$1-$3"
	echo "     $1, $3 connections: cases $(sqlg "SELECT GROUP_CONCAT(CONCAT(state, '/', IFNULL(close_reason, ''), ' ', k) SEPARATOR ', ')
	      FROM (SELECT state, close_reason, COUNT(*) AS k FROM dunning_cases GROUP BY 1, 2) x")"
	sqlg "SELECT event, COUNT(*) FROM audit_log GROUP BY event ORDER BY event" >"$work/events-$1-$3"
}

for cs in "utf8mb4 utf8mb4_unicode_ci" "gbk gbk_chinese_ci"; do
	set -- $cs
	ladder "$1" "$2" 1
	ladder "$1" "$2" 3
	[ "$(sqlg "SELECT COUNT(*) FROM collection_tasks")" -gt 10 ] ||
		fail "$1: four nights should raise tasks"
	eq "3" "$(sqlg "SELECT COUNT(DISTINCT CRC32(account_no) % 3) FROM dunning_cases")" \
	   "$1: the cases fall in all three parts"
	eq "closed/paid" "$(sqlg "SELECT CONCAT(state, '/', close_reason) FROM dunning_cases
	                          WHERE account_no = 'ü-7'")" \
	   "$1: 'ü-7' paid and closed, whichever part read its bills"
	eq "3 3" "$(sqlg "SELECT COUNT(*), MAX(step) FROM dunning_cases
	                  WHERE account_no IN ('A1', '户号-0001', 'ＡＢ１２') AND state = 'escalated'")" \
	   "$1: 'A1', '户号-0001' and 'ＡＢ１２' escalated after three notices"
	eq "[A1 ] [NOBODY] [a1]" "$(sqlg "SELECT GROUP_CONCAT(CONCAT('[', row_key, ']') ORDER BY row_key SEPARATOR ' ')
	                  FROM input_errors WHERE source = 'customer' AND row_key NOT LIKE '33%'
	                   AND reason = 'overdue bills for an account not in billing_customers'")" \
	   "$1: the bills of 'a1', 'A1 ' and 'NOBODY' refused as of no customer"
	eq "" "$(sqlg "SELECT account_no FROM dunning_cases WHERE account_no = 'QUAR'")" \
	   "$1: the account with a bill not to trust is left alone"
	eq "$(cat "$work/snap-$1-1")" "$(cat "$work/snap-$1-3")" \
	   "$1: three connections decide what one decides"
	eq "$(cat "$work/events-$1-1")" "$(cat "$work/events-$1-3")" \
	   "$1: the same audit events"
done
done_ok
