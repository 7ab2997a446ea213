/*
 * email_smtp.c: e-mail over SMTP with libESMTP.
 *
 *   [provider:NAME]
 *   type = smtp
 *   host = 127.0.0.1
 *   port = 25
 *   starttls = no            ; no | yes (when offered) | required
 *   ca_file = /path/ca.pem   ; optional: also trust these CAs for STARTTLS
 *   timeout = 10             ; seconds to wait for the server at any step
 *   username = feegate       ; optional: SMTP AUTH (PLAIN/LOGIN)
 *   password_file = /etc/feegate/smtp.password
 *   from = 国网杭州供电公司 <noreply@example.cn>
 *   reply_to = service@example.cn              ; optional
 *   list_unsubscribe = <mailto:unsubscribe@example.cn>   ; optional
 *   workers = 4              ; SMTP sessions at once
 *   per_session = 20         ; messages sent over one connection
 *   dsn = yes                ; ask for NOTIFY=FAILURE,DELAY and ENVID
 *
 * smtp_start_session() runs a whole SMTP session synchronously, so sessions
 * run on a small pool of worker threads; results go back to the loop
 * through an ev_async watcher. Each message is multipart/alternative
 * (text/plain and text/html, UTF-8, base64) with an RFC 2047 Subject and
 * From display name, a Message-ID derived from the message id, Date, From,
 * To, Reply-To and List-Unsubscribe where configured. libESMTP reports the
 * session as sent even when a recipient was refused: each recipient's
 * status is read: 2xx delivered to the server, 4xx temporary, 5xx
 * permanent. No connection is the provider's trouble.
 *
 * STARTTLS is libESMTP's own, with an OpenSSL context the adapter makes
 * (TLS 1.2, see below; the system's CAs plus ca_file for a private relay)
 * and hands to every session: the server's certificate must verify and
 * name the host; a host given as an IP address is matched against the
 * certificate's IP addresses (libESMTP checks DNS names only). A certificate that fails, a server without
 * STARTTLS when it is required, and a refused MAIL FROM (a wrong password
 * makes the server refuse the sender, not the recipient: libESMTP moves on
 * after a failed AUTH) are the provider's trouble, with the reason, and no
 * recipient is blamed.
 */
#include <auth-client.h>
#include <ev.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
/* After OpenSSL: libesmtp.h declares smtp_starttls_set_ctx() only then. */
#include <libesmtp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "workq.h"

struct mail {
	struct workq_item wi; /* first */
	unsigned long long message_id;
	char *to, *subject, *text, *html, *built;
	channel_done_fn done;
	void *job;
	struct delivery_result res;
	smtp_message_t msg;
	smtp_recipient_t rcpt;
};
#define MNEXT(m) ((struct mail *)(m)->wi.next)

struct email_smtp {
	struct channel ch;
	struct ev_loop *loop;
	ev_async async;
	pthread_t *threads;
	int nthreads;
	struct workq todo; /* for the workers, a session's worth each */
	struct workq done; /* for the loop */
	char *server, *host;
	enum starttls_option starttls;
	SSL_CTX *tls; /* for STARTTLS, or NULL when it is off */
	char *username, *password;
	char *from_addr, *from_header, *domain;
	char *reply_to, *list_unsubscribe;
	int per_session, dsn;
};

static pthread_once_t auth_once = PTHREAD_ONCE_INIT;

static void
auth_init(void)
{
	auth_client_init();
}

/* A header value must never carry a line break: no header injection. */
static int
header_safe(const char *v)
{
	return strpbrk(v, "\r\n") == NULL;
}

static void
base64_lines(struct sbuf *b, const char *data, size_t len)
{
	unsigned char out[80];
	size_t i;

	/* 57 bytes become one 76-character line (RFC 2045). */
	for (i = 0; i < len; i += 57) {
		size_t n = len - i < 57 ? len - i : 57;
		int k = EVP_EncodeBlock(out, (const unsigned char *)data + i,
					(int)n);

		sbuf_add(b, (const char *)out, (size_t)k);
		sbuf_adds(b, "\r\n");
	}
}

