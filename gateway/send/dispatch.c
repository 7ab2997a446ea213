/*
 * dispatch.c: see dispatch.h.
 *
 * The loop: a short periodic tick claims work for every lane (one per
 * channel with a provider) as far as the provider's pacing, its
 * concurrency cap, its throttle and the calling window allow; adapters
 * answer through callbacks that only queue the result; an ev_prepare
 * watcher (Redis' beforeSleep) writes all queued results in one
 * transaction per loop iteration. Database calls are short batched
 * statements made from the loop thread.
 */
#include "send/dispatch.h"

#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/contacts.h"
#include "base/dates.h"
#include "base/log.h"
#include "base/mask.h"
#include "base/workq.h"
#include "channels/channel.h"
#include "net/httpc.h"
#include "queue/batches.h"
#include "queue/outbox.h"
#include "queue/policy.h"
#include "send/metrics.h"
#include "send/pacer.h"
#include "send/recorder.h"
#include "store/billing_check.h"
#include "store/db.h"
#include "store/migrate.h"

#define TICK 0.02 /* seconds between claims */
/* The longest a lane whose last claim found nothing waits for its next:
 * its waits double from TICK up to this. Claiming every idle lane at
 * every tick and after every answer, as before, put three empty claims
 * (a transaction, two index probes) ahead of the busy lane's on the one
 * claimer: with every channel configured an SMS-only night went at
 * 3,441-3,529 messages/s instead of 4,169-4,413 (100,000 customers,
 * MariaDB 350 instead of 280 us a message). Work queued elsewhere
 * (a fallback, a notice by the API, another process's plan) waits at
 * most this; the outage and nightly passes and run's last look wake the
 * lanes at once. */
#define IDLE_MAX 0.5
/* The longest a lane whose claim failed (the database refused a statement
 * of it: a privilege revoked, a table full) waits before it tries again:
 * its waits double from TICK up to this. It tried again at every tick,
 * with a warning each time (50 a second in the log while it lasted). */
#define FAIL_MAX 5.0
/* A one-shot night (run, dispatch) whose lane has had this many claims in
 * a row refused (about 15 s of waits) ends, saying why; its messages stay
 * due for the next run. serve goes on trying. */
#define FAIL_GIVE_UP 10

struct dispatcher;

struct lane {
	struct dispatcher *d;
	enum channel_kind kind;
	struct channel *ch;
	char *receipt_endpoint; /* where its provider posts receipts */
	struct throttle th;
	struct pacer pace;
	int inflight;
	int idle;
	int claiming; /* claims under way on the claimers */
	int asked;    /* the messages those claims asked for, at most */
	/* Where claims go on; the claimers', under claimer.mu. */
	struct outbox_cursor cursor;
	/* Claimed, marked and rendered ahead, waiting for a free slot (only
	 * when the provider sets no rate: a paced lane claims what it may
	 * send now). */
	struct job *ready, *ready_tail;
	int nready;
	unsigned long idle_epoch;     /* idle as of this drain epoch */
	double idle_wait, idle_until; /* found nothing: not claimed before */
	double fail_wait;             /* the last claim failed: its wait */
	int fails;                    /* claims refused in a row */
};

struct job {
	struct lane *lane;
	struct claimed m;
	char receipt_url[600];
	char idem[OUTBOX_KEY_LEN];
	struct delivery_result res;
	int expired_before_send;
	int refused;    /* feegate would not send it (too long) */
	int settled;    /* its result is known before sending */
	int not_sent;   /* claimed, then the lane paused or stopping: requeue */
	int counted;    /* submitted: holds one of the lane's slots */
	double sent_at; /* ev_time() when the request left */
	struct job *next;
};

/* A lane's claim, made on a claimer's thread. */
struct claim_req {
	struct workq_item wi; /* first */
	struct lane *lane;
	int limit, anytime_only;
	char now[TIME_LEN], date[DATE_LEN];
	unsigned long epoch; /* the dispatcher's drain epoch when asked */
	int settled_before;  /* every answer was written when asked */
	struct job *jobs;    /* made: to submit, or settled */
	size_t claimed, cancelled;
	int failed;
	char why[200]; /* failed: the database's reason */
};

/* One claimer thread and its connection. */
struct claimer_thread {
	struct dispatcher *d;
	pthread_t thread;
	int started;
	struct db db;
};

/* The claimers: [dispatch] claimers threads, each claiming, loading,
 * rendering and marking one batch at a time on its own connection, so
 * that a lane's next batch is claimed while the last one's statements
 * are still running. One thread did all of it in turn and was busy
 * 80-90% of a night at 1M (its statements 19.6 s of 27 s sending), the
 * sending rate's bound wherever its statements grew slower. */
struct claimer {
	int inited, n;
	struct claimer_thread t[DISPATCH_CLAIMERS_MAX];
	struct workq todo, done; /* to the claimers, back to the loop */
	ev_async async;          /* done: back on the loop */
	/* Held while a claim's statements choose its rows (the lanes'
	 * cursors), and while billing's freshness is read. */
	pthread_mutex_t mu;
	/* Billing as a replica: read at most once a second; while it is
	 * too stale, only urgent (outage) messages are claimed. */
	double fresh_at;
	int stale;
};

struct dispatcher {
	const struct config *cfg;
	const struct dispatch_opts *o;
	/* The templates: the caller's, or after a reload the dispatcher's
	 * own (ts_own), freed when replaced or closed; ts_mu held while
	 * one renders (a claimer) and while it is replaced (the loop). */
	struct template_set *ts;
	int ts_own;
	pthread_mutex_t ts_mu;
	struct ev_loop *loop;
	struct db db;
	struct recorder *rec;   /* writes the results */
	struct claimer claimer; /* claims, renders, marks */
	struct httpc *http;
	struct channel *channels[CHANNEL_KINDS];
	struct lane lanes[CHANNEL_KINDS];
	int nlanes;
	char owner[128];
	ev_timer tick;
	ev_prepare flush;
	struct job *done_head, *done_tail;
	int stopping;
	int draining;
	/* run's end: a claim asked for after the outbox was seen quiet
	 * (epoch quiet_epoch) found nothing on every lane */
	unsigned long epoch, quiet_epoch;
	double drain_started, last_drain_check, last_recover;
	/* Receipts are awaited for messages that went since then: a lease and
	 * receipt_wait before this process started (a predecessor that died
	 * a moment ago), not for an earlier night's lost report. */
	char awaited_since[TIME_LEN];
	struct dispatch_stats *st;
	struct fg_err *err;
	int failed;
	char db_failed[256]; /* the database did not come back */
	atomic_int wake;     /* work was queued elsewhere: claim every lane */
	atomic_int urgent_only; /* dispatch_urgent_only */
};

