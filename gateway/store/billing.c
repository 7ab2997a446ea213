/*
 * billing.c: see billing.h.
 */
#include "store/billing.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/db.h"

static const char *const object_names[BILLING_NOBJECTS] = {
	"billing_customers", "billing_contacts",        "billing_bills",
	"billing_outages",   "billing_outage_accounts",
};

/* The contract (docs/billing-contract.md): every column feegate reads. */
static const struct {
	enum billing_object obj;
	const char *name;
	enum billing_kind kind;
	int optional;
} spec[] = {
	{BILLING_CUSTOMERS, "account_no", BILLING_KEY, 0},
	{BILLING_CUSTOMERS, "name", BILLING_TEXT, 0},
	{BILLING_CUSTOMERS, "locale", BILLING_CODE, 0},
	{BILLING_CUSTOMERS, "segment", BILLING_CODE, 0},
	{BILLING_CUSTOMERS, "grid_id", BILLING_TEXT, 0},
	{BILLING_CUSTOMERS, "dunning_hold", BILLING_FLAG, 0},
	{BILLING_CONTACTS, "contact_id", BILLING_ID, 0},
	{BILLING_CONTACTS, "account_no", BILLING_KEY, 0},
	{BILLING_CONTACTS, "channel", BILLING_CODE, 0},
	{BILLING_CONTACTS, "address", BILLING_TEXT, 0},
	{BILLING_CONTACTS, "role", BILLING_CODE, 1},
	{BILLING_CONTACTS, "priority", BILLING_INT, 0},
	{BILLING_CONTACTS, "consent", BILLING_FLAG, 0},
	{BILLING_BILLS, "bill_id", BILLING_ID, 0},
	{BILLING_BILLS, "account_no", BILLING_KEY, 0},
	{BILLING_BILLS, "period", BILLING_CODE, 0},
	{BILLING_BILLS, "amount_due", BILLING_MONEY, 0},
	{BILLING_BILLS, "amount_paid", BILLING_MONEY, 0},
	{BILLING_BILLS, "due_date", BILLING_DATE, 0},
	{BILLING_BILLS, "status", BILLING_CODE, 0},
	{BILLING_OUTAGES, "outage_id", BILLING_ID, 0},
	{BILLING_OUTAGES, "kind", BILLING_CODE, 0},
	{BILLING_OUTAGES, "area", BILLING_TEXT, 0},
	{BILLING_OUTAGES, "starts_at", BILLING_TIME, 0},
	{BILLING_OUTAGES, "ends_at", BILLING_TIME, 0},
	{BILLING_OUTAGES, "reason", BILLING_TEXT, 0},
	{BILLING_OUTAGES, "status", BILLING_CODE, 0},
	{BILLING_OUTAGE_ACCOUNTS, "outage_id", BILLING_ID, 0},
	{BILLING_OUTAGE_ACCOUNTS, "account_no", BILLING_KEY, 0},
};

_Static_assert(FG_NELEM(spec) <= BILLING_NCOLUMNS, "BILLING_NCOLUMNS");

const char *
billing_object_name(enum billing_object obj)
{
	return object_names[obj];
}

void
billing_contract_init(struct billing_contract *c)
{
	size_t i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < FG_NELEM(spec); i++) {
		c->col[i].obj = spec[i].obj;
		c->col[i].name = spec[i].name;
		c->col[i].kind = spec[i].kind;
		c->col[i].optional = spec[i].optional;
	}
	c->ncols = FG_NELEM(spec);
}

static int
object_of(const char *table)
{
	int i;

	for (i = 0; i < BILLING_NOBJECTS; i++)
		if (strcmp(table, object_names[i]) == 0)
			return i;
	return -1;
}

void
billing_note_object(struct billing_contract *c, const char *table,
		    const char *table_type)
{
	int o = object_of(table);

	if (o < 0)
		return;
	c->present[o] = 1;
	c->view[o] = table_type != NULL && strcmp(table_type, "VIEW") == 0;
}

/* An identifier the server gave us, to be spliced into SQL: a character
 * set or collation name is letters, digits and '_'; anything else is kept
 * out (and the column is then unusable). */
