/*
 * db.c: see db.h.
 */
#include "store/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <errmsg.h>
#include <mysqld_error.h>

#include "base/kinds.h"
#include "base/log.h"
#include "base/mask.h"
#include "store/billing.h"

/* A short, single-line name for a statement in error messages. */
static void
sql_label(const char *sql, char *out, size_t len)
{
	size_t o = 0;
	int space = 0;

	for (; *sql != '\0' && o + 4 < len; sql++) {
		if (*sql == ' ' || *sql == '\n' || *sql == '\t') {
			space = o > 0;
			continue;
		}
		if (space)
			out[o++] = ' ';
		space = 0;
		out[o++] = *sql;
		if (o >= 60) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
	}
	out[o] = '\0';
}

/* Client and server errors that mean the connection is gone: the server
 * restarted or went away, or killed the session. Its transaction went with
 * it. */
static int
errno_lost(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST ||
	       e == CR_SERVER_LOST_EXTENDED || e == CR_CONNECTION_ERROR ||
	       e == CR_CONN_HOST_ERROR || e == ER_SERVER_SHUTDOWN ||
	       e == ER_CONNECTION_KILLED;
}

static void
note_errno(struct db *db, unsigned int e)
{
	db->last_errno = e;
	if (errno_lost(e))
		db->lost = 1;
}

/* The room each MEMORY temporary table of a night may take, in GB (see
 * session_open). */
#define NIGHT_TABLE_GB "4"

/* What the server said, fit for a log or an error: masked as a provider's
 * text is (mask.h). Its messages can quote a value: a duplicate key, a
 * trigger's or a proxy's own text, and a value can be an address. */
#define SERVER_SAID_MAX 512
static const char *
server_said(const char *text, char buf[SERVER_SAID_MAX])
{
	str_copy(buf, text, SERVER_SAID_MAX);
	mask_in_text(NULL, NULL, buf, SERVER_SAID_MAX);
	return buf;
}

/* A statement's error into err, and into db's last error (a lost
 * connection marks db lost). */
static void
stmt_error(struct db *db, MYSQL_STMT *st, const char *sql, struct fg_err *err)
{
	char said[SERVER_SAID_MAX], label[80];

	note_errno(db, mysql_stmt_errno(st));
	sql_label(sql, label, sizeof(label));
	err_set(err, "db: %s: %s (error %u)%s", label,
		server_said(mysql_stmt_error(st), said), mysql_stmt_errno(st),
		/* ER_RECORD_FILE_FULL: a MEMORY table at its limit */
		mysql_stmt_errno(st) == 1114
			? "; a working table of the night outgrew the " NIGHT_TABLE_GB
			  " GB feegate allows each (about "
			  "150 MB a million customers)"
			: "");
}

/* Where a token of billing.h or kinds.h starts in sql ("{B}", "{=", or a
 * letter of "TVNWIHK" and a space), or NULL. Other braces (a regular
 * expression's "{7,14}") are text. */
static const char *
next_token(const char *sql)
{
	const char *p;

	for (p = strchr(sql, '{'); p != NULL; p = strchr(p + 1, '{'))
		if ((p[1] == 'B' && p[2] == '}') || p[1] == '=' ||
		    (p[1] != '\0' && strchr("TVNWIHK", p[1]) != NULL &&
		     p[2] == ' '))
			return p;
	return NULL;
}

/* "{K set}" (kinds.h): the names of the set's channel kinds, quoted and
 * comma-separated, or NULL when it has none (`IN (NULL)` holds for no
 * row). -1 with err for a set that is not one. */
static int
kinds_expand(const char *tok, size_t n, struct sbuf *out, struct fg_err *err)
{
	int kinds[CHANNEL_KINDS], count, i;

	if (channel_kind_set(tok + 2, n - 2, kinds, &count) != 0) {
		err_set(err, "db: internal: {%.*s}: no such set of channels",
			(int)n, tok);
		return -1;
	}
	for (i = 0; i < count; i++)
		sbuf_addf(out, "%s'%s'", i ? ", " : "",
			  channel_kinds[kinds[i]].name);
	if (count == 0)
		sbuf_adds(out, "NULL");
	return 0;
}

/* Expand the tokens of billing.h: "{B}" is the billing schema, the others
 * billing_expand() makes; and kinds.h's {K set}. NULL, with err set, for a
 * token that cannot be. */
static char *
expand(struct db *db, const char *sql, struct fg_err *err)
{
	struct sbuf b;
	const char *p, *close;

	sbuf_init(&b);
	while ((p = next_token(sql)) != NULL) {
		sbuf_add(&b, sql, (size_t)(p - sql));
		if (p[1] == 'B') {
			sbuf_adds(&b, db->billing);
			sql = p + 3;
			continue;
		}
		close = strchr(p, '}');
		if (close == NULL ||
		    (p[1] == 'K'
			     ? kinds_expand(p + 1, (size_t)(close - p - 1), &b,
					    err)
			     : billing_expand(p + 1, (size_t)(close - p - 1),
					      &b, err)) != 0) {
			if (close == NULL)
				err_set(err, "db: internal: unclosed {");
			sbuf_free(&b);
			return NULL;
		}
		sql = close + 1;
	}
	sbuf_adds(&b, sql);
	return sbuf_take(&b);
}

/* The connection is closing or closed: its prepared statements go with
 * it (after mysql_close() they are only freed). */
