/*
 * staff.h: call-centre staff accounts (`feegate staff add|passwd|disable|
 * list`) and their password check for the staff pages. Passwords are
 * hashed with libsodium's crypto_pwhash_str (Argon2id, memory-hard); they
 * are read from standard input, never from the command line, and never
 * logged. Roles: agent (sees masked numbers), supervisor (may reveal one,
 * with a reason), collector (sees the tasks of one grid).
 */
#ifndef FEEGATE_STAFF_H
#define FEEGATE_STAFF_H

#include <stdio.h>

#include "base/util.h"
#include "store/db.h"

#define STAFF_PASSWORD_MIN 10
#define STAFF_PASSWORD_MAX 256

struct staff_member {
	unsigned long long id;
	char username[65];
	char display_name[129];
	char role[16];
	char grid_id[33]; /* "" for none */
};

/* 0 (added), 1 (the name is taken: nothing changed), -1 with err. */
int staff_add(struct db *db, const char *username, const char *display_name,
	      const char *role, const char *grid_id, const char *password,
	      struct fg_err *err);
/* 0, 1 (no such user), -1. */
int staff_set_password(struct db *db, const char *username,
		       const char *password, struct fg_err *err);
/* Disabled staff cannot log in; their sessions end. 0, 1, -1. */
int staff_disable(struct db *db, const char *username, struct fg_err *err);
/* One line per member on out. */
int staff_list(struct db *db, FILE *out, struct fg_err *err);
/* 1 (the password is right and the account enabled: *m filled), 0 (not),
 * -1 (database trouble). Takes about as long either way. */
int staff_check_password(struct db *db, const char *username,
			 const char *password, struct staff_member *m,
			 struct fg_err *err);
/* Why a password is not acceptable, or NULL. */
const char *staff_password_problem(const char *password);

#endif
