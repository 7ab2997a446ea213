/*
 * main.c: the feegate command line (docs/operations.md, "Command line").
 * Exit status: 0 done, 1 runtime failure, 2 bad usage or configuration.
 */
#include <jansson.h>
#include <fcntl.h>
#include <getopt.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/config.h"
#include "base/dates.h"
#include "base/log.h"
#include "base/money.h"
#include "night/escalate.h"
#include "night/night.h"
#include "night/pass.h"
#include "night/planner.h"
#include "night/preview.h"
#include "queue/context.h"
#include "queue/template.h"
#include "send/dispatch.h"
#include "send/metrics.h"
#include "serve/bounce.h"
#include "serve/serve.h"
#include "store/audit.h"
#include "store/audit_archive.h"
#include "store/billing_check.h"
#include "store/db.h"
#include "store/migrate.h"
#include "store/purge.h"
#include "store/report.h"
#include "store/staff.h"
#include "store/tasks.h"
#include "store/timeline.h"

#define EXIT_USAGE 2

static void usage_print(FILE *out, const char *only);

static int
usage(const char *fmt, const char *arg)
{
	if (fmt != NULL) {
		fputs("feegate: ", stderr);
		fprintf(stderr, fmt, arg);
		fputs("\n\n", stderr);
	}
	usage_print(stderr, NULL);
	return EXIT_USAGE;
}

/* Command options: --name VALUE or --flag. */
struct opt {
	const char *name;
	int takes_value;
	const char *value;
	int set;
};

static int
parse_opts(int argc, char **argv, struct opt *opts, size_t nopts,
	   const char **positional, size_t npos_max, size_t *npos)
{
	int i;
	size_t k;

	*npos = 0;
	for (i = 0; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) != 0) {
			if (*npos >= npos_max)
				return usage("unexpected argument '%s'",
					     argv[i]);
			positional[(*npos)++] = argv[i];
			continue;
		}
		for (k = 0; k < nopts; k++)
			if (strcmp(argv[i] + 2, opts[k].name) == 0)
				break;
		if (k == nopts)
			return usage("unknown option '%s'", argv[i]);
		opts[k].set = 1;
		if (opts[k].takes_value) {
			if (i + 1 >= argc)
				return usage("option '%s' needs a value",
					     argv[i]);
			opts[k].value = argv[++i];
		}
	}
	return 0;
}

static int
business_date(const struct config *cfg, const char *given, char out[DATE_LEN])
{
	if (given != NULL) {
		if (!date_valid(given))
			return usage("--date: '%s' is not a date YYYY-MM-DD",
				     given);
		str_copy(out, given, DATE_LEN);
		return 0;
	}
	if (date_today(cfg->dunning.timezone, out) != 0) {
		fprintf(stderr, "feegate: cannot tell today's date in %s\n",
			cfg->dunning.timezone);
		return 1;
	}
	return 0;
}

/* "YYYY-MM-DD HH:MM": the wall clock the dispatcher's calling window uses
 * (what-if runs and tests); the planner itself goes by --date. */
static int
valid_now(const char *s)
{
	char d[DATE_LEN];

	if (strlen(s) != 16 || s[10] != ' ' || s[13] != ':')
		return 0;
	memcpy(d, s, 10);
	d[10] = '\0';
	return date_valid(d) && s[11] >= '0' && s[11] <= '2' && s[12] >= '0' &&
	       s[12] <= '9' && (s[11] - '0') * 10 + (s[12] - '0') < 24 &&
	       s[14] >= '0' && s[14] <= '5' && s[15] >= '0' && s[15] <= '9';
}

/* Connect, check the gateway schema's version and the account's grants
 * and, for a command that reads billing, the billing contract: 0, or the
 * exit status (1; 2 when the billing contract cannot be used), having
 * said why. */
static int
open_db(struct db *db, const struct config *cfg, int billing)
{
	struct fg_err err;
	int rc = 1;

	if (db_connect(db, cfg, 1, &err) != 0 || migrate_check(db, &err) != 0 ||
	    migrate_grants_check(db, &err) != 0 ||
	    (billing && (rc = billing_open(db, &err)) != 0)) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		if (db->my != NULL)
			db_close(db);
		return rc == 2 ? EXIT_USAGE : 1;
	}
	return 0;
}

enum night_steps {
	STEP_PLAN = 1,
	STEP_ESCALATE = 2,
	STEP_DISPATCH = 4,
};

static int
any_channel(const struct config *cfg)
{
	int k;

	for (k = 0; k < CHANNEL_KINDS; k++)
		if (cfg->channels.provider[k] != NULL)
			return 1;
	return 0;
}

/* Dispatcher commands run in the utility's time zone: business dates,
 * the calling window and --now are local there. */
static void
use_timezone(const struct config *cfg)
{
	setenv("TZ", cfg->dunning.timezone, 1);
	tzset();
}

static struct template_set *load_templates(const struct config *cfg,
					   struct fg_err *err);

/* On a terminal, `run` and `dispatch` say how far they are (standard
 * error), and the info lines that would scroll past it go only to a
 * [log] file when one is set: warnings and errors still show. In a pipe
 * or under systemd, only the summary. */
static FILE *
progress_to(const struct config *cfg)
{
	if (!isatty(STDERR_FILENO))
		return NULL;
	if (cfg->log.file == NULL && cfg->log.level > LOG_LEVEL_WARN)
		log_open(NULL, LOG_LEVEL_WARN);
	return stderr;
}

/* The messages due now, all channels: the progress line's total. */
static unsigned long long
due_now(const struct config *cfg, double now_offset)
{
	struct queue_due q[CHANNEL_KINDS];
	char now[TIME_LEN], date[DATE_LEN];
	unsigned long long n = 0;
	struct fg_err err;
	struct db db;
	int k;

	if (db_connect(&db, cfg, 1, &err) != 0)
		return 0;
	wall_text(wall_clock(now_offset), now, date, NULL);
	if (metrics_queue(&db, now, q, &err) == 0)
		for (k = 0; k < CHANNEL_KINDS; k++)
			if (cfg->channels.provider[k] != NULL)
				n += (unsigned long long)q[k].n;
	db_close(&db);
	return n;
}

