/* Nested drivers through kuryr_bind()/kuryr_unbind() against the real Neutron of scripts/stack:
 *  - macvlan: the VM port's allowed_address_pairs gain the container port's IP + MAC and the macvlan appears on
 *    the interface carrying the VM port's MAC (found by MAC, link_iface empty); unbind takes both away, and a
 *    second unbind succeeds.
 *  - ipvlan: the same with the VM port's own MAC; where the kernel has no ipvlan, the bind fails saying so and
 *    the pair it wrote first is taken back.
 *  - vlan: the container port becomes a subport of the VM port's trunk with an id in 1..4094 and the vlan
 *    device appears; where the kernel has no 802.1Q support the bind fails saying so, and the trunk keeps no
 *    subport (rollback) while the container port is unchanged.
 *  - two concurrent trunk attachments of two ports on one trunk get distinct segmentation ids in Neutron.
 *
 * Runs in the host namespace (Neutron is reached over the host's loopback); the veth standing in for the VM's
 * interface has a kt- name unique to the process and is removed in teardown, as is every Neutron object. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>

#include "binding_internal.h"
#include "binding_test.h"
#include "itest.h"

static itest_env env;
static char vm_if[KURYR_IFNAME_LEN], vm_peer[KURYR_IFNAME_LEN];
static char cidr[32];

typedef struct {
    kuryr_network *net;
    kuryr_port *vm, *c1, *c2;
    kuryr_trunk *trunk;
    int mtu;
} fixture;

static fixture fx;

static kuryr_port *make_port(const char *net_id, const char *name)
{
    json_t *attrs = json_pack("{s:s, s:s}", "network_id", net_id, "name", name);
    kuryr_port *p = NULL;
    kuryr_error err = { 0 };
    int rc = kuryr_neutron_port_create(env.kn, attrs, &p, &err);
    json_decref(attrs);
    if (rc != 0)
        return NULL;
    itest_track("ports", p->id);
    return p;
}

static kuryr_port *get_port(const char *id)
{
    kuryr_port *p = NULL;
    kuryr_error err = { 0 };
    if (kuryr_neutron_port_get(env.kn, id, &p, &err) != 0)
        fail_msg("port get %s: %s", id, err.message);
    return p;
}

static void drop_links(void)
{
    struct nl_sock *sk = bt_sock();
    char dev[KURYR_IFNAME_LEN];
    kuryr_port *ports[] = { fx.c1, fx.c2 };
    for (size_t i = 0; i < 2; i++)
        if (ports[i]) {
            kuryr_ifname(dev, "t_c", ports[i]->id);
            bt_del(sk, dev);
        }
    bt_del(sk, vm_if);
    nl_socket_free(sk);
}

static int teardown(void **state)
{
    (void)state;
    drop_links();
    itest_cleanup(&env);
    kuryr_trunk_free(fx.trunk);
    kuryr_port_free(fx.c2);
    kuryr_port_free(fx.c1);
    kuryr_port_free(fx.vm);
    kuryr_network_free(fx.net);
    memset(&fx, 0, sizeof(fx));
    return 0;
}

/* A network with a 10.x subnet, the VM's port with a trunk (when trunk is set), two container ports, and a
 * veth carrying the VM port's MAC. */
