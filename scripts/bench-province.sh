#!/bin/sh
# bench-province.sh [N]: a province's nights on this machine. N customers
# (default 10,000,000) from the demo's generator in a MariaDB server of
# their own under var/bench/province/ (kept between runs while N stays
# the same: generating 10M takes long; buffer pool FEEGATE_PROVINCE_POOL,
# default 12G), then two nights, each planned and sent:
#   night 1 (2026-10-01): every overdue account opens a case, notice 1
#   night 2 (2026-10-08): notice 1 fails for every case still unpaid,
#                         notice 2 goes out; next month's bills open more
# Sending: SMS by the `http` adapter in batches of 100 (512 in flight) to
# the provider simulator (20 ms an answer, receipts 10 ms after), as
# `make bench` section 1. Before each night's planning the server is let
# settle (bench_settle, bench-lib.sh). Printed per night: the seconds it took
# (settle_s), plan seconds, messages,
# messages/s and receipts/s (from the dispatcher's start to the last
# attempt and the last receipt), the planning's CPU seconds (MariaDB,
# feegate), MariaDB's reads from the disk while planning and while
# sending (plan_read_mb, send_read_mb), peak resident
# memory of feegate (plan and dispatch), MariaDB and the simulator, CPU
# microseconds per message of each, and the database's size per
# customer. Everything it starts it stops, by PID; the server is stopped
# at the end (its data stays).
# FEEGATE_PROVINCE_NIGHTS: how many of the two nights to run (default 2;
# 0 makes the data and stops, 1 runs night 1 alone).
# FEEGATE_PROVINCE_SEND=serve: each night sent by `feegate serve` (its
# health thread counting the queue, its receipt server) instead of
# `feegate dispatch`, stopped by SIGTERM once nothing is due or in
# flight and every receipt is in (bench_busy); the line says how many
# counts of the queue were slow enough to be spaced and their seconds
# (health_counts).
# FEEGATE_BENCH_PS=1: the dispatcher's statements and their time while
# sending, into run/statements1.tsv and run/statements2.tsv (with
# FEEGATE_DB_PERFSCHEMA=ON: scripts/db.sh).
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-10000000}
case "$n" in *[!0-9]* | '') echo "usage: scripts/bench-province.sh [N]" >&2; exit 2 ;; esac
nights=${FEEGATE_PROVINCE_NIGHTS:-2}
case "$nights" in 0 | 1 | 2) ;; *) echo "bench-province.sh: FEEGATE_PROVINCE_NIGHTS is 0, 1 or 2" >&2; exit 2 ;; esac
port=${FEEGATE_BENCH_PORT:-18950} # the simulator; +1 receipts
export FEEGATE_VAR="$top/var/bench/province"
export FEEGATE_DB_CNF="innodb_buffer_pool_size = ${FEEGATE_PROVINCE_POOL:-12G}"
. scripts/bench-lib.sh # builds, starts the database: $sock
dir=$FEEGATE_VAR/run
rm -rf "$dir"
mkdir -p "$dir"
. scripts/peers.sh
peer_fail() { echo "bench-province.sh: $*" >&2; exit 1; }
trap 'peers_stop; scripts/db.sh stop >/dev/null 2>&1 || true' EXIT
say() { echo "== $(date +%T) $*" >&2; }
dbpid=$(cat "$FEEGATE_VAR/db/mysqld.pid")

have=$(sql -N -e "SELECT COUNT(*) FROM bench_billing.billing_customers" 2>/dev/null || echo 0)
if [ "$have" != "$n" ]; then
	say "generating $n customers (kept under $FEEGATE_VAR)"
	t=$(date +%s)
	bench_gen "$n"
	sql bench_billing -e "ANALYZE TABLE billing_customers, billing_contacts, billing_bills" >/dev/null
	echo "$(( $(date +%s) - t ))" >"$FEEGATE_VAR/generated-seconds"
	say "generated in $(cat "$FEEGATE_VAR/generated-seconds") s"
