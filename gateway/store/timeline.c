/*
 * timeline.c: see timeline.h. A handful of indexed queries by account; the
 * result is one account's history, small by nature.
 */
#include "store/timeline.h"

#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/mask.h"
#include "base/money.h"
#include "base/util.h"
#include "store/states.h"

/* Text from the database as a JSON string, or null. Names and reasons may
 * hold anything billing put there: invalid UTF-8 and control characters
 * are replaced so the output stays one readable line per item. */
static json_t *
jstr(const char *v, unsigned long len)
{
	char *clean;
	json_t *j;

	if (v == NULL)
		return json_null();
	clean = utf8_clean(v, len, 1);
	j = json_string(clean);
	free(clean);
	return j;
}

static json_t *
jint(const char *v)
{
	return v ? json_integer(strtoll(v, NULL, 10)) : json_null();
}

static json_t *
jmasked(const char *channel, const char *address)
{
	char *m;
	json_t *j;

	if (address == NULL)
		return json_null();
	m = mask_address(channel ? channel : "", address);
	j = jstr(m, strlen(m));
	free(m);
	return j;
}

/* Set each column of row on obj under its own name; integer columns as
 * JSON integers, other values as strings. */
static json_t *
row_object(const struct db_row *row)
{
	json_t *obj = json_object();
	unsigned int i;

	for (i = 0; i < row->ncols; i++)
		json_object_set_new(obj, row->name[i],
				    row->is_int[i]
					    ? jint(row->val[i])
					    : jstr(row->val[i], row->len[i]));
	return obj;
}

static int
append_row_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	json_array_append_new(arg, row_object(row));
	return 0;
}

static int
customer_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	json_object_set_new(arg, "customer", row_object(row));
	return 1;
}

/* Find the element of arr whose key equals id. */
static json_t *
find_by(json_t *arr, const char *key, json_int_t id)
{
	size_t i;
	json_t *e;

	json_array_foreach(arr, i, e)
	{
		if (json_integer_value(json_object_get(e, key)) == id)
			return e;
	}
	return NULL;
}

/* Which notice a carried event is about. */
enum carried_notice {
	NOTICE_NONE, /* the case's: no notice */
	NOTICE_ROW,  /* the row's */
	NOTICE_OWN,  /* its own, the member's "notice_id" */
};

/* Events one audit row may carry for its account (audit.h), in the
 * order they happened around the row's own event, and the ids that are
 * theirs: a carried case_opened is about the case only, a carried
 * notice_failed about the notice before the row's, a carried
 * message_queued is the one about the row's message_id. */
static const struct carried {
	const char *event;
	int before;
	enum carried_notice notice;
	int has_message;
} carried[] = {
	{"case_opened", 1, NOTICE_NONE, 0},
	{"notice_failed", 1, NOTICE_OWN, 0},
	{"message_queued", 0, NOTICE_ROW, 1},
};

/* The event a row carries as its detail member c, ids as c says. */
static json_t *
carried_event(const json_t *row, const struct carried *c, json_t *detail)
{
	json_t *e = json_deep_copy(row);

	json_object_set_new(e, "event", json_string(c->event));
	if (c->notice == NOTICE_OWN) {
		json_t *id = json_object_get(detail, "notice_id");

		json_object_set(e, "notice_id", id ? id : json_null());
		json_object_del(detail, "notice_id");
	} else if (c->notice == NOTICE_NONE) {
		json_object_set_new(e, "notice_id", json_null());
	}
	if (!c->has_message)
		json_object_set_new(e, "message_id", json_null());
	json_object_set(e, "detail", detail);
	return e;
}

/* The audit rows (detail as JSON text) as events: each detail embedded as
 * JSON, and the events a row carries listed as events of their own, under
 * the row's seq. */
static json_t *
audit_events(json_t *rows)
{
	json_t *out = json_array(), *e;
	size_t i, k;

	json_array_foreach(rows, i, e)
	{
		json_t *d = json_loads(json_string_value(
					       json_object_get(e, "detail")),
				       0, NULL);
		json_t *before = json_array(), *after = json_array();

		if (d != NULL)
			json_object_set_new(e, "detail", d);
		for (k = 0; d != NULL && k < FG_NELEM(carried); k++) {
			json_t *c = json_object_get(d, carried[k].event);

			if (!json_is_object(c))
				continue;
			json_array_append_new(carried[k].before ? before
								: after,
					      carried_event(e, &carried[k], c));
			if (carried[k].has_message)
				json_object_set_new(e, "message_id",
						    json_null());
			json_object_del(d, carried[k].event);
		}
		json_array_extend(out, before);
		json_array_append(out, e);
		json_array_extend(out, after);
		json_decref(before);
		json_decref(after);
	}
	return out;
}

