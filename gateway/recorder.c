/*
 * recorder.c: see recorder.h.
 */
#include "recorder.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dates.h"
#include "db.h"
#include "log.h"

#define RECORDER_MAX 2000 /* attempts per transaction, at most */

/* One hand-over from the loop. */
struct handover {
	struct attempt *a;
	size_t n;
	char now[TIME_LEN];
	char date[DATE_LEN];
	void (*release)(void *);
	void *arg;
	struct handover *next;
};

struct recorder {
	const struct config *cfg;
	struct db db;
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct handover *head, *tail; /* under mu */
	size_t backlog;               /* under mu */
	int stopping;                 /* under mu */
	int stopping_seen;            /* the thread's copy of stopping */
	int down; /* the thread's: the last write found no database */
};

/* Write hand-overs of one business date in one transaction; the time of
 * the last stands for all (they are milliseconds apart). */
static void
write_list(struct recorder *r, struct handover *list)
{
	struct handover *h, *next, *last = list;
	struct attempt *a;
	struct fg_err err;
	size_t n = 0, k = 0;

	for (h = list; h != NULL; h = h->next) {
		n += h->n;
		last = h;
	}
	a = xcalloc(n, sizeof(*a));
	for (h = list; h != NULL; h = h->next) {
		memcpy(a + k, h->a, h->n * sizeof(*a));
		k += h->n;
	}
	/* Not written: the messages stay `submitting`; once their lease
	 * has run out they are in doubt, and a receipt or a resend settles
	 * them. Nothing is lost. Stopping with the database gone, the rest
	 * is not tried (each try waits [database] reconnect_for). */
	if (r->down && r->stopping_seen) {
		log_warnx("dispatch: %zu results not recorded (no database); "
			  "receipts or a resend settle them",
			  n);
	} else if (outbox_record(&r->db, r->cfg, a, n, last->now, last->date,
				 &err) != 0) {
		log_warnx("dispatch: recording %zu results: %s", n, err.msg);
		r->down = r->db.lost;
	} else {
		r->down = 0;
	}
	free(a);
	for (h = list; h != NULL; h = next) {
		next = h->next;
		h->release(h->arg);
		free(h->a);
		free(h);
	}
	pthread_mutex_lock(&r->mu);
	r->backlog -= n;
	pthread_mutex_unlock(&r->mu);
}

static void *
recorder_main(void *arg)
{
	struct recorder *r = arg;

	for (;;) {
		struct handover *list, *p;
		size_t n;

		pthread_mutex_lock(&r->mu);
		while (r->head == NULL && !r->stopping)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->head == NULL) { /* stopping, and all written */
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		/* Everything handed over since the last write, up to
		 * RECORDER_MAX attempts of one business date. */
		list = p = r->head;
		n = p->n;
		while (p->next != NULL &&
		       strcmp(p->next->date, list->date) == 0 &&
		       n + p->next->n <= RECORDER_MAX) {
			p = p->next;
			n += p->n;
		}
		r->head = p->next;
		if (r->head == NULL)
			r->tail = NULL;
		p->next = NULL;
		r->stopping_seen = r->stopping;
		pthread_mutex_unlock(&r->mu);
		write_list(r, list);
	}
}

struct recorder *
recorder_start(const struct config *cfg, struct fg_err *err)
{
	struct recorder *r = xcalloc(1, sizeof(*r));

	r->cfg = cfg;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (db_connect(&r->db, cfg, 1, err) != 0) {
		recorder_stop(r);
		return NULL;
	}
	if (pthread_create(&r->thread, NULL, recorder_main, r) != 0) {
		err_set(err, "dispatch: cannot start the recorder thread");
		recorder_stop(r);
		return NULL;
	}
	r->started = 1;
	return r;
}

void
recorder_put(struct recorder *r, struct attempt *a, size_t n, const char *now,
	     const char *date, void (*release)(void *), void *arg)
{
	struct handover *h = xcalloc(1, sizeof(*h));

	h->a = a;
	h->n = n;
	str_copy(h->now, now, sizeof(h->now));
	str_copy(h->date, date, sizeof(h->date));
	h->release = release;
	h->arg = arg;
	pthread_mutex_lock(&r->mu);
	if (r->tail != NULL)
		r->tail->next = h;
	else
		r->head = h;
	r->tail = h;
	r->backlog += n;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

size_t
recorder_backlog(struct recorder *r)
{
	size_t n;

	pthread_mutex_lock(&r->mu);
	n = r->backlog;
	pthread_mutex_unlock(&r->mu);
	return n;
}

void
recorder_stop(struct recorder *r)
{
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->stopping = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	if (r->started)
		pthread_join(r->thread, NULL);
	db_close(&r->db);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}