/* RFC 2047 encoded words (UTF-8, B), folded, never splitting a character;
 * plain text is kept as it is. */
static void
encoded_words(struct sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, start = 0, n = strlen(s);
	unsigned char out[80];
	int plain = 1, first = 1;

	for (i = 0; i < n; i++)
		if (p[i] >= 0x80 || p[i] < 0x20 || p[i] == '=' || p[i] == '?')
			plain = 0;
	if (plain) {
		sbuf_adds(b, s);
		return;
	}
	while (start < n) {
		size_t end = start, k;

		/* Up to 45 bytes (60 in base64) per word, ending on a
		 * character boundary. */
		while (end < n) {
			size_t len = p[end] < 0x80   ? 1
				     : p[end] < 0xe0 ? 2
				     : p[end] < 0xf0 ? 3
						     : 4;

			if (end + len - start > 45)
				break;
			end += len;
		}
		k = (size_t)EVP_EncodeBlock(out, p + start, (int)(end - start));
		sbuf_addf(b, "%s=?UTF-8?B?%.*s?=", first ? "" : "\r\n ", (int)k,
			  out);
		first = 0;
		start = end;
	}
}

static void
build_message(const struct email_smtp *e, struct mail *m)
{
	char date[64], boundary[64];
	struct sbuf b;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "=_feegate_%llu_%lx",
		 m->message_id, (unsigned long)now);
	sbuf_init(&b);
	sbuf_addf(&b, "Date: %s\r\n", date);
	sbuf_addf(&b, "From: %s\r\n", e->from_header);
	sbuf_addf(&b, "To: <%s>\r\n", m->to);
	if (e->reply_to != NULL)
		sbuf_addf(&b, "Reply-To: %s\r\n", e->reply_to);
	sbuf_adds(&b, "Subject: ");
	encoded_words(&b, m->subject);
	sbuf_adds(&b, "\r\n");
	sbuf_addf(&b, "Message-ID: <feegate.%llu@%s>\r\n", m->message_id,
		  e->domain);
	if (e->list_unsubscribe != NULL)
		sbuf_addf(&b, "List-Unsubscribe: %s\r\n", e->list_unsubscribe);
	sbuf_adds(&b, "MIME-Version: 1.0\r\n");
	sbuf_addf(&b,
		  "Content-Type: multipart/alternative; boundary=\"%s\"\r\n"
		  "\r\n",
		  boundary);
	sbuf_addf(&b,
		  "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\n",
		  boundary);
	base64_lines(&b, m->text, strlen(m->text));
	sbuf_addf(&b,
		  "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
		  "Content-Transfer-Encoding: base64\r\n\r\n",
		  boundary);
	base64_lines(&b, m->html, strlen(m->html));
	sbuf_addf(&b, "--%s--\r\n", boundary);
	m->built = sbuf_take(&b);
}

static int
interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct email_smtp *e = arg;
	int i;

	for (i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_PASS)
			result[i] = e->password;
		else if (req[i].flags & AUTH_USER)
			result[i] = e->username;
		else
			return 0;
	}
	return 1;
}

static void
classify(struct delivery_result *r, const smtp_status_t *st, const char *what)
{
	char code[32];

	snprintf(code, sizeof(code), "SMTP %d", st->code);
	if (st->code >= 200 && st->code < 300)
		result_set(r, DELIVERY_OK, 0, code, "%s accepted", what);
	else if (st->code >= 500)
		result_set(r, DELIVERY_PERMFAIL, 0, code, "%s: %.150s", what,
			   st->text ? st->text : "");
	else
		result_set(r, DELIVERY_TEMPFAIL, 0, code, "%s: %.150s", what,
			   st->text ? st->text : "not attempted");
}

/* What one session learnt from libESMTP's events. */
struct session_ctx {
	struct email_smtp *e;
	char why[200]; /* why the session gave up, or "" */
};

