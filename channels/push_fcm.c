/*
 * push_fcm.c: app push through Firebase Cloud Messaging's HTTP v1 API.
 *
 *   [channels]
 *   push = fcm
 *
 *   [provider:fcm]
 *   type = fcm
 *   project_id = sgcc-hz-app
 *   service_account_file = /etc/feegate/fcm.json  ; the key file Google gives
 *   api_url = https://fcm.googleapis.com          ; optional (tests)
 *   token_url = https://oauth2.googleapis.com/token ; default: the key's token_uri
 *   http2 = yes                 ; HTTP/2, multiplexed, where the endpoint offers it
 *   ca_file = /path/ca.pem      ; optional: trust these CAs, not the system's
 *   ttl = 86400                 ; seconds FCM keeps a message for an offline phone
 *
 * Access: a JWT {iss: client_email, scope: firebase.messaging, aud:
 * token_url, iat, exp: iat + 3600} signed RS256 with the service account's
 * private key (OpenSSL), exchanged at token_url (grant_type jwt-bearer) for
 * an access token, which is cached until five minutes (at most a tenth of
 * its life) before it expires. Submits that arrive while a token is being
 * fetched wait for it; a token endpoint that refuses or does not answer is
 * the provider's trouble for all of them. A 401 drops the cached token.
 *
 * Send: POST {api_url}/v1/projects/{project_id}/messages:send, Bearer
 * token, {"message": {"token", "notification": {"title", "body"}, "data":
 * {"message_id"}, "android": {"ttl", "priority": "high"}}} with title and
 * body from the .push template (checked under 4096 bytes at start-up and
 * at render). 200 {"name"} is accepted (FCM sends no delivery receipts).
 * Errors by the FcmError code in the details, else the status:
 * UNREGISTERED, INVALID_ARGUMENT and SENDER_ID_MISMATCH are permanent (the
 * token is dead: blocked, not used again); QUOTA_EXCEEDED, UNAVAILABLE,
 * UNAUTHENTICATED, PERMISSION_DENIED and THIRD_PARTY_AUTH_ERROR are the
 * provider's trouble (Retry-After honoured); anything else is temporary.
 * The address in billing is the registration token, "fcm:" in front or not.
 */
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channels/channel.h"
#include "channels/classify.h"
#include "net/httpc.h"

#define FCM_SCOPE "https://www.googleapis.com/auth/firebase.messaging"

struct waiting {
	struct outbound o; /* its strings stay valid until done runs */
	channel_done_fn done;
	void *job;
	struct waiting *next;
};

struct push_fcm {
	struct channel ch;
	struct httpc *http;
	char *send_url, *token_url;
	char *client_email;
	EVP_PKEY *key; /* secret */
	char *auth;    /* "Authorization: Bearer ..."; secret */
	time_t auth_until;
	int fetching;
	struct waiting *waiting, **waiting_tail;
	char *ca_file;
	int http2;
	char ttl[16];
};

struct send {
	struct push_fcm *f;
	channel_done_fn done;
	void *job;
};

static const char *const permanent_errors[] = {"UNREGISTERED",
					       "INVALID_ARGUMENT",
					       "SENDER_ID_MISMATCH"};
static const char *const provider_errors[] = {"QUOTA_EXCEEDED", "UNAVAILABLE",
					      "UNAUTHENTICATED",
					      "PERMISSION_DENIED",
					      "THIRD_PARTY_AUTH_ERROR"};

static int
listed(const char *code, const char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(code, list[i]) == 0)
			return 1;
	return 0;
}