static void
stmts_forget(struct db *db)
{
	int i;

	for (i = 0; i < DB_STMT_CACHE; i++) {
		if (db->stmts[i].text == NULL)
			continue;
		mysql_stmt_close(db->stmts[i].st);
		FREE(db->stmts[i].text);
		db->stmts[i].st = NULL;
	}
}

/* A cached statement for text, taken out of the cache while it is in use
 * (a statement run from inside another's row callback gets its own), or
 * NULL. */
static MYSQL_STMT *
stmt_take(struct db *db, const char *text)
{
	MYSQL_STMT *st;
	int i;

	for (i = 0; i < DB_STMT_CACHE; i++) {
		if (db->stmts[i].text == NULL ||
		    strcmp(db->stmts[i].text, text) != 0)
			continue;
		st = db->stmts[i].st;
		FREE(db->stmts[i].text);
		db->stmts[i].st = NULL;
		db->reuses++;
		return st;
	}
	return NULL;
}

/* Done with st, prepared from text (which it takes) on connection number
 * session: kept for the next run when it ended cleanly on the connection
 * still open, closed otherwise. The least recently used makes room. */
static void
stmt_release(struct db *db, MYSQL_STMT *st, char *text, unsigned long session,
	     int clean)
{
	int i, slot = -1;

	if (!clean || db->lost || db->my == NULL || session != db->session) {
		mysql_stmt_close(st);
		free(text);
		return;
	}
	for (i = 0; i < DB_STMT_CACHE; i++) {
		if (db->stmts[i].text != NULL &&
		    strcmp(db->stmts[i].text, text) == 0) {
			mysql_stmt_close(st); /* a twin came back first */
			free(text);
			return;
		}
		if (slot < 0 || db->stmts[i].text == NULL ||
		    (db->stmts[slot].text != NULL &&
		     db->stmts[i].used < db->stmts[slot].used))
			slot = i;
	}
	if (db->stmts[slot].text != NULL) {
		mysql_stmt_close(db->stmts[slot].st);
		free(db->stmts[slot].text);
	}
	db->stmts[slot].text = text;
	db->stmts[slot].st = st;
	db->stmts[slot].used = ++db->stmt_tick;
}

