/* The KuryrPort VIF codec (kuryr/k8s_vif.h): what we write reads back the same; what upstream's controller
 * wrote (os-vif primitives with their change lists, port profiles and labels) reads; anything malformed is a
 * clear error with the output zeroed. Leaks show under the ASan round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/k8s_vif.h"

static json_t *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/k8s/%s", getenv("KURYR_TEST_DATA"), name);
    json_error_t jerr;
    json_t *j = json_load_file(path, 0, &jerr);
    if (!j)
        fail_msg("%s: %s", path, jerr.text);
    return j;
}

static void fill(kuryr_k8s_vif *v, const char *plugin)
{
    memset(v, 0, sizeof(*v));
    snprintf(v->port_id, sizeof(v->port_id), "8c43f8a1-6e5b-4b0e-9a39-0f1c2f4e7d21");
    snprintf(v->mac, sizeof(v->mac), "fa:16:3e:5d:0c:1a");
    snprintf(v->network_id, sizeof(v->network_id), "2d6b5a3e-7c1f-4e2a-8b9d-3a5c7e9f1b24");
    snprintf(v->project_id, sizeof(v->project_id), "0f3a9c1d2e4b4a6f8c0d1e2f3a4b5c6d");
    v->mtu = 1450;
    snprintf(v->plugin, sizeof(v->plugin), "%s", plugin);
    snprintf(v->vif_name, sizeof(v->vif_name), "tap8c43f8a1-6e");
    snprintf(v->bridge_name, sizeof(v->bridge_name), "%s", strcmp(plugin, "ovs") ? "brq2d6b5a3e-7c" : "br-int");
    v->active = false;
    v->n_ips = 3;
    snprintf(v->ips[0].address, 64, "10.1.0.37");
    snprintf(v->ips[0].cidr, 64, "10.1.0.0/24");
    snprintf(v->ips[0].gateway, 64, "10.1.0.1");
    snprintf(v->ips[0].subnet_id, 64, "aaaaaaaa-0000-4000-8000-000000000001");
    snprintf(v->ips[1].address, 64, "10.1.0.38");
    snprintf(v->ips[1].cidr, 64, "10.1.0.0/24");
    snprintf(v->ips[1].gateway, 64, "10.1.0.1");
    snprintf(v->ips[1].subnet_id, 64, "aaaaaaaa-0000-4000-8000-000000000001");
    snprintf(v->ips[2].address, 64, "fd00:1::25");
    snprintf(v->ips[2].cidr, 64, "fd00:1::/64");
    snprintf(v->ips[2].subnet_id, 64, "aaaaaaaa-0000-4000-8000-000000000002");
    v->n_routes = 2;
    snprintf(v->routes[0].dst, 64, "10.96.0.0/12");
    snprintf(v->routes[0].gw, 64, "10.1.0.254");
    snprintf(v->routes[1].dst, 64, "::/0");
    snprintf(v->routes[1].gw, 64, "fd00:1::1");
    v->n_dns = 2;
    snprintf(v->dns[0], 64, "10.1.0.2");
    snprintf(v->dns[1], 64, "fd00:1::53");
}

static void assert_round_trip(const char *plugin, const char *type)
{
    kuryr_k8s_vif in, out;
    kuryr_error err;
    fill(&in, plugin);
    json_t *j = kuryr_k8s_vif_to_json(&in);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "versioned_object.name")), type);
    assert_string_equal(json_string_value(json_object_get(j, "versioned_object.namespace")), "os_vif");
    /* through text, as it travels */
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    j = json_loads(text, 0, NULL);
    free(text);
    assert_int_equal(kuryr_k8s_vif_from_json(j, &out, &err), 0);
    assert_memory_equal(&in, &out, sizeof(in));
    json_decref(j);
}

static void test_round_trip_ovs(void **state)
{
    (void)state;
    assert_round_trip("ovs", "VIFOpenVSwitch");
}

static void test_round_trip_bridge(void **state)
{
    (void)state;
    assert_round_trip("linux_bridge", "VIFBridge");
}

