/*
 * template.c: see template.h. A template is compiled once into pieces
 * (text, variable, section open, section close); rendering walks them.
 */
#include "queue/template.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "base/config.h"
#include "base/dates.h"
#include "base/escape.h"
#include "base/mask.h"
#include "base/money.h"

const char *const tpl_var_names[TV_COUNT] = {
	"name",         "account",  "account_masked",
	"amount",       "periods",  "due_date",
	"days_overdue", "late_fee", "payment_channels",
	"hotline",      "opt_out",  "utility",
	"outage_kind",  "area",     "starts",
	"ends",         "reason",   "old_starts",
	"old_ends",     "ticket",   "status",
	"signature",    "optional",
};

const char *const tpl_other_kinds[TPL_OTHER_KINDS] = {
	"payment_received",   "outage_notice",    "outage_reminder",
	"outage_rescheduled", "outage_cancelled", "outage_restored",
	"bill_issued",        "repair_progress",  "business_progress",
};

/* Kinds of notice feegate sends (dunning_1 .. dunning_10 and the others);
 * a file for any other kind is a mistake. */
static int
known_kind(const char *name, size_t len)
{
	char buf[32];
	size_t k;

	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, name, len);
	buf[len] = '\0';
	for (k = 1; k <= 10; k++) {
		char d[16];

		snprintf(d, sizeof(d), "dunning_%zu", k);
		if (strcmp(buf, d) == 0)
			return 1;
	}
	for (k = 0; k < FG_NELEM(tpl_other_kinds); k++)
		if (strcmp(buf, tpl_other_kinds[k]) == 0)
			return 1;
	return 0;
}

static const char *const locales[] = {"zh-CN", "en"};
#define NLOCALES 2

enum piece_type {
	P_TEXT,
	P_VAR,
	P_OPEN,
	P_CLOSE,
};

struct piece {
	enum piece_type type;
	int var;
	size_t off, len; /* P_TEXT: the text in src */
	size_t close;    /* P_OPEN: index of its P_CLOSE */
};

struct template
{
	char *locale, *kind, *channel;      /* channel: the part, "email.txt" */
	const struct channel_kind_info *ck; /* the part's channel kind */
	enum part_format esc;
	char *path;
	char *src;
	struct piece *p;
	size_t n;
	int nopt; /* {{#optional}} sections */
};

/* A locale's fixed wording, from its strings.ini. */
enum {
	S_UTILITY,
	S_PAYMENT_CHANNELS,
	S_HOTLINE,
	S_OPT_OUT,
	S_NAME_FALLBACK,
	S_SIGNATURE,
	S_COUNT
};

static const char *const string_keys[S_COUNT] = {
	"utility", "payment_channels", "hotline",
	"opt_out", "name_fallback",    "signature",
};

struct template_set {
	struct template *t;
	size_t n, cap;
	char *str[NLOCALES][S_COUNT];
};

#define SMS_NAME_MAX   20  /* characters of a name in an SMS */
#define NAME_MAX_CHARS 128 /* elsewhere (the contract's limit) */
#define SMS_AREA_MAX   40  /* of an outage's area */
#define SMS_REASON_MAX 30  /* of its reason */

static int
locale_index(const char *locale)
{
	int i;

	for (i = 0; i < NLOCALES; i++)
		if (strcmp(locales[i], locale) == 0)
			return i;
	return -1;
}

const char *
template_locale(const char *customer_locale)
{
	if (customer_locale != NULL && locale_index(customer_locale) >= 0)
		return customer_locale;
	return locales[0];
}

/* Line number of byte offset off in s. */
static int
line_of(const char *s, size_t off)
{
	int line = 1;
	size_t i;

	for (i = 0; i < off; i++)
		if (s[i] == '\n')
			line++;
	return line;
}

/* Offset of the first byte that is not valid UTF-8 or is a control
 * character other than tab and newline, or (size_t)-1. */
static size_t
first_bad_byte(const char *s, size_t n)
{
	char *clean = utf8_clean(s, n, 0);
	size_t i;

	/* utf8_clean replaces each bad byte by U+FFFD: compare in step. */
	if (strlen(clean) == n && memcmp(clean, s, n) == 0) {
		free(clean);
		for (i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];

			if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
				return i;
		}
		return (size_t)-1;
	}
	for (i = 0; i < n && clean[i] == s[i]; i++)
		;
	free(clean);
	return i;
}

static int
var_index(const char *name, size_t len)
{
	int i;

	for (i = 0; i < TV_COUNT; i++)
		if (strlen(tpl_var_names[i]) == len &&
		    memcmp(tpl_var_names[i], name, len) == 0)
			return i;
	return -1;
}

static void
add_piece(struct template *t, size_t *cap, struct piece p)
{
	if (t->n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		t->p = xrealloc(t->p, *cap * sizeof(*t->p));
	}
	t->p[t->n++] = p;
}

/* Parse t->src into pieces; err names path:line. */
/* A {{name}} no value has: -1, err naming the ones there are. */
static int
unknown_variable(const struct template *t, int line, const char *name,
		 size_t nlen, struct fg_err *err)
{
	struct sbuf known;
	int i;

	sbuf_init(&known);
	for (i = 0; i < TV_COUNT; i++)
		sbuf_addf(&known, "%s%s", i ? ", " : "", tpl_var_names[i]);
	err_set(err, "%s:%d: unknown variable {{%.*s}} (known: %s)", t->path,
		line, (int)(nlen > 40 ? 40 : nlen), name, known.s);
	sbuf_free(&known);
	return -1;
}

