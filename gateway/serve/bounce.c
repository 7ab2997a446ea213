/*
 * bounce.c: see bounce.h. The message is read as MIME far enough to find
 * the delivery-status part (RFC 3464 section 2, RFC 6533 for its UTF-8
 * form): headers unfolded, the multipart/report split at its boundary,
 * nested multiparts looked into; the part's fields read in groups (the
 * message's, then one per recipient).
 */
#include "serve/bounce.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/kinds.h"
#include "base/log.h"
#include "base/mask.h"
#include "queue/outbox.h"

/* The value of header name in head (len bytes of unfolded-or-folded
 * header lines), unfolded and trimmed, into out; 0 when present. */
static int
header_get(const char *head, size_t len, const char *name, char *out,
	   size_t outlen)
{
	size_t nlen = strlen(name), i = 0, o = 0;

	out[0] = '\0';
	while (i < len) {
		const char *line = head + i;
		const char *nl = memchr(line, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - line) : len - i;

		if (llen > nlen && line[nlen] == ':' &&
		    strncasecmp(line, name, nlen) == 0) {
			size_t j = nlen + 1;

			for (;;) {
				for (; j < llen; j++)
					if (o + 1 < outlen)
						out[o++] = line[j];
				i += llen + 1;
				if (i >= len ||
				    (head[i] != ' ' && head[i] != '\t'))
					break;
				line = head + i;
				nl = memchr(line, '\n', len - i);
				llen = nl ? (size_t)(nl - line) : len - i;
				/* Unfolded: the line break and the
				 * indentation become one space. */
				for (j = 0; j < llen &&
					    (line[j] == ' ' || line[j] == '\t');
				     j++)
					;
				if (o + 1 < outlen)
					out[o++] = ' ';
			}
			out[o] = '\0';
			while (o > 0 && isspace((unsigned char)out[o - 1]))
				out[--o] = '\0';
			for (j = 0; isspace((unsigned char)out[j]); j++)
				;
			memmove(out, out + j, strlen(out + j) + 1);
			return 0;
		}
		i += llen + 1;
	}
	return -1;
}

/* The boundary parameter of a Content-Type value, quoted or not. */
static int
boundary_of(const char *ctype, char *out, size_t len)
{
	const char *p = ctype;
	size_t n = 0;

	while ((p = strchr(p, ';')) != NULL) {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncasecmp(p, "boundary=", 9) != 0)
			continue;
		p += 9;
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"' && n + 1 < len; p++)
				out[n++] = *p;
		} else {
			for (; *p != '\0' && *p != ';' && *p != ' ' &&
			       n + 1 < len;
			     p++)
				out[n++] = *p;
		}
		out[n] = '\0';
		return n > 0 ? 0 : -1;
	}
	return -1;
}

/* The headers and body of an entity: the body starts after the first
 * empty line. */
static void
entity_split(const char *e, size_t len, size_t *hlen, const char **body,
	     size_t *blen)
{
	const char *sep = NULL;
	size_t i;

	if (len > 0 && e[0] == '\n') {
		*hlen = 0;
		*body = e + 1;
		*blen = len - 1;
		return;
	}
	for (i = 0; i + 1 < len; i++)
		if (e[i] == '\n' && e[i + 1] == '\n') {
			sep = e + i;
			break;
		}
	if (sep == NULL) {
		*hlen = len;
		*body = e + len;
		*blen = 0;
		return;
	}
	*hlen = (size_t)(sep - e) + 1;
	*body = sep + 2;
	*blen = len - (size_t)(*body - e);
}

/* xtext (RFC 3461): "+HH" stands for a byte. */
static void
xtext_decode(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in != '\0' && o + 1 < len; in++) {
		if (in[0] == '+' && hex_digit(in[1]) >= 0 &&
		    hex_digit(in[2]) >= 0) {
			out[o++] = (char)(hex_digit(in[1]) * 16 +
					  hex_digit(in[2]));
			in += 2;
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

/* "rfc822; <User@Example.com>" -> "User@Example.com". */
static void
address_of(const char *v, char *out, size_t len)
{
	const char *p = strchr(v, ';');
	size_t n;

	p = p ? p + 1 : v;
	while (*p == ' ' || *p == '\t' || *p == '<')
		p++;
	str_copy(out, p, len);
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '>' || out[n - 1] == ' '))
		out[--n] = '\0';
}

/* The fields of a delivery-status body: groups separated by empty
 * lines, the first the message's, each later one a recipient's. */
