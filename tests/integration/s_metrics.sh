#!/bin/sh
# /metrics with a province's outbox (`make test-scale`, run by .ci/run):
# 10,000,000 message rows, 100,000 of them due (scripts/gen-messages.sh,
# about 70 s here). The queue serve reports is the one in the table,
# counted by an index; a scrape reads a handful of rows, not the ten
# million (the first /metrics read every one of them: 3.3 s at this
# size). Its time is measured by scripts/bench-metrics.sh, not here.
. "$(dirname "$0")/lib.sh"
rows=${FEEGATE_SCALE_ROWS:-10000000} due=${FEEGATE_SCALE_DUE:-100000}
fresh_schemas "
[channels]
email = idle

$(smtp_section idle 9)

$(serve_sections 19498)

[metrics]
listen = 127.0.0.1
port = 19499"
dropped() { mysql_cli -e "DROP DATABASE IF EXISTS \`$gschema\`" || true; }
exit_hooks="$exit_hooks dropped"
"$top/scripts/gen-messages.sh" "$sock" "$gschema" "$rows" "$due" || fail_now "generating $rows rows"
eq "$rows" "$(sqlg "SELECT COUNT(*) FROM messages")" "the rows generated"

# serve's now is 02:00 UTC: every queued row is due, the retries since
# 01:00, the oldest made two hours before.
"$FEEGATE_BIN" -c "$conf" serve --now "2026-10-01 10:00" >"$work/serve.out" 2>"$work/serve.err" &
serve=$!
bg_pids="$bg_pids $serve"
wait_listening 19499 "serve's metrics listener"
scrape() { curl -sf "http://127.0.0.1:19499/metrics" >"$work/metrics" || fail "GET /metrics"; }
depth() { awk '/^feegate_queue_depth\{/ { n += $2 } END { print n + 0 }' "$work/metrics"; }
i=0
until scrape && [ "$(depth)" = "$due" ]; do
	i=$((i + 1)); [ $i -lt 300 ] || fail "queue depth $(depth), not $due: $(grep queue_depth "$work/metrics")"
	sleep 0.1
done
for ch in sms voice push; do
	eq "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = '$ch' AND state IN ('queued', 'retry')")" \
	   "$(awk -v k="feegate_queue_depth{channel=\"$ch\"}" '$1 == k { print $2 }' "$work/metrics")" "$ch due, as the table has it"
done
oldest=$(awk '/^feegate_oldest_due_seconds\{channel="sms"\}/ { print $2 }' "$work/metrics")
[ "$oldest" -ge 7200 ] && [ "$oldest" -lt 7400 ] || fail "the oldest SMS due waited $oldest s, not about 7200"

# Rows the server reads in 20 scrapes (Handler_read_* of the whole
# server: serve's health thread counts the 100,000 due every 5 s, and
# its dispatcher claims the e-mails due, so a window that met their
# reads is measured again, a second later, up to five times). With one
# retry a CI run, its windows within serve's first 6 s, read 3,161 rows
# a scrape in both.
window() {
	r0=$(handler_reads)
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do scrape; done
	echo $(( ($(handler_reads) - r0) / 20 ))
}
per=$(window)
tries=1
while [ "$per" -ge 2000 ] && [ $tries -lt 6 ]; do
	sleep 1
	per=$(window)
	tries=$((tries + 1))
done
[ "$per" -lt 2000 ] || fail "a scrape read $per rows with $rows in the outbox ($tries windows of 20)"
echo "     $rows rows, $due due: $per rows read a scrape (window $tries)"
kill -TERM "$serve"
wait "$serve" || fail "serve did not exit 0"
grep -q Sanitizer "$work/serve.err" && fail "sanitizer report: $(cat "$work/serve.err")"
done_ok
