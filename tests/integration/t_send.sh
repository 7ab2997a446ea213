#!/bin/sh
# Sending for real (to the simulator): a month of nights sends exactly the
# expected messages, receipts mark them delivered, a payment between the
# plan and the send cancels, and nothing goes outside the calling window.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18130 "-d 50"
send_conf 18125

# Five customers who never pay, one who pays after notice 1.
for i in 1 2 3 4 5 6; do
	customer "N$i"
	contact "$i" "N$i" sms "+861380000100$i"
	bill "N$i-1" "N$i" 100.00 2026-10-01
done
day() { fgok run --date "$1" --now "$1 ${2:-10:00}"; }

day 2026-10-02
# At info the log counts what went (a line a minute, and one at the end);
# a message taken is a line at debug.
has "$(cat "$work/last.err")" "sent=6 sms=6 sms_parts=$(sqlg "SELECT SUM(parts) FROM messages") retried=0 expired=0 permfailed=0 unsent=0 receipts=6" \
    "the counts at info"
hasnt "$(cat "$work/last.err")" 'result=Sent' "no line a message taken at info"
hasnt "$(cat "$work/last.err")" 'receipt msg=' "no line a delivery at info"
printf '\n[log]\nlevel = debug\n' >>"$conf"
day 2026-10-09
sed -i '/^\[log\]$/,$d' "$conf"
has "$(cat "$work/last.err")" 'channel=sms provider=sim attempt=1 result=Sent' "key=value log line per attempt at debug"
has "$(cat "$work/last.err")" 'provider=sim status=delivered final=1' "a line a receipt at debug"
hasnt "$(cat "$work/last.err")" '13800001001' "no full number in the log"
pay N6-1
for d in 2026-10-16 2026-10-23 2026-10-30; do day $d; done

# Exactly: 5 x 3 notices to the never-payers, 2 to N6 before it paid.
eq "17" "$(sim_stat received)" "messages received by the provider"
eq "0" "$(sim_stat duplicates)" "no message received twice"
for i in 1 2 3 4 5; do
	eq "3" "$(sim_count "+861380000100$i")" "N$i got notices 1, 2 and 3"
done
eq "2" "$(sim_count +8613800001006)" "N6 got notices 1 and 2, then paid"
eq "17" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "receipts marked every message delivered"
eq "5" "$(sqlg "SELECT COUNT(*) FROM collection_tasks WHERE notices_delivered = 3")" "tasks count three delivered notices"
has "$(audit_events N1)" "message_queued,message_attempt,receipt" "attempt and receipt audited"
has "$(sqlg "SELECT detail FROM audit_log WHERE account_no = 'N1' AND event = 'message_attempt' LIMIT 1")" \
    '"provider":"sim","attempt":1,"result":"Sent"' "attempt detail"
# A delivered notice that fails rides on the row of the notice that follows
# it (gateway/store/audit.h): N1's first two failures are carried, the
# third (no notice follows it, a task does) is a row of its own. `feegate
# log` lists all three alike, each with its own notice.
eq "1" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'N1' AND event = 'notice_failed'")" \
   "N1: one notice_failed row, the last"
has "$(audit_events N1)" "receipt,notice_failed,notice_planned,message_queued,message_attempt" \
   "N1: a failure listed before the notice that follows it"
audit_events N1 | tr , '\n' >"$work/events"
audit_events N1 notice_id | tr , '\n' >"$work/ids"
audit_events N1 message_id | tr , '\n' >"$work/mids"
eq "$(sqlg "SELECT GROUP_CONCAT(CONCAT(notice_id, ':None') ORDER BY seq) FROM notices WHERE account_no = 'N1'")" \
   "$(paste -d: "$work/events" "$work/ids" "$work/mids" | sed -n 's/^notice_failed://p' | paste -sd, -)" \
   "N1: each failure names its own notice and no message"
