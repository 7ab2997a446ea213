/*
 * pacer.h: a provider's contractual rate, kept whatever the burst: at most
 * cap sends in any window of `window` seconds. The provider counts
 * arrivals, and the network can bunch requests up: the window is
 * PACE_MARGIN longer than the rate says. Times are seconds on any
 * monotonic clock (the loop's ev_now); one pacer belongs to one thread.
 */
#ifndef FEEGATE_PACER_H
#define FEEGATE_PACER_H

#include <stddef.h>

#define PACE_MARGIN 1.1

struct pacer {
	double *ring; /* send times, oldest first from head */
	size_t cap, head, count;
	double window;
};

/* rate: sends a second; 0 or less: no limit. A rate of 1 or more allows
 * floor(rate) sends in PACE_MARGIN seconds; a lower one, one send in
 * PACE_MARGIN / rate seconds. */
void pacer_init(struct pacer *p, double rate);
void pacer_free(struct pacer *p);
/* How many more may go at now; (size_t)-1 without a limit. */
size_t pacer_room(const struct pacer *p, double now);
/* One went at now (not earlier than the last). */
void pacer_sent(struct pacer *p, double now);

#endif
