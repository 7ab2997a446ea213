/*
 * policy_test.c: the failure policy: backoff, expiry, provider pauses and
 * the single probe after a pause.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "queue/policy.h"

static struct config cfg;

static int
setup(void **state)
{
	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.dispatch.backoff_min = 1;
	cfg.dispatch.backoff_max = 8;
	cfg.dispatch.max_attempts = 3;
	cfg.dispatch.expire_after = 3600;
	return 0;
}

static struct delivery_result
result(enum delivery_status st, int provider_wide, int retry_after)
{
	struct delivery_result r;

	memset(&r, 0, sizeof(r));
	r.status = st;
	r.provider_wide = provider_wide;
	r.retry_after = retry_after;
	return r;
}

static void
test_backoff_doubles_to_max(void **state)
{
	(void)state;
	assert_int_equal(policy_backoff(&cfg, 1, 0), 1);
	assert_int_equal(policy_backoff(&cfg, 2, 0), 2);
	assert_int_equal(policy_backoff(&cfg, 3, 0), 4);
	assert_int_equal(policy_backoff(&cfg, 4, 0), 8);
	assert_int_equal(policy_backoff(&cfg, 30, 0), 8);
	assert_int_equal(policy_backoff(&cfg, 1, 20), 20); /* Retry-After */
}

static void
test_lone_failure_retries_then_expires(void **state)
{
	struct throttle t = {0};
	struct delivery_result r = result(DELIVERY_TEMPFAIL, 0, 0);
	struct decision d;

	(void)state;
	policy_decide(&cfg, &t, 100, &r, 1, 10, &d);
	assert_int_equal(d.outcome, OUTCOME_RETRY);
	assert_int_equal(d.delay, 1);
	assert_false(policy_paused(&t, 100));
	policy_decide(&cfg, &t, 100, &r, 3, 10, &d);
	assert_int_equal(d.outcome, OUTCOME_EXPIRED);
	policy_decide(&cfg, &t, 100, &r, 1, 3600, &d);
	assert_int_equal(d.outcome, OUTCOME_EXPIRED); /* too old */
}

static void
test_provider_trouble_pauses_without_attempts(void **state)
{
	struct throttle t = {0};
	struct delivery_result r = result(DELIVERY_TEMPFAIL, 1, 0);
	struct decision d;

	(void)state;
	policy_decide(&cfg, &t, 100, &r, 3, 10, &d);
	assert_int_equal(d.outcome, OUTCOME_REQUEUE); /* not expired */
	assert_true(policy_paused(&t, 100.5));
	assert_false(policy_paused(&t, 101));
	/* The pause doubles each time the provider is still in trouble. */
	policy_decide(&cfg, &t, 101, &r, 1, 10, &d);
	assert_true(policy_paused(&t, 102.9));
	assert_false(policy_paused(&t, 103));
	/* Retry-After longer than the pause wins. */
	r.retry_after = 30;
	policy_decide(&cfg, &t, 103, &r, 1, 10, &d);
	assert_true(policy_paused(&t, 132));
	assert_true(d.delay >= 30);
}

static void
test_storm_of_lone_failures_pauses(void **state)
{
	struct throttle t = {0};
	struct delivery_result r = result(DELIVERY_TEMPFAIL, 0, 0);
	struct decision d;
	int i;

	(void)state;
	for (i = 1; i < POLICY_STORM; i++) {
		policy_decide(&cfg, &t, 100, &r, 1, 10, &d);
		assert_int_equal(d.outcome, OUTCOME_RETRY);
	}
	policy_decide(&cfg, &t, 100, &r, 1, 10, &d);
	assert_int_equal(d.outcome, OUTCOME_REQUEUE);
	assert_true(policy_paused(&t, 100.5));
}

static void
test_one_probe_after_a_pause(void **state)
{
	struct throttle t = {0};
	struct delivery_result bad = result(DELIVERY_TEMPFAIL, 1, 0);
	struct delivery_result ok = result(DELIVERY_OK, 0, 0);
	struct delivery_result perm = result(DELIVERY_PERMFAIL, 0, 0);
	struct decision d;

	(void)state;
	assert_int_equal(policy_room(&t, 100, 5, 32), 32);
	policy_decide(&cfg, &t, 100, &bad, 1, 10, &d);
	assert_int_equal(policy_room(&t, 100.5, 0, 32), 0); /* paused */
	assert_int_equal(policy_room(&t, 101, 0, 32), POLICY_PROBES);
	assert_int_equal(policy_room(&t, 101, POLICY_PROBES - 1, 32), 1);
	assert_int_equal(policy_room(&t, 101, POLICY_PROBES, 32), 0);
	assert_int_equal(policy_room(&t, 101, 40, 32), 0); /* out before */
	assert_int_equal(policy_room(&t, 101, 0, 1), 1);   /* room is less */
	assert_int_equal(policy_room(&t, 101, 0, 0), 0);
	/* The probes fail: a longer pause, then probes again. */
	policy_decide(&cfg, &t, 101, &bad, 1, 10, &d);
	policy_decide(&cfg, &t, 101, &bad, 1, 10, &d); /* answered paused */
	assert_int_equal(d.outcome, OUTCOME_REQUEUE);
	assert_int_equal(policy_room(&t, 102, 0, 32), 0);
	assert_int_equal(policy_room(&t, 103, 0, 32), POLICY_PROBES);
	/* One fails, pausing again; another, answered during that pause,
	 * went through: full room once the short pause is over. */
	policy_decide(&cfg, &t, 103, &bad, 1, 10, &d);
	policy_decide(&cfg, &t, 103.1, &ok, 1, 10, &d);
	assert_int_equal(policy_room(&t, 103.5, 0, 32), 0);
	assert_int_equal(policy_room(&t, 107.1, 0, 32), 32);
	/* A success ends probing at once. */
	policy_decide(&cfg, &t, 108, &bad, 1, 10, &d);
	assert_int_equal(policy_room(&t, 109, 0, 32), POLICY_PROBES);
	policy_decide(&cfg, &t, 109, &ok, 1, 10, &d);
	assert_int_equal(d.outcome, OUTCOME_SENT);
	assert_int_equal(policy_room(&t, 109, 0, 32), 32);
	/* A recipient refused also shows the provider is up. */
	policy_decide(&cfg, &t, 110, &bad, 1, 10, &d);
	assert_int_equal(policy_room(&t, 111, 0, 32), POLICY_PROBES);
	policy_decide(&cfg, &t, 111, &perm, 1, 10, &d);
	assert_int_equal(d.outcome, OUTCOME_FAILED);
	assert_int_equal(policy_room(&t, 111, 0, 32), 32);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_backoff_doubles_to_max, setup),
		cmocka_unit_test_setup(test_lone_failure_retries_then_expires,
				       setup),
		cmocka_unit_test_setup(
			test_provider_trouble_pauses_without_attempts, setup),
		cmocka_unit_test_setup(test_storm_of_lone_failures_pauses,
				       setup),
		cmocka_unit_test_setup(test_one_probe_after_a_pause, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
