/*
 * sim.c: a provider simulator (SMS, voice, push) for tests, the demo and
 * benchmarks.
 *
 *   feegate-sim -p PORT -o RECORD.tsv [-d RECEIPT_DELAY_MS] [-l LATENCY_MS]
 *               [-r RECEIPT_CONNECTIONS] [-b RECEIPT_BATCH]
 *               [-t TWILIO_TOKEN]
 *               [-k FCM_PUBLIC_KEY.pem]
 *
 * Speaks the generic JSON API of channels/sms_http.c (POST /v1/sms, one
 * message or a batch) and
 * the Twilio-compatible Messages and Calls APIs of channels/sms_twilio.c
 * and voice_twilio.c (POST /2010-04-01/Accounts/{sid}/Messages.json or
 * Calls.json, basic auth sid:token with -t TOKEN, signed status
 * callbacks), and posts a receipt for each accepted message (a call gets
 * initiated, ringing, in-progress and completed) on up to
 * RECEIPT_CONNECTIONS kept-alive connections at once (default 8), as a
 * provider's callback workers do (for messages taken in a batch, the
 * receipts due for one receipt_url go in batches of up to RECEIPT_BATCH,
 * default 100); and FCM HTTP v1 with its OAuth2 token
 * endpoint (fcm.c). It records every message it accepts
 * (for a call, the TwiML; for a push, "title | body"), one line each. The
 * generic API honours Idempotency-Key as the gateway's API documentation
 * asks of a platform (a key it has taken gets the first answer again and
 * nothing is sent: a "replay"); the Twilio and FCM APIs, like the real
 * ones, de-duplicate nothing:
 *
 *   epoch_ms <TAB> message_id <TAB> to <TAB> parts <TAB> text
 *
 * Faults on demand: POST /_control with a JSON object, any of
 *   latency_ms, receipt_delay_ms        answer and receipt delays
 *   receipt_retry_s                      how long a receipt the receiver
 *                                        refuses or misses is tried again,
 *                                        with backoff (default 600)
 *   fail_5xx, fail_429, timeout, reset   shares of requests (0..1) that get
 *                                        503, 429 + Retry-After, no answer
 *                                        for 30 s, or a closed connection
 *   lost_answer                          share of generic-API requests that
 *                                        are taken (recorded, receipt sent)
 *                                        but whose answer never comes: the
 *                                        sender cannot know it went
 *   retry_after                          seconds, with 429
 *   invalid_prefix                       numbers starting so: 400
 *                                        invalid_number (permanent)
 *   tempfail_prefix                      numbers starting so: 503
 *   undeliverable_prefix                 accepted, then a "failed" receipt
 *                                        (a call: failed, ErrorCode 13224)
 *   busy_prefix, no_answer_prefix        calls to such numbers end busy or
 *                                        no-answer
 *   no_receipts                          true: accept, never send receipts
 *   quote                                true: an error, a failed receipt
 *                                        and an SMS's id (so its receipts)
 *                                        quote the number in one of
 *                                        the forms providers use (an
 *                                        error's by its digits, an id's
 *                                        by its count): +86..., 86...,
 *                                        national, trunk 0, 0086, grouped
 *                                        by spaces, dashes or dots,
 *                                        fullwidth digits
 *   token                                the Bearer token to insist on
 *   twilio_token                         the auth token Twilio's API
 *                                        takes and signs callbacks with
 *                                        from now on (a rotated one)
 *   fcm_key                              a PEM public key file: FCM JWTs
 *                                        must be signed by its private
 *                                        half from now on (a rotated key)
 *   unregistered_prefix                  push tokens so: 404 UNREGISTERED
 *   invalid_token_prefix                 push tokens so: 400 INVALID_ARGUMENT
 *   token_fail                           true: the token endpoint refuses
 *   token_life                           expires_in of new access tokens
 *   revoke_tokens                        true: access tokens issued so far
 *                                        get 401 UNAUTHENTICATED
 * GET /_stats: {"received", "unique", "duplicates", "replays",
 * "receipts_sent", "receipts_failed", "rejected", "tokens",
 * "sms_requests" (to the generic API), "receipt_posts"}.
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "sim.h"

struct pending {
	double due;
	double first; /* when it was first due */
	int tries;
	char *url;
	char *body;
	char *signature;          /* X-Twilio-Signature, or NULL: JSON */
	int batch;                /* one entry of a batch posted to url */
	unsigned long long order; /* among those due at the same time */
	struct pending *next;     /* a post's list */
};

static char twilio_token[256];

struct faults F = {.token_life = 3599, .receipt_retry_s = 600};
pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
/* Receipts not yet posted: a binary heap by due time (then order). */
static struct pending **queue;
static size_t queue_n, queue_cap;
static unsigned long long queue_order;
static int receipt_conns = 8; /* receipts posted at once (-r) */
/* Receipts in one post at most, for messages taken in a batch (-b). */
static int receipt_batch = 100;
static CURLM *poster; /* posts them (receipt_thread) */
static FILE *record;
unsigned long long rejected;
static unsigned long long received, duplicates, replays, receipts_sent,
	receipts_failed, receipt_posts, sms_requests, seq;
/* Idempotency-Keys taken, by message id ("<id>-<hex>": ids of different
 * gateway databases repeat, so the whole key is compared). */