/* base64url without padding (RFC 7515). */
static void
b64url(struct sbuf *b, const unsigned char *data, size_t len)
{
	unsigned char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	int n = EVP_EncodeBlock(out, data, (int)len), i;

	while (n > 0 && out[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	sbuf_add(b, (const char *)out, (size_t)n);
	free(out);
}

/* The signed JWT for the token exchange, or NULL (err). */
static char *
jwt(const struct push_fcm *f, time_t now, struct fg_err *err)
{
	json_t *claims =
		json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", f->client_email,
			  "scope", FCM_SCOPE, "aud", f->token_url, "iat",
			  (json_int_t)now, "exp", (json_int_t)now + 3600);
	char *payload = json_dumps(claims, JSON_COMPACT);
	static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	unsigned char sig[1024];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	struct sbuf b;
	int ok;

	sbuf_init(&b);
	b64url(&b, (const unsigned char *)header, strlen(header));
	sbuf_adds(&b, ".");
	b64url(&b, (const unsigned char *)payload, strlen(payload));
	ok = md != NULL &&
	     EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, f->key) == 1 &&
	     EVP_DigestSign(md, sig, &siglen, (const unsigned char *)b.s,
			    b.len) == 1;
	EVP_MD_CTX_free(md);
	free(payload);
	json_decref(claims);
	if (!ok) {
		err_set(err, "signing the JWT failed");
		sbuf_free(&b);
		return NULL;
	}
	sbuf_adds(&b, ".");
	b64url(&b, sig, siglen);
	return sbuf_take(&b);
}

static void send_one(struct push_fcm *f, const struct outbound *o,
		     channel_done_fn done, void *job);

/* Every waiting submit either sent (a token came) or failed with res. */
static void
release_waiting(struct push_fcm *f, const struct delivery_result *res)
{
	struct waiting *w = f->waiting, *next;

	f->waiting = NULL;
	f->waiting_tail = &f->waiting;
	for (; w != NULL; w = next) {
		next = w->next;
		if (res == NULL)
			send_one(f, &w->o, w->done, w->job);
		else
			w->done(w->job, res);
		free(w);
	}
}

static void
token_done(void *arg, const struct httpc_response *r)
{
	struct push_fcm *f = arg;
	struct delivery_result res;
	json_t *j = NULL;
	const char *tok;
	json_int_t life;
	char code[32];

	f->fetching = 0;
	if (channel_transport_error(r, &res)) {
		res.provider_wide = 1; /* no token: nothing can be sent */
		goto fail;
	}
	j = json_loadb(r->body, r->body_len, 0, NULL);
	tok = json_string_value(json_object_get(j, "access_token"));
	life = json_integer_value(json_object_get(j, "expires_in"));
	if (r->status != 200 || tok == NULL || *tok == '\0' ||
	    strpbrk(tok, "\r\n") != NULL || life <= 0) {
		const char *e = json_string_value(json_object_get(j, "error"));
		const char *why = json_string_value(
			json_object_get(j, "error_description"));

		snprintf(code, sizeof(code), "oauth %ld", r->status);
		result_set(&res, DELIVERY_TEMPFAIL, 1, code,
			   "token endpoint: %.60s%s%.100s",
			   e ? e : "no access token", why ? ": " : "",
			   why ? why : "");
		res.retry_after = r->retry_after;
		goto fail;
	}
	if (f->auth != NULL) {
		explicit_bzero(f->auth, strlen(f->auth));
		free(f->auth);
	}
	f->auth = xasprintf("Authorization: Bearer %s", tok);
	/* Refresh early: five minutes, at most a tenth of its life. */
	f->auth_until = time(NULL) + (time_t)life -
			(time_t)(life / 10 < 300 ? life / 10 : 300);
	json_decref(j);
	release_waiting(f, NULL);
	return;
fail:
	json_decref(j);
	log_warnx("push: %s: access token: %s %s", f->ch.provider, res.code,
		  res.text);
	release_waiting(f, &res);
}

