/*
 * tasks.c: see tasks.h.
 */
#include "store/tasks.h"

#include <curl/curl.h>
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
	unsigned int limit;      /* 0: all */
	unsigned long long last; /* the last task printed */
	int more;                /* a row past the limit came */
};

static int
task_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct print_ctx *p = arg;
	unsigned int i;

	(void)err;
	if (p->limit > 0 && p->n == p->limit) {
		p->more = 1; /* the one asked for past the page */
		return 0;
	}
	p->last = strtoull(row->val[0], NULL, 10);
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
tasks_print(struct db *db, const struct tasks_query *q, int json, FILE *out,
	    unsigned long long *next, struct fg_err *err)
{
	struct print_ctx p = {out, json, 0, q->limit, 0, 0};
	struct db_param par[4];
	size_t np = 0;
	struct sbuf sql;
	int rc;

	/* The conditions asked for, and only those: each combination is
	 * then a range of one index in task order (the key, tasks_state,
	 * tasks_grid, tasks_grid_state), which the page's LIMIT ends. */
	sbuf_init(&sql);
	sbuf_adds(&sql,
		  "SELECT task_id, account_no, case_id, grid_id, amount_due,"
		  " notices_failed, notices_delivered, state,"
		  " DATE_FORMAT(created_on, '%Y-%m-%d') AS created_on,"
		  " reason, DATE_FORMAT(closed_on, '%Y-%m-%d') AS closed_on,"
		  " close_reason"
		  " FROM collection_tasks WHERE task_id > ?");
	par[np++] = DB_ID(q->after);
	if (q->state != NULL) {
		sbuf_adds(&sql, " AND state = ?");
		par[np++] = DB_STR(q->state);
	}
	if (q->grid != NULL) {
		sbuf_adds(&sql, " AND grid_id = ?");
		par[np++] = DB_STR(q->grid);
	}
	sbuf_adds(&sql, " ORDER BY task_id");
	if (q->limit > 0) {
		sbuf_adds(&sql, " LIMIT ?");
		par[np++] = DB_INT((long long)q->limit + 1);
	}
	if (json)
		fputc('[', out);
	rc = db_query(db, DB_STREAM, sql.s, par, np, task_cb, &p, err);
	sbuf_free(&sql);
	if (rc != 0)
		return -1;
	if (json)
		fputs("]\n", out);
	else if (p.n == 0)
		fprintf(out, "no collection tasks\n");
	else if (p.more)
		fprintf(out,
			"%llu task%s; more after task %llu (--after %llu)\n",
			p.n, p.n == 1 ? "" : "s", p.last, p.last);
	else
		fprintf(out, "%llu task%s\n", p.n, p.n == 1 ? "" : "s");
	if (next != NULL)
		*next = p.more ? p.last : 0;
	return 0;
}

/* v percent-encoded after "&key=" into b. */
static void
query_add(struct sbuf *b, const char *key, const char *v)
{
	char *e = curl_easy_escape(NULL, v, 0);

	sbuf_addf(b, "&%s=%s", key, e != NULL ? e : "");
	curl_free(e);
}

char *
tasks_next_query(const struct tasks_query *q, unsigned long long next)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_addf(&b, "after=%llu&limit=%u", next, q->limit);
	if (q->state != NULL)
		query_add(&b, "state", q->state);
	if (q->grid != NULL)
		query_add(&b, "grid", q->grid);
	return sbuf_take(&b);
}
