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
 * dlr-url is our receipt URL plus &status=%d&ref=%I&answer=%A (Kannel
 * fills in the report type, its message id, kept as the message's
 * provider_ref, and the SMSC's answer). Kannel answers 202 "0: Accepted for
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

#include "channels/channel.h"
#include "channels/classify.h"
#include "net/httpc.h"

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
	struct sms_kannel *k;
	char *pw;

	/* url, username, password_file, dlr_mask: checked by channel_open
	 * (sms_kannel_keys) */
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
	k->dlr_mask = (int)provider_int(p, "dlr_mask", 19);
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

void
sms_kannel_classify(const struct httpc_response *r, struct delivery_result *res)
{
	char code[32];

	snprintf(code, sizeof(code), "HTTP %ld", r->status);
	if (channel_transport_error(r, res))
		return;
	if (r->status == 202 || r->status == 200)
		result_set(res, DELIVERY_OK, 0, code, "%.120s", r->body);
	else if (r->status == 403 || r->status == 401)
		result_set(res, DELIVERY_TEMPFAIL, 1, code, "%.120s", r->body);
	else if (r->status >= 400 && r->status < 500 &&
		 (strcasestr(r->body, "receiver") != NULL ||
		  strcasestr(r->body, "denied by white") != NULL))
		/* This number: "Missing receiver number, rejected", "Number(s)
		 * has/have been denied by white- and/or black-lists." (400,
		 * smsbox's lists refuse it: every later try would too). */
		result_set(res, DELIVERY_PERMFAIL, 0, code, "%.120s", r->body);
	else if (r->status >= 400 && r->status < 500 &&
		 strcasestr(r->body, "sender missing") != NULL)
		/* Every message would get it: the provider section's from,
		 * or the sendsms-user's default sender, is missing. */
		result_set(res, DELIVERY_TEMPFAIL, 1, code, "%.120s", r->body);
	else
		result_set(res, DELIVERY_TEMPFAIL, r->status == 503, code,
			   "%.120s", r->body);
	res->retry_after = r->retry_after;
}

static void
sms_kannel_response(void *arg, const struct httpc_response *r)
{
	struct call *c = arg;
	struct delivery_result res;

	sms_kannel_classify(r, &res);
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
	/* Measured when it was rendered (template_render_sms). */
	if (m->ucs2)
		add_param(k, &url, "coding", "2");
	snprintf(mask, sizeof(mask), "%d", k->dlr_mask);
	add_param(k, &url, "dlr-mask", mask);
	sbuf_init(&dlr);
	/* The report type, Kannel's id for the message and the SMSC's own
	 * words (an SMPP receipt's "stat:UNDELIV err:...", a refusal's
	 * "NACK/0x0000000b/..."). */
	sbuf_addf(&dlr, "%s&status=%%d&ref=%%I&answer=%%A", m->receipt_url);
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

/* An SMPP error code in a refusal Kannel passes on ("NACK/0x0000000b/
 * Invalid Destination Address"): the ones that say the number itself is
 * wrong are permanent; the others (a full queue, throttling, a system
 * error) are the SMSC's trouble of the moment. -1: none given. */
static long
nack_code(const char *answer)
{
	const char *p = answer ? strstr(answer, "NACK/") : NULL;
	char *end;
	long code;

	if (p == NULL)
		return -1;
	code = strtol(p + 5, &end, 16);
	return end == p + 5 ? -1 : code;
}

/* The "stat:" of an SMPP delivery receipt ("id:... stat:UNDELIV err:001"),
 * into out (empty when there is none). */
static void
receipt_stat(const char *answer, char *out, size_t len)
{
	const char *p = answer ? strstr(answer, "stat:") : NULL;
	size_t n = 0;

	out[0] = '\0';
	if (p == NULL)
		return;
	for (p += 5; n + 1 < len && p[n] != '\0' && p[n] != ' '; n++)
		out[n] = p[n];
	out[n] = '\0';
}

/* GET /receipts/NAME?id&t&status=%d&ref=%I&answer=%A: Kannel's report
 * types are bits: 1 delivered to the phone, 2 not delivered, 4 queued at
 * the SMSC, 8 accepted by the SMSC, 16 rejected by the SMSC; the answer
 * is the SMSC's own text where it gave one. Classified by that text:
 * - 2 with "stat:REJECTD" (the network refused the number): permanent;
 *   any other 2 (UNDELIV, EXPIRED, DELETED, or none: the phone was off or
 *   out of coverage until the SMSC's own validity ran out) is temporary,
 *   the same number tried again later within expire_after;
 * - 16 with an SMPP error that says the number is wrong (0x0B invalid
 *   destination, 0x50/0x51 its TON/NPI) or none: permanent; other errors
 *   (0x14 queue full, 0x58 throttled, 0x08 system error, ...) temporary. */
static int
sms_kannel_receipt(struct channel *ch, const struct http_request *req,
		   struct receipt *r, size_t max, struct fg_err *err)
{
	const char *status = http_request_query(req, "status");
	const char *ref = http_request_query(req, "ref");
	const char *answer = http_request_query(req, "answer");
	char stat[16];
	long long st;
	long nack;

	(void)ch;
	(void)max; /* one report per request */
	if (status == NULL || parse_ll(status, 0, 255, &st) != 0) {
		err_set(err, "no report type (status=%%d)");
		return -1;
	}
	snprintf(r->code, sizeof(r->code), "dlr %lld", st);
	if (ref != NULL) {
		str_copy(r->ref, ref, sizeof(r->ref));
		r->names_message = 1;
	}
	receipt_stat(answer, stat, sizeof(stat));
	nack = nack_code(answer);
	r->final = 1;
	if (st & 1) {
		r->status = DELIVERY_OK;
		str_copy(r->text, "delivered to the phone", sizeof(r->text));
		return 1;
	} else if (st & 16) {
		r->status =
			nack < 0 || nack == 0x0b || nack == 0x50 || nack == 0x51
				? DELIVERY_PERMFAIL
				: DELIVERY_TEMPFAIL;
		r->retry = r->status == DELIVERY_TEMPFAIL;
		snprintf(r->text, sizeof(r->text), "rejected by the SMSC");
	} else if (st & 2) {
		r->status = strcmp(stat, "REJECTD") == 0 ? DELIVERY_PERMFAIL
							 : DELIVERY_TEMPFAIL;
		r->retry = r->status == DELIVERY_TEMPFAIL;
		snprintf(r->text, sizeof(r->text),
			 "not delivered to the phone");
	} else if (st & (4 | 8)) {
		r->final = 0;
		r->status = DELIVERY_OK;
		str_copy(r->text, "accepted by the SMSC", sizeof(r->text));
		return 1;
	} else {
		err_set(err, "unknown report type %lld", st);
		return -1;
	}
	if (answer != NULL && answer[0] != '\0') {
		size_t n = strlen(r->text);

		snprintf(r->text + n, sizeof(r->text) - n, ": %.120s", answer);
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

static const struct provider_key sms_kannel_keys[] = {
	{"url", PKEY_URL, 0, 0,
	 "Kannel's sendsms URL (http://host:port/cgi-bin/sendsms)"},
	{"username", PKEY_TEXT, 0, 0, "a sendsms-user of Kannel"},
	{"password_file", PKEY_FILE, 0, 0, "the file holding its password"},
	{"from", PKEY_TEXT, 0, 0, NULL},
	{"smsc", PKEY_TEXT, 0, 0, NULL},
	{"dlr_mask", PKEY_INT, 1, 31, NULL},
	{NULL, PKEY_TEXT, 0, 0, NULL},
};

/* SIGHUP: password_file read again; the next request's URL takes it. */
static int
sms_kannel_rekey(struct channel *ch, const struct provider_cfg *p,
		 const char *config_path, struct fg_err *err)
{
	struct sms_kannel *k = (struct sms_kannel *)ch;
	char *pw = channel_read_secret(p, "password_file",
				       provider_get(p, "password_file"),
				       config_path ? config_path : "(config)",
				       err);

	if (pw == NULL)
		return -1;
	explicit_bzero(k->password, strlen(k->password));
	free(k->password);
	k->password = pw;
	return 0;
}

const struct channel_ops sms_kannel_ops = {
	.name = "kannel",
	.kind = CHANNEL_SMS,
	.flags = CHANNEL_RECEIPTS,
	.keys = sms_kannel_keys,
	.open = sms_kannel_open,       /* MUST validate config; start-up */
	.submit = sms_kannel_submit,   /* MUST NOT block; result via done */
	.receipt = sms_kannel_receipt, /* Kannel's dlr-url GET */
	.close = sms_kannel_close,
	.rekey = sms_kannel_rekey,
};
