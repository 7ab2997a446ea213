/*
 * billing_test.c: what feegate makes of the billing contract's column
 * types, and the SQL its tokens expand to for each kind of column. The
 * expansions are run against a real server, in every collation, by
 * tests/integration/t_collations.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base/util.h"
#include "store/billing.h"
#include "store/db.h"

/* Every column of the contract as sql/billing/contract.sql makes it. */
static void
contract_as_shipped(struct billing_contract *c)
{
	size_t i;
	int o;

	billing_contract_init(c);
	for (o = 0; o < BILLING_NOBJECTS; o++)
		billing_note_object(c, billing_object_name(o), "BASE TABLE");
	for (i = 0; i < c->ncols; i++) {
		const struct billing_column *k = &c->col[i];
		const char *type = "varchar";
		int scale = 0;

		switch (k->kind) {
		case BILLING_MONEY:
			type = "decimal";
			scale = 2;
			break;
		case BILLING_ID:
		case BILLING_FLAG:
		case BILLING_INT:
			type = "bigint";
			break;
		case BILLING_DATE:
			type = "date";
			break;
		case BILLING_TIME:
			type = "datetime";
			break;
		default:
			break;
		}
		billing_note_column(c, billing_object_name(k->obj), k->name,
				    type,
				    strcmp(type, "varchar") == 0 ? "utf8mb4"
								 : NULL,
				    strcmp(type, "varchar") == 0
					    ? "utf8mb4_unicode_ci"
					    : NULL,
				    32, 128, scale, 0);
	}
}

static void
test_shipped_contract_has_no_problems(void **state)
{
	struct billing_contract c;
	struct sbuf out;

	(void)state;
	contract_as_shipped(&c);
	sbuf_init(&out);
	assert_int_equal(billing_problems(&c, &out), 0);
	assert_string_equal(out.s, "");
	sbuf_free(&out);
}

/* One column changed, and what billing_problems() says of it. */
static const struct {
	const char *table, *column, *type, *charset, *collation;
	int scale;
	const char *says; /* NULL: no problem */
} types[] = {
	{"billing_bills", "amount_due", "float", NULL, NULL, 0,
	 "billing_bills.amount_due: float, must be DECIMAL\n"},
	{"billing_bills", "amount_due", "double", NULL, NULL, 0,
	 "billing_bills.amount_due: double, must be DECIMAL\n"},
	{"billing_bills", "amount_due", "varchar", "utf8mb4",
	 "utf8mb4_general_ci", 0,
	 "billing_bills.amount_due: varchar in utf8mb4, must be DECIMAL\n"},
	{"billing_bills", "amount_due", "decimal", NULL, NULL, 5,
	 "billing_bills.amount_due: decimal with 5 decimals, must have at "
	 "most 4 decimals\n"},
	{"billing_bills", "amount_due", "decimal", NULL, NULL, 4, NULL},
	{"billing_bills", "amount_paid", "bigint", NULL, NULL, 0, NULL},
	{"billing_customers", "dunning_hold", "tinyint", NULL, NULL, 0, NULL},
	{"billing_customers", "dunning_hold", "int", NULL, NULL, 0, NULL},
	{"billing_customers", "dunning_hold", "char", "ascii",
	 "ascii_general_ci", 0,
	 "billing_customers.dunning_hold: char in ascii, must be an integer "
	 "type\n"},
	{"billing_contacts", "consent", "decimal", NULL, NULL, 0,
	 "billing_contacts.consent: decimal with 0 decimals, must be an "
	 "integer type\n"},
	{"billing_contacts", "contact_id", "varchar", "utf8mb4", "utf8mb4_bin",
	 0, NULL},
	{"billing_contacts", "contact_id", "double", NULL, NULL, 0,
	 "billing_contacts.contact_id: double, must be an integer or text\n"},
	{"billing_customers", "account_no", "char", "gbk", "gbk_chinese_ci", 0,
	 NULL},
	{"billing_customers", "account_no", "varbinary", "binary", NULL, 0,
	 NULL},
	{"billing_customers", "account_no", "bigint", NULL, NULL, 0,
	 "billing_customers.account_no: bigint, must be text (CHAR or "
	 "VARCHAR)\n"},
	{"billing_customers", "name", "varchar", "utf16", "utf16_general_ci", 0,
	 "billing_customers.name: varchar in utf16, must be in a character "
	 "set where ASCII is one byte (utf8mb4, utf8mb3, gbk, latin1, ...)\n"},
	{"billing_customers", "name", "varchar", "utf8mb3",
	 "utf8mb3_general_ci", 0, NULL},
	{"billing_customers", "name", "varchar", "utf8mb4", "x'; DROP", 0,
	 "billing_customers.name: varchar in utf8mb4, a character set and "
	 "collation feegate cannot read\n"},
	{"billing_bills", "due_date", "varchar", "utf8mb4", "utf8mb4_bin", 0,
	 "billing_bills.due_date: varchar in utf8mb4, must be DATE, DATETIME "
	 "or TIMESTAMP\n"},
	{"billing_outages", "starts_at", "timestamp", NULL, NULL, 0, NULL},
};

