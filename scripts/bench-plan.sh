#!/bin/sh
# bench-plan.sh [N...]: time one night's planning at scale.
# For each N (default 100000 1000000): generate N customers (about 30% with
# an overdue balance on the first night), then time with /usr/bin/time
#   night 1  (2026-10-01): every overdue account opens a case, notice 1
#   night 2  (2026-10-08): a week later, notice 1 fails and notice 2 goes
#                          out for every case still unpaid
# and print elapsed seconds and the feegate process's peak resident memory.
# Uses the private MariaDB (scripts/db.sh); schemas bench_billing and
# bench_feegate are dropped and recreated.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
[ $# -gt 0 ] || set -- 100000 1000000
[ -x bin/feegate ] || make -s all
sock=$(scripts/db.sh start | sed -n 's/^FEEGATE_DB_SOCKET=//p')
sql() { mariadb --no-defaults --socket="$sock" -uroot "$@"; }
conf=var/bench.ini
mkdir -p var/bench
cat >$conf <<CONF
[database]
socket = $sock
user = root
gateway_schema = bench_feegate
billing_schema = bench_billing
CONF

results=var/bench/plan-results.txt
: >$results
for n in "$@"; do
	case "$n" in *[!0-9]*|'') echo "bench-plan.sh: N must be a number: $n" >&2; exit 2 ;; esac
	echo "== N=$n: generating billing data" >&2
	sql -e "DROP DATABASE IF EXISTS bench_feegate; DROP DATABASE IF EXISTS bench_billing;
	        CREATE DATABASE bench_billing CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
	sql bench_billing <sql/billing/contract.sql
	t0=$(date +%s)
	{ echo "SET @n = $n, @seed = 'bench', @start = '2026-10-01', @on_time = 0.70;"
	  cat sql/demo/generate.sql; } | sql bench_billing
	sql bench_billing -e "ANALYZE TABLE billing_customers, billing_contacts, billing_bills" >/dev/null
	overdue=$(sql -N bench_billing -e "SELECT COUNT(DISTINCT account_no) FROM billing_bills
	          WHERE status = 'open' AND due_date < '2026-10-01'")
	echo "   generated in $(( $(date +%s) - t0 )) s; $overdue accounts overdue on 2026-10-01" >&2
	bin/feegate -c $conf db migrate >/dev/null
	for d in 2026-10-01 2026-10-08; do
		/usr/bin/time -f '%e %M' -o var/bench/time.txt \
			bin/feegate -c $conf run --date $d >var/bench/night-$n-$d.txt
		read -r secs kb <var/bench/time.txt
		summary=$(grep '^summary:' var/bench/night-$n-$d.txt)
		echo "$n $d $secs $((kb / 1024)) $overdue $summary" >>$results
		echo "   night $d: $secs s, peak RSS $((kb / 1024)) MB" >&2
	done
done

echo
printf '%-9s %-11s %9s %9s %9s %8s %8s %10s\n' customers night seconds "RSS MB" opened "notice#1" "notice#2" "audit rows"
while read -r n d secs mb overdue rest; do
	opened=$(echo "$rest" | sed -n 's/.* opened=\([0-9]*\).*/\1/p')
	notices=$(echo "$rest" | sed -n 's/.* notices=\([0-9,]*\).*/\1/p')
	audit=$(echo "$rest" | sed -n 's/.* audit=\([0-9]*\).*/\1/p')
	n1=$(echo "$notices" | cut -d, -f1)
	n2=$(echo "$notices" | cut -d, -f2)
	printf '%-9s %-11s %9s %9s %9s %8s %8s %10s\n' "$n" "$d" "$secs" "$mb" "$opened" "$n1" "$n2" "$audit"
done <$results
