/*
 * config.c: see config.h. The keys are one declarative table: section, key,
 * type, where the value goes, and its bounds.
 */
#include "base/config.h"

#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/money.h"

enum key_type {
	KEY_STRING,
	KEY_SECRET, /* a string never echoed in errors */
	KEY_INT,
	KEY_MONEY,
	KEY_LEVEL,
	KEY_SCHEMA,
	KEY_RATE, /* "0.001" per day, stored as parts per million */
	KEY_COST, /* "0.045" yuan, stored in micro-yuan */
	KEY_BOOL, /* yes | no */
};

struct key {
	const char *section;
	const char *name;
	enum key_type type;
	size_t offset;
	long long min, max;
};

#define OFF(field) offsetof(struct config, field)

static const struct key keys[] = {
	{"database", "socket", KEY_STRING, OFF(db.socket), 0, 0},
	{"database", "host", KEY_STRING, OFF(db.host), 0, 0},
	{"database", "port", KEY_INT, OFF(db.port), 1, 65535},
	{"database", "user", KEY_STRING, OFF(db.user), 0, 0},
	{"database", "password", KEY_SECRET, OFF(db.password), 0, 0},
	{"database", "password_file", KEY_STRING, OFF(db.password_file), 0, 0},
	{"database", "gateway_schema", KEY_SCHEMA, OFF(db.gateway_schema), 0,
	 0},
	{"database", "billing_schema", KEY_SCHEMA, OFF(db.billing_schema), 0,
	 0},
	{"database", "billing_replica", KEY_SCHEMA, OFF(db.billing_replica), 0,
	 0},
	{"database", "max_billing_lag", KEY_INT, OFF(db.max_billing_lag), 1,
	 86400},
	{"database", "connect_timeout", KEY_INT, OFF(db.connect_timeout), 1,
	 600},
	{"database", "lock_timeout", KEY_INT, OFF(db.lock_timeout), 0, 86400},
	{"database", "lock_wait", KEY_INT, OFF(db.lock_wait), 1, 3600},
	{"database", "reconnect_for", KEY_INT, OFF(db.reconnect_for), 0, 86400},
	{"database", "night_connections", KEY_INT, OFF(db.night_connections), 1,
	 NIGHT_MAX_CONNECTIONS},
	{"dunning", "grace_days", KEY_INT, OFF(dunning.grace_days), 0, 365},
	{"dunning", "step_days", KEY_INT, OFF(dunning.step_days), 1, 365},
	{"dunning", "notices", KEY_INT, OFF(dunning.notices), 1, 10},
	{"dunning", "min_amount", KEY_MONEY, OFF(dunning.min_amount), 1,
	 MONEY_MAX_CENTS},
	{"dunning", "max_bill_amount", KEY_MONEY, OFF(dunning.max_bill_amount),
	 1, MONEY_MAX_CENTS},
	{"dunning", "timezone", KEY_STRING, OFF(dunning.timezone), 0, 0},
	{"dunning", "late_fee_per_day", KEY_RATE, OFF(dunning.late_fee_ppm), 0,
	 100000},
	{"dunning", "channel_order", KEY_STRING, OFF(dunning.channel_order), 0,
	 0},
	/* One key a channel kind (kinds.h), name NULL: */
	{"costs", NULL, KEY_COST, OFF(costs.unit), 0, 100000000},
	{"outage", "planned_notice_days", KEY_INT,
	 OFF(outage.planned_notice_days), 1, 60},
	{"outage", "temporary_notice_hours", KEY_INT,
	 OFF(outage.temporary_notice_hours), 1, 240},
	{"outage", "reminder_days", KEY_INT, OFF(outage.reminder_days), 0, 30},
	{"outage", "restored", KEY_BOOL, OFF(outage.restored), 0, 1},
	{"outage", "check_every", KEY_INT, OFF(outage.check_every), 5, 86400},
	{"retention", "message_days", KEY_INT, OFF(retention.message_days), 1,
	 36500},
	{"retention", "access_days", KEY_INT, OFF(retention.access_days), 1,
	 36500},
	{"retention", "history_days", KEY_INT, OFF(retention.history_days), 1,
	 36500},
	{"retention", "input_error_days", KEY_INT,
	 OFF(retention.input_error_days), 1, 36500},
	{"outage", "large_contacts", KEY_INT, OFF(outage.large_contacts), 1,
	 1000},
	{"api", "token_file", KEY_STRING, OFF(api.token_file), 0, 0},
	{"api", "tokens_file", KEY_STRING, OFF(api.tokens_file), 0, 0},
	{"metrics", "listen", KEY_STRING, OFF(metrics.listen), 0, 0},
	{"metrics", "port", KEY_INT, OFF(metrics.port), 0, 65535},
	{"api", "max_body", KEY_INT, OFF(api.max_body), 256, 1048576},
	{"caps", "routine_per_day", KEY_INT, OFF(caps.routine_per_day), 0,
	 1000},
	{"web", "listen", KEY_STRING, OFF(web.listen), 0, 0},
	{"web", "port", KEY_INT, OFF(web.port), 0, 65535},
	{"web", "idle_minutes", KEY_INT, OFF(web.idle_minutes), 1, 1440},
	{"web", "session_hours", KEY_INT, OFF(web.session_hours), 1, 168},
	{"web", "secure_cookies", KEY_BOOL, OFF(web.secure_cookies), 0, 1},
	{"web", "trusted_proxies", KEY_STRING, OFF(web.trusted_proxies), 0, 0},
	{"templates", "dir", KEY_STRING, OFF(templates.dir), 0, 0},
	{"templates", "strings", KEY_STRING, OFF(templates.strings), 0, 0},
	{"sms", "max_parts", KEY_INT, OFF(sms.max_parts), 1, 10},
	{"voice", "max_attempts", KEY_INT, OFF(voice.max_attempts), 1, 10},
	{"voice", "retry_after", KEY_INT, OFF(voice.retry_after), 60, 86400},
	{"dispatch", "batch", KEY_INT, OFF(dispatch.batch), 1, 5000},
	{"dispatch", "claimers", KEY_INT, OFF(dispatch.claimers), 1,
	 DISPATCH_CLAIMERS_MAX},
	{"dispatch", "lease", KEY_INT, OFF(dispatch.lease), 5, 86400},
	{"dispatch", "max_attempts", KEY_INT, OFF(dispatch.max_attempts), 1,
	 100},
	{"dispatch", "backoff_min", KEY_INT, OFF(dispatch.backoff_min), 1,
	 86400},
	{"dispatch", "backoff_max", KEY_INT, OFF(dispatch.backoff_max), 1,
	 604800},
	{"dispatch", "expire_after", KEY_INT, OFF(dispatch.expire_after), 60,
	 2592000},
	{"dispatch", "receipt_wait", KEY_INT, OFF(dispatch.receipt_wait), 0,
	 86400},
	{"dispatch", "owner", KEY_STRING, OFF(dispatch.owner), 0, 0},
	{"dunning", "calling_window", KEY_STRING, OFF(dispatch.calling_window),
	 0, 0},
	{"receipts", "listen", KEY_STRING, OFF(receipts.listen), 0, 0},
	{"receipts", "port", KEY_INT, OFF(receipts.port), 0, 65535},
	{"receipts", "public_url", KEY_STRING, OFF(receipts.public_url), 0, 0},
	{"schedule", "nightly_at", KEY_STRING, OFF(schedule.nightly_at), 0, 0},
	{"channels", NULL, KEY_STRING, OFF(channels.provider), 0, 0},
	{"log", "file", KEY_STRING, OFF(log.file), 0, 0},
	{"log", "level", KEY_LEVEL, OFF(log.level), 0, 0},
};