static double
wall_now(const struct dispatcher *d)
{
	return wall_clock(d->o->now_offset);
}

/* Now, as wall_text gives it. */
static void
clock_read(const struct dispatcher *d, char now[TIME_LEN], char date[DATE_LEN],
	   int *minute)
{
	wall_text(wall_now(d), now, date, minute);
}

int
dispatch_parse_now(const char *s, double *offset)
{
	struct tm tm;
	time_t t;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	tm.tm_isdst = -1;
	t = mktime(&tm); /* in the process's TZ: [dunning] timezone */
	if (t == (time_t)-1)
		return -1;
	*offset = (double)t - (double)time(NULL);
	return 0;
}

static int
in_window(const struct dispatcher *d, enum channel_kind kind)
{
	int minute;

	if (!channel_kinds[kind].calling_window)
		return 1;
	clock_read(d, (char[TIME_LEN]){0}, NULL, &minute);
	return minute >= d->cfg->dispatch.window_start &&
	       minute < d->cfg->dispatch.window_end;
}

static void
job_done(void *arg, const struct delivery_result *res)
{
	struct job *j = arg;
	struct dispatcher *d = j->lane->d;

	j->res = *res;
	if (j->sent_at > 0)
		metrics_latency(j->lane->ch->provider, ev_time() - j->sent_at);
	/* Whatever the provider said goes to the log, the audit trail and
	 * the database: never with the customer's address in it. */
	mask_in_text(j->m.channel, j->m.address, j->res.text,
		     sizeof(j->res.text));
	mask_in_text(j->m.channel, j->m.address, j->res.code,
		     sizeof(j->res.code));
	/* Some platforms' message ids carry the number. */
	mask_in_text(j->m.channel, j->m.address, j->res.ref,
		     sizeof(j->res.ref));
	j->next = NULL;
	if (d->done_tail != NULL)
		d->done_tail->next = j;
	else
		d->done_head = j;
	d->done_tail = j;
}

static void
job_free(struct job *j)
{
	free(j->m.address);
	free(j->m.body);
	free(j->m.subject);
	free(j->m.html);
	free(j->m.data);
	context_free(&j->m.ctx);
	free(j);
}

/* Replace quotes so a provider's text stays one key=value. */
static void
log_safe(const char *in, char *out, size_t len)
{
	size_t i;

	str_copy(out, in, len);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '"' || out[i] == '\n' || out[i] == '\r')
			out[i] = '\'';
}

/* A list of jobs whose results are written (recorder_put's release). */
static void
jobs_free(void *arg)
{
	struct job *j = arg, *next;

	for (; j != NULL; j = next) {
		next = j->next;
		job_free(j);
	}
}

/* Decide what every answer that came in means and hand them to the
 * recorder, which writes them in one transaction. */
/* What becomes of a job the provider answered (or that never left). */
static void
job_decide(struct dispatcher *d, struct job *j, double wall,
	   struct decision *dec)
{
	if (j->expired_before_send || j->refused) {
		dec->outcome = j->refused ? OUTCOME_REFUSED : OUTCOME_EXPIRED;
		dec->delay = 0;
	} else if (j->not_sent) {
		/* Never left: back to the queue, the attempt not
		 * counted, due when the pause ends. */
		dec->outcome = OUTCOME_REQUEUE;
		dec->delay =
			j->lane->th.paused_until > wall
				? (long)(j->lane->th.paused_until - wall) + 1
				: 0;
	} else {
		int was = policy_paused(&j->lane->th, wall);

		policy_decide(d->cfg, &j->lane->th, wall, &j->res,
			      j->m.attempts, j->m.age, dec);
		if (!was && policy_paused(&j->lane->th, wall)) {
			log_warnx("provider=%s paused for %.0f s "
				  "(provider-wide trouble: %s %s)",
				  j->lane->ch->provider,
				  j->lane->th.paused_until - wall, j->res.code,
				  j->res.text);
			metrics_paused(j->lane->ch->provider,
				       wall_clock(0) +
					       (j->lane->th.paused_until -
						wall));
		}
	}
}

/* An attempt's log line: at info when the provider did not take the
 * message, at debug when it did. A province's night takes millions; a
 * line each at info (two with the receipt) would be more than journald's
 * rate limit lets through (10,000 lines in 30 s a service by default),
 * and the warnings would be dropped with them. The audit trail has every
 * attempt; serve.c logs the counts each minute. */
static void
log_attempt(const struct job *j, enum outcome outcome)
{
	enum log_level level =
		outcome == OUTCOME_SENT ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO;
	char stat[240], parts[40];

	if (!log_enabled(level))
		return;
	log_safe(j->res.text, stat, sizeof(stat));
	/* The parts with the SMS, to set beside the carrier's bill. */
	parts[0] = '\0';
	if (j->lane->kind == CHANNEL_SMS)
		snprintf(parts, sizeof(parts), " parts=%d coding=%s",
			 j->m.parts, j->m.ucs2 ? "UCS-2" : "GSM-7");
	log_at(level,
	       "msg=%llu channel=%s provider=%s attempt=%d result=%s%s "
	       "stat=\"%s %s\"",
	       j->m.message_id, j->m.channel, j->lane->ch->provider,
	       j->m.attempts, outcome_names[outcome], parts, j->res.code, stat);
}

/* The run's counts. */
static void
count_outcome(struct dispatch_stats *st, const struct job *j,
	      enum outcome outcome)
{
	enum metrics_result m = METRICS_RESULTS;

