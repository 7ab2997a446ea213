#!/bin/sh
# The database goes away under a running night: restarted in the middle of
# sending, the gateway connects again with backoff, runs the interrupted
# transactions again, and loses nothing and sends nothing twice; gone for
# longer than [database] reconnect_for, the run stops with a clear error and
# the next run finishes the work; refused at start-up, a clear error and
# exit status 1. Each run is bounded (timeout -s KILL). The test stops and
# starts the private MariaDB (its own, under var/; tests run one at a time).
. "$(dirname "$0")/lib.sh"
db=$top/scripts/db.sh
N=1500
load() {
	fresh_schemas
	sms_accounts $N R
}
wait_sent() {
	i=0
	until [ "$(sim_stat received)" -ge "$1" ]; do
		i=$((i + 1)); [ $i -lt 300 ] || fail "the provider received nothing"; sleep 0.05
	done
}
# However the test ends, the server is left running for the next one.
trap '"$db" start >/dev/null 2>&1 || true; cleanup' EXIT

# 1. Restarted in the middle of sending.
start_sim 18450 "-d 50 -l 20"
load
RATE=400 send_conf 18455 "receipt_wait = 10"
timeout -s KILL 120 "$FEEGATE_BIN" -c "$conf" run --date 2026-10-02 --now "2026-10-02 10:00" >"$work/r1.out" 2>"$work/r1.err" &
r1=$!
wait_sent 300
"$db" stop >/dev/null
at=$(sim_stat received)
sleep 2
"$db" start >/dev/null
rc=0; wait "$r1" || rc=$?
grep -q Sanitizer "$work/r1.err" && fail "sanitizer report: $(cat "$work/r1.err")"
eq "0" "$rc" "restart: the run ends well ($(tail -2 "$work/r1.err"))"
[ "$at" -lt $N ] || fail "restart: everything was sent before the server stopped"
echo "     server stopped after $at of $N sent, back 2 s later"
has "$(cat "$work/r1.err")" "lost the connection to the database" "restart: the loss is logged"
has "$(cat "$work/r1.err")" "connected again after" "restart: so is the reconnection"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "restart: every message delivered"
eq "$N" "$(sim_stat unique)" "restart: the provider received every message"
eq "0" "$(sim_stat duplicates)" "restart: none twice"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'message_attempt'")" "restart: one attempt row each"
has "$(fg audit verify)" "chain intact" "restart: audit chain"

# 2. Gone for longer than reconnect_for: the run stops, the next finishes.
start_sim 18451 "-d 50 -l 20"
load
RATE=400 send_conf 18455 "receipt_wait = 10
[database]
reconnect_for = 3"
# (write_conf put [database] first; the second section adds to it.)
timeout -s KILL 120 "$FEEGATE_BIN" -c "$conf" run --date 2026-10-02 --now "2026-10-02 10:00" >"$work/r2.out" 2>"$work/r2.err" &
r2=$!
wait_sent 300
"$db" stop >/dev/null
rc=0; wait "$r2" || rc=$?
grep -q Sanitizer "$work/r2.err" && fail "sanitizer report: $(cat "$work/r2.err")"
eq "1" "$rc" "gone: the run fails"
has "$(cat "$work/r2.err")" "has not come back within 3 s" "gone: and says why"
"$db" start >/dev/null
fgok run --date 2026-10-02 --now "2026-10-02 10:00"
# What was claimed but not yet submitted when the server went comes back
# when its lease has run out (two minutes later on the run's clock).
echo "     gone: after the next run, still leased: $(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'leased'")"
fgok dispatch --now "2026-10-02 10:05"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "gone: the next run delivers every message"
eq "$N" "$(sim_stat unique)" "gone: the provider received every message"
echo "     gone for good mid-night: $(sim_stat duplicates) sent twice (in doubt when the server went)"
has "$(fg audit verify)" "chain intact" "gone: audit chain"

# 3. Refused at start-up: a clear error, exit status 1, at once.
"$db" stop >/dev/null
t0=$(date +%s)
rc=0; timeout -s KILL 60 "$FEEGATE_BIN" -c "$conf" run --date 2026-10-03 --now "2026-10-03 10:00" >"$work/r3.out" 2>"$work/r3.err" || rc=$?
"$db" start >/dev/null
eq "1" "$rc" "refused: exit status 1"
has "$(cat "$work/r3.err")" "db: connect to $sock as feegate_it" "refused: names where and as whom"
[ $(( $(date +%s) - t0 )) -le 5 ] || fail "refused: took more than 5 s to say so"
done_ok
