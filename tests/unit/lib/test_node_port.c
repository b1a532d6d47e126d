/* The node port (lib/node_port.c) against a scripted Neutron, with real devices: which Neutron requests it
 * sends (find, create with the marker, reuse, duplicates, someone else's port, delete after a failed plug,
 * remove) and what it leaves in the network namespace (the node's end with the port's MAC, address and routes,
 * replaced when stale, gone after remove).
 *
 * The veth pairs are real, so the whole test runs in a network namespace of its own (made in main, before any
 * thread starts, so that the scripted server lives there too); without the privilege for that it is skipped.
 * The ports' vif_type is "tap", for which the binding plugs the host side nowhere. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kuryr/node_port.h"
#include "neutron_fixture.h"
#include "private_netns.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define SUBNET_ID "5b4e2e0c-0000-4000-8000-0000000000s1"
#define NET_ID "9c1d1a5e-0000-4000-8000-000000000n01"
#define PORT_A "aaaaaaaa-1111-4000-8000-000000000001"
#define PORT_B "bbbbbbbb-2222-4000-8000-000000000002"
#define MAC_A "fa:16:3e:00:00:0a"
#define MAC_B "fa:16:3e:00:00:0b"
#define IFNAME "kuryr-node"

static const char *const sgs[] = {"sg-pods", NULL};
static const char *const routes[] = {"10.96.0.0/16", NULL};
static kuryr_binding_cfg bcfg = {.default_driver = KURYR_DRIVER_VETH, .enabled_mask = 1u << KURYR_DRIVER_VETH};

static kuryr_node_port_cfg np_cfg(void)
{
    return (kuryr_node_port_cfg){.node = "node1", .host = "host1", .subnet_id = SUBNET_ID, .security_groups = sgs,
                                 .ifname = IFNAME, .routes = routes, .binding = &bcfg};
}

/* A port object; marker: the description ("" = none); vif: binding:vif_type. */
static char *port_json(const char *id, const char *mac, const char *ip, const char *marker, const char *vif)
{
    char *s = NULL;
    int n = asprintf(&s,
                     "{\"id\":\"%s\",\"name\":\"kubelet-node1\",\"network_id\":\"" NET_ID "\",\"mac_address\":\"%s\","
                     "\"status\":\"DOWN\",\"device_owner\":\"compute:kuryr\",\"device_id\":\"kubelet-node1\","
                     "\"binding:host_id\":\"host1\",\"binding:vif_type\":\"%s\",\"binding:vnic_type\":\"normal\","
                     "\"admin_state_up\":true,\"description\":\"%s\",\"tags\":[],"
                     "\"fixed_ips\":[{\"subnet_id\":\"" SUBNET_ID "\",\"ip_address\":\"%s\"}]}",
                     id, mac, vif, marker, ip);
    assert_true(n > 0);
    return s;
}

static void script_subnet_and_network(test_httpd *srv)
{
    test_httpd_answer(srv, "GET", "/v2.0/subnets/" SUBNET_ID, 200,
                      "{\"subnet\":{\"id\":\"" SUBNET_ID "\",\"network_id\":\"" NET_ID "\",\"cidr\":\"10.240.0.0/22\","
                      "\"gateway_ip\":\"10.240.0.1\",\"ip_version\":4}}");
    test_httpd_answer(srv, "GET", "/v2.0/networks/" NET_ID, 200,
                      "{\"network\":{\"id\":\"" NET_ID "\",\"name\":\"pods\",\"mtu\":1450,\"subnets\":[]}}");
}

/* Answers the ports LIST with these port objects (comma-joined by the caller). */
static void script_list(test_httpd *srv, const char *items)
{
    char *body = NULL;
    assert_true(asprintf(&body, "{\"ports\":[%s]}", items) > 0);
    test_httpd_answer(srv, "GET", "/v2.0/ports?", 200, body);
    free(body);
}