struct parse_state {
	struct config *cfg;
	/* The keys set so far, "section\nname", and the line of each: a key
	 * set twice is a mistake, not "the last one wins". */
	char **seen;
	int *seen_line;
	size_t nseen;
};

/* Generic line-numbered INI reading (also used for templates' strings.ini):
 * inih's own handler is not told the line, so a counting reader is. */
struct ini_state {
	FILE *fp;
	const char *path;
	int line;
	int err_line; /* first line at fault, 0 if none */
	ini_line_handler fn;
	void *user;
	struct fg_err *err;
};

static void
ini_bad(struct ini_state *st, const char *msg)
{
	if (st->err_line != 0)
		return;
	st->err_line = st->line;
	err_set(st->err, "%s:%d: %s", st->path, st->line, msg);
}

static int
counted_handler(void *user, const char *section, const char *name,
		const char *value)
{
	struct ini_state *st = user;
	char msg[400];

	msg[0] = '\0';
	if (st->fn(st->user, st->line, section, name, value, msg,
		   sizeof(msg)) != 0) {
		ini_bad(st, msg);
		return 0;
	}
	return 1;
}

static char *
counted_reader(char *str, int num, void *stream)
{
	struct ini_state *st = stream;
	size_t n;

	int c = EOF;

	/* By hand rather than fgets: a NUL byte must not pass for the end of
	 * the line. */
	for (n = 0; (int)n < num - 1 && (c = fgetc(st->fp)) != EOF;) {
		str[n++] = (char)c;
		if (c == '\n')
			break;
	}
	if (n == 0)
		return NULL;
	str[n] = '\0';
	st->line++;
	if (memchr(str, '\0', n) != NULL) {
		ini_bad(st, "a NUL byte: not a text file?");
		str[0] = '\0';
		return str;
	}
	if (!utf8_valid(str, n)) {
		ini_bad(st, "not valid UTF-8");
		str[0] = '\0';
		return str;
	}
	if (c != '\n' && c != EOF && !feof(st->fp)) {
		char msg[64];

		snprintf(msg, sizeof(msg), "line longer than %d characters",
			 num - 2);
		ini_bad(st, msg);
		while ((c = fgetc(st->fp)) != EOF && c != '\n')
			;
		str[0] = '\0';
	}
	return str;
}

int
ini_file_parse(const char *path, ini_line_handler fn, void *user,
	       struct fg_err *err)
{
	struct ini_state st = {.path = path,
			       .fn = fn,
			       .user = user,
			       .err = err};
	int rc;

