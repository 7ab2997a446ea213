#!/bin/sh
# startup: what an operator gets wrong or the machine does to the gateway
# before a night starts. Every configuration in tests/data/hostile/config/
# refused with exit status 2 and a message naming file and line; MariaDB
# refusing connections: exit status 1 at once, saying where and as whom;
# the log file on a full disk (/dev/full): said once on stderr, the night
# still runs, its messages delivered.
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$(dirname "$0")/common.sh"
db=$top/scripts/db.sh
trap '"$db" start >/dev/null 2>&1 || true; cleanup' EXIT
start_sim 18680 "-d 20 -l 20"
fresh_schemas
replay_configs >"$work/configs" || problem "a hostile configuration was not refused as it should be"
runs=$(cat "$work/configs" 2>/dev/null || echo 0)

"$db" stop >/dev/null
rc=0
out=$(timeout -s KILL 60 "$FEEGATE_BIN" -c "$conf" run --date "$today" 2>&1) || rc=$?
"$db" start >/dev/null
[ "$rc" -eq 1 ] || problem "database down at start-up: exit status $rc, not 1"
case "$out" in *"db: connect to $sock as feegate_it"*) ;; *) problem "database down at start-up: said [$out]" ;; esac
runs=$((runs + 1))

sms_accounts 200 S
send_conf 18681 "receipt_wait = 15
$allday
[log]
file = /dev/full"
rc=0
timeout -s KILL 120 "$FEEGATE_BIN" -c "$conf" run --date "$today" >"$work/full.out" 2>"$work/full.err" || rc=$?
[ "$rc" -eq 0 ] || problem "log on a full disk: exit status $rc"
[ "$(grep -c 'cannot write the log file /dev/full: No space left on device' "$work/full.err")" -eq 1 ] ||
	problem "log on a full disk: not said exactly once on stderr"
[ "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" -eq 200 ] ||
	problem "log on a full disk: not every message delivered"
runs=$((runs + 1))
tally "start-up (bad configs, database down, disk full)" "$runs"