/* The ports LIST finds port (this node's) `times` times, then nothing. */
static void script_found_then_gone(test_httpd *srv, const char *port, int times)
{
    char *body = NULL;
    assert_true(asprintf(&body, "{\"ports\":[%s]}", port) > 0);
    test_httpd_add(srv, &(test_httpd_script){.method = "GET", .path = "/v2.0/ports?", .status = 200, .body = body,
                                             .times = times});
    script_list(srv, "");
    free(body);
}

static void script_create(test_httpd *srv, const char *port)
{
    char *body = NULL;
    assert_true(asprintf(&body, "{\"port\":%s}", port) > 0);
    test_httpd_answer(srv, "POST", "/v2.0/ports", 201, body);
    free(body);
    test_httpd_answer(srv, "PUT", "/v2.0/ports/", 201, "");
    test_httpd_answer(srv, "DELETE", "/v2.0/ports/", 204, "");
}

/* No port of this node's yet: the create answers port A with this vif_type. */
static void script_fresh(test_httpd *srv, const char *vif)
{
    script_subnet_and_network(srv);
    script_list(srv, "");
    char *a = port_json(PORT_A, MAC_A, "10.240.0.5", "", vif);
    script_create(srv, a);
    free(a);
}

static size_t count(test_httpd *srv, const char *method, const char *path_prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < test_httpd_request_count(srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, path_prefix, strlen(path_prefix)))
            n++;
    }
    return n;
}

static const test_httpd_request *find(test_httpd *srv, const char *method, const char *path_prefix)
{
    for (size_t i = 0; i < test_httpd_request_count(srv); i++) {
        const test_httpd_request *r = test_httpd_request_at(srv, i);
        if (!strcmp(r->method, method) && !strncmp(r->path, path_prefix, strlen(path_prefix)))
            return r;
    }
    return NULL;
}

/* The link's MAC ("" when there is no such link). */
static void link_mac(const char *ifname, char out[18])
{
    out[0] = '\0';
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
    if (s >= 0 && ioctl(s, SIOCGIFHWADDR, &ifr) == 0) {
        const unsigned char *m = (const unsigned char *)ifr.ifr_hwaddr.sa_data;
        snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    }
    if (s >= 0)
        close(s);
}

static bool has_ipv4(const char *ifname, const char *addr, unsigned prefix)
{
    struct ifaddrs *all = NULL, *a;
    bool found = false;
    if (getifaddrs(&all) < 0)
        return false;
    for (a = all; a && !found; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || strcmp(a->ifa_name, ifname) != 0)
            continue;
        char buf[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)a->ifa_addr)->sin_addr, buf, sizeof(buf));
        uint32_t mask = ntohl(((struct sockaddr_in *)a->ifa_netmask)->sin_addr.s_addr);
        found = !strcmp(buf, addr) && (unsigned)__builtin_popcount(mask) == prefix;
    }
    freeifaddrs(all);
    return found;
}

/* Whether /proc/net/route (this netns) routes dst (network byte order hex as the kernel prints it) on ifname. */
static bool has_route(const char *ifname, const char *dst_hex, const char *mask_hex)
{
    FILE *f = fopen("/proc/net/route", "r");
    char line[256], ifn[32], dst[16], gw[16], mask[16];
    bool found = false;
    unsigned flags, refcnt, use, metric;
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "%31s %15s %15s %x %u %u %u %15s", ifn, dst, gw, &flags, &refcnt, &use, &metric, mask) ==
                8 &&
            !strcmp(ifn, ifname) && !strcasecmp(dst, dst_hex) && !strcasecmp(mask, mask_hex))
            found = true;
    }
    if (f)
        fclose(f);
    return found;
}

static int teardown(void **state)
{
    kuryr_error ignored;
    kuryr_netns_link_delete("/proc/self/ns/net", IFNAME, &ignored);
    return neutron_fixture_teardown(state);
}

