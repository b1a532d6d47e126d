/* The Neutron client against the scripted server on 127.0.0.1 (auth type none, endpoint_override): methods,
 * paths and bodies of CRUD, tags (escaped), trunk subports, pagination, fields selection, errors, and the
 * extension cache sending one GET however many callers ask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/neutron.h"
#include "neutron_test_data.h"
#include "neutron_fixture.h"
#include "test_httpd.h"

#define NET_ID "4e8e5957-649f-477b-9e5b-f1f75b21c03c"
#define PORT_ID "d7a2e1f6-5c3b-4a8e-9f0d-2b1c4e6a8d0f"
#define TRUNK_ID "8b4c2d1e-7f6a-4b3c-9d8e-1f2a3b4c5d6e"

typedef neutron_fixture fixture;

static const test_httpd_request *req(fixture *f, size_t i)
{
    const test_httpd_request *r = test_httpd_request_at(f->srv, i);
    if (!r)
        fail_msg("request %zu was not received (%zu in all)", i, test_httpd_request_count(f->srv));
    return r;
}

static void assert_request(fixture *f, size_t i, const char *method, const char *path)
{
    const test_httpd_request *r = req(f, i);
    assert_string_equal(r->method, method);
    assert_string_equal(r->path, path);
}

static void assert_body(fixture *f, size_t i, const char *expected)
{
    const test_httpd_request *r = req(f, i);
    json_t *got = json_loads(r->body, 0, NULL), *want = json_loads(expected, 0, NULL);
    assert_non_null(want);
    if (!got || !json_equal(got, want))
        fail_msg("request %zu body %s, expected %s", i, r->body, expected);
    json_decref(got);
    json_decref(want);
}

/* The object inside a recorded {"<key>": {...}} answer, as text, unenveloped. */
static char *inner_text(const char *file, const char *key)
{
    json_t *root = neutron_data_json(file);
    char *s = json_dumps(json_object_get(root, key), JSON_COMPACT);
    json_decref(root);
    return s;
}

/* ---- CRUD -------------------------------------------------------------------------------------------- */
static void test_network_crud(void **state)
{
    fixture *f = *state;
    char *net = neutron_data_text("network.json");
    test_httpd_answer(f->srv, "POST", "/v2.0/networks", 201, net);
    test_httpd_answer(f->srv, "GET", "/v2.0/networks/" NET_ID, 200, net);
    test_httpd_answer(f->srv, "PUT", "/v2.0/networks/" NET_ID, 200, net);
    test_httpd_answer(f->srv, "DELETE", "/v2.0/networks/" NET_ID, 204, NULL);
    free(net);

    kuryr_error err = {0};
    kuryr_network *n = NULL;
    json_t *attrs = json_pack("{ss sb}", "name", "kuryr-net-8e2b5f1c", "admin_state_up", 1);
    assert_int_equal(kuryr_neutron_network_create(f->kn, attrs, &n, &err), 0);
    assert_string_equal(n->id, NET_ID);
    assert_int_equal(n->mtu, 1442);
    kuryr_network_free(n);
    assert_request(f, 0, "POST", "/v2.0/networks");
    assert_body(f, 0, "{\"network\": {\"name\": \"kuryr-net-8e2b5f1c\", \"admin_state_up\": true}}");
    assert_string_equal(test_httpd_header(req(f, 0), "Content-Type"), "application/json");
    assert_int_equal(json_object_size(attrs), 2); /* borrowed, untouched */

    assert_int_equal(kuryr_neutron_network_get(f->kn, NET_ID, &n, &err), 0);
    assert_true(kuryr_strv_contains(&n->tags, "kuryr.net.uuid.lh:8e2b5f1c0d9a4e7b8c6d5e4f3a2b1c0d"));
    kuryr_network_free(n);
    assert_request(f, 1, "GET", "/v2.0/networks/" NET_ID);
    assert_string_equal(req(f, 1)->body, "");

    json_t *upd = json_pack("{si}", "mtu", 1400);
    assert_int_equal(kuryr_neutron_network_update(f->kn, NET_ID, upd, NULL, &err), 0);
    json_decref(upd);
    assert_request(f, 2, "PUT", "/v2.0/networks/" NET_ID);
    assert_body(f, 2, "{\"network\": {\"mtu\": 1400}}");

    assert_int_equal(kuryr_neutron_network_delete(f->kn, NET_ID, &err), 0);
    assert_request(f, 3, "DELETE", "/v2.0/networks/" NET_ID);

    /* create without out */
    assert_int_equal(kuryr_neutron_network_create(f->kn, attrs, NULL, &err), 0);
    json_decref(attrs);
    assert_int_equal(test_httpd_request_count(f->srv), 5);
}

