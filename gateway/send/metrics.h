/*
 * metrics.h: what `GET /metrics` reports, in Prometheus' text format
 * (on the notice API's listener with its bearer token, or on [metrics]'s
 * own). What happens in this process is counted as it happens, in
 * memory: per provider, messages sent, failed, retried and expired, its
 * answer latency, whether it is paused, receipts applied and refused; and
 * the queue due now by channel, which serve's health thread counts every
 * few seconds by an index (metrics_queue). A scrape reads the database
 * only for figures every process shares, each by a primary key, an
 * index or a table of a row a day: the open collection tasks, the last
 * night that finished, the last `audit verify`, the audit chain's length
 * (docs/operations.md, Metrics; scripts/bench-metrics.sh).
 */
#ifndef FEEGATE_METRICS_H
#define FEEGATE_METRICS_H

#include "base/kinds.h"
#include "base/util.h"
#include "store/db.h"

/* What became of a message a provider was asked to take. */
enum metrics_result {
	METRICS_SENT,    /* accepted by the provider */
	METRICS_FAILED,  /* failed for good (or refused by feegate) */
	METRICS_RETRIED, /* to be tried again */
	METRICS_EXPIRED, /* too old to send */
	METRICS_RESULTS
};

/* The version build_info reports. */
void metrics_build(const char *version);
/* A provider this process sends through (shown with zeros until it
 * sends). Thread-safe, like every call here. */
void metrics_provider(const char *provider);
/* One provider answer, seconds after the request left. */
void metrics_latency(const char *provider, double seconds);
/* One message's result. */
void metrics_result(const char *provider, enum metrics_result result);
/* The provider is paused until until (seconds since the epoch). */
void metrics_paused(const char *provider, double until);
/* One receipt applied; one refused (a request no adapter could read, or
 * naming no message of ours or a wrong token). */
void metrics_receipt(const char *provider);
void metrics_receipt_refused(const char *provider, int unknown);
/* A request the API refused: no valid token (401) or, forbidden, a token
 * without the scope (403). */
void metrics_api_refused(int forbidden);
/* The queue due at now (UTC), by channel kind: how many, and how long
 * the oldest has waited (seconds). By index, not a scan of the outbox. */
struct queue_due {
	long long n, oldest;
};
int metrics_queue(struct db *db, const char *now,
		  struct queue_due q[CHANNEL_KINDS], struct fg_err *err);
/* The queue as serve's health thread last read it (every few seconds,
 * or spaced by the count's own time): a scrape shows it while it is
 * good, valid_for seconds (until the next count is due, and
 * METRICS_QUEUE_STALE seconds more for it to finish), instead of
 * counting the queue itself. */
#define METRICS_QUEUE_STALE 30.0
void metrics_queue_note(const struct queue_due q[CHANNEL_KINDS],
			double valid_for);
/* The whole exposition into out; now is UTC. */
int metrics_render(struct db *db, const char *now, struct sbuf *out,
		   struct fg_err *err);

#endif
