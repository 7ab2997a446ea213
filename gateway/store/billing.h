/*
 * billing.h: the billing contract as the billing database shows it to
 * feegate, and the SQL that reads it whatever its character sets,
 * collations and column types.
 *
 * The contract's objects (billing_customers, _contacts, _bills, _outages,
 * _outage_accounts) may be tables or views, in any ASCII-compatible
 * character set and any collation. billing_check.c reads what they are
 * from information_schema into a struct billing_contract at start-up;
 * billing_problems() says what feegate cannot use, naming the column;
 * billing_contract_set() makes the contract the one statements are
 * expanded against.
 *
 * Statements that read billing write tokens, which db.c expands here:
 *
 *   {B}             the billing schema, back-quoted
 *   {=obj.col L R}  L, a value of contract column obj.col (b.account_no),
 *                   equals R byte for byte. R is the gateway's (utf8mb4)
 *                   or another billing column. The comparison is made in
 *                   L's own collation first, so billing's index on L
 *                   serves, then on the bytes, so that `A1`, `a1` and
 *                   `A1 ` stay three accounts whatever the collation.
 *   {T obj.col L}   L as the gateway's text: utf8mb4 compared byte for
 *                   byte, converted from its character set (bytes read as
 *                   UTF-8). Converting bytes that are not UTF-8 warns:
 *                   an INSERT or UPDATE using it says IGNORE.
 *   {V obj.col L}   1 when L is text the gateway can take: always for a
 *                   column with a character set; for bytes (VARBINARY,
 *                   BLOB), when they are UTF-8.
 *   {N obj.col L}   L IS NULL, or 0 when the column cannot be NULL
 *   {W obj.col L n} L is longer than n characters, or 0 when the column
 *                   cannot hold more: a check that costs nothing (not
 *                   even a scan) where billing's types are the contract's
 *   {I obj.col L}   L is an id the gateway can keep as a BIGINT: an
 *                   integer column's value, or text of digits (without
 *                   leading zeros, so that it reads back the same); 1
 *                   when the column is integers that cannot be NULL
 *   {H obj.col L}   L's account is one of this session's part of the
 *                   accounts (DB_PART in db.h): hashed as the gateway
 *                   holds it (utf8mb4 bytes), so that a billing row and
 *                   the gateway's rows of its account are in one part
 *
 * obj is the object's name without "billing_": customers, contacts,
 * bills, outages, outage_accounts. L and R are SQL expressions without
 * spaces (an alias and a column); n a number.
 */
#ifndef FEEGATE_BILLING_H
#define FEEGATE_BILLING_H

#include "base/util.h"

/* What feegate does with a column, and so which types it takes. */
enum billing_kind {
	BILLING_KEY,   /* account_no: text, compared byte for byte */
	BILLING_ID,    /* a row's id: an integer or text */
	BILLING_TEXT,  /* free text: a name, an address, an area */
	BILLING_CODE,  /* one of a few words: a status, a channel */
	BILLING_MONEY, /* an amount in yuan: DECIMAL or an integer */
	BILLING_FLAG,  /* an integer: 0 no, anything else yes */
	BILLING_INT,   /* an integer: a priority */
	BILLING_DATE,  /* a date */
	BILLING_TIME,  /* a date and time */
};

enum billing_object {
	BILLING_CUSTOMERS,
	BILLING_CONTACTS,
	BILLING_BILLS,
	BILLING_OUTAGES,
	BILLING_OUTAGE_ACCOUNTS,
	BILLING_NOBJECTS,
};

/* The gateway schema's collation (sql/gateway/012_byte_for_byte.sql):
 * utf8mb4 compared byte for byte. */
#define BILLING_GATEWAY_COLLATION "utf8mb4_nopad_bin"

/* Amounts have at most this many decimals (rounded half up to cents). */
#define BILLING_MAX_SCALE 4

