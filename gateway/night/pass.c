/*
 * pass.c: see pass.h.
 */
#include "night/pass.h"

#include "base/log.h"
#include "night/escalate.h"
#include "night/intake.h"
#include "night/planner.h"

int
night_run(struct night *nt, struct db *db, const struct config *cfg,
	  const char *date, const char *now, struct night_run_opts *o,
	  struct fg_err *err)
{
	int tries, rc;

	o->between_rc = 0;
	for (tries = 0;; tries++) {
		unsigned int reconnects = db->reconnects;

		rc = night_open(nt, db, cfg, date, now, err);
		if (rc == 0)
			rc = intake_run(nt, err);
		if (rc == 0 && o->plan)
			rc = planner_run(nt, err);
		if (rc == 0 && o->between != NULL &&
		    (o->between_rc = o->between(o->arg)) != 0) {
			night_close(nt);
			return o->between_rc;
		}
		if (rc == 0 && o->escalate)
			rc = escalate_run(nt, err);
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