static int
send_due(const struct config *cfg, double now_offset, int serve, FILE *progress,
	 struct dispatch_stats *st)
{
	struct serve_opts o = {0};
	struct template_set *ts;
	struct fg_err err;
	int rc;

	ts = load_templates(cfg, &err);
	if (ts == NULL) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		return EXIT_USAGE;
	}
	if (dispatch_check(cfg, &err) != 0) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		template_set_free(ts);
		return EXIT_USAGE;
	}
	o.dispatch.once = !serve;
	o.dispatch.now_offset = now_offset;
	o.nightly = serve;
	o.templates = load_templates;
	if ((o.progress = progress) != NULL)
		o.progress_total = due_now(cfg, now_offset);
	rc = serve_run(cfg, ts, &o, st, &err);
	template_set_free(ts);
	if (rc != 0) {
		fprintf(stderr, "feegate: dispatch: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/* Micro-yuan as yuan with two decimals, rounded half up. */
static void
yuan(long long micro, char *buf, size_t len)
{
	money_format_grouped((micro + 5000) / 10000, buf, len);
}

static void
print_dispatch(const struct config *cfg, const struct dispatch_stats *st,
	       FILE *out)
{
	long long micro, total = 0;
	char buf[48];
	int k;

	fprintf(out,
		"  messages sent              %llu (retry later: %llu, expired: "
		"%llu, failed: %llu, cancelled before sending: %llu)\n",
		st->sent, st->retried, st->expired, st->failed, st->cancelled);
	for (k = 0; k < CHANNEL_KINDS; k++) {
		micro = cfg->costs.unit[k] * (long long)st->units_by[k];
		total += micro;
		if (st->sent_by[k] == 0)
			continue;
		yuan(micro, buf, sizeof(buf));
		fprintf(out,
			"    %-5s                    %llu (%llu %s, ¥%s)\n",
			channel_kinds[k].name, st->sent_by[k], st->units_by[k],
			channel_kinds[k].units, buf);
	}
	yuan(total, buf, sizeof(buf));
	fprintf(out, "  cost                       ¥%s ([costs])\n", buf);
	fprintf(out, "  receipts                   %llu (awaiting: %llu)\n",
		st->receipts, st->awaiting);
	fprintf(out,
		"dispatch: sent=%llu retried=%llu expired=%llu permfailed=%llu "
		"unsent=%llu receipts=%llu awaiting=%llu",
		st->sent, st->retried, st->expired, st->failed, st->cancelled,
		st->receipts, st->awaiting);
	/* Messages per channel, and the SMS parts the carrier bills. */
	for (k = 0; k < CHANNEL_KINDS; k++) {
		fprintf(out, " %s=%llu", channel_kinds[k].name, st->sent_by[k]);
		if (k == CHANNEL_SMS)
			fprintf(out, " sms_parts=%llu", st->units_by[k]);
	}
	money_format((total + 5000) / 10000, buf, sizeof(buf));
	fprintf(out, " cost=%s\n", buf);
}

static int
cmd_dispatch(const struct config *cfg, int serve, int argc, char **argv)
{
	struct opt opts[] = {{"now", 1, NULL, 0}};
	const char *pos[1];
	struct dispatch_stats st;
	struct db db;
	double offset = 0;
	size_t npos;
	int rc;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 0,
			     &npos)) != 0)
		return rc;
	use_timezone(cfg);
	if (opts[0].set && (!valid_now(opts[0].value) ||
			    dispatch_parse_now(opts[0].value, &offset) != 0))
		return usage("--now: '%s' is not \"YYYY-MM-DD HH:MM\"",
			     opts[0].value);
	if (!any_channel(cfg)) {
		fprintf(stderr,
			"feegate: [channels]: no provider configured\n");
		return EXIT_USAGE;
	}
	/* The schema's version and the billing contract, before anything
	 * starts (the dispatcher's own connections use the contract read). */
	if ((rc = open_db(&db, cfg, 1)) != 0)
		return rc;
	db_close(&db);
	rc = send_due(cfg, offset, serve, serve ? NULL : progress_to(cfg), &st);
	if (rc == 0 && !serve)
		print_dispatch(cfg, &st, stdout);
	return rc;
}

struct send_arg {
	const struct config *cfg;
	double offset;
	struct dispatch_stats *st;
	FILE *progress; /* on a terminal, else NULL */
};

static int
send_between(void *arg)
{
	struct send_arg *a = arg;

	return send_due(a->cfg, a->offset, 0, a->progress, a->st);
}

/* A step of the night done, on a terminal: its name, time and counts. */
static void
step_said(void *arg, const char *what, const struct night *nt, double seconds)
{
	const struct night_counts *n = &nt->n;
	struct send_arg *a = arg;
	unsigned long long notices = 0;
	size_t i;

	if (a->progress == NULL)
		return;
	for (i = 0; i < FG_NELEM(n->notices); i++)
		notices += n->notices[i];
	fprintf(a->progress, "feegate: %-12s %7.1f s  ", what, seconds);
	if (strcmp(what, "billing read") == 0)
		fprintf(a->progress, "%llu rows refused\n", n->input_errors);
	else if (strcmp(what, "planned") == 0)
		fprintf(a->progress,
			"%llu cases opened, %llu notices, %llu messages "
			"queued\n",
			n->cases_opened, notices, n->messages_queued);
	else
		fprintf(a->progress, "%llu tasks raised, %llu cases closed\n",
			n->tasks_created,
			n->closed_paid + n->closed_below_minimum +
				n->closed_hold + n->closed_cancelled);
}

