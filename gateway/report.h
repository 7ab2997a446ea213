/*
 * report.h: how collection went over a range of business dates (`feegate
 * report`): cases, notices by step, what paid after which notice, tasks by
 * grid, messages by channel (with SMS parts and dead contacts), billing rows
 * refused.
 */
#ifndef FEEGATE_REPORT_H
#define FEEGATE_REPORT_H

#include <stdio.h>

#include "db.h"

/* from and to MAY be NULL: the first and last night run. */
int report_print(struct db *db, const char *from, const char *to, FILE *out,
		 struct fg_err *err);

#endif
