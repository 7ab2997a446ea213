/*
 * workq_test.c: the hand-over queue: order, taking at most N, stopping,
 * a taker on another thread, and lingering for more.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/workq.h"

struct item {
	struct workq_item wi; /* first */
	int v;
};

static int
count(struct workq_item *it, int *first)
{
	int n = 0;

	if (it != NULL && first != NULL)
		*first = ((struct item *)it)->v;
	for (; it != NULL; it = it->next)
		n++;
	return n;
}

static void
test_take_max_in_order(void **state)
{
	struct workq q;
	struct item it[7];
	int i, first = -1;

	(void)state;
	workq_init(&q);
	for (i = 0; i < 7; i++) {
		it[i].v = i;
		assert_int_equal(workq_put(&q, &it[i].wi), 0);
	}
	assert_int_equal(count(workq_take_max(&q, 3, NULL), &first), 3);
	assert_int_equal(first, 0);
	assert_int_equal(count(workq_take_max(&q, 3, NULL), &first), 3);
	assert_int_equal(first, 3);
	/* One left: fewer than asked for, and the queue is empty after. */
	assert_int_equal(count(workq_take_max(&q, 3, NULL), &first), 1);
	assert_int_equal(first, 6);
	assert_null(workq_take_now(&q));
	/* Taken empty, the tail must be reset: a put starts a new list. */
	assert_int_equal(workq_put(&q, &it[0].wi), 0);
	assert_int_equal(count(workq_take(&q, NULL), &first), 1);
	assert_int_equal(first, 0);
	workq_destroy(&q);
}

static void
test_stop_leaves_the_rest_to_take(void **state)
{
	struct workq q;
	struct item a = {.v = 1}, b = {.v = 2};
	int stopping = 0;

	(void)state;
	workq_init(&q);
	assert_int_equal(workq_put(&q, &a.wi), 0);
	workq_stop(&q);
	assert_int_equal(workq_put(&q, &b.wi), -1);
	assert_true(workq_stopping(&q));
	assert_int_equal(count(workq_take_max(&q, 5, &stopping), NULL), 1);
	assert_int_equal(stopping, 1);
	assert_null(workq_take(&q, NULL)); /* stopping and empty: no wait */
	workq_destroy(&q);
}

struct taker {
	struct workq *q;
	int got;
};

static void *
take_until_stopped(void *arg)
{
	struct taker *t = arg;
	struct workq_item *some;

	while ((some = workq_take_max(t->q, 2, NULL)) != NULL)
		t->got += count(some, NULL);
	return NULL;
}

static void
test_taker_thread_gets_everything(void **state)
{
	struct workq q;
	struct item it[100];
	struct taker t = {&q, 0};
	pthread_t th;
	int i;

	(void)state;
	workq_init(&q);
	assert_int_equal(pthread_create(&th, NULL, take_until_stopped, &t), 0);
	for (i = 0; i < 100; i++)
		assert_int_equal(workq_put(&q, &it[i].wi), 0);
	workq_stop(&q);
	pthread_join(th, NULL);
	assert_int_equal(t.got, 100);
	workq_destroy(&q);
}

static double
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct putter {
	struct workq *q;
	struct item *it;
	int n;
	long every_us;
};

/* Puts one, then the rest one by one, every_us apart. */
static void *
put_slowly(void *arg)
{
	struct putter *p = arg;
	int i;

	for (i = 0; i < p->n; i++) {
		if (i > 0)
			usleep((useconds_t)p->every_us);
		workq_put(p->q, &p->it[i].wi);
	}
	return NULL;
}

#define MINUTE_US 60000000L

static void
test_linger_gathers_what_comes(void **state)
{
	struct workq q;
	struct item it[50];
	struct putter p = {&q, it, 5, 2000};
	pthread_t th;
	int i, first = -1, stopping = 1, got;
	double t0;

	(void)state;
	for (i = 0; i < 50; i++)
		it[i].v = i;
	workq_init(&q);
	/* Items that come within the gap of each other are taken with the
	 * first; it returns once want are there, long before its gap (1 s)
	 * or its whole linger (a minute) is over. */
	t0 = mono_now();
	assert_int_equal(pthread_create(&th, NULL, put_slowly, &p), 0);
	assert_int_equal(count(workq_take_linger(&q, 5, 1000000L, MINUTE_US,
						 &stopping),
			       &first),
			 5);
	pthread_join(th, NULL);
	assert_int_equal(first, 0);
	assert_int_equal(stopping, 0);
	assert_true(mono_now() - t0 < 0.9);
	/* The count survives a partial take: 7 put, 3 taken, the 4 left
	 * are want already. */
	for (i = 0; i < 7; i++)
		assert_int_equal(workq_put(&q, &it[i].wi), 0);
	assert_int_equal(count(workq_take_max(&q, 3, NULL), NULL), 3);
	t0 = mono_now();
	assert_int_equal(count(workq_take_linger(&q, 4, MINUTE_US, MINUTE_US,
						 NULL),
			       &first),
			 4);
	assert_int_equal(first, 3);
	assert_true(mono_now() - t0 < 30.0);
	/* Nothing more comes: what there is once a gap (20 ms) has passed,
	 * not after the minute. */
	assert_int_equal(workq_put(&q, &it[0].wi), 0);
	t0 = mono_now();
	assert_int_equal(count(workq_take_linger(&q, 100, 20000L, MINUTE_US,
						 NULL),
			       NULL),
			 1);
	assert_true(mono_now() - t0 < 30.0);
	/* Items keep coming within the gap: the whole linger (20 ms) ends
	 * the wait, long before the 50 (100 ms or more) are all there. */
	p.n = 50;
	assert_int_equal(pthread_create(&th, NULL, put_slowly, &p), 0);
	got = count(workq_take_linger(&q, 100, 1000000L, 20000L, NULL), NULL);
	assert_true(got >= 1 && got < 50);
	pthread_join(th, NULL);
	assert_int_equal(count(workq_take_now(&q), NULL), 50 - got);
	/* Stopping: no lingering. */
	assert_int_equal(workq_put(&q, &it[1].wi), 0);
	workq_stop(&q);
	t0 = mono_now();
	assert_int_equal(count(workq_take_linger(&q, 100, MINUTE_US, MINUTE_US,
						 &stopping),
			       NULL),
			 1);
	assert_int_equal(stopping, 1);
	assert_true(mono_now() - t0 < 30.0);
	assert_null(workq_take_linger(&q, 100, MINUTE_US, MINUTE_US, NULL));
	workq_destroy(&q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_max_in_order),
		cmocka_unit_test(test_stop_leaves_the_rest_to_take),
		cmocka_unit_test(test_taker_thread_gets_everything),
		cmocka_unit_test(test_linger_gathers_what_comes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