	switch (outcome) {
	case OUTCOME_SENT:
		st->sent++;
		st->sent_by[j->lane->kind]++;
		st->units_by[j->lane->kind] +=
			j->m.parts > 0 ? (unsigned)j->m.parts : 1;
		m = METRICS_SENT;
		break;
	case OUTCOME_RETRY:
		m = METRICS_RETRIED;
		/* fall through */
	case OUTCOME_REQUEUE: /* never left: not the provider's doing */
		st->retried++;
		break;
	case OUTCOME_EXPIRED:
		st->expired++;
		m = METRICS_EXPIRED;
		break;
	case OUTCOME_FAILED:
	case OUTCOME_REFUSED:
		st->failed++;
		m = METRICS_FAILED;
		break;
	}
	if (m != METRICS_RESULTS)
		metrics_result(j->lane->ch->provider, m);
}

static void
record_done(struct dispatcher *d)
{
	struct attempt *a;
	struct job *j, *list = d->done_head;
	char now[TIME_LEN], date[DATE_LEN];
	double wall = wall_now(d);
	size_t n = 0, i;

	if (list == NULL)
		return;
	for (j = list; j != NULL; j = j->next)
		n++;
	a = xcalloc(n, sizeof(*a));
	clock_read(d, now, date, NULL);
	for (j = list, i = 0; j != NULL; j = j->next, i++) {
		a[i].m = &j->m;
		a[i].provider = j->lane->ch->provider;
		a[i].res = j->res;
		job_decide(d, j, wall, &a[i].d);
		log_attempt(j, a[i].d.outcome);
		count_outcome(d->st, j, a[i].d.outcome);
	}
	/* The provider has answered: the slot is free now, whenever the
	 * answer is written. */
	for (j = list; j != NULL; j = j->next)
		if (j->counted)
			j->lane->inflight--;
	d->done_head = d->done_tail = NULL;
	if (d->db_failed[0] != '\0' || d->rec == NULL) {
		/* No database to record them in: they stay `submitting`, in
		 * doubt, as after a crash. */
		log_warnx("dispatch: %zu results not recorded (no database); "
			  "receipts or a resend settle them",
			  n);
		free(a);
		jobs_free(list);
		return;
	}
	recorder_put(d->rec, a, n, now, date, jobs_free, list);
}

static void claim_lane(struct dispatcher *d, struct lane *l, int least);
static void lane_pump(struct dispatcher *d, struct lane *l);

/* Messages sent or about to be, on any lane: answers still to come. */
static int
answers_to_come(const struct dispatcher *d)
{
	int i;

	for (i = 0; i < d->nlanes; i++)
		if (d->lanes[i].inflight > 0 || d->lanes[i].nready > 0)
			return 1;
	return 0;
}

/* The fewest free slots worth a claim: a quarter of a batch (or of the
 * lane's concurrency, when that is smaller). */
static int
claim_least(const struct dispatcher *d, const struct lane *l)
{
	int least = l->ch->concurrency < d->cfg->dispatch.batch
			    ? l->ch->concurrency
			    : d->cfg->dispatch.batch;

	return least / 4 > 0 ? least / 4 : 1;
}

/* Before the loop sleeps (ev_prepare): write the results that came in,
 * then refill the lanes whose answers freed a good share of their
 * concurrency. Waiting for the next tick would cap a lane at concurrency
 * per tick (32 / 20 ms = 1,600 messages/s), whatever the provider could
 * take; claiming for every freed slot would make a transaction of each. */
static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct dispatcher *d = w->data;
	int i;

	(void)loop;
	(void)revents;
	if (d->done_head == NULL)
		return;
	record_done(d);
	for (i = 0; i < d->nlanes; i++)
		lane_pump(d, &d->lanes[i]);
	if (d->stopping || d->db_failed[0] != '\0') {
		record_done(d);
		return;
	}
	for (i = 0; i < d->nlanes; i++)
		claim_lane(d, &d->lanes[i], claim_least(d, &d->lanes[i]));
	/* What the claim settled at once (expired, invalid address) is
	 * written now, not after the next wake-up. */
	record_done(d);
}

/* Render what may go; returns how many are to be submitted. */
static void
render(struct dispatcher *d, enum channel_kind ck, struct claimed *m)
{
	const struct channel_kind_info *info = &channel_kinds[ck];
	const char *locale = template_locale(m->ctx.locale);
	struct fg_err err;
	struct sbuf out;
	char kind[48];

	if (m->cancel != NULL)
		return;
	if (strcmp(m->kind, "dunning") == 0)
		snprintf(kind, sizeof(kind), "dunning_%d", m->seq);
	else
		snprintf(kind, sizeof(kind), "%s", m->kind);
	sbuf_init(&out);
	m->parts = 1;
	if (ck == CHANNEL_EMAIL) {
		/* Three parts: subject, plain text, HTML. */
		struct sbuf subj, html;

		sbuf_init(&subj);
		sbuf_init(&html);
		if (template_render(d->ts, locale, kind, info->parts[0].suffix,
				    &m->ctx.t, &subj, &err) != 0 ||
		    template_render(d->ts, locale, kind, info->parts[1].suffix,
				    &m->ctx.t, &out, &err) != 0 ||
		    template_render(d->ts, locale, kind, info->parts[2].suffix,
				    &m->ctx.t, &html, &err) != 0) {
			m->cancel = "no template for this notice";
			log_warnx("dispatch: msg=%llu: %s", m->message_id,
				  err.msg);
			sbuf_free(&subj);
			sbuf_free(&html);
			sbuf_free(&out);
			return;
		}
		m->subject = sbuf_take(&subj);
		m->html = sbuf_take(&html);
	} else if (ck == CHANNEL_SMS) {
		struct sms_fit fit;

		if (template_render_sms(d->ts, locale, kind, &m->ctx.t,
					d->cfg->sms.max_parts, &out, &fit,
					&err) != 0) {
			m->cancel = "no template for this notice";
			log_warnx("dispatch: msg=%llu: %s", m->message_id,
				  err.msg);
			sbuf_free(&out);
			return;
		}
		sms_fit_describe(&fit, m->fit, sizeof(m->fit));
		if (!fit.fits)
			snprintf(m->refuse, sizeof(m->refuse),
				 "%d SMS parts (%zu %s units) even with the "
				 "name left out and the optional text "
				 "dropped; [sms] max_parts is %d",
				 fit.len.parts, fit.len.units,
				 fit.len.ucs2 ? "UCS-2" : "GSM-7",
				 d->cfg->sms.max_parts);
		m->ucs2 = fit.len.ucs2;
		m->parts = fit.len.parts;
	} else if (template_render(d->ts, locale, kind, info->parts[0].suffix,
				   &m->ctx.t, &out, &err) != 0) {
		/* Checked at start-up for what the ladder sends; anything
		 * else is a configuration mistake: do not send. */
		m->cancel = "no template for this notice";
		log_warnx("dispatch: msg=%llu: %s", m->message_id, err.msg);
		sbuf_free(&out);
		return;
	}
	m->body = sbuf_take(&out);
	if (info->parts[0].format == PART_JSON &&
	    template_push_valid(m->body, &err) != 0) {
		/* Checked at start-up with the longest values billing holds:
		 * not expected, but never sent. */
		m->cancel = "push payload refused at render";
		log_warnx("dispatch: msg=%llu: %s", m->message_id, err.msg);
	}
}

