/*
 * receipts.c: see receipts.h.
 *
 * Group commit: the server's thread checks a receipt (endpoint, adapter,
 * signature), suspends its connection and queues it; a writer thread with
 * its own database connection applies everything queued in one
 * transaction and resumes the connections, which are answered only then
 * (a 200 means written). One transaction per receipt held the server to
 * about 580 receipts/s.
 */
#include "serve/receipts.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "base/dates.h"
#include "base/log.h"
#include "base/mask.h"
#include "base/workq.h"
#include "net/httpd.h"
#include "queue/outbox.h"
#include "send/metrics.h"
#include "serve/api.h"
#include "serve/health.h"
#include "store/db.h"

#define RECEIPT_MAX_BODY 65536
/* Receipts per transaction at most, and in one request of a provider
 * that posts them in batches. */
#define RECEIPT_BATCH 500
/* Once a receipt is queued the writer waits for more while they keep
 * coming, each within RECEIPT_GAP_US of the one before, for up to
 * RECEIPT_LINGER_US: receipts trickle in (a provider posts each on its
 * own) and a transaction per handful cost MariaDB more than the receipts
 * themselves; a fixed wait instead held back providers that post from a
 * few connections, each waiting for its answer (bench.sh: 32 posting
 * threads, 4,840 -> 3,300 receipts/s). */
#define RECEIPT_GAP_US    500
#define RECEIPT_LINGER_US 5000
/* Connections at once. A provider keeps its callback connections open
 * between receipts: at 256 Kannel's smsbox filled them all and its last
 * 256 delivery reports waited 30 s for idle ones to time out. */
#define RECEIPT_CONNECTIONS 2048u

/* A request's receipts between the request and its answer. */
struct pending {
	struct workq_item wi; /* first */
	struct MHD_Connection *c;
	int failed; /* not all written: the provider sends them again */
	int batch;  /* posted as a batch: answered as one */
	size_t n;
	struct receipt_item item[]; /* n */
};
#define PNEXT(p) ((struct pending *)(p)->wi.next)

struct receipts {
	struct MHD_Daemon *mhd;
	const struct config *cfg;
	struct channel *const *channels;
	size_t nchannels;
	struct db db;           /* the notice API's, on the server's thread */
	struct db wdb;          /* the writer's */
	struct receipt *parsed; /* RECEIPT_BATCH: the server thread's */
	double now_offset;
	atomic_ullong applied;
	pthread_t writer;
	int writer_started;
	struct workq q;    /* receipts for the writer */
	int stopping_seen; /* the writer's: stopping when taken */
	int down;          /* the writer's: the last batch found no database */
};

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, const char *json)
{
	return httpd_reply(c, status, "application/json", json, strlen(json),
			   NULL);
}

static void
clock_now(const struct receipts *rs, char now[TIME_LEN], char date[DATE_LEN])
{
	struct timespec ts;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = ts.tv_sec + (time_t)rs->now_offset;
	gmtime_r(&t, &tm);
	strftime(now, TIME_LEN, "%Y-%m-%d %H:%M:%S", &tm);
	/* The business date is the local date where the utility is. */
	localtime_r(&t, &tm);
	strftime(date, DATE_LEN, "%Y-%m-%d", &tm);
}

/* /healthz and /readyz (health.h): no token, no database. */
static enum MHD_Result
health(struct MHD_Connection *c, const char *url)
{
	struct sbuf out;
	unsigned int status;
	enum MHD_Result ret;

	sbuf_init(&out);
	status = strcmp(url, "/healthz") == 0 ? health_live(&out)
					      : health_ready(&out);
	ret = httpd_reply(c, status, "application/json", out.s, out.len, NULL);
	sbuf_free(&out);
	return ret;
}

