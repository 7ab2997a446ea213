/*
 * pass.c: see pass.h.
 */
#include "night/pass.h"

#include "base/log.h"
#include "night/escalate.h"
#include "night/intake.h"
#include "night/planner.h"

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

int
night_run(struct night *nt, struct db *db, const struct config *cfg,
	  const char *date, const char *now, struct night_run_opts *o,
	  struct fg_err *err)
{
	int tries, rc;

	o->between_rc = 0;
	for (tries = 0;; tries++) {
		unsigned int reconnects = db->reconnects;

		double t = mono_now();

		rc = night_open(nt, db, cfg, date, now, err);
		if (rc == 0 && (rc = intake_run(nt, err)) == 0)
			step(o, "billing read", nt, &t);
		if (rc == 0 && o->plan && (rc = planner_run(nt, err)) == 0)
			step(o, "planned", nt, &t);
		if (rc == 0 && o->between != NULL &&
		    (o->between_rc = o->between(o->arg)) != 0) {
			night_close(nt);
			return o->between_rc;
		}
		t = mono_now();
		if (rc == 0 && o->escalate &&
		    (rc = escalate_run(nt, o->plan, err)) == 0)
			step(o, "escalated", nt, &t);
		if (rc == 0 && o->plan && o->escalate)
			rc = night_finished(nt, err);
		night_close(nt);
		if (rc == 0 || rc == 2 || tries == 2 || db->lost ||
		    db->reconnects == reconnects)
			return rc;
		log_warnx("night %s: the database connection was lost (%s); "
			  "running the night again from the start",
			  date, err->msg);
	}
}
