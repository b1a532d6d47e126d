/* kuryr_grow: the daemon's arrays gain room one entry at a time, doubling, and an allocation that cannot be
 * made leaves the array as it was. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>

#include "kuryr/grow.h"

static void test_first_room_then_doubling(void **state)
{
    (void)state;
    int *v = NULL;
    size_t n = 0, cap = 0;
    for (int i = 0; i < 40; i++) {
        int *g = kuryr_grow(v, n, &cap, sizeof(*v));
        assert_non_null(g);
        v = g;
        v[n++] = i;
        assert_true(n <= cap);
    }
    assert_int_equal(cap, 64); /* 16, 32, 64 */
    for (int i = 0; i < 40; i++)
        assert_int_equal(v[i], i);
    free(v);
}

static void test_room_left_keeps_the_array(void **state)
{
    (void)state;
    size_t cap = 16;
    int *v = malloc(cap * sizeof(*v));
    assert_ptr_equal(kuryr_grow(v, 15, &cap, sizeof(*v)), v);
    assert_int_equal(cap, 16);
    free(v);
}

static void test_impossible_size_leaves_array_unchanged(void **state)
{
    (void)state;
    size_t cap = 16;
    char *v = malloc(cap);
    v[0] = 'k';
    assert_null(kuryr_grow(v, 16, &cap, SIZE_MAX / 16));
    assert_int_equal(cap, 16);
    assert_int_equal(v[0], 'k'); /* still ours to use and free */
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_room_then_doubling),
        cmocka_unit_test(test_room_left_keeps_the_array),
        cmocka_unit_test(test_impossible_size_leaves_array_unchanged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
