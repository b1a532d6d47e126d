/* libkuryr's Neutron client against the real neutron-server of scripts/stack: CRUD and filters for networks,
 * subnets, subnetpools, ports (bound to this host, turning ACTIVE once a tap is plugged), security groups and
 * rules, tags, trunks with subports, and the error kinds of real 404, 409 and 400 answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "itest.h"

static itest_env env;

static int teardown(void **state)
{
    (void)state;
    itest_cleanup(&env);
    return 0;
}

static kuryr_network *make_network(const char *name)
{
    json_t *attrs = json_pack("{s:s}", "name", name);
    kuryr_network *net = NULL;
    kuryr_error err = {0};
    int rc = kuryr_neutron_network_create(env.kn, attrs, &net, &err);
    json_decref(attrs);
    if (rc != 0)
        fail_msg("network create: %s", err.message);
    itest_track("networks", net->id);
    return net;
}

static kuryr_subnet *make_subnet(const char *net_id, const char *cidr)
{
    json_t *attrs = json_pack("{s:s, s:i, s:s, s:s}", "network_id", net_id, "ip_version", 4, "cidr", cidr, "name",
                              itest_name("itest-subnet"));
    kuryr_subnet *sub = NULL;
    kuryr_error err = {0};
    int rc = kuryr_neutron_subnet_create(env.kn, attrs, &sub, &err);
    json_decref(attrs);
    if (rc != 0)
        fail_msg("subnet create: %s", err.message);
    itest_track("subnets", sub->id);
    return sub;
}

static kuryr_port *make_port(json_t *attrs)
{
    kuryr_port *port = NULL;
    kuryr_error err = {0};
    int rc = kuryr_neutron_port_create(env.kn, attrs, &port, &err);
    json_decref(attrs);
    if (rc != 0)
        fail_msg("port create: %s", err.message);
    itest_track("ports", port->id);
    return port;
}

static void test_network_crud_filters_and_tags(void **state)
{
    (void)state;
    kuryr_error err = {0};
    char name[64];
    snprintf(name, sizeof name, "%s", itest_name("itest-net"));
    kuryr_network *net = make_network(name);

    kuryr_network *got = NULL;
    assert_int_equal(kuryr_neutron_network_get(env.kn, net->id, &got, &err), 0);
    assert_string_equal(got->name, name);
    assert_true(got->mtu > 0);
    kuryr_network_free(got);

    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "name", name);
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "name");
    kuryr_network_list list = {0};
    assert_int_equal(kuryr_neutron_network_list(env.kn, q, &list, &err), 0);
    assert_int_equal(list.n, 1);
    assert_string_equal(list.items[0]->id, net->id);
    kuryr_network_list_clear(&list);
    kuryr_query_free(q);

    json_t *attrs = json_pack("{s:s}", "name", "itest-renamed");
    kuryr_network *upd = NULL;
    assert_int_equal(kuryr_neutron_network_update(env.kn, net->id, attrs, &upd, &err), 0);
    json_decref(attrs);
    assert_string_equal(upd->name, "itest-renamed");
    kuryr_network_free(upd);

    assert_int_equal(kuryr_neutron_tag_add(env.kn, "networks", net->id, "itest.a", &err), 0);
    assert_int_equal(kuryr_neutron_tag_add(env.kn, "networks", net->id, "itest.b", &err), 0);
    assert_int_equal(kuryr_neutron_tag_add(env.kn, "networks", net->id, "itest.b", &err), 0);
    q = kuryr_query_new();
    kuryr_query_add(q, "tags", "itest.a,itest.b");
    kuryr_query_add(q, "id", net->id);
    assert_int_equal(kuryr_neutron_network_list(env.kn, q, &list, &err), 0);
    assert_int_equal(list.n, 1);
    kuryr_network_list_clear(&list);
    kuryr_query_free(q);

    assert_int_equal(kuryr_neutron_tag_remove(env.kn, "networks", net->id, "itest.a", &err), 0);
    assert_int_equal(kuryr_neutron_tag_remove(env.kn, "networks", net->id, "itest.missing", &err), 0);
    assert_int_equal(kuryr_neutron_network_get(env.kn, net->id, &got, &err), 0);
    assert_false(kuryr_strv_contains(&got->tags, "itest.a"));
    assert_true(kuryr_strv_contains(&got->tags, "itest.b"));
    kuryr_network_free(got);

    const char *tags[] = {"itest.x", "itest.y"};
    assert_int_equal(kuryr_neutron_tags_replace(env.kn, "networks", net->id, tags, 2, &err), 0);
    assert_int_equal(kuryr_neutron_network_get(env.kn, net->id, &got, &err), 0);
    assert_int_equal(got->tags.n, 2);
    assert_true(kuryr_strv_contains(&got->tags, "itest.y"));
    kuryr_network_free(got);

    assert_int_equal(kuryr_neutron_network_delete(env.kn, net->id, &err), 0);
    itest_untrack(net->id);
    assert_int_equal(kuryr_neutron_network_get(env.kn, net->id, &got, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_int_equal(kuryr_neutron_network_delete(env.kn, net->id, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    kuryr_network_free(net);
}

static void test_subnetpool_and_subnet_from_it(void **state)
{
    (void)state;
    kuryr_error err = {0};
    json_t *attrs = json_pack("{s:s, s:[s], s:i}", "name", itest_name("itest-pool"), "prefixes", "10.77.0.0/16",
                              "default_prefixlen", 26);
    kuryr_subnetpool *pool = NULL;
    assert_int_equal(kuryr_neutron_subnetpool_create(env.kn, attrs, &pool, &err), 0);
    json_decref(attrs);
    itest_track("subnetpools", pool->id);
    assert_int_equal(pool->default_prefixlen, 26);
    assert_int_equal(pool->ip_version, 4);
    assert_true(kuryr_strv_contains(&pool->prefixes, "10.77.0.0/16"));

    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "name", "kuryr");
    kuryr_subnetpool_list pools = {0};
    assert_int_equal(kuryr_neutron_subnetpool_list(env.kn, q, &pools, &err), 0);
    assert_int_equal(pools.n, 1);
    assert_true(pools.items[0]->shared);
    kuryr_subnetpool_list_clear(&pools);
    kuryr_query_free(q);

    attrs = json_pack("{s:s}", "description", "itest pool");
    kuryr_subnetpool *upd = NULL;
    assert_int_equal(kuryr_neutron_subnetpool_update(env.kn, pool->id, attrs, &upd, &err), 0);
    json_decref(attrs);
    assert_true(upd->revision_number > pool->revision_number);
    kuryr_subnetpool_free(upd);

    kuryr_network *net = make_network(itest_name("itest-net"));
    attrs = json_pack("{s:s, s:i, s:s, s:i}", "network_id", net->id, "ip_version", 4, "subnetpool_id", pool->id,
                      "prefixlen", 28);
    kuryr_subnet *sub = NULL;
    assert_int_equal(kuryr_neutron_subnet_create(env.kn, attrs, &sub, &err), 0);
    json_decref(attrs);
    itest_track("subnets", sub->id);
    assert_string_equal(sub->subnetpool_id, pool->id);
    assert_memory_equal(sub->cidr, "10.77.", 6);
    assert_non_null(strstr(sub->cidr, "/28"));
    assert_true(sub->enable_dhcp);

    q = kuryr_query_new();
    kuryr_query_add(q, "network_id", net->id);
    kuryr_subnet_list subs = {0};
    assert_int_equal(kuryr_neutron_subnet_list(env.kn, q, &subs, &err), 0);
    assert_int_equal(subs.n, 1);
    assert_string_equal(subs.items[0]->id, sub->id);
    kuryr_subnet_list_clear(&subs);
    kuryr_query_free(q);

    attrs = json_pack("{s:s}", "name", "itest-subnet-renamed");
    kuryr_subnet *supd = NULL;
    assert_int_equal(kuryr_neutron_subnet_update(env.kn, sub->id, attrs, &supd, &err), 0);
    json_decref(attrs);
    assert_string_equal(supd->name, "itest-subnet-renamed");
    kuryr_subnet_free(supd);

    kuryr_subnet *got = NULL;
    assert_int_equal(kuryr_neutron_subnet_get(env.kn, sub->id, &got, &err), 0);
    assert_string_equal(got->cidr, sub->cidr);
    kuryr_subnet_free(got);
    kuryr_subnet_free(sub);
    kuryr_network_free(net);
    kuryr_subnetpool_free(pool);
}

static void test_bound_port_turns_active_when_plugged(void **state)
{
    (void)state;
    kuryr_error err = {0};
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    kuryr_network *net = make_network(itest_name("itest-net"));
    kuryr_subnet *sub = make_subnet(net->id, "10.78.0.0/24");
    kuryr_port *port = make_port(json_pack("{s:s, s:s, s:s, s:s, s:s}", "network_id", net->id, "name",
                                           itest_name("itest-port"), "binding:host_id", host, "device_owner",
                                           "compute:kuryr", "device_id", itest_name("itest-endpoint")));
    bool ovn = strcmp(env.backend, "ovn") == 0;
    assert_string_equal(port->binding_host_id, host);
    assert_string_equal(port->binding_vif_type, ovn ? "ovs" : "bridge");
    assert_int_equal(port->n_fixed_ips, 1);
    assert_string_equal(port->fixed_ips[0].subnet_id, sub->id);
    assert_memory_equal(port->fixed_ips[0].ip_address, "10.78.0.", 8);
    assert_string_equal(port->status, "DOWN");

    assert_int_equal(itest_plug_tap(&env, port->id, net->id, port->mac_address), 0);
    assert_int_equal(itest_wait_port_status(&env, port->id, "ACTIVE"), 0);

    if (!ovn) {
        kuryr_query *q = kuryr_query_new();
        kuryr_query_add(q, "network_id", net->id);
        kuryr_query_add(q, "device_owner", "network:dhcp");
        kuryr_port_list dhcp = {0};
        assert_int_equal(kuryr_neutron_port_list(env.kn, q, &dhcp, &err), 0);
        assert_true(dhcp.n >= 1);
        kuryr_port_list_clear(&dhcp);
        kuryr_query_free(q);
    }

    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "network_id", net->id);
    kuryr_query_add(q, "device_owner", "compute:kuryr");
    char fip[128];
    snprintf(fip, sizeof fip, "subnet_id=%s", sub->id);
    kuryr_query_add(q, "fixed_ips", fip);
    snprintf(fip, sizeof fip, "ip_address=%s", port->fixed_ips[0].ip_address);
    kuryr_query_add(q, "fixed_ips", fip);
    kuryr_port_list mine = {0};
    assert_int_equal(kuryr_neutron_port_list(env.kn, q, &mine, &err), 0);
    assert_int_equal(mine.n, 1);
    assert_string_equal(mine.items[0]->id, port->id);
    kuryr_port_list_clear(&mine);
    kuryr_query_free(q);

    json_t *attrs = json_pack("{s:s}", "name", "itest-port-renamed");
    kuryr_port *upd = NULL;
    assert_int_equal(kuryr_neutron_port_update(env.kn, port->id, attrs, &upd, &err), 0);
    json_decref(attrs);
    assert_string_equal(upd->name, "itest-port-renamed");
    kuryr_port_free(upd);
    kuryr_port_free(port);
    kuryr_subnet_free(sub);
    kuryr_network_free(net);
}

static void test_security_group_and_rules(void **state)
{
    (void)state;
    kuryr_error err = {0};
    json_t *attrs = json_pack("{s:s, s:s}", "name", itest_name("itest-sg"), "description", "itest");
    kuryr_security_group *sg = NULL;
    assert_int_equal(kuryr_neutron_security_group_create(env.kn, attrs, &sg, &err), 0);
    json_decref(attrs);
    itest_track("security-groups", sg->id);
    assert_true(sg->n_rules >= 2); /* default egress rules for IPv4 and IPv6 */

    attrs = json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s}", "security_group_id", sg->id, "direction", "ingress",
                      "ethertype", "IPv4", "protocol", "tcp", "port_range_min", 80, "port_range_max", 81,
                      "remote_ip_prefix", "10.0.0.0/8");
    kuryr_sg_rule *rule = NULL;
    assert_int_equal(kuryr_neutron_sg_rule_create(env.kn, attrs, &rule, &err), 0);
    json_decref(attrs);
    itest_track("security-group-rules", rule->id);
    assert_string_equal(rule->protocol, "tcp");
    assert_int_equal(rule->port_range_min, 80);
    assert_int_equal(rule->port_range_max, 81);
    assert_string_equal(rule->remote_ip_prefix, "10.0.0.0/8");

    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "security_group_id", sg->id);
    kuryr_query_add(q, "direction", "ingress");
    kuryr_sg_rule_list rules = {0};
    assert_int_equal(kuryr_neutron_sg_rule_list(env.kn, q, &rules, &err), 0);
    assert_int_equal(rules.n, 1);
    assert_string_equal(rules.items[0]->id, rule->id);
    kuryr_sg_rule_list_clear(&rules);

    attrs = json_pack("{s:s}", "description", "itest changed");
    kuryr_security_group *upd = NULL;
    assert_int_equal(kuryr_neutron_security_group_update(env.kn, sg->id, attrs, &upd, &err), 0);
    json_decref(attrs);
    assert_string_equal(upd->description, "itest changed");
    kuryr_security_group_free(upd);
    assert_int_equal(kuryr_neutron_tag_add(env.kn, "security-groups", sg->id, "itest.sg", &err), 0);
    kuryr_security_group *got = NULL;
    assert_int_equal(kuryr_neutron_security_group_get(env.kn, sg->id, &got, &err), 0);
    assert_true(kuryr_strv_contains(&got->tags, "itest.sg"));
    kuryr_security_group_free(got);

    assert_int_equal(kuryr_neutron_sg_rule_delete(env.kn, rule->id, &err), 0);
    itest_untrack(rule->id);
    assert_int_equal(kuryr_neutron_sg_rule_list(env.kn, q, &rules, &err), 0);
    assert_int_equal(rules.n, 0);
    kuryr_sg_rule_list_clear(&rules);
    kuryr_query_free(q);
    kuryr_sg_rule_free(rule);
    kuryr_security_group_free(sg);
}