static void
fetch_token(struct push_fcm *f)
{
	const char *headers[] =
		{"Content-Type: application/x-www-form-urlencoded", NULL};
	struct httpc_request req;
	struct delivery_result res;
	struct fg_err err;
	char *assertion = jwt(f, time(NULL), &err);
	struct sbuf body;

	if (assertion == NULL) {
		result_set(&res, DELIVERY_TEMPFAIL, 1, "local", "%s", err.msg);
		release_waiting(f, &res);
		return;
	}
	sbuf_init(&body);
	sbuf_addf(&body,
		  "grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type%%3A"
		  "jwt-bearer&assertion=%s",
		  assertion); /* base64url and dots: nothing to escape */
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = f->token_url;
	req.headers = headers;
	req.body = body.s;
	req.body_len = body.len;
	req.timeout_ms = f->ch.timeout_ms;
	req.http2 = f->http2;
	req.ca_file = f->ca_file;
	f->fetching = 1;
	if (httpc_start(f->http, &req, token_done, f) != 0) {
		f->fetching = 0;
		result_set(&res, DELIVERY_TEMPFAIL, 1, "local",
			   "could not start the token request");
		release_waiting(f, &res);
	}
	explicit_bzero(assertion, strlen(assertion));
	free(assertion);
	sbuf_free(&body);
}

void
push_fcm_classify(const struct httpc_response *r, struct delivery_result *res)
{
	json_t *j = NULL, *e, *d;
	const char *code = NULL, *msg, *name;
	size_t i;

	if (channel_transport_error(r, res))
		return;
	j = json_loadb(r->body, r->body_len, 0, NULL);
	if (r->status == 200) {
		name = json_string_value(json_object_get(j, "name"));
		result_set(res, DELIVERY_OK, 0, "HTTP 200", "accepted");
		str_copy(res->ref, name ? name : "", sizeof(res->ref));
		json_decref(j);
		return;
	}
	e = json_object_get(j, "error");
	json_array_foreach(json_object_get(e, "details"), i, d)
	{
		if (json_string_value(json_object_get(d, "errorCode")))
			code = json_string_value(
				json_object_get(d, "errorCode"));
	}
	if (code == NULL)
		code = json_string_value(json_object_get(e, "status"));
	msg = json_string_value(json_object_get(e, "message"));
	if (code == NULL) {
		char http[32];

		snprintf(http, sizeof(http), "HTTP %ld", r->status);
		result_set(res, DELIVERY_TEMPFAIL,
			   r->status == 401 || r->status == 403 ||
				   r->status == 429,
			   http, "%.150s", msg ? msg : "");
	} else if (listed(code, permanent_errors, FG_NELEM(permanent_errors))) {
		result_set(res, DELIVERY_PERMFAIL, 0, code, "%.150s",
			   msg ? msg : "");
	} else {
		result_set(res, DELIVERY_TEMPFAIL,
			   listed(code, provider_errors,
				  FG_NELEM(provider_errors)),
			   code, "%.150s", msg ? msg : "");
	}
	res->retry_after = r->retry_after;
	json_decref(j);
}

static void
send_done(void *arg, const struct httpc_response *r)
{
	struct send *s = arg;
	struct delivery_result res;

	push_fcm_classify(r, &res);
	if (r->status == 401)
		s->f->auth_until = 0; /* the token is no good: fetch another */
	s->done(s->job, &res);
	free(s);
}

