/*
 * mime.c: see mime.h.
 */
#include "channels/mime.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/util.h"

int
mime_header_safe(const char *v)
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

/* A header being written, folded before a token that would take its
 * line past 76 columns (RFC 2047 asks that of lines with encoded words;
 * RFC 5322 recommends 78). */
struct hdr {
	struct sbuf *b;
	size_t col;
};

static void
hdr_start(struct hdr *h, struct sbuf *b, const char *name)
{
	h->b = b;
	sbuf_addf(b, "%s:", name);
	h->col = strlen(name) + 1;
}

static void
hdr_token(struct hdr *h, const char *t, size_t n, int space)
{
	if (space && h->col + 1 + n > 76) {
		sbuf_adds(h->b, "\r\n ");
		h->col = 1;
	} else if (space) {
		sbuf_adds(h->b, " ");
		h->col++;
	}
	sbuf_add(h->b, t, n);
	h->col += n;
}

static void
hdr_end(struct hdr *h)
{
	sbuf_adds(h->b, "\r\n");
}

/* Text that needs no encoding: printable ASCII without "=?". */
static int
plain_ascii(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	for (; *p != '\0'; p++)
		if (*p >= 0x7f || *p < 0x20)
			return 0;
	return strstr(s, "=?") == NULL;
}

/* s as RFC 2047 encoded words (UTF-8, B), each at most 36 bytes of text
 * (a 60-column word) and whole characters (RFC 2047 5.3). */
static void
hdr_encoded(struct hdr *h, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = 0, n = strlen(s);
	unsigned char out[64];
	char word[80];

	while (start < n) {
		size_t end = start;
		int k;

		while (end < n) {
			size_t len = p[end] < 0x80   ? 1
				     : p[end] < 0xe0 ? 2
				     : p[end] < 0xf0 ? 3
						     : 4;

			if (end + len - start > 36)
				break;
			end += len;
		}
		k = EVP_EncodeBlock(out, p + start, (int)(end - start));
		snprintf(word, sizeof(word), "=?UTF-8?B?%.*s?=", k, out);
		hdr_token(h, word, strlen(word), 1);
		start = end;
	}
}

/* Unstructured text (a Subject): words as they are when it is plain
 * ASCII, else encoded words. */
static void
hdr_text(struct hdr *h, const char *s)
{
	const char *w = s, *e;

	if (!plain_ascii(s)) {
		hdr_encoded(h, s);
		return;
	}
	for (; *w != '\0'; w = e) {
		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		e = strchr(w, ' ');
		if (e == NULL)
			e = w + strlen(w);
		hdr_token(h, w, (size_t)(e - w), 1);
	}
}

/* RFC 5322 atext, and the space between atoms. */
static int
atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~ ", c);
}

/* One mailbox: the display name as a phrase (atoms as they are; a name
 * with specials such as "," or "()" as one quoted string; a name that
 * is not ASCII as encoded words), then <addr>. */
static void
hdr_mailbox(struct hdr *h, const char *display, const char *addr)
{
	char tok[300];
	const unsigned char *p;
	size_t n = 0;
	int atoms = 1;

	if (display != NULL && display[0] != '\0') {
		for (p = (const unsigned char *)display; *p != '\0'; p++)
			atoms &= atext(*p);
		if (!plain_ascii(display)) {
			hdr_encoded(h, display);
		} else if (atoms) {
			hdr_text(h, display);
		} else {
			tok[n++] = '"';
			for (p = (const unsigned char *)display;
			     *p != '\0' && n + 3 < sizeof(tok); p++) {
				if (*p == '"' || *p == '\\')
					tok[n++] = '\\';
				tok[n++] = (char)*p;
			}
			tok[n++] = '"';
			hdr_token(h, tok, n, 1);
		}
	}
	snprintf(tok, sizeof(tok), "<%s>", addr);
	hdr_token(h, tok, strlen(tok), 1);
}

/* list_unsubscribe with {key} replaced by the message's key. */
static void
hdr_unsubscribe(struct hdr *h, const char *v, const char *key)
{
	const char *s = v, *e;
	struct sbuf one;

	sbuf_init(&one);
	while (*s != '\0') {
		const char *k;

		while (*s == ' ' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		e = strchr(s, '>');
		e = e ? e + 1 : s + strlen(s);
		one.len = 0;
		one.s[0] = '\0';
		while ((k = strstr(s, "{key}")) != NULL && k < e) {
			sbuf_add(&one, s, (size_t)(k - s));
			sbuf_adds(&one, key);
			s = k + 5;
		}
		sbuf_add(&one, s, (size_t)(e - s));
		if (strchr(e, '<') != NULL)
			sbuf_adds(&one, ",");
		hdr_token(h, one.s, one.len, 1);
		s = e;
	}
	sbuf_free(&one);
}

char *
mime_build(const struct mime_mail *m)
{
	char date[64], boundary[64];
	struct sbuf b;
	struct hdr h;
	time_t now = m->now;
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(boundary, sizeof(boundary), "=_feegate_%llu_%lx",
		 m->message_id, (unsigned long)now);
	sbuf_init(&b);
	sbuf_addf(&b, "Date: %s\r\n", date);
	hdr_start(&h, &b, "From");
	hdr_mailbox(&h, m->from_name, m->from_addr);
	hdr_end(&h);
	hdr_start(&h, &b, "To");
	hdr_mailbox(&h, NULL, m->to);
	hdr_end(&h);
	if (m->reply_addr != NULL) {
		hdr_start(&h, &b, "Reply-To");
		hdr_mailbox(&h, m->reply_name, m->reply_addr);
		hdr_end(&h);
	}
	hdr_start(&h, &b, "Subject");
	hdr_text(&h, m->subject);
	hdr_end(&h);
	sbuf_addf(&b, "Message-ID: <feegate.%llu@%s>\r\n", m->message_id,
		  m->domain);
	/* Out-of-office and other automatic replies must not answer it
	 * (RFC 3834). */
	sbuf_adds(&b, "Auto-Submitted: auto-generated\r\n");
	if (m->list_unsubscribe != NULL) {
		hdr_start(&h, &b, "List-Unsubscribe");
		hdr_unsubscribe(&h, m->list_unsubscribe, m->key);
		hdr_end(&h);
		/* One click (RFC 8058): only with an https URI to POST to. */
		if (m->one_click)
			sbuf_adds(&b, "List-Unsubscribe-Post: "
				      "List-Unsubscribe=One-Click\r\n");
	}
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
	return sbuf_take(&b);
}
