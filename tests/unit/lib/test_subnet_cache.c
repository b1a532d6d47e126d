/* The subnet cache (kuryr/subnet_cache.h): what is put is handed out as a copy (changing it changes nothing
 * cached), a put replaces its key's entry, and entries go by key or with their network. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "kuryr/subnet_cache.h"

static const char *cidr_of(json_t *subnet)
{
    return json_string_value(json_object_get(subnet, "cidr"));
}

static void test_copies_in_and_out(void **state)
{
    (void)state;
    kuryr_subnet_cache *c = kuryr_subnet_cache_new();
    assert_non_null(c);
    json_t *s = json_pack("{s:s,s:s}", "id", "s1", "cidr", "10.0.0.0/24");
    kuryr_subnet_cache_put(c, "pool-a", "net-1", s);
    json_object_set_new(s, "cidr", json_string("10.9.9.0/24")); /* the caller's object is not the cached one */
    json_decref(s);
    json_t *got = kuryr_subnet_cache_get(c, "pool-a");
    assert_string_equal(cidr_of(got), "10.0.0.0/24");
    json_object_set_new(got, "cidr", json_string("10.8.8.0/24"));
    json_decref(got);
    got = kuryr_subnet_cache_get(c, "pool-a");
    assert_string_equal(cidr_of(got), "10.0.0.0/24");
    json_decref(got);
    assert_null(kuryr_subnet_cache_get(c, "pool-b"));
    kuryr_subnet_cache_free(c);
    kuryr_subnet_cache_free(NULL);
}

static void test_replace_and_drop(void **state)
{
    (void)state;
    kuryr_subnet_cache *c = kuryr_subnet_cache_new();
    json_t *a = json_pack("{s:s}", "cidr", "10.0.0.0/24"), *b = json_pack("{s:s}", "cidr", "10.0.1.0/24");
    kuryr_subnet_cache_put(c, "pool-a", "net-1", a);
    kuryr_subnet_cache_put(c, "pool-a", "net-1", b);
    json_t *got = kuryr_subnet_cache_get(c, "pool-a");
    assert_string_equal(cidr_of(got), "10.0.1.0/24");
    json_decref(got);
    kuryr_subnet_cache_put(c, "pool-b", "net-1", a);
    kuryr_subnet_cache_put(c, "pool-c", "net-2", a);
    kuryr_subnet_cache_drop_net(c, "net-1");
    assert_null(kuryr_subnet_cache_get(c, "pool-a"));
    assert_null(kuryr_subnet_cache_get(c, "pool-b"));
    got = kuryr_subnet_cache_get(c, "pool-c");
    assert_non_null(got);
    json_decref(got);
    kuryr_subnet_cache_drop(c, "pool-c");
    assert_null(kuryr_subnet_cache_get(c, "pool-c"));
    json_decref(a);
    json_decref(b);
    kuryr_subnet_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_copies_in_and_out),
        cmocka_unit_test(test_replace_and_drop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