static void
send_one(struct push_fcm *f, const struct outbound *o, channel_done_fn done,
	 void *job)
{
	const char *headers[] = {"Content-Type: application/json", f->auth,
				 NULL};
	const char *token = strncmp(o->to, "fcm:", 4) == 0 ? o->to + 4 : o->to;
	struct httpc_request req;
	struct delivery_result res;
	json_t *tpl = json_loads(o->body, 0, NULL), *msg;
	char id[24], *body;
	struct send *s;

	if (!json_is_object(tpl) || *token == '\0') {
		json_decref(tpl);
		result_set(&res, DELIVERY_PERMFAIL, 0, "local",
			   *token ? "payload is not a JSON object"
				  : "empty registration token");
		done(job, &res);
		return;
	}
	snprintf(id, sizeof(id), "%llu", o->message_id);
	msg = json_pack("{s:{s:s, s:{s:O, s:O}, s:{s:s}, s:{s:s, s:s}}}",
			"message", "token", token, "notification", "title",
			json_object_get(tpl, "title"), "body",
			json_object_get(tpl, "body"), "data", "message_id", id,
			"android", "ttl", f->ttl, "priority", "high");
	body = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	json_decref(tpl);
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = f->send_url;
	req.headers = headers;
	req.body = body;
	req.body_len = strlen(body);
	req.timeout_ms = f->ch.timeout_ms;
	req.http2 = f->http2;
	req.ca_file = f->ca_file;
	s = xcalloc(1, sizeof(*s));
	s->f = f;
	s->done = done;
	s->job = job;
	if (httpc_start(f->http, &req, send_done, s) != 0) {
		free(s);
		result_set(&res, DELIVERY_TEMPFAIL, 0, "local",
			   "could not start the request");
		done(job, &res);
	}
	free(body);
}

static void
push_fcm_submit(struct channel *ch, const struct outbound *o,
		channel_done_fn done, void *job)
{
	struct push_fcm *f = (struct push_fcm *)ch;
	struct waiting *w;

	if (f->auth != NULL && time(NULL) < f->auth_until) {
		send_one(f, o, done, job);
		return;
	}
	w = xcalloc(1, sizeof(*w));
	w->o = *o;
	w->done = done;
	w->job = job;
	*f->waiting_tail = w;
	f->waiting_tail = &w->next;
	if (!f->fetching)
		fetch_token(f);
}

/* The service account's key file: client_email, private_key (PEM, RSA)
 * and token_uri. 0, or -1 with why in msg. */
static int
read_key_file(struct push_fcm *f, const char *path, const char *token_url,
	      char *msg, size_t len)
{
	json_error_t je;
	json_t *j = json_load_file(path, 0, &je);
	const char *email =
		json_string_value(json_object_get(j, "client_email"));
	const char *pem = json_string_value(json_object_get(j, "private_key"));
	const char *uri = json_string_value(json_object_get(j, "token_uri"));
	BIO *bio;
	int rc = -1;

	if (j == NULL) {
		snprintf(msg, len, "cannot read %s: %s", path, je.text);
		return -1;
	}
	if (email == NULL || pem == NULL ||
	    (uri == NULL && token_url == NULL)) {
		snprintf(msg, len,
			 "%s: client_email, private_key and token_uri are "
			 "needed",
			 path);
		goto out;
	}
	bio = BIO_new_mem_buf(pem, -1);
	f->key = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	if (f->key == NULL || EVP_PKEY_get_base_id(f->key) != EVP_PKEY_RSA) {
		snprintf(msg, len, "%s: private_key is not an RSA key in PEM",
			 path);
		goto out;
	}
	f->client_email = xstrdup(email);
	f->token_url = xstrdup(token_url ? token_url : uri);
	rc = 0;
out:
	json_decref(j);
	return rc;
}

static void
push_fcm_free(struct push_fcm *f)
{
	free(f->send_url);
	free(f->token_url);
	free(f->client_email);
	EVP_PKEY_free(f->key);
	if (f->auth != NULL) {
		explicit_bzero(f->auth, strlen(f->auth));
		free(f->auth);
	}
	free(f->ca_file);
	free(f);
}

static struct channel *
push_fcm_open(const struct provider_cfg *p, const struct channel_env *env,
	      struct fg_err *err)
{
	const char *cpath = env->config_path ? env->config_path : "(config)";
	const char *project = provider_get(p, "project_id");
	const char *keyfile = provider_get(p, "service_account_file");
	const char *api = provider_get(p, "api_url");
	const char *token_url = provider_get(p, "token_url");
	const char *ca = provider_get(p, "ca_file");
	struct push_fcm *f = xcalloc(1, sizeof(*f));
	long long t = provider_int(p, "ttl", 86400);
	char msg[300];