/* Open db->my and set the session up as every statement expects. */
static int
session_open(struct db *db, struct fg_err *err)
{
	char said[SERVER_SAID_MAX];
	const struct config *cfg = db->cfg;
	unsigned int timeout = (unsigned int)cfg->db.connect_timeout;
	my_bool off = 0;
	const char *host = cfg->db.host;
	unsigned int proto;

	db->my = mysql_init(NULL);
	if (db->my == NULL)
		fatalx("db: mysql_init failed");
	mysql_optionsv(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_optionsv(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_optionsv(db->my, MYSQL_OPT_LOCAL_INFILE, &off);
	if (cfg->db.socket != NULL) {
		proto = MYSQL_PROTOCOL_SOCKET;
		mysql_optionsv(db->my, MYSQL_OPT_PROTOCOL, &proto);
		host = "localhost";
	}
	if (mysql_real_connect(db->my, host, cfg->db.user, cfg->db.password,
			       NULL, (unsigned int)cfg->db.port, cfg->db.socket,
			       0) == NULL) {
		err_set(err, "db: connect to %s as %s: %s (error %u)",
			cfg->db.socket ? cfg->db.socket : cfg->db.host,
			cfg->db.user, server_said(mysql_error(db->my), said),
			mysql_errno(db->my));
		note_errno(db, mysql_errno(db->my));
		return -1;
	}
	db->lost = 0;
	db->session++;
	db->connected_at = mono_now();
	db->autocommit_off = 0;
	/* Strict: a value that does not fit is an error, never silently cut.
	 * UTC: business dates come from the caller, times are stored as UTC.
	 * READ COMMITTED: reading billing takes no locks on billing's rows.
	 * Room for the night's narrow MEMORY temporary tables:
	 * NIGHT_TABLE_GB each at most, taken only as rows come. The
	 * largest, the contacts of the accounts owing tonight (tmp_contact),
	 * outgrew 1 GB at 10 million customers (make bench-province: about
	 * 150 MB a million); 4 GB holds about 25 million. */
	if (db_exec(db,
		    "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,"
		    "NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,"
		    "NO_ENGINE_SUBSTITUTION', time_zone = '+00:00',"
		    " max_heap_table_size = " NIGHT_TABLE_GB " * 1073741824,"
		    " tmp_table_size = 1073741824,"
		    " sort_buffer_size = 67108864",
		    DB_NOARGS, NULL, err) != 0 ||
	    db_exec(db,
		    "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
		    DB_NOARGS, NULL, err) != 0 ||
	    db_exec(db, "SET SESSION innodb_lock_wait_timeout = ?",
		    DB_ARGS(DB_INT(cfg->db.lock_wait)), NULL, err) != 0 ||
	    db_set_part(db, db->part, db->parts, err) != 0)
		return -1;
	if (db->use_gateway && db_use_gateway(db, err) != 0)
		return -1;
	return 0;
}

int
db_set_part(struct db *db, int part, int parts, struct fg_err *err)
{
	db->part = part;
	db->parts = parts > 0 ? parts : 1;
	return db_exec(db, "SET @fg_part = ?, @fg_parts = ?",
		       DB_ARGS(DB_INT(db->part), DB_INT(db->parts)), NULL, err);
}

int
db_connect(struct db *db, const struct config *cfg, int use_gateway,
	   struct fg_err *err)
{
	memset(db, 0, sizeof(*db));
	db->cfg = cfg;
	db->use_gateway = use_gateway;
	db->billing = xasprintf("`%s`", cfg->db.billing_schema);
	db->gateway = xasprintf("`%s`", cfg->db.gateway_schema);
	db->gateway_name = xstrdup(cfg->db.gateway_schema);
	if (session_open(db, err) != 0) {
		db_close(db);
		return -1;
	}
	return 0;
}

static int take_lock(struct db *db, const char *full, int timeout_s,
		     struct fg_err *err);

int
db_revive(struct db *db, struct fg_err *err)
{
	double t0 = mono_now(), delay = 0.2, waited;
	int limit = db->cfg->db.reconnect_for, tries, i;

	log_warnx("db: lost the connection to the database (error %u); "
		  "connecting again for up to %d s",
		  db->last_errno, limit);
	for (tries = 1;; tries++) {
		if (db->my != NULL)
			mysql_close(db->my);
		db->my = NULL;
		stmts_forget(db);
		if (session_open(db, err) == 0) {
			for (i = 0; i < DB_MAX_LOCKS; i++)
				if (db->locks[i] != NULL &&
				    take_lock(db, db->locks[i],
					      db->cfg->db.lock_timeout,
					      err) != 0)
					break;
			if (i == DB_MAX_LOCKS) {
				db->reconnects++;
				log_info("db: connected again after %.1f s "
					 "(%d tries)",
					 mono_now() - t0, tries);
				return 0;
			}
			/* Another feegate holds our lock now: whatever we
			 * were doing under it must not go on. */
			db->lost = 0;
			return -1;
		}
		db->lost = 1;
		waited = mono_now() - t0;
		if (!errno_lost(db->last_errno) &&
		    db->last_errno != ER_CON_COUNT_ERROR)
			return -1; /* refused for good: wrong password, ... */
		if (waited + delay > limit) {
			char why[sizeof(err->msg)];

			str_copy(why, err->msg, sizeof(why));
			err_set(err,
				"db: the database has not come back within "
				"%d s (%d tries): %s",
				limit, tries, why);
			return -1;
		}
		usleep((useconds_t)(delay * 1e6));
		delay = delay * 2 > 5 ? 5 : delay * 2;
	}
}

int
db_use_gateway(struct db *db, struct fg_err *err)
{
	char said[SERVER_SAID_MAX];

	if (mysql_select_db(db->my, db->gateway_name) != 0) {
		note_errno(db, mysql_errno(db->my));
		err_set(err, "db: use schema %s: %s (run `feegate db migrate`)",
			db->gateway_name,
			server_said(mysql_error(db->my), said));
		return -1;
	}
	return 0;
}

void
db_close(struct db *db)
{
	if (db->my != NULL)
		mysql_close(db->my);
	db->my = NULL;
	stmts_forget(db);
	if (db->prepares + db->reuses > 0)
		log_debug("db: %llu statements prepared, %llu run again "
			  "without preparing",
			  db->prepares, db->reuses);
	for (int i = 0; i < DB_MAX_LOCKS; i++)
		FREE(db->locks[i]);
	FREE(db->billing);
	FREE(db->gateway);
	FREE(db->gateway_name);
}

/* Every statement on this thread's connection starts here: errors land in
 * db->last_errno, and a lost connection is opened again first. */
static int
use_db(struct db *db, struct fg_err *err)
{
	if (db->lost && db->in_txn) {
		/* Never half a transaction on a new session. */
		err_set(err, "db: the connection was lost in the middle of a "
			     "transaction");
		return -1;
	}
	if (db->lost && db_revive(db, err) != 0)
		return -1;
	db->last_errno = 0;
	return 0;
}

/* use_db() for a statement: outside a transaction it commits by itself. */
static int
use_db_stmt(struct db *db, struct fg_err *err)
{
	char said[SERVER_SAID_MAX];

	if (use_db(db, err) != 0)
		return -1;
	if (!db->in_txn && db->autocommit_off) {
		if (mysql_autocommit(db->my, 1) != 0) {
			note_errno(db, mysql_errno(db->my));
			err_set(err, "db: autocommit: %s",
				server_said(mysql_error(db->my), said));
			return -1;
		}
		db->autocommit_off = 0;
	}
	return 0;
}

int
db_prepare_only(struct db *db, const char *sql, struct fg_err *err)
{
	MYSQL_STMT *st;
	int rc = 0;

	if (use_db_stmt(db, err) != 0)
		return -1;
	st = mysql_stmt_init(db->my);
	if (st == NULL)
		fatalx("db: mysql_stmt_init: out of memory");
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		stmt_error(db, st, sql, err);
		rc = -1;
	}
	mysql_stmt_close(st);
	return rc;
}

/* Prepare sql (after {B} expansion), or take it from the cache, and bind
 * p; *textp gets the expanded text and *sessionp the connection's number,
 * for stmt_release(). */
static MYSQL_STMT *
prepare(struct db *db, const char *sql, const struct db_param *p, size_t np,
	MYSQL_BIND *bind, unsigned long *lens, char **textp,
	unsigned long *sessionp, struct fg_err *err)
{
	MYSQL_STMT *st;
	char *text = expand(db, sql, err);
	size_t i;

	if (text == NULL)
		return NULL;
	if (use_db_stmt(db, err) != 0) {
		free(text);
		return NULL;
	}
	st = stmt_take(db, text);
	if (st == NULL) {
		/* Checked when prepared, not at every run from the cache. */
		const char *why =
			strstr(sql, "{B}") != NULL ? billing_locks(sql) : NULL;

		if (why != NULL) {
			err_set(err,
				"db: internal: a statement reads billing and "
				"%s: %.60s",
				why, sql);
			free(text);
			return NULL;
		}
		st = mysql_stmt_init(db->my);
		if (st == NULL)
			fatalx("db: mysql_stmt_init: out of memory");
		db->prepares++;
		if (mysql_stmt_prepare(st, text, strlen(text)) != 0) {
			stmt_error(db, st, sql, err);
			goto fail;
		}
	}
	if (mysql_stmt_param_count(st) != np) {
		err_set(err,
			"db: internal: statement takes %lu parameters, "
			"%zu given",
			mysql_stmt_param_count(st), np);
		goto fail;
	}
	if (np > 0) {
		memset(bind, 0, sizeof(*bind) * np);
		for (i = 0; i < np; i++) {
			switch (p[i].type) {
			case DBP_NULL:
				bind[i].buffer_type = MYSQL_TYPE_NULL;
				break;
			case DBP_STR:
				lens[i] = strlen(p[i].s);
				bind[i].buffer_type = MYSQL_TYPE_STRING;
				bind[i].buffer = (void *)p[i].s;
				bind[i].buffer_length = lens[i];
				bind[i].length = &lens[i];
				break;
			case DBP_INT:
				bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
				bind[i].buffer = (void *)&p[i].i;
				break;
			case DBP_ID:
				bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
				bind[i].buffer = (void *)&p[i].u;
				bind[i].is_unsigned = 1;
				break;
			}
		}
		if (mysql_stmt_bind_param(st, bind) != 0) {
			stmt_error(db, st, sql, err);
			goto fail;
		}
	}
	*textp = text;
	*sessionp = db->session;
	return st;
fail:
	free(text);
	mysql_stmt_close(st);
	return NULL;
}

/* Parameter bindings: on the stack for the usual few, else allocated. */
#define DB_STACK_PARAMS 32

struct binds {
	MYSQL_BIND stack_bind[DB_STACK_PARAMS];
	unsigned long stack_lens[DB_STACK_PARAMS];
	MYSQL_BIND *bind;
	unsigned long *lens;
};

static void
binds_init(struct binds *b, size_t np)
{
	if (np <= DB_STACK_PARAMS) {
		b->bind = b->stack_bind;
		b->lens = b->stack_lens;
	} else {
		b->bind = xcalloc(np, sizeof(*b->bind));
		b->lens = xcalloc(np, sizeof(*b->lens));
	}
}

static void
binds_free(struct binds *b)
{
	if (b->bind != b->stack_bind) {
		free(b->bind);
		free(b->lens);
	}
}

int
db_exec(struct db *db, const char *sql, const struct db_param *p, size_t np,
	unsigned long long *affected, struct fg_err *err)
{
	struct binds b;
	MYSQL_STMT *st;
	double t0 = mono_now();
	char label[80], *text = NULL;
	unsigned long session = 0;

	binds_init(&b, np);
	st = prepare(db, sql, p, np, b.bind, b.lens, &text, &session, err);
	if (st == NULL) {
		binds_free(&b);
		return -1;
	}
	/* The bindings point at b.lens until the statement has run. */
	if (mysql_stmt_execute(st) != 0) {
		stmt_error(db, st, sql, err);
		stmt_release(db, st, text, session, 0);
		binds_free(&b);
		return -1;
	}
	binds_free(&b);
	if (affected != NULL)
		*affected = mysql_stmt_affected_rows(st);
	sql_label(sql, label, sizeof(label));
	log_debug("db: exec: %.3f s, %llu rows: %s", mono_now() - t0,
		  (unsigned long long)mysql_stmt_affected_rows(st), label);
	stmt_release(db, st, text, session, 1);
	return 0;
}

static int
is_int_type(enum enum_field_types t)
{
	return t == MYSQL_TYPE_TINY || t == MYSQL_TYPE_SHORT ||
	       t == MYSQL_TYPE_LONG || t == MYSQL_TYPE_LONGLONG ||
	       t == MYSQL_TYPE_INT24;
}

/* A statement's result, fetched column by column as text into buffers
 * that grow to the longest value seen. row is what callbacks get: a NULL
 * value as a NULL pointer, its buffer kept in col. */
struct result {
	unsigned int n;
	MYSQL_BIND *bind; /* one a column, as mysql_stmt_bind_result takes */
	struct result_col {
		char *buf;
		unsigned long cap;
		my_bool null, error;
	} * col;
	struct db_row row;
};

static void
result_init(struct result *r, MYSQL_RES *meta)
{
	MYSQL_FIELD *fields = mysql_fetch_fields(meta);
	const char **names;
	int *is_int;
	unsigned int i;

	r->n = mysql_num_fields(meta);
	r->bind = xcalloc(r->n, sizeof(*r->bind));
	r->col = xcalloc(r->n, sizeof(*r->col));
	r->row.val = xcalloc(r->n, sizeof(*r->row.val));
	r->row.len = xcalloc(r->n, sizeof(*r->row.len));
	names = xcalloc(r->n, sizeof(*names));
	is_int = xcalloc(r->n, sizeof(*is_int));
	for (i = 0; i < r->n; i++) {
		struct result_col *c = &r->col[i];

		/* At least 32 bytes, at most 4 KB before a value needs more */
		c->cap = fields[i].length + 1;
		c->cap = c->cap < 32 ? 32 : c->cap > 4096 ? 4096 : c->cap;
		c->buf = xmalloc(c->cap);
		names[i] = fields[i].name;
		is_int[i] = is_int_type(fields[i].type);
		r->bind[i].buffer_type = MYSQL_TYPE_STRING;
		r->bind[i].buffer = c->buf;
		r->bind[i].buffer_length = c->cap - 1;
		r->bind[i].length = &r->row.len[i];
		r->bind[i].is_null = &c->null;
		r->bind[i].error = &c->error;
	}
	r->row.ncols = r->n;
	r->row.name = names;
	r->row.is_int = is_int;
}

/* The next row into r->row: 0, MYSQL_NO_DATA, or -1 with err. A value
 * longer than its buffer is fetched again into a bigger one, and the
 * bigger one bound for the rows after. */
static int
result_fetch(struct db *db, struct result *r, MYSQL_STMT *st, const char *sql,
	     struct fg_err *err)
{
	int frc = mysql_stmt_fetch(st);
	unsigned int i;

	if (frc == MYSQL_NO_DATA)
		return MYSQL_NO_DATA;
	if (frc == 1) {
		stmt_error(db, st, sql, err);
		return -1;
	}
	for (i = 0; i < r->n; i++) {
		struct result_col *c = &r->col[i];

		r->row.val[i] = c->null ? NULL : c->buf;
		if (c->null)
			continue;
		if (r->row.len[i] + 1 > c->cap) {
			c->cap = r->row.len[i] + 1;
			c->buf = xrealloc(c->buf, c->cap);
			r->row.val[i] = c->buf;
			r->bind[i].buffer = c->buf;
			r->bind[i].buffer_length = c->cap - 1;
			if (mysql_stmt_fetch_column(st, &r->bind[i], i, 0) !=
				    0 ||
			    mysql_stmt_bind_result(st, r->bind) != 0) {
				stmt_error(db, st, sql, err);
				return -1;
			}
		}
		c->buf[r->row.len[i]] = '\0';
	}
	return 0;
}

static void
result_free(struct result *r)
{
	unsigned int i;

	for (i = 0; r->col != NULL && i < r->n; i++)
		free(r->col[i].buf);
	free(r->col);
	free(r->bind);
	free(r->row.val);
	free(r->row.len);
	free((void *)r->row.name);
	free((void *)r->row.is_int);
}

/* db_query once: *nrows, the rows handed to fn, counts on a failure
 * too. */
static int
query_once(struct db *db, enum db_query_mode mode, const char *sql,
	   const struct db_param *p, size_t np, db_row_fn fn, void *arg,
	   unsigned long long *nrows_out, struct fg_err *err)
{
	struct result r = {0};
	struct binds pb;
	MYSQL_STMT *st;
	MYSQL_RES *meta = NULL;
	int rc = -1, frc, cb, drained = 0;
	double t0 = mono_now();
	unsigned long long nrows = 0;
	unsigned long session = 0;
	char *text = NULL, label[80];

	*nrows_out = 0;
	binds_init(&pb, np);
	st = prepare(db, sql, p, np, pb.bind, pb.lens, &text, &session, err);
	if (st == NULL) {
		binds_free(&pb);
		return -1;
	}
	if (mysql_stmt_execute(st) != 0) {
		stmt_error(db, st, sql, err);
		goto out;
	}
	meta = mysql_stmt_result_metadata(st);
	if (meta == NULL) {
		err_set(err, "db: internal: statement returns no rows");
		goto out;
	}
	result_init(&r, meta);
	if (mysql_stmt_bind_result(st, r.bind) != 0 ||
	    (mode == DB_BUFFERED && mysql_stmt_store_result(st) != 0)) {
		stmt_error(db, st, sql, err);
		goto out;
	}
	while ((frc = result_fetch(db, &r, st, sql, err)) == 0) {
		nrows++;
		cb = fn(arg, &r.row, err);
		if (cb < 0)
			goto out;
		if (cb > 0) {
			/* Enough: a result that had no more rows anyway (a
			 * one-row lookup) leaves the statement reusable. */
			drained = mysql_stmt_fetch(st) == MYSQL_NO_DATA;
			break;
		}
	}
	if (frc < 0)
		goto out;
	drained |= frc == MYSQL_NO_DATA;
	rc = 0;
	sql_label(sql, label, sizeof(label));
	log_debug("db: query: %.3f s, %llu rows: %s", mono_now() - t0, nrows,
		  label);
out:
	binds_free(&pb);
	if (meta != NULL)
		mysql_free_result(meta);
	mysql_stmt_free_result(st);
	/* Kept only when every row was read: a statement left mid-stream is
	 * not worth flushing. */
	stmt_release(db, st, text, session, rc == 0 && drained);
	result_free(&r);
	*nrows_out = nrows;
	return rc;
}

int
db_query(struct db *db, enum db_query_mode mode, const char *sql,
	 const struct db_param *p, size_t np, db_row_fn fn, void *arg,
	 struct fg_err *err)
{
	unsigned long long nrows;
	int rc = query_once(db, mode, sql, p, np, fn, arg, &nrows, err);

	/* A read outside a transaction that found its connection gone (the
	 * server restarted, or killed the session while it was idle) before
	 * any row reached fn is run once more, on a new one: a scrape or a
	 * page after a quiet hour does not fail for it. Within a
	 * transaction the caller decides (db_retryable). */
	if (rc != 0 && db->lost && !db->in_txn && nrows == 0)
		rc = query_once(db, mode, sql, p, np, fn, arg, &nrows, err);
	return rc;
}

struct value_ctx {
	char *out;
	size_t outlen;
	int found;
};

static int
value_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct value_ctx *v = arg;

	(void)err;
	v->found = 1;
	str_copy(v->out, row->val[0] ? row->val[0] : "", v->outlen);
	return 1;
}

