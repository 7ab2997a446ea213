/*
 * context.c: see context.h.
 */
#include "queue/context.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/dates.h"
#include "base/money.h"

struct load_ctx {
	struct notice_context *c;
	int found;
};

static int
row_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct load_ctx *l = arg;
	struct notice_context *c = l->c;
	long long cents = 0;

	(void)err;
	l->found = 1;
	c->name = xstrndup(row->val[0] ? row->val[0] : "",
			   row->val[0] ? row->len[0] : 0);
	c->locale = xstrdup(row->val[1] ? row->val[1] : "");
	if (row->val[2] != NULL && money_parse(row->val[2], &cents) != 0)
		cents = 0;
	c->t.amount_cents = cents;
	c->periods = xstrdup(row->val[3] ? row->val[3] : "");
	str_copy(c->due_date, row->val[4] ? row->val[4] : "",
		 sizeof(c->due_date));
	return 1;
}

int
context_load(struct db *db, const struct config *cfg, const char *account_no,
	     const char *date, struct notice_context *out, int *found,
	     struct fg_err *err)
{
	struct load_ctx l = {out, 0};

	memset(out, 0, sizeof(*out));
	str_copy(out->account_no, account_no, sizeof(out->account_no));
	str_copy(out->business_date, date, sizeof(out->business_date));
	if (db_query(
		    db, DB_STREAM,
		    "SELECT c.name, c.locale,"
		    " ROUND(SUM(b.amount_due - b.amount_paid), 2),"
		    " GROUP_CONCAT(DISTINCT b.period ORDER BY b.period"
		    "  SEPARATOR ','),"
		    " DATE_FORMAT(MIN(b.due_date), '%Y-%m-%d')"
		    " FROM (SELECT ? AS k) p JOIN {B}.billing_customers c"
		    "  ON {=customers.account_no c.account_no p.k}"
		    " LEFT JOIN {B}.billing_bills b"
		    "  ON {=bills.account_no b.account_no p.k}"
		    "  AND b.status = 'open' AND CAST(b.status AS BINARY) = 'open'"
		    "  AND b.due_date < DATE_SUB(?, INTERVAL ? DAY)"
		    " GROUP BY p.k",
		    DB_ARGS(DB_STR(account_no), DB_STR(date),
			    DB_INT(cfg->dunning.grace_days)),
		    row_cb, &l, err) != 0) {
		context_free(out);
		return -1;
	}
	*found = l.found;
	out->t.account_no = out->account_no;
	out->t.name = out->name;
	out->t.periods = out->periods;
	out->t.due_date = out->due_date[0] ? out->due_date : NULL;
	out->t.business_date = out->business_date;
	context_late_fee(out, cfg);
	return 0;
}

static long
days_between(const char *from, const char *to)
{
	struct tm a = {0}, b = {0};

	if (strptime(from, "%Y-%m-%d", &a) == NULL ||
	    strptime(to, "%Y-%m-%d", &b) == NULL)
		return 0;
	return (long)((timegm(&b) - timegm(&a)) / 86400);
}

void
context_late_fee(struct notice_context *c, const struct config *cfg)
{
	long days;

	c->t.late_fee_cents = -1;
	if (cfg->dunning.late_fee_ppm <= 0 || c->t.due_date == NULL ||
	    !date_valid(c->t.due_date) || !date_valid(c->business_date))
		return;
	days = days_between(c->t.due_date, c->business_date);
	if (days > 0 && c->t.amount_cents > 0)
		c->t.late_fee_cents =
			money_apply_rate(c->t.amount_cents,
					 cfg->dunning.late_fee_ppm, days);
}

void
context_free(struct notice_context *c)
{
	FREE(c->name);
	FREE(c->locale);
	FREE(c->periods);
	FREE(c->area);
	FREE(c->reason);
	FREE(c->ticket);
	FREE(c->status);
}
