/* Handler logic against a scripted Neutron on 127.0.0.1 (auth_type none + endpoint_override): the requests
 * each plugin call sends (names, tags, filters, bodies) and the JSON Docker gets back. Binding is made to fail
 * before any netlink work (the port's vnic_type is not "normal"), which also exercises the roll-back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/config.h"
#include "kuryr/log.h"
#include "mapping.h"
#include "metrics.h"
#include "plugin.h"
#include "release.h"
#include "router.h"
#include "vif_pool.h"
#include "plugin_fixture.h"
#include "test_httpd.h"

#define NETID "0123abcd0123abcd0123abcd0123abcd89ef89ef89ef89ef89ef89ef89ef89ef"
#define EPID "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define NEUTRON_NET "11111111-1111-4111-8111-111111111111"
#define POOL "22222222-2222-4222-8222-222222222222"
#define SUBNET "33333333-3333-4333-8333-333333333333"
#define PORT "44444444-4444-4444-8444-444444444444"
#define DEFPOOL "55555555-5555-4555-8555-555555555555"
#define SG "88888888-8888-4888-8888-888888888888"

typedef plugin_fixture fixture;

static char *data(const char *name)
{
    const char *dir = getenv("KURYR_TEST_DATA");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir ? dir : "data", name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "missing test data %s\n", path);
        abort();
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    int c;
    while ((c = fgetc(f)) != EOF)
        fputc(c, mem);
    fclose(f);
    fclose(mem);
    return buf;
}

/* A permanent (times 0) or counted answer with a body from data/. */
static void answer(fixture *f, const char *method, const char *path, int status, const char *file, int times)
{
    char *body = file ? data(file) : NULL;
    test_httpd_script s = {.method = method, .path = path, .status = status, .body = body, .times = times};
    test_httpd_add(f->srv, &s);
    free(body);
}

static void answer_text(fixture *f, const char *method, const char *path, int status, const char *body, int times)
{
    test_httpd_script s = {.method = method, .path = path, .status = status, .body = body, .times = times};
    test_httpd_add(f->srv, &s);
}

static int setup(void **state)
{
    return pf_setup(state, NULL, 0);
}

/* Nested (vlan) binding on "lo", whose MAC is readable everywhere; the trunk lookup fails before any link
 * is made. */
static int setup_nested(void **state)
{
    const pf_setting s[] = {{"binding", "default_driver", "vlan"},
                            {"binding", "enabled_drivers", "vlan"},
                            {"binding", "link_iface", "lo"}};
    return pf_setup(state, s, sizeof(s) / sizeof(*s));
}

/* Neutron down: the endpoint points at a loopback port nothing listens on. */
static int setup_neutron_down(void **state)
{
    const pf_setting s[] = {{"neutron", "endpoint_override", "http://127.0.0.1:9"}};
    return pf_setup(state, s, sizeof(s) / sizeof(*s));
}

static json_t *call_ok(fixture *f, const char *uri, const char *body)
{
    int status;
    json_t *j = pf_call(f, uri, body, &status);
    if (status != 200) {
        char *s = json_dumps(j, 0);
        fail_msg("%s: status %d %s", uri, status, s);
    }
    return j;
}

static void dump_requests(fixture *f)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        fprintf(stderr, "  #%zu %s %s %s\n", i, r->method, r->path, r->body);
    }
}

/* The n-th (from 0) received request with this method whose path starts with prefix. */
static const test_httpd_request *nth(fixture *f, const char *method, const char *prefix, int n)
{
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, prefix, strlen(prefix)) && n-- == 0)
            return r;
    }
    dump_requests(f);
    fail_msg("no request %s %s", method, prefix);
    return NULL;
}

static size_t count(fixture *f, const char *method, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(f->srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(f->srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, prefix, strlen(prefix)))
            n++;
    }
    return n;
}

