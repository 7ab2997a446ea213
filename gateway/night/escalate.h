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
/* fail notices, then raise tasks: the escalate step of a night. */
int escalate_run(struct night *nt, struct fg_err *err);

#endif
