/* Driver choice (vnic_type, default_driver, enabled_drivers) and the vif_type script argument order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "binding_internal.h"

static void test_parse_short_and_module_names(void **state)
{
    (void)state;
    kuryr_driver d;
    assert_int_equal(kb_driver_parse("veth", &d), 0);
    assert_int_equal(d, KURYR_DRIVER_VETH);
    assert_int_equal(kb_driver_parse("kuryr.lib.binding.drivers.macvlan", &d), 0);
    assert_int_equal(d, KURYR_DRIVER_MACVLAN);
    assert_int_equal(kb_driver_parse("kuryr_libnetwork.port_driver.drivers.vlan", &d), 0);
    assert_int_equal(d, KURYR_DRIVER_VLAN);
    assert_int_equal(kb_driver_parse("ipvlan", &d), 0);
    assert_int_equal(d, KURYR_DRIVER_IPVLAN);
    assert_int_equal(kb_driver_parse("hw_veb", &d), -1);
    assert_int_equal(kb_driver_parse(NULL, &d), -1);
}

static void test_pick_default_when_enabled(void **state)
{
    (void)state;
    kuryr_binding_cfg cfg = { .default_driver = KURYR_DRIVER_MACVLAN,
                              .enabled_mask = 1u << KURYR_DRIVER_MACVLAN | 1u << KURYR_DRIVER_VETH };
    kuryr_port p = { .id = "p", .binding_vnic_type = "normal" };
    kuryr_driver d;
    kuryr_error err;
    assert_int_equal(kuryr_binding_pick_driver(&cfg, &p, &d, &err), 0);
    assert_int_equal(d, KURYR_DRIVER_MACVLAN);
    p.binding_vnic_type = NULL; /* absent means normal */
    assert_int_equal(kuryr_binding_pick_driver(&cfg, &p, &d, &err), 0);
    assert_int_equal(d, KURYR_DRIVER_MACVLAN);
}

static void test_pick_refuses_disabled_and_other_vnic_types(void **state)
{
    (void)state;
    kuryr_binding_cfg cfg = { .default_driver = KURYR_DRIVER_VLAN, .enabled_mask = 1u << KURYR_DRIVER_VETH };
    kuryr_port p = { .id = "p", .binding_vnic_type = "normal" };
    kuryr_driver d;
    kuryr_error err;
    assert_int_equal(kuryr_binding_pick_driver(&cfg, &p, &d, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "vlan"));
    cfg.default_driver = KURYR_DRIVER_VETH;
    p.binding_vnic_type = "direct";
    assert_int_equal(kuryr_binding_pick_driver(&cfg, &p, &d, &err), -1);
    assert_non_null(strstr(err.message, "direct"));
}

static void test_hook_argument_order(void **state)
{
    (void)state;
    kuryr_port p = { .id = "PORT", .mac_address = "MAC", .network_id = "NET", .project_id = "PROJ" };
    const char *argv[KB_HOOK_ARGC + 1];
    kb_hook_argv_bind("/b/vt", &p, "IF", "EP", "{\"d\":1}", argv);
    const char *bind[] = { "/b/vt", "bind", "PORT", "IF", "EP", "MAC", "NET", "PROJ", "{\"d\":1}" };
    for (size_t i = 0; i < 9; i++)
        assert_string_equal(argv[i], bind[i]);
    assert_null(argv[9]);
    kb_hook_argv_unbind("/b/vt", &p, "IF", "EP", "{}", argv);
    const char *unbind[] = { "/b/vt", "unbind", "PORT", "IF", "EP", "MAC", "{}", "NET" };
    for (size_t i = 0; i < 8; i++)
        assert_string_equal(argv[i], unbind[i]);
    assert_null(argv[8]);
}

static kuryr_config *config_with(const char *const *kv)
{
    kuryr_config *c = kuryr_config_new();
    char e[256];
    for (size_t i = 0; kv[i]; i += 3)
        assert_int_equal(kuryr_config_set(c, kv[i], kv[i + 1], kv[i + 2], e, sizeof(e)), 0);
    return c;
}

static void test_cfg_defaults(void **state)
{
    (void)state;
    const char *kv[] = { NULL };
    kuryr_config *c = config_with(kv);
    kuryr_binding_cfg b;
    kuryr_error err;
    assert_int_equal(kuryr_binding_cfg_from_config(c, &b, &err), 0);
    assert_int_equal(b.default_driver, KURYR_DRIVER_VETH);
    assert_int_equal(b.enabled_mask, 1u << KURYR_DRIVER_VETH);
    assert_string_equal(b.link_iface, "");
    assert_string_equal(b.bindir, "/usr/libexec/kuryr");
    assert_string_equal(b.ovs_bridge, "br-int");
    assert_string_equal(b.ovsdb_sock, "/var/run/openvswitch/db.sock");
    kuryr_config_free(c);
}

static void test_cfg_nested_and_module_paths(void **state)
{
    (void)state;
    const char *kv[] = { "binding", "default_driver", "kuryr.lib.binding.drivers.macvlan",
                         "binding", "link_iface", "ens3",
                         "DEFAULT", "bindir", "/opt/kuryr/bin", NULL };
    kuryr_config *c = config_with(kv);
    kuryr_binding_cfg b;
    kuryr_error err;
    assert_int_equal(kuryr_binding_cfg_from_config(c, &b, &err), 0);
    assert_int_equal(b.default_driver, KURYR_DRIVER_MACVLAN);
    assert_true(b.enabled_mask & (1u << KURYR_DRIVER_MACVLAN));
    assert_string_equal(b.link_iface, "ens3");
    assert_string_equal(b.bindir, "/opt/kuryr/bin");
    kuryr_config_free(c);
}

static void test_cfg_default_must_be_enabled(void **state)
{
    (void)state;
    const char *kv[] = { "binding", "default_driver", "vlan", "binding", "enabled_drivers", "veth,macvlan", NULL };
    kuryr_config *c = config_with(kv);
    kuryr_binding_cfg b;
    kuryr_error err;
    assert_int_equal(kuryr_binding_cfg_from_config(c, &b, &err), -1);
    assert_int_equal(err.kind, KURYR_ERR_BAD_REQUEST);
    assert_non_null(strstr(err.message, "vlan"));
    kuryr_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_short_and_module_names),
        cmocka_unit_test(test_pick_default_when_enabled),
        cmocka_unit_test(test_pick_refuses_disabled_and_other_vnic_types),
        cmocka_unit_test(test_hook_argument_order),
        cmocka_unit_test(test_cfg_defaults),
        cmocka_unit_test(test_cfg_nested_and_module_paths),
        cmocka_unit_test(test_cfg_default_must_be_enabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
