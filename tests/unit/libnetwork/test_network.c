/* Handler tests for CreateNetwork, DeleteNetwork (network.c), against the scripted Neutron of handler_fixture.h: the
 * requests each plugin call sends (names, tags, filters, bodies) and the JSON Docker gets back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "kuryr/log.h"
#include "handler_fixture.h"

/* Neutron's answers for docker network create --subnet 10.0.0.0/24 on an empty cloud, up to the network: the
 * subnet's create is left to the test. */
static void script_network_create(fixture *f)
{
    answer_text(f, "GET", "/v2.0/subnets?tags", 200, "{\"subnets\": []}", 0);
    answer_text(f, "GET", "/v2.0/subnetpools", 200, "{\"subnetpools\": []}", 1);
    answer(f, "POST", "/v2.0/subnetpools", 201, "subnetpool.json", 0);
    answer_text(f, "GET", "/v2.0/subnets", 200, "{\"subnets\": []}", 1);
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer_text(f, "GET", "/v2.0/networks", 200, "{\"networks\": []}", 1);
    answer(f, "POST", "/v2.0/networks", 201, "network.json", 0);
}

/* Neutron down: the endpoint points at a loopback port nothing listens on. */
static int setup_neutron_down(void **state)
{
    const pf_setting s[] = {{"neutron", "endpoint_override", "http://127.0.0.1:9"}};
    return pf_setup(state, s, sizeof(s) / sizeof(*s));
}

