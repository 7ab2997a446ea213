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
bg_pids="$bg_pids $d1"
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

# Whatever the kill left in doubt was put back, audited, and its mark
# cleared: no lease outlives its message's answer, and no batch is left
# with a message unanswered (the killed dispatcher's were found from
# their batches' rows, migration 026).
eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE lease_owner IS NOT NULL")" "no lease or recovery mark left"
eq "0" "$(sqlg "SELECT COUNT(*) FROM message_batches WHERE unanswered > 0")" "no batch left unanswered"
eq "$(sqlg "SELECT COUNT(*) FROM messages WHERE last_error LIKE 'in doubt%'")" \
	"$(sqlg "SELECT COUNT(DISTINCT message_id) FROM audit_log WHERE event = 'message_in_doubt'")" \
	"every message put back in doubt is audited"

# 1b. Leases a dead dispatcher left behind, made by hand: six `submitting`
# (in doubt) in a batch of seven whose seventh was answered (delivered
# since), and six `leased` (claimed, never sent; earlier builds wrote
# that state). Recovery puts back exactly those six and six, audits each
# once, clears its marks, and each is sent once. Ahead of the batch, a
# thousand more in doubt whose messages were sent since, all submitted
# more than a day before: recovery reads them a page at a time and
# reaches the six (it read one page of 1,000, then dropped the rest of
# the day-old rows, the six's batch with them).
start_sim 18432 "-d 50 -l 20"
load
send_conf 18425 "lease = 5
receipt_wait = 3"
fgok plan --date 2026-10-02
# Every 50th message by its place in the queue (the ids have gaps where
# the night's connections' inserts took theirs).
every50() {
	sqlg "SELECT GROUP_CONCAT(message_id ORDER BY message_id) FROM
	      (SELECT message_id, ROW_NUMBER() OVER (ORDER BY message_id) AS r FROM messages) x
	      WHERE r % 50 = $1"
}
doubt=$(every50 1)
leased=$(every50 2)
answered=$(every50 3 | cut -d, -f1)
sqlg "INSERT INTO message_batches (channel, provider, submitted_at, lease_expires_at,
	unanswered, message_ids)
	SELECT 'sms', 'sim', '2026-09-30 23:58', '2026-10-01 00:00', 1, '0' FROM seq_1_to_1000"
sqlg "UPDATE messages SET state = 'submitting', attempts = 1, lease_owner = 'dead:1',
	lease_expires_at = '2026-10-01 00:00' WHERE message_id IN ($doubt);
      INSERT INTO message_batches (channel, provider, submitted_at, lease_expires_at,
	unanswered, message_ids)
	VALUES ('sms', 'sim', '2026-09-30 23:59', '2026-10-01 00:00', 6, '$doubt,$answered');
      UPDATE messages SET batch_id = LAST_INSERT_ID() WHERE message_id IN ($doubt, $answered);
      UPDATE messages SET state = 'delivered', attempts = 1 WHERE message_id = $answered"
sqlg "UPDATE messages SET state = 'leased', attempts = 1, lease_owner = 'dead:1',
	lease_expires_at = '2026-10-01 00:00' WHERE message_id IN ($leased)"
fgok dispatch --now "2026-10-02 10:00"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE state = 'delivered'")" "dead leases: every message delivered"
eq "0" "$(sim_stat duplicates)" "dead leases: none twice"
eq "0" "$(sim_count "$(sqlg "SELECT address FROM messages WHERE message_id = $answered")")" \
	"dead leases: the batch's answered message not sent again"
eq "6 6 $doubt" "$(sqlg "SELECT COUNT(*), COUNT(DISTINCT message_id), GROUP_CONCAT(DISTINCT message_id ORDER BY message_id) FROM audit_log WHERE event = 'message_in_doubt'" | tr '\t' ' ')" "the six in doubt audited once each"
eq "6 6 $leased" "$(sqlg "SELECT COUNT(*), COUNT(DISTINCT message_id), GROUP_CONCAT(DISTINCT message_id ORDER BY message_id) FROM audit_log WHERE event = 'message_requeued'" | tr '\t' ' ')" "the six leased requeued once each"
eq "6" "$(sqlg "SELECT COUNT(*) FROM messages WHERE message_id IN ($leased) AND attempts = 1")" "a lease that never sent costs no attempt"
eq "0" "$(sqlg "SELECT COUNT(*) FROM messages WHERE lease_owner IS NOT NULL")" "dead leases: no mark left"
eq "0" "$(sqlg "SELECT COUNT(*) FROM message_batches WHERE unanswered > 0")" "dead leases: every batch in doubt put back"
has "$(fg audit verify)" "chain intact" "audit chain after recovery"

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
# Each batch counted its answers and receipts down to nothing, whichever
# dispatcher took the receipt.
eq "0" "$(sqlg "SELECT COUNT(*) FROM message_batches WHERE unanswered > 0 OR awaited > 0")" \
	"three dispatchers: every batch settled"
shares=$(for k in 1 2 3; do sed -n 's/^dispatch: sent=\([0-9]*\) .*/\1/p' "$work/m$k.out"; done | tr '\n' ' ')
echo "     sent by each dispatcher: $shares"
has "$(fg audit verify)" "chain intact" "audit chain after concurrent dispatchers"
done_ok
