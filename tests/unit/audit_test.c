/*
 * audit_test.c: the canonical form behind the audit hash chain.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "store/audit.h"

#define ZERO "0000000000000000000000000000000000000000000000000000000000000000"

static struct audit_row
base_row(void)
{
	struct audit_row r = {
		.seq = "1",
		.business_date = "2026-10-01",
		.at = "2026-10-01 01:00:00.000000",
		.actor = "planner",
		.event = "case_opened",
		.account_no = "3300000001",
		.case_id = "1",
		.notice_id = NULL,
		.message_id = NULL,
		.task_id = NULL,
		.detail = "{\"amount\":\"120.50\"}",
	};
	return r;
}

/* The expected value was computed outside feegate, with printf and
 * sha256sum over the documented canonical form (see audit.c): a change to
 * the form breaks every existing chain and must be deliberate. */
static void
test_golden_vector(void **state)
{
	struct audit_row r = base_row();
	char h[AUDIT_HASH_LEN];

	(void)state;
	audit_hash(ZERO, &r, h);
	assert_string_equal(
		h,
		"608d449119ca3a99530919fcc125fd161c291ae6221ff04dec4560d61f88a2e3");
}

/* Changing any one field, or the previous hash, changes the hash. */
static void
test_every_field_counts(void **state)
{
	struct audit_row r;
	char base[AUDIT_HASH_LEN], h[AUDIT_HASH_LEN];
	size_t i;
	const size_t nfields = sizeof(struct audit_row) / sizeof(const char *);

	(void)state;
	r = base_row();
	audit_hash(ZERO, &r, base);
	for (i = 0; i < nfields; i++) {
		const char **f;

		r = base_row();
		f = (const char **)&r + i;
		*f = *f == NULL ? "7" : "x";
		audit_hash(ZERO, &r, h);
		assert_string_not_equal(h, base);
	}
	r = base_row();
	audit_hash(
		"1000000000000000000000000000000000000000000000000000000000000000",
		&r, h);
	assert_string_not_equal(h, base);
}

/* NULL and "" differ; moving a byte across a field boundary changes the
 * hash (fields are length-prefixed, not just joined). */
static void
test_unambiguous(void **state)
{
	struct audit_row a = base_row(), b = base_row();
	char ha[AUDIT_HASH_LEN], hb[AUDIT_HASH_LEN];

	(void)state;
	a.notice_id = NULL;
	b.notice_id = "";
	audit_hash(ZERO, &a, ha);
	audit_hash(ZERO, &b, hb);
	assert_string_not_equal(ha, hb);

	a = base_row();
	b = base_row();
	a.actor = "plannerc";
	a.event = "ase_opened";
	b.actor = "planner";
	b.event = "case_opened";
	audit_hash(ZERO, &a, ha);
	audit_hash(ZERO, &b, hb);
	assert_string_not_equal(ha, hb);
}

static void
test_deterministic_hex(void **state)
{
	struct audit_row r = base_row();
	char h1[AUDIT_HASH_LEN], h2[AUDIT_HASH_LEN];
	size_t i;

	(void)state;
	audit_hash(ZERO, &r, h1);
	audit_hash(ZERO, &r, h2);
	assert_string_equal(h1, h2);
	assert_int_equal(strlen(h1), 64);
	for (i = 0; i < 64; i++)
		assert_non_null(strchr("0123456789abcdef", h1[i]));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_vector),
		cmocka_unit_test(test_every_field_counts),
		cmocka_unit_test(test_unambiguous),
		cmocka_unit_test(test_deterministic_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