/* The recorded path is as the server decoded it, so filters appear unescaped. */
static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("'%s' does not contain '%s'", hay ? hay : "(null)", needle);
}

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
    assert_int_equal(json_array_size(tags), 2);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "kuryr.net.uuid.lh:0123abcd0123abcd0123abcd0123abcd");
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "kuryr.net.uuid.uh:89ef89ef89ef89ef89ef89ef89ef89ef");
    json_decref(net);
    json_t *sub = pf_body_of(nth(f, "POST", "/v2.0/subnets", 0), "subnet");
    pf_assert_json_str(sub, "name", "kuryr-subnet-10.0.0.0/24");
    pf_assert_json_str(sub, "network_id", NEUTRON_NET);
    pf_assert_json_str(sub, "cidr", "10.0.0.0/24");
    pf_assert_json_str(sub, "subnetpool_id", POOL);
    pf_assert_json_str(sub, "gateway_ip", "10.0.0.1");
    assert_string_equal(json_string_value(json_array_get(json_object_get(sub, "tags"), 0)), POOL);
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
    json_decref(call_ok(f, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NETID "\"}"));
    assert_contains(nth(f, "GET", "/v2.0/ports?network_id", 0)->path, "tags=compute:kuryr");
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/"), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET), 1);
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

    /* ReleaseAddress deletes the port kuryr made, right after answering */
    answer(f, "GET", "/v2.0/ports?fixed_ips", 200, "ports_one.json", 0);
    answer(f, "DELETE", "/v2.0/ports/" PORT, 204, NULL, 0);
    json_decref(call_ok(f, "/IpamDriver.ReleaseAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.0.0.2\"}"));
    assert_true(kl_releases_wait_ip(f->p.releases, NEUTRON_NET, "10.0.0.2", 10));
    assert_int_equal(count(f, "DELETE", "/v2.0/ports/" PORT), 1);
    assert_int_equal(kl_releases_pending(f->p.releases), 0);
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

/* No --subnet: a /24 carved from the default pool "kuryr", skipping used blocks; gateway = first host. */
static void test_default_pool(void **state)
{
    fixture *f = *state;
    answer_text(f, "GET", "/v2.0/subnets?tags", 200, "{\"subnets\": []}", 0);
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer(f, "GET", "/v2.0/subnetpools?name=kuryr", 200, "subnetpools_default.json", 0);
    answer(f, "GET", "/v2.0/subnets?subnetpool_id=" DEFPOOL "&fields", 200, "subnets_default_used.json", 0);
    answer_text(f, "GET", "/v2.0/subnets?subnetpool_id=" DEFPOOL "&cidr", 200, "{\"subnets\": []}", 0);
    json_t *r = call_ok(f, "/IpamDriver.RequestPool", "{\"AddressSpace\":\"\",\"Pool\":\"\",\"Options\":{},\"V6\":false}");
    pf_assert_json_str(r, "Pool", "10.10.1.0/24");
    pf_assert_json_str(r, "PoolID", DEFPOOL "@10.10.1.0/24");
    json_decref(r);
    /* a second network gets the next block, not the same one */
    r = call_ok(f, "/IpamDriver.RequestPool", "{\"Options\":{}}");
    pf_assert_json_str(r, "Pool", "10.10.2.0/24");
    json_decref(r);
    r = call_ok(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" DEFPOOL "@10.10.1.0/24\",\"Options\":"
                                                 "{\"RequestAddressType\":\"com.docker.network.gateway\"}}");
    pf_assert_json_str(r, "Address", "10.10.1.1/24");
    json_decref(r);
    assert_int_equal(count(f, "POST", "/v2.0/"), 0);
    /* releasing a carved block changes nothing in Neutron (it only looks for an adopted subnet to untag) */
    size_t before = test_httpd_request_count(f->srv);
    json_decref(call_ok(f, "/IpamDriver.ReleasePool", "{\"PoolID\":\"" DEFPOOL "@10.10.1.0/24\"}"));
    assert_int_equal(test_httpd_request_count(f->srv), before + 1);
    assert_contains(nth(f, "GET", "/v2.0/subnets?tags", 1)->path, "tags=" DEFPOOL "&cidr=10.10.1.0/24");
}

