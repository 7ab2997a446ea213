/*
 * preview.c: see preview.h.
 */
#include "night/preview.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/contacts.h"
#include "night/intake.h"
#include "night/outage.h"
#include "store/billing_check.h"

static int
preview_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct night_preview *p = arg;

	(void)err;
	p->overdue = strtoull(row->val[0], NULL, 10);
	p->unknown = row->val[1] ? strtoull(row->val[1], NULL, 10) : 0;
	p->held = row->val[2] ? strtoull(row->val[2], NULL, 10) : 0;
	p->paused = strtoull(row->val[3], NULL, 10);
	return 0;
}

/* The accounts a notice may go to tonight (the planner looks at those of
 * them whose next notice is due): their contacts are looked at. The
 * parameter is the minimum amount. */
#define PREVIEW_ACCOUNTS                                                       \
	"(SELECT t.account_no FROM tmp_bal t"                                  \
	" LEFT JOIN tmp_quar q ON q.account_no = t.account_no"                 \
	" WHERE t.known = 1 AND t.hold = 0 AND q.account_no IS NULL"           \
	"  AND t.balance >= ?)"

int
night_preview(struct db *db, const struct config *cfg, const char *date,
	      struct night_preview *p, db_row_fn refused_cb, void *arg,
	      struct fg_err *err)
{
	struct night nt;
	struct fg_err ignored;
	int rc = -1;
	/* (the parameters point into nt, filled by night_init below) */
	const struct night_stmt s[] = {
		{"CREATE TEMPORARY TABLE tmp_contact (" CONTACT_CANDIDATE_COLUMNS
		 " KEY (account_no)) ENGINE=MEMORY",
		 DB_NOARGS, NULL},
		{"INSERT INTO tmp_contact (" CONTACT_CANDIDATE_NAMES
		 ")" CONTACT_CANDIDATES_OF(PREVIEW_ACCOUNTS),
		 DB_ARGS(DB_STR(nt.min_amount)), NULL},
		{"CREATE TEMPORARY TABLE tmp_blocked (" CONTACT_BLOCKED_COLUMNS,
		 DB_NOARGS, NULL},
		NIGHT_CONTACTS_BLOCKED("tmp_blocked", "tmp_contact"),
		{"INSERT IGNORE INTO tmp_bad" CONTACT_NO_ID_FROM(
			 PREVIEW_ACCOUNTS),
		 DB_ARGS(DB_STR(nt.min_amount)), NULL},
		{"INSERT IGNORE INTO tmp_bad" CONTACT_REFUSED_FROM(
			 "tmp_contact"),
		 DB_NOARGS, NULL},
		{outage_sql_refused, DB_ARGS(DB_STR(nt.now), DB_STR(nt.now)),
		 NULL},
	};

	night_init(&nt, db, cfg, date, NULL);
	memset(p, 0, sizeof(*p));
	if (intake_read(&nt, err) == 0 &&
	    night_exec(&nt, s, FG_NELEM(s), err) == 0 &&
	    db_query(db, DB_STREAM,
		     "SELECT COUNT(*), SUM(known = 0),"
		     " SUM(known = 1 AND hold <> 0),"
		     " (SELECT COUNT(*) FROM tmp_quar)"
		     " FROM tmp_bal",
		     DB_NOARGS, preview_cb, p, err) == 0 &&
	    db_query(db, DB_STREAM,
		     "SELECT source, reason, COUNT(*),"
		     " GROUP_CONCAT(row_key ORDER BY LENGTH(row_key), row_key"
		     "  SEPARATOR X'00' LIMIT " NIGHT_PREVIEW_KEYS ")"
		     " FROM tmp_bad GROUP BY source, reason"
		     " ORDER BY source, COUNT(*) DESC, reason",
		     DB_NOARGS, refused_cb, arg, err) == 0)
		rc = 0;
	db_exec(db, "DROP TEMPORARY TABLE IF EXISTS tmp_contact, tmp_blocked",
		DB_NOARGS, NULL, &ignored);
	night_close(&nt);
	return rc;
}

