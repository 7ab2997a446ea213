/*
 * fcm.c: the simulator's FCM HTTP v1 and OAuth2 token endpoint.
 *
 * POST /token: grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and
 * assertion=<JWT>. The JWT must be RS256, signed by the key whose public
 * half was given with -k, with iss, scope firebase.messaging, an aud ending
 * in /token, iat within five minutes of now and exp at most an hour after
 * it; then {"access_token", "expires_in", "token_type": "Bearer"}, else
 * 400 {"error": "invalid_grant"}.
 *
 * POST /v1/projects/{p}/messages:send with "Authorization: Bearer" an
 * access token of the current generation (revoke_tokens starts a new
 * one): {"message": {"token", "notification": {"title", "body"}, "data":
 * {"message_id"}}}, at most 4096 bytes of notification and data; 200
 * {"name"}, or FCM's error shape with an FcmError code.
 */
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim.h"

static EVP_PKEY *pubkey; /* under key_mu: a control may replace it */
static pthread_mutex_t key_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long issued;

int
fcm_load_key(const char *path)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *k, *old;

	if (fp == NULL) {
		perror(path);
		return -1;
	}
	k = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	if (k == NULL) {
		fprintf(stderr, "feegate-sim: %s: not a PEM public key\n",
			path);
		return -1;
	}
	pthread_mutex_lock(&key_mu);
	old = pubkey;
	pubkey = k;
	pthread_mutex_unlock(&key_mu);
	EVP_PKEY_free(old);
	return 0;
}

unsigned long long
fcm_tokens_issued(void)
{
	unsigned long long n;

	pthread_mutex_lock(&mu);
	n = issued;
	pthread_mutex_unlock(&mu);
	return n;
}

/* base64url (no padding) to bytes; -1 if it is not. */
static int
unb64url(const char *s, size_t n, unsigned char *out, size_t cap,
	 size_t *outlen)
{
	char buf[4096];
	size_t i, m = n;
	int k;

	if (n + 4 > sizeof(buf) || cap < n)
		return -1;
	for (i = 0; i < n; i++)
		buf[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (m % 4 != 0)
		buf[m++] = '=';
	k = EVP_DecodeBlock(out, (unsigned char *)buf, (int)m);
	if (k < 0)
		return -1;
	*outlen = (size_t)k - (m - n); /* the padding decodes to zeros */
	return 0;
}

static const char *
str(json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	return v ? v : "";
}

static const char *
jwt_check(const char *jwt)
{
	const char *dot1 = strchr(jwt, '.'), *dot2;
	unsigned char hdr[1024], pay[2048], sig[1024];
	size_t hl, pl, sl;
	EVP_MD_CTX *md;
	EVP_PKEY *key;
	json_t *h, *p;
	const char *why = NULL, *aud;
	json_int_t iat, exp;
	int ok;

	dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	if (dot2 == NULL)
		return "not a JWT";
	if (unb64url(jwt, (size_t)(dot1 - jwt), hdr, sizeof(hdr) - 1, &hl) ||
	    unb64url(dot1 + 1, (size_t)(dot2 - dot1 - 1), pay, sizeof(pay) - 1,
		     &pl) ||
	    unb64url(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig), &sl))
		return "bad base64url";
	hdr[hl] = pay[pl] = '\0';
	md = EVP_MD_CTX_new();
	pthread_mutex_lock(&key_mu);
	key = pubkey;
	if (key != NULL)
		EVP_PKEY_up_ref(key);
	pthread_mutex_unlock(&key_mu);
	ok = key != NULL &&
	     EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(md, sig, sl, (const unsigned char *)jwt,
			      (size_t)(dot2 - jwt)) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	if (!ok)
		return "Invalid JWT Signature.";
	h = json_loads((char *)hdr, 0, NULL);
	p = json_loads((char *)pay, 0, NULL);
	iat = json_integer_value(json_object_get(p, "iat"));
	exp = json_integer_value(json_object_get(p, "exp"));
	aud = json_string_value(json_object_get(p, "aud"));
	if (strcmp(str(h, "alg"), "RS256") != 0)
		why = "alg is not RS256";
	else if (json_string_length(json_object_get(p, "iss")) == 0)
		why = "no iss";
	else if (strcmp(str(p, "scope"),
			"https://www.googleapis.com/auth/firebase.messaging") !=
		 0)
		why = "wrong scope";
	else if (aud == NULL || strlen(aud) < 6 ||
		 strcmp(aud + strlen(aud) - 6, "/token") != 0)
		why = "wrong aud";
	else if (llabs((long long)iat - (long long)time(NULL)) > 300 ||
		 exp <= iat || exp - iat > 3600)
		why = "Invalid JWT: Token must be a short-lived token";
	json_decref(h);
	json_decref(p);
	return why;
}

