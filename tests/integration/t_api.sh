#!/bin/sh
# The notice API of `serve`: bearer token (401 without), validation with
# the field named (400), size limit (413), unknown account (422),
# idempotency (the same key: the same notice, nothing sent twice; another
# request under a used key: 409; one new key in six requests at once to
# two serves: one notice), routine caps (429, recorded) with urgent
# kinds exempt, GET of a notice with masked addresses, the message really
# sent with the caller's values; and for the call centre's CRM the
# timeline (equal to `feegate log --json`) and the tasks.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19430 "-d 20"
printf 'api-T0ken-4-billing\n' >"$work/api.token"
chmod 600 "$work/api.token"
send_conf 19425 "
[api]
token_file = $work/api.token
max_body = 2048

[caps]
routine_per_day = 2

[log]
file = $work/feegate.log"
customer 3300008801 0 G1 "陈静"; contact 1 3300008801 sms +8613800008801
customer 3300008802 0 G1 "无联系人"   # no contact at all
serve_api "2026-10-02 10:00" 19425 api-T0ken-4-billing
api="http://127.0.0.1:19425/api/v1"
auth="Authorization: Bearer api-T0ken-4-billing"
# call METHOD PATH [BODY] [HEADER]: the status in $code, the answer in $body.
call() {
	code=$(curl -s -D "$work/resp-headers" -o "$work/resp" -w '%{http_code}' -X "$1" -H "${4:-$auth}" \
		-H 'Content-Type: application/json' ${3:+--data-binary "$3"} "$api$2")
	body=$(cat "$work/resp")
}
post() { call POST /notices "$1" "${2:-}"; }
expect() {  # expect CODE FIELD-OR-TEXT WHAT
	eq "$1" "$code" "$3: status"
	has "$body" "$2" "$3: answer"
}

# Authentication.
post '{"account_no": "3300008801", "kind": "payment_received", "data": {"amount": "1.00"}, "idempotency_key": "k0"}' "X-Nothing: 1"
expect 401 "bearer token" "no token"
curl -s -D "$work/headers" -o /dev/null -X POST "$api/notices" -d '{}'
has "$(cat "$work/headers")" "WWW-Authenticate: Bearer" "the challenge"
post '{"account_no": "3300008801", "kind": "payment_received", "data": {"amount": "1.00"}, "idempotency_key": "k0"}' \
     "Authorization: Bearer api-T0ken-4-billinG"
expect 401 "bearer token" "a wrong token"
call GET /notices/1 "" "X-Nothing: 1"
expect 401 "bearer token" "GET without a token"
eq "0 0" "$(sqlg "SELECT (SELECT COUNT(*) FROM notices), (SELECT COUNT(*) FROM audit_log)")" \
   "nothing queued or audited without a valid token"

