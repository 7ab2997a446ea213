/*
 * httpc.h: HTTP requests on one curl multi handle driven by libev (curl's
 * evhiperfifo pattern). Connections are kept alive and reused. Nothing here
 * blocks; each request's callback runs once, from the loop.
 */
#ifndef FEEGATE_HTTPC_H
#define FEEGATE_HTTPC_H

#include <stddef.h>

struct ev_loop;
struct httpc;

struct httpc_response {
	long status;       /* HTTP status, 0 if no response */
	int curl_code;     /* CURLE_OK, or why there was no response */
	const char *error; /* curl's words when curl_code != 0 */
	const char *body;  /* NUL-terminated */
	size_t body_len;
	int retry_after; /* seconds, from Retry-After; 0 if none */
	double seconds;  /* total time */
};

typedef void (*httpc_done_fn)(void *arg, const struct httpc_response *r);

struct httpc_request {
	const char *method; /* "POST" or "GET" */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value" lines */
	const char *body;
	size_t body_len;
	const char *userpwd; /* basic auth "user:password", or NULL */
	long timeout_ms;
	int http2;           /* HTTP/2 where TLS offers it, requests
				multiplexed on one connection */
	const char *ca_file; /* CA certificates to trust instead of the
				system's (tests, private CAs), or NULL */
};

struct httpc *httpc_new(struct ev_loop *loop);
/* Start a request; done(arg, response) is called later. 0, or -1 if curl
 * refused it (then done is not called). Everything is copied. */
int httpc_start(struct httpc *h, const struct httpc_request *req,
		httpc_done_fn done, void *arg);
size_t httpc_inflight(const struct httpc *h);
/* Cancels what is in flight (no callbacks) and frees; call before the loop
 * is destroyed. */
void httpc_free(struct httpc *h);

#endif
