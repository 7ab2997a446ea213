#!/bin/sh
# demo.sh: the whole story on sample data. Starts the private MariaDB,
# creates a billing schema with a few thousand customers and a gateway
# schema, then replays 45 nights with payments posted between nights, and
# prints what happened. Run by `make demo` (which installs and builds
# first). Re-running starts the demo afresh.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
customers=${FEEGATE_DEMO_CUSTOMERS:-3000}
start=2026-10-01
nights=45
feegate=bin/feegate
conf=var/demo.ini
gw=feegate_demo
bill=billing_demo

simport=${FEEGATE_DEMO_SIM_PORT:-18030}
rport=${FEEGATE_DEMO_RECEIPT_PORT:-18025}

[ -x $feegate ] || { echo "demo.sh: build first (make)" >&2; exit 1; }
sock=$(scripts/db.sh start | sed -n 's/^FEEGATE_DB_SOCKET=//p')
[ -n "$sock" ] || { echo "demo.sh: no database" >&2; exit 1; }
sql() { mariadb --no-defaults --socket="$sock" -uroot "$@"; }

mkdir -p var/demo
cat >$conf <<CONF
; written by scripts/demo.sh
[database]
socket = $sock
user = root
gateway_schema = $gw
billing_schema = $bill

[dunning]
grace_days = 0
step_days = 7
notices = 3
min_amount = 1.00

; SMS goes to the provider simulator (tests/sim), which posts delivery
; receipts back to the receipt server.
[channels]
sms = sim

[provider:sim]
type = http
url = http://127.0.0.1:$simport/v1/sms
rate = 500
concurrency = 16

[receipts]
port = $rport
public_url = http://127.0.0.1:$rport

[dispatch]
receipt_wait = 20
CONF

echo "== sample billing data: $customers customers, 3 monthly bills each"
sql -e "DROP DATABASE IF EXISTS $gw; DROP DATABASE IF EXISTS $bill;
        CREATE DATABASE $bill CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
sql $bill <sql/billing/contract.sql
{
	echo "SET @n = $customers, @seed = 'feegate-demo', @start = '$start', @on_time = 0.55;"
	cat sql/demo/generate.sql sql/demo/hostile.sql
} | sql $bill
$feegate -c $conf db migrate

echo "== the SMS provider simulator on 127.0.0.1:$simport"
: >var/demo/sim.tsv
bin/feegate-sim -p "$simport" -o var/demo/sim.tsv -d 20 2>var/demo/sim.log &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null' EXIT
i=0
until curl -sf "http://127.0.0.1:$simport/_stats" >/dev/null; do
	i=$((i + 1)); [ $i -lt 50 ] || { echo "demo.sh: simulator did not start" >&2; exit 1; }; sleep 0.1
done
kill -0 $sim 2>/dev/null || { echo "demo.sh: port $simport is taken (set FEEGATE_DEMO_SIM_PORT)" >&2; exit 1; }
# Numbers starting +86177 do not exist (the provider says so): feegate
# blocks them and reports them for correction.
curl -sf -X POST -d '{"invalid_prefix": "+86177"}' "http://127.0.0.1:$simport/_control" >/dev/null

echo "== $nights nights from $start (payments posted between nights; sending at 10:00)"
printf '%-10s %6s %6s %6s %6s %7s %7s %6s %6s %6s %6s\n' date opened "#1" "#2" "#3" failed closed tasks refused sent recpts
i=0
while [ $i -lt $nights ]; do
	d=$(date -u -d "$start + $i day" +%F)
	{ echo "SET @d = '$d';"; sed "s/GW\./\`$gw\`./g" sql/demo/pay.sql; } | sql $bill
	$feegate -c $conf run --date "$d" --now "$d 10:00" >var/demo/night-$d.txt 2>>var/demo/feegate.log
	awk -v d="$d" '/^summary:|^dispatch:/ {
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
		END { split(v["notices"], n, ",")
		printf "%-10s %6s %6s %6s %6s %7s %7s %6s %6s %6s %6s\n", d, v["opened"], n[1], n[2], n[3],
			v["failed"], v["closed"], v["tasks"], v["refused"], v["sent"], v["receipts"] }' var/demo/night-$d.txt
	i=$((i + 1))
done

echo
echo "the provider received $(wc -l <var/demo/sim.tsv | tr -d ' ') messages: $(curl -sf "http://127.0.0.1:$simport/_stats")"
$feegate -c $conf report
echo
$feegate -c $conf audit verify

esc=$(sql -N $gw -e "SELECT account_no FROM collection_tasks WHERE state = 'open' ORDER BY task_id LIMIT 1")
paid2=$(sql -N $gw -e "SELECT account_no FROM dunning_cases WHERE close_reason = 'paid' AND step = 2 ORDER BY case_id LIMIT 1")
refused=$(sql -N $gw -e "SELECT account_no FROM input_errors WHERE source = 'bill' AND account_no IS NOT NULL ORDER BY error_id LIMIT 1")
cat <<EOT

== look at one customer, as the call centre would:
  $feegate -c $conf log $esc            # three notices failed, task raised
  $feegate -c $conf log $paid2            # paid after notice 2
  $feegate -c $conf log $refused            # a bill refused as bad input
  $feegate -c $conf log $esc --json     # the same as JSON
  $feegate -c $conf tasks --state open   # the collectors' work list
  $feegate -c $conf template render dunning_2 sms --account $esc --date 2026-10-09
Nightly outputs and the daemon's log are in var/demo/; what the provider
received is var/demo/sim.tsv. The database stays up (scripts/db.sh stop).
EOT