/* Every resource: its collection path, its envelope key, and its parser. */
static void test_every_resource_paths(void **state)
{
    fixture *f = *state;
    char *subnet = neutron_data_text("subnet.json"), *pool = neutron_data_text("subnetpool.json");
    char *port = neutron_data_text("port.json"), *sg = neutron_data_text("security_group.json");
    char *trunk = neutron_data_text("trunk.json");
    json_t *sgroot = neutron_data_json("security_group.json");
    json_t *rule = json_pack("{sO}", "security_group_rule",
                             json_array_get(json_object_get(json_object_get(sgroot, "security_group"),
                                                            "security_group_rules"), 1));
    char *rule_text = json_dumps(rule, 0);
    json_decref(rule);
    json_decref(sgroot);
    test_httpd_answer(f->srv, "POST", "/v2.0/subnets", 201, subnet);
    test_httpd_answer(f->srv, "POST", "/v2.0/subnetpools", 201, pool);
    test_httpd_answer(f->srv, "POST", "/v2.0/ports", 201, port);
    test_httpd_answer(f->srv, "POST", "/v2.0/security-groups", 201, sg);
    test_httpd_answer(f->srv, "POST", "/v2.0/security-group-rules", 201, rule_text);
    test_httpd_answer(f->srv, "POST", "/v2.0/trunks", 201, trunk);
    test_httpd_answer(f->srv, "DELETE", NULL, 204, NULL);
    free(subnet), free(pool), free(port), free(sg), free(trunk), free(rule_text);

    kuryr_error err = {0};
    json_t *a = json_pack("{ss}", "name", "x");
    kuryr_subnet *s;
    kuryr_subnetpool *p;
    kuryr_port *pt;
    kuryr_security_group *g;
    kuryr_sg_rule *r;
    kuryr_trunk *t;
    assert_int_equal(kuryr_neutron_subnet_create(f->kn, a, &s, &err), 0);
    assert_int_equal(kuryr_neutron_subnetpool_create(f->kn, a, &p, &err), 0);
    assert_int_equal(kuryr_neutron_port_create(f->kn, a, &pt, &err), 0);
    assert_int_equal(kuryr_neutron_security_group_create(f->kn, a, &g, &err), 0);
    assert_int_equal(kuryr_neutron_sg_rule_create(f->kn, a, &r, &err), 0);
    assert_int_equal(kuryr_neutron_trunk_create(f->kn, a, &t, &err), 0);
    assert_string_equal(s->cidr, "10.10.0.0/24");
    assert_int_equal(p->default_prefixlen, 24);
    assert_string_equal(pt->binding_vif_type, "ovs");
    assert_int_equal(g->n_rules, 2);
    assert_int_equal(r->port_range_min, 8080);
    assert_int_equal(t->n_sub_ports, 2);
    kuryr_subnet_free(s), kuryr_subnetpool_free(p), kuryr_port_free(pt);
    kuryr_security_group_free(g), kuryr_sg_rule_free(r), kuryr_trunk_free(t);
    static const char *envelopes[] = {"subnet", "subnetpool", "port", "security_group", "security_group_rule",
                                      "trunk"};
    for (size_t i = 0; i < 6; i++) {
        json_t *body = json_loads(req(f, i)->body, 0, NULL);
        assert_non_null(json_object_get(body, envelopes[i]));
        json_decref(body);
    }
    json_decref(a);

    assert_int_equal(kuryr_neutron_subnet_delete(f->kn, "s1", &err), 0);
    assert_int_equal(kuryr_neutron_subnetpool_delete(f->kn, "p1", &err), 0);
    assert_int_equal(kuryr_neutron_port_delete(f->kn, "pt1", &err), 0);
    assert_int_equal(kuryr_neutron_security_group_delete(f->kn, "g1", &err), 0);
    assert_int_equal(kuryr_neutron_sg_rule_delete(f->kn, "r1", &err), 0);
    assert_int_equal(kuryr_neutron_trunk_delete(f->kn, "t1", &err), 0);
    assert_request(f, 6, "DELETE", "/v2.0/subnets/s1");
    assert_request(f, 7, "DELETE", "/v2.0/subnetpools/p1");
    assert_request(f, 8, "DELETE", "/v2.0/ports/pt1");
    assert_request(f, 9, "DELETE", "/v2.0/security-groups/g1");
    assert_request(f, 10, "DELETE", "/v2.0/security-group-rules/r1");
    assert_request(f, 11, "DELETE", "/v2.0/trunks/t1");
}

