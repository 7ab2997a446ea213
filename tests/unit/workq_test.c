/*
 * workq_test.c: the hand-over queue: order, taking at most N, stopping,
 * and a taker on another thread.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "workq.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_take_max_in_order),
		cmocka_unit_test(test_stop_leaves_the_rest_to_take),
		cmocka_unit_test(test_taker_thread_gets_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
