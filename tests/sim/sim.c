/*
 * sim.c: an SMS provider simulator for tests, the demo and benchmarks.
 *
 *   feegate-sim -p PORT -o RECORD.tsv [-d RECEIPT_DELAY_MS] [-l LATENCY_MS]
 *
 * Speaks the generic JSON API of channels/sms_http.c (POST /v1/sms) and
 * posts a receipt for each accepted message to its receipt_url. It records
 * every message it accepts, one line each, and de-duplicates nothing:
 *
 *   epoch_ms <TAB> message_id <TAB> to <TAB> parts <TAB> text
 *
 * Faults on demand: POST /_control with a JSON object, any of
 *   latency_ms, receipt_delay_ms        answer and receipt delays
 *   fail_5xx, fail_429, timeout, reset   shares of requests (0..1) that get
 *                                        503, 429 + Retry-After, no answer
 *                                        for 30 s, or a closed connection
 *   retry_after                          seconds, with 429
 *   invalid_prefix                       numbers starting so: 400
 *                                        invalid_number (permanent)
 *   tempfail_prefix                      numbers starting so: 503
 *   undeliverable_prefix                 accepted, then a "failed" receipt
 *   no_receipts                          true: accept, never send receipts
 *   token                                the Bearer token to insist on
 * GET /_stats: {"received", "unique", "duplicates", "receipts_sent",
 * "receipts_failed", "rejected"}.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
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

struct faults {
	int latency_ms, receipt_delay_ms, retry_after, no_receipts;
	double fail_5xx, fail_429, timeout, reset;
	char invalid_prefix[32], undeliverable_prefix[32], tempfail_prefix[32];
	char token[256];
};

struct pending {
	double due;
	char *url;
	char *body;
	struct pending *next;
};

static struct faults F;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct pending *queue;
static FILE *record;
static unsigned long long received, duplicates, receipts_sent,
	receipts_failed, rejected, seq;
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

static double
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

static void
enqueue_receipt(const char *url, const char *body, double due)
{
	struct pending *p = calloc(1, sizeof(*p)), **pp;

	p->due = due;
	p->url = strdup(url);
	p->body = strdup(body);
	pthread_mutex_lock(&mu);
	for (pp = &queue; *pp != NULL && (*pp)->due <= due; pp = &(*pp)->next)
		;
	p->next = *pp;
	*pp = p;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

static size_t
discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

static void *
receipt_thread(void *arg)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL,
						 "Content-Type: application/json");

	(void)arg;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	while (!stop) {
		struct pending *p;
		long status = 0;
		int tries;

		pthread_mutex_lock(&mu);
		while (queue == NULL && !stop)
			pthread_cond_wait(&cv, &mu);
		if (stop) {
			pthread_mutex_unlock(&mu);
			break;
		}
		if (queue->due > now_s()) {
			struct timespec ts;
			double due = queue->due;

			ts.tv_sec = (time_t)due;
			ts.tv_nsec = (long)((due - (double)ts.tv_sec) * 1e9);
			pthread_cond_timedwait(&cv, &mu, &ts);
			pthread_mutex_unlock(&mu);
			continue;
		}
		p = queue;
		queue = p->next;
		pthread_mutex_unlock(&mu);
		curl_easy_setopt(c, CURLOPT_URL, p->url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, p->body);
		/* Like a provider: keep trying for a while (here 15 s) if the
		 * receiver is down or says "try again". */
		for (tries = 0; tries < 50 && !stop; tries++) {
			status = 0;
			if (curl_easy_perform(c) == CURLE_OK)
				curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE,
						  &status);
			if (status != 0 && status < 500)
				break;
			usleep(300000);
		}
		pthread_mutex_lock(&mu);
		if (status >= 200 && status < 300)
			receipts_sent++;
		else
			receipts_failed++;
		pthread_mutex_unlock(&mu);
		free(p->url);
		free(p->body);
		free(p);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned int status, const char *body,
       int retry_after)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
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
	INT(retry_after);
	DBL(fail_5xx);
	DBL(fail_429);
	DBL(timeout);
	DBL(reset);
	STR(invalid_prefix);
	STR(tempfail_prefix);
	STR(undeliverable_prefix);
	STR(token);
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

