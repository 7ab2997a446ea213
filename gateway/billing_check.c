/*
 * billing_check.c: see billing_check.h.
 */
#include "billing_check.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"

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

int
billing_open(struct db *db, struct fg_err *err)
{
	struct billing_contract c;
	struct sbuf problems;
	const char *nl;
	int n;

	if (billing_contract_current() != NULL)
		return 0;
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

int
billing_check_print(struct db *db, int json, FILE *out, int *problems,
		    struct fg_err *err)
{
	struct billing_contract c;
	struct sbuf ignored;
	char type[160];
	int o;
	size_t i;

	if (billing_read(db, &c, err) != 0)
		return -1;
	sbuf_init(&ignored);
	*problems = billing_problems(&c, &ignored);
	sbuf_free(&ignored);
	if (json) {
		json_t *j = contract_json(&c, *problems);
		char *s = json_dumps(j, JSON_INDENT(2));

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
	if (*problems == 0)
		fprintf(out, "\nno problems: a night can run\n");
	else
		fprintf(out, "\n%d problem%s: no night runs until %s fixed\n",
			*problems, *problems == 1 ? "" : "s",
			*problems == 1 ? "it is" : "they are");
	return 0;
}
