/* Neutron JSON → struct mapping: every object, nulls and absent attributes, integers sent as strings, and
 * wrong types giving a clear error instead of a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kuryr/neutron.h"
#include "neutron_test_data.h"

#define PROJECT "5d5c4ef2b3b24c47a2c4a7b46e1b6fd1"

/* The object inside a recorded {"<singular>": {...}} answer; the caller drops the returned root. */
static json_t *inner(const char *file, const char *key, json_t **root)
{
    *root = neutron_data_json(file);
    json_t *obj = json_object_get(*root, key);
    assert_non_null(obj);
    return obj;
}

static void test_network(void **state)
{
    (void)state;
    json_t *root, *obj = inner("network.json", "network", &root);
    kuryr_error err = {0};
    kuryr_network *n = kuryr_network_from_json(obj, &err);
    assert_non_null(n);
    assert_string_equal(n->id, "4e8e5957-649f-477b-9e5b-f1f75b21c03c");
    assert_string_equal(n->name, "kuryr-net-8e2b5f1c");
    assert_string_equal(n->status, "ACTIVE");
    assert_string_equal(n->project_id, PROJECT);
    assert_int_equal(n->mtu, 1442);
    assert_false(n->shared);
    assert_true(n->admin_state_up);
    assert_int_equal(n->revision_number, 3);
    assert_int_equal(n->subnets.n, 2);
    assert_string_equal(n->subnets.items[1], "9c6f1f3b-2b0d-4f43-9b8e-0e2f4d6d1a7e");
    assert_null(n->subnets.items[2]);
    assert_int_equal(n->tags.n, 2);
    assert_true(kuryr_strv_contains(&n->tags, "kuryr.net.uuid.uh:9f8e7d6c5b4a39281706f5e4d3c2b1a0"));
    assert_false(kuryr_strv_contains(&n->tags, "kuryr.net.uuid.uh"));
    /* raw is the same object with its own reference: it survives the answer being dropped */
    assert_ptr_equal(n->raw, obj);
    json_decref(root);
    assert_string_equal(json_string_value(json_object_get(n->raw, "provider:network_type")), "geneve");
    kuryr_network_free(n);
}

static void test_network_minimal(void **state)
{
    (void)state;
    /* what a fields=id answer looks like: everything else absent, lists still walkable */
    json_t *obj = json_pack("{ss}", "id", "n1");
    kuryr_error err = {0};
    kuryr_network *n = kuryr_network_from_json(obj, &err);
    json_decref(obj);
    assert_non_null(n);
    assert_null(n->name);
    assert_int_equal(n->mtu, 0);
    assert_true(n->admin_state_up);
    assert_int_equal(n->tags.n, 0);
    assert_non_null(n->tags.items);
    assert_null(n->tags.items[0]);
    kuryr_network_free(n);
}

static void test_subnet(void **state)
{
    (void)state;
    json_t *root, *obj = inner("subnet.json", "subnet", &root);
    kuryr_error err = {0};
    kuryr_subnet *s = kuryr_subnet_from_json(obj, &err);
    json_decref(root);
    assert_non_null(s);
    assert_string_equal(s->cidr, "10.10.0.0/24");
    assert_string_equal(s->gateway_ip, "10.10.0.1");
    assert_string_equal(s->network_id, "4e8e5957-649f-477b-9e5b-f1f75b21c03c");
    assert_string_equal(s->subnetpool_id, "f49a1319-423a-4ee6-ba54-1d95a4f6cc68");
    assert_string_equal(s->name, "kuryr-subnet-10.10.0.0/24");
    assert_int_equal(s->ip_version, 4);
    assert_false(s->enable_dhcp);
    assert_int_equal(s->n_host_routes, 1);
    assert_string_equal(s->host_routes[0].destination, "10.20.0.0/16");
    assert_string_equal(s->host_routes[0].nexthop, "10.10.0.254");
    assert_true(kuryr_strv_contains(&s->tags, "f49a1319-423a-4ee6-ba54-1d95a4f6cc68"));
    kuryr_subnet_free(s);
}

