/*
 * workq.c: see workq.h.
 */
#include "base/workq.h"

#include <stdint.h>
#include <time.h>

void
workq_init(struct workq *q)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&q->mu, NULL);
	/* Lingering waits by the monotonic clock: a clock step is no wait. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->cv, &ca);
	pthread_condattr_destroy(&ca);
	q->head = q->tail = NULL;
	q->n = 0;
	q->stopping = 0;
}

void
workq_destroy(struct workq *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

int
workq_put(struct workq *q, struct workq_item *it)
{
	pthread_mutex_lock(&q->mu);
	if (q->stopping) {
		pthread_mutex_unlock(&q->mu);
		return -1;
	}
	it->next = NULL;
	if (q->tail != NULL)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->n++;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Under q->mu: the first max items queued. */
static struct workq_item *
take(struct workq *q, size_t max)
{
	struct workq_item *first = q->head, *last = q->head;
	size_t n;

	if (first == NULL)
		return NULL;
	if (max >= q->n) { /* all: no need to walk the list */
		q->head = q->tail = NULL;
		q->n = 0;
		return first;
	}
	for (n = 1; n < max && last->next != NULL; n++)
		last = last->next;
	q->n -= n;
	q->head = last->next;
	if (q->head == NULL)
		q->tail = NULL;
	last->next = NULL;
	return first;
}

struct workq_item *
workq_take_max(struct workq *q, size_t max, int *stopping)
{
	struct workq_item *some;

	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !q->stopping)
		pthread_cond_wait(&q->cv, &q->mu);
	if (stopping != NULL)
		*stopping = q->stopping;
	some = take(q, max);
	pthread_mutex_unlock(&q->mu);
	return some;
}

/* t plus us microseconds. */
static struct timespec
ts_after(struct timespec t, long us)
{
	t.tv_sec += us / 1000000;
	t.tv_nsec += (us % 1000000) * 1000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	return t;
}

static int
ts_before(struct timespec a, struct timespec b)
{
	return a.tv_sec < b.tv_sec ||
	       (a.tv_sec == b.tv_sec && a.tv_nsec < b.tv_nsec);
}

struct workq_item *
workq_take_linger(struct workq *q, size_t want, long gap_us, long max_us,
		  int *stopping)
{
	struct workq_item *all;
	struct timespec now, until, last;
	size_t seen;

	pthread_mutex_lock(&q->mu);
	while (q->head == NULL && !q->stopping)
		pthread_cond_wait(&q->cv, &q->mu);
	clock_gettime(CLOCK_MONOTONIC, &now);
	last = ts_after(now, max_us);
	until = ts_after(now, gap_us);
	seen = q->n;
	while (q->n < want && !q->stopping) {
		int at_last = !ts_before(until, last);
		int timed_out =
			pthread_cond_timedwait(&q->cv, &q->mu,
					       at_last ? &last : &until) != 0;

		if (timed_out && at_last)
			break;      /* max_us is up, whatever keeps coming */
		if (q->n != seen) { /* more came: wait a gap from now */
			seen = q->n;
			clock_gettime(CLOCK_MONOTONIC, &now);
			until = ts_after(now, gap_us);
		} else if (timed_out) {
			break;
		}
	}
	if (stopping != NULL)
		*stopping = q->stopping;
	all = take(q, SIZE_MAX);
	pthread_mutex_unlock(&q->mu);
	return all;
}

struct workq_item *
workq_take(struct workq *q, int *stopping)
{
	return workq_take_max(q, SIZE_MAX, stopping);
}

struct workq_item *
workq_take_now(struct workq *q)
{
	struct workq_item *all;

	pthread_mutex_lock(&q->mu);
	all = take(q, SIZE_MAX);
	pthread_mutex_unlock(&q->mu);
	return all;
}

void
workq_stop(struct workq *q)
{
	pthread_mutex_lock(&q->mu);
	q->stopping = 1;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

int
workq_stopping(struct workq *q)
{
	int s;

	pthread_mutex_lock(&q->mu);
	s = q->stopping;
	pthread_mutex_unlock(&q->mu);
	return s;
}
