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
 *   from = 国网杭州供电公司 <noreply@example.cn>   ; one mailbox
 *   reply_to = 客服中心 <service@example.cn>       ; optional
 *   list_unsubscribe = <mailto:u@example.cn>, <https://example.cn/u?k={key}>
 *   helo = mail.example.cn   ; EHLO name (default: the FQDN, else from's domain)
 *   return_path = bounces@example.cn ; envelope sender (default: from's)
 *   workers = 4              ; SMTP sessions at once
 *   per_session = 20         ; messages sent over one connection
 *   dsn = yes                ; ask for NOTIFY=FAILURE,DELAY and ENVID
 *
 * smtp_start_session() runs a whole SMTP session synchronously, so sessions
 * run on a small pool of worker threads; results go back to the loop
 * through an ev_async watcher. Each message is multipart/alternative
 * (text/plain and text/html, UTF-8, base64); its headers are built as
 * mail, not pasted: display names quoted or in RFC 2047 words, lines
 * folded at 76 columns (struct hdr), Auto-Submitted, one-click
 * List-Unsubscribe with an https URI. The DSN's ENVID is the message's
 * key (id and 16 hex digits of its token's hash), which `feegate bounce`
 * checks. libESMTP reports the session as sent even when a recipient was
 * refused: each recipient's status is read and classified by its enhanced
 * code (refusal_whose, relay_runs): 2xx delivered to the server, 4xx
 * temporary, 5.1.x/5.2.1/5.2.2 the recipient's (permanent), 5.7/5.3/5.5
 * and refusals in a row the relay's (the provider pauses, nobody is
 * blocked). No connection is the provider's trouble.
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
#include <arpa/inet.h>
#include <auth-client.h>
#include <ev.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
/* After OpenSSL: libesmtp.h declares smtp_starttls_set_ctx() only then. */
#include <libesmtp.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "base/contacts.h"
#include "base/workq.h"
#include "channels/channel.h"
#include "channels/classify.h"
#include "channels/mime.h"

struct mail {
	struct workq_item wi; /* first */
	unsigned long long message_id;
	char *key; /* the idempotency key: the DSN's ENVID, {key} */
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
	char *username;
	char *password; /* secret; under key_mu (workers copy it) */
	pthread_mutex_t key_mu;
	char *from_addr, *from_name, *domain, *helo;
	char *reply_addr, *reply_name, *list_unsubscribe;
	char *return_path; /* the envelope sender: where bounces go */
	int per_session, dsn, one_click;
};

static pthread_once_t auth_once = PTHREAD_ONCE_INIT;

static void
auth_init(void)
{
	auth_client_init();
}

static void
build_message(const struct email_smtp *e, struct mail *m)
{
	const struct mime_mail mm = {
		.message_id = m->message_id,
		.key = m->key,
		.from_name = e->from_name,
		.from_addr = e->from_addr,
		.reply_name = e->reply_name,
		.reply_addr = e->reply_addr,
		.to = m->to,
		.subject = m->subject,
		.text = m->text,
		.html = m->html,
		.domain = e->domain,
		.list_unsubscribe = e->list_unsubscribe,
		.one_click = e->one_click,
		.now = time(NULL),
	};

	m->built = mime_build(&mm);
}

/* One session: what it learnt from libESMTP's events, and its copy of
 * the password. */
struct session_ctx {
	struct email_smtp *e;
	char *password; /* the session's copy (a reload may replace e's) */
	char why[200];  /* why the session gave up, or "" */
};

static int
interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct session_ctx *sc = arg;
	int i;

	for (i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_PASS)
			result[i] = sc->password;
		else if (req[i].flags & AUTH_USER)
			result[i] = sc->e->username;
		else
			return 0;
	}
	return 1;
}

/* Whose a refusal is, by its enhanced status code (RFC 3463): the
 * recipient's (5.1.x, bad mailbox or domain, but 5.1.7 and 5.1.8, the
 * sender's; 5.2.1 disabled, 5.2.2 full), the relay's (5.7.x security or
 * policy: relaying denied, authentication; 5.3.x its own system; 5.5.x
 * the protocol, a refused EHLO name; the sender's 5.1.7/5.1.8; 530 and
 * 535 authentication), or not said (no enhanced code, or another). */
