/*
 * receipts.h: the embedded HTTP server that takes providers' delivery
 * receipts: /receipts/<provider>?id=<message id>&t=<token>. The provider's
 * adapter parses the callback (and checks its signature where it has one);
 * the per-message token must match. Unauthenticated, malformed or unknown
 * receipts change nothing and get a 4xx; a replayed receipt gets a 200 and
 * changes nothing. Runs on its own thread with its own database connection.
 */
#ifndef FEEGATE_RECEIPTS_H
#define FEEGATE_RECEIPTS_H

#include "base/config.h"
#include "channels/channel.h"

struct receipts;

/* now_offset: seconds to add to the clock (--now). */
struct receipts *receipts_start(const struct config *cfg,
				struct channel *const *channels, size_t n,
				double now_offset, struct fg_err *err);
unsigned long long receipts_count(const struct receipts *r);
void receipts_stop(struct receipts *r);

#endif
