/*
 * httpd.h: what feegate's libmicrohttpd servers share (the receipt and API
 * server in receipts.c, the staff pages in web.c): collected key/value
 * lists, form bodies, and a finished answer.
 */
#ifndef FEEGATE_HTTPD_H
#define FEEGATE_HTTPD_H

#include <microhttpd.h>

#include "base/util.h"
#include "net/http.h"

struct kv_list {
	struct http_kv *kv;
	size_t n;
};

void kv_add(struct kv_list *l, const char *k, const char *v);
void kv_free(struct kv_list *l);
/* The value of key (first one), or NULL. */
const char *kv_get(const struct kv_list *l, const char *key);
/* An MHD_KeyValueIterator that appends to the kv_list in cls. */
enum MHD_Result httpd_collect(void *cls, enum MHD_ValueKind kind,
			      const char *key, const char *value);
/* application/x-www-form-urlencoded into l. */
void httpd_parse_form(const char *body, size_t len, struct kv_list *l);
/* Queue body (copied) with status and content type; extra headers as
 * name, value pairs, NULL-terminated. */
enum MHD_Result httpd_reply(struct MHD_Connection *c, unsigned int status,
			    const char *type, const char *body, size_t len,
			    ...);

/* A request's body, collected as it arrives. */
struct httpd_body {
	struct sbuf body;
	int too_big; /* over the limit: the rest was dropped */
	void *work;  /* the handler's, freed with free() on completion */
};

/* The first calls of an access handler: 1 while the request is still
 * arriving (the handler returns MHD_YES), 0 once it is whole (*body set).
 * Bodies over max are cut off and flagged too_big; one whose declared
 * Content-Length is over max is flagged at once, before any of it is
 * read, so that the handler answers 413 without waiting for it. */
int httpd_receive(struct MHD_Connection *c, void **con_cls, const char *upload,
		  size_t *upload_size, size_t max, struct httpd_body **body);
/* MHD_OPTION_NOTIFY_COMPLETED: frees what httpd_receive kept. */
void httpd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		     enum MHD_RequestTerminationCode toe);
/* Listen on the IPv4 address listen:port with one internal thread running
 * handler(arg); what names the server in errors ("[web]"). flags: more
 * MHD_FLAGs (MHD_ALLOW_SUSPEND_RESUME), or 0. The thread polls
 * (level-triggered): libmicrohttpd 0.9.75's epoll mode left kept-alive
 * connections with a request unread when 128 were ready at once
 * (t_receipts_load). */
struct MHD_Daemon *httpd_start(const char *what, const char *listen, int port,
			       unsigned int conn_limit, unsigned int flags,
			       MHD_AccessHandlerCallback handler, void *arg,
			       struct fg_err *err);

#endif
