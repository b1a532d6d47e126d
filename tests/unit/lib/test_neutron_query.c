/* List query encoding (repeated keys, fields, limit, escaping) and the URL helpers behind paths and paging. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "kuryr/neutron.h"
#include "neutron_internal.h"

static void test_empty(void **state)
{
    (void)state;
    assert_string_equal(kuryr_query_string(NULL), "");
    kuryr_query *q = kuryr_query_new();
    assert_non_null(q);
    assert_string_equal(kuryr_query_string(q), "");
    kuryr_query_limit(q, 0);
    assert_string_equal(kuryr_query_string(q), "");
    kuryr_query_free(q);
    kuryr_query_free(NULL);
}

static void test_repeated_keys(void **state)
{
    (void)state;
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "fixed_ips", "subnet_id=54d6f61d");
    kuryr_query_add(q, "fixed_ips", "ip_address=10.10.0.23");
    kuryr_query_add(q, "network_id", "4e8e5957");
    assert_string_equal(kuryr_query_string(q),
                        "fixed_ips=subnet_id%3D54d6f61d&fixed_ips=ip_address%3D10.10.0.23&network_id=4e8e5957");
    kuryr_query_free(q);
}

static void test_fields_and_limit(void **state)
{
    (void)state;
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "name", "kuryr-unbound-port");
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "fixed_ips");
    kuryr_query_limit(q, 50);
    assert_string_equal(kuryr_query_string(q), "name=kuryr-unbound-port&fields=id&fields=fixed_ips&limit=50");
    kuryr_query_limit(q, 2);  /* replaces, not appends */
    assert_string_equal(kuryr_query_string(q), "name=kuryr-unbound-port&fields=id&fields=fixed_ips&limit=2");
    kuryr_query_limit(q, -1);
    assert_string_equal(kuryr_query_string(q), "name=kuryr-unbound-port&fields=id&fields=fixed_ips");
    kuryr_query_free(q);

    q = kuryr_query_new();
    kuryr_query_limit(q, 1000);
    assert_string_equal(kuryr_query_string(q), "limit=1000");
    kuryr_query_free(q);
}

static void test_escaping(void **state)
{
    (void)state;
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "tags", "kuryr.net.uuid.lh:8e2b5f1c,kuryr.net.uuid.uh:9f8e7d6c");
    kuryr_query_add(q, "name", "kuryr-subnet-10.10.0.0/24");
    kuryr_query_add(q, "description", "a b&c=d?e#f%g+h");
    kuryr_query_add(q, "odd key", "");
    kuryr_query_add(q, "name", "caf\xc3\xa9");
    assert_string_equal(kuryr_query_string(q),
                        "tags=kuryr.net.uuid.lh%3A8e2b5f1c%2Ckuryr.net.uuid.uh%3A9f8e7d6c"
                        "&name=kuryr-subnet-10.10.0.0%2F24"
                        "&description=a%20b%26c%3Dd%3Fe%23f%25g%2Bh"
                        "&odd%20key="
                        "&name=caf%C3%A9");
    kuryr_query_free(q);
}

static void test_string_follows_changes(void **state)
{
    (void)state;
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "a", "1");
    assert_string_equal(kuryr_query_string(q), "a=1");
    for (int i = 0; i < 40; i++)  /* past the first growth of the part array */
        kuryr_query_add(q, "b", "2");
    const char *s = kuryr_query_string(q);
    assert_int_equal(strlen(s), 3 + 40 * 4);
    kuryr_query_free(q);
    /* calls on a NULL query are harmless */
    kuryr_query_add(NULL, "a", "b");
    kuryr_query_field(NULL, "id");
    kuryr_query_limit(NULL, 3);
}

static void test_escape_helper(void **state)
{
    (void)state;
    char *s = kn_escape("kuryr.net.existing:8e2b5f1c0d9a/x y");
    assert_string_equal(s, "kuryr.net.existing%3A8e2b5f1c0d9a%2Fx%20y");
    free(s);
    s = kn_escape("AZaz09-._~");
    assert_string_equal(s, "AZaz09-._~");
    free(s);
    s = kn_escape(NULL);
    assert_string_equal(s, "");
    free(s);
}

static void test_href_to_path(void **state)
{
    (void)state;
    char *p = kn_href_to_path("http://controller:9696/v2.0/networks?limit=2&marker=abc");
    assert_string_equal(p, "/v2.0/networks?limit=2&marker=abc");
    free(p);
    p = kn_href_to_path("https://cloud.example:443/networking/v2.0/ports?limit=1&marker=p");
    assert_string_equal(p, "/v2.0/ports?limit=1&marker=p");
    free(p);
    p = kn_href_to_path("/v2.0/trunks?marker=t");
    assert_string_equal(p, "/v2.0/trunks?marker=t");
    free(p);
    assert_null(kn_href_to_path("http://controller:9696"));
    assert_null(kn_href_to_path(""));
    assert_null(kn_href_to_path(NULL));
}

static void test_collection_names(void **state)
{
    (void)state;
    assert_true(kn_collection_valid("networks"));
    assert_true(kn_collection_valid("security-groups"));
    assert_true(kn_collection_valid("security_group_rules"));
    assert_false(kn_collection_valid("ports/../networks"));
    assert_false(kn_collection_valid("ports?x=1"));
    assert_false(kn_collection_valid("Ports"));
    assert_false(kn_collection_valid(""));
    assert_false(kn_collection_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_repeated_keys),
        cmocka_unit_test(test_fields_and_limit),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_string_follows_changes),
        cmocka_unit_test(test_escape_helper),
        cmocka_unit_test(test_href_to_path),
        cmocka_unit_test(test_collection_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