static int
compile(struct template *t, struct fg_err *err)
{
	const char *s = t->src, *open, *close, *name;
	size_t cap = 0, stack[8], depth = 0, pos = 0, nlen;
	int var;
	enum piece_type type;

	while ((open = strstr(s + pos, "{{")) != NULL) {
		if (open > s + pos)
			add_piece(t, &cap,
				  (struct piece){P_TEXT, -1, pos,
						 (size_t)(open - (s + pos)),
						 0});
		close = strstr(open + 2, "}}");
		if (close == NULL ||
		    memchr(open, '\n', (size_t)(close - open))) {
			err_set(err,
				"%s:%d: '{{' without '}}' on the same line",
				t->path, line_of(s, (size_t)(open - s)));
			return -1;
		}
		name = open + 2;
		while (*name == ' ')
			name++;
		type = P_VAR;
		if (*name == '#' || *name == '/') {
			type = *name == '#' ? P_OPEN : P_CLOSE;
			name++;
		}
		nlen = (size_t)(close - name);
		while (nlen > 0 && name[nlen - 1] == ' ')
			nlen--;
		var = var_index(name, nlen);
		if (var < 0)
			return unknown_variable(t,
						line_of(s, (size_t)(open - s)),
						name, nlen, err);
		if (var == TV_OPTIONAL && type == P_VAR) {
			err_set(err,
				"%s:%d: {{optional}} is not a value: mark text "
				"an SMS may leave out as "
				"{{#optional}}...{{/optional}}",
				t->path, line_of(s, (size_t)(open - s)));
			return -1;
		}
		if (var == TV_OPTIONAL && type == P_OPEN)
			t->nopt++;
		if (type == P_OPEN) {
			if (depth == FG_NELEM(stack)) {
				err_set(err, "%s:%d: sections nested too deep",
					t->path,
					line_of(s, (size_t)(open - s)));
				return -1;
			}
			stack[depth++] = t->n;
		} else if (type == P_CLOSE) {
			if (depth == 0 || t->p[stack[depth - 1]].var != var) {
				err_set(err,
					"%s:%d: {{/%s}} does not close the open "
					"section",
					t->path, line_of(s, (size_t)(open - s)),
					tpl_var_names[var]);
				return -1;
			}
			t->p[stack[--depth]].close = t->n;
		}
		add_piece(t, &cap, (struct piece){type, var, 0, 0, 0});
		pos = (size_t)(close + 2 - s);
	}
	if (depth > 0) {
		err_set(err, "%s: {{#%s}} is never closed", t->path,
			tpl_var_names[t->p[stack[depth - 1]].var]);
		return -1;
	}
	if (s[pos] != '\0')
		add_piece(t, &cap,
			  (struct piece){P_TEXT, -1, pos, strlen(s + pos), 0});
	return 0;
}

static char *
read_file(const char *path, size_t *len, struct fg_err *err)
{
	struct sbuf b;
	char buf[4096];
	size_t n;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL) {
		err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	sbuf_init(&b);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		sbuf_add(&b, buf, n);
	fclose(fp);
	*len = b.len;
	return sbuf_take(&b);
}

static int
load_template(struct template_set *ts, const char *dir, const char *locale,
	      const char *file, struct fg_err *err)
{
	struct template t = {0};
	const struct kind_part *part = NULL;
	size_t i, len, bad;
	const char *dot = strchr(file, '.');

	if (dot == NULL)
		return 0; /* README and the like */
	t.ck = channel_kind_of_part(dot + 1, &part);
	if (t.ck == NULL) {
		struct sbuf all;
		size_t k;

		if (strcmp(file, "strings.ini") == 0 ||
		    strcmp(dot + 1, "md") == 0)
			return 0;
		sbuf_init(&all);
		for (k = 0; k < CHANNEL_KINDS; k++)
			for (i = 0; i < channel_kinds[k].nparts; i++)
				sbuf_addf(&all, "%s%s", all.len ? ", " : "",
					  channel_kinds[k].parts[i].suffix);
		err_set(err, "%s/%s/%s: unknown channel '%s' (%s)", dir, locale,
			file, dot + 1, all.s);
		sbuf_free(&all);
		return -1;
	}
	if (!known_kind(file, (size_t)(dot - file))) {
		err_set(err,
			"%s/%s/%s: unknown template '%.*s' (dunning_1 .. "
			"dunning_10, payment_received, outage_notice, "
			"outage_reminder, outage_rescheduled, outage_cancelled, "
			"outage_restored, bill_issued, repair_progress, "
			"business_progress)",
			dir, locale, file, (int)(dot - file), file);
		return -1;
	}
	t.path = xasprintf("%s/%s/%s", dir, locale, file);
	t.locale = xstrdup(locale);
	t.kind = xstrndup(file, (size_t)(dot - file));
	t.channel = xstrdup(part->suffix);
	t.esc = part->format;
	t.src = read_file(t.path, &len, err);
	if (t.src == NULL)
		goto fail;
	bad = first_bad_byte(t.src, len);
	if (bad != (size_t)-1) {
		err_set(err,
			"%s:%d: byte %zu is not valid UTF-8 text (or is a "
			"control character)",
			t.path, line_of(t.src, bad), bad + 1);
		goto fail;
	}
	if (!part->keep_final_newline && len > 0 && t.src[len - 1] == '\n')
		t.src[len - 1] = '\0';
	if (compile(&t, err) != 0)
		goto fail;
	if (ts->n == ts->cap) {
		ts->cap = ts->cap ? ts->cap * 2 : 16;
		ts->t = xrealloc(ts->t, ts->cap * sizeof(*ts->t));
	}
	ts->t[ts->n++] = t;
	return 0;
fail:
	free(t.path);
	free(t.locale);
	free(t.kind);
	free(t.channel);
	free(t.src);
	free(t.p);
	return -1;
}

/* Reading wording: one locale's strings.ini (li >= 0, no sections), or
 * one file of every locale's (li < 0, a [section] a locale). */
struct strings_ctx {
	struct template_set *ts;
	int li;
};