static void
test_column_types(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < FG_NELEM(types); i++) {
		struct billing_contract c;
		struct sbuf out;
		int n;

		contract_as_shipped(&c);
		billing_note_column(&c, types[i].table, types[i].column,
				    types[i].type, types[i].charset,
				    types[i].collation, 32, 128, types[i].scale,
				    0);
		sbuf_init(&out);
		n = billing_problems(&c, &out);
		assert_int_equal(n, types[i].says != NULL);
		assert_string_equal(out.s, types[i].says ? types[i].says : "");
		sbuf_free(&out);
	}
}

static void
test_missing_objects_and_columns(void **state)
{
	struct billing_contract c;
	struct sbuf out;

	(void)state;
	contract_as_shipped(&c);
	billing_note_object(&c, "billing_customers", "VIEW");
	billing_note_object(&c, "billing_other", "BASE TABLE");
	assert_true(c.view[BILLING_CUSTOMERS]);
	assert_false(c.view[BILLING_BILLS]);
	/* Forget two columns, one the contract may do without. */
	for (size_t i = 0; i < c.ncols; i++)
		if ((c.col[i].obj == BILLING_CUSTOMERS &&
		     strcmp(c.col[i].name, "segment") == 0) ||
		    (c.col[i].obj == BILLING_CONTACTS &&
		     strcmp(c.col[i].name, "role") == 0))
			c.col[i].present = 0;
	c.present[BILLING_OUTAGES] = 0;
	sbuf_init(&out);
	assert_int_equal(billing_problems(&c, &out), 2);
	assert_string_equal(out.s,
			    "billing_outages: no such table or view\n"
			    "billing_customers.segment: no such column\n");
	sbuf_free(&out);
}

static const char *
expand(const char *tok)
{
	static char buf[1024];
	struct fg_err err;
	struct sbuf b;

	sbuf_init(&b);
	if (billing_expand(tok, strlen(tok), &b, &err) != 0)
		str_copy(buf, err.msg, sizeof(buf));
	else
		str_copy(buf, b.s, sizeof(buf));
	sbuf_free(&b);
	return buf;
}

