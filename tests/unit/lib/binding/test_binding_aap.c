/* Allowed-address-pair lists for nested macvlan/ipvlan: additions keep what is there and do not repeat,
 * removals take only the container's addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "binding_internal.h"

static kuryr_fixed_ip ips[] = { { .subnet_id = "s4", .ip_address = "10.0.0.5" },
                                { .subnet_id = "s6", .ip_address = "fd00::5" } };
static kuryr_port container = { .id = "c", .mac_address = "fa:16:3e:00:00:05", .fixed_ips = ips,
                                .n_fixed_ips = 2 };

static kuryr_port parent_with(kuryr_address_pair *pairs, size_t n)
{
    kuryr_port p;
    memset(&p, 0, sizeof(p));
    p.id = "vm";
    p.mac_address = "fa:16:3e:00:00:01";
    p.allowed_address_pairs = pairs;
    p.n_allowed_address_pairs = n;
    return p;
}

static const char *ip_at(json_t *l, size_t i)
{
    return json_string_value(json_object_get(json_array_get(l, i), "ip_address"));
}

static void test_with_appends_after_existing(void **state)
{
    (void)state;
    kuryr_address_pair pairs[] = { { .ip_address = "10.0.0.9", .mac_address = "fa:16:3e:00:00:09" } };
    kuryr_port parent = parent_with(pairs, 1);
    json_t *l = kb_aap_with(&parent, &container, container.mac_address);
    assert_non_null(l);
    assert_int_equal(json_array_size(l), 3);
    assert_string_equal(ip_at(l, 0), "10.0.0.9");
    assert_string_equal(ip_at(l, 1), "10.0.0.5");
    assert_string_equal(ip_at(l, 2), "fd00::5");
    assert_string_equal(json_string_value(json_object_get(json_array_get(l, 1), "mac_address")),
                        "fa:16:3e:00:00:05");
    json_decref(l);
}

static void test_with_is_null_when_present(void **state)
{
    (void)state;
    kuryr_address_pair pairs[] = { { .ip_address = "10.0.0.5/32", .mac_address = "FA:16:3E:00:00:05" },
                                   { .ip_address = "fd00::5", .mac_address = "fa:16:3e:00:00:05" } };
    kuryr_port parent = parent_with(pairs, 2);
    assert_null(kb_aap_with(&parent, &container, container.mac_address));
}

static void test_with_parent_mac_for_ipvlan(void **state)
{
    (void)state;
    /* Pairs without a MAC mean the parent's MAC, which is what an ipvlan device uses. */
    kuryr_address_pair pairs[] = { { .ip_address = "10.0.0.5" }, { .ip_address = "fd00::5" } };
    kuryr_port parent = parent_with(pairs, 2);
    assert_null(kb_aap_with(&parent, &container, parent.mac_address));
    json_t *l = kb_aap_with(&parent, &container, container.mac_address); /* different MAC: must be added */
    assert_non_null(l);
    assert_int_equal(json_array_size(l), 4);
    json_decref(l);
}

static void test_without_removes_only_container_ips(void **state)
{
    (void)state;
    kuryr_address_pair pairs[] = { { .ip_address = "10.0.0.9" },
                                   { .ip_address = "10.0.0.5", .mac_address = "fa:16:3e:00:00:05" },
                                   { .ip_address = "10.0.0.50" },
                                   { .ip_address = "fd00::5/128" } };
    kuryr_port parent = parent_with(pairs, 4);
    json_t *l = kb_aap_without(&parent, &container);
    assert_non_null(l);
    assert_int_equal(json_array_size(l), 2);
    assert_string_equal(ip_at(l, 0), "10.0.0.9");
    assert_string_equal(ip_at(l, 1), "10.0.0.50");
    assert_null(json_object_get(json_array_get(l, 0), "mac_address"));
    json_decref(l);
}

static void test_without_is_null_when_absent(void **state)
{
    (void)state;
    kuryr_address_pair pairs[] = { { .ip_address = "10.0.0.0/24" } };
    kuryr_port parent = parent_with(pairs, 1);
    assert_null(kb_aap_without(&parent, &container));
    kuryr_port empty = parent_with(NULL, 0);
    assert_null(kb_aap_without(&empty, &container));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_with_appends_after_existing),
        cmocka_unit_test(test_with_is_null_when_present),
        cmocka_unit_test(test_with_parent_mac_for_ipvlan),
        cmocka_unit_test(test_without_removes_only_container_ips),
        cmocka_unit_test(test_without_is_null_when_absent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