struct taken {
	unsigned long long n;
	char key[48];
};
static struct taken *taken;
static size_t taken_len;
static unsigned char *seen; /* message ids seen, as a bitmap */
static size_t seen_bytes;
static volatile sig_atomic_t stop;

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
chance(void)
{
	return (double)random() / ((double)RAND_MAX + 1.0);
}

/* Count a message id; 1 if it had been seen before. */
static int
mark_seen(unsigned long long id)
{
	size_t byte = (size_t)(id / 8);
	int dup;

	if (byte >= seen_bytes) {
		size_t n = (byte + 1) * 2;

		seen = realloc(seen, n);
		memset(seen + seen_bytes, 0, n - seen_bytes);
		seen_bytes = n;
	}
	dup = (seen[byte] >> (id % 8)) & 1;
	seen[byte] |= (unsigned char)(1 << (id % 8));
	return dup;
}

/* The sequence number an Idempotency-Key was taken under, 0 if none; with
 * set != 0, remember set for it. Under mu. */
static unsigned long long
taken_as(const char *key, unsigned long long set)
{
	unsigned long long id = strtoull(key, NULL, 10);

	if (id >= taken_len) {
		size_t n;

		if (set == 0)
			return 0;
		n = (size_t)(id + 1) * 2;
		taken = realloc(taken, n * sizeof(*taken));
		memset(taken + taken_len, 0, (n - taken_len) * sizeof(*taken));
		taken_len = n;
	}
	if (set != 0) {
		taken[id].n = set;
		snprintf(taken[id].key, sizeof(taken[id].key), "%s", key);
	}
	return strcmp(taken[id].key, key) == 0 ? taken[id].n : 0;
}

static int
earlier(const struct pending *a, const struct pending *b)
{
	return a->due < b->due || (a->due == b->due && a->order < b->order);
}

/* The queue's first receipt taken out. Under mu. */
static struct pending *
queue_pop(void)
{
	struct pending *top = queue[0], *last = queue[--queue_n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= queue_n)
			break;
		if (c + 1 < queue_n && earlier(queue[c + 1], queue[c]))
			c++;
		if (!earlier(queue[c], last))
			break;
		queue[i] = queue[c];
		i = c;
	}
	if (queue_n > 0)
		queue[i] = last;
	return top;
}

/* Into the queue. Receipts are due in no useful order (a call's four
 * callbacks interleave with the next call's; retries wait): a heap keeps
 * each insertion O(log n) where a sorted list walked a long backlog (at
 * 38,000 calls the simulator spent 94% of its time walking). The poster
 * is woken only when the first one changes: it waits for that one. */
static void
insert_pending(struct pending *p)
{
	size_t i;
	int head;

	pthread_mutex_lock(&mu);
	if (queue_n == queue_cap) {
		queue_cap = queue_cap ? 2 * queue_cap : 1024;
		queue = realloc(queue, queue_cap * sizeof(*queue));
	}
	p->order = queue_order++;
	for (i = queue_n++; i > 0 && earlier(p, queue[(i - 1) / 2]);
	     i = (i - 1) / 2)
		queue[i] = queue[(i - 1) / 2];
	queue[i] = p;
	head = i == 0;
	pthread_mutex_unlock(&mu);
	if (head)
		curl_multi_wakeup(poster);
}

static void
enqueue_receipt(const char *url, const char *body, const char *sig, double due,
		int batch)
{
	struct pending *p = calloc(1, sizeof(*p));

	p->batch = batch;
	p->due = p->first = due;
	p->url = strdup(url);
	p->body = strdup(body);
	p->signature = sig ? strdup(sig) : NULL;
	insert_pending(p);
}

static size_t
discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

/* One connection of the poster and the receipts it is posting. */
struct post {
	CURL *c;
	struct curl_slist *hdr;
	struct pending *p; /* NULL: free; a list for a batch */
	char *body;        /* a batch's */
};

/* Start posting p on s: one receipt, or a batch of them (p and those
 * after it in the list). */
static void
post_start(struct post *s, struct pending *p, struct curl_slist *json)
{
	s->p = p;
	curl_easy_setopt(s->c, CURLOPT_URL, p->url);
	receipt_posts++; /* under mu (receipt_thread) */
	if (p->batch) {
		size_t len = 16, o;
		struct pending *q;

		for (q = p; q != NULL; q = q->next)
			len += strlen(q->body) + 1;
		s->body = malloc(len);
		o = (size_t)snprintf(s->body, len, "{\"receipts\":[");
		for (q = p; q != NULL; q = q->next)
			o += (size_t)snprintf(s->body + o, len - o, "%s%s",
					      q == p ? "" : ",", q->body);
		snprintf(s->body + o, len - o, "]}");
	}
	curl_easy_setopt(s->c, CURLOPT_POSTFIELDS,
			 p->batch ? s->body : p->body);
	if (p->signature != NULL) {
		char hdr[128];

		snprintf(hdr, sizeof(hdr), "X-Twilio-Signature: %s",
			 p->signature);
		s->hdr = curl_slist_append(NULL, hdr);
		s->hdr = curl_slist_append(
			s->hdr,
			"Content-Type: application/x-www-form-urlencoded");
	}
	curl_easy_setopt(s->c, CURLOPT_HTTPHEADER, s->hdr ? s->hdr : json);
	curl_multi_add_handle(poster, s->c);
}