static int setup_common(bool trunk)
{
    kuryr_error err = { 0 };
    json_t *attrs = json_pack("{s:s}", "name", itest_name("kt-nested-net"));
    int rc = kuryr_neutron_network_create(env.kn, attrs, &fx.net, &err);
    json_decref(attrs);
    if (rc != 0) {
        fprintf(stderr, "network: %s\n", err.message);
        return -1;
    }
    itest_track("networks", fx.net->id);
    fx.mtu = fx.net->mtu > 0 ? fx.net->mtu : 1500;
    attrs = json_pack("{s:s, s:i, s:s, s:s}", "network_id", fx.net->id, "ip_version", 4, "cidr", cidr, "name",
                      itest_name("kt-nested-subnet"));
    kuryr_subnet *sub = NULL;
    rc = kuryr_neutron_subnet_create(env.kn, attrs, &sub, &err);
    json_decref(attrs);
    if (rc != 0) {
        fprintf(stderr, "subnet: %s\n", err.message);
        return -1;
    }
    itest_track("subnets", sub->id);
    kuryr_subnet_free(sub);
    fx.vm = make_port(fx.net->id, itest_name("kt-nested-vm"));
    fx.c1 = make_port(fx.net->id, itest_name("kt-nested-c1"));
    fx.c2 = make_port(fx.net->id, itest_name("kt-nested-c2"));
    if (!fx.vm || !fx.c1 || !fx.c2 || fx.c1->n_fixed_ips != 1 || fx.c2->n_fixed_ips != 1) {
        fprintf(stderr, "ports could not be made as expected\n");
        return -1;
    }
    if (trunk) {
        attrs = json_pack("{s:s, s:s}", "port_id", fx.vm->id, "name", itest_name("kt-nested-trunk"));
        rc = kuryr_neutron_trunk_create(env.kn, attrs, &fx.trunk, &err);
        json_decref(attrs);
        if (rc != 0) {
            fprintf(stderr, "trunk: %s\n", err.message);
            return -1;
        }
        itest_track("trunks", fx.trunk->id);
    }
    struct nl_sock *sk = bt_sock();
    rc = bt_veth(sk, vm_if, vm_peer);
    kb_link_change ch = KB_LINK_CHANGE_INIT;
    ch.mac = fx.vm->mac_address;
    ch.up = true;
    if (rc == 0)
        rc = kb_link_modify(sk, vm_if, &ch, &err);
    nl_socket_free(sk);
    if (rc != 0)
        fprintf(stderr, "veth %s: %s\n", vm_if, rc < 0 && err.message[0] ? err.message : "create failed");
    return rc;
}

/* cmocka skips the teardown of a failed setup: clean up here. */
static int setup_aap(void **state)
{
    int rc = setup_common(false);
    if (rc != 0)
        teardown(state);
    return rc;
}

static int setup_trunk(void **state)
{
    int rc = setup_common(true);
    if (rc != 0)
        teardown(state);
    return rc;
}

static kuryr_binding_cfg cfg_for(kuryr_driver d)
{
    /* link_iface empty: the parent is found by the VM port's MAC, as on a real VM */
    kuryr_binding_cfg cfg = { .default_driver = d, .enabled_mask = 1u << d, .link_iface = "" };
    return cfg;
}

static kuryr_bind_request req_for(const kuryr_port *p)
{
    kuryr_bind_request req = { .port = p, .mtu = fx.mtu, .owner_id = "kt-nested-owner", .kn = env.kn,
                               .parent_port_id = fx.vm->id };
    return req;
}

static bool has_pair(const kuryr_port *vm, const char *ip, const char *mac)
{
    size_t ll = strlen(ip);
    for (size_t i = 0; i < vm->n_allowed_address_pairs; i++) {
        const kuryr_address_pair *p = &vm->allowed_address_pairs[i];
        const char *a = p->ip_address;
        bool ip_ok = a && !strncmp(a, ip, ll) && (a[ll] == '\0' || !strcmp(a + ll, "/32"));
        if (ip_ok && p->mac_address && !strcasecmp(p->mac_address, mac))
            return true;
    }
    return false;
}

