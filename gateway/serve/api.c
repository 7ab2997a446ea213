/*
 * api.c: see api.h.
 */
#include "serve/api.h"

#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/dates.h"
#include "base/log.h"
#include "base/mask.h"
#include "base/money.h"
#include "queue/outbox.h"
#include "send/metrics.h"
#include "store/audit.h"
#include "store/tasks.h"
#include "store/timeline.h"

#define STATUS_MAX 60 /* characters of a caller's status text */

/* The kinds the API takes and the data each needs. */
static const struct {
	const char *kind;
	const char *fields[3]; /* required, all of them; NULL-terminated */
	int routine;           /* counted against [caps] routine_per_day */
	int urgent;            /* claimed first, sent at any hour */
} kinds[] = {
	{"payment_received", {"amount", NULL}, 0, 0},
	{"repair_progress", {"ticket", "status", NULL}, 0, 1},
	{"business_progress", {"ticket", "status", NULL}, 0, 0},
	{"bill_issued", {"amount", "period", "due_date"}, 1, 0},
};

static unsigned int
fail(struct sbuf *out, unsigned int status, const char *field,
     const char *error)
{
	json_t *o = json_pack("{s:s}", "error", error);
	char *s;

	if (field != NULL)
		json_object_set_new(o, "field", json_string(field));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	sbuf_adds(out, s ? s : "{}");
	free(s);
	return status;
}

static unsigned int
answer(struct sbuf *out, unsigned int status, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	json_decref(o);
	sbuf_adds(out, s ? s : "{}");
	free(s);
	return status;
}

/* The API's clients as SIGHUP last read them (api_tokens_set); until
 * then, the configuration's. */
static struct {
	pthread_mutex_t mu;
	int set;
	struct api_client *clients;
	size_t n;
	char *token;
} T = {.mu = PTHREAD_MUTEX_INITIALIZER};

void
api_tokens_set(const struct config *cfg)
{
	struct api_client *c = NULL, *old_c;
	char *token = cfg->api.token ? xstrdup(cfg->api.token) : NULL, *old_t;

	if (cfg->api.nclients > 0) {
		c = xcalloc(cfg->api.nclients, sizeof(*c));
		memcpy(c, cfg->api.clients, cfg->api.nclients * sizeof(*c));
	}
	pthread_mutex_lock(&T.mu);
	old_c = T.clients;
	old_t = T.token;
	T.clients = c;
	T.n = cfg->api.nclients;
	T.token = token;
	T.set = 1;
	pthread_mutex_unlock(&T.mu);
	free(old_c);
	if (old_t != NULL)
		explicit_bzero(old_t, strlen(old_t));
	free(old_t);
}

void
api_tokens_free(void)
{
	pthread_mutex_lock(&T.mu);
	free(T.clients);
	if (T.token != NULL)
		explicit_bzero(T.token, strlen(T.token));
	free(T.token);
	T.clients = NULL;
	T.token = NULL;
	T.n = 0;
	T.set = 0;
	pthread_mutex_unlock(&T.mu);
}

/* "Bearer <token>": which client it is, and what it may do (0 and NULL:
 * none). Tokens are compared through SHA-256 (tokens_file keeps only
 * that), so that neither the time nor the length of the comparison says
 * anything about a token. The name is copied for this thread: a reload
 * may replace the table meanwhile. */
unsigned int
api_scopes(const struct config *cfg, const char *header, const char **who)
{
	static __thread char name[sizeof(cfg->api.clients[0].name)];
	unsigned char a[SHA256_DIGEST_LENGTH], b[SHA256_DIGEST_LENGTH];
	const struct api_client *clients;
	unsigned int scopes = 0;
	const char *given, *token;
	size_t i, n;

	*who = NULL;
	if (header == NULL || strncmp(header, "Bearer ", 7) != 0)
		return 0;
	given = header + 7;
	SHA256((const unsigned char *)given, strlen(given), a);
	pthread_mutex_lock(&T.mu);
	clients = T.set ? T.clients : cfg->api.clients;
	n = T.set ? T.n : cfg->api.nclients;
	token = T.set ? T.token : cfg->api.token;
	for (i = 0; i < n; i++)
		if (CRYPTO_memcmp(a, clients[i].hash, sizeof(a)) == 0) {
			str_copy(name, clients[i].name, sizeof(name));
			*who = name;
			scopes = clients[i].scopes;
		}
	if (token != NULL) {
		SHA256((const unsigned char *)token, strlen(token), b);
		if (CRYPTO_memcmp(a, b, sizeof(a)) == 0) {
			*who = "token_file";
			scopes = API_SCOPE_ALL;
		}
	}
	pthread_mutex_unlock(&T.mu);
	return scopes;
}