	st.fp = fopen(path, "r");
	if (st.fp == NULL) {
		err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(counted_reader, &st, counted_handler, &st);
	fclose(st.fp);
	if (st.err_line != 0)
		return -1;
	if (rc != 0) {
		err_set(err,
			"%s:%d: syntax error (expected [section], key = value, "
			"or a ; comment)",
			path, rc);
		return -1;
	}
	return 0;
}

/* [dunning] channel_order: channels named once each, in the order
 * dunning notices should try them, into channel_rank. */
static int
channel_order(struct config *cfg, const char *where, struct fg_err *err)
{
	char *copy, *tok, *save = NULL;
	int rank = 0, k;

	memset(cfg->dunning.channel_rank, 0, sizeof(cfg->dunning.channel_rank));
	if (cfg->dunning.channel_order == NULL)
		return 0;
	copy = xstrdup(cfg->dunning.channel_order);
	for (tok = strtok_r(copy, ", ", &save); tok != NULL;
	     tok = strtok_r(NULL, ", ", &save)) {
		k = channel_kind_find(tok);
		if (k < 0 || cfg->dunning.channel_rank[k] != 0) {
			struct sbuf all;
			int i;

			sbuf_init(&all);
			for (i = 0; i < CHANNEL_KINDS; i++)
				sbuf_addf(&all, "%s%s", i ? ", " : "",
					  channel_kinds[i].name);
			err_set(err,
				"%s: [dunning] channel_order: '%s' %s (%s, "
				"each once)",
				where, tok,
				k < 0 ? "is not a channel" : "named twice",
				all.s);
			sbuf_free(&all);
			free(copy);
			return -1;
		}
		cfg->dunning.channel_rank[k] = ++rank;
	}
	free(copy);
	if (rank == 0) {
		err_set(err, "%s: [dunning] channel_order: empty", where);
		return -1;
	}
	return 0;
}

static void
defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->db.port = 3306;
	cfg->db.user = xstrdup("feegate");
	cfg->db.gateway_schema = xstrdup("feegate");
	cfg->db.billing_schema = xstrdup("billing");
	cfg->db.max_billing_lag = 600;
	cfg->db.connect_timeout = 10;
	cfg->db.lock_timeout = 600;
	cfg->db.lock_wait = 50;
	cfg->db.reconnect_for = 300;
	cfg->db.night_connections = 2;
	cfg->dunning.grace_days = 0;
	cfg->dunning.step_days = 7;
	cfg->dunning.notices = 3;
	cfg->dunning.min_amount = 100;
	cfg->dunning.max_bill_amount = 1000000000; /* 10,000,000.00 */
	cfg->dunning.timezone = xstrdup("Asia/Shanghai");
	cfg->outage.planned_notice_days = 7;
	cfg->outage.temporary_notice_hours = 24;
	cfg->outage.reminder_days = 1;
	cfg->outage.check_every = 600;
	cfg->retention.message_days = 180;
	cfg->retention.access_days = 365;
	cfg->retention.history_days = 1095;
	cfg->retention.input_error_days = 90;
	cfg->outage.large_contacts = 10;
	cfg->api.max_body = 16384;
	cfg->caps.routine_per_day = 3;
	cfg->web.listen = xstrdup("127.0.0.1");
	cfg->metrics.listen = xstrdup("127.0.0.1");
	cfg->web.idle_minutes = 15;
	cfg->web.session_hours = 12;
	cfg->sms.max_parts = 3;
	cfg->voice.max_attempts = 3;
	cfg->voice.retry_after = 1800;
	cfg->dispatch.batch = 200;
	cfg->dispatch.claimers = 2;
	cfg->dispatch.lease = 120;
	cfg->dispatch.max_attempts = 5;
	cfg->dispatch.backoff_min = 30;
	cfg->dispatch.backoff_max = 3600;
	cfg->dispatch.expire_after = 43200;
	cfg->dispatch.receipt_wait = 60;
	cfg->dispatch.calling_window = xstrdup("08:00-21:00");
	cfg->receipts.listen = xstrdup("127.0.0.1");
	cfg->receipts.port = 8025;
	cfg->schedule.nightly_at = xstrdup("01:00");
	cfg->log.level = LOG_LEVEL_INFO;
}

int
config_valid_schema(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 64)
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* A message for ini_file_parse; returns -1 so handlers can `return bad()`. */
static int bad(char *msg, size_t len, const char *fmt, ...)
	FG_ATTR_PRINTF(3, 4);

static int
bad(char *msg, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, len, fmt, ap);
	va_end(ap);
	return -1;
}