static void test_macvlan_pairs_and_device(void **state)
{
    (void)state;
    kuryr_binding_cfg cfg = cfg_for(KURYR_DRIVER_MACVLAN);
    kuryr_bind_request req = req_for(fx.c1);
    kuryr_bind_result res;
    kuryr_error err;
    if (kuryr_bind(&cfg, &req, &res, &err) != 0)
        fail_msg("macvlan bind: %s", err.message);
    assert_string_equal(res.host_ifname, "");

    kuryr_port *vm = get_port(fx.vm->id);
    const char *ip = fx.c1->fixed_ips[0].ip_address;
    if (!has_pair(vm, ip, fx.c1->mac_address))
        fail_msg("VM port lacks the pair %s/%s", ip, fx.c1->mac_address);
    assert_int_equal(vm->n_allowed_address_pairs, 1);
    kuryr_port_free(vm);

    struct nl_sock *sk = bt_sock();
    struct rtnl_link *dev = bt_link(sk, res.container_ifname), *parent = bt_link(sk, vm_if);
    assert_non_null(dev);
    assert_non_null(parent);
    assert_string_equal(rtnl_link_get_type(dev), "macvlan");
    assert_int_equal(rtnl_link_get_link(dev), rtnl_link_get_ifindex(parent));
    char mac[32];
    bt_mac(dev, mac);
    assert_string_equal(mac, fx.c1->mac_address);
    assert_true(rtnl_link_get_mtu(dev) <= rtnl_link_get_mtu(parent));
    rtnl_link_put(dev);
    rtnl_link_put(parent);

    /* A second container on the same VM adds its own pair and keeps the first. */
    kuryr_bind_request req2 = req_for(fx.c2);
    kuryr_bind_result res2;
    if (kuryr_bind(&cfg, &req2, &res2, &err) != 0)
        fail_msg("second macvlan bind: %s", err.message);
    vm = get_port(fx.vm->id);
    assert_true(has_pair(vm, ip, fx.c1->mac_address));
    assert_true(has_pair(vm, fx.c2->fixed_ips[0].ip_address, fx.c2->mac_address));
    kuryr_port_free(vm);

    if (kuryr_unbind(&cfg, &req, &err) != 0)
        fail_msg("macvlan unbind: %s", err.message);
    assert_false(bt_exists(sk, res.container_ifname));
    assert_true(bt_exists(sk, res2.container_ifname));
    vm = get_port(fx.vm->id);
    assert_false(has_pair(vm, ip, fx.c1->mac_address));
    assert_true(has_pair(vm, fx.c2->fixed_ips[0].ip_address, fx.c2->mac_address));
    kuryr_port_free(vm);
    if (kuryr_unbind(&cfg, &req, &err) != 0)
        fail_msg("second macvlan unbind: %s", err.message);

    assert_int_equal(kuryr_unbind(&cfg, &req2, &err), 0);
    assert_false(bt_exists(sk, res2.container_ifname));
    vm = get_port(fx.vm->id);
    assert_int_equal(vm->n_allowed_address_pairs, 0);
    kuryr_port_free(vm);
    nl_socket_free(sk);
}

/* ipvlan and 8021q are modules: probe them the way the driver meets them, on a throwaway veth. */
static bool kernel_has(kuryr_driver d)
{
    struct nl_sock *sk = bt_sock();
    char a[KURYR_IFNAME_LEN], b[KURYR_IFNAME_LEN], v[KURYR_IFNAME_LEN];
    snprintf(a, sizeof(a), "kt-%dq", (int)(getpid() % 100000));
    snprintf(b, sizeof(b), "kt-%dr", (int)(getpid() % 100000));
    snprintf(v, sizeof(v), "kt-%dv", (int)(getpid() % 100000));
    bool ok = false;
    if (bt_veth(sk, a, b) == 0) {
        kuryr_error err;
        ok = (d == KURYR_DRIVER_VLAN ? kb_vlan_create(sk, a, v, 7, "fa:16:3e:00:00:07", 1500, &err)
                                     : kb_ipvlan_create(sk, a, v, 1500, &err)) == 0;
        bt_del(sk, v);
        bt_del(sk, a);
    }
    nl_socket_free(sk);
    return ok;
}

/* ipvlan writes its pair before making the device: where the kernel lacks ipvlan, the pair must be taken back. */
static void test_ipvlan_pairs_or_rollback(void **state)
{
    (void)state;
    kuryr_binding_cfg cfg = cfg_for(KURYR_DRIVER_IPVLAN);
    kuryr_bind_request req = req_for(fx.c1);
    kuryr_bind_result res;
    kuryr_error err;
    const char *ip = fx.c1->fixed_ips[0].ip_address;
    struct nl_sock *sk = bt_sock();
    if (!kernel_has(KURYR_DRIVER_IPVLAN)) {
        assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), -1);
        print_message("ipvlan bind without the module fails with: %s\n", err.message);
        assert_non_null(strstr(err.message, "module ipvlan"));
        assert_false(bt_exists(sk, res.container_ifname));
        kuryr_port *vm = get_port(fx.vm->id);
        assert_int_equal(vm->n_allowed_address_pairs, 0);
        kuryr_port_free(vm);
        assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
        nl_socket_free(sk);
        return;
    }
    if (kuryr_bind(&cfg, &req, &res, &err) != 0)
        fail_msg("ipvlan bind: %s", err.message);
    kuryr_port *vm = get_port(fx.vm->id);
    /* the device shares the VM's MAC, so the pair carries it */
    assert_true(has_pair(vm, ip, fx.vm->mac_address));
    kuryr_port_free(vm);
    struct rtnl_link *dev = bt_link(sk, res.container_ifname);
    assert_non_null(dev);
    assert_string_equal(rtnl_link_get_type(dev), "ipvlan");
    rtnl_link_put(dev);
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    assert_false(bt_exists(sk, res.container_ifname));
    vm = get_port(fx.vm->id);
    assert_int_equal(vm->n_allowed_address_pairs, 0);
    kuryr_port_free(vm);
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    nl_socket_free(sk);
}

