#!/bin/sh
# receipts: receipts FAULT_RECEIPT_DELAY seconds late (60; the rule is the
# same for an hour: nothing is resent while the provider has accepted a
# message) and receipts never sent, FAULT_RECEIPT_N messages (1,000) each.
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$(dirname "$0")/common.sh"
N=${FAULT_RECEIPT_N:-1000}
DELAY=${FAULT_RECEIPT_DELAY:-60}
sim_opts="-d $((DELAY * 1000)) -l 20"
RATE=2000 CONCURRENCY=8 scenario 18660 "$N" T "receipt_wait = 5"
fgok run --date "$today"
accepted=$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'accepted'")
[ "$accepted" -eq "$N" ] || problem "$accepted of $N accepted and waiting for a receipt"
# Later the receipts come: a dispatcher (or serve) is listening then.
sed -i "s/^receipt_wait = 5$/receipt_wait = $((DELAY + 30))/" "$conf"
bounded_dispatch $((DELAY + 120))
delivered=$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")
[ "$delivered" -eq "$N" ] || problem "$delivered of $N delivered once the late receipts came"
tally "receipts ${DELAY} s late" 2
