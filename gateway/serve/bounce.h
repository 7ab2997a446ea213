/*
 * bounce.h: delivery status notifications (RFC 3464) that come back to
 * the envelope sender after a relay took a message, read by `feegate
 * bounce` from standard input (Postfix's pipe transport or an aliases
 * entry delivers them so).
 *
 * A DSN is believed only when its Original-Envelope-Id is the key of one
 * of feegate's e-mail messages (its id and 16 hex digits of its receipt
 * token's SHA-256: outbox_key) and a recipient it reports on is that
 * message's address. Then "Action: failed" with a 5.1.x status (no such
 * mailbox or domain) is a permanent failure: the address is blocked and
 * the notice falls back; any other failure is temporary (the same address
 * again after the backoff, within expire_after); "delayed" and the rest
 * are only logged. A forged, unknown or unparseable bounce changes
 * nothing.
 */
#ifndef FEEGATE_BOUNCE_H
#define FEEGATE_BOUNCE_H

#include <stddef.h>

#include "base/config.h"
#include "base/util.h"
#include "store/db.h"

#define DSN_MAX_RECIPIENTS 16

struct dsn_recipient {
	char final[256];    /* Final-Recipient's address */
	char original[256]; /* Original-Recipient's, or "" */
	char action[16];    /* failed, delayed, delivered, relayed, expanded */
	char status[16];    /* 5.1.1 */
	char diag[200];     /* Diagnostic-Code, or "" */
};

struct dsn {
	char envid[128]; /* Original-Envelope-Id, xtext decoded */
	struct dsn_recipient r[DSN_MAX_RECIPIENTS];
	size_t n;
};

/* Read a whole message (len bytes, CRLF or LF): its
 * message/delivery-status part (or message/global-delivery-status) inside
 * a multipart/report. 0, or -1 with why it is not one. */
int dsn_parse(const char *msg, size_t len, struct dsn *d, struct fg_err *err);

/* What a DSN did, for the log line and `feegate bounce`'s output. */
enum bounce_result {
	BOUNCE_IGNORED,   /* not ours, forged, not about the message */
	BOUNCE_LOGGED,    /* delayed, delivered, relayed: only logged */
	BOUNCE_FAILED,    /* recorded: permanent, the address blocked */
	BOUNCE_TEMPORARY, /* recorded: temporary, tried again later */
	BOUNCE_DUPLICATE, /* the message had its final answer already */
};

/* Apply d to the message it names (one transaction, the audit trail as
 * for any receipt). what says what happened, never with an address
 * unmasked. -1 only when the database failed (worth trying again). */
int bounce_apply(struct db *db, const struct config *cfg, const struct dsn *d,
		 const char *now, const char *business_date,
		 enum bounce_result *res, char *what, size_t len,
		 struct fg_err *err);

#endif
