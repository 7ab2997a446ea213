#!/bin/sh
# What the dispatcher does when providers fail: temporary failures back off
# and, after max_attempts, expire into a fallback to the next contact;
# permanent failures (an invalid number, a "failed" receipt) block the
# contact and fall back at once; 429 and 5xx storms pause the provider
# without using up each message's attempts; the rate limit holds.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18230 "-d 20"
send_conf 18225 "max_attempts = 3"
attempts_of() { sqlg "SELECT attempts FROM messages WHERE contact_id = $1"; }
state_of() { sqlg "SELECT state FROM messages WHERE contact_id = $1"; }

# A: temporary failures on the first number, then the second number.
customer T1; contact 1 T1 sms +8613800002001 1; contact 2 T1 sms +8613800002002 2
bill T1-1 T1 80.00 2026-10-01
# B: an invalid first number: permanent, blocked, fallback.
customer B1; contact 11 B1 sms +8613800003001 1; contact 12 B1 sms +8613800003002 2
bill B1-1 B1 80.00 2026-10-01
# C: accepted, then a "failed" receipt.
customer U1; contact 21 U1 sms +8613800004001 1; contact 22 U1 sms +8613800004002 2
bill U1-1 U1 80.00 2026-10-01
sim_control '{"tempfail_prefix": "+8613800002001", "invalid_prefix": "+8613800003001", "undeliverable_prefix": "+8613800004001"}'

fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "retry 1" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 1")" "A: first attempt failed, retry"
has "$(sqlg "SELECT detail FROM audit_log WHERE event = 'message_attempt' AND account_no = 'T1'")" '"result":"TempFail","code":"unavailable"' "A: attempt audited"
has "$(sqlg "SELECT detail FROM audit_log WHERE event = 'message_attempt' AND account_no = 'T1'")" '"retry_in":1' "A: backoff 1 s"
fgok dispatch --now "2026-10-02 10:01"
has "$(sqlg "SELECT GROUP_CONCAT(detail ORDER BY seq) FROM audit_log WHERE event = 'message_attempt' AND account_no = 'T1'")" '"retry_in":2' "A: backoff doubles"
fgok dispatch --now "2026-10-02 10:02"
eq "expired 3" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 1")" "A: expired after max_attempts"
eq "delivered" "$(state_of 2)" "A: fell back to the second number"
eq "0" "$(sqlg "SELECT COUNT(*) FROM contact_blocks WHERE contact_id = 1")" "A: temporary trouble blocks nobody"
eq "0 1" "$(sim_count +8613800002001) $(sim_count +8613800002002)" "A: what the provider received"

eq "failed_permanent" "$(state_of 11)" "B: invalid number is permanent"
has "$(sqlg "SELECT reason FROM contact_blocks WHERE contact_id = 11")" "invalid_number" "B: contact blocked with the reason"
eq "delivered" "$(state_of 12)" "B: fell back at once"
has "$(sqlg "SELECT GROUP_CONCAT(event ORDER BY seq) FROM audit_log WHERE account_no = 'B1'")" "message_attempt,message_queued" "B: fallback audited"

eq "failed_permanent" "$(state_of 21)" "C: a failed receipt is permanent"
eq "delivered" "$(state_of 22)" "C: fell back after the receipt"
eq "1 1" "$(sim_count +8613800004001) $(sim_count +8613800004002)" "C: both numbers received one message"

# Next week: notice 2 goes straight to the working numbers; the blocked
# ones are reported for staff to correct.
fgok run --date 2026-10-09 --now "2026-10-09 10:00"
eq "0 2" "$(sim_count +8613800003001) $(sim_count +8613800003002)" "B: notice 2 skips the blocked number"
eq "failed permanently before" "$(sqlg "SELECT reason FROM input_errors WHERE source = 'contact' AND row_key = '11'")" \
   "B: blocked contact reported"
# Billing corrects the number: it is tried again.
sqlb "UPDATE billing_contacts SET address = '+8613800003009' WHERE contact_id = 11"
fgok run --date 2026-10-16 --now "2026-10-16 10:00"
eq "1" "$(sim_count +8613800003009)" "B: a corrected number is used again"

# D: 429 with Retry-After: requeued without using up attempts, provider paused.
fresh_schemas
send_conf 18225
for i in 1 2 3 4 5; do customer "R$i"; contact "$i" "R$i" sms "+861380000500$i"; bill "R$i-1" "R$i" 50.00 2026-10-01; done
sim_control '{"fail_429": 1.0, "retry_after": 30, "tempfail_prefix": "", "invalid_prefix": "", "undeliverable_prefix": ""}'
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "5 0" "$(sqlg "SELECT COUNT(*), SUM(attempts) FROM messages WHERE state = 'retry'")" "D: all requeued, no attempt used"
eq "5" "$(sqlg "SELECT COUNT(*) FROM messages WHERE next_attempt_at >= '2026-10-02 02:00:29'")" "D: Retry-After honoured (10:00 Shanghai is 02:00 UTC)"
sim_control '{"fail_429": 0}'
fgok dispatch --now "2026-10-02 10:01"
eq "5" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "D: all delivered afterwards"

