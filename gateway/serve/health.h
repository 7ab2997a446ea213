/*
 * health.h: whether serve is alive and ready, for a load balancer or an
 * orchestrator: GET /healthz and GET /readyz on the receipt server (the
 * API's listener), without a token. The answers come from state kept by
 * a thread of its own, so they never wait for the database: /readyz is
 * ready while the database answered within HEALTH_STALE seconds, the
 * billing contract (read again every HEALTH_BILLING_EVERY seconds) has
 * no problem, and serve is not draining.
 */
#ifndef FEEGATE_HEALTH_H
#define FEEGATE_HEALTH_H

#include "base/config.h"
#include "base/util.h"

#define HEALTH_PING_EVERY    1.0  /* seconds between looks at the database */
#define HEALTH_STALE         5.0  /* no answer for this long: not ready */
#define HEALTH_BILLING_EVERY 10.0 /* seconds between reads of the contract */

/* Start watching (serve, once its start-up checks have passed). */
int health_start(const struct config *cfg, struct fg_err *err);
void health_stop(void);
/* serve stops taking work (SIGTERM): not ready from now on. */
void health_draining(void);

/* The JSON answers and their HTTP status. */
unsigned int health_live(struct sbuf *out);
unsigned int health_ready(struct sbuf *out);

#endif
