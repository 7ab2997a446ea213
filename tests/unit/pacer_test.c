/*
 * pacer_test.c: a provider's rate as the pacer keeps it: no limit, whole
 * and fractional rates, the window sliding, and no window of PACE_MARGIN
 * seconds ever holding more than the rate allows, whatever the bursts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "send/pacer.h"

static void
test_no_limit(void **state)
{
	struct pacer p;
	int i;

	(void)state;
	pacer_init(&p, 0);
	for (i = 0; i < 1000; i++)
		pacer_sent(&p, 1.0);
	assert_true(pacer_room(&p, 1.0) == (size_t)-1);
	pacer_free(&p);
}

static void
test_whole_rate(void **state)
{
	struct pacer p;
	int i;

	(void)state;
	pacer_init(&p, 10.7); /* ten a window */
	assert_int_equal(pacer_room(&p, 100.0), 10);
	for (i = 0; i < 4; i++)
		pacer_sent(&p, 100.0 + i * 0.1);
	assert_int_equal(pacer_room(&p, 100.35), 6);
	for (i = 0; i < 6; i++)
		pacer_sent(&p, 100.4);
	assert_int_equal(pacer_room(&p, 100.4), 0);
	/* The first leaves the window PACE_MARGIN seconds after it went. */
	assert_int_equal(pacer_room(&p, 100.0 + PACE_MARGIN - 0.01), 0);
	assert_int_equal(pacer_room(&p, 100.0 + PACE_MARGIN + 0.01), 1);
	assert_int_equal(pacer_room(&p, 100.3 + PACE_MARGIN + 0.01), 4);
	assert_int_equal(pacer_room(&p, 100.4 + PACE_MARGIN + 0.01), 10);
	pacer_free(&p);
}

static void
test_fractional_rate(void **state)
{
	struct pacer p;

	(void)state;
	pacer_init(&p, 0.5); /* one in 2.2 s */
	assert_int_equal(pacer_room(&p, 5.0), 1);
	pacer_sent(&p, 5.0);
	assert_int_equal(pacer_room(&p, 5.0 + 2 * PACE_MARGIN - 0.01), 0);
	assert_int_equal(pacer_room(&p, 5.0 + 2 * PACE_MARGIN + 0.01), 1);
	pacer_sent(&p, 8.0);
	assert_int_equal(pacer_room(&p, 9.0), 0);
	pacer_free(&p);
}

/* Bursts at pseudo-random times, each as large as the pacer allows: no
 * window of the pacer's length ever holds more than its cap, and the ring
 * wraps many times. */
static void
test_never_over_rate(void **state)
{
	enum { N = 5000 };
	double *sent = calloc(N, sizeof(*sent)), now = 0;
	unsigned int seed = 12345;
	size_t n = 0, i, j;
	struct pacer p;

	(void)state;
	assert_non_null(sent);
	pacer_init(&p, 7);
	while (n < N) {
		size_t room = pacer_room(&p, now);

		assert_true(room <= 7);
		while (room-- > 0 && n < N) {
			pacer_sent(&p, now);
			sent[n++] = now;
		}
		seed = seed * 1103515245u + 12345u;
		now += (double)((seed >> 16) % 1000) / 1000.0 * 0.5;
	}
	for (i = 0, j = 0; i < n; i++) {
		while (sent[j] <= sent[i] - p.window)
			j++;
		assert_true(i - j + 1 <= 7);
	}
	pacer_free(&p);
	free(sent);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_whole_rate),
		cmocka_unit_test(test_fractional_rate),
		cmocka_unit_test(test_never_over_rate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
