/* Choosing the binding driver for a port. */
#include "binding_internal.h"

#include <string.h>

static const char *const names[] = { [KURYR_DRIVER_VETH] = "veth", [KURYR_DRIVER_MACVLAN] = "macvlan",
                                     [KURYR_DRIVER_IPVLAN] = "ipvlan", [KURYR_DRIVER_VLAN] = "vlan" };

const char *kb_driver_name(kuryr_driver d)
{
    return (unsigned)d < sizeof(names) / sizeof(names[0]) ? names[d] : "?";
}

int kb_driver_parse(const char *name, kuryr_driver *out)
{
    if (!name)
        return -1;
    /* Upstream configs name drivers by module path (kuryr.lib.binding.drivers.veth): keep the last part. */
    const char *dot = strrchr(name, '.');
    const char *base = dot ? dot + 1 : name;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(base, names[i]) == 0) {
            *out = (kuryr_driver)i;
            return 0;
        }
    return -1;
}

int kuryr_binding_pick_driver(const kuryr_binding_cfg *cfg, const kuryr_port *port, kuryr_driver *out,
                              kuryr_error *err)
{
    const char *vnic = port && port->binding_vnic_type && *port->binding_vnic_type ? port->binding_vnic_type
                                                                                   : "normal";
    if (strcmp(vnic, "normal") != 0)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "port %s has binding:vnic_type '%s'; only 'normal' is supported",
                               port && port->id ? port->id : "", vnic);
    kuryr_driver d = cfg->default_driver;
    if (!(cfg->enabled_mask & (1u << d)))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "binding driver '%s' is not in [binding] enabled_drivers", kb_driver_name(d));
    *out = d;
    return 0;
}
