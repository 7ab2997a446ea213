#!/bin/sh
# /metrics as an on-call engineer's Prometheus reads it from serve's own
# listener, and the alert rules shipped for it: promtool accepts both; the build's version; per provider what
# this process sent and its receipts, what it refused (an unreadable
# receipt, one for no message of ours), whether it is paused; the last
# night that ran to its end and the last `audit verify`, whoever ran
# them; and a scrape reads a bounded number of rows however many
# messages the outbox keeps (20,000 delivered ones here: the first
# /metrics counted every one of them at each scrape).
. "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail_now "promtool missing (scripts/bootstrap.sh installs prometheus)"
# The alert rules shipped: valid, and each fires on the series that should
# raise it and not before (feegate-alerts.test.yml).
out=$(cd "$top/scripts/prometheus" && promtool check rules feegate-alerts.yml 2>&1 &&
	promtool test rules feegate-alerts.test.yml 2>&1) || fail_now "the alert rules: $out"
fresh_schemas
sms_accounts 6
start_sim 19470
send_conf 19471 "
[schedule]
nightly_at = 23:59

[metrics]
listen = 127.0.0.1
port = 19472"
# The outbox's history: 20,000 delivered messages of earlier nights. And
# calls no provider takes (no voice channel here): three made at 00:00
# UTC, a retry due since 01:00, one due tomorrow (serve's now is 02:00
# UTC): four due, the oldest waiting two hours.
sqlg "INSERT INTO messages (notice_id, account_no, channel, contact_id, address, state, created_on, priority)
      SELECT 1000000 + seq, 'H1', 'sms', 1000000 + seq, '+8613900000000', 'delivered', '2026-09-01', 0
      FROM seq_1_to_20000"
sqlg "INSERT INTO messages (notice_id, account_no, channel, contact_id, address, state, created_on,
        created_at, priority, next_attempt_at)
      SELECT 2000000 + seq, 'H2', 'voice', 2000000 + seq, '+8613900000001', IF(seq > 3, 'retry', 'queued'),
        '2026-10-02', '2026-10-02 00:00:00', seq = 2,
        ELT(seq, NULL, NULL, NULL, '2026-10-02 01:00:00', '2026-10-03 01:00:00')
      FROM seq_1_to_5"
scrape() { curl -sf "http://127.0.0.1:19472/metrics" >"$work/metrics" || fail "GET /metrics"; m=$(cat "$work/metrics"); }
value() { awk -v k="$1" '$1 == k { print $2 }' "$work/metrics"; }

"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-02 10:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
wait_listening 19472 "serve's metrics listener"
scrape
out=$(promtool check metrics <"$work/metrics" 2>&1) || fail "promtool check metrics: $out"
eq "1" "$(value "feegate_build_info{version=\"$(cat "$top/VERSION")\"}")" "build_info names the version"
eq "0" "$(value feegate_last_night_success_timestamp_seconds)" "no night has finished yet"
eq "0" "$(value feegate_audit_verify_last_timestamp_seconds)" "no audit verify yet"
eq "1" "$(value feegate_audit_verify_intact)" "nothing found broken"
eq "0" "$(value 'feegate_provider_paused{provider="sim"}')" "the provider, known before it sends, not paused"
for ch in sms email push; do
	eq "0" "$(value "feegate_queue_depth{channel=\"$ch\"}")" "an empty queue: $ch"
done
eq "4" "$(value 'feegate_queue_depth{channel="voice"}')" "the calls due, urgent or not, queued or to retry"
oldest=$(value 'feegate_oldest_due_seconds{channel="voice"}')
[ "$oldest" -ge 7200 ] && [ "$oldest" -lt 7300 ] || fail "the oldest call due waited $oldest s, not about 7200"

# A night planned in another process; serve sends it and takes the
# receipts.
fgok plan --date 2026-10-02 --now "2026-10-02 10:00"
i=0
until [ "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered' AND account_no <> 'H1'")" = 6 ]; do
	peers_alive
	i=$((i + 1)); [ $i -lt 100 ] || fail "serve did not deliver the night"; sleep 0.1
