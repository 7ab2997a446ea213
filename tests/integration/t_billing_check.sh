#!/bin/sh
# A billing schema feegate cannot use is refused at start-up, naming the
# column, before anything is planned; `feegate billing check` lists every
# column, usable or why not, as text and as JSON.
. "$(dirname "$0")/lib.sh"
fresh_schemas
customer C1; contact 1 C1 sms +8613800000001; bill B1 C1 50.00 2026-10-01

fgok billing check
has "$(cat "$work/last.out")" "billing_bills: table" "the objects"
has "$(cat "$work/last.out")" "  amount_due    decimal, 2 decimals                  ok" "a column and its verdict"
has "$(cat "$work/last.out")" "no problems: a night can run" "the verdict"

# What a utility's schema may get wrong.
sqlb "ALTER TABLE billing_bills MODIFY amount_due FLOAT NOT NULL"
sqlb "ALTER TABLE billing_customers DROP COLUMN segment"
sqlb "ALTER TABLE billing_contacts MODIFY consent CHAR(1) NOT NULL DEFAULT 'Y'"
sqlb "RENAME TABLE billing_outage_accounts TO outage_accounts_old"
rc=0
fg run --date 2026-10-02 --now "2026-10-02 10:00" >"$work/run.out" 2>"$work/run.err" || rc=$?
eq "2" "$rc" "a night refuses to start: exit status 2"
has "$(cat "$work/run.err")" "billing schema $bschema: 4 problems with the contract, the first: billing_outage_accounts: no such table or view" \
    "the message"
for p in "billing_bills.amount_due: float, must be DECIMAL" "billing_customers.segment: no such column" \
	"billing_contacts.consent: char in utf8mb4, must be an integer type"; do
	has "$(cat "$work/run.err")" "$p" "each problem logged, naming the column"
done
eq "0 0 0" "$(sqlg "SELECT (SELECT COUNT(*) FROM nights), (SELECT COUNT(*) FROM audit_log), (SELECT COUNT(*) FROM dunning_cases)")" \
   "nothing planned, nothing written"
sim_port=19899 # (nothing listens: serve must stop before it sends)
write_conf "
[channels]
sms = sim

$(sms_section sim)

[receipts]
port = 19898
public_url = http://127.0.0.1:19898"
rc=0
fg serve >"$work/serve.out" 2>"$work/serve.err" || rc=$?
eq "2" "$rc" "serve refuses to start too"
has "$(cat "$work/serve.err")" "billing_bills.amount_due: float, must be DECIMAL" "and says why"
rc=0
fg billing check >"$work/check.out" 2>&1 || rc=$?
eq "1" "$rc" "billing check: exit status 1, a night cannot run"
has "$(cat "$work/check.out")" "  amount_due    float                                must be DECIMAL" "the float"
has "$(cat "$work/check.out")" "  segment       -                                    no such column" "the missing column"
has "$(cat "$work/check.out")" "billing_outage_accounts: MISSING (no such table or view)" "the missing table"
has "$(cat "$work/check.out")" "4 problems: no night runs until they are fixed" "the verdict"
rc=0
fg billing check --json >"$work/check.json" 2>&1 || rc=$?
eq "1" "$rc" "--json: the same exit status"
eq "4 False float must be DECIMAL" "$(/usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
c = [c for o in j["objects"] if o["name"] == "billing_bills" for c in o["columns"] if c["name"] == "amount_due"][0]
print(j["problems"], j["night_can_run"], c["type"], c["problem"])' "$work/check.json")" "--json: the problems and the column"
rc=0
fg billing nonsense >/dev/null 2>&1 || rc=$?
eq "2" "$rc" "bad usage: exit status 2"

# Mended, the night runs.
sqlb "ALTER TABLE billing_bills MODIFY amount_due DECIMAL(12,2) NOT NULL"
sqlb "ALTER TABLE billing_customers ADD COLUMN segment VARCHAR(16) NOT NULL DEFAULT 'residential'"
sqlb "ALTER TABLE billing_contacts MODIFY consent TINYINT NOT NULL DEFAULT 1"
sqlb "RENAME TABLE outage_accounts_old TO billing_outage_accounts"
fgok run --date 2026-10-02
eq "open/1 1:planned" "$(state C1)" "the night runs once the schema is mended"

# Ids may be text. A contact_id the outbox cannot keep as a number is
# refused with its reason; the account's next contact gets the notice.
sqlb "ALTER TABLE billing_contacts MODIFY contact_id VARCHAR(20) NOT NULL"
customer C2
sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority) VALUES
      ('C-8', 'C2', 'sms', '+8613800000008', 1), ('007', 'C2', 'sms', '+8613800000007', 1),
      ('9', 'C2', 'sms', '+8613800000009', 2)"