static void
type_text(const struct billing_column *k, char *out, size_t len)
{
	if (strcmp(k->data_type, "decimal") == 0)
		snprintf(out, len, "decimal, %d decimals", k->scale);
	else if (k->max_chars > 0 && strcmp(k->charset, "binary") == 0)
		snprintf(out, len, "%s(%lld) bytes", k->data_type,
			 k->max_chars);
	else if (k->max_chars > 0)
		snprintf(out, len, "%s(%lld) %s", k->data_type, k->max_chars,
			 k->collation);
	else
		snprintf(out, len, "%s", k->data_type);
}

/* What is wrong with column k, or NULL: missing (unless optional), or a
 * type feegate cannot use. */
static const char *
column_verdict(const struct billing_contract *c, const struct billing_column *k)
{
	if (!c->present[k->obj])
		return "its table or view is missing";
	if (!k->present)
		return k->optional ? NULL : "no such column";
	return billing_column_problem(k);
}

static json_t *
contract_json(const struct billing_contract *c, int problems)
{
	json_t *objs = json_array();
	char type[160];
	int o;
	size_t i;

	for (o = 0; o < BILLING_NOBJECTS; o++) {
		json_t *cols = json_array();

		for (i = 0; i < c->ncols; i++) {
			const struct billing_column *k = &c->col[i];
			const char *why;

			if ((int)k->obj != o)
				continue;
			why = column_verdict(c, k);
			type_text(k, type, sizeof(type));
			json_array_append_new(
				cols,
				json_pack("{s:s, s:b, s:b, s:s?, s:s?, s:s?, "
					  "s:b, s:s?}",
					  "name", k->name, "present",
					  k->present, "optional", k->optional,
					  "type", k->present ? type : NULL,
					  "charset",
					  k->charset[0] ? k->charset : NULL,
					  "collation",
					  k->collation[0] ? k->collation : NULL,
					  "usable", why == NULL, "problem",
					  why));
		}
		json_array_append_new(objs,
				      json_pack("{s:s, s:b, s:s?, s:o}", "name",
						billing_object_name(o),
						"present", c->present[o],
						"type",
						!c->present[o] ? NULL
						: c->view[o]   ? "view"
							       : "table",
						"columns", cols));
	}
	return json_pack("{s:o, s:i, s:b}", "objects", objs, "problems",
			 problems, "night_can_run", problems == 0);
}

/*
 * The reads of billing that run often, each as one lookup (a constant for
 * the value looked up), and the index that serves it in the contract's
 * own tables. EXPLAIN says how MariaDB would run it today, through views
 * too: a plan that scans a large table is a missing index (or a view that
 * hides one behind an expression). The two reads of bills and the read of
 * an account's contacts select what the night and the sending read, and
 * their index holds all of it: a plan that reads the rows instead ("Using
 * index" missing) is an index that could answer alone (contract.sql says
 * what that saves).
 */