static int
strings_cb(void *user, int line, const char *section, const char *key,
	   const char *value, char *msg, size_t len)
{
	struct strings_ctx *c = user;
	char **str;
	int i, li = c->li;

	(void)line;
	if (li >= 0 && *section != '\0') {
		snprintf(msg, len, "no sections here ([%s])", section);
		return -1;
	}
	if (li < 0 && *section == '\0') {
		snprintf(msg, len, "%s: before the first [locale] section",
			 key);
		return -1;
	}
	if (li < 0 && (li = locale_index(section)) < 0) {
		snprintf(msg, len, "[%s]: not a locale (zh-CN, en)", section);
		return -1;
	}
	str = c->ts->str[li];
	if (first_bad_byte(value, strlen(value)) != (size_t)-1) {
		snprintf(msg, len, "%s: not valid UTF-8 text", key);
		return -1;
	}
	for (i = 0; i < S_COUNT; i++) {
		if (strcmp(key, string_keys[i]) == 0) {
			free(str[i]);
			str[i] = xstrdup(value);
			return 0;
		}
	}
	snprintf(
		msg, len,
		"%s: unknown key (utility, payment_channels, hotline, opt_out, "
		"name_fallback, signature)",
		key);
	return -1;
}

static const struct template *
find(const struct template_set *ts, const char *locale, const char *kind,
     const char *channel)
{
	size_t i;

	for (i = 0; i < ts->n; i++)
		if (strcmp(ts->t[i].locale, locale) == 0 &&
		    strcmp(ts->t[i].kind, kind) == 0 &&
		    strcmp(ts->t[i].channel, channel) == 0)
			return &ts->t[i];
	return NULL;
}

/* Long but plausible values: an SMS template that needs more parts than
 * allowed with these is refused. */
static const struct tpl_context long_sample = {
	.account_no = "33000000000000000000000000000001",
	.name = "浙江钱塘机械制造股份有限公司杭州分公司二号厂区",
	.amount_cents = 999999999,
	/* Eight months across a year; a bill due ten years ago, the oldest
	 * a night takes (days overdue in four digits). */
	.periods = "2025-11,2025-12,2026-01,2026-02,2026-03,2026-04,2026-05,"
		   "2026-06",
	.due_date = "2017-01-01",
	.business_date = "2026-12-31",
	.late_fee_cents = 9999999,
	.outage_kind = "temporary",
	.area = "杭州市上城区望江街道近江社区近江东园一区至五区及钱江新城沿江商业街",
	.starts_at = "2026-12-31 23:30",
	.ends_at = "2027-01-01 18:45",
	.reason = "10千伏近江线开关柜更换及线路迁改，配合市政道路施工",
	.old_starts_at = "2026-12-30 23:30",
	.old_ends_at = "2026-12-31 18:45",
	.ticket = "GD2026123100001234",
	/* The notice API takes at most 60 characters. */
	.status =
		"抢修人员已到达现场，正在更换受损的电缆接头和开关柜，预计两小时内恢复"
		"供电，请您耐心等待并注意用电安全，谢谢配合抢修工作顺利",
};

int
template_push_valid(const char *text, struct fg_err *err)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je), *v;
	const char *k, *bad = NULL;
	size_t n = strlen(text);

	if (!json_is_object(j))
		bad = "not a JSON object";
	else if (n > PUSH_TEXT_MAX)
		bad = "over PUSH_TEXT_MAX bytes";
	else if (json_string_length(json_object_get(j, "title")) == 0 ||
		 json_string_length(json_object_get(j, "body")) == 0)
		bad = "needs \"title\" and \"body\"";
	if (bad == NULL) {
		json_object_foreach(j, k, v)
		{
			if (!json_is_string(v))
				bad = "holds something other than strings";
		}
	}
	json_decref(j);
	if (bad == NULL)
		return 0;
	if (n > PUSH_TEXT_MAX)
		err_set(err, "push payload of %zu bytes, at most %d", n,
			PUSH_TEXT_MAX);
	else if (j == NULL)
		err_set(err, "push payload is not JSON: %s (line %d)", je.text,
			je.line);
	else
		err_set(err, "push payload %s", bad);
	return -1;
}

/* The longest name billing can hold (VARCHAR(128)), three bytes a
 * character, with a quote to escape. */
static const char longest_name[] =
	"\"浙江钱塘机械制造股份有限公司杭州分公司二号厂区浙江钱塘机械制造股份有限公司"
	"杭州分公司二号厂区浙江钱塘机械制造股份有限公司杭州分公司二号厂区浙江钱塘机械"
	"制造股份有限公司杭州分公司二号厂区浙江钱塘机械制造股份有限公司杭州分公司二号"
	"厂区浙江钱塘机械制造股份有限公";

/* Text that can stand between XML tags as it is: no markup, every & the
 * start of an entity. */
static int
xml_text(const char *s)
{
	static const char *const ents[] = {"&amp;",  "&lt;",   "&gt;",
					   "&quot;", "&apos;", "&#"};
	size_t k;

	for (; *s != '\0'; s++) {
		if (*s == '<' || *s == '>')
			return 0;
		if (*s != '&')
			continue;
		for (k = 0; k < FG_NELEM(ents); k++)
			if (strncmp(s, ents[k], strlen(ents[k])) == 0)
				break;
		if (k == FG_NELEM(ents))
			return 0;
	}
	return 1;
}

/* The worst names for an SMS, one for each way of counting: the longest
 * of GSM-7 (characters of the extension table count twice), of UCS-2, of
 * characters beyond the BMP (a rare surname, an emoji: two units each), a
 * Latin name with one character outside GSM-7 (which turns the whole
 * text into UCS-2), and a long Latin name cut at a word. */
static const char *const worst_sms_names[] = {
	"{Hangzhou} [Qiantang] ~Machinery|Works~ \\Co.\\ Ltd €€€€",
	longest_name,
	"𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷𠮷😀😀😀",
	"Zoë Qiantang-Hangzhou Machinery Works",
	"Hangzhou Qiantang Machinery Works Co. Ltd",
};

/* Whether t says {{signature}} outside every section. */
static int
signed_always(const struct template *t)
{
	size_t i;
	int depth = 0;

	for (i = 0; i < t->n; i++) {
		if (t->p[i].type == P_OPEN)
			depth++;
		else if (t->p[i].type == P_CLOSE)
			depth--;
		else if (t->p[i].type == P_VAR && t->p[i].var == TV_SIGNATURE &&
			 depth == 0)
			return 1;
	}
	return 0;
}

