/*
 * serve.h: a process that sends, assembled: the libev loop, the
 * dispatcher on it, the listeners beside it (the receipt server and the
 * notice API; for serve, the staff pages and /metrics), the signals
 * (SIGTERM and SIGINT stop it gracefully; SIGHUP reopens the log and,
 * for serve, reads again what can change without a restart) and,
 * for serve, the nightly pass on a thread of its own: once a day at
 * [schedule] nightly_at, the outage pass every [outage] check_every
 * seconds between.
 */
#ifndef FEEGATE_SERVE_H
#define FEEGATE_SERVE_H

#include <stdio.h>

#include "base/config.h"
#include "queue/template.h"
#include "send/dispatch.h"

struct serve_opts {
	struct dispatch_opts dispatch;
	int nightly; /* serve: the nightly pass, the staff pages, /metrics */
	/* run on a terminal: a line on progress (standard error) every
	 * second while sending, out of progress_total due at the start */
	FILE *progress;
	unsigned long long progress_total;
	/* serve's SIGHUP: the templates a configuration names (main.c's,
	 * which knows the data directory built in) */
	struct template_set *(*templates)(const struct config *cfg,
					  struct fg_err *err);
};

/* 0 when done (once) or stopped by SIGTERM/SIGINT; -1 on a fatal error
 * (start-up: configuration, database, port; the database gone for good). */
int serve_run(const struct config *cfg, struct template_set *ts,
	      const struct serve_opts *o, struct dispatch_stats *st,
	      struct fg_err *err);

#endif