static int
set_key(struct parse_state *ps, const struct key *k, const char *value,
	char *msg, size_t len)
{
	char *base = (char *)ps->cfg + k->offset;
	long long v;

	switch (k->type) {
	case KEY_SCHEMA:
		if (!config_valid_schema(value))
			return bad(msg, len,
				   "[%s] %s: a schema name is 1-64 letters, "
				   "digits or '_' (got '%s')",
				   k->section, k->name, value);
		/* FALLTHROUGH */
	case KEY_STRING:
	case KEY_SECRET:
		free(*(char **)base);
		*(char **)base = xstrdup(value);
		return 0;
	case KEY_INT:
		if (parse_ll(value, k->min, k->max, &v) != 0)
			return bad(msg, len,
				   "[%s] %s: must be a whole number from %lld "
				   "to %lld (got '%s')",
				   k->section, k->name, k->min, k->max, value);
		*(int *)base = (int)v;
		return 0;
	case KEY_MONEY:
		if (money_parse(value, &v) != 0 || v < k->min || v > k->max)
			return bad(msg, len,
				   "[%s] %s: must be a positive amount with at "
				   "most two decimals, like 1.00 (got '%s')",
				   k->section, k->name, value);
		*(long long *)base = v;
		return 0;
	case KEY_RATE:
		if (ppm_parse(value, &v) != 0 || v < k->min || v > k->max)
			return bad(msg, len,
				   "[%s] %s: must be a rate like 0.001 (0.1%% "
				   "a day), at most 0.1 (got '%s')",
				   k->section, k->name, value);
		*(long long *)base = v;
		return 0;
	case KEY_COST:
		if (ppm_parse(value, &v) != 0 || v < k->min || v > k->max)
			return bad(msg, len,
				   "[%s] %s: must be an amount in yuan like "
				   "0.045, at most six decimals and 100 (got "
				   "'%s')",
				   k->section, k->name, value);
		*(long long *)base = v;
		return 0;
	case KEY_BOOL:
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
			return bad(msg, len,
				   "[%s] %s: must be yes or no (got '%s')",
				   k->section, k->name, value);
		*(int *)base = strcmp(value, "yes") == 0;
		return 0;
	case KEY_LEVEL:
		if (log_level_parse(value, (enum log_level *)base) != 0)
			return bad(msg, len,
				   "[%s] %s: must be error, warn, info or "
				   "debug (got '%s')",
				   k->section, k->name, value);
		return 0;
	}
	return bad(msg, len, "internal: key type");
}

static int
provider_key(struct config *cfg, int line, const char *pname, const char *key,
	     const char *value, char *msg, size_t len)
{
	struct provider_cfg *p = NULL;
	size_t i;

	if (!config_valid_schema(pname))
		return bad(msg, len,
			   "[provider:%s]: a provider name is letters, digits "
			   "or '_'",
			   pname);
	for (i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, pname) == 0)
			p = &cfg->providers[i];
	if (p == NULL) {
		if (cfg->nproviders == CONFIG_MAX_PROVIDERS)
			return bad(msg, len, "more than %d providers",
				   CONFIG_MAX_PROVIDERS);
		p = &cfg->providers[cfg->nproviders++];
		p->name = xstrdup(pname);
		p->line = line;
	}
	for (i = 0; i < p->nkv; i++)
		if (strcmp(p->kv[i].key, key) == 0)
			return bad(msg, len, "[provider:%s] %s: set twice",
				   pname, key);
	p->kv = xrealloc(p->kv, (p->nkv + 1) * sizeof(*p->kv));
	p->kv[p->nkv].key = xstrdup(key);
	p->kv[p->nkv].value = xstrdup(value);
	p->kv[p->nkv].line = line;
	p->nkv++;
	return 0;
}

const char *
provider_get(const struct provider_cfg *p, const char *key)
{
	size_t i;

	for (i = 0; i < p->nkv; i++) {
		if (strcmp(p->kv[i].key, key) == 0)
			return p->kv[i].value;
	}
	return NULL;
}

const struct provider_cfg *
config_provider(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->nproviders; i++)
		if (strcmp(cfg->providers[i].name, name) == 0)
			return &cfg->providers[i];
	return NULL;
}

/* "HH:MM" as minutes after midnight, or -1. */
static int
parse_hhmm(const char *s)
{
	if (strlen(s) != 5 || s[2] != ':' || strspn(s, "0123456789:") != 5)
		return -1;
	if ((s[0] - '0') * 10 + (s[1] - '0') > 24 || (s[3] - '0') > 5)
		return -1;
	return ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 +
	       (s[4] - '0');
}

/* Bytes a value of type takes in struct config (keys of every channel
 * kind are arrays of them). */
static size_t
key_size(enum key_type type)
{
	switch (type) {
	case KEY_STRING:
	case KEY_SECRET:
	case KEY_SCHEMA:
		return sizeof(char *);
	case KEY_LEVEL:
		return sizeof(enum log_level);
	case KEY_BOOL:
	case KEY_INT:
		return sizeof(int);
	case KEY_MONEY:
	case KEY_RATE:
	case KEY_COST:
		return sizeof(long long);
	}
	return 0;
}

/* Whether [section] name was set before (the message names its line);
 * else remembered. */
static int
set_before(struct parse_state *ps, int line, const char *section,
	   const char *name, char *msg, size_t len)
{
	char *key = xasprintf("%s\n%s", section, name);
	size_t i;

	for (i = 0; i < ps->nseen; i++)
		if (strcmp(ps->seen[i], key) == 0) {
			free(key);
			return bad(msg, len,
				   "[%s] %s: set twice (first on line %d)",
				   section, name, ps->seen_line[i]);
		}
	ps->seen = xrealloc(ps->seen, (ps->nseen + 1) * sizeof(*ps->seen));
	ps->seen_line = xrealloc(ps->seen_line,
				 (ps->nseen + 1) * sizeof(*ps->seen_line));
	ps->seen[ps->nseen] = key;
	ps->seen_line[ps->nseen++] = line;
	return 0;
}

