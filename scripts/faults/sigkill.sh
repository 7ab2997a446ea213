#!/bin/sh
# sigkill: FAULT_N messages (100,000), the dispatcher killed with SIGKILL at
# FAULT_KILLS (20) random moments and restarted at once each time; then
# dispatchers run until every message is final (bounded).
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$(dirname "$0")/common.sh"
N=${FAULT_N:-100000}
KILLS=${FAULT_KILLS:-20}
# lease 30 s: receipts for what was in flight at a kill (the simulator
# retries them) reach the restarted dispatcher first.
RATE=5000 scenario 18610 "$N" K "receipt_wait = 30
lease = 30"
fgok plan --date "$today"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages")" "one message per account"
# Random moments: 0.5 to 4.5 s into each dispatcher's life.
awk -v n="$KILLS" -v seed="${FAULT_SEED:-$$}" 'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.2f\n", 0.5 + 4 * rand() }' >"$work/moments"
k=0
while read -r t; do
	"$FEEGATE_BIN" -c "$conf" dispatch >>"$work/dispatch.out" 2>>"$work/dispatch.err" &
	pid=$!
	bg_pids="$bg_pids $pid"
	sleep "$t"
	kill -9 "$pid" 2>/dev/null && k=$((k + 1))
	wait "$pid" 2>/dev/null || true
	[ "$(unfinished)" -gt 0 ] || break
done <"$work/moments"
echo "     killed $k times; received so far $(sim_stat received), unfinished $(unfinished)"
# Finish: dispatch until nothing is left (leases of the last kill run out
# after 30 s), at most 8 times, each bounded.
i=0
while [ "$(unfinished)" -gt 0 ] && [ $i -lt 8 ]; do
	bounded_dispatch 600
	i=$((i + 1))
	[ "$(unfinished)" -eq 0 ] || sleep 10
done
# Receipts for what the provider accepted come at the provider's pace (the
# simulator posts them one at a time and tries a refused one again for
# 600 s): the daemon listens until none is awaited, at most 300 s.
serve_start
t0=$(date +%s)
until_receipts 300
serve_stop
echo "     receipts settled $(( $(date +%s) - t0 )) s after the last dispatcher"
tally "SIGKILL x$KILLS during a $N-message night" "$((k + i + 1))"
