/*
 * serve.c: see serve.h.
 */
#include "serve/serve.h"

#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "base/dates.h"
#include "base/kinds.h"
#include "base/log.h"
#include "night/night.h"
#include "night/outage.h"
#include "night/pass.h"
#include "serve/api.h"
#include "serve/health.h"
#include "serve/receipts.h"
#include "serve/scrape.h"
#include "serve/web.h"
#include "store/db.h"
#include "store/purge.h"

#define NIGHTLY_TICK 0.02 /* seconds between looks at the clock */
#define STATUS_EVERY 10.0 /* seconds between STATUS lines to systemd */
#define COUNTS_EVERY 60.0 /* seconds between the log's lines of counts */

struct server {
	const struct config *cfg;
	const struct serve_opts *o;
	struct ev_loop *loop;
	struct dispatcher *d;
	struct receipts *receipts;
	struct web *web;       /* serve's staff pages, or NULL */
	struct scrape *scrape; /* serve's own /metrics listener, or NULL */
	ev_signal sigterm, sigint, sighup;
	ev_timer nightly;
	/* the nightly pass on its own thread */
	pthread_t night_thread;
	atomic_int night_running;
	atomic_int night_failed; /* the last nightly pass did not finish */
	atomic_long night_done;  /* YYYYMMDD of the last night finished */
	char last_night[DATE_LEN];
	struct dispatch_stats *st;
	ev_timer status, watchdog;    /* systemd's (sd_notify) */
	ev_timer progress;            /* run on a terminal */
	ev_timer counts;              /* the log's line of counts */
	struct dispatch_stats logged; /* st when it was last written */
	unsigned long long receipts_logged;
	double logged_at;      /* mono_now() then */
	double started;        /* mono_now() when sending began */
	double night_retry_at; /* wall time: not before, after a failure */
	double last_outages;   /* wall time of the last outage pass */
};

struct night_arg {
	struct server *s;
	char date[DATE_LEN];
	char now[TIME_LEN];
	int outages_only; /* the periodic outage pass, not the night */
};

/* The outage pass has notices to write (night.h): until they are queued
 * the dispatcher claims only urgent messages, and the pass has the cores
 * the dunning's sending would take. */
static void
urgent_hold(void *arg, int on)
{
	struct server *s = arg;

	if (on)
		log_info("serve: outage notices to write: only urgent "
			 "messages are claimed until they are queued");
	dispatch_urgent_only(s->d, on);
}

static void
outage_pass(struct db *db, const struct config *cfg, const struct night_arg *a)
{
	struct fg_err err;
	struct night nt;
	int rc;

	rc = night_open_outages(&nt, db, cfg, a->date, a->now, &err);
	nt.urgent_hold = urgent_hold;
	nt.urgent_arg = a->s;
	if (rc == 0)
		rc = outage_plan(&nt, &err);
	night_close(&nt);
	if (rc != 0)
		log_warnx("serve: outage pass %s: %s", a->now, err.msg);
	else if (nt.n.outage_versions + nt.n.messages_queued > 0)
		log_info("serve: outage pass %s: versions=%llu "
			 "messages_queued=%llu late=%llu",
			 a->now, nt.n.outage_versions, nt.n.messages_queued,
			 nt.n.outage_late);
}