static void test_subnet_nulls(void **state)
{
    (void)state;
    json_t *root, *obj = inner("subnet_no_gateway.json", "subnet", &root);
    kuryr_error err = {0};
    kuryr_subnet *s = kuryr_subnet_from_json(obj, &err);
    json_decref(root);
    assert_non_null(s);
    assert_null(s->gateway_ip);
    assert_null(s->subnetpool_id);
    assert_string_equal(s->project_id, PROJECT); /* only tenant_id given */
    assert_string_equal(s->name, "");
    assert_true(s->enable_dhcp);
    assert_int_equal(s->n_host_routes, 0);
    assert_int_equal(s->revision_number, 0);
    kuryr_subnet_free(s);
}

static void test_subnetpool_string_prefixlens(void **state)
{
    (void)state;
    json_t *root, *obj = inner("subnetpool.json", "subnetpool", &root);
    kuryr_error err = {0};
    kuryr_subnetpool *p = kuryr_subnetpool_from_json(obj, &err);
    json_decref(root);
    assert_non_null(p);
    assert_int_equal(p->default_prefixlen, 24);
    assert_int_equal(p->min_prefixlen, 8);
    assert_int_equal(p->max_prefixlen, 32);
    assert_int_equal(p->ip_version, 4);
    assert_string_equal(p->name, "kuryrPool-10.10.0.0/16");
    assert_int_equal(p->prefixes.n, 1);
    assert_string_equal(p->prefixes.items[0], "10.10.0.0/16");
    assert_false(p->is_default);
    kuryr_subnetpool_free(p);

    /* the same attributes as integers */
    json_t *ints = json_pack("{ss si si si si}", "id", "p", "ip_version", 6, "default_prefixlen", 64,
                             "min_prefixlen", 48, "max_prefixlen", 128);
    p = kuryr_subnetpool_from_json(ints, &err);
    json_decref(ints);
    assert_non_null(p);
    assert_int_equal(p->default_prefixlen, 64);
    assert_int_equal(p->max_prefixlen, 128);
    kuryr_subnetpool_free(p);
}

static void test_port(void **state)
{
    (void)state;
    json_t *root, *obj = inner("port.json", "port", &root);
    kuryr_error err = {0};
    kuryr_port *p = kuryr_port_from_json(obj, &err);
    json_decref(root);
    assert_non_null(p);
    assert_string_equal(p->id, "d7a2e1f6-5c3b-4a8e-9f0d-2b1c4e6a8d0f");
    assert_string_equal(p->mac_address, "fa:16:3e:7d:21:9c");
    assert_string_equal(p->device_owner, "compute:kuryr");
    assert_string_equal(p->binding_host_id, "compute-1");
    assert_string_equal(p->binding_vif_type, "ovs");
    assert_string_equal(p->binding_vnic_type, "normal");
    assert_non_null(p->binding_vif_details);
    assert_string_equal(json_string_value(json_object_get(p->binding_vif_details, "bridge_name")), "br-int");
    assert_true(json_is_true(json_object_get(p->binding_vif_details, "port_filter")));
    assert_int_equal(p->n_fixed_ips, 2);
    assert_string_equal(p->fixed_ips[0].ip_address, "10.10.0.23");
    assert_string_equal(p->fixed_ips[1].subnet_id, "9c6f1f3b-2b0d-4f43-9b8e-0e2f4d6d1a7e");
    assert_int_equal(p->n_allowed_address_pairs, 2);
    assert_string_equal(p->allowed_address_pairs[0].mac_address, "fa:16:3e:4c:2c:30");
    assert_string_equal(p->allowed_address_pairs[1].ip_address, "10.10.0.64/28");
    assert_null(p->allowed_address_pairs[1].mac_address);
    assert_int_equal(p->security_groups.n, 1);
    assert_true(kuryr_strv_contains(&p->tags, "compute:kuryr"));
    assert_int_equal(p->revision_number, 7);
    kuryr_port_free(p);
}

