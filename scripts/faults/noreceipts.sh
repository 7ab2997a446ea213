#!/bin/sh
# noreceipts: the provider accepts FAULT_RECEIPT_N messages (1,000) and
# never sends a receipt: they stay `accepted` (what the policy says of a
# message the provider took), and nothing is sent again.
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$(dirname "$0")/common.sh"
N=${FAULT_RECEIPT_N:-1000}
RATE=2000 CONCURRENCY=8 scenario 18670 "$N" U "receipt_wait = 5
lease = 5"
sim_control '{"no_receipts": true}'
fgok run --date "$today"
sleep 6
bounded_dispatch 60
accepted=$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'accepted'")
[ "$accepted" -eq "$N" ] || problem "$accepted of $N accepted"
tally "receipts never sent" 2
