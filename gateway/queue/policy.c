/*
 * policy.c: the failure policy, in one place.
 *
 * - OK: sent; a receipt may still say "delivered" or "failed".
 * - PERMFAIL (invalid number, opted out, rejected): the message has failed
 *   for good on this contact; the contact is blocked while billing keeps
 *   the same address, and the notice falls back to the next consented,
 *   valid contact by priority.
 * - Refused (not the provider's answer: feegate would not send the text,
 *   an SMS over [sms] max_parts after every shortening its template
 *   allows): failed for good on this contact without blocking it, and the
 *   notice falls back.
 * - TEMPFAIL caused by the provider (refused connection, 401/403, 429,
 *   or POLICY_STORM temporary failures in a row: a 5xx storm): the message
 *   goes back to the queue without using up an attempt, and the provider
 *   is paused: 1 s, doubling to 60 s, or as long as Retry-After asks.
 *   When a pause ends, POLICY_PROBES messages go as probes; the provider
 *   gets its full concurrency back once a request succeeds (or is
 *   refused for its own recipient, which also shows the provider is up),
 *   and the pause doubles only if none does. A provider that is down for
 *   minutes sees a few requests per pause, not a volley of `concurrency`;
 *   one that fails 40% of requests at random is not held back by one
 *   unlucky probe.
 * - Other TEMPFAIL (timeout, reset, a lone 5xx, unknown answers): retry
 *   after a backoff that doubles per attempt from [dispatch] backoff_min
 *   up to backoff_max (and at least Retry-After); after max_attempts, or
 *   once the message is expire_after seconds old, it expires, and the
 *   notice falls back like for a permanent failure (without blocking the
 *   contact).
 */
#include "queue/policy.h"

const char *const outcome_names[] = {"Sent",    "TempFail", "TempFail",
				     "Expired", "PermFail", "Refused"};

long
policy_backoff(const struct config *cfg, int attempts, int retry_after)
{
	long d = cfg->dispatch.backoff_min;
	int i;

	for (i = 1; i < attempts && d < cfg->dispatch.backoff_max; i++)
		d *= 2;
	if (d > cfg->dispatch.backoff_max)
		d = cfg->dispatch.backoff_max;
	if (retry_after > d)
		d = retry_after;
	return d;
}

int
policy_paused(const struct throttle *t, double now)
{
	return now < t->paused_until;
}

int
policy_room(const struct throttle *t, double now, int inflight, int room)
{
	if (policy_paused(t, now))
		return 0;
	if (t->pause > 0) { /* a pause ended: a few probes */
		int probes = POLICY_PROBES - inflight;

		return probes < 0 ? 0 : probes < room ? probes : room;
	}
	return room;
}

static void
pause_provider(struct throttle *t, double now, int retry_after)
{
	t->pause = t->pause <= 0 ? 1 : t->pause * 2;
	if (t->pause > 60)
		t->pause = 60;
	if (retry_after > t->pause)
		t->pause = retry_after;
	t->paused_until = now + t->pause;
}

void
policy_decide(const struct config *cfg, struct throttle *t, double now,
	      const struct delivery_result *r, int attempts, long age,
	      struct decision *d)
{
	d->delay = 0;
	switch (r->status) {
	case DELIVERY_OK:
		t->failures = 0;
		t->pause = 0;
		d->outcome = OUTCOME_SENT;
		return;
	case DELIVERY_PERMFAIL:
		t->failures = 0;
		t->pause = 0;
		d->outcome = OUTCOME_FAILED;
		return;
	case DELIVERY_TEMPFAIL:
		break;
	}
	t->failures++;
	if (r->provider_wide || t->failures >= POLICY_STORM ||
	    policy_paused(t, now)) {
		/* The first failure back from the probes pauses again; the
		 * others, answered while paused, only go back to the queue. */
		if (!policy_paused(t, now))
			pause_provider(t, now, r->retry_after);
		d->outcome = OUTCOME_REQUEUE;
		d->delay = (long)(t->paused_until - now) + 1;
		if (age < cfg->dispatch.expire_after)
			return;
	}
	if (attempts >= cfg->dispatch.max_attempts ||
	    age >= cfg->dispatch.expire_after) {
		d->outcome = OUTCOME_EXPIRED;
		return;
	}
	d->outcome = OUTCOME_RETRY;
	d->delay = policy_backoff(cfg, attempts, r->retry_after);
}
