#!/bin/sh
# bench-purge.sh [N]: what retention costs at scale (default N = 1000000).
#
# Generates N customers with the demo generator, plans the first night
# (2026-10-01), then ages that history as a year would: every message
# delivered that day, half the cases closed (paid) four days later, and an
# access log of N/10 rows over the first three months. Then times, with
# [retention] message_days = 180 and history_days = 365:
#   purge 2027-04-10   every message redacted (text dropped, address masked)
#   purge 2027-10-10   the closed cases with their notices and messages gone
#   purge 2027-10-10   again: nothing to do (what a quiet night costs)
# and prints rows, seconds, rows per second, the transactions and the
# longest of them (what a dispatcher working beside it may wait at most).
# Uses the private MariaDB (scripts/db.sh); schemas bench_billing and
# bench_feegate are dropped and recreated.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-1000000}
make -s all
sock=$(scripts/db.sh start | sed -n 's/^FEEGATE_DB_SOCKET=//p')
. scripts/bench-lib.sh
conf=var/bench-purge.ini
mkdir -p var/bench
cat >$conf <<CONF
[database]
socket = $sock
user = root
gateway_schema = bench_feegate
billing_schema = bench_billing

[retention]
message_days = 180
history_days = 365
access_days = 365
CONF

echo "== N=$n: generating billing data, planning 2026-10-01" >&2
bench_gen "$n"
bin/feegate -c $conf db migrate >/dev/null
bin/feegate -c $conf run --date 2026-10-01 >/dev/null
echo "== ageing the history" >&2
sql bench_feegate -e "
	UPDATE messages SET state = 'delivered', body = CONCAT('尊敬的客户', message_id),
	  final_at = '2026-10-01 12:00:00';
	UPDATE dunning_cases SET state = 'closed', close_reason = 'paid',
	  closed_on = '2026-10-05', active_account = NULL WHERE case_id % 2 = 0;
	INSERT INTO access_log (at, username, remote, action, account_no)
	  SELECT DATE_ADD('2026-10-01', INTERVAL seq * 90 * 86400 DIV ($n DIV 10) SECOND),
	         'agent', '127.0.0.1', 'view', CONCAT('33', LPAD(seq, 8, '0'))
	  FROM seq_1_to_$((n / 10));"
counts=$(sql -N bench_feegate -e "SELECT (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM dunning_cases),
	(SELECT COUNT(*) FROM access_log)")
echo "== messages, cases, access log rows: $counts" >&2

run() {  # run DATE WHAT
	/usr/bin/time -f '%e %M' -o var/bench/time.txt bin/feegate -c $conf purge --date "$1" >var/bench/purge.txt
	read -r secs kb <var/bench/time.txt
	line=$(cat var/bench/purge.txt)
	rows=$(echo "$line" | awk '{ s = 0; for (i = 3; i <= NF; i++) { split($i, kv, "="); if (kv[1] != "batches" && kv[1] != "longest_ms") s += kv[2] } print s }')
	printf '%-34s %9s rows %7s s %9s rows/s  %s  peak RSS %s MB\n' "$2" "$rows" "$secs" \
		"$(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", s > 0 ? r / s : 0 }')" \
		"$(echo "$line" | sed 's/.*\(batches=[0-9]* longest_ms=[0-9]*\).*/\1/')" "$((kb / 1024))"
}
run 2027-04-10 "redaction (message_days)"
run 2027-10-10 "history and access log"
run 2027-10-10 "again: nothing to do"