/* The scope an endpoint wants; 0 for one there is not. */
static unsigned int
scope_of(const char *path)
{
	const char *rest = path + strlen(API_PREFIX);

	if (strcmp(path, "/metrics") == 0)
		return API_SCOPE_METRICS_READ;
	if (strncmp(path, API_PREFIX, strlen(API_PREFIX)) != 0)
		return 0;
	if (strcmp(rest, "notices") == 0 || strncmp(rest, "notices/", 8) == 0)
		return API_SCOPE_NOTICES_WRITE;
	if (strcmp(rest, "tasks") == 0)
		return API_SCOPE_TASKS_READ;
	if (strncmp(rest, "accounts/", 9) == 0)
		return API_SCOPE_TIMELINE_READ;
	return 0;
}

/* Addresses refused often: API_REFUSALS in a minute, and the address
 * waits out the rest of that minute (429) before its token is even
 * looked at. A small table on the API server's one thread; the oldest
 * entry makes room. */
#define API_REFUSALS 20
#define API_WINDOW   60.0
static struct {
	char addr[64];
	double since;
	int refused;
} refusals[256];

/* The entry of addr (made, or renewed when its minute is over). */
static size_t
refusal_slot(const char *addr, double now)
{
	size_t i, oldest = 0;

	for (i = 0; i < FG_NELEM(refusals); i++) {
		if (strcmp(refusals[i].addr, addr) == 0) {
			if (now - refusals[i].since >= API_WINDOW) {
				refusals[i].since = now;
				refusals[i].refused = 0;
			}
			return i;
		}
		if (refusals[i].since < refusals[oldest].since)
			oldest = i;
	}
	str_copy(refusals[oldest].addr, addr, sizeof(refusals[oldest].addr));
	refusals[oldest].since = now;
	refusals[oldest].refused = 0;
	return oldest;
}

/* Seconds addr must still wait, or 0. Only looked up: an address that
 * was never refused takes no room. */
static int
address_waits(const char *addr)
{
	double now = mono_now();
	size_t i;

	for (i = 0; addr != NULL && i < FG_NELEM(refusals); i++)
		if (strcmp(refusals[i].addr, addr) == 0)
			return refusals[i].refused < API_REFUSALS ||
					       now - refusals[i].since >=
						       API_WINDOW
				       ? 0
				       : (int)(API_WINDOW -
					       (now - refusals[i].since)) +
						 1;
	return 0;
}

/* A refused request: counted, and logged with the client's name or
 * address (never the token). */
static unsigned int
refuse(const struct api_request *q, const char *who, unsigned int status,
       struct sbuf *out)
{
	metrics_api_refused(status == 403);
	if (q->remote != NULL)
		refusals[refusal_slot(q->remote, mono_now())].refused++;
	log_warnx("api: %s %s from %s refused (%u): %s", q->method, q->path,
		  who != NULL ? who
		  : q->remote ? q->remote
			      : "?",
		  status,
		  status == 401 ? "no valid bearer token"
				: "the token lacks the scope");
	return status == 401
		       ? fail(out, 401, NULL, "a valid bearer token is needed")
		       : fail(out, 403, NULL,
			      "this token may not do that (its scopes)");
}

static int
only_chars(const char *s, size_t min, size_t max, const char *set)
{
	size_t n = strlen(s);

	return n >= min && n <= max && strspn(s, set) == n;
}

#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
/* U+0021-U+007E: what docs/operations.md allows in an idempotency key. */
#define VISIBLE_ASCII ALNUM "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

