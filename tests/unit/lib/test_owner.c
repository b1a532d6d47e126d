/* Ownership markers (kuryr/owner.h): their shape, and telling this host's from another's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>
#include <unistd.h>

#include "kuryr/owner.h"

static void test_marker_shape(void **state)
{
    (void)state;
    char m[KURYR_OWNER_LEN];
    kuryr_owner_marker(m, KURYR_OWNER_HOST, "node1");
    assert_string_equal(m, "kuryr.host:node1");
    kuryr_owner_marker(m, KURYR_OWNER_CLUSTER, "prod");
    assert_string_equal(m, "kuryr.cluster:prod");
    assert_true(kuryr_owner_is("kuryr.host:node1", KURYR_OWNER_HOST, "node1"));
    assert_false(kuryr_owner_is("kuryr.host:node10", KURYR_OWNER_HOST, "node1"));
    assert_false(kuryr_owner_is("kuryr.host:node1", KURYR_OWNER_CLUSTER, "node1"));
    assert_false(kuryr_owner_is("kuryr.hostx:node1", KURYR_OWNER_HOST, "node1"));
    assert_false(kuryr_owner_is(NULL, KURYR_OWNER_HOST, "node1"));
    assert_false(kuryr_owner_is_kind("kuryr.host:", KURYR_OWNER_HOST)); /* no name: no one's */
    assert_true(kuryr_owner_is_kind("kuryr.host:x", KURYR_OWNER_HOST));
}

static void test_tags(void **state)
{
    (void)state;
    char *items[] = {"compute:kuryr", "kuryr.host:node1", "kuryr.host:node2", "kuryr.host:node3", NULL};
    kuryr_strv tags = {.items = items, .n = 4};
    assert_true(kuryr_owner_tagged(&tags, KURYR_OWNER_HOST, "node2"));
    assert_false(kuryr_owner_tagged(&tags, KURYR_OWNER_HOST, "node4"));
    assert_int_equal(kuryr_owner_others(&tags, KURYR_OWNER_HOST, "node1"), 2);
    assert_int_equal(kuryr_owner_others(&tags, KURYR_OWNER_HOST, "node4"), 3);
    assert_true(kuryr_owner_any(&tags, KURYR_OWNER_HOST));
    assert_false(kuryr_owner_any(&tags, KURYR_OWNER_CLUSTER));
    kuryr_strv none = {0};
    assert_int_equal(kuryr_owner_others(&none, KURYR_OWNER_HOST, "node1"), 0);
}

static void test_host_name(void **state)
{
    (void)state;
    char h[KURYR_OWNER_LEN], k[KURYR_OWNER_LEN] = "";
    kuryr_config *cfg = kuryr_config_new();
    kuryr_owner_host(cfg, h); /* empty [DEFAULT] host: the kernel's name */
    gethostname(k, sizeof(k) - 1);
    assert_string_equal(h, k[0] ? k : "localhost");
    char msg[256];
    assert_int_equal(kuryr_config_set(cfg, "DEFAULT", "host", "rig-b", msg, sizeof(msg)), 0);
    kuryr_owner_host(cfg, h);
    assert_string_equal(h, "rig-b");
    kuryr_config_free(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_marker_shape),
        cmocka_unit_test(test_tags),
        cmocka_unit_test(test_host_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
