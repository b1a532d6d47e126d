/* Handler tests for RequestAddress, ReleaseAddress (ipam.c), against the scripted Neutron of handler_fixture.h: the
 * requests each plugin call sends (names, tags, filters, bodies) and the JSON Docker gets back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kuryr/log.h"
#include "handler_fixture.h"

/* An address already taken in Neutron is a 409 with Neutron's reason. */
static void test_conflict(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/subnets", 200, "subnets_one.json", 0);
    answer_text(f, "GET", "/v2.0/ports", 200, "{\"ports\": []}", 0);
    answer(f, "POST", "/v2.0/ports", 409, "ip_in_use.json", 0);
    int status;
    json_t *r = pf_call(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.9\"}", &status);
    assert_int_equal(status, 409);
    assert_contains(json_string_value(json_object_get(r, "Err")), "already allocated");
    json_decref(r);
    json_t *port = pf_body_of(nth(f, "POST", "/v2.0/ports", 0), "port");
    pf_assert_json_str(json_array_get(json_object_get(port, "fixed_ips"), 0), "ip_address", "10.0.0.9");
    json_decref(port);
}

/* An address held by a port bound to some device is not adopted: 409, nothing changed. */
static void test_address_of_bound_port(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/subnets", 200, "subnets_one.json", 0);
    answer(f, "GET", "/v2.0/ports", 200, "ports_one.json", 0);
    int status;
    json_t *r = pf_call(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\"}", &status);
    assert_int_equal(status, 409);
    assert_contains(json_string_value(json_object_get(r, "Err")), "in use by port " PORT);
    json_decref(r);
    assert_int_equal(count(f, "PUT", "/"), 0);
    assert_int_equal(count(f, "POST", "/"), 0);
}

/* --ipam-opt neutron.subnet.uuid: addresses from an existing subnet; its gateway is answered. */
static void test_existing_subnet(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/subnets?id", 200, "subnets_one.json", 0);
    json_t *r = call_ok(f, "/IpamDriver.RequestPool",
                        "{\"Pool\":\"10.0.0.0/24\",\"Options\":{\"neutron.subnet.uuid\":\"" SUBNET "\"}}");
    pf_assert_json_str(r, "PoolID", "subnet:" SUBNET "@10.0.0.0/24");
    json_decref(r);
    r = call_ok(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"subnet:" SUBNET "@10.0.0.0/24\",\"Options\":"
                                                 "{\"RequestAddressType\":\"com.docker.network.gateway\"}}");
    pf_assert_json_str(r, "Address", "10.0.0.1/24");
    json_decref(r);
    assert_contains(nth(f, "GET", "/v2.0/subnets?id", 1)->path, "id=" SUBNET);
    size_t before = test_httpd_request_count(f->srv);
    json_decref(call_ok(f, "/IpamDriver.ReleasePool", "{\"PoolID\":\"subnet:" SUBNET "@10.0.0.0/24\"}"));
    assert_int_equal(test_httpd_request_count(f->srv), before);
}

/* A port made outside kuryr holding the requested address is adopted (tagged), and on release only
 * untagged. */
static void test_adopted_port(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/subnets", 200, "subnets_one.json", 0);
    answer_text(f, "GET", "/v2.0/ports", 200,
                "{\"ports\":[{\"id\":\"" PORT "\",\"mac_address\":\"fa:16:3e:00:00:01\",\"tags\":[],"
                "\"fixed_ips\":[{\"subnet_id\":\"" SUBNET "\",\"ip_address\":\"10.0.0.50\"}]}]}", 1);
    answer(f, "PUT", "/v2.0/ports/" PORT "/tags/", 201, NULL, 0);
    json_t *r = call_ok(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.50\"}");
    pf_assert_json_str(r, "Address", "10.0.0.50/24");
    json_decref(r);
    assert_contains(nth(f, "PUT", "/v2.0/ports/" PORT "/tags/", 0)->path, "kuryr.port.existing");
    assert_int_equal(count(f, "POST", "/v2.0/ports"), 0);

    answer_text(f, "GET", "/v2.0/ports", 200,
                "{\"ports\":[{\"id\":\"" PORT "\",\"tags\":[\"kuryr.port.existing\"],"
                "\"fixed_ips\":[{\"subnet_id\":\"" SUBNET "\",\"ip_address\":\"10.0.0.50\"}]}]}", 0);
    answer(f, "DELETE", "/v2.0/ports/" PORT "/tags/", 204, NULL, 0);
    json_decref(call_ok(f, "/IpamDriver.ReleaseAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.50/24\"}"));
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/" PORT "/tags/"), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/"), 1);
}

/* Dual stack: the IPv6 request finds the endpoint's port by MAC and adds an address to it, no second port. */
static void test_dual_stack_second_family(void **state)
{
    fixture *f = *state;
    answer_text(f, "GET", "/v2.0/subnets", 200,
                "{\"subnets\":[{\"id\":\"v6sub\",\"network_id\":\"" NEUTRON_NET "\",\"cidr\":\"fd00:1::/64\","
                "\"ip_version\":6,\"gateway_ip\":\"fd00:1::1\"}]}", 0);
    answer(f, "GET", "/v2.0/ports", 200, "ports_unbound.json", 0);
    answer_text(f, "PUT", "/v2.0/ports/" PORT, 200,
                "{\"port\":{\"id\":\"" PORT "\",\"tags\":[\"compute:kuryr\"],\"fixed_ips\":["
                "{\"subnet_id\":\"" SUBNET "\",\"ip_address\":\"10.0.0.2\"},"
                "{\"subnet_id\":\"v6sub\",\"ip_address\":\"fd00:1::9\"}]}}", 0);
    json_t *r = call_ok(f, "/IpamDriver.RequestAddress",
                        "{\"PoolID\":\"" POOL "\",\"Address\":\"\",\"Options\":"
                        "{\"com.docker.network.endpoint.macaddress\":\"02:42:0a:00:00:02\"}}");
    pf_assert_json_str(r, "Address", "fd00:1::9/64");
    json_decref(r);
    assert_int_equal(count(f, "POST", "/v2.0/ports"), 0);
    json_t *upd = pf_body_of(nth(f, "PUT", "/v2.0/ports/" PORT, 0), "port");
    json_t *ips = json_object_get(upd, "fixed_ips");
    assert_int_equal(json_array_size(ips), 2);
    pf_assert_json_str(json_array_get(ips, 1), "subnet_id", "v6sub");
    json_decref(upd);
}

int main(void)
{
    kuryr_log_init("test_ipam", KURYR_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_conflict, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_address_of_bound_port, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_existing_subnet, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_adopted_port, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_dual_stack_second_family, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