/* The notice API (api.c) on this server's thread and connection. */
static enum MHD_Result
api(struct receipts *rs, struct MHD_Connection *c, const char *url,
    const char *method, const struct httpd_body *cn)
{
	struct kv_list query = {0};
	struct api_request q = {0};
	char now[TIME_LEN], date[DATE_LEN], remote[64];
	struct sbuf out, link;
	unsigned int status;
	enum MHD_Result ret;

	clock_now(rs, now, date);
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, httpd_collect,
				  &query);
	q.method = method;
	q.path = url;
	q.query = &query;
	q.body = cn->body.s;
	q.body_len = cn->body.len;
	q.date = date;
	q.now = now;
	q.authorization = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "Authorization");
	{
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

		if (ci != NULL && ci->client_addr->sa_family == AF_INET &&
		    inet_ntop(AF_INET,
			      &((const struct sockaddr_in *)ci->client_addr)
				       ->sin_addr,
			      remote, sizeof(remote)) != NULL)
			q.remote = remote;
	}
	sbuf_init(&out);
	sbuf_init(&link);
	status = api_handle(&rs->db, rs->cfg, &q, &out, &link);
	kv_free(&query);
	ret = httpd_reply(c, status,
			  strcmp(url, "/metrics") == 0 && status == 200
				  ? "text/plain; version=0.0.4"
				  : "application/json",
			  out.s, out.len,
			  status == 401  ? "WWW-Authenticate"
			  : link.len > 0 ? "Link"
					 : NULL,
			  status == 401 ? "Bearer realm=\"feegate\"" : link.s,
			  NULL);
	sbuf_free(&out);
	sbuf_free(&link);
	return ret;
}

/* The log line of a receipt the writer is done with; 1 if it was
 * refused. */
static int
log_receipt(const struct receipt_item *it)
{
	const struct receipt *r = &it->r;

	if (it->verdict < 0) {
		log_warnx("receipts: msg=%llu provider=%s refused: %s",
			  r->message_id, it->provider, it->why);
		metrics_receipt_refused(it->provider, 1);
		return 1;
	}
	/* A delivery, or a report again, at debug; a failure at info (see
	 * log_attempt in dispatch.c: a line a receipt at info would pass
	 * journald's rate limit on a province's night). */
	log_at(r->status == DELIVERY_OK || it->verdict == 1 ? LOG_LEVEL_DEBUG
							    : LOG_LEVEL_INFO,
	       "receipt msg=%llu provider=%s status=%s final=%d code=\"%s\"%s",
	       r->message_id, it->provider,
	       r->status == DELIVERY_OK         ? "delivered"
	       : r->status == DELIVERY_PERMFAIL ? "failed"
						: "expired",
	       r->final, r->code, it->verdict == 1 ? " duplicate=1" : "");
	return 0;
}

/* The answer to a request the writer is done with. A batch is answered
 * as one: 503 unless every receipt in it was written (the provider posts
 * it again; those written are duplicates then), else 200 with counts. */
static enum MHD_Result
answer(struct pending *p)
{
	size_t i, dup = 0, refused = 0;
	char out[96];

	if (p->failed)
		/* Our trouble (logged by the writer): the provider will send
		 * it again. */
		return reply(p->c, 503, "{\"error\":\"try again\"}");
	for (i = 0; i < p->n; i++) {
		refused += (size_t)log_receipt(&p->item[i]);
		dup += p->item[i].verdict == 1;
	}
	if (!p->batch && refused > 0)
		return reply(p->c, 403,
			     "{\"error\":\"unknown message or token\"}");
	if (!p->batch)
		snprintf(out, sizeof(out), "{\"ok\":true,\"duplicate\":%s}",
			 dup > 0 ? "true" : "false");
	else
		snprintf(out, sizeof(out),
			 "{\"ok\":true,\"receipts\":%zu,\"duplicates\":%zu,"
			 "\"refused\":%zu}",
			 p->n, dup, refused);
	return reply(p->c, 200, out);
}

/* Hold the request until the writer has applied its receipts. */
static enum MHD_Result
enqueue(struct receipts *rs, struct MHD_Connection *c, struct httpd_body *cn,
	const char *provider, const struct receipt *r, size_t n, int batch)
{
	struct pending *p;
	size_t i;

	if (workq_stopping(&rs->q))
		return reply(c, 503, "{\"error\":\"try again\"}");
	p = xcalloc(1, sizeof(*p) + n * sizeof(p->item[0]));
	p->c = c;
	p->batch = batch;
	p->n = n;
	for (i = 0; i < n; i++) {
		p->item[i].provider = provider;
		p->item[i].r = r[i];
	}
	cn->work = p;
	/* Suspended before the writer can see it: it resumes it. */
	MHD_suspend_connection(c);
	if (workq_put(&rs->q, &p->wi) != 0) {
		/* Stopped meanwhile: a 503 when it is called again. */
		p->failed = 1;
		MHD_resume_connection(c);
	}
	return MHD_YES;
}

/* Apply the receipts of a list of requests in one transaction; when it
 * fails as a whole, each receipt alone, so that one the database refuses
 * does not hold back the others. */
