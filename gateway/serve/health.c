/*
 * health.c: see health.h.
 */
#include "serve/health.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dates.h"
#include "base/log.h"
#include "send/metrics.h"
#include "store/billing.h"
#include "store/billing_check.h"
#include "store/db.h"

static struct {
	int started;
	/* serve's, but giving a lost database up after a few seconds: the
	 * thread must see stopping in time */
	struct config cfg;
	pthread_t thread, counter;
	int counting; /* the counter thread was started */
	atomic_int stop;
	atomic_int draining;
	pthread_mutex_t mu;    /* what follows */
	double db_ok_at;       /* mono_now() of the last answer, 0: none */
	double billing_at;     /* of the last read of the contract */
	char billing_why[200]; /* "" while the contract is usable */
	char db_why[200];
	long long due, oldest; /* the queue due (count_main); -1: not yet */
	double now_offset;     /* serve --now's */
} h = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* The queue due now, over every channel: how many, the oldest's wait;
 * noted for /metrics, good for valid_for seconds. */
static int
queue_look(struct db *db, double valid_for, long long *due, long long *oldest,
	   struct fg_err *err)
{
	struct queue_due q[CHANNEL_KINDS];
	char now[TIME_LEN], date[DATE_LEN];
	int k;

	wall_text(wall_clock(h.now_offset), now, date, NULL);
	if (metrics_queue(db, now, q, err) != 0)
		return -1;
	metrics_queue_note(q, valid_for);
	*due = *oldest = 0;
	for (k = 0; k < CHANNEL_KINDS; k++) {
		*due += q[k].n;
		if (q[k].oldest > *oldest)
			*oldest = q[k].oldest;
	}
	return 0;
}

/* Read the contract again: its first problem into why ("" for none). */
static int
billing_look(struct db *db, char *why, size_t len, struct fg_err *err)
{
	struct billing_contract c;
	struct sbuf problems;

	if (billing_read(db, &c, err) != 0)
		return -1;
	sbuf_init(&problems);
	if (billing_problems(&c, &problems) > 0)
		snprintf(why, len, "%.*s", (int)strcspn(problems.s, "\n"),
			 problems.s);
	else
		why[0] = '\0';
	sbuf_free(&problems);
	return 0;
}

/* Sleep for s seconds, or until asked to stop; 1 if asked. */
static int
nap(double s)
{
	for (; s > 0; s -= 0.05) {
		if (atomic_load(&h.stop))
			return 1;
		usleep(50000);
	}
	return atomic_load(&h.stop);
}

static void *
health_main(void *arg)
{
	struct db db;
	struct fg_err err;
	char v[8], why[sizeof(h.billing_why)];
	int connected = 0, found;

	(void)arg;
	do {
		if (!connected)
			connected = db_connect(&db, &h.cfg, 1, &err) == 0;
		if (connected && db_query_value(&db, "SELECT 1", DB_NOARGS, v,
						sizeof(v), &found, &err) == 0) {
			double now = mono_now();
			int look = now - h.billing_at >= HEALTH_BILLING_EVERY;

			if (look &&
			    billing_look(&db, why, sizeof(why), &err) != 0)
				look = 0;
			pthread_mutex_lock(&h.mu);
			h.db_ok_at = now;
			h.db_why[0] = '\0';
			if (look) {
				h.billing_at = now;
				str_copy(h.billing_why, why,
					 sizeof(h.billing_why));
			}
			pthread_mutex_unlock(&h.mu);
			continue;
		}
		pthread_mutex_lock(&h.mu);
		str_copy(h.db_why, err.msg, sizeof(h.db_why));
		pthread_mutex_unlock(&h.mu);
	} while (!nap(HEALTH_PING_EVERY));
	if (connected)
		db_close(&db);
	return NULL;
}

/* The time to the next count after one that took took seconds: at least
 * HEALTH_QUEUE_EVERY, and HEALTH_QUEUE_SPACE times the count's own time,
 * so that counting a province's queue (a second or more, growing with
 * the queue) takes a bounded share of a database thread. */
static double
queue_gap(double took)
{
	double gap = took * HEALTH_QUEUE_SPACE;

	return gap > HEALTH_QUEUE_EVERY ? gap : HEALTH_QUEUE_EVERY;
}

/* The queue's count, on a connection of its own: however long it takes,
 * the pings above go on, and readiness with them. */
