/*
 * preview.h: what a night would make of billing's rows, written nowhere,
 * and `feegate billing check`, which shows it beside the contract.
 */
#ifndef FEEGATE_PREVIEW_H
#define FEEGATE_PREVIEW_H

#include <stdio.h>

#include "night/night.h"

/*
 * What a night on date would make of billing's rows today, decided by the
 * night's own statements into the session's temporary tables (dropped
 * after) and written nowhere: no lock, no audit row, no input_errors.
 * Fills p, and gives refused_cb one row per source and reason (source,
 * reason, how many, the first NIGHT_PREVIEW_KEYS keys),
 * sources in order, the most frequent reason first; the keys are
 * separated by NUL bytes (a key may hold spaces). The contacts looked
 * at are those of every account a notice may go to (known, not on hold,
 * not paused, owing at least min_amount); a night looks at those of them
 * whose next notice is due. Outages as the night does.
 */
#define NIGHT_PREVIEW_KEYS "5"
struct night_preview {
	unsigned long long overdue; /* accounts with overdue bills */
	unsigned long long unknown; /* ... that billing_customers lacks */
	unsigned long long held;    /* ... with dunning_hold set */
	unsigned long long paused;  /* ... paused for a refused bill */
};
int night_preview(struct db *db, const struct config *cfg, const char *date,
		  struct night_preview *p, db_row_fn refused_cb, void *arg,
		  struct fg_err *err);

/*
 * `feegate billing check`: the contract as read, object by object and
 * column by column (there or not, type, character set and collation,
 * usable or why not); where a night can run, the rows a night on date
 * would refuse (night_preview: counts and the first keys, nothing
 * written) and how MariaDB plans the frequent reads of billing (a scan of
 * a large table names the index to add). As text or (json) one JSON
 * document, to out. *problems gets how many problems the contract has: a
 * night runs only without. Refused rows and scans are not problems.
 */
int billing_check_print(struct db *db, const char *date, int json, FILE *out,
			int *problems, struct fg_err *err);

#endif
