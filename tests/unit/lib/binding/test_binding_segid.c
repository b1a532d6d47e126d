/* Segmentation-id allocation for the vlan driver: free ids only, wrap-around, exhaustion, and distinct ids
 * for concurrent binds in one process. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <string.h>

#include "binding_internal.h"

static kuryr_trunk trunk_with(kuryr_subport *subs, size_t n)
{
    kuryr_trunk t;
    memset(&t, 0, sizeof(t));
    t.sub_ports = subs;
    t.n_sub_ports = n;
    return t;
}

static void test_pick_skips_used_ids(void **state)
{
    (void)state;
    kuryr_subport subs[] = { { .segmentation_id = 1 }, { .segmentation_id = 2 }, { .segmentation_id = 4 } };
    kuryr_trunk t = trunk_with(subs, 3);
    assert_int_equal(kb_segid_pick(&t, NULL, 0), 3);
    assert_int_equal(kb_segid_pick(&t, NULL, 3), 5);    /* start 3 = id 4, used */
    assert_int_equal(kb_segid_pick(NULL, NULL, 0), 1);
}

static void test_pick_wraps_and_respects_taken(void **state)
{
    (void)state;
    uint8_t taken[(KB_SEGID_MAX + 8) / 8] = { 0 };
    kb_bit_set(taken, 4094);
    kb_bit_set(taken, 1);
    assert_int_equal(kb_segid_pick(NULL, taken, 4093), 2); /* 4094 taken, wraps past 1 */
    assert_int_equal(kb_segid_pick(NULL, NULL, 4093 + 4094), 4094); /* start is taken modulo the range */
}

static void test_pick_full_trunk(void **state)
{
    (void)state;
    uint8_t taken[(KB_SEGID_MAX + 8) / 8];
    memset(taken, 0xff, sizeof(taken));
    assert_int_equal(kb_segid_pick(NULL, taken, 17), -1);
    /* One id left, found from any start. */
    taken[2000 / 8] &= (uint8_t)~(1u << (2000 % 8));
    assert_int_equal(kb_segid_pick(NULL, taken, 0), 2000);
    assert_int_equal(kb_segid_pick(NULL, taken, 3000), 2000);
}

#define THREADS 4
#define PER_THREAD 200
static int picked[THREADS][PER_THREAD];

static void *reserve_many(void *arg)
{
    int *mine = arg;
    for (int i = 0; i < PER_THREAD; i++)
        mine[i] = kb_segid_reserve(NULL, NULL, 0); /* same start everywhere: the worst case */
    return NULL;
}

static void test_concurrent_reservations_are_distinct(void **state)
{
    (void)state;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, reserve_many, picked[i]), 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    uint8_t seen[(KB_SEGID_MAX + 8) / 8] = { 0 };
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < PER_THREAD; j++) {
            int id = picked[i][j];
            assert_true(id >= KB_SEGID_MIN && id <= KB_SEGID_MAX);
            assert_false(kb_bit_get(seen, id));
            kb_bit_set(seen, id);
        }
    for (int i = 0; i < THREADS; i++)
        for (int j = 0; j < PER_THREAD; j++)
            kb_segid_release(picked[i][j]);
    /* Released ids are offered again. */
    int id = kb_segid_reserve(NULL, NULL, 0);
    assert_int_equal(id, 1);
    kb_segid_release(id);
}

static void test_reserve_honours_trunk(void **state)
{
    (void)state;
    kuryr_subport subs[] = { { .segmentation_id = 1 } };
    kuryr_trunk t = trunk_with(subs, 1);
    int a = kb_segid_reserve(&t, NULL, 0);
    int b = kb_segid_reserve(&t, NULL, 0);
    assert_int_equal(a, 2);
    assert_int_equal(b, 3);
    kb_segid_release(a);
    kb_segid_release(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pick_skips_used_ids),
        cmocka_unit_test(test_pick_wraps_and_respects_taken),
        cmocka_unit_test(test_pick_full_trunk),
        cmocka_unit_test(test_concurrent_reservations_are_distinct),
        cmocka_unit_test(test_reserve_honours_trunk),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