fi
bench_indexes
bench_conf "$dir/feegate.ini" sms "[provider:peer]
type = http
url = http://127.0.0.1:$port/v1/sms
batch = 100
concurrency = 512" $((port + 1)) 600
sql -e "DROP DATABASE IF EXISTS bench_feegate"
$feegate -c "$dir/feegate.ini" db migrate >/dev/null
sender=${FEEGATE_PROVINCE_SEND:-dispatch}
case "$sender" in dispatch | serve) ;; *) echo "bench-province.sh: FEEGATE_PROVINCE_SEND is dispatch or serve" >&2; exit 2 ;; esac
# serve's night pass waits for 23:59 (it is run as 10:00): only the
# night planned above is sent.
printf '\n[schedule]\nnightly_at = 23:59\n' | cat "$dir/feegate.ini" - >"$dir/serve.ini"

# size SCHEMA: its data and indexes in bytes (statistics made fresh)
size() {
	sql -N -e "SELECT CONCAT('ANALYZE TABLE \`$1\`.\`', table_name, '\`;') FROM information_schema.tables
		WHERE table_schema = '$1' AND engine = 'InnoDB'" | sql >/dev/null
	sql -N -e "SELECT SUM(data_length + index_length) FROM information_schema.tables WHERE table_schema = '$1'"
}

# serve_night DATE: serve sends what is queued, under /usr/bin/time as
# dispatch is, until bench_busy says done (at most an hour), then SIGTERM
# to serve itself (time's child); $serve_counts: its spaced counts.
serve_night() {
	/usr/bin/time -f '%e %M %U %S' -o "$dir/dispatch$night_no.time" $feegate -c "$dir/serve.ini" \
		serve --now "$1 10:00" >"$dir/dispatch$night_no.out" 2>"$dir/dispatch$night_no.err" &
	tpid=$!
	i=0
	while [ "$(bench_busy "'sms'")" -ne 0 ]; do
		kill -0 "$tpid" 2>/dev/null || peer_fail "serve stopped: $(tail -3 "$dir/dispatch$night_no.err")"
		i=$((i + 1))
		[ $i -lt 14400 ] || peer_fail "night $night_no not sent in an hour; see $dir/dispatch$night_no.err"
		sleep 0.25
	done
	kill -TERM "$(pgrep -P "$tpid")"
	wait "$tpid" || peer_fail "serve did not stop cleanly: $(tail -3 "$dir/dispatch$night_no.err")"
	serve_counts=$(awk '/serve: the queue due \(/ { n++; s += $(NF - 7) } END { printf "health_counts=%d@%.1fs", n, s }' \
		"$dir/dispatch$night_no.err")
}