static void test_port_unbound(void **state)
{
    (void)state;
    json_t *obj = json_pack("{ss ss s{} sn sb}", "id", "p1", "binding:vif_type", "unbound", "binding:vif_details",
                            "binding:host_id", "admin_state_up", 0);
    kuryr_error err = {0};
    kuryr_port *p = kuryr_port_from_json(obj, &err);
    json_decref(obj);
    assert_non_null(p);
    assert_string_equal(p->binding_vif_type, "unbound");
    assert_null(p->binding_host_id);
    assert_non_null(p->binding_vif_details);
    assert_int_equal(json_object_size(p->binding_vif_details), 0);
    assert_false(p->admin_state_up);
    assert_int_equal(p->n_fixed_ips, 0);
    assert_null(p->fixed_ips);
    kuryr_port_free(p);
}

static void test_security_group(void **state)
{
    (void)state;
    json_t *root, *obj = inner("security_group.json", "security_group", &root);
    kuryr_error err = {0};
    kuryr_security_group *g = kuryr_security_group_from_json(obj, &err);
    json_decref(root);
    assert_non_null(g);
    assert_string_equal(g->name, "d7a2e1f6-5c3b-4a8e-9f0d-2b1c4e6a8d0f-exposed_ports");
    assert_string_equal(g->description, "");
    assert_int_equal(g->n_rules, 2);
    kuryr_sg_rule *egress = &g->rules[0], *tcp = &g->rules[1];
    assert_string_equal(egress->direction, "egress");
    assert_null(egress->protocol);
    assert_null(egress->remote_ip_prefix);
    assert_int_equal(egress->port_range_min, 0);
    assert_int_equal(egress->port_range_max, 0);
    assert_non_null(egress->raw);
    assert_string_equal(tcp->protocol, "tcp");
    assert_string_equal(tcp->ethertype, "IPv4");
    assert_string_equal(tcp->remote_ip_prefix, "0.0.0.0/0");
    assert_string_equal(tcp->security_group_id, "a3f5c8e2-9b1d-4c6e-8f0a-7d2b5e9c1f3a");
    assert_int_equal(tcp->port_range_min, 8080);
    assert_int_equal(tcp->port_range_max, 8080);
    kuryr_security_group_free(g);
}

static void test_sg_rule(void **state)
{
    (void)state;
    json_t *root, *sg = inner("security_group.json", "security_group", &root);
    json_t *obj = json_array_get(json_object_get(sg, "security_group_rules"), 1);
    kuryr_error err = {0};
    kuryr_sg_rule *r = kuryr_sg_rule_from_json(obj, &err);
    json_decref(root);
    assert_non_null(r);
    assert_string_equal(r->id, "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d");
    assert_string_equal(r->direction, "ingress");
    assert_null(r->remote_group_id);
    assert_int_equal(r->port_range_max, 8080);
    kuryr_sg_rule_free(r);
}

static void test_trunk(void **state)
{
    (void)state;
    json_t *root, *obj = inner("trunk.json", "trunk", &root);
    kuryr_error err = {0};
    kuryr_trunk *t = kuryr_trunk_from_json(obj, &err);
    json_decref(root);
    assert_non_null(t);
    assert_string_equal(t->port_id, "3e5a7c9b-1d2f-4e6a-8b0c-2d4f6a8c0e1b");
    assert_string_equal(t->status, "ACTIVE");
    assert_int_equal(t->n_sub_ports, 2);
    assert_string_equal(t->sub_ports[0].segmentation_type, "vlan");
    assert_int_equal(t->sub_ports[0].segmentation_id, 101);
    assert_int_equal(t->sub_ports[1].segmentation_id, 102); /* sent as a string */
    assert_string_equal(t->sub_ports[1].port_id, "5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d8e");
    kuryr_trunk_free(t);
}