static int
handler(void *user, int line, const char *section, const char *name,
	const char *value, char *msg, size_t len)
{
	struct parse_state *ps = user;
	int known_section = 0;
	size_t i;

	if (strncmp(section, "provider:", 9) != 0 &&
	    set_before(ps, line, section, name, msg, len) != 0)
		return -1;
	if (strncmp(section, "provider:", 9) == 0)
		return provider_key(ps->cfg, line, section + 9, name, value,
				    msg, len);
	for (i = 0; i < FG_NELEM(keys); i++) {
		if (strcmp(keys[i].section, section) != 0)
			continue;
		known_section = 1;
		if (keys[i].name == NULL) {
			struct key each = keys[i];
			int k = channel_kind_find(name);

			if (k < 0)
				continue;
			each.name = channel_kinds[k].name;
			each.offset += (size_t)k * key_size(each.type);
			return set_key(ps, &each, value, msg, len);
		}
		if (strcmp(keys[i].name, name) == 0)
			return set_key(ps, &keys[i], value, msg, len);
	}
	if (section[0] == '\0')
		return bad(msg, len,
			   "%s: outside any [section] (a ']' missing above?)",
			   name);
	if (!known_section)
		return bad(msg, len, "unknown section [%s]", section);
	return bad(msg, len, "[%s] %s: unknown key", section, name);
}

/* A secret from its file into *out: [section] key names the file. */
static int
read_secret(struct config *cfg, const char *where, const char *path, char **out,
	    struct fg_err *err)
{
	struct stat st;
	const char *why;
	char *v;

	if (stat(path, &st) == 0 && (st.st_mode & 0077) != 0)
		log_warnx("config: %s is readable by group or others; "
			  "chmod 600 it",
			  path);
	v = secret_file_read(path, &why);
	if (v == NULL) {
		err_set(err, "%s: %s: cannot use %s: %s", cfg->path, where,
			path, why);
		return -1;
	}
	if (*out != NULL)
		explicit_bzero(*out, strlen(*out));
	free(*out);
	*out = v;
	return 0;
}

static const struct {
	const char *name;
	unsigned int scope;
} scope_names[] = {
	{"notices:write", API_SCOPE_NOTICES_WRITE},
	{"timeline:read", API_SCOPE_TIMELINE_READ},
	{"tasks:read", API_SCOPE_TASKS_READ},
	{"metrics:read", API_SCOPE_METRICS_READ},
};

unsigned int
config_api_scopes(const char *list)
{
	unsigned int scopes = 0;
	const char *p = list;

	while (*p != '\0') {
		size_t n = strcspn(p, ","), i;
		unsigned int one = 0;

		for (i = 0; i < FG_NELEM(scope_names); i++)
			if (strlen(scope_names[i].name) == n &&
			    strncmp(p, scope_names[i].name, n) == 0)
				one = scope_names[i].scope;
		if (one == 0)
			return 0;
		scopes |= one;
		p += n + (p[n] == ',');
	}
	return scopes;
}

int
config_api_enabled(const struct config *cfg)
{
	return cfg->api.token != NULL || cfg->api.nclients > 0;
}

/* [api] tokens_file: a line per client, "NAME SCOPES SHA256-HEX";
 * blank lines and "#" comments allowed. Errors name FILE:LINE. */
static int
read_clients(struct config *cfg, struct fg_err *err)
{
	const char *path = cfg->api.tokens_file;
	FILE *f = fopen(path, "r");
	char line[512];
	int no = 0;

	if (f == NULL && errno == ENOENT)
		return 0; /* no client yet: `feegate token add` makes it */
	if (f == NULL) {
		err_set(err, "%s: [api] tokens_file: cannot read %s: %s",
			cfg->path, path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char name[64], scopes[160], hash[80], extra[2];
		struct api_client *c;
		size_t i;
		int n;

		no++;
		if (line[strspn(line, " \t\r\n")] == '\0' ||
		    line[strspn(line, " \t")] == '#')
			continue;
		n = sscanf(line, "%63s %159s %79s %1s", name, scopes, hash,
			   extra);
		if (n != 3 || strlen(name) > 32 ||
		    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
				 "qrstuvwxyz0123456789._-") != strlen(name) ||
		    config_api_scopes(scopes) == 0 || strlen(hash) != 64) {
			err_set(err,
				"%s:%d: expected NAME SCOPES SHA256 (scopes "
				"among notices:write, timeline:read, "
				"tasks:read, metrics:read, comma-separated)",
				path, no);
			fclose(f);
			return -1;
		}
		for (i = 0; i < cfg->api.nclients; i++)
			if (strcmp(cfg->api.clients[i].name, name) == 0) {
				err_set(err, "%s:%d: client %s given twice",
					path, no, name);
				fclose(f);
				return -1;
			}
		cfg->api.clients =
			xrealloc(cfg->api.clients,
				 (cfg->api.nclients + 1) * sizeof(*c));
		c = &cfg->api.clients[cfg->api.nclients];
		str_copy(c->name, name, sizeof(c->name));
		c->scopes = config_api_scopes(scopes);
		if (strspn(hash, "0123456789abcdef") != 64 ||
		    hex_decode(hash, c->hash, sizeof(c->hash)) != 0) {
			err_set(err,
				"%s:%d: the hash is 64 lowercase hex digits "
				"(SHA-256 of the token)",
				path, no);
			fclose(f);
			return -1;
		}
		cfg->api.nclients++;
	}
	fclose(f);
	return 0;
}