struct msg_ctx {
	json_t *cases;
	json_t *notices; /* those of no case: outage notices */
};

/* The notices array a row with case_id (first column) belongs to. */
static json_t *
notices_of(const struct msg_ctx *m, const char *case_id)
{
	json_t *c;

	if (case_id == NULL)
		return m->notices;
	c = find_by(m->cases, "case_id", strtoll(case_id, NULL, 10));
	return c ? json_object_get(c, "notices") : NULL;
}

static int
message_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct msg_ctx *m = arg;
	json_t *list = notices_of(m, row->val[0]), *n, *msg;

	(void)err;
	/* columns: case_id, notice_id, message_id, channel, address, state,
	 * attempts, provider_ref, last_error, created_at, updated_at */
	n = list ? find_by(list, "notice_id", strtoll(row->val[1], NULL, 10))
		 : NULL;
	if (n != NULL) {
		msg = json_object();
		json_object_set_new(msg, "message_id", jint(row->val[2]));
		json_object_set_new(msg, "channel",
				    jstr(row->val[3], row->len[3]));
		json_object_set_new(msg, "address",
				    jmasked(row->val[3], row->val[4]));
		json_object_set_new(msg, "state",
				    jstr(row->val[5], row->len[5]));
		json_object_set_new(msg, "attempts", jint(row->val[6]));
		json_object_set_new(msg, "provider_ref",
				    jstr(row->val[7], row->len[7]));
		json_object_set_new(msg, "last_error",
				    jstr(row->val[8], row->len[8]));
		json_object_set_new(msg, "created_at",
				    jstr(row->val[9], row->len[9]));
		json_object_set_new(msg, "updated_at",
				    jstr(row->val[10], row->len[10]));
		json_array_append_new(json_object_get(n, "messages"), msg);
	}
	return 0;
}

static int
notice_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	json_t *list = notices_of(arg, row->val[0]), *n;

	(void)err;
	if (list == NULL)
		return 0;
	n = row_object(row);
	json_object_del(n, "case_id");
	/* A dunning notice says its step; an outage notice which outage,
	 * which version, and whether it went late. */
	if (row->val[0] != NULL) {
		json_object_del(n, "kind");
		json_object_del(n, "outage_id");
		json_object_del(n, "outage_version");
		json_object_del(n, "late_notice");
	} else {
		json_object_del(n, "seq");
		json_object_set_new(n, "late_notice",
				    json_boolean(json_integer_value(
					    json_object_get(n,
							    "late_notice"))));
	}
	json_object_set_new(n, "unreachable",
			    json_boolean(json_integer_value(
				    json_object_get(n, "unreachable"))));
	json_object_set_new(n, "messages", json_array());
	json_array_append_new(list, n);
	return 0;
}

static int
case_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	json_t *c = row_object(row);

	(void)err;
	json_object_set_new(c, "notices", json_array());
	json_array_append_new(arg, c);
	return 0;
}