struct billing_column {
	enum billing_object obj;
	const char *name;
	enum billing_kind kind;
	int optional; /* feegate does not read it */
	/* As found (billing_note_column). */
	int present;
	char data_type[24];  /* information_schema: varchar, decimal, ... */
	char charset[32];    /* "" for numbers and dates, "binary" for bytes */
	char collation[64];  /* "" likewise */
	long long max_chars; /* of a text column; 0 otherwise */
	long long max_bytes; /* the same in bytes (an index entry's share) */
	int scale;           /* of a DECIMAL */
	int nullable;
};

#define BILLING_NCOLUMNS 30

struct billing_contract {
	int present[BILLING_NOBJECTS]; /* the object is there */
	int view[BILLING_NOBJECTS];    /* ... and is a view */
	struct billing_column col[BILLING_NCOLUMNS];
	size_t ncols;
};

/* The object's name in the database ("billing_bills"). */
const char *billing_object_name(enum billing_object obj);

/* The contract's columns, none found yet. */
void billing_contract_init(struct billing_contract *c);
/* What information_schema says of one object (TABLE_TYPE) and of one of
 * its columns; objects and columns that are not the contract's are left
 * alone. */
void billing_note_object(struct billing_contract *c, const char *table,
			 const char *table_type);
void billing_note_column(struct billing_contract *c, const char *table,
			 const char *column, const char *data_type,
			 const char *charset, const char *collation,
			 long long max_chars, long long max_bytes, int scale,
			 int nullable);
/* The column of contract column "obj.col" (short object name), or NULL. */
const struct billing_column *billing_column(const struct billing_contract *c,
					    const char *obj_col, size_t n);

/* Why a column that is present cannot be used, or NULL. */
const char *billing_column_problem(const struct billing_column *k);

/* What feegate cannot use, one line a problem naming the object or the
 * column ("billing_bills.amount_due: float, must be DECIMAL"), appended
 * to out; returns how many. */
int billing_problems(const struct billing_contract *c, struct sbuf *out);

/* Make c the contract statements are expanded against (copied; set once
 * at start-up, before the threads that read billing start). */
void billing_contract_set(const struct billing_contract *c);
/* The contract set, or NULL. */
const struct billing_contract *billing_contract_current(void);

/* Expand the token tok (n bytes, between the braces: "=bills.account_no
 * b.account_no t.account_no") against the contract set, into out. -1 with
 * err set for a token that is not one, or when no contract is set. */
int billing_expand(const char *tok, size_t n, struct sbuf *out,
		   struct fg_err *err);

/* Why statement sql, which reads billing, would lock billing's rows, or
 * NULL when it reads them as a consistent read. Under READ COMMITTED (every
 * connection's, db.c) InnoDB reads billing without a lock for a SELECT, an
 * INSERT ... SELECT and a CREATE TABLE ... SELECT; it share-locks every row
 * an UPDATE or DELETE reads from a table it does not write (a join, a
 * subquery), and what a SELECT ... FOR UPDATE, FOR SHARE or LOCK IN SHARE
 * MODE reads. Billing's own writes to such a row then wait for feegate's
 * statement (or transaction) to end, and feegate waits for any row billing
 * holds. db.c refuses to prepare a statement with {B} for which this is
 * not NULL. */
const char *billing_locks(const char *sql);

/* Whether outage_versions row V says what billing's row B (of
 * billing_outages) says now: the same comparison for a pass (a new
 * version) and for the dispatcher (the outage changed since the pass). */
#define OUTAGE_SAME(V, B)                                                      \
	"(" V ".kind <=> {T outages.kind " B ".kind}"                          \
	" AND " V ".area <=> {T outages.area " B ".area}"                      \
	" AND " V ".starts_at <=> " B ".starts_at"                             \
	" AND " V ".ends_at <=> " B ".ends_at"                                 \
	" AND " V ".reason <=> {T outages.reason " B ".reason}"                \
	" AND " V ".status <=> {T outages.status " B ".status})"

#endif
