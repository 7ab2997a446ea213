/*
 * policy.h: what a delivery result means for a message and its provider.
 * One place, explained in policy.c.
 */
#ifndef FEEGATE_POLICY_H
#define FEEGATE_POLICY_H

#include "base/config.h"
#include "channels/channel.h"

enum outcome {
	OUTCOME_SENT,    /* the provider took it; a receipt may follow */
	OUTCOME_RETRY,   /* temporary: try again after delay, attempt counted */
	OUTCOME_REQUEUE, /* the provider's trouble: try again after delay,
			    attempt not counted */
	OUTCOME_EXPIRED, /* temporary too often or too long: give up here,
			    fall back to the next contact */
	OUTCOME_FAILED,  /* permanent: block the contact, fall back */
	OUTCOME_REFUSED, /* feegate would not send it (an SMS over [sms]
			    max_parts): failed on this contact without
			    blocking it, fall back */
};

extern const char *const outcome_names[];

struct decision {
	enum outcome outcome;
	long delay; /* seconds until the next attempt */
};

/* Per provider: consecutive trouble pauses it, success resumes it. */
struct throttle {
	int failures; /* consecutive temporary failures */
	double pause; /* current pause length, seconds */
	double paused_until;
};

#define POLICY_STORM  5 /* consecutive temporary failures = provider trouble */
#define POLICY_PROBES 3 /* requests out at once after a pause */

/* Decide for one result; updates the provider's throttle. attempts counts
 * this one; age is seconds since the message was created. */
void policy_decide(const struct config *cfg, struct throttle *t, double now,
		   const struct delivery_result *r, int attempts, long age,
		   struct decision *d);
/* Seconds to wait before attempt number attempts + 1. */
long policy_backoff(const struct config *cfg, int attempts, int retry_after);
int policy_paused(const struct throttle *t, double now);
/* How many of room requests may leave now, with inflight requests out:
 * none while paused, POLICY_PROBES at a time after a pause until a
 * request succeeds, room otherwise. */
int policy_room(const struct throttle *t, double now, int inflight, int room);

#endif