static void test_local_validation(void **state)
{
    fixture *f = *state;
    kuryr_error err = {0};
    kuryr_port *p = (kuryr_port *)1;
    assert_int_equal(kuryr_neutron_port_get(f->kn, "", &p, &err), -1);
    assert_null(p);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_int_equal(kuryr_neutron_port_delete(f->kn, NULL, &err), -1);
    json_t *arr = json_array();
    assert_int_equal(kuryr_neutron_port_create(f->kn, arr, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    json_decref(arr);
    assert_int_equal(kuryr_neutron_tag_add(f->kn, "ports/../networks", "x", "t", &err), -1);
    assert_int_equal(kuryr_neutron_tag_add(f->kn, "ports", "x", "", &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_int_equal(test_httpd_request_count(f->srv), 0); /* nothing was sent */
}

/* ---- lists ------------------------------------------------------------------------------------------- */
static void test_pagination_and_fields(void **state)
{
    fixture *f = *state;
    char *p1 = neutron_data_text("networks_page1.json"), *p2 = neutron_data_text("networks_page2.json");
    /* the more specific (second page) answer first: matching is by prefix, in order */
    test_httpd_answer(f->srv, "GET", "/v2.0/networks?fields=id&fields=name&limit=2&marker=2222", 200, p2);
    test_httpd_answer(f->srv, "GET", "/v2.0/networks?fields=id&fields=name&limit=2", 200, p1);
    free(p1);
    free(p2);

    kuryr_query *q = kuryr_query_new();
    kuryr_query_field(q, "id");
    kuryr_query_field(q, "name");
    kuryr_query_limit(q, 2);
    kuryr_network_list l;
    kuryr_error err = {0};
    assert_int_equal(kuryr_neutron_network_list(f->kn, q, &l, &err), 0);
    kuryr_query_free(q);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0]->id, "11111111-1111-4111-8111-111111111111");
    assert_string_equal(l.items[2]->id, "33333333-3333-4333-8333-333333333333");
    assert_int_equal(l.items[2]->mtu, 0);
    assert_null(l.items[3]);
    kuryr_network_list_clear(&l);
    assert_int_equal(test_httpd_request_count(f->srv), 2);
    assert_request(f, 0, "GET", "/v2.0/networks?fields=id&fields=name&limit=2");
    assert_request(f, 1, "GET",
                   "/v2.0/networks?fields=id&fields=name&limit=2&marker=22222222-2222-4222-8222-222222222222");
}

static void test_list_filters_and_empty(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports", 200, "{\"ports\": [], \"ports_links\": []}");
    test_httpd_answer(f->srv, "GET", "/v2.0/security-group-rules", 200, "{\"security_group_rules\": []}");
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "fixed_ips", "subnet_id=54d6f61d");
    kuryr_query_add(q, "fixed_ips", "ip_address=10.10.0.23");
    kuryr_query_add(q, "tags", "kuryr.net.uuid.lh:abc,compute:kuryr");
    kuryr_port_list l;
    kuryr_error err = {0};
    assert_int_equal(kuryr_neutron_port_list(f->kn, q, &l, &err), 0);
    kuryr_query_free(q);
    assert_int_equal(l.n, 0);
    assert_non_null(l.items);
    kuryr_port_list_clear(&l);
    /* the server records decoded values: the split at '&' and '=' shows what was escaped */
    assert_request(f, 0, "GET",
                   "/v2.0/ports?fixed_ips=subnet_id=54d6f61d&fixed_ips=ip_address=10.10.0.23"
                   "&tags=kuryr.net.uuid.lh:abc,compute:kuryr");

    kuryr_sg_rule_list rl;
    assert_int_equal(kuryr_neutron_sg_rule_list(f->kn, NULL, &rl, &err), 0);
    assert_int_equal(rl.n, 0);
    kuryr_sg_rule_list_clear(&rl);
    assert_request(f, 1, "GET", "/v2.0/security-group-rules");
}

static void test_list_bad_answers(void **state)
{
    fixture *f = *state;
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/v2.0/subnets", .status = 200,
                                                 .body = "{\"subnet\": []}", .times = 1});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/v2.0/subnets", .status = 200,
                                                 .body = "{\"subnets\": [{\"id\": \"a\"}, {\"id\": 5}]}",
                                                 .times = 1});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/v2.0/subnets", .status = 200,
                                                 .body = "<html>proxy</html>", .times = 1});
    kuryr_subnet_list l;
    kuryr_error err = {0};
    assert_int_equal(kuryr_neutron_subnet_list(f->kn, NULL, &l, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_INTERNAL);
    assert_non_null(strstr(err.message, "'subnets'"));
    assert_null(l.items);
    assert_int_equal(kuryr_neutron_subnet_list(f->kn, NULL, &l, &err), -1);
    assert_non_null(strstr(err.message, "'id' must be a string"));
    assert_int_equal(l.n, 0);
    assert_int_equal(kuryr_neutron_subnet_list(f->kn, NULL, &l, &err), -1);
    assert_non_null(strstr(err.message, "malformed JSON"));
}

