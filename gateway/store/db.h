/*
 * db.h: MariaDB access. Every statement is a prepared statement with bound
 * parameters; identifiers come only from the configuration and are spliced
 * in as "{B}" (the billing schema, back-quoted). The connection's default
 * database is the gateway schema.
 */
#ifndef FEEGATE_DB_H
#define FEEGATE_DB_H

#include <mysql.h>

#include "base/config.h"
#include "base/util.h"

#define DB_MAX_LOCKS 4
/* Prepared statements kept per connection, by text: one run again (every
 * batch of the dispatcher) skips the prepare round trip. */
#define DB_STMT_CACHE 64

struct db_stmt {
	char *text; /* after {B} expansion; NULL: a free slot */
	MYSQL_STMT *st;
	unsigned long long used; /* for least recently used eviction */
};

struct db {
	MYSQL *my;
	const struct config *cfg; /* to connect again */
	int use_gateway;
	char *billing; /* `billing` */
	char *gateway; /* `feegate` */
	char *gateway_name;
	unsigned int last_errno; /* of the last statement that failed */
	int lost;          /* the connection is gone: connect again first */
	int commit_doubt;  /* it went during COMMIT and did not come back:
			     may have committed */
	int not_committed; /* it went during COMMIT, came back, and the
			      transaction's mark is not there */
	int in_txn;
	/* Autocommit is left off after a transaction: the next begin costs
	 * no round trip; a statement outside one turns it on first. */
	int autocommit_off;
	unsigned int reconnects;   /* times db_revive connected again */
	double connected_at;       /* monotonic seconds at connect */
	char *locks[DB_MAX_LOCKS]; /* advisory locks held, taken again */
	struct db_stmt stmts[DB_STMT_CACHE];
	unsigned long long stmt_tick;
	unsigned long session; /* connections opened: a statement of an
				  earlier one is never kept */
	unsigned long long prepares, reuses; /* statements prepared, reused */
	/* The share of the accounts a night's statements on this session
	 * take (DB_PART): part of parts, set on every connect as the
	 * session's @fg_part and @fg_parts. 0 of 1 (all) by default. */
	int part, parts;
};

/* SQL true for the accounts of this session's part: account is a
 * utf8mb4 expression (the gateway's account_no; billing's through
 * {H ...}, billing.h). A NULL account is part 0's. */
#define DB_PART_HEAD     "(COALESCE(CRC32("
#define DB_PART_TAIL     "), 0) % @fg_parts = @fg_part)"
#define DB_PART(account) DB_PART_HEAD account DB_PART_TAIL

/* Make this session (and the ones it connects again) work on part of
 * parts (0 <= part < parts) of the accounts. */
int db_set_part(struct db *db, int part, int parts, struct fg_err *err);

enum db_param_type {
	DBP_NULL,
	DBP_STR,
	DBP_INT,
	DBP_ID, /* an unsigned id: compared with BIGINT UNSIGNED columns as
		   an integer (a signed one is compared as a decimal) */
};

struct db_param {
	enum db_param_type type;
	const char *s;
	long long i;
	unsigned long long u;
};

#define DB_STR(x) ((struct db_param){.type = DBP_STR, .s = (x)})
#define DB_INT(x) ((struct db_param){.type = DBP_INT, .i = (long long)(x)})
#define DB_ID(x)                                                               \
	((struct db_param){.type = DBP_ID, .u = (unsigned long long)(x)})
#define DB_NULL ((struct db_param){.type = DBP_NULL})
/* DB_ARGS(DB_STR(date), DB_INT(7)) expands to the array and its length. */
#define DB_ARGS(...)                                                           \
	(const struct db_param[]){__VA_ARGS__},                                \
		FG_NELEM(((const struct db_param[]){__VA_ARGS__}))
#define DB_NOARGS NULL, 0

/* One fetched row; every value as text (NULL pointer for SQL NULL). */
struct db_row {
	unsigned int ncols;
	char **val;
	unsigned long *len;
	const char *const *name; /* column names */
	const int *is_int;       /* column is an integer type */
};

/* A row callback returns 0 to go on, 1 to stop early (not an error), or -1
 * with err set. */
typedef int (*db_row_fn)(void *arg, const struct db_row *row,
			 struct fg_err *err);

enum db_query_mode {
	DB_STREAM,   /* rows come as they are read: memory flat, but the
			callback MUST NOT use the connection */
	DB_BUFFERED, /* the whole result is read first: the callback MAY use
			the connection; bound the result with LIMIT */
};

/* Connect; with use_gateway the gateway schema becomes the default
 * database (it must exist). */
int db_connect(struct db *db, const struct config *cfg, int use_gateway,
	       struct fg_err *err);
void db_close(struct db *db);
int db_use_gateway(struct db *db, struct fg_err *err);

