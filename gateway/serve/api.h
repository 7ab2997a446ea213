/*
 * api.h: the notice API on the embedded HTTP server, for the utility's own
 * systems (payment, repair, business and billing).
 *
 *   POST /api/v1/notices      {"account_no", "kind", "data", "idempotency_key"}
 *                             202 {"notice_id", "state", ...}: queued
 *   GET  /api/v1/notices/{id} the notice, its state and its messages
 *   GET  /api/v1/accounts/{account_no}/timeline
 *                             the call-centre timeline (as `feegate log
 *                             --json`), for the call centre's own CRM
 *   GET  /api/v1/tasks?grid=&state=
 *                             collection tasks (as `feegate tasks --json`)
 *   GET  /metrics             Prometheus text format (metrics.h)
 *
 * Every request needs "Authorization: Bearer <[api] token_file>" (compared
 * in constant time): 401 otherwise. A body that is not what the API takes
 * gets 400 {"error", "field"}; over [api] max_body, 413 (the server cuts
 * it off while it arrives). kind is payment_received, repair_progress,
 * business_progress or bill_issued, each with its own data fields. The same
 * idempotency_key returns the same notice and queues nothing again (a
 * different request under a used key: 409). A routine kind (bill_issued)
 * past [caps] routine_per_day for the account that day: 429, recorded as
 * notice_capped. repair_progress is urgent: claimed first and sent at any
 * hour; the others keep the calling window. Every notice is an audit row.
 */
#ifndef FEEGATE_API_H
#define FEEGATE_API_H

#include "base/config.h"
#include "base/util.h"
#include "net/httpd.h"
#include "store/db.h"

#define API_PREFIX "/api/v1/"

struct api_request {
	const char *method;
	const char *path;
	const struct kv_list *query; /* the URL's arguments */
	const char *authorization;   /* the header, MAY be NULL */
	const char *body;
	size_t body_len;
	const char *date;   /* the business date (local) */
	const char *now;    /* UTC, as the database keeps times */
	const char *remote; /* the client's address, MAY be NULL */
};

/* The clients and token of cfg ([api] tokens_file, token_file, read
 * again by SIGHUP) are the ones api_scopes knows from now on;
 * api_tokens_free forgets them (serve's end). */
void api_tokens_set(const struct config *cfg);
void api_tokens_free(void);

/* What the "Bearer <token>" header opens (API_SCOPE_*; 0: nothing), and
 * *who the client's name ([api] tokens_file) or "token_file". */
unsigned int api_scopes(const struct config *cfg, const char *header,
			const char **who);

/* Handle one request on db (the server thread's connection): the HTTP
 * status, the JSON answer in out, and in link the value of a Link
 * header when the answer is one page of several (empty otherwise). */
unsigned int api_handle(struct db *db, const struct config *cfg,
			const struct api_request *q, struct sbuf *out,
			struct sbuf *link);

/* The validation of a POST body alone (no database): 0 if it would be
 * taken, else the 4xx status with the answer in out. For the fuzzer. */
unsigned int api_check_notice(const char *body, size_t len, struct sbuf *out);

#endif