/* An IANA zone name with a file under /usr/share/zoneinfo (glibc would
 * silently take an unknown name for UTC). */
static int
valid_timezone(const char *tz)
{
	char path[256];

	if (strcmp(tz, "UTC") == 0)
		return 1;
	if (*tz == '\0' || *tz == '/' || strstr(tz, "..") != NULL ||
	    strspn(tz, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		       "0123456789/_+-") != strlen(tz))
		return 0;
	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	return access(path, R_OK) == 0;
}

/* Rules that concern several keys, checked once the file is read. */
/* "10.0.0.0/8, 192.0.2.7" into cfg->web.proxies; 0, or -1 with err. */
static int
parse_proxies(struct config *cfg, const char *where, struct fg_err *err)
{
	char *copy, *tok, *save = NULL;
	int rc = 0;

	cfg->web.nproxies = 0;
	if (cfg->web.trusted_proxies == NULL)
		return 0;
	copy = xstrdup(cfg->web.trusted_proxies);
	for (tok = strtok_r(copy, ", \t", &save); tok != NULL && rc == 0;
	     tok = strtok_r(NULL, ", \t", &save)) {
		char *slash = strchr(tok, '/'), given[64];
		long bits = 32;
		struct in_addr a;

		str_copy(given, tok, sizeof(given));
		if (slash != NULL) {
			*slash = '\0';
			if (parse_ll(slash + 1, 0, 32, &(long long){0}) != 0)
				bits = -1;
			else
				bits = strtol(slash + 1, NULL, 10);
		}
		if (bits < 0 || inet_pton(AF_INET, tok, &a) != 1 ||
		    cfg->web.nproxies == CONFIG_MAX_PROXIES) {
			err_set(err,
				"%s: [web] trusted_proxies: '%s' is not an "
				"IPv4 address or CIDR (at most %d of them)",
				where, given, CONFIG_MAX_PROXIES);
			rc = -1;
			break;
		}
		cfg->web.proxies[cfg->web.nproxies].mask =
			bits == 0 ? 0 : 0xffffffffu << (32 - bits);
		cfg->web.proxies[cfg->web.nproxies].net =
			ntohl(a.s_addr) &
			cfg->web.proxies[cfg->web.nproxies].mask;
		cfg->web.nproxies++;
	}
	free(copy);
	return rc;
}

int
config_trusted_proxy(const struct config *cfg, unsigned int a)
{
	size_t i;

	for (i = 0; i < cfg->web.nproxies; i++)
		if ((a & cfg->web.proxies[i].mask) == cfg->web.proxies[i].net)
			return 1;
	return 0;
}

/* The calling window, the nightly time (parsed once, here) and the
 * backoff's bounds. */
static int
check_times(struct config *cfg, const char *where, struct fg_err *err)
{
	const char *w = cfg->dispatch.calling_window;
	char a[8], b[8];

	if (strlen(w) != 11 || w[5] != '-') {
		cfg->dispatch.window_start = -1;
	} else {
		memcpy(a, w, 5);
		a[5] = '\0';
		memcpy(b, w + 6, 5);
		b[5] = '\0';
		cfg->dispatch.window_start = parse_hhmm(a);
		cfg->dispatch.window_end = parse_hhmm(b);
	}
	if (cfg->dispatch.window_start < 0 || cfg->dispatch.window_end < 0 ||
	    cfg->dispatch.window_end > 24 * 60 ||
	    cfg->dispatch.window_start >= cfg->dispatch.window_end) {
		err_set(err,
			"%s: [dunning] calling_window: '%s' is not "
			"HH:MM-HH:MM with the start before the end",
			where, w);
		return -1;
	}
	cfg->schedule.nightly_minute = parse_hhmm(cfg->schedule.nightly_at);
	if (cfg->schedule.nightly_minute < 0 ||
	    cfg->schedule.nightly_minute >= 24 * 60) {
		err_set(err, "%s: [schedule] nightly_at: '%s' is not HH:MM",
			where, cfg->schedule.nightly_at);
		return -1;
	}
	if (cfg->dispatch.backoff_min > cfg->dispatch.backoff_max) {
		err_set(err,
			"%s: [dispatch]: backoff_min is larger than "
			"backoff_max",
			where);
		return -1;
	}
	return 0;
}