/* Build the job for a claimed message that may go: settled at once when it
 * expired or its address fails the checks, otherwise ready to submit. */
static struct job *
make_job(struct dispatcher *d, struct lane *l, struct claimed *m)
{
	struct job *j = xcalloc(1, sizeof(*j));
	const char *why;

	j->lane = l;
	j->m = *m;
	memset(m, 0, sizeof(*m)); /* j owns the strings now */
	if (j->m.age >= d->cfg->dispatch.expire_after) {
		j->expired_before_send = 1;
		result_set(&j->res, DELIVERY_TEMPFAIL, 0, "expired",
			   "older than expire_after before it could be sent");
		j->settled = 1;
		return j;
	}
	if (j->m.refuse[0] != '\0') {
		j->refused = 1;
		result_set(&j->res, DELIVERY_PERMFAIL, 0, "too_long", "%s",
			   j->m.refuse);
		j->settled = 1;
		return j;
	}
	/* Checked when the message was queued; once more before it leaves,
	 * with the same patterns in C. */
	why = contact_reason(j->m.channel, j->m.address, strlen(j->m.address));
	if (why != NULL) {
		result_set(&j->res, DELIVERY_PERMFAIL, 0, "invalid_address",
			   "%s", why);
		j->settled = 1;
		return j;
	}
	outbox_key(j->m.message_id, j->m.token, j->idem);
	snprintf(j->receipt_url, sizeof(j->receipt_url), "%s?id=%llu&t=%s",
		 l->receipt_endpoint, j->m.message_id, j->m.token);
	return j;
}

/* Whether billing is too stale to dun on (a replica too far behind or
 * stopped: billing_fresh), on a claimer's thread and its connection db,
 * with claimer.mu held; read at most once a second. The re-check before
 * each message reads billing: a payment is seen once the replica has it,
 * so a message waits while the replica lags more than max_billing_lag
 * (urgent outage notices, which no payment stops, go on). Each change is
 * logged once. */
static int
billing_stale(struct dispatcher *d, struct db *db)
{
	struct claimer *c = &d->claimer;
	struct billing_lag lag;
	struct fg_err err;
	double now;
	int stale;

	if (d->cfg->db.billing_replica == NULL)
		return 0;
	now = mono_now();
	if (c->fresh_at > 0 && now - c->fresh_at < 1.0)
		return c->stale;
	c->fresh_at = now;
	stale = billing_fresh(db, &lag, &err) != 0;
	if (stale && !c->stale)
		log_warnx("dispatch: %s; dunning messages wait", err.msg);
	else if (!stale && c->stale)
		log_info("dispatch: billing replica %s is %lld s behind again: "
			 "dunning messages go on",
			 d->cfg->db.billing_replica, lag.seconds);
	c->stale = stale;
	return stale;
}

/* The lane's cursor set back to the queue's head: what a failed claim
 * held is due again, and may lie behind it. */
static void
cursor_reset(struct dispatcher *d, struct lane *l)
{
	pthread_mutex_lock(&d->claimer.mu);
	memset(&l->cursor, 0, sizeof(l->cursor));
	pthread_mutex_unlock(&d->claimer.mu);
}

/* What a lane's claim may take: outside the calling window only what may
 * go at any hour; only urgent messages while billing's replica is stale
 * or an outage pass writes its notices (dispatch_urgent_only). */
static unsigned int
claim_only(struct dispatcher *d, struct db *db, const struct claim_req *q)
{
	unsigned int only = q->anytime_only ? OUTBOX_ANYTIME_ONLY : 0;

	if (atomic_load(&d->urgent_only) || billing_stale(d, db))
		only |= OUTBOX_URGENT_ONLY;
	return only;
}

/* A claimer's thread: claim, load, render and mark a lane's batch on its
 * own connection db, while the loop goes on sending (and another claimer
 * on the next batch). Nothing of a batch has been sent: when it cannot be
 * loaded or marked, the claim is rolled back and its messages are due
 * again. The rows are chosen one claim at a time (claimer.mu): each goes
 * on from where the last ended, and SKIP LOCKED passes over what a claim
 * still being loaded holds. */
static void
claim_work(struct dispatcher *d, struct db *db, struct claim_req *q)
{
	struct lane *l = q->lane;
	struct claimed *m = NULL;
	struct job **tail = &q->jobs;
	struct fg_err err;
	size_t n = 0, i;
	int rc;

	pthread_mutex_lock(&d->claimer.mu);
	rc = outbox_claim(db, channel_kinds[l->kind].name, q->limit,
			  claim_only(d, db, q), q->now, &l->cursor, &m, &n,
			  &err);
	pthread_mutex_unlock(&d->claimer.mu);
	if (rc != 0) {
		log_warnx("dispatch: claim: %s", err.msg);
		str_copy(q->why, err.msg, sizeof(q->why));
		q->failed = 1;
		return;
	}
	q->claimed = n;
	if (n == 0)
		return;
	if (outbox_load(db, d->cfg, m, n, q->date, &err) != 0) {
		log_warnx("dispatch: loading %zu claimed messages: %s", n,
			  err.msg);
		outbox_abandon(db, m, n);
		cursor_reset(d, l);
		str_copy(q->why, err.msg, sizeof(q->why));
		q->failed = 1;
		return;
	}
	pthread_mutex_lock(&d->ts_mu);
	for (i = 0; i < n; i++)
		render(d, l->kind, &m[i]);
	pthread_mutex_unlock(&d->ts_mu);
	if (outbox_submitting(db, d->cfg, m, n, d->owner, l->ch->provider,
			      q->now, q->date, &err) != 0) {
		log_warnx("dispatch: marking %zu messages: %s", n, err.msg);
		outbox_free(m, n);
		cursor_reset(d, l);
		str_copy(q->why, err.msg, sizeof(q->why));
		q->failed = 1;
		return;
	}
	for (i = 0; i < n; i++) {
		if (m[i].cancel != NULL) {
			q->cancelled++;
			log_info("msg=%llu channel=%s result=Cancelled "
				 "stat=\"%s\"",
				 m[i].message_id, m[i].channel, m[i].cancel);
			continue;
		}
		*tail = make_job(d, l, &m[i]);
		tail = &(*tail)->next;
	}
	outbox_free(m, n);
}