/* libESMTP's events, on the worker thread; the arguments after arg depend
 * on the event (libesmtp.h). */
static void
session_event(smtp_session_t s, int event, void *arg, ...)
{
	struct session_ctx *sc = arg;
	va_list ap;

	(void)s;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_EXTNA_STARTTLS:
		snprintf(sc->why, sizeof(sc->why),
			 "the server does not offer STARTTLS (starttls = "
			 "required)");
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long res = va_arg(ap, long);

		snprintf(sc->why, sizeof(sc->why),
			 "STARTTLS: the server's certificate is not trusted: "
			 "%s",
			 X509_verify_cert_error_string(res));
		break;
	}
	case SMTP_EV_WRONG_PEER_CERTIFICATE: {
		int *ok = va_arg(ap, int *);
		const char *name = va_arg(ap, const char *);
		SSL *ssl = va_arg(ap, SSL *);
		X509 *cert = SSL_get1_peer_certificate(ssl);

		if (cert != NULL &&
		    X509_check_ip_asc(cert, sc->e->host, 0) == 1)
			*ok = 1;
		else
			snprintf(sc->why, sizeof(sc->why),
				 "STARTTLS: the server's certificate is for "
				 "%.60s, not %.60s",
				 name && *name ? name : "another name",
				 sc->e->host);
		X509_free(cert);
		break;
	}
	case SMTP_EV_NO_PEER_CERTIFICATE:
		snprintf(sc->why, sizeof(sc->why),
			 "STARTTLS: the server sent no certificate");
		break;
	case SMTP_EV_WEAK_CIPHER:
		snprintf(sc->why, sizeof(sc->why), "STARTTLS: weak cipher");
		break;
	case SMTP_EV_UNUSABLE_CLIENT_CERTIFICATE:
		snprintf(sc->why, sizeof(sc->why),
			 "STARTTLS: libESMTP found a client certificate for "
			 "this host it cannot use (owner, mode 0600?)");
		break;
	default:
		break;
	}
	va_end(ap);
}

/* One SMTP session for a batch of messages, on a worker thread. */
static void
send_batch(struct email_smtp *e, struct mail *batch)
{
	smtp_session_t s = smtp_create_session();
	struct session_ctx sc = {.e = e};
	auth_context_t auth = NULL;
	struct mail *m;
	char envid[32], errbuf[128];
	int ok;

	smtp_set_server(s, e->server);
	smtp_set_eventcb(s, session_event, &sc);
	smtp_starttls_enable(s, e->starttls);
	if (e->tls != NULL)
		smtp_starttls_set_ctx(s, e->tls);
	for (ok = Timeout_GREETING; ok <= Timeout_DATA2; ok++)
		smtp_set_timeout(s, ok | Timeout_OVERRIDE_RFC2822_MINIMUM,
				 e->ch.timeout_ms);
	if (e->username != NULL) {
		auth = auth_create_context();
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, interact, e);
		smtp_auth_set_context(s, auth);
	}
	for (m = batch; m != NULL; m = MNEXT(m)) {
		build_message(e, m);
		m->msg = smtp_add_message(s);
		smtp_set_reverse_path(m->msg, e->from_addr);
		smtp_set_message_str(m->msg, m->built);
		if (e->dsn) {
			snprintf(envid, sizeof(envid), "%llu", m->message_id);
			smtp_dsn_set_ret(m->msg, Ret_HDRS);
			smtp_dsn_set_envid(m->msg, envid);
		}
		m->rcpt = smtp_add_recipient(m->msg, m->to);
		if (e->dsn)
			smtp_dsn_set_notify(m->rcpt,
					    Notify_FAILURE | Notify_DELAY);
	}
	ok = smtp_start_session(s);
	for (m = batch; m != NULL; m = MNEXT(m)) {
		const smtp_status_t *rs, *ms;

		if (!ok) {
			result_set(&m->res, DELIVERY_TEMPFAIL, 1, "connect",
				   "%s: %s", e->server,
				   sc.why[0]
					   ? sc.why
					   : smtp_strerror(smtp_errno(), errbuf,
							   sizeof(errbuf)));
			continue;
		}
		rs = smtp_recipient_status(m->rcpt);
		ms = smtp_message_transfer_status(m->msg);
		if (rs == NULL || rs->code == 0) {
			const smtp_status_t *rp =
				smtp_reverse_path_status(m->msg);

			/* The sender refused is our trouble (a wrong
			 * password, a relay that does not know us), never
			 * the recipient's. */
			if (rp != NULL && rp->code >= 400)
				result_set(&m->res, DELIVERY_TEMPFAIL, 1,
					   "SMTP", "MAIL FROM: %d %.150s",
					   rp->code, rp->text ? rp->text : "");
			else
				result_set(&m->res, DELIVERY_TEMPFAIL, 1,
					   "SMTP 0", "not attempted%s%s",
					   sc.why[0] ? ": " : "", sc.why);
		} else if (rs->code >= 300) {
			classify(&m->res, rs, "RCPT");
		} else if (ms != NULL && ms->code != 0 && ms->code >= 300) {
			classify(&m->res, ms, "DATA");
		} else {
			classify(&m->res, rs, "message");
		}
	}
	smtp_destroy_session(s);
	if (auth != NULL)
		auth_destroy_context(auth);
}

