/* The vif_type script path and failure clean-up: a test script records its arguments; a failing script,
 * an unbound port and a plugging error each leave no veth behind and say why. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/stat.h>

#include "binding_internal.h"
#include "binding_test.h"

#define PORT_ID "1b2c3d4e-5f60-4a6b-8c7d-9e0f1a2b3c4d"
#define NET_ID "beef0001-2345-4678-9abc-def012345678"
#define MAC "fa:16:3e:ab:cd:ef"

static char bindir[64];
static kuryr_binding_cfg cfg = { .default_driver = KURYR_DRIVER_VETH, .enabled_mask = 1u << KURYR_DRIVER_VETH,
                                 .link_iface = "" };

static void write_script(const char *name, const char *body)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", bindir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s", body);
    fclose(f);
    assert_int_equal(chmod(path, 0755), 0);
}

static char *slurp(const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/%s", bindir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[2048];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static int setup(void **state)
{
    (void)state;
    snprintf(bindir, sizeof(bindir), "/tmp/kuryr-binding-hook-XXXXXX");
    if (!mkdtemp(bindir))
        return -1;
    cfg.bindir = bindir;
    /* One argument per line, into a file named after the action. */
    write_script("recvif", "printf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args.$1\"\n");
    write_script("failvif", "echo 'first line' >&2\necho 'cannot reach the switch' >&2\nexit 3\n");
    /* a switch that never answers, and a script that ignores SIGTERM while it waits */
    write_script("hangvif", "trap '' TERM\necho 'waiting for the switch' >&2\nsleep 600 &\nwait\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    const char *files[] = { "recvif", "failvif", "hangvif", "args.bind", "args.unbind" };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "%s/%s", bindir, files[i]);
        unlink(path);
    }
    rmdir(bindir);
    struct nl_sock *sk = bt_sock();
    bt_del(sk, "tap1b2c3d4e-5f");
    bt_del(sk, "brqbeef0001-23");
    nl_socket_free(sk);
    return 0;
}

static kuryr_port port_of(const char *vif_type, json_t *details)
{
    kuryr_port p;
    memset(&p, 0, sizeof(p));
    p.id = PORT_ID;
    p.mac_address = MAC;
    p.network_id = NET_ID;
    p.project_id = "proj-1";
    p.binding_host_id = "node-7";
    p.binding_vif_type = (char *)vif_type;
    p.binding_vif_details = details;
    return p;
}

static void assert_no_veth(void)
{
    struct nl_sock *sk = bt_sock();
    assert_false(bt_exists(sk, "tap1b2c3d4e-5f"));
    assert_false(bt_exists(sk, "t_c1b2c3d4e-5f"));
    nl_socket_free(sk);
}

static void test_hook_gets_upstream_arguments(void **state)
{
    (void)state;
    json_t *details = json_pack("{s:b}", "port_filter", 1);
    kuryr_port p = port_of("recvif", details);
    kuryr_bind_request req = { .port = &p, .owner_id = "ep-9" };
    kuryr_bind_result res;
    kuryr_error err;
    if (kuryr_bind(&cfg, &req, &res, &err) != 0)
        fail_msg("bind: %s", err.message);
    assert_string_equal(slurp("args.bind"), "bind\n" PORT_ID "\ntap1b2c3d4e-5f\nep-9\n" MAC "\n" NET_ID
                                            "\nproj-1\n{\"port_filter\":true}\n");
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    assert_string_equal(slurp("args.unbind"), "unbind\n" PORT_ID "\ntap1b2c3d4e-5f\nep-9\n" MAC
                                              "\n{\"port_filter\":true}\n" NET_ID "\n");
    assert_no_veth();
    json_decref(details);
}

static void test_failing_hook_removes_veth_and_reports(void **state)
{
    (void)state;
    kuryr_port p = port_of("failvif", NULL);
    kuryr_bind_request req = { .port = &p, .owner_id = "ep-9" };
    kuryr_bind_result res;
    kuryr_error err;
    assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), -1);
    assert_non_null(strstr(err.message, "exit status 3"));
    assert_non_null(strstr(err.message, "cannot reach the switch"));
    assert_non_null(strstr(err.message, PORT_ID));
    assert_no_veth();
}

/* A hung hook is killed at hook_timeout and the bind fails with its veth removed, instead of holding the
 * request thread forever. */
