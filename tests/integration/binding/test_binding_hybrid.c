/* vif_type ovs with ovs_hybrid_plug against a real Open vSwitch, through the public kuryr_bind()/kuryr_unbind():
 * tap -> qbr (Linux bridge) <- qvb =veth= qvo -> OVS bridge. Read back over netlink (types, masters, peers,
 * MTU) and with ovs-vsctl (bridge membership, external_ids). Also: unbind removes everything and may run
 * twice, a bind over a crashed bind's leftovers replaces them, and a bind failing half way (the OVS bridge
 * missing) leaves no link and no OVS row behind.
 *
 * Runs in the host namespace, where ovs-vswitchd lives, on an OVS bridge of its own (cfg.ovs_bridge), so the
 * stack's br-int is never touched; the default bridge goes through the same code. Skips when OVS is not
 * running. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "binding_internal.h"
#include "binding_test.h"
#include "ovs_test.h"

#define MTU 1400
#define VM_UUID "ep-hybrid-0001"
#define PORT_MAC "fa:16:3e:44:55:66"

static char bridge[16], missing_bridge[16];
static char port_id[64];
static kuryr_binding_cfg cfg = { .default_driver = KURYR_DRIVER_VETH,
                                 .enabled_mask = 1u << KURYR_DRIVER_VETH,
                                 .ovsdb_sock = KB_OVSDB_SOCK };
static json_t *details;
static kuryr_port port = { .mac_address = PORT_MAC, .binding_vif_type = "ovs", .binding_vnic_type = "normal",
                           .binding_host_id = "kt-host" };
static const kuryr_bind_request req = { .port = &port, .mtu = MTU, .owner_id = VM_UUID };

typedef struct {
    char tap[KURYR_IFNAME_LEN], cont[KURYR_IFNAME_LEN], qbr[KURYR_IFNAME_LEN], qvb[KURYR_IFNAME_LEN],
        qvo[KURYR_IFNAME_LEN];
} names;

static void names_of(const char *id, names *n)
{
    kuryr_ifname(n->tap, "tap", id);
    kuryr_ifname(n->cont, "t_c", id);
    kuryr_ifname(n->qbr, "qbr", id);
    kuryr_ifname(n->qvb, "qvb", id);
    kuryr_ifname(n->qvo, "qvo", id);
}

static void remove_all(const char *id)
{
    names n;
    names_of(id, &n);
    struct nl_sock *sk = bt_sock();
    const char *links[] = { n.tap, n.cont, n.qvb, n.qvo, n.qbr };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
        const char *del[] = { "--if-exists", "del-port", links[i], NULL };
        bt_vsctl(del, NULL);
        bt_del(sk, links[i]);
    }
    nl_socket_free(sk);
}

/* The OVS interfaces carrying this port's iface-id, newline separated (malloc'd). */
static char *ovs_ifaces_of(const char *id)
{
    char match[128], *out = NULL;
    snprintf(match, sizeof(match), "external_ids:iface-id=\"%s\"", id);
    const char *find[] = { "--data=bare", "--no-headings", "--columns=name", "find", "Interface", match, NULL };
    if (bt_vsctl(find, &out) < 0)
        fail_msg("ovs-vsctl find failed");
    return out;
}

static int setup(void **state)
{
    (void)state;
    const char *add[] = { "--may-exist", "add-br", bridge, "--", "set", "Bridge", bridge, "datapath_type=netdev",
                          NULL };
    return bt_vsctl(add, NULL);
}

static int teardown(void **state)
{
    (void)state;
    remove_all(port_id);
    const char *del[] = { "--if-exists", "del-br", bridge, NULL };
    bt_vsctl(del, NULL);
    return 0;
}

static int master_of(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = bt_link(sk, name);
    if (!l)
        fail_msg("%s does not exist", name);
    int m = rtnl_link_get_master(l);
    rtnl_link_put(l);
    return m;
}

static int ifindex_of(struct nl_sock *sk, const char *name)
{
    struct rtnl_link *l = bt_link(sk, name);
    if (!l)
        fail_msg("%s does not exist", name);
    int i = rtnl_link_get_ifindex(l);
    rtnl_link_put(l);
    return i;
}

static void assert_link(struct nl_sock *sk, const char *name, const char *type, unsigned mtu)
{
    struct rtnl_link *l = bt_link(sk, name);
    if (!l)
        fail_msg("%s does not exist", name);
    assert_string_equal(rtnl_link_get_type(l), type);
    if (rtnl_link_get_mtu(l) != mtu)
        fail_msg("%s has MTU %u, not %u", name, rtnl_link_get_mtu(l), mtu);
    if (!(rtnl_link_get_flags(l) & IFF_UP))
        fail_msg("%s is down", name);
    rtnl_link_put(l);
}

static void assert_sysfs(const char *qbr, const char *attr, const char *want)
{
    char path[128], got[32] = "";
    snprintf(path, sizeof(path), "/sys/class/net/%s/bridge/%s", qbr, attr);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(got, sizeof(got), f));
    fclose(f);
    got[strcspn(got, "\n")] = '\0';
    assert_string_equal(got, want);
}