static const char *
s_of(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/* What a notice's messages came to, as far as anyone will say: the
 * first of these that holds. */
static const char *
reach_of(const json_t *n)
{
	const json_t *m;
	size_t k;
	int delivered = 0, taken = 0, pending = 0, going = 0, cancelled = 0,
	    total = 0;

	if (json_is_true(json_object_get(n, "unreachable")))
		return "unreachable";
	json_array_foreach(json_object_get(n, "messages"), k, m)
	{
		const char *st = s_of(m, "state"), *ch = s_of(m, "channel");

		total++;
		if (strcmp(st, "delivered") == 0)
			delivered++;
		else if (outbox_reached(st, ch))
			taken++;
		else if (strcmp(st, "accepted") == 0)
			pending++;
		else if (strcmp(st, "cancelled") == 0)
			cancelled++;
		else if (strcmp(st, "failed_permanent") != 0 &&
			 strcmp(st, "expired") != 0)
			going++;
	}
	return delivered            ? "delivered"
	       : taken              ? "accepted"
	       : pending            ? "awaiting_receipt"
	       : going              ? "sending"
	       : total == 0         ? "not_sent"
	       : cancelled == total ? "cancelled"
				    : "not_delivered";
}

static const struct {
	const char *key, *en, *zh;
} reach_words[] = {
	{"delivered", "delivered", "已送达"},
	{"accepted", "sent (no receipt for this channel)", "已发出（无回执）"},
	{"awaiting_receipt", "sent, awaiting its receipt", "已发出，待回执"},
	{"sending", "being sent", "发送中"},
	{"not_sent", "not sent", "未发送"},
	{"cancelled", "not sent (cancelled)", "未发送（已取消）"},
	{"not_delivered", "not delivered", "未送达"},
	{"unreachable", "unreachable: no consented, valid contact",
	 "无法联系：无可用联系方式"},
};

/* A notice's state in words a call-centre agent reads right: what its
 * messages came to, then, for a dunning notice, what the customer did
 * ("delivered · unpaid after 7 days": "failed" means unpaid, not
 * undelivered). Sets "reached" (a key of reach_words), "status" and
 * "status_zh". */
static void
notice_status(json_t *n, int dunning)
{
	const char *reach = reach_of(n), *state = s_of(n, "state");
	char en[160], zh[160];
	size_t i;

	for (i = 0; i < FG_NELEM(reach_words) - 1; i++)
		if (strcmp(reach_words[i].key, reach) == 0)
			break;
	snprintf(en, sizeof(en), "%s", reach_words[i].en);
	snprintf(zh, sizeof(zh), "%s", reach_words[i].zh);
	if (dunning && strcmp(state, "failed") == 0 &&
	    strcmp(reach, "unreachable") != 0 &&
	    date_valid(s_of(n, "failed_on")) &&
	    date_valid(s_of(n, "sent_on"))) {
		long days = date_days(s_of(n, "failed_on")) -
			    date_days(s_of(n, "sent_on"));
		size_t l = strlen(en), lz = strlen(zh);

		snprintf(en + l, sizeof(en) - l, " · unpaid after %ld days",
			 days);
		snprintf(zh + lz, sizeof(zh) - lz, " · %ld天后仍未缴费", days);
	} else if (strcmp(state, "settled") == 0) {
		str_copy(en + strlen(en), " · paid", sizeof(en) - strlen(en));
		str_copy(zh + strlen(zh), " · 已缴费", sizeof(zh) - strlen(zh));
	} else if (strcmp(state, "cancelled") == 0 &&
		   strcmp(reach, "cancelled") != 0) {
		str_copy(en + strlen(en), " · notice cancelled",
			 sizeof(en) - strlen(en));
		str_copy(zh + strlen(zh), " · 通知已取消",
			 sizeof(zh) - strlen(zh));
	}
	json_object_set_new(n, "reached", json_string(reach));
	json_object_set_new(n, "status", json_string(en));
	json_object_set_new(n, "status_zh", json_string(zh));
}

static const char sql_customer[] =
	"SELECT c.name, c.locale, c.segment, c.grid_id,"
	" c.dunning_hold"
	" FROM (SELECT ? AS k) p JOIN {B}.billing_customers c"
	"  ON {=customers.account_no c.account_no p.k}";

static const char sql_cases[] =
	"SELECT case_id, state, close_reason AS reason,"
	" DATE_FORMAT(opened_on, '%Y-%m-%d') AS opened_on,"
	" DATE_FORMAT(closed_on, '%Y-%m-%d') AS closed_on,"
	" balance_at_open"
	" FROM dunning_cases WHERE account_no = ? ORDER BY case_id";

/* failed_on and closed_on hold the notice's sent_on until it fails or
 * closes (sql/gateway/022: its row never grows): each is read with the
 * state that gives it a meaning. */
static const char sql_notices[] =
	"SELECT case_id, notice_id, seq, kind, outage_id,"
	" outage_version, late_notice,"
	" DATE_FORMAT(sent_on, '%Y-%m-%d') AS sent_on,"
	" " NOTICE_STATE " AS state,"
	" unreachable,"
	" DATE_FORMAT(IF(state = 'failed', failed_on, NULL), '%Y-%m-%d')"
	"  AS failed_on,"
	" DATE_FORMAT(IF(state IN ('settled', 'cancelled'), closed_on, NULL),"
	"  '%Y-%m-%d') AS closed_on"
	" FROM notices n WHERE account_no = ? ORDER BY notice_id";

static const char sql_messages[] =
	"SELECT n.case_id, m.notice_id, m.message_id, m.channel,"
	" m.address, m.state, m.attempts, m.provider_ref,"
	" m.last_error,"
	" DATE_FORMAT(m.created_at, '%Y-%m-%d %H:%i:%s'),"
	" DATE_FORMAT(m.updated_at, '%Y-%m-%d %H:%i:%s')"
	" FROM notices n JOIN messages m ON m.notice_id = n.notice_id"
	" WHERE n.account_no = ? ORDER BY m.message_id";

static const char sql_tasks[] =
	"SELECT task_id, case_id, grid_id, amount_due,"
	" notices_failed, notices_delivered, reason, state,"
	" DATE_FORMAT(created_on, '%Y-%m-%d') AS created_on,"
	" DATE_FORMAT(closed_on, '%Y-%m-%d') AS closed_on,"
	" close_reason"
	" FROM collection_tasks WHERE account_no = ? ORDER BY task_id";

static const char sql_input_errors[] =
	"SELECT source, row_key, reason,"
	" DATE_FORMAT(first_seen_on, '%Y-%m-%d') AS first_seen_on,"
	" DATE_FORMAT(last_seen_on, '%Y-%m-%d') AS last_seen_on"
	" FROM input_errors WHERE account_no = ? ORDER BY error_id";

static const char sql_audit[] =
	"SELECT seq, DATE_FORMAT(business_date, '%Y-%m-%d')"
	"  AS business_date,"
	" DATE_FORMAT(at, '%Y-%m-%d %H:%i:%s') AS at, actor, event,"
	" case_id, notice_id, message_id, task_id, detail"
	" FROM audit_log WHERE account_no = ? ORDER BY seq";

/* Whether a refused bill stops every ladder decision for the account
 * (night.h): the first thing an agent needs to know. */
static int
dunning_paused(struct db *db, json_t *t, const char *account_no,
	       struct fg_err *err)
{
	char v[16];

	if (db_query_value(db,
			   "SELECT COUNT(*) FROM input_errors"
			   " WHERE account_no = ? AND source = 'bill'"
			   "  AND last_seen_on ="
			   "  (SELECT MAX(business_date) FROM nights)",
			   DB_ARGS(DB_STR(account_no)), v, sizeof(v), NULL,
			   err) != 0)
		return -1;
	json_object_set_new(t, "dunning_paused",
			    json_boolean(strcmp(v, "0") != 0));
	return 0;
}

/* Each notice's status words, the cases' and the others'. */
static void
notices_status(json_t *cases, json_t *others)
{
	size_t i, j;
	json_t *c, *n;

	json_array_foreach(cases, i, c)
	{
		json_array_foreach(json_object_get(c, "notices"), j, n)
			notice_status(n, 1);
	}
	json_array_foreach(others, i, n) notice_status(n, 0);
}

json_t *
timeline_build(struct db *db, const char *account_no, int *found,
	       struct fg_err *err)
{
	json_t *t = json_object(), *cases = json_array(), *tasks = json_array();
	json_t *errors = json_array(), *events = json_array();
	json_t *others = json_array();
	struct msg_ctx m = {cases, others};
	const struct {
		const char *sql;
		db_row_fn cb;
		void *arg;
	} q[] = {
		{sql_customer, customer_cb, t},
		{sql_cases, case_cb, cases},
		{sql_notices, notice_cb, &m},
		{sql_messages, message_cb, &m},
		{sql_tasks, append_row_cb, tasks},
		{sql_input_errors, append_row_cb, errors},
		{sql_audit, append_row_cb, events},
	};
	size_t i;

	json_object_set_new(t, "account_no", json_string(account_no));
	json_object_set_new(t, "cases", cases);
	json_object_set_new(t, "notices", others);
	json_object_set_new(t, "tasks", tasks);
	json_object_set_new(t, "input_errors", errors);
	json_object_set_new(t, "audit", events);
	for (i = 0; i < FG_NELEM(q); i++)
		if (db_query(db, DB_STREAM, q[i].sql,
			     DB_ARGS(DB_STR(account_no)), q[i].cb, q[i].arg,
			     err) != 0) {
			json_decref(t);
			return NULL;
		}
	if (dunning_paused(db, t, account_no, err) != 0) {
		json_decref(t);
		return NULL;
	}
	*found = json_object_get(t, "customer") != NULL ||
		 json_array_size(cases) > 0 || json_array_size(errors) > 0 ||
		 json_array_size(others) > 0;
	notices_status(cases, others);
	json_object_set_new(t, "audit", audit_events(events));
	return t;
}

int
timeline_find_accounts(struct db *db, const char *address, json_t *out,
		       struct fg_err *err)
{
	return db_query(db, DB_STREAM,
			"SELECT DISTINCT"
			"  {T contacts.account_no c.account_no} AS account_no"
			" FROM (SELECT ? AS k) p JOIN {B}.billing_contacts c"
			"  ON {=contacts.address c.address p.k}"
			" ORDER BY account_no LIMIT 50",
			DB_ARGS(DB_STR(address)), append_row_cb, out, err);
}

/* The rest of a notice's line (state, flags), then its messages, one
 * line each. */
static void
print_notice(const json_t *n, FILE *out)
{
	const json_t *m;
	size_t k;

	fputs(s_of(n, "status"), out);
	if (json_is_true(json_object_get(n, "late_notice")))
		fputs("  LATE NOTICE (less lead time than the rules ask)", out);
	if (json_is_string(json_object_get(n, "failed_on")))
		fprintf(out, " (%s on %s)", s_of(n, "state"),
			s_of(n, "failed_on"));
	fputc('\n', out);

	json_array_foreach(json_object_get(n, "messages"), k, m)
	{
		fprintf(out, "      message %lld  %-5s %s  %s",
			(long long)json_integer_value(
				json_object_get(m, "message_id")),
			s_of(m, "channel"), s_of(m, "address"),
			s_of(m, "state"));
		if (s_of(m, "provider_ref")[0] != '\0')
			fprintf(out, "  ref %s", s_of(m, "provider_ref"));
		if (json_is_string(json_object_get(m, "last_error")))
			fprintf(out, "  (%s)", s_of(m, "last_error"));
		fputc('\n', out);
	}
}

/* The dunning cases with their notices, then the outage notices. */
static void
print_cases(const json_t *t, FILE *out)
{
	const json_t *c, *n;
	size_t i, j;

	if (json_array_size(json_object_get(t, "cases")) == 0)
		fprintf(out, "  no dunning cases\n");
	json_array_foreach(json_object_get(t, "cases"), i, c)
	{
		fprintf(out, "\ncase %lld  %s%s%s  opened %s  owing %s",
			(long long)json_integer_value(
				json_object_get(c, "case_id")),
			s_of(c, "state"),
			json_is_string(json_object_get(c, "reason")) ? " " : "",
			s_of(c, "reason"), s_of(c, "opened_on"),
			s_of(c, "balance_at_open"));
		if (json_is_string(json_object_get(c, "closed_on")))
			fprintf(out, "  closed %s", s_of(c, "closed_on"));
		fputc('\n', out);
		json_array_foreach(json_object_get(c, "notices"), j, n)
		{
			fprintf(out, "  %s  notice %lld  ", s_of(n, "sent_on"),
				(long long)json_integer_value(
					json_object_get(n, "seq")));
			print_notice(n, out);
		}
	}
	if (json_array_size(json_object_get(t, "notices")) > 0)
		fprintf(out, "\noutage notices\n");
	json_array_foreach(json_object_get(t, "notices"), i, n)
	{
		fprintf(out, "  %s  %-18s %s version %lld  ",
			s_of(n, "sent_on"), s_of(n, "kind"),
			s_of(n, "outage_id"),
			(long long)json_integer_value(
				json_object_get(n, "outage_version")));
		print_notice(n, out);
	}
}

/* Collection tasks and the billing rows refused. */
static void
print_tasks(const json_t *t, FILE *out)
{
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(t, "tasks"), i, e)
	{
		fprintf(out,
			"\ncollection task %lld  %s  created %s  grid %s  "
			"owing %s  %lld notices failed, %lld delivered",
			(long long)json_integer_value(
				json_object_get(e, "task_id")),
			s_of(e, "state"), s_of(e, "created_on"),
			json_is_string(json_object_get(e, "grid_id"))
				? s_of(e, "grid_id")
				: "(unassigned)",
			s_of(e, "amount_due"),
			(long long)json_integer_value(
				json_object_get(e, "notices_failed")),
			(long long)json_integer_value(
				json_object_get(e, "notices_delivered")));
		if (json_is_string(json_object_get(e, "close_reason")))
			fprintf(out, "  closed %s (%s)", s_of(e, "closed_on"),
				s_of(e, "close_reason"));
		fputc('\n', out);
	}
	if (json_array_size(json_object_get(t, "input_errors")) > 0)
		fprintf(out, "\nbilling rows refused:\n");
	json_array_foreach(json_object_get(t, "input_errors"), i, e)
	{
		fprintf(out, "  %s %s: %s (first seen %s, last %s)\n",
			s_of(e, "source"), s_of(e, "row_key"),
			s_of(e, "reason"), s_of(e, "first_seen_on"),
			s_of(e, "last_seen_on"));
	}
}