static kuryr_trunk *get_trunk(void)
{
    kuryr_trunk *t = NULL;
    kuryr_error err = { 0 };
    if (kuryr_neutron_trunk_get(env.kn, fx.trunk->id, &t, &err) != 0)
        fail_msg("trunk get: %s", err.message);
    return t;
}

static int segid_of(const kuryr_trunk *t, const char *port_id)
{
    for (size_t i = 0; i < t->n_sub_ports; i++)
        if (t->sub_ports[i].port_id && !strcmp(t->sub_ports[i].port_id, port_id))
            return t->sub_ports[i].segmentation_id;
    return 0;
}

static const char *s(const char *v) { return v ? v : ""; }

static void test_vlan_subport_or_rollback(void **state)
{
    (void)state;
    kuryr_binding_cfg cfg = cfg_for(KURYR_DRIVER_VLAN);
    kuryr_bind_request req = req_for(fx.c1);
    kuryr_bind_result res;
    kuryr_error err;
    kuryr_port *before = get_port(fx.c1->id);
    if (!kernel_has(KURYR_DRIVER_VLAN)) {
        assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), -1);
        print_message("vlan bind without 8021q fails with: %s\n", err.message);
        assert_non_null(strstr(err.message, "8021q"));
        struct nl_sock *sk = bt_sock();
        assert_false(bt_exists(sk, res.container_ifname));
        nl_socket_free(sk);
        kuryr_trunk *t = get_trunk();
        assert_int_equal(t->n_sub_ports, 0);
        kuryr_trunk_free(t);
        /* Rolled back: the port is as it was before the bind (Neutron resets a removed subport's owner). */
        kuryr_port *after = get_port(fx.c1->id);
        assert_string_equal(s(after->device_owner), s(before->device_owner));
        assert_string_equal(s(after->device_id), s(before->device_id));
        assert_string_equal(s(after->binding_host_id), s(before->binding_host_id));
        assert_string_equal(s(after->mac_address), s(before->mac_address));
        assert_int_equal(after->n_fixed_ips, before->n_fixed_ips);
        assert_string_equal(after->fixed_ips[0].ip_address, before->fixed_ips[0].ip_address);
        kuryr_port_free(after);
        kuryr_port_free(before);
        /* Unbinding what never got bound is fine. */
        assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
        return;
    }
    kuryr_port_free(before);
    if (kuryr_bind(&cfg, &req, &res, &err) != 0)
        fail_msg("vlan bind: %s", err.message);
    kuryr_trunk *t = get_trunk();
    int vid = segid_of(t, fx.c1->id);
    kuryr_trunk_free(t);
    assert_in_range(vid, 1, 4094);
    struct nl_sock *sk = bt_sock();
    struct rtnl_link *dev = bt_link(sk, res.container_ifname);
    assert_non_null(dev);
    assert_string_equal(rtnl_link_get_type(dev), "vlan");
    rtnl_link_put(dev);
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    assert_false(bt_exists(sk, res.container_ifname));
    nl_socket_free(sk);
    t = get_trunk();
    assert_int_equal(t->n_sub_ports, 0);
    kuryr_trunk_free(t);
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
}

typedef struct {
    const char *port_id;
    int vid;
    int rc;
    kuryr_error err;
} attach_job;

static void *attach(void *arg)
{
    attach_job *j = arg;
    j->rc = kb_trunk_attach(env.kn, fx.vm->id, j->port_id, &j->vid, &j->err);
    return NULL;
}

