/* The node port (lib/node_port.c) against the stack's real Neutron and the real kernel, on either back end:
 * a "pod" (a port of a test network bound into a network namespace of its own with libkuryr's binding, as
 * kuryr-daemon plugs pods) and the node port made by kuryr_node_port_ensure in the host's own namespace. Both
 * ports turn ACTIVE, the host pings the pod's address through the node port (what kubelet's probes need), a
 * second ensure changes nothing, and remove leaves no port, device or route behind.
 *
 * The ping is busybox's (busybox-static, in the stack's packages).
 * Network hygiene: the test network is 10.236.0.0/24 on this host only; the security group admits ICMP from
 * that subnet only. Everything is removed in teardown, also after a failed assertion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "itest.h"
#include "kuryr/binding.h"
#include "kuryr/node_port.h"
#include "kuryr/owner.h"

#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CIDR "10.236.0.0/24"

static itest_env env;
static kuryr_binding_cfg bcfg;
static char netns[32], node_if[KURYR_IFNAME_LEN], node[64], host[KURYR_OWNER_LEN], subnet_id[64];
static kuryr_node_port_cfg npcfg;
static const char *sgs[2];

static kuryr_port *made_pod;

static int teardown(void **state)
{
    (void)state;
    kuryr_error err;
    if (npcfg.subnet_id && kuryr_node_port_remove(env.kn, &npcfg, &err) < 0)
        fprintf(stderr, "teardown: node port: %s\n", err.message);
    npcfg.subnet_id = NULL;
    if (made_pod) {
        kuryr_netns_config ns = {.netns_path = NULL, .ifname = "eth0"};
        char path[64];
        snprintf(path, sizeof(path), "/var/run/netns/%s", netns);
        ns.netns_path = path;
        kuryr_bind_request req = {.port = made_pod};
        if (kuryr_unbind_netns(&bcfg, &req, &ns, &err) < 0)
            fprintf(stderr, "teardown: pod: %s\n", err.message);
        kuryr_port_free(made_pod);
        made_pod = NULL;
    }
    itest_sh("ip netns del %s 2>/dev/null", netns);
    itest_cleanup(&env);
    return 0;
}

static char *make(const char *what, json_t *attrs, const char *collection)
{
    kuryr_error err = {0};
    char *id = NULL;
    int rc = -1;
    if (!strcmp(collection, "networks")) {
        kuryr_network *o = NULL;
        if ((rc = kuryr_neutron_network_create(env.kn, attrs, &o, &err)) == 0)
            id = strdup(o->id);
        kuryr_network_free(o);
    } else if (!strcmp(collection, "subnets")) {
        kuryr_subnet *o = NULL;
        if ((rc = kuryr_neutron_subnet_create(env.kn, attrs, &o, &err)) == 0)
            id = strdup(o->id);
        kuryr_subnet_free(o);
    } else if (!strcmp(collection, "security-groups")) {
        kuryr_security_group *o = NULL;
        if ((rc = kuryr_neutron_security_group_create(env.kn, attrs, &o, &err)) == 0)
            id = strdup(o->id);
        kuryr_security_group_free(o);
    } else {
        kuryr_sg_rule *o = NULL;
        if ((rc = kuryr_neutron_sg_rule_create(env.kn, attrs, &o, &err)) == 0)
            id = strdup(o->id);
        kuryr_sg_rule_free(o);
    }
    json_decref(attrs);
    if (rc != 0)
        fail_msg("%s create: %s", what, err.message);
    itest_track(collection, id);
    return id;
}

/* The pod: a port bound to this host, plugged into netns as eth0 with its address. */
static kuryr_port *plug_pod(const char *net_id, const char *sg, char ip_out[64])
{
    kuryr_error err = {0};
    json_t *attrs = json_pack("{s:s,s:s,s:s,s:s,s:s,s:[s]}", "network_id", net_id, "name", itest_name("itest-pod"),
                              "binding:host_id", host, "device_owner", "compute:kuryr", "device_id",
                              itest_name("itest-pod-uid"), "security_groups", sg);
    kuryr_port *p = NULL;
    int rc = kuryr_neutron_port_create(env.kn, attrs, &p, &err);
    json_decref(attrs);
    if (rc != 0)
        fail_msg("pod port create: %s", err.message);
    itest_track("ports", p->id);
    assert_int_equal(itest_sh("ip netns add %s", netns), 0);
    char path[64], addr[80];
    snprintf(path, sizeof(path), "/var/run/netns/%s", netns);
    snprintf(ip_out, 64, "%s", p->fixed_ips[0].ip_address);
    snprintf(addr, sizeof(addr), "%s/24", ip_out);
    const char *addrs[] = {addr};
    kuryr_netns_config ns = {.netns_path = path, .ifname = "eth0", .addresses = addrs, .n_addresses = 1};
    kuryr_bind_request req = {.port = p, .owner_id = p->device_id};
    kuryr_bind_result res;
    if (kuryr_bind_netns(&bcfg, &req, &ns, &res, &err) != 0)
        fail_msg("pod bind: %s", err.message);
    return p;
}

