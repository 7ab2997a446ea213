/*
 * kinds.h: the kinds of channel feegate sends through, one row each:
 * everything the rest of the code asks about a channel by name (its
 * configuration keys, its addresses, its templates, when it may send,
 * what it costs, whether its providers report delivery). A new kind is a
 * row here, its adapters (channels/) and its templates; the code asks
 * this table, never compares a channel's name itself.
 *
 * Names are what [channels] and [costs] use as keys, billing_contacts
 * and messages as `channel` values, and template files after the notice
 * kind ("dunning_1.sms"). SQL names them through the {K set} token (db.c
 * expands it from this table): {K all}, {K phone} (addresses in E.164),
 * {K mobile} (a +86 number must be a mainland mobile), {K email}, {K
 * token}, {K unreported} (no delivery reports), and {K by_cost}: every
 * kind, the cheapest first (for FIELD() in an ORDER BY).
 */
#ifndef FEEGATE_KINDS_H
#define FEEGATE_KINDS_H

#include <stddef.h>

enum channel_kind {
	CHANNEL_SMS,
	CHANNEL_EMAIL,
	CHANNEL_VOICE,
	CHANNEL_PUSH,
	CHANNEL_KINDS
};

/* What an address is: how contacts.c validates it and mask.c masks it. */
enum address_form {
	ADDRESS_MOBILE, /* E.164; a +86 number must be a mainland mobile */
	ADDRESS_PHONE,  /* E.164 */
	ADDRESS_EMAIL,  /* local@domain */
	ADDRESS_TOKEN,  /* an app's device token */
};

/* What a template part holds, so how values are escaped into it and how
 * the rendered part is checked. */
enum part_format {
	PART_TEXT, /* plain text */
	PART_HTML, /* an HTML document: values HTML-escaped */
	PART_XML,  /* text spoken from XML (TwiML): values XML-escaped */
	PART_JSON, /* a JSON object: values JSON-escaped */
};

struct kind_part {
	const char *suffix; /* after the notice kind: "email.subject" */
	enum part_format format;
	int keep_final_newline; /* else the file's last newline is dropped */
	/* Before the part's text where `feegate template render` shows a
	 * kind's parts together ("Subject: "). */
	const char *shown_as;
};

struct channel_kind_info {
	const char *name;
	enum address_form address;
	/* Sent only inside [dispatch] window_start .. window_end (it rings
	 * or buzzes a phone), unless urgent. */
	int calling_window;
	/* Its providers report delivery (receipts). Without, a message a
	 * provider took counts as reached; a bounce may still fail it. */
	int receipts;
	/* A receipt may ask for the same address again later (busy, no
	 * answer), up to [voice] max_attempts. */
	int retries_address;
	/* Its text is said aloud: digits one by one, amounts in words,
	 * months in full. */
	int spoken;
	/* Its text is paid by the part: lists shortened, long names and
	 * areas cut. */
	int brief;
	/* What a cost in [costs] is a unit of, in the plural ("parts": an
	 * SMS part each). */
	const char *units;
	/* Where reports list it, the cheapest first (0: first); every kind
	 * has its own. */
	int cost_rank;
	const struct kind_part *parts;
	size_t nparts;
};

extern const struct channel_kind_info channel_kinds[CHANNEL_KINDS];

/* The kind named name, or -1. */
int channel_kind_find(const char *name);
/* The kind's row for name, or NULL (an unknown channel in data). */
const struct channel_kind_info *channel_kind_of(const char *name);

/* The kind a template part (suffix: "email.txt") belongs to, its part
 * in *part (MAY be NULL); NULL when no kind has it. */
const struct channel_kind_info *
channel_kind_of_part(const char *suffix, const struct kind_part **part);

/* The kinds of set (n bytes: "all", "phone", ...; see above) in its
 * order into kinds[0..*count); -1 for a set that is not one. */
int channel_kind_set(const char *set, size_t n, int kinds[CHANNEL_KINDS],
		     int *count);

#endif
