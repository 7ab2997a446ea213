/*
 * workq.c: see workq.h.
 */
#include "workq.h"

#include <stdint.h>

void
workq_init(struct workq *q)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->head = q->tail = NULL;
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
	if (max == SIZE_MAX) { /* all: no need to walk the list */
		q->head = q->tail = NULL;
		return first;
	}
	for (n = 1; n < max && last->next != NULL; n++)
		last = last->next;
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