static int
check(struct config *cfg, struct fg_err *err)
{
	const char *env;
	const char *where = cfg->path ? cfg->path : "(defaults)";

	if (cfg->db.socket == NULL && cfg->db.host == NULL) {
		env = getenv("FEEGATE_DB_SOCKET");
		if (env == NULL || *env == '\0') {
			err_set(err,
				"%s: [database]: set socket or host (or "
				"FEEGATE_DB_SOCKET in the environment)",
				where);
			return -1;
		}
		cfg->db.socket = xstrdup(env);
	}
	if (cfg->db.password != NULL && cfg->db.password_file != NULL) {
		err_set(err,
			"%s: [database]: password and password_file are both "
			"set; keep one",
			where);
		return -1;
	}
	if ((cfg->db.password_file != NULL &&
	     read_secret(cfg, "[database] password_file", cfg->db.password_file,
			 &cfg->db.password, err) != 0) ||
	    (cfg->api.token_file != NULL &&
	     read_secret(cfg, "[api] token_file", cfg->api.token_file,
			 &cfg->api.token, err) != 0) ||
	    (cfg->api.tokens_file != NULL && read_clients(cfg, err) != 0))
		return -1;
	if (strcmp(cfg->db.gateway_schema, cfg->db.billing_schema) == 0) {
		err_set(err,
			"%s: [database]: gateway_schema and billing_schema must "
			"differ (feegate never writes the billing schema)",
			where);
		return -1;
	}
	if (parse_proxies(cfg, where, err) != 0)
		return -1;
	if (!valid_timezone(cfg->dunning.timezone)) {
		err_set(err,
			"%s: [dunning] timezone: '%s' is not a time zone known to "
			"this system (like Asia/Shanghai)",
			where, cfg->dunning.timezone);
		return -1;
	}
	if (check_times(cfg, where, err) != 0)
		return -1;
	if (channel_order(cfg, where, err) != 0)
		return -1;
	if (cfg->dunning.min_amount > cfg->dunning.max_bill_amount) {
		err_set(err,
			"%s: [dunning]: min_amount is larger than "
			"max_bill_amount",
			where);
		return -1;
	}
	return 0;
}

int
config_load(struct config *cfg, const char *path, struct fg_err *err)
{
	struct parse_state ps = {.cfg = cfg};
	size_t i;
	int rc = 0;

	defaults(cfg);
	if (path != NULL) {
		cfg->path = xstrdup(path);
		rc = ini_file_parse(path, handler, &ps, err);
	}
	for (i = 0; i < ps.nseen; i++)
		free(ps.seen[i]);
	free(ps.seen);
	free(ps.seen_line);
	return rc != 0 ? -1 : check(cfg, err);
}

/* One key's value as the file would say it into buf; 0 when it is not
 * set (a string without a default). */
static int
key_value(const struct config *cfg, const struct key *k, int kind, char *buf,
	  size_t len)
{
	const char *base = (const char *)cfg + k->offset +
			   (kind >= 0 ? (size_t)kind * key_size(k->type) : 0);
	const char *str;

	switch (k->type) {
	case KEY_STRING:
	case KEY_SCHEMA:
		str = *(char *const *)base;
		if (str == NULL)
			return 0;
		snprintf(buf, len, "%s", str);
		return 1;
	case KEY_SECRET:
		if (*(char *const *)base == NULL)
			return 0;
		snprintf(buf, len, "(given here, not shown)");
		return 1;
	case KEY_INT:
		snprintf(buf, len, "%d", *(const int *)base);
		return 1;
	case KEY_MONEY:
		money_format(*(const long long *)base, buf, len);
		return 1;
	case KEY_RATE:
	case KEY_COST:
		ppm_format(*(const long long *)base, buf, len);
		return 1;
	case KEY_BOOL:
		snprintf(buf, len, "%s", *(const int *)base ? "yes" : "no");
		return 1;
	case KEY_LEVEL:
		snprintf(buf, len, "%s",
			 log_level_name(*(const enum log_level *)base));
		return 1;
	}
	return 0;
}

static void
show_key(const struct config *cfg, const struct key *k, int kind, FILE *out)
{
	const char *name = kind >= 0 ? channel_kinds[kind].name : k->name;
	char v[512];

	/* A password read from password_file: said where, commented out,
	 * so the output loads as a configuration again. */
	if (k->type == KEY_SECRET && cfg->db.password_file != NULL)
		fprintf(out, ";%s = (from %s)\n", name, cfg->db.password_file);
	else if (key_value(cfg, k, kind, v, sizeof(v)))
		fprintf(out, "%s = %s\n", name, v);
	else
		fprintf(out, ";%s =\n", name);
}

/* A provider's key: a URL's password (https://user:secret@host/) is not
 * shown. */
static void
show_provider_value(const char *key, const char *value, FILE *out)
{
	const char *scheme = strstr(value, "://"), *at, *colon;

	if (scheme != NULL && (at = strchr(scheme + 3, '@')) != NULL &&
	    at < scheme + 3 + strcspn(scheme + 3, "/?#") &&
	    (colon = memchr(scheme + 3, ':', (size_t)(at - scheme - 3))) !=
		    NULL) {
		fprintf(out, "%s = %.*s***%s\n", key, (int)(colon + 1 - value),
			value, at);
		return;
	}
	fprintf(out, "%s = %s\n", key, value);
}

