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
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "channel.h"
#include "httpc.h"
#include "log.h"

struct sms_http {
	struct channel ch; /* first: the dispatcher's view */
	struct httpc *http;
	char *url;
	char *auth_header; /* "Authorization: Bearer ..." or NULL; secret */
	char *from;
};

struct call {
	channel_done_fn done;
	void *job;
};

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

	if (url == NULL || (strncmp(url, "http://", 7) != 0 &&
			    strncmp(url, "https://", 8) != 0)) {
		err_set(err,
			"%s:%d: [provider:%s] url: an http:// or https:// "
			"URL is needed",
			cpath, provider_line(p, "url"), p->name);
		return NULL;
	}
	if (token_file != NULL) {
		token = channel_read_secret(p, "token_file", token_file, cpath,
					    err);
		if (token == NULL)
			return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->http = env->http;
	s->url = xstrdup(url);
	s->from = from ? xstrdup(from) : NULL;
	if (token != NULL) {
		s->auth_header = xasprintf("Authorization: Bearer %s", token);
		explicit_bzero(token, strlen(token));
		free(token);
	}
	return &s->ch;
}

static const char *
json_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static void
sms_http_response(void *arg, const struct httpc_response *r)
{
	static const char *const permanent[] = {
		"invalid_number", "unknown_number", "opted_out",
		"blocked",        "rejected",
	};
	struct call *c = arg;
	struct delivery_result res;
	json_t *j = NULL, *e;
	char code[32];
	size_t i;

	if (channel_transport_error(r, &res))
		goto done;
	j = json_loadb(r->body, r->body_len, 0, NULL);
	snprintf(code, sizeof(code), "HTTP %ld", r->status);
	if (r->status >= 200 && r->status < 300) {
		result_set(&res, DELIVERY_OK, 0, code, "accepted");
		str_copy(res.ref, json_str(j, "id"), sizeof(res.ref));
		goto done;
	}
	e = json_object_get(j, "error");
	if (json_is_object(e)) {
		snprintf(code, sizeof(code), "%s", json_str(e, "code"));
		for (i = 0; i < FG_NELEM(permanent); i++) {
			if (strcmp(code, permanent[i]) == 0) {
				result_set(&res, DELIVERY_PERMFAIL, 0, code,
					   "%.150s", json_str(e, "message"));
				goto done;
			}
		}
	}
	if (r->status == 401 || r->status == 403 || r->status == 429)
		result_set(&res, DELIVERY_TEMPFAIL, 1, code, "HTTP %ld %.120s",
			   r->status, json_str(e, "message"));
	else
		result_set(&res, DELIVERY_TEMPFAIL, 0, code, "HTTP %ld %.120s",
			   r->status, json_str(e, "message"));
	res.retry_after = r->retry_after;
done:
	json_decref(j);
	c->done(c->job, &res);
	free(c);
}

static void
sms_http_submit(struct channel *ch, const struct outbound *m,
		channel_done_fn done, void *job)
{
	struct sms_http *s = (struct sms_http *)ch;
	const char *headers[4];
	struct httpc_request req;
	struct delivery_result res;
	char idem[80], mid[24], *body;
	struct call *c;
	json_t *j;
	size_t nh = 0;

	j = json_object();
	snprintf(mid, sizeof(mid), "%llu", m->message_id);
	json_object_set_new(j, "message_id", json_string(mid));
	json_object_set_new(j, "to", json_string(m->to));
	if (s->from != NULL)
		json_object_set_new(j, "from", json_string(s->from));
	json_object_set_new(j, "text", json_string(m->body));
	json_object_set_new(j, "parts", json_integer(m->parts));
	json_object_set_new(j, "receipt_url", json_string(m->receipt_url));
	body = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	snprintf(idem, sizeof(idem), "Idempotency-Key: %s", m->idempotency_key);
	headers[nh++] = "Content-Type: application/json";
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
	req.timeout_ms = ch->timeout_ms;
	c = xcalloc(1, sizeof(*c));
	c->done = done;
	c->job = job;
	if (body == NULL ||
	    httpc_start(s->http, &req, sms_http_response, c) != 0) {
		free(c);
		result_set(&res, DELIVERY_TEMPFAIL, 0, "local",
			   "could not start the request");
		done(job, &res);
	}
	free(body);
}

static int
sms_http_receipt(struct channel *ch, const struct http_request *req,
		 struct receipt *r, struct fg_err *err)
{
	json_t *j;
	const char *status;

	(void)ch;
	j = json_loadb(req->body ? req->body : "", req->body_len, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		err_set(err, "receipt body is not a JSON object");
		return -1;
	}
	status = json_str(j, "status");
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
		json_decref(j);
		return -1;
	}
	if (r->code[0] == '\0')
		str_copy(r->code, status, sizeof(r->code));
	json_decref(j);
	return 0;
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
	free(s);
}

const struct channel_ops sms_http_ops = {
	.name = "http",
	.kind = CHANNEL_SMS,
	.open = sms_http_open,       /* MUST validate config; start-up */
	.submit = sms_http_submit,   /* MUST NOT block; result via done */
	.receipt = sms_http_receipt, /* JSON receipts on the loop's peer */
	.close = sms_http_close,
};