static int
cmd_night(const struct config *cfg, int steps, int argc, char **argv)
{
	struct opt opts[] = {{"date", 1, NULL, 0}, {"now", 1, NULL, 0}};
	const char *pos[1];
	char date[DATE_LEN], now[TIME_LEN];
	struct dispatch_stats st;
	struct fg_err err;
	struct night nt;
	struct db db;
	double offset = 0;
	struct night_run_opts o = {0};
	struct send_arg sa;
	size_t npos;
	int rc, sent = 0;

	if ((rc = parse_opts(argc, argv, opts, 2, pos, 0, &npos)) != 0)
		return rc;
	if (opts[1].set && !valid_now(opts[1].value))
		return usage("--now: '%s' is not \"YYYY-MM-DD HH:MM\"",
			     opts[1].value);
	if ((rc = business_date(cfg, opts[0].value, date)) != 0)
		return rc;
	if (steps & STEP_DISPATCH) {
		use_timezone(cfg);
		if (opts[1].set &&
		    dispatch_parse_now(opts[1].value, &offset) != 0)
			return usage("--now: '%s' is not \"YYYY-MM-DD HH:MM\"",
				     opts[1].value);
		/* A provider configured wrong stops the night before it
		 * starts, not after it has planned. */
		if (any_channel(cfg) && dispatch_check(cfg, &err) != 0) {
			fprintf(stderr, "feegate: %s\n", err.msg);
			return EXIT_USAGE;
		}
	}
	if ((rc = open_db(&db, cfg, 1)) != 0)
		return rc;
	if (opts[1].set)
		snprintf(now, sizeof(now), "%s:00", opts[1].value);
	o.plan = (steps & STEP_PLAN) != 0;
	o.escalate = (steps & STEP_ESCALATE) != 0;
	sa = (struct send_arg){cfg, offset, &st, progress_to(cfg)};
	o.arg = &sa;
	o.step = step_said;
	/* Send what the night planned, and wait for receipts (bounded),
	 * before deciding what has failed. Without the planner lock: the
	 * dispatcher may run beside other dispatchers. */
	if ((steps & STEP_DISPATCH) && any_channel(cfg)) {
		o.between = send_between;
		sent = 1;
	}
	rc = night_run(&nt, &db, cfg, date, opts[1].set ? now : NULL, &o, &err);
	if (o.between_rc != 0) {
		db_close(&db);
		return rc;
	}
	if (rc != 0) {
		fprintf(stderr, "feegate: night %s: %s\n", date, err.msg);
		db_close(&db);
		return rc == 2 ? EXIT_USAGE : 1;
	}
	night_print(&nt, stdout);
	if (sent)
		print_dispatch(cfg, &st, stdout);
	db_close(&db);
	return 0;
}

static int
cmd_db(const struct config *cfg, int argc, char **argv)
{
	struct fg_err err;

	if (argc != 1 || strcmp(argv[0], "migrate") != 0)
		return usage("db: expected 'db migrate'", NULL);
	if (migrate_run(cfg, &err) != 0) {
		fprintf(stderr, "feegate: db migrate: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int
cmd_billing(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"json", 0, NULL, 0}, {"date", 1, NULL, 0}};
	const char *pos[1];
	char date[DATE_LEN];
	struct fg_err err;
	struct db db;
	size_t npos;
	int rc, problems = 0;

	if (argc < 1 || strcmp(argv[0], "check") != 0)
		return usage("billing: expected 'billing check [--json] "
			     "[--date YYYY-MM-DD]'",
			     NULL);
	if ((rc = parse_opts(argc - 1, argv + 1, opts, FG_NELEM(opts), pos, 0,
			     &npos)) != 0 ||
	    (rc = business_date(cfg, opts[1].value, date)) != 0)
		return rc;
	/* (not open_db(.., 1): the contract is what is being checked) */
	if ((rc = open_db(&db, cfg, 0)) != 0)
		return rc;
	rc = billing_check_print(&db, date, opts[0].set, stdout, &problems,
				 &err);
	db_close(&db);
	if (rc != 0) {
		fprintf(stderr, "feegate: billing check: %s\n", err.msg);
		return 1;
	}
	return problems == 0 ? 0 : 1;
}

static int
cmd_tasks(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"state", 1, NULL, 0},
			     {"grid", 1, NULL, 0},
			     {"json", 0, NULL, 0},
			     {"after", 1, NULL, 0},
			     {"limit", 1, NULL, 0}};
	struct tasks_query q = {0};
	const char *pos[1];
	struct fg_err err;
	struct db db;
	long long v;
	size_t npos;
	int rc;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 0,
			     &npos)) != 0)
		return rc;
	if (opts[0].set && !tasks_valid_state(opts[0].value))
		return usage(
			"--state: '%s' is not one of open, assigned, done, "
			"cancelled",
			opts[0].value);
	q.state = opts[0].value;
	q.grid = opts[1].value;
	if (opts[3].set) {
		if (parse_ll(opts[3].value, 0, LLONG_MAX, &v) != 0)
			return usage("--after: '%s' is not a task number",
				     opts[3].value);
		q.after = (unsigned long long)v;
	}
	if (opts[4].set) {
		if (parse_ll(opts[4].value, 1, UINT_MAX - 1, &v) != 0)
			return usage("--limit: '%s' is not a count of tasks",
				     opts[4].value);
		q.limit = (unsigned int)v;
	}
	if ((rc = open_db(&db, cfg, 0)) != 0)
		return rc;
	rc = tasks_print(&db, &q, opts[2].set, stdout, NULL, &err);
	if (rc != 0)
		fprintf(stderr, "feegate: tasks: %s\n", err.msg);
	db_close(&db);
	return rc ? 1 : 0;
}