enum whose {
	W_UNSAID,
	W_RECIPIENT,
	W_RELAY,
};

static enum whose
refusal_whose(const smtp_status_t *st, char *enh, size_t len)
{
	int c = st->enh_class, sub = st->enh_subject, det = st->enh_detail;

	if (c <= 0 && st->text != NULL &&
	    sscanf(st->text, "%d.%d.%d", &c, &sub, &det) != 3)
		c = 0;
	enh[0] = '\0';
	if (c > 0)
		snprintf(enh, len, " %d.%d.%d", c, sub, det);
	if (st->code == 530 || st->code == 535)
		return W_RELAY;
	if (c <= 0)
		return W_UNSAID;
	if (sub == 7 || sub == 3 || sub == 5 ||
	    (sub == 1 && (det == 7 || det == 8)))
		return W_RELAY;
	if (sub == 1 || (sub == 2 && (det == 1 || det == 2)))
		return W_RECIPIENT;
	return W_UNSAID;
}

/* The relay refusing in a row is its own trouble, not dead addresses:
 * refusals no code blames on the recipient that come first in a session
 * (before it has taken anyone), or RELAY_RUN of them in a row of
 * different recipients later (a relay that does not relay for us says so
 * to everyone). A code that blames the recipient (5.1.1) is believed. */
#define RELAY_RUN 3

static void
relay_trouble(struct delivery_result *r, const char *why)
{
	char text[400];

	snprintf(text, sizeof(text),
		 "the relay refused it (%s), not the "
		 "address: %.120s",
		 why, r->text);
	str_copy(r->text, text, sizeof(r->text));
	r->status = DELIVERY_TEMPFAIL;
	r->provider_wide = 1;
}

/* One recipient's result from libESMTP's statuses: 2xx taken, 4xx
 * temporary (the relay's when its code says so), 5xx permanent when it
 * is the recipient's, the relay's trouble when it says so; *whose tells
 * the session what was not said. */
static void
classify(struct delivery_result *r, const smtp_status_t *st, const char *what,
	 enum whose *whose)
{
	char code[32], enh[16];

	*whose = refusal_whose(st, enh, sizeof(enh));
	snprintf(code, sizeof(code), "SMTP %d%s", st->code, enh);
	if (st->code >= 200 && st->code < 300) {
		result_set(r, DELIVERY_OK, 0, code, "%s accepted", what);
		*whose = W_RECIPIENT; /* nothing to say about the relay */
		return;
	}
	if (st->code >= 500)
		result_set(r, DELIVERY_PERMFAIL, 0, code, "%s: %.150s", what,
			   st->text ? st->text : "");
	else
		result_set(r, DELIVERY_TEMPFAIL, 0, code, "%s: %.150s", what,
			   st->text ? st->text : "not attempted");
	if (*whose == W_RELAY)
		relay_trouble(r, st->code >= 500 ? "its policy or trouble"
						 : "for now");
}

/* After a session: see RELAY_RUN. */
void
email_smtp_classify(int code, const char *text, int enh_class, int enh_subject,
		    int enh_detail, struct delivery_result *res)
{
	smtp_status_t st = {code, (char *)text, enh_class, enh_subject,
			    enh_detail};
	enum whose whose;

	classify(res, &st, "message", &whose);
}

static void
relay_runs(struct mail *batch, const enum whose *whose)
{
	struct mail *m, *start = NULL;
	size_t i, run = 0, first = 0;
	int leading = 1;

	for (m = batch, i = 0; m != NULL; m = MNEXT(m), i++) {
		int unsaid = m->res.status == DELIVERY_PERMFAIL &&
			     whose[i] == W_UNSAID;

		if (m->res.status == DELIVERY_OK)
			leading = 0;
		if (unsaid && leading) {
			relay_trouble(&m->res, "the first recipients of a "
					       "session");
			continue;
		}
		if (unsaid && (run == 0 || strcasecmp(m->to, start->to) != 0)) {
			if (run++ == 0) {
				start = m;
				first = i;
			}
		} else if (!unsaid) {
			run = 0;
		}
		if (run == RELAY_RUN) {
			struct mail *k = start;
			size_t j;

			for (j = first; j <= i; j++, k = MNEXT(k))
				relay_trouble(&k->res, "several recipients in "
						       "a row");
		} else if (run > RELAY_RUN) {
			relay_trouble(&m->res, "several recipients in a row");
		}
	}
}

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
/* The session's server, name, TLS, timeouts and (with a username) its
 * authentication context, returned for the caller to free. */