static void *
claimer_main(void *arg)
{
	struct claimer_thread *t = arg;
	struct dispatcher *d = t->d;
	struct claimer *c = &d->claimer;
	struct workq_item *q;

	/* One request at a time: the next is another claimer's while this
	 * one works. Stopping, what was asked for is still claimed (and
	 * goes back). */
	while ((q = workq_take_max(&c->todo, 1, NULL)) != NULL) {
		claim_work(d, &t->db, (struct claim_req *)q);
		workq_put(&c->done, q);
		ev_async_send(d->loop, &c->async);
	}
	return NULL;
}

/* Submit a job the claimer made, on the loop. */
static void
submit_job(struct dispatcher *d, struct job *j)
{
	struct lane *l = j->lane;
	struct outbound out;

	memset(&out, 0, sizeof(out));
	out.message_id = j->m.message_id;
	out.idempotency_key = j->idem;
	out.to = j->m.address;
	out.body = j->m.body;
	out.subject = j->m.subject;
	out.html = j->m.html;
	out.parts = j->m.parts;
	out.ucs2 = j->m.ucs2;
	out.receipt_url = j->receipt_url;
	out.receipt_endpoint = l->receipt_endpoint;
	out.receipt_token = j->m.token;
	out.locale = template_locale(j->m.ctx.locale);
	l->inflight++;
	j->counted = 1;
	pacer_sent(&l->pace, ev_now(d->loop));
	j->sent_at = ev_time();
	l->ch->ops->submit(l->ch, &out, job_done, j);
}

/* Submit from the lane's ready list while it has free slots (and its
 * pacing allows). What waits there while the provider is paused, or the
 * dispatcher stops, goes back to the queue without an attempt counted. */
static void
lane_pump(struct dispatcher *d, struct lane *l)
{
	double wall = wall_now(d);
	int requeue = d->stopping || policy_paused(&l->th, wall);
	int room = requeue ? l->nready
			   : policy_room(&l->th, wall, l->inflight,
					 l->ch->concurrency - l->inflight);
	size_t pace = pacer_room(&l->pace, ev_now(d->loop));

	if (!requeue && (size_t)room > pace)
		room = (int)pace;
	while (l->ready != NULL && room-- > 0) {
		struct job *j = l->ready;

		l->ready = j->next;
		if (l->ready == NULL)
			l->ready_tail = NULL;
		l->nready--;
		j->next = NULL;
		if (!requeue) {
			submit_job(d, j);
			continue;
		}
		j->not_sent = 1;
		result_set(&j->res, DELIVERY_TEMPFAIL, 0, "not_sent",
			   "claimed while the provider was paused or the "
			   "dispatcher stopping");
		job_done(j, &j->res);
	}
}

/* A lane's next wait after w: TICK at first, then twice as long, up to
 * max. */
static double
wait_doubled(double w, double max)
{
	w = w * 2 < TICK ? TICK : w * 2;
	return w > max ? max : w;
}

/* Batches back from the claimer (ev_async): onto their lanes' ready
 * lists, and out as far as there are free slots. */
static void
claimed_take(struct dispatcher *d)
{
	struct claimer *c = &d->claimer;
	struct claim_req *q, *next;

	q = (struct claim_req *)workq_take_now(&c->done);
	for (; q != NULL; q = next) {
		struct lane *l = q->lane;
		struct job *j, *jn;

		next = (struct claim_req *)q->wi.next;
		l->claiming--;
		l->asked -= q->limit;
		if (q->failed) {
			l->fail_wait = wait_doubled(l->fail_wait, FAIL_MAX);
			l->idle_until = ev_now(d->loop) + l->fail_wait;
			if (d->o->once && ++l->fails >= FAIL_GIVE_UP &&
			    d->db_failed[0] == '\0') {
				snprintf(d->db_failed, sizeof(d->db_failed),
					 "%s: %d claims in a row refused, the "
					 "last: %s",
					 channel_kinds[l->kind].name, l->fails,
					 q->why);
				log_warnx("dispatch: %s; stopping once the "
					  "requests in flight are answered",
					  d->db_failed);
				d->stopping = 1;
			}
		} else {
			l->fails = 0;
			l->fail_wait = 0;
			/* Nothing due, and nothing could have been made due
			 * by an answer still being written (a fallback). */
			l->idle = q->claimed == 0 && q->settled_before;
			if (l->idle)
				l->idle_epoch = q->epoch;
			l->idle_wait =
				q->claimed > 0
					? 0
					: wait_doubled(l->idle_wait, IDLE_MAX);
			l->idle_until = ev_now(d->loop) + l->idle_wait;
		}
		d->st->claimed += q->claimed;
		d->st->cancelled += q->cancelled;
		for (j = q->jobs; j != NULL; j = jn) {
			jn = j->next;
			j->next = NULL;
			if (j->settled) {
				job_done(j, &j->res);
				continue;
			}
			if (l->ready_tail != NULL)
				l->ready_tail->next = j;
			else
				l->ready = j;
			l->ready_tail = j;
			l->nready++;
		}
		lane_pump(d, l);
		/* A claim that found messages is followed by the next while
		 * slots are free: waiting for answers to free more left the
		 * claimer idle for a provider's round trip after each claim
		 * (15-20 ms of every 35 with 20 ms latency and 512 slots). */
		if (q->claimed > 0 && !q->failed && !d->stopping &&
		    d->db_failed[0] == '\0')
			claim_lane(d, l, claim_least(d, l));
		free(q);
	}
}

