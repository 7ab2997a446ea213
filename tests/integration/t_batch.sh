#!/bin/sh
# The generic API's batch form ([provider] batch = N): many messages in a
# request, each with its own result; receipts posted back in batches; a
# request's trouble (503, no answer) is each of its messages'; an answer
# lost after the platform took a batch sends it again with each message's
# Idempotency-Key and nothing reaches a phone twice; a batch of receipts
# is written as one, forged entries in it refused and the others applied.
. "$(dirname "$0")/lib.sh"
start_sim 18630 "-d 10 -b 7"

# A: 300 messages in batches of at most 20; number 7 is invalid (refused
# inside a batch the platform otherwise took), number 11 gets a "failed"
# receipt (inside a batch of receipts).
fresh_schemas
sms_accounts 300 B
sim_control '{"invalid_prefix": "+8613800000007", "undeliverable_prefix": "+8613800000011"}'
BATCH=20 CONCURRENCY=64 RATE=100000 send_conf 18625 "receipt_wait = 30"
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "298" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "A: every other message delivered"
eq "failed_permanent" "$(sqlg "SELECT state FROM messages WHERE account_no = 'B7'")" "A: the invalid number, refused in its batch"
has "$(sqlg "SELECT last_error FROM messages WHERE account_no = 'B7'")" "invalid_number" "A: with the platform's code"
has "$(sqlg "SELECT reason FROM contact_blocks WHERE contact_id = 7")" "invalid_number" "A: and its contact blocked"
eq "failed_permanent" "$(sqlg "SELECT state FROM messages WHERE account_no = 'B11'")" "A: the failed receipt from a batch of receipts"
eq "299 0" "$(sim_stat received) $(sim_stat duplicates)" "A: the platform took 299, none twice"
requests=$(sim_stat sms_requests)
[ "$requests" -ge 15 ] && [ "$requests" -le 60 ] ||
	fail "A: $requests requests for 300 messages (batches of 20: 15 at least; one each would be 300)"
posts=$(sim_stat receipt_posts)
[ "$posts" -ge 43 ] && [ "$posts" -lt 299 ] ||
	fail "A: $posts receipt posts for 299 receipts (batches of 7: 43 at least)"
eq "299" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'receipt'")" "A: each receipt audited once"
eq "300" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'message_attempt'")" "A: each attempt audited once"
echo "     A: 300 messages in $requests requests, 299 receipts in $posts posts"

# L: the platform takes every batch and its answers are lost (timeouts):
# each message is in doubt and goes again with its own key; the platform
# answers the keys it has taken as before and sends nothing twice.
fresh_schemas
sms_accounts 40 L
replays=$(sim_stat replays)
received=$(sim_stat received)
sim_control '{"lost_answer": 1.0, "no_receipts": true, "invalid_prefix": "", "undeliverable_prefix": ""}'
BATCH=20 CONCURRENCY=64 RATE=100000 TIMEOUT=1 send_conf 18625 "receipt_wait = 2"
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
# (Five failures in a row pause the provider; a batch's failures are its
# messages', so the first batch's later ones come back without an attempt
# counted, as provider-wide trouble does.)
eq "40" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'retry' AND last_error LIKE 'timeout%'")" "L: a lost answer leaves every message of the batch in doubt"
eq "$((received + 40))" "$(sim_stat received)" "L: though the platform took them"
sim_control '{"lost_answer": 0, "no_receipts": false}'
fgok dispatch --now "2026-10-02 10:01"
eq "40" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state IN ('accepted', 'delivered')")" "L: answered when sent again"
eq "$((received + 40)) $((replays + 40))" "$(sim_stat received) $(sim_stat replays)" "L: as 40 replays: nothing sent twice"

# F: every request gets a 503: each message of the batch fails its attempt
# (temporary, nothing given up), and all go once the platform is back.
fresh_schemas
sms_accounts 40 F
sim_control '{"fail_5xx": 1.0}'
BATCH=20 CONCURRENCY=64 RATE=100000 send_conf 18625 "receipt_wait = 2"
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state IN ('accepted', 'delivered', 'expired', 'failed_permanent')")" \
	"F: nothing taken, nothing given up"
has "$(sqlg "SELECT DISTINCT last_error FROM messages WHERE attempts > 0")" "HTTP 503" "F: the request's 503 is each message's error"
sim_control '{"fail_5xx": 0}'
fgok dispatch --now "2026-10-02 10:05"
eq "40" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "F: all delivered after the outage"

# R: receipts posted in a batch, to the endpoint without ?id=&t= (the
# gateway's receipt server kept up by `serve`, stopped by PID).
fresh_schemas
sms_accounts 3 R
sim_control '{"no_receipts": true}'
BATCH=20 send_conf 18625 "receipt_wait = 2"
fgok plan --date 2026-10-02
serve_accepted 3 "2026-10-02 10:00"
id1=$(sqlg "SELECT message_id FROM messages WHERE account_no = 'R1'")
tok1=$(sqlg "SELECT receipt_token FROM messages WHERE account_no = 'R1'")
id2=$(sqlg "SELECT message_id FROM messages WHERE account_no = 'R2'")
tok2=$(sqlg "SELECT receipt_token FROM messages WHERE account_no = 'R2'")
id3=$(sqlg "SELECT message_id FROM messages WHERE account_no = 'R3'")
post() { curl -s -w ' %{http_code}' -X POST -H 'Content-Type: application/json' -d "$1" http://127.0.0.1:18625/receipts/sim; }
eq '{"error":"not a valid receipt"} 400' "$(post '{"receipts":[{"message_id":"'"$id1"'","token":"'"$tok1"'","status":"delivered"},7]}')" \
	"R: a batch with an entry that is not a receipt is refused whole"
eq '{"error":"not a valid receipt"} 400' "$(post '{"receipts":[]}')" "R: an empty batch is refused"
eq "accepted accepted accepted" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY message_id SEPARATOR ' ') FROM messages")" \
	"R: nothing changed by them"
batch='{"receipts":[{"message_id":"'"$id1"'","token":"'"$tok1"'","id":"p1","status":"delivered"},
	{"message_id":"'"$id2"'","token":"'"$tok1"'","id":"p2","status":"failed","code":"spoofed"},
	{"message_id":"'"$id3"'","id":"p3","status":"failed","code":"spoofed"},
	{"message_id":"'"$id2"'","token":"'"$tok2"'","id":"p2","status":"delivered"}]}'
eq '{"ok":true,"receipts":4,"duplicates":0,"refused":2} 200' "$(post "$batch")" \
	"R: a batch with forged entries: the genuine ones applied"
eq "delivered delivered accepted" "$(sqlg "SELECT GROUP_CONCAT(state ORDER BY message_id SEPARATOR ' ') FROM messages")" \
	"R: another message's token and no token changed nothing"
eq '{"ok":true,"receipts":4,"duplicates":2,"refused":2} 200' "$(post "$batch")" "R: the batch again: duplicates"
eq "2" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'receipt'")" "R: two receipts audited, once each"
has "$(cat "$work/serve.err")" "msg=$id3 provider=sim refused" "R: the refused entry is logged"
kill "$serve"
wait "$serve" || fail "R: serve did not stop cleanly"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