static int
cmd_log(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"json", 0, NULL, 0}};
	const char *pos[1];
	char phone[32];
	struct fg_err err;
	json_t *t = NULL, *accounts = NULL, *all = NULL;
	struct db db;
	size_t npos, i;
	int rc, found = 0;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 1,
			     &npos)) != 0)
		return rc;
	if (npos != 1)
		return usage("log: which account or phone number?", NULL);
	if (strlen(pos[0]) > 320)
		return usage("log: %s is too long",
			     "the account or phone number");
	if ((rc = open_db(&db, cfg, 1)) != 0)
		return rc;
	rc = 1;
	t = timeline_build(&db, pos[0], &found, &err);
	if (t == NULL)
		goto fail;
	if (!found && timeline_phone_query(pos[0], phone, sizeof(phone))) {
		json_decref(t);
		t = NULL;
		accounts = json_array();
		all = json_array();
		if (timeline_find_accounts(&db, phone, accounts, &err) != 0)
			goto fail;
		for (i = 0; i < json_array_size(accounts); i++) {
			const char *acct = json_string_value(
				json_object_get(json_array_get(accounts, i),
						"account_no"));
			json_t *one = timeline_build(&db, acct, &found, &err);

			if (one == NULL)
				goto fail;
			json_array_append_new(all, one);
		}
		found = json_array_size(all) > 0;
	}
	if (!found) {
		fprintf(stderr,
			"feegate: log: no account or phone number '%s'\n",
			pos[0]);
		rc = 1;
		goto out;
	}
	if (opts[0].set) {
		char *s = json_dumps(t ? t : all, JSON_INDENT(2));

		puts(s);
		free(s);
	} else if (t != NULL) {
		timeline_print(t, stdout);
	} else {
		for (i = 0; i < json_array_size(all); i++) {
			if (i > 0)
				puts("\n----");
			timeline_print(json_array_get(all, i), stdout);
		}
	}
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "feegate: log: %s\n", err.msg);
out:
	json_decref(t);
	json_decref(accounts);
	json_decref(all);
	db_close(&db);
	return rc;
}

static int
cmd_report(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"from", 1, NULL, 0},
			     {"to", 1, NULL, 0},
			     {"json", 0, NULL, 0}};
	const char *pos[1];
	struct fg_err err;
	struct db db;
	size_t npos, i;
	int rc;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 0,
			     &npos)) != 0)
		return rc;
	for (i = 0; i < 2; i++)
		if (opts[i].set && !date_valid(opts[i].value))
			return usage("'%s' is not a date YYYY-MM-DD",
				     opts[i].value);
	if ((rc = open_db(&db, cfg, 1)) != 0)
		return rc;
	rc = report_print(&db, opts[0].value, opts[1].value, opts[2].set,
			  stdout, &err);
	if (rc != 0)
		fprintf(stderr, "feegate: report: %s\n", err.msg);
	db_close(&db);
	return rc ? 1 : 0;
}

/* `audit checkpoint --before D [--archive FILE]` (an administrator's). */
static int
cmd_checkpoint(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"before", 1, NULL, 0}, {"archive", 1, NULL, 0}};
	const char *pos[1];
	struct audit_checkpoint cp;
	char name[128];
	struct fg_err err;
	struct db db;
	size_t npos;
	int rc;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 0,
			     &npos)) != 0)
		return rc;
	if (!opts[0].set || !date_valid(opts[0].value))
		return usage("audit checkpoint: --before YYYY-MM-DD is needed",
			     NULL);
	snprintf(name, sizeof(name), "audit-before-%s.jsonl.gz", opts[0].value);
	if ((rc = open_db(&db, cfg, 0)) != 0)
		return rc;
	rc = audit_checkpoint(&db, opts[0].value,
			      opts[1].set ? opts[1].value : name, &cp, &err);
	db_close(&db);
	if (rc == 1) {
		printf("%s\n", err.msg);
		return 0;
	}
	if (rc != 0) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		return 1;
	}
	printf("audit: checkpoint at seq %llu (hash %s): rows %llu-%llu "
	       "archived to %s (sha256 %s) and removed\n",
	       cp.seq, cp.hash, cp.from_seq, cp.seq, cp.archive, cp.sha256);
	return 0;
}

static int
cmd_audit(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"archive", 1, NULL, 0},
			     {"since-last", 0, NULL, 0}};
	const char *pos[1];
	unsigned long long rows = 0, archived = 0, from = 0;
	struct fg_err err;
	struct db db;
	size_t npos;
	int rc;

	if (argc >= 1 && strcmp(argv[0], "checkpoint") == 0)
		return cmd_checkpoint(cfg, argc - 1, argv + 1);
	if (argc < 1 || strcmp(argv[0], "verify") != 0)
		return usage("audit: expected 'audit verify [--archive FILE | "
			     "--since-last]' or 'audit checkpoint --before D'",
			     NULL);
	if ((rc = parse_opts(argc - 1, argv + 1, opts, FG_NELEM(opts), pos, 0,
			     &npos)) != 0)
		return rc;
	if (opts[0].set && opts[1].set)
		return usage("audit verify: --archive walks the whole chain; "
			     "it takes no --since-last",
			     NULL);
	if ((rc = open_db(&db, cfg, 0)) != 0)
		return rc;
	rc = opts[0].set ? audit_verify_archive(&db, opts[0].value, &archived,
						&from, &rows, &err)
			 : audit_verify(&db, opts[1].set, &from, &rows, &err);
	if (rc == 0 && opts[0].set)
		printf("audit: archive %s intact: %llu rows, continued by the "
		       "table: %llu rows, head %s\n",
		       opts[0].value, archived, rows, err.msg);
	else if (rc == 0)
		printf("audit: chain intact: %llu rows after seq %llu, head "
		       "%s\n",
		       rows, from, err.msg);
	else if (rc == 1)
		printf("%s\n", err.msg);
	else
		fprintf(stderr, "feegate: audit verify: %s\n", err.msg);
	if (rc == 0 || rc == 1) {
		/* For the staff pages: how the chain stood when checked;
		 * for the next --since-last, where it was intact. */
		struct fg_err ignored;
		char now[TIME_LEN], summary[256];

		time_now_utc(now);
		snprintf(summary, sizeof(summary), "%s%.200s",
			 rc == 0 ? "intact, head " : "", err.msg);
		if (db_exec(&db,
			    "INSERT INTO audit_checks (checked_at, intact,"
			    " rows_seen, summary, from_seq, head_seq,"
			    " head_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
			    DB_ARGS(DB_STR(now), DB_INT(rc == 0),
				    DB_INT((long long)rows), DB_STR(summary),
				    DB_ID(from),
				    rc == 0 ? DB_ID(from + rows) : DB_NULL,
				    rc == 0 ? DB_STR(err.msg) : DB_NULL),
			    NULL, &ignored) != 0)
			fprintf(stderr,
				"feegate: audit verify: not recorded: %s\n",
				ignored.msg);
	}
	db_close(&db);
	return rc == 0 ? 0 : 1;
}