/* docker network create --subnet 10.0.0.0/24 n; docker network rm n */
static void test_network_lifecycle(void **state)
{
    fixture *f = *state;
    script_network_create(f);
    answer(f, "POST", "/v2.0/subnets", 201, "subnet.json", 0);

    json_t *r = call_ok(f, "/IpamDriver.RequestPool", "{\"AddressSpace\":\"no_address_space\",\"Pool\":\"10.0.0.0/24\","
                                                      "\"SubPool\":\"\",\"Options\":{},\"V6\":false}");
    pf_assert_json_str(r, "PoolID", POOL);
    pf_assert_json_str(r, "Pool", "10.0.0.0/24");
    json_decref(r);
    json_t *pool = pf_body_of(nth(f, "POST", "/v2.0/subnetpools", 0), "subnetpool");
    pf_assert_json_str(pool, "name", "kuryrPool-10.0.0.0/24");
    assert_string_equal(json_string_value(json_array_get(json_object_get(pool, "prefixes"), 0)), "10.0.0.0/24");
    json_decref(pool);
    assert_contains(nth(f, "GET", "/v2.0/subnetpools", 0)->path, "name=kuryrPool-10.0.0.0/24");

    /* no --gateway: the first host, which Neutron will also pick */
    r = call_ok(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"\",\"Options\":"
                                                 "{\"RequestAddressType\":\"com.docker.network.gateway\"}}");
    pf_assert_json_str(r, "Address", "10.0.0.1/24");
    json_decref(r);

    r = call_ok(f, "/NetworkDriver.CreateNetwork",
                "{\"NetworkID\":\"" NETID "\",\"Options\":{\"com.docker.network.enable_ipv6\":false,"
                "\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"no_address_space\","
                "\"Gateway\":\"10.0.0.1/24\",\"Pool\":\"10.0.0.0/24\"}],\"IPv6Data\":[]}");
    json_decref(r);
    /* the network is new: no subnet of it to look for before making one */
    assert_int_equal(count(f, "GET", "/v2.0/subnets?network_id"), 0);
    assert_contains(nth(f, "GET", "/v2.0/networks", 0)->path,
                    "tags=kuryr.net.uuid.lh:0123abcd0123abcd0123abcd0123abcd,kuryr.net.uuid.uh:"
                    "89ef89ef89ef89ef89ef89ef89ef89ef");
    json_t *net = pf_body_of(nth(f, "POST", "/v2.0/networks", 0), "network");
    pf_assert_json_str(net, "name", "kuryr-net-0123abcd");
    json_t *tags = json_object_get(net, "tags");
    assert_int_equal(json_array_size(tags), 3);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "kuryr.net.uuid.lh:0123abcd0123abcd0123abcd0123abcd");
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "kuryr.net.uuid.uh:89ef89ef89ef89ef89ef89ef89ef89ef");
    assert_string_equal(json_string_value(json_array_get(tags, 2)), "kuryr.host:node1"); /* this host's marker */
    json_decref(net);
    json_t *sub = pf_body_of(nth(f, "POST", "/v2.0/subnets", 0), "subnet");
    pf_assert_json_str(sub, "name", "kuryr-subnet-10.0.0.0/24");
    pf_assert_json_str(sub, "network_id", NEUTRON_NET);
    pf_assert_json_str(sub, "cidr", "10.0.0.0/24");
    pf_assert_json_str(sub, "subnetpool_id", POOL);
    pf_assert_json_str(sub, "gateway_ip", "10.0.0.1");
    assert_string_equal(json_string_value(json_array_get(json_object_get(sub, "tags"), 0)), "kuryr.host:node1");
    assert_string_equal(json_string_value(json_array_get(json_object_get(sub, "tags"), 1)), POOL);
    assert_true(json_is_true(json_object_get(sub, "enable_dhcp")));
    json_decref(sub);
    assert_int_equal(count(f, "POST", "/v2.0/"), 3); /* pool, network, subnet: nothing twice */

    /* docker network rm, in Docker 20.10's order: the gateway and the pool are released first, while the
     * subnet still holds the pool (Neutron refuses: left for later); then DeleteNetwork removes kuryr's unbound
     * ports (aux addresses), the network, and then the pool */
    answer(f, "GET", "/v2.0/subnets", 200, "subnets_one.json", 0);
    answer_text(f, "GET", "/v2.0/ports?fixed_ips", 200, "{\"ports\": []}", 0);
    answer(f, "GET", "/v2.0/subnetpools/" POOL, 200, "subnetpool.json", 0);
    answer_text(f, "DELETE", "/v2.0/subnetpools/" POOL, 400,
                "{\"NeutronError\":{\"type\":\"SubnetPoolDeleteError\",\"message\":\"Unable to delete subnet pool: "
                "Subnet pool has existing allocations.\"}}", 1);
    /* the subnet CreateNetwork made is known: the first address call after it does not look it up */
    size_t subnet_reads = count(f, "GET", "/v2.0/subnets");
    json_decref(call_ok(f, "/IpamDriver.ReleaseAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.1\"}"));
    assert_int_equal(count(f, "GET", "/v2.0/subnets"), subnet_reads);
    assert_int_equal(count(f, "GET", "/v2.0/ports?fixed_ips"), 1);
    assert_contains(nth(f, "GET", "/v2.0/ports?fixed_ips", 0)->path, "subnet_id=" SUBNET);
    json_decref(call_ok(f, "/IpamDriver.ReleasePool", "{\"PoolID\":\"" POOL "\"}"));
    assert_int_equal(count(f, "DELETE", "/v2.0/subnetpools/" POOL), 1);

    answer_text(f, "GET", "/v2.0/ports?network_id", 200,
                "{\"ports\":[{\"id\":\"" PORT "\",\"device_id\":\"\"},{\"id\":\"p2\",\"device_id\":\"x\"}]}", 0);
    answer(f, "DELETE", "/v2.0/ports/" PORT, 204, NULL, 0);
    answer(f, "DELETE", "/v2.0/networks/" NEUTRON_NET, 204, NULL, 0);
    answer(f, "DELETE", "/v2.0/subnetpools/" POOL, 204, NULL, 0);
    answer(f, "GET", "/v2.0/networks?id", 200, "networks_found.json", 0);
    json_decref(call_ok(f, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NETID "\"}"));
    assert_contains(nth(f, "GET", "/v2.0/ports?network_id", 0)->path, "tags=compute:kuryr");
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/"), 1);
    /* this host's marker first; no other host marks the network, so it goes */
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET "/tags/kuryr.host:node1"), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET), 2);
    assert_int_equal(count(f, "DELETE", "/v2.0/subnetpools/" POOL), 2);
    const test_httpd_request *last = test_httpd_request_at(f->srv, test_httpd_request_count(f->srv) - 1);
    assert_string_equal(last->method, "DELETE");
    assert_string_equal(last->path, "/v2.0/subnetpools/" POOL);

    /* deleting again is fine for Docker */
    answer_text(f, "GET", "/v2.0/networks", 200, "{\"networks\": []}", 0);
    json_decref(call_ok(f, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NETID "\"}"));
}

/* A CreateNetwork that fails after making its IPv4 subnet (the IPv6 one is refused) rolls the network back
 * and forgets the subnet it had remembered for the pool: the next RequestAddress looks the pool up again. */
