/*
 * pass.h: a whole night in order: open (night.h: the lock, billing read),
 * the planner (dunning, then outages), whatever the caller does between
 * (the `run` command sends there), escalation, close. The steps know
 * nothing of each other; this is the one place that orders them.
 */
#ifndef FEEGATE_PASS_H
#define FEEGATE_PASS_H

#include "night/night.h"

/* A whole night: open, plan, whatever the caller does between (the `run`
 * command sends there), escalate, close. When the connection was lost and
 * came back (the server restarted), the session's temporary tables went
 * with it: the night, being idempotent, runs again from the start, at most
 * three times. Returns as night_open and the steps do (0, -1 with err, 2),
 * or the non-zero status of between, stored in *between_rc. */
struct night_run_opts {
	int plan, escalate;
	int (*between)(void *arg);
	void *arg;
	int between_rc;
	/* After each step ("billing read", "planned", "escalated"), with
	 * its seconds: run's progress on a terminal. NULL: none. */
	void (*step)(void *arg, const char *what, const struct night *nt,
		     double seconds);
};
int night_run(struct night *nt, struct db *db, const struct config *cfg,
	      const char *date, const char *now, struct night_run_opts *o,
	      struct fg_err *err);

#endif
