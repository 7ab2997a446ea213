/*
 * report.h: how collection went over a range of business dates (`feegate
 * report`): cases, notices by step, what paid after which notice, tasks by
 * grid, messages by channel (with SMS parts and dead contacts), billing rows
 * refused.
 */
#ifndef FEEGATE_REPORT_H
#define FEEGATE_REPORT_H

#include <stdio.h>

#include <jansson.h>

#include "store/db.h"

/* from and to MAY be NULL: the first and last night run. As text, or
 * with json one object of the same figures (docs/operations.md). */
int report_print(struct db *db, const char *from, const char *to, int json,
		 FILE *out, struct fg_err *err);

/* The staff pages' reports for [from, to] (both given) as JSON arrays of
 * string rows: "nights" (date, channel, messages, delivered, failed,
 * units billed), "recovery" (how cases opened in the range ended: "notice
 * N", "task", other close reasons, or their state; count), "blocked"
 * (contact_id, account_no, channel, address (full: mask it), reason,
 * since, failures). */
json_t *report_data(struct db *db, const char *from, const char *to,
		    struct fg_err *err);

#endif
