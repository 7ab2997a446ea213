/*
 * timeline.h: one customer's history for the call centre (`feegate log`):
 * customer, cases with their notices and messages, collection tasks, input
 * rows refused, and the audit rows, addresses masked. One JSON document is
 * built from the database and printed either as JSON or as text.
 */
#ifndef FEEGATE_TIMELINE_H
#define FEEGATE_TIMELINE_H

#include <jansson.h>
#include <stdio.h>

#include "store/db.h"

/* The timeline of one account (NULL with *found = 0 if the account is
 * unknown to both billing and the gateway). The caller json_decref()s it. */
json_t *timeline_build(struct db *db, const char *account_no, int *found,
		       struct fg_err *err);
/* Whether timeline_build() would find the account, cheaply. */
int timeline_exists(struct db *db, const char *account_no, int *found,
		    struct fg_err *err);
/* Accounts whose contacts have this phone number or e-mail address. */
int timeline_find_accounts(struct db *db, const char *address, json_t *out,
			   struct fg_err *err);
void timeline_print(const json_t *t, FILE *out);
/* A search that is not an account number but looks like a phone number:
 * +E.164, or 11 digits of a mainland mobile (then +86 is added), into out.
 * 1 if it is one. */
int timeline_phone_query(const char *arg, char *out, size_t len);

#endif
