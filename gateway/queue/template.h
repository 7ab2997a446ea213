/*
 * template.h: message templates (templates/<locale>/<kind>.<channel>).
 *
 * A template is UTF-8 text with {{variable}} substitutions and
 * {{#variable}}...{{/variable}} sections, kept only when the variable is not
 * empty (a late fee where one is configured). Values are escaped for the
 * channel the file is for: nothing for .sms and .email.txt, HTML for
 * .email.html, XML for .voice, JSON string for .push. Each locale directory
 * also holds strings.ini (utility name, payment channels, hotline, opt-out
 * text), the locale's fixed wording.
 *
 * Everything is checked when the set is loaded (start-up), with file:line:
 * unknown variables, unbalanced sections, invalid UTF-8, missing templates,
 * SMS texts longer than [sms] max_parts even with the longest values and
 * the worst names of each encoding after every shortening the template
 * allows, SMS texts without the locale's signature. Rendering itself
 * cannot fail on a loaded template.
 */
#ifndef FEEGATE_TEMPLATE_H
#define FEEGATE_TEMPLATE_H

#include <stddef.h>

#include "base/kinds.h"
#include "base/util.h"

enum tpl_var {
	TV_NAME,           /* customer name (cleaned, shortened for SMS) */
	TV_ACCOUNT,        /* account number */
	TV_ACCOUNT_MASKED, /* for lock screens: 3300****23 */
	TV_AMOUNT,         /* ¥1,234.50 */
	TV_PERIODS,        /* 2026年8月、2026年9月 / Aug 2026, Sep 2026 */
	TV_DUE_DATE,       /* earliest overdue due date */
	TV_DAYS_OVERDUE,   /* days since then */
	TV_LATE_FEE,       /* empty unless [dunning] late_fee_per_day */
	TV_PAYMENT_CHANNELS, /* from strings.ini */
	TV_HOTLINE,          /* from strings.ini, 95598 by default */
	TV_OPT_OUT,          /* from strings.ini, where the channel needs one */
	TV_UTILITY,          /* from strings.ini: the sender's name */
	/* Outage notices. */
	TV_OUTAGE_KIND, /* 计划检修停电 / planned maintenance, or temporary */
	TV_AREA,        /* the area affected */
	TV_STARTS,      /* 2026年10月20日 08:00 / 20 Oct 2026 08:00 */
	TV_ENDS,        /* the same, or only the time on the day it starts */
	TV_REASON,      /* empty when billing gives none */
	TV_OLD_STARTS, /* a rescheduled outage: the times it had */
	TV_OLD_ENDS,
	/* Service notices from the API. */
	TV_TICKET, /* a repair ticket or application number */
	TV_STATUS, /* where it stands, as the caller wrote it */
	TV_SIGNATURE, /* from strings.ini: 【国网杭州供电公司】, in every SMS */
	/* Not a value: {{#optional}}...{{/optional}} marks text an SMS may
	 * leave out to stay within [sms] max_parts (template_render_sms). */
	TV_OPTIONAL,
	TV_COUNT
};

extern const char *const tpl_var_names[TV_COUNT];

/* The notices other than dunning_1..N, each needed in every locale for
 * every channel that can send. */
#define TPL_OTHER_KINDS 9
extern const char *const tpl_other_kinds[TPL_OTHER_KINDS];

/* What a notice says, before locale formatting. */
struct tpl_context {
	const char *account_no;
	const char *name;       /* as billing has it; MAY be invalid UTF-8 */
	long long amount_cents; /* balance due */
	const char *periods;  /* "2026-08,2026-09" (sorted, comma-separated) */
	const char *due_date; /* YYYY-MM-DD, the earliest overdue */
	const char *business_date; /* YYYY-MM-DD */
	long long late_fee_cents;  /* < 0: none configured */
	/* Outage notices: "planned" or "temporary", the area, and times as
	 * "YYYY-MM-DD HH:MM" in the utility's time zone; NULL elsewhere. */
	const char *outage_kind;
	const char *area;
	const char *starts_at, *ends_at;
	const char *reason;
	const char *old_starts_at, *old_ends_at;
	/* Service notices: NULL elsewhere. */
	const char *ticket, *status;
};

struct template_set;

struct template_limits {
	int sms_max_parts;
	int notices; /* dunning_1 .. dunning_<notices> are required */
	/* A kind configured: its parts (kinds.h) are required. SMS's
	 * always are. */
	int configured[CHANNEL_KINDS];
};

/* A voice text, said twice in one call, stays within the 4000 characters
 * a Twilio-compatible API takes for the TwiML. */
#define VOICE_TEXT_MAX 1800

/* FCM takes at most 4096 bytes of notification and data; feegate's own
 * data (the message id) takes under 100 of them. */
#define PUSH_TEXT_MAX 4000

/* A rendered .push is a JSON object of strings with a non-empty "title"
 * and "body", at most PUSH_TEXT_MAX bytes. 0, or -1 with why in err. */
int template_push_valid(const char *text, struct fg_err *err);

/* Load and check every template under dir for the locales zh-CN and en;
 * their fixed wording from strings (one file, a [section] a locale), or
 * when NULL from dir/LOCALE/strings.ini. */
struct template_set *template_set_load(const char *dir, const char *strings,
				       const struct template_limits *lim,
				       struct fg_err *err);
void template_set_free(struct template_set *ts);

/* The locale feegate writes in for a customer's locale (unknown: zh-CN). */
const char *template_locale(const char *customer_locale);

/* How an SMS text is sent: GSM 03.38 7-bit (160 characters in one message,
 * 153 per part when concatenated; ^{}\[~]|€ count twice) or UCS-2 (70, 67
 * per part; characters beyond the BMP count twice). */
struct sms_length {
	int ucs2;
	size_t units;
	int parts;
};

/* Render kind for channel ("sms", "email.txt", "email.html", "voice",
 * "push") in locale into out (appended). -1 only if there is no such
 * template. */
int template_render(const struct template_set *ts, const char *locale,
		    const char *kind, const char *channel,
		    const struct tpl_context *ctx, struct sbuf *out,
		    struct fg_err *err);

void sms_measure(const char *text, struct sms_length *out);

/* How an SMS was made to fit: its length, the name's limit it took (0:
 * the locale's fallback in place of the name), and how many optional
 * sections it left out. */
struct sms_fit {
	struct sms_length len;
	size_t name_max;
	int name_cut; /* the name was cut shorter (or left out) to fit */
	int dropped;
	int fits; /* within max_parts */
};

/* Render kind's SMS in locale within max_parts: as it is when it fits;
 * otherwise the name cut (at a word, with an ellipsis), then the
 * template's {{#optional}} sections left out, the last first, then the
 * name replaced by the fallback: the first text that fits, never the
 * tail cut. When nothing fits, fit->fits is 0 and out holds the shortest
 * try (not to be sent). -1 only if there is no such template. */
/* What fit did to the text, for logs and the audit trail: "" when
 * nothing, else "name cut to 12 characters, 1 optional section left out"
 * or "name left out, ..."; "does not fit" when it does not. */
#define SMS_FIT_HOW 96
void sms_fit_describe(const struct sms_fit *fit, char *out, size_t len);

int template_render_sms(const struct template_set *ts, const char *locale,
			const char *kind, const struct tpl_context *ctx,
			int max_parts, struct sbuf *out, struct sms_fit *fit,
			struct fg_err *err);

#endif
