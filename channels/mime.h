/*
 * mime.h: an e-mail notice as the SMTP adapter hands it to the relay:
 * RFC 5322 headers (non-ASCII text as RFC 2047 encoded words, lines
 * folded before 76 columns, display names quoted where they need it),
 * then multipart/alternative with the plain text and the HTML, each
 * UTF-8 in base64 lines of 76 characters, CRLF line ends throughout.
 * Pure: no I/O, the clock given.
 */
#ifndef FEEGATE_MIME_H
#define FEEGATE_MIME_H

#include <time.h>

struct mime_mail {
	unsigned long long message_id; /* Message-ID and the boundary */
	const char *key;               /* for {key} in list_unsubscribe */
	const char *from_name, *from_addr;
	const char *reply_name, *reply_addr; /* reply_addr MAY be NULL */
	const char *to, *subject, *text, *html;
	const char *domain;           /* Message-ID's right-hand side */
	const char *list_unsubscribe; /* MAY be NULL */
	int one_click;                /* List-Unsubscribe-Post (RFC 8058) */
	time_t now;                   /* Date: */
};

/* The whole message, a new string the caller frees. Header values MUST
 * pass mime_header_safe (the adapter checks them when it takes them). */
char *mime_build(const struct mime_mail *m);

/* A header value must never carry a line break: no header injection. */
int mime_header_safe(const char *v);

#endif
