/*
 * twilio.h: what the Twilio-compatible adapters (sms_twilio.c for the
 * Messages API, voice_twilio.c for the Calls API) share: the account
 * (account_sid, auth_token_file, api_url), the form-encoded POST with
 * basic auth and how its answer is classified, and the signature on
 * status callbacks.
 *
 *   [provider:NAME]
 *   account_sid = ACxxxxxxxx
 *   auth_token_file = /etc/feegate/twilio.token
 *   api_url = https://api.twilio.com   ; optional (tests: the simulator)
 */
#ifndef FEEGATE_TWILIO_H
#define FEEGATE_TWILIO_H

#include <pthread.h>
#include <stddef.h>

#include "channels/channel.h"

struct twilio {
	struct httpc *http;
	void *esc; /* a CURL handle, for curl_easy_escape */
	char *url; /* {api}/2010-04-01/Accounts/{sid}/{resource} */
	char *sid;
	char *userpwd; /* sid:token; secret (the loop's) */
	char *token;   /* secret; under key_mu (receipts check it) */
	pthread_mutex_t key_mu;
	char *public_url;      /* where the callbacks we ask for come to */
	const long *permanent; /* error codes that are this message's end */
	size_t npermanent;
};

/* Read the account keys of p; resource is "Messages.json" or "Calls.json";
 * permanent lists the error codes that fail a message for good. 0, or -1
 * with FILE:LINE in err. */
int twilio_open(struct twilio *t, const char *resource,
		const struct provider_cfg *p, const struct channel_env *env,
		const long *permanent, size_t npermanent, struct fg_err *err);
void twilio_close(struct twilio *t);
/* SIGHUP: auth_token_file read again (channel_ops.rekey). */
int twilio_rekey(struct twilio *t, const struct provider_cfg *p,
		 const char *config_path, struct fg_err *err);

/* Append key=value, form-encoded, to b. */
void twilio_form_add(struct twilio *t, struct sbuf *b, const char *key,
		     const char *value);

/* POST form to the resource. The answer goes to done, classified: 2xx with
 * the new resource's sid as the reference; an error code in the permanent
 * list is PERMFAIL; 20003 (authentication), 401, 403 and 429 are the
 * provider's trouble; anything else is temporary. */
void twilio_post(struct twilio *t, const struct channel *ch,
		 const struct sbuf *form, channel_done_fn done, void *job);

/* Whether code is one of the permanent ones. */
int twilio_permanent(const struct twilio *t, long code);

/* The start of every status callback: its X-Twilio-Signature checked
 * (base64(HMAC-SHA1(auth token, the URL we gave + each form parameter's
 * name and value, sorted by name))), then the
 * status (form field status_key, e.g. MessageStatus) returned, the SID
 * (sid_key) as the reference, "status ErrorCode" as the code, and the
 * ErrorCode in *code (0: none). NULL with the reason in err. */
const char *twilio_callback(const struct twilio *t,
			    const struct http_request *req,
			    const char *status_key, const char *sid_key,
			    struct receipt *r, long *code, struct fg_err *err);

/* One answer of the API: permanent lists the error codes that fail a
 * message for good. */
void twilio_classify(const long *permanent, size_t npermanent,
		     const struct httpc_response *r,
		     struct delivery_result *res);

/* The keys both Twilio adapters take (channel.h's provider_key). */
/* clang-format off */
#define TWILIO_KEYS                                                            \
	{"account_sid", PKEY_TEXT, 0, 0, "the account's SID"},                 \
	{"auth_token_file", PKEY_FILE, 0, 0, "the file holding the auth token"}, \
	{"api_url", PKEY_URL, 0, 0, NULL}
/* clang-format on */

#endif
