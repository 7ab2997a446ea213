#!/bin/sh
# Retention ([retention], `feegate purge`): a message's text and full
# address go message_days after its final state (the address kept masked,
# the timeline unchanged); closed cases with their notices, messages,
# texts and finished tasks go history_days after closing, open ones stay;
# so do notices of no case (an outage's) history_days after sending; old access
# log rows and billing rows refused long ago go; a run again does nothing;
# each run that did something is one `purged` audit row and the chain
# stays intact; serve purges after its nightly pass.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19360 "-d 10"
send_conf 19361 "
[retention]
message_days = 30
history_days = 60
access_days = 90
input_error_days = 20

[schedule]
nightly_at = 09:30

[log]
file = $work/feegate.log"
customer P1; contact 1 P1 sms +8613800006001; bill P1-1 P1 50.00 2026-10-01
customer P2; contact 2 P2 sms +8613800006002; bill P2-1 P2 60.00 2026-10-01
customer P3; contact 3 P3 sms +8613800006003; bill P3-1 P3 70.00 2026-10-01
sqlb "INSERT INTO billing_contacts (contact_id, account_no, channel, address, priority, consent)
      VALUES (4, 'P3', 'sms', '+861380000600', 2, 1)"   # refused: not a mobile
# An outage for P2 tomorrow: a notice of no case.
sqlb "INSERT INTO billing_outages (outage_id, kind, area, starts_at, ends_at, reason)
      VALUES ('PO1', 'planned', '近江社区', '2026-10-03 08:00', '2026-10-03 17:00', '线路检修')"
sqlb "INSERT INTO billing_outage_accounts VALUES ('PO1', 'P2')"
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "delivered delivered delivered" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY message_id SEPARATOR ' ') FROM messages WHERE case_id IS NOT NULL")" "three notices sent"
eq "delivered" "$(sqlg "SELECT m.state FROM messages m JOIN notices n USING (notice_id) WHERE n.outage_id = 'PO1'")" "the outage notice sent"
eq "P2" "$(sqlg "SELECT n.account_no FROM notice_outages o JOIN notices n USING (notice_id) WHERE o.outage_id = 'PO1'")" "its key row beside it"
# An API notice as api.c writes it, its key in notice_requests (no
# message: refused by its caller's channel, say).
sqlg "INSERT INTO notices (case_id, account_no, kind, seq, sent_on, state, request_key, request_hash)
      VALUES (NULL, 'P2', 'bill_issued', 0, '2026-10-02', 'failed', 'req-1', REPEAT('0', 64))" >/dev/null
sqlg "INSERT INTO notice_requests (request_key, notice_id) SELECT request_key, notice_id FROM notices WHERE request_key = 'req-1'" >/dev/null
# P1 pays: its case closes on the next night.
sqlb "UPDATE billing_bills SET amount_paid = amount_due, status = 'paid' WHERE bill_id = 'P1-1'"
fgok run --date 2026-10-09 --now "2026-10-09 10:00"
eq "closed open open" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY account_no SEPARATOR ' ') FROM dunning_cases")" "P1 closed"
# The staff access log, oldest first (as it is written).
sqlg "INSERT INTO access_log (at, username, remote, action, account_no)
      VALUES ('2026-01-05 10:00', 'li.na', '127.0.0.1', 'view', 'P1'),
             ('2026-10-02 10:00', 'li.na', '127.0.0.1', 'view', 'P2')" >/dev/null
eq "1" "$(sqlg "SELECT COUNT(*) FROM input_errors")" "P3's refused contact"

# Within every retention: nothing to do, no audit row.
fgok purge --date 2026-10-10
has "$(cat "$work/last.out")" "purge: date=2026-10-10 redacted=0 cases=0 notices=0 messages=0 tasks=0 access_log=1 input_errors=0" \
    "only the January access log row is over 90 days"
before=$(sqlg "SELECT COUNT(*) FROM audit_log")
audit_before=$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'purged'")
eq "1" "$audit_before" "that run audited once"