# Validation: the field at fault is named.
post '{"account_no": "3300008801", "kind": '
expect 400 "not JSON" "broken JSON"
post '{"account_no": "3300008801", "kind": "payment_received", "data": {"amount": "1.00"}, "idempotency_key": "k1", "colour": 1}'
expect 400 '"field":"colour"' "unknown field"
post '{"kind": "payment_received", "data": {"amount": "1.00"}, "idempotency_key": "k1"}'
expect 400 '"field":"account_no"' "missing account"
post '{"account_no": "3300008801; DROP TABLE notices", "kind": "payment_received", "data": {"amount": "1"}, "idempotency_key": "k1"}'
expect 400 '"field":"account_no"' "account with SQL in it"
post '{"account_no": "3300008801", "kind": "dunning_1", "data": {}, "idempotency_key": "k1"}'
expect 400 '"field":"kind"' "a kind the API does not take"
post '{"account_no": "3300008801", "kind": "payment_received", "data": {}, "idempotency_key": "k1"}'
expect 400 '"field":"data.amount"' "required data missing"
post '{"account_no": "3300008801", "kind": "payment_received", "data": {"amount": "-5"}, "idempotency_key": "k1"}'
expect 400 '"field":"data.amount"' "negative amount"
post '{"account_no": "3300008801", "kind": "payment_received", "data": {"amount": "5.00", "ticket": "x"}, "idempotency_key": "k1"}'
expect 400 '"field":"data.ticket"' "a field of another kind"
post "{\"account_no\": \"3300008801\", \"kind\": \"repair_progress\", \"data\": {\"ticket\": \"R1\", \"status\": \"$(printf '%070d' 0)\"}, \"idempotency_key\": \"k1\"}"
expect 400 '"field":"data.status"' "status too long"
post "$(printf '{"account_no": "3300008801", "kind": "repair_progress", "data": {"ticket": "R1", "status": "\377\376"}, "idempotency_key": "k1"}')"
expect 400 "not JSON" "invalid UTF-8"
post '{"account_no": "3300008801", "kind": "bill_issued", "data": {"amount": "5.00", "period": "2026-13", "due_date": "2026-10-20"}, "idempotency_key": "k1"}'
expect 400 '"field":"data.period"' "a month that does not exist"
post '{"account_no": "3300008801", "kind": "repair_progress", "data": {"ticket": "<script>", "status": "ok"}, "idempotency_key": "k1"}'
expect 400 '"field":"data.ticket"' "markup in a ticket number"
post '{"account_no": "3300008801", "account_no": "3300008802", "kind": "payment_received", "data": {"amount": "1.00"}, "idempotency_key": "k1"}'
expect 400 "duplicate" "a key given twice"
post "{\"account_no\": \"3300008801\", \"kind\": \"payment_received\", \"data\": {\"amount\": \"1.00\"}, \"idempotency_key\": \"$(printf '%03000d' 0)\"}"
expect 413 "too large" "a body over max_body"
post '{"account_no": "NOBODY", "kind": "payment_received", "data": {"amount": "1.00"}, "idempotency_key": "k1"}'
expect 422 '"field":"account_no"' "an account billing does not know"
# The hostile corpus: each refused with a 4xx and a JSON error.
for f in "$top"/tests/data/hostile/api/*.json; do
	code=$(curl -s -o "$work/resp" -w '%{http_code}' -X POST -H "$auth" -H 'Content-Type: application/json' \
		--data-binary "@$f" "$api/notices")
	case "$code" in 400 | 413 | 422) ;; *) fail "$(basename "$f"): status $code" ;; esac
	has "$(cat "$work/resp")" '"error"' "$(basename "$f"): a JSON error"
done
eq "0" "$(sqlg "SELECT COUNT(*) FROM notices")" "nothing queued by any of these"

# A payment received: queued, sent with the caller's amount, readable.
pay='{"account_no": "3300008801", "kind": "payment_received", "data": {"amount": "88.00"}, "idempotency_key": "pay-2026-10-02-0001"}'
post "$pay"
expect 202 '"state":"planned"' "accepted"
id=$(echo "$body" | sed 's/.*"notice_id":\([0-9]*\).*/\1/')
i=0
until [ "$(sim_count +8613800008801)" = 1 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the payment notice was not sent: $(tail -3 "$work/feegate.log")"; sleep 0.1
done
has "$(awk -F'\t' '{ print $5 }' "$work/sim.tsv")" "陈静客户：您的户号3300****01已成功缴纳电费¥88.00" "the text, with the caller's amount"
i=0
until [ "$(sqlg "SELECT state FROM messages WHERE notice_id = $id")" = delivered ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "no receipt"; sleep 0.1
done
call GET "/notices/$id"
expect 200 '"kind":"payment_received"' "GET the notice"
has "$(cat "$work/resp-headers")" "X-Content-Type-Options: nosniff" "API answers: no content sniffing"
has "$(cat "$work/resp-headers")" "Referrer-Policy: same-origin" "API answers: no referrer"
has "$body" '"address":"+86138****8801"' "its message, masked"
has "$body" '"state":"delivered"' "and delivered"
eq "delivered planned" "$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["state"])' "$work/resp") $(sqlg "SELECT state FROM notices WHERE notice_id = $id")" \
	"the notice reads delivered from its message (its row is not written for it)"
hasnt "$body" "8613800008801" "no full number"
call GET /notices/999999
expect 404 "no such notice" "an unknown notice"
call GET /notices
expect 405 "use POST" "GET on the collection"

# The same key again: the same notice, nothing sent twice.
post "$pay"
expect 202 "\"notice_id\":$id" "replay: the same notice"
has "$body" '"state":"delivered"' "replay: the notice as it stands"
has "$body" '"replayed":true' "marked as a replay"
post '{"account_no": "3300008801", "kind": "payment_received", "data": {"amount": "99.00"}, "idempotency_key": "pay-2026-10-02-0001"}'
expect 409 '"field":"idempotency_key"' "another request under a used key"
sleep 0.5
eq "1 1" "$(sqlg "SELECT COUNT(*) FROM notices") $(sim_count +8613800008801)" "one notice, one SMS"

# Caps: two routine notices a day; the third is refused and recorded;
# repair progress is exempt.
bill() {  # bill KEY
	post "{\"account_no\": \"3300008801\", \"kind\": \"bill_issued\", \"data\": {\"amount\": \"120.50\", \"period\": \"2026-09\", \"due_date\": \"2026-10-20\"}, \"idempotency_key\": \"$1\"}"
}
bill b1; expect 202 planned "first bill notice"
bill b2; expect 202 planned "second bill notice"
bill b3; expect 429 "routine_per_day" "third bill notice of the day"
eq '1 {"kind":"bill_issued","routine_per_day":2}' \
   "$(sqlg "SELECT COUNT(*), MAX(detail) FROM audit_log WHERE event = 'notice_capped' AND account_no = '3300008801'")" \
   "the refusal is audited"
for k in r1 r2 r3; do
	post "{\"account_no\": \"3300008801\", \"kind\": \"repair_progress\", \"data\": {\"ticket\": \"GD-0099\", \"status\": \"抢修人员已到达现场\"}, \"idempotency_key\": \"$k\"}"
	expect 202 planned "repair progress $k: urgent kinds are not capped"
done
eq "1 1" "$(sqlg "SELECT MIN(urgent), MIN(anytime) FROM notices WHERE kind = 'repair_progress'")" "repair progress is urgent"
i=0
until [ "$(sim_count +8613800008801)" -ge 6 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "not all sent: $(sim_count +8613800008801)"; sleep 0.1
done
has "$(awk -F'\t' '{ print $5 }' "$work/sim.tsv")" "工单GD-0099）进度：抢修人员已到达现场" "the caller's ticket and status"
has "$(awk -F'\t' '{ print $5 }' "$work/sim.tsv")" "2026年9月电费¥120.50已出账，请于2026年10月20日前缴纳" "the bill's values"

# Template syntax in a caller's text is text: said as written, never
# expanded.
post '{"account_no": "3300008801", "kind": "repair_progress", "data": {"ticket": "GD-0100", "status": "{{hotline}}{{account}}"}, "idempotency_key": "tpl"}'
expect 202 planned "template syntax in a status"
i=0
until grep -q "GD-0100" "$work/sim.tsv"; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the notice with template syntax was not sent"; sleep 0.1
done
has "$(grep GD-0100 "$work/sim.tsv")" "进度：{{hotline}}{{account}}。" "sent literally"

# Idempotency keys compare byte for byte, and any visible ASCII goes.
rp() {  # rp TICKET KEY: a repair progress notice (urgent: never capped)
	post "{\"account_no\": \"3300008801\", \"kind\": \"repair_progress\", \"data\": {\"ticket\": \"$1\", \"status\": \"ok\"}, \"idempotency_key\": \"$2\"}"
}
nid() { echo "$body" | sed 's/.*"notice_id":\([0-9]*\).*/\1/'; }
rp K1 Case-Key-1; expect 202 planned "a key"
k1=$(nid)
rp K2 CASE-KEY-1; expect 202 planned "the same key in capitals: another key, not 409"
[ "$(nid)" != "$k1" ] || fail "CASE-KEY-1 got Case-Key-1's notice"
rp K3 case-key-1; expect 202 planned "in lower case: a third key"
hasnt "$body" '"replayed":true' "not a replay of another key"
rp K4 'order#42'; expect 202 planned "a key with '#'"
rp K5 'x<>[]{}|^`%?y'; expect 202 planned "a key of other visible ASCII"
eq "5" "$(sqlg "SELECT COUNT(*) FROM notices WHERE request_key IN ('Case-Key-1', 'CASE-KEY-1', 'case-key-1', 'order#42', 'x<>[]{}|^\`%?y')")" \
   "five keys, five notices"
rp K6 'a b'; expect 400 '"field":"idempotency_key"' "a space is not visible ASCII"
# A path with an encoded NUL is not the notices' path.
call POST "/notices%00" '{"account_no": "3300008801", "kind": "repair_progress", "data": {"ticket": "N0", "status": "ok"}, "idempotency_key": "nul"}'
eq "404" "$code" "POST /notices%00"
eq "0" "$(sqlg "SELECT COUNT(*) FROM notices WHERE request_key = 'nul'")" "nothing queued through it"
# A body declared too large is refused at once, not after it came (or
# after the 30 s the server waits for it).
t0=$(date +%s)
code=$(curl -s -o "$work/resp" -w '%{http_code}' --max-time 10 -X POST -H "$auth" -H 'Content-Type: application/json' \
	-H 'Content-Length: 104857600' -H 'Expect:' --data-binary '{"a":1}' "$api/notices")
eq "413" "$code" "a declared 100 MB body: 413"
[ $(($(date +%s) - t0)) -le 3 ] || fail "the 413 took $(($(date +%s) - t0)) s"
# settled WHEN: every message sent and its receipt landed (10 s at most).
settled() {
	i=0
	until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE state IN ('queued', 'retry', 'leased', 'submitting', 'accepted')")" = 0 ]; do
		i=$((i + 1)); [ $i -lt 100 ] || fail "messages still in flight $1"; sleep 0.1
	done
}
# A progress receipt posted again (a provider's retry) is audited once.
# The notices before it settled first: one the simulator took while its
# receipts were off would wait for a receipt for ever (seen once in
# `make test`: "messages still in flight" below).
settled "before the simulator's receipts are turned off"
sim_control '{"no_receipts": true}'
rp K7 progress-once; expect 202 planned "a notice whose receipts we post ourselves"
i=0
until [ "$(sqlg "SELECT m.state FROM messages m JOIN notices n USING (notice_id) WHERE n.request_key = 'progress-once'")" = accepted ]; do
	i=$((i + 1)); [ $i -lt 100 ] || fail "the message was not accepted"; sleep 0.1
done
sim_control '{"no_receipts": false}'
set -- $(sqlg "SELECT m.message_id, m.receipt_token FROM messages m JOIN notices n USING (notice_id) WHERE n.request_key = 'progress-once'")
for k in 1 2 3; do
	code=$(curl -s -o "$work/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary '{"id": "sim-x", "status": "sent"}' "http://127.0.0.1:19425/receipts/sim?id=$1&t=$2")
	eq "200" "$code" "progress receipt, post $k"
done
# Other codes between, one with the separator the row keeps them by (a
# newline) and one quoting the number: each is one row however often it
# comes, and "sent" is still known after them.
for b in '{"id": "sim-x", "status": "queued", "code": "at\nSMSC"}' '{"id": "sim-x", "status": "queued", "code": "at\nSMSC"}' \
	'{"id": "sim-x", "status": "queued", "code": "to 8613800008801"}' '{"id": "sim-x", "status": "queued", "code": "to 8613800008801"}' \
	'{"id": "sim-x", "status": "sent"}'; do
	code=$(curl -s -o "$work/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
		--data-binary "$b" "http://127.0.0.1:19425/receipts/sim?id=$1&t=$2")
	eq "200" "$code" "progress receipt $b"
done
code=$(curl -s -o "$work/resp" -w '%{http_code}' -H 'Content-Type: application/json' \
	--data-binary '{"id": "sim-x", "status": "delivered"}' "http://127.0.0.1:19425/receipts/sim?id=$1&t=$2")
eq "200" "$code" "the final receipt"
eq "3 1" "$(sqlg "SELECT SUM(JSON_VALUE(detail, '$.status') = 'progress'), SUM(JSON_VALUE(detail, '$.status') = 'delivered')
                  FROM audit_log WHERE event = 'receipt' AND message_id = $1")" "one progress row a code, one delivered row"
hasnt "$(sqlg "SELECT detail FROM audit_log WHERE event = 'receipt' AND message_id = $1")" "13800008801" "the number quoted in a code is masked"

# A customer with nobody to tell: accepted, failed at once, unreachable.
post '{"account_no": "3300008802", "kind": "payment_received", "data": {"amount": "1.00"}, "idempotency_key": "a2"}'
expect 202 '"unreachable":true' "unreachable at once"

# For the call centre's CRM: the timeline (the same document as `feegate
# log --json`) and the collection tasks. First let every receipt land, so
# that both read the same state.
settled "before the timeline"
call GET /accounts/3300008801/timeline
eq "200" "$code" "timeline"
cp "$work/resp" "$work/api-timeline.json"
fgok log 3300008801 --json
/usr/bin/python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
	"$work/api-timeline.json" "$work/last.out" || fail "the API timeline differs from feegate log --json"
hasnt "$body" "8613800008801" "no full number in the timeline"
call GET /accounts/NOBODY/timeline
expect 404 "no such account" "an unknown account's timeline"
call GET /accounts/3300008801/timeline "" "X-Nothing: 1"
expect 401 "bearer token" "timeline without a token"
call GET "/tasks?state=open"
eq "200" "$code" "tasks"
eq "[]" "$(echo "$body" | tr -d ' \n')" "no tasks yet"
# Two tasks in two grids (as escalation would raise them): the API lists
# what `feegate tasks --json` lists, filtered the same way.
sqlg "INSERT INTO collection_tasks (account_no, case_id, grid_id, amount_due, notices_failed, notices_delivered, reason, created_on)
      VALUES ('3300008801', 901, 'G1', 150.00, 3, 2, 'three notices failed', '2026-10-02'),
             ('3300008802', 902, 'G2', 75.50, 3, 0, 'three notices failed', '2026-10-02')" >/dev/null
for f in "" "?grid=G2" "?grid=G1&state=open" "?state=done"; do
	call GET "/tasks$f"
	eq "200" "$code" "tasks$f"
	cp "$work/resp" "$work/api-tasks.json"
	args=$(echo "$f" | sed 's/^?//; s/grid=\([^&]*\)/--grid \1/; s/state=\([^&]*\)/--state \1/; s/&/ /')
	# shellcheck disable=SC2086
	fgok tasks $args --json
	/usr/bin/python3 -c 'import json, sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' \
		"$work/api-tasks.json" "$work/last.out" || fail "tasks$f: the API differs from feegate tasks --json"
done
call GET "/tasks?grid=G2"
has "$body" '"account_no":"3300008802"' "the grid's task"
hasnt "$body" "3300008801" "not the other grid's"
call GET "/tasks?state=bogus"
expect 400 '"field":"state"' "an unknown task state"

# Metrics for the operators' Prometheus (the same bearer token).
call GET /metrics "" "X-Nothing: 1"
eq "401" "$code" "metrics without a token"
code=$(curl -s -o "$work/metrics" -w '%{http_code}' -H "$auth" "http://127.0.0.1:19425/metrics")
eq "200" "$code" "metrics"
m=$(cat "$work/metrics")
delivered=$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state = 'delivered'")
has "$m" "feegate_provider_messages_total{provider=\"sim\",result=\"sent\"} $delivered" "what serve sent, as the database has it delivered"
has "$m" "feegate_audit_chain_length $(sqlg "SELECT seq FROM audit_head")" "the audit chain's length"
has "$m" "feegate_tasks_open 2" "tasks waiting for a collector"
sent=$(awk -F' ' '/^feegate_provider_latency_seconds_count\{provider="sim"\}/ { print $2 }' "$work/metrics")
[ "${sent:-0}" -ge 6 ] || fail "provider latency histogram: $sent requests counted"
eq "$sent" "$(awk -F' ' '/^feegate_provider_latency_seconds_bucket\{provider="sim",le="\+Inf"\}/ { print $2 }' "$work/metrics")" \
   "the +Inf bucket holds every request"
rc=$(awk '/^feegate_receipts_total/ { print $2 }' "$work/metrics")
[ "${rc:-0}" -ge 6 ] || fail "receipts counted: $rc"
has "$m" "# TYPE feegate_provider_latency_seconds histogram" "typed"

# The same new key in six requests at once, three to this serve and
# three to a second one on the same database (a client's retries racing
# its first try through a load balancer; one serve takes its API
# requests one at a time, two do not): one notice and one key row; every
# request answered with that notice, all but one as replays.
sed "s/^port = 19425$/port = 19426/; s|^public_url = .*|public_url = http://127.0.0.1:19426|" "$conf" >"$work/second.ini"
serve_start "$work/second.ini" "2026-10-02 10:00" serve2
serve2=$serve_pid
wait_listening 19426 "the second serve's API"
race='{"account_no": "3300008801", "kind": "repair_progress", "data": {"ticket": "GD-0100", "status": "已恢复供电"}, "idempotency_key": "race-1"}'
racers=""
for k in 1 2 3 4 5 6; do
	curl -s -o "$work/race-$k" -w '%{http_code}\n' -X POST -H "$auth" -H 'Content-Type: application/json' \
		--data-binary "$race" "http://127.0.0.1:$((19425 + k % 2))/api/v1/notices" >"$work/race-$k.code" &
	racers="$racers $!"
done
for p in $racers; do wait "$p" || fail "a racing request failed"; done
eq "202 202 202 202 202 202" "$(cat "$work"/race-?.code | tr '\n' ' ' | sed 's/ $//')" "six at once: all accepted"
eq "1 1" "$(sqlg "SELECT (SELECT COUNT(*) FROM notices WHERE request_key LIKE '%race-1'),
	(SELECT COUNT(*) FROM notice_requests WHERE request_key LIKE '%race-1')")" "six at once: one notice, one key"
rid=$(sqlg "SELECT notice_id FROM notices WHERE request_key LIKE '%race-1'")
eq "6" "$(grep -l "\"notice_id\":$rid[,}]" "$work"/race-? | wc -l | tr -d ' ')" "six at once: each answered with that notice"
eq "5" "$(grep -l '"replayed":true' "$work"/race-? | wc -l | tr -d ' ')" "six at once: five replays"
kill -TERM "$serve2"
wait "$serve2" || fail "the second serve did not exit 0"
grep -q Sanitizer "$work/serve2.err" && fail "sanitizer report: $(cat "$work/serve2.err")"

kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0"
hasnt "$(cat "$work/feegate.log" "$work/serve.err")" "api-T0ken" "the token never logged"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