static void test_creates_and_plugs(void **state)
{
    neutron_fixture *f = *state;
    script_fresh(f->srv, "tap");
    kuryr_node_port_cfg cfg = np_cfg();
    kuryr_node_port out;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0);
    assert_string_equal(out.port_id, PORT_A);
    assert_string_equal(out.address, "10.240.0.5/22");
    assert_true(out.created);
    assert_true(out.plugged);

    const test_httpd_request *list = find(f->srv, "GET", "/v2.0/ports?");
    assert_non_null(list);
    assert_non_null(strstr(list->path, "name=kubelet-node1"));
    assert_non_null(strstr(list->path, "network_id=" NET_ID));
    assert_true(strstr(list->path, "device_owner=compute%3Akuryr") || strstr(list->path, "device_owner=compute:kuryr"));
    const test_httpd_request *post = find(f->srv, "POST", "/v2.0/ports");
    assert_non_null(post);
    json_t *body = json_loads(post->body, 0, NULL);
    json_t *p = json_object_get(body, "port");
    assert_string_equal(json_string_value(json_object_get(p, "name")), "kubelet-node1");
    assert_string_equal(json_string_value(json_object_get(p, "device_id")), "kubelet-node1");
    assert_string_equal(json_string_value(json_object_get(p, "device_owner")), "compute:kuryr");
    assert_string_equal(json_string_value(json_object_get(p, "binding:host_id")), "host1");
    assert_string_equal(json_string_value(json_object_get(p, "description")), "kuryr.host:node1");
    assert_string_equal(json_string_value(json_object_get(p, "network_id")), NET_ID);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(p, "fixed_ips"), 0),
                                                          "subnet_id")),
                        SUBNET_ID);
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "security_groups"), 0)), "sg-pods");
    json_decref(body);
    assert_int_equal(count(f->srv, "PUT", "/v2.0/ports/" PORT_A "/tags/kuryr.host%3Anode1") +
                         count(f->srv, "PUT", "/v2.0/ports/" PORT_A "/tags/kuryr.host:node1"),
                     1);

    char mac[18];
    link_mac(IFNAME, mac);
    assert_string_equal(mac, MAC_A);
    assert_true(has_ipv4(IFNAME, "10.240.0.5", 22));
    assert_true(has_route(IFNAME, "0000F00A", "00FCFFFF"));  /* 10.240.0.0/22, from the address */
    assert_true(has_route(IFNAME, "0000600A", "0000FFFF"));  /* 10.96.0.0/16, the extra route */
    char tap[KURYR_IFNAME_LEN];
    kuryr_ifname(tap, "tap", PORT_A);
    assert_true(if_nametoindex(tap) > 0);
}

static void test_restart_reuses_port_and_devices(void **state)
{
    neutron_fixture *f = *state;
    script_subnet_and_network(f->srv);
    char *a = port_json(PORT_A, MAC_A, "10.240.0.5", "kuryr.host:node1", "tap");
    script_list(f->srv, a);
    free(a);
    kuryr_node_port_cfg cfg = np_cfg();
    kuryr_node_port out;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0);
    assert_false(out.created);
    assert_true(out.plugged); /* the port was there, the devices were not */
    unsigned idx = if_nametoindex(IFNAME);
    assert_true(idx > 0);
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0);
    assert_false(out.created);
    assert_false(out.plugged);
    assert_int_equal(if_nametoindex(IFNAME), idx);
    assert_int_equal(count(f->srv, "POST", "/"), 0);
    assert_int_equal(count(f->srv, "PUT", "/"), 0);
    assert_int_equal(count(f->srv, "DELETE", "/"), 0);
}

static void test_someone_elses_port_left_alone(void **state)
{
    neutron_fixture *f = *state;
    script_subnet_and_network(f->srv);
    char *other = port_json(PORT_B, MAC_B, "10.240.0.6", "kuryr.host:node2", "tap");
    script_list(f->srv, other);
    free(other);
    char *a = port_json(PORT_A, MAC_A, "10.240.0.5", "", "tap");
    script_create(f->srv, a);
    free(a);
    kuryr_node_port_cfg cfg = np_cfg();
    kuryr_node_port out;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0);
    assert_string_equal(out.port_id, PORT_A);
    assert_true(out.created);
    assert_int_equal(count(f->srv, "DELETE", "/"), 0);
}