static void
ident_copy(char *dst, const char *src, size_t n)
{
	const char *p;

	dst[0] = '\0';
	if (src == NULL)
		return;
	for (p = src; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_'))
			return;
	str_copy(dst, src, n);
}

static int
one_of(const char *s, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

static const char *const text_types[] = {
	"char",       "varchar",  "tinytext",  "text",     "mediumtext",
	"longtext",   "binary",   "varbinary", "tinyblob", "blob",
	"mediumblob", "longblob", "enum",      NULL,
};
/* Text without a character set: bytes. */
static const char *const byte_types[] = {
	"binary",     "varbinary", "tinyblob", "blob",
	"mediumblob", "longblob",  NULL,
};
static const char *const int_types[] = {
	"tinyint", "smallint", "mediumint", "int", "bigint", NULL,
};
static const char *const date_types[] = {"date", "datetime", "timestamp", NULL};
/* Character sets in which ASCII is itself, byte for byte: the contract's
 * codes ('open', 'sms') and feegate's checks on bytes rely on it. */
static const char *const wide_charsets[] = {"ucs2", "utf16", "utf16le", "utf32",
					    NULL};

void
billing_note_column(struct billing_contract *c, const char *table,
		    const char *column, const char *data_type,
		    const char *charset, const char *collation,
		    long long max_chars, long long max_bytes, int scale,
		    int nullable)
{
	int o = object_of(table);
	size_t i;
	char *p;

	if (o < 0)
		return;
	for (i = 0; i < c->ncols; i++) {
		struct billing_column *k = &c->col[i];

		if ((int)k->obj != o || strcmp(k->name, column) != 0)
			continue;
		k->present = 1;
		str_copy(k->data_type, data_type ? data_type : "",
			 sizeof(k->data_type));
		for (p = k->data_type; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		ident_copy(k->charset, charset, sizeof(k->charset));
		ident_copy(k->collation, collation, sizeof(k->collation));
		/* information_schema gives bytes no character set. */
		if (one_of(k->data_type, byte_types))
			str_copy(k->charset, "binary", sizeof(k->charset));
		k->max_chars = max_chars;
		k->max_bytes = max_bytes;
		k->scale = scale;
		k->nullable = nullable;
	}
}

const struct billing_column *
billing_column(const struct billing_contract *c, const char *obj_col, size_t n)
{
	size_t i, on;

	for (i = 0; i < c->ncols; i++) {
		const struct billing_column *k = &c->col[i];
		const char *obj = object_names[k->obj] + strlen("billing_");

		on = strlen(obj);
		if (n == on + 1 + strlen(k->name) &&
		    strncmp(obj_col, obj, on) == 0 && obj_col[on] == '.' &&
		    strncmp(obj_col + on + 1, k->name, n - on - 1) == 0)
			return k;
	}
	return NULL;
}

const char *
billing_column_problem(const struct billing_column *k)
{
	const char *t = k->data_type;
	int text = one_of(t, text_types);

	if (text &&
	    (k->charset[0] == '\0' ||
	     (strcmp(k->charset, "binary") != 0 && k->collation[0] == '\0')))
		return "a character set and collation feegate cannot read";
	if (text && one_of(k->charset, wide_charsets))
		return "must be in a character set where ASCII is one byte "
		       "(utf8mb4, utf8mb3, gbk, latin1, ...)";
	switch (k->kind) {
	case BILLING_KEY:
	case BILLING_TEXT:
	case BILLING_CODE:
		return text ? NULL : "must be text (CHAR or VARCHAR)";
	case BILLING_ID:
		return text || one_of(t, int_types)
			       ? NULL
			       : "must be an integer or text";
	case BILLING_MONEY:
		if (one_of(t, int_types))
			return NULL;
		if (strcmp(t, "decimal") != 0)
			return "must be DECIMAL";
		return k->scale > BILLING_MAX_SCALE
			       ? "must have at most 4 decimals"
			       : NULL;
	case BILLING_FLAG:
	case BILLING_INT:
		return one_of(t, int_types) ? NULL : "must be an integer type";
	case BILLING_DATE:
	case BILLING_TIME:
		return one_of(t, date_types)
			       ? NULL
			       : "must be DATE, DATETIME or TIMESTAMP";
	}
	return NULL;
}

int
billing_problems(const struct billing_contract *c, struct sbuf *out)
{
	int n = 0, o;
	size_t i;

	for (o = 0; o < BILLING_NOBJECTS; o++) {
		if (c->present[o])
			continue;
		sbuf_addf(out, "%s: no such table or view\n", object_names[o]);
		n++;
	}
	for (i = 0; i < c->ncols; i++) {
		const struct billing_column *k = &c->col[i];
		const char *why;

		if (!c->present[k->obj])
			continue;
		if (!k->present) {
			if (k->optional)
				continue;
			sbuf_addf(out, "%s.%s: no such column\n",
				  object_names[k->obj], k->name);
			n++;
			continue;
		}
		why = billing_column_problem(k);
		if (why == NULL)
			continue;
		if (strcmp(k->data_type, "decimal") == 0)
			sbuf_addf(out, "%s.%s: decimal with %d decimals, %s\n",
				  object_names[k->obj], k->name, k->scale, why);
		else if (k->charset[0] != '\0')
			sbuf_addf(out, "%s.%s: %s in %s, %s\n",
				  object_names[k->obj], k->name, k->data_type,
				  k->charset, why);
		else
			sbuf_addf(out, "%s.%s: %s, %s\n", object_names[k->obj],
				  k->name, k->data_type, why);
		n++;
	}
	return n;
}

static struct billing_contract current;
static int current_set;

void
billing_contract_set(const struct billing_contract *c)
{
	current = *c;
	current_set = 1;
}

const struct billing_contract *
billing_contract_current(void)
{
	return current_set ? &current : NULL;
}

/* UTF-8 as RFC 3629 has it, over bytes (PCRE without UTF mode), in an SQL
 * string: no overlong forms, no surrogates (CESU-8), nothing above
 * U+10FFFF. MariaDB's own conversion lets surrogates through. */
#define UTF8_RE                                                                \
	"^(?:[\\\\x00-\\\\x7F]|[\\\\xC2-\\\\xDF][\\\\x80-\\\\xBF]"             \
	"|\\\\xE0[\\\\xA0-\\\\xBF][\\\\x80-\\\\xBF]"                           \
	"|[\\\\xE1-\\\\xEC\\\\xEE\\\\xEF][\\\\x80-\\\\xBF]{2}"                 \
	"|\\\\xED[\\\\x80-\\\\x9F][\\\\x80-\\\\xBF]"                           \
	"|\\\\xF0[\\\\x90-\\\\xBF][\\\\x80-\\\\xBF]{2}"                        \
	"|[\\\\xF1-\\\\xF3][\\\\x80-\\\\xBF]{3}"                               \
	"|\\\\xF4[\\\\x80-\\\\x8F][\\\\x80-\\\\xBF]{2})*$"

/*
 * L = R byte for byte (see billing.h). For text, two comparisons: one in
 * L's collation, with R converted to L's character set, which an index on
 * L serves; one in the gateway's (utf8mb4_nopad_bin, bytes), with L
 * converted to utf8mb4, which decides and which an index on R serves when
 * R is the gateway's. Bytes (a VARBINARY column) compare as bytes, numbers
 * as numbers.
 */
static void
expand_eq(const struct billing_column *k, const char *l, size_t ln,
	  const char *r, size_t rn, struct sbuf *out)
{
	if (k->charset[0] == '\0')
		sbuf_addf(out, "(%.*s = %.*s)", (int)ln, l, (int)rn, r);
	else if (strcmp(k->charset, "binary") == 0)
		sbuf_addf(out, "(%.*s = CAST(%.*s AS BINARY))", (int)ln, l,
			  (int)rn, r);
	else
		sbuf_addf(out,
			  "(%.*s = CONVERT(%.*s USING %s) COLLATE %s"
			  " AND %.*s = CONVERT(%.*s USING utf8mb4)"
			  " COLLATE " BILLING_GATEWAY_COLLATION ")",
			  (int)ln, l, (int)rn, r, k->charset, k->collation,
			  (int)rn, r, (int)ln, l);
}

/* L longer than n characters, or 0 when it cannot be: a text column
 * declared no longer, or a number of no more digits than n. Bytes are
 * counted as the UTF-8 characters they hold. */
static void
expand_wide(const struct billing_column *k, const char *l, size_t ln, long n,
	    struct sbuf *out)
{
	if (k->max_chars > 0 && k->max_chars <= n) {
		sbuf_adds(out, "0");
		return;
	}
	if (strcmp(k->charset, "binary") == 0)
		sbuf_addf(out,
			  "(CHAR_LENGTH(CONVERT(%.*s USING utf8mb4)) > %ld)",
			  (int)ln, l, n);
	else
		sbuf_addf(out, "(CHAR_LENGTH(%.*s) > %ld)", (int)ln, l, n);
}

/* The next space-separated field of [*p, end); its length in *n. */
static const char *
field(const char **p, const char *end, size_t *n)
{
	const char *s = *p, *e;

	while (s < end && *s == ' ')
		s++;
	for (e = s; e < end && *e != ' '; e++)
		;
	*n = (size_t)(e - s);
	*p = e;
	return s;
}

static int
is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Whether sql holds the words of phrase w (capitals; one space between
 * words), as words of their own, case and the white space between them
 * aside; not inside a quoted string or name. */
static int
has_phrase(const char *sql, const char *w)
{
	const char *p, *s, *q;

	for (p = sql; *p != '\0'; p++) {
		if (*p == '\'' || *p == '`' || *p == '"') {
			/* A doubled quote stays inside: two strings. */
			s = strchr(p + 1, *p);
			if (s == NULL)
				return 0;
			p = s;
			continue;
		}
		if (p > sql && is_word_char(p[-1]))
			continue;
		for (s = p, q = w; *q != '\0'; q++) {
			if (*q == ' ') {
				if (!isspace((unsigned char)*s))
					break;
				while (isspace((unsigned char)*s))
					s++;
			} else if (toupper((unsigned char)*s) == *q) {
				s++;
			} else {
				break;
			}
		}
		if (*q == '\0' && !is_word_char(*s))
			return 1;
	}
	return 0;
}

const char *
billing_locks(const char *sql)
{
	const char *p = sql;

	while (isspace((unsigned char)*p) || *p == '(')
		p++;
	if (strncasecmp(p, "UPDATE", 6) == 0 && !is_word_char(p[6]))
		return "an UPDATE share-locks the billing rows it reads";
	if (strncasecmp(p, "DELETE", 6) == 0 && !is_word_char(p[6]))
		return "a DELETE share-locks the billing rows it reads";
	if (has_phrase(sql, "FOR UPDATE") || has_phrase(sql, "FOR SHARE") ||
	    has_phrase(sql, "LOCK IN SHARE MODE"))
		return "a locking read locks the billing rows it reads";
	return NULL;
}

int
billing_expand(const char *tok, size_t n, struct sbuf *out, struct fg_err *err)
{
	const char *end = tok + n, *p = tok + 1, *col, *l, *r = NULL;
	size_t cn, ln, rn = 0, rest;
	const struct billing_column *k;
	char op = n > 0 ? tok[0] : '\0';
	int text;

	if (strchr("=TVNWIH", op) == NULL || op == '\0') {
		err_set(err, "billing: unknown token {%.*s}", (int)n, tok);
		return -1;
	}
	col = field(&p, end, &cn);
	l = field(&p, end, &ln);
	if (op == '=' || op == 'W')
		r = field(&p, end, &rn);
	field(&p, end, &rest);
	if (cn == 0 || ln == 0 || ((op == '=' || op == 'W') && rn == 0) ||
	    rest != 0 ||
	    (op == 'W' && (rn > 9 || strspn(r, "0123456789") < rn))) {
		err_set(err, "billing: malformed token {%.*s}", (int)n, tok);
		return -1;
	}
	if (!current_set) {
		err_set(err,
			"billing: internal: the billing contract was not read "
			"before {%.*s}",
			(int)n, tok);
		return -1;
	}
	k = billing_column(&current, col, cn);
	if (k == NULL) {
		err_set(err, "billing: no contract column %.*s", (int)cn, col);
		return -1;
	}
	switch (op) {
	case '=':
		expand_eq(k, l, ln, r, rn, out);
		break;
	case 'N':
		if (k->nullable)
			sbuf_addf(out, "(%.*s IS NULL)", (int)ln, l);
		else
			sbuf_adds(out, "0");
		break;
	case 'W':
		expand_wide(k, l, ln, strtol(r, NULL, 10), out);
		break;
	case 'I':
		if (k->charset[0] != '\0')
			sbuf_addf(out,
				  "(%.*s REGEXP '^(0|-?[1-9][0-9]{0,17})$')",
				  (int)ln, l);
		else if (k->nullable)
			sbuf_addf(out, "(%.*s IS NOT NULL)", (int)ln, l);
		else
			sbuf_adds(out, "1");
		break;
	case 'H':
		/* DB_PART's hash. Bytes and numbers hash as they are: the
		 * gateway holds the same bytes, the number's digits. */
		text = k->charset[0] != '\0' &&
		       strcmp(k->charset, "binary") != 0;
		sbuf_addf(out, DB_PART_HEAD "%s%.*s%s", text ? "CONVERT(" : "",
			  (int)ln, l, text ? " USING utf8mb4)" : "");
		sbuf_adds(out, DB_PART_TAIL);
		break;
	case 'T':
		sbuf_addf(out,
			  "CONVERT(%.*s USING utf8mb4)"
			  " COLLATE " BILLING_GATEWAY_COLLATION,
			  (int)ln, l);
		break;
	default: /* 'V' */
		if (strcmp(k->charset, "binary") == 0)
			sbuf_addf(out, "(%.*s REGEXP '" UTF8_RE "')", (int)ln,
				  l);
		else
			sbuf_adds(out, "1");
		break;
	}
	return 0;
}
