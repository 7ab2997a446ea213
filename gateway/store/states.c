/*
 * states.c: see states.h.
 */
#include "store/states.h"

#include <string.h>

#include "base/kinds.h"

int
outbox_reached(const char *state, const char *channel)
{
	const struct channel_kind_info *k;

	if (strcmp(state, "delivered") == 0)
		return 1;
	k = channel_kind_of(channel);
	return strcmp(state, "accepted") == 0 && k != NULL && !k->receipts;
}
