#!/bin/sh
# bench-staff.sh [N] [S]: what staff wait for, at N customers (default
# 1,000,000): the call centre's look-up while a customer is on the line,
# `feegate log ACCOUNT` and `feegate log PHONE` (the staff pages' search
# runs the same queries), each S times (default 50) for customers drawn
# at random among those with a case, each its own process as staff would
# run it; `feegate report` of the last night and of every night (the
# staff pages' report reads the same and more); and `feegate audit
# verify` as its timers run it: the whole chain (weekly), and
# `--since-last` the morning after the last night (daily). Prints the
# median, 90th percentile and maximum seconds of the look-ups, each
# report's seconds, each check's seconds, rows a second and megabytes
# read from the disk, and the rows MariaDB read (Handler_read_*). The customers are
# bench_billing's (generated when N differs); the gateway schema is
# bench_feegate as the last benchmark left it, or night 1 planned when
# it has none.
# FEEGATE_BENCH_PROVINCE=1: on the province's server and data
# (var/bench/province, make bench-province), where two nights have been
# planned and sent.
# FEEGATE_BENCH_NO_ADDRESS_INDEX=1: billing_contacts' index on the address
# made invisible to MariaDB (IGNORED) for the run, as a billing without it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
n=${1:-1000000}
s=${2:-50}
case "$n$s" in *[!0-9]* | '') echo "usage: scripts/bench-staff.sh [N] [S]" >&2; exit 2 ;; esac
if [ -n "${FEEGATE_BENCH_PROVINCE:-}" ]; then
	export FEEGATE_VAR="$top/var/bench/province"
	export FEEGATE_DB_CNF="innodb_buffer_pool_size = ${FEEGATE_PROVINCE_POOL:-12G}"
fi
. scripts/bench-lib.sh # builds, starts the database: $sock
dir=${FEEGATE_VAR:-$top/var}/bench/staff
rm -rf "$dir"
mkdir -p "$dir"
conf=$dir/feegate.ini
bench_db_conf >"$conf"

# At the end the address index is seen again, and the province's server
# stopped as bench-province.sh leaves it.
restore='sql bench_billing -e "ALTER TABLE billing_contacts ALTER INDEX contacts_address NOT IGNORED" 2>/dev/null || true'
have=$(sql -N -e "SELECT COUNT(*) FROM bench_billing.billing_customers" 2>/dev/null || echo 0)
if [ -n "${FEEGATE_BENCH_PROVINCE:-}" ]; then
	trap "$restore; scripts/db.sh stop >/dev/null 2>&1 || true" EXIT
	[ "$have" = "$n" ] ||
		{ echo "bench-staff.sh: the province has no $n customers (make bench-province N=$n)" >&2; exit 1; }
else
	trap "$restore" EXIT
	# bench_data would drop the gateway schema the look-ups read.
	[ "$have" = "$n" ] || bench_data "$n"
fi
bench_indexes
$feegate -c "$conf" db migrate >/dev/null
if [ "$(sql -N -e "SELECT COUNT(*) FROM bench_feegate.notices")" = 0 ]; then
	echo "== planning night 1" >&2
	$feegate -c "$conf" plan --date 2026-10-01 >/dev/null
fi
ignored=NOT
[ -z "${FEEGATE_BENCH_NO_ADDRESS_INDEX:-}" ] || ignored=""
sql bench_billing -e "ALTER TABLE billing_contacts ALTER INDEX contacts_address $ignored IGNORED"

# S customers with a case, and each one's first SMS number, as staff type
# it (the 11 digits, without +86).
sql -N -e "SELECT k.account_no, (SELECT SUBSTRING(c.address, 4) FROM bench_billing.billing_contacts c
		WHERE c.account_no = k.account_no AND c.channel = 'sms' AND c.address LIKE '+861%'
		ORDER BY c.priority LIMIT 1)
	FROM (SELECT account_no FROM bench_feegate.dunning_cases ORDER BY RAND() LIMIT $s) k" |
	awk -F'\t' '$2 != "NULL"' >"$dir/who.tsv"

