/*
 * channel.h: the interface every provider adapter implements.
 *
 * An adapter is a const struct channel_ops, one per provider type and
 * channel (sms_http.c, sms_twilio.c, voice_twilio.c, email_smtp.c, ...),
 * registered in channel.c.
 * Its state embeds struct channel as its first member. Adapters never touch
 * the database: the dispatcher gives them a rendered message and gets one
 * delivery result back; the receipt server gives them a provider's callback
 * and gets one receipt back. What a result means for the message (retry,
 * fall back, expire) is decided in one place, gateway/queue/policy.c.
 */
#ifndef FEEGATE_CHANNEL_H
#define FEEGATE_CHANNEL_H

#include <stddef.h>

#include "base/config.h"
#include "base/kinds.h"
#include "base/util.h"
#include "net/http.h"

struct ev_loop;
struct httpc;

/* One delivery result, classified once by the adapter (see STYLE.md):
 * OK: the provider took the message. PERMFAIL: a definitive rejection of
 * this message (invalid number, opted out, rejected content). Anything else
 * is TEMPFAIL; provider_wide says the trouble is the provider's (down,
 * throttling, refusing our credentials), not this message's. */
enum delivery_status {
	DELIVERY_OK,
	DELIVERY_TEMPFAIL,
	DELIVERY_PERMFAIL,
};

struct delivery_result {
	enum delivery_status status;
	int provider_wide;
	int retry_after; /* seconds the provider asked us to wait; 0: none */
	char code[32];   /* "HTTP 503", "21211", "timeout" */
	char text[192];  /* the provider's words; never an address or secret */
	char ref[128];   /* the provider's id for the message (OK) */
};

/* What a receipt says; final = 0 for progress reports (queued, sent).
 * A final TEMPFAIL ends this attempt: the notice falls back to the next
 * contact, or, with retry set (a call that was busy or not answered), the
 * same address is tried again later, up to [voice] max_attempts. */
struct receipt {
	unsigned long long message_id;
	char token[64]; /* the per-message token from our receipt URL */
	int final;
	int retry;
	enum delivery_status status; /* OK: delivered; PERMFAIL: not */
	char code[32];
	char text[192];
	char ref[128];
	/* ref is the provider's only name for the message (Kannel gives none
	 * when it takes one): kept as the message's provider_ref. */
	int names_message;
};

/* One message to submit. Strings belong to the caller and stay valid until
 * the result callback has run. */
struct outbound {
	unsigned long long message_id;
	const char *idempotency_key; /* "<message id>-<16 hex>": the same for
					every attempt, unique across
					gateways; send it to providers */
	const char *to;              /* full address; never log it */
	const char *body;            /* SMS text; e-mail plain-text part */
	const char *subject;         /* e-mail only */
	const char *html;            /* e-mail only: the HTML part */
	int parts;
	int ucs2; /* an SMS the dispatcher measured as UCS-2 (else GSM-7) */
	const char *receipt_url; /* absolute, with the message's token */
	/* The same in two pieces, for APIs that take many messages in one
	 * request: the provider's receipt endpoint (absolute, no query) and
	 * the message's token, which a receipt posted there must carry. */
	const char *receipt_endpoint;
	const char *receipt_token;
	const char *locale; /* the template's: "zh-CN" or "en" */
};

/* Called exactly once per submit, from the event loop. */
typedef void (*channel_done_fn)(void *job, const struct delivery_result *res);

/* What adapters may use: the loop and the shared HTTP client. */
struct channel_env {
	struct ev_loop *loop;
	struct httpc *http;
	const char *public_url; /* where providers reach our receipt server */
	const char *config_path;
};

struct channel;

/* What an adapter can do (channel_ops.flags). */
enum {
	/* The provider reports delivery: .receipt is set, and receipts
	 * come to /receipts/<provider> at [receipts] public_url. */
	CHANNEL_RECEIPTS = 1 << 0,
	/* The provider honours the idempotency key: a message sent again
	 * because its answer was lost (a crash, a cut connection) is not
	 * delivered twice. Without, start-up warns that it may be. */
	CHANNEL_IDEMPOTENT = 1 << 1,
};

/* A key of an adapter's [provider:NAME] section, as channel_open checks
 * it before the adapter's open runs: a key the adapter does not declare
 * (nor type, rate, concurrency, timeout, which every adapter takes) is
 * refused, each one must have its type's form, a needed one must
 * be there. What a value means beyond that is the adapter's to check. */
enum provider_key_type {
	PKEY_TEXT,   /* any text */
	PKEY_URL,    /* http://... or https://... */
	PKEY_INT,    /* a whole number from min to max */
	PKEY_NUMBER, /* a number from min to max, fractions too (a rate) */
	PKEY_BOOL,   /* yes or no */
	PKEY_FILE,   /* a path: a secret, a key or certificates read from it */
};

