/*
 * dispatch.h: the dispatcher: a libev loop that claims due messages from
 * the outbox, re-checks them against billing, renders them, submits them
 * through the channel adapters (one curl multi handle for all HTTP
 * providers), paces each provider, and records every answer; the receipt
 * server runs beside it.
 */
#ifndef FEEGATE_DISPATCH_H
#define FEEGATE_DISPATCH_H

#include "config.h"
#include "template.h"

struct dispatch_opts {
	int once;          /* run: stop when nothing more can be sent now,
			      after waiting up to receipt_wait for receipts */
	double now_offset; /* seconds added to the clock (--now) */
	const char *owner; /* lease owner; NULL: host:pid */
	int nightly;       /* serve: run the nightly pass at nightly_at */
};

struct dispatch_stats {
	unsigned long long claimed, sent, retried, expired, failed, cancelled;
	/* Taken by a provider, per channel (sms, email, voice, push), and
	 * what that costs: SMS parts, e-mails, calls, pushes. */
	unsigned long long sent_by[4], units_by[4];
	unsigned long long receipts;
	unsigned long long awaiting; /* still without a final receipt */
};

/* 0 when done (once) or stopped by SIGTERM/SIGINT; -1 on a fatal error
 * (start-up: configuration, database, port). */
int dispatch_run(const struct config *cfg, struct template_set *ts,
		 const struct dispatch_opts *o, struct dispatch_stats *st,
		 struct fg_err *err);

/* Every configured channel's provider opened and closed again (no
 * database, no request to a provider): configuration mistakes before any
 * work. 0, or -1 with FILE:LINE in err. */
int dispatch_check(const struct config *cfg, struct fg_err *err);

/* "YYYY-MM-DD HH:MM" in the configured timezone as an offset from now. */
int dispatch_parse_now(const char *s, double *offset);

#endif
