#!/bin/sh
# bench-purge.sh [N]: what retention costs at scale (default N = 1000000),
# and what it costs a dispatcher sending beside it.
#
# Generates N customers with the demo generator and plans the first night
# (2026-10-01). Then ages half that history as a year would: the messages
# of every even-numbered case delivered that day and the case closed (paid)
# four days later, plus an access log of N/10 rows over three months; the
# odd-numbered cases' messages stay queued, for a dispatcher to send (SMS
# to the provider simulator, as bench-send.sh does).
#   dispatch alone           the odd half sent: messages/s
#   dispatch beside a purge  the same messages queued again, sent while
#                            `feegate purge --date 2027-10-10` ([retention]
#                            message_days 180, history_days 365) redacts the
#                            even half and removes its closed cases, notices
#                            and messages: messages/s, and the purge's rows,
#                            seconds, rows/s, transactions and the longest
#   purge again              nothing left to do: what a quiet night costs
# Everything it starts it stops, by PID. Uses the private MariaDB
# (scripts/db.sh); schemas bench_billing and bench_feegate are dropped and
# recreated.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-1000000}
case "$n" in *[!0-9]* | '') echo "usage: scripts/bench-purge.sh [N]" >&2; exit 2 ;; esac
. scripts/bench-lib.sh # builds, starts the database: $sock
. scripts/peers.sh
peer_fail() { echo "bench-purge.sh: $*" >&2; exit 1; }
trap peers_stop EXIT
dir=var/bench/purge
rm -rf "$dir"
mkdir -p "$dir"
port=${FEEGATE_BENCH_PORT:-18940}
conf=$dir/feegate.ini
bench_conf "$conf" sms "[provider:peer]
type = http
url = http://127.0.0.1:$port/v1/sms
concurrency = 256

[retention]
message_days = 180
history_days = 365
access_days = 365" $((port + 1)) 0

bench_data "$n"
echo "== N=$n: planning 2026-10-01" >&2
$feegate -c "$conf" db migrate >/dev/null
$feegate -c "$conf" plan --date 2026-10-01 >/dev/null
echo "== ageing half the history" >&2
sql bench_feegate -e "
	UPDATE messages SET state = 'delivered',
	  final_at = '2026-10-01 12:00:00' WHERE case_id % 2 = 0;
	INSERT INTO message_texts (message_id, body)
	  SELECT message_id, CONCAT('尊敬的客户', message_id) FROM messages
	  WHERE case_id % 2 = 0;
	UPDATE dunning_cases SET state = 'closed', close_reason = 'paid',
	  closed_on = '2026-10-05', active_account = NULL WHERE case_id % 2 = 0;
	INSERT INTO access_log (at, username, remote, action, account_no)
	  SELECT DATE_ADD('2026-10-01', INTERVAL seq * 90 * 86400 DIV ($n DIV 10) SECOND),
	         'agent', '127.0.0.1', 'view', CONCAT('33', LPAD(seq, 8, '0'))
	  FROM seq_1_to_$((n / 10));"
echo "== messages (queued), cases, access log rows: $(sql -N bench_feegate -e "
	SELECT CONCAT((SELECT COUNT(*) FROM messages), ' (', (SELECT COUNT(*) FROM messages WHERE state = 'queued'),
	'), ', (SELECT COUNT(*) FROM dunning_cases), ', ', (SELECT COUNT(*) FROM access_log))")" >&2

# dispatch NAME: the queued messages sent to a fresh simulator; prints
# "NAME: M messages in S s, R/s".
dispatch() {
	peer_start "the simulator on 127.0.0.1:$port" "$dir/peer.log" \
		bin/feegate-sim -p "$port" -o "$dir/peer.tsv" -d 10
	peer_port "the simulator on 127.0.0.1:$port" "$port"
	q=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state = 'queued'")
	/usr/bin/time -f '%e' -o "$dir/dispatch.time" \
		$feegate -c "$conf" dispatch --now "2026-10-01 10:00" >/dev/null 2>"$dir/dispatch.err"
	peers_alive
	peers_stop
	secs=$(cat "$dir/dispatch.time")
	printf '%-28s %8s messages %7s s %7s/s\n' "$1" "$q" "$secs" \
		"$(awk -v m="$q" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? m / s : 0) }')"
}
# purge DATE WHAT: one timed purge run, its line.
purge() {
	/usr/bin/time -f '%e %M' -o "$dir/purge.time" \
		$feegate -c "$conf" purge --date "$1" >"$dir/purge.txt"
	read -r secs kb <"$dir/purge.time"
	line=$(cat "$dir/purge.txt")
	rows=$(echo "$line" | awk '{ s = 0; for (i = 3; i <= NF; i++) { split($i, kv, "=");
		if (kv[1] != "batches" && kv[1] != "longest_ms") s += kv[2] } print s }')
	printf '%-28s %8s rows %7s s %7s rows/s  %s  peak RSS %s MB\n' "$2" "$rows" "$secs" \
		"$(awk -v r="$rows" -v s="$secs" 'BEGIN { printf "%.0f", (s > 0 ? r / s : 0) }')" \
		"$(echo "$line" | sed 's/.*\(batches=[0-9]* longest_ms=[0-9]*\).*/\1/')" "$((kb / 1024))"
	echo "   $line"
}

dispatch "dispatch alone"
sql bench_feegate -e "
	UPDATE messages SET state = 'queued', attempts = 0, next_attempt_at = NULL,
	  final_at = NULL, submitted_at = NULL, provider = NULL, provider_ref = NULL,
	  last_error = NULL, lease_owner = NULL, lease_expires_at = NULL
	WHERE case_id % 2 = 1;
	DELETE t FROM message_texts t JOIN messages m USING (message_id)
	WHERE m.case_id % 2 = 1"
purge 2027-10-10 "purge beside the dispatcher" >"$dir/purge-beside.txt" &
purging=$!
dispatch "dispatch beside the purge"
wait "$purging"
cat "$dir/purge-beside.txt"
purge 2027-10-10 "purge again: nothing to do"
