/*
 * purge.h: retention. Keep the least, for the shortest time ([retention],
 * days counted back from the business date):
 *
 *   message_days     a message's rendered text and full address, after its
 *                    final state: then the text is dropped and the address
 *                    kept masked (as mask_address() shows it), so the
 *                    timeline still says what went where (redacted_on)
 *   history_days     closed cases (closed_on), with their notices, their
 *                    messages and their finished collection tasks; notices
 *                    of no case (outages, the API) by sent_on
 *   access_days      the staff pages' access log
 *   input_error_days billing rows refused and not seen since (billing has
 *                    corrected them)
 *
 * The audit trail is not purged here: `feegate audit checkpoint` (an
 * administrator's) archives and cuts it with its proof (audit.h).
 *
 * Each batch of at most PURGE_BATCH rows is its own short transaction, so
 * the dispatcher is never held up for long, and is followed by as long
 * idle, so that a purge takes at most half the database's time from the
 * sending beside it; a run goes on until nothing is left to do. Running it again does nothing more (idempotent). Each run
 * that did something appends one `purged` audit row with its counts.
 */
#ifndef FEEGATE_PURGE_H
#define FEEGATE_PURGE_H

#include <stdio.h>

#include "base/config.h"
#include "store/db.h"

#define PURGE_BATCH 2000

struct purge_counts {
	unsigned long long redacted;     /* messages: text dropped, masked */
	unsigned long long cases;        /* removed */
	unsigned long long notices;      /* removed */
	unsigned long long messages;     /* removed */
	unsigned long long tasks;        /* removed */
	unsigned long long access;       /* access_log rows removed */
	unsigned long long input_errors; /* removed */
	unsigned long long batches;      /* transactions */
	double longest;                  /* seconds, the longest of them */
};

/* One run as of business date today (YYYY-MM-DD). */
int purge_run(struct db *db, const struct config *cfg, const char *today,
	      struct purge_counts *c, struct fg_err *err);

/* One line for people and log scrapers: "purge: date=... redacted=N ...
 * batches=N longest_ms=N". */
void purge_print(const char *today, const struct purge_counts *c, FILE *out);

#endif
