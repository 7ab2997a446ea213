/*
 * migrate.c: see migrate.h.
 */
#include "store/migrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "store/views.h"

/* Run each statement of one migration; full-line "--" comments are
 * dropped, a statement ends with ';' at the end of a line. */
static int
apply(struct db *db, const struct migration *m, struct fg_err *err)
{
	const char *p = m->sql, *eol;
	struct sbuf stmt;
	int rc = 0;

	sbuf_init(&stmt);
	while (*p != '\0' && rc == 0) {
		const char *s;
		size_t n;

		eol = strchr(p, '\n');
		n = eol ? (size_t)(eol - p) : strlen(p);
		s = p;
		while (s < p + n && (*s == ' ' || *s == '\t'))
			s++;
		if (!(s + 1 < p + n && s[0] == '-' && s[1] == '-')) {
			sbuf_add(&stmt, p, n);
			sbuf_add(&stmt, "\n", 1);
		}
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' ||
				 p[n - 1] == '\r'))
			n--;
		if (n > 0 && p[n - 1] == ';' && s[0] != '-') {
			/* Drop the ';' itself. */
			char *semi = strrchr(stmt.s, ';');

			*semi = '\0';
			rc = db_exec(db, stmt.s, DB_NOARGS, NULL, err);
			if (rc != 0)
				err_prefix(err, "migration %s", m->name);
			stmt.len = 0;
			stmt.s[0] = '\0';
		}
		p = eol ? eol + 1 : p + strlen(p);
	}
	sbuf_free(&stmt);
	return rc;
}

static int
applied(struct db *db, int version, int *yes, struct fg_err *err)
{
	char v[16];

	return db_query_value(db,
			      "SELECT version FROM schema_migrations "
			      "WHERE version = ?",
			      DB_ARGS(DB_INT(version)), v, sizeof(v), yes, err);
}

int
migrate_run(const struct config *cfg, struct fg_err *err)
{
	struct db db;
	char *sql;
	size_t i;
	int rc = -1, yes, n = 0;

	if (db_connect(&db, cfg, 0, err) != 0)
		return -1;
	sql = xasprintf(
		"CREATE DATABASE IF NOT EXISTS %s CHARACTER SET utf8mb4 "
		"COLLATE utf8mb4_nopad_bin",
		db.gateway);
	rc = db_exec(&db, sql, DB_NOARGS, NULL, err);
	free(sql);
	if (rc != 0 || db_use_gateway(&db, err) != 0)
		goto out;
	rc = -1;
	if (db_lock(&db, "migrate", cfg->db.lock_timeout, err) != 0)
		goto out;
	if (db_exec(&db,
		    "CREATE TABLE IF NOT EXISTS schema_migrations ("
		    " version INT NOT NULL PRIMARY KEY,"
		    " name VARCHAR(128) NOT NULL,"
		    " applied_at DATETIME(6) NOT NULL"
		    ") ENGINE=InnoDB",
		    DB_NOARGS, NULL, err) != 0)
		goto unlock;
	for (i = 0; i < migrations_count; i++) {
		const struct migration *m = &migrations[i];

		if (applied(&db, m->version, &yes, err) != 0)
			goto unlock;
		if (yes)
			continue;
		if (apply(&db, m, err) != 0)
			goto unlock;
		if (db_exec(&db,
			    "INSERT INTO schema_migrations (version, name, "
			    "applied_at) VALUES (?, ?, UTC_TIMESTAMP(6))",
			    DB_ARGS(DB_INT(m->version), DB_STR(m->name)), NULL,
			    err) != 0)
			goto unlock;
		printf("migrate: applied %s\n", m->name);
		n++;
	}
	/* After every migration, so the views see this binary's kinds. */
	if (views_create(&db, err) != 0) {
		err_prefix(err, "migrate: views");
		goto unlock;
	}
	printf("migrate: schema %s is at version %d%s\n",
	       cfg->db.gateway_schema, migrations[migrations_count - 1].version,
	       n ? "" : " (nothing to do)");
	rc = 0;
unlock:
	db_unlock(&db, "migrate");
out:
	db_close(&db);
	return rc;
}

/* Every write transaction ends with a commit mark (db.c): an account that
 * may not write one can commit nothing. Tried at start-up, rolled back. */
static int
grants_check(struct db *db, struct fg_err *err)
{
	char mark[33];

	if (db_begin(db, err) != 0)
		return -1;
	if (db_commit_mark(db, mark, err) != 0) {
		db_rollback(db);
		err_prefix(err, "the database account cannot write "
				"commit_marks (after `feegate db migrate`, run "
				"sql/grants.sql again)");
		return -1;
	}
	db_rollback(db);
	return 0;
}

int
migrate_check(struct db *db, struct fg_err *err)
{
	char v[16];
	int found;
	long long have;
	int want = migrations[migrations_count - 1].version;

	if (db_query_value(db, "SELECT MAX(version) FROM schema_migrations",
			   DB_NOARGS, v, sizeof(v), &found, err) != 0) {
		err_prefix(err, "schema check (run `feegate db migrate`)");
		return -1;
	}
	have = v[0] ? strtoll(v, NULL, 10) : 0;
	if (have < want) {
		err_set(err,
			"schema %s is at version %lld, this feegate needs %d: "
			"run `feegate db migrate`",
			db->gateway_name, have, want);
		return -1;
	}
	if (have > want) {
		err_set(err,
			"schema %s is at version %lld, newer than this feegate "
			"(%d): upgrade feegate",
			db->gateway_name, have, want);
		return -1;
	}
	return grants_check(db, err);
}
