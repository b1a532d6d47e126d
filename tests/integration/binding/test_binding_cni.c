/* CNI mode for real: a veth with vif_type bridge, moved into a namespace and configured there. Everything is
 * read back over netlink: name, MAC, MTU, v4 and v6 addresses, a host route, both default routes, and the
 * host end in brq<net>. Then unbind twice, and unbind of a namespace that is gone. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <pthread.h>
#include <sys/stat.h>

#include "binding_test.h"

#define PORT_ID "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
#define NET_ID "cafe0001-2345-4678-9abc-def012345678"
#define MAC "fa:16:3e:12:34:56"

static kuryr_port port = { .id = PORT_ID, .mac_address = MAC, .network_id = NET_ID, .project_id = "proj",
                           .binding_vif_type = "bridge", .binding_vnic_type = "normal" };
static kuryr_binding_cfg cfg = { .default_driver = KURYR_DRIVER_VETH, .enabled_mask = 1u << KURYR_DRIVER_VETH,
                                 .link_iface = "", .bindir = "/nonexistent" };
static const char *addrs[] = { "10.0.0.5/24", "fd00::5/64" };
static kuryr_host_route routes[] = { { .destination = "10.1.0.0/16", .nexthop = "10.0.0.254" } };

static bool has_addr(struct nl_sock *sk, int ifindex, const char *want)
{
    struct nl_cache *c = NULL;
    assert_int_equal(rtnl_addr_alloc_cache(sk, &c), 0);
    bool found = false;
    for (struct nl_object *o = nl_cache_get_first(c); o && !found; o = nl_cache_get_next(o)) {
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        char buf[64];
        if (rtnl_addr_get_ifindex(a) == ifindex && !strcmp(nl_addr2str(rtnl_addr_get_local(a), buf, sizeof(buf)), want))
            found = true;
    }
    nl_cache_free(c);
    return found;
}

static bool has_route(struct nl_sock *sk, int family, const char *dst, const char *via, int ifindex)
{
    struct nl_cache *c = NULL;
    assert_int_equal(rtnl_route_alloc_cache(sk, family, 0, &c), 0);
    bool found = false;
    for (struct nl_object *o = nl_cache_get_first(c); o && !found; o = nl_cache_get_next(o)) {
        struct rtnl_route *r = (struct rtnl_route *)o;
        char d[64], g[64];
        if (rtnl_route_get_table(r) != RT_TABLE_MAIN || rtnl_route_get_nnexthops(r) != 1)
            continue;
        struct rtnl_nexthop *nh = rtnl_route_nexthop_n(r, 0);
        struct nl_addr *gw = rtnl_route_nh_get_gateway(nh);
        nl_addr2str(rtnl_route_get_dst(r), d, sizeof(d));
        if (!gw)
            continue;
        nl_addr2str(gw, g, sizeof(g));
        if (getenv("BT_DEBUG"))
            fprintf(stderr, "route %s via %s dev %d\n", d, g, rtnl_route_nh_get_ifindex(nh));
        bool dst_ok = !strcmp(dst, "default") ? nl_addr_get_prefixlen(rtnl_route_get_dst(r)) == 0 : !strcmp(d, dst);
        found = dst_ok && !strcmp(g, via) && rtnl_route_nh_get_ifindex(nh) == ifindex;
    }
    nl_cache_free(c);
    return found;
}

static ino_t my_netns(void)
{
    struct stat st;
    assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
    return st.st_ino;
}

static void cleanup(void)
{
    struct nl_sock *sk = bt_sock();
    char n[KURYR_IFNAME_LEN];
    kuryr_ifname(n, "tap", PORT_ID);
    bt_del(sk, n);
    kuryr_ifname(n, "brq", NET_ID);
    bt_del(sk, n);
    bt_del(sk, "kt-eth0");
    nl_socket_free(sk);
}

static int teardown(void **state)
{
    (void)state;
    cleanup();
    return 0;
}

static void test_bind_configures_namespace(void **state)
{
    (void)state;
    char path[64];
    int nsfd = bt_new_netns(path);
    assert_true(nsfd >= 0);
    kuryr_bind_request req = { .port = &port, .mtu = 1450, .owner_id = "endpoint-1" };
    kuryr_netns_config ns = { .netns_path = path, .ifname = "eth0", .addresses = addrs, .n_addresses = 2,
                              .gateway_v4 = "10.0.0.1", .gateway_v6 = "fd00::1", .routes = routes, .n_routes = 1 };
    kuryr_bind_result res;
    kuryr_error err;
    ino_t before = my_netns();
    int rc = kuryr_bind_netns(&cfg, &req, &ns, &res, &err);
    if (rc != 0)
        fail_msg("bind: %s", err.message);
    assert_true(my_netns() == before);
    assert_string_equal(res.host_ifname, "tap0a1b2c3d-4e");
    assert_string_equal(res.container_ifname, "t_c0a1b2c3d-4e");

    struct nl_sock *host = bt_sock(), *in = bt_sock_in(nsfd);
    /* Host side: tap up in brq<net[:11]>, with the network's MTU; the container end left this namespace. */
    struct rtnl_link *tap = bt_link(host, res.host_ifname), *br = bt_link(host, "brqcafe0001-23");
    assert_non_null(tap);
    assert_non_null(br);
    assert_string_equal(rtnl_link_get_type(br), "bridge");
    assert_int_equal(rtnl_link_get_master(tap), rtnl_link_get_ifindex(br));
    assert_true(rtnl_link_get_flags(tap) & IFF_UP);
    assert_true(rtnl_link_get_flags(br) & IFF_UP);
    assert_int_equal(rtnl_link_get_mtu(tap), 1450);
    assert_false(bt_exists(host, res.container_ifname));
    rtnl_link_put(tap);
    rtnl_link_put(br);

    /* Container side. */
    struct rtnl_link *eth = bt_link(in, "eth0");
    assert_non_null(eth);
    char mac[32];
    bt_mac(eth, mac);
    assert_string_equal(mac, MAC);
    assert_int_equal(rtnl_link_get_mtu(eth), 1450);
    assert_true(rtnl_link_get_flags(eth) & IFF_UP);
    int idx = rtnl_link_get_ifindex(eth);
    rtnl_link_put(eth);
    assert_true(has_addr(in, idx, "10.0.0.5/24"));
    assert_true(has_addr(in, idx, "fd00::5/64"));
    assert_true(has_route(in, AF_INET, "10.1.0.0/16", "10.0.0.254", idx));
    assert_true(has_route(in, AF_INET, "default", "10.0.0.1", idx));
    assert_true(has_route(in, AF_INET6, "default", "fd00::1", idx));

    /* Unbind, twice: the second finds nothing and still succeeds. The bridge stays (the agent's). */
    assert_int_equal(kuryr_unbind_netns(&cfg, &req, &ns, &err), 0);
    assert_false(bt_exists(in, "eth0"));
    assert_false(bt_exists(host, res.host_ifname));
    assert_int_equal(kuryr_unbind_netns(&cfg, &req, &ns, &err), 0);
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    assert_true(bt_exists(host, "brqcafe0001-23"));

    /* The container's namespace is gone: unbind still succeeds. */
    close(nsfd);
    assert_int_equal(kuryr_unbind_netns(&cfg, &req, &ns, &err), 0);
    nl_socket_free(in);
    nl_socket_free(host);
}