bill B2 C2 60.00 2026-10-02
# Rows a night would refuse, decided by the night's own statements,
# shown before the night and written nowhere.
customer C3; contact 31 C3 sms 13800000031; bill B3 C3 70.00 2026-10-01
customer C4; contact 41 C4 sms 13800000041; bill B4 C4 70.00 2026-10-01
sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, due_date, status)
      VALUES ('B4X', 'C4', '2026-13', 1.00, '2026-10-01', 'open'), ('B9', 'C9', '2026-09', 9.00, '2026-10-01', 'open'),
             ('B1S', 'C1 ', '2026-09', 9.00, '2026-10-01', 'open')"
before=$(sqlg "SELECT (SELECT COUNT(*) FROM input_errors), (SELECT COUNT(*) FROM audit_log), (SELECT COUNT(*) FROM messages)")
fgok billing check --date 2026-10-03
out=$(cat "$work/last.out")
has "$out" "accounts with overdue bills 6 (not in billing_customers 2, on hold 0, paused for a refused bill 1)" "the accounts"
has "$out" "  refused bill          1  malformed period (B4X)" "a bill and its key"
has "$out" "  refused contact       2  contact_id is not a whole number without leading zeros (007, C-8)" \
    "the most frequent reason first, keys in order"
has "$out" "  refused contact       1  phone number not in E.164 form (31)" "a contact"
hasnt "$out" "(41)" "not the contacts of a paused account (the night does not look at them)"
has "$out" "  refused customer      2  overdue bills for an account not in billing_customers (C9, C1 )" \
    "customers, a key with a space kept whole ('C1 ' is not C1)"
eq "$before" "$(sqlg "SELECT (SELECT COUNT(*) FROM input_errors), (SELECT COUNT(*) FROM audit_log), (SELECT COUNT(*) FROM messages)")" \
   "billing check writes nothing"
fgok billing check --date 2026-10-03 --json
/usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
for r in j["rows"]["refused"]:
    print(r["source"], r["count"], r["reason"], ",".join(r["first"]))' "$work/last.out" | sort >"$work/check.rows"
fgok run --date 2026-10-03
sqlg "SELECT source, COUNT(*), reason, GROUP_CONCAT(row_key ORDER BY LENGTH(row_key), row_key)
      FROM input_errors WHERE last_seen_on = '2026-10-03' GROUP BY source, reason" | tr '\t' ' ' | sort >"$work/night.rows"
eq "$(cat "$work/night.rows")" "$(cat "$work/check.rows")" "the night refuses what the check said it would"
eq "9" "$(sqlg "SELECT contact_id FROM messages WHERE account_no = 'C2'")" "C2's notice to contact 9"
eq "007 contact_id is not a whole number without leading zeros
C-8 contact_id is not a whole number without leading zeros" \
   "$(sqlg "SELECT row_key, reason FROM input_errors WHERE account_no = 'C2' ORDER BY row_key")" "the others refused"

# The reads that run often, as MariaDB plans them: a lookup that scans a
# large table names the index that would serve it. 3,000 open bills
# overdue (paid in full), so that a lookup through the overdue bills'
# index is as much a scan as reading the table.
sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
      SELECT CONCAT('P', seq), CONCAT('X', seq), '2026-09', 1, 1, '2026-09-01', 'open' FROM seq_1_to_3000"
sqlb "ANALYZE TABLE billing_bills" >/dev/null
# The two reads of bills: contract.sql's indexes answer them alone.
# plan_reads WORD: the --json reads whose name holds WORD.
plan_reads() {
	/usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
for r in j["reads"]:
    if sys.argv[2] in r["read"]:
        print(r["read"].split(" (")[0], r["scan"], r["index_only"], r.get("advice"), 1000 <= r["rows"] <= 10000, r.get("too_wide"))' "$work/last.out" "$1"
}
bill_reads() { plan_reads bills; }
account_index="billing_bills (account_no, status, due_date, amount_due, amount_paid, period)"
fgok billing check
has "$(cat "$work/last.out")" "  bills of one account (settling; before every message)  ok, ~1 row
" "the index serves"
fgok billing check --json
eq "overdue bills False True None True None
bills of one account False True None False None" "$(bill_reads)" "--json: both answered from the index alone"
# An index on the account alone (the contract's until 2026-12): each bill
# read from the table, and the index that would answer alone named.
sqlb "ALTER TABLE billing_bills DROP INDEX bills_account, ADD INDEX bills_account (account_no)"
sqlb "ANALYZE TABLE billing_bills" >/dev/null
fgok billing check
has "$(cat "$work/last.out")" "  bills of one account (settling; before every message)  ok, ~1 row, each read from the table: an index on $account_index answers from the index alone" "the wider index named"
fgok billing check --json
eq "bills of one account False False $account_index False None" "$(bill_reads | grep '^bills of')" "--json: read from the table"
sqlb "ALTER TABLE billing_bills DROP INDEX bills_account"
sqlb "ANALYZE TABLE billing_bills" >/dev/null
fgok billing check
has "$(cat "$work/last.out")" "  bills of one account (settling; before every message)  SCAN, ~" "a scan"
has "$(cat "$work/last.out")" "rows each time: add an index on $account_index" "the index to add"
has "$(cat "$work/last.out")" "no problems: a night can run" "a scan is advice, not a problem"
fgok billing check --json
eq "bills of one account True False $account_index True None" "$(bill_reads | grep '^bills of')" "--json: the scan and its rows (3,004 bills)"