# E: a 5xx storm: after a few failures in a row the provider is paused and
# the rest keep their attempts.
fresh_schemas
send_conf 18225
for i in $(seq 10 21); do customer "S$i"; contact "$i" "S$i" sms "+86138000060$i"; bill "S$i-1" "S$i" 50.00 2026-10-01; done
sim_control '{"fail_5xx": 1.0}'
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
used=$(sqlg "SELECT SUM(attempts) FROM messages")
[ "$used" -le 4 ] || fail "E: a storm used $used attempts (at most 4 before the pause)"
eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state IN ('expired', 'failed_permanent')")" "E: nothing given up"
sim_control '{"fail_5xx": 0}'
fgok dispatch --now "2026-10-02 10:05"
eq "12" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "E: all delivered after the storm"

# T: the provider does not answer within the timeout: temporary, retried.
fresh_schemas
TIMEOUT=1 send_conf 18225
customer TO1; contact 1 TO1 sms +8613800008801; bill TO1-1 TO1 50.00 2026-10-01
sim_control '{"timeout": 1.0}'
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "retry 1" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 1")" "T: a timeout is retried"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 1")" "timeout" "T: recorded as a timeout"
sim_control '{"timeout": 0}'
fgok dispatch --now "2026-10-02 10:01"
eq "delivered" "$(sqlg "SELECT state FROM messages WHERE contact_id = 1")" "T: delivered on the retry"

# L: the provider takes a message and its answer is lost (the request
# times out): the message is in doubt and sent again with the same
# Idempotency-Key; a platform that honours the key (the simulator's generic
# API does, as docs/providers.md asks) answers as before and sends nothing twice.
fresh_schemas
TIMEOUT=1 send_conf 18225
customer LA1; contact 1 LA1 sms +8613800008802; bill LA1-1 LA1 50.00 2026-10-01
replays=$(sim_stat replays)
sim_control '{"lost_answer": 1.0, "no_receipts": true}'
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "retry 1" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 1")" "L: a lost answer is a timeout"
eq "1" "$(sim_count +8613800008802)" "L: but the provider took it"
fgok dispatch --now "2026-10-02 10:01"
eq "accepted 2" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 1")" "L: the second attempt is answered"
eq "1 $((replays + 1))" "$(sim_count +8613800008802) $(sim_stat replays)" "L: as a replay: taken once, not sent twice"
sim_control '{"lost_answer": 0, "no_receipts": false}'

# V: an address changed under the queue (by hand, or by a bug) is checked
# once more, in C with the SQL's patterns, before it leaves: refused for
# good, never sent.
fresh_schemas
send_conf 18225
customer VA1; contact 1 VA1 sms +8613800008803; bill VA1-1 VA1 50.00 2026-10-01
fgok plan --date 2026-10-02
mysql_cli "$gschema" -e "UPDATE messages SET address = CONCAT(address, CHAR(10))"
fgok dispatch --now "2026-10-02 10:00"
eq "failed_permanent" "$(sqlg "SELECT state FROM messages WHERE contact_id = 1")" "V: refused before it left"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 1")" "address contains control characters" "V: with the reason"
eq "0" "$(sim_count +8613800008803)" "V: nothing sent"

# F: rate = 10 messages/s: never more than 10 in any second at the provider.
fresh_schemas
RATE=10 send_conf 18225
for i in $(seq 100 139); do customer "F$i"; contact "$i" "F$i" sms "+8613800007$i"; bill "F$i-1" "F$i" 50.00 2026-10-01; done
: >"$work/sim.tsv"
start=$(date +%s.%N)
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "40" "$(wc -l <"$work/sim.tsv" | tr -d ' ')" "F: all 40 sent"
max=$(cut -f1 "$work/sim.tsv" | sort -n | awk '{ t[NR] = $1 } END {
	m = 0; j = 1
	for (i = 1; i <= NR; i++) { while (t[i] - t[j] >= 1000) j++; if (i - j + 1 > m) m = i - j + 1 }
	print m }')
[ "$max" -le 10 ] || fail "F: $max messages within one second (limit 10)"
echo "     rate limit 10/s: at most $max in any second"
# D: the log file cannot be written (disk full): one clear line on stderr,
# logging goes on there, and the night's work is done and audited.
fresh_schemas
send_conf 18225 "
[log]
file = /dev/full"
customer DF1; contact 1 DF1 sms +8613800009901; bill DF1-1 DF1 50.00 2026-10-01
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "1" "$(grep -c 'cannot write the log file /dev/full: No space left on device' "$work/last.err")" "D: said once on stderr"
has "$(cat "$work/last.err")" "info dispatch: in " "D: later lines go to stderr"
eq "delivered" "$(sqlg "SELECT state FROM messages WHERE contact_id = 1")" "D: the message is delivered"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