static void
pending_free(struct pending *p)
{
	free(p->url);
	free(p->body);
	free(p->signature);
	free(p);
}

/* p was posted and got HTTP status (0: no answer). Like a provider: a
 * receiver that is down or says "try again" gets the receipt again later,
 * with backoff, for receipt_retry_s (default 600 s); the others wait for
 * no one. */
static void
post_done(struct pending *p, long status)
{
	if ((status == 0 || status >= 500) && !stop &&
	    now_s() - p->first < F.receipt_retry_s) {
		double wait =
			0.3 * (double)(1 << (p->tries < 6 ? p->tries : 6));

		p->tries++;
		p->due = now_s() + (wait < 10 ? wait : 10);
		insert_pending(p);
		return;
	}
	pthread_mutex_lock(&mu);
	if (status >= 200 && status < 300)
		receipts_sent++;
	else
		receipts_failed++;
	pthread_mutex_unlock(&mu);
	pending_free(p);
}

/* The poster: receipts as they fall due, up to receipt_conns at once on
 * kept-alive connections, as a provider's callback workers post them;
 * one thread drives them all (curl's multi interface). */
static void *
receipt_thread(void *arg)
{
	struct post *slot = calloc((size_t)receipt_conns, sizeof(*slot));
	struct curl_slist *json =
		curl_slist_append(NULL, "Content-Type: application/json");
	int i, busy = 0;

	(void)arg;
	for (i = 0; i < receipt_conns; i++) {
		slot[i].c = curl_easy_init();
		curl_easy_setopt(slot[i].c, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(slot[i].c, CURLOPT_TIMEOUT, 10L);
		curl_easy_setopt(slot[i].c, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(slot[i].c, CURLOPT_PRIVATE, &slot[i]);
	}
	while (!stop) {
		CURLMsg *msg;
		int running, left, wait_ms = 1000;

		curl_multi_perform(poster, &running);
		while ((msg = curl_multi_info_read(poster, &left)) != NULL) {
			struct post *s = NULL;
			long status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&s);
			if (msg->data.result == CURLE_OK)
				curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE,
						  &status);
			curl_multi_remove_handle(poster, s->c);
			curl_slist_free_all(s->hdr);
			s->hdr = NULL;
			free(s->body);
			s->body = NULL;
			while (s->p != NULL) {
				struct pending *p = s->p;

				s->p = p->next;
				p->next = NULL;
				post_done(p, status);
			}
			busy--;
		}
		pthread_mutex_lock(&mu);
		for (i = 0; i < receipt_conns && queue_n > 0 &&
			    queue[0]->due <= now_s();
		     i++) {
			struct pending *p, *last;
			int n = 1;

			if (slot[i].p != NULL)
				continue;
			p = last = queue_pop();
			/* A batch's receipts due now for one URL go together. */
			while (p->batch && n < receipt_batch && queue_n > 0 &&
			       queue[0]->batch && queue[0]->due <= now_s() &&
			       strcmp(queue[0]->url, p->url) == 0) {
				last->next = queue_pop();
				last = last->next;
				n++;
			}
			last->next = NULL;
			post_start(&slot[i], p, json);
			busy++;
		}
		if (queue_n > 0 && busy < receipt_conns) {
			double ms = (queue[0]->due - now_s()) * 1000.0;

			wait_ms = ms < 1 ? 1 : ms > 1000 ? 1000 : (int)ms;
		}
		pthread_mutex_unlock(&mu);
		curl_multi_poll(poster, NULL, 0, wait_ms, NULL);
	}
	for (i = 0; i < receipt_conns; i++) {
		if (slot[i].p != NULL) {
			curl_multi_remove_handle(poster, slot[i].c);
			curl_slist_free_all(slot[i].hdr);
			free(slot[i].body);
			while (slot[i].p != NULL) {
				struct pending *p = slot[i].p;

				slot[i].p = p->next;
				pending_free(p);
			}
		}
		curl_easy_cleanup(slot[i].c);
	}
	free(slot);
	curl_slist_free_all(json);
	return NULL;
}