enum MHD_Result
fcm_token(struct MHD_Connection *c, const char *body)
{
	char grant[128], *jwt = malloc(8192), out[256];
	const char *why;
	struct faults f;
	unsigned long long n;

	pthread_mutex_lock(&mu);
	f = F;
	pthread_mutex_unlock(&mu);
	form_get(body, "grant_type", grant, sizeof(grant));
	form_get(body, "assertion", jwt, 8192);
	if (strcmp(grant, "urn:ietf:params:oauth:grant-type:jwt-bearer") != 0)
		why = "unsupported grant_type";
	else if (f.token_fail)
		why = "Invalid grant: account not found";
	else
		why = jwt_check(jwt);
	free(jwt);
	if (why != NULL) {
		snprintf(out, sizeof(out),
			 "{\"error\":\"invalid_grant\","
			 "\"error_description\":\"%s\"}",
			 why);
		return answer(c, 400, out, 0);
	}
	pthread_mutex_lock(&mu);
	n = ++issued;
	pthread_mutex_unlock(&mu);
	snprintf(out, sizeof(out),
		 "{\"access_token\":\"ya29.sim-%d-%llu\",\"expires_in\":%d,"
		 "\"token_type\":\"Bearer\"}",
		 f.token_gen, n, f.token_life);
	return answer(c, 200, out, 0);
}

static enum MHD_Result
fcm_error(struct MHD_Connection *c, unsigned int status, const char *st,
	  const char *code, const char *msg, int retry_after)
{
	char out[512];

	snprintf(out, sizeof(out),
		 "{\"error\":{\"code\":%u,\"message\":\"%s\",\"status\":\"%s\","
		 "\"details\":[{\"@type\":\"type.googleapis.com/"
		 "google.firebase.fcm.v1.FcmError\",\"errorCode\":\"%s\"}]}}",
		 status, msg, st, code);
	return answer(c, status, out, retry_after);
}

enum MHD_Result
fcm_send(struct MHD_Connection *c, const char *url, const char *body)
{
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       "Authorization");
	char project[64], want[48], out[160], text[4200];
	json_t *j, *m, *notif, *data;
	const char *token, *title, *text_body, *mid;
	struct faults f;
	unsigned long long n;
	size_t size;
	int gen = -1;

	pthread_mutex_lock(&mu);
	f = F;
	pthread_mutex_unlock(&mu);
	if (sscanf(url, "/v1/projects/%63[^/]/messages:send", project) != 1)
		return answer(c, 404, "{\"error\":{\"code\":404}}", 0);
	snprintf(want, sizeof(want), "Bearer ya29.sim-%d-", f.token_gen);
	if (auth == NULL || strncmp(auth, want, strlen(want)) != 0 ||
	    sscanf(auth, "Bearer ya29.sim-%d-", &gen) != 1)
		return fcm_error(c, 401, "UNAUTHENTICATED",
				 "THIRD_PARTY_AUTH_ERROR",
				 "Request had invalid authentication "
				 "credentials.",
				 0);
	if (chance() < f.fail_5xx)
		return fcm_error(c, 503, "UNAVAILABLE", "UNAVAILABLE",
				 "The service is currently unavailable.",
				 f.retry_after);
	if (chance() < f.fail_429)
		return fcm_error(c, 429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED",
				 "Quota exceeded.", f.retry_after);
	j = json_loads(body, 0, NULL);
	m = json_object_get(j, "message");
	token = json_string_value(json_object_get(m, "token"));
	notif = json_object_get(m, "notification");
	data = json_object_get(m, "data");
	title = json_string_value(json_object_get(notif, "title"));
	text_body = json_string_value(json_object_get(notif, "body"));
	mid = json_string_value(json_object_get(data, "message_id"));
	size = (title ? strlen(title) : 0) +
	       (text_body ? strlen(text_body) : 0) +
	       (mid ? strlen(mid) + 10 : 0);
	if (token == NULL || title == NULL || text_body == NULL ||
	    mid == NULL || size > 4096) {
		json_decref(j);
		return fcm_error(c, 400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
				 size > 4096 ? "Message is too big"
					     : "Invalid message",
				 0);
	}
	if (prefixed(token, f.unregistered_prefix) ||
	    prefixed(token, f.invalid_token_prefix)) {
		int unreg = prefixed(token, f.unregistered_prefix);

		json_decref(j);
		pthread_mutex_lock(&mu);
		rejected++;
		pthread_mutex_unlock(&mu);
		return unreg ? fcm_error(c, 404, "NOT_FOUND", "UNREGISTERED",
					 "Requested entity was not found.", 0)
			     : fcm_error(c, 400, "INVALID_ARGUMENT",
					 "INVALID_ARGUMENT",
					 "The registration token is not a "
					 "valid FCM registration token",
					 0);
	}
	snprintf(text, sizeof(text), "%s | %s", title, text_body);
	n = record_message(strtoull(mid, NULL, 10), token, 0, text);
	json_decref(j);
	snprintf(out, sizeof(out), "{\"name\":\"projects/%s/messages/0:%llu\"}",
		 project, n);
	return answer(c, 200, out, 0);
}
