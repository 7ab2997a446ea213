/*
 * metrics.c: see metrics.h.
 */
#include "send/metrics.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/escape.h"
#include "base/kinds.h"

#define MAX_PROVIDERS 32

static const double buckets[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
#define NBUCKETS FG_NELEM(buckets)

static const char *const result_names[METRICS_RESULTS] = {"sent", "failed",
							  "retried", "expired"};

/* A provider's counters besides latency: its results by enum
 * metrics_result, then these. */
enum {
	C_RECEIPTS = METRICS_RESULTS,
	C_REFUSED_UNREADABLE,
	C_REFUSED_UNKNOWN,
	C_COUNT
};

struct provider_m {
	char name[64];
	unsigned long long le[NBUCKETS]; /* cumulative at render */
	unsigned long long count;
	double sum;
	unsigned long long c[C_COUNT];
	double paused_until; /* seconds since the epoch */
};

static struct {
	pthread_mutex_t mu;
	struct provider_m p[MAX_PROVIDERS];
	size_t np;
	unsigned long long api_refused[2];     /* 401, 403 */
	struct queue_due queue[CHANNEL_KINDS]; /* as last noted */
	double queue_at;                       /* mono_now() of it; 0: none */
	double queue_valid;                    /* seconds it is good for */
} M = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The provider's counters (added at first sight; NULL past
 * MAX_PROVIDERS, which a configuration does not reach). M.mu held. */
static struct provider_m *
provider(const char *name)
{
	size_t i;

	for (i = 0; i < M.np; i++)
		if (strcmp(M.p[i].name, name) == 0)
			return &M.p[i];
	if (M.np == MAX_PROVIDERS)
		return NULL;
	str_copy(M.p[M.np].name, name, sizeof(M.p[0].name));
	return &M.p[M.np++];
}

void
metrics_provider(const char *name)
{
	pthread_mutex_lock(&M.mu);
	provider(name);
	pthread_mutex_unlock(&M.mu);
}

void
metrics_latency(const char *name, double seconds)
{
	struct provider_m *p;
	size_t b;

	pthread_mutex_lock(&M.mu);
	if ((p = provider(name)) != NULL) {
		for (b = 0; b < NBUCKETS; b++)
			if (seconds <= buckets[b]) {
				p->le[b]++;
				break;
			}
		p->count++;
		p->sum += seconds;
	}
	pthread_mutex_unlock(&M.mu);
}

/* One of the provider's counters up by one. */
static void
provider_count(const char *name, int counter)
{
	struct provider_m *p;

	pthread_mutex_lock(&M.mu);
	if ((p = provider(name)) != NULL && counter >= 0 && counter < C_COUNT)
		p->c[counter]++;
	pthread_mutex_unlock(&M.mu);
}

void
metrics_result(const char *name, enum metrics_result result)
{
	provider_count(name, (int)result);
}

void
metrics_receipt(const char *name)
{
	provider_count(name, C_RECEIPTS);
}

void
metrics_receipt_refused(const char *name, int unknown)
{
	provider_count(name,
		       unknown ? C_REFUSED_UNKNOWN : C_REFUSED_UNREADABLE);
}

void
metrics_paused(const char *name, double until)
{
	struct provider_m *p;

	pthread_mutex_lock(&M.mu);
	if ((p = provider(name)) != NULL)
		p->paused_until = until;
	pthread_mutex_unlock(&M.mu);
}

void
metrics_api_refused(int forbidden)
{
	pthread_mutex_lock(&M.mu);
	M.api_refused[forbidden != 0]++;
	pthread_mutex_unlock(&M.mu);
}

static void
help(struct sbuf *out, const char *name, const char *type, const char *text)
{
	sbuf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, text, name, type);
}

/* name{provider="P"[,extra]} value: the provider's name escaped. */
static void
provider_line(struct sbuf *out, const char *name, const char *provider,
	      const char *extra, const char *value)
{
	sbuf_addf(out, "%s{provider=\"", name);
	escape_label(out, provider);
	sbuf_addf(out, "\"%s} %s\n", extra, value);
}