# Thirty days after the messages' final state: text dropped, address
# masked; sixty after P1's case closed: gone, with what hangs on it.
# One message never finished (as if its receipt never came): passed over,
# not waited for, and the walk goes on past it.
sqlg "UPDATE messages SET state = 'accepted', final_at = NULL WHERE account_no = 'P2' AND case_id IS NOT NULL ORDER BY message_id LIMIT 1" >/dev/null
# The outage's message too: its text goes with its notice, 60 days after
# it was sent.
sqlg "UPDATE messages SET state = 'accepted', final_at = NULL WHERE case_id IS NULL" >/dev/null
eq "1" "$(sqlg "SELECT COUNT(*) FROM message_texts JOIN messages USING (message_id) WHERE case_id IS NULL")" "the outage message's text kept until then"
# P1's message too (its receipt lost): not redacted, so its text goes with
# its closed case, not before.
sqlg "UPDATE messages SET state = 'accepted', final_at = NULL WHERE account_no = 'P1'" >/dev/null
eq "1" "$(sqlg "SELECT COUNT(*) FROM message_texts JOIN messages USING (message_id) WHERE account_no = 'P1'")" "P1's text kept until then"
fgok purge --date 2026-12-10
has "$(cat "$work/last.out")" "redacted=3" "three messages redacted (notice 1 of three, notice 2 of two, less the two unfinished)"
has "$(cat "$work/last.out")" "cases=1 notices=3 messages=2" "P1's closed case, its notice and its message; the outage's notice and message; the API's notice"
eq "0 0" "$(sqlg "SELECT (SELECT COUNT(*) FROM notice_outages), (SELECT COUNT(*) FROM notice_requests)")" "their key rows gone with them"
has "$(cat "$work/last.out")" "input_errors=1" "P3's refused contact, not seen for 20 days"
eq "P2 +8613800006002 0 NULL
P3 +86138****6003 1 2026-12-10
P2 +86138****6002 1 2026-12-10
P3 +86138****6003 1 2026-12-10" \
   "$(sqlg "SELECT m.account_no, m.address, NOT EXISTS (SELECT 1 FROM message_texts t WHERE t.message_id = m.message_id), m.redacted_on FROM messages m ORDER BY message_id")" \
   "the others kept, masked, without their text; the unfinished one as it was"
eq "1 0" "$(sqlg "SELECT COUNT(*), SUM(message_id NOT IN (SELECT message_id FROM messages)) FROM message_texts")" \
   "one text left, the unfinished message's; none of a message purged with its case or its outage notice"
eq "0 0" "$(sqlg "SELECT (SELECT COUNT(*) FROM notices WHERE account_no = 'P1'), (SELECT COUNT(*) FROM dunning_cases WHERE account_no = 'P1')")" \
   "P1's history gone"
eq "open open" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY account_no SEPARATOR ' ') FROM dunning_cases")" "open cases stay"
eq "1" "$(sqlg "SELECT COUNT(*) FROM access_log")" "October's access log row stays"
fgok log P3
has "$(cat "$work/last.out")" "+86138****6003" "the timeline still shows where it went"
has "$(sqlg "SELECT detail FROM audit_log WHERE event = 'purged' ORDER BY seq DESC LIMIT 1")" \
    '"cases":1' "the run's counts in its audit row"

# Again: nothing more, nothing audited.
n=$(sqlg "SELECT COUNT(*) FROM audit_log")
fgok purge --date 2026-12-10
has "$(cat "$work/last.out")" "redacted=0 cases=0 notices=0 messages=0 tasks=0 access_log=0 input_errors=0" "idempotent"
eq "$n" "$(sqlg "SELECT COUNT(*) FROM audit_log")" "no audit row for a run that did nothing"
has "$(fg audit verify)" "chain intact" "the audit chain"

# serve purges after its nightly pass.
"$FEEGATE_BIN" -c "$conf" serve --now "2027-03-01 09:45" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
i=0
until grep -q "serve: purge 2027-03-01" "$work/feegate.log" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 200 ] || fail "serve did not purge: $(tail -3 "$work/feegate.log")"; sleep 0.1
done
kill -TERM "$serve"
wait "$serve" || fail "serve's exit status"
done_ok
