/*
 * report.c: see report.h. Aggregates only: each query returns a handful of
 * rows whatever the number of customers.
 */
#include "store/report.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/kinds.h"
#include "base/money.h"
#include "base/util.h"

/* Collect every row as an array of strings (NULL as ""). */
static int
rows_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	json_t *r = json_array();
	unsigned int i;

	(void)err;
	for (i = 0; i < row->ncols; i++) {
		char *clean = utf8_clean(row->val[i] ? row->val[i] : "",
					 row->val[i] ? row->len[i] : 0, 1);
		json_array_append_new(r, json_string(clean));
		free(clean);
	}
	json_array_append_new(arg, r);
	return 0;
}

static const char *
cell(const json_t *rows, size_t r, size_t c)
{
	const char *v =
		json_string_value(json_array_get(json_array_get(rows, r), c));

	return v ? v : "";
}

static unsigned long long
ucell(const json_t *rows, size_t r, size_t c)
{
	return strtoull(cell(rows, r, c), NULL, 10);
}

static json_t *
query(struct db *db, const char *sql, const char *from, const char *to,
      struct fg_err *err)
{
	const struct db_param range[] = {DB_STR(from), DB_STR(to)};
	json_t *rows = json_array();

	if (db_query(db, DB_STREAM, sql, range, from ? 2 : 0, rows_cb, rows,
		     err) != 0) {
		json_decref(rows);
		return NULL;
	}
	return rows;
}

static void
money_cell(const char *decimal, char *buf, size_t len)
{
	long long cents = 0;

	if (money_parse(decimal, &cents) != 0)
		cents = 0;
	money_format_grouped(cents, buf, len);
}

/* The report's tables for f .. t into r[1..7] (r[0] is read first):
 * notices by seq, closed cases, active cases, tasks by grid, refused
 * rows, messages by channel, outage notices. */
static int
report_read(struct db *db, const char *f, const char *t, json_t *r[8],
	    struct fg_err *err)
{
	if ((r[1] = query(db,
			  "SELECT seq, COUNT(*), SUM(unreachable) FROM notices"
			  " WHERE kind = 'dunning' AND sent_on BETWEEN ? AND ?"
			  " GROUP BY seq ORDER BY seq",
			  f, t, err)) == NULL ||
	    (r[2] = query(
		     db,
		     "SELECT k.close_reason, IF(x.task_id IS NULL, k.step,"
		     " -1), COUNT(*)"
		     " FROM dunning_cases k"
		     " LEFT JOIN collection_tasks x ON x.case_id = k.case_id"
		     " WHERE k.state = 'closed'"
		     "   AND k.closed_on BETWEEN ? AND ?"
		     " GROUP BY 1, 2",
		     f, t, err)) == NULL ||
	    (r[3] = query(db,
			  "SELECT state, step, COUNT(*) FROM dunning_cases"
			  " WHERE active_account IS NOT NULL"
			  " GROUP BY state, step ORDER BY state, step",
			  NULL, NULL, err)) == NULL ||
	    (r[4] = query(
		     db,
		     "SELECT COALESCE(grid_id, '(none)'), COUNT(*),"
		     " SUM(state = 'open'), SUM(state = 'assigned'),"
		     " SUM(state = 'done'), SUM(state = 'cancelled'),"
		     " SUM(IF(state IN ('open', 'assigned'), amount_due, 0))"
		     " FROM collection_tasks"
		     " WHERE created_on BETWEEN ? AND ?"
		     " GROUP BY 1 ORDER BY 1",
		     f, t, err)) == NULL ||
	    (r[5] = query(db,
			  "SELECT source, reason, COUNT(*) FROM input_errors"
			  " WHERE first_seen_on BETWEEN ? AND ?"
			  " GROUP BY 1, 2 ORDER BY 1, 3 DESC",
			  f, t, err)) == NULL ||
	    (r[6] = query(
		     db,
		     "SELECT m.channel, COUNT(*),"
		     " SUM(m.state = 'delivered'), SUM(m.state = 'accepted'),"
		     " SUM(m.state = 'failed_permanent'),"
		     " SUM(m.state = 'expired'), SUM(m.state = 'cancelled'),"
		     " SUM(m.state IN ('queued', 'retry', 'leased',"
		     "                 'submitting')),"
		     " SUM(COALESCE(m.parts, 0)),"
		     " (SELECT COUNT(*) FROM contact_blocks b"
		     "   WHERE b.channel = m.channel)"
		     " FROM messages m"
		     " WHERE m.created_on BETWEEN ? AND ?"
		     " GROUP BY m.channel"
		     " ORDER BY FIELD(m.channel, {K by_cost}), m.channel",
		     f, t, err)) == NULL ||
	    (r[7] = query(db,
			  "SELECT n.kind, COUNT(*), SUM(n.late_notice),"
			  " SUM(n.unreachable), COUNT(DISTINCT n.outage_id)"
			  " FROM notice_outages o"
			  " JOIN notices n ON n.notice_id = o.notice_id"
			  " WHERE o.sent_on BETWEEN ? AND ?"
			  " GROUP BY n.kind"
			  " ORDER BY FIELD(n.kind, 'outage_notice',"
			  "  'outage_rescheduled', 'outage_reminder',"
			  "  'outage_cancelled', 'outage_restored')",
			  f, t, err)) == NULL)
		return -1;
	return 0;
}

