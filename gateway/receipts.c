/*
 * receipts.c: see receipts.h.
 */
#include "receipts.h"

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

#include "api.h"
#include "dates.h"
#include "httpd.h"
#include "metrics.h"
#include "db.h"
#include "log.h"
#include "outbox.h"

#define RECEIPT_MAX_BODY 65536

struct receipts {
	struct MHD_Daemon *mhd;
	const struct config *cfg;
	struct channel *const *channels;
	size_t nchannels;
	struct db db;
	double now_offset;
	atomic_ullong applied;
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

/* The notice API (api.c) on this server's thread and connection. */
static enum MHD_Result
api(struct receipts *rs, struct MHD_Connection *c, const char *url,
    const char *method, const struct httpd_body *cn)
{
	struct kv_list query = {0};
	struct api_request q = {0};
	char now[TIME_LEN], date[DATE_LEN];
	struct sbuf out;
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
	sbuf_init(&out);
	status = api_handle(&rs->db, rs->cfg, &q, &out);
	kv_free(&query);
	ret = httpd_reply(c, status,
			  strcmp(url, "/metrics") == 0 && status == 200
				  ? "text/plain; version=0.0.4"
				  : "application/json",
			  out.s, out.len,
			  status == 401 ? "WWW-Authenticate" : NULL,
			  "Bearer realm=\"feegate\"", NULL);
	sbuf_free(&out);
	return ret;
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
	struct receipt r;
	struct fg_err err;
	struct channel *ch = NULL;
	char now[TIME_LEN], date[DATE_LEN], out[256];
	const char *id, *ctype;
	size_t i;
	int verdict;
	enum MHD_Result ret;

	(void)version;
	if (httpd_receive(con_cls, upload, upload_size,
			  strncmp(url, API_PREFIX, strlen(API_PREFIX)) == 0
				  ? (size_t)rs->cfg->api.max_body
				  : RECEIPT_MAX_BODY,
			  &cn))
		return MHD_YES;
	if (cn->too_big)
		return reply(c, 413, "{\"error\":\"body too large\"}");
	if ((strncmp(url, API_PREFIX, strlen(API_PREFIX)) == 0 ||
	     strcmp(url, "/metrics") == 0) &&
	    rs->cfg->api.token != NULL)
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
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, httpd_collect,
				  &query);
	MHD_get_connection_values(c, MHD_HEADER_KIND, httpd_collect, &headers);
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	if (ctype != NULL &&
	    strncasecmp(ctype, "application/x-www-form-urlencoded", 33) == 0)
		httpd_parse_form(cn->body.s, cn->body.len, &form);
	memset(&req, 0, sizeof(req));
	req.method = method;
	req.path = url;
	req.url = url;
	req.query = query.kv;
	req.nquery = query.n;
	req.form = form.kv;
	req.nform = form.n;
	req.headers = headers.kv;
	req.nheaders = headers.n;
	req.body = cn->body.s;
	req.body_len = cn->body.len;
	memset(&r, 0, sizeof(r));
	id = http_request_query(&req, "id");
	if (ch->ops->receipt(ch, &req, &r, &err) != 0) {
		log_warnx("receipts: provider=%s refused: %s", ch->provider,
			  err.msg);
		ret = reply(c, 400, "{\"error\":\"not a valid receipt\"}");
		goto out;
	}
	if (r.message_id == 0 && id != NULL)
		r.message_id = strtoull(id, NULL, 10);
	if (r.token[0] == '\0' && http_request_query(&req, "t") != NULL)
		str_copy(r.token, http_request_query(&req, "t"),
			 sizeof(r.token));
	clock_now(rs, now, date);
	if (outbox_receipt(&rs->db, rs->cfg, ch->provider, &r, now, date,
			   &verdict, &err) != 0) {
		log_warnx("receipts: msg=%llu provider=%s: %s", r.message_id,
			  ch->provider, err.msg);
		/* Our trouble: the provider will send it again. */
		ret = reply(c, 503, "{\"error\":\"try again\"}");
		goto out;
	}
	if (verdict < 0) {
		log_warnx("receipts: msg=%llu provider=%s refused: %s",
			  r.message_id, ch->provider, err.msg);
		ret = reply(c, 403, "{\"error\":\"unknown message or token\"}");
		goto out;
	}
	log_info(
		"receipt msg=%llu provider=%s status=%s final=%d code=\"%s\"%s",
		r.message_id, ch->provider,
		r.status == DELIVERY_OK         ? "delivered"
		: r.status == DELIVERY_PERMFAIL ? "failed"
						: "expired",
		r.final, r.code, verdict == 1 ? " duplicate=1" : "");
	if (verdict == 0) {
		atomic_fetch_add(&rs->applied, 1);
		metrics_receipt();
	}
	snprintf(out, sizeof(out), "{\"ok\":true,\"duplicate\":%s}",
		 verdict == 1 ? "true" : "false");
	ret = reply(c, 200, out);
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
	if (db_connect(&rs->db, cfg, 1, err) != 0) {
		free(rs);
		return NULL;
	}
	/* One internal thread: receipts are applied one at a time, on this
	 * thread's own connection. */
	rs->mhd = httpd_start("[receipts]", cfg->receipts.listen,
			      cfg->receipts.port, 256u, handle, rs, err);
	if (rs->mhd == NULL) {
		db_close(&rs->db);
		free(rs);
		return NULL;
	}
	return rs;
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
	MHD_stop_daemon(rs->mhd);
	db_close(&rs->db);
	free(rs);
}
