/*
 * httpc.c: see httpc.h. Following curl's evhiperfifo.c, with these
 * differences: the timeout is timeout_ms / 1000.0 (the example's integer
 * division makes the loop spin on sub-second timeouts), ev_io_stop before
 * ev_io_set, curl_multi_socket_action is never called from curl's own
 * timer callback, curl_multi_info_read is drained after every action, and
 * the multi handle is cleaned up before the loop goes.
 */
#include "net/httpc.h"

#include <curl/curl.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "base/util.h"

#define HTTPC_MAX_CONNS 4096 /* idle connections kept for reuse, at most */

struct req;

struct httpc {
	struct ev_loop *loop;
	CURLM *multi;
	ev_timer timer;
	int running;
	size_t inflight;
	struct req *reqs; /* in flight, for httpc_free */
};

struct sock {
	ev_io io;
	curl_socket_t fd;
	struct httpc *h;
};

struct req {
	CURL *easy;
	struct httpc *h;
	struct curl_slist *headers;
	char *body;
	struct sbuf resp;
	int retry_after;
	char errbuf[CURL_ERROR_SIZE];
	httpc_done_fn done;
	void *arg;
	struct req *prev, *next;
};

static void
req_free(struct req *q)
{
	struct httpc *h = q->h;

	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		h->reqs = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	curl_multi_remove_handle(h->multi, q->easy);
	curl_easy_cleanup(q->easy);
	curl_slist_free_all(q->headers);
	free(q->body);
	sbuf_free(&q->resp);
	free(q);
	h->inflight--;
}

static void
check_done(struct httpc *h)
{
	struct httpc_response r;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct req *q;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
				  (char **)&q);
		memset(&r, 0, sizeof(r));
		r.curl_code = (int)msg->data.result;
		curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &r.status);
		curl_easy_getinfo(q->easy, CURLINFO_TOTAL_TIME, &r.seconds);
		r.error = q->errbuf[0] ? q->errbuf
				       : curl_easy_strerror(msg->data.result);
		r.body = q->resp.s;
		r.body_len = q->resp.len;
		r.retry_after = q->retry_after;
		q->done(q->arg, &r);
		req_free(q);
	}
}

static void
timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct httpc *h = w->data;

	(void)loop;
	(void)revents;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &h->running);
	check_done(h);
}

/* curl's CURLMOPT_TIMERFUNCTION: only (re)arms our timer. */
static int
multi_timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct httpc *h = userp;

	(void)multi;
	ev_timer_stop(h->loop, &h->timer);
	if (timeout_ms >= 0) {
		ev_timer_set(&h->timer, (double)timeout_ms / 1000.0, 0.);
		ev_timer_start(h->loop, &h->timer);
	}
	return 0;
}

static void
io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct sock *s = w->data;
	struct httpc *h = s->h; /* s may be freed by the action below */
	int action = (revents & EV_READ ? CURL_CSELECT_IN : 0) |
		     (revents & EV_WRITE ? CURL_CSELECT_OUT : 0);

	(void)loop;
	curl_multi_socket_action(h->multi, s->fd, action, &h->running);
	check_done(h);
}

/* curl's CURLMOPT_SOCKETFUNCTION: watch, change or forget a socket. */
static int
sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *sockp)
{
	struct httpc *h = userp;
	struct sock *s = sockp;
	int kind;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			ev_io_stop(h->loop, &s->io);
			free(s);
			curl_multi_assign(h->multi, fd, NULL);
		}
		return 0;
	}
	kind = (what & CURL_POLL_IN ? EV_READ : 0) |
	       (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->fd = fd;
		s->h = h;
		s->io.data = s;
		curl_multi_assign(h->multi, fd, s);
		ev_init(&s->io, io_cb);
	} else {
		ev_io_stop(h->loop, &s->io);
	}
	ev_io_set(&s->io, fd, kind);
	ev_io_start(h->loop, &s->io);
	return 0;
}

static size_t
write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct req *q = userdata;
	size_t n = size * nmemb;

	/* Provider answers are small; a runaway body is cut, not buffered. */
	if (q->resp.len + n > 1 << 20)
		return 0;
	sbuf_add(&q->resp, ptr, n);
	return n;
}