/* Every provider's counters. M.mu held. */
static void
render_providers(struct sbuf *out, double wall)
{
	char v[64], extra[64];
	size_t i, b, r;

	help(out, "feegate_provider_messages_total", "counter",
	     "Messages a provider was asked to take, by what became of "
	     "them (this process).");
	for (i = 0; i < M.np; i++)
		for (r = 0; r < METRICS_RESULTS; r++) {
			snprintf(extra, sizeof(extra), ",result=\"%s\"",
				 result_names[r]);
			snprintf(v, sizeof(v), "%llu", M.p[i].c[r]);
			provider_line(out, "feegate_provider_messages_total",
				      M.p[i].name, extra, v);
		}
	help(out, "feegate_provider_paused", "gauge",
	     "1 while feegate holds a provider back after provider-wide "
	     "trouble.");
	for (i = 0; i < M.np; i++)
		provider_line(out, "feegate_provider_paused", M.p[i].name, "",
			      M.p[i].paused_until > wall ? "1" : "0");
	help(out, "feegate_receipts_total", "counter",
	     "Receipts applied (this process).");
	for (i = 0; i < M.np; i++) {
		snprintf(v, sizeof(v), "%llu", M.p[i].c[C_RECEIPTS]);
		provider_line(out, "feegate_receipts_total", M.p[i].name, "",
			      v);
	}
	help(out, "feegate_receipts_refused_total", "counter",
	     "Receipt requests refused: unreadable, or naming no message "
	     "of ours or a wrong token (this process).");
	for (i = 0; i < M.np; i++)
		for (r = 0; r < 2; r++) {
			snprintf(v, sizeof(v), "%llu",
				 M.p[i].c[C_REFUSED_UNREADABLE + r]);
			provider_line(out, "feegate_receipts_refused_total",
				      M.p[i].name,
				      r ? ",reason=\"unknown\""
					: ",reason=\"unreadable\"",
				      v);
		}
	help(out, "feegate_provider_latency_seconds", "histogram",
	     "From request to answer, by provider.");
	for (i = 0; i < M.np; i++) {
		unsigned long long cum = 0;

		for (b = 0; b < NBUCKETS; b++) {
			cum += M.p[i].le[b];
			snprintf(extra, sizeof(extra), ",le=\"%g\"",
				 buckets[b]);
			snprintf(v, sizeof(v), "%llu", cum);
			provider_line(out,
				      "feegate_provider_latency_seconds_bucket",
				      M.p[i].name, extra, v);
		}
		snprintf(v, sizeof(v), "%llu", M.p[i].count);
		provider_line(out, "feegate_provider_latency_seconds_bucket",
			      M.p[i].name, ",le=\"+Inf\"", v);
		snprintf(v, sizeof(v), "%.6f", M.p[i].sum);
		provider_line(out, "feegate_provider_latency_seconds_sum",
			      M.p[i].name, "", v);
		snprintf(v, sizeof(v), "%llu", M.p[i].count);
		provider_line(out, "feegate_provider_latency_seconds_count",
			      M.p[i].name, "", v);
	}
}

/* What this process counted. */
static void
render_counters(struct sbuf *out)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	pthread_mutex_lock(&M.mu);
	render_providers(out, (double)ts.tv_sec + ts.tv_nsec / 1e9);
	help(out, "feegate_api_refused_total", "counter",
	     "API requests refused: no valid token (401), a token without "
	     "the scope (403).");
	sbuf_addf(out,
		  "feegate_api_refused_total{status=\"401\"} %llu\n"
		  "feegate_api_refused_total{status=\"403\"} %llu\n",
		  M.api_refused[0], M.api_refused[1]);
	pthread_mutex_unlock(&M.mu);
}

static int
queue_row(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct queue_due *q = arg;
	int k = channel_kind_find(row->val[0]);

	(void)err;
	if (k >= 0) {
		q[k].n = strtoll(row->val[1], NULL, 10);
		q[k].oldest = row->val[2] ? strtoll(row->val[2], NULL, 10) : 0;
	}
	return 0;
}

/* A count over messages_waiting's (priority, queue_state, channel,
 * next_attempt_at) range of due rows, index only, a channel at a time (one
 * GROUP BY channel over every channel's ranges went through a temporary
 * table and took half as long again: 0.76 s against 0.50 at 2.5 million
 * due). A message never tried (next_attempt_at NULL) waits since it was
 * made, read by its id (the lowest, the oldest) from the primary key, one
 * row a channel. */
int
metrics_queue(struct db *db, const char *now, struct queue_due q[CHANNEL_KINDS],
	      struct fg_err *err)
{
	struct db_param p[1 + 3 * CHANNEL_KINDS];
	struct sbuf sql;
	int k, rc;

	sbuf_init(&sql);
	sbuf_adds(&sql, "SELECT d.channel, d.n,"
			" TIMESTAMPDIFF(SECOND, LEAST("
			"  COALESCE(d.next_min, m.created_at),"
			"  COALESCE(m.created_at, d.next_min)), ?)"
			" FROM (");
	p[0] = DB_STR(now);
	for (k = 0; k < CHANNEL_KINDS; k++) {
		q[k].n = q[k].oldest = 0;
		sbuf_adds(&sql, k > 0 ? " UNION ALL " : "");
		sbuf_adds(&sql, "SELECT ? AS channel, COUNT(*) AS n,"
				"  MIN(next_attempt_at) AS next_min,"
				"  MIN(IF(next_attempt_at IS NULL, message_id,"
				"   NULL)) AS never_tried"
				"  FROM messages WHERE priority IN (0, 1)"
				"   AND queue_state IN ('queued', 'retry')"
				"   AND channel = ?"
				"   AND (next_attempt_at IS NULL"
				"    OR next_attempt_at <= ?)");
		p[1 + 3 * k] = p[2 + 3 * k] = DB_STR(channel_kinds[k].name);
		p[3 + 3 * k] = DB_STR(now);
	}
	sbuf_adds(&sql,
		  ") d LEFT JOIN messages m ON m.message_id = d.never_tried");
	rc = db_query(db, DB_STREAM, sql.s, p, FG_NELEM(p), queue_row, q, err);
	sbuf_free(&sql);
	return rc;
}