enum MHD_Result
answer(struct MHD_Connection *c, unsigned int status, const char *body,
       int retry_after)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body,
						MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	char ra[16];

	MHD_add_response_header(r, "Content-Type", "application/json");
	if (retry_after > 0) {
		snprintf(ra, sizeof(ra), "%d", retry_after);
		MHD_add_response_header(r, "Retry-After", ra);
	}
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
control(json_t *j)
{
	const char *s;

	pthread_mutex_lock(&mu);
#define INT(k)                                                                 \
	if (json_is_integer(json_object_get(j, #k)))                           \
	F.k = (int)json_integer_value(json_object_get(j, #k))
#define DBL(k)                                                                 \
	if (json_is_number(json_object_get(j, #k)))                            \
	F.k = json_number_value(json_object_get(j, #k))
#define STR(k)                                                                 \
	if ((s = json_string_value(json_object_get(j, #k))) != NULL)           \
	snprintf(F.k, sizeof(F.k), "%s", s)
	INT(latency_ms);
	INT(receipt_delay_ms);
	INT(receipt_retry_s);
	INT(retry_after);
	DBL(fail_5xx);
	DBL(fail_429);
	DBL(timeout);
	DBL(reset);
	DBL(lost_answer);
	STR(invalid_prefix);
	STR(tempfail_prefix);
	STR(undeliverable_prefix);
	STR(busy_prefix);
	STR(no_answer_prefix);
	STR(unregistered_prefix);
	STR(invalid_token_prefix);
	INT(token_life);
	if (json_is_boolean(json_object_get(j, "token_fail")))
		F.token_fail = json_is_true(json_object_get(j, "token_fail"));
	if (json_is_true(json_object_get(j, "revoke_tokens")))
		F.token_gen++;
	STR(token);
	if ((s = json_string_value(json_object_get(j, "fcm_key"))) != NULL)
		fcm_load_key(s);
	if ((s = json_string_value(json_object_get(j, "twilio_token"))) != NULL)
		snprintf(twilio_token, sizeof(twilio_token), "%s", s);
	if (json_is_boolean(json_object_get(j, "quote")))
		F.quote = json_is_true(json_object_get(j, "quote"));
	if (json_is_boolean(json_object_get(j, "no_receipts")))
		F.no_receipts = json_is_true(json_object_get(j, "no_receipts"));
	pthread_mutex_unlock(&mu);
}

static void
clean(char *s)
{
	for (; *s; s++)
		if (*s == '\t' || *s == '\n' || *s == '\r')
			*s = ' ';
}

/* One accepted message into the record (flushed by the caller). */
static unsigned long long
record_put(unsigned long long mid, const char *to, int parts, const char *text)
{
	unsigned long long n;
	char *t = strdup(text);

	clean(t);
	pthread_mutex_lock(&mu);
	n = ++seq;
	received++;
	if (mark_seen(mid))
		duplicates++;
	fprintf(record, "%.0f\t%llu\t%s\t%d\t%s\n", now_s() * 1000, mid, to,
		parts, t);
	pthread_mutex_unlock(&mu);
	free(t);
	return n;
}

static void
record_flush(void)
{
	pthread_mutex_lock(&mu);
	fflush(record);
	pthread_mutex_unlock(&mu);
}

unsigned long long
record_message(unsigned long long mid, const char *to, int parts,
	       const char *text)
{
	unsigned long long n = record_put(mid, to, parts, text);

	record_flush();
	return n;
}

/* The number to (E.164) as a provider may quote it: form k of the
 * forms below, in turn (k modulo their count). */
static void
quoted_number(const char *to, unsigned int k, char *out, size_t len)
{
	const char *nat = to[0] == '+' ? to + 1 : to;
	char fw[96];
	size_t i, o = 0;

	if (strncmp(nat, "86", 2) == 0)
		nat += 2;
	for (i = 0; nat[i] != '\0' && o + 4 < sizeof(fw); i++) {
		fw[o++] = (char)0xef;
		fw[o++] = (char)0xbc;
		fw[o++] = (char)(0x90 + (nat[i] - '0'));
	}
	fw[o] = '\0';
	switch (k % 9) {
	case 0:
		snprintf(out, len, "%s", to);
		break;
	case 1:
		snprintf(out, len, "%s", to[0] == '+' ? to + 1 : to);
		break;
	case 2:
		snprintf(out, len, "%s", nat);
		break;
	case 3:
		snprintf(out, len, "0%s", nat);
		break;
	case 4:
		snprintf(out, len, "0086 %s", nat);
		break;
	case 5:
		snprintf(out, len, "+86 %.3s %.4s %s", nat, nat + 3, nat + 7);
		break;
	case 6:
		snprintf(out, len, "%.3s-%.4s-%s", nat, nat + 3, nat + 7);
		break;
	case 7:
		snprintf(out, len, "%.3s.%.4s.%s", nat, nat + 3, nat + 7);
		break;
	default:
		snprintf(out, len, "%s", fw);
		break;
	}
}

/* The text of an error about number to: with the quote fault, the number
 * quoted in a form its digits pick (their sum: numbers that differ in one
 * digit or two alike meet different forms, in whatever order they come),
 * in Chinese as a mainland platform writes. */
static void
about_number(const struct faults *f, const char *to, const char *plain,
	     char *out, size_t len)
{
	char q[128];
	unsigned int k = 0;
	const char *p;

	if (!f->quote) {
		snprintf(out, len, "%s", plain);
		return;
	}
	for (p = to; *p != '\0'; p++)
		if (*p >= '0' && *p <= '9')
			k += (unsigned int)(*p - '0');
	quoted_number(to, k, q, sizeof(q));
	snprintf(out, len, "号码%s%s", q, plain);
}

/* An error answer of the generic API. */
static json_t *
api_error(const char *code, const char *message)
{
	return json_pack("{s:{s:s,s:s}}", "error", "code", code, "message",
			 message);
}

/* One message of the generic API, alone or in a batch: its HTTP status
 * (alone) and result object ({"id"} or {"error"}); *fresh counts it when
 * it was taken now (not a replay). Receipts go to url: alone, one each
 * there; in a batch (token set), in batches, each naming its message and
 * token. */
static unsigned int
sms_message(const struct faults *f, json_t *m, const char *idem,
	    const char *url, const char *token, json_t **result, int *fresh)
{
	const char *to = json_string_value(json_object_get(m, "to"));
	const char *text = json_string_value(json_object_get(m, "text"));
	const char *id = json_string_value(json_object_get(m, "message_id"));
	int parts = (int)json_integer_value(json_object_get(m, "parts"));
	unsigned long long mid, n;
	char ref[192];
	int undeliverable, taken_now = 0;

	if (to == NULL || text == NULL || id == NULL) {
		*result = api_error("bad_request", "to, text and message_id");
		return 400;
	}
	if (prefixed(to, f->invalid_prefix)) {
		char msg[192];

		pthread_mutex_lock(&mu);
		rejected++;
		pthread_mutex_unlock(&mu);
		about_number(f, to, "为空号 (no such subscriber)", msg,
			     sizeof(msg));
		*result = api_error("invalid_number", msg);
		return 400;
	}
	if (prefixed(to, f->tempfail_prefix)) {
		char msg[192];

		about_number(f, to, "系统忙 (subscriber system busy)", msg,
			     sizeof(msg));
		*result = api_error("unavailable", msg);
		return 503;
	}
	undeliverable = prefixed(to, f->undeliverable_prefix);
	mid = strtoull(id, NULL, 10);
	pthread_mutex_lock(&mu);
	n = idem != NULL ? taken_as(idem, 0) : 0;
	if (n != 0)
		replays++;
	pthread_mutex_unlock(&mu);
	if (n == 0) {
		taken_now = 1;
		(*fresh)++;
		n = record_put(mid, to, parts, text);
		if (idem != NULL) {
			pthread_mutex_lock(&mu);
			taken_as(idem, n);
			pthread_mutex_unlock(&mu);
		}
	} /* else taken before: the same answer, nothing sent */
	snprintf(ref, sizeof(ref), "sim-%llu", n);
	if (f->quote) {
		/* Some platforms' message ids carry the number. */
		char q[128];

		quoted_number(to, (unsigned int)n, q, sizeof(q));
		snprintf(ref, sizeof(ref), "sim-%llu-%s", n, q);
	}
	if (taken_now && url != NULL && !f->no_receipts) {
		json_t *r = json_pack("{s:s,s:s,s:s}", "id", ref, "status",
				      undeliverable ? "failed" : "delivered",
				      "code",
				      undeliverable ? "absent_subscriber"
						    : "DELIVRD");
		char *body;

		if (undeliverable && f->quote) {
			char msg[192];

			about_number(f, to, "不在服务区 (absent subscriber)",
				     msg, sizeof(msg));
			json_object_set_new(r, "text", json_string(msg));
		}
		if (token != NULL) {
			json_object_set_new(r, "message_id", json_string(id));
			json_object_set_new(r, "token", json_string(token));
		}
		body = json_dumps(r, JSON_COMPACT);
		json_decref(r);
		enqueue_receipt(url, body, NULL,
				now_s() + f->receipt_delay_ms / 1000.0,
				token != NULL);
		free(body);
	}
	*result = json_pack("{s:s}", "id", ref);
	return 202;
}

static enum MHD_Result
answer_json(struct MHD_Connection *c, unsigned int status, json_t *j,
	    int retry_after)
{
	char *body = json_dumps(j, JSON_COMPACT);
	enum MHD_Result ret =
		answer(c, status, body ? body : "{}", retry_after);

	free(body);
	json_decref(j);
	return ret;
}

/* POST /v1/sms: one message, or {"messages": [...]} in a batch. The
 * faults of a request (latency, token, reset, timeout, 503, 429, a lost
 * answer) are the whole batch's. */
static enum MHD_Result
sms(struct MHD_Connection *c, const char *body, size_t len)
{
	struct faults f;
	json_t *j = json_loadb(body, len, 0, NULL), *list, *res, *results;
	const char *auth, *idem, *url;
	unsigned int status;
	size_t i;
	int fresh = 0;
	double r;

	pthread_mutex_lock(&mu);
	f = F;
	sms_requests++;
	pthread_mutex_unlock(&mu);
	if (f.latency_ms > 0)
		usleep((useconds_t)f.latency_ms * 1000);
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (f.token[0] != '\0' &&
	    (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
	     strcmp(auth + 7, f.token) != 0)) {
		json_decref(j);
		return answer_json(c, 401,
				   api_error("unauthorized", "bad token"), 0);
	}
	r = chance();
	if (r < f.reset + f.timeout) {
		json_decref(j);
		if (r >= f.reset)
			sleep(30);
		return MHD_NO; /* the connection is closed */
	}
	r -= f.reset + f.timeout;
	if (r < f.fail_5xx) {
		json_decref(j);
		return answer_json(c, 503,
				   api_error("unavailable", "try later"), 0);
	}
	r -= f.fail_5xx;
	if (r < f.fail_429) {
		json_decref(j);
		return answer_json(c, 429,
				   api_error("rate_limited", "slow down"),
				   f.retry_after);
	}
	r -= f.fail_429;
	url = json_string_value(json_object_get(j, "receipt_url"));
	list = json_object_get(j, "messages");
	if (list == NULL) {
		idem = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						   "Idempotency-Key");
		status = sms_message(&f, j, idem, url, NULL, &res, &fresh);
	} else {
		results = json_array();
		for (i = 0; i < json_array_size(list); i++) {
			json_t *m = json_array_get(list, i);
			const char *key = json_string_value(
				json_object_get(m, "idempotency_key"));
			const char *token = json_string_value(
				json_object_get(m, "receipt_token"));

			sms_message(&f, m, key, url, token, &res, &fresh);
			json_object_set(res, "message_id",
					json_object_get(m, "message_id"));
			json_array_append_new(results, res);
		}
		res = json_pack("{s:o}", "results", results);
		status = json_is_array(list) ? 202 : 400;
	}
	record_flush();
	json_decref(j);
	if (fresh > 0 && r < f.lost_answer) {
		/* taken, but the answer is lost (a replay's is not) */
		json_decref(res);
		sleep(30);
		return MHD_NO;
	}
	return answer_json(c, status, res, 0);
}

void
form_get(const char *body, const char *key, char *out, size_t len)
{
	size_t klen = strlen(key);
	const char *p = body;
	CURL *e = curl_easy_init();

	out[0] = '\0';
	while (p != NULL && *p != '\0') {
		const char *amp = strchr(p, '&');
		size_t n = amp ? (size_t)(amp - p) : strlen(p);

		if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			char *raw = strndup(p + klen + 1, n - klen - 1), *v;
			int vl = 0;
			char *q;

			for (q = raw; *q; q++)
				if (*q == '+')
					*q = ' ';
			v = curl_easy_unescape(e, raw, 0, &vl);
			snprintf(out, len, "%s", v ? v : "");
			curl_free(v);
			free(raw);
			break;
		}
		p = amp ? amp + 1 : NULL;
	}
	curl_easy_cleanup(e);
}

static char *
form_escape(const char *v)
{
	CURL *e = curl_easy_init();
	char *x = curl_easy_escape(e, v, 0), *out = strdup(x ? x : "");

	curl_free(x);
	curl_easy_cleanup(e);
	return out;
}

/* Twilio's request signature: base64(HMAC-SHA1(token, url + the form's
 * names and values sorted by name)); the form here is built sorted. */
/* The Twilio auth token now (-t, or the twilio_token control). */
static void
twilio_key(char out[sizeof(twilio_token)])
{
	pthread_mutex_lock(&mu);
	memcpy(out, twilio_token, sizeof(twilio_token));
	pthread_mutex_unlock(&mu);
}

static void
twilio_sign(const char *url, const char *const *kv, size_t n, char *out)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char data[4096], key[sizeof(twilio_token)];
	size_t i, o;

	o = (size_t)snprintf(data, sizeof(data), "%s", url);
	for (i = 0; i + 1 < n && o < sizeof(data); i += 2)
		o += (size_t)snprintf(data + o, sizeof(data) - o, "%s%s", kv[i],
				      kv[i + 1]);
	twilio_key(key);
	HMAC(EVP_sha1(), key, (int)strlen(key), (unsigned char *)data,
	     strlen(data), mac, &maclen);
	EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
}

/* Queue one signed status callback: kv are name/value pairs sorted by
 * name (empty values are sent, as Twilio does). */
static void
twilio_callback(const char *cb, double due, const char *const *kv, size_t n)
{
	char sig[64], body[1024];
	size_t i, o = 0;

	twilio_sign(cb, kv, n, sig);
	body[0] = '\0';
	for (i = 0; i + 1 < n && o < sizeof(body); i += 2) {
		char *e = form_escape(kv[i + 1]);

		o += (size_t)snprintf(body + o, sizeof(body) - o, "%s%s=%s",
				      i ? "&" : "", kv[i], e);
		free(e);
	}
	enqueue_receipt(cb, body, sig, due, 0);
}

int
prefixed(const char *to, const char *prefix)
{
	return prefix[0] != '\0' && strncmp(to, prefix, strlen(prefix)) == 0;
}

/* The Messages API: a delivered (or undelivered) callback per message. */
static enum MHD_Result
twilio_message(struct MHD_Connection *c, const struct faults *f,
	       const char *sid, const char *body)
{
	char to[64], text[2048], cb[1024], idbuf[32], msid[40], out[128];
	unsigned long long n;
	const char *idp;
	int undeliverable;

	form_get(body, "To", to, sizeof(to));
	form_get(body, "Body", text, sizeof(text));
	form_get(body, "StatusCallback", cb, sizeof(cb));
	undeliverable = prefixed(to, f->undeliverable_prefix);
	idp = strstr(cb, "id=");
	snprintf(idbuf, sizeof(idbuf), "%s", idp ? idp + 3 : "0");
	n = record_message(strtoull(idbuf, NULL, 10), to, 0, text);
	snprintf(msid, sizeof(msid), "SM%030llu", n);
	if (cb[0] != '\0' && !f->no_receipts) {
		const char *kv[] =
			{"AccountSid",
			 sid,
			 "ErrorCode",
			 undeliverable ? "30005" : "",
			 "MessageSid",
			 msid,
			 "MessageStatus",
			 undeliverable ? "undelivered" : "delivered"};

		twilio_callback(cb, now_s() + f->receipt_delay_ms / 1000.0, kv,
				8);
	}
	snprintf(out, sizeof(out), "{\"sid\":\"%s\",\"status\":\"queued\"}",
		 msid);
	return answer(c, 201, out, 0);
}

/* The Calls API: initiated, ringing, then in-progress and completed (or
 * busy, no-answer, failed 13224 for the numbers the faults name), one
 * receipt delay apart. The TwiML is what is recorded. */
static enum MHD_Result
twilio_call(struct MHD_Connection *c, const struct faults *f, const char *sid,
	    const char *body)
{
	static const char *const steps[] = {"initiated", "ringing"};
	char to[64], cb[1024], idbuf[32], csid[40], out[128];
	char *xml = calloc(1, 32768);
	const char *idp, *final = "completed", *ecode = "", *duration = "";
	double step = f->receipt_delay_ms / 1000.0, due = now_s();
	unsigned long long n;
	size_t i;

	form_get(body, "To", to, sizeof(to));
	form_get(body, "Twiml", xml, 32768);
	form_get(body, "StatusCallback", cb, sizeof(cb));
	idp = strstr(cb, "id=");
	snprintf(idbuf, sizeof(idbuf), "%s", idp ? idp + 3 : "0");
	n = record_message(strtoull(idbuf, NULL, 10), to, 0, xml);
	free(xml);
	snprintf(csid, sizeof(csid), "CA%030llu", n);
	if (prefixed(to, f->busy_prefix)) {
		final = "busy";
	} else if (prefixed(to, f->no_answer_prefix)) {
		final = "no-answer";
	} else if (prefixed(to, f->undeliverable_prefix)) {
		final = "failed";
		ecode = "13224";
	} else {
		duration = "31";
	}
	if (cb[0] != '\0' && !f->no_receipts) {
		for (i = 0; i < 2; i++) {
			const char *kv[] = {"AccountSid", sid,
					    "CallSid",    csid,
					    "CallStatus", steps[i]};

			twilio_callback(cb, due += step, kv, 6);
		}
		if (strcmp(final, "completed") == 0) {
			const char *kv[] = {"AccountSid", sid,
					    "CallSid",    csid,
					    "CallStatus", "in-progress"};

			twilio_callback(cb, due += step, kv, 6);
		}
		{
			const char *kv[] = {"AccountSid",   sid,
					    "CallDuration", duration,
					    "CallSid",      csid,
					    "CallStatus",   final,
					    "ErrorCode",    ecode};

			twilio_callback(cb, due += step, kv, 10);
		}
	}
	snprintf(out, sizeof(out), "{\"sid\":\"%s\",\"status\":\"queued\"}",
		 csid);
	return answer(c, 201, out, 0);
}

static enum MHD_Result
twilio(struct MHD_Connection *c, const char *url, const char *body)
{
	char to[64], sid[64], resource[32], user[128], *u, *pw = NULL;
	char key[sizeof(twilio_token)];
	struct faults f;

	pthread_mutex_lock(&mu);
	f = F;
	pthread_mutex_unlock(&mu);
	if (f.latency_ms > 0)
		usleep((useconds_t)f.latency_ms * 1000);
	/* /2010-04-01/Accounts/{sid}/{Messages,Calls}.json */
	if (sscanf(url, "/2010-04-01/Accounts/%63[^/]/%31s", sid, resource) !=
		    2 ||
	    (strcmp(resource, "Messages.json") != 0 &&
	     strcmp(resource, "Calls.json") != 0))
		return answer(c, 404, "{\"code\":20404}", 0);
	u = MHD_basic_auth_get_username_password(c, &pw);
	snprintf(user, sizeof(user), "%s", u ? u : "");
	twilio_key(key);
	if (u == NULL || pw == NULL || strcmp(user, sid) != 0 ||
	    strcmp(pw, key) != 0) {
		MHD_free(u);
		MHD_free(pw);
		return answer(c, 401,
			      "{\"code\":20003,\"message\":\"Authenticate\","
			      "\"status\":401}",
			      0);
	}
	MHD_free(u);
	MHD_free(pw);
	if (chance() < f.fail_5xx)
		return answer(c, 500, "{\"code\":20500,\"status\":500}", 0);
	if (chance() < f.fail_429)
		return answer(c, 429, "{\"code\":20429,\"status\":429}",
			      f.retry_after);
	form_get(body, "To", to, sizeof(to));
	if (prefixed(to, f.invalid_prefix)) {
		char msg[256];

		pthread_mutex_lock(&mu);
		rejected++;
		pthread_mutex_unlock(&mu);
		/* Twilio quotes the number back, without its '+'. */
		snprintf(msg, sizeof(msg),
			 "{\"code\":21211,\"message\":\"The 'To' number %s "
			 "is not a valid phone number.\",\"status\":400}",
			 to[0] == '+' ? to + 1 : to);
		return answer(c, 400, msg, 0);
	}
	if (strcmp(resource, "Calls.json") == 0)
		return twilio_call(c, &f, sid, body);
	return twilio_message(c, &f, sid, body);
}

struct conn {
	char *body;
	size_t len;
};

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size,
       void **con_cls)
{
	struct conn *cn = *con_cls;
	char out[512];

	(void)cls;
	(void)version;
	if (cn == NULL) {
		*con_cls = calloc(1, sizeof(struct conn));
		return MHD_YES;
	}
	if (*upload_size > 0) {
		cn->body = realloc(cn->body, cn->len + *upload_size + 1);
		memcpy(cn->body + cn->len, upload, *upload_size);
		cn->len += *upload_size;
		cn->body[cn->len] = '\0';
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "POST") == 0 && strcmp(url, "/v1/sms") == 0)
		return sms(c, cn->body ? cn->body : "", cn->len);
	if (strcmp(method, "POST") == 0 &&
	    strncmp(url, "/2010-04-01/Accounts/", 21) == 0)
		return twilio(c, url, cn->body ? cn->body : "");
	if (strcmp(method, "POST") == 0 && strcmp(url, "/token") == 0)
		return fcm_token(c, cn->body ? cn->body : "");
	if (strcmp(method, "POST") == 0 &&
	    strncmp(url, "/v1/projects/", 13) == 0) {
		int ms;

		pthread_mutex_lock(&mu);
		ms = F.latency_ms;
		pthread_mutex_unlock(&mu);
		if (ms > 0) /* like every API here: an answer's latency */
			usleep((useconds_t)ms * 1000);
		return fcm_send(c, url, cn->body ? cn->body : "");
	}
	if (strcmp(method, "POST") == 0 && strcmp(url, "/_control") == 0) {
		json_t *j =
			json_loadb(cn->body ? cn->body : "", cn->len, 0, NULL);

		if (!json_is_object(j)) {
			json_decref(j);
			return answer(c, 400, "{\"error\":\"json object\"}", 0);
		}
		control(j);
		json_decref(j);
		return answer(c, 200, "{\"ok\":true}", 0);
	}
	if (strcmp(url, "/_stats") == 0) {
		unsigned long long tokens = fcm_tokens_issued();

		pthread_mutex_lock(&mu);
		snprintf(
			out, sizeof(out),
			"{\"received\":%llu,\"unique\":%llu,\"duplicates\":%llu,"
			"\"replays\":%llu,"
			"\"receipts_sent\":%llu,\"receipts_failed\":%llu,"
			"\"rejected\":%llu,\"tokens\":%llu,"
			"\"sms_requests\":%llu,\"receipt_posts\":%llu}",
			received, received - duplicates, duplicates, replays,
			receipts_sent, receipts_failed, rejected, tokens,
			sms_requests, receipt_posts);
		pthread_mutex_unlock(&mu);
		return answer(c, 200, out, 0);
	}
	return answer(c, 404, "{\"error\":\"no such endpoint\"}", 0);
}

static void
completed(void *cls, struct MHD_Connection *c, void **con_cls,
	  enum MHD_RequestTerminationCode toe)
{
	struct conn *cn = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cn != NULL) {
		free(cn->body);
		free(cn);
		*con_cls = NULL;
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	pthread_t rt;
	const char *out = "sim-record.tsv";
	int port = 8030, ch;

	while ((ch = getopt(argc, argv, "p:o:d:l:t:k:r:b:")) != -1) {
		switch (ch) {
		case 'p':
			port = (int)strtol(optarg, NULL, 10);
			break;
		case 'o':
			out = optarg;
			break;
		case 'd':
			F.receipt_delay_ms = (int)strtol(optarg, NULL, 10);
			break;
		case 'l':
			F.latency_ms = (int)strtol(optarg, NULL, 10);
			break;
		case 't':
			snprintf(twilio_token, sizeof(twilio_token), "%s",
				 optarg);
			break;
		case 'k':
			if (fcm_load_key(optarg) != 0)
				return 1;
			break;
		case 'b':
			receipt_batch = (int)strtol(optarg, NULL, 10);
			if (receipt_batch < 1 || receipt_batch > 500) {
				fprintf(stderr, "feegate-sim: -b 1..500\n");
				return 2;
			}
			break;
		case 'r':
			receipt_conns = (int)strtol(optarg, NULL, 10);
			if (receipt_conns < 1 || receipt_conns > 1024) {
				fprintf(stderr, "feegate-sim: -r 1..1024\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: feegate-sim -p PORT -o FILE "
					"[-d RECEIPT_MS] [-l LATENCY_MS] "
					"[-r RECEIPT_CONNECTIONS] [-b BATCH] "
					"[-t TWILIO_TOKEN] [-k FCM_PUBKEY]\n");
			return 2;
		}
	}
	record = fopen(out, "a");
	if (record == NULL) {
		perror(out);
		return 1;
	}
	srandom((unsigned)getpid());
	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION |
				     MHD_USE_INTERNAL_POLLING_THREAD,
			     0, NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
			     MHD_OPTION_CONNECTION_TIMEOUT, 60u,
			     /* several gateways' worth of connections */
			     MHD_OPTION_CONNECTION_LIMIT, 4000u,
			     MHD_OPTION_END);
	if (d == NULL) {
		/* libmicrohttpd leaves bind()'s errno: "Address already in
		 * use" says the port is taken. */
		fprintf(stderr,
			"feegate-sim: cannot listen on 127.0.0.1:%d: %s\n",
			port, errno != 0 ? strerror(errno) : "no reason given");
		return 1;
	}
	poster = curl_multi_init();
	curl_multi_setopt(poster, CURLMOPT_MAXCONNECTS, (long)receipt_conns);
	pthread_create(&rt, NULL, receipt_thread, NULL);
	fprintf(stderr,
		"feegate-sim: listening on 127.0.0.1:%d, recording to %s\n",
		port, out);
	while (!stop)
		pause();
	curl_multi_wakeup(poster);
	pthread_join(rt, NULL);
	curl_multi_cleanup(poster);
	MHD_stop_daemon(d);
	fclose(record);
	curl_global_cleanup();
	return 0;
}