/* The ladder's figures: cases opened, notices sent, how cases ended,
 * what is active now. */
struct ladder {
	unsigned long long unreachable, after[12], after_task, below, hold,
		gone, open_total, escalated;
};

static void
ladder_sum(json_t *r[8], struct ladder *l)
{
	size_t i;

	memset(l, 0, sizeof(*l));
	for (i = 0; i < json_array_size(r[1]); i++)
		l->unreachable += ucell(r[1], i, 2);
	for (i = 0; i < json_array_size(r[2]); i++) {
		const char *reason = cell(r[2], i, 0);
		long long step = strtoll(cell(r[2], i, 1), NULL, 10);
		unsigned long long n = ucell(r[2], i, 2);

		if (strcmp(reason, "paid") == 0 && step < 0)
			l->after_task += n;
		else if (strcmp(reason, "paid") == 0 && step >= 0 && step < 12)
			l->after[step] += n;
		else if (strcmp(reason, "below_minimum") == 0)
			l->below += n;
		else if (strcmp(reason, "hold") == 0)
			l->hold += n;
		else
			l->gone += n;
	}
	for (i = 0; i < json_array_size(r[3]); i++) {
		if (strcmp(cell(r[3], i, 0), "open") == 0)
			l->open_total += ucell(r[3], i, 2);
		else
			l->escalated += ucell(r[3], i, 2);
	}
}

static void
print_ladder(FILE *out, const char *f, const char *t, json_t *r[8],
	     const struct ladder *l)
{
	size_t i, k;

	fprintf(out, "feegate report %s .. %s (%s night%s run)\n\n", f, t,
		cell(r[0], 0, 0), strcmp(cell(r[0], 0, 0), "1") ? "s" : "");
	fprintf(out, "  dunning cases opened     %s\n", cell(r[0], 0, 1));
	fprintf(out, "  notices sent            ");
	for (i = 0; i < json_array_size(r[1]); i++)
		fprintf(out, " #%s: %s%s", cell(r[1], i, 0), cell(r[1], i, 1),
			i + 1 < json_array_size(r[1]) ? "," : "");
	fprintf(out, "%s(unreachable: %llu)\n",
		json_array_size(r[1]) ? "  " : " ", l->unreachable);
	fprintf(out, "  cases paid               ");
	for (k = 1; k < 12; k++)
		if (l->after[k] || k <= 3)
			fprintf(out, "after notice %zu: %llu, ", k,
				l->after[k]);
	fprintf(out, "after the manual task: %llu\n", l->after_task);
	fprintf(out,
		"  cases closed otherwise   below minimum: %llu, on hold: %llu, "
		"customer left billing: %llu\n",
		l->below, l->hold, l->gone);
	fprintf(out, "  active now               open: %llu (", l->open_total);
	for (i = 0, k = 0; i < json_array_size(r[3]); i++)
		if (strcmp(cell(r[3], i, 0), "open") == 0)
			fprintf(out, "%sat notice %s: %s", k++ ? ", " : "",
				cell(r[3], i, 1), cell(r[3], i, 2));
	fprintf(out, "), escalated to collectors: %llu\n", l->escalated);
}

