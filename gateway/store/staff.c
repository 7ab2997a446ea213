/*
 * staff.c: see staff.h.
 */
#include "store/staff.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"

#define ROLES "agent, supervisor or collector"

static int
valid_role(const char *role)
{
	return strcmp(role, "agent") == 0 || strcmp(role, "supervisor") == 0 ||
	       strcmp(role, "collector") == 0;
}

const char *
staff_password_problem(const char *password)
{
	size_t n = strlen(password);

	if (n < STAFF_PASSWORD_MIN)
		return "a password has at least 10 characters";
	if (n > STAFF_PASSWORD_MAX)
		return "a password has at most 256 characters";
	return NULL;
}

/* An acceptable password's Argon2id string into out
 * (crypto_pwhash_STRBYTES). */
static int
hash_password(const char *password, char *out, struct fg_err *err)
{
	const char *why = staff_password_problem(password);

	if (why != NULL) {
		err_set(err, "%s", why);
		return -1;
	}
	if (sodium_init() < 0) {
		err_set(err, "libsodium cannot start");
		return -1;
	}
	if (crypto_pwhash_str(out, password, strlen(password),
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		err_set(err, "out of memory hashing the password");
		return -1;
	}
	return 0;
}

int
staff_add(struct db *db, const char *username, const char *display_name,
	  const char *role, const char *grid_id, const char *password,
	  struct fg_err *err)
{
	char hash[crypto_pwhash_STRBYTES], now[TIME_LEN];
	unsigned long long added = 0;

	if (strlen(username) == 0 || strlen(username) > 64 ||
	    strspn(username, "abcdefghijklmnopqrstuvwxyz0123456789._-") !=
		    strlen(username)) {
		err_set(err, "a user name is 1-64 of a-z, 0-9, '.', '_', '-'");
		return -1;
	}
	if (!valid_role(role)) {
		err_set(err, "the role is " ROLES);
		return -1;
	}
	if (strcmp(role, "collector") == 0 && (grid_id == NULL || !*grid_id)) {
		err_set(err, "a collector needs --grid");
		return -1;
	}
	if (hash_password(password, hash, err) != 0)
		return -1;
	time_now_utc(now);
	if (db_exec(db,
		    "INSERT IGNORE INTO staff (username, display_name, role,"
		    " grid_id, pw_hash, created_at, changed_at)"
		    " VALUES (?, ?, ?, NULLIF(?, ''), ?, ?, ?)",
		    DB_ARGS(DB_STR(username),
			    DB_STR(display_name ? display_name : username),
			    DB_STR(role), DB_STR(grid_id ? grid_id : ""),
			    DB_STR(hash), DB_STR(now), DB_STR(now)),
		    &added, err) != 0)
		return -1;
	sodium_memzero(hash, sizeof(hash));
	return added == 1 ? 0 : 1;
}

int
staff_set_password(struct db *db, const char *username, const char *password,
		   struct fg_err *err)
{
	char hash[crypto_pwhash_STRBYTES], now[TIME_LEN];
	unsigned long long n = 0;

	if (hash_password(password, hash, err) != 0)
		return -1;
	time_now_utc(now);
	if (db_exec(db,
		    "UPDATE staff SET pw_hash = ?, changed_at = ?"
		    " WHERE username = ?",
		    DB_ARGS(DB_STR(hash), DB_STR(now), DB_STR(username)), &n,
		    err) != 0)
		return -1;
	/* A new password ends the sessions the old one opened. */
	if (n == 1 &&
	    db_exec(db,
		    "DELETE s FROM staff_sessions s JOIN staff t"
		    " ON t.staff_id = s.staff_id WHERE t.username = ?",
		    DB_ARGS(DB_STR(username)), NULL, err) != 0)
		return -1;
	return n == 1 ? 0 : 1;
}

int
staff_disable(struct db *db, const char *username, struct fg_err *err)
{
	unsigned long long n = 0;
	char now[TIME_LEN];

	time_now_utc(now);
	if (db_exec(db,
		    "UPDATE staff SET disabled = 1, changed_at = ?"
		    " WHERE username = ?",
		    DB_ARGS(DB_STR(now), DB_STR(username)), &n, err) != 0 ||
	    db_exec(db,
		    "DELETE s FROM staff_sessions s JOIN staff t"
		    " ON t.staff_id = s.staff_id WHERE t.username = ?",
		    DB_ARGS(DB_STR(username)), NULL, err) != 0)
		return -1;
	if (n == 0) {
		char v[8];
		int found;

		if (db_query_value(db, "SELECT 1 FROM staff WHERE username = ?",
				   DB_ARGS(DB_STR(username)), v, sizeof(v),
				   &found, err) != 0)
			return -1;
		return found ? 0 : 1;
	}
	return 0;
}

static int
list_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	fprintf(arg, "%-20s %-11s %-8s %-9s %s\n", row->val[0], row->val[1],
		row->val[2] ? row->val[2] : "-",
		strcmp(row->val[3], "0") ? "disabled" : "enabled", row->val[4]);
	return 0;
}

int
staff_list(struct db *db, FILE *out, struct fg_err *err)
{
	fprintf(out, "%-20s %-11s %-8s %-9s %s\n", "user", "role", "grid",
		"state", "name");
	return db_query(db, DB_STREAM,
			"SELECT username, role, grid_id, disabled, display_name"
			" FROM staff ORDER BY username",
			DB_NOARGS, list_cb, out, err);
}

struct check_ctx {
	struct staff_member *m;
	char hash[crypto_pwhash_STRBYTES];
	int disabled, found;
};

static int
check_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct check_ctx *c = arg;

	(void)err;
	c->found = 1;
	c->m->id = strtoull(row->val[0], NULL, 10);
	str_copy(c->m->username, row->val[1], sizeof(c->m->username));
	str_copy(c->m->display_name, row->val[2], sizeof(c->m->display_name));
	str_copy(c->m->role, row->val[3], sizeof(c->m->role));
	str_copy(c->m->grid_id, row->val[4] ? row->val[4] : "",
		 sizeof(c->m->grid_id));
	str_copy(c->hash, row->val[5], sizeof(c->hash));
	c->disabled = strcmp(row->val[6], "0") != 0;
	return 0;
}

/* Verified against when the user does not exist, so that a wrong name
 * takes as long as a wrong password. */
static char dummy[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void
make_dummy(void)
{
	if (crypto_pwhash_str(dummy, "not a password of anyone", 24,
			      crypto_pwhash_OPSLIMIT_INTERACTIVE,
			      crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		dummy[0] = '\0';
}

int
staff_check_password(struct db *db, const char *username, const char *password,
		     struct staff_member *m, struct fg_err *err)
{
	struct check_ctx c = {.m = m};
	int ok;

	memset(m, 0, sizeof(*m));
	if (sodium_init() < 0) {
		err_set(err, "libsodium cannot start");
		return -1;
	}
	pthread_once(&dummy_once, make_dummy);
	if (dummy[0] == '\0') {
		err_set(err, "out of memory hashing a password");
		return -1;
	}
	if (db_query(db, DB_BUFFERED,
		     "SELECT staff_id, username, display_name, role, grid_id,"
		     " pw_hash, disabled FROM staff WHERE username = ?",
		     DB_ARGS(DB_STR(username)), check_cb, &c, err) != 0)
		return -1;
	ok = crypto_pwhash_str_verify(c.found ? c.hash : dummy, password,
				      strlen(password)) == 0;
	sodium_memzero(c.hash, sizeof(c.hash));
	if (!ok || !c.found || c.disabled) {
		memset(m, 0, sizeof(*m));
		return 0;
	}
	return 1;
}
