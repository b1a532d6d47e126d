/* libkuryr's pool of ready ports (kuryr/port_pool.h) with a key beyond Docker's: the project and security
 * groups of a key go into every port the pool makes for it; keys that differ only in their groups are pools of
 * their own (a port of one is never handed out for the other), while the order of the groups does not matter;
 * and a returned port goes back to the pool of the key it is given with. kuryr-libnetwork's use of the pool
 * (network and subnet only) is tested through its handlers in tests/unit/libnetwork/test_vif_pool.c. A
 * scripted Neutron on 127.0.0.1 stands in; the tests wait for the pool's background work with
 * kuryr_port_pool_wait_idle, never on timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/port_pool.h"
#include "neutron_fixture.h"

#define NET "11111111-1111-4111-8111-111111111111"
#define SUBNET "33333333-3333-4333-8333-333333333333"
#define PROJECT "0123456789abcdef0123456789abcdef"
#define SG_A "aaaaaaaa-0000-4000-8000-000000000001"
#define SG_B "bbbbbbbb-0000-4000-8000-000000000002"
#define DESC "kuryr-pool:node1"
#define READY_TAG "kuryr.ready"
#define WAIT_S 30 /* bound of every wait: only a broken pool gets there */

/* A port as Neutron answers a create: bound to node1, in SUBNET. */
static json_t *port_obj(const char *id, const char *ip)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:[],s:s,s:b}", "id", id, "name",
                     KURYR_POOL_PORT_NAME, "description", DESC, "network_id", NET, "mac_address",
                     "fa:16:3e:00:00:01", "device_id", "", "binding:host_id", "node1", "fixed_ips", "subnet_id",
                     SUBNET, "ip_address", ip, "tags", "binding:vif_type", "bridge", "admin_state_up", 1);
}

static void answer_json(neutron_fixture *f, const char *method, const char *path, int status, json_t *body,
                        int times)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    test_httpd_add(f->srv, &(test_httpd_script){.method = method, .path = path, .status = status, .body = text,
                                                .times = times});
    free(text);
}

/* No leftovers for the sweep; one bulk create answering two ports (ids ending in first, first + 1); tags. */
static void answer_fill(neutron_fixture *f, int first)
{
    char id0[64], id1[64], ip0[32], ip1[32];
    snprintf(id0, sizeof(id0), "cccccccc-cccc-4ccc-8ccc-%012d", first);
    snprintf(id1, sizeof(id1), "cccccccc-cccc-4ccc-8ccc-%012d", first + 1);
    snprintf(ip0, sizeof(ip0), "10.0.0.%d", 10 + first);
    snprintf(ip1, sizeof(ip1), "10.0.0.%d", 11 + first);
    answer_json(f, "POST", "/v2.0/ports", 201, json_pack("{s:[o,o]}", "ports", port_obj(id0, ip0), port_obj(id1, ip1)),
                1);
}

static void answer_common(neutron_fixture *f)
{
    answer_json(f, "GET", "/v2.0/ports?", 200, json_pack("{s:[]}", "ports"), 0);
    answer_json(f, "PUT", "/v2.0/ports/", 200, json_pack("{s:[s]}", "tags", READY_TAG), 0);
}

static kuryr_port_pool *new_pool(neutron_fixture *f)
{
    kuryr_port_pool_cfg cfg = {.kn = f->kn, .host = "node1", .description = DESC, .device_owner = "compute:kuryr",
                               .ready_tag = READY_TAG, .min = 2, .batch = 2, .update_frequency_s = 3600};
    kuryr_port_pool *pool = kuryr_port_pool_new(&cfg);
    assert_non_null(pool);
    return pool;
}

/* The n-th bulk create's port list. */
static json_t *nth_create(neutron_fixture *f, int n)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, "POST") && !strcmp(r->path, "/v2.0/ports") && n-- == 0) {
            json_t *body = json_loads(r->body, 0, NULL);
            json_t *ports = json_incref(json_object_get(body, "ports"));
            json_decref(body);
            return ports;
        }
    }
    return NULL;
}


/* Every port the pool makes for a key carries the key's project and groups, and this pool's marks. */
static void test_key_project_and_groups_go_into_the_ports(void **state)
{
    neutron_fixture *f = *state;
    answer_common(f);
    answer_fill(f, 0);
    kuryr_port_pool *pool = new_pool(f);
    const char *groups[] = {SG_A, SG_B, NULL};
    kuryr_pool_key key = {.network_id = NET, .subnet_id = SUBNET, .project_id = PROJECT, .security_groups = groups};
    assert_null(kuryr_port_pool_take(pool, &key)); /* empty: opens the pool and fills it */
    assert_true(kuryr_port_pool_wait_idle(pool, WAIT_S));
    assert_int_equal(kuryr_port_pool_ready(pool), 2);
    json_t *ports = nth_create(f, 0);
    assert_int_equal(json_array_size(ports), 2);
    json_t *p0 = json_array_get(ports, 0);
    assert_string_equal(json_string_value(json_object_get(p0, "project_id")), PROJECT);
    json_t *sgs = json_object_get(p0, "security_groups");
    assert_int_equal(json_array_size(sgs), 2);
    assert_string_equal(json_string_value(json_array_get(sgs, 0)), SG_A);
    assert_string_equal(json_string_value(json_array_get(sgs, 1)), SG_B);
    assert_string_equal(json_string_value(json_object_get(p0, "description")), DESC);
    assert_string_equal(json_string_value(json_object_get(p0, "binding:host_id")), "node1");
    assert_string_equal(json_string_value(json_object_get(p0, "name")), KURYR_POOL_PORT_NAME);
    json_decref(ports);
    kuryr_port_pool_free(pool);
}

