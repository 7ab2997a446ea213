/*
 * http.h: an HTTP request as feegate's servers received it, in the form
 * the channel adapters read their providers' receipts from (httpd.c
 * fills it from libmicrohttpd).
 */
#ifndef FEEGATE_HTTP_H
#define FEEGATE_HTTP_H

#include <stddef.h>

/* A provider callback as the receipt server received it. */
struct http_kv {
	char *key;
	char *value;
};

struct http_request {
	const char *method;
	const char *url;  /* path and query as received */
	const char *path; /* without the query */
	struct http_kv *query, *form, *headers;
	size_t nquery, nform, nheaders;
	const char *body;
	size_t body_len;
};

const char *http_request_query(const struct http_request *r, const char *key);
const char *http_request_form(const struct http_request *r, const char *key);
const char *http_request_header(const struct http_request *r, const char *key);

#endif
