#!/bin/sh
# Bad billing rows: each gets a recorded error (input_errors, one audit row
# the first time, `feegate log`), its account is left alone while the row is
# wrong, and the rest of the night goes on. Quotes and SQL in every text
# field are plain data.
. "$(dirname "$0")/lib.sh"
fresh_schemas

# Names as some billing exports have them: any bytes, any length.
sqlb "ALTER TABLE billing_customers MODIFY name VARBINARY(20000) NOT NULL"

good() {  # good ACCT: a customer with a valid contact and one overdue bill
	customer "$1"
	contact "$2" "$1" sms "+861380000$(printf '%04d' "$2")"
}
good OK1 1; bill OK1-1 OK1 50.00 2026-09-20
good NEG 2; bill NEG-1 NEG -50.00 2026-09-20
good HUGE 3; bill HUGE-1 HUGE 99999999.99 2026-09-20
good OVER 4; bill OVER-1 OVER 50.00 2026-09-20 80.00
good NPAID 5; bill NPAID-1 NPAID 50.00 2026-09-20 -1.00
good FUT 6; bill FUT-1 FUT 50.00 2099-01-01
good PAST 7; bill PAST-1 PAST 50.00 2001-01-01
good STAT 8; bill STAT-1 STAT 50.00 2026-09-20 0 unpaid
good CASE 9; bill CASE-1 CASE 50.00 2026-09-20 0 OPEN
good PER 10
sqlb "INSERT INTO billing_bills VALUES ('PER-1', 'PER', '2026-13', 50.00, 0, '2026-09-20', 'open'),
                                     ('PER-2', 'PER', ''';DROP ', 50.00, 0, '2026-09-20', 'open')"
bill ORPHAN-1 NOBODY 50.00 2026-09-20
# A good bill next to a bad one: the account waits until billing fixes it.
good MIX 11; bill MIX-1 MIX 50.00 2026-09-20; bill MIX-2 MIX -1.00 2026-09-20

# SQL and markup as data in keys and names: processed normally.
customer "Q'1" 0 G1 "Robert'); DROP TABLE billing_customers;--"
contact 12 "Q'1" sms +8613800000012
bill "x');DROP TABLE billing_bills;--" "Q'1" 50.00 2026-09-20
customer HTML 0 G1 '<script>alert("x")</script>'
contact 13 HTML sms +8613800000013
bill HTML-1 HTML 50.00 2026-09-20
# Names that are recorded as wrong, but do not stop dunning.
good BADNAME 14; sqlb "UPDATE billing_customers SET name = X'C3A9FF20C328' WHERE account_no = 'BADNAME'"
bill BADNAME-1 BADNAME 50.00 2026-09-20
good LONG 15; sqlb "UPDATE billing_customers SET name = REPEAT('长', 4000) WHERE account_no = 'LONG'"
bill LONG-1 LONG 50.00 2026-09-20
good SEG 16; sqlb "UPDATE billing_customers SET segment = 'vip', locale = 'fr' WHERE account_no = 'SEG'"
bill SEG-1 SEG 50.00 2026-09-20

night 2026-10-01
reason() { sqlg "SELECT GROUP_CONCAT(reason ORDER BY row_key SEPARATOR '|') FROM input_errors WHERE account_no = $(q "$1")"; }
eq "negative amount_due" "$(reason NEG)" "negative amount"
eq "amount_due above max_bill_amount" "$(reason HUGE)" "absurd amount"
eq "amount_paid above amount_due" "$(reason OVER)" "overpaid bill"
eq "negative amount_paid" "$(reason NPAID)" "negative payment"
eq "due_date more than a year ahead" "$(reason FUT)" "due date far in the future"
eq "due_date more than 10 years ago" "$(reason PAST)" "due date far in the past"
eq "unknown status" "$(reason STAT)" "unknown status"
eq "unknown status" "$(reason CASE)" "status in the wrong case"
eq "malformed period|malformed period" "$(reason PER)" "malformed periods, one error per bill"
eq "overdue bills for an account not in billing_customers" "$(reason NOBODY)" "bill without a customer"
eq "negative amount_due" "$(reason MIX)" "only the bad bill of MIX is refused"
eq "name is not valid UTF-8" "$(reason BADNAME)" "invalid UTF-8 name"
eq "name longer than 128 characters" "$(reason LONG)" "10 KB name"
eq "unknown segment" "$(reason SEG)" "unknown segment (first problem found)"

for a in NEG HUGE OVER NPAID PAST STAT CASE PER MIX; do
	eq "" "$(state $a)" "$a: no ladder step on a refused bill"
done
for a in OK1 "Q'1" HTML BADNAME LONG SEG; do
	eq "open/1 1:planned" "$(state "$a")" "$a: dunned as usual"
done
eq "x');DROP TABLE billing_bills;--" "$(sqlb "SELECT bill_id FROM billing_bills WHERE account_no = 'Q''1'")" "SQL in a key is data"
eq "15" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'input_rejected'")" "one audit row per refused row"
eq "15" "$(sqlg "SELECT COUNT(*) FROM input_errors")" "one input_errors row per refused row"

# The next night: the same rows are still wrong; recorded, not re-audited.
night 2026-10-02
eq "15" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'input_rejected'")" "a known refusal is not audited twice"
eq "2026-10-02" "$(sqlg "SELECT last_seen_on FROM input_errors WHERE account_no = 'NEG'")" "last seen moves on"

# What the call centre sees.
out=$(fg log NEG)
has "$out" "DUNNING PAUSED" "log says dunning is paused"
has "$out" "bill NEG-1: negative amount_due" "log names the refused bill"
has "$out" "input_rejected" "log shows the audit row"
out=$(fg log "Q'1")
has "$out" "Robert'); DROP TABLE billing_customers;--" "hostile name shown as text"
out=$(fg log BADNAME --json)
has "$out" "$(printf '"name": "\303\251\357\277\275 \357\277\275("')" \
    "invalid UTF-8 replaced by U+FFFD in JSON, never passed through"
out=$(fg log HTML --json)
has "$out" '"name": "<script>alert(\"x\")</script>"' "markup escaped as JSON string"

# Billing fixes MIX's bad bill: MIX is dunned the next night.
sqlb "UPDATE billing_bills SET amount_due = 1.00 WHERE bill_id = 'MIX-2'"
night 2026-10-03
eq "open/1 1:planned" "$(state MIX)" "dunning resumes once billing corrects the row"
eq "51.00" "$(sqlg "SELECT balance_at_open FROM dunning_cases WHERE account_no = 'MIX'")" "with both bills"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
