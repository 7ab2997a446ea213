/*
 * metrics.c: see metrics.h.
 */
#include "queue/outbox.h"
#include "send/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PROVIDERS 16

static const double buckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

static struct {
	pthread_mutex_t mu;
	struct {
		char name[64];
		unsigned long long le[NBUCKETS]; /* cumulative at render */
		unsigned long long count;
		double sum;
	} p[MAX_PROVIDERS];
	size_t np;
	unsigned long long receipts;
	unsigned long long api_refused[2]; /* 401, 403 */
} M = {.mu = PTHREAD_MUTEX_INITIALIZER};

void
metrics_latency(const char *provider, double seconds)
{
	size_t i, b;

	pthread_mutex_lock(&M.mu);
	for (i = 0; i < M.np; i++)
		if (strcmp(M.p[i].name, provider) == 0)
			break;
	if (i == M.np && M.np < MAX_PROVIDERS)
		str_copy(M.p[M.np++].name, provider, sizeof(M.p[0].name));
	if (i < M.np) {
		for (b = 0; b < NBUCKETS; b++)
			if (seconds <= buckets[b]) {
				M.p[i].le[b]++;
				break;
			}
		M.p[i].count++;
		M.p[i].sum += seconds;
	}
	pthread_mutex_unlock(&M.mu);
}

void
metrics_api_refused(int forbidden)
{
	pthread_mutex_lock(&M.mu);
	M.api_refused[forbidden != 0]++;
	pthread_mutex_unlock(&M.mu);
}

void
metrics_receipt(void)
{
	pthread_mutex_lock(&M.mu);
	M.receipts++;
	pthread_mutex_unlock(&M.mu);
}

static int
by_channel_state(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	sbuf_addf(arg, "feegate_messages{channel=\"%s\",state=\"%s\"} %s\n",
		  row->val[0], row->val[1], row->val[2]);
	return 0;
}

static int
depth(void *arg, const struct db_row *row, struct fg_err *err)
{
	(void)err;
	sbuf_addf(arg, "feegate_queue_depth{channel=\"%s\"} %s\n", row->val[0],
		  row->val[1]);
	sbuf_addf(arg, "feegate_oldest_due_seconds{channel=\"%s\"} %s\n",
		  row->val[0], row->val[2] ? row->val[2] : "0");
	return 0;
}

int
metrics_render(struct db *db, const char *now, struct sbuf *out,
	       struct fg_err *err)
{
	char tasks[32], audit[32];
	size_t i, b;
	int found;

	sbuf_adds(out, "# HELP feegate_messages Messages by channel and "
		       "state.\n# TYPE feegate_messages gauge\n");
	if (db_query(db, DB_STREAM,
		     "SELECT channel, state, COUNT(*) FROM messages"
		     " GROUP BY channel, state ORDER BY channel, state",
		     DB_NOARGS, by_channel_state, out, err) != 0)
		return -1;
	sbuf_adds(out, "# HELP feegate_queue_depth Messages due now, by "
		       "channel.\n# TYPE feegate_queue_depth gauge\n"
		       "# HELP feegate_oldest_due_seconds How long the "
		       "oldest due message has waited.\n"
		       "# TYPE feegate_oldest_due_seconds gauge\n");
	if (db_query(db, DB_STREAM,
		     "SELECT channel, COUNT(*),"
		     " MAX(TIMESTAMPDIFF(SECOND,"
		     "  COALESCE(next_attempt_at, created_at), ?))"
		     " FROM messages WHERE " OUTBOX_ANY_PRIORITY
		     "  AND state IN ('queued', 'retry')"
		     "  AND (next_attempt_at IS NULL OR next_attempt_at <= ?)"
		     " GROUP BY channel ORDER BY channel",
		     DB_ARGS(DB_STR(now), DB_STR(now)), depth, out, err) != 0)
		return -1;
	if (db_query_value(db, "SELECT COUNT(*) FROM collection_tasks",
			   DB_NOARGS, tasks, sizeof(tasks), &found, err) != 0 ||
	    db_query_value(db, "SELECT seq FROM audit_head WHERE id = 1",
			   DB_NOARGS, audit, sizeof(audit), &found, err) != 0)
		return -1;
	sbuf_addf(out,
		  "# HELP feegate_tasks_created_total Collection tasks "
		  "raised.\n# TYPE feegate_tasks_created_total counter\n"
		  "feegate_tasks_created_total %s\n"
		  "# HELP feegate_audit_chain_length Rows in the audit "
		  "chain.\n# TYPE feegate_audit_chain_length gauge\n"
		  "feegate_audit_chain_length %s\n",
		  tasks, found ? audit : "0");
	pthread_mutex_lock(&M.mu);
	sbuf_addf(out,
		  "# HELP feegate_receipts_total Receipts applied by this "
		  "process.\n# TYPE feegate_receipts_total counter\n"
		  "feegate_receipts_total %llu\n"
		  "# HELP feegate_api_refused_total API requests refused: "
		  "no valid token (401), a token without the scope (403).\n"
		  "# TYPE feegate_api_refused_total counter\n"
		  "feegate_api_refused_total{status=\"401\"} %llu\n"
		  "feegate_api_refused_total{status=\"403\"} %llu\n"
		  "# HELP feegate_provider_latency_seconds From request to "
		  "answer, by provider.\n"
		  "# TYPE feegate_provider_latency_seconds histogram\n",
		  M.receipts, M.api_refused[0], M.api_refused[1]);
	for (i = 0; i < M.np; i++) {
		unsigned long long cum = 0;

		for (b = 0; b < NBUCKETS; b++) {
			cum += M.p[i].le[b];
			sbuf_addf(out,
				  "feegate_provider_latency_seconds_bucket{"
				  "provider=\"%s\",le=\"%g\"} %llu\n",
				  M.p[i].name, buckets[b], cum);
		}
		sbuf_addf(out,
			  "feegate_provider_latency_seconds_bucket{provider="
			  "\"%s\",le=\"+Inf\"} %llu\n"
			  "feegate_provider_latency_seconds_sum{provider="
			  "\"%s\"} %.6f\n"
			  "feegate_provider_latency_seconds_count{provider="
			  "\"%s\"} %llu\n",
			  M.p[i].name, M.p[i].count, M.p[i].name, M.p[i].sum,
			  M.p[i].name, M.p[i].count);
	}
	pthread_mutex_unlock(&M.mu);
	return 0;
}
