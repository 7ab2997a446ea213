/*
 * sms_http.c: a generic JSON-over-HTTP SMS API, for in-house SMS platforms
 * (and the provider simulator in tests/sim/).
 *
 *   [provider:NAME]
 *   type = http
 *   url = https://sms.example.internal/v1/sms
 *   token_file = /etc/feegate/sms.token    ; "Authorization: Bearer ..."
 *   from = 95598                           ; sender id, optional
 *
 * Request: POST url, Content-Type: application/json, Idempotency-Key:
 * "<message id>-<16 hex>" (the same for every attempt of a message, never
 * the same for two messages of any gateway: a platform that keeps the keys
 * it has taken and answers a repeated one as before makes a resend after a
 * lost answer or a crash harmless), body {"message_id": "123",
 * "to": "+8613800000000",
 * "from": "95598", "text": "...", "parts": 2, "receipt_url": "https://..."}.
 * Answer: 2xx {"id": "provider reference"}; an error as 4xx/5xx
 * {"error": {"code": "...", "message": "..."}}. Error codes invalid_number,
 * unknown_number, opted_out, blocked and rejected are permanent; 401/403,
 * 429 and a refused connection are the provider's trouble; anything else
 * is temporary.
 * Receipt: POST receipt_url {"id": "...", "status": "delivered" | "failed" |
 * "undeliverable" | "expired" | "queued" | "sent", "code": "...",
 * "text": "..."}.
 *
 * Batches (batch = N, 2..1000): up to N messages in one request, for a
 * platform that takes them so; a request costs both sides far more than
 * a message in it. Messages gather while the loop runs and go when N are
 * there or the loop has nothing else to do (no waiting for more): POST url
 * {"from": "95598", "receipt_url": "https://.../receipts/NAME",
 * "messages": [{"message_id": "123", "idempotency_key": "123-...",
 * "to": "+86...", "text": "...", "parts": 2, "receipt_token": "..."},
 * ...]}. Answer: 2xx {"results": [{"message_id": "123", "id": "ref"} or
 * {"message_id": "123", "error": {"code": "...", "message": "..."}}, ...]},
 * one per message in order; an answer for the request as a whole (4xx,
 * 5xx, none) is every message's. The platform may post receipts to
 * receipt_url in batches too: {"receipts": [{"message_id": "123",
 * "token": "<receipt_token>", "id": "...", "status": "delivered", ...},
 * ...]} (up to 500, 64 KiB), answered 200 once all are written.
 */
#include <curl/curl.h>
#include <errno.h>
#include <ev.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "channels/channel.h"
#include "channels/classify.h"
#include "net/httpc.h"

#define BATCH_MAX 1000

struct call {
	channel_done_fn done;
	void *job;
	unsigned long long message_id;
};

/* The messages of one request: one, or a batch. */
struct batch {
	json_t *messages; /* batches: the request's "messages" */
	size_t n;
	struct call calls[]; /* n */
};

struct sms_http {
	struct channel ch; /* first: the dispatcher's view */
	struct httpc *http;
	struct ev_loop *loop;
	char *url;
	char *auth_header; /* "Authorization: Bearer ..." or NULL; secret */
	char *from;
	size_t batch;   /* messages a request; 1: the one-message form */
	char *endpoint; /* the receipt endpoint of the batch gathering */
	struct batch *gathering; /* NULL: none */
	ev_prepare flush;        /* sends it before the loop waits */
};

static void flush_cb(struct ev_loop *loop, ev_prepare *w, int revents);

static struct channel *
sms_http_open(const struct provider_cfg *p, const struct channel_env *env,
	      struct fg_err *err)
{
	const char *url = provider_get(p, "url");
	const char *token_file = provider_get(p, "token_file");
	const char *from = provider_get(p, "from");
	const char *cpath = env->config_path ? env->config_path : "(config)";
	struct sms_http *s;
	char *token = NULL;

