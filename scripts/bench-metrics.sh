#!/bin/sh
# bench-metrics.sh [ROWS] [QUEUED]: what a /metrics scrape costs with ROWS
# message rows (default 10,000,000), QUEUED of them due now (default
# 100,000; SMS, voice and push made two hours before serve's now, a tenth
# of them retries due for an hour), the rest delivered. The rows are
# generated once into bench_metrics and kept there between runs
# (generated again when ROWS or QUEUED differ). Then `feegate serve` (an
# idle e-mail provider: nothing is sent) is scraped on its own metrics
# listener, 200 requests on one connection: median, 99th percentile and
# maximum from curl's time_total, rows the server read a scrape
# (Handler_read_* over the scrapes, serve's own work beside them
# included); the count of the queue serve's health thread makes every
# few seconds (five runs, and its plan; five of the one GROUP BY it was
# before 2026-12-06), and how often serve made it in a minute
# (serve's debug log: a count that takes longer than a quarter second is
# spaced by 20 times its time); and for comparison what the scan of
# every message row (the first /metrics' GROUP BY channel, state) takes
# at this size. Everything it starts it stops, by PID.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rows=${1:-10000000}
queued=${2:-100000}
case "$rows$queued" in *[!0-9]* | '') echo "usage: scripts/bench-metrics.sh [ROWS] [QUEUED]" >&2; exit 2 ;; esac
[ "$queued" -le "$rows" ] || { echo "bench-metrics.sh: QUEUED above ROWS" >&2; exit 2; }
. scripts/bench-lib.sh # builds, starts the database: $sock
dir=var/bench/metrics
mkdir -p "$dir"
port=18996 mport=18997 n=200

bench_idle "$dir/feegate.ini" $port
sed -i 's/^gateway_schema = bench_feegate$/gateway_schema = bench_metrics/' "$dir/feegate.ini"
printf '[schedule]\nnightly_at = 23:59\n\n[metrics]\nlisten = 127.0.0.1\nport = %s\n' $mport >>"$dir/feegate.ini"
have=$(cat "$dir/rows" 2>/dev/null || true)
if [ "$have" != "v3 $rows $queued" ] ||
	[ -z "$(sql -N -e "SHOW DATABASES LIKE 'bench_metrics'")" ]; then
	sql -e "DROP DATABASE IF EXISTS bench_metrics"
	rm -f "$dir/rows"
	$feegate -c "$dir/feegate.ini" db migrate >/dev/null
	echo "== $rows message rows, $queued due, into bench_metrics" >&2
	t=$(date +%s)
	scripts/gen-messages.sh "$sock" bench_metrics "$rows" "$queued"
	echo "v3 $rows $queued" >"$dir/rows"
	echo "== generated in $(( $(date +%s) - t )) s" >&2
fi

bench_serve "$dir/feegate.ini" "2026-10-01 10:00" "http://127.0.0.1:$mport/metrics"
curl -s "http://127.0.0.1:$mport/metrics" >"$dir/metrics.txt"
r0=$(handler_reads)
awk -v n="$n" -v u="http://127.0.0.1:$mport/metrics" 'BEGIN { for (i = 0; i < n; i++) print "url = \"" u "\"\noutput = \"/dev/null\"" }' |
	curl -s -K - -w '%{http_code} %{time_total}\n' >"$dir/scrapes.tsv"
r1=$(handler_reads)
echo "== $rows message rows, $queued due: /metrics"
sort -k2 -n "$dir/scrapes.tsv" | awk -v rd="$((r1 - r0))" '
	$1 != 200 { bad++ }
	{ t[NR] = $2 * 1000 }
	END { printf "   %d scrapes, median %.2f ms, p99 %.2f ms, max %.2f ms, not 200: %d; rows read a scrape: %d\n",
		NR, t[int(NR * 0.5) + 1], t[int(NR * 0.99) + 1], t[NR], bad, rd / NR }'
grep -E '^feegate_queue_depth|^feegate_oldest_due' "$dir/metrics.txt" | sed 's/^/   /'
# The count serve's health thread makes every few seconds (metrics.c's
# metrics_queue, a channel at a time; a scrape shows its last result):
# five runs, and its plan; then five of the one GROUP BY channel it was
# before 2026-12-06.
due="priority IN (0, 1) AND state IN ('queued', 'retry')
	  AND (next_attempt_at IS NULL OR next_attempt_at <= '2026-10-01 02:00')"
queue_sql=$(for ch in sms email voice push; do
	echo "SELECT '$ch', COUNT(*), MIN(next_attempt_at), MIN(IF(next_attempt_at IS NULL, message_id, NULL))
		FROM messages WHERE channel = '$ch' AND $due"
done | awk 'NR > 1 && /^SELECT/ { printf " UNION ALL " } { print }')
grouped_sql="SELECT channel, COUNT(*), MIN(next_attempt_at),
	MIN(IF(next_attempt_at IS NULL, message_id, NULL)) FROM messages WHERE $due GROUP BY channel"
five() {
	sql -N bench_metrics -e "SET profiling = 1; $1; $1; $1; $1; $1;
		SHOW PROFILES" | awk -F'\t' 'NF == 3 && $1 ~ /^[0-9]+$/ { printf "   %.1f ms\n", $2 * 1000 }'
}
echo "== the queue's count (serve's health thread's), five runs:"
five "$queue_sql"
sql -N bench_metrics -e "ANALYZE $queue_sql" |
	awk -F'\t' '{ printf "   table %s, type %s, key %s, rows %s, r_rows %s, extra %s\n", $3, $4, $6, $9, $10, $13 }'
echo "== the same in one GROUP BY channel (before 2026-12-06), five runs:"
five "$grouped_sql"
echo "== serve's own counts over 60 s (a second serve, its debug log):"
kill "$serve" && wait "$serve" || true
printf '\n[log]\nlevel = debug\n' >>"$dir/feegate.ini"
bench_serve "$dir/feegate.ini" "2026-10-01 10:00" "http://127.0.0.1:$mport/metrics"
sleep 60
kill "$serve" && wait "$serve" || true
awk '/serve: the queue due \(/ { n++; took += $(NF - 7) + 0; line = $0 }
	END { printf "   %d counts, %.2f s of counting in 60 s (%.1f%%); the last: %s\n",
		n, took, took / 60 * 100, substr(line, index(line, "serve:")) }' "$dir/serve.err"
echo "== for comparison, every message row by channel and state (the first /metrics):"
t0=$(date +%s.%N)
sql -N bench_metrics -e "SELECT channel, state, COUNT(*) FROM messages GROUP BY channel, state" >/dev/null
awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "   %.2f s\n", b - a }'
