#!/bin/sh
# faults.sh [SCENARIO...]: the fault suite (scripts/faults/*.sh), each
# scenario bounded in count and time, on loopback, against the private
# MariaDB and the provider simulator; stops what it starts, by PID. Prints
# one table: fault, runs, messages, lost, duplicated, result. Exit status 1
# when a scenario fails.
#
# Scenarios (default: all, in this order) and their knobs:
#   sigkill     FAULT_N=100000 messages, FAULT_KILLS=20 SIGKILLs, FAULT_SEED
#   dbrestart   FAULT_DB_N=30000, FAULT_RESTARTS=3, FAULT_DB_DOWN=3 (s)
#   flaky       FAULT_FLAKY_N=5000 (503 30%, timeouts 10%, 429 bursts)
#   down        FAULT_DOWN_N=2000, FAULT_DOWN=300 (s the provider is down)
#   receipts    FAULT_RECEIPT_N=1000, FAULT_RECEIPT_DELAY=60 (s late)
#   noreceipts  FAULT_RECEIPT_N=1000
#   four        FAULT_FOUR_N=40000 (four dispatchers at once)
#   startup     hostile configurations, database down, log on /dev/full
# FEEGATE_BIN picks the binary (default bin/feegate, the optimized build).
# BATCH=N (and CONCURRENCY=M) send in the http adapter's batch form.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
make -s all bin/feegate-sim || exit 1
export FEEGATE_BIN=${FEEGATE_BIN:-$top/bin/feegate}
export FAULT_RESULTS=$top/var/faults/results.tsv
mkdir -p var/faults
: >"$FAULT_RESULTS"
[ $# -gt 0 ] || set -- sigkill dbrestart flaky down receipts noreceipts four startup
failed=0
for s in "$@"; do
	[ -f "scripts/faults/$s.sh" ] || { echo "faults.sh: no scenario '$s'" >&2; exit 2; }
	start=$(date +%s)
	echo "== $s"
	rows=$(wc -l <"$FAULT_RESULTS")
	if ! sh "scripts/faults/$s.sh"; then
		failed=1
		# Stopped before its tally: a row all the same.
		[ "$(wc -l <"$FAULT_RESULTS")" -gt "$rows" ] ||
			printf '%s\t-\t-\t-\t-\tFAIL (see above)\n' "$s" >>"$FAULT_RESULTS"
	fi
	echo "   ($s: $(( $(date +%s) - start )) s)"
done
echo
awk -F'\t' 'BEGIN { printf "%-52s %5s %9s %5s %10s  %s\n", "fault", "runs", "messages", "lost", "duplicated", "result" }
	{ printf "%-52s %5s %9s %5s %10s  %s\n", $1, $2, $3, $4, $5, $6 }' "$FAULT_RESULTS"
exit $failed
