/* The daemon never crashes on input: every route gets well-formed and malformed requests while the scripted
 * Neutron answers with skeletal objects, empty objects, non-JSON, 404 and 409. Each answer must be a JSON
 * object, {"Err"} whenever it is not a 200. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/config.h"
#include "kuryr/log.h"
#include "plugin.h"
#include "router.h"
#include "test_httpd.h"

#define ID "0123abcd0123abcd0123abcd0123abcd89ef89ef89ef89ef89ef89ef89ef89ef"
#define ID2 "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static const char *skeleton_list =
    "{\"extensions\":[{\"alias\":\"standard-attr-tag\"}],\"networks\":[{\"id\":\"n\"}],\"subnets\":[{\"id\":\"s\"}],"
    "\"subnetpools\":[{\"id\":\"p\"}],\"ports\":[{\"id\":\"x\"}],\"security_groups\":[{\"id\":\"g\"}]}";
static const char *skeleton_one =
    "{\"network\":{\"id\":\"n\"},\"subnet\":{\"id\":\"s\"},\"subnetpool\":{\"id\":\"p\"},\"port\":{\"id\":\"x\"},"
    "\"security_group\":{\"id\":\"g\"},\"security_group_rule\":{\"id\":\"r\"}}";

static const char *requests[][2] = {
    {"/Plugin.Activate", ""},
    {"/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" ID "\",\"IPv4Data\":[{\"Pool\":\"10.0.0.0/24\","
                                     "\"Gateway\":\"10.0.0.1/24\"}],\"IPv6Data\":[{\"Pool\":\"fd00::/64\"}]}"},
    {"/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" ID "\",\"Options\":{\"com.docker.network.generic\":"
                                     "{\"neutron.net.name\":\"n\",\"neutron.subnet.name\":\"s\"}},"
                                     "\"IPv4Data\":[{\"Pool\":\"10.0.0.0/24\"}]}"},
    {"/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" ID "\",\"IPv4Data\":[null,1,\"x\",{}]}"},
    {"/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" ID "\",\"Options\":[]}"},
    {"/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" ID "\"}"},
    {"/NetworkDriver.DeleteNetwork", "{\"NetworkID\":null}"},
    {"/NetworkDriver.AllocateNetwork", "{\"NetworkID\":\"" ID "\"}"},
    {"/NetworkDriver.FreeNetwork", "{}"},
    {"/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\",\"Interface\":"
                                      "{\"Address\":\"10.0.0.2/24\",\"AddressIPv6\":\"fd00::2/64\","
                                      "\"MacAddress\":\"02:42:0a:00:00:02\"}}"},
    {"/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\"}"},
    {"/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\",\"Interface\":7}"},
    {"/NetworkDriver.EndpointOperInfo", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\"}"},
    {"/NetworkDriver.Join", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\",\"SandboxKey\":\"/var/run/x\"}"},
    {"/NetworkDriver.Join", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\",\"SandboxKey\":[]}"},
    {"/NetworkDriver.Leave", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\"}"},
    {"/NetworkDriver.DeleteEndpoint", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\"}"},
    {"/NetworkDriver.ProgramExternalConnectivity",
     "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\",\"Options\":{\"com.docker.network.endpoint.exposedports\":"
     "[{\"Proto\":6,\"Port\":80},{\"Proto\":1},{\"Proto\":17,\"Port\":53}]}}"},
    {"/NetworkDriver.ProgramExternalConnectivity",
     "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\",\"Options\":{\"com.docker.network.endpoint.exposedports\":"
     "[{\"Proto\":6}]}}"},
    {"/NetworkDriver.RevokeExternalConnectivity", "{\"NetworkID\":\"" ID "\",\"EndpointID\":\"" ID2 "\"}"},
    {"/NetworkDriver.DiscoverNew", "{\"DiscoveryType\":\"x\"}"},
    {"/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0/24\",\"SubPool\":\"10.0.0.0/25\"}"},
    {"/IpamDriver.RequestPool", "{}"},
    {"/IpamDriver.RequestPool", "{\"V6\":true,\"Options\":{\"neutron.pool.v6.name\":\"x\"}}"},
    {"/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0/24\",\"Options\":{\"neutron.subnet.name\":\"s\"}}"},
    {"/IpamDriver.RequestPool", "{\"V6\":\"yes please\"}"},
    {"/IpamDriver.ReleasePool", "{\"PoolID\":\"p\"}"},
    {"/IpamDriver.ReleasePool", "{\"PoolID\":\"p@10.0.0.0/24\"}"},
    {"/IpamDriver.RequestAddress", "{\"PoolID\":\"p\",\"Options\":{\"RequestAddressType\":"
                                   "\"com.docker.network.gateway\"}}"},
    {"/IpamDriver.RequestAddress", "{\"PoolID\":\"p@10.0.0.0/24\",\"Options\":{\"RequestAddressType\":"
                                   "\"com.docker.network.gateway\"}}"},
    {"/IpamDriver.RequestAddress", "{\"PoolID\":\"p\",\"Address\":\"10.0.0.5\"}"},
    {"/IpamDriver.RequestAddress", "{\"PoolID\":\"p\",\"Options\":{\"com.docker.network.endpoint.macaddress\":"
                                   "\"02:42:0a:00:00:02\"}}"},
    {"/IpamDriver.RequestAddress", "{\"PoolID\":\"subnet:s@10.0.0.0/24\"}"},
    {"/IpamDriver.RequestAddress", "{\"PoolID\":\"p\",\"Options\":null}"},
    {"/IpamDriver.ReleaseAddress", "{\"PoolID\":\"p\",\"Address\":\"10.0.0.5\"}"},
    {"/IpamDriver.ReleaseAddress", "{\"PoolID\":\"p\",\"Address\":{}}"},
};

static void run_all(const char *get_body, int get_status, const char *write_body, int write_status)
{
    test_httpd *srv = test_httpd_start(false);
    assert_non_null(srv);
    test_httpd_answer(srv, "GET", NULL, get_status, get_body);
    test_httpd_answer(srv, "POST", NULL, write_status, write_body);
    test_httpd_answer(srv, "PUT", NULL, write_status, write_body);
    test_httpd_answer(srv, "DELETE", NULL, write_status == 200 ? 204 : write_status, NULL);
    kuryr_config *cfg = kuryr_config_new();
    char msg[256];
    kuryr_config_set(cfg, "neutron", "auth_type", "none", msg, sizeof(msg));
    kuryr_config_set(cfg, "neutron", "endpoint_override", test_httpd_url(srv), msg, sizeof(msg));
    kl_plugin p;
    kuryr_error err;
    assert_int_equal(kl_plugin_init(&p, cfg, &err), 0);
    for (int round = 0; round < 2; round++) { /* the second round runs with warm caches */
        for (size_t i = 0; i < sizeof(requests) / sizeof(*requests); i++) {
            kl_reply r;
            kl_dispatch(&p, kl_routes, "POST", requests[i][0], requests[i][1], strlen(requests[i][1]), 0, &r);
            json_t *j = json_loads(r.body, 0, NULL);
            if (!json_is_object(j) || (r.status != 200 && !json_is_string(json_object_get(j, "Err"))))
                fail_msg("%s %s: %d %s", requests[i][0], requests[i][1], r.status, r.body);
            if (r.status < 200 || r.status > 599)
                fail_msg("%s: status %d", requests[i][0], r.status);
            if (getenv("KL_ROBUSTNESS_VERBOSE"))
                fprintf(stderr, "%d %s %s\n", r.status, requests[i][0], r.body);
            json_decref(j);
            kl_reply_clear(&r);
        }
    }
    kl_plugin_fini(&p);
    kuryr_config_free(cfg);
    test_httpd_stop(srv);
}

static void test_skeletal_objects(void **state)
{
    (void)state;
    run_all(skeleton_list, 200, skeleton_one, 201);
}

static void test_empty_objects(void **state)
{
    (void)state;
    run_all("{}", 200, "{}", 200);
}

static void test_not_json(void **state)
{
    (void)state;
    run_all("<html>oops</html>", 200, "[1,2", 201);
}

static void test_error_statuses(void **state)
{
    (void)state;
    run_all("{\"NeutronError\":{\"type\":\"NotFound\",\"message\":\"gone\"}}", 404,
            "{\"NeutronError\":{\"type\":\"Conflict\",\"message\":\"busy\"}}", 409);
}

int main(void)
{
    kuryr_log_init("test_robustness", KURYR_LOG_ERROR, false);
    kuryr_log_set_level(KURYR_LOG_ERROR + 1); /* the point is the answers, not the expected error lines */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_skeletal_objects),
        cmocka_unit_test(test_empty_objects),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_error_statuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
