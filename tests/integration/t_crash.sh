#!/bin/sh
# A dispatcher killed with SIGKILL in the middle of a batch loses nothing
# and, restarted, sends nothing twice; several dispatchers on one database
# never send a message twice. The simulator de-duplicates nothing: it counts
# what it received.
. "$(dirname "$0")/lib.sh"
N=300
load() {
	fresh_schemas
	sms_accounts $N K
}
start_sim 18430 "-d 50 -l 20"

# 1. SIGKILL mid-batch, then restart.
load
send_conf 18425 "lease = 5
receipt_wait = 3"
fgok plan --date 2026-10-02
"$FEEGATE_BIN" -c "$conf" dispatch --now "2026-10-02 10:00" >"$work/d1.out" 2>"$work/d1.err" &
d1=$!
sim_pids="$sim_pids $d1"
i=0
until [ "$(sim_stat received)" -ge 40 ]; do i=$((i + 1)); [ $i -lt 200 ] || fail "nothing sent"; sleep 0.05; done
kill -9 "$d1"
wait "$d1" 2>/dev/null || true
before=$(sim_stat received)
[ "$before" -lt $N ] || fail "the dispatcher finished before it was killed"
echo "     killed after $before of $N; in the database then: $(sqlg "SELECT GROUP_CONCAT(CONCAT(state, '=', n)) FROM (SELECT state, COUNT(*) n FROM messages GROUP BY state) x")"
# Restart at once (receipts for what was in flight arrive here), and again
# after the leases have run out.
fgok dispatch --now "2026-10-02 10:00"
sleep 11
fgok dispatch --now "2026-10-02 10:01"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "every message delivered"
eq "$N" "$(sim_stat unique)" "the provider received every message"
eq "0" "$(sim_stat duplicates)" "and none twice"
has "$(fg audit verify)" "chain intact" "audit chain after SIGKILL"

# 2. Three dispatchers at once on one database (a fresh simulator: the
# message ids start again).
start_sim 18431 "-d 50 -l 20"
load
send_conf 18425 "receipt_wait = 5"
fgok plan --date 2026-10-02
for k in 1 2 3; do
	sed "s/^port = .*/port = 1844$k/; s|^public_url = .*|public_url = http://127.0.0.1:1844$k|" "$conf" >"$work/d$k.ini"
	"$FEEGATE_BIN" -c "$work/d$k.ini" dispatch --now "2026-10-02 10:00" >"$work/m$k.out" 2>"$work/m$k.err" &
	eval "m$k=\$!"
done
for k in 1 2 3; do
	eval "p=\$m$k"
	wait "$p" || fail "dispatcher $k failed: $(tail -3 "$work/m$k.err")"
	grep -q Sanitizer "$work/m$k.err" && fail "sanitizer report in dispatcher $k"
done
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "three dispatchers: every message delivered"
eq "$N" "$(sim_stat unique)" "three dispatchers: every message received"
eq "0" "$(sim_stat duplicates)" "three dispatchers: none twice"
shares=$(for k in 1 2 3; do grep -c "result=Sent" "$work/m$k.err" || true; done | tr '\n' ' ')
echo "     sent by each dispatcher: $shares"
has "$(fg audit verify)" "chain intact" "audit chain after concurrent dispatchers"
done_ok
