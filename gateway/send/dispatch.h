/*
 * dispatch.h: the dispatcher: a libev loop that claims due messages from
 * the outbox, re-checks them against billing, renders them, submits them
 * through the channel adapters (one curl multi handle for all HTTP
 * providers), paces each provider, and records every answer. serve.c
 * assembles it with the listeners and the nightly pass.
 */
#ifndef FEEGATE_DISPATCH_H
#define FEEGATE_DISPATCH_H

#include "base/config.h"
#include "base/kinds.h"
#include "queue/template.h"

struct dispatch_opts {
	int once;          /* run: stop when nothing more can be sent now,
			      after waiting up to receipt_wait for receipts */
	double now_offset; /* seconds added to the clock (--now) */
	const char *owner; /* lease owner; NULL: host:pid */
};

struct dispatch_stats {
	unsigned long long claimed, sent, retried, expired, failed, cancelled;
	/* Taken by a provider, per channel kind, and what that costs
	 * (channel_kinds[k].units). */
	unsigned long long sent_by[CHANNEL_KINDS], units_by[CHANNEL_KINDS];
	unsigned long long receipts;
	unsigned long long awaiting; /* still without a final receipt */
};

struct dispatcher;
struct channel;
struct ev_loop;

/* A dispatcher on loop: the database connected and its schema checked,
 * the recorder and the claimer threads started, every configured
 * provider opened, its tick and flush watchers on the loop. NULL with err
 * on a start-up error (configuration, database). The caller runs the
 * loop: it ends once (o->once) nothing more can be sent and the receipts
 * awaited came or receipt_wait passed, or after dispatch_stop once the
 * requests in flight are answered, or when the database is gone for
 * good. st is filled as it goes. */
struct dispatcher *dispatch_open(const struct config *cfg,
				 struct template_set *ts,
				 const struct dispatch_opts *o,
				 struct ev_loop *loop,
				 struct dispatch_stats *st, struct fg_err *err);
/* The open providers, one a channel that has one. */
struct channel *const *dispatch_channels(const struct dispatcher *d, size_t *n);
/* Whether any open provider sends receipts (e-mail and push do not). */
int dispatch_takes_receipts(const struct dispatcher *d);
/* SIGHUP: ts (checked, the dispatcher's from now on: it frees it) is
 * what messages are rendered with from the next claim on, and each
 * provider takes the rate and concurrency cfg gives it. On the loop's
 * thread. */
void dispatch_reload(struct dispatcher *d, struct template_set *ts,
		     const struct config *cfg);
/* No more claims; the loop ends once what is in flight is answered. On
 * the loop's thread (a signal watcher). */
void dispatch_stop(struct dispatcher *d);
/* Whether it is stopping: dispatch_stop, or the database gone. */
int dispatch_stopping(const struct dispatcher *d);
/* Work was queued elsewhere (a nightly or outage pass): every lane
 * claims at its next chance. Any thread. */
void dispatch_wake(struct dispatcher *d);
/* While on, claims take only urgent messages (an outage pass writing its
 * notices: night.h, urgent_hold); off, every lane claims at its next
 * chance. Any thread. */
void dispatch_urgent_only(struct dispatcher *d, int on);
/* After the loop: what was claimed and not sent goes back to the queue,
 * the last answers are written, st->awaiting counted. 0, or -1 with err
 * when the database did not come back. */
int dispatch_finish(struct dispatcher *d, struct fg_err *err);
/* The providers, the threads and the connection closed; d freed. NULL is
 * nothing. */
void dispatch_close(struct dispatcher *d);

/* Every configured channel's provider opened and closed again (no
 * database, no request to a provider): configuration mistakes before any
 * work. 0, or -1 with FILE:LINE in err. */
int dispatch_check(const struct config *cfg, struct fg_err *err);

/* "YYYY-MM-DD HH:MM" in the configured timezone as an offset from now. */
int dispatch_parse_now(const char *s, double *offset);

#endif