/* Messages by channel, and the contacts found dead. */
static void
print_channels(FILE *out, json_t *rows)
{
	size_t i;

	fprintf(out, "\n  messages by channel  (accepted: the provider took "
		     "it, no receipt yet or none to come)\n");
	fprintf(out, "    %-8s %8s %9s %8s %7s %7s %9s %7s %9s %12s\n",
		"channel", "messages", "delivered", "accepted", "failed",
		"expired", "cancelled", "waiting", "SMS parts",
		"dead contacts");
	for (i = 0; i < json_array_size(rows); i++) {
		/* Parts only for a kind paid by the part. */
		const struct channel_kind_info *c =
			channel_kind_of(cell(rows, i, 0));

		fprintf(out, "    %-8s %8s %9s %8s %7s %7s %9s %7s %9s %12s\n",
			cell(rows, i, 0), cell(rows, i, 1), cell(rows, i, 2),
			cell(rows, i, 3), cell(rows, i, 4), cell(rows, i, 5),
			cell(rows, i, 6), cell(rows, i, 7),
			c != NULL && c->brief ? cell(rows, i, 8) : "",
			cell(rows, i, 9));
	}
	if (json_array_size(rows) == 0)
		fprintf(out, "    (none)\n");
}

/* Outage notices by kind. */
static void
print_outages(FILE *out, json_t *rows)
{
	size_t i;

	fprintf(out,
		"\n  outage notices (late: less lead than the rules ask)\n");
	fprintf(out, "    %-20s %8s %8s %6s %12s\n", "kind", "outages",
		"notices", "late", "unreachable");
	for (i = 0; i < json_array_size(rows); i++)
		fprintf(out, "    %-20s %8s %8s %6s %12s\n", cell(rows, i, 0),
			cell(rows, i, 4), cell(rows, i, 1), cell(rows, i, 2),
			cell(rows, i, 3));
	if (json_array_size(rows) == 0)
		fprintf(out, "    (none)\n");
}

/* Manual collection tasks by grid. */
static void
print_tasks(FILE *out, json_t *rows)
{
	char amount[48];
	size_t i;

	fprintf(out, "\n  manual collection tasks by grid\n");
	fprintf(out, "    %-12s %6s %6s %9s %6s %10s %18s\n", "grid", "tasks",
		"open", "assigned", "done", "cancelled", "still owed");
	for (i = 0; i < json_array_size(rows); i++) {
		money_cell(cell(rows, i, 6), amount, sizeof(amount));
		fprintf(out, "    %-12s %6s %6s %9s %6s %10s %18s\n",
			cell(rows, i, 0), cell(rows, i, 1), cell(rows, i, 2),
			cell(rows, i, 3), cell(rows, i, 4), cell(rows, i, 5),
			amount);
	}
	if (json_array_size(rows) == 0)
		fprintf(out, "    (none)\n");
}

/* Billing rows refused, first seen in the range. */
static void
print_refused(FILE *out, json_t *rows)
{
	size_t i;

	fprintf(out, "\n  billing rows refused (first seen in range)\n");
	for (i = 0; i < json_array_size(rows); i++)
		fprintf(out, "    %-9s %-40s %6s\n", cell(rows, i, 0),
			cell(rows, i, 1), cell(rows, i, 2));
	if (json_array_size(rows) == 0)
		fprintf(out, "    (none)\n");
}

/* A table's rows as objects: column c named names[c] (NULL ends, ""
 * skips it), an integer where types[c] is 'i', an amount (a string of two
 * decimals) where 'm', else the text. */