static enum MHD_Result
sms(struct MHD_Connection *c, const char *body, size_t len)
{
	struct faults f;
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *to, *text, *id, *url, *auth;
	char out[128], rbody[256], *t;
	unsigned long long mid, n;
	int parts, dup, undeliverable;
	double r;

	pthread_mutex_lock(&mu);
	f = F;
	pthread_mutex_unlock(&mu);
	if (f.latency_ms > 0)
		usleep((useconds_t)f.latency_ms * 1000);
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (f.token[0] != '\0' &&
	    (auth == NULL || strncmp(auth, "Bearer ", 7) != 0 ||
	     strcmp(auth + 7, f.token) != 0)) {
		json_decref(j);
		return answer(c, 401,
			      "{\"error\":{\"code\":\"unauthorized\","
			      "\"message\":\"bad token\"}}",
			      0);
	}
	r = chance();
	if (r < f.reset) {
		json_decref(j);
		return MHD_NO; /* the connection is closed */
	}
	r -= f.reset;
	if (r < f.timeout) {
		json_decref(j);
		sleep(30);
		return MHD_NO;
	}
	r -= f.timeout;
	if (r < f.fail_5xx) {
		json_decref(j);
		return answer(c, 503,
			      "{\"error\":{\"code\":\"unavailable\","
			      "\"message\":\"try later\"}}",
			      0);
	}
	r -= f.fail_5xx;
	if (r < f.fail_429) {
		json_decref(j);
		return answer(c, 429,
			      "{\"error\":{\"code\":\"rate_limited\","
			      "\"message\":\"slow down\"}}",
			      f.retry_after);
	}
	to = json_string_value(json_object_get(j, "to"));
	text = json_string_value(json_object_get(j, "text"));
	id = json_string_value(json_object_get(j, "message_id"));
	url = json_string_value(json_object_get(j, "receipt_url"));
	parts = (int)json_integer_value(json_object_get(j, "parts"));
	if (to == NULL || text == NULL || id == NULL) {
		json_decref(j);
		return answer(c, 400,
			      "{\"error\":{\"code\":\"bad_request\","
			      "\"message\":\"to, text and message_id\"}}",
			      0);
	}
	if (f.invalid_prefix[0] &&
	    strncmp(to, f.invalid_prefix, strlen(f.invalid_prefix)) == 0) {
		pthread_mutex_lock(&mu);
		rejected++;
		pthread_mutex_unlock(&mu);
		json_decref(j);
		return answer(c, 400,
			      "{\"error\":{\"code\":\"invalid_number\","
			      "\"message\":\"no such subscriber\"}}",
			      0);
	}
	if (f.tempfail_prefix[0] &&
	    strncmp(to, f.tempfail_prefix, strlen(f.tempfail_prefix)) == 0) {
		json_decref(j);
		return answer(c, 503,
			      "{\"error\":{\"code\":\"unavailable\","
			      "\"message\":\"subscriber system busy\"}}",
			      0);
	}
	undeliverable = f.undeliverable_prefix[0] &&
			strncmp(to, f.undeliverable_prefix,
				strlen(f.undeliverable_prefix)) == 0;
	mid = strtoull(id, NULL, 10);
	t = strdup(text);
	clean(t);
	pthread_mutex_lock(&mu);
	n = ++seq;
	received++;
	dup = mark_seen(mid);
	if (dup)
		duplicates++;
	fprintf(record, "%.0f\t%llu\t%s\t%d\t%s\n", now_s() * 1000, mid, to,
		parts, t);
	fflush(record);
	pthread_mutex_unlock(&mu);
	free(t);
	if (url != NULL && !f.no_receipts) {
		snprintf(rbody, sizeof(rbody),
			 "{\"id\":\"sim-%llu\",\"status\":\"%s\",\"code\":\"%s\"}",
			 n, undeliverable ? "failed" : "delivered",
			 undeliverable ? "absent_subscriber" : "DELIVRD");
		enqueue_receipt(url, rbody, now_s() + f.receipt_delay_ms / 1000.0);
	}
	json_decref(j);
	snprintf(out, sizeof(out), "{\"id\":\"sim-%llu\"}", n);
	return answer(c, 202, out, 0);
}

struct conn {
	char *body;
	size_t len;
};

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
       const char *method, const char *version, const char *upload,
       size_t *upload_size, void **con_cls)
{
	struct conn *cn = *con_cls;
	char out[256];

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
	if (strcmp(method, "POST") == 0 && strcmp(url, "/_control") == 0) {
		json_t *j = json_loadb(cn->body ? cn->body : "", cn->len, 0,
				       NULL);

		if (!json_is_object(j)) {
			json_decref(j);
			return answer(c, 400, "{\"error\":\"json object\"}", 0);
		}
		control(j);
		json_decref(j);
		return answer(c, 200, "{\"ok\":true}", 0);
	}
	if (strcmp(url, "/_stats") == 0) {
		pthread_mutex_lock(&mu);
		snprintf(out, sizeof(out),
			 "{\"received\":%llu,\"unique\":%llu,\"duplicates\":%llu,"
			 "\"receipts_sent\":%llu,\"receipts_failed\":%llu,"
			 "\"rejected\":%llu}",
			 received, received - duplicates, duplicates,
			 receipts_sent, receipts_failed, rejected);
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

	while ((ch = getopt(argc, argv, "p:o:d:l:")) != -1) {
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
		default:
			fprintf(stderr, "usage: feegate-sim -p PORT -o FILE "
					"[-d RECEIPT_MS] [-l LATENCY_MS]\n");
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
			     (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED,
			     completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
			     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "feegate-sim: cannot listen on 127.0.0.1:%d\n",
			port);
		return 1;
	}
	pthread_create(&rt, NULL, receipt_thread, NULL);
	fprintf(stderr, "feegate-sim: listening on 127.0.0.1:%d, recording to %s\n",
		port, out);
	while (!stop)
		pause();
	pthread_mutex_lock(&mu);
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	pthread_join(rt, NULL);
	MHD_stop_daemon(d);
	fclose(record);
	curl_global_cleanup();
	return 0;
}
