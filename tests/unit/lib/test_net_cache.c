/* The network mapping cache (kuryr/net_cache.h): a put is found again under its key and only there, a second
 * put replaces the entry, a drop forgets it, and many keys grow the cache without losing one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kuryr/net_cache.h"

static void test_put_get_replace_drop(void **state)
{
    (void)state;
    kuryr_net_cache *c = kuryr_net_cache_new();
    assert_non_null(c);
    kuryr_net_entry e = {.net_id = "n1", .mtu = 1450}, out;
    assert_false(kuryr_net_cache_get(c, "docker-a", &out));
    kuryr_net_cache_put(c, "docker-a", &e);
    assert_true(kuryr_net_cache_get(c, "docker-a", &out));
    assert_string_equal(out.net_id, "n1");
    assert_int_equal(out.mtu, 1450);
    assert_false(out.adopted);
    assert_false(kuryr_net_cache_get(c, "docker-b", &out));
    kuryr_net_entry e2 = {.net_id = "n2", .mtu = 1500, .adopted = true};
    kuryr_net_cache_put(c, "docker-a", &e2);
    assert_true(kuryr_net_cache_get(c, "docker-a", &out));
    assert_string_equal(out.net_id, "n2");
    assert_true(out.adopted);
    kuryr_net_cache_drop(c, "docker-a");
    assert_false(kuryr_net_cache_get(c, "docker-a", &out));
    kuryr_net_cache_drop(c, "never-there");
    kuryr_net_cache_free(c);
    kuryr_net_cache_free(NULL);
}

static void test_many_keys(void **state)
{
    (void)state;
    kuryr_net_cache *c = kuryr_net_cache_new();
    char key[32];
    for (int i = 0; i < 100; i++) {
        kuryr_net_entry e = {.mtu = i};
        snprintf(e.net_id, sizeof(e.net_id), "net-%d", i);
        snprintf(key, sizeof(key), "k%d", i);
        kuryr_net_cache_put(c, key, &e);
    }
    for (int i = 0; i < 100; i++) {
        kuryr_net_entry out;
        snprintf(key, sizeof(key), "k%d", i);
        assert_true(kuryr_net_cache_get(c, key, &out));
        assert_int_equal(out.mtu, i);
    }
    kuryr_net_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_get_replace_drop),
        cmocka_unit_test(test_many_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