/* One data field of kind k; NULL if it is fine, else why not. */
static const char *
check_field(const char *name, const json_t *v)
{
	const char *s = json_string_value(v);
	long long cents;

	if (s == NULL)
		return "must be a string";
	if (strcmp(name, "amount") == 0)
		return money_parse(s, &cents) == 0 && cents >= 0 &&
				       cents <= 1000000000LL
			       ? NULL
			       : "must be an amount like 123.45";
	if (strcmp(name, "period") == 0) {
		char d[DATE_LEN];

		snprintf(d, sizeof(d), "%.7s-01", s);
		return strlen(s) == 7 && date_valid(d) ? NULL
						       : "must be YYYY-MM";
	}
	if (strcmp(name, "due_date") == 0)
		return date_valid(s) ? NULL : "must be a date YYYY-MM-DD";
	if (strcmp(name, "ticket") == 0)
		return only_chars(s, 1, 32, ALNUM "-")
			       ? NULL
			       : "must be 1-32 letters, "
				 "digits or '-'";
	/* status: the caller's words, said to the customer. */
	{
		char *clean = utf8_clean(s, strlen(s), 1);
		size_t chars = utf8_len(s, strlen(s));
		int ok = strcmp(clean, s) == 0 && chars >= 1 &&
			 chars <= STATUS_MAX;

		free(clean);
		return ok ? NULL
			  : "must be 1-60 characters of UTF-8 text without "
			    "control characters";
	}
}

struct notice_req {
	const char *account_no, *kind, *key;
	size_t k; /* index into kinds */
	char *data;
	char hash[SHA256_DIGEST_LENGTH * 2 + 1];
};

/* Validate the body into r; 0, or the status with the answer in out. */
static unsigned int
parse_notice(const json_t *j, struct notice_req *r, struct sbuf *out)
{
	const char *key, *field;
	const json_t *v, *data;
	char *canon, name[80];
	json_t *c, *empty;
	size_t i;

	if (!json_is_object(j))
		return fail(out, 400, NULL, "the body must be a JSON object");
	json_object_foreach((json_t *)j, key, v)
	{
		if (strcmp(key, "account_no") != 0 &&
		    strcmp(key, "kind") != 0 && strcmp(key, "data") != 0 &&
		    strcmp(key, "idempotency_key") != 0)
			return fail(out, 400, key, "unknown field");
	}
	r->account_no = json_string_value(json_object_get(j, "account_no"));
	if (r->account_no == NULL ||
	    !only_chars(r->account_no, 1, 32, ALNUM "-_"))
		return fail(out, 400, "account_no",
			    "must be 1-32 letters, digits, '-' or '_'");
	r->kind = json_string_value(json_object_get(j, "kind"));
	for (r->k = 0; r->kind != NULL && r->k < FG_NELEM(kinds); r->k++)
		if (strcmp(r->kind, kinds[r->k].kind) == 0)
			break;
	if (r->kind == NULL || r->k == FG_NELEM(kinds))
		return fail(out, 400, "kind",
			    "must be payment_received, repair_progress, "
			    "business_progress or bill_issued");
	r->key = json_string_value(json_object_get(j, "idempotency_key"));
	if (r->key == NULL || !only_chars(r->key, 1, 64, VISIBLE_ASCII))
		return fail(out, 400, "idempotency_key",
			    "must be 1-64 visible ASCII characters");
	data = json_object_get(j, "data");
	if (data != NULL && !json_is_object(data))
		return fail(out, 400, "data", "must be an object");
	json_object_foreach((json_t *)data, key, v)
	{
		for (i = 0; i < FG_NELEM(kinds[r->k].fields) &&
			    kinds[r->k].fields[i] != NULL;
		     i++)
			if (strcmp(key, kinds[r->k].fields[i]) == 0)
				break;
		snprintf(name, sizeof(name), "data.%.60s", key);
		if (i == FG_NELEM(kinds[r->k].fields) ||
		    kinds[r->k].fields[i] == NULL)
			return fail(out, 400, name, "not a field of this kind");
		if ((field = check_field(key, v)) != NULL)
			return fail(out, 400, name, field);
	}
	for (i = 0;
	     i < FG_NELEM(kinds[r->k].fields) && kinds[r->k].fields[i] != NULL;
	     i++) {
		if (json_object_get(data, kinds[r->k].fields[i]) != NULL)
			continue;
		snprintf(name, sizeof(name), "data.%s", kinds[r->k].fields[i]);
		return fail(out, 400, name, "is required for this kind");
	}
	empty = json_object();
	if (data == NULL)
		data = empty;
	r->data = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
	/* What the key stands for: the request without the key. */
	c = json_pack("{s:s, s:s, s:O}", "account_no", r->account_no, "kind",
		      r->kind, "data", data);
	canon = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	json_decref(empty);
	sha256_hex(canon, strlen(canon), r->hash);
	free(canon);
	return 0;
}

