/* Upstream-compatible Neutron names and tags, PoolID encoding, and exposed-port range grouping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "names.h"
#include "portrange.h"

#define POOLSTR "8b4c2d1e-7f6a-4b3c-9d8e-1f2a3b4c5d6e"
#define NETID "0123456789abcdef0123456789abcdefFEDCBA9876543210fedcba9876543210"

static void test_names_and_tags(void **state)
{
    (void)state;
    char out[KL_NAME_LEN];
    kl_net_name(out, NETID);
    assert_string_equal(out, "kuryr-net-01234567");
    kl_tag_lh(out, NETID);
    assert_string_equal(out, "kuryr.net.uuid.lh:0123456789abcdef0123456789abcdef");
    kl_tag_uh(out, NETID);
    assert_string_equal(out, "kuryr.net.uuid.uh:FEDCBA9876543210fedcba9876543210");
    kl_tag_net_existing(out, NETID);
    assert_string_equal(out, "kuryr.net.existing:0123456789ab");
    kl_subnet_name(out, "10.0.0.0/24");
    assert_string_equal(out, "kuryr-subnet-10.0.0.0/24");
    kl_pool_name(out, "kuryrPool", "10.0.0.0/24");
    assert_string_equal(out, "kuryrPool-10.0.0.0/24");
    kl_endpoint_port_name(out, NETID);
    assert_string_equal(out, NETID "-port");
    kl_sg_name(out, "d7a2e1f6-5c3b-4a8e-9f0d-2b1c4e6a8d0f");
    assert_string_equal(out, "d7a2e1f6-5c3b-4a8e-9f0d-2b1c4e6a8d0f-exposed_ports");
}

static void test_pool_ids(void **state)
{
    (void)state;
    char id[KL_NAME_LEN], cidr[KL_NAME_LEN], out[KL_NAME_LEN];
    kl_pool_id_format(out, "8b4c2d1e-7f6a-4b3c-9d8e-1f2a3b4c5d6e", NULL);
    assert_string_equal(out, "8b4c2d1e-7f6a-4b3c-9d8e-1f2a3b4c5d6e");
    assert_int_equal(kl_pool_id_parse(out, id, cidr, NULL), 0);
    assert_string_equal(id, "8b4c2d1e-7f6a-4b3c-9d8e-1f2a3b4c5d6e");
    assert_string_equal(cidr, "");
    kl_pool_id_format(out, "8b4c2d1e-7f6a-4b3c-9d8e-1f2a3b4c5d6e", "fd00:0:0:2::/64");
    assert_int_equal(kl_pool_id_parse(out, id, cidr, NULL), 0);
    assert_string_equal(id, "8b4c2d1e-7f6a-4b3c-9d8e-1f2a3b4c5d6e");
    assert_string_equal(cidr, "fd00:0:0:2::/64");
    assert_int_equal(kl_pool_id_parse("", id, cidr, NULL), -1);
    assert_int_equal(kl_pool_id_parse("@10.0.0.0/24", id, cidr, NULL), -1);
    assert_int_equal(kl_pool_id_parse("abc@notacidr", id, cidr, NULL), -1);
    assert_int_equal(kl_pool_id_parse("x/../y", id, cidr, NULL), -1);
    assert_int_equal(kl_pool_id_parse("a b", id, cidr, NULL), -1);
    /* "/v2.0/subnetpools/.." is another URL */
    assert_int_equal(kl_pool_id_parse(".", id, cidr, NULL), -1);
    assert_int_equal(kl_pool_id_parse("..", id, cidr, NULL), -1);
    assert_int_equal(kl_pool_id_parse("..@10.0.0.0/24", id, cidr, NULL), -1);
    assert_int_equal(kl_pool_id_parse("subnet:..@10.0.0.0/24", id, cidr, NULL), -1);
    bool sub = false;
    assert_int_equal(kl_pool_id_parse("subnet:33333333-3333-4333-8333-333333333333@10.0.0.0/24", id, cidr, &sub), 0);
    assert_true(sub);
    assert_string_equal(id, "33333333-3333-4333-8333-333333333333");
    assert_string_equal(cidr, "10.0.0.0/24");
    assert_int_equal(kl_pool_id_parse("subnet:33333333-3333-4333-8333-333333333333", id, cidr, &sub), -1);
    assert_int_equal(kl_pool_id_parse(POOLSTR, id, cidr, &sub), 0);
    assert_false(sub);
}

static void test_port_ranges(void **state)
{
    (void)state;
    json_t *in = json_loads("[{\"Proto\":6,\"Port\":82},{\"Proto\":6,\"Port\":80},{\"Proto\":17,\"Port\":53},"
                            "{\"Proto\":6,\"Port\":81},{\"Proto\":6,\"Port\":443},{\"Proto\":6,\"Port\":80},"
                            "{\"Proto\":1,\"Port\":0},{\"Proto\":1,\"Port\":7}]",
                            0, NULL);
    kl_port_range *r;
    size_t n;
    kuryr_error err;
    assert_int_equal(kl_port_ranges(in, &r, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(r[0].proto, 1); /* icmp: one rule, no ports */
    assert_int_equal(r[0].min, 0);
    assert_int_equal(r[1].proto, 6);
    assert_int_equal(r[1].min, 80);
    assert_int_equal(r[1].max, 82);
    assert_int_equal(r[2].min, 443);
    assert_int_equal(r[2].max, 443);
    assert_int_equal(r[3].proto, 17);
    assert_int_equal(r[3].min, 53);
    free(r);
    json_decref(in);

    assert_int_equal(kl_port_ranges(NULL, &r, &n, &err), 0);
    assert_int_equal(n, 0);
    const char *bad[] = {"{}", "[{\"Proto\":6,\"Port\":0}]", "[{\"Proto\":6,\"Port\":70000}]",
                         "[{\"Proto\":47,\"Port\":1}]", "[{\"Proto\":\"6\",\"Port\":1}]", "[1]",
                         /* 6 + 2^32 and 17 + 2^32: no int cast may turn them into tcp and udp */
                         "[{\"Proto\":4294967302,\"Port\":1}]", "[{\"Proto\":4294967313,\"Port\":1}]"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        in = json_loads(bad[i], 0, NULL);
        assert_int_equal(kl_port_ranges(in, &r, &n, &err), -1);
        assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
        json_decref(in);
    }
    assert_string_equal(kl_proto_name(17), "udp");
    assert_null(kl_proto_name(47));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_and_tags),
        cmocka_unit_test(test_pool_ids),
        cmocka_unit_test(test_port_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