void
timeline_print(const json_t *t, FILE *out)
{
	const json_t *cust = json_object_get(t, "customer");
	const json_t *e;
	size_t i;

	fprintf(out, "account %s", s_of(t, "account_no"));
	if (cust != NULL) {
		fprintf(out, "  %s  %s  grid %s%s\n", s_of(cust, "name"),
			s_of(cust, "segment"),
			json_is_string(json_object_get(cust, "grid_id"))
				? s_of(cust, "grid_id")
				: "(none)",
			json_integer_value(
				json_object_get(cust, "dunning_hold"))
				? "  ON DUNNING HOLD"
				: "");
	} else {
		fprintf(out, "  (not in billing)\n");
	}
	if (json_is_true(json_object_get(t, "dunning_paused")))
		fprintf(out, "  DUNNING PAUSED: billing sent a bill feegate "
			     "refused (below); no ladder step until it is "
			     "corrected\n");
	print_cases(t, out);
	print_tasks(t, out);
	fprintf(out, "\naudit trail (%zu events):\n",
		json_array_size(json_object_get(t, "audit")));
	json_array_foreach(json_object_get(t, "audit"), i, e)
	{
		char *d = json_dumps(json_object_get(e, "detail"),
				     JSON_COMPACT | JSON_ENCODE_ANY);

		fprintf(out, "  %6lld  %s  %s  %-10s %-18s %s\n",
			(long long)json_integer_value(
				json_object_get(e, "seq")),
			s_of(e, "business_date"), s_of(e, "at"),
			s_of(e, "actor"), s_of(e, "event"), d ? d : "");
		free(d);
	}
}

