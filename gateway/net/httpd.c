/*
 * httpd.c: see httpd.h.
 */
#include "net/httpd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void
kv_add(struct kv_list *l, const char *k, const char *v)
{
	l->kv = xrealloc(l->kv, (l->n + 1) * sizeof(*l->kv));
	l->kv[l->n].key = xstrdup(k);
	l->kv[l->n].value = xstrdup(v ? v : "");
	l->n++;
}

void
kv_free(struct kv_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->kv[i].key);
		free(l->kv[i].value);
	}
	free(l->kv);
	l->kv = NULL;
	l->n = 0;
}

const char *
kv_get(const struct kv_list *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->kv[i].key, key) == 0)
			return l->kv[i].value;
	return NULL;
}

enum MHD_Result
httpd_collect(void *cls, enum MHD_ValueKind kind, const char *key,
	      const char *value)
{
	(void)kind;
	kv_add(cls, key, value);
	return MHD_YES;
}

void
httpd_parse_form(const char *body, size_t len, struct kv_list *l)
{
	char *copy = xstrndup(body ? body : "", len), *save = NULL, *pair;

	for (pair = strtok_r(copy, "&", &save); pair != NULL;
	     pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '='), *p;

		if (eq != NULL)
			*eq++ = '\0';
		for (p = pair; *p; p++)
			if (*p == '+')
				*p = ' ';
		for (p = eq; p && *p; p++)
			if (*p == '+')
				*p = ' ';
		MHD_http_unescape(pair);
		if (eq != NULL)
			MHD_http_unescape(eq);
		kv_add(l, pair, eq ? eq : "");
	}
	free(copy);
}

enum MHD_Result
httpd_reply(struct MHD_Connection *c, unsigned int status, const char *type,
	    const char *body, size_t len, ...)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body,
						MHD_RESPMEM_MUST_COPY);
	const char *name, *value;
	enum MHD_Result ret;
	va_list ap;

	MHD_add_response_header(r, "Content-Type", type);
	/* Every answer, pages, API and receipts alike: no content sniffing,
	 * and no URL (an account number in a path) handed to another site.
	 * same-origin rather than no-referrer: under no-referrer a browser
	 * sends "Origin: null" with every form POST, and the login form is
	 * guarded by its Origin (web.c, same_origin). */
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	va_start(ap, len);
	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		MHD_add_response_header(r, name, value);
	}
	va_end(ap);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

int
httpd_receive(struct MHD_Connection *c, void **con_cls, const char *upload,
	      size_t *upload_size, size_t max, struct httpd_body **body)
{
	struct httpd_body *b = *con_cls;

	if (b == NULL) {
		const char *cl = MHD_lookup_connection_value(
			c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

		b = xcalloc(1, sizeof(*b));
		sbuf_init(&b->body);
		*con_cls = b;
		/* Said to be too large: answered now, not after it came. */
		if (cl != NULL && strtoull(cl, NULL, 10) > max) {
			b->too_big = 1;
			*body = b;
			return 0;
		}
		return 1;
	}
	if (b->too_big && b->body.len == 0 && *upload_size > 0) {
		/* (what follows an early 413 is dropped) */
		*upload_size = 0;
		return 1;
	}
	if (*upload_size > 0) {
		if (b->body.len + *upload_size > max)
			b->too_big = 1;
		else
			sbuf_add(&b->body, upload, *upload_size);
		*upload_size = 0;
		return 1;
	}
	*body = b;
	return 0;
}

void
httpd_completed(void *cls, struct MHD_Connection *c, void **con_cls,
		enum MHD_RequestTerminationCode toe)
{
	struct httpd_body *b = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (b != NULL) {
		sbuf_free(&b->body);
		free(b->work);
		free(b);
		*con_cls = NULL;
	}
}

/* MHD_OPTION_UNESCAPE_CALLBACK: percent-decoding of the path and the query
 * as MHD's own, except that %00 stays as it is written: a NUL would end a
 * path early, and `/api/v1/notices%00` would be read as the notices'. */
static size_t
unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *r = s, *w = s;

	(void)cls;
	(void)c;
	while (*r != '\0') {
		int hi, lo;

		if (r[0] == '%' && (hi = hex_digit((unsigned char)r[1])) >= 0 &&
		    (lo = hex_digit((unsigned char)r[2])) >= 0 &&
		    (hi | lo) != 0) {
			*w++ = (char)(hi * 16 + lo);
			r += 3;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

struct MHD_Daemon *
httpd_start(const char *what, const char *listen, int port,
	    unsigned int conn_limit, unsigned int flags,
	    MHD_AccessHandlerCallback handler, void *arg, struct fg_err *err)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, listen, &sa.sin_addr) != 1) {
		err_set(err, "%s listen: '%s' is not an IPv4 address", what,
			listen);
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
				     flags,
			     0, NULL, NULL, handler, arg, MHD_OPTION_SOCK_ADDR,
			     (struct sockaddr *)&sa,
			     MHD_OPTION_NOTIFY_COMPLETED, httpd_completed, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, conn_limit,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u,
			     MHD_OPTION_UNESCAPE_CALLBACK, unescape, NULL,
			     MHD_OPTION_END);
	if (d == NULL)
		err_set(err, "%s: cannot listen on %s:%d", what, listen, port);
	return d;
}