struct existing {
	unsigned long long id;
	char hash[72];
	char state[16];
};

static int
existing_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct existing *e = arg;

	(void)err;
	e->id = strtoull(row->val[0], NULL, 10);
	str_copy(e->hash, row->val[1] ? row->val[1] : "", sizeof(e->hash));
	str_copy(e->state, row->val[2], sizeof(e->state));
	return 0;
}

/* A notice by its caller's key (notice_requests: 021_notice_keys.sql),
 * and by its id, with its state as shown. */
static const char sql_notice_by_key[] =
	"SELECT n.notice_id, n.request_hash, " NOTICE_STATE
	" FROM notice_requests r JOIN notices n ON n.notice_id = r.notice_id"
	" WHERE r.request_key = ? FOR UPDATE";
static const char sql_notice_by_id[] =
	"SELECT notice_id, account_no, kind, " NOTICE_STATE
	", DATE_FORMAT(sent_on, '%Y-%m-%d'), unreachable"
	" FROM notices n WHERE notice_id = ?";

/* Whether the account has had [caps] routine_per_day routine notices
 * today (*capped; the refusal audited), for a routine kind. */
static int
routine_capped(struct db *db, const struct config *cfg,
	       const struct api_request *q, const struct notice_req *r,
	       struct audit_batch *w, int *capped, struct fg_err *err)
{
	json_t *d;
	char v[32], *detail;
	int found;

	*capped = 0;
	if (!kinds[r->k].routine || cfg->caps.routine_per_day <= 0)
		return 0;
	if (db_query_value(db,
			   "SELECT COUNT(*) FROM notices"
			   " WHERE account_no = ? AND sent_on = ?"
			   "  AND kind = 'bill_issued'",
			   DB_ARGS(DB_STR(r->account_no), DB_STR(q->date)), v,
			   sizeof(v), &found, err) != 0)
		return -1;
	if (strtol(v, NULL, 10) < cfg->caps.routine_per_day)
		return 0;
	*capped = 1;
	d = json_pack("{s:s, s:i}", "kind", r->kind, "routine_per_day",
		      cfg->caps.routine_per_day);
	detail = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	audit_batch_add(w, "notice_capped", r->account_no, 0, 0, 0, 0, detail);
	free(detail);
	return audit_batch_write(db, w, "api", q->date, err);
}

/* The notice's row (its id in *id) and its notice_planned audit row. */
static int
notice_insert(struct db *db, const struct api_request *q,
	      const struct notice_req *r, struct audit_batch *w,
	      unsigned long long *id, struct fg_err *err)
{
	json_t *d;
	char v[32], *detail;
	int found;

	if (db_exec(db,
		    "INSERT INTO notices (case_id, account_no, kind, seq,"
		    " sent_on, state, request_key, request_hash, data, urgent,"
		    " anytime)"
		    " VALUES (NULL, ?, ?, 0, ?, 'planned', ?, ?, ?, ?, ?)",
		    DB_ARGS(DB_STR(r->account_no), DB_STR(r->kind),
			    DB_STR(q->date), DB_STR(r->key), DB_STR(r->hash),
			    DB_STR(r->data), DB_INT(kinds[r->k].urgent),
			    DB_INT(kinds[r->k].urgent)),
		    NULL, err) != 0 ||
	    db_query_value(db, "SELECT LAST_INSERT_ID()", DB_NOARGS, v,
			   sizeof(v), &found, err) != 0)
		return -1;
	*id = strtoull(v, NULL, 10);
	/* The key's row: a second request with the same key, at the same
	 * time, fails here with a duplicate key (1062), and its transaction
	 * is run again to find this one (post_notice). */
	if (db_exec(db,
		    "INSERT INTO notice_requests (request_key, notice_id)"
		    " VALUES (?, ?)",
		    DB_ARGS(DB_STR(r->key), DB_ID(*id)), NULL, err) != 0)
		return -1;
	d = json_pack("{s:s, s:s}", "kind", r->kind, "source", "api");
	detail = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	audit_batch_add(w, "notice_planned", r->account_no, 0, *id, 0, 0,
			detail);
	free(detail);
	return 0;
}