static void
claimed_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	claimed_take(w->data);
}

/* Ask the claimers for what the lane may send now, when that is at least
 * `least` messages. A busy, unpaced lane has a claim on every claimer
 * under way; one that found nothing last time, or is paced (it claims
 * what it may send now), has one at most. */
static void
claim_lane(struct dispatcher *d, struct lane *l, int least)
{
	struct claimer *c = &d->claimer;
	struct claim_req *q;
	double wall = wall_now(d);
	size_t room;
	int limit;

	if (l->claiming >= (l->idle_wait > 0 || l->ch->rate != 0 ? 1 : c->n) ||
	    ev_now(d->loop) < l->idle_until)
		return;
	if (policy_paused(&l->th, wall)) {
		l->idle = 1; /* run: nothing more to send now */
		l->idle_epoch = d->epoch;
		return;
	}
	limit = l->ch->concurrency - l->inflight - l->nready - l->asked;
	room = pacer_room(&l->pace, ev_now(d->loop));
	if ((size_t)limit > room)
		limit = (int)room;
	limit = policy_room(&l->th, wall, l->inflight, limit);
	if (limit <= 0 || limit < least)
		return;
	/* Unpaced, claim half a batch ahead: the next messages are ready
	 * when answers free their slots, not a claim later. */
	if (l->ch->rate == 0)
		limit += (l->ch->concurrency < d->cfg->dispatch.batch
				  ? l->ch->concurrency
				  : d->cfg->dispatch.batch) /
			 2;
	if (limit > d->cfg->dispatch.batch)
		limit = d->cfg->dispatch.batch;
	/* The recorder is behind: no more answers to write until it has
	 * caught up (memory stays bounded). */
	if (recorder_backlog(d->rec) > (size_t)d->cfg->dispatch.batch * 10)
		return;
	q = xcalloc(1, sizeof(*q));
	q->lane = l;
	q->limit = limit;
	/* Outside the calling window only what may go at any hour (notices
	 * of temporary outages) is claimed. */
	q->anytime_only = !in_window(d, l->kind);
	clock_read(d, q->now, q->date, NULL);
	q->epoch = d->epoch;
	/* Settled: no answer to come or to write (one may queue a fallback,
	 * or be awaited for its receipt), nor a claim of the lane under way.
	 * Another lane's claim does not count: what it finds keeps that lane
	 * busy. */
	q->settled_before = d->done_head == NULL &&
			    recorder_backlog(d->rec) == 0 &&
			    !answers_to_come(d) && l->claiming == 0;
	if (workq_put(&c->todo, &q->wi) != 0) { /* the claimers stopped */
		free(q);
		return;
	}
	l->claiming++;
	l->asked += limit;
}

static int
claimer_start(struct dispatcher *d, struct fg_err *err)
{
	struct claimer *c = &d->claimer;
	int i;

	workq_init(&c->todo);
	workq_init(&c->done);
	pthread_mutex_init(&c->mu, NULL);
	c->inited = 1;
	ev_async_init(&c->async, claimed_cb);
	c->async.data = d;
	ev_async_start(d->loop, &c->async);
	for (i = 0; i < d->cfg->dispatch.claimers; i++) {
		struct claimer_thread *t = &c->t[i];

		t->d = d;
		if (db_connect(&t->db, d->cfg, 1, err) != 0)
			return -1;
		c->n++; /* its connection is closed at the stop */
		if (pthread_create(&t->thread, NULL, claimer_main, t) != 0) {
			err_set(err, "dispatch: cannot start a claimer thread");
			return -1;
		}
		t->started = 1;
	}
	return 0;
}

/* Stops the threads once the claims asked for are made; what they claimed
 * goes back to the queue through the recorder. */
static void
claimer_stop(struct dispatcher *d)
{
	struct claimer *c = &d->claimer;
	int i;

	if (!c->inited)
		return;
	workq_stop(&c->todo);
	for (i = 0; i < c->n; i++)
		if (c->t[i].started) {
			pthread_join(c->t[i].thread, NULL);
			c->t[i].started = 0;
		}
	d->stopping = 1;
	claimed_take(d);
	ev_async_stop(d->loop, &c->async);
	for (i = 0; i < c->n; i++)
		db_close(&c->t[i].db);
	c->n = 0;
	pthread_mutex_destroy(&c->mu);
	workq_destroy(&c->todo);
	workq_destroy(&c->done);
	c->inited = 0;
}

/* Every lane claimed at the next chance, however long it found nothing. */
static void
lanes_wake(struct dispatcher *d)
{
	int i;

	for (i = 0; i < d->nlanes; i++)
		d->lanes[i].idle_wait = d->lanes[i].idle_until = 0;
}

static int
all_idle(const struct dispatcher *d)
{
	int i;

	if (d->done_head != NULL || recorder_backlog(d->rec) > 0)
		return 0;
	for (i = 0; i < d->nlanes; i++)
		if (!d->lanes[i].idle || d->lanes[i].inflight > 0 ||
		    d->lanes[i].claiming || d->lanes[i].nready > 0)
			return 0;
	return 1;
}

static int
lanes_idle_since(const struct dispatcher *d, unsigned long epoch)
{
	int i;

	for (i = 0; i < d->nlanes; i++)
		if (d->lanes[i].idle_epoch < epoch)
			return 0;
	return 1;
}

static int
inflight(const struct dispatcher *d)
{
	int i, n = 0;

	for (i = 0; i < d->nlanes; i++)
		n += d->lanes[i].inflight + d->lanes[i].claiming +
		     d->lanes[i].nready;
	return n;
}

/* Messages still waiting for a receipt from a provider that sends them
 * (an SMTP server's acceptance is all the loop will hear: bounces come
 * back as mail). */
static int
awaiting_receipts(struct dispatcher *d, unsigned long long *n,
		  struct fg_err *err)
{
	const char *with[CHANNEL_KINDS];
	size_t nr = 0;
	int i;