/* ---- wrong input ------------------------------------------------------------------------------------- */
static void expect_network_error(const char *text, const char *needle)
{
    json_t *obj = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(obj);
    kuryr_error err = {0};
    assert_null(kuryr_network_from_json(obj, &err));
    assert_int_equal(err.kind, KURYR_ERR_INTERNAL);
    if (!strstr(err.message, needle))
        fail_msg("error '%s' does not mention '%s'", err.message, needle);
    json_decref(obj);
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_network_error("{\"name\": \"x\"}", "'id' is missing");
    expect_network_error("{\"id\": null}", "'id' is missing");
    expect_network_error("{\"id\": 7}", "'id' must be a string");
    expect_network_error("{\"id\": \"n\", \"mtu\": \"big\"}", "'mtu' must be an integer");
    expect_network_error("{\"id\": \"n\", \"mtu\": 1.5}", "'mtu'");
    expect_network_error("{\"id\": \"n\", \"mtu\": \"\"}", "'mtu'");
    expect_network_error("{\"id\": \"n\", \"mtu\": 99999999999}", "'mtu' is out of range");
    expect_network_error("{\"id\": \"n\", \"shared\": 1}", "'shared' must be a boolean");
    expect_network_error("{\"id\": \"n\", \"tags\": \"a,b\"}", "'tags' must be an array");
    expect_network_error("{\"id\": \"n\", \"tags\": [\"a\", 3]}", "'tags' must hold strings, item 1");
    expect_network_error("[1, 2]", "expected a JSON object, not an array");
    expect_network_error("null", "network: expected a JSON object");

    kuryr_error err = {0};
    assert_null(kuryr_network_from_json(NULL, &err));
    assert_int_equal(err.kind, KURYR_ERR_INTERNAL);
    assert_null(kuryr_port_from_json(NULL, NULL)); /* err is optional */

    json_t *bad = json_loads("{\"id\": \"p\", \"fixed_ips\": [{\"subnet_id\": \"s\", \"ip_address\": \"10.0.0.2\"}, "
                             "{\"subnet_id\": \"s\", \"ip_address\": 10}]}", 0, NULL);
    assert_null(kuryr_port_from_json(bad, &err));
    assert_non_null(strstr(err.message, "port fixed_ips[1]: attribute 'ip_address' must be a string"));
    json_decref(bad);

    bad = json_loads("{\"id\": \"p\", \"fixed_ips\": [\"10.0.0.2\"]}", 0, NULL);
    assert_null(kuryr_port_from_json(bad, &err));
    assert_non_null(strstr(err.message, "fixed_ips[0]"));
    json_decref(bad);

    bad = json_loads("{\"id\": \"p\", \"binding:vif_details\": \"ovs\"}", 0, NULL);
    assert_null(kuryr_port_from_json(bad, &err));
    assert_non_null(strstr(err.message, "'binding:vif_details' must be an object"));
    json_decref(bad);

    bad = json_loads("{\"id\": \"t\", \"sub_ports\": [{\"segmentation_id\": 5}]}", 0, NULL);
    assert_null(kuryr_trunk_from_json(bad, &err));
    assert_non_null(strstr(err.message, "'port_id' is missing"));
    json_decref(bad);

    bad = json_loads("{\"id\": \"g\", \"security_group_rules\": [{\"id\": \"r\", \"port_range_min\": \"x\"}]}", 0,
                     NULL);
    assert_null(kuryr_security_group_from_json(bad, &err));
    assert_non_null(strstr(err.message, "security_group_rules[0]: attribute 'port_range_min'"));
    json_decref(bad);
}

static void test_lenient_values(void **state)
{
    (void)state;
    json_t *obj = json_loads("{\"id\": \"n\", \"shared\": \"True\", \"admin_state_up\": \"false\", "
                             "\"mtu\": \"1500\", \"revision_number\": \"12\"}", 0, NULL);
    kuryr_error err = {0};
    kuryr_network *n = kuryr_network_from_json(obj, &err);
    json_decref(obj);
    assert_non_null(n);
    assert_true(n->shared);
    assert_false(n->admin_state_up);
    assert_int_equal(n->mtu, 1500);
    assert_int_equal(n->revision_number, 12);
    kuryr_network_free(n);
}

/* Every attribute of every recorded object replaced by every JSON type: the parse either succeeds or fails
 * with a message, and never crashes or leaks (the ASan build checks the latter). */
typedef void *(*parse_fn)(json_t *, kuryr_error *);
typedef void (*free_fn)(void *);
#define ADAPT(T)                                                                                               \
    static void *parse_##T(json_t *o, kuryr_error *e) { return T##_from_json(o, e); }                         \
    static void free_##T(void *o) { T##_free(o); }
