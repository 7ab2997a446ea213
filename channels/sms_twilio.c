/*
 * sms_twilio.c: the Twilio-compatible Messages API.
 *
 *   [provider:NAME]
 *   type = twilio               ; with [channels] sms = NAME
 *   account_sid, auth_token_file, api_url: see twilio.h
 *   from = +8610xxxx            ; or messaging_service_sid = MGxxxx
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/classify.h"
#include "channels/twilio.h"

struct sms_twilio {
	struct channel ch;
	struct twilio tw;
	char *from, *service;
};

/* Invalid To, opted out, not a mobile, unreachable country; in receipts:
 * unknown destination, landline or unreachable carrier. */
static const long permanent_codes[] = {21211, 21610, 21614,
				       21612, 30005, 30006};

void
sms_twilio_classify(const struct httpc_response *r, struct delivery_result *res)
{
	twilio_classify(permanent_codes, FG_NELEM(permanent_codes), r, res);
}

static struct channel *
sms_twilio_open(const struct provider_cfg *p, const struct channel_env *env,
		struct fg_err *err)
{
	const char *cpath = env->config_path ? env->config_path : "(config)";
	const char *from = provider_get(p, "from");
	const char *service = provider_get(p, "messaging_service_sid");
	struct sms_twilio *t;

	if ((from == NULL) == (service == NULL)) {
		err_set(err,
			"%s:%d: [provider:%s]: set from or "
			"messaging_service_sid (one of them)",
			cpath, p->line, p->name);
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	if (twilio_open(&t->tw, "Messages.json", p, env, permanent_codes,
			FG_NELEM(permanent_codes), err) != 0) {
		free(t);
		return NULL;
	}
	t->from = from ? xstrdup(from) : NULL;
	t->service = service ? xstrdup(service) : NULL;
	return &t->ch;
}

static void
sms_twilio_submit(struct channel *ch, const struct outbound *m,
		  channel_done_fn done, void *job)
{
	struct sms_twilio *t = (struct sms_twilio *)ch;
	struct sbuf body;

	sbuf_init(&body);
	twilio_form_add(&t->tw, &body, "To", m->to);
	if (t->service != NULL)
		twilio_form_add(&t->tw, &body, "MessagingServiceSid",
				t->service);
	else
		twilio_form_add(&t->tw, &body, "From", t->from);
	twilio_form_add(&t->tw, &body, "Body", m->body);
	twilio_form_add(&t->tw, &body, "StatusCallback", m->receipt_url);
	twilio_post(&t->tw, ch, &body, done, job);
	sbuf_free(&body);
}

static int
sms_twilio_receipt(struct channel *ch, const struct http_request *req,
		   struct receipt *r, size_t max, struct fg_err *err)
{
	struct sms_twilio *t = (struct sms_twilio *)ch;
	long code;
	const char *status = twilio_callback(&t->tw, req, "MessageStatus",
					     "MessageSid", r, &code, err);

	(void)max; /* one callback per request */
	if (status == NULL)
		return -1;
	r->final = 1;
	if (strcmp(status, "delivered") == 0) {
		r->status = DELIVERY_OK;
	} else if (strcmp(status, "failed") == 0 ||
		   (strcmp(status, "undelivered") == 0 &&
		    twilio_permanent(&t->tw, code))) {
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
	return 1;
}

static void
sms_twilio_close(struct channel *ch)
{
	struct sms_twilio *t = (struct sms_twilio *)ch;

	twilio_close(&t->tw);
	free(t->from);
	free(t->service);
	free(t);
}

static const struct provider_key sms_twilio_keys[] = {
	TWILIO_KEYS,
	{"from", PKEY_TEXT, 0, 0, NULL},
	{"messaging_service_sid", PKEY_TEXT, 0, 0, NULL},
	{NULL, PKEY_TEXT, 0, 0, NULL},
};

static int
sms_twilio_rekey(struct channel *ch, const struct provider_cfg *p,
		 const char *config_path, struct fg_err *err)
{
	return twilio_rekey(&((struct sms_twilio *)ch)->tw, p, config_path,
			    err);
}

const struct channel_ops sms_twilio_ops = {
	.name = "twilio",
	.kind = CHANNEL_SMS,
	.flags = CHANNEL_RECEIPTS,
	.keys = sms_twilio_keys,
	.open = sms_twilio_open,       /* MUST validate config; start-up */
	.submit = sms_twilio_submit,   /* MUST NOT block; result via done */
	.receipt = sms_twilio_receipt, /* signed status callbacks */
	.close = sms_twilio_close,
	.rekey = sms_twilio_rekey,
};
