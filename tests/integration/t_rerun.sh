#!/bin/sh
# Idempotence and the planner lock: re-running a night changes nothing; two
# runs of the same night started at the same moment give the same result as
# one; missed nights stretch the ladder (one step per night); nights run
# forward only.
. "$(dirname "$0")/lib.sh"

load_sample() {
	fresh_schemas
	{ echo "SET @n = 2000, @seed = 't_rerun', @start = '2026-10-01', @on_time = 0.5;"
	  cat "$top/sql/demo/generate.sql"; } | mysql_cli "$bschema"
}

nights="2026-10-01 2026-10-08 2026-10-15 2026-10-22"

# Reference: one run per night.
load_sample
for d in $nights; do night $d; done
ref=$(snapshot)
[ "$(sqlg "SELECT COUNT(*) FROM collection_tasks")" -gt 10 ] || fail "sample data should raise tasks by 2026-10-22"
opened=$(sqlg "SELECT COUNT(*) FROM dunning_cases")
[ "$opened" -gt 500 ] || fail "sample data should open hundreds of cases, got $opened"

# The same night again: nothing changes, not even the audit trail.
night 2026-10-22
eq "$ref" "$(snapshot)" "re-running a night changes nothing"
has "$(cat "$work/night-2026-10-22.out")" "audit rows written         0" "re-run writes no audit rows"

# Nights run forward.
set +e
out=$(fg run --date 2026-10-07 2>&1); rc=$?
set -e
eq "2" "$rc" "an earlier business date is refused with exit 2"
has "$out" "before the last night already run (2026-10-22)" "and says why"

# The pass's steps on their own, plan then escalate, do what run does.
load_sample
for d in $nights; do
	fg plan --date $d >/dev/null 2>"$work/plan.err" || fail "plan $d: $(cat "$work/plan.err")"
	fg escalate --date $d >/dev/null 2>"$work/esc.err" || fail "escalate $d: $(cat "$work/esc.err")"
done
eq "$ref" "$(snapshot)" "plan + escalate = run"

# Two concurrent runs of each night, on the same data from scratch.
load_sample
for d in $nights; do
	fg run --date $d >"$work/a-$d.out" 2>&1 &
	a=$!
	fg run --date $d >"$work/b-$d.out" 2>&1 &
	b=$!
	wait $a || fail "concurrent run A of $d failed: $(cat "$work/a-$d.out")"
	wait $b || fail "concurrent run B of $d failed: $(cat "$work/b-$d.out")"
	grep -q Sanitizer "$work/a-$d.out" "$work/b-$d.out" && fail "sanitizer report"
	# One of the two did the work, the other found nothing left to do.
	eq "1" "$(grep -l 'audit rows written         0' "$work/a-$d.out" "$work/b-$d.out" | wc -l)" \
	   "exactly one of two concurrent runs of $d did the work"
done
eq "$ref" "$(snapshot)" "two concurrent runs per night = one run per night"
has "$(fg audit verify)" "chain intact" "audit chain after concurrent runs"

# A step that fails half-way leaves nothing behind: its changes and its
# audit rows are one transaction. Here the audit head is made unreadable, so
# every step fails when it comes to write its audit rows.
fresh_schemas
customer R1; contact 1 R1 sms +8613800000051; bill R1-1 R1 70.00 2026-10-01
head=$(sqlg "SELECT hash FROM audit_head")
sqlg "DELETE FROM audit_head"
set +e
out=$(fg run --date 2026-10-02 2>&1); rc=$?
set -e
eq "1" "$rc" "a failed night exits 1"
has "$out" "audit_head is empty" "and says why"
eq "0 0 0 0" "$(sqlg "SELECT (SELECT COUNT(*) FROM dunning_cases), (SELECT COUNT(*) FROM notices), (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM audit_log)")" \
   "nothing half-done"
sqlg "INSERT INTO audit_head VALUES (1, 0, '$head')"
night 2026-10-02
eq "open/1 1:planned" "$(state R1)" "the re-run completes the night"
has "$(fg audit verify)" "chain intact" "audit chain"

# A step that waits too long for a lock (or is chosen as a deadlock victim)
# is rolled back whole and run again. Here another session holds the audit
# head for 2.5 s while feegate waits at most 1 s per try.
fresh_schemas "lock_wait = 1"
customer L1; contact 1 L1 sms +8613800000061; bill L1-1 L1 70.00 2026-10-01
mysql_cli "$gschema" -e "BEGIN; SELECT seq FROM audit_head FOR UPDATE; SELECT SLEEP(2.5); COMMIT;" >/dev/null &
blocker=$!
sleep 0.3
night 2026-10-02
wait $blocker
eq "open/1 1:planned" "$(state L1)" "the night completed after retrying"
has "$(cat "$work/night-2026-10-02.err")" "lock conflict, running the step again" "the retry is logged"
eq "1 1" "$(audit_events L1 | tr , '\n' | grep -c '^case_opened$') $(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'L1' AND event = 'notice_planned'")" \
   "counted and audited once"
has "$(cat "$work/night-2026-10-02.out")" "cases opened               1" "the summary counts the committed run only"
has "$(fg audit verify)" "chain intact" "audit chain"

# Missed nights: the ladder resumes where it was, one step per night.
fresh_schemas
customer S1; contact 1 S1 sms +8613800000041; bill S1-1 S1 70.00 2026-10-01
night 2026-10-02
night 2026-11-30
eq "open/2 1:failed,2:planned" "$(state S1)" "after a gap: one step only"
night 2026-12-01
eq "open/2 1:failed,2:planned" "$(state S1)" "the next night: nothing (notice 2 is a day old)"
night 2026-12-07
eq "open/3 1:failed,2:failed,3:planned" "$(state S1)" "notice 3 a week after notice 2"
night 2026-12-14
eq "escalated/3 1:failed,2:failed,3:failed task:open" "$(state S1)" "task a week after notice 3"
done_ok