/* An SMS template fits in max_parts with the longest values and every
 * worst name, after every shortening it allows, and says who sends it
 * (mainland carriers refuse bulk SMS without the 【signature】). */
static int
check_sms(const struct template_set *ts, const struct template *t,
	  int max_parts, struct fg_err *err)
{
	const char *sig = ts->str[locale_index(t->locale)][S_SIGNATURE];
	struct tpl_context sample = long_sample;
	struct sms_fit fit;
	struct sbuf out;
	size_t k;
	int rc = 0;

	sbuf_init(&out);
	for (k = 0; k < FG_NELEM(worst_sms_names) && rc == 0; k++) {
		sample.name = worst_sms_names[k];
		out.len = 0;
		out.s[0] = '\0';
		template_render_sms(ts, t->locale, t->kind, &sample, max_parts,
				    &out, &fit, err);
		if (!fit.fits) {
			err_set(err,
				"%s: takes %d SMS parts (%zu %s units) with "
				"long values and the name \"%.24s...\", even "
				"with the name left out and its %d optional "
				"section(s) dropped; [sms] max_parts is %d: "
				"shorten it or mark text {{#optional}}",
				t->path, fit.len.parts, fit.len.units,
				fit.len.ucs2 ? "UCS-2" : "GSM-7",
				worst_sms_names[k], t->nopt, max_parts);
			rc = -1;
		}
	}
	if (rc == 0 && !signed_always(t)) {
		err_set(err,
			"%s: does not say who sends it: every SMS needs "
			"{{signature}} (%s) outside any section",
			t->path, sig);
		rc = -1;
	}
	sbuf_free(&out);
	return rc;
}

/* Whether a part the ladder may ask for is missing from locale for the
 * notice kind: SMS's always, every configured kind's (err says which). */
static int
parts_missing(const struct template_set *ts, const struct template_limits *lim,
	      const char *dir, const char *locale, const char *kind,
	      int dunning, struct fg_err *err)
{
	size_t ck, c;

	for (ck = 0; ck < CHANNEL_KINDS; ck++) {
		const struct channel_kind_info *info = &channel_kinds[ck];

		if (ck != CHANNEL_SMS && !lim->configured[ck])
			continue;
		for (c = 0; c < info->nparts; c++) {
			if (find(ts, locale, kind, info->parts[c].suffix) !=
			    NULL)
				continue;
			if (dunning)
				err_set(err,
					"%s/%s/%s.%s: missing (needed for "
					"[dunning] notices = %d)",
					dir, locale, kind,
					info->parts[c].suffix, lim->notices);
			else
				err_set(err,
					"%s/%s/%s.%s: missing (every channel "
					"that can send needs one)",
					dir, locale, kind,
					info->parts[c].suffix);
			return 1;
		}
	}
	return 0;
}