done
scrape
eq "6" "$(value 'feegate_provider_messages_total{provider="sim",result="sent"}')" "six sent by this process"
eq "0" "$(value 'feegate_provider_messages_total{provider="sim",result="failed"}')" "none failed"
eq "6" "$(value 'feegate_receipts_total{provider="sim"}')" "six receipts applied"

# Rows the server reads a scrape: the queue's index range and a few
# rows by key, not the 20,006 messages.
r0=$(handler_reads)
for i in 1 2 3 4 5 6 7 8 9 10; do scrape; done
r1=$(handler_reads)
[ $(( (r1 - r0) / 10 )) -lt 2000 ] || fail "a scrape read $(( (r1 - r0) / 10 )) rows"

# Receipts refused: one no adapter reads, one for no message of ours.
rcpt() { curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d "$2" \
	"http://127.0.0.1:19471/receipts/sim?$1"; }
eq "400" "$(rcpt "id=1" "not json")" "an unreadable receipt"
eq "403" "$(rcpt "id=999999&t=00000000000000000000000000000000" '{"id":"x","status":"delivered"}')" "a receipt for no message"
eq "403" "$(rcpt "id=999998&t=00000000000000000000000000000000" '{"id":"x","status":"delivered"}')" "and another"
scrape
eq "1" "$(value 'feegate_receipts_refused_total{provider="sim",reason="unreadable"}')" "counted: unreadable"
eq "2" "$(value 'feegate_receipts_refused_total{provider="sim",reason="unknown"}')" "counted: unknown"

# The night run to its end by `feegate run` (another process, with a
# receipt listener of its own): its end and how long it took.
sed 's/^port = 19471$/port = 19473/; s|^public_url = http://127.0.0.1:19471$|public_url = http://127.0.0.1:19473|' \
	"$conf" >"$work/run.ini"
t0=$(date +%s)
"$FEEGATE_BIN" -c "$work/run.ini" run --date 2026-10-02 --now "2026-10-02 10:00" >"$work/run.out" 2>"$work/run.err" ||
	fail "feegate run: $(tail -5 "$work/run.err")"
t1=$(date +%s)
scrape
ts=$(value feegate_last_night_success_timestamp_seconds)
ts=${ts%%.*}
[ "${ts:-0}" -ge "$t0" ] && [ "$ts" -le "$t1" ] || fail "last night's end $ts not within $t0..$t1"
awk -v d="$(value feegate_last_night_duration_seconds)" -v w="$((t1 - t0 + 1))" 'BEGIN { exit !(d > 0 && d <= w) }' ||
	fail "the night's duration $(value feegate_last_night_duration_seconds) s"

# audit verify, whoever runs it: its time, and a broken chain as 0.
fgok audit verify
scrape
[ "$(value feegate_audit_verify_last_timestamp_seconds | cut -d. -f1)" -ge "$t0" ] || fail "audit verify's time"
eq "1" "$(value feegate_audit_verify_intact)" "intact"
s=$(sqlg "SELECT MIN(seq) FROM audit_log")
sqlg "UPDATE audit_log SET actor = 'staff' WHERE seq = $s"
run_rc 1 "audit verify of a broken chain" fg audit verify
scrape
eq "0" "$(value feegate_audit_verify_intact)" "broken: the alert's 0"

# A provider in trouble for everything it is sent: paused, and said so.
sim_control '{"fail_5xx": 1.0}'
for i in 1 2 3; do customer "L$i"; contact $((100 + i)) "L$i" sms "+8613800007${i}00"; bill "LB$i" "L$i" 50.00 2026-10-01; done
fgok plan --date 2026-10-03 --now "2026-10-03 10:00"
i=0
until scrape && [ "$(value 'feegate_provider_paused{provider="sim"}')" = 1 ]; do
	peers_alive
	i=$((i + 1)); [ $i -lt 150 ] || fail "the provider never shown paused"; sleep 0.1
done
[ "$(value 'feegate_provider_messages_total{provider="sim",result="retried"}')" -ge 1 ] || fail "503s counted as retried"
out=$(promtool check metrics <"$work/metrics" 2>&1) || fail "promtool check metrics: $out"
kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0"
done_ok