static void
write_batch(struct receipts *rs, struct pending *list, size_t n)
{
	struct receipt_item *it = xcalloc(n, sizeof(*it));
	char now[TIME_LEN], date[DATE_LEN];
	struct pending *p;
	struct fg_err err;
	size_t i, k, applied = 0;

	for (p = list, i = 0; p != NULL; p = PNEXT(p))
		for (k = 0; k < p->n; k++)
			it[i++] = p->item[k];
	clock_now(rs, now, date);
	/* The database is gone (it did not come back for the last batch)
	 * and the server is stopping: the providers send these again. */
	if (rs->down && rs->stopping_seen) {
		for (i = 0; i < n; i++)
			it[i].verdict = -2;
	} else if (outbox_receipts(&rs->wdb, rs->cfg, it, n, now, date, &err) !=
		   0) {
		log_warnx("receipts: a batch of %zu: %s", n, err.msg);
		/* Receipt by receipt, so that one the database refuses does
		 * not hold back the others; not when the database is gone
		 * (each would wait for it again). */
		rs->down = rs->wdb.lost;
		for (i = 0; i < n; i++)
			if (n == 1 || rs->down ||
			    outbox_receipts(&rs->wdb, rs->cfg, &it[i], 1, now,
					    date, &err) != 0) {
				log_warnx("receipts: msg=%llu provider=%s: %s",
					  it[i].r.message_id, it[i].provider,
					  err.msg);
				it[i].verdict = -2;
			}
	}
	for (p = list, i = 0; p != NULL; p = PNEXT(p))
		for (k = 0; k < p->n; k++, i++) {
			/* The verdict, and the code and text as they were
			 * kept (masked: the log line quotes them). */
			p->item[k] = it[i];
			p->failed |= it[i].verdict == -2;
			if (it[i].verdict == 0) {
				applied++;
				metrics_receipt(it[i].provider);
			}
		}
	if (applied > 0)
		rs->down = 0;
	atomic_fetch_add(&rs->applied, applied);
	free(it);
}

static void *
writer_main(void *arg)
{
	struct receipts *rs = arg;
	struct pending *rest;

	/* Everything queued, in transactions of up to RECEIPT_BATCH. */
	while ((rest = (struct pending *)
			workq_take_linger(&rs->q, RECEIPT_BATCH, RECEIPT_GAP_US,
					  RECEIPT_LINGER_US,
					  &rs->stopping_seen)) != NULL) {
		while (rest != NULL) {
			struct pending *list = rest, *p = rest, *next;
			size_t n = p->n;

			/* Whole requests, up to RECEIPT_BATCH receipts. */
			while (PNEXT(p) != NULL &&
			       n + PNEXT(p)->n <= RECEIPT_BATCH) {
				p = PNEXT(p);
				n += p->n;
			}
			rest = PNEXT(p);
			p->wi.next = NULL;
			write_batch(rs, list, n);
			/* The connection may be answered (and the pending
			 * freed with it) as soon as it is resumed. */
			for (p = list; p != NULL; p = next) {
				next = PNEXT(p);
				MHD_resume_connection(p->c);
			}
		}
	}
	return NULL; /* stopping, and nothing left */
}

/* The callback as an adapter reads it (http.h): the query, a form body
 * and the headers, collected into the lists given (freed by the caller). */
