/*
 * http.c: see http.h.
 */
#include "net/http.h"

#include <string.h>
#include <strings.h>

static const char *
kv_find(const struct http_kv *kv, size_t n, const char *key, int nocase)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((nocase ? strcasecmp(kv[i].key, key)
			    : strcmp(kv[i].key, key)) == 0)
			return kv[i].value;
	return NULL;
}

const char *
http_request_query(const struct http_request *r, const char *key)
{
	return kv_find(r->query, r->nquery, key, 0);
}

const char *
http_request_form(const struct http_request *r, const char *key)
{
	return kv_find(r->form, r->nform, key, 0);
}

const char *
http_request_header(const struct http_request *r, const char *key)
{
	return kv_find(r->headers, r->nheaders, key, 1);
}
