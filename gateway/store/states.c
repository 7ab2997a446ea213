/*
 * states.c: see states.h.
 */
#include "store/states.h"

#include <string.h>

int
outbox_reached(const char *state, const char *channel)
{
	return strcmp(state, "delivered") == 0 ||
	       (strcmp(state, "accepted") == 0 &&
		(strcmp(channel, "email") == 0 ||
		 strcmp(channel, "push") == 0));
}
