/* [binding] options into kuryr_binding_cfg. */
#include "binding_internal.h"

int kuryr_binding_cfg_from_config(const kuryr_config *cfg, kuryr_binding_cfg *out, kuryr_error *err)
{
    *out = (kuryr_binding_cfg){ .default_driver = KURYR_DRIVER_VETH, .enabled_mask = 0, .link_iface = "",
                                .bindir = KB_BINDIR, .ovs_bridge = KB_OVS_BRIDGE, .ovsdb_sock = KB_OVSDB_SOCK };
    const char *def = kuryr_config_get_str(cfg, "binding", "default_driver");
    if (*def && kb_driver_parse(def, &out->default_driver) < 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "[binding] default_driver '%s' is not one of veth, macvlan, ipvlan, vlan", def);
    /* Only an explicit enabled_drivers can refuse the default driver; its own default (veth) would
     * otherwise make default_driver=macvlan alone an error. */
    const char *const *en = kuryr_config_is_set(cfg, "binding", "enabled_drivers")
                                ? kuryr_config_get_list(cfg, "binding", "enabled_drivers")
                                : NULL;
    for (size_t i = 0; en && en[i]; i++) {
        kuryr_driver d;
        if (kb_driver_parse(en[i], &d) < 0)
            return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                                   "[binding] enabled_drivers: unknown driver '%s'", en[i]);
        out->enabled_mask |= 1u << d;
    }
    if (!out->enabled_mask)
        out->enabled_mask = 1u << out->default_driver;
    if (!(out->enabled_mask & (1u << out->default_driver)))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "[binding] default_driver '%s' is not in enabled_drivers", def);
    out->link_iface = kuryr_config_get_str(cfg, "binding", "link_iface");
    const char *bindir = kuryr_config_get_str(cfg, "DEFAULT", "bindir");
    if (*bindir)
        out->bindir = bindir;
    long hook_timeout = kuryr_config_get_int(cfg, "DEFAULT", "hook_timeout");
    if (hook_timeout < 1 || hook_timeout > 3600)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "[DEFAULT] hook_timeout %ld: give 1 to 3600 seconds", hook_timeout);
    out->hook_timeout_s = (int)hook_timeout;
    return 0;
}
