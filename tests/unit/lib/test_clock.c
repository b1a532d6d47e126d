/* lib/clock.c: backoff doubling, cap, jitter bounds and reset; jitter and random ranges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kuryr/clock.h"

static void test_backoff_doubles_caps_and_resets(void **state)
{
    (void)state;
    kuryr_backoff b;
    kuryr_backoff_init(&b, 100, 1000);
    long ceilings[] = {100, 200, 400, 800, 1000, 1000, 1000};
    /* Many rounds, since each delay is random within its band: [ceiling/2, ceiling]. */
    for (int round = 0; round < 200; round++) {
        kuryr_backoff_reset(&b);
        for (size_t i = 0; i < sizeof(ceilings) / sizeof(ceilings[0]); i++) {
            long d = kuryr_backoff_next(&b);
            assert_true(d >= ceilings[i] / 2);
            assert_true(d <= ceilings[i]);
        }
        assert_int_equal(b.failures, 7);
    }
    kuryr_backoff_reset(&b);
    assert_int_equal(b.failures, 0);
    assert_true(kuryr_backoff_next(&b) <= 100);
}

static void test_backoff_spreads(void **state)
{
    (void)state;
    /* Jitter exists: 100 first delays are not all the same value. */
    kuryr_backoff b;
    long first = -1;
    int different = 0;
    for (int i = 0; i < 100; i++) {
        kuryr_backoff_init(&b, 10000, 60000);
        long d = kuryr_backoff_next(&b);
        if (first < 0)
            first = d;
        different += d != first;
    }
    assert_true(different > 0);
}

static void test_odd_bounds(void **state)
{
    (void)state;
    kuryr_backoff b;
    kuryr_backoff_init(&b, 0, 0); /* nonsense in, still a sane backoff */
    for (int i = 0; i < 10; i++) {
        long d = kuryr_backoff_next(&b);
        assert_true(d >= 0 && d <= 1);
    }
    kuryr_backoff_init(&b, 1L << 40, 1L << 41); /* no overflow near the top */
    for (int i = 0; i < 10; i++)
        assert_true(kuryr_backoff_next(&b) <= (1L << 41));
}

static void test_jitter_and_random(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        double j = kuryr_jitter(300, 1.0);
        assert_true(j >= 300 && j <= 600);
        double r = kuryr_rand_between(-2, 3);
        assert_true(r >= -2 && r <= 3);
    }
    double a = kuryr_mono_s();
    kuryr_sleep_ms(1);
    assert_true(kuryr_mono_s() >= a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff_doubles_caps_and_resets),
        cmocka_unit_test(test_backoff_spreads),
        cmocka_unit_test(test_odd_bounds),
        cmocka_unit_test(test_jitter_and_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
