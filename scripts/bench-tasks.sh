#!/bin/sh
# bench-tasks.sh [T]: the collection task list after a season, T tasks
# (default 1,000,000: a tenth of a province's 10M customers escalated)
# in 5,000 grids, most done, a fiftieth each open, assigned and
# cancelled. Times what staff and a CRM ask of `serve` (the staff pages'
# task list with no filter, by grid and by state; the API's by grid and
# with no filter) and `feegate tasks --grid G --json`, each once: the
# seconds, the bytes of the answer, the rows MariaDB read
# (Handler_read_*), and serve's peak RSS after it. The tasks are
# generated into a gateway schema of their own, bench_tasks (kept while
# T stays the same), beside bench_billing's contract tables.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
t=${1:-1000000}
case "$t" in *[!0-9]* | '') echo "usage: scripts/bench-tasks.sh [T]" >&2; exit 2 ;; esac
. scripts/bench-lib.sh # builds, starts the database: $sock
dir=${FEEGATE_VAR:-$top/var}/bench/tasks
rm -rf "$dir"
mkdir -p "$dir"
conf=$dir/feegate.ini
port=19870
bench_idle "$conf" "$port"
sed -i 's/^gateway_schema = bench_feegate$/gateway_schema = bench_tasks/' "$conf"
cat >>"$conf" <<CONF

[web]
port = $((port + 1))

[api]
tokens_file = $dir/api-tokens

[schedule]
nightly_at = 23:59
CONF
sql -e "CREATE DATABASE IF NOT EXISTS bench_tasks CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
$feegate -c "$conf" db migrate >/dev/null
if [ "$(sql -N -e "SELECT COUNT(*) FROM bench_tasks.collection_tasks")" != "$t" ]; then
	echo "== generating $t tasks" >&2
	sql bench_tasks -e "TRUNCATE collection_tasks;
		INSERT INTO collection_tasks (account_no, case_id, grid_id, amount_due, notices_failed,
			notices_delivered, reason, state, created_on)
		SELECT CONCAT('33', LPAD(seq, 8, '0')), seq, CONCAT('G', LPAD(CRC32(seq) % 5000, 4, '0')),
			100.00, 3, 1, 'three notices failed',
			CASE CRC32(CONCAT('s', seq)) % 50 WHEN 7 THEN 'open' WHEN 8 THEN 'assigned'
				WHEN 9 THEN 'cancelled' ELSE 'done' END,
			'2026-10-01' + INTERVAL (seq * 120 DIV $t) DAY
		FROM seq_1_to_$t;
		ANALYZE TABLE collection_tasks" >/dev/null
fi
[ -n "$(sql -N -e "SELECT 1 FROM bench_tasks.staff WHERE username = 'boss'")" ] ||
	printf 'bench-password-1\n' | $feegate -c "$conf" staff add boss --role supervisor >/dev/null
rm -f "$dir/api-tokens"
token=$($feegate -c "$conf" token add crm --scope tasks:read)

bench_serve "$conf" "2026-10-02 10:00" "http://127.0.0.1:$((port + 1))/login"
curl -s -o /dev/null -c "$dir/jar" --data "user=boss&password=bench-password-1" "http://127.0.0.1:$((port + 1))/login"
grid=G0042

# ask WHAT URL [CURL-ARGS...]: one request to serve, timed.
ask() {
	what=$1 url=$2
	shift 2
	before=$(handler_reads)
	out=$(curl -s -o "$dir/answer" -w '%{http_code} %{time_total} %{size_download}' "$@" "$url")
	rows=$(( $(handler_reads) - before ))
	[ "${out%% *}" = 200 ] || { echo "bench-tasks.sh: $what: HTTP ${out%% *}" >&2; exit 1; }
	echo "$out $rows $(hwm "$serve")" | awk -v w="$what" \
		'{ printf "%s: %.3f s, %d bytes, rows read %d, serve peak RSS %d MB\n", w, $2, $3, $4, $5 }'
}
echo "tasks=$t grids=5000 in_$grid=$(sql -N -e "SELECT COUNT(*) FROM bench_tasks.collection_tasks WHERE grid_id = '$grid'")"
web=http://127.0.0.1:$((port + 1))
ask "page of a grid" "$web/tasks?grid=$grid" -b "$dir/jar"
ask "page of the open tasks" "$web/tasks?state=open" -b "$dir/jar"
ask "API, a grid" "http://127.0.0.1:$port/api/v1/tasks?grid=$grid" -H "Authorization: Bearer $token"
before=$(handler_reads)
t0=$(date +%s.%N)
$feegate -c "$conf" tasks --grid "$grid" --json >"$dir/answer"
t1=$(date +%s.%N)
echo "$t0 $t1 $(( $(handler_reads) - before )) $(wc -c <"$dir/answer")" |
	awk '{ printf "feegate tasks --grid --json: %.3f s, %d bytes, rows read %d\n", $2 - $1, $4, $3 }'
ask "page with no filter" "$web/tasks" -b "$dir/jar"
ask "API, no filter" "http://127.0.0.1:$port/api/v1/tasks" -H "Authorization: Bearer $token"