void
config_show(const struct config *cfg, FILE *out)
{
	size_t i, j, n;
	int k;

	fprintf(out, "; the configuration in effect: %s and the defaults\n",
		cfg->path ? cfg->path : "(no file)");
	for (i = 0; i < FG_NELEM(keys); i++) {
		for (j = 0; j < i; j++)
			if (strcmp(keys[j].section, keys[i].section) == 0)
				break;
		if (j < i)
			continue; /* its section is shown */
		fprintf(out, "\n[%s]\n", keys[i].section);
		for (j = i; j < FG_NELEM(keys); j++) {
			if (strcmp(keys[j].section, keys[i].section) != 0)
				continue;
			if (keys[j].name != NULL)
				show_key(cfg, &keys[j], -1, out);
			else
				for (k = 0; k < CHANNEL_KINDS; k++)
					show_key(cfg, &keys[j], k, out);
		}
	}
	for (i = 0; i < cfg->nproviders; i++) {
		const struct provider_cfg *p = &cfg->providers[i];

		fprintf(out, "\n[provider:%s]\n", p->name);
		for (n = 0; n < p->nkv; n++)
			show_provider_value(p->kv[n].key, p->kv[n].value, out);
	}
}

/* The provider key's value in p, or NULL. */
static const char *
kv_value(const struct provider_cfg *p, const char *key)
{
	return p != NULL ? provider_get(p, key) : NULL;
}

static int
same_text(const char *x, const char *y)
{
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* Each key of p (or q) that differs in the other, to fn. */
static size_t
provider_changes(const struct provider_cfg *p, const struct provider_cfg *q,
		 const char *section,
		 void (*fn)(const char *section, const char *key, void *arg),
		 void *arg)
{
	size_t i, n = 0;

	for (i = 0; p != NULL && i < p->nkv; i++)
		if (!same_text(p->kv[i].value, kv_value(q, p->kv[i].key))) {
			fn(section, p->kv[i].key, arg);
			n++;
		}
	for (i = 0; q != NULL && i < q->nkv; i++)
		if (kv_value(p, q->kv[i].key) == NULL) {
			fn(section, q->kv[i].key, arg);
			n++;
		}
	return n;
}

size_t
config_changes(const struct config *a, const struct config *b,
	       void (*fn)(const char *section, const char *key, void *arg),
	       void *arg)
{
	char va[512], vb[512], section[80];
	size_t i, n = 0;
	int k, kinds;

	for (i = 0; i < FG_NELEM(keys); i++) {
		kinds = keys[i].name == NULL ? CHANNEL_KINDS : 1;
		for (k = 0; k < kinds; k++) {
			int kind = keys[i].name == NULL ? k : -1;
			int ha = key_value(a, &keys[i], kind, va, sizeof(va)),
			    hb = key_value(b, &keys[i], kind, vb, sizeof(vb));

			if (ha != hb || (ha && strcmp(va, vb) != 0)) {
				fn(keys[i].section,
				   kind >= 0 ? channel_kinds[kind].name
					     : keys[i].name,
				   arg);
				n++;
			}
		}
	}
	for (i = 0; i < a->nproviders; i++) {
		snprintf(section, sizeof(section), "provider:%s",
			 a->providers[i].name);
		n += provider_changes(&a->providers[i],
				      config_provider(b, a->providers[i].name),
				      section, fn, arg);
	}
	for (i = 0; i < b->nproviders; i++)
		if (config_provider(a, b->providers[i].name) == NULL) {
			snprintf(section, sizeof(section), "provider:%s",
				 b->providers[i].name);
			n += provider_changes(NULL, &b->providers[i], section,
					      fn, arg);
		}
	return n;
}

void
config_keys(void (*fn)(const char *section, const char *name, void *arg),
	    void *arg)
{
	size_t i;
	int k;

	for (i = 0; i < FG_NELEM(keys); i++) {
		if (keys[i].name != NULL) {
			fn(keys[i].section, keys[i].name, arg);
			continue;
		}
		for (k = 0; k < CHANNEL_KINDS; k++)
			fn(keys[i].section, channel_kinds[k].name, arg);
	}
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg->db.password != NULL)
		explicit_bzero(cfg->db.password, strlen(cfg->db.password));
	if (cfg->api.token != NULL)
		explicit_bzero(cfg->api.token, strlen(cfg->api.token));
	FREE(cfg->api.token);
	FREE(cfg->api.clients);
	cfg->api.nclients = 0;
	for (i = 0; i < FG_NELEM(keys); i++) {
		size_t k, n = keys[i].name == NULL ? CHANNEL_KINDS : 1;

		if (keys[i].type != KEY_STRING && keys[i].type != KEY_SECRET &&
		    keys[i].type != KEY_SCHEMA)
			continue;
		for (k = 0; k < n; k++) {
			char **p = (char **)((char *)cfg + keys[i].offset) + k;
			FREE(*p);
		}
	}
	for (i = 0; i < cfg->nproviders; i++) {
		size_t k;

		for (k = 0; k < cfg->providers[i].nkv; k++) {
			char *v = cfg->providers[i].kv[k].value;

			explicit_bzero(v, strlen(v));
			free(v);
			free(cfg->providers[i].kv[k].key);
		}
		free(cfg->providers[i].kv);
		free(cfg->providers[i].name);
	}
	cfg->nproviders = 0;
	FREE(cfg->path);
}