int db_exec(struct db *db, const char *sql, const struct db_param *p, size_t np,
	    unsigned long long *affected, struct fg_err *err);
int db_query(struct db *db, enum db_query_mode mode, const char *sql,
	     const struct db_param *p, size_t np, db_row_fn fn, void *arg,
	     struct fg_err *err);
/* The first column of the first row, a number, into *v (0 for NULL or
 * no row). */
int db_query_ull(struct db *db, const char *sql, const struct db_param *p,
		 size_t np, unsigned long long *v, struct fg_err *err);
/* The first column of the first row into out (empty for NULL); *found is
 * 0 when there was no row. */
int db_query_value(struct db *db, const char *sql, const struct db_param *p,
		   size_t np, char *out, size_t outlen, int *found,
		   struct fg_err *err);

/* n placeholders "?, ?, ..." into b: an IN list's inside. */
void db_placeholders(struct sbuf *b, size_t n);
/* IN lists of batches are padded to a power of two by repeating their
 * last value, so that statement texts repeat and a prepared statement is
 * run again: batches of every size from 1 to 500 would prepare one per
 * size. The padded length of a list of n. */
size_t db_in_pad(size_t n);
/* p[0..n) is set: repeat p[n - 1] up to db_in_pad(n), which p has room
 * for; returns db_in_pad(n). */
size_t db_pad_params(struct db_param *p, size_t n);
/* head, an IN list of db_in_pad(n) placeholders, ")" and tail: a new
 * string. */
char *db_sql_in_list(const char *head, size_t n, const char *tail);
/* head, then the k values in p[lead..lead + k) as an IN list ("head (?,
 * ?, ...)"), run, with head's own lead parameters in p[0..lead); p has
 * room for lead + db_in_pad(k). Rows changed in *affected (may be NULL). */
int db_exec_in(struct db *db, const char *head, struct db_param *p, size_t lead,
	       size_t k, unsigned long long *affected, struct fg_err *err);

/*
 * The last failure rolled the transaction back whole and it may simply be
 * run again: a deadlock, a lock wait timeout, a lost connection (the
 * server restarted or killed the session) once db_revive has connected
 * again, or a COMMIT the connection went during and that db_commit found
 * was not made. Not when the connection went during COMMIT and the
 * database did not come back: that transaction may have committed, and
 * is left to the callers' recovery (leases, receipts, the night's
 * idempotent re-run).
 */
int db_retryable(struct db *db);
/* Prepare sql and close it, running nothing: what MariaDB says of it
 * before it runs (the account's privileges on its tables among that).
 * The error's number is db->last_errno. */
int db_prepare_only(struct db *db, const char *sql, struct fg_err *err);

/* The connection is gone: connect again, with backoff, for at most
 * [database] reconnect_for seconds; session settings, default schema and
 * advisory locks as before. Every statement does this first when needed. */
int db_revive(struct db *db, struct fg_err *err);

int db_begin(struct db *db, struct fg_err *err);
/*
 * On a connection to the gateway schema, the transaction's last statement
 * writes a random mark to commit_marks. When the connection goes during
 * COMMIT, db_commit connects again and looks for the mark: there, the
 * commit was made and db_commit returns 0; not there, the transaction was
 * rolled back and db_retryable() says so. A message claimed or a result
 * recorded in that instant is then neither stranded nor written twice.
 */
int db_commit(struct db *db, struct fg_err *err);
/* Write a new commit mark (into mark) in the open transaction. */
int db_commit_mark(struct db *db, char mark[33], struct fg_err *err);
void db_rollback(struct db *db);

/* A named advisory lock (GET_LOCK), scoped to the gateway schema. Returns
 * 0 when held, -1 on timeout or error. */
int db_lock(struct db *db, const char *name, int timeout_s, struct fg_err *err);
void db_unlock(struct db *db, const char *name);

/*
 * Bulk insert: rows are buffered and sent as one array-bound execution
 * (MariaDB's COM_STMT_BULK_EXECUTE) whenever cap rows are ready. Column
 * types are 's' (string) or 'i' (integer) in coltypes. Values are copied.
 */
struct db_bulk;

struct db_bulk *db_bulk_new(struct db *db, const char *sql,
			    const char *coltypes, size_t cap,
			    struct fg_err *err);
void db_bulk_str(struct db_bulk *b, unsigned int col, const char *s);
void db_bulk_int(struct db_bulk *b, unsigned int col, long long v);
void db_bulk_null(struct db_bulk *b, unsigned int col);
/* The current row is complete; sends the batch when it is full. */
int db_bulk_row(struct db_bulk *b, struct fg_err *err);
int db_bulk_flush(struct db_bulk *b, struct fg_err *err);
void db_bulk_free(struct db_bulk *b);

#endif