static void test_trunk_with_subports(void **state)
{
    (void)state;
    kuryr_error err = {0};
    kuryr_network *net = make_network(itest_name("itest-net"));
    kuryr_subnet *sub = make_subnet(net->id, "10.78.1.0/24");
    kuryr_port *parent = make_port(json_pack("{s:s, s:s}", "network_id", net->id, "name", itest_name("itest-parent")));
    kuryr_port *child = make_port(json_pack("{s:s, s:s}", "network_id", net->id, "name", itest_name("itest-child")));

    json_t *attrs = json_pack("{s:s, s:s}", "port_id", parent->id, "name", itest_name("itest-trunk"));
    kuryr_trunk *trunk = NULL;
    assert_int_equal(kuryr_neutron_trunk_create(env.kn, attrs, &trunk, &err), 0);
    json_decref(attrs);
    itest_track("trunks", trunk->id);
    assert_string_equal(trunk->port_id, parent->id);
    assert_int_equal(trunk->n_sub_ports, 0);

    kuryr_subport sp = {.port_id = child->id, .segmentation_type = "vlan", .segmentation_id = 101};
    kuryr_trunk *after = NULL;
    assert_int_equal(kuryr_neutron_trunk_add_subports(env.kn, trunk->id, &sp, 1, &after, &err), 0);
    assert_int_equal(after->n_sub_ports, 1);
    assert_string_equal(after->sub_ports[0].port_id, child->id);
    assert_int_equal(after->sub_ports[0].segmentation_id, 101);
    kuryr_trunk_free(after);

    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "port_id", parent->id);
    kuryr_trunk_list trunks = {0};
    assert_int_equal(kuryr_neutron_trunk_list(env.kn, q, &trunks, &err), 0);
    assert_int_equal(trunks.n, 1);
    assert_int_equal(trunks.items[0]->n_sub_ports, 1);
    kuryr_trunk_list_clear(&trunks);
    kuryr_query_free(q);

    const char *ids[] = {child->id};
    after = NULL;
    assert_int_equal(kuryr_neutron_trunk_remove_subports(env.kn, trunk->id, ids, 1, &after, &err), 0);
    assert_int_equal(after->n_sub_ports, 0);
    kuryr_trunk_free(after);

    kuryr_trunk *got = NULL;
    assert_int_equal(kuryr_neutron_trunk_get(env.kn, trunk->id, &got, &err), 0);
    assert_int_equal(got->n_sub_ports, 0);
    kuryr_trunk_free(got);
    kuryr_trunk_free(trunk);
    kuryr_port_free(child);
    kuryr_port_free(parent);
    kuryr_subnet_free(sub);
    kuryr_network_free(net);
}