static int
fields_parse(const char *b, size_t len, struct dsn *d, struct fg_err *err)
{
	size_t i = 0;
	int group = 0;
	char v[400];

	while (i < len) {
		size_t start = i, glen;
		struct dsn_recipient *r;

		while (i < len &&
		       !(b[i] == '\n' && (i + 1 >= len || b[i + 1] == '\n')))
			i++;
		glen = i - start;
		while (i < len && b[i] == '\n')
			i++;
		if (glen == 0)
			continue;
		if (group++ == 0) {
			if (header_get(b + start, glen, "Original-Envelope-Id",
				       v, sizeof(v)) == 0)
				xtext_decode(v, d->envid, sizeof(d->envid));
			continue;
		}
		if (d->n == DSN_MAX_RECIPIENTS)
			break;
		r = &d->r[d->n];
		memset(r, 0, sizeof(*r));
		if (header_get(b + start, glen, "Final-Recipient", v,
			       sizeof(v)) == 0)
			address_of(v, r->final, sizeof(r->final));
		if (header_get(b + start, glen, "Original-Recipient", v,
			       sizeof(v)) == 0)
			address_of(v, r->original, sizeof(r->original));
		header_get(b + start, glen, "Action", r->action,
			   sizeof(r->action));
		header_get(b + start, glen, "Status", r->status,
			   sizeof(r->status));
		if (header_get(b + start, glen, "Diagnostic-Code", v,
			       sizeof(v)) == 0)
			str_copy(r->diag, v, sizeof(r->diag));
		if (r->final[0] != '\0' && r->action[0] != '\0')
			d->n++;
	}
	if (d->n == 0) {
		err_set(err, "the delivery-status part names no recipient "
			     "with an Action");
		return -1;
	}
	return 0;
}

/* Find the delivery-status part in entity e, looking into multiparts
 * down to depth 3. */
static int
find_status(const char *e, size_t len, int depth, struct dsn *d,
	    struct fg_err *err)
{
	char ctype[400], boundary[200], delim[210];
	const char *body, *p, *end;
	size_t hlen, blen, dlen;

	entity_split(e, len, &hlen, &body, &blen);
	if (header_get(e, hlen, "Content-Type", ctype, sizeof(ctype)) != 0)
		return -1;
	if (strncasecmp(ctype, "message/delivery-status", 23) == 0 ||
	    strncasecmp(ctype, "message/global-delivery-status", 30) == 0)
		return fields_parse(body, blen, d, err);
	if (strncasecmp(ctype, "multipart/", 10) != 0 || depth == 3 ||
	    boundary_of(ctype, boundary, sizeof(boundary)) != 0)
		return -1;
	dlen = (size_t)snprintf(delim, sizeof(delim), "--%s", boundary);
	end = body + blen;
	/* Each part runs from the line after a delimiter line to the line
	 * before the next. */
	for (p = body; p < end;) {
		const char *line = p, *next, *nl;

		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
		if ((size_t)(end - line) < dlen ||
		    memcmp(line, delim, dlen) != 0)
			continue;
		if ((size_t)(end - line) >= dlen + 2 && line[dlen] == '-' &&
		    line[dlen + 1] == '-')
			break; /* the closing delimiter */
		for (next = p; next < end;) {
			const char *nnl =
				memchr(next, '\n', (size_t)(end - next));

			if ((size_t)(end - next) >= dlen &&
			    memcmp(next, delim, dlen) == 0)
				break;
			next = nnl ? nnl + 1 : end;
		}
		if (find_status(p, (size_t)(next - p), depth + 1, d, err) == 0)
			return 0;
		p = next;
	}
	return -1;
}

int
dsn_parse(const char *msg, size_t len, struct dsn *d, struct fg_err *err)
{
	char *lf = xmalloc(len + 1);
	size_t i, n = 0;
	int rc;

	memset(d, 0, sizeof(*d));
	for (i = 0; i < len; i++)
		if (msg[i] != '\r')
			lf[n++] = msg[i];
	lf[n] = '\0';
	err->msg[0] = '\0';
	rc = find_status(lf, n, 0, d, err);
	free(lf);
	if (rc != 0 && err->msg[0] == '\0')
		err_set(err, "not a delivery status notification (no "
			     "message/delivery-status part in a "
			     "multipart/report)");
	if (rc == 0 && d->envid[0] == '\0') {
		err_set(err, "no Original-Envelope-Id: not a bounce of a "
			     "message feegate sent");
		rc = -1;
	}
	return rc;
}

struct bounced {
	int found;
	char token[64], channel[17], provider[64];
	char *address;
};

static int
bounced_cb(void *arg, const struct db_row *row, struct fg_err *err)
{
	struct bounced *b = arg;

	(void)err;
	b->found = 1;
	str_copy(b->token, row->val[0] ? row->val[0] : "", sizeof(b->token));
	str_copy(b->channel, row->val[1], sizeof(b->channel));
	b->address = xstrdup(row->val[2]);
	str_copy(b->provider, row->val[3] ? row->val[3] : "",
		 sizeof(b->provider));
	return 0;
}

