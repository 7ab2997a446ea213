/*
 * twilio.c: see twilio.h.
 */
#include "channels/twilio.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/httpc.h"

struct twilio_call {
	const struct twilio *t;
	channel_done_fn done;
	void *job;
};

int
twilio_open(struct twilio *t, const char *resource,
	    const struct provider_cfg *p, const struct channel_env *env,
	    const long *permanent, size_t npermanent, struct fg_err *err)
{
	const char *cpath = env->config_path ? env->config_path : "(config)";
	const char *sid = provider_get(p, "account_sid");
	const char *tokfile = provider_get(p, "auth_token_file");
	const char *api = provider_get(p, "api_url");
	char *token;

	memset(t, 0, sizeof(*t));
	/* both there: TWILIO_KEYS needs them */
	if (strspn(sid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			"0123456789") != strlen(sid)) {
		err_set(err,
			"%s:%d: [provider:%s] account_sid: letters and "
			"digits only",
			cpath, provider_line(p, "account_sid"), p->name);
		return -1;
	}
	token = channel_read_secret(p, "auth_token_file", tokfile, cpath, err);
	if (token == NULL)
		return -1;
	t->http = env->http;
	t->esc = curl_easy_init();
	t->url = xasprintf("%s/2010-04-01/Accounts/%s/%s",
			   api ? api : "https://api.twilio.com", sid, resource);
	t->sid = xstrdup(sid);
	t->userpwd = xasprintf("%s:%s", sid, token);
	t->token = token;
	pthread_mutex_init(&t->key_mu, NULL);
	t->public_url = xstrdup(env->public_url ? env->public_url : "");
	t->permanent = permanent;
	t->npermanent = npermanent;
	return 0;
}

/* A secret's copy, wiped. */
static void
secret_free(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

int
twilio_rekey(struct twilio *t, const struct provider_cfg *p,
	     const char *config_path, struct fg_err *err)
{
	char *token =
		channel_read_secret(p, "auth_token_file",
				    provider_get(p, "auth_token_file"),
				    config_path ? config_path : "(config)",
				    err);
	char *old_token, *old_userpwd = t->userpwd;

	if (token == NULL)
		return -1;
	t->userpwd = xasprintf("%s:%s", t->sid, token);
	pthread_mutex_lock(&t->key_mu);
	old_token = t->token;
	t->token = token;
	pthread_mutex_unlock(&t->key_mu);
	secret_free(old_token);
	secret_free(old_userpwd);
	return 0;
}

void
twilio_close(struct twilio *t)
{
	curl_easy_cleanup(t->esc);
	free(t->url);
	free(t->sid);
	pthread_mutex_destroy(&t->key_mu);
	secret_free(t->userpwd);
	secret_free(t->token);
	free(t->public_url);
}

void
twilio_form_add(struct twilio *t, struct sbuf *b, const char *key,
		const char *value)
{
	char *e = curl_easy_escape(t->esc, value, 0);

	sbuf_addf(b, "%s%s=%s", b->len ? "&" : "", key, e ? e : "");
	curl_free(e);
}

int
twilio_permanent(const struct twilio *t, long code)
{
	size_t i;

	for (i = 0; i < t->npermanent; i++)
		if (t->permanent[i] == code)
			return 1;
	return 0;
}

void
twilio_classify(const long *permanent, size_t npermanent,
		const struct httpc_response *r, struct delivery_result *res)
{
	struct twilio t = {0};
	json_t *j = NULL;
	const char *msg, *sid;
	char code[32];
	long tcode;

	if (channel_transport_error(r, res))
		return;
	t.permanent = permanent;
	t.npermanent = npermanent;
	j = json_loadb(r->body, r->body_len, 0, NULL);
	if (r->status >= 200 && r->status < 300) {
		sid = json_string_value(json_object_get(j, "sid"));
		snprintf(code, sizeof(code), "HTTP %ld", r->status);
		result_set(res, DELIVERY_OK, 0, code, "queued");
		str_copy(res->ref, sid ? sid : "", sizeof(res->ref));
		json_decref(j);
		return;
	}
	tcode = (long)json_integer_value(json_object_get(j, "code"));
	msg = json_string_value(json_object_get(j, "message"));
	if (tcode != 0)
		snprintf(code, sizeof(code), "%ld", tcode);
	else
		snprintf(code, sizeof(code), "HTTP %ld", r->status);
	if (twilio_permanent(&t, tcode))
		result_set(res, DELIVERY_PERMFAIL, 0, code, "%.150s",
			   msg ? msg : "");
	else
		result_set(res, DELIVERY_TEMPFAIL,
			   r->status == 401 || r->status == 403 ||
				   r->status == 429 || tcode == 20003,
			   code, "%.150s", msg ? msg : "");
	res->retry_after = r->retry_after;
	json_decref(j);
}

static void
twilio_response(void *arg, const struct httpc_response *r)
{
	struct twilio_call *c = arg;
	struct delivery_result res;

	twilio_classify(c->t->permanent, c->t->npermanent, r, &res);
	c->done(c->job, &res);
	free(c);
}

void
twilio_post(struct twilio *t, const struct channel *ch, const struct sbuf *form,
	    channel_done_fn done, void *job)
{
	const char *headers[] =
		{"Content-Type: application/x-www-form-urlencoded", NULL};
	struct httpc_request req;
	struct delivery_result res;
	struct twilio_call *c = xcalloc(1, sizeof(*c));

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = t->url;
	req.headers = headers;
	req.body = form->s;
	req.body_len = form->len;
	req.userpwd = t->userpwd;
	req.timeout_ms = ch->timeout_ms;
	c->t = t;
	c->done = done;
	c->job = job;
	if (httpc_start(t->http, &req, twilio_response, c) != 0) {
		free(c);
		result_set(&res, DELIVERY_TEMPFAIL, 0, "local",
			   "could not start the request");
		done(job, &res);
	}
}

static int
kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct http_kv *)a)->key,
		      ((const struct http_kv *)b)->key);
}

