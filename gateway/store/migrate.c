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

/* A statement that needs priv (n bytes) on table, to prepare and never
 * run, in out: 0; 1 for a privilege that is not about a table's rows (or
 * UPDATE on a table whose columns the account cannot see: SELECT says
 * so); -1 with err when the column could not be read. UPDATE names the
 * table's first column. */
static int
probe_sql(struct db *db, const char *priv, size_t n, const char *table,
	  struct sbuf *out, struct fg_err *err)
{
	char col[65];
	int found = 0;

	sbuf_init(out);
	if (n == 6 && strncmp(priv, "SELECT", 6) == 0)
		sbuf_addf(out, "SELECT 1 FROM `%s` WHERE 0", table);
	else if (n == 6 && strncmp(priv, "INSERT", 6) == 0)
		sbuf_addf(out, "INSERT INTO `%s` SELECT * FROM `%s` WHERE 0",
			  table, table);
	else if (n == 6 && strncmp(priv, "DELETE", 6) == 0)
		sbuf_addf(out, "DELETE FROM `%s` WHERE 0", table);
	else if (n == 6 && strncmp(priv, "UPDATE", 6) == 0) {
		if (db_query_value(
			    db,
			    "SELECT COLUMN_NAME FROM information_schema."
			    "COLUMNS WHERE TABLE_SCHEMA = DATABASE()"
			    " AND TABLE_NAME = ? AND ORDINAL_POSITION = 1",
			    DB_ARGS(DB_STR(table)), col, sizeof(col), &found,
			    err) != 0)
			return -1;
		if (!found)
			return 1;
		sbuf_addf(out, "UPDATE `%s` SET `%s` = `%s` WHERE 0", table,
			  col, col);
	} else
		return 1;
	return 0;
}

/*
 * Every privilege sql/grants.sql gives on the gateway's tables, checked by
 * preparing a statement that needs it (MariaDB checks privileges when it
 * prepares; nothing runs). An account that lacks one (grants.sql not run
 * again after an upgrade added a table) is refused here, with every
 * privilege it lacks named, rather than failing on each batch of the
 * night. Every write transaction also ends with a commit mark (db.c).
 */
int
migrate_grants_check(struct db *db, struct fg_err *err)
{
	struct sbuf missing, sql;
	size_t i;
	int rc = -1;

	sbuf_init(&missing);
	for (i = 0; i < grants_count; i++) {
		const char *p = grants[i].privs;

		while (*p != '\0') {
			size_t n = strcspn(p, ", ");
			struct fg_err e;
			int probe =
				probe_sql(db, p, n, grants[i].table, &sql, err);

			if (probe < 0) {
				sbuf_free(&sql);
				goto out;
			}
			if (probe == 0 && db_prepare_only(db, sql.s, &e) != 0) {
				/* 1142, 1143: a command or a column denied */
				if (db->last_errno != 1142 &&
				    db->last_errno != 1143) {
					*err = e;
					sbuf_free(&sql);
					goto out;
				}
				sbuf_addf(&missing, "%s%.*s on %s",
					  missing.len ? ", " : "", (int)n, p,
					  grants[i].table);
			}
			sbuf_free(&sql);
			p += n;
			p += strspn(p, ", ");
		}
	}
	if (missing.len > 0) {
		err_set(err,
			"the database account lacks %s (after `feegate db "
			"migrate`, run sql/grants.sql again)",
			missing.s);
		goto out;
	}
	rc = 0;
out:
	sbuf_free(&missing);
	return rc;
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
	return 0;
}
