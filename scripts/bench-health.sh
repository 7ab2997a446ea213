#!/bin/sh
# bench-health.sh [N]: how long /healthz and /readyz take to answer, N
# requests each (default 2000) on one kept-alive connection, from a
# `feegate serve` with nothing to send on the bench schemas (an idle
# e-mail provider; the receipt server on 127.0.0.1:18995). Prints the
# median, 99th percentile and maximum in ms, from curl's time_total of
# each request. Everything it starts it stops, by PID.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-2000}
case "$n" in *[!0-9]* | '') echo "usage: scripts/bench-health.sh [N]" >&2; exit 2 ;; esac
. scripts/bench-lib.sh # builds, starts the database: $sock
dir=var/bench/health
rm -rf "$dir"
mkdir -p "$dir"
port=18995

bench_idle "$dir/feegate.ini" $port
printf '[schedule]\nnightly_at = 23:59\n' >>"$dir/feegate.ini"
$feegate -c "$dir/feegate.ini" db migrate >/dev/null
bench_serve "$dir/feegate.ini" "2026-10-01 10:00" "http://127.0.0.1:$port/readyz"
for path in healthz readyz; do
	urls=$(awk -v n="$n" -v u="http://127.0.0.1:$port/$path" 'BEGIN { for (i = 0; i < n; i++) print "url = \"" u "\"\noutput = \"/dev/null\"" }')
	printf '%s\n' "$urls" | curl -s -K - -w '%{http_code} %{time_total}\n' >"$dir/$path.tsv"
	sort -k2 -n "$dir/$path.tsv" | awk -v p="$path" '
		$1 != 200 { bad++ }
		{ t[NR] = $2 * 1000 }
		END { printf "/%s: %d requests, median %.3f ms, p99 %.3f ms, max %.3f ms, not 200: %d\n",
			p, NR, t[int(NR * 0.5) + 1], t[int(NR * 0.99) + 1], t[NR], bad }'
done