	if (strspn(project, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(project)) {
		err_set(err,
			"%s:%d: [provider:%s] project_id: the Firebase "
			"project's id (lower case, digits, -) is needed",
			cpath, provider_line(p, "project_id"), p->name);
		goto fail;
	}
	if (read_key_file(f, keyfile, token_url, msg, sizeof(msg)) != 0) {
		err_set(err, "%s:%d: [provider:%s] service_account_file: %s",
			cpath, provider_line(p, "service_account_file"),
			p->name, msg);
		goto fail;
	}
	f->http = env->http;
	f->send_url =
		xasprintf("%s/v1/projects/%s/messages:send",
			  api ? api : "https://fcm.googleapis.com", project);
	f->http2 = provider_yes(p, "http2", 1);
	f->ca_file = ca ? xstrdup(ca) : NULL;
	snprintf(f->ttl, sizeof(f->ttl), "%llds", t);
	f->waiting_tail = &f->waiting;
	f->ch.concurrency = 64; /* multiplexed: many streams, one connection */
	return &f->ch;
fail:
	push_fcm_free(f);
	return NULL;
}

static void
push_fcm_close(struct channel *ch)
{
	struct push_fcm *f = (struct push_fcm *)ch;
	struct waiting *w, *next;

	/* Waiting submits are in flight for the dispatcher, which closes
	 * only once nothing is: this list is empty. */
	for (w = f->waiting; w != NULL; w = next) {
		next = w->next;
		free(w);
	}
	push_fcm_free(f);
}

/* SIGHUP: the service account's key file read again; the access token
 * of the old key is dropped, so the next push asks for one with the new
 * key (a request for one already under way still answers with the old
 * account's, used until it expires). */
static int
push_fcm_rekey(struct channel *ch, const struct provider_cfg *p,
	       const char *config_path, struct fg_err *err)
{
	struct push_fcm *f = (struct push_fcm *)ch, fresh;
	char msg[300];

	memset(&fresh, 0, sizeof(fresh));
	if (read_key_file(&fresh, provider_get(p, "service_account_file"),
			  provider_get(p, "token_url"), msg,
			  sizeof(msg)) != 0) {
		EVP_PKEY_free(fresh.key);
		err_set(err, "%s:%d: [provider:%s] service_account_file: %s",
			config_path ? config_path : "(config)",
			provider_line(p, "service_account_file"), p->name, msg);
		return -1;
	}
	EVP_PKEY_free(f->key);
	free(f->client_email);
	free(f->token_url);
	f->key = fresh.key;
	f->client_email = fresh.client_email;
	f->token_url = fresh.token_url;
	if (f->auth != NULL) {
		explicit_bzero(f->auth, strlen(f->auth));
		free(f->auth);
	}
	f->auth = NULL;
	f->auth_until = 0;
	return 0;
}

static const struct provider_key push_fcm_keys[] = {
	{"project_id", PKEY_TEXT, 0, 0,
	 "the Firebase project's id (lower case, digits, -)"},
	{"service_account_file", PKEY_FILE, 0, 0,
	 "the service account's key file"},
	{"api_url", PKEY_URL, 0, 0, NULL},
	{"token_url", PKEY_URL, 0, 0, NULL},
	{"http2", PKEY_BOOL, 0, 0, NULL},
	{"ca_file", PKEY_FILE, 0, 0, NULL},
	{"ttl", PKEY_INT, 0, 2419200, NULL},
	{NULL, PKEY_TEXT, 0, 0, NULL},
};

const struct channel_ops push_fcm_ops = {
	.name = "fcm",
	.kind = CHANNEL_PUSH,
	.flags = 0,
	.keys = push_fcm_keys,
	.open = push_fcm_open,     /* MUST validate config; reads the key */
	.submit = push_fcm_submit, /* MUST NOT block; may wait for a token */
	.receipt = NULL,           /* FCM sends no delivery receipts */
	.close = push_fcm_close,
	.rekey = push_fcm_rekey,
};