/* Inside the transaction: queue the notice. 0 with *status and out set, or
 * -1 on a database error. */
static int
queue_notice(struct db *db, const struct config *cfg,
	     const struct api_request *q, const struct notice_req *r,
	     unsigned int *status, struct sbuf *out, struct fg_err *err)
{
	struct audit_batch *w = audit_batch_new();
	struct existing e = {0};
	char v[32];
	int found, capped, rc = -1;
	unsigned long long id;

	if (db_query(db, DB_BUFFERED, sql_notice_by_key,
		     DB_ARGS(DB_STR(r->key)), existing_cb, &e, err) != 0)
		goto out;
	if (e.id != 0) {
		if (strcmp(e.hash, r->hash) != 0)
			*status = fail(out, 409, "idempotency_key",
				       "used before for a different request");
		else
			*status =
				answer(out, 202,
				       json_pack("{s:I, s:s, s:b}", "notice_id",
						 (json_int_t)e.id, "state",
						 e.state, "replayed", 1));
		rc = 0;
		goto out;
	}
	if (db_query_value(db,
			   "SELECT 1 FROM (SELECT ? AS k) p"
			   " JOIN {B}.billing_customers c"
			   "  ON {=customers.account_no c.account_no p.k}",
			   DB_ARGS(DB_STR(r->account_no)), v, sizeof(v), &found,
			   err) != 0)
		goto out;
	if (!found) {
		*status = fail(out, 422, "account_no",
			       "no such account in billing");
		rc = 0;
		goto out;
	}
	if (routine_capped(db, cfg, q, r, w, &capped, err) != 0)
		goto out;
	if (capped) {
		*status = fail(out, 429, NULL,
			       "routine notices for this account today "
			       "have reached [caps] routine_per_day");
		rc = 0;
		goto out;
	}
	if (notice_insert(db, q, r, w, &id, err) != 0)
		goto out;
	if (outbox_queue_next(db, cfg, w, r->account_no, 0, id, "notice API",
			      q->date, err) != 0 ||
	    db_query_value(db,
			   "SELECT COUNT(*) FROM messages WHERE notice_id = ?",
			   DB_ARGS(DB_INT((long long)id)), v, sizeof(v), &found,
			   err) != 0)
		goto out;
	if (strcmp(v, "0") == 0 &&
	    db_exec(db,
		    "UPDATE notices SET state = 'failed', unreachable = 1,"
		    " failed_on = ? WHERE notice_id = ?",
		    DB_ARGS(DB_STR(q->date), DB_INT((long long)id)), NULL,
		    err) != 0)
		goto out;
	if (audit_batch_write(db, w, "api", q->date, err) != 0)
		goto out;
	*status = answer(out, 202,
			 json_pack("{s:I, s:s, s:b}", "notice_id",
				   (json_int_t)id, "state",
				   strcmp(v, "0") == 0 ? "failed" : "planned",
				   "unreachable", strcmp(v, "0") == 0));
	rc = 0;
out:
	audit_batch_free(w);
	return rc;
}

unsigned int
api_check_notice(const char *body, size_t len, struct sbuf *out)
{
	struct notice_req r = {0};
	json_error_t je;
	json_t *j =
		json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
	unsigned int status;

	if (j == NULL)
		return fail(out, 400, NULL, "the body is not JSON");
	status = parse_notice(j, &r, out);
	free(r.data);
	json_decref(j);
	return status;
}