/* The message id a key names ("12345-9f86d081884c7d65"), or 0; the rest
 * is checked by comparing the whole key with the message's. */
static unsigned long long
key_id(const char *key)
{
	char *end;
	unsigned long long id;

	if (!isdigit((unsigned char)key[0]))
		return 0;
	id = strtoull(key, &end, 10);
	return *end == '-' ? id : 0;
}

/* The report's recipient that is the message's address (as given or
 * as finally delivered to), or NULL. */
static const struct dsn_recipient *
dsn_recipient_of(const struct dsn *d, const char *address)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcasecmp(d->r[i].final, address) == 0 ||
		    strcasecmp(d->r[i].original, address) == 0)
			return &d->r[i];
	return NULL;
}

/* A failed DSN as the receipt it amounts to: 5.1.x (no such mailbox or
 * domain) the address's end; anything else (a full mailbox, a message
 * too big, 4.x.x given up) may pass. */
static void
bounce_receipt(const struct bounced *b, const struct dsn_recipient *r,
	       unsigned long long id, const char *diag, struct receipt_item *it)
{
	memset(it, 0, sizeof(*it));
	it->provider = b->provider;
	it->r.message_id = id;
	str_copy(it->r.token, b->token, sizeof(it->r.token));
	it->r.final = 1;
	it->r.status = strncmp(r->status, "5.1.", 4) == 0 ? DELIVERY_PERMFAIL
							  : DELIVERY_TEMPFAIL;
	it->r.retry = it->r.status == DELIVERY_TEMPFAIL;
	snprintf(it->r.code, sizeof(it->r.code), "DSN %.12s", r->status);
	snprintf(it->r.text, sizeof(it->r.text), "bounced: %.180s", diag);
}

int
bounce_apply(struct db *db, const struct config *cfg, const struct dsn *d,
	     const char *now, const char *business_date,
	     enum bounce_result *res, char *what, size_t len,
	     struct fg_err *err)
{
	unsigned long long id = key_id(d->envid);
	const struct dsn_recipient *r = NULL;
	const struct channel_kind_info *ck;
	struct bounced b = {0};
	struct receipt_item it;
	char key[OUTBOX_KEY_LEN], diag[200];
	int rc = 0;

	*res = BOUNCE_IGNORED;
	if (id == 0) {
		snprintf(what, len,
			 "ignored: Original-Envelope-Id is not a "
			 "message key of feegate's");
		return 0;
	}
	if (db_query(db, DB_BUFFERED,
		     "SELECT receipt_token, channel, address, provider"
		     " FROM messages WHERE message_id = ?",
		     DB_ARGS(DB_ID(id)), bounced_cb, &b, err) != 0)
		return -1;
	ck = channel_kind_of(b.channel);
	if (!b.found || ck == NULL || ck->address != ADDRESS_EMAIL ||
	    b.token[0] == '\0') {
		snprintf(what, len,
			 "ignored: msg=%llu is no e-mail feegate "
			 "sent",
			 id);
		goto out;
	}
	outbox_key(id, b.token, key);
	if (strlen(key) != strlen(d->envid) ||
	    CRYPTO_memcmp(key, d->envid, strlen(key)) != 0) {
		snprintf(what, len,
			 "ignored: msg=%llu: the key does not "
			 "match (forged, or another gateway's)",
			 id);
		goto out;
	}
	r = dsn_recipient_of(d, b.address);
	if (r == NULL) {
		snprintf(what, len,
			 "ignored: msg=%llu: the report is about "
			 "another address",
			 id);
		goto out;
	}
	str_copy(diag, r->diag[0] ? r->diag : r->status, sizeof(diag));
	mask_in_text(b.channel, b.address, diag, sizeof(diag));
	if (strcasecmp(r->action, "failed") != 0) {
		*res = BOUNCE_LOGGED;
		snprintf(what, len, "msg=%llu %s %s: %s", id, r->action,
			 r->status, diag);
		goto out;
	}
	bounce_receipt(&b, r, id, diag, &it);
	if (outbox_receipts(db, cfg, &it, 1, now, business_date, err) != 0) {
		rc = -1;
		goto out;
	}
	if (it.verdict == 1)
		*res = BOUNCE_DUPLICATE;
	else if (it.verdict == 0)
		*res = it.r.status == DELIVERY_PERMFAIL ? BOUNCE_FAILED
							: BOUNCE_TEMPORARY;
	snprintf(what, len, "msg=%llu %s %s: %s", id,
		 *res == BOUNCE_DUPLICATE   ? "already final, nothing changed:"
		 : *res == BOUNCE_FAILED    ? "failed for good (address "
					      "blocked):"
		 : *res == BOUNCE_TEMPORARY ? "failed for now (tried again "
					      "later):"
					    : "not applied:",
		 r->status, diag);
out:
	free(b.address);
	return rc;
}