/* A server that keeps pointing at the same page must not keep the client looping. */
static void test_pagination_repeated_link(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/trunks", 200,
                      "{\"trunks\": [{\"id\": \"t\"}], \"trunks_links\": [{\"rel\": \"next\", "
                      "\"href\": \"http://elsewhere:9696/v2.0/trunks?marker=t\"}]}");
    kuryr_trunk_list l;
    kuryr_error err = {0};
    assert_int_equal(kuryr_neutron_trunk_list(f->kn, NULL, &l, &err), 0);
    assert_int_equal(l.n, 2);
    kuryr_trunk_list_clear(&l);
    assert_int_equal(test_httpd_request_count(f->srv), 2);
    assert_request(f, 1, "GET", "/v2.0/trunks?marker=t");
}

/* ---- errors ------------------------------------------------------------------------------------------ */
static void test_errors_through_client(void **state)
{
    fixture *f = *state;
    char *conflict = neutron_data_text("error_ip_in_use.json"), *missing = neutron_data_text("error_port_not_found.json");
    test_httpd_answer(f->srv, "POST", "/v2.0/ports", 409, conflict);
    test_httpd_answer(f->srv, "DELETE", "/v2.0/ports/", 404, missing);
    test_httpd_answer(f->srv, "GET", "/v2.0/ports/", 503, "<html><body>503 Service Unavailable</body></html>");
    free(conflict);
    free(missing);

    kuryr_error err = {0};
    kuryr_port *p = (kuryr_port *)1;
    json_t *a = json_pack("{ss}", "network_id", NET_ID);
    assert_int_equal(kuryr_neutron_port_create(f->kn, a, &p, &err), -1);
    json_decref(a);
    assert_null(p);
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_int_equal(err.http_status, 409);
    assert_string_equal(err.type, "IpAddressAlreadyAllocated");

    assert_int_equal(kuryr_neutron_port_delete(f->kn, PORT_ID, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_string_equal(err.type, "PortNotFound");

    assert_int_equal(kuryr_neutron_port_get(f->kn, PORT_ID, &p, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_int_equal(err.http_status, 503);
}

/* ---- conditional update ------------------------------------------------------------------------------ */
static void test_port_update_if_revision(void **state)
{
    fixture *f = *state;
    char *port = neutron_data_text("port.json");
    test_httpd_script ok = {.method = "PUT", .path = "/v2.0/ports/" PORT_ID, .status = 200, .body = port, .times = 1};
    test_httpd_add(f->srv, &ok);
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/" PORT_ID, 412,
                      "{\"NeutronError\": {\"type\": \"RevisionNumberConstraintFailed\", \"message\": "
                      "\"Constrained to 7, but current revision is 8\", \"detail\": \"\"}}");
    free(port);

    kuryr_error err = {0};
    kuryr_port *p = NULL;
    json_t *a = json_pack("{s:[]}", "allowed_address_pairs");
    assert_int_equal(kuryr_neutron_port_update_if_revision(f->kn, PORT_ID, a, 7, &p, &err), 0);
    assert_non_null(p);
    assert_string_equal(p->id, PORT_ID);
    kuryr_port_free(p);
    assert_request(f, 0, "PUT", "/v2.0/ports/" PORT_ID);
    assert_body(f, 0, "{\"port\": {\"allowed_address_pairs\": []}}");
    assert_string_equal(test_httpd_header(req(f, 0), "If-Match"), "revision_number=7");

    /* a stale revision: Neutron's 412 is a conflict, to re-read and retry */
    assert_int_equal(kuryr_neutron_port_update_if_revision(f->kn, PORT_ID, a, 7, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_CONFLICT);
    assert_int_equal(err.http_status, 412);
    assert_string_equal(err.type, "RevisionNumberConstraintFailed");

    /* plain updates carry no If-Match */
    assert_int_equal(kuryr_neutron_port_update(f->kn, PORT_ID, a, NULL, &err), -1);
    assert_null(test_httpd_header(req(f, 2), "If-Match"));
    json_decref(a);
}

/* ---- tags -------------------------------------------------------------------------------------------- */
static void test_tags(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "PUT", "/v2.0/networks/" NET_ID "/tags/", 201, NULL);
    test_httpd_add(f->srv, &(test_httpd_script){.method = "DELETE", .path = "/v2.0/ports/", .status = 404,
                                                 .body = "{\"NeutronError\": {\"type\": \"TagNotFound\", "
                                                         "\"message\": \"Tag x could not be found.\"}}",
                                                 .times = 1});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "DELETE", .path = "/v2.0/ports/", .status = 204,
                                                 .times = 1});
    test_httpd_add(f->srv, &(test_httpd_script){.method = "DELETE", .path = "/v2.0/ports/", .status = 500,
                                                 .body = "{\"NeutronError\": {\"type\": \"X\", \"message\": \"boom\"}}"});
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/" PORT_ID "/tags", 200, "{\"tags\": [\"a\", \"b:c\"]}");

    kuryr_error err = {0};
    assert_int_equal(kuryr_neutron_tag_add(f->kn, "networks", NET_ID, "kuryr.net.uuid.lh:8e2b5f1c", &err), 0);
    /* '%', '?' and '#' only survive the trip when the client escaped them: unescaped, '?' would start the
     * query, '#' would never be sent and "%41" would arrive as "A" */
    assert_int_equal(kuryr_neutron_tag_add(f->kn, "networks", NET_ID, "a/b?c#d%41 e", &err), 0);
    assert_request(f, 0, "PUT", "/v2.0/networks/" NET_ID "/tags/kuryr.net.uuid.lh:8e2b5f1c");
    assert_request(f, 1, "PUT", "/v2.0/networks/" NET_ID "/tags/a/b?c#d%41 e");

    assert_int_equal(kuryr_neutron_tag_remove(f->kn, "ports", PORT_ID, "kuryr.port.existing", &err), 0);
    assert_int_equal(err.kind, KURYR_OK); /* 404: already gone */
    assert_request(f, 2, "DELETE", "/v2.0/ports/" PORT_ID "/tags/kuryr.port.existing");
    assert_int_equal(kuryr_neutron_tag_remove(f->kn, "ports", PORT_ID, "compute:kuryr", &err), 0);
    assert_int_equal(kuryr_neutron_tag_remove(f->kn, "ports", PORT_ID, "compute:kuryr", &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);

    const char *tags[] = {"kuryr.ep.uuid.lh:1b6c", "compute:kuryr"};
    assert_int_equal(kuryr_neutron_tags_replace(f->kn, "ports", PORT_ID, tags, 2, &err), 0);
    assert_request(f, 5, "PUT", "/v2.0/ports/" PORT_ID "/tags");
    assert_body(f, 5, "{\"tags\": [\"kuryr.ep.uuid.lh:1b6c\", \"compute:kuryr\"]}");
    assert_int_equal(kuryr_neutron_tags_replace(f->kn, "ports", PORT_ID, NULL, 0, &err), 0);
    assert_body(f, 6, "{\"tags\": []}");
}

/* ---- tags at creation ------------------------------------------------------------------------------- */
#define NET_WITH_TAGS "{\"network\": {\"id\": \"" NET_ID "\", \"tags\": [\"a\", \"b\"]}}"
#define NET_NO_TAGS "{\"network\": {\"id\": \"" NET_ID "\", \"tags\": []}}"
#define TAGS_REFUSED                                                                                            \
    "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", \"message\": \"Attribute 'tags' not allowed in POST\"}}"
static const char *const two_tags[] = {"a", "b"};

/* One create as callers make it: fresh attributes {"name": "x"}. */
static int create_x(fixture *f, const char *const *tags, size_t n, kuryr_network **net, bool *after,
                    kuryr_error *err)
{
    json_t *attrs = json_pack("{ss}", "name", "x");
    int rc = kuryr_neutron_network_create_tagged(f->kn, attrs, tags, n, net, after, err);
    json_decref(attrs);
    return rc;
}

/* Creates answered without tags; the tags call answered with status (200, or an error). */
static void answer_untagged_create(fixture *f, int status)
{
    test_httpd_answer(f->srv, "POST", "/v2.0/networks", 201, NET_NO_TAGS);
    test_httpd_answer(f->srv, "PUT", "/v2.0/networks/" NET_ID "/tags", status,
                      status == 200 ? "{\"tags\": [\"a\", \"b\"]}"
                                    : "{\"NeutronError\": {\"type\": \"X\", \"message\": \"down\"}}");
}

static void test_create_tagged_in_body(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "POST", "/v2.0/networks", 201, NET_WITH_TAGS);
    kuryr_error err = {0};
    kuryr_network *n = NULL;
    bool after = true;
    assert_int_equal(create_x(f, two_tags, 2, &n, &after, &err), 0);
    assert_false(after);
    assert_string_equal(n->id, NET_ID);
    kuryr_network_free(n);
    assert_int_equal(test_httpd_request_count(f->srv), 1); /* one round trip */
    assert_body(f, 0, "{\"network\": {\"name\": \"x\", \"tags\": [\"a\", \"b\"]}}");
    /* no tags asked: a plain create */
    assert_int_equal(create_x(f, NULL, 0, &n, &after, &err), 0);
    assert_false(after);
    kuryr_network_free(n);
    assert_body(f, 1, "{\"network\": {\"name\": \"x\"}}");
    assert_true(kuryr_neutron_tags_in_body(f->kn));
}

/* A 400 naming "tags": the create is sent again without them, the tags follow in one call, and later creates
 * leave them out from the start. */
static void test_create_tagged_refused(void **state)
{
    fixture *f = *state;
    test_httpd_add(f->srv, &(test_httpd_script){.method = "POST", .path = "/v2.0/networks", .status = 400,
                                                 .body = TAGS_REFUSED, .times = 1});
    answer_untagged_create(f, 200);
    kuryr_error err = {0};
    kuryr_network *n = NULL;
    bool after = false;
    assert_int_equal(create_x(f, two_tags, 2, &n, &after, &err), 0);
    assert_true(after);
    kuryr_network_free(n);
    assert_body(f, 0, "{\"network\": {\"name\": \"x\", \"tags\": [\"a\", \"b\"]}}");
    assert_request(f, 1, "POST", "/v2.0/networks");
    assert_body(f, 1, "{\"network\": {\"name\": \"x\"}}");
    assert_request(f, 2, "PUT", "/v2.0/networks/" NET_ID "/tags");
    assert_body(f, 2, "{\"tags\": [\"a\", \"b\"]}");
    assert_false(kuryr_neutron_tags_in_body(f->kn));

    assert_int_equal(create_x(f, two_tags, 2, &n, &after, &err), 0);
    assert_true(after);
    kuryr_network_free(n);
    assert_body(f, 3, "{\"network\": {\"name\": \"x\"}}");
    assert_request(f, 4, "PUT", "/v2.0/networks/" NET_ID "/tags");
    assert_int_equal(test_httpd_request_count(f->srv), 5);
}

/* Another 400 is the caller's: not retried, nothing created, body tags still on. */
static void test_create_tagged_other_400(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "POST", "/v2.0/networks", 400,
                      "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", \"message\": \"Invalid input for name\"}}");
    kuryr_error err = {0};
    kuryr_network *n = NULL;
    assert_int_equal(create_x(f, two_tags, 2, &n, NULL, &err), -1);
    assert_null(n);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_int_equal(test_httpd_request_count(f->srv), 1);
    assert_true(kuryr_neutron_tags_in_body(f->kn));
}