static void
nightly_pass(struct server *s, struct db *db, const struct night_arg *a)
{
	struct night_run_opts o = {.plan = 1, .escalate = 1};
	struct purge_counts pc;
	struct fg_err err;
	struct night nt;

	/* A night is idempotent: one that failed (billing too stale, the
	 * database away) runs again later the same day. */
	if (night_run(&nt, db, s->cfg, a->date, a->now, &o, &err) != 0) {
		log_warnx("serve: nightly pass %s: %s; trying again in %d s",
			  a->date, err.msg, s->cfg->outage.check_every);
		atomic_store(&s->night_failed, 1);
		return;
	}
	atomic_store(&s->night_done,
		     strtol(a->date, NULL, 10) * 10000 +
			     strtol(a->date + 5, NULL, 10) * 100 +
			     strtol(a->date + 8, NULL, 10));
	log_info("serve: nightly pass %s: cases_opened=%llu "
		 "messages_queued=%llu tasks=%llu audit=%llu",
		 a->date, nt.n.cases_opened, nt.n.messages_queued,
		 nt.n.tasks_created, nt.n.audit_rows);
	/* Then what [retention] no longer keeps, in short transactions
	 * beside the sending. */
	if (purge_run(db, s->cfg, a->date, &pc, &err) != 0)
		log_warnx("serve: %s", err.msg);
	else
		log_info("serve: purge %s: redacted=%llu cases=%llu "
			 "messages=%llu access_log=%llu batches=%llu",
			 a->date, pc.redacted, pc.cases, pc.messages, pc.access,
			 pc.batches);
}

static void *
night_main(void *p)
{
	struct night_arg *a = p;
	struct server *s = a->s;
	struct fg_err err;
	struct db db;

	if (db_connect(&db, s->cfg, 1, &err) != 0) {
		log_warnx("serve: nightly pass %s: %s", a->date, err.msg);
	} else {
		if (a->outages_only)
			outage_pass(&db, s->cfg, a);
		else
			nightly_pass(s, &db, a);
		db_close(&db);
	}
	free(a);
	dispatch_wake(s->d);
	atomic_store(&s->night_running, 0);
	return NULL;
}

/* The nightly pass once a day at nightly_at; between nights, the outage
 * pass every [outage] check_every seconds (billing records temporary
 * outages during the day). One at a time, on a thread of its own. */
static void
nightly_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	char date[DATE_LEN];
	int minute, outages_only;
	struct night_arg *a;
	double wall = wall_clock(s->o->dispatch.now_offset);

	(void)loop;
	(void)revents;
	if (dispatch_stopping(s->d) || atomic_load(&s->night_running))
		return;
	wall_text(wall, NULL, date, &minute);
	if (atomic_exchange(&s->night_failed, 0)) {
		s->last_night[0] = '\0';
		s->night_retry_at = wall + s->cfg->outage.check_every;
	}
	outages_only = minute < s->cfg->schedule.nightly_minute ||
		       strcmp(s->last_night, date) == 0 ||
		       wall < s->night_retry_at;
	if (outages_only &&
	    (s->last_outages > 0 &&
	     wall - s->last_outages < s->cfg->outage.check_every))
		return;
	s->last_outages = wall;
	if (!outages_only)
		str_copy(s->last_night, date, sizeof(s->last_night));
	a = xcalloc(1, sizeof(*a));
	a->s = s;
	a->outages_only = outages_only;
	str_copy(a->date, date, sizeof(a->date));
	{
		/* The pass's local time, --now included (the process runs
		 * in [dunning] timezone). */
		time_t t = (time_t)wall;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(a->now, sizeof(a->now), "%Y-%m-%d %H:%M:%S", &tm);
	}
	atomic_store(&s->night_running, 1);
	if (pthread_create(&s->night_thread, NULL, night_main, a) != 0) {
		atomic_store(&s->night_running, 0);
		free(a);
		log_warn("serve: cannot start the nightly pass");
		return;
	}
	pthread_detach(s->night_thread);
	if (!outages_only)
		log_info("serve: nightly pass %s started", date);
}

/* What a reload cannot apply: its key changed, it is named. */
static void
needs_restart(const char *section, const char *key, void *arg)
{
	static const char *const live[][2] = {
		{"templates", "dir"},
		{"templates", "strings"},
		{"api", "tokens_file"},
		{"api", "token_file"},
	};
	size_t i;

	(void)arg;
	for (i = 0; i < FG_NELEM(live); i++)
		if (strcmp(section, live[i][0]) == 0 &&
		    strcmp(key, live[i][1]) == 0)
			return;
	if (strncmp(section, "provider:", 9) == 0 &&
	    (strcmp(key, "rate") == 0 || strcmp(key, "concurrency") == 0))
		return;
	log_warnx("reload: [%s] %s changed: it takes effect when serve "
		  "starts again",
		  section, key);
}