static void *
worker(void *arg)
{
	struct email_smtp *e = arg;
	struct mail *batch, *m, *next;

	/* Stopping, what is still queued is sent first. */
	while ((batch = (struct mail *)workq_take_max(&e->todo,
						      (size_t)e->per_session,
						      NULL)) != NULL) {
		send_batch(e, batch);
		for (m = batch; m != NULL; m = next) {
			next = MNEXT(m);
			workq_put(&e->done, &m->wi);
		}
		ev_async_send(e->loop, &e->async);
	}
	return NULL;
}

static void
mail_free(struct mail *m)
{
	free(m->to);
	free(m->subject);
	free(m->text);
	free(m->html);
	free(m->built);
	free(m);
}

/* On the loop: hand the finished results to the dispatcher. */
static void
async_cb(struct ev_loop *loop, ev_async *w, int revents)
{
	struct email_smtp *e = w->data;
	struct mail *list, *next;

	(void)loop;
	(void)revents;
	list = (struct mail *)workq_take_now(&e->done);
	for (; list != NULL; list = next) {
		next = MNEXT(list);
		list->done(list->job, &list->res);
		mail_free(list);
	}
}

static int
yes_no(const char *v, int def)
{
	if (v == NULL)
		return def;
	return strcmp(v, "yes") == 0 ? 1 : strcmp(v, "no") == 0 ? 0 : -1;
}

/* from = "Display Name <addr@domain>" or "addr@domain": the envelope
 * address, the domain for Message-IDs and the From header with its display
 * name in RFC 2047. */
static int
parse_from(struct email_smtp *e, const char *from)
{
	const char *lt = strchr(from, '<'), *gt = lt ? strchr(lt, '>') : NULL;
	const char *at, *s, *end;
	struct sbuf fh;

	if (lt != NULL && gt != NULL)
		e->from_addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
	else
		e->from_addr = xstrdup(from);
	at = strchr(e->from_addr, '@');
	if (at == NULL || at == e->from_addr || at[1] == '\0' ||
	    strpbrk(e->from_addr, " <>\"") != NULL)
		return -1;
	e->domain = xstrdup(at + 1);
	sbuf_init(&fh);
	if (lt != NULL && gt != NULL) {
		/* The display name, trimmed and unquoted. */
		for (s = from; *s == ' ' || *s == '"'; s++)
			;
		for (end = lt; end > s && (end[-1] == ' ' || end[-1] == '"');
		     end--)
			;
		if (end > s) {
			char *name = xstrndup(s, (size_t)(end - s));

			encoded_words(&fh, name);
			sbuf_adds(&fh, " ");
			free(name);
		}
	}
	sbuf_addf(&fh, "<%s>", e->from_addr);
	e->from_header = sbuf_take(&fh);
	return 0;
}