static void test_failed_create_network_forgets_its_subnet(void **state)
{
    fixture *f = *state;
    script_network_create(f);
    answer_text(f, "GET", "/v2.0/subnetpools", 200, "{\"subnetpools\": []}", 0); /* none for the IPv6 CIDR */
    answer_text(f, "GET", "/v2.0/subnets", 200, "{\"subnets\": []}", 0);
    answer(f, "POST", "/v2.0/subnets", 201, "subnet.json", 1);
    answer_text(f, "POST", "/v2.0/subnets", 500, "{\"NeutronError\":{\"message\":\"no\"}}", 0);
    answer(f, "DELETE", "/v2.0/networks/" NEUTRON_NET, 204, NULL, 0);
    json_decref(call_ok(f, "/IpamDriver.RequestPool", "{\"AddressSpace\":\"no_address_space\",\"Pool\":"
                                                      "\"10.0.0.0/24\",\"SubPool\":\"\",\"Options\":{},\"V6\":false}"));
    int status;
    json_t *r = pf_call(f, "/NetworkDriver.CreateNetwork",
                        "{\"NetworkID\":\"" NETID "\",\"Options\":{\"com.docker.network.generic\":{}},"
                        "\"IPv4Data\":[{\"AddressSpace\":\"no_address_space\",\"Gateway\":\"10.0.0.1/24\","
                        "\"Pool\":\"10.0.0.0/24\"}],\"IPv6Data\":[{\"AddressSpace\":\"no_address_space\","
                        "\"Pool\":\"fd00:1::/64\"}]}",
                        &status);
    assert_int_not_equal(status, 200);
    json_decref(r);
    assert_int_equal(count(f, "POST", "/v2.0/subnets"), 2);
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET), 1);
    size_t pool_reads = count(f, "GET", "/v2.0/subnets?subnetpool_id");
    json_decref(pf_call(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"\",\"Options\":{}}",
                        &status));
    assert_int_equal(count(f, "GET", "/v2.0/subnets?subnetpool_id"), pool_reads + 1);
    assert_int_equal(count(f, "POST", "/v2.0/ports"), 0);
}

/* A Neutron with tags but without tags in create bodies refuses them by name (as the test stack's does): the
 * create is made again without them and the tags are written with a separate call. A 400 that only mentions
 * tags is a failure like any other. */
static void refuse_network_create(fixture *f, const char *message, int times)
{
    char body[512];
    snprintf(body, sizeof(body), "{\"NeutronError\": {\"type\": \"HTTPBadRequest\", \"message\": \"%s\"}}", message);
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer_text(f, "GET", "/v2.0/networks", 200, "{\"networks\": []}", 0);
    answer_text(f, "POST", "/v2.0/networks", 400, body, times);
}

