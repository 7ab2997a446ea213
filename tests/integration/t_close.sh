#!/bin/sh
# How cases end: paid (unsent messages cancelled, an open task closed with
# reason paid), below the minimum, on dunning hold (and a new case from
# notice 1 when the hold is lifted), the customer gone from billing. Each
# reason both for an account still owing tonight and for one that owes
# nothing overdue (the planner looks billing's customer up only for the
# latter), and a dunning_hold gone missing, which stops notices but closes
# nothing.
# Disputed and cancelled bills never count; grace_days delays everything.
. "$(dirname "$0")/lib.sh"
fresh_schemas

customer P1; contact 1 P1 sms +8613800000011; bill P1-1 P1 80.00 2026-10-01
customer M1; contact 2 M1 sms +8613800000012; bill M1-1 M1 80.00 2026-10-01
customer H1; contact 3 H1 sms +8613800000013; bill H1-1 H1 80.00 2026-10-01
customer G1; contact 4 G1 sms +8613800000014; bill G1-1 G1 80.00 2026-10-01
customer T1; contact 5 T1 sms +8613800000015; bill T1-1 T1 80.00 2026-10-01
customer D1; contact 6 D1 sms +8613800000016
bill D1-1 D1 500.00 2026-10-01 0 disputed
bill D1-2 D1 500.00 2026-10-01 0 cancelled
customer HOLD 1; contact 7 HOLD sms +8613800000017; bill HOLD-1 HOLD 80.00 2026-10-01
customer G2; contact 8 G2 sms +8613800000018; bill G2-1 G2 80.00 2026-10-01
customer H2; contact 9 H2 sms +8613800000019; bill H2-1 H2 80.00 2026-10-01
customer N1; contact 10 N1 sms +8613800000020; bill N1-1 N1 80.00 2026-10-01

night 2026-10-02
eq "" "$(state D1)" "disputed and cancelled bills do not count"
eq "" "$(state HOLD)" "no case while on dunning hold"
eq "open/1 1:planned" "$(state P1)" "P1 notice 1"

# P1 pays in full: case closed paid, notice settled, its message cancelled.
pay P1-1
# M1 pays all but 0.50: below the 1.00 minimum.
sqlb "UPDATE billing_bills SET amount_paid = 79.50 WHERE bill_id = 'M1-1'"
# H1 goes on dunning hold (a dispute, hardship).
sqlb "UPDATE billing_customers SET dunning_hold = 1 WHERE account_no = 'H1'"
# G1 disappears from billing.
sqlb "DELETE FROM billing_customers WHERE account_no = 'G1'"
# G2 disappears, and its bill is paid (nothing overdue left either).
sqlb "DELETE FROM billing_customers WHERE account_no = 'G2'"
pay G2-1
# H2 goes on hold and pays the same day: paid, not hold.
sqlb "UPDATE billing_customers SET dunning_hold = 1 WHERE account_no = 'H2'"
pay H2-1
# N1's dunning_hold goes missing: no new notice, but no close either.
# (Billing's column may allow NULL: t_hostile's schema does.)
sqlb "ALTER TABLE billing_customers MODIFY dunning_hold INT NULL DEFAULT 0"
sqlb "UPDATE billing_customers SET dunning_hold = NULL WHERE account_no = 'N1'"
night 2026-10-03
eq "closed/1 1:settled" "$(state P1)" "paid: case closed, notice settled"
eq "paid" "$(sqlg "SELECT close_reason FROM dunning_cases WHERE account_no = 'P1'")" "reason paid"
eq "cancelled" "$(sqlg "SELECT m.state FROM messages m JOIN notices n USING (notice_id) WHERE n.account_no = 'P1'")" "unsent message cancelled on payment"
eq "below_minimum" "$(sqlg "SELECT close_reason FROM dunning_cases WHERE account_no = 'M1'")" "below the minimum"
eq "closed/1 1:cancelled" "$(state H1)" "hold: notice cancelled"
eq "hold" "$(sqlg "SELECT close_reason FROM dunning_cases WHERE account_no = 'H1'")" "reason hold"
eq "cancelled" "$(sqlg "SELECT close_reason FROM dunning_cases WHERE account_no = 'G1'")" "customer gone: cancelled"
eq "cancelled" "$(sqlg "SELECT close_reason FROM dunning_cases WHERE account_no = 'G2'")" "customer gone, nothing owed: cancelled"
eq "closed/1 1:settled" "$(state H2)" "on hold and paid: settled"
eq "paid" "$(sqlg "SELECT close_reason FROM dunning_cases WHERE account_no = 'H2'")" "on hold and paid: reason paid"
eq "open/1 1:planned" "$(state N1)" "dunning_hold missing: the case stays open"
has "$(cat "$work/night-2026-10-03.out")" "paid: 2, below minimum: 1, hold: 1, cancelled: 2" "summary by reason"

# While on hold nothing happens; once lifted a new case starts at notice 1.
night 2026-10-10
eq "closed/1 1:cancelled" "$(state H1)" "nothing while on hold"
sqlb "UPDATE billing_customers SET dunning_hold = 0 WHERE account_no = 'H1'"
night 2026-10-11
eq "closed/1,open/1 1:cancelled,1:planned" "$(state H1)" "hold lifted: new case from notice 1"

# T1 reaches a task, then pays: the task is closed with reason paid.
# (Notice 2 went out on 2026-10-10, the first night run after 10-09.)
night 2026-10-17
night 2026-10-24
eq "escalated/3 1:failed,2:failed,3:failed task:open" "$(state T1)" "T1 escalated"
pay T1-1
night 2026-10-25
eq "closed/3 1:failed,2:failed,3:failed task:done" "$(state T1)" "payment closes the case and the task"
eq "paid 2026-10-25" "$(sqlg "SELECT close_reason, closed_on FROM collection_tasks WHERE account_no = 'T1'")" "task closed with reason paid"

# Audit rows exist for every closing step.
eq "1" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'P1' AND event = 'case_closed' AND detail LIKE '%\"reason\":\"paid\"%'")" "case_closed audited"
eq "1" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'P1' AND event = 'message_cancelled'")" "message_cancelled audited"
eq "1" "$(sqlg "SELECT COUNT(*) FROM audit_log WHERE account_no = 'T1' AND event = 'task_closed'")" "task_closed audited"

# grace_days: a bill due 2026-10-01 with grace 3 is overdue from 2026-10-05.
fresh_schemas "
[dunning]
grace_days = 3"
customer A; contact 1 A sms +8613800000021; bill A-1 A 50.00 2026-10-01
night 2026-10-04
eq "" "$(state A)" "not yet overdue within the grace period"
night 2026-10-05
eq "open/1 1:planned" "$(state A)" "overdue once due_date + grace_days has passed"
has "$(fg audit verify)" "chain intact" "audit chain"
done_ok