ADAPT(kuryr_network)
ADAPT(kuryr_subnet)
ADAPT(kuryr_subnetpool)
ADAPT(kuryr_port)
ADAPT(kuryr_security_group)
ADAPT(kuryr_trunk)

static void mutate_all(json_t *obj, parse_fn parse, free_fn release, int depth)
{
    static const char *values[] = {"null", "1", "-7", "\"x\"", "\"42\"", "[]", "[1]", "[{}]", "{}", "true",
                                   "2.5", "[\"a\", null]", "{\"id\": 3}"};
    const char *key;
    json_t *orig;
    void *tmp;
    json_object_foreach_safe(obj, tmp, key, orig) {
        json_incref(orig);
        for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
            json_object_set_new(obj, key, json_loads(values[v], JSON_DECODE_ANY, NULL));
            kuryr_error err = {0};
            void *o = parse(obj, &err);
            if (o)
                release(o);
            else
                assert_true(err.message[0] != '\0');
        }
        json_object_set(obj, key, orig);
        /* one level down: the elements of fixed_ips, sub_ports, rules, ... */
        if (depth == 0 && json_is_array(orig) && json_is_object(json_array_get(orig, 0)))
            mutate_all(json_array_get(orig, 0), parse, release, 1);
        json_decref(orig);
    }
}

static void test_mutations(void **state)
{
    (void)state;
    static const struct {
        const char *file, *key;
        parse_fn parse;
        free_fn release;
    } cases[] = {
        {"network.json", "network", parse_kuryr_network, free_kuryr_network},
        {"subnet.json", "subnet", parse_kuryr_subnet, free_kuryr_subnet},
        {"subnetpool.json", "subnetpool", parse_kuryr_subnetpool, free_kuryr_subnetpool},
        {"port.json", "port", parse_kuryr_port, free_kuryr_port},
        {"security_group.json", "security_group", parse_kuryr_security_group, free_kuryr_security_group},
        {"trunk.json", "trunk", parse_kuryr_trunk, free_kuryr_trunk},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *root, *obj = inner(cases[i].file, cases[i].key, &root);
        mutate_all(obj, cases[i].parse, cases[i].release, 0);
        json_decref(root);
    }
}

static void test_list_clear_and_strv(void **state)
{
    (void)state;
    kuryr_port_list l = {0};
    kuryr_port_list_clear(&l);
    kuryr_port_list_clear(NULL);
    json_t *a = json_pack("{ss}", "id", "a"), *b = json_pack("{ss}", "id", "b");
    l.items = calloc(3, sizeof(*l.items));
    l.items[0] = kuryr_port_from_json(a, NULL);
    l.items[1] = kuryr_port_from_json(b, NULL);
    l.n = 2;
    json_decref(a);
    json_decref(b);
    kuryr_port_list_clear(&l);
    assert_null(l.items);
    assert_int_equal(l.n, 0);

    assert_false(kuryr_strv_contains(NULL, "a"));
    kuryr_strv empty = {0};
    assert_false(kuryr_strv_contains(&empty, "a"));
    kuryr_strv_clear(&empty);
    kuryr_strv_clear(NULL);

    kuryr_network_free(NULL);
    kuryr_subnet_free(NULL);
    kuryr_subnetpool_free(NULL);
    kuryr_port_free(NULL);
    kuryr_security_group_free(NULL);
    kuryr_sg_rule_free(NULL);
    kuryr_trunk_free(NULL);
}

/* ---- the field tables: each member read from its own attribute --------------------------------------- */
/* Every attribute of these objects has a value of its own (a string attribute holds its own name, numbers
 * differ, booleans are the opposite of their default), so a table row that reads a member from the wrong
 * attribute, with the wrong kind, or not at all fails here. */
static json_t *load(const char *text)
{
    json_error_t e;
    json_t *obj = json_loads(text, 0, &e);
    if (!obj)
        fail_msg("bad test JSON at %d: %s", e.position, e.text);
    return obj;
}

