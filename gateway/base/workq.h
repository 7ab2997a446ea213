/*
 * workq.h: items handed from some threads to another, which takes
 * everything queued at once (group commit: one transaction for all of it).
 * An item embeds a struct workq_item as its first member. Serves the
 * receipt writer, the dispatcher's recorder and its claimers, and the
 * e-mail channel's workers (a session's worth each).
 */
#ifndef FEEGATE_WORKQ_H
#define FEEGATE_WORKQ_H

#include <pthread.h>
#include <stddef.h>

struct workq_item {
	struct workq_item *next;
};

struct workq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct workq_item *head, *tail;
	size_t n; /* queued */
	int stopping;
};

void workq_init(struct workq *q);
void workq_destroy(struct workq *q);
/* Queue it; -1 (not queued) once the queue is stopping. */
int workq_put(struct workq *q, struct workq_item *it);
/* Everything queued, in order (a NULL-terminated list), waiting until
 * there is something; NULL once the queue is stopping and empty. With
 * stopping: whether it was stopping when taken. */
struct workq_item *workq_take(struct workq *q, int *stopping);
/* The same, but at most max items (the first queued). */
struct workq_item *workq_take_max(struct workq *q, size_t max, int *stopping);
/* Everything queued, waiting until there is something and then, while
 * fewer than want are queued, for more as long as each comes within
 * gap_us microseconds of the one before, for at most max_us in all
 * (unless the queue is stopping): fewer, larger transactions while items
 * keep coming, and no waiting for items that cannot come (a sender that
 * waits for its answer before it sends again). */
struct workq_item *workq_take_linger(struct workq *q, size_t want, long gap_us,
				     long max_us, int *stopping);
/* Everything queued, or NULL: does not wait. */
struct workq_item *workq_take_now(struct workq *q);
/* Puts are refused from now on; takers get what is left, then NULL. */
void workq_stop(struct workq *q);
int workq_stopping(struct workq *q);

#endif