static void
request_read(struct MHD_Connection *c, const char *url, const char *method,
	     const struct httpd_body *cn, struct kv_list *query,
	     struct kv_list *form, struct kv_list *headers,
	     struct http_request *req)
{
	const char *ctype;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, httpd_collect,
				  query);
	MHD_get_connection_values(c, MHD_HEADER_KIND, httpd_collect, headers);
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	if (ctype != NULL &&
	    strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
		httpd_parse_form(cn->body.s, cn->body.len, form);
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->path = url;
	req->url = url;
	req->query = query->kv;
	req->nquery = query->n;
	req->form = form->kv;
	req->nform = form->n;
	req->headers = headers->kv;
	req->nheaders = headers->n;
	req->body = cn->body.s;
	req->body_len = cn->body.len;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size,
       void **con_cls)
{
	struct receipts *rs = cls;
	struct httpd_body *cn;
	struct kv_list query = {0}, form = {0}, headers = {0};
	struct http_request req;
	struct receipt *r = rs->parsed;
	struct fg_err err;
	struct channel *ch = NULL;
	const char *id, *token;
	size_t i;
	int n;
	enum MHD_Result ret;

	(void)version;
	if (httpd_receive(c, con_cls, upload, upload_size,
			  strncmp(url, API_PREFIX, strlen(API_PREFIX)) == 0
				  ? (size_t)rs->cfg->api.max_body
				  : RECEIPT_MAX_BODY,
			  &cn))
		return MHD_YES;
	if (cn->work != NULL)
		return answer(cn->work);
	if (cn->too_big)
		return reply(c, 413, "{\"error\":\"body too large\"}");
	if (strcmp(method, "GET") == 0 &&
	    (strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0))
		return health(c, url);
	if ((strncmp(url, API_PREFIX, strlen(API_PREFIX)) == 0 ||
	     strcmp(url, "/metrics") == 0) &&
	    config_api_enabled(rs->cfg))
		return api(rs, c, url, method, cn);
	if (strncmp(url, "/receipts/", 10) == 0)
		for (i = 0; i < rs->nchannels; i++)
			if (strcmp(rs->channels[i]->provider, url + 10) == 0)
				ch = rs->channels[i];
	if (ch == NULL || ch->ops->receipt == NULL) {
		log_warnx("receipts: %s %s: no such receipt endpoint", method,
			  url);
		return reply(c, 404, "{\"error\":\"no such endpoint\"}");
	}
	request_read(c, url, method, cn, &query, &form, &headers, &req);
	/* r comes zeroed (and is zeroed again after use). */
	n = ch->ops->receipt(ch, &req, r, RECEIPT_BATCH, &err);
	if (n <= 0 || n > RECEIPT_BATCH) {
		/* The adapter's words may quote what the provider sent, about
		 * no message we know: every number and address masked. */
		if (n < 0)
			mask_in_text("", NULL, err.msg, sizeof(err.msg));
		log_warnx("receipts: provider=%s refused: %s", ch->provider,
			  n < 0 ? err.msg : "no receipt");
		metrics_receipt_refused(ch->provider, 0);
		memset(r, 0, RECEIPT_BATCH * sizeof(*r));
		ret = reply(c, 400, "{\"error\":\"not a valid receipt\"}");
		goto out;
	}
	/* The one-receipt form names its message in the URL. */
	id = http_request_query(&req, "id");
	token = http_request_query(&req, "t");
	for (i = 0; i < (size_t)n; i++) {
		if (r[i].message_id == 0 && id != NULL)
			r[i].message_id = strtoull(id, NULL, 10);
		if (r[i].token[0] == '\0' && token != NULL)
			str_copy(r[i].token, token, sizeof(r[i].token));
	}
	/* A batch's endpoint names no message. */
	ret = enqueue(rs, c, cn, ch->provider, r, (size_t)n, id == NULL);
	memset(r, 0, (size_t)n * sizeof(*r));
out:
	kv_free(&query);
	kv_free(&form);
	kv_free(&headers);
	return ret;
}

struct receipts *
receipts_start(const struct config *cfg, struct channel *const *channels,
	       size_t n, double now_offset, struct fg_err *err)
{
	struct receipts *rs = xcalloc(1, sizeof(*rs));

	rs->cfg = cfg;
	rs->channels = channels;
	rs->nchannels = n;
	rs->now_offset = now_offset;
	workq_init(&rs->q);
	rs->parsed = xcalloc(RECEIPT_BATCH, sizeof(*rs->parsed));
	if (db_connect(&rs->db, cfg, 1, err) != 0 ||
	    db_connect(&rs->wdb, cfg, 1, err) != 0)
		goto fail;
	if (pthread_create(&rs->writer, NULL, writer_main, rs) != 0) {
		err_set(err, "[receipts]: cannot start the writer thread");
		goto fail;
	}
	rs->writer_started = 1;
	/* One internal thread takes the requests; the writer applies them. */
	rs->mhd = httpd_start("[receipts]", cfg->receipts.listen,
			      cfg->receipts.port, RECEIPT_CONNECTIONS,
			      MHD_ALLOW_SUSPEND_RESUME, handle, rs, err);
	if (rs->mhd == NULL)
		goto fail;
	return rs;
fail:
	receipts_stop(rs);
	return NULL;
}

unsigned long long
receipts_count(const struct receipts *r)
{
	return r ? atomic_load(&((struct receipts *)r)->applied) : 0;
}

void
receipts_stop(struct receipts *rs)
{
	if (rs == NULL)
		return;
	/* New receipts get a 503; those queued are written and resumed
	 * before the server stops (MHD must not stop with a connection
	 * suspended). */
	workq_stop(&rs->q);
	if (rs->writer_started)
		pthread_join(rs->writer, NULL);
	if (rs->mhd != NULL)
		MHD_stop_daemon(rs->mhd);
	db_close(&rs->db);
	db_close(&rs->wdb);
	workq_destroy(&rs->q);
	free(rs->parsed);
	free(rs);
}
