/*
 * billing_check.c: see billing_check.h.
 */
#include "store/billing_check.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"

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
			    row->val[6] ? strtoll(row->val[6], NULL, 10) : 0,
			    row->val[7] ? (int)strtol(row->val[7], NULL, 10)
					: 0,
			    row->val[8] != NULL &&
				    strcmp(row->val[8], "YES") == 0);
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
		    " CHARACTER_MAXIMUM_LENGTH, CHARACTER_OCTET_LENGTH,"
		    " NUMERIC_SCALE, IS_NULLABLE"
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
