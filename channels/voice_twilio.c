/*
 * voice_twilio.c: automated calls through the Twilio-compatible Calls API.
 *
 *   [channels]
 *   voice = call
 *
 *   [provider:call]
 *   type = twilio
 *   account_sid, auth_token_file, api_url: see twilio.h
 *   from = +8657195598       ; the number calls come from
 *   ring_timeout = 30        ; seconds the phone rings before no-answer
 *   repeat = 2               ; times the message is said in one call
 *   rate = 1                 ; calls per second (the default: Twilio's)
 *
 * Submit: POST {api_url}/2010-04-01/Accounts/{sid}/Calls.json, form To,
 * From, Twiml (<Response><Say language="zh-CN">the .voice template,
 * whose values are XML-escaped and written to be read aloud</Say>...),
 * Timeout, StatusCallback (our receipt URL) with StatusCallbackEvent
 * initiated, ringing, answered, completed. 201 {"sid": "CA..."} is
 * accepted. 21211, 21217, 13223, 13224 (not a valid number), 13225
 * (forbidden), 21215 (no permission for the country) and 21610 (blocked
 * by the recipient) are permanent.
 *
 * Status callbacks (signed like SMS ones): CallStatus queued, initiated,
 * ringing and in-progress are progress; completed (answered and played)
 * is delivered; busy and no-answer end this call but the same number is
 * called again later in the calling window (retry, at most [voice]
 * max_attempts calls per notice); failed with a permanent ErrorCode blocks
 * the number, other failures are retried like busy; canceled falls back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channels/channel.h"
#include "channels/classify.h"
#include "channels/twilio.h"

struct voice_twilio {
	struct channel ch;
	struct twilio tw;
	char *from;
	char ring[8];
	int repeat;
};

static const long permanent_codes[] = {21211, 21217, 13223, 13224,
				       13225, 21215, 21610};

void
voice_twilio_classify(const struct httpc_response *r,
		      struct delivery_result *res)
{
	twilio_classify(permanent_codes, FG_NELEM(permanent_codes), r, res);
}

static struct channel *
voice_twilio_open(const struct provider_cfg *p, const struct channel_env *env,
		  struct fg_err *err)
{
	const char *cpath = env->config_path ? env->config_path : "(config)";
	const char *from = provider_get(p, "from");
	long long rt = provider_int(p, "ring_timeout", 30);
	long long rp = provider_int(p, "repeat", 2);
	struct voice_twilio *v;

	if (from[0] != '+' ||
	    strspn(from + 1, "0123456789") != strlen(from + 1)) {
		err_set(err,
			"%s:%d: [provider:%s] from: the calling number, as "
			"+ and digits, is needed",
			cpath, provider_line(p, "from"), p->name);
		return NULL;
	}
	v = xcalloc(1, sizeof(*v));
	if (twilio_open(&v->tw, "Calls.json", p, env, permanent_codes,
			FG_NELEM(permanent_codes), err) != 0) {
		free(v);
		return NULL;
	}
	v->from = xstrdup(from);
	snprintf(v->ring, sizeof(v->ring), "%lld", rt);
	v->repeat = (int)rp;
	v->ch.rate = 1;
	return &v->ch;
}

/* The TwiML for one call: the text said repeat times, a pause between. */
static void
twiml(const struct voice_twilio *v, const struct outbound *m, struct sbuf *b)
{
	const char *lang =
		m->locale && strcmp(m->locale, "en") == 0 ? "en-US" : "zh-CN";
	int i;

	sbuf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>");
	for (i = 0; i < v->repeat; i++)
		sbuf_addf(b, "%s<Say language=\"%s\">%s</Say>",
			  i ? "<Pause length=\"1\"/>" : "", lang, m->body);
	sbuf_adds(b, "</Response>");
}