/* Taken in the body but not kept: tagged with one more call, and body tags are off from now on. */
static void test_create_tagged_dropped(void **state)
{
    fixture *f = *state;
    answer_untagged_create(f, 200);
    kuryr_error err = {0};
    kuryr_network *n = NULL;
    bool after = false;
    assert_int_equal(create_x(f, two_tags, 2, &n, &after, &err), 0);
    assert_true(after);
    kuryr_network_free(n);
    assert_int_equal(test_httpd_request_count(f->srv), 2);
    assert_request(f, 1, "PUT", "/v2.0/networks/" NET_ID "/tags");
    assert_false(kuryr_neutron_tags_in_body(f->kn));
}

/* The tags call fails: the created, untagged object is handed back with the error, for the caller to delete. */
static void test_create_tagged_tag_call_fails(void **state)
{
    fixture *f = *state;
    answer_untagged_create(f, 503);
    kuryr_error err = {0};
    kuryr_network *n = NULL;
    assert_int_equal(create_x(f, two_tags, 2, &n, NULL, &err), -1);
    assert_non_null(n);
    assert_string_equal(n->id, NET_ID);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_non_null(strstr(err.message, "tagging the new Neutron object failed"));
    kuryr_network_free(n);
}

/* ---- trunks ------------------------------------------------------------------------------------------ */
static void test_trunk_subports(void **state)
{
    fixture *f = *state;
    char *trunk = inner_text("trunk.json", "trunk"); /* Neutron answers these actions unenveloped */
    test_httpd_answer(f->srv, "PUT", "/v2.0/trunks/" TRUNK_ID "/add_subports", 200, trunk);
    test_httpd_answer(f->srv, "PUT", "/v2.0/trunks/" TRUNK_ID "/remove_subports", 200, trunk);
    free(trunk);

    kuryr_error err = {0};
    kuryr_subport subs[] = {{.port_id = PORT_ID, .segmentation_type = "vlan", .segmentation_id = 101},
                            {.port_id = "5b6c7d8e", .segmentation_type = NULL, .segmentation_id = 0}};
    kuryr_trunk *t = NULL;
    assert_int_equal(kuryr_neutron_trunk_add_subports(f->kn, TRUNK_ID, subs, 2, &t, &err), 0);
    assert_non_null(t);
    assert_string_equal(t->id, TRUNK_ID);
    assert_int_equal(t->n_sub_ports, 2);
    kuryr_trunk_free(t);
    assert_request(f, 0, "PUT", "/v2.0/trunks/" TRUNK_ID "/add_subports");
    assert_body(f, 0, "{\"sub_ports\": [{\"port_id\": \"" PORT_ID "\", \"segmentation_type\": \"vlan\", "
                      "\"segmentation_id\": 101}, {\"port_id\": \"5b6c7d8e\"}]}");

    const char *ids[] = {PORT_ID};
    assert_int_equal(kuryr_neutron_trunk_remove_subports(f->kn, TRUNK_ID, ids, 1, NULL, &err), 0);
    assert_request(f, 1, "PUT", "/v2.0/trunks/" TRUNK_ID "/remove_subports");
    assert_body(f, 1, "{\"sub_ports\": [{\"port_id\": \"" PORT_ID "\"}]}");

    assert_int_equal(kuryr_neutron_trunk_add_subports(f->kn, "", subs, 1, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_int_equal(test_httpd_request_count(f->srv), 2);
}

/* ---- extensions -------------------------------------------------------------------------------------- */
typedef struct {
    kuryr_neutron *kn;
    bool trunk, bogus;
} ext_job;

static void *ask_extensions(void *arg)
{
    ext_job *j = arg;
    j->trunk = kuryr_neutron_has_extension(j->kn, "trunk");
    j->bogus = kuryr_neutron_has_extension(j->kn, "no-such-extension");
    return NULL;
}

static void test_extensions_cached(void **state)
{
    fixture *f = *state;
    char *ext = neutron_data_text("extensions.json");
    /* the first fetch fails and must not be cached; the second succeeds and must be the last */
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/v2.0/extensions", .status = 503,
                                                 .body = "busy", .times = 1});
    test_httpd_answer(f->srv, "GET", "/v2.0/extensions", 200, ext);
    free(ext);

    assert_false(kuryr_neutron_has_extension(f->kn, "trunk"));
    pthread_t th[6];
    ext_job jobs[6];
    for (int i = 0; i < 6; i++) {
        jobs[i] = (ext_job){.kn = f->kn};
        assert_int_equal(pthread_create(&th[i], NULL, ask_extensions, &jobs[i]), 0);
    }
    for (int i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_true(jobs[i].trunk);
        assert_false(jobs[i].bogus);
    }
    assert_true(kuryr_neutron_has_extension(f->kn, "standard-attr-tag"));
    kuryr_strv all;
    kuryr_error err = {0};
    assert_int_equal(kuryr_neutron_extensions(f->kn, &all, &err), 0);
    assert_int_equal(all.n, 4);
    assert_true(kuryr_strv_contains(&all, "subnet_allocation"));
    kuryr_strv_clear(&all);
    assert_int_equal(test_httpd_request_count(f->srv), 2);
    assert_request(f, 1, "GET", "/v2.0/extensions");
}