static void test_concurrent_attach_distinct_ids(void **state)
{
    (void)state;
    attach_job jobs[2] = { { .port_id = fx.c1->id }, { .port_id = fx.c2->id } };
    pthread_t th[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, attach, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++)
        if (jobs[i].rc != 0)
            fail_msg("attach %d: %s", i, jobs[i].err.message);
    kuryr_trunk *t = get_trunk();
    assert_int_equal(t->n_sub_ports, 2);
    int a = segid_of(t, fx.c1->id), b = segid_of(t, fx.c2->id);
    kuryr_trunk_free(t);
    assert_int_equal(a, jobs[0].vid);
    assert_int_equal(b, jobs[1].vid);
    assert_in_range(a, 1, 4094);
    assert_in_range(b, 1, 4094);
    assert_int_not_equal(a, b);
    /* Attaching again reuses the id Neutron has. */
    int again = 0;
    kuryr_error err;
    assert_int_equal(kb_trunk_attach(env.kn, fx.vm->id, fx.c1->id, &again, &err), 0);
    assert_int_equal(again, a);
    assert_int_equal(kb_trunk_detach(env.kn, fx.vm->id, fx.c1->id, &err), 0);
    assert_int_equal(kb_trunk_detach(env.kn, fx.vm->id, fx.c2->id, &err), 0);
    assert_int_equal(kb_trunk_detach(env.kn, fx.vm->id, fx.c2->id, &err), 0);
    t = get_trunk();
    assert_int_equal(t->n_sub_ports, 0);
    kuryr_trunk_free(t);
}

/* Objects of this process still in Neutron after the teardowns (their names carry the pid). */
static size_t leftovers(void)
{
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "kt-nested-");
    char pid[16];
    snprintf(pid, sizeof(pid), "-%d-", (int)getpid());
    size_t n = 0;
    kuryr_error err = { 0 };
    kuryr_network_list nets = { 0 };
    kuryr_port_list ports = { 0 };
    kuryr_trunk_list trunks = { 0 };
    if (kuryr_neutron_network_list(env.kn, NULL, &nets, &err) == 0)
        for (size_t i = 0; i < nets.n; i++)
            n += nets.items[i]->name && !strncmp(nets.items[i]->name, prefix, strlen(prefix)) &&
                 strstr(nets.items[i]->name, pid);
    if (kuryr_neutron_port_list(env.kn, NULL, &ports, &err) == 0)
        for (size_t i = 0; i < ports.n; i++)
            n += ports.items[i]->name && !strncmp(ports.items[i]->name, prefix, strlen(prefix)) &&
                 strstr(ports.items[i]->name, pid);
    if (kuryr_neutron_trunk_list(env.kn, NULL, &trunks, &err) == 0)
        for (size_t i = 0; i < trunks.n; i++)
            n += trunks.items[i]->name && !strncmp(trunks.items[i]->name, prefix, strlen(prefix)) &&
                 strstr(trunks.items[i]->name, pid);
    kuryr_network_list_clear(&nets);
    kuryr_port_list_clear(&ports);
    kuryr_trunk_list_clear(&trunks);
    struct nl_sock *sk = bt_sock();
    n += (size_t)bt_exists(sk, vm_if);
    nl_socket_free(sk);
    return n;
}

int main(void)
{
    if (geteuid() != 0)
        bt_skip("the nested binding test needs root to create links");
    int rc = itest_open(&env);
    if (rc != 0) {
        itest_close(&env);
        if (rc == ITEST_SKIP)
            bt_skip("the stack is not up (KURYR_STACK_CONF unset)");
        return 1;
    }
    int id = (int)(getpid() % 100000);
    snprintf(vm_if, sizeof(vm_if), "kt-%dvm", id);
    snprintf(vm_peer, sizeof(vm_peer), "kt-%dvp", id);
    snprintf(cidr, sizeof(cidr), "10.213.%d.0/24", id % 250);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_macvlan_pairs_and_device, setup_aap, teardown),
        cmocka_unit_test_setup_teardown(test_ipvlan_pairs_or_rollback, setup_aap, teardown),
        cmocka_unit_test_setup_teardown(test_vlan_subport_or_rollback, setup_trunk, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_attach_distinct_ids, setup_trunk, teardown),
    };
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    size_t left = leftovers();
    if (left) {
        fprintf(stderr, "%zu Neutron objects or links of this test are left behind\n", left);
        rc = 1;
    }
    itest_close(&env);
    return rc;
}