static unsigned int
post_notice(struct db *db, const struct config *cfg,
	    const struct api_request *q, struct sbuf *out)
{
	struct notice_req r = {0};
	struct fg_err err;
	json_error_t je;
	json_t *j;
	unsigned int status = 0;
	int tries;

	j = json_loadb(q->body ? q->body : "", q->body_len,
		       JSON_REJECT_DUPLICATES, &je);
	if (j == NULL) {
		char why[200];

		snprintf(why, sizeof(why), "the body is not JSON: %s", je.text);
		return fail(out, 400, NULL, why);
	}
	status = parse_notice(j, &r, out);
	if (status != 0)
		goto done;
	/* A request racing another with the same key loses on the unique
	 * key: run it again, and it finds the other's notice. */
	for (tries = 0; tries < 3; tries++) {
		out->len = 0;
		if (db_begin(db, &err) == 0 &&
		    queue_notice(db, cfg, q, &r, &status, out, &err) == 0 &&
		    db_commit(db, &err) == 0) {
			log_info("api: notice kind=%s status=%u", r.kind,
				 status);
			goto done;
		}
		db_rollback(db);
		if (db->last_errno != 1062 && !db_retryable(db))
			break;
	}
	log_warnx("api: notice kind=%s: %s", r.kind, err.msg);
	out->len = 0;
	status = fail(out, 503, NULL, "try again");
done:
	free(r.data);
	json_decref(j);
	return status;
}

static int
notice_row_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	json_t **o = arg;

	(void)err;
	*o = json_pack("{s:I, s:s, s:s, s:s, s:s, s:b}", "notice_id",
		       (json_int_t)strtoll(row->val[0], NULL, 10), "account_no",
		       row->val[1], "kind", row->val[2], "state", row->val[3],
		       "sent_on", row->val[4], "unreachable",
		       strcmp(row->val[5], "0") != 0);
	json_object_set_new(*o, "messages", json_array());
	return 0;
}

static int
message_row_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	json_t *list = json_object_get(arg, "messages");
	char *masked = mask_address(row->val[1], row->val[2]);
	json_t *m =
		json_pack("{s:I, s:s, s:s, s:s, s:I, s:s?, s:s}", "message_id",
			  (json_int_t)strtoll(row->val[0], NULL, 10), "channel",
			  row->val[1], "address", masked, "state", row->val[3],
			  "attempts",
			  (json_int_t)strtoll(row->val[4], NULL, 10),
			  "last_error", row->val[5], "updated_at", row->val[6]);

	(void)err;
	free(masked);
	json_array_append_new(list, m);
	return 0;
}

static unsigned int
get_notice(struct db *db, const char *id, struct sbuf *out)
{
	json_t *o = NULL;
	struct fg_err err;

	if (!only_chars(id, 1, 19, "0123456789"))
		return fail(out, 404, NULL, "no such notice");
	if (db_query(db, DB_BUFFERED, sql_notice_by_id,
		     DB_ARGS(DB_INT(strtoll(id, NULL, 10))), notice_row_cb, &o,
		     &err) != 0)
		goto trouble;
	if (o == NULL)
		return fail(out, 404, NULL, "no such notice");
	if (db_query(db, DB_BUFFERED,
		     "SELECT message_id, channel, address, state, attempts,"
		     " last_error,"
		     " DATE_FORMAT(updated_at, '%Y-%m-%d %H:%i:%s')"
		     " FROM messages WHERE notice_id = ? ORDER BY message_id",
		     DB_ARGS(DB_INT(strtoll(id, NULL, 10))), message_row_cb, o,
		     &err) != 0)
		goto trouble;
	return answer(out, 200, o);
trouble:
	json_decref(o);
	log_warnx("api: notice %s: %s", id, err.msg);
	return fail(out, 503, NULL, "try again");
}

/* What a streaming printer wrote to a FILE, into out. */
static unsigned int
captured(FILE *f, char **buf, size_t *len, int rc, struct sbuf *out,
	 const char *what, const struct fg_err *err)
{
	fclose(f);
	if (rc != 0) {
		free(*buf);
		log_warnx("api: %s: %s", what, err->msg);
		return fail(out, 503, NULL, "try again");
	}
	sbuf_add(out, *buf, *len);
	free(*buf);
	return 200;
}

/* A page of tasks in task order: `limit` (1-TASKS_PAGE_MAX, that by
 * default) after task `after`; when there are more, a Link header
 * (rel="next", RFC 8288) names the next page. */
static unsigned int
get_tasks(struct db *db, const struct api_request *q, struct sbuf *out,
	  struct sbuf *link)
{
	const char *after = q->query ? kv_get(q->query, "after") : NULL;
	const char *limit = q->query ? kv_get(q->query, "limit") : NULL;
	struct tasks_query t = {0};
	unsigned long long next = 0;
	struct fg_err err;
	char *buf = NULL, *more;
	size_t len = 0;
	long long v;
	FILE *f;
	int rc;

