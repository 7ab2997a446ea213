/*
 * tasks.h: manual collection tasks for collectors (`feegate tasks`).
 */
#ifndef FEEGATE_TASKS_H
#define FEEGATE_TASKS_H

#include <stdio.h>

#include "store/db.h"

/* A known task state: open, assigned, done, cancelled. */
int tasks_valid_state(const char *s);
/* The most tasks a page of the staff pages and the API holds. */
#define TASKS_PAGE_MAX 1000

/* Which tasks: a state and a grid (each MAY be NULL: any), those after
 * task `after` in task order, at most `limit` of them (0: all). */
struct tasks_query {
	const char *state;
	const char *grid;
	unsigned long long after;
	unsigned int limit;
};

/* Print the tasks q names, streamed: as a JSON array when json is set,
 * else as a table. *next is the last task printed when there are more
 * after it (ask again with after = *next), else 0. Each filter is read
 * through its index, so that a page reads about the rows it shows
 * whatever the history holds. */
int tasks_print(struct db *db, const struct tasks_query *q, int json, FILE *out,
		unsigned long long *next, struct fg_err *err);

/* The query string ("after=N&limit=L&state=S&grid=G", each value
 * percent-encoded) of the page after task `next` with q's filters:
 * the staff pages' link and the API's Link header. Free it. */
char *tasks_next_query(const struct tasks_query *q, unsigned long long next);

#endif
