/*
 * billing_check.c: see billing_check.h.
 */
#include "billing_check.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "night.h"

#define CONTRACT_OBJECTS                                                       \
	" ('billing_customers', 'billing_contacts', 'billing_bills',"          \
	"  'billing_outages', 'billing_outage_accounts')"

static int
object_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	billing_note_object(arg, row->val[0], row->val[1]);
	return 0;
}

static int
column_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	billing_note_column(arg, row->val[0], row->val[1], row->val[2],
			    row->val[3], row->val[4],
			    row->val[5] ? strtoll(row->val[5], NULL, 10) : 0,
			    row->val[6] ? (int)strtol(row->val[6], NULL, 10)
					: 0,
			    row->val[7] != NULL &&
				    strcmp(row->val[7], "YES") == 0);
	return 0;
}

int
billing_read(struct db *db, struct billing_contract *c, struct fg_err *err)
{
	const char *schema = db->cfg->db.billing_schema;

	billing_contract_init(c);
	if (db_query(
		    db, DB_STREAM,
		    "SELECT TABLE_NAME, TABLE_TYPE FROM information_schema.TABLES"
		    " WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN" CONTRACT_OBJECTS,
		    DB_ARGS(DB_STR(schema)), object_cb, c, err) != 0 ||
	    db_query(
		    db, DB_STREAM,
		    "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE,"
		    " CHARACTER_SET_NAME, COLLATION_NAME,"
		    " CHARACTER_MAXIMUM_LENGTH, NUMERIC_SCALE, IS_NULLABLE"
		    " FROM information_schema.COLUMNS"
		    " WHERE TABLE_SCHEMA = ? AND TABLE_NAME IN" CONTRACT_OBJECTS,
		    DB_ARGS(DB_STR(schema)), column_cb, c, err) != 0) {
		err_prefix(err, "billing: reading the contract of %s", schema);
		return -1;
	}
	return 0;
}

/* A column of a row by name (SHOW statements' columns move between
 * versions), or NULL. */
static const char *
row_col(const struct db_row *row, const char *name)
{
	unsigned int i;

	for (i = 0; i < row->ncols; i++)
		if (strcmp(row->name[i], name) == 0)
			return row->val[i];
	return NULL;
}

static int
yes(const char *v)
{
	return v != NULL && strcmp(v, "Yes") == 0;
}

struct lag_ctx {
	const char *name; /* "" for the unnamed connection */
	struct billing_lag *l;
	int found;
};

/* One replication connection's status: is it the one, and how far
 * behind. Error texts are not quoted (a failed row event's may hold a
 * customer's data): their numbers are. */
static int
lag_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct lag_ctx *x = arg;
	struct billing_lag *l = x->l;
	const char *name = row_col(row, "Connection_name"),
		   *io = row_col(row, "Slave_IO_Running"),
		   *sql = row_col(row, "Slave_SQL_Running"),
		   *behind = row_col(row, "Seconds_Behind_Master"),
		   *io_err = row_col(row, "Last_IO_Errno"),
		   *sql_err = row_col(row, "Last_SQL_Errno");

	(void)err;
	if (name == NULL || strcmp(name, x->name) != 0)
		return 0;
	x->found = 1;
	l->seconds = -1;
	if (!yes(sql))
		snprintf(l->why, sizeof(l->why),
			 "replication is stopped (SQL thread %s, last error "
			 "%s)",
			 sql ? sql : "?", sql_err ? sql_err : "?");
	else if (!yes(io))
		snprintf(l->why, sizeof(l->why),
			 "the replica receives nothing from the billing "
			 "server (IO thread %s, last error %s)",
			 io ? io : "?", io_err ? io_err : "?");
	else if (behind == NULL)
		snprintf(l->why, sizeof(l->why),
			 "the replica does not know how far behind it is");
	else
		l->seconds = strtoll(behind, NULL, 10);
	return 0;
}

int
billing_lag_read(struct db *db, struct billing_lag *l, struct fg_err *err)
{
	const char *conn = db->cfg->db.billing_replica;
	struct lag_ctx x = {"", l, 0};

	memset(l, 0, sizeof(*l));
	l->seconds = 0;
	if (conn == NULL)
		return 0;
	l->replicated = 1;
	if (strcmp(conn, "default") != 0)
		x.name = conn;
	if (db_query(db, DB_BUFFERED, "SHOW ALL SLAVES STATUS", DB_NOARGS,
		     lag_cb, &x, err) != 0) {
		err_prefix(err,
			   "billing_replica = %s: reading the replication "
			   "status (the account needs SLAVE MONITOR: "
			   "sql/grants.sql with @replica = 1)",
			   conn);
		return -1;
	}
	if (!x.found) {
		err_set(err,
			"billing_replica = %s: this server has no replication "
			"connection of that name (SHOW ALL SLAVES STATUS)",
			conn);
		return -1;
	}
	return 0;
}

