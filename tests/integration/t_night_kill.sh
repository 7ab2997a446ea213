#!/bin/sh
# A night killed part-way (SIGKILL: the host rebooted, the OOM killer) and
# run again leaves what a night never interrupted leaves: the same cases,
# notices, messages, tasks, refused rows and audit events, the chain
# intact. The night runs on two connections ([database] night_connections,
# the default), each step committing on its own for its part of the
# accounts, so a kill can leave one part's step committed and the other's
# not; here a transaction of the test's holds one row of one part's
# account (or the audit chain's head), the night is killed while that
# part waits for it and the other has committed, and the night is run
# again, killed again elsewhere, and at last run to its end.
. "$(dirname "$0")/lib.sh"

nights="2026-10-01 2026-10-08 2026-10-15 2026-10-22"

load_sample() {
	fresh_schemas
	{ echo "SET @n = 2000, @seed = 't_night_kill', @start = '2026-10-01', @on_time = 0.5;"
	  cat "$top/sql/demo/generate.sql"; } | mysql_cli "$bschema"
}
audit_rows() { sqlg "SELECT COUNT(*) FROM audit_log WHERE business_date = '$1'"; }
events() { sqlg "SELECT business_date, event, COUNT(*) FROM audit_log GROUP BY 1, 2 ORDER BY 1, 2"; }
# The part (of two) an account is planned in, as DB_PART (store/db.h).
in_part() { echo "CRC32(${2:-}account_no) % 2 = $1"; }

# The reference: each night run once.
load_sample
for d in $nights; do night $d; done
ref=$(snapshot)
ref_events=$(events)
for d in $nights; do eval "ref_$(echo $d | tr -d -)=$(audit_rows $d)"; done
# The rows the holds below take, chosen from what the nights did.
failed_0=$(sqlg "SELECT account_no FROM notices WHERE failed_on = '2026-10-08' AND seq = 1
	AND $(in_part 0) ORDER BY account_no LIMIT 1")
stepped_1=$(sqlg "SELECT account_no FROM notices WHERE sent_on = '2026-10-15' AND seq = 3
	AND $(in_part 1) ORDER BY account_no LIMIT 1")
tasked_0=$(sqlg "SELECT k.account_no FROM collection_tasks t JOIN dunning_cases k ON k.case_id = t.case_id
	WHERE $(in_part 0 k.) ORDER BY k.account_no LIMIT 1")
for v in "$failed_0" "$stepped_1" "$tasked_0"; do
	[ -n "$v" ] || fail "the sample data should have an account for each hold"
done

# feegate's sessions: waiting for a lock, and doing anything else (a
# statement, or a transaction open between statements).
sessions() {
	sqlg "SELECT COALESCE(SUM(t.trx_state = 'LOCK WAIT'), 0),
		COALESCE(SUM(p.command <> 'Sleep' AND COALESCE(t.trx_state, '') <> 'LOCK WAIT')
		 + SUM(p.command = 'Sleep' AND t.trx_id IS NOT NULL), 0)
		FROM information_schema.processlist p
		LEFT JOIN information_schema.innodb_trx t ON t.trx_mysql_thread_id = p.id
		WHERE p.user = 'feegate_it'"
}

# killed NAME DATE HOLD_SQL: the night DATE run while HOLD_SQL is held
# (in READ COMMITTED, as feegate's own sessions: in REPEATABLE READ it
# would also lock the gaps beside its rows and hold up the night's
# inserts there), and killed once feegate's sessions all either wait for
# the hold or are done with their step (twice in a row, 0.1 s apart);
# the hold ended and the killed sessions gone before the test goes on.
killed() {
	hold "$gschema" 1 "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED; BEGIN; $3"
	before=$(audit_rows "$2")
	"$FEEGATE_BIN" -c "$conf" run --date "$2" >"$work/$1.out" 2>"$work/$1.err" &
	pid=$!
	bg_pids="$bg_pids $pid"
	seen=0
	i=0
	while [ $seen -lt 2 ] && [ $i -lt 300 ]; do
		case "$(sessions)" in
		0*) seen=0 ;;
		*" 0") seen=$((seen + 1)) ;;
		*) seen=0 ;;
		esac
		kill -0 $pid 2>/dev/null || fail "$1: the night ended while held: $(tail -3 "$work/$1.err")"
		sleep 0.1
		i=$((i + 1))
	done
	[ $seen -ge 2 ] || fail "$1: the night never waited for the hold alone (waiting, busy: $(sessions))"
	waiting=$(sqlg "SELECT LEFT(p.info, 60) FROM information_schema.innodb_trx t
		JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id
		WHERE p.user = 'feegate_it' AND t.trx_state = 'LOCK WAIT' LIMIT 1")
	kill -KILL $pid
	wait $pid 2>/dev/null || true
	end_holder
	i=0
	while [ "$(sqlg "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'feegate_it'")" != 0 ] &&
	      [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	eq 0 "$(sqlg "SELECT COUNT(*) FROM information_schema.processlist WHERE user = 'feegate_it'")" \
	   "$1: the killed night's sessions ended"
	after=$(audit_rows "$2")
	eq "" "$(sqlg "SELECT finished_at FROM nights WHERE business_date = '$2' AND finished_at IS NOT NULL")" \
	   "$1: the killed night is not finished"
	echo "     $1: killed waiting in [$waiting], audit rows of $2 $before -> $after"
}

# Committed (the audit rows of DATE grew) but not all (fewer than the
# reference's).
partway() {
	ref_d=$(eval echo "\$ref_$(echo $2 | tr -d -)")
	[ "$after" -gt "$before" ] && [ "$after" -lt "$ref_d" ] ||
		fail "$1: one part's step should commit, not the night: $before -> $after of $ref_d"
}

load_sample
# Night 1: the chain's head held: both parts wait to write the
# planning's audit rows, what came before committed. (Night 1's other
# writes are inserts into tables numbered by AUTO_INCREMENT: a part that
# waits for a row there holds the table's AUTO-INC lock, and the other
# part's insert waits for it.)
killed n1-head 2026-10-01 "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"
eq 0 "$(sqlg "SELECT COUNT(*) FROM notices WHERE sent_on = '2026-10-01'")" \
   "n1-head: the planning did not commit"
night 2026-10-01
# Night 2: a notice of part 0's about to fail, held.
killed n2-notice 2026-10-08 "SELECT notice_id FROM notices WHERE account_no = '$failed_0' FOR UPDATE"
partway n2-notice 2026-10-08
night 2026-10-08
# Night 3: a case of part 1's about to take its third step, held; then
# the night killed again while the chain's head is held.
killed n3-case 2026-10-15 "SELECT case_id FROM dunning_cases WHERE account_no = '$stepped_1' FOR UPDATE"
partway n3-case 2026-10-15
killed n3-head 2026-10-15 "SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE"
night 2026-10-15
# Night 4: the case of an account of part 0 that escalates, held.
killed n4-case 2026-10-22 "SELECT case_id FROM dunning_cases WHERE account_no = '$tasked_0' FOR UPDATE"
partway n4-case 2026-10-22
night 2026-10-22

eq "$ref" "$(snapshot)" "the nights killed and run again leave what the nights run once left"
eq "$ref_events" "$(events)" "the same audit events, night by night"
has "$(fg audit verify)" "chain intact" "the audit chain"
done_ok
