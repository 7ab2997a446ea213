#!/bin/sh
# down: the provider closes every connection for FAULT_DOWN seconds (300)
# while FAULT_DOWN_N messages (2,000) are due, under `feegate serve`. The
# gateway pauses the provider instead of burning attempts, and after each
# pause (1 s doubling to 60 s) sends three probes: while it is down the
# provider sees the first volley of `concurrency` (32) requests and three
# per pause, at most 32 + 3 * (7 + FAULT_DOWN / 60) in all. Once it is
# back every message is delivered.
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$(dirname "$0")/common.sh"
N=${FAULT_DOWN_N:-2000}
DOWN=${FAULT_DOWN:-300}
RATE=2000 TIMEOUT=2 scenario 18650 "$N" W "receipt_wait = 15
max_attempts = 5"
fgok plan --date "$today"
sim_control '{"reset": 1.0}'
start=$(date +%s)
serve_start
sleep "$DOWN"
during=$(sqlg "SELECT COUNT(*) FROM audit_log WHERE event = 'message_attempt'")
echo "     down for $(( $(date +%s) - start )) s: $during attempts recorded, $(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'expired'") expired, most attempts for one message $(sqlg "SELECT MAX(attempts) FROM messages")"
bound=$((32 + 3 * (7 + DOWN / 60)))
[ "$during" -le "$bound" ] || problem "$during attempts while the provider was down, more than $bound (a retry storm)"
sim_control '{"reset": 0}'
until_done 600
until_receipts 120
serve_stop
delivered=$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")
[ "$delivered" -eq "$N" ] || problem "only $delivered of $N delivered once the provider was back"
tally "provider down ${DOWN} s" 1