# look KIND COLUMN: `feegate log` of column COLUMN of who.tsv, timed.
look() {
	before=$(handler_reads)
	cut -f"$2" "$dir/who.tsv" | while read -r q; do
		t0=$(date +%s.%N)
		$feegate -c "$conf" log "$q" >"$dir/out" 2>"$dir/err" ||
			{ echo "bench-staff.sh: feegate log $1 failed: $(cat "$dir/err")" >&2; exit 1; }
		t1=$(date +%s.%N)
		echo "$t0 $t1" | awk '{ printf "%.4f\n", $2 - $1 }'
	done >"$dir/$1.s"
	rows=$(( $(handler_reads) - before ))
	sort -n "$dir/$1.s" | awk -v k="$1" -v rows="$rows" '
		{ t[NR] = $1 }
		END { printf "%s: %d look-ups, median %.3f s, p90 %.3f s, max %.3f s, rows read %d (%d a look-up)\n",
			k, NR, t[int(NR * 0.5) + 1], t[int(NR * 0.9) + 1], t[NR], rows, rows / NR }'
}

echo "customers=$n address_index=$([ -z "$ignored" ] && echo ignored || echo used) notices=$(sql -N -e "SELECT COUNT(*) FROM bench_feegate.notices") audit_rows=$(sql -N -e "SELECT COUNT(*) FROM bench_feegate.audit_log")"
look account 1
look phone 2

# report WHAT ARGS...: `feegate report ARGS`, timed, and the rows read.
report() {
	what=$1
	shift
	before=$(handler_reads)
	t0=$(date +%s.%N)
	$feegate -c "$conf" report "$@" >"$dir/report.out" 2>"$dir/err" ||
		{ echo "bench-staff.sh: feegate report $*: $(cat "$dir/err")" >&2; exit 1; }
	t1=$(date +%s.%N)
	echo "$t0 $t1 $(( $(handler_reads) - before ))" |
		awk -v w="$what" '{ printf "report of %s: %.3f s, rows read %d\n", w, $2 - $1, $3 }'
}
last=$(sql -N -e "SELECT MAX(business_date) FROM bench_feegate.nights")
report "the last night ($last)" --from "$last" --to "$last"
report "every night"

# `feegate audit verify` ARGS...: timed, with the rows hashed again
# and a second, what it read from the disk and the rows MariaDB read.
verify() {
	before=$(handler_reads)
	rb=$(rbytes "$dbpid")
	t0=$(date +%s.%N)
	$feegate -c "$conf" audit verify "$@" >"$dir/verify.out" 2>"$dir/err" ||
		{ echo "bench-staff.sh: feegate audit verify $*: $(cat "$dir/verify.out" "$dir/err")" >&2; exit 1; }
	t1=$(date +%s.%N)
	echo "$t0 $t1 $(sed -n 's/.*chain intact: \([0-9]*\) rows.*/\1/p' "$dir/verify.out") $(( ($(rbytes "$dbpid") - rb) / 1048576 )) $(( $(handler_reads) - before ))" |
		awk -v w="audit verify${*:+ $*}" '{ s = $2 - $1; printf "%s: %.1f s, %d rows (%.0f a second), %d MB read from disk, rows read %d\n",
			w, s, $3, $3 / s, $4, $5 }'
}
# The weekly check (feegate-audit-verify-full.timer): every row since
# the latest checkpoint.
verify
# The daily check (feegate-audit-verify.timer) the morning after the last
# night, as if the one before had run the morning before it: its head the
# last row of the nights before.
sql bench_feegate -e "INSERT INTO audit_checks (checked_at, intact, rows_seen, summary, from_seq, head_seq, head_hash)
	SELECT NOW(6), 1, 0, 'bench-staff.sh: as checked before the last night', 0, seq, hash FROM audit_log
	WHERE seq = (SELECT MAX(seq) FROM audit_log WHERE business_date < '$last')"
verify --since-last
