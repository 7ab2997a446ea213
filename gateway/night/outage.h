/*
 * outage.h: outage notices, planned by the night (after the dunning steps)
 * from billing_outages and billing_outage_accounts.
 *
 * Each pass first records what changed in billing as new outage versions
 * (outage_versions; a row billing gets wrong is refused with its reason),
 * then decides, set-based, the notices the pass owes:
 *   outage_notice       an outage entering its notice window: a planned one
 *                       [outage] planned_notice_days before the day it
 *                       starts, a temporary one as soon as it is seen;
 *                       late_notice when it goes with less lead than that
 *                       (planned_notice_days, temporary_notice_hours)
 *   outage_rescheduled  the times changed after the customer was told: old
 *                       and new times
 *   outage_cancelled    cancelled after the customer was told (only then)
 *   outage_reminder     reminder_days before the day it starts, to those
 *                       told of the current times before today
 *   outage_restored     after ends_at, to those told, if [outage] restored
 * A customer counts as told of a version when a notice or reschedule of it
 * has a message that has gone or is leaving now (accepted, delivered, or
 * in the provider's hands): one still waiting in the queue (held by the
 * calling window overnight) is not, so when billing moves the outage
 * meanwhile the customer gets a plain notice of the new times, never "moved
 * from" times they never heard, and no reminder goes before its notice
 * has. One notice per outage, account, kind and version (a unique key): a
 * pass
 * run again sends nothing twice. A large customer (segment 'large') hears
 * on every consented contact (holder, finance, executive); the others on
 * the first reachable one, falling back like dunning. Outage messages are
 * claimed before dunning ones, and those of a temporary outage starting
 * within temporary_notice_hours are sent whatever the hour (the others keep
 * the calling window).
 */
#ifndef FEEGATE_OUTAGE_H
#define FEEGATE_OUTAGE_H

#include "night/night.h"

/* One pass at nt->now (the local wall-clock time). */
int outage_plan(struct night *nt, struct fg_err *err);

/* The statement that puts billing's outage rows feegate refuses into
 * tmp_bad, with their reasons; its two parameters are nt->now. */
extern const char outage_sql_refused[];

#endif