	/* url, batch: as sms_http_keys says (channel_open checked them) */
	if (token_file != NULL) {
		token = channel_read_secret(p, "token_file", token_file, cpath,
					    err);
		if (token == NULL)
			return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->http = env->http;
	s->loop = env->loop;
	s->url = xstrdup(url);
	s->from = from ? xstrdup(from) : NULL;
	s->batch = (size_t)provider_int(p, "batch", 1);
	if (token != NULL) {
		s->auth_header = xasprintf("Authorization: Bearer %s", token);
		explicit_bzero(token, strlen(token));
		free(token);
	}
	ev_prepare_init(&s->flush, flush_cb);
	s->flush.data = s;
	return &s->ch;
}

static int
sms_http_rekey(struct channel *ch, const struct provider_cfg *p,
	       const char *cpath, struct fg_err *err)
{
	struct sms_http *s = (struct sms_http *)ch;
	const char *token_file = provider_get(p, "token_file");
	char *token = NULL, *old = s->auth_header;

	if (token_file != NULL &&
	    (token = channel_read_secret(p, "token_file", token_file,
					 cpath ? cpath : "(config)", err)) ==
		    NULL)
		return -1;
	s->auth_header =
		token ? xasprintf("Authorization: Bearer %s", token) : NULL;
	if (token != NULL) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	if (old != NULL) {
		explicit_bzero(old, strlen(old));
		free(old);
	}
	return 0;
}

static const char *
json_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

/* What an error answer means: e is {"code", "message"} (or NULL); status
 * is the HTTP status of the request, 0 for one message's error inside a
 * batch's 2xx answer. */
static void
error_result(json_t *e, long status, int retry_after,
	     struct delivery_result *res)
{
	static const char *const permanent[] = {
		"invalid_number", "unknown_number", "opted_out",
		"blocked",        "rejected",
	};
	char code[32];
	size_t i;

	if (status != 0)
		snprintf(code, sizeof(code), "HTTP %ld", status);
	else
		str_copy(code, "error", sizeof(code));
	if (json_is_object(e) && json_str(e, "code")[0] != '\0') {
		snprintf(code, sizeof(code), "%s", json_str(e, "code"));
		for (i = 0; i < FG_NELEM(permanent); i++) {
			if (strcmp(code, permanent[i]) == 0) {
				result_set(res, DELIVERY_PERMFAIL, 0, code,
					   "%.150s", json_str(e, "message"));
				return;
			}
		}
	}
	if (status == 0)
		result_set(res, DELIVERY_TEMPFAIL, 0, code, "%.150s",
			   json_str(e, "message"));
	else
		result_set(res, DELIVERY_TEMPFAIL,
			   status == 401 || status == 403 || status == 429,
			   code, "HTTP %ld %.120s", status,
			   json_str(e, "message"));
	res->retry_after = retry_after;
}

/* Taken: the provider's reference is o's "id". */
static void
accepted(struct delivery_result *res, long status, json_t *o)
{
	char code[32];

	snprintf(code, sizeof(code), "HTTP %ld", status);
	result_set(res, DELIVERY_OK, 0, code, "accepted");
	str_copy(res->ref, json_str(o, "id"), sizeof(res->ref));
}

/* A batch's 2xx answer: each message's result, in order. One the answer
 * does not account for was perhaps taken: it is tried again (with its
 * Idempotency-Key, harmless to a platform that keeps them). */
static void
batch_results(struct batch *b, json_t *j, long status)
{
	json_t *results = json_object_get(j, "results");
	size_t i;

	for (i = 0; i < b->n; i++) {
		struct call *c = &b->calls[i];
		json_t *r = json_array_get(results, i);
		struct delivery_result res;
		char want[24];

		snprintf(want, sizeof(want), "%llu", c->message_id);
		if (!json_is_object(r) ||
		    strcmp(json_str(r, "message_id"), want) != 0)
			result_set(&res, DELIVERY_TEMPFAIL, 0, "bad_answer",
				   "HTTP %ld: no result for this message in "
				   "the batch's answer",
				   status);
		else if (json_object_get(r, "error") != NULL)
			error_result(json_object_get(r, "error"), 0, 0, &res);
		else
			accepted(&res, status, r);
		c->done(c->job, &res);
	}
}

static void
batch_free(struct batch *b)
{
	json_decref(b->messages);
	free(b);
}

/* The same result for every message of b (one answer for the request
 * as a whole), and b is done. */
static void
finish_all(struct batch *b, const struct delivery_result *res)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		b->calls[i].done(b->calls[i].job, res);
	batch_free(b);
}

void
sms_http_classify(const struct httpc_response *r, struct delivery_result *res)
{
	json_t *j;

	if (channel_transport_error(r, res))
		return;
	j = json_loadb(r->body, r->body_len, 0, NULL);
	if (r->status >= 200 && r->status < 300)
		accepted(res, r->status, j);
	else
		error_result(json_object_get(j, "error"), r->status,
			     r->retry_after, res);
	json_decref(j);
}