static void *
count_main(void *arg)
{
	struct db db;
	struct fg_err err;
	long long due, oldest;
	double gap = HEALTH_QUEUE_EVERY;
	int connected = 0;

	(void)arg;
	do {
		double t0 = mono_now();

		if (!connected)
			connected = db_connect(&db, &h.cfg, 1, &err) == 0;
		/* Noted as good until the next count is due and has had
		 * METRICS_QUEUE_STALE seconds to finish: a scrape meanwhile
		 * never counts the queue itself. */
		if (connected && queue_look(&db, gap + METRICS_QUEUE_STALE,
					    &due, &oldest, &err) == 0) {
			double took = mono_now() - t0;

			gap = queue_gap(took);
			/* A count slow enough to be spaced is said: it is
			 * why /metrics' queue is older than 5 s. */
			log_at(gap > HEALTH_QUEUE_EVERY ? LOG_LEVEL_INFO
							: LOG_LEVEL_DEBUG,
			       "serve: the queue due (%lld) counted in %.3f s; "
			       "the next count in %.1f s",
			       due, took, gap);
			pthread_mutex_lock(&h.mu);
			h.due = due;
			h.oldest = oldest;
			pthread_mutex_unlock(&h.mu);
		}
	} while (!nap(gap));
	if (connected)
		db_close(&db);
	return NULL;
}

int
health_start(const struct config *cfg, double now_offset, struct fg_err *err)
{
	h.cfg = *cfg;
	h.now_offset = now_offset;
	h.cfg.db.reconnect_for = (int)HEALTH_STALE / 2;
	/* A database that does not answer a connect is not ready: known
	 * within HEALTH_STALE, not after [database] connect_timeout. */
	h.cfg.db.connect_timeout = (int)HEALTH_STALE / 2;
	atomic_store(&h.stop, 0);
	atomic_store(&h.draining, 0);
	h.db_ok_at = h.billing_at = 0;
	h.db_why[0] = h.billing_why[0] = '\0';
	h.due = -1;
	h.oldest = 0;
	/* The start-up check has just passed: ready from the first answer. */
	h.billing_at = mono_now();
	if (pthread_create(&h.thread, NULL, health_main, NULL) != 0) {
		err_set(err, "health: cannot start its thread");
		return -1;
	}
	h.started = 1;
	if (pthread_create(&h.counter, NULL, count_main, NULL) != 0) {
		err_set(err, "health: cannot start the queue's counter");
		health_stop();
		return -1;
	}
	h.counting = 1;
	return 0;
}

void
health_stop(void)
{
	if (!h.started)
		return;
	atomic_store(&h.stop, 1);
	pthread_join(h.thread, NULL);
	if (h.counting)
		pthread_join(h.counter, NULL);
	h.started = h.counting = 0;
}

long long
health_queue(long long *oldest)
{
	long long due;

	pthread_mutex_lock(&h.mu);
	due = h.due;
	*oldest = h.oldest;
	pthread_mutex_unlock(&h.mu);
	return due;
}

void
health_draining(void)
{
	atomic_store(&h.draining, 1);
}

static unsigned int
answer(struct sbuf *out, unsigned int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	sbuf_adds(out, s);
	free(s);
	json_decref(j);
	return status;
}

unsigned int
health_live(struct sbuf *out)
{
	return answer(out, 200, json_pack("{s:s}", "status", "alive"));
}

unsigned int
health_ready(struct sbuf *out)
{
	char db[240], billing[sizeof(h.billing_why)];
	int draining = atomic_load(&h.draining), ready;
	double age;

	pthread_mutex_lock(&h.mu);
	age = h.db_ok_at > 0 ? mono_now() - h.db_ok_at : -1;
	if (age >= 0 && age < HEALTH_STALE)
		str_copy(db, "ok", sizeof(db));
	else
		snprintf(db, sizeof(db), "%s",
			 !h.started    ? "not watched"
			 : h.db_why[0] ? h.db_why
				       : "no answer yet");
	str_copy(billing, h.billing_why[0] ? h.billing_why : "ok",
		 sizeof(billing));
	pthread_mutex_unlock(&h.mu);
	ready = strcmp(db, "ok") == 0 && strcmp(billing, "ok") == 0 &&
		!draining;
	return answer(out, ready ? 200 : 503,
		      json_pack("{s:b, s:s, s:s, s:b}", "ready", ready,
				"database", db, "billing", billing, "draining",
				draining));
}