static const struct {
	const char *what;
	const char *sql;
	const char *index;
	/* Of an index that holds every column the read selects: the columns
	 * it looks up by, the index where that one cannot be made (a column
	 * too wide for an index entry); NULL where the index covers not. */
	const char *key;
	int lookup; /* one key's rows: many rows examined is a scan, whatever
		       the plan's type (a range over every open bill) */
} reads[] = {
	{"overdue bills (once a night)",
	 "SELECT b.account_no, b.amount_due, b.amount_paid, b.period"
	 " FROM {B}.billing_bills b"
	 " WHERE b.status = 'open' AND b.due_date < CURDATE()",
	 "billing_bills (status, due_date, account_no, amount_due, amount_paid,"
	 " period)",
	 "billing_bills (status, due_date)", 0},
	{"bills of one account (settling; before every message)",
	 "SELECT b.amount_due, b.amount_paid, b.period, b.due_date"
	 " FROM {B}.billing_bills b"
	 " WHERE {=bills.account_no b.account_no '0'}"
	 " AND b.status = 'open' AND b.due_date < CURDATE()",
	 "billing_bills (account_no, status, due_date, amount_due, amount_paid,"
	 " period)",
	 "billing_bills (account_no, status, due_date)", 1},
	{"one customer (intake; notice API; staff pages)",
	 "SELECT c.name FROM {B}.billing_customers c"
	 " WHERE {=customers.account_no c.account_no '0'}",
	 "billing_customers (account_no)", NULL, 1},
	{"contacts of one account (planning; fallback)",
	 "SELECT ct.contact_id, ct.channel, ct.priority, ct.consent,"
	 " ct.address FROM {B}.billing_contacts ct"
	 " WHERE {=contacts.account_no ct.account_no '0'}",
	 "billing_contacts (account_no, priority, channel, consent, address)",
	 "billing_contacts (account_no, priority)", 1},
	{"one contact (queueing; before every message)",
	 "SELECT ct.address FROM {B}.billing_contacts ct"
	 " WHERE {=contacts.contact_id ct.contact_id '0'}",
	 "billing_contacts (contact_id)", NULL, 1},
	{"accounts of one phone or e-mail (staff search)",
	 "SELECT ct.account_no FROM {B}.billing_contacts ct"
	 " WHERE {=contacts.address ct.address '+8610000000000'}",
	 "billing_contacts (address(64))", NULL, 1},
	{"accounts of one outage",
	 "SELECT oa.account_no FROM {B}.billing_outage_accounts oa"
	 " WHERE {=outage_accounts.outage_id oa.outage_id '0'}",
	 "billing_outage_accounts (outage_id)", NULL, 1},
};

/* A table scanned in a plan costs something from this many rows on. */
#define SCAN_ROWS 1000

struct plan {
	double rows;    /* examined, all tables of the plan multiplied */
	double scanned; /* the largest table read whole */
	int from_rows;  /* rows read after a secondary index's entries */
};

/* Whether EXPLAIN's Extra lists "Using index" (the index alone; "Using
 * index condition" is something else). */
static int
index_only(const char *extra)
{
	const char *p = extra;
	size_t n = strlen("Using index");

	while (p != NULL && (p = strstr(p, "Using index")) != NULL) {
		if (p[n] == '\0' || p[n] == ';')
			return 1;
		p += n;
	}
	return 0;
}

static int
explain_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct plan *p = arg;
	double rows;

	(void)err;
	if (row->ncols < 9 || row->val[3] == NULL)
		return 0;
	rows = row->val[8] != NULL ? strtod(row->val[8], NULL) : 1;
	if (rows < 1)
		rows = 1;
	p->rows *= rows;
	/* Through a secondary index, a row read is a second lookup (through
	 * the primary key it is the row itself). */
	if (row->ncols >= 10 && row->val[5] != NULL &&
	    strcmp(row->val[5], "PRIMARY") != 0 && !index_only(row->val[9]))
		p->from_rows = 1;
	if ((strcmp(row->val[3], "ALL") == 0 ||
	     strcmp(row->val[3], "index") == 0) &&
	    rows > p->scanned)
		p->scanned = rows;
	return 0;
}

/* The most an InnoDB index entry holds (16 KB pages, DYNAMIC rows). */
#define INDEX_MAX_BYTES 3072
/* A number's or a date's share of an entry, at most. */
#define INDEX_FIXED_BYTES 8

/* The widest column of index ("billing_contacts (account_no, ...)") when
 * its columns, as billing declares them, are more than one index entry
 * holds, or NULL. */
