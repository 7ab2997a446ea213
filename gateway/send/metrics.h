/*
 * metrics.h: what `GET /metrics` reports, in Prometheus's text format
 * (served on the notice API's listener, with its bearer token). Counters
 * kept in this process (provider latency, receipts applied) and figures
 * read from the database at each scrape (messages by channel and state,
 * queue depth, the oldest due message, tasks, the audit chain).
 */
#ifndef FEEGATE_METRICS_H
#define FEEGATE_METRICS_H

#include "base/util.h"
#include "store/db.h"

/* One provider answer, seconds after the request left. Thread-safe. */
void metrics_latency(const char *provider, double seconds);
/* One receipt applied. Thread-safe. */
void metrics_receipt(void);
/* A request the API refused: no valid token (401) or, forbidden, a token
 * without the scope (403). */
void metrics_api_refused(int forbidden);
/* The whole exposition into out; now is UTC. */
int metrics_render(struct db *db, const char *now, struct sbuf *out,
		   struct fg_err *err);

#endif