/* Frees what open set up; the workers are already joined (or never ran). */
static void
email_free(struct email_smtp *e)
{
	free(e->threads);
	free(e->server);
	free(e->host);
	SSL_CTX_free(e->tls);
	free(e->username);
	if (e->password != NULL) {
		explicit_bzero(e->password, strlen(e->password));
		free(e->password);
	}
	free(e->from_addr);
	free(e->from_header);
	free(e->domain);
	free(e->reply_to);
	free(e->list_unsubscribe);
	workq_destroy(&e->todo);
	workq_destroy(&e->done);
	free(e);
}

static struct channel *
email_smtp_open(const struct provider_cfg *p, const struct channel_env *env,
		struct fg_err *err)
{
	const char *cpath = env->config_path ? env->config_path : "(config)";
	const char *host = provider_get(p, "host");
	const char *port = provider_get(p, "port");
	const char *tls = provider_get(p, "starttls");
	const char *ca = provider_get(p, "ca_file");
	const char *user = provider_get(p, "username");
	const char *pwfile = provider_get(p, "password_file");
	const char *from = provider_get(p, "from");
	const char *reply = provider_get(p, "reply_to");
	const char *unsub = provider_get(p, "list_unsubscribe");
	const char *workers = provider_get(p, "workers");
	const char *per = provider_get(p, "per_session");
	const char *dsn = provider_get(p, "dsn");
	long long nw = 4, ps = 20, pn = 25;
	struct email_smtp *e = xcalloc(1, sizeof(*e));

	workq_init(&e->todo);
	workq_init(&e->done);
	if (host == NULL || strpbrk(host, " \r\n:") != NULL) {
		err_set(err,
			"%s:%d: [provider:%s] host: the SMTP server's name "
			"or address is needed",
			cpath, provider_line(p, "host"), p->name);
		goto fail;
	}
	if ((port && parse_ll(port, 1, 65535, &pn) != 0) ||
	    (workers && parse_ll(workers, 1, 64, &nw) != 0) ||
	    (per && parse_ll(per, 1, 1000, &ps) != 0) || yes_no(dsn, 1) < 0 ||
	    (tls && strcmp(tls, "no") && strcmp(tls, "yes") &&
	     strcmp(tls, "required"))) {
		err_set(err,
			"%s:%d: [provider:%s]: port 1-65535, workers 1-64, "
			"per_session 1-1000, dsn yes|no, starttls "
			"no|yes|required",
			cpath, p->line, p->name);
		goto fail;
	}
	if (from == NULL || !header_safe(from) ||
	    (reply && !header_safe(reply)) || (unsub && !header_safe(unsub)) ||
	    parse_from(e, from) != 0) {
		err_set(err,
			"%s:%d: [provider:%s] from: an address is needed, "
			"as name <user@domain> or user@domain (and no "
			"header may hold a line break)",
			cpath, provider_line(p, "from"), p->name);
		goto fail;
	}
	if ((user == NULL) != (pwfile == NULL)) {
		err_set(err,
			"%s:%d: [provider:%s]: username and password_file "
			"go together",
			cpath, p->line, p->name);
		goto fail;
	}
	if (pwfile != NULL) {
		e->password = channel_read_secret(p, "password_file", pwfile,
						  cpath, err);
		if (e->password == NULL)
			goto fail;
		e->username = xstrdup(user);
	}
	if (tls != NULL && strcmp(tls, "no") != 0) {
		e->tls = SSL_CTX_new(TLS_client_method());
		if (e->tls == NULL)
			fatal("email: cannot make a TLS context");
		/* TLS 1.2 exactly. libESMTP reads whenever the socket is
		 * readable; TLS 1.3 sends records after the handshake
		 * (session tickets, key updates) that make it readable with
		 * no SMTP reply behind them, and the session then stalls
		 * until the timeout (seen against Python's ssl server). */
		SSL_CTX_set_min_proto_version(e->tls, TLS1_2_VERSION);
		SSL_CTX_set_max_proto_version(e->tls, TLS1_2_VERSION);
		SSL_CTX_set_options(e->tls, SSL_OP_NO_TICKET);
		SSL_CTX_set_default_verify_paths(e->tls);
	}
	if (ca != NULL &&
	    (e->tls == NULL ||
	     SSL_CTX_load_verify_locations(e->tls, ca, NULL) != 1)) {
		err_set(err,
			"%s:%d: [provider:%s] ca_file: cannot read CA "
			"certificates from %s%s",
			cpath, provider_line(p, "ca_file"), p->name, ca,
			e->tls ? "" : " (and starttls is off)");
		goto fail;
	}
	pthread_once(&auth_once, auth_init);
	e->loop = env->loop;
	e->host = xstrdup(host);
	e->server = xasprintf("%s:%lld", host, pn);
	e->starttls = tls == NULL || strcmp(tls, "no") == 0 ? Starttls_DISABLED
		      : strcmp(tls, "yes") == 0             ? Starttls_ENABLED
							    : Starttls_REQUIRED;
	e->reply_to = reply ? xstrdup(reply) : NULL;
	e->list_unsubscribe = unsub ? xstrdup(unsub) : NULL;
	e->per_session = (int)ps;
	e->dsn = yes_no(dsn, 1);
	/* Enough in flight to fill every worker's sessions. */
	e->ch.concurrency = (int)(nw * ps);
	ev_async_init(&e->async, async_cb);
	e->async.data = e;
	ev_async_start(e->loop, &e->async);
	e->threads = xcalloc((size_t)nw, sizeof(*e->threads));
	for (e->nthreads = 0; e->nthreads < (int)nw; e->nthreads++)
		if (pthread_create(&e->threads[e->nthreads], NULL, worker, e) !=
		    0)
			fatal("email: cannot start a worker thread");
	return &e->ch;
fail:
	email_free(e);
	return NULL;
}

