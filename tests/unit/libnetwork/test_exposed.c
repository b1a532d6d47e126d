/* Handler tests for ProgramExternalConnectivity, RevokeExternalConnectivity (exposed.c), against the scripted Neutron
 * of handler_fixture.h: the requests each plugin call sends (names, tags, filters, bodies) and the JSON Docker gets
 * back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kuryr/log.h"
#include "handler_fixture.h"

/* Exposed ports: a security group named after the port, one rule per range, added to the port. */
static void test_exposed_ports(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer(f, "GET", "/v2.0/networks", 200, "networks_found.json", 0);
    answer(f, "GET", "/v2.0/ports", 200, "ports_one.json", 0);
    answer_text(f, "GET", "/v2.0/security-groups", 200, "{\"security_groups\": []}", 1);
    answer(f, "POST", "/v2.0/security-groups", 201, "security_group.json", 0);
    answer(f, "POST", "/v2.0/security-group-rules", 201, "sg_rule.json", 0);
    answer(f, "PUT", "/v2.0/ports/" PORT, 200, "port.json", 0);
    json_decref(call_ok(f, "/NetworkDriver.ProgramExternalConnectivity",
                        "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\",\"Options\":{"
                        "\"com.docker.network.endpoint.exposedports\":[{\"Proto\":6,\"Port\":81},"
                        "{\"Proto\":6,\"Port\":80},{\"Proto\":17,\"Port\":53}],"
                        "\"com.docker.network.portmap\":[]}}"));
    json_t *sg = pf_body_of(nth(f, "POST", "/v2.0/security-groups", 0), "security_group");
    pf_assert_json_str(sg, "name", PORT "-exposed_ports");
    json_decref(sg);
    assert_int_equal(count(f, "POST", "/v2.0/security-group-rules"), 2);
    json_t *rule = pf_body_of(nth(f, "POST", "/v2.0/security-group-rules", 0), "security_group_rule");
    pf_assert_json_str(rule, "protocol", "tcp");
    pf_assert_json_str(rule, "direction", "ingress");
    pf_assert_json_str(rule, "ethertype", "IPv4");
    assert_int_equal(json_integer_value(json_object_get(rule, "port_range_min")), 80);
    assert_int_equal(json_integer_value(json_object_get(rule, "port_range_max")), 81);
    json_decref(rule);
    json_t *upd = pf_body_of(nth(f, "PUT", "/v2.0/ports/" PORT, 0), "port");
    json_t *groups = json_object_get(upd, "security_groups");
    assert_int_equal(json_array_size(groups), 2);
    assert_string_equal(json_string_value(json_array_get(groups, 1)), SG);
    json_decref(upd);

    /* Revoke removes it from the port and deletes it */
    answer_text(f, "GET", "/v2.0/security-groups", 200, "{\"security_groups\":[{\"id\":\"" SG "\"}]}", 0);
    answer(f, "DELETE", "/v2.0/security-groups/" SG, 204, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.RevokeExternalConnectivity",
                        "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\"}"));
    assert_int_equal(count(f, "DELETE", "/v2.0/security-groups/" SG), 1);

    /* an endpoint that exposed nothing is revoked without asking Neutron */
    size_t before = test_httpd_request_count(f->srv);
    json_decref(call_ok(f, "/NetworkDriver.ProgramExternalConnectivity",
                        "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" NETID "\",\"Options\":{}}"));
    json_decref(call_ok(f, "/NetworkDriver.RevokeExternalConnectivity",
                        "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" NETID "\"}"));
    assert_int_equal(test_httpd_request_count(f->srv), before);
    assert_false(kl_unexposed_take(&f->p, NETID));
}

int main(void)
{
    kuryr_log_init("test_exposed", KURYR_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exposed_ports, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
