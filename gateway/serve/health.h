/*
 * health.h: whether serve is alive and ready, for a load balancer or an
 * orchestrator: GET /healthz and GET /readyz on the receipt server (the
 * API's listener), without a token. The answers come from state kept by
 * a thread of its own, so they never wait for the database: /readyz is
 * ready while the database answered within HEALTH_STALE seconds, the
 * billing contract (read again every HEALTH_BILLING_EVERY seconds) has
 * no problem, and serve is not draining. A second thread, on a
 * connection of its own, counts the queue due for systemd's STATUS line
 * and /metrics, every HEALTH_QUEUE_EVERY seconds or, where the count
 * takes longer than a twentieth of that, spaced by its own time
 * (HEALTH_QUEUE_SPACE).
 */
#ifndef FEEGATE_HEALTH_H
#define FEEGATE_HEALTH_H

#include "base/config.h"
#include "base/util.h"

#define HEALTH_PING_EVERY    1.0  /* seconds between looks at the database */
#define HEALTH_STALE         5.0  /* no answer for this long: not ready */
#define HEALTH_BILLING_EVERY 10.0 /* seconds between reads of the contract */
#define HEALTH_QUEUE_EVERY   5.0  /* between counts of the queue due */
/* Between counts of the queue, at least this many times the last count's
 * own time. */
#define HEALTH_QUEUE_SPACE 20.0

/* Start watching (serve, once its start-up checks have passed);
 * now_offset is serve --now's. */
int health_start(const struct config *cfg, double now_offset,
		 struct fg_err *err);
void health_stop(void);
/* serve stops taking work (SIGTERM): not ready from now on. */
void health_draining(void);

/* The queue due now over every channel, as last read (/metrics shows
 * the same by channel), and the oldest's wait in seconds; -1 before the
 * first read. */
long long health_queue(long long *oldest);

/* The JSON answers and their HTTP status. */
unsigned int health_live(struct sbuf *out);
unsigned int health_ready(struct sbuf *out);

#endif