static void
sms_http_response(void *arg, const struct httpc_response *r)
{
	struct batch *b = arg;
	struct delivery_result res;
	json_t *j;

	if (r->curl_code == CURLE_OK && r->status >= 200 && r->status < 300 &&
	    b->messages != NULL) {
		j = json_loadb(r->body, r->body_len, 0, NULL);
		batch_results(b, j, r->status);
		batch_free(b);
		json_decref(j);
		return;
	}
	/* One answer for the request as a whole. */
	sms_http_classify(r, &res);
	finish_all(b, &res);
}

/* Send a request's body for b's messages. */
static void
post(struct sms_http *s, struct batch *b, const char *body, const char *idem)
{
	const char *headers[4];
	struct httpc_request req;
	struct delivery_result res;
	size_t nh = 0;

	headers[nh++] = "Content-Type: application/json";
	if (idem != NULL)
		headers[nh++] = idem;
	if (s->auth_header != NULL)
		headers[nh++] = s->auth_header;
	headers[nh] = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = s->url;
	req.headers = headers;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = s->ch.timeout_ms;
	if (body != NULL &&
	    httpc_start(s->http, &req, sms_http_response, b) == 0)
		return;
	result_set(&res, DELIVERY_TEMPFAIL, 0, "local",
		   "could not start the request");
	finish_all(b, &res);
}

/* Send the batch gathered so far. */
static void
flush(struct sms_http *s)
{
	struct batch *b = s->gathering;
	json_t *j;
	char *body;

	ev_prepare_stop(s->loop, &s->flush);
	if (b == NULL)
		return;
	s->gathering = NULL;
	j = json_object();
	if (s->from != NULL)
		json_object_set_new(j, "from", json_string(s->from));
	json_object_set_new(j, "receipt_url", json_string(s->endpoint));
	json_object_set(j, "messages", b->messages);
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	post(s, b, body, NULL);
	free(body);
}

static void
flush_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)loop;
	(void)revents;
	flush(w->data);
}

/* A message into the batch being gathered. */
static void
gather(struct sms_http *s, const struct outbound *m, json_t *msg,
       channel_done_fn done, void *job)
{
	struct batch *b = s->gathering;

	if (b == NULL) {
		b = xcalloc(1, sizeof(*b) + s->batch * sizeof(b->calls[0]));
		b->messages = json_array();
		s->gathering = b;
		free(s->endpoint);
		s->endpoint =
			xstrdup(m->receipt_endpoint ? m->receipt_endpoint : "");
		ev_prepare_start(s->loop, &s->flush);
	}
	json_object_set_new(msg, "idempotency_key",
			    json_string(m->idempotency_key));
	if (m->receipt_token != NULL)
		json_object_set_new(msg, "receipt_token",
				    json_string(m->receipt_token));
	json_array_append_new(b->messages, msg);
	b->calls[b->n].done = done;
	b->calls[b->n].job = job;
	b->calls[b->n].message_id = m->message_id;
	if (++b->n == s->batch)
		flush(s);
}

static void
sms_http_submit(struct channel *ch, const struct outbound *m,
		channel_done_fn done, void *job)
{
	struct sms_http *s = (struct sms_http *)ch;
	struct batch *b;
	char idem[80], mid[24], *body;
	json_t *j;

	j = json_object();
	snprintf(mid, sizeof(mid), "%llu", m->message_id);
	json_object_set_new(j, "message_id", json_string(mid));
	json_object_set_new(j, "to", json_string(m->to));
	json_object_set_new(j, "text", json_string(m->body));
	json_object_set_new(j, "parts", json_integer(m->parts));
	if (s->batch > 1) {
		gather(s, m, j, done, job);
		return;
	}
	if (s->from != NULL)
		json_object_set_new(j, "from", json_string(s->from));
	json_object_set_new(j, "receipt_url", json_string(m->receipt_url));
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", m->idempotency_key);
	b = xcalloc(1, sizeof(*b) + sizeof(b->calls[0]));
	b->n = 1;
	b->calls[0].done = done;
	b->calls[0].job = job;
	b->calls[0].message_id = m->message_id;
	post(s, b, body, idem);
	free(body);
}

