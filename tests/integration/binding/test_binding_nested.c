/* Nested drivers' devices for real, on a veth standing in for the VM's interface, inside the test's own
 * namespace: macvlan (bridge mode), ipvlan (L2), vlan. Run as `test_binding_nested <kind>`; ipvlan and vlan
 * skip when the kernel lacks the module. Also: finding link_iface by the VM port's MAC, moving the device into
 * a container namespace and configuring it there, and refusing a nested bind without Neutron. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <linux/if_link.h>
#include <netlink/route/link/ipvlan.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/vlan.h>

#include "binding_internal.h"
#include "binding_test.h"

#define VM_MAC "fa:16:3e:00:00:01"
#define PORT_MAC "fa:16:3e:00:00:42"
#define DEV "t_cnested0001"

static const char *kind;
static struct nl_sock *sk;

static int setup(void **state)
{
    (void)state;
    sk = bt_sock();
    if (bt_veth(sk, "kt-vm0", "kt-vm0p") < 0)
        return -1;
    kb_link_change ch = KB_LINK_CHANGE_INIT;
    ch.mac = VM_MAC;
    ch.mtu = 1450;
    ch.up = true;
    kuryr_error err;
    return kb_link_modify(sk, "kt-vm0", &ch, &err);
}

static int teardown(void **state)
{
    (void)state;
    bt_del(sk, DEV);
    bt_del(sk, "kt-vm0");
    nl_socket_free(sk);
    return 0;
}

static int create(const char *name, kuryr_error *err)
{
    if (!strcmp(kind, "macvlan"))
        return kb_macvlan_create(sk, "kt-vm0", name, PORT_MAC, 1400, err);
    if (!strcmp(kind, "ipvlan"))
        return kb_ipvlan_create(sk, "kt-vm0", name, 1400, err);
    return kb_vlan_create(sk, "kt-vm0", name, 123, PORT_MAC, 1400, err);
}

static void test_device_on_parent(void **state)
{
    (void)state;
    kuryr_error err;
    if (create(DEV, &err) != 0)
        fail_msg("%s: %s", kind, err.message);
    struct rtnl_link *l = bt_link(sk, DEV), *parent = bt_link(sk, "kt-vm0");
    assert_non_null(l);
    assert_string_equal(rtnl_link_get_type(l), kind);
    assert_int_equal(rtnl_link_get_link(l), rtnl_link_get_ifindex(parent));
    assert_int_equal(rtnl_link_get_mtu(l), 1400);
    char mac[32];
    bt_mac(l, mac);
    if (!strcmp(kind, "macvlan")) {
        assert_string_equal(mac, PORT_MAC);
        assert_int_equal(rtnl_link_macvlan_get_mode(l), MACVLAN_MODE_BRIDGE);
    } else if (!strcmp(kind, "ipvlan")) {
        assert_string_equal(mac, VM_MAC); /* ipvlan shares the parent's MAC */
        uint16_t mode = 0;
        assert_int_equal(rtnl_link_ipvlan_get_mode(l, &mode), 0);
        assert_int_equal(mode, IPVLAN_MODE_L2);
    } else {
        assert_string_equal(mac, PORT_MAC);
        assert_int_equal(rtnl_link_vlan_get_id(l), 123);
    }
    rtnl_link_put(parent);
    rtnl_link_put(l);
    /* Creating again replaces a leftover of the same name. */
    assert_int_equal(create(DEV, &err), 0);
    assert_int_equal(kb_link_delete(sk, DEV, &err), 0);
    assert_false(bt_exists(sk, DEV));
    assert_int_equal(kb_link_delete(sk, DEV, &err), 0);
}