struct provider_key {
	const char *name; /* NULL ends the list */
	enum provider_key_type type;
	long long min, max; /* PKEY_INT */
	/* Needed: what the value is, for "KEY: NEED is needed"; NULL: the
	 * key may be left out. */
	const char *need;
};

struct channel_ops {
	const char *name;       /* the provider type in [provider:X] type = */
	enum channel_kind kind; /* one adapter per (name, kind) */
	unsigned int flags;     /* CHANNEL_RECEIPTS, CHANNEL_IDEMPOTENT */
	const struct provider_key *keys; /* its section's keys */
	/* MUST validate the provider's configuration and report mistakes as
	 * FILE:LINE; runs at start-up. MUST NOT contact the provider. */
	struct channel *(*open)(const struct provider_cfg *p,
				const struct channel_env *env,
				struct fg_err *err);
	/* MUST NOT block: the result comes through done, exactly once. */
	void (*submit)(struct channel *ch, const struct outbound *m,
		       channel_done_fn done, void *job);
	/* Set exactly when flags has CHANNEL_RECEIPTS. Parses one callback,
	 * which carries one receipt or (an API that posts them in batches)
	 * several: returns how many (1..max) with r[0..n) filled (they come
	 * zeroed), or -1 when it is not valid, as a whole (err says why). A receipt without
	 * message_id and token takes them from the query (?id=&t=).
	 * Runs on the receipt server's thread: MUST NOT touch the loop. */
	int (*receipt)(struct channel *ch, const struct http_request *req,
		       struct receipt *r, size_t max, struct fg_err *err);
	/* Frees the adapter; in-flight requests have finished. */
	void (*close)(struct channel *ch);
	/* MAY be NULL (then its credentials are read only when it opens).
	 * SIGHUP: read the credentials files p names again; what a request
	 * or receipt uses from now on. On failure the old ones stay and err
	 * says why (FILE:LINE). On the loop's thread. */
	int (*rekey)(struct channel *ch, const struct provider_cfg *p,
		     const char *config_path, struct fg_err *err);
};

/* The part of every adapter's state the dispatcher uses. */
struct channel {
	const struct channel_ops *ops;
	char *provider;  /* the configured name */
	double rate;     /* messages per second; 0: no limit */
	int concurrency; /* requests in flight at most */
	long timeout_ms;
};
/* open MAY set rate and concurrency as the adapter's defaults (e-mail:
 * workers x per_session; voice: Twilio's 1 call/s); configured values
 * win. */

/* The adapter for a provider type on a channel, or NULL. */
/* Every adapter, NULL-terminated. */
const struct channel_ops *const *channel_adapters(void);
const struct channel_ops *channel_lookup(const char *type,
					 enum channel_kind kind);
/* Open the provider called name: its adapter, and the rate, concurrency
 * and timeout every provider has. Unused keys are mistakes. */
struct channel *channel_open(const struct config *cfg, const char *name,
			     enum channel_kind kind,
			     const struct channel_env *env, struct fg_err *err);
void channel_close(struct channel *ch);
/* SIGHUP: the rate and concurrency cfg's [provider:NAME] sets (checked
 * by opening it first), where it sets them; 1 if either changed. */
int channel_repace(struct channel *ch, const struct config *cfg);
/* Start-up check of the registry itself: no two adapters with one name
 * for one channel. */
int channel_registry_check(struct fg_err *err);

/* Helpers for adapters. */
void result_set(struct delivery_result *r, enum delivery_status st,
		int provider_wide, const char *code, const char *fmt, ...)
	FG_ATTR_PRINTF(5, 6);
/* A one-line secret (token, password) from the file a key names; never
 * logged. The caller frees (and should explicit_bzero) it. */
char *channel_read_secret(const struct provider_cfg *p, const char *key,
			  const char *path, const char *config_path,
			  struct fg_err *err);
/* A request that got no answer at all (refused, unresolvable, timed out,
 * reset): fills res and returns 1; 0 if there was an answer to classify.
 * Refused or unresolvable is the provider's trouble; the rest may be this
 * message's. */
struct httpc_response;
int channel_transport_error(const struct httpc_response *r,
			    struct delivery_result *res);
/* The line of a provider key, for "FILE:LINE" messages. */
/* A key's value as channel_open checked it: a PKEY_INT's number, or
 * def when the key is not there; a PKEY_BOOL's yes (1) or no (0). */
long long provider_int(const struct provider_cfg *p, const char *key,
		       long long def);
int provider_yes(const struct provider_cfg *p, const char *key, int def);
/* A PKEY_NUMBER's value, or def. */
double provider_number(const struct provider_cfg *p, const char *key,
		       double def);
int provider_line(const struct provider_cfg *p, const char *key);

#endif