static void test_hung_hook_times_out_and_removes_veth(void **state)
{
    (void)state;
    kuryr_binding_cfg quick = cfg;
    quick.hook_timeout_s = 1;
    kuryr_port p = port_of("hangvif", NULL);
    kuryr_bind_request req = { .port = &p, .owner_id = "ep-9" };
    kuryr_bind_result res;
    kuryr_error err;
    assert_int_equal(kuryr_bind(&quick, &req, &res, &err), -1);
    assert_non_null(strstr(err.message, "timed out"));
    assert_non_null(strstr(err.message, "hangvif"));
    assert_no_veth();
}

static void test_missing_script_and_unsafe_vif_type(void **state)
{
    (void)state;
    kuryr_port p = port_of("novif", NULL);
    kuryr_bind_request req = { .port = &p, .owner_id = "ep-9" };
    kuryr_bind_result res;
    kuryr_error err;
    assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), -1);
    assert_non_null(strstr(err.message, "novif"));
    assert_no_veth();
    p.binding_vif_type = "../../bin/true";
    assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), -1);
    assert_no_veth();
}

static void test_unbound_port_says_what_to_check(void **state)
{
    (void)state;
    const char *types[] = { "unbound", "binding_failed" };
    for (size_t i = 0; i < 2; i++) {
        kuryr_port p = port_of(types[i], NULL);
        kuryr_bind_request req = { .port = &p, .owner_id = "ep-9" };
        kuryr_bind_result res;
        kuryr_error err;
        assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), -1);
        assert_non_null(strstr(err.message, PORT_ID));
        assert_non_null(strstr(err.message, "node-7"));
        assert_non_null(strstr(err.message, "agent"));
        assert_no_veth();
        assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    }
}

static void test_bridge_plug_failure_removes_veth(void **state)
{
    (void)state;
    /* brq<net> exists but is not a bridge, so enslaving fails half way. */
    struct nl_sock *sk = bt_sock();
    assert_int_equal(bt_veth(sk, "brqbeef0001-23", "kt-notbr"), 0);
    kuryr_port p = port_of("bridge", NULL);
    kuryr_bind_request req = { .port = &p, .owner_id = "ep-9" };
    kuryr_bind_result res;
    kuryr_error err;
    assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), -1);
    assert_non_null(strstr(err.message, "brqbeef0001-23"));
    assert_no_veth();
    bt_del(sk, "brqbeef0001-23");
    nl_socket_free(sk);
}

static void test_tap_vif_type_plugs_nothing(void **state)
{
    (void)state;
    kuryr_port p = port_of("tap", NULL);
    kuryr_bind_request req = { .port = &p, .owner_id = "ep-9" };
    kuryr_bind_result res;
    kuryr_error err;
    assert_int_equal(kuryr_bind(&cfg, &req, &res, &err), 0);
    struct nl_sock *sk = bt_sock();
    struct rtnl_link *tap = bt_link(sk, res.host_ifname);
    assert_non_null(tap);
    assert_int_equal(rtnl_link_get_master(tap), 0);
    rtnl_link_put(tap);
    nl_socket_free(sk);
    assert_int_equal(kuryr_unbind(&cfg, &req, &err), 0);
    assert_no_veth();
}

static void test_netdev_datapath_sysctls(void **state)
{
    (void)state;
    /* What a host-side veth on a userspace OVS bridge gets (the test's namespace has its own /proc/sys/net). */
    struct nl_sock *sk = bt_sock();
    assert_int_equal(bt_veth(sk, "kt-quiet", "kt-quietp"), 0);
    kuryr_error err;
    if (kb_sysctl_quiet_host_iface("kt-quiet", &err) != 0)
        fail_msg("%s", err.message);
    assert_int_equal(bt_read_long("/proc/sys/net/ipv4/conf/kt-quiet/arp_ignore"), 8);
    assert_int_equal(bt_read_long("/proc/sys/net/ipv4/conf/kt-quiet/forwarding"), 0);
    assert_int_equal(bt_read_long("/proc/sys/net/ipv6/conf/kt-quiet/disable_ipv6"), 1);
    bt_del(sk, "kt-quiet");
    nl_socket_free(sk);
}

int main(void)
{
    bt_enter_private_netns();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hook_gets_upstream_arguments),
        cmocka_unit_test(test_failing_hook_removes_veth_and_reports),
        cmocka_unit_test(test_hung_hook_times_out_and_removes_veth),
        cmocka_unit_test(test_missing_script_and_unsafe_vif_type),
        cmocka_unit_test(test_unbound_port_says_what_to_check),
        cmocka_unit_test(test_bridge_plug_failure_removes_veth),
        cmocka_unit_test(test_tap_vif_type_plugs_nothing),
        cmocka_unit_test(test_netdev_datapath_sysctls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