static int
twilio_verify(const struct twilio *t, const struct http_request *req,
	      struct fg_err *err)
{
	const char *given = http_request_header(req, "X-Twilio-Signature");
	const char *id = http_request_query(req, "id");
	const char *tok = http_request_query(req, "t");
	struct http_kv *sorted = xcalloc(req->nform + 1, sizeof(*sorted));
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char want[64];
	struct sbuf data;
	size_t i;
	int ok;

	/* The URL Twilio called is the one we gave it (outbound
	 * receipt_url): rebuilt from our public URL and the query. */
	sbuf_init(&data);
	sbuf_addf(&data, "%s%s?id=%s&t=%s", t->public_url, req->path,
		  id ? id : "", tok ? tok : "");
	/* A callback with no fields at all has no form to copy. */
	if (req->nform > 0) {
		memcpy(sorted, req->form, req->nform * sizeof(*sorted));
		qsort(sorted, req->nform, sizeof(*sorted), kv_cmp);
	}
	for (i = 0; i < req->nform; i++) {
		sbuf_adds(&data, sorted[i].key);
		sbuf_adds(&data, sorted[i].value);
	}
	pthread_mutex_lock((pthread_mutex_t *)&t->key_mu);
	HMAC(EVP_sha1(), t->token, (int)strlen(t->token),
	     (const unsigned char *)data.s, data.len, mac, &maclen);
	pthread_mutex_unlock((pthread_mutex_t *)&t->key_mu);
	EVP_EncodeBlock((unsigned char *)want, mac, (int)maclen);
	ok = given != NULL && strlen(given) == strlen(want) &&
	     CRYPTO_memcmp(given, want, strlen(want)) == 0;
	sbuf_free(&data);
	free(sorted);
	if (!ok) {
		err_set(err, "bad or missing X-Twilio-Signature");
		return -1;
	}
	return 0;
}

const char *
twilio_callback(const struct twilio *t, const struct http_request *req,
		const char *status_key, const char *sid_key, struct receipt *r,
		long *code, struct fg_err *err)
{
	const char *status = http_request_form(req, status_key);
	const char *sid = http_request_form(req, sid_key);
	const char *ecode = http_request_form(req, "ErrorCode");
	long long c = 0;

	if (twilio_verify(t, req, err) != 0)
		return NULL;
	if (status == NULL) {
		err_set(err, "no %s", status_key);
		return NULL;
	}
	if (ecode != NULL && *ecode != '\0' &&
	    parse_ll(ecode, 0, 99999, &c) != 0)
		c = 0;
	*code = (long)c;
	if (sid != NULL)
		str_copy(r->ref, sid, sizeof(r->ref));
	if (c != 0)
		snprintf(r->code, sizeof(r->code), "%.20s %lld", status, c);
	else
		snprintf(r->code, sizeof(r->code), "%.20s", status);
	return status;
}
