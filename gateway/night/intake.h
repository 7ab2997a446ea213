/*
 * intake.h: the night's first step, reading billing: what tonight's bills
 * and customers are, and which of billing's rows feegate refuses.
 */
#ifndef FEEGATE_INTAKE_H
#define FEEGATE_INTAKE_H

#include "night/night.h"

/* tmp_bal (the overdue balance of each account, and its customer row),
 * tmp_quar (accounts paused for a bad bill) and tmp_bad (the rows
 * refused), in the session's temporary tables only. */
int intake_read(struct night *nt, struct fg_err *err);
/* intake_read, then the refused rows recorded (input_errors and the
 * audit trail) in a transaction of their own. */
int intake_run(struct night *nt, struct fg_err *err);

#endif