static size_t
header_cb(char *buf, size_t size, size_t nitems, void *userdata)
{
	struct req *q = userdata;
	size_t n = size * nitems;

	if (n > 12 && strncasecmp(buf, "Retry-After:", 12) == 0) {
		long v = strtol(buf + 12, NULL, 10);

		/* Seconds only; an HTTP date is taken as "a while". */
		q->retry_after = v > 0 ? (int)(v > 86400 ? 86400 : v) : 60;
	}
	return n;
}

struct httpc *
httpc_new(struct ev_loop *loop)
{
	struct httpc *h = xcalloc(1, sizeof(*h));

	h->loop = loop;
	h->multi = curl_multi_init();
	if (h->multi == NULL)
		fatalx("httpc: curl_multi_init failed");
	ev_timer_init(&h->timer, timer_cb, 0., 0.);
	h->timer.data = h;
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, multi_timer_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
	/* Keep every connection the providers' concurrency opened: curl's
	 * default cache (four per handle in flight) shrinks as requests
	 * finish, and closed one connection in ten to Kannel; each new one
	 * costs a handshake and a slow start on both sides. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS,
			  (long)HTTPC_MAX_CONNS);
	return h;
}

int
httpc_start(struct httpc *h, const struct httpc_request *r, httpc_done_fn done,
	    void *arg)
{
	struct req *q = xcalloc(1, sizeof(*q));
	size_t i;

	q->h = h;
	q->done = done;
	q->arg = arg;
	sbuf_init(&q->resp);
	q->easy = curl_easy_init();
	if (q->easy == NULL)
		fatalx("httpc: curl_easy_init failed");
	for (i = 0; r->headers != NULL && r->headers[i] != NULL; i++)
		q->headers = curl_slist_append(q->headers, r->headers[i]);
	/* No "Expect: 100-continue" round trip for small bodies. */
	q->headers = curl_slist_append(q->headers, "Expect:");
	curl_easy_setopt(q->easy, CURLOPT_URL, r->url);
	curl_easy_setopt(q->easy, CURLOPT_HTTPHEADER, q->headers);
	curl_easy_setopt(q->easy, CURLOPT_PRIVATE, q);
	curl_easy_setopt(q->easy, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(q->easy, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(q->easy, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(q->easy, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(q->easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(q->easy, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(q->easy, CURLOPT_CONNECTTIMEOUT_MS,
			 r->timeout_ms < 5000 ? r->timeout_ms : 5000L);
	curl_easy_setopt(q->easy, CURLOPT_PROTOCOLS_STR, "http,https");
	if (r->http2) {
		/* h2 by ALPN over TLS (plain http stays HTTP/1.1); a new
		 * request waits for a connection it can multiplex on rather
		 * than opening another. */
		curl_easy_setopt(q->easy, CURLOPT_HTTP_VERSION,
				 (long)CURL_HTTP_VERSION_2TLS);
		curl_easy_setopt(q->easy, CURLOPT_PIPEWAIT, 1L);
	} else {
		curl_easy_setopt(q->easy, CURLOPT_HTTP_VERSION,
				 (long)CURL_HTTP_VERSION_1_1);
	}
	if (r->ca_file != NULL)
		curl_easy_setopt(q->easy, CURLOPT_CAINFO, r->ca_file);
	if (r->userpwd != NULL) {
		curl_easy_setopt(q->easy, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(q->easy, CURLOPT_USERPWD, r->userpwd);
	}
	if (strcmp(r->method, "POST") == 0) {
		q->body = xstrndup(r->body ? r->body : "", r->body_len);
		curl_easy_setopt(q->easy, CURLOPT_POST, 1L);
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(q->easy, CURLOPT_POSTFIELDSIZE,
				 (long)r->body_len);
	}
	if (curl_multi_add_handle(h->multi, q->easy) != CURLM_OK) {
		curl_easy_cleanup(q->easy);
		curl_slist_free_all(q->headers);
		free(q->body);
		sbuf_free(&q->resp);
		free(q);
		return -1;
	}
	h->inflight++;
	q->next = h->reqs;
	if (h->reqs != NULL)
		h->reqs->prev = q;
	h->reqs = q;
	return 0;
}

size_t
httpc_inflight(const struct httpc *h)
{
	return h->inflight;
}

void
httpc_free(struct httpc *h)
{
	if (h == NULL)
		return;
	/* Requests still in flight are dropped without their callbacks. */
	while (h->reqs != NULL)
		req_free(h->reqs);
	ev_timer_stop(h->loop, &h->timer);
	curl_multi_cleanup(h->multi);
	free(h);
}
