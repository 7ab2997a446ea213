/*
 * context.h: what a notice says about one account on a business date,
 * read from billing: name, locale, overdue balance, the periods and the
 * earliest due date behind it, and the late fee where one is configured.
 */
#ifndef FEEGATE_CONTEXT_H
#define FEEGATE_CONTEXT_H

#include "base/config.h"
#include "queue/template.h"
#include "store/db.h"

struct notice_context {
	struct tpl_context t; /* points into the fields below */
	char *name;
	char *locale;
	char *periods;
	char account_no[33];
	char due_date[11];
	char business_date[11];
	/* An outage notice: the version it tells and, for a reschedule or a
	 * cancellation, the times told before (t points here). */
	char outage_kind[16];
	char *area;
	char *reason;
	char starts_at[17], ends_at[17];
	char old_starts_at[17], old_ends_at[17];
	/* A service notice from the API. */
	char *ticket, *status;
};

/* *found = 0 if billing does not know the account. */
int context_load(struct db *db, const struct config *cfg,
		 const char *account_no, const char *date,
		 struct notice_context *out, int *found, struct fg_err *err);
/* Fill in a late fee from t.amount_cents and the days overdue. */
void context_late_fee(struct notice_context *c, const struct config *cfg);
void context_free(struct notice_context *c);

#endif
