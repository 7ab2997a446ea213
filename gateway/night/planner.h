/*
 * planner.h: the dunning ladder's planning steps for one night (see
 * docs/internals.md, "The ladder"). Each step is set-based SQL over the night's temporary
 * tables, in one transaction with its audit rows, and idempotent: running
 * the same night again finds nothing left to do.
 */
#ifndef FEEGATE_PLANNER_H
#define FEEGATE_PLANNER_H

#include "night/night.h"

/* Close active cases whose balance fell below min_amount (paid or
 * below_minimum), whose account went on hold, or whose customer left
 * billing (cancelled); settle or cancel their notices, cancel unsent
 * messages, close open tasks. */
int planner_settle(struct night *nt, struct fg_err *err);
/* Fail the notices due to fail (as escalate_fail_notices does), open a
 * case for every account owing at least min_amount with no active case
 * and no hold, and send the next notice of every open case whose last
 * notice has failed and is step_days old (notice 1 for new cases): one
 * queued message to the first consented, valid contact by priority, or an
 * unreachable notice when there is none. One transaction: the new notice's
 * audit row carries the failure of the one before. */
int planner_advance(struct night *nt, struct fg_err *err);
/* settle, advance: the ladder's part of a night's plan, for the accounts
 * in the session's tmp_bal (the outages are outage_plan's, outage.h). */
int planner_run(struct night *nt, struct fg_err *err);

#endif
