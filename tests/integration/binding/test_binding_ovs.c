/* vif_type ovs against a real Open vSwitch: add an interface with the external_ids the agents read, find it
 * by iface-id + owner=kuryr, re-add a re-created veth, delete it (also when it has another name than expected);
 * on a netdev bridge the host end is silenced.
 * Runs in the host namespace (ovs-vswitchd lives there) on a bridge and veth of its own; skips when OVS is not
 * running. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "binding_internal.h"
#include "binding_test.h"
#include "ovs_test.h"

#define PORT_ID "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"

static char bridge[16], veth[16], peer[16];
static kuryr_binding_cfg cfg = { .ovsdb_sock = KB_OVSDB_SOCK };

static int setup_typed(const char *datapath_type)
{
    char type[64];
    snprintf(type, sizeof(type), "datapath_type=%s", datapath_type);
    const char *add[] = { "--may-exist", "add-br", bridge, "--", "set", "Bridge", bridge, type, NULL };
    if (bt_vsctl(add, NULL) < 0)
        return -1;
    struct nl_sock *sk = bt_sock();
    int rc = bt_veth(sk, veth, peer);
    nl_socket_free(sk);
    return rc;
}

static int setup(void **state)
{
    (void)state;
    return setup_typed("system");
}

static int setup_netdev(void **state)
{
    (void)state;
    return setup_typed("netdev");
}

/* A sysctl of the veth's host end; fails the test when it cannot be read. */
static long host_sysctl(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/%s", veth, name);
    long v = bt_read_long(path);
    assert_true(v >= 0);
    return v;
}

static int teardown(void **state)
{
    (void)state;
    const char *del[] = { "--if-exists", "del-br", bridge, NULL };
    bt_vsctl(del, NULL);
    struct nl_sock *sk = bt_sock();
    bt_del(sk, veth);
    nl_socket_free(sk);
    return 0;
}

/* Plugs the veth with ids and checks that it is then found by its Neutron port id. */
static void plug_and_find(const kb_ovs_iface *ids)
{
    kuryr_error err;
    if (kb_ovs_plug(&cfg, veth, ids, &err) != 0)
        fail_msg("plug: %s", err.message);
    char *names = NULL;
    assert_int_equal(kb_ovs_find(&cfg, ids->port_id, &names, &err), 0);
    assert_non_null(strstr(names, veth));
    free(names);
}

static void test_add_find_delete(void **state)
{
    (void)state;
    kb_ovs_iface ids = { .port_id = PORT_ID, .mac = "fa:16:3e:11:22:33", .owner_id = "ep-ovs" };
    plug_and_find(&ids);
    kuryr_error err;
    char *names = NULL;
    char *ext = NULL;
    const char *get[] = { "get", "Interface", veth, "external_ids", NULL };
    assert_int_equal(bt_vsctl(get, &ext), 0);
    assert_non_null(strstr(ext, "iface-id=\"" PORT_ID "\""));
    assert_non_null(strstr(ext, "attached-mac=\"fa:16:3e:11:22:33\""));
    assert_non_null(strstr(ext, "vm-uuid=ep-ovs"));
    assert_non_null(strstr(ext, "iface-status=active"));
    assert_non_null(strstr(ext, "owner=kuryr"));
    free(ext);
    /* a kernel datapath owns the veth's frames: the host stack is left alone */
    assert_int_not_equal(host_sysctl("arp_ignore"), 8);
    /* The veth is re-created under the same name: plugging again must replace the OVS port. */
    struct nl_sock *sk = bt_sock();
    bt_del(sk, veth);
    assert_int_equal(bt_veth(sk, veth, peer), 0);
    nl_socket_free(sk);
    assert_int_equal(kb_ovs_plug(&cfg, veth, &ids, &err), 0);
    assert_int_equal(kb_ovs_unplug(&cfg, veth, PORT_ID, &err), 0);
    assert_int_equal(kb_ovs_find(&cfg, PORT_ID, &names, &err), 0);
    assert_null(strstr(names, veth));
    free(names);
    assert_int_equal(kb_ovs_unplug(&cfg, veth, PORT_ID, &err), 0); /* already gone */
}

/* A port plugged under a name other than the one unplug is given (an earlier release's naming) is still
 * found by its Neutron port id and removed. */
static void test_unplug_finds_a_port_of_another_name(void **state)
{
    (void)state;
    kb_ovs_iface ids = { .port_id = PORT_ID, .mac = "fa:16:3e:11:22:35", .owner_id = "ep-ovs-renamed" };
    plug_and_find(&ids);
    kuryr_error err;
    if (kb_ovs_unplug(&cfg, "tapnotplugged", PORT_ID, &err) != 0)
        fail_msg("unplug: %s", err.message);
    char *names = NULL;
    assert_int_equal(kb_ovs_find(&cfg, PORT_ID, &names, &err), 0);
    assert_null(strstr(names, veth));
    free(names);
    const char *ports[] = { "list-ports", bridge, NULL };
    char *listed = NULL;
    assert_int_equal(bt_vsctl(ports, &listed), 0);
    assert_null(strstr(listed, veth));
    free(listed);
}

/* On a userspace (netdev) bridge the kernel still receives the veth's frames: the plug silences the host end,
 * having learnt the bridge's type from the same ovs-vsctl run that added the port. */
static void test_netdev_bridge_quiets_host_end(void **state)
{
    (void)state;
    kb_ovs_iface ids = { .port_id = PORT_ID, .mac = "fa:16:3e:11:22:34", .owner_id = "ep-ovs-netdev" };
    plug_and_find(&ids);
    assert_int_equal(host_sysctl("arp_ignore"), 8);
    assert_int_equal(host_sysctl("forwarding"), 0);
    kuryr_error err;
    assert_int_equal(kb_ovs_unplug(&cfg, veth, PORT_ID, &err), 0);
}

int main(void)
{
    bt_require_ovs("the OVS test");
    int id = (int)(getpid() % 100000);
    snprintf(bridge, sizeof(bridge), "ktbr%d", id);
    snprintf(veth, sizeof(veth), "ktov%da", id);
    snprintf(peer, sizeof(peer), "ktov%db", id);
    cfg.ovs_bridge = bridge;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_add_find_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_netdev_bridge_quiets_host_end, setup_netdev, teardown),
        cmocka_unit_test_setup_teardown(test_unplug_finds_a_port_of_another_name, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
