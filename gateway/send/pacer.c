/*
 * pacer.c: see pacer.h.
 */
#include "send/pacer.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"

void
pacer_init(struct pacer *p, double rate)
{
	memset(p, 0, sizeof(*p));
	if (rate <= 0)
		return;
	if (rate >= 1) {
		p->cap = (size_t)floor(rate);
		p->window = PACE_MARGIN;
	} else {
		p->cap = 1;
		p->window = PACE_MARGIN / rate;
	}
	p->ring = xcalloc(p->cap, sizeof(*p->ring));
}

void
pacer_free(struct pacer *p)
{
	free(p->ring);
	p->ring = NULL;
}

size_t
pacer_room(const struct pacer *p, double now)
{
	size_t lo = 0, hi = p->count;

	if (p->cap == 0)
		return (size_t)-1;
	/* The ring holds send times oldest first: find the first inside the
	 * window. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (p->ring[(p->head + mid) % p->cap] > now - p->window)
			hi = mid;
		else
			lo = mid + 1;
	}
	return p->cap - (p->count - lo);
}

void
pacer_sent(struct pacer *p, double now)
{
	if (p->cap == 0)
		return;
	if (p->count == p->cap) {
		p->ring[p->head] = now;
		p->head = (p->head + 1) % p->cap;
	} else {
		p->ring[(p->head + p->count) % p->cap] = now;
		p->count++;
	}
}