	t.state = q->query ? kv_get(q->query, "state") : NULL;
	t.grid = q->query ? kv_get(q->query, "grid") : NULL;
	t.limit = TASKS_PAGE_MAX;
	if (t.state != NULL && !tasks_valid_state(t.state))
		return fail(out, 400, "state",
			    "must be open, assigned, done or cancelled");
	if (t.grid != NULL && strlen(t.grid) > 32)
		return fail(out, 400, "grid", "at most 32 characters");
	if (after != NULL) {
		if (parse_ll(after, 0, LLONG_MAX, &v) != 0)
			return fail(out, 400, "after", "must be a task_id");
		t.after = (unsigned long long)v;
	}
	if (limit != NULL) {
		if (parse_ll(limit, 1, TASKS_PAGE_MAX, &v) != 0)
			return fail(out, 400, "limit",
				    "must be 1 to " FG_STR(TASKS_PAGE_MAX));
		t.limit = (unsigned int)v;
	}
	f = open_memstream(&buf, &len);
	if (f == NULL)
		return fail(out, 503, NULL, "try again");
	rc = tasks_print(db, &t, 1, f, &next, &err);
	if (rc == 0 && next != 0) {
		more = tasks_next_query(&t, next);
		sbuf_addf(link, "<%stasks?%s>; rel=\"next\"", API_PREFIX, more);
		free(more);
	}
	return captured(f, &buf, &len, rc, out, "tasks", &err);
}

static unsigned int
get_timeline(struct db *db, const char *rest, struct sbuf *out)
{
	const char *slash = strchr(rest, '/');
	char account[40];
	struct fg_err err;
	json_t *t;
	int found = 0;

	if (slash == NULL || strcmp(slash, "/timeline") != 0 ||
	    slash - rest < 1 || slash - rest > 32)
		return fail(out, 404, NULL, "no such endpoint");
	snprintf(account, sizeof(account), "%.*s", (int)(slash - rest), rest);
	t = timeline_build(db, account, &found, &err);
	if (t == NULL) {
		log_warnx("api: timeline: %s", err.msg);
		return fail(out, 503, NULL, "try again");
	}
	if (!found) {
		json_decref(t);
		return fail(out, 404, "account_no", "no such account");
	}
	return answer(out, 200, t);
}

unsigned int
api_handle(struct db *db, const struct config *cfg, const struct api_request *q,
	   struct sbuf *out, struct sbuf *link)
{
	const char *rest = q->path + strlen(API_PREFIX), *who;
	unsigned int scopes = api_scopes(cfg, q->authorization, &who),
		     want = scope_of(q->path);

	int wait = address_waits(q->remote);

	if (wait > 0) {
		log_warnx("api: %s %s from %s: refused %d times in a minute, "
			  "waits %d s",
			  q->method, q->path, q->remote, API_REFUSALS, wait);
		return fail(out, 429, NULL,
			    "too many refused requests from this address: "
			    "wait a minute");
	}
	if (scopes == 0)
		return refuse(q, NULL, 401, out);
	if (want != 0 && (scopes & want) == 0)
		return refuse(q, who, 403, out);
	if (strcmp(q->path, "/metrics") == 0) {
		struct fg_err err;

		if (metrics_render(db, q->now, out, &err) == 0)
			return 200;
		log_warnx("api: metrics: %s", err.msg);
		out->len = 0;
		return fail(out, 503, NULL, "try again");
	}
	if (strcmp(rest, "notices") == 0) {
		if (strcmp(q->method, "POST") != 0)
			return fail(out, 405, NULL, "use POST");
		return post_notice(db, cfg, q, out);
	}
	if (strncmp(rest, "notices/", 8) == 0) {
		if (strcmp(q->method, "GET") != 0)
			return fail(out, 405, NULL, "use GET");
		return get_notice(db, rest + 8, out);
	}
	if (strcmp(q->method, "GET") == 0 && strcmp(rest, "tasks") == 0)
		return get_tasks(db, q, out, link);
	if (strcmp(q->method, "GET") == 0 && strncmp(rest, "accounts/", 9) == 0)
		return get_timeline(db, rest + 9, out);
	return fail(out, 404, NULL, "no such endpoint");
}