/* `token add NAME --scope S[,S...]`: a new API client; its token is
 * printed once, and only its SHA-256 kept (in [api] tokens_file). */
static int
cmd_token(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"scope", 1, NULL, 0}};
	const char *pos[2];
	char token[65], hash[65];
	size_t npos, i;
	FILE *f;
	int rc, fd;

	if (argc < 1 || strcmp(argv[0], "add") != 0)
		return usage("token: expected 'token add NAME --scope S[,S]'",
			     NULL);
	if ((rc = parse_opts(argc - 1, argv + 1, opts, FG_NELEM(opts), pos, 1,
			     &npos)) != 0)
		return rc;
	if (npos != 1 || strlen(pos[0]) > 32 ||
	    strspn(pos[0], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
			   "xyz0123456789._-") != strlen(pos[0]) ||
	    !opts[0].set || config_api_scopes(opts[0].value) == 0)
		return usage("token add NAME --scope S[,S]: NAME is 1-32 of "
			     "A-Z a-z 0-9 . _ -; scopes among notices:write, "
			     "timeline:read, tasks:read, metrics:read",
			     NULL);
	if (cfg->api.tokens_file == NULL)
		return usage("token add: set [api] tokens_file first", NULL);
	for (i = 0; i < cfg->api.nclients; i++)
		if (strcmp(cfg->api.clients[i].name, pos[0]) == 0)
			return usage("token add: %s has a token already",
				     pos[0]);
	if (random_hex(token, 32) != 0) {
		fprintf(stderr, "feegate: token add: no randomness\n");
		return 1;
	}
	sha256_hex(token, 64, hash);
	fd = open(cfg->api.tokens_file, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd < 0 || (f = fdopen(fd, "a")) == NULL) {
		fprintf(stderr, "feegate: token add: %s: %s\n",
			cfg->api.tokens_file, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	fprintf(f, "%s %s %s\n", pos[0], opts[0].value, hash);
	if (fclose(f) != 0) {
		fprintf(stderr, "feegate: token add: %s: %s\n",
			cfg->api.tokens_file, strerror(errno));
		return 1;
	}
	printf("%s\n", token);
	fprintf(stderr,
		"feegate: the token of %s, shown this once (only its SHA-256 "
		"is kept in %s); serve reads it when it starts\n",
		pos[0], cfg->api.tokens_file);
	explicit_bzero(token, sizeof(token));
	return 0;
}

/* What an MTA's pipe makes of the exit status: 0 delivered, 75
 * (EX_TEMPFAIL) deferred and tried again later. A bounce feegate does not
 * believe is delivered (and logged): returning it would only bounce the
 * bounce. */
#define EXIT_TEMPFAIL 75
#define BOUNCE_MAX    (4 * 1024 * 1024)

static int
cmd_bounce(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"date", 1, NULL, 0}};
	const char *pos[1];
	char date[DATE_LEN], now[TIME_LEN], what[400], buf[65536];
	enum bounce_result res;
	struct fg_err err;
	struct sbuf msg;
	struct dsn d;
	struct db db;
	size_t npos, n;
	int rc;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 0,
			     &npos)) != 0 ||
	    (rc = business_date(cfg, opts[0].value, date)) != 0)
		return rc;
	sbuf_init(&msg);
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (msg.len < BOUNCE_MAX)
			sbuf_add(&msg, buf, n);
	if (dsn_parse(msg.s, msg.len, &d, &err) != 0) {
		log_info("bounce: ignored: %s", err.msg);
		printf("ignored: %s\n", err.msg);
		sbuf_free(&msg);
		return 0;
	}
	sbuf_free(&msg);
	/* Billing too: a failure falls back to the notice's next contact. */
	if (open_db(&db, cfg, 1) != 0)
		return EXIT_TEMPFAIL;
	time_now_utc(now);
	rc = bounce_apply(&db, cfg, &d, now, date, &res, what, sizeof(what),
			  &err);
	db_close(&db);
	if (rc != 0) {
		log_warnx("bounce: %s (the MTA will try again)", err.msg);
		fprintf(stderr, "feegate: bounce: %s\n", err.msg);
		return EXIT_TEMPFAIL;
	}
	log_info("bounce: %s", what);
	printf("%s\n", what);
	return 0;
}

static int
cmd_purge(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"date", 1, NULL, 0}};
	const char *pos[1];
	char date[DATE_LEN];
	struct purge_counts c;
	struct fg_err err;
	struct db db;
	size_t npos;
	int rc;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 0,
			     &npos)) != 0 ||
	    (rc = business_date(cfg, opts[0].value, date)) != 0 ||
	    (rc = open_db(&db, cfg, 0)) != 0)
		return rc;
	rc = purge_run(&db, cfg, date, &c, &err);
	db_close(&db);
	if (rc != 0) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		return 1;
	}
	purge_print(date, &c, stdout);
	return 0;
}

/* [templates] dir, else templates/ in the data directory built in (the
 * checkout for bin/feegate, DATADIR for an installed one). */
static char *
templates_dir(const struct config *cfg)
{
	if (cfg->templates.dir != NULL)
		return xstrdup(cfg->templates.dir);
	return xstrdup(FEEGATE_DATADIR "/templates");
}

static struct template_set *
load_templates(const struct config *cfg, struct fg_err *err)
{
	struct template_limits lim = {cfg->sms.max_parts,
				      cfg->dunning.notices,
				      {0}};
	int k;

	for (k = 0; k < CHANNEL_KINDS; k++)
		lim.configured[k] = cfg->channels.provider[k] != NULL;
	char *dir = templates_dir(cfg);
	/* [templates] strings, else the one built in (an installed binary's
	 * SYSCONFDIR/feegate/strings.ini; none for bin/feegate). */
	const char *strings = cfg->templates.strings != NULL
				      ? cfg->templates.strings
			      : FEEGATE_STRINGS[0] != '\0' ? FEEGATE_STRINGS
							   : NULL;
	struct template_set *ts = template_set_load(dir, strings, &lim, err);

	free(dir);
	return ts;
}

