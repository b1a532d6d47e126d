/* Interface names: upstream's prefixes, the 14-character cut, never beyond IFNAMSIZ - 1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "kuryr/binding.h"

static void test_tap_and_container_names(void **state)
{
    (void)state;
    char n[KURYR_IFNAME_LEN];
    kuryr_ifname(n, "tap", "0123456789abcdef-0123-4567-89ab-cdef01234567");
    assert_string_equal(n, "tap0123456789a");
    kuryr_ifname(n, "t_c", "0123456789abcdef-0123-4567-89ab-cdef01234567");
    assert_string_equal(n, "t_c0123456789a");
    kuryr_ifname(n, "brq", "fedcba98-7654-3210-fedc-ba9876543210");
    assert_string_equal(n, "brqfedcba98-76");
    kuryr_ifname(n, "qvo", "fedcba98-7654-3210-fedc-ba9876543210");
    assert_string_equal(n, "qvofedcba98-76");
}

static void test_short_and_missing_ids(void **state)
{
    (void)state;
    char n[KURYR_IFNAME_LEN];
    kuryr_ifname(n, "tap", "abc");
    assert_string_equal(n, "tapabc");
    kuryr_ifname(n, "tap", NULL);
    assert_string_equal(n, "tap");
    kuryr_ifname(n, NULL, "abc");
    assert_string_equal(n, "abc");
}

static void test_never_beyond_ifnamsiz(void **state)
{
    (void)state;
    char n[KURYR_IFNAME_LEN + 8];
    memset(n, 'X', sizeof(n));
    kuryr_ifname(n, "a-very-long-prefix-indeed", "and-a-long-id-too-0123456789");
    assert_true(strlen(n) <= 14);
    assert_int_equal(n[15], 'X'); /* nothing written past the terminator's slot */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tap_and_container_names),
        cmocka_unit_test(test_short_and_missing_ids),
        cmocka_unit_test(test_never_beyond_ifnamsiz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