#define ASSERT_OWN(o, member, key) assert_string_equal((o)->member, key)
#define ONLY(v, item) (assert_int_equal((v).n, 1), assert_string_equal((v).items[0], item))

static void test_network_fields(void **state)
{
    (void)state;
    json_t *obj = load("{\"id\": \"id\", \"name\": \"name\", \"status\": \"status\", \"project_id\": \"project_id\", "
                       "\"tenant_id\": \"tenant_id\", \"mtu\": 11, \"shared\": true, \"admin_state_up\": false, "
                       "\"revision_number\": 12, \"subnets\": [\"subnets\"], \"tags\": [\"tags\"]}");
    kuryr_error err = {0};
    kuryr_network *o = kuryr_network_from_json(obj, &err);
    assert_non_null(o);
    ASSERT_OWN(o, id, "id");
    ASSERT_OWN(o, name, "name");
    ASSERT_OWN(o, status, "status");
    ASSERT_OWN(o, project_id, "project_id");
    assert_int_equal(o->mtu, 11);
    assert_true(o->shared);
    assert_false(o->admin_state_up);
    assert_int_equal(o->revision_number, 12);
    ONLY(o->subnets, "subnets");
    ONLY(o->tags, "tags");
    assert_ptr_equal(o->raw, obj);
    kuryr_network_free(o);
    json_decref(obj);
}

static void test_subnet_fields(void **state)
{
    (void)state;
    json_t *obj = load("{\"id\": \"id\", \"name\": \"name\", \"network_id\": \"network_id\", \"cidr\": \"cidr\", "
                       "\"gateway_ip\": \"gateway_ip\", \"subnetpool_id\": \"subnetpool_id\", "
                       "\"project_id\": \"project_id\", \"ip_version\": 21, \"enable_dhcp\": false, "
                       "\"host_routes\": [{\"destination\": \"destination\", \"nexthop\": \"nexthop\"}], "
                       "\"tags\": [\"tags\"], \"revision_number\": 22}");
    kuryr_error err = {0};
    kuryr_subnet *o = kuryr_subnet_from_json(obj, &err);
    assert_non_null(o);
    ASSERT_OWN(o, id, "id");
    ASSERT_OWN(o, name, "name");
    ASSERT_OWN(o, network_id, "network_id");
    ASSERT_OWN(o, cidr, "cidr");
    ASSERT_OWN(o, gateway_ip, "gateway_ip");
    ASSERT_OWN(o, subnetpool_id, "subnetpool_id");
    ASSERT_OWN(o, project_id, "project_id");
    assert_int_equal(o->ip_version, 21);
    assert_false(o->enable_dhcp);
    assert_int_equal(o->n_host_routes, 1);
    ASSERT_OWN(&o->host_routes[0], destination, "destination");
    ASSERT_OWN(&o->host_routes[0], nexthop, "nexthop");
    ONLY(o->tags, "tags");
    assert_int_equal(o->revision_number, 22);
    assert_ptr_equal(o->raw, obj);
    kuryr_subnet_free(o);
    json_decref(obj);
}

static void test_subnetpool_fields(void **state)
{
    (void)state;
    /* two booleans with the same default: each is true once, so neither can read the other's attribute */
    for (int shared = 0; shared < 2; shared++) {
        char text[512];
        snprintf(text, sizeof(text),
                 "{\"id\": \"id\", \"name\": \"name\", \"project_id\": \"project_id\", \"ip_version\": 31, "
                 "\"default_prefixlen\": 32, \"min_prefixlen\": 33, \"max_prefixlen\": 34, \"shared\": %s, "
                 "\"is_default\": %s, \"prefixes\": [\"prefixes\"], \"tags\": [\"tags\"], \"revision_number\": 35}",
                 shared ? "true" : "false", shared ? "false" : "true");
        json_t *obj = load(text);
        kuryr_error err = {0};
        kuryr_subnetpool *o = kuryr_subnetpool_from_json(obj, &err);
        assert_non_null(o);
        ASSERT_OWN(o, id, "id");
        ASSERT_OWN(o, name, "name");
        ASSERT_OWN(o, project_id, "project_id");
        assert_int_equal(o->ip_version, 31);
        assert_int_equal(o->default_prefixlen, 32);
        assert_int_equal(o->min_prefixlen, 33);
        assert_int_equal(o->max_prefixlen, 34);
        assert_int_equal(o->shared, shared);
        assert_int_equal(o->is_default, !shared);
        ONLY(o->prefixes, "prefixes");
        ONLY(o->tags, "tags");
        assert_int_equal(o->revision_number, 35);
        assert_ptr_equal(o->raw, obj);
        kuryr_subnetpool_free(o);
        json_decref(obj);
    }
}

