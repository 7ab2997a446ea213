/*
 * fuzz_api.c: the notice API's body validation (api_check_notice) on any
 * bytes: it answers 0 or a 4xx with a JSON error, and never crashes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "serve/api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out;
	unsigned int status;

	sbuf_init(&out);
	status = api_check_notice((const char *)data, size, &out);
	if (status != 0 && (status < 400 || status > 499 || out.len == 0))
		abort();
	sbuf_free(&out);
	return 0;
}