typedef struct {
    fixture *f;
    char pool[64];
} carve_job;

static void *carve_one(void *arg)
{
    carve_job *j = arg;
    kl_reply r;
    kl_dispatch(&j->f->p, kl_routes, "POST", "/IpamDriver.RequestPool", "{}", 2, 0, &r);
    json_t *o = json_loads(r.body, 0, NULL);
    const char *pool = json_string_value(json_object_get(o, "Pool"));
    snprintf(j->pool, sizeof(j->pool), "%s", pool ? pool : "error");
    json_decref(o);
    kl_reply_clear(&r);
    return NULL;
}

/* Docker sends requests in parallel: concurrent default-pool requests must never get the same block. */
static void test_concurrent_carving(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/subnetpools?name=kuryr", 200, "subnetpools_default.json", 0);
    answer(f, "GET", "/v2.0/subnets?subnetpool_id=" DEFPOOL, 200, "subnets_default_used.json", 0);
    enum { N = 8 };
    pthread_t t[N];
    carve_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i].f = f;
        assert_int_equal(pthread_create(&t[i], NULL, carve_one, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < N; i++) {
        assert_string_not_equal(jobs[i].pool, "error");
        assert_string_not_equal(jobs[i].pool, "10.10.0.0/24"); /* used in Neutron */
        for (int k = 0; k < i; k++)
            assert_string_not_equal(jobs[i].pool, jobs[k].pool);
    }
}

/* IPv6 with --subnet: own pool, gateway fd00:1::1. */
static void test_v6_gateway(void **state)
{
    fixture *f = *state;
    answer_text(f, "GET", "/v2.0/subnets?tags", 200, "{\"subnets\": []}", 0);
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer_text(f, "GET", "/v2.0/subnetpools", 200, "{\"subnetpools\": []}", 0);
    answer_text(f, "POST", "/v2.0/subnetpools", 201,
                "{\"subnetpool\":{\"id\":\"" POOL "\",\"name\":\"kuryrPool-fd00:1::/64\",\"ip_version\":6,"
                "\"prefixes\":[\"fd00:1::/64\"],\"default_prefixlen\":64}}", 0);
    answer_text(f, "GET", "/v2.0/subnets", 200, "{\"subnets\": []}", 0);
    json_t *r = call_ok(f, "/IpamDriver.RequestPool", "{\"Pool\":\"fd00:1::/64\",\"V6\":true}");
    pf_assert_json_str(r, "PoolID", POOL);
    json_decref(r);
    json_t *pool = pf_body_of(nth(f, "POST", "/v2.0/subnetpools", 0), "subnetpool");
    assert_int_equal(json_integer_value(json_object_get(pool, "default_prefixlen")), 64);
    assert_int_equal(json_integer_value(json_object_get(pool, "min_prefixlen")), 64);
    json_decref(pool);
    r = call_ok(f, "/IpamDriver.RequestAddress",
                "{\"PoolID\":\"" POOL "\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}");
    pf_assert_json_str(r, "Address", "fd00:1::1/64");
    json_decref(r);
    int status;
    r = pf_call(f, "/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0/24\",\"V6\":true}", &status);
    assert_int_equal(status, 400);
    json_decref(r);
    r = pf_call(f, "/IpamDriver.RequestPool", "{\"SubPool\":\"10.0.0.0/25\"}", &status);
    assert_int_equal(status, 400);
    json_decref(r);
}

/* --subnet 10.20.0.0/16 --ip-range 10.20.5.0/24 --gateway 10.20.0.1: the pool and subnet are the range, the
 * addresses Docker gets carry the /16 of its network. */