/* serve's SIGHUP: the configuration file read again and checked as at
 * start-up (every provider opened, the templates loaded); if anything is
 * wrong, nothing changes and the log says why. Else the templates and
 * wording, the API's tokens and the providers' rates and concurrency
 * take effect now, and every other key that changed is named: it needs
 * a restart. */
static void
reload(struct server *s)
{
	struct template_set *ts = NULL;
	struct config next;
	struct fg_err err;

	if (config_load(&next, s->cfg->path, &err) != 0) {
		log_warnx("reload: %s; the configuration in effect is kept",
			  err.msg);
		config_free(&next);
		return;
	}
	if (dispatch_check(&next, &err) != 0 || s->o->templates == NULL ||
	    (ts = s->o->templates(&next, &err)) == NULL) {
		log_warnx("reload: %s; the configuration in effect is kept",
			  s->o->templates ? err.msg : "no templates");
		config_free(&next);
		return;
	}
	config_changes(s->cfg, &next, needs_restart, NULL);
	dispatch_reload(s->d, ts, &next);
	api_tokens_set(&next);
	log_info("reload: %s read again: templates and wording, %zu API "
		 "client%s, provider rates and concurrency in effect",
		 s->cfg->path ? s->cfg->path : "(defaults)",
		 next.api.nclients + (next.api.token != NULL),
		 next.api.nclients + (next.api.token != NULL) == 1 ? "" : "s");
	config_free(&next);
}

static void
signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct server *s = w->data;

	(void)loop;
	(void)revents;
	if (w->signum == SIGHUP) {
		if (log_reopen() != 0)
			log_warn("dispatch: reopening the log");
		if (s->o->nightly)
			reload(s);
		return;
	}
	health_draining();
	sd_notify(0, "STOPPING=1\nSTATUS=stopping: requests in flight finish");
	dispatch_stop(s->d);
}

/* What systemd shows in `systemctl status`: the queue due (as the health
 * thread last read it), sent so far, the last night finished. */
static void
status_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct server *s = w->data;
	long done = atomic_load(&s->night_done);
	long long oldest, due = health_queue(&oldest);
	char night[32], queue[64] = "";

	(void)loop;
	(void)revents;
	if (done > 0)
		snprintf(night, sizeof(night), "%04ld-%02ld-%02ld",
			 done / 10000, done / 100 % 100, done % 100);
	else
		str_copy(night, "none yet", sizeof(night));
	if (due >= 0)
		snprintf(queue, sizeof(queue), "%lld due (oldest %lld s), ",
			 due, oldest);
	sd_notifyf(0,
		   "STATUS=sending: %s%llu sent, %llu failed; last night %s%s",
		   queue, s->st->sent, s->st->failed, night,
		   atomic_load(&s->night_failed) ? " (a pass failed, retrying)"
						 : "");
}

/* The event loop is turning: systemd's watchdog is told so. */
static void
watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	sd_notify(0, "WATCHDOG=1");
}

/* serve under systemd (Type=notify): the status, the watchdog at half
 * WatchdogSec, and READY once listening with the database and billing
 * checked (the command checked them before serve_run). */
static void
systemd_start(struct server *s)
{
	uint64_t usec;

	/* The first a second after READY: the health thread has read the
	 * queue by then. */
	ev_timer_init(&s->status, status_cb, 1.0, STATUS_EVERY);
	s->status.data = s;
	ev_timer_start(s->loop, &s->status);
	if (sd_watchdog_enabled(0, &usec) > 0) {
		ev_timer_init(&s->watchdog, watchdog_cb, 0., usec / 2e6);
		ev_timer_start(s->loop, &s->watchdog);
	}
	sd_notify(0, "READY=1\nSTATUS=sending");
}

/* Providers' connections and their receipt callbacks (up to 2,048) can
 * take more descriptors than a login's soft limit, often 1,024: up to the
 * hard limit (systemd: LimitNOFILE). */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
			log_warn("dispatch: raising the open files limit");
	}
}

