/*
 * sms_twilio.c: the Twilio-compatible Messages API.
 *
 *   [provider:NAME]
 *   type = twilio
 *   account_sid = ACxxxxxxxx
 *   auth_token_file = /etc/feegate/twilio.token
 *   from = +8610xxxx            ; or messaging_service_sid = MGxxxx
 *   api_url = https://api.twilio.com   ; optional (tests: the simulator)
 *
 * Submit: POST {api_url}/2010-04-01/Accounts/{sid}/Messages.json, basic
 * auth sid:token, form To, From | MessagingServiceSid, Body, StatusCallback
 * (our receipt URL). 201 {"sid": ...} is accepted. Errors come as
 * {"code": N, "message": ...}: 21211 (invalid To), 21610 (opted out),
 * 21614 (not a mobile number) and 21612 (unreachable destination country)
 * are permanent; 20003 (authentication), 401/403 and 429 are the
 * provider's trouble; 30003 and everything else is temporary.
 * Receipts: POST form MessageSid, MessageStatus, ErrorCode, signed with
 * X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + each parameter's
 * name and value, sorted by name)). delivered is final; failed is
 * permanent; undelivered is final but temporary (the handset was off: the
 * next contact is tried, this one is not blocked), except with a
 * permanent error code; queued, sending and sent are progress.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "httpc.h"

struct sms_twilio {
	struct channel ch;
	struct httpc *http;
	CURL *esc;
	char *messages_url;
	char *userpwd; /* sid:token; secret */
	char *token;   /* secret */
	char *from, *service;
	char *public_url;
};

struct call {
	channel_done_fn done;
	void *job;
};

static const long permanent_codes[] = {21211, 21610, 21614,
				       21612, 30005, 30006};

static int
is_permanent(long code)
{
	size_t i;

	for (i = 0; i < FG_NELEM(permanent_codes); i++)
		if (permanent_codes[i] == code)
			return 1;
	return 0;
}

static struct channel *
sms_twilio_open(const struct provider_cfg *p, const struct channel_env *env,
		struct fg_err *err)
{
	const char *cpath = env->config_path ? env->config_path : "(config)";
	const char *sid = provider_get(p, "account_sid");
	const char *tokfile = provider_get(p, "auth_token_file");
	const char *from = provider_get(p, "from");
	const char *service = provider_get(p, "messaging_service_sid");
	const char *api = provider_get(p, "api_url");
	struct sms_twilio *t;
	char *token;

	if (sid == NULL || tokfile == NULL) {
		err_set(err,
			"%s:%d: [provider:%s]: account_sid and "
			"auth_token_file are needed",
			cpath, p->line, p->name);
		return NULL;
	}
	if (strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789") != strlen(sid)) {
		err_set(err,
			"%s:%d: [provider:%s] account_sid: letters and "
			"digits only",
			cpath, provider_line(p, "account_sid"), p->name);
		return NULL;
	}
	if ((from == NULL) == (service == NULL)) {
		err_set(err,
			"%s:%d: [provider:%s]: set from or "
			"messaging_service_sid (one of them)",
			cpath, p->line, p->name);
		return NULL;
	}
	token = channel_read_secret(p, "auth_token_file", tokfile, cpath, err);
	if (token == NULL)
		return NULL;
	t = xcalloc(1, sizeof(*t));
	t->http = env->http;
	t->esc = curl_easy_init();
	t->messages_url = xasprintf("%s/2010-04-01/Accounts/%s/Messages.json",
				    api ? api : "https://api.twilio.com", sid);
	t->userpwd = xasprintf("%s:%s", sid, token);
	t->token = token;
	t->from = from ? xstrdup(from) : NULL;
	t->service = service ? xstrdup(service) : NULL;
	t->public_url = xstrdup(env->public_url ? env->public_url : "");
	return &t->ch;
}

static void
add_form(struct sms_twilio *t, struct sbuf *b, const char *key,
	 const char *value)
{
	char *e = curl_easy_escape(t->esc, value, 0);

	sbuf_addf(b, "%s%s=%s", b->len ? "&" : "", key, e ? e : "");
	curl_free(e);
}

static void
sms_twilio_response(void *arg, const struct httpc_response *r)
{
	struct call *c = arg;
	struct delivery_result res;
	json_t *j = NULL;
	char code[32];
	long tcode;
	const char *msg;

	if (channel_transport_error(r, &res))
		goto done;
	j = json_loadb(r->body, r->body_len, 0, NULL);
	if (r->status >= 200 && r->status < 300) {
		result_set(&res, DELIVERY_OK, 0, "HTTP 201", "queued");
		str_copy(res.ref,
			 json_string_value(json_object_get(j, "sid"))
				 ? json_string_value(json_object_get(j, "sid"))
				 : "",
			 sizeof(res.ref));
		goto done;
	}
	tcode = (long)json_integer_value(json_object_get(j, "code"));
	msg = json_string_value(json_object_get(j, "message"));
	if (tcode != 0)
		snprintf(code, sizeof(code), "%ld", tcode);
	else
		snprintf(code, sizeof(code), "HTTP %ld", r->status);
	if (is_permanent(tcode))
		result_set(&res, DELIVERY_PERMFAIL, 0, code, "%.150s",
			   msg ? msg : "");
	else
		result_set(&res, DELIVERY_TEMPFAIL,
			   r->status == 401 || r->status == 403 ||
				   r->status == 429 || tcode == 20003,
			   code, "%.150s", msg ? msg : "");
	res.retry_after = r->retry_after;
done:
	json_decref(j);
	c->done(c->job, &res);
	free(c);
}

