#!/bin/sh
# API tokens that open only what their holder needs: `feegate token add
# NAME --scope ...` prints a token once and keeps only its SHA-256 in
# [api] tokens_file; billing's token may queue notices and nothing else,
# the CRM's read timelines, Prometheus's read /metrics. No token or an
# unknown one: 401; a token without the scope: 403; each refusal logged
# with the client's name or address (never the token) and counted; an
# address refused twenty times in a minute waits. The
# old single token_file still works, for every scope, with a warning.
# /metrics may have a listener of its own ([metrics] port): on loopback it
# asks no token.
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sim 19390 "-d 10"
send_conf 19391 "
$(api_sections)"
customer 3300009101 0 G1 "冯涛"; contact 1 3300009101 sms +8613800009101
fgok token add billing --scope notices:write
billing=$(cat "$work/last.out")
eq "64" "${#billing}" "a 256-bit token, in hex"
fgok token add crm --scope timeline:read,tasks:read
crm=$(cat "$work/last.out")
fgok token add prometheus --scope metrics:read
prom=$(cat "$work/last.out")
eq "600" "$(stat -c %a "$work/api-tokens")" "the tokens file: its owner's only"
hasnt "$(cat "$work/api-tokens")" "$billing" "the token itself is not kept"
has "$(cat "$work/api-tokens")" "billing notices:write $(printf '%s' "$billing" | sha256sum | cut -d' ' -f1)" \
    "its SHA-256 is"
rc=0
fg token add billing --scope notices:write >/dev/null 2>"$work/err" || rc=$?
eq "2" "$rc" "a name given twice is refused"
rc=0
fg token add x --scope notices:delete >/dev/null 2>&1 || rc=$?
eq "2" "$rc" "an unknown scope is refused"

"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 10:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
wait_listening 19391 "the API"
api="http://127.0.0.1:19391"
call() { api_call "$@"; }
notice='{"account_no": "3300009101", "kind": "repair_progress", "data": {"ticket": "T1", "status": "ok"}, "idempotency_key": "t1"}'
call "$billing" POST /api/v1/notices "$notice"
eq "202" "$code" "billing queues a notice"
call "$billing" GET /api/v1/accounts/3300009101/timeline
eq "403" "$code" "billing may not read a timeline"
call "$billing" GET /metrics
eq "403" "$code" "nor the metrics"
call "$crm" GET /api/v1/accounts/3300009101/timeline
eq "200" "$code" "the CRM reads the timeline"
call "$crm" GET /api/v1/tasks
eq "200" "$code" "and the tasks"
call "$crm" POST /api/v1/notices "$notice"
eq "403" "$code" "the CRM may not queue a notice"
call "$prom" GET /metrics
eq "200" "$code" "Prometheus reads the metrics"
call "$prom" GET /api/v1/accounts/3300009101/timeline
eq "403" "$code" "and nothing else"
call "" GET /metrics
eq "401" "$code" "no token"
call "0000000000000000000000000000000000000000000000000000000000000000" GET /metrics
eq "401" "$code" "an unknown token"
call "$prom" GET /metrics
has "$(cat "$work/resp")" 'feegate_api_refused_total{status="401"} 2' "refusals counted: 401"
has "$(cat "$work/resp")" 'feegate_api_refused_total{status="403"} 4' "and 403"
has "$(cat "$work/feegate.log")" "api: GET /metrics from billing refused (403)" "a refusal logged with the client's name"
has "$(cat "$work/feegate.log")" "api: GET /metrics from 127.0.0.1 refused (401)" "or, unknown, its address"
# An address refused twenty times in a minute waits, even with a good
# token; another address does not.
for i in $(seq 1 20); do
	curl -s -o /dev/null --interface 127.0.0.2 -H "Authorization: Bearer nope$i" "$api/metrics"
done
code=$(curl -s -o /dev/null -w '%{http_code}' --interface 127.0.0.2 -H "Authorization: Bearer $prom" "$api/metrics")
eq "429" "$code" "the address refused twenty times waits"
has "$(cat "$work/feegate.log")" "from 127.0.0.2: refused 20 times in a minute, waits" "and the wait is logged"
call "$prom" GET /metrics
eq "200" "$code" "another address does not wait"
for t in "$billing" "$crm" "$prom"; do
	hasnt "$(cat "$work/feegate.log" "$work/serve.err")" "$t" "no token in the log"
done
kill -TERM "$serve"
wait "$serve" || fail "serve's exit status"

# The old single token: every scope, and a warning.
printf 'old-Single-T0ken\n' >"$work/api.token"
chmod 600 "$work/api.token"
send_conf 19391 "
[api]
token_file = $work/api.token

[metrics]
port = 19392

[log]
file = $work/feegate2.log"
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 10:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
wait_listening 19391 "the API"
call old-Single-T0ken GET /api/v1/accounts/3300009101/timeline
eq "200" "$code" "the old token reads a timeline"
call old-Single-T0ken GET /metrics
eq "200" "$code" "and the metrics"
has "$(cat "$work/feegate2.log")" "token_file gives one token every scope; it is deprecated" "with a warning"
# /metrics on a listener of its own, on loopback: no token asked.
wait_listening 19392 "the metrics listener"
code=$(curl -s -o "$work/metrics" -w '%{http_code}' http://127.0.0.1:19392/metrics)
eq "200" "$code" "/metrics on its own loopback listener, without a token"
has "$(cat "$work/metrics")" "feegate_audit_chain_length" "the metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:19392/api/v1/tasks)
eq "404" "$code" "and nothing else there"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST http://127.0.0.1:19392/metrics)
eq "405" "$code" "GET only"
kill -TERM "$serve"
wait "$serve" || fail "serve's exit status"
done_ok
