/* [neutron] vif_plugging_is_fatal: CreateEndpoint waits for Neutron to report the port ACTIVE. A scripted
 * Neutron on 127.0.0.1 answers DOWN then ACTIVE (the endpoint is made), or DOWN until vif_plugging_timeout
 * (a clear error; the veth pair is deleted and the port unbound again).
 *
 * The veth pair is real, so the whole test runs in a network namespace of its own (made in main, before any
 * thread starts, so that the scripted server lives there too); without the privilege for that it is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kuryr/config.h"
#include "plugin.h"
#include "plugin_fixture.h"
#include "private_netns.h"
#include "test_httpd.h"

#define NETID "0123abcd0123abcd0123abcd0123abcd89ef89ef89ef89ef89ef89ef89ef89ef"
#define EPID "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define PORT "44444444-4444-4444-8444-444444444444"
#define HOST_IF "tap44444444-44"
#define CONT_IF "t_c44444444-44"

#define PORT_JSON(STATUS)                                                                                     \
    "{\"port\": {\"id\": \"" PORT "\", \"network_id\": \"11111111-1111-4111-8111-111111111111\", "            \
    "\"mac_address\": \"02:42:0a:00:00:02\", \"status\": \"" STATUS "\", \"device_owner\": \"compute:kuryr\", " \
    "\"device_id\": \"" EPID "\", \"binding:vif_type\": \"tap\", \"binding:vnic_type\": \"normal\", "           \
    "\"fixed_ips\": [{\"subnet_id\": \"33333333-3333-4333-8333-333333333333\", \"ip_address\": \"10.0.0.2\"}], " \
    "\"tags\": [\"compute:kuryr\"]}}"

static const char *create_endpoint =
    "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\",\"Options\":{},"
    "\"Interface\":{\"Address\":\"10.0.0.2/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"}}";

typedef plugin_fixture fixture;

static int setup_with_timeout(void **state, const char *timeout)
{
    const pf_setting s[] = {{"neutron", "vif_plugging_is_fatal", "true"},
                            {"neutron", "vif_plugging_timeout", timeout}};
    if (pf_setup(state, s, sizeof(s) / sizeof(*s)) < 0)
        return -1;
    fixture *f = *state;

    /* the network mapping, the IPAM port found by its address, the bind and tag writes */
    test_httpd_answer(f->srv, "GET", "/v2.0/extensions", 200, "{\"extensions\": [{\"alias\": \"standard-attr-tag\"}]}");
    test_httpd_answer(f->srv, "GET", "/v2.0/networks", 200,
                      "{\"networks\": [{\"id\": \"11111111-1111-4111-8111-111111111111\", \"mtu\": 1450}]}");
    test_httpd_answer(f->srv, "GET", "/v2.0/ports?", 200,
                      "{\"ports\": [{\"id\": \"" PORT "\", \"mac_address\": \"02:42:0a:00:00:02\", \"device_id\": \"\", "
                      "\"status\": \"DOWN\", \"tags\": [\"compute:kuryr\"]}]}");
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/" PORT "/tags", 200, NULL);
    test_httpd_answer(f->srv, "PUT", "/v2.0/ports/" PORT, 200, PORT_JSON("DOWN"));
    return 0;
}

static int setup_wait_forever(void **state)
{
    return setup_with_timeout(state, "0");
}

static int setup_one_second(void **state)
{
    return setup_with_timeout(state, "1");
}

static size_t count(fixture *f, const char *method, const char *path)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strcmp(r->path, path))
            n++;
    }
    return n;
}

static void test_down_then_active(void **state)
{
    fixture *f = *state;
    test_httpd_script down = {.method = "GET", .path = "/v2.0/ports/" PORT, .status = 200, .times = 1,
                              .body = PORT_JSON("DOWN")};
    test_httpd_add(f->srv, &down);
    test_httpd_answer(f->srv, "GET", "/v2.0/ports/" PORT, 200, PORT_JSON("ACTIVE"));
    int status;
    json_t *r = pf_call(f, "/NetworkDriver.CreateEndpoint", create_endpoint, &status);
    if (status != 200)
        fail_msg("CreateEndpoint: %d %s", status, json_dumps(r, 0));
    json_decref(r);
    assert_int_equal(count(f, "GET", "/v2.0/ports/" PORT), 2);
    assert_int_not_equal(if_nametoindex(HOST_IF), 0);

    /* Join takes the bound port from CreateEndpoint: no second lookup by device_id, only its subnets */
    size_t lookups = test_httpd_request_count(f->srv);
    test_httpd_answer(f->srv, "GET", "/v2.0/subnets", 200,
                      "{\"subnets\": [{\"id\": \"33333333-3333-4333-8333-333333333333\", \"ip_version\": 4, "
                      "\"gateway_ip\": \"10.0.0.1\", \"host_routes\": []}]}");
    r = pf_call(f, "/NetworkDriver.Join", "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\","
             "\"SandboxKey\":\"/var/run/docker/netns/0123456789ab\",\"Options\":{}}", &status);
    if (status != 200)
        fail_msg("Join: %d %s", status, json_dumps(r, 0));
    assert_string_equal(json_string_value(json_object_get(r, "Gateway")), "10.0.0.1");
    json_decref(r);
    assert_int_equal(test_httpd_request_count(f->srv), lookups + 1);
    assert_non_null(strstr(test_httpd_request_at(f->srv, lookups)->path, "/v2.0/subnets?"));

    /* leave the namespace as found for the next test */
    kuryr_error err;
    json_t *raw = json_loads(PORT_JSON("ACTIVE"), 0, NULL);
    kuryr_port *port = kuryr_port_from_json(json_object_get(raw, "port"), &err);
    json_decref(raw);
    assert_non_null(port);
    kuryr_bind_request br = {.port = port, .mtu = 1450, .owner_id = EPID};
    assert_int_equal(kuryr_unbind(&f->p.bcfg, &br, &err), 0);
    kuryr_port_free(port);
    assert_int_equal(if_nametoindex(HOST_IF), 0);
}

static void test_down_until_timeout(void **state)
{
    fixture *f = *state;
    test_httpd_answer(f->srv, "GET", "/v2.0/ports/" PORT, 200, PORT_JSON("DOWN"));
    int status;
    json_t *r = pf_call(f, "/NetworkDriver.CreateEndpoint", create_endpoint, &status);
    assert_int_not_equal(status, 200);
    const char *msg = json_string_value(json_object_get(r, "Err"));
    if (!msg || !strstr(msg, "did not become ACTIVE within 1 s"))
        fail_msg("unexpected error %s", msg ? msg : "(none)");
    json_decref(r);
    assert_true(count(f, "GET", "/v2.0/ports/" PORT) >= 2);
    /* rolled back: no veth left on the host, the port unbound (bind, then unbind) and its endpoint tags gone */
    assert_int_equal(if_nametoindex(HOST_IF), 0);
    assert_int_equal(if_nametoindex(CONT_IF), 0);
    assert_int_equal(count(f, "PUT", "/v2.0/ports/" PORT), 2);
    const test_httpd_request *last = NULL;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *q = test_httpd_request_at(f->srv, i);
        if (!strcmp(q->method, "PUT") && !strcmp(q->path, "/v2.0/ports/" PORT))
            last = q;
    }
    assert_non_null(last);
    assert_non_null(strstr(last->body, "\"device_id\":\"\""));
}

int main(void)
{
    if (!private_netns()) {
        fprintf(stderr, "cannot make a private network namespace: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_down_then_active, setup_wait_forever, pf_teardown),
        cmocka_unit_test_setup_teardown(test_down_until_timeout, setup_one_second, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