static const struct billing_column *
too_wide(const struct billing_contract *c, const char *index)
{
	const char *obj = index + strlen("billing_"), *p, *end;
	const struct billing_column *k, *widest = NULL;
	size_t on = strcspn(obj, " ");
	long long sum = 0;
	char name[96];

	for (p = strchr(index, '(') + 1; *p != '\0' && *p != ')';
	     p = *end == ',' ? end + 2 : end) {
		end = p + strcspn(p, ",)");
		snprintf(name, sizeof(name), "%.*s.%.*s", (int)on, obj,
			 (int)(end - p), p);
		k = billing_column(c, name, strlen(name));
		if (k == NULL || !k->present)
			continue;
		sum += k->max_bytes > 0 ? k->max_bytes : INDEX_FIXED_BYTES;
		if (widest == NULL || k->max_bytes > widest->max_bytes)
			widest = k;
	}
	return sum > INDEX_MAX_BYTES ? widest : NULL;
}

/* MariaDB's answer to EXPLAIN of a view whose tables the account may not
 * read. */
#define ER_VIEW_NO_EXPLAIN 1345

/* The reads' plans, as JSON: what, scan or not, rows, advice; or, where
 * MariaDB shows no plan to this account, why not. */
static json_t *
reads_json(struct db *db, const struct billing_contract *c, struct fg_err *err)
{
	json_t *a = json_array();
	char sql[1024];
	size_t i;

	for (i = 0; i < FG_NELEM(reads); i++) {
		struct plan p = {1, 0, 0};
		const struct billing_column *wide =
			reads[i].key != NULL ? too_wide(c, reads[i].index)
					     : NULL;
		/* The index to advise: the one that answers alone, unless
		 * billing's columns are too wide for it. */
		const char *index =
			wide != NULL ? reads[i].key : reads[i].index;
		int scan;

		snprintf(sql, sizeof(sql), "EXPLAIN %s", reads[i].sql);
		if (db_query(db, DB_STREAM, sql, DB_NOARGS, explain_cb, &p,
			     err) != 0) {
			if (db->last_errno != ER_VIEW_NO_EXPLAIN) {
				json_decref(a);
				return NULL;
			}
			json_array_append_new(
				a, json_pack("{s:s, s:s}", "read",
					     reads[i].what, "unknown",
					     "a view over tables this account "
					     "may not read: MariaDB shows no "
					     "plan (ask for SHOW VIEW and "
					     "SELECT on them to see it)"));
			continue;
		}
		scan = p.scanned >= SCAN_ROWS ||
		       (reads[i].lookup && p.rows >= SCAN_ROWS);
		/* index_only: whether an index alone answers, for the reads
		 * whose recommended index holds all they select. */
		json_array_append_new(
			a,
			json_pack("{s:s, s:b, s:I, s:o?, s:s?, s:s?, s:o?}",
				  "read", reads[i].what, "scan", scan, "rows",
				  (json_int_t)p.rows, "index_only",
				  reads[i].key != NULL
					  ? json_boolean(!p.from_rows && !scan)
					  : NULL,
				  "advice",
				  scan || (reads[i].key != NULL &&
					   p.from_rows && wide == NULL)
					  ? index
					  : NULL,
				  "too_wide", wide != NULL ? wide->name : NULL,
				  "too_wide_bytes",
				  wide != NULL ? json_integer(wide->max_bytes)
					       : NULL));
	}
	return a;
}

static int
refused_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	json_t *first = json_array();
	const char *k = row->val[3], *end = k != NULL ? k + row->len[3] : k;

	(void)err;
	/* Billing's keys, NUL-separated, as text that prints safely. */
	while (k != NULL && k < end) {
		size_t n = strnlen(k, (size_t)(end - k));
		char *clean = utf8_clean(k, n, 1);

		json_array_append_new(first, json_string(clean));
		free(clean);
		k += n + 1;
	}
	json_array_append_new(arg, json_pack("{s:s, s:s, s:I, s:o}", "source",
					     row->val[0], "reason", row->val[1],
					     "count",
					     (json_int_t)strtoll(row->val[2],
								 NULL, 10),
					     "first", first));
	return 0;
}

