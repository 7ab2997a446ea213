/*
 * pass.c: see pass.h.
 */
#include "night/pass.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "night/escalate.h"
#include "night/intake.h"
#include "night/outage.h"
#include "night/planner.h"

/*
 * A night on several connections ([database] night_connections): each
 * part has a connection, a night and working tables of its own, and the
 * accounts of its part (DB_PART, db.h: billing's rows, the cases, and all
 * that is planned from tmp_bal). The parts run each step of the night
 * side by side, one thread each, and the night waits for all of them
 * before the next; the night's own connection keeps the planner lock,
 * plans the outages and adds the parts' counts up. Every step is
 * idempotent and commits on its own, so a part that fails leaves what
 * the others committed, and the night run again finds it done.
 */
struct part {
	struct night nt;
	struct db db;
	int (*fn)(struct night *, int, struct fg_err *);
	int arg, rc;
	struct fg_err err;
	pthread_t thread;
	int threaded; /* the step runs on thread, to be joined */
};

struct parts {
	struct part *p;
	int n; /* 0: the night's own connection does it all */
};

static void
parts_close(struct parts *ps)
{
	int k;

	for (k = 0; k < ps->n; k++) {
		struct part *p = &ps->p[k];

		if (p->nt.db != NULL)
			night_close(&p->nt);
		db_close(&p->db); /* whatever became of it: idempotent */
	}
	free(ps->p);
	ps->p = NULL;
	ps->n = 0;
}

static int
parts_open(struct parts *ps, const struct night *nt, struct fg_err *err)
{
	const struct config *cfg = nt->cfg;
	int n = cfg->db.night_connections, k;

	ps->n = 0;
	ps->p = NULL;
	if (n <= 1)
		return 0;
	ps->p = xcalloc((size_t)n, sizeof(*ps->p));
	ps->n = n;
	for (k = 0; k < n; k++) {
		struct part *p = &ps->p[k];

		if (db_connect(&p->db, cfg, 1, err) != 0 ||
		    db_set_part(&p->db, k, n, err) != 0) {
			parts_close(ps);
			return -1;
		}
		night_init(&p->nt, &p->db, cfg, nt->date, nt->now);
	}
	return 0;
}

/* What a part does for a step, with the step's argument. */
static int
part_read(struct night *nt, int arg, struct fg_err *err)
{
	(void)arg;
	return intake_run(nt, err);
}

static int
part_plan(struct night *nt, int arg, struct fg_err *err)
{
	(void)arg;
	return planner_run(nt, err);
}

static int
part_escalate(struct night *nt, int planned, struct fg_err *err)
{
	return escalate_run(nt, planned, err);
}

static void *
part_main(void *arg)
{
	struct part *p = arg;

	p->rc = p->fn(&p->nt, p->arg, &p->err);
	return NULL;
}

/* dst += src, counter by counter. */
static void
counts_add(struct night_counts *dst, const struct night_counts *src)
{
	unsigned long long *d = (unsigned long long *)dst;
	const unsigned long long *s = (const unsigned long long *)src;
	size_t i;

	_Static_assert(sizeof(*dst) % sizeof(*d) == 0,
		       "night_counts holds counters only");
	for (i = 0; i < sizeof(*dst) / sizeof(*d); i++)
		d[i] += s[i];
}

/* fn(arg) on every part side by side (on nt alone without parts); their
 * counts added to nt's. The first part that failed says why. */
static int
parts_step(struct parts *ps, struct night *nt,
	   int (*fn)(struct night *, int, struct fg_err *), int arg,
	   struct fg_err *err)
{
	int k, rc = 0;

	if (ps->n == 0)
		return fn(nt, arg, err);
	for (k = 0; k < ps->n; k++) {
		struct part *p = &ps->p[k];

		memset(&p->nt.n, 0, sizeof(p->nt.n));
		p->fn = fn;
		p->arg = arg;
		p->threaded =
			pthread_create(&p->thread, NULL, part_main, p) == 0;
		if (!p->threaded) {
			/* Out of threads: the part on this one, while the
			 * parts already started go on. */
			log_warnx("night: cannot start a thread for part %d; "
				  "running it on this one",
				  k + 1);
			part_main(p);
		}
	}
	for (k = 0; k < ps->n; k++) {
		struct part *p = &ps->p[k];

		if (p->threaded)
			pthread_join(p->thread, NULL);
		counts_add(&nt->n, &p->nt.n);
		if (p->rc != 0 && rc == 0) {
			rc = p->rc;
			err_set(err, "part %d of %d: %s", k + 1, ps->n,
				p->err.msg);
		}
	}
	return rc;
}

/* Whether a part lost its connection (came back or not): its working
 * tables went with it. The night runs again on new connections, whose
 * first one, the night's own, finds out whether the server is back. */
static int
parts_lost(const struct parts *ps)
{
	int k;

	for (k = 0; k < ps->n; k++)
		if (ps->p[k].db.lost || ps->p[k].db.reconnects != 0)
			return 1;
	return 0;
}

/* A step done: said to o->step with its time since *t, *t now. */
static void
step(const struct night_run_opts *o, const char *what, const struct night *nt,
     double *t)
{
	double now = mono_now();

	if (o->step != NULL)
		o->step(o->arg, what, nt, now - *t);
	*t = now;
}

/* The night's steps on nt and its parts; night_run tries them again. */
static int
night_steps(struct night *nt, struct parts *ps, struct night_run_opts *o,
	    struct fg_err *err)
{
	double t = mono_now();

	if (parts_open(ps, nt, err) != 0 ||
	    parts_step(ps, nt, part_read, 0, err) != 0)
		return -1;
	step(o, "billing read", nt, &t);
	if (o->plan) {
		/* The outages on the night's own connection, after the
		 * parts: they are not the accounts' (tmp_bad is where their
		 * refused rows wait). */
		if (parts_step(ps, nt, part_plan, 0, err) != 0 ||
		    (ps->n > 0 && night_bad_table(nt, err) != 0) ||
		    outage_plan(nt, err) != 0)
			return -1;
		step(o, "planned", nt, &t);
	}
	if (o->between != NULL && (o->between_rc = o->between(o->arg)) != 0)
		return o->between_rc;
	t = mono_now();
	if (o->escalate) {
		if (parts_step(ps, nt, part_escalate, o->plan, err) != 0)
			return -1;
		step(o, "escalated", nt, &t);
	}
	return o->plan && o->escalate ? night_finished(nt, err) : 0;
}

int
night_run(struct night *nt, struct db *db, const struct config *cfg,
	  const char *date, const char *now, struct night_run_opts *o,
	  struct fg_err *err)
{
	int tries, rc, again;

	o->between_rc = 0;
	for (tries = 0;; tries++) {
		unsigned int reconnects = db->reconnects;
		struct parts ps = {NULL, 0};

		rc = night_open(nt, db, cfg, date, now, err);
		if (rc == 0)
			rc = night_steps(nt, &ps, o, err);
		again = rc != 0 && rc != 2 && o->between_rc == 0 && tries < 2 &&
			!db->lost &&
			(db->reconnects != reconnects || parts_lost(&ps));
		parts_close(&ps);
		night_close(nt);
		if (o->between_rc != 0)
			return o->between_rc;
		if (!again)
			return rc;
		log_warnx("night %s: the database connection was lost (%s); "
			  "running the night again from the start",
			  date, err->msg);
	}
}