static void
email_smtp_submit(struct channel *ch, const struct outbound *o,
		  channel_done_fn done, void *job)
{
	struct email_smtp *e = (struct email_smtp *)ch;
	struct delivery_result res;
	struct mail *m;

	if (o->subject == NULL || o->html == NULL || !header_safe(o->to) ||
	    strpbrk(o->to, "<>") != NULL) {
		result_set(&res, DELIVERY_PERMFAIL, 0, "local",
			   "not a message this channel can send");
		done(job, &res);
		return;
	}
	m = xcalloc(1, sizeof(*m));
	m->message_id = o->message_id;
	m->to = xstrdup(o->to);
	/* A subject is one line, whatever the template says. */
	m->subject = xstrdup(o->subject);
	m->subject[strcspn(m->subject, "\r\n")] = '\0';
	m->text = xstrdup(o->body);
	m->html = xstrdup(o->html);
	m->done = done;
	m->job = job;
	/* The loop stops the channel only after its last submit. */
	if (workq_put(&e->todo, &m->wi) != 0)
		fatalx("email: internal: a message submitted after close");
}

static void
email_smtp_close(struct channel *ch)
{
	struct email_smtp *e = (struct email_smtp *)ch;
	struct mail *m, *next;
	int i;

	workq_stop(&e->todo);
	for (i = 0; i < e->nthreads; i++)
		pthread_join(e->threads[i], NULL);
	ev_async_stop(e->loop, &e->async);
	for (m = (struct mail *)workq_take_now(&e->done); m != NULL; m = next) {
		next = MNEXT(m);
		mail_free(m);
	}
	email_free(e);
}

const struct channel_ops email_smtp_ops = {
	.name = "smtp",
	.kind = CHANNEL_EMAIL,
	.open = email_smtp_open,     /* MUST validate config; starts workers */
	.submit = email_smtp_submit, /* MUST NOT block: queued to a worker */
	.receipt = NULL,             /* bounces come by mail (DSN), not here */
	.close = email_smtp_close,
};