static void test_host_reaches_pod_through_node_port(void **state)
{
    (void)state;
    kuryr_error err = {0};
    char *net = make("network", json_pack("{s:s}", "name", itest_name("itest-pods")), "networks");
    char *sub = make("subnet", json_pack("{s:s,s:i,s:s,s:s}", "network_id", net, "ip_version", 4, "cidr", CIDR,
                                         "name", itest_name("itest-pod-subnet")),
                     "subnets");
    char *sg = make("security group", json_pack("{s:s}", "name", itest_name("itest-pod-sg")), "security-groups");
    free(make("rule", json_pack("{s:s,s:s,s:s,s:s,s:s}", "security_group_id", sg, "direction", "ingress",
                                "ethertype", "IPv4", "protocol", "icmp", "remote_ip_prefix", CIDR),
              "security-group-rules"));
    char pod_ip[64];
    made_pod = plug_pod(net, sg, pod_ip);

    sgs[0] = sg;
    snprintf(subnet_id, sizeof(subnet_id), "%s", sub);
    npcfg = (kuryr_node_port_cfg){.node = node, .host = host, .subnet_id = subnet_id, .security_groups = sgs,
                                  .ifname = node_if, .binding = &bcfg};
    kuryr_node_port np;
    if (kuryr_node_port_ensure(env.kn, &npcfg, &np, &err) != 0)
        fail_msg("node port: %s", err.message);
    assert_true(np.created);
    assert_true(np.plugged);
    assert_true(if_nametoindex(node_if) > 0);
    kuryr_port *got = NULL;
    assert_int_equal(kuryr_neutron_port_get(env.kn, np.port_id, &got, &err), 0);
    char name[128];
    snprintf(name, sizeof(name), "kubelet-%s", node);
    assert_string_equal(got->name, name);
    assert_string_equal(got->device_owner, "compute:kuryr");
    assert_string_equal(got->binding_host_id, host);
    assert_true(kuryr_owner_tagged(&got->tags, KURYR_OWNER_HOST, node));
    kuryr_port_free(got);

    assert_int_equal(itest_wait_port_status(&env, made_pod->id, "ACTIVE"), 0);
    assert_int_equal(itest_wait_port_status(&env, np.port_id, "ACTIVE"), 0);
    /* The route to the pod is the node port's; the ping leaves through it from the host's own namespace. */
    assert_int_equal(itest_sh("ip -4 route get %s | grep -q 'dev %s '", pod_ip, node_if), 0);
    assert_int_equal(itest_sh("busybox ping -q -c 3 -W 5 %s >/dev/null", pod_ip), 0);

    /* A restart: the same port and device, nothing sent but lookups. */
    kuryr_node_port again;
    assert_int_equal(kuryr_node_port_ensure(env.kn, &npcfg, &again, &err), 0);
    assert_string_equal(again.port_id, np.port_id);
    assert_false(again.created);
    assert_false(again.plugged);

    /* The stop: no port, no device, no route. */
    assert_int_equal(kuryr_node_port_remove(env.kn, &npcfg, &err), 0);
    assert_int_equal(if_nametoindex(node_if), 0);
    char tap[KURYR_IFNAME_LEN];
    kuryr_ifname(tap, "tap", np.port_id);
    assert_int_equal(if_nametoindex(tap), 0);
    assert_int_equal(kuryr_neutron_port_get(env.kn, np.port_id, &got, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    assert_int_equal(itest_sh("ip -4 route show %s | grep -q .", CIDR), 1);
    free(net);
    free(sub);
    free(sg);
}

int main(void)
{
    if (geteuid() != 0) {
        fprintf(stderr, "needs root: skipped\n");
        return ITEST_SKIP;
    }
    int rc = itest_open(&env);
    if (rc != 0) {
        itest_close(&env);
        return rc == ITEST_SKIP ? ITEST_SKIP : 1;
    }
    kuryr_error err;
    if (kuryr_binding_cfg_from_config(env.cfg, &bcfg, &err) != 0) {
        fprintf(stderr, "binding config: %s\n", err.message);
        return 1;
    }
    kuryr_owner_host(env.cfg, host);
    snprintf(netns, sizeof(netns), "itnp-%d", (int)getpid());
    snprintf(node_if, sizeof(node_if), "itnp%d", (int)getpid() % 100000);
    snprintf(node, sizeof(node), "itest-node-%d", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_host_reaches_pod_through_node_port, teardown),
    };
    int failed = cmocka_run_group_tests_name("node_port_integration", tests, NULL, NULL);
    itest_cleanup(&env);
    itest_close(&env);
    return failed;
}