static void test_link_iface_by_vm_mac(void **state)
{
    (void)state;
    kuryr_error err;
    /* A device of ours carrying the VM's MAC (ipvlan does) must not be mistaken for the VM's interface. */
    assert_int_equal(create(DEV, &err), 0);
    char name[KURYR_IFNAME_LEN];
    assert_int_equal(kb_link_find_by_mac(sk, "FA:16:3E:00:00:01", name, &err), 0);
    assert_string_equal(name, "kt-vm0");
    assert_int_equal(kb_link_find_by_mac(sk, "fa:16:3e:99:99:99", name, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_NOT_FOUND);
    kuryr_binding_cfg cfg = { .link_iface = "kt-vm0" };
    kuryr_bind_request req = { 0 };
    assert_int_equal(kb_nested_link_iface(&cfg, &req, sk, name, &err), 0);
    assert_string_equal(name, "kt-vm0");
    assert_int_equal(kb_link_delete(sk, DEV, &err), 0);
}

static void test_moved_into_container_and_configured(void **state)
{
    (void)state;
    char path[64];
    int nsfd = bt_new_netns(path);
    assert_true(nsfd >= 0);
    kuryr_error err;
    assert_int_equal(create(DEV, &err), 0);
    kb_link_change move = KB_LINK_CHANGE_INIT;
    move.ns_fd = nsfd;
    assert_int_equal(kb_link_modify(sk, DEV, &move, &err), 0);
    struct nl_sock *in = bt_sock_in(nsfd);
    const char *addrs[] = { "10.0.0.7/24" };
    kuryr_netns_config ns = { .netns_path = path, .ifname = "eth0", .addresses = addrs, .n_addresses = 1,
                              .gateway_v4 = "10.0.0.1" };
    if (kb_netns_configure(in, DEV, 1400, &ns, &err) != 0)
        fail_msg("configure: %s", err.message);
    struct rtnl_link *l = bt_link(in, "eth0");
    assert_non_null(l);
    assert_string_equal(rtnl_link_get_type(l), kind);
    assert_true(rtnl_link_get_flags(l) & IFF_UP);
    rtnl_link_put(l);
    assert_false(bt_exists(sk, DEV));
    nl_socket_free(in);
    close(nsfd); /* the namespace goes, and the device with it */
}

static void test_nested_bind_needs_neutron(void **state)
{
    (void)state;
    kuryr_driver d;
    assert_int_equal(kb_driver_parse(kind, &d), 0);
    kuryr_binding_cfg cfg = { .default_driver = d, .enabled_mask = 1u << d, .link_iface = "kt-vm0" };
    kuryr_port p = { .id = "nested0001-port", .mac_address = PORT_MAC, .binding_vif_type = "ovs" };
    kuryr_bind_request req = { .port = &p };
    kuryr_bind_result res;
    kuryr_error err;
    assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_false(bt_exists(sk, res.container_ifname));
}

/* Kernels without the module answer "unknown device type" (EOPNOTSUPP) or ENODEV-like errors. */
static void skip_unless_supported(void)
{
    if (!strcmp(kind, "macvlan"))
        return;
    struct nl_sock *s = bt_sock();
    bt_veth(s, "kt-probe", "kt-probep");
    int pidx = 0;
    struct rtnl_link *p = bt_link(s, "kt-probe");
    if (p) {
        pidx = rtnl_link_get_ifindex(p);
        rtnl_link_put(p);
    }
    struct rtnl_link *l = !strcmp(kind, "ipvlan") ? rtnl_link_ipvlan_alloc() : rtnl_link_vlan_alloc();
    rtnl_link_set_name(l, "kt-probe.1");
    rtnl_link_set_link(l, pidx);
    if (!strcmp(kind, "vlan"))
        rtnl_link_vlan_set_id(l, 1);
    int rc = rtnl_link_add(s, l, NLM_F_CREATE | NLM_F_EXCL);
    rtnl_link_put(l);
    bt_del(s, "kt-probe.1");
    bt_del(s, "kt-probe");
    nl_socket_free(s);
    if (rc == -NLE_OPNOTSUPP || rc == -NLE_NODEV || rc == -NLE_OBJ_NOTFOUND || rc == -NLE_AF_NOSUPPORT) {
        char why[100];
        snprintf(why, sizeof(why), "module %s not available in this kernel", !strcmp(kind, "vlan") ? "8021q" : kind);
        bt_skip(why);
    }
}

int main(int argc, char **argv)
{
    kind = argc > 1 ? argv[1] : "macvlan";
    if (strcmp(kind, "macvlan") && strcmp(kind, "ipvlan") && strcmp(kind, "vlan")) {
        fprintf(stderr, "usage: %s macvlan|ipvlan|vlan\n", argv[0]);
        return 2;
    }
    bt_enter_private_netns();
    skip_unless_supported();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_device_on_parent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_link_iface_by_vm_mac, setup, teardown),
        cmocka_unit_test_setup_teardown(test_moved_into_container_and_configured, setup, teardown),
        cmocka_unit_test_setup_teardown(test_nested_bind_needs_neutron, setup, teardown),
    };
    return cmocka_run_group_tests_name(kind, tests, NULL, NULL);
}