static void test_duplicates_deleted(void **state)
{
    neutron_fixture *f = *state;
    script_subnet_and_network(f->srv);
    char *a = port_json(PORT_A, MAC_A, "10.240.0.5", "kuryr.host:node1", "tap");
    char *b = port_json(PORT_B, MAC_B, "10.240.0.6", "kuryr.host:node1", "tap");
    char *both = NULL;
    assert_true(asprintf(&both, "%s,%s", a, b) > 0);
    script_list(f->srv, both);
    test_httpd_answer(f->srv, "DELETE", "/v2.0/ports/", 204, "");
    free(a);
    free(b);
    free(both);
    kuryr_node_port_cfg cfg = np_cfg();
    kuryr_node_port out;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0);
    assert_string_equal(out.port_id, PORT_A);
    assert_int_equal(count(f->srv, "DELETE", "/v2.0/ports/" PORT_B), 1);
    assert_int_equal(count(f->srv, "DELETE", "/v2.0/ports/" PORT_A), 0);
    assert_int_equal(count(f->srv, "POST", "/"), 0);
}

static void test_stale_device_replaced(void **state)
{
    neutron_fixture *f = *state;
    script_subnet_and_network(f->srv);
    char *b = port_json(PORT_B, MAC_B, "10.240.0.6", "kuryr.host:node1", "tap");
    test_httpd_add(f->srv, &(test_httpd_script){.method = "GET", .path = "/v2.0/ports?", .status = 200,
                                                 .body = "{\"ports\":[]}", .times = 1});
    script_list(f->srv, b);
    free(b);
    char *a = port_json(PORT_A, MAC_A, "10.240.0.5", "", "tap");
    script_create(f->srv, a);
    free(a);
    kuryr_node_port_cfg cfg = np_cfg();
    kuryr_node_port out;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0); /* port A plugged */
    /* A is deleted behind the daemon's back and B is this node's port now */
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0);
    assert_string_equal(out.port_id, PORT_B);
    assert_true(out.plugged);
    char mac[18], tap[KURYR_IFNAME_LEN];
    link_mac(IFNAME, mac);
    assert_string_equal(mac, MAC_B);
    assert_true(has_ipv4(IFNAME, "10.240.0.6", 22));
    kuryr_ifname(tap, "tap", PORT_A);
    assert_int_equal(if_nametoindex(tap), 0);
}

static void test_failed_plug_deletes_what_it_created(void **state)
{
    neutron_fixture *f = *state;
    script_fresh(f->srv, "binding_failed");
    kuryr_node_port_cfg cfg = np_cfg();
    kuryr_node_port out;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_UNAVAILABLE);
    assert_non_null(strstr(err.message, "binding_failed"));
    assert_int_equal(count(f->srv, "DELETE", "/v2.0/ports/" PORT_A), 1);
    assert_int_equal(if_nametoindex(IFNAME), 0);
}

static void test_remove_unplugs_and_deletes(void **state)
{
    neutron_fixture *f = *state;
    script_subnet_and_network(f->srv);
    char *a = port_json(PORT_A, MAC_A, "10.240.0.5", "kuryr.host:node1", "tap");
    script_found_then_gone(f->srv, a, 2);
    free(a);
    test_httpd_add(f->srv, &(test_httpd_script){.method = "DELETE", .path = "/v2.0/ports/", .status = 404,
                                                 .body = "{\"NeutronError\":{\"type\":\"PortNotFound\","
                                                         "\"message\":\"gone\",\"detail\":\"\"}}",
                                                 .times = 1});
    kuryr_node_port_cfg cfg = np_cfg();
    kuryr_node_port out;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0);
    assert_true(if_nametoindex(IFNAME) > 0);
    /* the port already deleted by someone else (404) is fine; the devices go */
    assert_int_equal(kuryr_node_port_remove(f->kn, &cfg, &err), 0);
    assert_int_equal(count(f->srv, "DELETE", "/v2.0/ports/" PORT_A), 1);
    assert_int_equal(if_nametoindex(IFNAME), 0);
    char tap[KURYR_IFNAME_LEN];
    kuryr_ifname(tap, "tap", PORT_A);
    assert_int_equal(if_nametoindex(tap), 0);
    /* and again with nothing left: success, nothing sent but the lookups */
    assert_int_equal(kuryr_node_port_remove(f->kn, &cfg, &err), 0);
    assert_int_equal(count(f->srv, "DELETE", "/"), 1);
}