# night NUMBER DATE: plan, then send with receipts; one line of figures.
night() {
	night_no=$1 serve_counts=""
	say "night $1 ($2): settling"
	settled=$(bench_settle)
	probe=$(bench_probe)
	say "night $1 ($2): planning (settled in $settled s, $probe)"
	pc0=$(cpu "$dbpid")
	pr0=$(rbytes "$dbpid")
	/usr/bin/time -f '%e %M %U %S' -o "$dir/plan$1.time" $feegate -c "$dir/feegate.ini" plan --date "$2" >"$dir/plan$1.out"
	read -r ps pkb pu pss <"$dir/plan$1.time"
	# What the planning waited on: MariaDB's CPU, and what it read from
	# storage rather than its buffer pool (O_DIRECT: the kernel's count
	# of bytes read is the server's reads from the disk).
	plan_cpu="plan_cpu_s: mariadb=$(awk -v a="$pc0" -v b="$(cpu "$dbpid")" 'BEGIN { printf "%.0f", b - a }')"
	plan_cpu="$plan_cpu feegate=$(awk -v u="$pu" -v s="$pss" 'BEGIN { printf "%.0f", u + s }')"
	plan_cpu="$plan_cpu plan_read_mb=$(( ($(rbytes "$dbpid") - pr0) / 1048576 ))"
	m=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE state = 'queued'")
	say "night $1: planned in $ps s, $m messages; sending"
	: >"$dir/sim$1.tsv"
	peer_start "the simulator on 127.0.0.1:$port" "$dir/sim$1.log" bin/feegate-sim -p "$port" -o /dev/null -l 20 -d 10 -r 32
	sim=$peer_pid
	peer_http "the simulator on 127.0.0.1:$port" "http://127.0.0.1:$port/_stats"
	db0=$(cpu "$dbpid")
	dr0=$(rbytes "$dbpid")
	s0=$(cpu "$sim")
	t0=$(date +%s.%N)
	[ -z "${FEEGATE_BENCH_PS:-}" ] || ps_watch "$dir/statements$1.tsv"
	if [ "$sender" = serve ]; then
		serve_night "$2"
	else
		/usr/bin/time -f '%e %M %U %S' -o "$dir/dispatch$1.time" $feegate -c "$dir/feegate.ini" \
			dispatch --now "$2 10:00" >"$dir/dispatch$1.out" 2>"$dir/dispatch$1.err"
	fi
	[ -z "${FEEGATE_BENCH_PS:-}" ] || ps_unwatch
	db1=$(cpu "$dbpid")
	send_read="send_read_mb=$(( ($(rbytes "$dbpid") - dr0) / 1048576 ))"
	s1=$(cpu "$sim")
	smb=$(hwm "$sim")
	peer_stop "$sim"
	read -r ds dkb fu fs <"$dir/dispatch$1.time"
	left=$(sql -N bench_feegate -e "SELECT COUNT(*) FROM messages WHERE created_on = '$2' AND state NOT IN ('accepted', 'delivered')")
	[ "$left" -eq 0 ] || peer_fail "night $1: $left messages not sent; see $dir/dispatch$1.err"
	set -- "$1" "$2" $(sql -N bench_feegate -e "
		SELECT ROUND($m / (TIMESTAMPDIFF(MICROSECOND, FROM_UNIXTIME($t0), MAX(CASE WHEN event = 'message_attempt' THEN at END)) / 1e6)),
		       ROUND(SUM(event = 'receipt') / (TIMESTAMPDIFF(MICROSECOND, FROM_UNIXTIME($t0), MAX(CASE WHEN event = 'receipt' THEN at END)) / 1e6))
		FROM audit_log WHERE at >= FROM_UNIXTIME($t0)")
	echo "night=$1 date=$2 sender=$sender${serve_counts:+ $serve_counts} settle_s=$settled $probe plan_s=$ps $plan_cpu messages=$m per_second=$3 receipts_per_second=$4 dispatch_s=$ds $send_read" \
		"rss_mb: plan=$((pkb / 1024)) dispatch=$((dkb / 1024)) mariadb=$(hwm "$dbpid") sim=$smb" \
		"cpu_us_per_message: feegate=$(awk -v u="$fu" -v s="$fs" -v m="$m" 'BEGIN { printf "%.0f", (u + s) * 1e6 / m }')" \
		"mariadb=$(awk -v a="$db0" -v b="$db1" -v m="$m" 'BEGIN { printf "%.0f", (b - a) * 1e6 / m }')" \
		"sim=$(awk -v a="$s0" -v b="$s1" -v m="$m" 'BEGIN { printf "%.0f", (b - a) * 1e6 / m }')" \
		"bytes_per_customer: billing=$(( $(size bench_billing) / n )) gateway=$(( $(size bench_feegate) / n ))" |
		tee -a "$dir/nights.txt"
}
[ "$nights" -lt 1 ] || night 1 2026-10-01
[ "$nights" -lt 2 ] || night 2 2026-10-08
echo "customers=$n generated_s=$(cat "$FEEGATE_VAR/generated-seconds" 2>/dev/null || echo '?')" \
	"buffer_pool=${FEEGATE_PROVINCE_POOL:-12G} disk_kb=$(du -sk "$FEEGATE_VAR/db" | cut -f1)" | tee -a "$dir/nights.txt"
