/*
 * tasks.h: manual collection tasks for collectors (`feegate tasks`).
 */
#ifndef FEEGATE_TASKS_H
#define FEEGATE_TASKS_H

#include <stdio.h>

#include "store/db.h"

/* A known task state: open, assigned, done, cancelled. */
int tasks_valid_state(const char *s);
/* Print tasks (filters MAY be NULL), streamed: as a JSON array when json
 * is set, else as a table. */
int tasks_print(struct db *db, const char *state, const char *grid, int json,
		FILE *out, struct fg_err *err);

#endif