/* What a night on date would refuse and look at, as JSON. */
static json_t *
rows_json(struct db *db, const char *date, struct fg_err *err)
{
	struct night_preview p;
	json_t *refused = json_array();

	if (night_preview(db, db->cfg, date, &p, refused_cb, refused, err) !=
	    0) {
		json_decref(refused);
		return NULL;
	}
	return json_pack("{s:s, s:I, s:I, s:I, s:I, s:o}", "date", date,
			 "overdue_accounts", (json_int_t)p.overdue,
			 "not_in_customers", (json_int_t)p.unknown, "on_hold",
			 (json_int_t)p.held, "paused", (json_int_t)p.paused,
			 "refused", refused);
}

static void
rows_print(const json_t *rows, FILE *out)
{
	const json_t *r;
	size_t i, j;

	fprintf(out,
		"\nrows, as a night on %s would take them (nothing written)\n"
		"  accounts with overdue bills %lld (not in billing_customers "
		"%lld, on hold %lld, paused for a refused bill %lld)\n",
		json_string_value(json_object_get(rows, "date")),
		json_integer_value(json_object_get(rows, "overdue_accounts")),
		json_integer_value(json_object_get(rows, "not_in_customers")),
		json_integer_value(json_object_get(rows, "on_hold")),
		json_integer_value(json_object_get(rows, "paused")));
	if (json_array_size(json_object_get(rows, "refused")) == 0)
		fprintf(out, "  rows refused                0\n");
	json_array_foreach(json_object_get(rows, "refused"), i, r)
	{
		const json_t *k;

		fprintf(out, "  refused %-8s %6lld  %s (",
			json_string_value(json_object_get(r, "source")),
			json_integer_value(json_object_get(r, "count")),
			json_string_value(json_object_get(r, "reason")));
		json_array_foreach(json_object_get(r, "first"), j, k)
			fprintf(out, "%s%s", j > 0 ? ", " : "",
				json_string_value(k));
		fprintf(out, "%s)\n",
			json_integer_value(json_object_get(r, "count")) >
					(json_int_t)j
				? ", ..."
				: "");
	}
}

static void
reads_print(const json_t *reads_j, FILE *out)
{
	const json_t *r;
	size_t i;

	fprintf(out, "\nreads of billing, as MariaDB plans them today\n");
	json_array_foreach(reads_j, i, r)
	{
		long long rows = json_integer_value(json_object_get(r, "rows"));
		const char *unknown =
			json_string_value(json_object_get(r, "unknown"));

		if (unknown != NULL)
			fprintf(out, "  %-54s ?, %s\n",
				json_string_value(json_object_get(r, "read")),
				unknown);
		else if (json_is_true(json_object_get(r, "scan")))
			fprintf(out,
				"  %-54s SCAN, ~%lld rows each time: add an "
				"index on %s\n",
				json_string_value(json_object_get(r, "read")),
				rows,
				json_string_value(
					json_object_get(r, "advice")));
		else {
			fprintf(out, "  %-54s ok, ~%lld row%s",
				json_string_value(json_object_get(r, "read")),
				rows, rows == 1 ? "" : "s");
			if (json_is_true(json_object_get(r, "index_only")) ||
			    json_is_null(json_object_get(r, "index_only")))
				fputc('\n', out);
			else if (json_is_string(json_object_get(r, "too_wide")))
				fprintf(out,
					", each read from the table (%s, up "
					"to %lld bytes, is too wide for an "
					"index to hold it)\n",
					json_string_value(
						json_object_get(r, "too_wide")),
					json_integer_value(json_object_get(
						r, "too_wide_bytes")));
			else
				fprintf(out,
					", each read from the table: an index "
					"on %s answers from the index alone\n",
					json_string_value(
						json_object_get(r, "advice")));
		}
	}
}

/* Billing's freshness as JSON (null where billing is local); a replica
 * too far behind, stopped or not found adds a problem. */
