/* daemon/record.c: the attachment record in a host link's ifalias: written and read back, only this node's,
 * and nothing that merely looks like one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "record.h"

static kd_record sample(void)
{
    kd_record r = {0};
    strcpy(r.container_id, "0123456789abcdef");
    strcpy(r.ifname, "eth0");
    strcpy(r.port_id, "0f6ae2b4-8e57-4c1c-9a64-d2f11e9d1a3b");
    strcpy(r.kind, "bridge");
    strcpy(r.mac, "fa:16:3e:00:00:01");
    return r;
}

static void test_round_trip(void **state)
{
    (void)state;
    kd_record r = sample(), back;
    char alias[256];
    assert_int_equal(kd_record_format(alias, "node-1", &r), 0);
    assert_string_equal(alias, "kuryr.cni:node-1 0123456789abcdef eth0 0f6ae2b4-8e57-4c1c-9a64-d2f11e9d1a3b "
                               "bridge fa:16:3e:00:00:01");
    assert_int_equal(kd_record_parse(alias, "node-1", &back), 0);
    assert_string_equal(back.container_id, r.container_id);
    assert_string_equal(back.ifname, "eth0");
    assert_string_equal(back.port_id, r.port_id);
    assert_string_equal(back.kind, "bridge");
    assert_string_equal(back.mac, r.mac);
    /* the longest fields still fit the kernel's 255 characters */
    memset(r.container_id, 'c', KD_CONTAINER_ID_MAX);
    r.container_id[KD_CONTAINER_ID_MAX] = '\0';
    strcpy(r.ifname, "abcdefghijklmno");
    strcpy(r.kind, "ovs_hybrid");
    char node[KD_NODE_MAX + 1];
    memset(node, 'n', KD_NODE_MAX);
    node[KD_NODE_MAX] = '\0';
    assert_int_equal(kd_record_format(alias, node, &r), 0);
    assert_true(strlen(alias) <= 255);
    assert_int_equal(kd_record_parse(alias, node, &back), 0);
    assert_string_equal(back.container_id, r.container_id);
}

static void test_other_nodes_and_owners(void **state)
{
    (void)state;
    kd_record r = sample(), back;
    char alias[256];
    assert_int_equal(kd_record_format(alias, "node-1", &r), 0);
    assert_int_equal(kd_record_parse(alias, "node-2", &back), -1);
    assert_int_equal(kd_record_parse(alias, "node", &back), -1);
    /* kuryr-libnetwork's owner marker and others' aliases are no records */
    assert_int_equal(kd_record_parse("kuryr.host:node-1", "node-1", &back), -1);
    assert_int_equal(kd_record_parse("", "node-1", &back), -1);
}

static void test_malformed(void **state)
{
    (void)state;
    kd_record back;
    static const char *const bad[] = {
        "kuryr.cni:node-1 c1 eth0 p1 bridge",                       /* a field short */
        "kuryr.cni:node-1 c1 eth0 p1 bridge fa:16:3e:00:00:01 x",   /* one too many */
        "kuryr.cni:node-1 c1 eth0 p1 vhost fa:16:3e:00:00:01",      /* unknown kind */
        "kuryr.cni:node-1 c1 eth0123456789abcdef p1 bridge fa:16:3e:00:00:01", /* ifname too long: would split */
        "kuryr.cni:node-1  c1 eth0 p1 bridge fa:16:3e:00:00:01",    /* not as written */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(kd_record_parse(bad[i], "node-1", &back), -1);
    kd_record r = sample();
    char alias[256];
    strcpy(r.port_id, "a b");
    assert_int_equal(kd_record_format(alias, "node-1", &r), -1);
    r = sample();
    assert_int_equal(kd_record_format(alias, "node 1", &r), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_other_nodes_and_owners),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