int
timeline_phone_query(const char *arg, char *out, size_t len)
{
	size_t n = strlen(arg);

	if (n == 11 && arg[0] == '1' && strspn(arg, "0123456789") == n) {
		snprintf(out, len, "+86%s", arg);
		return 1;
	}
	if (arg[0] == '+' && n >= 8 && n <= 16 &&
	    strspn(arg + 1, "0123456789") == n - 1) {
		snprintf(out, len, "%s", arg);
		return 1;
	}
	return 0;
}

int
timeline_exists(struct db *db, const char *account_no, int *found,
		struct fg_err *err)
{
	char v[8];

	/* What timeline_build() would find, without building it. */
	if (db_query_value(
		    db,
		    "SELECT EXISTS(SELECT 1 FROM (SELECT ? AS k) p"
		    "  JOIN {B}.billing_customers c"
		    "  ON {=customers.account_no c.account_no p.k})"
		    " OR EXISTS(SELECT 1 FROM dunning_cases"
		    "  WHERE account_no = ?)"
		    " OR EXISTS(SELECT 1 FROM input_errors"
		    "  WHERE account_no = ?)"
		    " OR EXISTS(SELECT 1 FROM notices WHERE account_no = ?)",
		    DB_ARGS(DB_STR(account_no), DB_STR(account_no),
			    DB_STR(account_no), DB_STR(account_no)),
		    v, sizeof(v), NULL, err) != 0)
		return -1;
	*found = strcmp(v, "1") == 0;
	return 0;
}