eq '{"seq":1,"amount":"100.00","delivered":1}
{"seq":2,"amount":"100.00","delivered":1}
{"seq":3,"amount":"100.00","delivered":1}' "$(audit_events N1 detail | grep '"delivered":[0-9]')" \
   "N1: carried failures read as the last one's row"
has "$(sqlg "SELECT body FROM message_texts JOIN messages m USING (message_id) JOIN notices n USING (notice_id) WHERE n.account_no = 'N1' AND n.seq = 3")" \
    "经多次提醒仍未缴纳" "the third notice's text"
eq "0" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%13800001001%'")" "no full number in the audit"

# Paid between planning and sending: the message is cancelled, not sent.
customer P1; contact 11 P1 sms +8613800001011; bill P1-1 P1 50.00 2026-10-30
# B1's balance is read again before sending too: only its open bills past
# their due date, as billing has them then (a bill that fell due since
# the night counts; one not yet due and a paid one do not).
customer B1; contact 14 B1 sms +8613800001014
bill B1-1 B1 80.00 2026-10-30; bill B1-2 B1 30.00 2026-12-15
bill B1-3 B1 40.00 2026-10-01 40.00 paid
fgok plan --date 2026-10-31
pay P1-1
bill B1-4 B1 5.00 2026-10-29
fgok dispatch --now "2026-10-31 10:00"
eq "0" "$(sim_count +8613800001011)" "nothing sent to an account that paid"
eq "cancelled paid before sending" "$(sqlg "SELECT m.state, m.last_error FROM messages m JOIN notices n USING (notice_id) WHERE n.account_no = 'P1'")" \
   "message cancelled with the reason"
b1=$(sqlg "SELECT body FROM message_texts JOIN messages m USING (message_id) WHERE m.account_no = 'B1'")
has "$b1" "85.00" "B1: the overdue open bills as billing has them at sending"
hasnt "$b1" "115.00" "B1: a bill not yet due is not owed"

# A report that never came for an earlier night's message (N1's first
# notice, put back to `accepted` by hand) does not hold up a later night:
# `run` waits for what went since shortly before it started, not for that
# (receipt_wait = 10 here; before, every later run waited all of it).
sqlg "UPDATE messages m JOIN notices n USING (notice_id) SET m.state = 'accepted' WHERE n.account_no = 'N1' AND n.seq = 1;
      INSERT INTO message_batches (channel, provider, submitted_at, lease_expires_at, unanswered, awaited, message_ids)
      SELECT m.channel, m.provider, m.next_attempt_at, m.next_attempt_at, 0, 1, m.message_id
      FROM messages m JOIN notices n USING (notice_id) WHERE n.account_no = 'N1' AND n.seq = 1"
customer L1; contact 13 L1 sms +8613800001013; bill L1-1 L1 50.00 2026-10-31
t0=$(date +%s)
fgok run --date 2026-11-01 --now "2026-11-01 10:00"
took=$(($(date +%s) - t0))
[ "$took" -lt 8 ] || fail "run waited ${took} s for an earlier night's receipt"
eq "1" "$(sim_count +8613800001013)" "the night's own message went"
has "$(cat "$work/last.out")" "awaiting=0" "nothing awaited from an earlier night"
eq "delivered" "$(sqlg "SELECT m.state FROM messages m JOIN notices n USING (notice_id) WHERE n.account_no = 'L1'")" "and its receipt was waited for"

# The calling window (08:00-21:00 Asia/Shanghai): queued at 21:30, sent at 08:00.
customer W1; contact 12 W1 sms +8613800001012; bill W1-1 W1 50.00 2026-11-01
fgok run --date 2026-11-02 --now "2026-11-02 21:30"
eq "0" "$(sim_count +8613800001012)" "nothing sent after 21:00"
fgok dispatch --now "2026-11-03 07:59"
eq "0" "$(sim_count +8613800001012)" "nothing sent before 08:00"
fgok dispatch --now "2026-11-03 08:00"
eq "1" "$(sim_count +8613800001012)" "sent once the window opens"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
