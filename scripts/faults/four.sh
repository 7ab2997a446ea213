#!/bin/sh
# four: four dispatchers at once on one database, FAULT_FOUR_N messages
# (40,000): none sent twice, none lost, the work shared.
. "$(dirname "$0")/../../tests/integration/lib.sh"
. "$(dirname "$0")/common.sh"
N=${FAULT_FOUR_N:-40000}
RATE=8000 scenario 18620 "$N" F "receipt_wait = 30"
fgok plan --date "$today"
pids=""
for k in 1 2 3 4; do
	sed "s/^port = .*/port = 1862$((k + 1))/; s|^public_url = .*|public_url = http://127.0.0.1:1862$((k + 1))|" "$conf" >"$work/d$k.ini"
	timeout -s KILL 600 "$FEEGATE_BIN" -c "$work/d$k.ini" dispatch >"$work/d$k.out" 2>"$work/d$k.err" &
	pids="$pids $!"
done
for p in $pids; do wait "$p" || problem "a dispatcher failed"; done
# Each dispatcher's own count, from its summary on standard output.
sent_by() { sed -n 's/^dispatch: sent=\([0-9]*\) .*/\1/p' "$work/d$1.out"; }
shares=$(for k in 1 2 3 4; do sent_by $k; done | tr '\n' ' ')
echo "     sent by each dispatcher: $shares"
for k in 1 2 3 4; do
	[ "$(sent_by $k)" -gt 0 ] 2>/dev/null || problem "dispatcher $k sent nothing"
done
tally "four dispatchers on one database" 4