	for (i = 0; i < d->nlanes; i++)
		if (d->lanes[i].ch->ops->flags & CHANNEL_RECEIPTS)
			with[nr++] = d->lanes[i].ch->provider;
	return batches_awaiting(&d->db, with, nr, d->awaited_since, n, err);
}

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dispatcher *d = w->data;
	double now = ev_now(loop);
	char nowtxt[TIME_LEN];
	struct fg_err err;
	int i;

	(void)revents;
	for (i = 0; i < d->nlanes; i++)
		lane_pump(d, &d->lanes[i]);
	if (d->stopping) {
		if (inflight(d) == 0 && d->done_head == NULL)
			ev_break(loop, EVBREAK_ALL);
		return;
	}
	/* A statement found the connection gone: connect again here, with
	 * backoff (the loop waits: nothing can be claimed or recorded
	 * meanwhile), or stop when the database does not come back. */
	if (d->db.lost && db_revive(&d->db, &err) != 0) {
		log_warnx("dispatch: %s; stopping once the requests in flight "
			  "are answered",
			  err.msg);
		str_copy(d->db_failed, err.msg, sizeof(d->db_failed));
		d->stopping = 1;
		return;
	}
	if (now - d->last_recover >= d->cfg->dispatch.lease / 2.0) {
		unsigned long long back = 0;

		d->last_recover = now;
		clock_read(d, nowtxt, NULL, NULL);
		if (outbox_recover(&d->db, d->cfg, nowtxt, &back, &err) != 0)
			log_warnx("dispatch: recovering leases: %s", err.msg);
		else if (back > 0)
			log_info("dispatch: %llu messages back in the queue "
				 "(expired leases or in doubt)",
				 back);
	}
	if (atomic_exchange(&d->wake, 0))
		lanes_wake(d);
	/* run: once the last claims found nothing and nothing is in flight,
	 * wait for receipts, bounded (and go on claiming meanwhile: a retry
	 * may fall due). Checked before this tick's claims, which answer on
	 * the claimers' threads. */
	if (d->o->once && all_idle(d)) {
		if (!d->draining) {
			d->draining = 1;
			d->drain_started = now;
			d->last_drain_check = 0;
		}
		/* Nothing awaited, and since then every lane's claim found
		 * nothing (a failed receipt may have queued a fallback). */
		if (d->quiet_epoch != 0 &&
		    lanes_idle_since(d, d->quiet_epoch)) {
			ev_break(loop, EVBREAK_ALL);
			return;
		}
		if (now - d->last_drain_check >= 0.25) {
			d->last_drain_check = now;
			if (awaiting_receipts(d, &d->st->awaiting, &err) != 0)
				log_warnx("dispatch: %s", err.msg);
			if (now - d->drain_started >=
			    d->cfg->dispatch.receipt_wait) {
				ev_break(loop, EVBREAK_ALL);
				return;
			}
			if (d->st->awaiting != 0)
				d->quiet_epoch = 0;
			else if (d->quiet_epoch == 0) {
				d->quiet_epoch = ++d->epoch;
				lanes_wake(d);
			}
		}
	} else {
		d->quiet_epoch = 0;
	}
	for (i = 0; i < d->nlanes; i++)
		claim_lane(d, &d->lanes[i], 1);
}

void
dispatch_stop(struct dispatcher *d)
{
	if (!d->stopping)
		log_info("dispatch: stopping: no more claims; %d in flight",
			 inflight(d));
	d->stopping = 1;
}

int
dispatch_stopping(const struct dispatcher *d)
{
	return d->stopping;
}

void
dispatch_wake(struct dispatcher *d)
{
	atomic_store(&d->wake, 1);
}

void
dispatch_urgent_only(struct dispatcher *d, int on)
{
	atomic_store(&d->urgent_only, on);
	if (!on)
		dispatch_wake(d);
}

static int
open_lanes(struct dispatcher *d, struct fg_err *err)
{
	char *const *names = d->cfg->channels.provider;
	struct channel_env env = {d->loop, d->http, d->cfg->receipts.public_url,
				  d->cfg->path};
	int k, i;

	for (k = 0; k < CHANNEL_KINDS; k++) {
		struct lane *l;
		struct channel *ch;

		if (names[k] == NULL)
			continue;
		/* Receipts come to /receipts/<provider>: one section serves
		 * one channel. */
		for (i = 0; i < k; i++)
			if (names[i] != NULL &&
			    strcmp(names[i], names[k]) == 0) {
				err_set(err,
					"%s: [channels] %s and %s both name "
					"[provider:%s]; give each channel a "
					"section of its own",
					d->cfg->path, channel_kinds[i].name,
					channel_kinds[k].name, names[k]);
				return -1;
			}
		ch = channel_open(d->cfg, names[k], (enum channel_kind)k, &env,
				  err);
		if (ch == NULL)
			return -1;
		if ((ch->ops->flags & CHANNEL_RECEIPTS) &&
		    d->cfg->receipts.public_url == NULL) {
			err_set(err,
				"%s: [receipts] public_url: needed so "
				"[provider:%s] can send receipts",
				d->cfg->path ? d->cfg->path : "(config)",
				names[k]);
			channel_close(ch);
			return -1;
		}
		d->channels[d->nlanes] = ch;
		l = &d->lanes[d->nlanes++];
		l->d = d;
		l->kind = (enum channel_kind)k;
		l->ch = ch;
		l->receipt_endpoint =
			xasprintf("%s/receipts/%s",
				  d->cfg->receipts.public_url
					  ? d->cfg->receipts.public_url
					  : "",
				  ch->provider);
		pacer_init(&l->pace, ch->rate);
		metrics_provider(ch->provider);
	}
	if (d->nlanes == 0) {
		err_set(err,
			"%s: [channels]: no provider configured for any "
			"channel",
			d->cfg->path ? d->cfg->path : "(config)");
		return -1;
	}
	return 0;
}

/* Closes the adapters (in-flight requests are over) and the HTTP client. */
static void
close_lanes(struct dispatcher *d)
{
	int i;

	httpc_free(d->http);
	for (i = 0; i < d->nlanes; i++) {
		channel_close(d->channels[i]);
		pacer_free(&d->lanes[i].pace);
		free(d->lanes[i].receipt_endpoint);
	}
}

int
dispatch_takes_receipts(const struct dispatcher *d)
{
	int i;

	for (i = 0; i < d->nlanes; i++)
		if (d->channels[i]->ops->flags & CHANNEL_RECEIPTS)
			return 1;
	return 0;
}

/* A message whose answer was lost (a crash, a cut connection) is sent
 * again: say at start which providers may then deliver it twice. */