/* What upstream's daemon reads: the port profile of an OVS VIF, one Subnet per CIDR, MTU on the Network. */
static void test_written_shape(void **state)
{
    (void)state;
    kuryr_k8s_vif in;
    fill(&in, "ovs");
    json_t *j = kuryr_k8s_vif_to_json(&in);
    assert_non_null(j);
    json_t *d = json_object_get(j, "versioned_object.data");
    json_t *profile = json_object_get(json_object_get(d, "port_profile"), "versioned_object.data");
    assert_string_equal(json_string_value(json_object_get(profile, "interface_id")), in.port_id);
    assert_true(json_is_false(json_object_get(d, "active")));
    json_t *net = json_object_get(json_object_get(d, "network"), "versioned_object.data");
    assert_int_equal(json_integer_value(json_object_get(net, "mtu")), 1450);
    assert_string_equal(json_string_value(json_object_get(net, "bridge")), "br-int");
    json_t *subnets = json_object_get(json_object_get(json_object_get(net, "subnets"), "versioned_object.data"),
                                      "objects");
    assert_int_equal(json_array_size(subnets), 2);
    json_t *v4 = json_object_get(json_array_get(subnets, 0), "versioned_object.data");
    json_t *ips = json_object_get(json_object_get(json_object_get(v4, "ips"), "versioned_object.data"), "objects");
    assert_int_equal(json_array_size(ips), 2);
    assert_int_equal(json_array_size(json_object_get(v4, "dns")), 1); /* only its family's server */
    json_decref(j);
    /* a bridge VIF carries no OVS port profile */
    fill(&in, "linux_bridge");
    j = kuryr_k8s_vif_to_json(&in);
    assert_null(json_object_get(json_object_get(j, "versioned_object.data"), "port_profile"));
    json_decref(j);
}

static void test_upstream_ovs(void **state)
{
    (void)state;
    json_t *j = load("upstream_vif_ovs.json");
    kuryr_k8s_vif v;
    kuryr_error err;
    assert_int_equal(kuryr_k8s_vif_from_json(j, &v, &err), 0);
    assert_string_equal(v.port_id, "8c43f8a1-6e5b-4b0e-9a39-0f1c2f4e7d21");
    assert_string_equal(v.mac, "fa:16:3e:5d:0c:1a");
    assert_string_equal(v.network_id, "2d6b5a3e-7c1f-4e2a-8b9d-3a5c7e9f1b24");
    assert_string_equal(v.plugin, "ovs");
    assert_string_equal(v.vif_name, "tap8c43f8a1-6e");
    assert_string_equal(v.bridge_name, "br-int");
    assert_string_equal(v.project_id, "");
    assert_true(v.active);
    assert_int_equal(v.mtu, 1442);
    assert_int_equal(v.n_ips, 1);
    assert_string_equal(v.ips[0].address, "10.1.0.37");
    assert_string_equal(v.ips[0].cidr, "10.1.0.0/24");
    assert_string_equal(v.ips[0].gateway, "10.1.0.1");
    assert_int_equal(v.n_routes, 1);
    assert_string_equal(v.routes[0].dst, "10.96.0.0/12");
    assert_string_equal(v.routes[0].gw, "10.1.0.254");
    assert_int_equal(v.n_dns, 1);
    assert_string_equal(v.dns[0], "10.1.0.2");
    json_decref(j);
}

static void test_upstream_bridge(void **state)
{
    (void)state;
    json_t *j = load("upstream_vif_bridge.json");
    kuryr_k8s_vif v;
    kuryr_error err;
    assert_int_equal(kuryr_k8s_vif_from_json(j, &v, &err), 0);
    assert_string_equal(v.plugin, "linux_bridge");
    assert_string_equal(v.bridge_name, "brq2d6b5a3e-7c");
    assert_false(v.active);
    assert_int_equal(v.mtu, 0);
    assert_int_equal(v.n_ips, 2);
    assert_string_equal(v.ips[1].address, "fd00:10:2::9");
    assert_string_equal(v.ips[1].cidr, "fd00:10:2::/64");
    assert_string_equal(v.ips[1].gateway, "");
    assert_int_equal(v.n_routes, 0);
    assert_int_equal(v.n_dns, 1);
    /* defaults as os-vif has them: no active = true, no plugin = by type, no names = upstream's */
    json_t *d = json_object_get(j, "versioned_object.data");
    json_object_del(d, "active");
    json_object_del(d, "plugin");
    json_object_del(d, "vif_name");
    json_object_del(d, "bridge_name");
    assert_int_equal(kuryr_k8s_vif_from_json(j, &v, &err), 0);
    assert_true(v.active);
    assert_string_equal(v.plugin, "linux_bridge");
    assert_string_equal(v.vif_name, "tap5f0e2c4a-1b");
    assert_string_equal(v.bridge_name, "brq2d6b5a3e-7c"); /* network.bridge */
    json_decref(j);
}

/* The member at path ('/'-separated keys, numbers index arrays). */
static json_t *get_at(json_t *root, const char *path)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = root;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "/", &save); tok && cur; tok = strtok_r(NULL, "/", &save))
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok)) : json_object_get(cur, tok);
    assert_non_null(cur);
    return cur;
}

