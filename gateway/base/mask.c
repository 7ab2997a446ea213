/*
 * mask.c: see mask.h.
 */
#include "base/mask.h"

#include <stdlib.h>
#include <string.h>

#include "base/util.h"

/* Byte offset of code point number k (0-based) in s, or strlen(s). */
static size_t
cp_offset(const char *s, size_t k)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, seen = 0;

	while (p[i] != '\0') {
		if ((p[i] & 0xc0) != 0x80) {
			if (seen == k)
				return i;
			seen++;
		}
		i++;
	}
	return i;
}

char *
mask_address_as(enum address_form form, const char *address)
{
	size_t n = utf8_len(address, strlen(address)), i;
	const char *at;
	struct sbuf b;

	sbuf_init(&b);
	at = strchr(address, '@');
	if (form == ADDRESS_EMAIL && at != NULL && at != address) {
		sbuf_add(&b, address, cp_offset(address, 1));
		sbuf_adds(&b, "***");
		sbuf_adds(&b, at);
	} else if ((form == ADDRESS_MOBILE || form == ADDRESS_PHONE) &&
		   n >= 9) {
		sbuf_add(&b, address,
			 cp_offset(address, n - 8 < 6 ? n - 8 : 6));
		sbuf_adds(&b, "****");
		sbuf_adds(&b, address + cp_offset(address, n - 4));
	} else if (form == ADDRESS_TOKEN && n > 8) {
		sbuf_add(&b, address, cp_offset(address, 6));
		sbuf_adds(&b, "***");
	} else {
		for (i = 0; i < n && i < 8; i++)
			sbuf_add(&b, "*", 1);
	}
	return sbuf_take(&b);
}

/* The form of the channel's addresses; an unknown channel's are masked
 * whole (ADDRESS_UNKNOWN). */
static int
form_of(const char *channel)
{
	const struct channel_kind_info *k = channel_kind_of(channel);

	return k != NULL ? (int)k->address : ADDRESS_UNKNOWN;
}

char *
mask_address(const char *channel, const char *address)
{
	return mask_address_as((enum address_form)form_of(channel), address);
}

/* Replace each case-insensitive occurrence of needle in text. */
static void
replace_all(struct sbuf *out, const char *text, const char *needle,
	    const char *with)
{
	size_t n = strlen(needle);
	const char *p = text, *hit;

	while (n > 0 && (hit = strcasestr(p, needle)) != NULL) {
		sbuf_add(out, p, (size_t)(hit - p));
		sbuf_adds(out, with);
		p = hit + n;
	}
	sbuf_adds(out, p);
}

/*
 * How a phone number is written in someone else's words: digits, ASCII or
 * fullwidth (U+FF10-U+FF19), in groups between which stand at most two of
 * space, '-', '.', '/', '(' and ')' (or their fullwidth forms, or an
 * ideographic space), after an optional '+' (or U+FF0B).
 */

/* The byte length of a digit at p (1 or 3), its value in *d; 0 if none. */
static size_t
digit_at(const unsigned char *p, int *d)
{
	if (*p >= '0' && *p <= '9') {
		*d = *p - '0';
		return 1;
	}
	if (p[0] == 0xef && p[1] == 0xbc && p[2] >= 0x90 && p[2] <= 0x99) {
		*d = p[2] - 0x90;
		return 3;
	}
	return 0;
}

/* The byte length of a separator between digit groups at p; 0 if none. */
static size_t
separator_at(const unsigned char *p)
{
	if (*p == ' ' || *p == '-' || *p == '.' || *p == '/' || *p == '(' ||
	    *p == ')')
		return 1;
	/* fullwidth ( ) - . / and the ideographic space */
	if (p[0] == 0xef && p[1] == 0xbc &&
	    (p[2] == 0x88 || p[2] == 0x89 || p[2] == 0x8d || p[2] == 0x8e ||
	     p[2] == 0x8f))
		return 3;
	if (p[0] == 0xe3 && p[1] == 0x80 && p[2] == 0x80)
		return 3;
	return 0;
}