static void
warn_not_idempotent(const struct dispatcher *d)
{
	int i;

	for (i = 0; i < d->nlanes; i++)
		if (!(d->channels[i]->ops->flags & CHANNEL_IDEMPOTENT))
			log_warnx("dispatch: provider=%s (type %s) takes no "
				  "idempotency key: a message sent again after "
				  "a lost answer may reach the customer twice",
				  d->channels[i]->provider,
				  d->channels[i]->ops->name);
}

struct dispatcher *
dispatch_open(const struct config *cfg, struct template_set *ts,
	      const struct dispatch_opts *o, struct ev_loop *loop,
	      struct dispatch_stats *st, struct fg_err *err)
{
	struct dispatcher *d = xcalloc(1, sizeof(*d));
	char host[64];

	memset(st, 0, sizeof(*st));
	d->cfg = cfg;
	d->o = o;
	d->ts = ts;
	pthread_mutex_init(&d->ts_mu, NULL);
	d->st = st;
	d->err = err;
	d->loop = loop;
	if (o->owner != NULL)
		str_copy(d->owner, o->owner, sizeof(d->owner));
	else if (cfg->dispatch.owner != NULL)
		str_copy(d->owner, cfg->dispatch.owner, sizeof(d->owner));
	else {
		if (gethostname(host, sizeof(host)) != 0)
			str_copy(host, "localhost", sizeof(host));
		host[sizeof(host) - 1] = '\0';
		snprintf(d->owner, sizeof(d->owner), "%.60s:%ld", host,
			 (long)getpid());
	}
	if (channel_registry_check(err) != 0) {
		free(d);
		return NULL;
	}
	wall_text(wall_now(d) - cfg->dispatch.lease -
			  cfg->dispatch.receipt_wait,
		  d->awaited_since, NULL, NULL);
	d->http = httpc_new(d->loop);
	if (db_connect(&d->db, cfg, 1, err) != 0 ||
	    migrate_check(&d->db, err) != 0)
		goto fail;
	d->rec = recorder_start(cfg, err);
	if (d->rec == NULL || claimer_start(d, err) != 0 ||
	    open_lanes(d, err) != 0)
		goto fail;
	warn_not_idempotent(d);
	ev_timer_init(&d->tick, tick_cb, 0., TICK);
	d->tick.data = d;
	ev_timer_start(d->loop, &d->tick);
	ev_prepare_init(&d->flush, flush_cb);
	d->flush.data = d;
	ev_prepare_start(d->loop, &d->flush);
	log_info("dispatch: started as %s with %d provider%s", d->owner,
		 d->nlanes, d->nlanes == 1 ? "" : "s");
	return d;
fail:
	dispatch_close(d);
	return NULL;
}

struct channel *const *
dispatch_channels(const struct dispatcher *d, size_t *n)
{
	*n = (size_t)d->nlanes;
	return d->channels;
}

int
dispatch_finish(struct dispatcher *d, struct fg_err *err)
{
	/* Anything claimed but never submitted goes back to the queue (as
	 * not sent), and the last answers are written. Nothing is left
	 * `leased`: a claim is committed only as `submitting`. */
	claimer_stop(d);
	record_done(d);
	recorder_stop(d->rec);
	d->rec = NULL;
	if (d->db_failed[0] != '\0') {
		/* Leases run out and in-doubt messages are settled by the
		 * next dispatcher: nothing is lost. */
		err_set(err, "%s", d->db_failed);
		return -1;
	}
	if (awaiting_receipts(d, &d->st->awaiting, err) != 0)
		d->st->awaiting = 0;
	return 0;
}

void
dispatch_close(struct dispatcher *d)
{
	if (d == NULL)
		return;
	claimer_stop(d);
	record_done(d);
	recorder_stop(d->rec);
	ev_timer_stop(d->loop, &d->tick);
	ev_prepare_stop(d->loop, &d->flush);
	close_lanes(d);
	if (d->db.my != NULL)
		db_close(&d->db);
	if (d->ts_own)
		template_set_free(d->ts);
	pthread_mutex_destroy(&d->ts_mu);
	free(d);
}

/* The lane's provider reads its credentials files again, where its
 * adapter can; said either way. */
static void
lane_rekey(struct lane *l, const struct config *cfg)
{
	const struct provider_cfg *p = config_provider(cfg, l->ch->provider);
	struct fg_err err;

	if (p == NULL)
		return;
	if (l->ch->ops->rekey == NULL)
		log_warnx("reload: provider=%s (type %s) reads its credentials "
			  "when serve starts",
			  l->ch->provider, l->ch->ops->name);
	else if (l->ch->ops->rekey(l->ch, p, cfg->path, &err) != 0)
		log_warnx("reload: provider=%s: %s; its credentials in effect "
			  "are kept",
			  l->ch->provider, err.msg);
	else
		log_info("reload: provider=%s: credentials read again",
			 l->ch->provider);
}

void
dispatch_reload(struct dispatcher *d, struct template_set *ts,
		const struct config *cfg)
{
	struct template_set *old;
	int i, own;

	pthread_mutex_lock(&d->ts_mu);
	old = d->ts;
	own = d->ts_own;
	d->ts = ts;
	d->ts_own = 1;
	pthread_mutex_unlock(&d->ts_mu);
	if (own)
		template_set_free(old);
	for (i = 0; i < d->nlanes; i++) {
		struct lane *l = &d->lanes[i];

		lane_rekey(l, cfg);
		if (!channel_repace(l->ch, cfg))
			continue;
		pacer_free(&l->pace);
		pacer_init(&l->pace, l->ch->rate);
		log_info("reload: provider=%s rate=%g concurrency=%d",
			 l->ch->provider, l->ch->rate, l->ch->concurrency);
	}
}

int
dispatch_check(const struct config *cfg, struct fg_err *err)
{
	struct dispatcher *d;
	int rc;

	if (channel_registry_check(err) != 0)
		return -1;
	d = xcalloc(1, sizeof(*d));
	d->cfg = cfg;
	d->loop = ev_loop_new(EVFLAG_AUTO);
	d->http = httpc_new(d->loop);
	rc = open_lanes(d, err);
	close_lanes(d);
	ev_loop_destroy(d->loop);
	free(d);
	return rc;
}