static void test_port_fields(void **state)
{
    (void)state;
    json_t *obj = load("{\"id\": \"id\", \"name\": \"name\", \"network_id\": \"network_id\", "
                       "\"mac_address\": \"mac_address\", \"status\": \"status\", \"device_owner\": \"device_owner\", "
                       "\"device_id\": \"device_id\", \"project_id\": \"project_id\", "
                       "\"binding:host_id\": \"binding:host_id\", \"binding:vif_type\": \"binding:vif_type\", "
                       "\"binding:vnic_type\": \"binding:vnic_type\", "
                       "\"binding:vif_details\": {\"k\": \"binding:vif_details\"}, \"admin_state_up\": false, "
                       "\"fixed_ips\": [{\"subnet_id\": \"subnet_id\", \"ip_address\": \"ip_address\"}], "
                       "\"allowed_address_pairs\": [{\"ip_address\": \"pair ip_address\", "
                       "\"mac_address\": \"pair mac_address\"}], \"security_groups\": [\"security_groups\"], "
                       "\"tags\": [\"tags\"], \"revision_number\": 41}");
    kuryr_error err = {0};
    kuryr_port *o = kuryr_port_from_json(obj, &err);
    assert_non_null(o);
    ASSERT_OWN(o, id, "id");
    ASSERT_OWN(o, name, "name");
    ASSERT_OWN(o, network_id, "network_id");
    ASSERT_OWN(o, mac_address, "mac_address");
    ASSERT_OWN(o, status, "status");
    ASSERT_OWN(o, device_owner, "device_owner");
    ASSERT_OWN(o, device_id, "device_id");
    ASSERT_OWN(o, project_id, "project_id");
    ASSERT_OWN(o, binding_host_id, "binding:host_id");
    ASSERT_OWN(o, binding_vif_type, "binding:vif_type");
    ASSERT_OWN(o, binding_vnic_type, "binding:vnic_type");
    assert_string_equal(json_string_value(json_object_get(o->binding_vif_details, "k")), "binding:vif_details");
    assert_false(o->admin_state_up);
    assert_int_equal(o->n_fixed_ips, 1);
    ASSERT_OWN(&o->fixed_ips[0], subnet_id, "subnet_id");
    ASSERT_OWN(&o->fixed_ips[0], ip_address, "ip_address");
    assert_int_equal(o->n_allowed_address_pairs, 1);
    ASSERT_OWN(&o->allowed_address_pairs[0], ip_address, "pair ip_address");
    ASSERT_OWN(&o->allowed_address_pairs[0], mac_address, "pair mac_address");
    ONLY(o->security_groups, "security_groups");
    ONLY(o->tags, "tags");
    assert_int_equal(o->revision_number, 41);
    assert_ptr_equal(o->raw, obj);
    kuryr_port_free(o);
    json_decref(obj);
}

#define SG_RULE_TEXT                                                                                           \
    "{\"id\": \"id\", \"security_group_id\": \"security_group_id\", \"direction\": \"direction\", "            \
    "\"ethertype\": \"ethertype\", \"protocol\": \"protocol\", \"remote_ip_prefix\": \"remote_ip_prefix\", "   \
    "\"remote_group_id\": \"remote_group_id\", \"port_range_min\": 51, \"port_range_max\": 52}"