/* A sample customer (and outage), for trying templates out. */
static void
sample_context(struct notice_context *nc, const struct config *cfg,
	       const char *locale, const char *name, const char *date)
{
	int en = locale != NULL && strcmp(locale, "en") == 0;

	str_copy(nc->account_no, "3300000123", sizeof(nc->account_no));
	nc->name = xstrdup(name ? name : en ? "Zhang Wei" : "张伟");
	nc->locale = xstrdup(locale ? locale : "zh-CN");
	nc->periods = xstrdup("2026-08,2026-09");
	str_copy(nc->due_date, "2026-09-20", sizeof(nc->due_date));
	str_copy(nc->business_date, date, sizeof(nc->business_date));
	nc->t.amount_cents = 123450;
	nc->t.account_no = nc->account_no;
	nc->t.name = nc->name;
	nc->t.periods = nc->periods;
	nc->t.due_date = nc->due_date;
	nc->t.business_date = nc->business_date;
	context_late_fee(nc, cfg);
	/* And a sample outage, for the outage notices. */
	nc->t.outage_kind = "planned";
	nc->t.area = en ? "Jinjiang Community, Wangjiang Street"
			: "上城区望江街道近江社区";
	nc->t.starts_at = "2026-10-20 08:00";
	nc->t.ends_at = "2026-10-20 17:30";
	nc->t.reason = NULL;
	nc->t.old_starts_at = "2026-10-18 08:00";
	nc->t.old_ends_at = "2026-10-18 17:30";
}

/* The notice kind's template for channel, as the adapter puts it
 * together: an SMS made to fit max_parts (fit says how), a kind of
 * several parts (an e-mail's subject, text and HTML) one after another. */
static int
render_kind(const struct template_set *ts, const struct config *cfg,
	    const char *locale, const char *kind, const char *channel,
	    const struct tpl_context *t, struct sbuf *out, struct sms_fit *fit,
	    struct fg_err *err)
{
	int rc, ck = channel_kind_find(channel);

	if (ck >= 0 && channel_kinds[ck].nparts > 1) {
		const struct channel_kind_info *info = &channel_kinds[ck];
		size_t i;

		for (i = 0, rc = 0; i < info->nparts && rc == 0; i++) {
			sbuf_adds(out, info->parts[i].shown_as);
			rc = template_render(ts, locale, kind,
					     info->parts[i].suffix, t, out,
					     err);
		}
	} else if (ck == CHANNEL_SMS) {
		rc = template_render_sms(ts, locale, kind, t,
					 cfg->sms.max_parts, out, fit, err);
	} else {
		rc = template_render(ts, locale, kind, channel, t, out, err);
	}
	return rc;
}

/* How the SMS fits; 0 when it is over max_parts. */
static int
sms_fit_print(const struct config *cfg, const struct sms_fit *fit)
{
	char how[SMS_FIT_HOW];

	sms_fit_describe(fit, how, sizeof(how));
	printf("-- %d SMS part%s, %s, %zu units%s%s\n", fit->len.parts,
	       fit->len.parts == 1 ? "" : "s",
	       fit->len.ucs2 ? "UCS-2" : "GSM-7", fit->len.units,
	       how[0] ? "; " : "", how);
	if (fit->fits)
		return 1;
	printf("-- over [sms] max_parts = %d: not sent, the notice goes to "
	       "the next contact\n",
	       cfg->sms.max_parts);
	return 0;
}

static int
cmd_template(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"locale", 1, NULL, 0},
			     {"account", 1, NULL, 0},
			     {"date", 1, NULL, 0},
			     {"name", 1, NULL, 0}};
	const char *pos[3], *locale;
	char date[DATE_LEN];
	struct notice_context nc;
	struct template_set *ts;
	struct sms_fit fit;
	struct fg_err err;
	struct sbuf out;
	struct db db;
	size_t npos;
	int rc, found, ck;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 3,
			     &npos)) != 0)
		return rc;
	if (npos != 3 || strcmp(pos[0], "render") != 0)
		return usage("template: expected 'template render KIND "
			     "CHANNEL'",
			     NULL);
	if ((rc = business_date(cfg, opts[2].value, date)) != 0)
		return rc;
	if (opts[1].set && strncmp(pos[1], "outage", 6) == 0)
		return usage("template: outage notices render with a sample "
			     "outage; drop --account (what a customer "
			     "received is in `feegate log %s`)",
			     opts[1].value);
	ts = load_templates(cfg, &err);
	if (ts == NULL) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		return EXIT_USAGE;
	}
	memset(&nc, 0, sizeof(nc));
	if (opts[1].set) {
		if ((rc = open_db(&db, cfg, 1)) != 0) {
			template_set_free(ts);
			return rc;
		}
		rc = context_load(&db, cfg, opts[1].value, date, &nc, &found,
				  &err);
		db_close(&db);
		if (rc != 0 || !found) {
			fprintf(stderr, "feegate: template: %s\n",
				rc ? err.msg : "no such account in billing");
			template_set_free(ts);
			context_free(&nc);
			return 1;
		}
	} else {
		sample_context(&nc, cfg, opts[0].value, opts[3].value, date);
	}
	locale = opts[0].value ? opts[0].value : template_locale(nc.locale);
	sbuf_init(&out);
	ck = channel_kind_find(pos[2]);
	rc = render_kind(ts, cfg, locale, pos[1], pos[2], &nc.t, &out, &fit,
			 &err);
	if (rc != 0) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		rc = EXIT_USAGE;
	} else {
		/* As rendered, with a line end only where it has none. */
		fputs(out.s, stdout);
		if (out.len == 0 || out.s[out.len - 1] != '\n')
			putchar('\n');
		if (ck == CHANNEL_SMS && !sms_fit_print(cfg, &fit))
			rc = 1;
	}
	sbuf_free(&out);
	context_free(&nc);
	template_set_free(ts);
	return rc;
}

