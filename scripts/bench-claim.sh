#!/bin/sh
# bench-claim.sh [ROWS]: what a claim costs with ROWS messages queued
# (default 1000000): ROWS due SMS in the outbox (a tenth of them urgent),
# generated straight into bench_feegate, then `feegate dispatch` with
# only an e-mail provider configured, so every claim it makes is for a
# channel with nothing to send. MariaDB's slow query log (every statement,
# with its plan) records the claims; printed: each claim statement's
# time and rows examined, and the plan of the same statement for the busy
# channel (EXPLAIN ANALYZE with channel 'sms' and LIMIT 100: what a busy
# lane's claim reads). Drops and recreates bench_feegate; the slow log is
# switched off again at the end. FEEGATE_BENCH_OLD_INDEX=1: the index as
# it was before migration 016 (no channel), for comparison.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rows=${1:-1000000}
case "$rows" in *[!0-9]* | '') echo "usage: scripts/bench-claim.sh [ROWS]" >&2; exit 2 ;; esac
. scripts/bench-lib.sh # builds, starts the database: $sock
dir=var/bench/claim
rm -rf "$dir"
mkdir -p "$dir"
log=$top/$dir/slow.log
trap 'sql -e "SET GLOBAL slow_query_log = OFF" 2>/dev/null || true' EXIT

bench_idle "$dir/feegate.ini" 18991
sql -e "DROP DATABASE IF EXISTS bench_feegate"
$feegate -c "$dir/feegate.ini" db migrate >/dev/null
echo "== $rows queued SMS into bench_feegate.messages" >&2
t=$(date +%s)
sql bench_feegate -e "INSERT INTO messages (notice_id, account_no, channel, contact_id, address, state,
	created_on, priority)
	SELECT seq, CONCAT('33', LPAD(seq, 8, '0')), 'sms', seq, CONCAT('+86138', LPAD(seq, 8, '0')),
	  'queued', '2026-10-01', seq % 10 = 0
	FROM seq_1_to_$rows; ANALYZE TABLE messages" >/dev/null
[ -z "${FEEGATE_BENCH_OLD_INDEX:-}" ] || sql bench_feegate -e "ALTER TABLE messages DROP INDEX messages_waiting,
	ADD INDEX messages_waiting (priority, queue_state, next_attempt_at)"
echo "== inserted in $(( $(date +%s) - t )) s" >&2

sql -e "SET GLOBAL slow_query_log_file = '$log', GLOBAL long_query_time = 0,
	GLOBAL log_slow_verbosity = 'query_plan,explain', GLOBAL slow_query_log = ON"
$feegate -c "$dir/feegate.ini" dispatch --now "2026-10-01 10:00" >"$dir/dispatch.out" 2>"$dir/dispatch.err"
sql -e "SET GLOBAL slow_query_log = OFF"

# The claims: each entry's Query_time and Rows_examined, and its text.
awk '
	/^# Query_time:/ { qt = $3; re = $9 }
	/FOR UPDATE SKIP LOCKED/ { printf "claim: %.3f ms, rows examined %s: %s\n", qt * 1000, re, substr($0, 1, 200); if (!q) q = $0 }
	END { if (q) print q > "'"$dir"'/claim.sql" }' "$log"
[ -s "$dir/claim.sql" ] || { echo "bench-claim.sh: no claim in $log" >&2; exit 1; }
echo "== the claim's plan for the busy channel (sms, LIMIT 100):"
sed "s/channel = 'email'/channel = 'sms'/; s/LIMIT [0-9]*/LIMIT 100/; s/ FOR UPDATE SKIP LOCKED.*//; s/^/ANALYZE FORMAT=JSON /" \
	"$dir/claim.sql" | sql -N bench_feegate |
	python3 -c 'import json, sys
p = json.loads(sys.stdin.read().replace("\\n", "\n"))
q = p["query_block"]
t = (q.get("nested_loop") or [q])[0]["table"]
print("   table %s, access %s, key %s (%s), rows read %s, time %.3f ms" % (t["table_name"], t["access_type"],
      t.get("key"), ", ".join(t.get("used_key_parts", [])), t.get("r_rows"), q.get("r_total_time_ms", 0)))'
