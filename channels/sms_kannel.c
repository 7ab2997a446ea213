/*
 * sms_kannel.c: Kannel's HTTP sendsms interface (smsbox), with delivery
 * reports.
 *
 *   [provider:NAME]
 *   type = kannel
 *   url = http://127.0.0.1:13013/cgi-bin/sendsms
 *   username = feegate
 *   password_file = /etc/feegate/kannel.password
 *   from = 95598               ; optional sender
 *   smsc = CMCC                ; optional smsc-id route
 *   dlr_mask = 19              ; delivered (1) + failed (2) + SMSC reject (16)
 *
 * Each message is GET url?username&password&from&to&text&charset=UTF-8
 * &coding=2 (UCS-2 when the text is not GSM-7)&dlr-mask&dlr-url, where
 * dlr-url is our receipt URL plus &status=%d&ref=%I (Kannel fills in the
 * report type and its message id). Kannel answers 202 "0: Accepted for
 * delivery" or "3: Queued for later delivery"; 403 is our credentials
 * (the provider's trouble); 4xx naming the receiver is permanent;
 * anything else is temporary. Kannel takes no idempotency key: a message
 * in doubt after a crash can reach the phone twice (see outbox.h).
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channel.h"
#include "httpc.h"
#include "template.h"

struct sms_kannel {
	struct channel ch;
	struct httpc *http;
	CURL *esc; /* for curl_easy_escape only */
	char *url, *username, *password, *from, *smsc;
	int dlr_mask;
};

struct call {
	channel_done_fn done;
	void *job;
};

static struct channel *
sms_kannel_open(const struct provider_cfg *p, const struct channel_env *env,
		struct fg_err *err)
{
	const char *cpath = env->config_path ? env->config_path : "(config)";
	const char *url = provider_get(p, "url");
	const char *user = provider_get(p, "username");
	const char *pwfile = provider_get(p, "password_file");
	const char *mask = provider_get(p, "dlr_mask");
	struct sms_kannel *k;
	char *pw;
	long long m = 19;

	if (url == NULL || strncmp(url, "http", 4) != 0) {
		err_set(err,
			"%s:%d: [provider:%s] url: Kannel's sendsms URL is "
			"needed (http://host:port/cgi-bin/sendsms)",
			cpath, provider_line(p, "url"), p->name);
		return NULL;
	}
	if (user == NULL || pwfile == NULL) {
		err_set(err,
			"%s:%d: [provider:%s]: username and password_file "
			"are needed (a sendsms-user of Kannel)",
			cpath, p->line, p->name);
		return NULL;
	}
	if (mask != NULL && parse_ll(mask, 1, 31, &m) != 0) {
		err_set(err,
			"%s:%d: [provider:%s] dlr_mask: 1 to 31 (got '%s')",
			cpath, provider_line(p, "dlr_mask"), p->name, mask);
		return NULL;
	}
	pw = channel_read_secret(p, "password_file", pwfile, cpath, err);
	if (pw == NULL)
		return NULL;
	k = xcalloc(1, sizeof(*k));
	k->http = env->http;
	k->esc = curl_easy_init();
	k->url = xstrdup(url);
	k->username = xstrdup(user);
	k->password = pw;
	k->from = provider_get(p, "from") ? xstrdup(provider_get(p, "from"))
					  : NULL;
	k->smsc = provider_get(p, "smsc") ? xstrdup(provider_get(p, "smsc"))
					  : NULL;
	k->dlr_mask = (int)m;
	return &k->ch;
}

static void
add_param(struct sms_kannel *k, struct sbuf *b, const char *key,
	  const char *value)
{
	char *e = curl_easy_escape(k->esc, value, 0);

	sbuf_addf(b, "%s%s=%s", strchr(b->s, '?') ? "&" : "?", key, e ? e : "");
	curl_free(e);
}

static void
sms_kannel_response(void *arg, const struct httpc_response *r)
{
	struct call *c = arg;
	struct delivery_result res;
	char code[32];

	snprintf(code, sizeof(code), "HTTP %ld", r->status);
	if (channel_transport_error(r, &res)) {
		/* classified */
	} else if (r->status == 202 || r->status == 200) {
		result_set(&res, DELIVERY_OK, 0, code, "%.120s", r->body);
	} else if (r->status == 403 || r->status == 401) {
		result_set(&res, DELIVERY_TEMPFAIL, 1, code, "%.120s", r->body);
	} else if (r->status >= 400 && r->status < 500 &&
		   strcasestr(r->body, "receiver") != NULL) {
		/* "Missing receiver number" / "Number(s) blacklisted". */
		result_set(&res, DELIVERY_PERMFAIL, 0, code, "%.120s", r->body);
	} else {
		result_set(&res, DELIVERY_TEMPFAIL, r->status == 503, code,
			   "%.120s", r->body);
	}
	res.retry_after = r->retry_after;
	c->done(c->job, &res);
	free(c);
}

