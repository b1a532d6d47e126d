/* Address arithmetic: the gateway Neutron will pick (first host, v4 and v6), membership, overlap, and
 * carving blocks out of a default pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "addr.h"

static void test_first_host(void **state)
{
    (void)state;
    char out[KL_ADDR_STRLEN];
    assert_int_equal(kl_cidr_first_host("10.0.0.0/24", out, sizeof(out)), 0);
    assert_string_equal(out, "10.0.0.1");
    assert_int_equal(kl_cidr_first_host("10.0.5.77/16", out, sizeof(out)), 0); /* host bits ignored */
    assert_string_equal(out, "10.0.0.1");
    assert_int_equal(kl_cidr_first_host("10.0.0.255/31", out, sizeof(out)), 0);
    assert_string_equal(out, "10.0.0.255");
    assert_int_equal(kl_cidr_first_host("10.1.2.3/32", out, sizeof(out)), 0);
    assert_string_equal(out, "10.1.2.3");
    assert_int_equal(kl_cidr_first_host("fd00:1::/64", out, sizeof(out)), 0);
    assert_string_equal(out, "fd00:1::1");
    assert_int_equal(kl_cidr_first_host("fd00:0:0:ff::/56", out, sizeof(out)), 0);
    assert_string_equal(out, "fd00::1");
    assert_int_equal(kl_cidr_first_host("bogus", out, sizeof(out)), -1);
}

static void test_contains_overlaps(void **state)
{
    (void)state;
    assert_true(kl_cidr_contains("10.0.0.0/24", "10.0.0.200"));
    assert_false(kl_cidr_contains("10.0.0.0/24", "10.0.1.1"));
    assert_false(kl_cidr_contains("10.0.0.0/24", "fd00::1"));
    assert_true(kl_cidr_contains("fd00::/64", "fd00::abcd"));
    assert_true(kl_cidr_overlaps("10.0.0.0/16", "10.0.3.0/24"));
    assert_true(kl_cidr_overlaps("10.0.3.0/24", "10.0.0.0/16"));
    assert_false(kl_cidr_overlaps("10.0.3.0/24", "10.0.4.0/24"));
    assert_false(kl_cidr_overlaps("10.0.0.0/8", "fd00::/8"));
}

static void test_nth_subnet(void **state)
{
    (void)state;
    char out[KL_ADDR_STRLEN];
    assert_int_equal(kl_cidr_nth_subnet("10.0.0.0/16", 24, 0, out, sizeof(out)), 0);
    assert_string_equal(out, "10.0.0.0/24");
    assert_int_equal(kl_cidr_nth_subnet("10.0.0.0/16", 24, 3, out, sizeof(out)), 0);
    assert_string_equal(out, "10.0.3.0/24");
    assert_int_equal(kl_cidr_nth_subnet("10.0.0.0/16", 24, 255, out, sizeof(out)), 0);
    assert_string_equal(out, "10.0.255.0/24");
    assert_int_equal(kl_cidr_nth_subnet("10.0.0.0/16", 24, 256, out, sizeof(out)), -1);
    assert_int_equal(kl_cidr_nth_subnet("10.0.0.0/16", 8, 0, out, sizeof(out)), -1);
    assert_int_equal(kl_cidr_nth_subnet("10.0.0.0/16", 26, 5, out, sizeof(out)), 0);
    assert_string_equal(out, "10.0.1.64/26");
    assert_int_equal(kl_cidr_nth_subnet("fd00::/48", 64, 2, out, sizeof(out)), 0);
    assert_string_equal(out, "fd00:0:0:2::/64");
}

static void test_helpers(void **state)
{
    (void)state;
    char out[KL_ADDR_STRLEN];
    assert_int_equal(kl_addr_strip_prefix("10.0.0.5/24", out, sizeof(out)), 0);
    assert_string_equal(out, "10.0.0.5");
    assert_int_equal(kl_addr_strip_prefix("fd00::5", out, sizeof(out)), 0);
    assert_string_equal(out, "fd00::5");
    assert_int_equal(kl_cidr_prefixlen("fd00::/64"), 64);
    assert_int_equal(kl_cidr_prefixlen("nope"), -1);
    assert_true(kl_ip_equal("fd00::1", "fd00:0::1"));
    assert_false(kl_ip_equal("10.0.0.1", "10.0.0.2"));
    kl_cidr c;
    assert_int_equal(kl_cidr_parse("10.0.0.9/24", &c), 0);
    kl_cidr_format(&c, out, sizeof(out));
    assert_string_equal(out, "10.0.0.0/24");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_host),
        cmocka_unit_test(test_contains_overlaps),
        cmocka_unit_test(test_nth_subnet),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