/* Two keys that differ only in their groups are two pools; the groups' order is no difference. */
static void test_keys_differing_in_groups_are_separate_pools(void **state)
{
    neutron_fixture *f = *state;
    answer_common(f);
    answer_fill(f, 0);
    answer_fill(f, 2);
    kuryr_port_pool *pool = new_pool(f);
    const char *ab[] = {SG_A, SG_B, NULL}, *ba[] = {SG_B, SG_A, NULL}, *a_only[] = {SG_A, NULL};
    kuryr_pool_key k_ab = {.network_id = NET, .subnet_id = SUBNET, .security_groups = ab};
    kuryr_pool_key k_ba = {.network_id = NET, .subnet_id = SUBNET, .security_groups = ba};
    kuryr_pool_key k_a = {.network_id = NET, .subnet_id = SUBNET, .security_groups = a_only};
    assert_null(kuryr_port_pool_take(pool, &k_ab));
    assert_true(kuryr_port_pool_wait_idle(pool, WAIT_S));
    assert_int_equal(kuryr_port_pool_ready(pool), 2);

    /* a pool of its own: nothing ready for it yet, though two ports of the other key are */
    assert_null(kuryr_port_pool_take(pool, &k_a));
    assert_true(kuryr_port_pool_wait_idle(pool, WAIT_S));
    assert_int_equal(test_httpd_count(f->srv, "POST", "/v2.0/ports"), 2);
    json_t *ports = nth_create(f, 1);
    assert_int_equal(json_array_size(json_object_get(json_array_get(ports, 0), "security_groups")), 1);
    assert_null(json_object_get(json_array_get(ports, 0), "project_id")); /* no project: the credentials' */
    json_decref(ports);

    /* the same groups in another order: the first pool's port */
    kuryr_port *port = kuryr_port_pool_take(pool, &k_ba);
    assert_non_null(port);
    assert_true(strcmp(port->id, "cccccccc-cccc-4ccc-8ccc-000000000000") == 0 ||
                strcmp(port->id, "cccccccc-cccc-4ccc-8ccc-000000000001") == 0);

    /* given back with its key, it is reset and goes back to that pool (not ready at once: it rests) */
    assert_true(kuryr_port_pool_give(pool, &k_ab, port));
    assert_true(kuryr_port_pool_wait_idle(pool, WAIT_S));
    char tags_path[96];
    snprintf(tags_path, sizeof(tags_path), "/v2.0/ports/%s/tags", port->id);
    size_t resets = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        resets += !strcmp(r->method, "PUT") && !strcmp(r->path, tags_path);
    }
    assert_int_equal(resets, 2); /* once when made, once when returned */
    kuryr_port_free(port);
    kuryr_port_pool_free(pool);
}

/* A returned port whose subnet is not its key's, or that is not a pool port, is refused (the caller deletes). */
static void test_give_refuses_what_is_not_the_keys(void **state)
{
    neutron_fixture *f = *state;
    answer_common(f);
    answer_fill(f, 0);
    kuryr_port_pool *pool = new_pool(f);
    kuryr_pool_key key = {.network_id = NET, .subnet_id = SUBNET};
    assert_null(kuryr_port_pool_take(pool, &key));
    assert_true(kuryr_port_pool_wait_idle(pool, WAIT_S));
    kuryr_port *port = kuryr_port_pool_take(pool, &key);
    assert_non_null(port);
    kuryr_pool_key other = {.network_id = NET, .subnet_id = "44444444-4444-4444-8444-444444444444"};
    assert_false(kuryr_port_pool_give(pool, &other, port));
    assert_false(kuryr_port_pool_give(NULL, &key, port));
    assert_true(kuryr_port_pool_give(pool, &key, port));
    kuryr_port_free(port);
    kuryr_port_pool_free(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_key_project_and_groups_go_into_the_ports, neutron_fixture_setup,
                                        neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_keys_differing_in_groups_are_separate_pools, neutron_fixture_setup,
                                        neutron_fixture_teardown),
        cmocka_unit_test_setup_teardown(test_give_refuses_what_is_not_the_keys, neutron_fixture_setup,
                                        neutron_fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