static json_t *
objects(json_t *rows, const char *const names[], const char *types)
{
	json_t *a = json_array();
	size_t i, c;

	for (i = 0; i < json_array_size(rows); i++) {
		json_t *o = json_object();

		for (c = 0; names[c] != NULL; c++) {
			const char *v = cell(rows, i, c);
			long long cents = 0;
			char amount[48];

			if (names[c][0] == '\0')
				continue;
			if (types[c] == 'i') {
				json_object_set_new(o, names[c],
						    json_integer(strtoll(v,
									 NULL,
									 10)));
			} else if (types[c] == 'm') {
				if (money_parse(v, &cents) != 0)
					cents = 0;
				money_format(cents, amount, sizeof(amount));
				json_object_set_new(o, names[c],
						    json_string(amount));
			} else {
				json_object_set_new(o, names[c],
						    json_string(v));
			}
		}
		json_array_append_new(a, o);
	}
	return a;
}

/* `report --json`: the same figures as the text, one object. */
static void
report_json(FILE *out, const char *f, const char *t, json_t *r[8],
	    const struct ladder *l)
{
	static const char *const notices[] = {"seq", "sent", "unreachable",
					      NULL};
	static const char *const channels[] = {"channel",   "messages",
					       "delivered", "accepted",
					       "failed",    "expired",
					       "cancelled", "waiting",
					       "sms_parts", "dead_contacts",
					       NULL};
	static const char *const outages[] = {"kind",        "notices", "late",
					      "unreachable", "outages", NULL};
	static const char *const tasks[] = {"grid",       "tasks", "open",
					    "assigned",   "done",  "cancelled",
					    "still_owed", NULL};
	static const char *const refused[] = {"source", "reason", "rows", NULL};
	json_t *doc, *paid = json_object(), *open = json_object(), *ch;
	char key[8];
	size_t i, k;

	for (k = 1; k < 12; k++)
		if (l->after[k] || k <= 3) {
			snprintf(key, sizeof(key), "%zu", k);
			json_object_set_new(paid, key,
					    json_integer(
						    (json_int_t)l->after[k]));
		}
	for (i = 0; i < json_array_size(r[3]); i++)
		if (strcmp(cell(r[3], i, 0), "open") == 0)
			json_object_set_new(open, cell(r[3], i, 1),
					    json_integer((json_int_t)ucell(r[3],
									   i,
									   2)));
	/* Parts only for a kind paid by the part, as in the text. */
	ch = objects(r[6], channels, "siiiiiiiii");
	for (i = 0; i < json_array_size(ch); i++) {
		const struct channel_kind_info *c =
			channel_kind_of(cell(r[6], i, 0));

		if (c == NULL || !c->brief)
			json_object_set_new(json_array_get(ch, i), "sms_parts",
					    json_null());
	}
	doc = json_pack(
		"{s:s, s:s, s:I, s:{s:I, s:o, s:I, s:I, s:I, s:I, s:I, s:o, "
		"s:I}, s:o, s:I, s:o, s:o, s:o, s:o}",
		"from", f, "to", t, "nights", (json_int_t)ucell(r[0], 0, 0),
		"cases", "opened", (json_int_t)ucell(r[0], 0, 1),
		"paid_after_notice", paid, "paid_after_task",
		(json_int_t)l->after_task, "below_minimum",
		(json_int_t)l->below, "hold", (json_int_t)l->hold,
		"customer_left", (json_int_t)l->gone, "open",
		(json_int_t)l->open_total, "open_at_notice", open, "escalated",
		(json_int_t)l->escalated, "notices",
		objects(r[1], notices, "iii"), "unreachable",
		(json_int_t)l->unreachable, "channels", ch, "outages",
		objects(r[7], outages, "siiii"), "tasks",
		objects(r[4], tasks, "siiiiim"), "refused",
		objects(r[5], refused, "ssi"));
	json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', out);
	json_decref(doc);
}