void
db_placeholders(struct sbuf *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sbuf_adds(b, i ? ", ?" : "?");
}

size_t
db_in_pad(size_t n)
{
	size_t k = 1;

	while (k < n)
		k <<= 1;
	return k;
}

size_t
db_pad_params(struct db_param *p, size_t n)
{
	size_t i, k = db_in_pad(n);

	for (i = n; n > 0 && i < k; i++)
		p[i] = p[n - 1];
	return k;
}

char *
db_sql_in_list(const char *head, size_t n, const char *tail)
{
	struct sbuf b;

	sbuf_init(&b);
	sbuf_adds(&b, head);
	db_placeholders(&b, db_in_pad(n));
	sbuf_adds(&b, ")");
	sbuf_adds(&b, tail);
	return sbuf_take(&b);
}

int
db_exec_in(struct db *db, const char *head, struct db_param *p, size_t lead,
	   size_t k, unsigned long long *affected, struct fg_err *err)
{
	char *sql = db_sql_in_list(head, k, "");
	int rc = db_exec(db, sql, p, lead + db_pad_params(p + lead, k),
			 affected, err);

	free(sql);
	return rc;
}

int
db_query_value(struct db *db, const char *sql, const struct db_param *p,
	       size_t np, char *out, size_t outlen, int *found,
	       struct fg_err *err)
{
	struct value_ctx v = {out, outlen, 0};

