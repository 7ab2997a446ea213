#!/bin/sh
# States that say what happened. A notice whose last contact fails for good
# is unreachable (timeline, log --json and the task count agree with the
# audit trail). An e-mail taken by the relay counts as reaching the
# customer (no receipts come for e-mail): an e-mail-only customer's task
# says 3 reached. Notices read as an agent reads them ("delivered · unpaid
# after 7 days", not "failed"). Outage notices: a message still waiting in
# the queue has told nobody, so a move before it goes brings a plain notice
# of the new times, never "moved from" times nobody heard; a notice whose
# messages were all cancelled is cancelled; billing's own row is read again
# right before sending.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19440 "-d 20"
start_sink 19441
write_conf "
[channels]
sms = sim
email = mail

$(sms_section sim)

$(smtp_section mail 19441)

[receipts]
port = 19442
public_url = http://127.0.0.1:19442

[dispatch]
receipt_wait = 5"

# Unreachable once the last contact fails: the simulator refuses 139...
sim_control '{"invalid_prefix": "+86139"}'
customer S1; contact 1 S1 sms +8613900004401 1; contact 2 S1 sms +8613900004402 2
# E-mail only: the relay takes each notice, no receipt ever comes.
customer S2; contact 3 S2 email s2.customer@example.com
for a in S1 S2; do bill "$a-1" "$a" 100.00 2026-10-01; done
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "failed 1 2026-10-02" "$(sqlg "SELECT state, unreachable, failed_on FROM notices WHERE account_no = 'S1'")" \
   "both numbers refused: the notice is unreachable"
eq "1" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'S1' AND event = 'notice_unreachable'")" "as the audit trail says"
j=$(fg log S1 --json)
has "$j" '"unreachable": true' "log --json: unreachable"
has "$j" '"reached": "unreachable"' "log --json: reached"
has "$(fg log S1)" "notice 1  unreachable: no consented, valid contact (failed on 2026-10-02)" "feegate log says why"
has "$(fg log S2)" "notice 1  sent (no receipt for this channel)" "an e-mail the relay took"
# A notice is written as wide as it will be (migration 022): its failed_on
# and closed_on hold its sent_on until it fails or closes, so that neither
# makes its row grow; they mean nothing before, and nothing shows them.
eq "planned 2026-10-02 2026-10-02" "$(sqlg "SELECT state, failed_on, closed_on FROM notices WHERE account_no = 'S2'")" \
   "a planned notice's row holds its dates' room"
eq "notice 1  sent (no receipt for this channel)" "$(fg log S2 | grep -o 'notice 1 .*')" "log: no failure date while it has not failed"
hasnt "$(fg log S2 --json)" '"failed_on": "2026' "log --json: no failed_on while it has not failed"
hasnt "$(fg log S2 --json)" '"closed_on": "2026-10-02"' "log --json: no closed_on while it is open"
for d in 2026-10-09 2026-10-16 2026-10-23; do fgok run --date "$d" --now "$d 10:00"; done
eq "3 3" "$(sqlg "SELECT notices_failed, notices_delivered FROM collection_tasks WHERE account_no = 'S2'")" \
   "the e-mail-only customer's task: three notices, three reached"
eq "3 0" "$(sqlg "SELECT notices_failed, notices_delivered FROM collection_tasks WHERE account_no = 'S1'")" \
   "the unreachable customer's task: three notices, none reached"
has "$(fg log S2)" "notice 1  sent (no receipt for this channel) · unpaid after 7 days (failed on 2026-10-09)" \
    "failed reads as unpaid, not undelivered"
has "$(fg log S2 --json)" '"status_zh": "已发出（无回执） · 7天后仍未缴费"' "in Chinese for the staff page"

# Outage notices.
outage() {  # outage ID STARTS ENDS ACCOUNT
	sqlb "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason)
	      VALUES ('$1', 'planned', '近江社区', '$2', '$3', '线路检修')"
	sqlb "INSERT INTO billing_outage_accounts VALUES ('$1', '$4')"
}
move() { sqlb "UPDATE billing_outages SET starts_at = '$2', ends_at = '$3' WHERE outage_id = '$1'"; }
texts() { awk -F'\t' -v to="$1" '$3 == to { print $5 }' "$work/sim.tsv"; }
customer S3; contact 5 S3 sms +8613800004403
customer S4; contact 6 S4 sms +8613800004404
outage O1 "2026-11-14 08:00" "2026-11-14 17:00" S3
outage O2 "2026-11-13 08:00" "2026-11-13 17:00" S4
# 01:00: both planned, held by the calling window.
fgok run --date 2026-11-08 --now "2026-11-08 01:00"
eq "queued queued" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY contact_id SEPARATOR ' ') FROM messages WHERE contact_id IN (5, 6)")" \
   "held by the window"
# Billing moves O1 by a day; a pass at 07:00 sees it: S3 was told nothing
# yet, so a plain notice of the new times, no "moved".
move O1 "2026-11-15 08:00" "2026-11-15 17:00"
fgok run --date 2026-11-08 --now "2026-11-08 07:00"
eq "outage_notice 1 planned|outage_notice 2 planned" \
   "$(sqlg "SELECT GROUP_CONCAT(kind, ' ', outage_version, ' ', state ORDER BY notice_id SEPARATOR '|') FROM notices WHERE account_no = 'S3'")" \
   "a plain notice of the new times, no reschedule"
# Billing moves O2 after the last pass: the dispatcher reads billing's row.
move O2 "2026-11-14 08:00" "2026-11-14 17:00"
fgok dispatch --now "2026-11-08 08:30"
eq "1" "$(sim_count +8613800004403)" "S3: one message"
has "$(texts +8613800004403)" "2026年11月15日 08:00" "with the new day"
hasnt "$(texts +8613800004403)" "11月14日" "and nothing of the day S3 never heard of"
eq "cancelled" "$(sqlg "SELECT state FROM notices WHERE account_no = 'S3' AND outage_version = 1")" \
   "the first notice, its message cancelled, is cancelled"
eq "0" "$(sim_count +8613800004404)" "S4: the old times not sent"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 6")" "billing changed the outage since the last pass" "why"
eq "cancelled" "$(sqlg "SELECT state FROM notices WHERE account_no = 'S4'")" "S4's notice cancelled"
fgok run --date 2026-11-08 --now "2026-11-08 09:00"
eq "1" "$(sim_count +8613800004404)" "the next pass tells S4 the new times"
has "$(texts +8613800004404)" "2026年11月14日 08:00" "the new times"
hasnt "$(texts +8613800004404)" "原定" "as a plain notice"
eq "0" "$(sqlg "SELECT COUNT(*) FROM notices WHERE kind = 'outage_rescheduled'")" "no reschedule to anyone"
has "$(fg log S3)" "O1 version 1  not sent (cancelled)" "the timeline: cancelled, not sent"
# Cancelled the day after it was planned: closed on that day, not on the
# day it was planned (closed_on holds sent_on until then, migration 022).
customer S5; contact 7 S5 sms +8613800004405
outage O3 "2026-11-14 08:00" "2026-11-14 17:00" S5
fgok run --date 2026-11-08 --now "2026-11-08 23:00"
move O3 "2026-11-15 08:00" "2026-11-15 17:00"
fgok dispatch --now "2026-11-09 08:30"
eq "cancelled 2026-11-08 2026-11-09" "$(sqlg "SELECT state, sent_on, closed_on FROM notices WHERE account_no = 'S5'")" \
   "an outage notice cancelled the next morning"
has "$(fg log S5 --json)" '"closed_on": "2026-11-09"' "log --json: the day it was cancelled"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