/* The receipt server (with the notice API) where a provider sends
 * receipts or the API is on; for serve, the staff pages and /metrics. */
static int
listeners_start(struct server *s, struct fg_err *err)
{
	const struct config *cfg = s->cfg;
	struct channel *const *ch;
	size_t n;

	/* serve listens whenever the port is set: /healthz and /readyz
	 * are there (health.h), receipts or not. */
	if (cfg->receipts.port != 0 &&
	    (s->o->nightly || dispatch_takes_receipts(s->d) ||
	     config_api_enabled(cfg))) {
		if (cfg->api.token != NULL)
			log_warnx("api: [api] token_file gives one token every "
				  "scope; it is deprecated: give each client "
				  "its own in tokens_file (feegate token add)");
		ch = dispatch_channels(s->d, &n);
		s->receipts = receipts_start(cfg, ch, n,
					     s->o->dispatch.now_offset, err);
		if (s->receipts == NULL)
			return -1;
	}
	/* The staff pages belong to the daemon, not to a night's run. */
	if (s->o->nightly && cfg->web.port != 0) {
		s->web = web_start(cfg, s->o->dispatch.now_offset, err);
		if (s->web == NULL)
			return -1;
	}
	if (s->o->nightly && cfg->metrics.port != 0) {
		s->scrape = scrape_start(cfg, s->o->dispatch.now_offset, err);
		if (s->scrape == NULL)
			return -1;
	}
	/* /readyz on the receipt server: serve's readiness. */
	if (s->o->nightly && s->receipts != NULL &&
	    health_start(cfg, s->o->dispatch.now_offset, err) != 0)
		return -1;
	return 0;
}

/* run on a terminal: how far the sending is, rewritten in place; the
 * last with a new line. */
static void
progress_line(struct server *s, int last)
{
	const struct dispatch_stats *st = s->st;
	unsigned long long done = st->sent + st->failed + st->expired,
			   total = s->o->progress_total;
	double secs = mono_now() - s->started,
	       rate = secs > 0 ? (double)done / secs : 0;
	char left[48] = "", wait[48] = "";

	if (total < done)
		total = done;
	if (!last && rate > 0 && total > done)
		snprintf(left, sizeof(left), ", about %.0f s left",
			 (double)(total - done) / rate);
	if (st->awaiting > 0)
		snprintf(wait, sizeof(wait), ", %llu receipts awaited",
			 st->awaiting);
	fprintf(s->o->progress,
		"\rfeegate: %s %llu of %llu (%.0f%%) in %.0f s, %.0f/s%s%s   %s",
		last ? "sent" : "sending", done, total,
		total ? 100.0 * (double)done / (double)total : 100.0, secs,
		rate, left, wait, last ? "\n" : "");
	fflush(s->o->progress);
}

static void
progress_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	progress_line(w->data, 0);
}

/* The log's line of what was sent and what came of it since the last
 * such line (none when nothing moved): the messages' own lines are at
 * debug when they went (dispatch.c, log_attempt), so this is what the log
 * says of a night at info. Each minute, and once when sending ends. */
static void
counts_line(struct server *s)
{
	const struct dispatch_stats *st = s->st, *was = &s->logged;
	unsigned long long receipts = receipts_count(s->receipts);
	double now = mono_now();
	char kinds[256] = "";
	size_t k, h = 0;

	if (st->sent == was->sent && st->retried == was->retried &&
	    st->expired == was->expired && st->failed == was->failed &&
	    st->cancelled == was->cancelled && receipts == s->receipts_logged)
		return;
	/* Messages a channel, and the SMS parts the carrier bills. */
	for (k = 0; k < CHANNEL_KINDS && h < sizeof(kinds); k++) {
		if (st->sent_by[k] == was->sent_by[k])
			continue;
		h += (size_t)snprintf(kinds + h, sizeof(kinds) - h, " %s=%llu",
				      channel_kinds[k].name,
				      st->sent_by[k] - was->sent_by[k]);
		if (k == CHANNEL_SMS && h < sizeof(kinds))
			h += (size_t)snprintf(kinds + h, sizeof(kinds) - h,
					      " sms_parts=%llu",
					      st->units_by[k] -
						      was->units_by[k]);
	}
	log_info("dispatch: in %.0f s: sent=%llu%s retried=%llu expired=%llu "
		 "permfailed=%llu unsent=%llu receipts=%llu",
		 now - s->logged_at, st->sent - was->sent, kinds,
		 st->retried - was->retried, st->expired - was->expired,
		 st->failed - was->failed, st->cancelled - was->cancelled,
		 receipts - s->receipts_logged);
	s->logged = *st;
	s->receipts_logged = receipts;
	s->logged_at = now;
}

