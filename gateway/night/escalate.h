/*
 * escalate.h: when automated notices have failed. A notice fails when it is
 * step_days old and the balance is still due, delivered or not; after the
 * last (by default third) failed notice, exactly one collection task is
 * raised for the case, assigned to the customer's grid. Never before.
 */
#ifndef FEEGATE_ESCALATE_H
#define FEEGATE_ESCALATE_H

#include "night/night.h"

/* Mark failed the latest notice of each open case that is step_days old
 * with the balance still due; cancel its unsent messages. */
int escalate_fail_notices(struct night *nt, struct fg_err *err);

/*
 * The failing's statements, for planner_advance, which fails the notices
 * in its own transaction and carries each failed notice's event on the
 * row of the notice that follows it (audit.h). In this order:
 * escalate_fail_table (a working table, tmp_fail), escalate_fail_decide
 * (date, step_days, min_amount), escalate_fail_apply_notices (date; the
 * rows it changes are the notices failed), then
 * once tmp_next holds the notices that follow, escalate_fail_audit_uncarried
 * (the failures no row carries: no notice follows, or messages were
 * cancelled, whose rows come after the failure's), escalate_fail_audit_cancel,
 * escalate_fail_apply_messages. escalate_fail_notices stages
 * escalate_fail_audit, every failure a row of its own.
 */
extern const char escalate_fail_table[];
extern const char escalate_fail_decide[];
extern const char escalate_fail_audit[];
extern const char escalate_fail_audit_uncarried[];
extern const char escalate_fail_audit_cancel[];
extern const char escalate_fail_apply_notices[];
extern const char escalate_fail_apply_messages[];
/* Raise a task for each open case whose last notice has failed and is
 * step_days old; the case becomes escalated. */
int escalate_raise_tasks(struct night *nt, struct fg_err *err);
/* Fail notices, then raise tasks: the escalate step of a night. After
 * the same night's planning (planned), which failed the notices already
 * (planner_run), only the tasks: the failures depend on the date and the
 * balances read at the night's start, not on what was sent since, so a
 * second pass finds none (1M customers, night 2: 0.6 s for nothing). */
int escalate_run(struct night *nt, int planned, struct fg_err *err);

#endif
