/* Handler tests for CreateEndpoint, DeleteEndpoint, Join, Leave (endpoint.c), against the scripted Neutron of
 * handler_fixture.h: the requests each plugin call sends (names, tags, filters, bodies) and the JSON Docker gets
 * back. Binding is made to fail before any netlink work (the port's vnic_type is not "normal"), which also exercises
 * the roll-back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>

#include "kuryr/log.h"
#include "mapping.h"
#include "metrics.h"
#include "kuryr/port_deletes.h"
#include "vif_pool.h"
#include "handler_fixture.h"

/* Nested (vlan) binding on "lo", whose MAC is readable everywhere; the trunk lookup fails before any link
 * is made. */
static int setup_nested(void **state)
{
    const pf_setting s[] = {{"binding", "default_driver", "vlan"},
                            {"binding", "enabled_drivers", "vlan"},
                            {"binding", "link_iface", "lo"}};
    return pf_setup(state, s, sizeof(s) / sizeof(*s));
}

/* docker run / stop on that network: RequestAddress, CreateEndpoint (bind fails: roll-back), Join,
 * DeleteEndpoint, ReleaseAddress. */
static void test_endpoint_flow(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/subnets?subnetpool_id", 200, "subnets_one.json", 0);
    answer_text(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&mac_address", 200, "{\"ports\": []}", 1);
    answer(f, "POST", "/v2.0/ports", 201, "port.json", 0);
    json_t *r = call_ok(f, "/IpamDriver.RequestAddress",
                        "{\"PoolID\":\"" POOL "\",\"Address\":\"\",\"Options\":"
                        "{\"com.docker.network.endpoint.macaddress\":\"02:42:0a:00:00:02\"}}");
    pf_assert_json_str(r, "Address", "10.0.0.2/24");
    json_decref(r);
    json_t *port = pf_body_of(nth(f, "POST", "/v2.0/ports", 0), "port");
    pf_assert_json_str(port, "name", "kuryr-unbound-port");
    pf_assert_json_str(port, "network_id", NEUTRON_NET);
    pf_assert_json_str(port, "mac_address", "02:42:0a:00:00:02");
    pf_assert_json_str(json_array_get(json_object_get(port, "fixed_ips"), 0), "subnet_id", SUBNET);
    assert_string_equal(json_string_value(json_array_get(json_object_get(port, "tags"), 0)), "compute:kuryr");
    json_decref(port);

    /* CreateEndpoint: the network lookup goes by tags; the IPAM port is found by its address */
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer(f, "GET", "/v2.0/networks", 200, "networks_found.json", 0);
    answer(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&mac_address", 200, "ports_unbound.json", 0);
    answer(f, "PUT", "/v2.0/ports/" PORT "/tags", 200, NULL, 0);
    answer(f, "PUT", "/v2.0/ports/" PORT, 200, "port_direct.json", 0);
    int status;
    kl_metrics_reset();
    r = pf_call(f, "/NetworkDriver.CreateEndpoint",
             "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\",\"Options\":{},"
             "\"Interface\":{\"Address\":\"\",\"AddressIPv6\":\"\",\"MacAddress\":\"02:42:0a:00:00:02\"}}",
             &status);
    assert_int_not_equal(status, 200);
    assert_contains(json_string_value(json_object_get(r, "Err")), "plugging the port on the host failed");
    char *metrics = kl_metrics_render();
    assert_contains(metrics, "kuryr_binding_failures_total 1\n");
    free(metrics);
    json_decref(r);
    json_t *bind = pf_body_of(nth(f, "PUT", "/v2.0/ports/" PORT, 0), "port");
    pf_assert_json_str(bind, "device_owner", "compute:kuryr");
    pf_assert_json_str(bind, "device_id", EPID);
    pf_assert_json_str(bind, "binding:host_id", "node1");
    json_decref(bind);
    const test_httpd_request *tagreq = nth(f, "PUT", "/v2.0/ports/" PORT "/tags", 0);
    assert_contains(tagreq->body, "kuryr.net.uuid.lh:fedcba9876543210fedcba9876543210");
    /* roll-back: unbound again, endpoint tags dropped, the IPAM port itself kept */
    json_t *undo = pf_body_of(nth(f, "PUT", "/v2.0/ports/" PORT, 2), "port");
    pf_assert_json_str(undo, "device_owner", "");
    pf_assert_json_str(undo, "device_id", "");
    json_decref(undo);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports"), 0);

    /* an address whose port serves another endpoint is a conflict, and nothing is touched */
    const char *other = "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" NETID "\",\"Interface\":"
                        "{\"Address\":\"10.0.0.2/24\"}}";
    answer(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&fixed_ips=ip_address=10.0.0.2", 200, "ports_one.json", 1);
    size_t puts_before = count(f, "PUT", "/v2.0/ports/");
    r = pf_call(f, "/NetworkDriver.CreateEndpoint", other, &status);
    assert_int_equal(status, 409);
    json_decref(r);
    assert_int_equal(count(f, "PUT", "/v2.0/ports/"), puts_before);

    /* Join: gateway and routes of the port's subnet */
    answer(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&device_id", 200, "ports_one.json", 0);
    answer(f, "GET", "/v2.0/subnets?id=" SUBNET, 200, "subnets_one.json", 0);
    r = call_ok(f, "/NetworkDriver.Join", "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\","
                                          "\"SandboxKey\":\"/var/run/docker/netns/0123456789ab\",\"Options\":{}}");
    json_t *want = json_loads("{\"InterfaceName\":{\"SrcName\":\"t_c44444444-44\",\"DstPrefix\":\"eth\"},"
                              "\"Gateway\":\"10.0.0.1\",\"StaticRoutes\":[{\"Destination\":\"192.168.100.0/24\","
                              "\"RouteType\":0,\"NextHop\":\"10.0.0.254\"}],\"DisableGatewayService\":true}",
                              0, NULL);
    if (!json_equal(r, want))
        fail_msg("Join answered %s", json_dumps(r, 0));
    json_decref(want);
    json_decref(r);

    r = pf_call(f, "/NetworkDriver.Join", "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\","
                                       "\"SandboxKey\":\"../netns\"}", &status);
    assert_int_equal(status, 400);
    json_decref(r);

    /* DeleteEndpoint: host side (fails here, logged); the port kuryr's IPAM made is left for ReleaseAddress
     * to delete, with no unbind or untag written first */
    size_t puts = count(f, "PUT", "/v2.0/ports/" PORT);
    json_decref(call_ok(f, "/NetworkDriver.DeleteEndpoint", "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\"}"));
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" PORT), puts);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports"), 0);

    /* ReleaseAddress deletes the port kuryr made before answering */
    answer(f, "GET", "/v2.0/ports?fixed_ips", 200, "ports_one.json", 0);
    answer(f, "DELETE", "/v2.0/ports/" PORT, 204, NULL, 0);
    json_decref(call_ok(f, "/IpamDriver.ReleaseAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\"}"));
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/" PORT), 1);
    assert_int_equal(kuryr_port_deletes_pending(f->p.releases), 0);
    const char *q = nth(f, "GET", "/v2.0/ports?fixed_ips", 0)->path;
    assert_contains(q, "fixed_ips=subnet_id=" SUBNET);
    assert_contains(q, "fixed_ips=ip_address=10.0.0.2");
    /* the pool's subnet was looked up once for both IPAM calls */
    assert_int_equal(count(f, "GET", "/v2.0/subnets?subnetpool_id"), 1);
}

/* RequestAddress's new port goes to CreateEndpoint without a lookup by address; a retried CreateEndpoint (the
 * port was taken once) looks it up again. */
static void request_address_mac(fixture *f)
{
    answer(f, "GET", "/v2.0/subnets?subnetpool_id", 200, "subnets_one.json", 0);
    answer_text(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&mac_address", 200, "{\"ports\": []}", 1);
    answer(f, "POST", "/v2.0/ports", 201, "port.json", 1);
    json_t *r = call_ok(f, "/IpamDriver.RequestAddress",
                        "{\"PoolID\":\"" POOL "\",\"Address\":\"\",\"Options\":"
                        "{\"com.docker.network.endpoint.macaddress\":\"02:42:0a:00:00:02\"}}");
    pf_assert_json_str(r, "Address", "10.0.0.2/24");
    json_decref(r);
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer(f, "GET", "/v2.0/networks", 200, "networks_found.json", 0);
    answer(f, "PUT", "/v2.0/ports/" PORT "/tags", 200, NULL, 0);
}

static const char *create_ep_by_addr = "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\",\"Options\":{},"
                                       "\"Interface\":{\"Address\":\"10.0.0.2/24\",\"MacAddress\":\"02:42:0a:00:00:02\"}}";

static void test_fresh_port_handover(void **state)
{
    fixture *f = *state;
    request_address_mac(f);
    answer(f, "PUT", "/v2.0/ports/" PORT, 200, "port_direct.json", 0);
    int status;
    json_t *r = pf_call(f, "/NetworkDriver.CreateEndpoint", create_ep_by_addr, &status);
    assert_int_not_equal(status, 200); /* the binding fails in unit tests; the Neutron side is what counts */
    json_decref(r);
    assert_int_equal(count(f, "GET", "/v2.0/ports?"), 1); /* RequestAddress's MAC lookup only */
    json_t *bind = pf_body_of(nth(f, "PUT", "/v2.0/ports/" PORT, 0), "port");
    pf_assert_json_str(bind, "device_id", EPID);
    json_decref(bind);
    const test_httpd_request *tagreq = nth(f, "PUT", "/v2.0/ports/" PORT "/tags", 0);
    assert_contains(tagreq->body, "compute:kuryr"); /* the tags RequestAddress's answer had are kept */
    assert_contains(tagreq->body, "kuryr.net.uuid.lh:fedcba9876543210fedcba9876543210");

    answer(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&fixed_ips", 200, "ports_unbound.json", 0);
    r = pf_call(f, "/NetworkDriver.CreateEndpoint", create_ep_by_addr, &status);
    json_decref(r);
    assert_int_equal(count(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&fixed_ips"), 1);

    /* a released address forgets its port */
    request_address_mac(f);
    answer(f, "GET", "/v2.0/ports?fixed_ips", 200, "ports_one.json", 1);
    answer(f, "DELETE", "/v2.0/ports/" PORT, 204, NULL, 0);
    json_decref(call_ok(f, "/IpamDriver.ReleaseAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\"}"));
    r = pf_call(f, "/NetworkDriver.CreateEndpoint", create_ep_by_addr, &status);
    json_decref(r);
    assert_int_equal(count(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&fixed_ips"), 2);
}

/* The handed-over port was deleted before CreateEndpoint: the bind's 404 leads back to the lookup, which finds
 * nothing, so the endpoint gets a port of its own (as without the handover). */
static void test_fresh_port_gone(void **state)
{
    fixture *f = *state;
    request_address_mac(f);
    answer_text(f, "PUT", "/v2.0/ports/" PORT, 404, "{\"NeutronError\": {\"type\": \"PortNotFound\", "
                "\"message\": \"Port could not be found.\", \"detail\": \"\"}}", 1);
    answer(f, "PUT", "/v2.0/ports/" PORT, 200, "port_direct.json", 0);
    answer_text(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&fixed_ips", 200, "{\"ports\": []}", 0);
    answer_text(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&mac_address", 200, "{\"ports\": []}", 0);
    answer_text(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&device_id", 200, "{\"ports\": []}", 0);
    answer(f, "POST", "/v2.0/ports", 201, "port.json", 0);
    answer(f, "DELETE", "/v2.0/ports/" PORT, 204, NULL, 0);
    int status;
    json_t *r = pf_call(f, "/NetworkDriver.CreateEndpoint", create_ep_by_addr, &status);
    json_decref(r);
    assert_int_equal(count(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&fixed_ips"), 1);
    json_t *own = pf_body_of(nth(f, "POST", "/v2.0/ports", 1), "port");
    pf_assert_json_str(own, "name", EPID "-port");
    json_decref(own);
}

/* DeleteEndpoint of an adopted port (the user's, kuryr.port.existing): ReleaseAddress only hands it back, so
 * DeleteEndpoint itself clears the binding and the endpoint's tag, and never deletes it. */
static void test_adopted_port_endpoint_deleted(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer(f, "GET", "/v2.0/networks", 200, "networks_found.json", 0);
    answer_text(f, "GET", "/v2.0/ports?network_id=" NEUTRON_NET "&device_id", 200,
                "{\"ports\":[{\"id\":\"" PORT "\",\"device_id\":\"" EPID "\",\"binding:vif_type\":\"tap\","
                "\"tags\":[\"kuryr.port.existing\",\"kuryr.endpoint:" EPID "\"]}]}", 0);
    answer(f, "PUT", "/v2.0/ports/" PORT "/tags", 200, NULL, 0);
    answer(f, "PUT", "/v2.0/ports/" PORT, 200, "port_direct.json", 0);
    json_decref(call_ok(f, "/NetworkDriver.DeleteEndpoint", "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\"}"));
    json_t *port = pf_body_of(nth(f, "PUT", "/v2.0/ports/" PORT, 0), "port");
    pf_assert_json_str(port, "device_id", "");
    pf_assert_json_str(port, "binding:host_id", "");
    json_decref(port);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports"), 0);
}

/* Nested drivers get the Neutron client and this VM's port (found by link_iface's MAC, once). */
static void test_nested_parent_port(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer(f, "GET", "/v2.0/networks", 200, "networks_found.json", 0);
    answer(f, "GET", "/v2.0/ports?network_id", 200, "ports_unbound.json", 0);
    answer_text(f, "GET", "/v2.0/ports?mac_address=00:00:00:00:00:00", 200, "{\"ports\":[{\"id\":\"vm-port-1\"}]}", 0);
    answer(f, "PUT", "/v2.0/ports/" PORT "/tags", 200, NULL, 0);
    answer(f, "PUT", "/v2.0/ports/" PORT, 200, "port.json", 0);
    answer_text(f, "GET", "/v2.0/trunks", 200, "{\"trunks\": []}", 0);
    const char *body = "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\",\"Interface\":"
                       "{\"Address\":\"10.0.0.2/24\",\"MacAddress\":\"02:42:0a:00:00:02\"}}";
    int status;
    for (int i = 0; i < 2; i++) {
        json_t *r = pf_call(f, "/NetworkDriver.CreateEndpoint", body, &status);
        assert_int_not_equal(status, 200);
        json_decref(r);
    }
    assert_contains(nth(f, "GET", "/v2.0/trunks", 0)->path, "port_id=vm-port-1");
    assert_int_equal(count(f, "GET", "/v2.0/ports?mac_address=00:00:00:00:00:00"), 1); /* cached */
}

/* Join of a port from the [vif_pool] that CreateEndpoint plugged: the endpoint's tags are written (by a helper
 * thread, while Join reads the subnets) and counted with the request's Neutron calls; the pool learns who
 * uses the port. When the tag write fails, Join fails with it and the pool learns nothing. */
static int setup_pool(void **state)
{
    const pf_setting s[] = {{"vif_pool", "enabled", "true"}};
    return pf_setup(state, s, sizeof(s) / sizeof(*s));
}

static void put_pool_port(fixture *f)
{
    json_t *raw = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:[s]}", "id", PORT, "name",
                            "kuryr-pool-port", "description", "kuryr-pool:node1", "network_id", NEUTRON_NET,
                            "mac_address", "fa:16:3e:00:00:02", "device_owner", "compute:kuryr", "device_id", "",
                            "binding:host_id", "node1", "fixed_ips", "subnet_id", SUBNET, "ip_address", "10.0.0.2",
                            "tags", "compute:kuryr");
    kuryr_error err;
    kuryr_port *port = kuryr_port_from_json(raw, &err);
    json_decref(raw);
    assert_non_null(port);
    char key[KL_FRESH_KEY_LEN];
    kl_fresh_key_ep(key, EPID);
    kl_fresh_port_put(&f->p, key, port, NULL, 0);
    kuryr_port_free(port);
}

static void test_join_of_a_pool_port(void **state)
{
    fixture *f = *state;
    assert_non_null(f->p.vif_pool);
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer(f, "GET", "/v2.0/networks", 200, "networks_found.json", 0);
    answer(f, "GET", "/v2.0/subnets?id=" SUBNET, 200, "subnets_one.json", 0);
    answer_text(f, "PUT", "/v2.0/ports/" PORT "/tags", 200, "{\"tags\": []}", 1);
    const char *join = "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\","
                       "\"SandboxKey\":\"/var/run/docker/netns/0123456789ab\",\"Options\":{}}";
    put_pool_port(f);
    kl_metrics_reset();
    size_t before = test_httpd_request_count(f->srv);
    json_t *r = call_ok(f, "/NetworkDriver.Join", join);
    pf_assert_json_str(r, "Gateway", "10.0.0.1");
    json_decref(r);
    const test_httpd_request *tagreq = nth(f, "PUT", "/v2.0/ports/" PORT "/tags", 0);
    assert_contains(tagreq->body, "compute:kuryr");
    assert_contains(tagreq->body, "kuryr.net.uuid.lh:fedcba9876543210fedcba9876543210");
    assert_contains(tagreq->body, "kuryr.net.uuid.uh:fedcba9876543210fedcba9876543210");
    assert_int_equal(count(f, "GET", "/v2.0/subnets?id=" SUBNET), 1);
    /* every request Join caused, the helper's tag write included, is counted as Join's */
    char want[160];
    snprintf(want, sizeof(want), "kuryr_neutron_calls_total{endpoint=\"NetworkDriver.Join\"} %zu\n",
             test_httpd_request_count(f->srv) - before);
    char *metrics = kl_metrics_render();
    assert_contains(metrics, want);
    free(metrics);
    kuryr_port *joined = kl_vif_pool_leaving(f->p.vif_pool, EPID);
    assert_non_null(joined);
    assert_string_equal(joined->id, PORT);
    kuryr_port_free(joined);

    /* Neutron refuses the tags: Join fails saying so, and the port is nobody's */
    answer_text(f, "PUT", "/v2.0/ports/" PORT "/tags", 409, "{\"NeutronError\": {\"message\": \"no\"}}", 1);
    put_pool_port(f);
    int status;
    r = pf_call(f, "/NetworkDriver.Join", join, &status);
    assert_int_not_equal(status, 200);
    assert_contains(json_string_value(json_object_get(r, "Err")), "tagging the Neutron port failed");
    json_decref(r);
    assert_null(kl_vif_pool_leaving(f->p.vif_pool, EPID));
}


int main(void)
{
    kuryr_log_init("test_endpoint", KURYR_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_port_handover, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_fresh_port_gone, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_flow, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_adopted_port_endpoint_deleted, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_nested_parent_port, setup_nested, pf_teardown),
        cmocka_unit_test_setup_teardown(test_join_of_a_pool_port, setup_pool, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