static json_t *
replica_json(struct db *db, int *problems)
{
	struct billing_lag l;
	struct fg_err e;
	int rc = billing_fresh(db, &l, &e);

	if (rc == 0 && !l.replicated)
		return json_null();
	if (rc != 0)
		(*problems)++;
	return json_pack("{s:s, s:I, s:i, s:b, s:s?}", "connection",
			 db->cfg->db.billing_replica, "lag",
			 (json_int_t)(rc < 0 ? -1 : l.seconds), "max_lag",
			 db->cfg->db.max_billing_lag, "fresh", rc == 0,
			 "problem", rc == 0 ? NULL : e.msg);
}

static void
replica_print(const json_t *r, FILE *out)
{
	if (json_is_null(r))
		return;
	if (json_is_true(json_object_get(r, "fresh")))
		fprintf(out,
			"\nbilling data: replica %s, %lld s behind the billing "
			"server (max_billing_lag %lld): fresh\n",
			json_string_value(json_object_get(r, "connection")),
			json_integer_value(json_object_get(r, "lag")),
			json_integer_value(json_object_get(r, "max_lag")));
	else
		fprintf(out, "\nbilling data: %s\n",
			json_string_value(json_object_get(r, "problem")));
}

int
billing_check_print(struct db *db, const char *date, int json, FILE *out,
		    int *problems, struct fg_err *err)
{
	struct billing_contract c;
	struct sbuf ignored;
	json_t *rows = NULL, *plans = NULL, *replica;
	char type[160];
	int o;
	size_t i;

	if (billing_read(db, &c, err) != 0)
		return -1;
	sbuf_init(&ignored);
	*problems = billing_problems(&c, &ignored);
	sbuf_free(&ignored);
	/* Billing as a replica: too stale (or not there) is a problem too. */
	replica = replica_json(db, problems);
	/* The rows and the plans only where the night's statements can run. */
	if (*problems == 0) {
		if (billing_contract_current() == NULL)
			billing_contract_set(&c);
		if ((rows = rows_json(db, date, err)) == NULL ||
		    (plans = reads_json(db, &c, err)) == NULL) {
			json_decref(rows);
			return -1;
		}
	}
	if (json) {
		json_t *j = contract_json(&c, *problems);
		char *s;

		json_object_set_new(j, "replica", replica);
		json_object_set_new(j, "rows",
				    rows != NULL ? rows : json_null());
		json_object_set_new(j, "reads",
				    plans != NULL ? plans : json_null());
		s = json_dumps(j, JSON_INDENT(2));
		fprintf(out, "%s\n", s);
		free(s);
		json_decref(j);
		return 0;
	}
	fprintf(out, "billing schema %s, as %s sees it\n",
		db->cfg->db.billing_schema, db->cfg->db.user);
	for (o = 0; o < BILLING_NOBJECTS; o++) {
		fprintf(out, "\n%s: %s\n", billing_object_name(o),
			!c.present[o] ? "MISSING (no such table or view)"
			: c.view[o]   ? "view"
				      : "table");
		if (!c.present[o])
			continue;
		for (i = 0; i < c.ncols; i++) {
			const struct billing_column *k = &c.col[i];
			const char *why;

			if ((int)k->obj != o)
				continue;
			why = column_verdict(&c, k);
			type_text(k, type, sizeof(type));
			fprintf(out, "  %-13s %-36s %s\n", k->name,
				k->present ? type : "-",
				why != NULL  ? why
				: k->present ? "ok"
					     : "not there (feegate does not "
					       "read it)");
		}
	}
	replica_print(replica, out);
	json_decref(replica);
	if (rows != NULL)
		rows_print(rows, out);
	if (plans != NULL)
		reads_print(plans, out);
	json_decref(rows);
	json_decref(plans);
	if (*problems == 0)
		fprintf(out, "\nno problems: a night can run\n");
	else
		fprintf(out, "\n%d problem%s: no night runs until %s fixed\n",
			*problems, *problems == 1 ? "" : "s",
			*problems == 1 ? "it is" : "they are");
	return 0;
}
