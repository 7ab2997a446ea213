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
