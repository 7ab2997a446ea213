#!/bin/sh
# dbrestart: MariaDB restarted FAULT_RESTARTS (3) times in the middle of a
# night of FAULT_DB_N messages (30,000), down FAULT_DB_DOWN (3) s each time.
# The night's `run` connects again and finishes: nothing lost, nothing
# sent twice.
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$(dirname "$0")/common.sh"
N=${FAULT_DB_N:-30000}
R=${FAULT_RESTARTS:-3}
db=$top/scripts/db.sh
trap '"$db" start >/dev/null 2>&1 || true; cleanup' EXIT
RATE=2000 scenario 18630 "$N" D "receipt_wait = 30"
timeout -s KILL 900 "$FEEGATE_BIN" -c "$conf" run --date "$today" >"$work/run.out" 2>"$work/run.err" &
run=$!
r=0
while [ $r -lt "$R" ]; do
	i=0
	until [ "$(sim_stat received)" -ge $(( (r + 1) * N / (R + 2) )) ]; do
		i=$((i + 1)); [ $i -lt 1200 ] || break; sleep 0.05
	done
	"$db" stop >/dev/null
	echo "     restart $((r + 1)): server stopped at $(sim_stat received) received"
	sleep "${FAULT_DB_DOWN:-3}"
	"$db" start >/dev/null
	r=$((r + 1))
done
rc=0; wait "$run" || rc=$?
[ "$rc" -eq 0 ] || problem "the run ended with status $rc: $(tail -1 "$work/run.err")"
echo "     reconnections logged: $(grep -c 'connected again after' "$work/run.err" || true)"
[ "$(unfinished)" -eq 0 ] || bounded_dispatch 300
tally "MariaDB restarted x$R mid-night" "$R"