/* A locale's templates, into ts. */
static int
load_locale(struct template_set *ts, const char *dir, int li,
	    struct fg_err *err)
{
	struct dirent *de;
	char path[512];
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", dir, locales[li]);
	d = opendir(path);
	if (d == NULL) {
		err_set(err, "%s: cannot open template directory: %s", path,
			strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (load_template(ts, dir, locales[li], de->d_name, err) != 0) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

/* A locale's wording is complete and signed; path (and its [section],
 * when one file holds every locale's) names where it is missing. */
static int
strings_complete(const struct template_set *ts, const char *path, int li,
		 int sections, struct fg_err *err)
{
	char where[600];
	int i;

	if (sections)
		snprintf(where, sizeof(where), "%s: [%s]", path, locales[li]);
	else
		snprintf(where, sizeof(where), "%s:", path);
	for (i = 0; i < S_COUNT; i++) {
		if (ts->str[li][i] == NULL) {
			err_set(err, "%s %s is missing", where, string_keys[i]);
			return -1;
		}
	}
	if (ts->str[li][S_SIGNATURE][0] == '\0') {
		err_set(err,
			"%s signature is empty: carriers in mainland China "
			"refuse bulk SMS without one (【国网杭州供电公司】)",
			where);
		return -1;
	}
	return 0;
}

/* Every locale's fixed wording: from strings, one file with a [section]
 * a locale, or else from each locale's strings.ini under dir. */
static int
load_strings(struct template_set *ts, const char *dir, const char *strings,
	     struct fg_err *err)
{
	char path[512];
	int li;

	if (strings != NULL) {
		struct strings_ctx sc = {ts, -1};

		if (ini_file_parse(strings, strings_cb, &sc, err) != 0)
			return -1;
		for (li = 0; li < NLOCALES; li++)
			if (strings_complete(ts, strings, li, 1, err) != 0)
				return -1;
		return 0;
	}
	for (li = 0; li < NLOCALES; li++) {
		struct strings_ctx sc = {ts, li};

		snprintf(path, sizeof(path), "%s/%s/strings.ini", dir,
			 locales[li]);
		if (ini_file_parse(path, strings_cb, &sc, err) != 0 ||
		    strings_complete(ts, path, li, 0, err) != 0)
			return -1;
	}
	return 0;
}

/* What the ladder will ask for exists, in every locale, for every channel
 * that can send. */
static int
ladder_present(const struct template_set *ts, const char *dir,
	       const struct template_limits *lim, struct fg_err *err)
{
	const int nkinds = lim->notices + (int)FG_NELEM(tpl_other_kinds);
	char kind[32];
	int li, k;

	for (li = 0; li < NLOCALES; li++) {
		for (k = 1; k <= nkinds; k++) {
			if (k <= lim->notices)
				snprintf(kind, sizeof(kind), "dunning_%d", k);
			else
				snprintf(kind, sizeof(kind), "%s",
					 tpl_other_kinds[k - lim->notices - 1]);
			if (parts_missing(ts, lim, dir, locales[li], kind,
					  k <= lim->notices, err))
				return -1;
		}
	}
	return 0;
}

/* A JSON part (a push) rendered with the longest values is a payload FCM
 * takes. */
static int
check_json(const struct template_set *ts, const struct template *t,
	   struct sbuf *out, struct fg_err *err)
{
	struct tpl_context sample = long_sample;

	sample.name = longest_name;
	out->len = 0;
	out->s[0] = '\0';
	template_render(ts, t->locale, t->kind, t->channel, &sample, out, err);
	if (template_push_valid(out->s, err) != 0) {
		struct fg_err why = *err;

		err_set(err, "%s: with long values: %s", t->path, why.msg);
		return -1;
	}
	return 0;
}

/* A spoken part (a call's TwiML text) with long values is XML text of at
 * most VOICE_TEXT_MAX characters. */
static int
check_spoken(const struct template_set *ts, const struct template *t,
	     struct sbuf *out, struct fg_err *err)
{
	size_t chars;

	out->len = 0;
	out->s[0] = '\0';
	template_render(ts, t->locale, t->kind, t->channel, &long_sample, out,
			err);
	chars = utf8_len(out->s, out->len);
	if (!xml_text(out->s)) {
		err_set(err,
			"%s: the text goes into XML (TwiML): write & as &amp; "
			"and no < or > of its own",
			t->path);
		return -1;
	}
	if (chars > VOICE_TEXT_MAX) {
		err_set(err,
			"%s: %zu characters with long values; a call says at "
			"most %d",
			t->path, chars, VOICE_TEXT_MAX);
		return -1;
	}
	return 0;
}

struct template_set *
template_set_load(const char *dir, const char *strings,
		  const struct template_limits *lim, struct fg_err *err)
{
	struct template_set *ts = xcalloc(1, sizeof(*ts));
	struct sbuf out;
	int li, i;

	sbuf_init(&out);
	for (li = 0; li < NLOCALES; li++)
		if (load_locale(ts, dir, li, err) != 0)
			goto fail;
	if (load_strings(ts, dir, strings, err) != 0)
		goto fail;
	if (ladder_present(ts, dir, lim, err) != 0)
		goto fail;
	/* Every part rendered with the worst values still goes: a push's
	 * JSON, a call's length, an SMS in max_parts. */
	for (i = 0; i < (int)ts->n; i++) {
		const struct template *t = &ts->t[i];

		if ((t->esc == PART_JSON &&
		     check_json(ts, t, &out, err) != 0) ||
		    (t->ck->spoken && check_spoken(ts, t, &out, err) != 0) ||
		    (t->ck == &channel_kinds[CHANNEL_SMS] &&
		     check_sms(ts, t, lim->sms_max_parts, err) != 0))
			goto fail;
	}
	sbuf_free(&out);
	return ts;
fail:
	sbuf_free(&out);
	template_set_free(ts);
	return NULL;
}

void
template_set_free(struct template_set *ts)
{
	size_t i;
	int li, k;

	if (ts == NULL)
		return;
	for (i = 0; i < ts->n; i++) {
		free(ts->t[i].path);
		free(ts->t[i].locale);
		free(ts->t[i].kind);
		free(ts->t[i].channel);
		free(ts->t[i].src);
		free(ts->t[i].p);
	}
	free(ts->t);
	for (li = 0; li < NLOCALES; li++)
		for (k = 0; k < S_COUNT; k++)
			free(ts->str[li][k]);
	free(ts);
}

static const char *const month_short[] = {"Jan", "Feb", "Mar", "Apr",
					  "May", "Jun", "Jul", "Aug",
					  "Sep", "Oct", "Nov", "Dec"};
static const char *const month_long[] = {"January", "February", "March",
					 "April",   "May",      "June",
					 "July",    "August",   "September",
					 "October", "November", "December"};

/* 2026年10月1日, or 1 Oct 2026 (spoken: October 1, 2026). */
static void
format_date(int li, int spoken, const char *date, struct sbuf *b)
{
	int y, m, d;

	if (date == NULL || !date_valid(date))
		return;
	y = (int)strtol(date, NULL, 10);
	m = (int)strtol(date + 5, NULL, 10);
	d = (int)strtol(date + 8, NULL, 10);
	if (li == 0)
		sbuf_addf(b, "%d年%d月%d日", y, m, d);
	else if (spoken)
		sbuf_addf(b, "%s %d, %d", month_long[m - 1], d, y);
	else
		sbuf_addf(b, "%d %s %d", d, month_short[m - 1], y);
}

/* "YYYY-MM-DD HH:MM" as 2026年10月20日 08:00 or 20 Oct 2026 08:00 (spoken:
 * 2026年10月20日8点30分, October 20, 2026 at 8:30); with same_day, only the
 * time (an outage that ends on the day it starts). */
static void
format_datetime(int li, int spoken, const char *dt, int same_day,
		struct sbuf *b)
{
	char date[DATE_LEN];
	int h, mi;

	if (dt == NULL || strlen(dt) < 16 || dt[10] != ' ' || dt[13] != ':')
		return;
	memcpy(date, dt, 10);
	date[10] = '\0';
	if (!date_valid(date))
		return;
	h = (int)strtol(dt + 11, NULL, 10);
	mi = (int)strtol(dt + 14, NULL, 10);
	if (!same_day) {
		format_date(li, spoken, date, b);
		if (li != 0 || !spoken)
			sbuf_adds(b, li != 0 && spoken ? " at " : " ");
	}
	if (li == 0 && spoken) {
		sbuf_addf(b, "%d点", h);
		if (mi != 0)
			sbuf_addf(b, "%d分", mi);
	} else if (spoken) {
		sbuf_addf(b, "%d:%02d", h, mi);
	} else {
		sbuf_addf(b, "%02d:%02d", h, mi);
	}
}

static int
same_day(const char *a, const char *b)
{
	return a != NULL && b != NULL && strlen(a) >= 10 &&
	       strncmp(a, b, 10) == 0;
}

/* The name s (n bytes, valid UTF-8, trimmed) within max characters:
 * whole when it fits; otherwise a Latin name is cut after its last whole
 * word that fits, a hyphen ending a word too ("Hangzhou Precision…", not
 * "Hangzhou Precision C"),
 * a Chinese name (or one long word) after the last character that fits,
 * and the ellipsis added. The result, ellipsis included, is at most max
 * characters. */
static void
add_name(struct sbuf *b, const char *s, size_t n, size_t max, const char *ell)
{
	size_t ellc = utf8_len(ell, strlen(ell));
	size_t keep, i, chars, space = 0;

	if (utf8_len(s, n) <= max) {
		sbuf_add(b, s, n);
		return;
	}
	keep = max > ellc ? max - ellc : 1;
	/* The byte offset after keep characters, and the last space
	 * before it. */
	for (i = 0, chars = 0; i < n; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (chars == keep)
			break;
		if (s[i] == ' ' || s[i] == '-')
			space = i;
		chars++;
	}
	if (i < n && (s[i] == ' ' || s[i] == '-'))
		space = i;
	if (space > 0)
		i = space;
	while (i > 0 && strchr(" ,;:-&/(", s[i - 1]) != NULL)
		i--;
	sbuf_add(b, s, i);
	sbuf_adds(b, ell);
}

/* Billing's free text, valid UTF-8, trimmed, cut to max characters (0: no
 * limit) ending in ell: after the last character that fits, or with
 * at_word as a name is cut (add_name). */
static void
add_text(struct sbuf *b, const char *v, size_t max, const char *ell,
	 int at_word)
{
	char *clean;
	const char *s, *e;
	size_t n, cut;

	if (v == NULL)
		return;
	clean = utf8_clean(v, strlen(v), 1);
	for (s = clean; *s == ' '; s++)
		;
	e = s + strlen(s);
	while (e > s && e[-1] == ' ')
		e--;
	n = (size_t)(e - s);
	if (max > 0 && at_word) {
		add_name(b, s, n, max, ell);
	} else if (max > 0 && utf8_len(s, n) > max) {
		size_t i = 0;

		for (cut = 0; cut < n; cut++)
			if (((unsigned char)s[cut] & 0xc0) != 0x80 &&
			    i++ == max - 1)
				break;
		sbuf_add(b, s, cut);
		sbuf_adds(b, ell);
	} else {
		sbuf_add(b, s, n);
	}
	free(clean);
}

/* "2026-08,2026-09" as 2026年8月、9月 or Aug, Sep 2026 (spoken: August,
 * September 2026): each year written once, with its first month in zh-CN
 * and after its last one in en; at most max months (six, three in an
 * SMS), then "等N期" / "and N more". */
static void
format_periods(int li, int spoken, const char *periods, int max, struct sbuf *b)
{
	const char *const *mon = spoken ? month_long : month_short;
	const char *p = periods;
	int shown = 0, total = 0, year = 0;

	if (p == NULL)
		return;
	while (*p != '\0') {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		int y = 0, m = 0;

		total++;
		if (len == 7 && p[4] == '-' && shown < max) {
			y = (int)strtol(p, NULL, 10);
			m = (int)strtol(p + 5, NULL, 10);
		}
		if (y > 0 && m >= 1 && m <= 12) {
			if (li == 0 && y == year)
				sbuf_addf(b, "、%d月", m);
			else if (li == 0)
				sbuf_addf(b, "%s%d年%d月", shown ? "、" : "", y,
					  m);
			else if (y == year || shown == 0)
				sbuf_addf(b, "%s%s", shown ? ", " : "",
					  mon[m - 1]);
			else
				sbuf_addf(b, " %d, %s", year, mon[m - 1]);
			year = y;
			shown++;
		}
		p += len + (end != NULL);
	}
	if (li != 0 && shown > 0)
		sbuf_addf(b, " %d", year);
	if (total > shown && shown > 0) {
		if (li == 0)
			sbuf_addf(b, "等%d期", total);
		else
			sbuf_addf(b, " and %d more", total - shown);
	}
}

/* Digits one by one, for a voice to read them as digits: "9 5 5 9 8". */
static void
spaced_digits(struct sbuf *b, const char *s)
{
	for (; *s != '\0'; s++)
		sbuf_addf(b, "%c%s", *s, s[1] != '\0' ? " " : "");
}

/* An amount as a voice reads it well: 1234元5角 / 1,234 yuan 50 fen
 * (¥1,234.50 is read as "yen", or the decimals digit by digit). */
static void
spoken_money(int li, long long cents, struct sbuf *b)
{
	long long a = cents < 0 ? -cents : cents;
	long long yuan = a / 100, jiao = a % 100 / 10, fen = a % 10;
	char grouped[48];

	if (li == 0) {
		sbuf_addf(b, "%s%lld元", cents < 0 ? "负" : "", yuan);
		if (jiao != 0)
			sbuf_addf(b, "%lld角", jiao);
		if (fen != 0)
			sbuf_addf(b, "%s%lld分", jiao == 0 ? "零" : "", fen);
		return;
	}
	money_format_grouped(yuan * 100, grouped, sizeof(grouped));
	grouped[strcspn(grouped, ".")] = '\0';
	sbuf_addf(b, "%s%s yuan", cents < 0 ? "minus " : "", grouped);
	if (a % 100 != 0)
		sbuf_addf(b, " %lld fen", a % 100);
}

/* How a name is cut: to at most max characters (0: not at all, the
 * locale's fallback instead), ending in ell where it was cut. */
struct name_cut {
	size_t max;
	const char *ell;
};

/* The account number, whole and masked (spoken: digit by digit). */
static void
fill_account(const char *account_no, int spoken, struct sbuf v[TV_COUNT])
{
	char *account;
	size_t n;
	int ascii;

	/* An account number is digits and letters; one that is not (billing
	 * holds garbage) is shown cleaned and masked whole, never cut in
	 * the middle of a character. */
	account = account_no ? utf8_clean(account_no, strlen(account_no), 1)
			     : NULL;
	ascii = account != NULL &&
		strspn(account, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq"
				"rstuvwxyz0123456789-_") == strlen(account);
	if (spoken && account != NULL && ascii) {
		n = strlen(account);
		spaced_digits(&v[TV_ACCOUNT], account);
		spaced_digits(&v[TV_ACCOUNT_MASKED],
			      account + (n > 4 ? n - 4 : 0));
	} else if (account != NULL) {
		sbuf_adds(&v[TV_ACCOUNT], account);
		/* 3300000123 -> 3300****23: enough for the customer to
		 * recognise, not enough for a stranger reading a lock screen.
		 */
		n = strlen(account);
		if (n >= 7 && ascii) {
			sbuf_add(&v[TV_ACCOUNT_MASKED], account, 4);
			sbuf_adds(&v[TV_ACCOUNT_MASKED], "****");
			sbuf_adds(&v[TV_ACCOUNT_MASKED], account + n - 2);
		} else {
			sbuf_adds(&v[TV_ACCOUNT_MASKED], "****");
		}
	}
	free(account);
}

/* An outage's kind, area, reason and times. */
static void
fill_outage(int li, const struct tpl_context *ctx, int spoken, int brief,
	    const struct name_cut *cut, struct sbuf v[TV_COUNT])
{
	int temp = strcmp(ctx->outage_kind, "temporary") == 0;

	sbuf_adds(&v[TV_OUTAGE_KIND],
		  li == 0 ? (temp ? "临时检修停电" : "计划检修停电")
			  : (temp ? "temporary outage" : "planned outage"));
	add_text(&v[TV_AREA], ctx->area, brief ? SMS_AREA_MAX : 0, cut->ell, 0);
	add_text(&v[TV_REASON], ctx->reason, brief ? SMS_REASON_MAX : 0,
		 cut->ell, 0);
	format_datetime(li, spoken, ctx->starts_at, 0, &v[TV_STARTS]);
	format_datetime(li, spoken, ctx->ends_at,
			same_day(ctx->starts_at, ctx->ends_at), &v[TV_ENDS]);
	format_datetime(li, spoken, ctx->old_starts_at, 0, &v[TV_OLD_STARTS]);
	format_datetime(li, spoken, ctx->old_ends_at,
			same_day(ctx->old_starts_at, ctx->old_ends_at),
			&v[TV_OLD_ENDS]);
}

/* The values of every variable for ctx in locale li, for channel. A voice
 * gets them as it should say them: digits of the account and hotline one
 * by one, the last four of the account for account_masked, amounts in
 * yuan and jiao/fen, months in full. */
static void
fill_values(const struct template_set *ts, int li, const char *channel,
	    const struct tpl_context *ctx, const struct name_cut *cut,
	    struct sbuf v[TV_COUNT])
{
	const struct channel_kind_info *ck =
		channel_kind_of_part(channel, NULL);
	int spoken = ck != NULL && ck->spoken, brief = ck != NULL && ck->brief;
	char money[48];
	int i;

	for (i = 0; i < TV_COUNT; i++)
		sbuf_init(&v[i]);
	/* Trimmed and cut (billing's 4,000-character name, recorded as
	 * wrong, must not make a push too long to send). */
	if (cut->max > 0)
		add_text(&v[TV_NAME], ctx->name, cut->max, cut->ell, 1);
	if (v[TV_NAME].len == 0)
		sbuf_adds(&v[TV_NAME], ts->str[li][S_NAME_FALLBACK]);
	fill_account(ctx->account_no, spoken, v);
	if (spoken) {
		spoken_money(li, ctx->amount_cents, &v[TV_AMOUNT]);
	} else {
		money_format_grouped(ctx->amount_cents, money, sizeof(money));
		sbuf_addf(&v[TV_AMOUNT], "¥%s", money);
	}
	format_periods(li, spoken, ctx->periods, brief ? 3 : 6, &v[TV_PERIODS]);
	format_date(li, spoken, ctx->due_date, &v[TV_DUE_DATE]);
	if (ctx->due_date && ctx->business_date && date_valid(ctx->due_date) &&
	    date_valid(ctx->business_date))
		sbuf_addf(&v[TV_DAYS_OVERDUE], "%ld",
			  date_days(ctx->business_date) -
				  date_days(ctx->due_date));
	if (ctx->late_fee_cents >= 0 && spoken) {
		spoken_money(li, ctx->late_fee_cents, &v[TV_LATE_FEE]);
	} else if (ctx->late_fee_cents >= 0) {
		money_format_grouped(ctx->late_fee_cents, money, sizeof(money));
		sbuf_addf(&v[TV_LATE_FEE], "¥%s", money);
	}
	sbuf_adds(&v[TV_PAYMENT_CHANNELS], ts->str[li][S_PAYMENT_CHANNELS]);
	if (spoken)
		spaced_digits(&v[TV_HOTLINE], ts->str[li][S_HOTLINE]);
	else
		sbuf_adds(&v[TV_HOTLINE], ts->str[li][S_HOTLINE]);
	sbuf_adds(&v[TV_OPT_OUT], ts->str[li][S_OPT_OUT]);
	sbuf_adds(&v[TV_UTILITY], ts->str[li][S_UTILITY]);
	sbuf_adds(&v[TV_SIGNATURE], ts->str[li][S_SIGNATURE]);
	sbuf_adds(&v[TV_OPTIONAL], "1");
	add_text(&v[TV_TICKET], ctx->ticket, 0, cut->ell, 0);
	add_text(&v[TV_STATUS], ctx->status, 0, cut->ell, 0);
	if (ctx->outage_kind != NULL)
		fill_outage(li, ctx, spoken, brief, cut, v);
}

/* Render t for ctx, its name cut as cut says, leaving out the last drop
 * of its optional sections. */
static void
render_with(const struct template_set *ts, const struct template *t,
	    const struct tpl_context *ctx, const struct name_cut *cut, int drop,
	    struct sbuf *out)
{
	struct sbuf v[TV_COUNT];
	size_t i;
	int li = locale_index(t->locale), opt = 0;

	fill_values(ts, li, t->channel, ctx, cut, v);
	for (i = 0; i < t->n; i++) {
		const struct piece *p = &t->p[i];

		switch (p->type) {
		case P_TEXT:
			sbuf_add(out, t->src + p->off, p->len);
			break;
		case P_VAR:
			escape_add(out, v[p->var].s, t->esc);
			break;
		case P_OPEN:
			if (v[p->var].len == 0 ||
			    (p->var == TV_OPTIONAL && opt++ >= t->nopt - drop))
				i = p->close;
			break;
		case P_CLOSE:
			break;
		}
	}
	for (li = 0; li < TV_COUNT; li++)
		sbuf_free(&v[li]);
}

int
template_render(const struct template_set *ts, const char *locale,
		const char *kind, const char *channel,
		const struct tpl_context *ctx, struct sbuf *out,
		struct fg_err *err)
{
	const struct template *t = find(ts, locale, kind, channel);
	struct name_cut cut = {NAME_MAX_CHARS, "…"};

	if (t == NULL) {
		err_set(err, "template: no %s/%s.%s", locale, kind, channel);
		return -1;
	}
	if (t->ck->brief)
		cut.max = SMS_NAME_MAX;
	render_with(ts, t, ctx, &cut, 0, out);
	return 0;
}

/* The name's limits an SMS tries in turn (0: the fallback instead). */
static const size_t sms_name_steps[] = {SMS_NAME_MAX, 12};

/* Render with cut, and with "..." in place of "…" when that takes fewer
 * units (a GSM-7 text that "…" would turn into UCS-2); measured. */
static void
render_measured(const struct template_set *ts, const struct template *t,
		const struct tpl_context *ctx, size_t name_max, int drop,
		struct sbuf *out, struct sms_length *len)
{
	struct name_cut cut = {name_max, "…"};
	struct sms_length alt;
	size_t mark = out->len;
	struct sbuf b;

	render_with(ts, t, ctx, &cut, drop, out);
	sms_measure(out->s + mark, len);
	if (!len->ucs2 || strstr(out->s + mark, "…") == NULL)
		return;
	cut.ell = "...";
	sbuf_init(&b);
	render_with(ts, t, ctx, &cut, drop, &b);
	sms_measure(b.s, &alt);
	if (!alt.ucs2) {
		out->len = mark;
		sbuf_add(out, b.s, b.len);
		*len = alt;
	}
	sbuf_free(&b);
}

int
template_render_sms(const struct template_set *ts, const char *locale,
		    const char *kind, const struct tpl_context *ctx,
		    int max_parts, struct sbuf *out, struct sms_fit *fit,
		    struct fg_err *err)
{
	const struct template *t =
		find(ts, locale, kind,
		     channel_kinds[CHANNEL_SMS].parts[0].suffix);
	size_t mark = out->len, step, nsteps = FG_NELEM(sms_name_steps);
	int drop;

	size_t name_chars =
		ctx->name ? utf8_len(ctx->name, strlen(ctx->name)) : 0;

	memset(fit, 0, sizeof(*fit));
	if (t == NULL) {
		err_set(err, "template: no %s/%s.sms", locale, kind);
		return -1;
	}
	/* The name cut, then the optional sections left out (the last
	 * first) with the name at its shortest, then the same again with
	 * the locale's fallback in place of the name: the first text that
	 * fits goes. */
	for (step = 0; step <= nsteps; step++) {
		size_t max = step < nsteps ? sms_name_steps[step] : 0;
		int last = step == nsteps - 1 || step == nsteps ? t->nopt : 0;

		for (drop = 0; drop <= last; drop++) {
			/* A name this short is the same text as the first
			 * try, which did not fit. */
			if (step > 0 && max > 0 && name_chars <= max &&
			    drop == 0)
				continue;
			out->len = mark;
			out->s[mark] = '\0';
			render_measured(ts, t, ctx, max, drop, out, &fit->len);
			fit->name_max = max;
			fit->name_cut = max == 0 || (max < SMS_NAME_MAX &&
						     name_chars > max);
			fit->dropped = drop;
			if (fit->len.parts <= max_parts) {
				fit->fits = 1;
				return 0;
			}
		}
	}
	return 0;
}

void
sms_fit_describe(const struct sms_fit *fit, char *out, size_t len)
{
	struct sbuf b;
	const char *sep = "";

	sbuf_init(&b);
	if (!fit->fits) {
		sbuf_adds(&b, "does not fit");
		sep = ": ";
	}
	if (fit->name_cut) {
		sbuf_adds(&b, sep);
		if (fit->name_max == 0)
			sbuf_adds(&b, "name left out");
		else
			sbuf_addf(&b, "name cut to %zu characters",
				  fit->name_max);
		sep = ", ";
	}
	if (fit->dropped > 0)
		sbuf_addf(&b, "%s%d optional section%s left out", sep,
			  fit->dropped, fit->dropped == 1 ? "" : "s");
	str_copy(out, b.s, len);
	sbuf_free(&b);
}

/* GSM 03.38 default alphabet, and its extension table (two septets each). */
static const char gsm_basic[] =
	"@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
static const char gsm_ext[] = "^{}\\[~]|€\f";

void
sms_measure(const char *text, struct sms_length *out)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t septets = 0, utf16 = 0, k;
	int gsm = 1;

	while (*p != '\0') {
		size_t len = *p < 0x80 ? 1 : *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
		char ch[5];

		for (k = 0; k < len && p[k] != '\0'; k++)
			ch[k] = (char)p[k];
		ch[k] = '\0';
		utf16 += len == 4 ? 2 : 1;
		if (gsm) {
			if (strstr(gsm_basic, ch) != NULL)
				septets += 1;
			else if (strstr(gsm_ext, ch) != NULL)
				septets += 2;
			else
				gsm = 0;
		}
		p += k;
	}
	out->ucs2 = !gsm;
	out->units = gsm ? septets : utf16;
	if (gsm)
		out->parts = septets <= 160 ? 1 : (int)((septets + 152) / 153);
	else
		out->parts = utf16 <= 70 ? 1 : (int)((utf16 + 66) / 67);
}
