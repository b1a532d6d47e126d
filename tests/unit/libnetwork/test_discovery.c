/* Handler tests for the answers that need no Neutron (discovery.c), and inputs every handler refuses before Neutron
 * is asked, against the scripted Neutron of handler_fixture.h: the requests each plugin call sends (names, tags,
 * filters, bodies) and the JSON Docker gets back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kuryr/log.h"
#include "handler_fixture.h"

/* Answers that need no Neutron, and inputs refused before Neutron is asked. */
static void test_static_and_invalid(void **state)
{
    fixture *f = *state;
    json_t *r = call_ok(f, "/IpamDriver.GetCapabilities", "");
    assert_true(json_is_true(json_object_get(r, "RequiresMACAddress")));
    json_decref(r);
    r = call_ok(f, "/IpamDriver.GetDefaultAddressSpaces", "");
    pf_assert_json_str(r, "LocalDefaultAddressSpace", "no_address_space");
    json_decref(r);
    r = call_ok(f, "/NetworkDriver.GetCapabilities", "");
    pf_assert_json_str(r, "Scope", "local");
    json_decref(r);
    r = call_ok(f, "/NetworkDriver.DiscoverNew", "{\"DiscoveryType\":1,\"DiscoveryData\":{}}");
    json_decref(r);
    const char *bad[][2] = {
        {"/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"xyz\"}"},
        {"/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" NETID "\",\"IPv4Data\":[{\"Pool\":\"fd00::/64\"}]}"},
        {"/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" NETID "\",\"IPv4Data\":{}}"},
        {"/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" NETID "\",\"Options\":{\"com.docker.network.generic\":"
                                         "{\"neutron.net.shared\":\"maybe\"}}}"},
        {"/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\","
                                          "\"Interface\":{\"Address\":\"10.0.0.300/24\"}}"},
        {"/NetworkDriver.CreateEndpoint", "{\"NetworkID\":\"" NETID "\",\"EndpointID\":42}"},
        {"/NetworkDriver.ProgramExternalConnectivity",
         "{\"NetworkID\":\"" NETID "\",\"EndpointID\":\"" EPID "\",\"Options\":"
         "{\"com.docker.network.endpoint.exposedports\":[{\"Proto\":6,\"Port\":99999}]}}"},
        {"/IpamDriver.RequestAddress", "{\"PoolID\":\"../../x\"}"},
        {"/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"banana\"}"},
        {"/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Options\":"
                                       "{\"com.docker.network.endpoint.macaddress\":\"zz\"}}"},
        {"/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0/24\",\"SubPool\":\"10.1.0.0/25\"}"},
        {"/IpamDriver.ReleasePool", "{}"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        int status;
        r = pf_call(f, bad[i][0], bad[i][1], &status);
        if (status != 400)
            fail_msg("%s %s: status %d", bad[i][0], bad[i][1], status);
        assert_true(json_is_string(json_object_get(r, "Err")));
        json_decref(r);
    }
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

int main(void)
{
    kuryr_log_init("test_discovery", KURYR_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_static_and_invalid, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
