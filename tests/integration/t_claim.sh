#!/bin/sh
# A claim for a channel with nothing to send reads a bounded number of
# index entries, whatever the other channels have queued: 20,000 SMS
# waiting (their provider not configured tonight), then `feegate dispatch`
# with only e-mail configured. MariaDB's own counters (Handler_read_*,
# global: nothing else runs meanwhile) say how many rows it read; through
# an index without the channel (before migration 016) each claim read
# every waiting SMS.
# Then 3,000 of them sent with e-mail configured beside, and nothing to
# send by e-mail: the idle lane's claims (MariaDB's slow query log, every
# statement) stay a few a second; before, it was claimed at every tick
# and after every answer, hundreds of times a second, each claim a
# transaction on the one claimer ahead of the busy lane's.
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
concurrency = 32

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

sqlg "UPDATE messages SET state = 'cancelled' WHERE channel = 'sms' AND message_id > (SELECT m FROM
      (SELECT MIN(message_id) + 2999 AS m FROM messages) x)"
claim_conf "sms = sim
email = mail"
sim_control '{"latency_ms": 20}'
slow_on
t0=$(date +%s.%N)
"$FEEGATE_BIN" -c "$conf" dispatch --now "2026-10-02 10:00" >"$work/dispatch.out" 2>"$work/dispatch.err"
rc=$?
t1=$(date +%s.%N)
slow_off
eq 0 "$rc" "dispatch: $(tail -2 "$work/dispatch.err")"
eq 3000 "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state IN ('accepted', 'delivered')")" "3,000 SMS sent"
idle=$(grep -c "priority = 0 AND state IN ('queued', 'retry') AND channel = 'email'" "$slow" || true)
busy=$(grep -c "priority = 0 AND state IN ('queued', 'retry') AND channel = 'sms'" "$slow" || true)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "     in $secs s: $busy claims for SMS, $idle for the idle e-mail lane"
[ "$busy" -gt 0 ] || fail "no SMS claim in the slow log: $slow"
bound=$(awk -v s="$secs" 'BEGIN { printf "%d", 3 * s + 10 }')
[ "$idle" -le "$bound" ] || fail "the idle e-mail lane claimed $idle times in $secs s (at most $bound: it waits up to 0.5 s after finding nothing)"
done_ok