static void test_ip_range(void **state)
{
    fixture *f = *state;
    answer_text(f, "GET", "/v2.0/subnets?tags", 200, "{\"subnets\": []}", 0);
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer_text(f, "GET", "/v2.0/subnetpools", 200, "{\"subnetpools\": []}", 0);
    answer_text(f, "POST", "/v2.0/subnetpools", 201, "{\"subnetpool\":{\"id\":\"" POOL "\",\"prefixes\":[\"10.20.5.0/24\"],"
                "\"tags\":[\"kuryr.pool.cidr:10.20.0.0/16\"]}}", 0);
    answer_text(f, "GET", "/v2.0/subnets", 200, "{\"subnets\": []}", 1);
    json_t *r = call_ok(f, "/IpamDriver.RequestPool", "{\"Pool\":\"10.20.0.0/16\",\"SubPool\":\"10.20.5.0/24\"}");
    pf_assert_json_str(r, "Pool", "10.20.0.0/16");
    json_decref(r);
    json_t *pool = pf_body_of(nth(f, "POST", "/v2.0/subnetpools", 0), "subnetpool");
    pf_assert_json_str(pool, "name", "kuryrPool-10.20.5.0/24");
    json_decref(pool);
    r = call_ok(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Address\":\"10.20.0.1\",\"Options\":"
                                                 "{\"RequestAddressType\":\"com.docker.network.gateway\"}}");
    pf_assert_json_str(r, "Address", "10.20.0.1/16");
    json_decref(r);
    answer_text(f, "GET", "/v2.0/subnets", 200,
                "{\"subnets\":[{\"id\":\"" SUBNET "\",\"network_id\":\"" NEUTRON_NET "\",\"cidr\":\"10.20.5.0/24\","
                "\"gateway_ip\":\"10.20.0.1\",\"ip_version\":4}]}", 0);
    answer_text(f, "GET", "/v2.0/ports", 200, "{\"ports\": []}", 0);
    answer_text(f, "POST", "/v2.0/ports", 201, "{\"port\":{\"id\":\"" PORT "\",\"tags\":[\"compute:kuryr\"],"
                "\"fixed_ips\":[{\"subnet_id\":\"" SUBNET "\",\"ip_address\":\"10.20.5.2\"}]}}", 0);
    r = call_ok(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\"}");
    pf_assert_json_str(r, "Address", "10.20.5.2/16");
    json_decref(r);
}

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
    assert_int_equal(count(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/"), 3);
    assert_contains(nth(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/", 2)->path, "kuryr.net.existing:0123abcd0123");

    answer_text(f, "GET", "/v2.0/ports", 200, "{\"ports\": []}", 0);
    answer_text(f, "GET", "/v2.0/subnets", 200,
                "{\"subnets\":[{\"id\":\"" SUBNET "\",\"name\":\"kuryr-subnet-10.0.0.0/24\"},"
                "{\"id\":\"s-theirs\",\"name\":\"private\"}]}", 0);
    answer(f, "DELETE", "/v2.0/subnets/" SUBNET, 204, NULL, 0);
    answer(f, "DELETE", "/v2.0/networks/" NEUTRON_NET "/tags/", 204, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.DeleteNetwork", "{\"NetworkID\":\"" NETID "\"}"));
    assert_int_equal(count(f, "DELETE", "/v2.0/subnets/"), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET "/tags/"), 3);
    assert_int_equal(count(f, "DELETE", "/v2.0/networks/" NEUTRON_NET), 3); /* the tag deletes only */
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

/* --subnet 10.0.0.0/24 -o neutron.net.uuid=N whose network already has a subnet of that CIDR (not from our
 * pool): CreateNetwork tags it with the pool id; RequestAddress finds it by that tag; RequestPool after a
 * restart does not take that pool for another network; ReleasePool only untags it. */
static void test_existing_subnet_of_pool(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer_text(f, "GET", "/v2.0/subnetpools?name", 200, "{\"subnetpools\": []}", 1);
    answer(f, "POST", "/v2.0/subnetpools", 201, "subnetpool.json", 0);
    json_t *r = call_ok(f, "/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0/24\",\"Options\":"
                                                      "{\"neutron.net.uuid\":\"" NEUTRON_NET "\"}}");
    pf_assert_json_str(r, "PoolID", POOL);
    json_decref(r);

    answer_text(f, "GET", "/v2.0/networks?tags", 200, "{\"networks\": []}", 1);
    answer_text(f, "GET", "/v2.0/networks?id", 200, "{\"networks\":[{\"id\":\"" NEUTRON_NET "\",\"mtu\":1500}]}", 0);
    answer(f, "PUT", "/v2.0/networks/" NEUTRON_NET "/tags/", 201, NULL, 0);
    answer_text(f, "GET", "/v2.0/subnets?network_id", 200,
                "{\"subnets\":[{\"id\":\"" SUBNET "\",\"name\":\"private\",\"cidr\":\"10.0.0.0/24\",\"tags\":[]}]}", 0);
    answer(f, "PUT", "/v2.0/subnets/" SUBNET "/tags/" POOL, 201, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.CreateNetwork",
                        "{\"NetworkID\":\"" NETID "\",\"Options\":{\"com.docker.network.generic\":"
                        "{\"neutron.net.uuid\":\"" NEUTRON_NET "\"}},\"IPv4Data\":[{\"Pool\":\"10.0.0.0/24\","
                        "\"Gateway\":\"10.0.0.1/24\"}]}"));
    assert_int_equal(count(f, "PUT", "/v2.0/subnets/" SUBNET "/tags/" POOL), 1);
    assert_int_equal(count(f, "POST", "/v2.0/subnets"), 0);

    /* the pool has no subnet of its own: the tagged one answers */
    answer_text(f, "GET", "/v2.0/subnets?subnetpool_id", 200, "{\"subnets\": []}", 0);
    answer_text(f, "GET", "/v2.0/subnets?tags", 200,
                "{\"subnets\":[{\"id\":\"" SUBNET "\",\"network_id\":\"" NEUTRON_NET "\",\"cidr\":\"10.0.0.0/24\","
                "\"gateway_ip\":\"10.0.0.254\",\"ip_version\":4,\"tags\":[\"" POOL "\"]}]}", 0);
    r = call_ok(f, "/IpamDriver.RequestAddress",
                "{\"PoolID\":\"" POOL "\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}");
    pf_assert_json_str(r, "Address", "10.0.0.254/24");
    json_decref(r);
    assert_contains(nth(f, "GET", "/v2.0/subnets?subnetpool_id", 0)->path, "subnetpool_id=" POOL);
    assert_contains(nth(f, "GET", "/v2.0/subnets?tags", 0)->path, "tags=" POOL);

    /* after a restart, a second network with the same CIDR gets a pool of its own */
    kl_pool_forget(&f->p, POOL);
    answer_text(f, "GET", "/v2.0/subnetpools?name", 200, "{\"subnetpools\":[{\"id\":\"" POOL "\"}]}", 0);
    size_t made = count(f, "POST", "/v2.0/subnetpools");
    json_decref(call_ok(f, "/IpamDriver.RequestPool", "{\"Pool\":\"10.0.0.0/24\",\"Options\":{}}"));
    assert_int_equal(count(f, "POST", "/v2.0/subnetpools"), made + 1);
    kl_pool_forget(&f->p, POOL);

    /* ReleasePool: the tag goes, the subnet stays, our pool is deleted */
    answer(f, "DELETE", "/v2.0/subnets/" SUBNET "/tags/" POOL, 204, NULL, 0);
    answer(f, "GET", "/v2.0/subnetpools/" POOL, 200, "subnetpool.json", 0);
    answer(f, "DELETE", "/v2.0/subnetpools/" POOL, 204, NULL, 0);
    json_decref(call_ok(f, "/IpamDriver.ReleasePool", "{\"PoolID\":\"" POOL "\"}"));
    assert_int_equal(count(f, "DELETE", "/v2.0/subnets/" SUBNET "/tags/" POOL), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/subnets/"), 1);
    assert_int_equal(count(f, "DELETE", "/v2.0/subnetpools/" POOL), 1);
}

/* The daemon keeps no database: a restart forgets every RequestPool answer. */
static void restart(fixture *f)
{
    kl_plugin_fini(&f->p);
    f->up = false;
    kuryr_error err;
    if (kl_plugin_init(&f->p, f->cfg, &err) < 0)
        fail_msg("plugin: %s", err.message);
    snprintf(f->p.hostname, sizeof(f->p.hostname), "node1");
    f->up = true;
}

#define RANGE_POOL "{\"id\":\"" POOL "\",\"name\":\"kuryrPool-10.20.5.0/24\",\"prefixes\":[\"10.20.5.0/24\"]," \
                   "\"tags\":[\"kuryr.pool.cidr:10.20.0.0/16\"]}"

/* --subnet 10.20.0.0/16 --ip-range 10.20.5.0/24 with restarts after RequestPool and after the gateway request:
 * the pool records Docker's Pool in a tag, which gives the /16 back to the gateway answer and lets
 * CreateNetwork find the pool (and so the range) by the CIDR Docker sends. */
static void test_restart_between_pool_and_network(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer_text(f, "GET", "/v2.0/subnetpools?name", 200, "{\"subnetpools\": []}", 0);
    answer_text(f, "POST", "/v2.0/subnetpools", 201, "{\"subnetpool\":" RANGE_POOL "}", 0);
    json_decref(call_ok(f, "/IpamDriver.RequestPool", "{\"Pool\":\"10.20.0.0/16\",\"SubPool\":\"10.20.5.0/24\"}"));
    json_t *pool = pf_body_of(nth(f, "POST", "/v2.0/subnetpools", 0), "subnetpool");
    assert_string_equal(json_string_value(json_array_get(json_object_get(pool, "tags"), 0)),
                        "kuryr.pool.cidr:10.20.0.0/16");
    json_decref(pool);

    restart(f);
    answer_text(f, "GET", "/v2.0/subnets?subnetpool_id", 200, "{\"subnets\": []}", 0);
    answer_text(f, "GET", "/v2.0/subnets?tags", 200, "{\"subnets\": []}", 0);
    answer_text(f, "GET", "/v2.0/subnetpools/" POOL, 200, "{\"subnetpool\":" RANGE_POOL "}", 0);
    json_t *r = call_ok(f, "/IpamDriver.RequestAddress", "{\"PoolID\":\"" POOL "\",\"Options\":"
                                                         "{\"RequestAddressType\":\"com.docker.network.gateway\"}}");
    pf_assert_json_str(r, "Address", "10.20.5.1/16");
    json_decref(r);

    restart(f);
    answer_text(f, "GET", "/v2.0/subnetpools?tags", 200, "{\"subnetpools\":[" RANGE_POOL "]}", 0);
    answer_text(f, "GET", "/v2.0/networks", 200, "{\"networks\": []}", 1);
    answer(f, "POST", "/v2.0/networks", 201, "network.json", 0);
    answer_text(f, "GET", "/v2.0/subnets?network_id", 200, "{\"subnets\": []}", 0);
    answer(f, "POST", "/v2.0/subnets", 201, "subnet.json", 0);
    json_decref(call_ok(f, "/NetworkDriver.CreateNetwork",
                        "{\"NetworkID\":\"" NETID "\",\"Options\":{\"com.docker.network.generic\":{}},"
                        "\"IPv4Data\":[{\"Pool\":\"10.20.0.0/16\",\"Gateway\":\"10.20.5.1/16\"}],\"IPv6Data\":[]}"));
    assert_contains(nth(f, "GET", "/v2.0/subnetpools?name", 1)->path, "name=kuryrPool-10.20.0.0/16");
    assert_contains(nth(f, "GET", "/v2.0/subnetpools?tags", 0)->path, "tags=kuryr.pool.cidr:10.20.0.0/16");
    json_t *sub = pf_body_of(nth(f, "POST", "/v2.0/subnets", 0), "subnet");
    pf_assert_json_str(sub, "cidr", "10.20.5.0/24");
    pf_assert_json_str(sub, "subnetpool_id", POOL);
    json_decref(sub);

    /* the pool is remembered again, as this network's */
    kl_pool_info info;
    assert_true(kl_pool_by_docker_id(&f->p, POOL, &info));
    assert_string_equal(info.pool_cidr, "10.20.0.0/16");
    assert_string_equal(info.claimed_by, NETID);
}

/* A block carved from the default pool, then a restart before CreateNetwork: no pool of ours or adopted one
 * has the CIDR, the default pool holds it, so the subnet is made from the default pool. */
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

static void test_restart_carved_block(void **state)
{
    fixture *f = *state;
    answer(f, "GET", "/v2.0/extensions", 200, "extensions.json", 0);
    answer_text(f, "GET", "/v2.0/subnetpools?name=kuryrPool", 200, "{\"subnetpools\": []}", 0);
    answer_text(f, "GET", "/v2.0/subnetpools?tags", 200, "{\"subnetpools\": []}", 0);
    answer(f, "GET", "/v2.0/subnetpools?name=kuryr", 200, "subnetpools_default.json", 0);
    answer_text(f, "GET", "/v2.0/networks", 200, "{\"networks\": []}", 1);
    answer(f, "POST", "/v2.0/networks", 201, "network.json", 0);
    answer_text(f, "GET", "/v2.0/subnets?network_id", 200, "{\"subnets\": []}", 0);
    answer(f, "POST", "/v2.0/subnets", 201, "subnet.json", 0);
    answer(f, "PUT", "/v2.0/subnets/", 200, NULL, 0);
    json_decref(call_ok(f, "/NetworkDriver.CreateNetwork",
                        "{\"NetworkID\":\"" NETID "\",\"Options\":{\"com.docker.network.generic\":{}},"
                        "\"IPv4Data\":[{\"Pool\":\"10.10.1.0/24\",\"Gateway\":\"10.10.1.1/24\"}],\"IPv6Data\":[]}"));
    assert_contains(nth(f, "GET", "/v2.0/subnetpools?tags", 1)->path, "tags=kuryr.subnetpool.existing");
    /* the subnet's tag went in its body, but the recorded answer lacks it (as some Neutron releases silently
     * drop body tags): kuryr puts it on with a separate call; the network's answer had its tags, so no call */
    assert_int_equal(count(f, "PUT", "/v2.0/networks/"), 0);
    assert_contains(nth(f, "PUT", "/v2.0/subnets/", 0)->path, "/tags");
    assert_contains(nth(f, "PUT", "/v2.0/subnets/", 0)->body, DEFPOOL);
    json_t *sub = pf_body_of(nth(f, "POST", "/v2.0/subnets", 0), "subnet");
    assert_non_null(json_object_get(sub, "tags"));
    pf_assert_json_str(sub, "cidr", "10.10.1.0/24");
    pf_assert_json_str(sub, "subnetpool_id", DEFPOOL);
    json_decref(sub);
    kl_pool_info info;
    assert_true(kl_pool_by_docker_id(&f->p, DEFPOOL "@10.10.1.0/24", &info));
    assert_string_equal(info.claimed_by, NETID);
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
    kuryr_log_init("test_handlers", KURYR_LOG_ERROR, false);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_network_lifecycle, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_fresh_port_handover, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_fresh_port_gone, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_neutron_down, setup_neutron_down, pf_teardown),
        cmocka_unit_test_setup_teardown(test_existing_subnet_of_pool, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_restart_between_pool_and_network, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_restart_carved_block, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_failed_create_network_forgets_its_subnet, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_endpoint_flow, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_default_pool, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_carving, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_v6_gateway, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_ip_range, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_conflict, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_address_of_bound_port, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_no_tag_extension, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_exposed_ports, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_existing_network, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_existing_subnet, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_adopted_port, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_adopted_port_endpoint_deleted, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_dual_stack_second_family, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_nested_parent_port, setup_nested, pf_teardown),
        cmocka_unit_test_setup_teardown(test_static_and_invalid, setup, pf_teardown),
        cmocka_unit_test_setup_teardown(test_join_of_a_pool_port, setup_pool, pf_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