# An account's contacts, read for every account due a notice: contract.sql's
# index holds what the night reads of a contact. On (account_no, priority),
# the contract's until 2026-12-05, each contact is read from the table.
contact_index="billing_contacts (account_no, priority, channel, consent, address)"
fgok billing check --json
eq "contacts of one account False True None False None" "$(plan_reads contacts)" "--json: the contacts answered from the index alone"
sqlb "ALTER TABLE billing_contacts DROP INDEX contacts_account, ADD INDEX contacts_account (account_no, priority)"
sqlb "ANALYZE TABLE billing_contacts" >/dev/null
fgok billing check
has "$(cat "$work/last.out")" "each read from the table: an index on $contact_index answers from the index alone" "the wider index named"
fgok billing check --json
eq "contacts of one account False False $contact_index False None" "$(plan_reads contacts)" "--json: read from the table"
# A caller's accounts by phone number: contract.sql's index on the
# address finds them; without it, among 3,000 contacts, each search reads
# them all, and the check names the index.
sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority)
      SELECT 100000 + seq, CONCAT('Y', seq), 'sms', CONCAT('+86137', LPAD(seq, 8, '0')), 1 FROM seq_1_to_3000"
sqlb "ANALYZE TABLE billing_contacts" >/dev/null
fgok billing check --json
eq "accounts of one phone or e-mail False None None False None" "$(plan_reads phone)" \
   "--json: a phone number's contacts found by the index"
r0=$(handler_reads)
eq "Y17" "$(fg log 13700000017 | sed -n 's/^account \([^ ]*\).*/\1/p' | head -1)" "the staff search finds the caller"
r1=$(handler_reads)
[ $((r1 - r0)) -lt 1000 ] || fail "a phone search read $((r1 - r0)) rows, as many as the 3,000 contacts"
sqlb "ALTER TABLE billing_contacts DROP INDEX contacts_address"
sqlb "ANALYZE TABLE billing_contacts" >/dev/null
fgok billing check
has "$(cat "$work/last.out")" "  accounts of one phone or e-mail (staff search)         SCAN, ~" "a scan"
has "$(cat "$work/last.out")" "add an index on billing_contacts (address(64))" "the index to add"
fgok billing check --json
eq "accounts of one phone or e-mail True None billing_contacts (address(64)) True None" "$(plan_reads phone)" \
   "--json: the scan and its rows"
sqlb "ALTER TABLE billing_contacts ADD INDEX contacts_address (address(64))"
sqlb "DELETE FROM billing_contacts WHERE account_no LIKE 'Y%'"
# A billing whose addresses are wider than an index entry holds (3,072
# bytes; 4,000 characters of utf8mb4 are 16,000): (account_no, priority)
# is the best it can have, and the check does not ask for the other.
sqlb "ALTER TABLE billing_contacts MODIFY address VARCHAR(4000) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
sqlb "ANALYZE TABLE billing_contacts" >/dev/null
fgok billing check
has "$(cat "$work/last.out")" "  contacts of one account (planning; fallback)           ok, ~1 row, each read from the table (address, up to 16000 bytes, is too wide for an index to hold it)
" "the address named, no index advised"
fgok billing check --json
eq "contacts of one account False False None False address" "$(plan_reads contacts)" "--json: too wide, no advice"
# Without an index on the account, the scan names the one that fits.
sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority)
      SELECT CONCAT('K', seq), CONCAT('X', seq), 'sms', '+8613800000000', 1 FROM seq_1_to_3000"
sqlb "ALTER TABLE billing_contacts DROP INDEX contacts_account"
sqlb "ANALYZE TABLE billing_contacts" >/dev/null
fgok billing check --json
eq "contacts of one account True False billing_contacts (account_no, priority) True address" "$(plan_reads contacts)" "--json: the scan advises the index that fits"
done_ok