static auth_context_t
session_setup(struct email_smtp *e, smtp_session_t s, struct session_ctx *sc)
{
	auth_context_t auth = NULL;
	int t;

	smtp_set_server(s, e->server);
	smtp_set_hostname(s, e->helo);
	smtp_set_eventcb(s, session_event, sc);
	smtp_starttls_enable(s, e->starttls);
	if (e->tls != NULL)
		smtp_starttls_set_ctx(s, e->tls);
	for (t = Timeout_GREETING; t <= Timeout_DATA2; t++)
		smtp_set_timeout(s, t | Timeout_OVERRIDE_RFC2822_MINIMUM,
				 e->ch.timeout_ms);
	if (e->username != NULL) {
		pthread_mutex_lock(&e->key_mu);
		sc->password = xstrdup(e->password);
		pthread_mutex_unlock(&e->key_mu);
		auth = auth_create_context();
		auth_set_mechanism_flags(auth, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(auth, interact, sc);
		smtp_auth_set_context(s, auth);
	}
	return auth;
}

/* One message of the session: built, with its envelope and DSN. */
static void
message_add(struct email_smtp *e, smtp_session_t s, struct mail *m)
{
	build_message(e, m);
	m->msg = smtp_add_message(s);
	smtp_set_reverse_path(m->msg, e->return_path);
	smtp_set_message_str(m->msg, m->built);
	if (e->dsn) {
		/* The key, not the bare id: a bounce that names it
		 * is one feegate's own message caused (feegate
		 * bounce checks it against the message's token). */
		smtp_dsn_set_ret(m->msg, Ret_HDRS);
		smtp_dsn_set_envid(m->msg, m->key);
	}
	m->rcpt = smtp_add_recipient(m->msg, m->to);
	if (e->dsn)
		smtp_dsn_set_notify(m->rcpt, Notify_FAILURE | Notify_DELAY);
}

static void
send_batch(struct email_smtp *e, struct mail *batch)
{
	smtp_session_t s = smtp_create_session();
	struct session_ctx sc = {.e = e};
	auth_context_t auth = NULL;
	struct mail *m;
	enum whose *whose;
	char errbuf[128];
	size_t n, i;
	int ok;

	auth = session_setup(e, s, &sc);
	for (m = batch; m != NULL; m = MNEXT(m))
		message_add(e, s, m);
	ok = smtp_start_session(s);
	for (m = batch, n = 0; m != NULL; m = MNEXT(m))
		n++;
	whose = xcalloc(n, sizeof(*whose));
	for (m = batch, i = 0; m != NULL; m = MNEXT(m), i++) {
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
			classify(&m->res, rs, "RCPT", &whose[i]);
		} else if (ms != NULL && ms->code != 0 && ms->code >= 300) {
			classify(&m->res, ms, "DATA", &whose[i]);
		} else {
			classify(&m->res, rs, "message", &whose[i]);
		}
	}
	if (ok)
		relay_runs(batch, whose);
	free(whose);
	smtp_destroy_session(s);
	if (auth != NULL)
		auth_destroy_context(auth);
	if (sc.password != NULL) {
		explicit_bzero(sc.password, strlen(sc.password));
		free(sc.password);
	}
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
	free(m->key);
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

/* An address feegate puts in a header or the envelope: one the gateway
 * would take as a customer's e-mail address (contacts.h, the same
 * pattern billing's contacts are checked with). */
static int
addr_valid(const char *a)
{
	return contact_reason(channel_kinds[CHANNEL_EMAIL].name, a,
			      strlen(a)) == NULL;
}

/* One mailbox as an operator writes it: "addr", "Name <addr>" or
 * "\"Name\" <addr>" (the name may hold commas and parentheses: it is
 * what stands before "<", unquoted). -1 when it is not one mailbox with
 * a valid address. */
static int
mailbox_parse(const char *in, char **display, char **addr)
{
	const char *lt = strrchr(in, '<'), *gt, *s, *end;

	*display = *addr = NULL;
	if (!mime_header_safe(in))
		return -1;
	if (lt == NULL) {
		for (s = in; *s == ' '; s++)
			;
		for (end = s + strlen(s); end > s && end[-1] == ' '; end--)
			;
		*addr = xstrndup(s, (size_t)(end - s));
	} else {
		gt = strchr(lt, '>');
		if (gt == NULL || strspn(gt + 1, " ") != strlen(gt + 1))
			return -1;
		*addr = xstrndup(lt + 1, (size_t)(gt - lt - 1));
		for (s = in; *s == ' '; s++)
			;
		for (end = lt; end > s && end[-1] == ' '; end--)
			;
		if (end - s >= 2 && *s == '"' && end[-1] == '"') {
			s++;
			end--;
		}
		if (memchr(s, '"', (size_t)(end - s)) != NULL ||
		    memchr(s, '<', (size_t)(end - s)) != NULL)
			return -1;
		*display = xstrndup(s, (size_t)(end - s));
	}
	return addr_valid(*addr) ? 0 : -1;
}

/* list_unsubscribe: one or more <mailto:...> or <https://...> (RFC 2369),
 * separated by commas; sets one_click when there is an https one (RFC
 * 8058). */
static int
unsubscribe_valid(struct email_smtp *e, const char *v)
{
	const char *s = v, *end;
	int n = 0;

	if (!mime_header_safe(v))
		return 0;
	for (;;) {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			return n > 0;
		if (*s != '<' || (end = strchr(s, '>')) == NULL ||
		    memchr(s, ' ', (size_t)(end - s)) != NULL)
			return 0;
		if (strncmp(s + 1, "https://", 8) == 0)
			e->one_click = 1;
		else if (strncmp(s + 1, "mailto:", 7) != 0)
			return 0;
		n++;
		s = end + 1;
	}
}

/* A name to say in EHLO: a fully qualified domain name, or an address
 * literal "[192.0.2.1]". */
static int
helo_valid(const char *h)
{
	char addr[300];
	struct in_addr in;
	size_t n = strlen(h);

	if (n >= 3 && h[0] == '[' && h[n - 1] == ']' && n < sizeof(addr)) {
		snprintf(addr, sizeof(addr), "%.*s", (int)(n - 2), h + 1);
		return inet_pton(AF_INET, addr, &in) == 1;
	}
	if (n >= 254)
		return 0;
	snprintf(addr, sizeof(addr), "x@%.253s", h);
	return addr_valid(addr);
}

/* The EHLO name: [provider] helo, else this machine's fully qualified
 * name, else the From address's domain; never a bare host name, which
 * many relays refuse (reject_non_fqdn_helo_hostname). */
static char *
helo_name(const char *helo, const char *from_domain)
{
	struct addrinfo hints, *ai = NULL;
	char host[256];
	char *name = NULL;

	if (helo != NULL)
		return xstrdup(helo);
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		memset(&hints, 0, sizeof(hints));
		hints.ai_flags = AI_CANONNAME;
		if (strchr(host, '.') != NULL)
			name = xstrdup(host);
		else if (getaddrinfo(host, NULL, &hints, &ai) == 0 &&
			 ai->ai_canonname != NULL &&
			 strchr(ai->ai_canonname, '.') != NULL)
			name = xstrdup(ai->ai_canonname);
		if (ai != NULL)
			freeaddrinfo(ai);
	}
	return name != NULL ? name : xstrdup(from_domain);
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
	free(e->from_name);
	free(e->domain);
	free(e->helo);
	free(e->reply_addr);
	free(e->reply_name);
	free(e->list_unsubscribe);
	free(e->return_path);
	workq_destroy(&e->todo);
	workq_destroy(&e->done);
	pthread_mutex_destroy(&e->key_mu);
	free(e);
}

