/*
 * scrape.h: /metrics on a listener of its own ([metrics] listen, port),
 * for a Prometheus that should not reach the listener providers post
 * receipts to. Bound to a loopback address it answers without a token
 * (whoever can reach it is on this machine); bound elsewhere, a token
 * with the metrics:read scope is needed, as on the API's listener.
 */
#ifndef FEEGATE_SCRAPE_H
#define FEEGATE_SCRAPE_H

#include "base/config.h"
#include "base/util.h"

struct scrape;

/* Listen (its own database connection, for the gauges); now_offset is
 * serve --now's. NULL with err. */
struct scrape *scrape_start(const struct config *cfg, double now_offset,
			    struct fg_err *err);
void scrape_stop(struct scrape *s);

#endif