static void assert_plugged(const names *n)
{
    struct nl_sock *sk = bt_sock();
    assert_link(sk, n->qbr, "bridge", MTU);
    assert_link(sk, n->qvb, "veth", MTU);
    assert_link(sk, n->qvo, "veth", MTU);
    assert_link(sk, n->tap, "veth", MTU);
    int qbr = ifindex_of(sk, n->qbr);
    assert_int_equal(master_of(sk, n->qvb), qbr);
    assert_int_equal(master_of(sk, n->tap), qbr);
    assert_int_not_equal(master_of(sk, n->qvo), qbr);
    assert_int_equal(master_of(sk, n->cont), 0); /* the container end waits for its namespace */
    /* qvb and qvo are the two ends of one veth */
    struct rtnl_link *qvb = bt_link(sk, n->qvb);
    assert_int_equal(rtnl_link_get_link(qvb), ifindex_of(sk, n->qvo));
    rtnl_link_put(qvb);
    struct rtnl_link *cont = bt_link(sk, n->cont);
    char mac[32];
    bt_mac(cont, mac);
    assert_string_equal(mac, PORT_MAC);
    rtnl_link_put(cont);
    nl_socket_free(sk);
    /* no 15 s learning delay and no STP on the per-port bridge */
    assert_sysfs(n->qbr, "forward_delay", "0");
    assert_sysfs(n->qbr, "stp_state", "0");

    char *br = NULL;
    const char *p2b[] = { "port-to-br", n->qvo, NULL };
    assert_int_equal(bt_vsctl(p2b, &br), 0);
    br[strcspn(br, "\n")] = '\0';
    assert_string_equal(br, bridge);
    free(br);
    char *ext = NULL;
    const char *get[] = { "get", "Interface", n->qvo, "external_ids", NULL };
    assert_int_equal(bt_vsctl(get, &ext), 0);
    /* ovs-vsctl quotes a string only when it would not parse bare */
    char quoted[128], bare[128];
    snprintf(quoted, sizeof(quoted), "iface-id=\"%s\"", port_id);
    snprintf(bare, sizeof(bare), "iface-id=%s", port_id);
    if (!strstr(ext, quoted) && !strstr(ext, bare))
        fail_msg("external_ids of %s lack the iface-id: %s", n->qvo, ext);
    assert_non_null(strstr(ext, "attached-mac=\"" PORT_MAC "\""));
    assert_non_null(strstr(ext, "vm-uuid=" VM_UUID));
    assert_non_null(strstr(ext, "iface-status=active"));
    assert_non_null(strstr(ext, "owner=kuryr"));
    free(ext);
    /* exactly one OVS interface for the port, and neither the tap nor qvb is on OVS */
    char *ifaces = ovs_ifaces_of(port_id);
    char one[32];
    snprintf(one, sizeof(one), "%s\n", n->qvo);
    assert_string_equal(ifaces, one);
    free(ifaces);
}

static void assert_gone(const names *n)
{
    struct nl_sock *sk = bt_sock();
    const char *links[] = { n->tap, n->cont, n->qbr, n->qvb, n->qvo };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        if (bt_exists(sk, links[i]))
            fail_msg("%s is left behind", links[i]);
    nl_socket_free(sk);
    char *ifaces = ovs_ifaces_of(port.id);
    assert_string_equal(ifaces, "");
    free(ifaces);
}

static void test_bind_unbind(void **state)
{
    (void)state;
    names n;
    names_of(port_id, &n);
    kuryr_bind_result res;
    kuryr_error err;
    if (kuryr_bind(&cfg, &req, &res, &err) != 0)
        fail_msg("bind: %s", err.message);
    assert_string_equal(res.host_ifname, n.tap);
    assert_string_equal(res.container_ifname, n.cont);
    assert_plugged(&n);

    /* A bind after a crash (nothing unbound) replaces what is there rather than failing or duplicating. */
    if (kuryr_bind(&cfg, &req, &res, &err) != 0)
        fail_msg("re-bind: %s", err.message);
    assert_plugged(&n);

    if (kuryr_unbind(&cfg, &req, &err) != 0)
        fail_msg("unbind: %s", err.message);
    assert_gone(&n);
    if (kuryr_unbind(&cfg, &req, &err) != 0)
        fail_msg("second unbind: %s", err.message);
    assert_gone(&n);
}

static void test_missing_ovs_bridge_leaves_nothing(void **state)
{
    (void)state;
    names n;
    names_of(port_id, &n);
    kuryr_binding_cfg broken = cfg;
    broken.ovs_bridge = missing_bridge;
    kuryr_bind_result res;
    kuryr_error err;
    assert_int_equal(kuryr_bind(&broken, &req, &res, &err), -1);
    assert_non_null(strstr(err.message, "ovs-vsctl"));
    assert_non_null(strstr(err.message, missing_bridge));
    assert_gone(&n);
    /* and unbinding what never got bound is fine */
    assert_int_equal(kuryr_unbind(&broken, &req, &err), 0);
}

int main(void)
{
    bt_require_ovs("the OVS hybrid plugging test");
    int id = (int)(getpid() % 100000);
    snprintf(bridge, sizeof(bridge), "kthy%d", id);
    snprintf(missing_bridge, sizeof(missing_bridge), "ktno%d", id);
    /* The first 11 characters name the links: unique to this process. */
    snprintf(port_id, sizeof(port_id), "kt%05dhy01-4e1f-a2b3-c4d5e6f7a8b9", id);
    port.id = port_id;
    details = json_pack("{s:b, s:b}", "ovs_hybrid_plug", 1, "port_filter", 1);
    port.binding_vif_details = details;
    cfg.ovs_bridge = bridge;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bind_unbind, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_ovs_bridge_leaves_nothing, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    json_decref(details);
    return rc;
}