static void
test_expansions(void **state)
{
	struct billing_contract c;

	(void)state;
	assert_string_equal(expand("=bills.account_no b.account_no t.a"),
			    "billing: internal: the billing contract was not "
			    "read before {=bills.account_no b.account_no t.a}");
	contract_as_shipped(&c);
	billing_note_column(&c, "billing_bills", "account_no", "char", "gbk",
			    "gbk_chinese_ci", 32, 64, 0, 1);
	billing_note_column(&c, "billing_customers", "name", "varbinary",
			    "binary", NULL, 20000, 20000, 0, 0);
	billing_contract_set(&c);
	assert_string_equal(
		expand("=bills.account_no b.account_no t.account_no"),
		"(b.account_no = CONVERT(t.account_no USING gbk) COLLATE "
		"gbk_chinese_ci AND t.account_no = CONVERT(b.account_no USING "
		"utf8mb4) COLLATE utf8mb4_nopad_bin)");
	assert_string_equal(
		expand("=contacts.contact_id ct.contact_id p.contact_id"),
		"(ct.contact_id = p.contact_id)");
	assert_string_equal(expand("=customers.name c.name p.k"),
			    "(c.name = CAST(p.k AS BINARY))");
	assert_string_equal(expand("T customers.name c.name"),
			    "CONVERT(c.name USING utf8mb4) COLLATE "
			    "utf8mb4_nopad_bin");
	/* Bytes are checked as RFC 3629 UTF-8 (MariaDB's own conversion
	 * lets CESU-8 surrogates through); the server runs it in t_hostile. */
	assert_non_null(strstr(expand("V customers.name c.name"),
			       "(c.name REGEXP '^(?:[\\\\x00-\\\\x7F]|"));
	assert_non_null(strstr(expand("V customers.name c.name"),
			       "|\\\\xED[\\\\x80-\\\\x9F][\\\\x80-\\\\xBF]|"));
	assert_string_equal(expand("V customers.locale c.locale"), "1");
	/* A night's part (DB_PART): text hashed as the gateway holds it,
	 * bytes and numbers as they are. */
	assert_string_equal(expand("H bills.account_no b.account_no"),
			    "(COALESCE(CRC32(CONVERT(b.account_no USING "
			    "utf8mb4)), 0) % @fg_parts = @fg_part)");
	assert_string_equal(expand("H customers.name c.name"),
			    "(COALESCE(CRC32(c.name), 0) % @fg_parts = "
			    "@fg_part)");
	assert_string_equal(expand("H contacts.contact_id ct.contact_id"),
			    "(COALESCE(CRC32(ct.contact_id), 0) % @fg_parts = "
			    "@fg_part)");
	assert_string_equal(expand("H bills.account_no b.account_no"),
			    DB_PART("CONVERT(b.account_no USING utf8mb4)"));
	/* Checks that cost nothing where the type rules the value out. */
	assert_string_equal(expand("N bills.account_no b.account_no"),
			    "(b.account_no IS NULL)");
	assert_string_equal(expand("N customers.name c.name"), "0");
	assert_string_equal(expand("W bills.account_no b.account_no 32"), "0");
	assert_string_equal(expand("W bills.account_no b.account_no 31"),
			    "(CHAR_LENGTH(b.account_no) > 31)");
	assert_string_equal(
		expand("W customers.name c.name 128"),
		"(CHAR_LENGTH(CONVERT(c.name USING utf8mb4)) > 128)");
	assert_string_equal(expand("I contacts.contact_id ct.contact_id"), "1");
	assert_string_equal(expand("I bills.account_no b.account_no"),
			    "(b.account_no REGEXP '^(0|-?[1-9][0-9]{0,17})$')");
	assert_string_equal(expand("W bills.account_no b.account_no x"),
			    "billing: malformed token {W bills.account_no "
			    "b.account_no x}");
	assert_string_equal(expand("=bills.nothing b.x t.x"),
			    "billing: no contract column bills.nothing");
	assert_string_equal(expand("=bills.account_no b.account_no"),
			    "billing: malformed token {=bills.account_no "
			    "b.account_no}");
	assert_string_equal(expand("T customers.name c.name extra"),
			    "billing: malformed token {T customers.name c.name "
			    "extra}");
	assert_string_equal(expand("X customers.name c.name"),
			    "billing: unknown token {X customers.name c.name}");
}

/* Statements that read billing lock none of its rows: what InnoDB reads
 * as a consistent read passes, what it locks is refused, whatever the case
 * and the white space. */
static void
test_locking_reads(void **state)
{
	(void)state;
	assert_null(billing_locks("SELECT name FROM {B}.billing_customers c"));
	assert_null(billing_locks(
		"INSERT IGNORE INTO tmp_bal (account_no) SELECT t.account_no"
		" FROM tmp_bal t JOIN {B}.billing_customers c ON 1"
		" ON DUPLICATE KEY UPDATE known = VALUES(known)"));
	assert_null(billing_locks("CREATE TEMPORARY TABLE t AS SELECT 1 FROM"
				  " {B}.billing_bills b"));
	/* Words that only look alike. */
	assert_null(billing_locks("SELECT updated_at, for_update FROM"
				  " {B}.billing_bills b"));
	assert_null(billing_locks("INSERT INTO t SELECT 'it''s for update',"
				  " `lock in share mode` FROM"
				  " {B}.billing_bills b"));
	assert_non_null(billing_locks(
		"UPDATE IGNORE tmp_bal t JOIN {B}.billing_customers c ON 1"
		" SET t.known = 1"));
	assert_non_null(
		billing_locks(" \n update tmp_bal t SET t.known ="
			      " (SELECT 1 FROM {B}.billing_customers)"));
	assert_non_null(billing_locks("DELETE t FROM tmp_bal t JOIN"
				      " {B}.billing_customers c ON 1"));
	assert_non_null(billing_locks("SELECT 1 FROM {B}.billing_bills b"
				      " FOR UPDATE"));
	assert_non_null(billing_locks("SELECT 1 FROM {B}.billing_bills b"
				      " for\n  share"));
	assert_non_null(
		billing_locks("INSERT INTO t SELECT 1 FROM"
			      " {B}.billing_bills b LOCK IN SHARE MODE"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_contract_has_no_problems),
		cmocka_unit_test(test_column_types),
		cmocka_unit_test(test_missing_objects_and_columns),
		cmocka_unit_test(test_expansions),
		cmocka_unit_test(test_locking_reads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