static void
counts_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	counts_line(w->data);
}

static void
watchers_start(struct server *s)
{
	ev_signal_init(&s->sigterm, signal_cb, SIGTERM);
	ev_signal_init(&s->sigint, signal_cb, SIGINT);
	ev_signal_init(&s->sighup, signal_cb, SIGHUP);
	s->sigterm.data = s->sigint.data = s->sighup.data = s;
	ev_signal_start(s->loop, &s->sigterm);
	ev_signal_start(s->loop, &s->sigint);
	ev_signal_start(s->loop, &s->sighup);
	if (s->o->nightly) {
		ev_timer_init(&s->nightly, nightly_cb, 0., NIGHTLY_TICK);
		s->nightly.data = s;
		ev_timer_start(s->loop, &s->nightly);
	}
	s->started = s->logged_at = mono_now();
	s->logged = *s->st;
	s->receipts_logged = receipts_count(s->receipts);
	ev_timer_init(&s->counts, counts_cb, COUNTS_EVERY, COUNTS_EVERY);
	s->counts.data = s;
	ev_timer_start(s->loop, &s->counts);
	if (s->o->progress != NULL) {
		ev_timer_init(&s->progress, progress_cb, 1., 1.);
		s->progress.data = s;
		ev_timer_start(s->loop, &s->progress);
	}
}

/* libev ties a signal to one loop until it is stopped: a second run in
 * this process (the night again after a lost connection) needs them
 * free. */
static void
watchers_stop(struct server *s)
{
	ev_signal_stop(s->loop, &s->sigterm);
	ev_signal_stop(s->loop, &s->sigint);
	ev_signal_stop(s->loop, &s->sighup);
	ev_timer_stop(s->loop, &s->nightly);
	ev_timer_stop(s->loop, &s->status);
	ev_timer_stop(s->loop, &s->watchdog);
	ev_timer_stop(s->loop, &s->progress);
	ev_timer_stop(s->loop, &s->counts);
}

int
serve_run(const struct config *cfg, struct template_set *ts,
	  const struct serve_opts *o, struct dispatch_stats *st,
	  struct fg_err *err)
{
	struct server s;
	int rc = -1;

	memset(&s, 0, sizeof(s));
	s.cfg = cfg;
	s.o = o;
	s.st = st;
	raise_fd_limit();
	s.loop = ev_loop_new(EVFLAG_AUTO);
	s.d = dispatch_open(cfg, ts, &o->dispatch, s.loop, st, err);
	if (s.d != NULL && listeners_start(&s, err) == 0) {
		watchers_start(&s);
		if (o->nightly)
			systemd_start(&s);
		ev_run(s.loop, 0);
		rc = dispatch_finish(s.d, err);
		counts_line(&s);
		watchers_stop(&s);
		if (o->progress != NULL)
			progress_line(&s, 1);
	}
	while (atomic_load(&s.night_running))
		usleep(100000);
	if (rc == 0)
		st->receipts = receipts_count(s.receipts);
	health_stop();
	api_tokens_free();
	receipts_stop(s.receipts);
	web_stop(s.web);
	scrape_stop(s.scrape);
	dispatch_close(s.d);
	ev_loop_destroy(s.loop);
	return rc;
}