/* A password from standard input: its first line (a terminal is not
 * asked twice; scripts pipe it in). */
static char *
read_password(void)
{
	char buf[STAFF_PASSWORD_MAX + 4];
	size_t n;

	if (isatty(STDIN_FILENO))
		fputs("password (one line): ", stderr);
	if (fgets(buf, sizeof(buf), stdin) == NULL)
		return NULL;
	n = strcspn(buf, "\r\n");
	buf[n] = '\0';
	return xstrdup(buf);
}

static int
cmd_staff(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"role", 1, NULL, 0},
			     {"grid", 1, NULL, 0},
			     {"name", 1, NULL, 0}};
	const char *pos[2];
	struct fg_err err;
	char *pw = NULL;
	struct db db;
	size_t npos;
	int rc;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 2,
			     &npos)) != 0)
		return rc;
	if (npos == 1 && strcmp(pos[0], "list") == 0) {
		if ((rc = open_db(&db, cfg, 0)) != 0)
			return rc;
		rc = staff_list(&db, stdout, &err);
		goto done;
	}
	if (npos != 2 ||
	    (strcmp(pos[0], "add") != 0 && strcmp(pos[0], "passwd") != 0 &&
	     strcmp(pos[0], "disable") != 0))
		return usage("staff: expected 'staff add|passwd|disable USER' "
			     "or 'staff list'",
			     NULL);
	if (strcmp(pos[0], "add") == 0 && !opts[0].set)
		return usage("staff add: --role agent|supervisor|collector",
			     NULL);
	if (strcmp(pos[0], "disable") != 0 && (pw = read_password()) == NULL)
		return usage("staff: the password comes on standard input",
			     NULL);
	if ((rc = open_db(&db, cfg, 0)) != 0) {
		free(pw);
		return rc;
	}
	if (strcmp(pos[0], "add") == 0)
		rc = staff_add(&db, pos[1], opts[2].value, opts[0].value,
			       opts[1].value, pw, &err);
	else if (strcmp(pos[0], "passwd") == 0)
		rc = staff_set_password(&db, pos[1], pw, &err);
	else
		rc = staff_disable(&db, pos[1], &err);
	if (rc == 1)
		err_set(&err, "%s: %s", pos[1],
			strcmp(pos[0], "add") == 0 ? "the name is taken"
						   : "no such user");
	else if (rc == 0)
		printf("staff: %s %s\n", pos[1],
		       strcmp(pos[0], "add") == 0      ? "added"
		       : strcmp(pos[0], "passwd") == 0 ? "has a new password"
						       : "disabled");
done:
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	db_close(&db);
	if (rc != 0) {
		fprintf(stderr, "feegate: staff: %s\n", err.msg);
		return 1;
	}
	return 0;
}

/* `config check`: what serve checks before it starts, nothing started;
 * `config show`: the configuration in effect. */
static int
cmd_config(const struct config *cfg, int argc, char **argv)
{
	struct opt opts[] = {{"offline", 0, NULL, 0}};
	const char *pos[1];
	struct template_set *ts;
	struct fg_err err;
	struct db db;
	size_t npos;
	int rc, k, n = 0;

	if ((rc = parse_opts(argc, argv, opts, FG_NELEM(opts), pos, 1,
			     &npos)) != 0)
		return rc;
	if (npos == 1 && strcmp(pos[0], "show") == 0 && !opts[0].set) {
		config_show(cfg, stdout);
		return 0;
	}
	if (npos != 1 || strcmp(pos[0], "check") != 0)
		return usage("config: expected 'config check [--offline]' or "
			     "'config show'",
			     NULL);
	if (!any_channel(cfg)) {
		fprintf(stderr,
			"feegate: [channels]: no provider configured\n");
		return EXIT_USAGE;
	}
	if ((ts = load_templates(cfg, &err)) == NULL ||
	    dispatch_check(cfg, &err) != 0) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		template_set_free(ts);
		return EXIT_USAGE;
	}
	template_set_free(ts);
	for (k = 0; k < CHANNEL_KINDS; k++)
		n += cfg->channels.provider[k] != NULL;
	printf("config check: %s: the configuration, the templates and the "
	       "providers of %d channel%s are usable\n",
	       cfg->path ? cfg->path : "(defaults)", n, n == 1 ? "" : "s");
	if (opts[0].set)
		return 0;
	/* The schema's version and the billing contract, as serve reads
	 * them before it starts. */
	if ((rc = open_db(&db, cfg, 1)) != 0)
		return rc;
	db_close(&db);
	printf("config check: the gateway schema %s is current and billing "
	       "schema %s meets the contract\n",
	       cfg->db.gateway_schema, cfg->db.billing_schema);
	return 0;
}

static int
cmd_run(const struct config *cfg, int argc, char **argv)
{
	return cmd_night(cfg, STEP_PLAN | STEP_DISPATCH | STEP_ESCALATE, argc,
			 argv);
}

static int
cmd_plan(const struct config *cfg, int argc, char **argv)
{
	return cmd_night(cfg, STEP_PLAN, argc, argv);
}

static int
cmd_escalate(const struct config *cfg, int argc, char **argv)
{
	return cmd_night(cfg, STEP_ESCALATE, argc, argv);
}

static int
cmd_send(const struct config *cfg, int argc, char **argv)
{
	return cmd_dispatch(cfg, 0, argc, argv);
}

static int
cmd_serve(const struct config *cfg, int argc, char **argv)
{
	return cmd_dispatch(cfg, 1, argc, argv);
}

/* Every command: its name, what runs it, and its lines of the usage (the
 * synopsis, then what it does, aligned at column 36). */
