#!/bin/sh
# A claim for a channel with nothing to send reads a bounded number of
# index entries, whatever the other channels have queued: 20,000 SMS
# waiting (their provider not configured tonight), then `feegate dispatch`
# with only e-mail configured. MariaDB's own counters (Handler_read_*,
# global: nothing else runs meanwhile) say how many rows it read; through
# an index without the channel (before migration 016) each claim read
# every waiting SMS.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sink 19450
start_sim 19451
N=20000
sqlb "INSERT INTO billing_customers (account_no, name, grid_id)
      SELECT CONCAT('Q', seq), CONCAT('客户', seq), 'G1' FROM seq_1_to_$N"
sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority, consent)
      SELECT seq, CONCAT('Q', seq), 'sms', CONCAT('+86138', LPAD(seq, 8, '0')), 1, 1 FROM seq_1_to_$N"
sqlb "INSERT INTO billing_bills (bill_id, account_no, period, amount_due, amount_paid, due_date, status)
      SELECT CONCAT('Q', seq, '-1'), CONCAT('Q', seq), '2026-09', 50.00, 0, '2026-10-01', 'open' FROM seq_1_to_$N"
claim_conf() {
	write_conf "
[channels]
$1

$(sms_section sim)

$(smtp_section mail 19450)

[receipts]
port = 19452
public_url = http://127.0.0.1:19452

[dispatch]
receipt_wait = 0"
}
claim_conf "sms = sim
email = mail"
fgok plan --date 2026-10-02
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state = 'queued'")" "$N SMS waiting"
claim_conf "email = mail"
reads() { sqlg "SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_read_key', 'Handler_read_rnd_next')" |
	awk '{ s += $2 } END { print s }'; }
before=$(reads)
fgok dispatch --now "2026-10-02 10:00"
after=$(reads)
read=$((after - before))
echo "     a dispatch with e-mail idle beside $N waiting SMS read $read rows"
[ "$read" -lt 2000 ] || fail "the idle channel's claims read $read rows (bounded: under 2,000 whatever is queued)"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state = 'queued'")" "the SMS untouched"
done_ok