	out[0] = '\0';
	if (db_query(db, DB_STREAM, sql, p, np, value_cb, &v, err) != 0)
		return -1;
	if (found != NULL)
		*found = v.found;
	return 0;
}

static int
ull_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	unsigned long long *v = arg;

	(void)err;
	*v = row->val[0] != NULL ? strtoull(row->val[0], NULL, 10) : 0;
	return 0;
}

int
db_query_ull(struct db *db, const char *sql, const struct db_param *p,
	     size_t np, unsigned long long *v, struct fg_err *err)
{
	*v = 0;
	return db_query(db, DB_BUFFERED, sql, p, np, ull_cb, v, err);
}

int
db_retryable(struct db *db)
{
	struct fg_err err;

	if (db->not_committed) {
		db->not_committed = 0;
		return 1;
	}
	if (db->last_errno == ER_LOCK_DEADLOCK ||
	    db->last_errno == ER_LOCK_WAIT_TIMEOUT)
		return 1;
	if (!db->lost || db->commit_doubt)
		return 0;
	if (db_revive(db, &err) != 0) {
		log_warnx("%s", err.msg);
		return 0;
	}
	return 1;
}

int
db_begin(struct db *db, struct fg_err *err)
{
	char said[SERVER_SAID_MAX];

	if (use_db(db, err) != 0)
		return -1;
	db->commit_doubt = 0;
	db->not_committed = 0;
	db->in_txn = 1;
	/* Off since the last transaction of this session: the first
	 * statement starts the next one. */
	if (db->autocommit_off)
		return 0;
	if (mysql_autocommit(db->my, 0) != 0) {
		db->in_txn = 0;
		note_errno(db, mysql_errno(db->my));
		err_set(err, "db: begin: %s",
			server_said(mysql_error(db->my), said));
		return -1;
	}
	db->autocommit_off = 1;
	return 0;
}