int
billing_fresh(struct db *db, struct billing_lag *l, struct fg_err *err)
{
	const struct config *cfg = db->cfg;

	if (billing_lag_read(db, l, err) != 0)
		return -1;
	if (!l->replicated)
		return 0;
	if (l->seconds < 0) {
		err_set(err,
			"billing schema %s (replica %s): %s; its data is of "
			"unknown age, nothing is planned or dunned on it",
			cfg->db.billing_schema, cfg->db.billing_replica,
			l->why);
		return 1;
	}
	if (l->seconds > cfg->db.max_billing_lag) {
		snprintf(l->why, sizeof(l->why), "%lld s behind", l->seconds);
		err_set(err,
			"billing schema %s (replica %s) is %lld s behind the "
			"billing server, more than max_billing_lag = %d: "
			"nothing is planned or dunned on it",
			cfg->db.billing_schema, cfg->db.billing_replica,
			l->seconds, cfg->db.max_billing_lag);
		return 1;
	}
	return 0;
}

int
billing_open(struct db *db, struct fg_err *err)
{
	struct billing_lag lag;

	struct billing_contract c;
	struct sbuf problems;
	const char *nl;
	int n;

	if (billing_contract_current() != NULL)
		return 0;
	/* A replication connection that is not there is a configuration
	 * error; one that is stopped or behind is tonight's state. */
	if (billing_lag_read(db, &lag, err) != 0)
		return 2;
	if (billing_read(db, &c, err) != 0)
		return -1;
	sbuf_init(&problems);
	n = billing_problems(&c, &problems);
	if (n == 0) {
		sbuf_free(&problems);
		billing_contract_set(&c);
		return 0;
	}
	for (nl = problems.s; *nl != '\0';) {
		const char *e = strchr(nl, '\n');

		log_warnx("billing: %.*s", (int)(e - nl), nl);
		nl = e + 1;
	}
	nl = strchr(problems.s, '\n');
	err_set(err,
		"billing schema %s: %d problem%s with the contract, the first: "
		"%.*s (`feegate billing check` lists them)",
		db->cfg->db.billing_schema, n, n == 1 ? "" : "s",
		(int)(nl - problems.s), problems.s);
	sbuf_free(&problems);
	return 2;
}

/* A column's type as people read it: "varchar(32) utf8mb4_general_ci",
 * "decimal, 2 decimals", "bigint". */
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
 * hides one behind an expression).
 */
static const struct {
	const char *what;
	const char *sql;
	const char *index;
} reads[] = {
	{"overdue bills (once a night)",
	 "SELECT b.bill_id FROM {B}.billing_bills b"
	 " WHERE b.status = 'open' AND b.due_date < CURDATE()",
	 "billing_bills (status, due_date)"},
	{"bills of one account (settling; before every message)",
	 "SELECT b.bill_id FROM {B}.billing_bills b"
	 " WHERE {=bills.account_no b.account_no '0'}",
	 "billing_bills (account_no)"},
	{"one customer (intake; notice API; staff pages)",
	 "SELECT c.name FROM {B}.billing_customers c"
	 " WHERE {=customers.account_no c.account_no '0'}",
	 "billing_customers (account_no)"},
	{"contacts of one account (planning; fallback)",
	 "SELECT ct.address FROM {B}.billing_contacts ct"
	 " WHERE {=contacts.account_no ct.account_no '0'}",
	 "billing_contacts (account_no)"},
	{"one contact (queueing; before every message)",
	 "SELECT ct.address FROM {B}.billing_contacts ct"
	 " WHERE {=contacts.contact_id ct.contact_id '0'}",
	 "billing_contacts (contact_id)"},
	{"accounts of one outage",
	 "SELECT oa.account_no FROM {B}.billing_outage_accounts oa"
	 " WHERE {=outage_accounts.outage_id oa.outage_id '0'}",
	 "billing_outage_accounts (outage_id)"},
};

/* A table scanned in a plan costs something from this many rows on. */
#define SCAN_ROWS 1000

struct plan {
	double rows;    /* examined, all tables of the plan multiplied */
	double scanned; /* the largest table read whole */
};

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
	if ((strcmp(row->val[3], "ALL") == 0 ||
	     strcmp(row->val[3], "index") == 0) &&
	    rows > p->scanned)
		p->scanned = rows;
	return 0;
}

/* MariaDB's answer to EXPLAIN of a view whose tables the account may not
 * read. */
#define ER_VIEW_NO_EXPLAIN 1345

/* The reads' plans, as JSON: what, scan or not, rows, advice; or, where
 * MariaDB shows no plan to this account, why not. */
static json_t *
reads_json(struct db *db, struct fg_err *err)
{
	json_t *a = json_array();
	char sql[1024];
	size_t i;

	for (i = 0; i < FG_NELEM(reads); i++) {
		struct plan p = {1, 0};
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
		scan = p.scanned >= SCAN_ROWS;
		json_array_append_new(a,
				      json_pack("{s:s, s:b, s:I, s:s?}", "read",
						reads[i].what, "scan", scan,
						"rows", (json_int_t)p.rows,
						"advice",
						scan ? reads[i].index : NULL));
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
		else
			fprintf(out, "  %-54s ok, ~%lld row%s\n",
				json_string_value(json_object_get(r, "read")),
				rows, rows == 1 ? "" : "s");
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
		    (plans = reads_json(db, err)) == NULL) {
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