int
report_print(struct db *db, const char *from, const char *to, int json,
	     FILE *out, struct fg_err *err)
{
	struct ladder l;
	char f[DATE_LEN], t[DATE_LEN];
	json_t *r[8] = {0};
	size_t i;
	int rc = -1;

	r[0] = query(
		db,
		"SELECT COUNT(*), DATE_FORMAT(MIN(business_date), '%Y-%m-%d'),"
		" DATE_FORMAT(MAX(business_date), '%Y-%m-%d') FROM nights",
		NULL, NULL, err);
	if (r[0] == NULL)
		goto out;
	str_copy(f, from ? from : cell(r[0], 0, 1), sizeof(f));
	str_copy(t, to ? to : cell(r[0], 0, 2), sizeof(t));
	if (f[0] == '\0' || t[0] == '\0') {
		fprintf(out, json ? "{\"nights\": 0}\n"
				  : "no nights have been run yet\n");
		rc = 0;
		goto out;
	}
	json_decref(r[0]);
	r[0] = json_array();
	if (db_query(db, DB_STREAM,
		     "SELECT (SELECT COUNT(*) FROM nights"
		     "  WHERE business_date BETWEEN ? AND ?),"
		     " COUNT(*) FROM dunning_cases"
		     " WHERE opened_on BETWEEN ? AND ?",
		     DB_ARGS(DB_STR(f), DB_STR(t), DB_STR(f), DB_STR(t)),
		     rows_cb, r[0], err) != 0)
		goto out;
	if (report_read(db, f, t, r, err) != 0)
		goto out;
	ladder_sum(r, &l);
	rc = 0;
	if (json) {
		report_json(out, f, t, r, &l);
		goto out;
	}
	print_ladder(out, f, t, r, &l);
	print_channels(out, r[6]);
	print_outages(out, r[7]);
	print_tasks(out, r[4]);
	print_refused(out, r[5]);
out:
	for (i = 0; i < FG_NELEM(r); i++)
		json_decref(r[i]);
	return rc;
}

json_t *
report_data(struct db *db, const char *from, const char *to, struct fg_err *err)
{
	json_t *o = json_object(), *r;

	/* Units billed: what reached the provider (an SMS by its parts; one
	 * part a message of the other kinds). */
	r = query(
		db,
		"SELECT DATE_FORMAT(created_on, '%Y-%m-%d'), channel,"
		" COUNT(*), SUM(state = 'delivered'),"
		" SUM(state = 'failed_permanent'),"
		" SUM(IF(provider_ref IS NULL, 0,"
		"  COALESCE(parts, 1))),"
		" SUM(state = 'accepted')"
		" FROM messages WHERE created_on BETWEEN ? AND ?"
		" GROUP BY 1, 2 ORDER BY 1, FIELD(channel, {K by_cost}), channel",
		from, to, err);
	if (r == NULL)
		goto fail;
	json_object_set_new(o, "nights", r);
	/* How the cases opened in the range ended (or stand). */
	r = query(db,
		  "SELECT CASE WHEN k.close_reason = 'paid' AND x.task_id"
		  "  IS NOT NULL THEN 'task'"
		  " WHEN k.close_reason = 'paid' THEN CONCAT('notice ', k.step)"
		  " WHEN k.state = 'closed' THEN k.close_reason"
		  " ELSE k.state END, COUNT(*)"
		  " FROM dunning_cases k"
		  " LEFT JOIN collection_tasks x ON x.case_id = k.case_id"
		  " WHERE k.opened_on BETWEEN ? AND ?"
		  " GROUP BY 1 ORDER BY 1",
		  from, to, err);
	if (r == NULL)
		goto fail;
	json_object_set_new(o, "recovery", r);
	/* Contacts that failed for good, for staff to correct. */
	r = query(db,
		  "SELECT b.contact_id, COALESCE(c.account_no, ''), b.channel,"
		  " b.address, b.reason,"
		  " DATE_FORMAT(b.since, '%Y-%m-%d'), b.failures"
		  " FROM contact_blocks b"
		  " LEFT JOIN {B}.billing_contacts c"
		  "  ON {=contacts.contact_id c.contact_id b.contact_id}"
		  " ORDER BY b.since DESC, b.contact_id LIMIT 1000",
		  NULL, NULL, err);
	if (r == NULL)
		goto fail;
	json_object_set_new(o, "blocked", r);
	return o;
fail:
	json_decref(o);
	return NULL;
}