static const struct command {
	const char *name;
	int (*run)(const struct config *cfg, int argc, char **argv);
	const char *help;
} commands[] = {
	{"db", cmd_db,
	 "  db migrate                       create or upgrade the gateway "
	 "schema\n"},
	{"config", cmd_config,
	 "  config check [--offline]         what serve checks before it "
	 "starts (providers,\n"
	 "                                   templates, the database and "
	 "billing), nothing started\n"
	 "  config show                      the configuration in effect, "
	 "secrets as (from FILE)\n"},
	{"run", cmd_run,
	 "  run [--date D] [--now \"D HH:MM\"]  one nightly pass: plan, send, "
	 "wait for receipts,\n"
	 "                                   escalate; summary\n"},
	{"dispatch", cmd_send,
	 "  dispatch [--now \"D HH:MM\"]       send what is due now, wait for "
	 "receipts\n"},
	{"serve", cmd_serve,
	 "  serve [--now \"D HH:MM\"]          daemon: continuous sending, "
	 "receipts, nightly pass\n"},
	{"plan", cmd_plan,
	 "  plan [--date D] [--now \"D HH:MM\"]\n"
	 "                                   settle, fail due notices, open "
	 "cases, plan notices\n"
	 "                                   and outage notices\n"},
	{"escalate", cmd_escalate,
	 "  escalate [--date D]              fail due notices, raise "
	 "collection tasks\n"},
	{"billing", cmd_billing,
	 "  billing check [--json] [--date D]\n"
	 "                                   the billing contract as feegate "
	 "sees it: every\n"
	 "                                   column, usable or why not; the "
	 "rows a night\n"
	 "                                   would refuse; reads that scan\n"},
	{"tasks", cmd_tasks,
	 "  tasks [--state S] [--grid G] [--after ID] [--limit N] [--json]\n"
	 "                                   manual collection tasks, in "
	 "task order\n"},
	{"log", cmd_log,
	 "  log ACCOUNT|PHONE [--json]       one customer's timeline\n"},
	{"report", cmd_report,
	 "  report [--from D] [--to D] [--json]\n"
	 "                                   collection results over a range "
	 "of nights\n"},
	{"audit", cmd_audit,
	 "  audit verify [--archive FILE | --since-last]\n"
	 "                                   check the audit hash chain (and an "
	 "archive;\n"
	 "                                   or from where the last check left "
	 "it)\n"
	 "  audit checkpoint --before D [--archive FILE]\n"
	 "                                   archive and remove rows before D "
	 "(administrator)\n"},
	{"purge", cmd_purge,
	 "  purge [--date D]                 drop what [retention] no longer "
	 "keeps\n"},
	{"token", cmd_token,
	 "  token add NAME --scope S[,S]     a new API client's token, shown "
	 "once\n"},
	{"staff", cmd_staff,
	 "  staff add USER --role agent|supervisor|collector [--grid G] "
	 "[--name N]\n"
	 "  staff passwd USER | staff disable USER | staff list\n"
	 "                                   call-centre accounts (password "
	 "on stdin)\n"},
	{"bounce", cmd_bounce,
	 "  bounce                           read one bounce (a DSN) on "
	 "standard input and\n"
	 "                                   record what it says (Postfix "
	 "pipe, aliases)\n"},
	{"template", cmd_template,
	 "  template render KIND CHANNEL [--locale L] [--account A] [--date D]\n"
	 "                  [--name N]\n"
	 "                                   a message as it would be sent;"
	 " CHANNEL:\n"
	 "                                   sms, email, voice, push (or "
	 "email.subject,\n"
	 "                                   email.txt, email.html)\n"},
};

/* The usage: every command's, or only the one named. */
static void
usage_print(FILE *out, const char *only)
{
	size_t i;

	fputs(only != NULL ? "usage: feegate [-c FILE]\n"
			   : "usage: feegate [-c FILE] COMMAND [ARGS]\n\n",
	      out);
	for (i = 0; i < FG_NELEM(commands); i++)
		if (only == NULL || strcmp(only, commands[i].name) == 0)
			fputs(commands[i].help, out);
	fputs("\nD is a business date YYYY-MM-DD (default: today in [dunning] "
	      "timezone).\n"
	      "FILE defaults to $FEEGATE_CONFIG, else /etc/feegate/feegate.ini "
	      "if present.\n",
	      out);
	if (only == NULL)
		fputs("feegate --version; feegate COMMAND --help\n", out);
}

static const struct command *
command_find(const char *name)
{
	size_t i;

	for (i = 0; i < FG_NELEM(commands); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* --help or -h among a command's arguments (before a lone "--"). */
static int
asks_help(int argc, char **argv)
{
	int i;

	for (i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	const char *cfgpath = getenv("FEEGATE_CONFIG");
	const struct command *command;
	struct config cfg;
	struct fg_err err;
	int c, rc;

	if (cfgpath != NULL && *cfgpath == '\0')
		cfgpath = NULL;
	metrics_build(FEEGATE_VERSION);
	while ((c = getopt_long(argc, argv, "+c:hV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'h':
			usage_print(stdout, NULL);
			return 0;
		case 'V':
			printf("feegate %s\n", FEEGATE_VERSION);
			return 0;
		default:
			return usage(NULL, NULL);
		}
	}
	if (optind >= argc)
		return usage("which command?", NULL);
	/* Known, and asking only for help: nothing read yet. */
	if ((command = command_find(argv[optind])) == NULL)
		return usage("unknown command '%s'", argv[optind]);
	argc -= optind + 1;
	argv += optind + 1;
	if (asks_help(argc, argv)) {
		usage_print(stdout, command->name);
		return 0;
	}
	if (cfgpath == NULL && access("/etc/feegate/feegate.ini", R_OK) == 0)
		cfgpath = "/etc/feegate/feegate.ini";
	if (config_load(&cfg, cfgpath, &err) != 0) {
		fprintf(stderr, "feegate: %s\n", err.msg);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	if (log_open(cfg.log.file, cfg.log.level) != 0) {
		fprintf(stderr, "feegate: %s: [log] file: cannot open %s: %m\n",
			cfgpath, cfg.log.file);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	rc = command->run(&cfg, argc, argv);
	log_close();
	config_free(&cfg);
	mysql_library_end();
	return rc;
}