static void assert_sg_rule_fields(const kuryr_sg_rule *o)
{
    ASSERT_OWN(o, id, "id");
    ASSERT_OWN(o, security_group_id, "security_group_id");
    ASSERT_OWN(o, direction, "direction");
    ASSERT_OWN(o, ethertype, "ethertype");
    ASSERT_OWN(o, protocol, "protocol");
    ASSERT_OWN(o, remote_ip_prefix, "remote_ip_prefix");
    ASSERT_OWN(o, remote_group_id, "remote_group_id");
    assert_int_equal(o->port_range_min, 51);
    assert_int_equal(o->port_range_max, 52);
    assert_non_null(o->raw);
}

static void test_security_group_fields(void **state)
{
    (void)state;
    json_t *rule = load(SG_RULE_TEXT);
    kuryr_error err = {0};
    kuryr_sg_rule *r = kuryr_sg_rule_from_json(rule, &err);
    assert_non_null(r);
    assert_sg_rule_fields(r);
    assert_ptr_equal(r->raw, rule);
    kuryr_sg_rule_free(r);
    json_decref(rule);

    json_t *obj = load("{\"id\": \"id\", \"name\": \"name\", \"description\": \"description\", "
                       "\"project_id\": \"project_id\", \"security_group_rules\": [" SG_RULE_TEXT "], "
                       "\"tags\": [\"tags\"], \"revision_number\": 53}");
    kuryr_security_group *o = kuryr_security_group_from_json(obj, &err);
    assert_non_null(o);
    ASSERT_OWN(o, id, "id");
    ASSERT_OWN(o, name, "name");
    ASSERT_OWN(o, description, "description");
    ASSERT_OWN(o, project_id, "project_id");
    assert_int_equal(o->n_rules, 1);
    assert_sg_rule_fields(&o->rules[0]);
    ONLY(o->tags, "tags");
    assert_int_equal(o->revision_number, 53);
    assert_ptr_equal(o->raw, obj);
    kuryr_security_group_free(o);
    json_decref(obj);
}

static void test_trunk_fields(void **state)
{
    (void)state;
    json_t *obj = load("{\"id\": \"id\", \"name\": \"name\", \"port_id\": \"port_id\", \"status\": \"status\", "
                       "\"project_id\": \"project_id\", \"sub_ports\": [{\"port_id\": \"sub port_id\", "
                       "\"segmentation_type\": \"segmentation_type\", \"segmentation_id\": 61}], "
                       "\"tags\": [\"tags\"], \"revision_number\": 62}");
    kuryr_error err = {0};
    kuryr_trunk *o = kuryr_trunk_from_json(obj, &err);
    assert_non_null(o);
    ASSERT_OWN(o, id, "id");
    ASSERT_OWN(o, name, "name");
    ASSERT_OWN(o, port_id, "port_id");
    ASSERT_OWN(o, status, "status");
    ASSERT_OWN(o, project_id, "project_id");
    assert_int_equal(o->n_sub_ports, 1);
    ASSERT_OWN(&o->sub_ports[0], port_id, "sub port_id");
    ASSERT_OWN(&o->sub_ports[0], segmentation_type, "segmentation_type");
    assert_int_equal(o->sub_ports[0].segmentation_id, 61);
    ONLY(o->tags, "tags");
    assert_int_equal(o->revision_number, 62);
    assert_ptr_equal(o->raw, obj);
    kuryr_trunk_free(o);
    json_decref(obj);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_network),
        cmocka_unit_test(test_network_minimal),
        cmocka_unit_test(test_subnet),
        cmocka_unit_test(test_subnet_nulls),
        cmocka_unit_test(test_subnetpool_string_prefixlens),
        cmocka_unit_test(test_port),
        cmocka_unit_test(test_port_unbound),
        cmocka_unit_test(test_security_group),
        cmocka_unit_test(test_sg_rule),
        cmocka_unit_test(test_trunk),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_lenient_values),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_list_clear_and_strv),
        cmocka_unit_test(test_network_fields),
        cmocka_unit_test(test_subnet_fields),
        cmocka_unit_test(test_subnetpool_fields),
        cmocka_unit_test(test_port_fields),
        cmocka_unit_test(test_security_group_fields),
        cmocka_unit_test(test_trunk_fields),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