/* Whether the session id, connected at (monotonic) since, is gone, its
 * transaction with it (committed or rolled back), within a few seconds: 1
 * gone, 0 not, -1 on error. A session sees its own account's others in
 * PROCESSLIST. A server that has been up for less time than that session
 * had been connected started again since: it settled the transaction
 * while starting, and may have given the id to a new session. */
static int
session_gone(struct db *db, unsigned long id, double since, struct fg_err *err)
{
	char v[24];
	int i;

	if (db_query_value(db,
			   "SELECT VARIABLE_VALUE FROM"
			   " information_schema.GLOBAL_STATUS"
			   " WHERE VARIABLE_NAME = 'UPTIME'",
			   DB_NOARGS, v, sizeof(v), NULL, err) != 0)
		return -1;
	if (strtod(v, NULL) + 2 < mono_now() - since)
		return 1;
	for (i = 0; i < 100; i++) {
		if (db_query_value(
			    db,
			    "SELECT COUNT(*) FROM"
			    " information_schema.PROCESSLIST WHERE ID = ?",
			    DB_ARGS(DB_INT(id)), v, sizeof(v), NULL, err) != 0)
			return -1;
		if (strcmp(v, "0") == 0)
			return 1;
		usleep(50000);
	}
	err_set(err, "db: the old session %lu is still there after 5 s", id);
	return 0;
}

/* The connection went during the COMMIT of the transaction marked mark:
 * connect again, wait until the old session is gone (the server may still
 * be committing for it), and see whether the mark is there. */
