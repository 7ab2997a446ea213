/*
 * recorder.c: see recorder.h.
 */
#include "send/recorder.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/dates.h"
#include "base/log.h"
#include "base/workq.h"
#include "store/db.h"

#define RECORDER_MAX 2000 /* attempts per transaction, at most */

/* One hand-over from the loop. */
struct handover {
	struct workq_item item; /* first */
	struct attempt *a;
	size_t n;
	char now[TIME_LEN];
	char date[DATE_LEN];
	void (*release)(void *);
	void *arg;
};

struct recorder {
	const struct config *cfg;
	struct db db;
	pthread_t thread;
	int started;
	struct workq q;
	atomic_size_t backlog; /* attempts handed over, not written */
	int stopping_seen;     /* the thread's: stopping when taken */
	int down; /* the thread's: the last write found no database */
};

#define NEXT(h) ((struct handover *)(h)->item.next)

/* Write hand-overs of one business date in one transaction; the time of
 * the last stands for all (they are milliseconds apart). */
static void
write_list(struct recorder *r, struct handover *list)
{
	struct handover *h, *next, *last = list;
	struct attempt *a;
	struct fg_err err;
	size_t n = 0, k = 0;

	for (h = list; h != NULL; h = NEXT(h)) {
		n += h->n;
		last = h;
	}
	a = xcalloc(n, sizeof(*a));
	for (h = list; h != NULL; h = NEXT(h)) {
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
		next = NEXT(h);
		h->release(h->arg);
		free(h->a);
		free(h);
	}
	atomic_fetch_sub(&r->backlog, n);
}

static void *
recorder_main(void *arg)
{
	struct recorder *r = arg;
	struct handover *rest;

	/* Everything handed over since the last write, in transactions of
	 * up to RECORDER_MAX attempts of one business date. */
	while ((rest = (struct handover *)workq_take(&r->q,
						     &r->stopping_seen)) !=
	       NULL) {
		while (rest != NULL) {
			struct handover *list = rest, *p = rest;
			size_t n = p->n;

			while (NEXT(p) != NULL &&
			       strcmp(NEXT(p)->date, list->date) == 0 &&
			       n + NEXT(p)->n <= RECORDER_MAX) {
				p = NEXT(p);
				n += p->n;
			}
			rest = NEXT(p);
			p->item.next = NULL;
			write_list(r, list);
		}
	}
	return NULL; /* stopping, and all written */
}

struct recorder *
recorder_start(const struct config *cfg, struct fg_err *err)
{
	struct recorder *r = xcalloc(1, sizeof(*r));

	r->cfg = cfg;
	workq_init(&r->q);
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
	atomic_fetch_add(&r->backlog, n);
	/* The loop stops the recorder only after its last hand-over. */
	if (workq_put(&r->q, &h->item) != 0)
		fatalx("dispatch: internal: results handed to a stopped "
		       "recorder");
}

size_t
recorder_backlog(struct recorder *r)
{
	return atomic_load(&r->backlog);
}

void
recorder_stop(struct recorder *r)
{
	if (r == NULL)
		return;
	workq_stop(&r->q);
	if (r->started)
		pthread_join(r->thread, NULL);
	db_close(&r->db);
	workq_destroy(&r->q);
	free(r);
}