/* Sets the member at path ('/'-separated keys, numbers index arrays) to value (stolen; NULL deletes it). */
static void set_at(json_t *root, const char *path, json_t *value)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", path);
    json_t *cur = root;
    char *save = NULL, *tok = strtok_r(buf, "/", &save);
    while (tok) {
        char *next = strtok_r(NULL, "/", &save);
        if (!next) {
            if (json_is_array(cur))
                json_array_set_new(cur, (size_t)atoi(tok), value);
            else if (value)
                json_object_set_new(cur, tok, value);
            else
                json_object_del(cur, tok);
            return;
        }
        cur = json_is_array(cur) ? json_array_get(cur, (size_t)atoi(tok)) : json_object_get(cur, tok);
        assert_non_null(cur);
        tok = next;
    }
}

#define D "versioned_object.data"
#define SUBNET0 D "/network/" D "/subnets/" D "/objects/0/" D
#define IPS0 SUBNET0 "/ips/" D "/objects"
#define ROUTES0 SUBNET0 "/routes/" D "/objects"

static json_t *copies(json_t *item, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_deep_copy(item));
    return a;
}

static void test_malformed(void **state)
{
    (void)state;
    json_t *base = load("upstream_vif_ovs.json");
    json_t *ip = json_deep_copy(get_at(base, IPS0 "/0"));
    json_t *route = json_pack("{s:s, s:s, s:s, s:{s:s}}", "versioned_object.name", "Route",
                              "versioned_object.namespace", "os_vif", "versioned_object.version", "1.0", D,
                              "cidr", "10.9.0.0/16");
    json_t *ip2 = json_deep_copy(ip);
    set_at(ip2, D "/address", json_string("10.1.0.38"));
    struct {
        const char *path;
        json_t *value;
        const char *says;
    } cases[] = {
        {"versioned_object.namespace", json_string("kuryr_kubernetes"), "namespace"},
        {"versioned_object.name", json_string("VIFVHostUser"), "not supported"},
        {"versioned_object.name", json_integer(3), "object name"},
        {D, json_string("x"), "no data"},
        {D "/id", NULL, "id is missing"},
        {D "/id", json_integer(7), "id is not a string"},
        {D "/id", json_stringn("ab\0cd", 5), "NUL"},
        {D "/address", json_string("fa:16:3e:5d:0c"), "MAC"},
        {D "/address", json_string("fa:16:3e:5d:0c:zz"), "MAC"},
        {D "/vif_name", json_string("../../etc/x"), "device name"},
        {D "/vif_name", json_string("tap 1"), "device name"},
        {D "/vif_name", json_string("tap0123456789abcdef"), "too long"},
        {D "/bridge_name", json_string(".."), "device name"},
        {D "/active", json_string("yes"), "boolean"},
        {D "/network", NULL, "network"},
        {D "/network/" D "/id", NULL, "id is missing"},
        {D "/network/" D "/mtu", json_integer(-1), "MTU"},
        {D "/network/" D "/mtu", json_string("1500"), "MTU"},
        {D "/network/" D "/subnets/versioned_object.name", json_string("RouteList"), "expected"},
        {D "/network/" D "/subnets/" D "/objects", json_object(), "objects"},
        {SUBNET0 "/cidr", json_string("10.1.0.0"), "CIDR"},
        {SUBNET0 "/cidr", json_string("10.1.0.0/33"), "CIDR"},
        {SUBNET0 "/cidr", json_string("fd00::/129"), "CIDR"},
        {SUBNET0 "/cidr", json_string("10.1.0.0/-1"), "CIDR"},
        {SUBNET0 "/gateway", json_string("10.1.0"), "IP address"},
        {SUBNET0 "/dns", json_string("10.1.0.2"), "list"},
        {SUBNET0 "/dns", json_pack("[s]", "dns.example"), "IP address"},
        {SUBNET0 "/dns", json_pack("[ssss s]", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"),
         "more than 4"},
        {IPS0 "/0/" D "/address", json_string("10.1.0.999"), "IP address"},
        {IPS0 "/0/" D "/address", NULL, "address is missing"},
        {IPS0, copies(ip2, 5), "more than 4"},
        {ROUTES0 "/0/" D "/gateway", json_string("gw"), "IP address"},
        {ROUTES0 "/0/versioned_object.namespace", NULL, "namespace"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = json_deep_copy(base);
        set_at(j, cases[i].path, cases[i].value);
        kuryr_k8s_vif v;
        memset(&v, 0x5a, sizeof(v));
        kuryr_error err;
        kuryr_error_clear(&err);
        if (kuryr_k8s_vif_from_json(j, &v, &err) != -1)
            fail_msg("case %zu (%s) was accepted", i, cases[i].path);
        assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
        if (!strstr(err.message, cases[i].says))
            fail_msg("case %zu (%s): \"%s\" does not say \"%s\"", i, cases[i].path, err.message, cases[i].says);
        kuryr_k8s_vif zero;
        memset(&zero, 0, sizeof(zero));
        assert_memory_equal(&v, &zero, sizeof(v));
        json_decref(j);
    }
    /* nine distinct routes are too many; the same route repeated by each subnet is not */
    json_t *j = json_deep_copy(base);
    json_t *many = json_array();
    for (int i = 0; i < 9; i++) {
        json_t *r = json_deep_copy(route);
        char cidr[32];
        snprintf(cidr, sizeof(cidr), "10.%d.0.0/16", 10 + i);
        set_at(r, D "/cidr", json_string(cidr));
        json_array_append_new(many, r);
    }
    set_at(j, ROUTES0, many);
    kuryr_k8s_vif v;
    kuryr_error err;
    assert_int_equal(kuryr_k8s_vif_from_json(j, &v, &err), -1);
    assert_non_null(strstr(err.message, "more than 8"));
    set_at(j, ROUTES0, copies(route, 12));
    assert_int_equal(kuryr_k8s_vif_from_json(j, &v, &err), 0);
    assert_int_equal(v.n_routes, 1);
    json_decref(j);
    /* not an object at all */
    json_t *s = json_string("VIFOpenVSwitch");
    assert_int_equal(kuryr_k8s_vif_from_json(s, &v, &err), -1);
    assert_int_equal(kuryr_k8s_vif_from_json(NULL, &v, &err), -1);
    json_decref(s);
    json_decref(route);
    json_decref(ip);
    json_decref(ip2);
    json_decref(base);
}

static void test_kuryrport_vif(void **state)
{
    (void)state;
    json_t *prim = load("upstream_vif_ovs.json");
    kuryr_k8s_vif v;
    kuryr_error err;
    const char *pending[] = {"{}", "{\"status\": null}", "{\"status\": {}}", "{\"status\": {\"vifs\": {}}}"};
    for (size_t i = 0; i < 4; i++) {
        json_t *kp = json_loads(pending[i], 0, NULL);
        assert_int_equal(kuryr_k8s_kuryrport_vif(kp, "eth0", &v, &err), 0);
        assert_int_equal(kuryr_k8s_kuryrport_vif(kp, NULL, &v, &err), 0);
        json_decref(kp);
    }
    json_t *kp = json_pack("{s:{s:{s:{s:b, s:O}}}}", "status", "vifs", "eth0", "default", 1, "vif", prim);
    assert_int_equal(kuryr_k8s_kuryrport_vif(kp, "eth0", &v, &err), 1);
    assert_string_equal(v.ips[0].address, "10.1.0.37");
    memset(&v, 0, sizeof(v));
    assert_int_equal(kuryr_k8s_kuryrport_vif(kp, NULL, &v, &err), 1);
    assert_string_equal(v.mac, "fa:16:3e:5d:0c:1a");
    assert_int_equal(kuryr_k8s_kuryrport_vif(kp, "eth1", &v, &err), 0);
    /* not the default one: found by name only */
    json_object_set_new(json_object_get(json_object_get(json_object_get(kp, "status"), "vifs"), "eth0"), "default",
                        json_false());
    assert_int_equal(kuryr_k8s_kuryrport_vif(kp, NULL, &v, &err), 0);
    assert_int_equal(kuryr_k8s_kuryrport_vif(kp, "eth0", &v, &err), 1);
    json_decref(kp);
    const char *broken[] = {"{\"status\": []}", "{\"status\": {\"vifs\": []}}",
                            "{\"status\": {\"vifs\": {\"eth0\": 5}}}",
                            "{\"status\": {\"vifs\": {\"eth0\": {\"default\": true}}}}",
                            "{\"status\": {\"vifs\": {\"eth0\": {\"default\": true, \"vif\": {}}}}}"};
    for (size_t i = 0; i < 5; i++) {
        kp = json_loads(broken[i], 0, NULL);
        assert_non_null(kp);
        kuryr_error_clear(&err);
        assert_int_equal(kuryr_k8s_kuryrport_vif(kp, "eth0", &v, &err), -1);
        assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
        json_decref(kp);
    }
    json_decref(prim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_ovs),   cmocka_unit_test(test_round_trip_bridge),
        cmocka_unit_test(test_written_shape),    cmocka_unit_test(test_upstream_ovs),
        cmocka_unit_test(test_upstream_bridge),  cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_kuryrport_vif),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
