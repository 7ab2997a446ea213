#!/bin/sh
# feegate reads billing without locking billing's rows. Billing is another
# application's database, written all day and all night: a payment posted,
# a customer's hold set, a contact corrected, an outage rescheduled. A
# transaction of billing's holds the rows of two owing customers (their
# customer, bill, contact, outage and outage account rows) for the whole
# night, and feegate may wait at most 2 s for any lock: the night plans,
# sends and audits every notice as if billing were idle, reading what
# billing has committed. Until intake read the customers with an UPDATE
# ... JOIN (which share-locks every row it reads), the night waited on
# L1's customer row and failed with "Lock wait timeout exceeded" (and,
# the other way round, billing's writes waited on the night's locks).
# db.c now refuses any statement that would lock billing's rows
# (billing_locks(), billing.h; tests/unit/billing_test.c).
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19910 "-d 10"
send_conf 19911
sed -i 's/^\[database\]$/[database]\nlock_wait = 2/' "$conf"
grep -q '^lock_wait = 2$' "$conf" || fail "lock_wait not set in $conf"
for i in 1 2 3; do
	customer "L$i"
	contact "$i" "L$i" sms "+86138000091$i$i"
	bill "L$i-1" "L$i" 80.00 2026-09-01
done
sqlb "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason)
      VALUES ('O1', 'planned', '近江社区', '2026-10-12 08:00', '2026-10-12 17:00', '线路检修')"
sqlb "INSERT INTO billing_outage_accounts VALUES ('O1', 'L1'), ('O1', 'L2'), ('O1', 'L3')"

# Billing's transaction: every kind of row feegate reads, for L1 and L2,
# locked for writing until the test ends it.
hold "$bschema" 9 "BEGIN;
	UPDATE billing_customers SET name = name WHERE account_no IN ('L1', 'L2');
	UPDATE billing_bills SET amount_paid = amount_paid WHERE account_no IN ('L1', 'L2');
	UPDATE billing_contacts SET address = address WHERE account_no IN ('L1', 'L2');
	UPDATE billing_outages SET reason = reason WHERE outage_id = 'O1';
	UPDATE billing_outage_accounts SET account_no = account_no
	 WHERE outage_id = 'O1' AND account_no IN ('L1', 'L2')"

fgok run --date 2026-10-08 --now "2026-10-08 10:00"
hasnt "$(cat "$work/last.err")" "Lock wait timeout" "the night waited for no billing row"
eq "L1 1,L2 1,L3 1" "$(sqlg "SELECT GROUP_CONCAT(CONCAT(account_no, ' ', seq) ORDER BY account_no)
	FROM notices WHERE kind = 'dunning'")" "a dunning notice for each owing customer, billing's rows held or not"
eq "L1,L2,L3" "$(sqlg "SELECT GROUP_CONCAT(DISTINCT account_no ORDER BY account_no)
	FROM notices WHERE outage_id = 'O1'")" "the outage's notices, its rows held or not"
eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state <> 'delivered'")" "every message sent and delivered"
eq "$(sqlg "SELECT COUNT(*) FROM messages")" "$(sim_stat received)" "the provider got each message once"
eq "2" "$(sim_count +8613800009111)" "L1 (its rows locked) heard of its bill and of the outage"
has "$(fg audit verify)" "chain intact" "the audit trail verifies"
# Billing's transaction held its rows throughout.
eq "$holder" "$(sqlb "SELECT trx_mysql_thread_id FROM information_schema.innodb_trx
	WHERE trx_mysql_thread_id = $holder AND trx_rows_locked >= 9")" "billing's locks held through the night"
done_ok
