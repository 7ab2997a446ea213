/*
 * outbox.h: the messages table as a queue (STYLE.md: "the database is the
 * queue"). A message is claimed with SELECT ... FOR UPDATE SKIP LOCKED (the
 * row locks are its lease while it is loaded and rendered), marked
 * `submitting` with a lease in the same transaction, committed before its
 * request leaves, and recorded as soon as the provider answers:
 *
 *   queued/retry --claim, render--> submitting --answer--> accepted
 *        ^        (one transaction)       |                  | receipt
 *        |                lease expired: in doubt            v
 *        +--retry/requeue----(resend after doubt_wait)     delivered,
 *                                                          failed_permanent
 *   cancelled (paid before sending), expired, failed_permanent -> fallback
 *   (`leased`, written by the claim itself in earlier builds, is still
 *   recovered when a lease runs out.)
 *
 * next_attempt_at is when a queued or retry message falls due; from the
 * claim on (submitting, accepted and after) it is when its last attempt
 * went. Only a waiting message (queued, retry, leased) has its state in
 * the claim's index, messages_waiting (migration 026): the updates after
 * the claim move no entry. A marked batch has a row of its own
 * (batches.h), from which lease recovery finds the messages in doubt and
 * `run` the receipts still awaited.
 *
 * A message in doubt (its dispatcher died after sending) is not sent again
 * until [dispatch] lease seconds have passed without a receipt: a receipt
 * settles it. Every change writes its audit rows in the same transaction.
 */
#ifndef FEEGATE_OUTBOX_H
#define FEEGATE_OUTBOX_H

#include "base/config.h"
#include "channels/channel.h"
#include "queue/context.h"
#include "queue/policy.h"
#include "store/db.h"
#include "store/states.h"

/* Every priority a message can have: its notice's `urgent`, 0 or 1 (the
 * claim takes each level by name, claim_select in outbox.c). A query that
 * looks waiting messages up by state says it too, so that it can use the
 * outbox's one index by state, messages_waiting (priority, queue_state,
 * channel, next_attempt_at; migration 026). A new level goes here and into
 * claim_select. */
#define OUTBOX_ANY_PRIORITY "priority IN (0, 1)"

struct claimed {
	unsigned long long message_id, notice_id, case_id;
	unsigned long long batch_id; /* message_batches: set when marked */
	long long contact_id;
	char account_no[33];
	char channel[17];
	char kind[33];
	int seq;
	char *address;  /* full: only for the provider */
	char token[33]; /* receipt token */
	int attempts;   /* including this one */
	long age;       /* seconds since created */
	struct notice_context ctx;
	const char *cancel; /* non-NULL: do not send, and why */
	char refuse[192]; /* not "": not sent, fall back, and why (too long) */
	char fit[96];     /* what was left out to fit [sms] max_parts, or "" */
	char *body;
	char *subject, *html; /* e-mail */
	char *data;           /* an API notice's values (JSON), or NULL */
	int parts;
	int ucs2; /* an SMS in UCS-2 (else GSM-7) */
};

/* The outcome of one attempt, for outbox_record. */
struct attempt {
	struct claimed *m;
	const char *provider;
	struct delivery_result res;
	struct decision d;
};

/* Return leases that expired (never submitted: back to the queue) and
 * messages in doubt for longer than a lease (resent). now is UTC. */
int outbox_recover(struct db *db, const struct config *cfg, const char *now,
		   unsigned long long *requeued, struct fg_err *err);
struct audit_batch;
/* Queue the notice to the next consented, usable contact not tried yet (in
 * channel_order, then priority, on a channel with a provider), auditing
 * message_queued with why, or notice_unreachable when there is none and no
 * other message of the notice is still going. */
int outbox_queue_next(struct db *db, const struct config *cfg,
		      struct audit_batch *w, const char *account_no,
		      unsigned long long case_id, unsigned long long notice_id,
		      const char *why, const char *business_date,
		      struct fg_err *err);
/* Claim up to limit due messages of channel, urgent ones (outage notices)
 * first; with OUTBOX_ANYTIME_ONLY, only those that may go outside the
 * calling window; with OUTBOX_URGENT_ONLY, only urgent ones (while billing
 * is too stale to dun on). When any are claimed, the transaction that
 * locks them stays open: outbox_load() them, then outbox_submitting()
 * (which commits) or outbox_abandon(). */
#define OUTBOX_ANYTIME_ONLY 1u
#define OUTBOX_URGENT_ONLY  2u
/* Where the claims of one channel have got to, a priority each (one claim
 * at a time uses it: the caller's lock when claims run side by side):
 * a claim takes the messages queued for now from after it (their ids only
 * grow), and only when those are fewer than it asks for, the others from
 * the start (retries; any the cursor passed: a claim rolled back, a
 * queue's insert committed late). The entries of the messages claimed
 * before stay in the index, delete-marked, until InnoDB's purge removes
 * them, and a claim from the start walks them all, looking up each one's
 * row while other transactions are open: 18 ms a claim of 200 behind
 * 20,000 of them, 0.7 ms from the cursor. Zeroed: from the start. */
struct outbox_cursor {
	unsigned long long after[2];
};
int outbox_claim(struct db *db, const char *channel, int limit,
		 unsigned int only, const char *now,
		 struct outbox_cursor *cursor, struct claimed **out, size_t *n,
		 struct fg_err *err);
/* Read what the claimed messages need: the account's context as of the
 * business date, and whether they may still go (case active, balance due). */
int outbox_load(struct db *db, const struct config *cfg, struct claimed *m,
		size_t n, const char *business_date, struct fg_err *err);
/* Cancel what may not go, mark the rest submitting (with their text and a
 * lease for owner) and commit the claim; on failure the claim is rolled
 * back whole and the messages are due again as they were. */
int outbox_submitting(struct db *db, const struct config *cfg,
		      struct claimed *m, size_t n, const char *owner,
		      const char *provider, const char *now,
		      const char *business_date, struct fg_err *err);
/* Roll back a claim (nothing of it was sent) and free the batch. */
void outbox_abandon(struct db *db, struct claimed *m, size_t n);
/* Record attempts: states, audit rows, contact blocks and fallbacks. */
int outbox_record(struct db *db, const struct config *cfg, struct attempt *a,
		  size_t n, const char *now, const char *business_date,
		  struct fg_err *err);
/* One receipt of a batch, and what became of it. */
struct receipt_item {
	const char *provider;
	struct receipt r;
	int verdict;  /* 0 applied, 1 duplicate (no change), -1 refused */
	char why[64]; /* refused: unknown message or wrong token */
};
/* Apply receipts in one transaction, in order (a call's progress, then its
 * end; a second final receipt for a message is a duplicate). On failure
 * nothing of the batch is applied and every verdict is -1. */
int outbox_receipts(struct db *db, const struct config *cfg,
		    struct receipt_item *it, size_t n, const char *now,
		    const char *business_date, struct fg_err *err);
void outbox_free(struct claimed *m, size_t n);

/* What a provider may de-duplicate on, and what a bounce names the
 * message by (the DSN's ENVID): the message id and 64 bits of the
 * SHA-256 of its receipt token (random per message, kept across attempts,
 * and not revealed by its hash). The same for every attempt of a message;
 * never the same for two messages, not even of two gateways (or a gateway
 * database made again) sharing one provider account, whose message ids
 * repeat: "12345-9f86d081884c7d65". */
#define OUTBOX_KEY_LEN 48
void outbox_key(unsigned long long message_id, const char *token,
		char out[OUTBOX_KEY_LEN]);

#endif