static size_t
plus_at(const unsigned char *p)
{
	if (*p == '+')
		return 1;
	return p[0] == 0xef && p[1] == 0xbc && p[2] == 0x8b ? 3 : 0;
}

/* Digits: longer runs are not phone numbers, nor ids holding one (a date,
 * a time and the number: 27). */
#define RUN_MAX 32

struct run {
	size_t len;          /* bytes, from the start of the run */
	int plus;            /* it began with a plus sign */
	int grouped;         /* separators between its digits */
	size_t ndigits;      /* all of them, even past RUN_MAX */
	char d[RUN_MAX + 1]; /* the first RUN_MAX, as ASCII */
};

/* The number written at p, if one starts there: 1 and r filled. */
static int
run_at(const unsigned char *p, struct run *r)
{
	size_t i = plus_at(p), k;
	int d;

	memset(r, 0, sizeof(*r));
	r->plus = i > 0;
	if (digit_at(p + i, &d) == 0)
		return 0;
	for (;;) {
		size_t s = i, seps = 0;

		if ((k = digit_at(p + i, &d)) > 0) {
			if (r->ndigits < RUN_MAX)
				r->d[r->ndigits] = (char)('0' + d);
			r->ndigits++;
			i += k;
			r->len = i;
			continue;
		}
		while (seps < 2 && (k = separator_at(p + s)) > 0) {
			s += k;
			seps++;
		}
		if (seps == 0 || digit_at(p + s, &d) == 0)
			return 1;
		r->grouped = 1;
		i = s;
	}
}

/* Whether the run is the number whose digits (no '+') are e164: all of
 * them, or its last 7 or more (the national number, with or without a
 * trunk or international prefix of zeros), or a run of digits alone
 * with all of it but its country code inside, glued to other digits (a
 * provider's id made of a date and the number; grouped runs are looked
 * at group by group, mask_numbers). Without e164, any run of 7 digits or
 * more. */
static int
run_is(const struct run *r, const char *e164)
{
	const char *d = r->d;
	size_t n, en, k;

	if (r->ndigits > RUN_MAX)
		return 0;
	n = r->ndigits;
	while (n > 0 && *d == '0') {
		d++;
		n--;
	}
	if (n < 7)
		return 0;
	if (e164 == NULL)
		return 1;
	en = strlen(e164);
	if (n <= en && memcmp(e164 + en - n, d, n) == 0)
		return 1;
	k = en > 10 ? en - 3 : 7; /* without a country code of up to 3 */
	return !r->grouped && n > k && en >= k &&
	       strstr(r->d, e164 + en - k) != NULL;
}

/* The run as mask_address() shows a number of its digits, with the '+'
 * only where the run had one. */
static void
run_masked(const struct run *r, struct sbuf *out)
{
	char num[RUN_MAX + 2], *m;

	num[0] = '+';
	memcpy(num + 1, r->d, r->ndigits);
	num[r->ndigits + 1] = '\0';
	m = mask_address_as(ADDRESS_PHONE, num);
	sbuf_adds(out, r->plus || m[0] != '+' ? m : m + 1);
	free(m);
}

/* Mask the numbers in text: those of e164's digits, or with e164 NULL,
 * every number of 7 digits or more. */
static void
mask_numbers(struct sbuf *out, const char *text, const char *e164)
{
	const unsigned char *p = (const unsigned char *)text;
	struct run r;

	while (*p != '\0') {
		if (run_at(p, &r)) {
			size_t k = plus_at(p), n;
			int d;

			if (run_is(&r, e164)) {
				run_masked(&r, out);
				p += r.len;
				continue;
			}
			/* Not as a whole: its first group of digits stays,
			 * and the rest is looked at again, so that a number
			 * joined to other digits by a separator (a
			 * provider's id "MSG-20261002-8613...") is found. */
			while ((n = digit_at(p + k, &d)) > 0)
				k += n;
			sbuf_add(out, (const char *)p, k);
			p += k;
		} else {
			sbuf_add(out, (const char *)p, 1);
			p++;
		}
	}
}

/* A character of an address's local part (RFC 5322 atext, and '.'). */
static int
local_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || strchr(".!#$%&'*+/=?^_`{|}~-", c);
}