static void test_rename_conflict_leaves_nothing(void **state)
{
    (void)state;
    char path[64];
    int nsfd = bt_new_netns(path);
    assert_true(nsfd >= 0);
    struct nl_sock *host = bt_sock(), *in = bt_sock_in(nsfd);
    /* The container already has an eth0 that is not ours. */
    assert_int_equal(bt_veth(in, "eth0", "kt-other"), 0);
    kuryr_bind_request req = { .port = &port, .mtu = 0, .owner_id = "endpoint-2" };
    kuryr_netns_config ns = { .netns_path = path, .ifname = "eth0", .addresses = addrs, .n_addresses = 1 };
    kuryr_bind_result res;
    kuryr_error err;
    ino_t before = my_netns();
    assert_int_equal(kuryr_bind_netns(&cfg, &req, &ns, &res, &err), -1);
    assert_true(my_netns() == before); /* restored on the failure path too */
    assert_false(bt_exists(host, "tap0a1b2c3d-4e"));
    assert_false(bt_exists(host, "t_c0a1b2c3d-4e"));
    assert_false(bt_exists(in, "t_c0a1b2c3d-4e"));
    assert_true(bt_exists(in, "eth0")); /* the container's own device is untouched */
    nl_socket_free(in);
    nl_socket_free(host);
    close(nsfd);
}