static int
commit_resolve(struct db *db, const char *mark, struct fg_err *err)
{
	char why[sizeof(err->msg)], v[8];
	unsigned long old = mysql_thread_id(db->my);
	double since = db->connected_at;
	int found;

	str_copy(why, err->msg, sizeof(why));
	db->in_txn = 0;
	if (db_revive(db, err) != 0 || session_gone(db, old, since, err) != 1 ||
	    db_query_value(db, "SELECT 1 FROM commit_marks WHERE mark = ?",
			   DB_ARGS(DB_STR(mark)), v, sizeof(v), &found,
			   err) != 0) {
		db->commit_doubt = 1;
		err_prefix(err, "%s; whether it was committed is not known",
			   why);
		return -1;
	}
	if (found) {
		log_warnx("db: the connection went during COMMIT; the "
			  "transaction had been committed");
		return 0;
	}
	db->not_committed = 1;
	err_set(err, "%s; the transaction was not committed", why);
	return -1;
}

int
db_commit_mark(struct db *db, char mark[33], struct fg_err *err)
{
	if (random_hex128(mark) != 0) {
		err_set(err, "db: no random bytes for a commit mark");
		return -1;
	}
	return db_exec(db,
		       "INSERT INTO commit_marks (mark, made_at)"
		       " VALUES (?, UTC_TIMESTAMP())",
		       DB_ARGS(DB_STR(mark)), NULL, err);
}

int
db_commit(struct db *db, struct fg_err *err)
{
	char said[SERVER_SAID_MAX];
	double t0 = mono_now();
	char mark[33];
	int marked = 0;

	if (db->use_gateway) {
		if (db_commit_mark(db, mark, err) != 0) {
			db_rollback(db);
			return -1;
		}
		marked = 1;
	}
	if (mysql_commit(db->my) != 0) {
		note_errno(db, mysql_errno(db->my));
		err_set(err, "db: commit: %s (error %u)",
			server_said(mysql_error(db->my), said), db->last_errno);
		if (db->lost && marked)
			return commit_resolve(db, mark, err);
		db->commit_doubt = db->lost;
		db_rollback(db);
		return -1;
	}
	db->in_txn = 0;
	log_debug("db: commit: %.3f s", mono_now() - t0);
	return 0;
}

void
db_rollback(struct db *db)
{
	char said[SERVER_SAID_MAX];

	db->in_txn = 0;
	if (db->lost)
		return; /* the server rolled it back with the session */
	if (mysql_rollback(db->my) != 0)
		log_warnx("db: rollback: %s",
			  server_said(mysql_error(db->my), said));
}

/* MariaDB lock names hold 64 characters: "feegate.SCHEMA.NAME", or with a
 * long schema name its first 32 characters and a hash of the whole. */