static void
sms_kannel_submit(struct channel *ch, const struct outbound *m,
		  channel_done_fn done, void *job)
{
	struct sms_kannel *k = (struct sms_kannel *)ch;
	struct httpc_request req;
	struct delivery_result res;
	struct sms_length len;
	struct sbuf url, dlr;
	char mask[8];
	struct call *c;

	sbuf_init(&url);
	sbuf_adds(&url, k->url);
	add_param(k, &url, "username", k->username);
	add_param(k, &url, "password", k->password);
	if (k->from != NULL)
		add_param(k, &url, "from", k->from);
	if (k->smsc != NULL)
		add_param(k, &url, "smsc", k->smsc);
	/* Kannel wants the number without '+'. */
	add_param(k, &url, "to", m->to[0] == '+' ? m->to + 1 : m->to);
	add_param(k, &url, "text", m->body);
	add_param(k, &url, "charset", "UTF-8");
	sms_measure(m->body, &len);
	if (len.ucs2)
		add_param(k, &url, "coding", "2");
	snprintf(mask, sizeof(mask), "%d", k->dlr_mask);
	add_param(k, &url, "dlr-mask", mask);
	sbuf_init(&dlr);
	sbuf_addf(&dlr, "%s&status=%%d&ref=%%I", m->receipt_url);
	add_param(k, &url, "dlr-url", dlr.s);
	sbuf_free(&dlr);
	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.url = url.s;
	req.timeout_ms = ch->timeout_ms;
	c = xcalloc(1, sizeof(*c));
	c->done = done;
	c->job = job;
	if (httpc_start(k->http, &req, sms_kannel_response, c) != 0) {
		free(c);
		result_set(&res, DELIVERY_TEMPFAIL, 0, "local",
			   "could not start the request");
		done(job, &res);
	}
	explicit_bzero(url.s, url.len); /* it held the password */
	sbuf_free(&url);
}

/* GET /receipts/NAME?id&t&status=%d&ref=%I: Kannel's report types are
 * bits: 1 delivered to the phone, 2 not delivered, 4 queued at the SMSC,
 * 8 accepted by the SMSC, 16 rejected by the SMSC. */
static int
sms_kannel_receipt(struct channel *ch, const struct http_request *req,
		   struct receipt *r, size_t max, struct fg_err *err)
{
	const char *status = http_request_query(req, "status");
	const char *ref = http_request_query(req, "ref");
	long long st;

	(void)ch;
	(void)max; /* one report per request */
	if (status == NULL || parse_ll(status, 0, 255, &st) != 0) {
		err_set(err, "no report type (status=%%d)");
		return -1;
	}
	snprintf(r->code, sizeof(r->code), "dlr %lld", st);
	if (ref != NULL)
		str_copy(r->ref, ref, sizeof(r->ref));
	r->final = 1;
	if (st & 1) {
		r->status = DELIVERY_OK;
		str_copy(r->text, "delivered to the phone", sizeof(r->text));
	} else if (st & (2 | 16)) {
		r->status = DELIVERY_PERMFAIL;
		str_copy(r->text,
			 st & 16 ? "rejected by the SMSC"
				 : "not delivered to the phone",
			 sizeof(r->text));
	} else if (st & (4 | 8)) {
		r->final = 0;
		r->status = DELIVERY_OK;
		str_copy(r->text, "accepted by the SMSC", sizeof(r->text));
	} else {
		err_set(err, "unknown report type %lld", st);
		return -1;
	}
	return 1;
}

static void
sms_kannel_close(struct channel *ch)
{
	struct sms_kannel *k = (struct sms_kannel *)ch;

	curl_easy_cleanup(k->esc);
	free(k->url);
	free(k->username);
	explicit_bzero(k->password, strlen(k->password));
	free(k->password);
	free(k->from);
	free(k->smsc);
	free(k);
}

const struct channel_ops sms_kannel_ops = {
	.name = "kannel",
	.kind = CHANNEL_SMS,
	.open = sms_kannel_open,       /* MUST validate config; start-up */
	.submit = sms_kannel_submit,   /* MUST NOT block; result via done */
	.receipt = sms_kannel_receipt, /* Kannel's dlr-url GET */
	.close = sms_kannel_close,
};