/* One receipt object: the provider's reference, status, code and text. */
static int
receipt_fields(json_t *j, struct receipt *r, struct fg_err *err)
{
	const char *status = json_str(j, "status");

	str_copy(r->ref, json_str(j, "id"), sizeof(r->ref));
	str_copy(r->code, json_str(j, "code"), sizeof(r->code));
	snprintf(r->text, sizeof(r->text), "%.150s", json_str(j, "text"));
	r->final = 1;
	if (strcmp(status, "delivered") == 0) {
		r->status = DELIVERY_OK;
	} else if (strcmp(status, "failed") == 0 ||
		   strcmp(status, "undeliverable") == 0) {
		r->status = DELIVERY_PERMFAIL;
	} else if (strcmp(status, "expired") == 0) {
		r->status = DELIVERY_TEMPFAIL;
	} else if (strcmp(status, "queued") == 0 ||
		   strcmp(status, "sent") == 0) {
		r->final = 0;
		r->status = DELIVERY_OK;
	} else {
		err_set(err, "unknown receipt status '%.40s'", status);
		return -1;
	}
	if (r->code[0] == '\0')
		str_copy(r->code, status, sizeof(r->code));
	return 0;
}

/* A batch's receipts: each names its message and token (an entry without
 * them is refused as unknown when it is written, the others go on). */
static int
receipt_batch(json_t *list, struct receipt *r, size_t max, struct fg_err *err)
{
	size_t i, n = json_array_size(list);

	if (!json_is_array(list) || n == 0 || n > max) {
		err_set(err, "\"receipts\" must be an array of 1 to %zu", max);
		return -1;
	}
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(list, i), *id;

		if (!json_is_object(e)) {
			err_set(err, "receipt %zu is not a JSON object", i + 1);
			return -1;
		}
		id = json_object_get(e, "message_id");
		r[i].message_id =
			json_is_integer(id)
				? (unsigned long long)json_integer_value(id)
				: strtoull(json_str(e, "message_id"), NULL, 10);
		if (strlen(json_str(e, "token")) < sizeof(r[i].token))
			str_copy(r[i].token, json_str(e, "token"),
				 sizeof(r[i].token));
		if (receipt_fields(e, &r[i], err) != 0)
			return -1;
	}
	return (int)n;
}

static int
sms_http_receipt(struct channel *ch, const struct http_request *req,
		 struct receipt *r, size_t max, struct fg_err *err)
{
	json_t *j;
	int n;

	(void)ch;
	j = json_loadb(req->body ? req->body : "", req->body_len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		err_set(err, "receipt body is not a JSON object");
		return -1;
	}
	if (json_object_get(j, "receipts") != NULL)
		n = receipt_batch(json_object_get(j, "receipts"), r, max, err);
	else
		n = receipt_fields(j, r, err) == 0 ? 1 : -1;
	json_decref(j);
	return n;
}

static void
sms_http_close(struct channel *ch)
{
	struct sms_http *s = (struct sms_http *)ch;

	free(s->url);
	if (s->auth_header != NULL) {
		explicit_bzero(s->auth_header, strlen(s->auth_header));
		free(s->auth_header);
	}
	free(s->from);
	ev_prepare_stop(s->loop, &s->flush);
	if (s->gathering != NULL) /* cannot be: each goes before the loop
				     waits, and the dispatcher waits */
		batch_free(s->gathering);
	free(s->endpoint);
	free(s);
}

static const struct provider_key sms_http_keys[] = {
	{"url", PKEY_URL, 0, 0, "an http:// or https:// URL"},
	{"token_file", PKEY_FILE, 0, 0, NULL},
	{"from", PKEY_TEXT, 0, 0, NULL},
	{"batch", PKEY_INT, 1, BATCH_MAX, NULL},
	{NULL, PKEY_TEXT, 0, 0, NULL},
};

const struct channel_ops sms_http_ops = {
	.name = "http",
	.kind = CHANNEL_SMS,
	.flags = CHANNEL_RECEIPTS | CHANNEL_IDEMPOTENT,
	.keys = sms_http_keys,
	.open = sms_http_open,       /* MUST validate config; start-up */
	.submit = sms_http_submit,   /* MUST NOT block; result via done */
	.receipt = sms_http_receipt, /* JSON receipts on the loop's peer */
	.close = sms_http_close,
	.rekey = sms_http_rekey,
};