static int
domain_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* The local part alone, standing as a word (any case): its first
 * character and ***. Parts shorter than 3 characters name nobody and
 * would mask ordinary words. */
static void
mask_local(struct sbuf *out, const char *text, const char *address)
{
	const char *at = strchr(address, '@'), *p = text, *hit;
	size_t n = at != NULL ? (size_t)(at - address) : 0;
	char local[256];

	if (n < 3 || n >= sizeof(local)) {
		sbuf_adds(out, text);
		return;
	}
	memcpy(local, address, n);
	local[n] = '\0';
	while ((hit = strcasestr(p, local)) != NULL) {
		int alone =
			(hit == text || !local_char((unsigned char)hit[-1])) &&
			!local_char((unsigned char)hit[n]);

		sbuf_add(out, p, (size_t)(hit - p));
		if (alone) {
			sbuf_add(out, hit, 1);
			sbuf_adds(out, "***");
		} else {
			sbuf_add(out, hit, n);
		}
		p = hit + n;
	}
	sbuf_adds(out, p);
}

/* Every e-mail address in text, masked (for text about no one address). */
static void
mask_emails(struct sbuf *out, const char *text)
{
	const char *p = text, *at;

	while ((at = strchr(p, '@')) != NULL) {
		const char *l = at, *r = at + 1;

		while (l > p && local_char((unsigned char)l[-1]))
			l--;
		while (domain_char((unsigned char)*r))
			r++;
		if (l == at || r == at + 1) {
			sbuf_add(out, p, (size_t)(at + 1 - p));
			p = at + 1;
			continue;
		}
		sbuf_add(out, p, (size_t)(l - p));
		sbuf_add(out, l, 1);
		sbuf_adds(out, "***");
		sbuf_add(out, at, (size_t)(r - at));
		p = r;
	}
	sbuf_adds(out, p);
}

/* One pass of masking, from *text to a new string that replaces it. */
typedef void (*mask_pass)(struct sbuf *out, const char *text, const void *arg);

static void
pass_replace(struct sbuf *out, const char *text, const void *arg)
{
	const char *const *ab = arg;

	replace_all(out, text, ab[0], ab[1]);
}

static void
pass_numbers(struct sbuf *out, const char *text, const void *arg)
{
	mask_numbers(out, text, arg);
}

static void
pass_local(struct sbuf *out, const char *text, const void *arg)
{
	mask_local(out, text, arg);
}

static void
pass_emails(struct sbuf *out, const char *text, const void *arg)
{
	(void)arg;
	mask_emails(out, text);
}

static void
run_pass(char **text, mask_pass f, const void *arg)
{
	struct sbuf b;

	sbuf_init(&b);
	f(&b, *text, arg);
	free(*text);
	*text = sbuf_take(&b);
}

/* Whether address is a phone number feegate sends to: '+' and digits. */
static int
is_e164(const char *address)
{
	size_t n = strlen(address);

	return n >= 8 && address[0] == '+' &&
	       strspn(address + 1, "0123456789") == n - 1;
}

void
mask_in_text(const char *channel, const char *address, char *text, size_t size)
{
	char *t, *e;
	size_t i;

	if (size == 0)
		return;
	t = xstrdup(text);
	if (address == NULL) {
		run_pass(&t, pass_numbers, NULL);
		run_pass(&t, pass_emails, NULL);
	} else {
		char *masked = mask_address(channel, address);
		const char *ab[2] = {address, masked};
		int form = form_of(channel);
		int phone = form == ADDRESS_MOBILE || form == ADDRESS_PHONE;

		if (address[0] != '\0')
			run_pass(&t, pass_replace, ab);
		if (phone && is_e164(address))
			run_pass(&t, pass_numbers, address + 1);
		if (form == ADDRESS_EMAIL)
			run_pass(&t, pass_local, address);
		free(masked);
	}
	str_copy(text, t, size);
	free(t);
	for (i = 0; text[i] != '\0'; i++)
		if (text[i] == '\r' || text[i] == '\n' || text[i] == '\t')
			text[i] = ' ';
	e = text + strlen(text);
	while (e > text && e[-1] == ' ')
		*--e = '\0';
}
