/*
 * tasks.c: see tasks.h.
 */
#include "store/tasks.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

int
tasks_valid_state(const char *s)
{
	static const char *const states[] = {"open", "assigned", "done",
					     "cancelled"};
	size_t i;

	for (i = 0; i < FG_NELEM(states); i++)
		if (strcmp(s, states[i]) == 0)
			return 1;
	return 0;
}

struct print_ctx {
	FILE *out;
	int json;
	unsigned long long n;
};

static int
task_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct print_ctx *p = arg;
	unsigned int i;

	(void)err;
	if (p->json) {
		json_t *o = json_object();
		char *s;

		for (i = 0; i < row->ncols; i++) {
			const char *v = row->val[i];
			json_t *j;

			if (v == NULL) {
				j = json_null();
			} else if (row->is_int[i]) {
				j = json_integer(strtoll(v, NULL, 10));
			} else {
				char *clean = utf8_clean(v, row->len[i], 1);
				j = json_string(clean);
				free(clean);
			}
			json_object_set_new(o, row->name[i], j);
		}
		s = json_dumps(o, JSON_COMPACT);
		fprintf(p->out, "%s%s", p->n ? ",\n " : "", s);
		free(s);
		json_decref(o);
	} else {
		if (p->n == 0)
			fprintf(p->out,
				"%8s  %-12s %8s  %-10s %14s  %s  %s  %-9s "
				"%s\n",
				"task", "account", "case", "grid", "amount due",
				"failed", "delivered", "state", "created");
		fprintf(p->out,
			"%8s  %-12s %8s  %-10s %14s  %6s  %9s  %-9s %s\n",
			row->val[0], row->val[1], row->val[2],
			row->val[3] ? row->val[3] : "-", row->val[4],
			row->val[5], row->val[6], row->val[7], row->val[8]);
	}
	p->n++;
	return 0;
}

int
tasks_print(struct db *db, const char *state, const char *grid, int json,
	    FILE *out, struct fg_err *err)
{
	struct print_ctx p = {out, json, 0};
	struct db_param st = state ? DB_STR(state) : DB_NULL;
	struct db_param gr = grid ? DB_STR(grid) : DB_NULL;

	if (json)
		fputc('[', out);
	if (db_query(
		    db, DB_STREAM,
		    "SELECT task_id, account_no, case_id, grid_id, amount_due,"
		    " notices_failed, notices_delivered, state,"
		    " DATE_FORMAT(created_on, '%Y-%m-%d') AS created_on,"
		    " reason, DATE_FORMAT(closed_on, '%Y-%m-%d') AS closed_on,"
		    " close_reason"
		    " FROM collection_tasks"
		    " WHERE (? IS NULL OR state = ?) AND (? IS NULL OR grid_id = ?)"
		    " ORDER BY task_id",
		    DB_ARGS(st, st, gr, gr), task_cb, &p, err) != 0)
		return -1;
	if (json)
		fputs("]\n", out);
	else if (p.n == 0)
		fprintf(out, "no collection tasks\n");
	else
		fprintf(out, "%llu task%s\n", p.n, p.n == 1 ? "" : "s");
	return 0;
}