/* Many threads sharing one client. */
typedef struct {
    kuryr_neutron *kn;
    int ok;
} get_job;

static void *get_ports(void *arg)
{
    get_job *j = arg;
    for (int i = 0; i < 10; i++) {
        kuryr_port *p = NULL;
        kuryr_error err = {0};
        if (kuryr_neutron_port_get(j->kn, PORT_ID, &p, &err) == 0 && p && !strcmp(p->id, PORT_ID))
            j->ok++;
        kuryr_port_free(p);
    }
    return NULL;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    char *port = neutron_data_text("port.json");
    test_httpd_answer(f->srv, "GET", "/v2.0/ports/" PORT_ID, 200, port);
    free(port);
    pthread_t th[4];
    get_job jobs[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (get_job){.kn = f->kn};
        assert_int_equal(pthread_create(&th[i], NULL, get_ports, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(jobs[i].ok, 10);
    }
    assert_int_equal(test_httpd_request_count(f->srv), 40);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, neutron_fixture_setup, neutron_fixture_teardown)
    const struct CMUnitTest tests[] = {
        T(test_network_crud),
        T(test_every_resource_paths),
        T(test_local_validation),
        T(test_pagination_and_fields),
        T(test_list_filters_and_empty),
        T(test_list_bad_answers),
        T(test_pagination_repeated_link),
        T(test_errors_through_client),
        T(test_port_update_if_revision),
        T(test_tags),
        T(test_create_tagged_in_body),
        T(test_create_tagged_refused),
        T(test_create_tagged_other_400),
        T(test_create_tagged_dropped),
        T(test_create_tagged_tag_call_fails),
        T(test_trunk_subports),
        T(test_extensions_cached),
        T(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
