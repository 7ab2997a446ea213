#!/bin/sh
# The night's look at the bills it could not trust starts from the few
# accounts that have one (tmp_bal.bad > 0), whatever MariaDB's estimates
# say. Without STRAIGHT_JOIN it read every overdue bill and looked each
# account up, to find the few: 1.0 s of a night at 1,000,000 customers
# for no row, 15 s at 10 million. 4,000 accounts of two overdue bills
# each, one of them with a bill that cannot be trusted: the statement's
# rows examined (MariaDB's slow log) stay about one per account, and the
# bad bill is refused as before.
. "$(dirname "$0")/lib.sh"
fresh_schemas
N=4000
sqlb "INSERT INTO billing_customers (account_no, name, grid_id)
      SELECT CONCAT('J', seq), CONCAT('客户', seq), 'G1' FROM seq_1_to_$N"
sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
      SELECT CONCAT('B', seq, '-', m), CONCAT('J', seq), CONCAT('2026-0', m), 60, 0,
             CONCAT('2026-0', m, '-10'), 'open'
      FROM seq_1_to_$N JOIN (SELECT 7 AS m UNION ALL SELECT 8) months"
sqlb "UPDATE billing_bills SET amount_paid = 70 WHERE bill_id = 'B17-8'"
sqlb "ANALYZE TABLE billing_bills" >/dev/null
slow_on
fgok plan --date 2026-10-08 --now "2026-10-08 10:00"
slow_off
eq "1" "$(sqlg "SELECT COUNT(*) FROM input_errors WHERE row_key = 'B17-8'
	AND reason = 'amount_paid above amount_due'")" "the bill that cannot be trusted refused"
eq "$((N - 1))" "$(sqlg "SELECT COUNT(*) FROM dunning_cases")" "a case for every other account"
read=$(slow_rows "t.bad > 0")
echo "     the bad bills' statement (runs, rows examined): $read"
set -- $read
[ "$1" -gt 0 ] || fail "the bad bills' statement is not in the slow log: $slow"
[ "$2" -lt $((N + N / 2)) ] || fail "the bad bills' statement examined $2 rows for $N accounts (every overdue bill read?)"
done_ok
