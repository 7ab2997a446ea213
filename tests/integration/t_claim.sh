#!/bin/sh
# A claim for a channel with nothing to send reads a bounded number of
# index entries, whatever the other channels have queued: 20,000 SMS
# waiting (their provider not configured tonight), then `feegate dispatch`
# with only e-mail configured. MariaDB's own counters (Handler_read_*,
# global: nothing else runs meanwhile) say how many rows it read; through
# an index without the channel (before migration 016) each claim read
# every waiting SMS.
# Then 3,000 of them sent with e-mail configured beside, and nothing to
# send by e-mail: the idle lane's claims (MariaDB's slow query log, every
# statement) stay a few a second; before, it was claimed at every tick
# and after every answer, hundreds of times a second, each claim a
# transaction on the one claimer ahead of the busy lane's.
# Then the other 17,000 queued again and sent while purge is held back:
# each claim starts where the last ended, not at the queue's head among
# the claimed messages' entries (pages touched a row claimed, bounded).
. "$(dirname "$0")/lib.sh"
fresh_schemas
start_sink 19450
start_sim 19451
N=20000
owing_sms $N Q
claim_conf() {
	write_conf "
[channels]
$1

$(sms_section sim)
concurrency = 32

$(smtp_section mail 19450)

[receipts]
port = 19452
public_url = http://127.0.0.1:19452

[dispatch]
receipt_wait = 0"
}
claim_conf "sms = sim
email = mail"
fgok plan --date 2026-10-02
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state = 'queued'")" "$N SMS waiting"
claim_conf "email = mail"
reads() { sqlg "SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_read_key', 'Handler_read_rnd_next')" |
	awk '{ s += $2 } END { print s }'; }
before=$(reads)
fgok dispatch --now "2026-10-02 10:00"
after=$(reads)
read=$((after - before))
echo "     a dispatch with e-mail idle beside $N waiting SMS read $read rows"
[ "$read" -lt 2000 ] || fail "the idle channel's claims read $read rows (bounded: under 2,000 whatever is queued)"
eq "$N" "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state = 'queued'")" "the SMS untouched"

sqlg "UPDATE messages SET state = 'cancelled' WHERE channel = 'sms' AND message_id > (SELECT m FROM
      (SELECT MIN(message_id) + 2999 AS m FROM messages) x)"
claim_conf "sms = sim
email = mail"
sim_control '{"latency_ms": 20}'
slow_on
t0=$(date +%s.%N)
"$FEEGATE_BIN" -c "$conf" dispatch --now "2026-10-02 10:00" >"$work/dispatch.out" 2>"$work/dispatch.err"
rc=$?
t1=$(date +%s.%N)
slow_off
eq 0 "$rc" "dispatch: $(tail -2 "$work/dispatch.err")"
eq 3000 "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state IN ('accepted', 'delivered')")" "3,000 SMS sent"
idle=$(grep -c "BETWEEN 0 AND 0 AND channel = 'email' AND queue_state = 'queued'" "$slow" || true)
busy=$(grep -c "BETWEEN 0 AND 0 AND channel = 'sms' AND queue_state = 'queued'" "$slow" || true)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
echo "     in $secs s: $busy claims for SMS, $idle for the idle e-mail lane"
[ "$busy" -gt 0 ] || fail "no SMS claim in the slow log: $slow"
bound=$(awk -v s="$secs" 'BEGIN { printf "%d", 3 * s + 10 }')
[ "$idle" -le "$bound" ] || fail "the idle e-mail lane claimed $idle times in $secs s (at most $bound: it waits up to 0.5 s after finding nothing)"

# The claims go on from where the last ended. The index entries of the
# messages claimed before stay, delete-marked, until InnoDB's purge takes
# them away; here purge waits behind a transaction held open (as behind a
# long report or a backup's snapshot), and that transaction's write makes
# InnoDB look up each passed entry's row (it might be the open one's). A
# claim from the queue's start walks them all: MariaDB's slow log says
# how many pages each claim touched. 17,000 SMS queued again and sent.
sqlg "UPDATE messages SET state = 'queued', next_attempt_at = NULL, attempts = 0,
      receipt_token = NULL WHERE channel = 'sms' AND state = 'cancelled'"
sqlg "CREATE TABLE hold_purge (x INT)"
mkfifo "$work/hold"
mysql_cli "$gschema" <"$work/hold" >/dev/null 2>&1 &
bg_pids="$bg_pids $!"
exec 9>"$work/hold"
echo "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;
START TRANSACTION WITH CONSISTENT SNAPSHOT; INSERT INTO hold_purge VALUES (1);" >&9
slow_on
"$FEEGATE_BIN" -c "$conf" dispatch --now "2026-10-02 10:00" >"$work/dispatch2.out" 2>"$work/dispatch2.err"
rc=$?
slow_off
echo "ROLLBACK;" >&9
exec 9>&-
eq 0 "$rc" "dispatch: $(tail -2 "$work/dispatch2.err")"
eq 20000 "$(sqlg "SELECT COUNT(*) FROM messages WHERE channel = 'sms' AND state IN ('accepted', 'delivered')")" "all 20,000 SMS sent"
# Pages a claimed row, for each SMS claim of 20 rows or more that got all
# it asked for. One that gets fewer has read to its range's end, and
# InnoDB passes delete-marked entries before it looks at the end (those
# the messages claimed before left, until purge): the last claims of a
# queue walk them, from a cursor or not.
set -- $(awk -v schema="$gschema" '
	/^# Thread_id:/ { ours = index($0, "Schema: " schema " ") > 0 }
	/Rows_sent:/ { for (i = 1; i < NF; i++) if ($i == "Rows_sent:") rows = $(i + 1) }
	/Pages_accessed:/ { pages = $3 }
	ours && /^SELECT message_id, notice_id, case_id/ && /channel = .sms./ && rows >= 20 &&
	match($0, /LIMIT [0-9]+/) && substr($0, RSTART + 6, RLENGTH - 6) + 0 == rows {
		n++; r = pages / rows; if (r > max) max = r; sum += pages }
	END { printf "%d %d %d\n", n, max + 0.5, sum }' "$slow")
echo "     $1 SMS claims behind the claimed messages' entries: at most $2 pages a row claimed ($3 pages in all)"
[ "$1" -ge 40 ] || fail "only $1 SMS claims in the slow log: $slow"
[ "$2" -le 20 ] || fail "a claim touched $2 pages a row it claimed (at most 20: it starts where the last one ended)"
done_ok