static void
voice_twilio_submit(struct channel *ch, const struct outbound *m,
		    channel_done_fn done, void *job)
{
	static const char *const events[] = {"initiated", "ringing", "answered",
					     "completed"};
	struct voice_twilio *v = (struct voice_twilio *)ch;
	struct sbuf body, xml;
	size_t i;

	sbuf_init(&xml);
	twiml(v, m, &xml);
	sbuf_init(&body);
	twilio_form_add(&v->tw, &body, "To", m->to);
	twilio_form_add(&v->tw, &body, "From", v->from);
	twilio_form_add(&v->tw, &body, "Twiml", xml.s);
	twilio_form_add(&v->tw, &body, "Timeout", v->ring);
	twilio_form_add(&v->tw, &body, "StatusCallback", m->receipt_url);
	twilio_form_add(&v->tw, &body, "StatusCallbackMethod", "POST");
	for (i = 0; i < FG_NELEM(events); i++)
		twilio_form_add(&v->tw, &body, "StatusCallbackEvent",
				events[i]);
	twilio_post(&v->tw, ch, &body, done, job);
	sbuf_free(&body);
	sbuf_free(&xml);
}

static int
voice_twilio_receipt(struct channel *ch, const struct http_request *req,
		     struct receipt *r, size_t max, struct fg_err *err)
{
	static const char *const progress[] = {"queued", "initiated", "ringing",
					       "in-progress"};
	struct voice_twilio *v = (struct voice_twilio *)ch;
	const char *duration = http_request_form(req, "CallDuration");
	long code;
	const char *status = twilio_callback(&v->tw, req, "CallStatus",
					     "CallSid", r, &code, err);
	size_t i;

	(void)max; /* one callback per request */
	if (status == NULL)
		return -1;
	if (duration != NULL && duration[0] != '\0' &&
	    strspn(duration, "0123456789") == strlen(duration))
		snprintf(r->text, sizeof(r->text), "%.10s s", duration);
	for (i = 0; i < FG_NELEM(progress); i++)
		if (strcmp(status, progress[i]) == 0) {
			r->final = 0;
			r->status = DELIVERY_OK;
			return 1;
		}
	r->final = 1;
	if (strcmp(status, "completed") == 0) {
		r->status = DELIVERY_OK;
	} else if (strcmp(status, "failed") == 0 &&
		   twilio_permanent(&v->tw, code)) {
		r->status = DELIVERY_PERMFAIL;
	} else if (strcmp(status, "busy") == 0 ||
		   strcmp(status, "no-answer") == 0 ||
		   strcmp(status, "failed") == 0) {
		r->status = DELIVERY_TEMPFAIL;
		r->retry = 1;
	} else if (strcmp(status, "canceled") == 0) {
		r->status = DELIVERY_TEMPFAIL;
	} else {
		err_set(err, "unknown CallStatus '%.32s'", status);
		return -1;
	}
	return 1;
}

static void
voice_twilio_close(struct channel *ch)
{
	struct voice_twilio *v = (struct voice_twilio *)ch;

	twilio_close(&v->tw);
	free(v->from);
	free(v);
}

static const struct provider_key voice_twilio_keys[] = {
	TWILIO_KEYS,
	{"from", PKEY_TEXT, 0, 0, "the calling number, as + and digits,"},
	{"ring_timeout", PKEY_INT, 5, 600, NULL},
	{"repeat", PKEY_INT, 1, 3, NULL},
	{NULL, PKEY_TEXT, 0, 0, NULL},
};

static int
voice_twilio_rekey(struct channel *ch, const struct provider_cfg *p,
		   const char *config_path, struct fg_err *err)
{
	return twilio_rekey(&((struct voice_twilio *)ch)->tw, p, config_path,
			    err);
}

const struct channel_ops voice_twilio_ops = {
	.name = "twilio",
	.kind = CHANNEL_VOICE,
	.flags = CHANNEL_RECEIPTS,
	.keys = voice_twilio_keys,
	.open = voice_twilio_open,       /* MUST validate config; start-up */
	.submit = voice_twilio_submit,   /* MUST NOT block; result via done */
	.receipt = voice_twilio_receipt, /* signed status callbacks */
	.close = voice_twilio_close,
	.rekey = voice_twilio_rekey,
};