/* From, Reply-To, List-Unsubscribe, HELO and the return path. */
static int
addresses_open(struct email_smtp *e, const struct provider_cfg *p,
	       const char *cpath, struct fg_err *err)
{
	const char *from = provider_get(p, "from");
	const char *reply = provider_get(p, "reply_to");
	const char *unsub = provider_get(p, "list_unsubscribe");
	const char *helo = provider_get(p, "helo");
	const char *retpath = provider_get(p, "return_path");

	if (mailbox_parse(from, &e->from_name, &e->from_addr) != 0) {
		err_set(err,
			"%s:%d: [provider:%s] from: one address is needed, as "
			"user@example.cn, Name <user@example.cn> or \"Name, "
			"with commas\" <user@example.cn> (got '%.80s')",
			cpath, provider_line(p, "from"), p->name, from);
		return -1;
	}
	e->domain = xstrdup(strrchr(e->from_addr, '@') + 1);
	if (reply != NULL &&
	    mailbox_parse(reply, &e->reply_name, &e->reply_addr) != 0) {
		err_set(err,
			"%s:%d: [provider:%s] reply_to: one address is needed, "
			"as in from (got '%.80s')",
			cpath, provider_line(p, "reply_to"), p->name, reply);
		return -1;
	}
	if (unsub != NULL && !unsubscribe_valid(e, unsub)) {
		err_set(err,
			"%s:%d: [provider:%s] list_unsubscribe: "
			"<mailto:...> and/or <https://...>, separated by "
			"commas ({key} in a URL is each message's key)",
			cpath, provider_line(p, "list_unsubscribe"), p->name);
		return -1;
	}
	if (helo != NULL && !helo_valid(helo)) {
		err_set(err,
			"%s:%d: [provider:%s] helo: a fully qualified host "
			"name (mail.example.cn) or an address literal "
			"([192.0.2.1]) (got '%.80s')",
			cpath, provider_line(p, "helo"), p->name, helo);
		return -1;
	}
	e->helo = helo_name(helo, e->domain);
	if (retpath != NULL && !addr_valid(retpath)) {
		err_set(err,
			"%s:%d: [provider:%s] return_path: an address, "
			"bounces@example.cn (got '%.80s')",
			cpath, provider_line(p, "return_path"), p->name,
			retpath);
		return -1;
	}
	e->return_path = xstrdup(retpath ? retpath : e->from_addr);
	return 0;
}