static void test_docker_mode_leaves_pair_for_libnetwork(void **state)
{
    (void)state;
    kuryr_bind_request req = { .port = &port, .mtu = 0, .owner_id = "endpoint-3" };
    kuryr_bind_result res;
    kuryr_error err;
    assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), 0);
    struct nl_sock *host = bt_sock();
    struct rtnl_link *c = bt_link(host, res.container_ifname);
    assert_non_null(c);
    char mac[32];
    bt_mac(c, mac);
    assert_string_equal(mac, MAC);
    assert_int_equal(rtnl_link_get_mtu(c), 1500); /* fallback when the network has no MTU */
    rtnl_link_put(c);
    /* Binding again (a retried request) replaces the pair instead of failing. */
    assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), 0);
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    assert_false(bt_exists(host, res.host_ifname));
    assert_false(bt_exists(host, res.container_ifname));
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    nl_socket_free(host);
}

/* Binds of different ports from several threads at once, each into its own namespace. */
#define WORKERS 4
typedef struct {
    int n;
    int rc;
    char msg[512];
} worker;

static void *bind_unbind(void *arg)
{
    worker *w = arg;
    char id[64], mac[32], addr[32], path[64];
    snprintf(id, sizeof(id), "c0c0c0%02d-0000-4000-8000-000000000000", w->n);
    snprintf(mac, sizeof(mac), "fa:16:3e:00:01:%02x", w->n);
    snprintf(addr, sizeof(addr), "10.0.%d.5/24", w->n + 10);
    int nsfd = bt_new_netns(path);
    w->rc = -1;
    if (nsfd < 0)
        return NULL;
    ino_t before = my_netns();
    kuryr_port p = { .id = id, .mac_address = mac, .network_id = NET_ID, .binding_vif_type = "tap" };
    const char *a[] = { addr };
    kuryr_bind_request req = { .port = &p, .mtu = 1400, .owner_id = id };
    kuryr_netns_config ns = { .netns_path = path, .ifname = "eth0", .addresses = a, .n_addresses = 1 };
    kuryr_bind_result res;
    kuryr_error err;
    for (int round = 0; round < 5; round++) {
        if (kuryr_bind_netns(&cfg, &req, &ns, &res, &err) != 0 || kuryr_unbind_netns(&cfg, &req, &ns, &err) != 0) {
            snprintf(w->msg, sizeof(w->msg), "%s", err.message);
            close(nsfd);
            return NULL;
        }
    }
    w->rc = my_netns() == before ? 0 : -2;
    close(nsfd);
    return NULL;
}

static void test_concurrent_binds_do_not_interfere(void **state)
{
    (void)state;
    pthread_t th[WORKERS];
    worker w[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        w[i] = (worker){ .n = i };
        assert_int_equal(pthread_create(&th[i], NULL, bind_unbind, &w[i]), 0);
    }
    for (int i = 0; i < WORKERS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < WORKERS; i++)
        if (w[i].rc != 0)
            fail_msg("worker %d: rc %d %s", i, w[i].rc, w[i].msg);
    struct nl_sock *host = bt_sock();
    struct nl_cache *c = NULL;
    assert_int_equal(rtnl_link_alloc_cache(host, AF_UNSPEC, &c), 0);
    assert_int_equal(nl_cache_nitems(c), 1); /* only lo is left */
    nl_cache_free(c);
    nl_socket_free(host);
}

int main(void)
{
    bt_enter_private_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_bind_configures_namespace, teardown),
        cmocka_unit_test_teardown(test_rename_conflict_leaves_nothing, teardown),
        cmocka_unit_test_teardown(test_docker_mode_leaves_pair_for_libnetwork, teardown),
        cmocka_unit_test_teardown(test_concurrent_binds_do_not_interfere, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
