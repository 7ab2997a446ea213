#!/bin/sh
# Receipts change a message only when they are genuine: forged, malformed,
# unknown or tokenless receipts change nothing and get a 4xx; a replayed
# receipt gets a 200 and changes nothing.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 18330
send_conf 18325 "receipt_wait = 2"
customer A1; contact 1 A1 sms +8613800008001; bill A1-1 A1 60.00 2026-10-01
customer A2; contact 2 A2 sms +8613800008002; bill A2-1 A2 60.00 2026-10-01
sim_control '{"no_receipts": true}'
# Keep the receipt server up while we post to it: serve, stopped by PID.
fgok plan --date 2026-10-02
serve_accepted 2 "2026-10-02 10:00"
id=$(sqlg "SELECT message_id FROM messages WHERE contact_id = 1")
tok=$(sqlg "SELECT receipt_token FROM messages WHERE contact_id = 1")
id2=$(sqlg "SELECT message_id FROM messages WHERE contact_id = 2")
url="http://127.0.0.1:18325/receipts/sim"
post() {  # post QUERY BODY -> HTTP status
	curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
		-d "$2" "$url?$1"
}
delivered='{"id":"x","status":"delivered"}'
failed='{"id":"x","status":"failed","code":"spoofed"}'

eq "403" "$(post "id=$id&t=00000000000000000000000000000000" "$failed")" "wrong token refused"
eq "403" "$(post "id=$id" "$failed")" "no token refused"
eq "403" "$(post "id=$id2&t=$tok" "$failed")" "another message's token refused"
eq "403" "$(post "id=999999&t=$tok" "$delivered")" "unknown message refused"
eq "400" "$(post "id=$id&t=$tok" "not json")" "malformed body refused"
eq "400" "$(post "id=$id&t=$tok" '{"status":"teleported"}')" "unknown status refused"
eq "404" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d "$delivered" "http://127.0.0.1:18325/receipts/nobody?id=$id&t=$tok")" \
   "unknown provider endpoint"
head -c 70000 /dev/zero | tr '\0' x >"$work/big.json"
eq "413" "$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$work/big.json" "$url?id=$id&t=$tok")" \
   "oversized body refused"
eq "accepted accepted" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY message_id SEPARATOR ' ') FROM messages")" \
   "nothing changed by any of them"
eq "0" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'receipt'")" "and nothing audited as a receipt"

eq "200" "$(post "id=$id&t=$tok" "$delivered")" "genuine receipt accepted"
eq "delivered" "$(sqlg "SELECT state FROM messages WHERE message_id = $id")" "message delivered"
eq "200" "$(post "id=$id&t=$tok" "$failed")" "a later contradicting receipt: 200"
eq "200" "$(post "id=$id&t=$tok" "$delivered")" "a replay: 200"
eq "delivered 1" "$(sqlg "SELECT m.state, (SELECT COUNT(*) FROM audit_log WHERE event = 'receipt' AND message_id = $id) FROM messages m WHERE message_id = $id")" \
   "replays change nothing and are not audited again"
eq "0" "$(sqlg "SELECT COUNT(*) FROM contact_blocks")" "no contact blocked by a replay"

# A genuine failure whose text quotes the number: stored and audited masked.
tok2=$(sqlg "SELECT receipt_token FROM messages WHERE contact_id = 2")
eq "200" "$(post "id=$id2&t=$tok2" '{"id":"y","status":"failed","code":"EC1","text":"subscriber 8613800008002 (+8613800008002) absent"}')" \
   "failed receipt accepted"
eq "EC1 subscriber 86138****8002 (+86138****8002) absent" "$(sqlg "SELECT last_error FROM messages WHERE message_id = $id2")" \
   "the provider's text, the number masked"
hasnt "$(sqlg "SELECT CONCAT(b.reason, a.detail) FROM contact_blocks b, audit_log a WHERE b.contact_id = 2 AND a.message_id = $id2")" \
   "8613800008002" "nor in the block or the audit trail"

kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0 on SIGTERM"
has "$(cat "$work/serve.err")" "dispatch: stopping" "serve logs its stop"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