/* STARTTLS's context, with the CA certificates of ca_file. */
static int
tls_open(struct email_smtp *e, const struct provider_cfg *p, const char *cpath,
	 struct fg_err *err)
{
	const char *tls = provider_get(p, "starttls");
	const char *ca = provider_get(p, "ca_file");

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
		return -1;
	}
	return 0;
}

/* The answers' wake-up and nw workers, each with its sessions. */
static void
workers_start(struct email_smtp *e, int nw)
{
	ev_async_init(&e->async, async_cb);
	e->async.data = e;
	ev_async_start(e->loop, &e->async);
	e->threads = xcalloc((size_t)nw, sizeof(*e->threads));
	for (e->nthreads = 0; e->nthreads < nw; e->nthreads++)
		if (pthread_create(&e->threads[e->nthreads], NULL, worker, e) !=
		    0)
			fatal("email: cannot start a worker thread");
}

static struct channel *
email_smtp_open(const struct provider_cfg *p, const struct channel_env *env,
		struct fg_err *err)
{
	const char *cpath = env->config_path ? env->config_path : "(config)";
	const char *host = provider_get(p, "host");
	const char *tls = provider_get(p, "starttls");
	const char *user = provider_get(p, "username");
	const char *pwfile = provider_get(p, "password_file");
	const char *unsub = provider_get(p, "list_unsubscribe");
	long long nw = provider_int(p, "workers", 4);
	long long ps = provider_int(p, "per_session", 20);
	long long pn = provider_int(p, "port", 25);
	struct email_smtp *e = xcalloc(1, sizeof(*e));