static void
sms_twilio_submit(struct channel *ch, const struct outbound *m,
		  channel_done_fn done, void *job)
{
	struct sms_twilio *t = (struct sms_twilio *)ch;
	const char *headers[] =
		{"Content-Type: application/x-www-form-urlencoded", NULL};
	struct httpc_request req;
	struct delivery_result res;
	struct sbuf body;
	struct call *c;

	sbuf_init(&body);
	add_form(t, &body, "To", m->to);
	if (t->service != NULL)
		add_form(t, &body, "MessagingServiceSid", t->service);
	else
		add_form(t, &body, "From", t->from);
	add_form(t, &body, "Body", m->body);
	add_form(t, &body, "StatusCallback", m->receipt_url);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = t->messages_url;
	req.headers = headers;
	req.body = body.s;
	req.body_len = body.len;
	req.userpwd = t->userpwd;
	req.timeout_ms = ch->timeout_ms;
	c = xcalloc(1, sizeof(*c));
	c->done = done;
	c->job = job;
	if (httpc_start(t->http, &req, sms_twilio_response, c) != 0) {
		free(c);
		result_set(&res, DELIVERY_TEMPFAIL, 0, "local",
			   "could not start the request");
		done(job, &res);
	}
	sbuf_free(&body);
}

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct http_kv *)a)->key,
		      ((const struct http_kv *)b)->key);
}

/* base64(HMAC-SHA1(token, url + sorted name/value pairs)). */
static void
signature(const char *token, const char *url, const struct http_kv *form,
	  size_t n, char *out, size_t outlen)
{
	struct http_kv *sorted = xcalloc(n ? n : 1, sizeof(*sorted));
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct sbuf data;
	size_t i;

	memcpy(sorted, form, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), kv_cmp);
	sbuf_init(&data);
	sbuf_adds(&data, url);
	for (i = 0; i < n; i++) {
		sbuf_adds(&data, sorted[i].key);
		sbuf_adds(&data, sorted[i].value);
	}
	HMAC(EVP_sha1(), token, (int)strlen(token),
	     (const unsigned char *)data.s, data.len, mac, &maclen);
	if (outlen >= 4 * ((maclen + 2) / 3) + 1)
		EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
	else
		out[0] = '\0';
	sbuf_free(&data);
	free(sorted);
}

static int
sms_twilio_receipt(struct channel *ch, const struct http_request *req,
		   struct receipt *r, struct fg_err *err)
{
	struct sms_twilio *t = (struct sms_twilio *)ch;
	const char *given = http_request_header(req, "X-Twilio-Signature");
	const char *id = http_request_query(req, "id");
	const char *tok = http_request_query(req, "t");
	const char *status = http_request_form(req, "MessageStatus");
	const char *sid = http_request_form(req, "MessageSid");
	const char *ecode = http_request_form(req, "ErrorCode");
	char url[700], want[64];
	long long code = 0;

	/* The URL Twilio called is the one we gave it (outbound receipt_url):
	 * rebuild it from our public URL and the query. */
	snprintf(url, sizeof(url), "%s%s?id=%s&t=%s", t->public_url, req->path,
		 id ? id : "", tok ? tok : "");
	signature(t->token, url, req->form, req->nform, want, sizeof(want));
	if (given == NULL || strlen(given) != strlen(want) ||
	    CRYPTO_memcmp(given, want, strlen(want)) != 0) {
		err_set(err, "bad or missing X-Twilio-Signature");
		return -1;
	}
	if (status == NULL) {
		err_set(err, "no MessageStatus");
		return -1;
	}
	if (sid != NULL)
		str_copy(r->ref, sid, sizeof(r->ref));
	if (ecode != NULL && *ecode != '\0')
		parse_ll(ecode, 0, 99999, &code);
	snprintf(r->code, sizeof(r->code), "%s%s%s", status, code ? " " : "",
		 code ? ecode : "");
	r->final = 1;
	if (strcmp(status, "delivered") == 0) {
		r->status = DELIVERY_OK;
	} else if (strcmp(status, "failed") == 0 ||
		   (strcmp(status, "undelivered") == 0 && is_permanent(code))) {
		r->status = DELIVERY_PERMFAIL;
	} else if (strcmp(status, "undelivered") == 0) {
		r->status = DELIVERY_TEMPFAIL;
	} else if (strcmp(status, "queued") == 0 ||
		   strcmp(status, "sending") == 0 ||
		   strcmp(status, "sent") == 0 ||
		   strcmp(status, "accepted") == 0) {
		r->final = 0;
		r->status = DELIVERY_OK;
	} else {
		err_set(err, "unknown MessageStatus '%.32s'", status);
		return -1;
	}
	return 0;
}

static void
sms_twilio_close(struct channel *ch)
{
	struct sms_twilio *t = (struct sms_twilio *)ch;

	curl_easy_cleanup(t->esc);
	free(t->messages_url);
	explicit_bzero(t->userpwd, strlen(t->userpwd));
	free(t->userpwd);
	explicit_bzero(t->token, strlen(t->token));
	free(t->token);
	free(t->from);
	free(t->service);
	free(t->public_url);
	free(t);
}

const struct channel_ops sms_twilio_ops = {
	.name = "twilio",
	.kind = CHANNEL_SMS,
	.open = sms_twilio_open,       /* MUST validate config; start-up */
	.submit = sms_twilio_submit,   /* MUST NOT block; result via done */
	.receipt = sms_twilio_receipt, /* signed status callbacks */
	.close = sms_twilio_close,
};