static void test_error_kinds(void **state)
{
    (void)state;
    kuryr_error err = {0};
    kuryr_network *none = NULL;
    assert_int_equal(kuryr_neutron_network_get(env.kn, "00000000-0000-4000-8000-000000000000", &none, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_int_equal(err.http_status, 404);

    kuryr_network *net = make_network(itest_name("itest-net"));
    kuryr_subnet *sub = make_subnet(net->id, "10.79.0.0/24");
    kuryr_port *first = make_port(json_pack("{s:s, s:[{s:s, s:s}]}", "network_id", net->id, "fixed_ips", "subnet_id",
                                            sub->id, "ip_address", "10.79.0.50"));
    json_t *attrs = json_pack("{s:s, s:[{s:s, s:s}]}", "network_id", net->id, "fixed_ips", "subnet_id", sub->id,
                              "ip_address", "10.79.0.50");
    kuryr_port *second = NULL;
    kuryr_error_clear(&err);
    int rc = kuryr_neutron_port_create(env.kn, attrs, &second, &err);
    json_decref(attrs);
    if (rc == 0)
        itest_track("ports", second->id);
    assert_int_equal(rc, -1);
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_int_equal(err.http_status, 409);
    assert_string_equal(err.type, "IpAddressAlreadyAllocated");

    attrs = json_pack("{s:s, s:i, s:s}", "network_id", net->id, "ip_version", 4, "cidr", "not-a-cidr");
    kuryr_subnet *bad = NULL;
    kuryr_error_clear(&err);
    rc = kuryr_neutron_subnet_create(env.kn, attrs, &bad, &err);
    json_decref(attrs);
    if (rc == 0)
        itest_track("subnets", bad->id);
    assert_int_equal(rc, -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_int_equal(err.http_status, 400);
    kuryr_port_free(first);
    kuryr_subnet_free(sub);
    kuryr_network_free(net);
}

int main(void)
{
    int rc = itest_open(&env);
    if (rc != 0) {
        itest_close(&env);
        return rc == ITEST_SKIP ? ITEST_SKIP : 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_network_crud_filters_and_tags, teardown),
        cmocka_unit_test_teardown(test_subnetpool_and_subnet_from_it, teardown),
        cmocka_unit_test_teardown(test_bound_port_turns_active_when_plugged, teardown),
        cmocka_unit_test_teardown(test_security_group_and_rules, teardown),
        cmocka_unit_test_teardown(test_trunk_with_subports, teardown),
        cmocka_unit_test_teardown(test_error_kinds, teardown),
    };
    int failed = cmocka_run_group_tests_name("neutron_integration", tests, NULL, NULL);
    itest_cleanup(&env);
    itest_close(&env);
    return failed;
}