void
metrics_queue_note(const struct queue_due q[CHANNEL_KINDS], double valid_for)
{
	pthread_mutex_lock(&M.mu);
	memcpy(M.queue, q, sizeof(M.queue));
	M.queue_at = mono_now();
	M.queue_valid = valid_for;
	pthread_mutex_unlock(&M.mu);
}

/* The queue as last noted, the oldest waits brought up to now; 0 when
 * there is none, or none still good. */
static int
queue_noted(struct queue_due q[CHANNEL_KINDS])
{
	double age;
	int k, fresh;

	pthread_mutex_lock(&M.mu);
	age = mono_now() - M.queue_at;
	fresh = M.queue_at > 0 && age <= M.queue_valid;
	if (fresh)
		memcpy(q, M.queue, sizeof(M.queue));
	pthread_mutex_unlock(&M.mu);
	for (k = 0; fresh && k < CHANNEL_KINDS; k++)
		if (q[k].n > 0)
			q[k].oldest += (long long)age;
	return fresh;
}

static int
render_queue(struct db *db, const char *now, struct sbuf *out,
	     struct fg_err *err)
{
	struct queue_due q[CHANNEL_KINDS];
	int k;

	if (!queue_noted(q) && metrics_queue(db, now, q, err) != 0)
		return -1;
	help(out, "feegate_queue_depth", "gauge",
	     "Messages due now, by channel.");
	for (k = 0; k < CHANNEL_KINDS; k++)
		sbuf_addf(out, "feegate_queue_depth{channel=\"%s\"} %lld\n",
			  channel_kinds[k].name, q[k].n);
	help(out, "feegate_oldest_due_seconds", "gauge",
	     "How long the oldest message due now has waited, by channel.");
	for (k = 0; k < CHANNEL_KINDS; k++)
		sbuf_addf(out,
			  "feegate_oldest_due_seconds{channel=\"%s\"} %lld\n",
			  channel_kinds[k].name, q[k].oldest);
	return 0;
}

/* Figures every process shares, one column each of one row: name, type
 * gauge, help. */
static const char *const facts[][2] = {
	{"feegate_last_night_success_timestamp_seconds",
	 "When the last night that ran to its end finished (0: none)."},
	{"feegate_last_night_duration_seconds", "How long that night took."},
	{"feegate_audit_verify_last_timestamp_seconds",
	 "When `feegate audit verify` last ran (0: never)."},
	{"feegate_audit_verify_intact",
	 "1 if the last `audit verify` found the chain intact, 0 if broken "
	 "(1 before the first)."},
	{"feegate_audit_chain_length", "Rows in the audit chain."},
	{"feegate_tasks_open",
	 "Collection tasks waiting for their collector (open or assigned)."},
};

static int
facts_row(void *arg, const struct db_row *row, struct fg_err *err)
{
	unsigned int i;

	(void)err;
	for (i = 0; i < row->ncols && i < FG_NELEM(facts); i++) {
		help(arg, facts[i][0], "gauge", facts[i][1]);
		sbuf_addf(arg, "%s %s\n", facts[i][0],
			  row->val[i] ? row->val[i] : "0");
	}
	return 0;
}

/* The nights (a row a business day), the last audit check and the
 * chain's head (by their primary keys), the open tasks (by tasks_state),
 * in facts' order. */
static int
render_shared(struct db *db, struct sbuf *out, struct fg_err *err)
{
	return db_query(db, DB_STREAM,
			"SELECT"
			" (SELECT UNIX_TIMESTAMP(finished_at) FROM nights"
			"  WHERE finished_at IS NOT NULL"
			"  ORDER BY finished_at DESC LIMIT 1),"
			" (SELECT TIMESTAMPDIFF(MICROSECOND, last_run_at,"
			"   finished_at) / 1000000 FROM nights"
			"  WHERE finished_at IS NOT NULL"
			"  ORDER BY finished_at DESC LIMIT 1),"
			" (SELECT UNIX_TIMESTAMP(checked_at) FROM audit_checks"
			"  ORDER BY check_id DESC LIMIT 1),"
			" COALESCE((SELECT intact FROM audit_checks"
			"  ORDER BY check_id DESC LIMIT 1), 1),"
			" (SELECT seq FROM audit_head WHERE id = 1),"
			" (SELECT COUNT(*) FROM collection_tasks"
			"  WHERE state IN ('open', 'assigned'))",
			DB_NOARGS, facts_row, out, err);
}

static const char *build_version = "unknown";

void
metrics_build(const char *version)
{
	build_version = version;
}

int
metrics_render(struct db *db, const char *now, struct sbuf *out,
	       struct fg_err *err)
{
	help(out, "feegate_build_info", "gauge",
	     "The running feegate's version.");
	sbuf_adds(out, "feegate_build_info{version=\"");
	escape_label(out, build_version);
	sbuf_adds(out, "\"} 1\n");
	if (render_queue(db, now, out, err) != 0 ||
	    render_shared(db, out, err) != 0)
		return -1;
	render_counters(out);
	return 0;
}