static void
lock_name(struct db *db, const char *name, char *out, size_t len)
{
	unsigned int h = 2166136261u;
	const char *p;

	if (snprintf(out, len, "feegate.%s.%s", db->gateway_name, name) <= 64)
		return;
	for (p = db->gateway_name; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(out, len, "feegate.%.32s~%08x.%s", db->gateway_name, h, name);
}

static int
take_lock(struct db *db, const char *full, int timeout_s, struct fg_err *err)
{
	char got[8];
	int found;

	if (db_query_value(db, "SELECT GET_LOCK(?, ?)",
			   DB_ARGS(DB_STR(full), DB_INT(timeout_s)), got,
			   sizeof(got), &found, err) != 0)
		return -1;
	if (strcmp(got, "1") != 0) {
		err_set(err,
			"db: lock %s: still held by another feegate after %d s",
			full, timeout_s);
		return -1;
	}
	return 0;
}

int
db_lock(struct db *db, const char *name, int timeout_s, struct fg_err *err)
{
	char full[160];
	int i;

	lock_name(db, name, full, sizeof(full));
	if (take_lock(db, full, timeout_s, err) != 0)
		return -1;
	/* Held by the session: a new session after a lost connection takes
	 * it again (db_revive). */
	for (i = 0; i < DB_MAX_LOCKS; i++)
		if (db->locks[i] == NULL) {
			db->locks[i] = xstrdup(full);
			break;
		}
	return 0;
}

void
db_unlock(struct db *db, const char *name)
{
	struct fg_err err;
	char full[160], got[8];
	int i;

	lock_name(db, name, full, sizeof(full));
	for (i = 0; i < DB_MAX_LOCKS; i++)
		if (db->locks[i] != NULL && strcmp(db->locks[i], full) == 0) {
			FREE(db->locks[i]);
			break;
		}
	if (db_query_value(db, "SELECT RELEASE_LOCK(?)", DB_ARGS(DB_STR(full)),
			   got, sizeof(got), NULL, &err) != 0)
		log_warnx("%s", err.msg);
}

/*
 * Bulk insert. Column-wise array binding: each string column is an array of
 * pointers into one arena per batch (stored as offsets until the batch is
 * sent, because the arena moves as it grows).
 */
struct bulk_col {
	char type; /* 's' or 'i' */
	size_t *off;
	char **ptr;
	unsigned long *len;
	long long *ival;
	char *ind;
};

struct db_bulk {
	struct db *db;
	char *sql;
	char *text; /* expanded, for the statement cache */
	unsigned long session;
	int failed; /* a flush failed: the statement is not kept */
	MYSQL_STMT *st;
	unsigned int ncols;
	size_t cap, n;
	struct bulk_col *col;
	MYSQL_BIND *bind;
	struct sbuf arena;
};

struct db_bulk *
db_bulk_new(struct db *db, const char *sql, const char *coltypes, size_t cap,
	    struct fg_err *err)
{
	struct db_bulk *b = xcalloc(1, sizeof(*b));
	char *text;
	unsigned int i;

	b->db = db;
	b->sql = xstrdup(sql);
	b->ncols = (unsigned int)strlen(coltypes);
	b->cap = cap;
	b->col = xcalloc(b->ncols, sizeof(*b->col));
	b->bind = xcalloc(b->ncols, sizeof(*b->bind));
	sbuf_init(&b->arena);
	for (i = 0; i < b->ncols; i++) {
		struct bulk_col *c = &b->col[i];

		c->type = coltypes[i];
		c->ind = xcalloc(cap, 1);
		if (c->type == 's') {
			c->off = xcalloc(cap, sizeof(*c->off));
			c->ptr = xcalloc(cap, sizeof(*c->ptr));
			c->len = xcalloc(cap, sizeof(*c->len));
		} else {
			c->ival = xcalloc(cap, sizeof(*c->ival));
		}
	}
	if (use_db_stmt(db, err) != 0) {
		db_bulk_free(b);
		return NULL;
	}
	/* Kept prepared like any other statement (every audit batch and
	 * every batch marked submitting runs one). */
	text = expand(db, sql, err);
	if (text == NULL) {
		b->failed = 1;
		db_bulk_free(b);
		return NULL;
	}
	b->session = db->session;
	b->st = stmt_take(db, text);
	if (b->st == NULL) {
		b->st = mysql_stmt_init(db->my);
		if (b->st == NULL)
			fatalx("db: mysql_stmt_init: out of memory");
		db->prepares++;
		if (mysql_stmt_prepare(b->st, text, strlen(text)) != 0) {
			stmt_error(db, b->st, sql, err);
			free(text);
			b->failed = 1;
			db_bulk_free(b);
			return NULL;
		}
	}
	b->text = text;
	if (mysql_stmt_param_count(b->st) != b->ncols) {
		b->failed = 1;
		err_set(err, "db: internal: bulk statement takes %lu columns",
			mysql_stmt_param_count(b->st));
		db_bulk_free(b);
		return NULL;
	}
	return b;
}

void
db_bulk_str(struct db_bulk *b, unsigned int col, const char *s)
{
	struct bulk_col *c = &b->col[col];
	size_t n = strlen(s);

	c->off[b->n] = b->arena.len;
	c->len[b->n] = n;
	c->ind[b->n] = STMT_INDICATOR_NONE;
	sbuf_add(&b->arena, s, n);
}

void
db_bulk_int(struct db_bulk *b, unsigned int col, long long v)
{
	b->col[col].ival[b->n] = v;
	b->col[col].ind[b->n] = STMT_INDICATOR_NONE;
}

void
db_bulk_null(struct db_bulk *b, unsigned int col)
{
	struct bulk_col *c = &b->col[col];

	c->ind[b->n] = STMT_INDICATOR_NULL;
	if (c->type == 's') {
		c->off[b->n] = 0;
		c->len[b->n] = 0;
	}
}

int
db_bulk_row(struct db_bulk *b, struct fg_err *err)
{
	b->n++;
	if (b->n >= b->cap)
		return db_bulk_flush(b, err);
	return 0;
}

int
db_bulk_flush(struct db_bulk *b, struct fg_err *err)
{
	unsigned int size = (unsigned int)b->n, i;
	double t0 = mono_now();
	size_t r;

	if (b->n == 0)
		return 0;
	memset(b->bind, 0, sizeof(*b->bind) * b->ncols);
	for (i = 0; i < b->ncols; i++) {
		struct bulk_col *c = &b->col[i];

		if (c->type == 's') {
			for (r = 0; r < b->n; r++)
				c->ptr[r] = b->arena.s + c->off[r];
			b->bind[i].buffer_type = MYSQL_TYPE_STRING;
			b->bind[i].buffer = c->ptr;
			b->bind[i].length = c->len;
		} else {
			b->bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b->bind[i].buffer = c->ival;
		}
		b->bind[i].u.indicator = c->ind;
	}
	if (mysql_stmt_attr_set(b->st, STMT_ATTR_ARRAY_SIZE, &size) != 0 ||
	    mysql_stmt_bind_param(b->st, b->bind) != 0 ||
	    mysql_stmt_execute(b->st) != 0) {
		b->failed = 1;
		stmt_error(b->db, b->st, b->sql, err);
		return -1;
	}
	log_debug("db: bulk: %.3f s, %u rows", mono_now() - t0, size);
	b->n = 0;
	b->arena.len = 0;
	b->arena.s[0] = '\0';
	return 0;
}

void
db_bulk_free(struct db_bulk *b)
{
	unsigned int i;

	if (b == NULL)
		return;
	if (b->st != NULL && b->text != NULL) {
		stmt_release(b->db, b->st, b->text, b->session, !b->failed);
	} else {
		if (b->st != NULL)
			mysql_stmt_close(b->st);
		free(b->text);
	}
	for (i = 0; i < b->ncols; i++) {
		free(b->col[i].off);
		free(b->col[i].ptr);
		free(b->col[i].len);
		free(b->col[i].ival);
		free(b->col[i].ind);
	}
	free(b->col);
	free(b->bind);
	free(b->sql);
	sbuf_free(&b->arena);
	free(b);
}
