/*
 * migrate.h: the gateway schema as numbered migrations (sql/gateway/), built
 * into the binary. `feegate db migrate` applies the missing ones in order;
 * every other command refuses to run against a schema that is behind.
 */
#ifndef FEEGATE_MIGRATE_H
#define FEEGATE_MIGRATE_H

#include <stddef.h>

#include "base/config.h"
#include "store/db.h"

struct migration {
	int version;
	const char *name;
	const char *sql; /* statements end with ';' at the end of a line */
};

extern const struct migration migrations[];
extern const size_t migrations_count;

/* A table of the gateway schema and the privileges sql/grants.sql gives
 * the application's account on it ("SELECT, INSERT"). */
struct grant {
	const char *table;
	const char *privs;
};

extern const struct grant grants[];
extern const size_t grants_count;

/* Create the gateway schema if needed and apply what is missing; prints
 * one line per migration applied. */
int migrate_run(const struct config *cfg, struct fg_err *err);
/* Fail unless the connected gateway schema has every known migration. */
int migrate_check(struct db *db, struct fg_err *err);
/* Fail unless the account has every privilege of grants[], naming each
 * it lacks. At a command's start (open_db in main.c), once. */
int migrate_grants_check(struct db *db, struct fg_err *err);

#endif
