/*
 * fuzz_dsn.c: the bounce reader on any message (anyone can mail the
 * bounce address): a DSN is found or refused with a reason, the fields
 * stay within their buffers, and it never crashes or reads past the end.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes: a read past it is caught. */
	char *msg = malloc(size ? size : 1);
	struct fg_err err;
	struct dsn d;
	size_t i;

	memcpy(msg, data, size);
	if (dsn_parse(msg, size, &d, &err) == 0) {
		if (d.envid[0] == '\0' || d.n == 0 || d.n > DSN_MAX_RECIPIENTS)
			abort();
		for (i = 0; i < d.n; i++)
			if (strlen(d.r[i].final) >= sizeof(d.r[i].final) ||
			    d.r[i].action[0] == '\0')
				abort();
	} else if (err.msg[0] == '\0') {
		abort();
	}
	free(msg);
	return 0;
}