static void test_remove_without_port_drops_device(void **state)
{
    neutron_fixture *f = *state;
    script_subnet_and_network(f->srv);
    char *a = port_json(PORT_A, MAC_A, "10.240.0.5", "kuryr.host:node1", "tap");
    script_found_then_gone(f->srv, a, 1);
    free(a);
    kuryr_node_port_cfg cfg = np_cfg();
    kuryr_node_port out;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, &out, &err), 0);
    assert_int_equal(kuryr_node_port_remove(f->kn, &cfg, &err), 0);
    assert_int_equal(if_nametoindex(IFNAME), 0);
    assert_int_equal(count(f->srv, "DELETE", "/"), 0);
}

static void test_bad_config_sends_nothing(void **state)
{
    neutron_fixture *f = *state;
    kuryr_node_port_cfg cfg = np_cfg();
    cfg.subnet_id = "";
    kuryr_error err;
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "pod_subnet"));
    cfg = np_cfg();
    cfg.ifname = "a-name-far-too-long";
    assert_int_equal(kuryr_node_port_ensure(f->kn, &cfg, NULL, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_int_equal(test_httpd_request_count(f->srv), 0);
}

static void test_options(void **state)
{
    (void)state;
    kuryr_config *c = kuryr_config_new();
    kuryr_node_port_cfg cfg = {0};
    bool enabled = false;
    kuryr_error err;
    assert_int_equal(kuryr_node_port_cfg_from_config(c, &enabled, &cfg, &err), 0);
    assert_true(enabled);
    assert_string_equal(cfg.ifname, "kuryr-node");
    assert_null(cfg.routes);
    assert_false(cfg.keep);
    char e[256];
    assert_int_equal(kuryr_config_set(c, "cni_daemon", "node_port_routes", "10.96.0.0/16,10.97.0.0/16", e, sizeof(e)), 0);
    assert_int_equal(kuryr_config_set(c, "cni_daemon", "node_port_keep", "true", e, sizeof(e)), 0);
    assert_int_equal(kuryr_node_port_cfg_from_config(c, &enabled, &cfg, &err), 0);
    assert_string_equal(cfg.routes[1], "10.97.0.0/16");
    assert_true(cfg.keep);
    assert_int_equal(kuryr_config_set(c, "cni_daemon", "node_port_ifname", "sixteen-chars-xx", e, sizeof(e)), 0);
    assert_int_equal(kuryr_node_port_cfg_from_config(c, &enabled, &cfg, &err), -1);
    assert_non_null(strstr(err.message, "node_port_ifname"));
    assert_int_equal(kuryr_config_set(c, "cni_daemon", "node_port", "false", e, sizeof(e)), 0);
    assert_int_equal(kuryr_node_port_cfg_from_config(c, &enabled, &cfg, &err), 0);
    assert_false(enabled);
    kuryr_config_free(c);
}

int main(void)
{
    if (!private_netns()) {
        fprintf(stderr, "cannot make a private network namespace: skipped\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_creates_and_plugs, neutron_fixture_setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_reuses_port_and_devices, neutron_fixture_setup, teardown),
        cmocka_unit_test_setup_teardown(test_someone_elses_port_left_alone, neutron_fixture_setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicates_deleted, neutron_fixture_setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_device_replaced, neutron_fixture_setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_plug_deletes_what_it_created, neutron_fixture_setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_unplugs_and_deletes, neutron_fixture_setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_without_port_drops_device, neutron_fixture_setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_config_sends_nothing, neutron_fixture_setup, teardown),
        cmocka_unit_test(test_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