	workq_init(&e->todo);
	workq_init(&e->done);
	pthread_mutex_init(&e->key_mu, NULL);
	if (strpbrk(host, " \r\n:") != NULL) {
		err_set(err,
			"%s:%d: [provider:%s] host: the SMTP server's name "
			"or address is needed",
			cpath, provider_line(p, "host"), p->name);
		goto fail;
	}
	if (tls && strcmp(tls, "no") && strcmp(tls, "yes") &&
	    strcmp(tls, "required")) {
		err_set(err,
			"%s:%d: [provider:%s] starttls: no, yes or required "
			"(got '%.80s')",
			cpath, provider_line(p, "starttls"), p->name, tls);
		goto fail;
	}
	if (addresses_open(e, p, cpath, err) != 0)
		goto fail;
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
	if (tls_open(e, p, cpath, err) != 0)
		goto fail;
	pthread_once(&auth_once, auth_init);
	e->loop = env->loop;
	e->host = xstrdup(host);
	e->server = xasprintf("%s:%lld", host, pn);
	e->starttls = tls == NULL || strcmp(tls, "no") == 0 ? Starttls_DISABLED
		      : strcmp(tls, "yes") == 0             ? Starttls_ENABLED
							    : Starttls_REQUIRED;
	e->list_unsubscribe = unsub ? xstrdup(unsub) : NULL;
	e->per_session = (int)ps;
	e->dsn = provider_yes(p, "dsn", 1);
	/* Enough in flight to fill every worker's sessions. */
	e->ch.concurrency = (int)(nw * ps);
	workers_start(e, (int)nw);
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

	if (o->subject == NULL || o->html == NULL || !mime_header_safe(o->to) ||
	    strpbrk(o->to, "<>") != NULL) {
		result_set(&res, DELIVERY_PERMFAIL, 0, "local",
			   "not a message this channel can send");
		done(job, &res);
		return;
	}
	m = xcalloc(1, sizeof(*m));
	m->message_id = o->message_id;
	m->key = xstrdup(o->idempotency_key);
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

static const struct provider_key email_smtp_keys[] = {
	{"host", PKEY_TEXT, 0, 0, "the SMTP server's name or address"},
	{"port", PKEY_INT, 1, 65535, NULL},
	{"starttls", PKEY_TEXT, 0, 0, NULL}, /* no, yes or required */
	{"ca_file", PKEY_FILE, 0, 0, NULL},
	{"username", PKEY_TEXT, 0, 0, NULL},
	{"password_file", PKEY_FILE, 0, 0, NULL},
	{"from", PKEY_TEXT, 0, 0,
	 "one address, as user@example.cn, Name <user@example.cn> or "
	 "\"Name, with commas\" <user@example.cn>,"},
	{"reply_to", PKEY_TEXT, 0, 0, NULL},
	{"list_unsubscribe", PKEY_TEXT, 0, 0, NULL},
	{"workers", PKEY_INT, 1, 64, NULL},
	{"per_session", PKEY_INT, 1, 1000, NULL},
	{"dsn", PKEY_BOOL, 0, 0, NULL},
	{"helo", PKEY_TEXT, 0, 0, NULL},
	{"return_path", PKEY_TEXT, 0, 0, NULL},
	{NULL, PKEY_TEXT, 0, 0, NULL},
};

/* SIGHUP: password_file read again; each session copies it when it
 * starts, so one under way keeps the password it began with. */
static int
email_smtp_rekey(struct channel *ch, const struct provider_cfg *p,
		 const char *config_path, struct fg_err *err)
{
	struct email_smtp *e = (struct email_smtp *)ch;
	const char *pwfile = provider_get(p, "password_file");
	char *pw, *old;

	if (pwfile == NULL || e->username == NULL)
		return 0; /* no AUTH: nothing to read (a new one: a restart) */
	pw = channel_read_secret(p, "password_file", pwfile,
				 config_path ? config_path : "(config)", err);
	if (pw == NULL)
		return -1;
	pthread_mutex_lock(&e->key_mu);
	old = e->password;
	e->password = pw;
	pthread_mutex_unlock(&e->key_mu);
	if (old != NULL) {
		explicit_bzero(old, strlen(old));
		free(old);
	}
	return 0;
}

const struct channel_ops email_smtp_ops = {
	.name = "smtp",
	.kind = CHANNEL_EMAIL,
	.flags = 0,
	.keys = email_smtp_keys,
	.open = email_smtp_open,     /* MUST validate config; starts workers */
	.submit = email_smtp_submit, /* MUST NOT block: queued to a worker */
	.receipt = NULL,             /* bounces come by mail (DSN), not here */
	.close = email_smtp_close,
	.rekey = email_smtp_rekey,
};
