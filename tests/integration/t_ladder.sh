#!/bin/sh
# The dunning ladder with the defaults (grace 0, step 7, 3 notices, min 1.00):
# notice 1 the night the balance is overdue, one step a week while unpaid,
# exactly one collection task after the third failed notice and never before.
. "$(dirname "$0")/lib.sh"
fresh_schemas

customer A1 0 G7
contact 11 A1 sms +8613800000001
bill A1-1 A1 100.00 2026-10-01          # overdue from 2026-10-02
bill A1-2 A1 20.50 2026-10-05           # joins the same case later

customer A2                             # exactly the minimum: dunned
contact 21 A2 sms +8613800000002
bill A2-1 A2 1.00 2026-10-01
customer A3                             # one cent short: never dunned
contact 31 A3 sms +8613800000003
bill A3-1 A3 0.99 2026-10-01

customer A4 0 G4                        # pays part: the ladder goes on
contact 41 A4 sms +8613800000004
bill A4-1 A4 200.00 2026-10-01

night 2026-10-01
eq "" "$(state A1)" "not overdue on its due date"

night 2026-10-02
eq "open/1 1:planned" "$(state A1)" "notice 1 the first night overdue"
eq "1" "$(sqlg "SELECT COUNT(*) FROM messages WHERE account_no = 'A1' AND state = 'queued' AND contact_id = 11")" "one queued message"
eq "open/1 1:planned" "$(state A2)" "balance equal to min_amount opens a case"
eq "" "$(state A3)" "balance below min_amount opens nothing"
eq "100.00" "$(sqlg "SELECT balance_at_open FROM dunning_cases WHERE account_no = 'A1'")" "balance at open"

night 2026-10-08
eq "open/1 1:planned" "$(state A1)" "nothing before step_days"
sqlb "UPDATE billing_bills SET amount_paid = 150.00 WHERE bill_id = 'A4-1'"

# A notice with two messages (a fallback's, delivered, beside the first,
# still queued) fails once: counted once, reached, its unsent message
# cancelled with it.
sqlg "INSERT INTO messages (notice_id, case_id, account_no, channel, contact_id, address, state, created_on)
      SELECT notice_id, case_id, account_no, 'sms', 42, '+8613800000042', 'delivered', '2026-10-02'
      FROM notices WHERE account_no = 'A4' AND seq = 1"
# The night's statements in its debug log, to count the passes below.
printf '\n[log]\nlevel = debug\n' >>"$conf"
night 2026-10-09
sed -i '/^\[log\]$/,$d' "$conf"
eq "open/2 1:failed,2:planned" "$(state A1)" "notice 1 fails at 7 days, notice 2 the same night"
# `feegate run` fails notices once, when it plans: its escalation step
# (after sending) only raises tasks, since the same date and balances can
# fail nothing more (a second pass cost 0.6 s at 1M customers). The night
# plans on two connections (the default night_connections), each failing
# its own part's notices once.
eq "2" "$(grep -c 'CREATE TEMPORARY TABLE tmp_fail' "$work/night-2026-10-09.err")" \
   "one pass failing notices a night on each of its connections"
eq "open/2 1:failed,2:planned" "$(state A4)" "a partial payment leaves the ladder running"
has "$(cat "$work/night-2026-10-09.out")" "notices failed (unpaid)    3" \
    "each failed notice counted once, however many messages it had"
eq "1 1" "$(sqlg "SELECT COUNT(*), MAX(JSON_VALUE(detail, '$.delivered')) FROM audit_log
	WHERE event = 'notice_failed' AND account_no = 'A4'")" \
   "the failed notice's one audit row says a message reached the customer"
eq "cancelled delivered" "$(sqlg "SELECT GROUP_CONCAT(m.state ORDER BY m.message_id SEPARATOR ' ')
	FROM messages m JOIN notices n ON n.notice_id = m.notice_id WHERE n.account_no = 'A4' AND n.seq = 1")" \
   "the notice's unsent message cancelled, its delivered one kept"
eq "1" "$(sqlg "SELECT COUNT(*) FROM dunning_cases WHERE account_no = 'A1'")" "two overdue bills, one case"

night 2026-10-16
eq "open/3 1:failed,2:failed,3:planned" "$(state A1)" "notice 3"
night 2026-10-22
eq "0" "$(sqlg "SELECT COUNT(*) FROM collection_tasks")" "no task before the third notice has failed"

night 2026-10-23
eq "escalated/3 1:failed,2:failed,3:failed task:open" "$(state A1)" "task after the third failed notice"
eq "A1 G7 120.50 3 0 open 2026-10-23" \
   "$(sqlg "SELECT account_no, grid_id, amount_due, notices_failed, notices_delivered, state, created_on FROM collection_tasks WHERE account_no = 'A1'")" \
   "task fields: grid from the customer, balance, 3 failed"
eq "G4 50.00" "$(sqlg "SELECT grid_id, amount_due FROM collection_tasks WHERE account_no = 'A4'")" "task for what is still owed"
has "$(cat "$work/night-2026-10-23.out")" "collection tasks raised    3" "summary counts tasks"

night 2026-10-30
night 2026-11-20
eq "3" "$(sqlg "SELECT COUNT(*) FROM collection_tasks")" "exactly one task per case, however long it stays unpaid"
eq "3" "$(sqlg "SELECT COUNT(*) FROM notices WHERE account_no = 'A1'")" "no fourth notice"

# The invariant over everything this test did: every task's case has
# three failed notices, none was raised before the third failed.
eq "0" "$(sqlg "SELECT COUNT(*) FROM collection_tasks t WHERE
	(SELECT COUNT(*) FROM notices n WHERE n.case_id = t.case_id AND n.state = 'failed'
	   AND n.failed_on <= t.created_on) < 3")" "no task before three failed notices"

out=$(fg tasks --json)
has "$out" '"amount_due":"120.50"' "tasks --json amount as a string with 2 decimals"
has "$out" '"created_on":"2026-10-23"' "tasks --json created_on"
has "$out" '"notices_delivered":0' "tasks --json notices_delivered"
eq "1" "$(fg tasks --grid G7 | grep -c " A1 ")" "tasks --grid shows the grid's task"
hasnt "$(fg tasks --grid G7)" " A4 " "tasks --grid hides other grids"

out=$(fg audit verify)
has "$out" "chain intact" "audit chain"
done_ok
