#!/bin/sh
# The Twilio-compatible adapter against the simulator: form POST with basic
# auth, error codes classified (21211 permanent), signed status callbacks
# (a forged signature changes nothing), wrong credentials are the
# provider's trouble.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18630 "-d 30 -t s3cr3t-tok"
printf 's3cr3t-tok\n' >"$work/token"
twilio_conf() {
	write_conf "
[channels]
sms = tw

[provider:tw]
type = twilio
account_sid = AC0123456789
auth_token_file = $1
from = +8610095598
api_url = http://127.0.0.1:$sim_port

[receipts]
port = 18625
public_url = http://127.0.0.1:18625

[dispatch]
receipt_wait = 10"
}
twilio_conf "$work/token"
customer T1; contact 1 T1 sms +8613800009001 1
customer T2; contact 2 T2 sms +8613800009002 1; contact 3 T2 sms +8613800009003 2
customer T3; contact 4 T3 sms +8613800009004 1; contact 5 T3 sms +8613800009005 2
for a in T1 T2 T3; do bill "$a-1" "$a" 70.00 2026-10-01; done
sim_control '{"invalid_prefix": "+8613800009002", "undeliverable_prefix": "+8613800009004"}'

fgok run --date 2026-10-02 --now "2026-10-02 10:00"
st() { sqlg "SELECT state FROM messages WHERE contact_id = $1"; }
eq "delivered" "$(st 1)" "delivered, by a signed status callback"
has "$(sqlg "SELECT provider_ref FROM messages WHERE contact_id = 1")" "SM0000" "Twilio's SID kept as the reference"
eq "failed_permanent" "$(st 2)" "21211: permanent"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 2")" "21211" "with Twilio's code"
has "$(sqlg "SELECT last_error FROM messages WHERE contact_id = 2")" "86138****9002" "Twilio's text quotes the number: masked"
hasnt "$(sqlg "SELECT CONCAT(m.last_error, b.reason) FROM messages m JOIN contact_blocks b USING (contact_id) WHERE contact_id = 2")" "8613800009002" "the whole number is stored nowhere in the error"
hasnt "$(cat "$work/last.err")$(sqlg "SELECT detail FROM audit_log")" "8613800009002" "nor in the log or the audit trail"
eq "delivered" "$(st 3)" "fell back to the next number"
eq "failed_permanent" "$(st 4)" "undelivered with 30005 (unknown destination): permanent"
eq "delivered" "$(st 5)" "fell back after the callback"
eq "4" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'receipt'")" "four callbacks audited (21211 was refused at submit)"

# A callback with a forged signature changes nothing.
id=$(sqlg "SELECT message_id FROM messages WHERE contact_id = 1")
tok=$(sqlg "SELECT receipt_token FROM messages WHERE contact_id = 1")
# (run has finished and its receipt server with it: serve for the test)
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 10:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
i=0
until curl -s -o /dev/null "http://127.0.0.1:18625/"; do i=$((i + 1)); [ $i -lt 50 ] || fail "serve did not start"; sleep 0.1; done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Twilio-Signature: AAAAAAAAAAAAAAAAAAAAAAAAAAA=' \
	-d 'MessageSid=SMx&MessageStatus=failed' "http://127.0.0.1:18625/receipts/tw?id=$id&t=$tok")
eq "400" "$code" "forged signature refused"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -d 'MessageSid=SMx&MessageStatus=failed' \
	"http://127.0.0.1:18625/receipts/tw?id=$id&t=$tok")
eq "400" "$code" "unsigned callback refused"
eq "delivered" "$(st 1)" "nothing changed"
kill -TERM "$serve"; wait "$serve" || fail "serve exit status"

# Wrong credentials: 401, the provider's trouble: attempts are kept.
printf 'wrong\n' >"$work/token2"
twilio_conf "$work/token2"
customer T4; contact 6 T4 sms +8613800009006; bill T4-1 T4 70.00 2026-10-08
fgok run --date 2026-10-09 --now "2026-10-09 10:00"
eq "retry 0" "$(sqlg "SELECT state, attempts FROM messages WHERE contact_id = 6")" "401: requeued, attempt kept"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