static void test_tags_refused_in_create_body(void **state)
{
    fixture *f = *state;
    refuse_network_create(f, "Attribute 'tags' not allowed in POST", 1);
    answer(f, "POST", "/v2.0/networks", 201, "network.json", 0);
    answer(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags", 200, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" NETID "\",\"IPv4Data\":[]}"));
    assert_int_equal(count(f, "POST", "/v2.0/networks"), 2);
    json_t *net = pf_body_of(nth(f, "POST", "/v2.0/networks", 0), "network");
    assert_non_null(json_object_get(net, "tags"));
    json_decref(net);
    net = pf_body_of(nth(f, "POST", "/v2.0/networks", 1), "network");
    assert_null(json_object_get(net, "tags"));
    json_decref(net);
    assert_int_equal(count(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags"), 1);
}

static void test_tags_merely_mentioned_in_a_400(void **state)
{
    fixture *f = *state;
    refuse_network_create(f, "Invalid input for tags. Reason: too many tags.", 0);
    int status;
    json_t *r = pf_call(f, "/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" NETID "\",\"IPv4Data\":[]}", &status);
    assert_int_not_equal(status, 200);
    json_decref(r);
    assert_int_equal(count(f, "POST", "/v2.0/networks"), 1);
}

/* Without the tag extension the network is named by the full Docker id, as upstream does. */
static void test_no_tag_extension(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions_notag.json", 0);
    answer_text(f, "GET", "/v2.0/networks", 200, "{\"networks\": []}", 0);
    answer(f, "POST", "/v2.0/networks", 201, "network.json", 0);
    json_decref(call_ok(f, "/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" NETID "\",\"IPv4Data\":[]}"));
    assert_contains(nth(f, "GET", "/v2.0/networks", 0)->path, "name=" NETID);
    json_t *net = pf_body_of(nth(f, "POST", "/v2.0/networks", 0), "network");
    pf_assert_json_str(net, "name", NETID);
    assert_null(json_object_get(net, "tags"));
    json_decref(net);
}

/* -o neutron.net.uuid: the network is tagged (never created) and on removal only untagged, and only
 * kuryr's subnets are deleted from it. */
static void test_existing_network(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer_text(f, "GET", "/v2.0/networks?tags", 200, "{\"networks\": []}", 1);
    answer_text(f, "GET", "/v2.0/networks?id", 200, "{\"networks\":[{\"id\":\"" NEUTRON_NET "\",\"mtu\":1500}]}", 0);
    answer(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/", 201, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.CreateNetwork",
                        "{\"NetworkID\":\"" NETID "\",\"Options\":{\"com.docker.network.generic\":"
                        "{\"neutron.net.uuid\":\"" NEUTRON_NET "\"}},\"IPv4Data\":[]}"));
    assert_int_equal(count(f, "POST", "/v2.0/networks"), 0);
    assert_int_equal(count(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/"), 4);
    assert_contains(nth(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/", 2)->path, "kuryr.net.existing:0123abcd0123");
    assert_contains(nth(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/", 3)->path, "kuryr.host:node1");

    answer_text(f, "GET", "/v2.0/ports", 200, "{\"ports\": []}", 0);
    answer_text(f, "GET", "/v2.0/subnets", 200,
                "{\"subnets\":[{\"id\":\"" SUBNET "\",\"name\":\"kuryr-subnet-10.0.0.0/24\"},"
                "{\"id\":\"s-theirs\",\"name\":\"private\"}]}", 0);
    answer(f, "DELETE", "/v2.0/subnets/" SUBNET, 204, NULL, 0);
    answer(f, "DELETE", "/v2.0/networks/" NEUTRON_NET "/tags/", 204, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NETID "\"}"));
    assert_int_equal(count(f, "DELETE", "/v2.0/subnets/"), 1);
    /* this host's marker, then (no other host marks it) kuryr's three tags */
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET "/tags/"), 4);
    assert_contains(nth(f, "DELETE", "/v2.0/networks/" NEUTRON_NET "/tags/", 0)->path, "kuryr.host:node1");
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET), 4); /* the tag deletes only */
}

/* Docker gets a clear 503 with an Err naming Neutron, and the daemon answers the next request. */
static void test_neutron_down(void **state)
{
    fixture *f = *state;
    int status;
    json_t *r = pf_call(f, "/IpamDriver.RequestPool", "{\"Pool\":\"10.30.0.0/24\"}", &status);
    assert_int_equal(status, 503);
    const char *e = json_string_value(json_object_get(r, "Err"));
    assert_non_null(e);
    assert_non_null(strstr(e, "Neutron"));
    json_decref(r);
    r = pf_call(f, "/NetworkDriver.CreateNetwork",
             "{\"NetworkID\":\"" NETID "\",\"Options\":{},\"IPv4Data\":[],\"IPv6Data\":[]}", &status);
    assert_int_equal(status, 503);
    json_decref(r);
    r = pf_call(f, "/Plugin.Activate", "", &status);
    assert_int_equal(status, 200);
    json_decref(r);
}

/* A global-scope network: the second host's CreateNetwork finds it and marks it as its own too; a host's
 * DeleteNetwork while another host still marks it removes only its marker and its own unbound ports, and the
 * network stays for the other host. */
static void test_shared_network_goes_with_last_host(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer(f, "GET", "/v2.0/networks?tags", 200, "networks_found.json", 0);
    answer(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/", 201, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.CreateNetwork", "{\"NetworkID\":\"" NETID "\",\"Options\":{},"
                                                         "\"IPv4Data\":[]}"));
    assert_int_equal(count(f, "POST", "/v2.0/networks"), 0);
    assert_int_equal(count(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/kuryr.host:node1"), 1);

    answer_text(f, "GET", "/v2.0/networks?id", 200,
                "{\"networks\":[{\"id\":\"" NEUTRON_NET "\",\"tags\":[\"kuryr.host:node2\"]}]}", 0);
    answer(f, "DELETE", "/v2.0/networks/" NEUTRON_NET "/tags/", 204, NULL, 0);
    answer_text(f, "GET", "/v2.0/ports?network_id", 200,
                "{\"ports\":[{\"id\":\"p-mine\",\"device_id\":\"\",\"tags\":[\"compute:kuryr\",\"kuryr.host:node1\"]},"
                "{\"id\":\"p-theirs\",\"device_id\":\"\",\"tags\":[\"compute:kuryr\",\"kuryr.host:node2\"]},"
                "{\"id\":\"p-pool-theirs\",\"device_id\":\"\",\"binding:host_id\":\"node2\","
                "\"name\":\"kuryr-pool-port\",\"description\":\"kuryr-pool:node2\",\"tags\":[\"compute:kuryr\"]}]}", 0);
    answer(f, "DELETE", "/v2.0/ports/p-mine", 204, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NETID "\"}"));
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET "/tags/kuryr.host:node1"), 1);
    /* the marker only: the other host's Docker network has the same id, so the lh/uh pair is its too */
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/"), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/p-mine"), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/subnetpools"), 0);
}

int main(void)
{
    kuryr_log_init("test_network", KURYR_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_network_lifecycle, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_neutron_down, setup_neutron_down, pf_teardown),
        cmocka_unit_test_setup_teardown(test_failed_create_network_forgets_its_subnet, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_no_tag_extension, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_tags_refused_in_create_body, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_tags_merely_mentioned_in_a_400, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_existing_network, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_shared_network_goes_with_last_host, setup, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
