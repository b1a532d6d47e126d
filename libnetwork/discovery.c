/* Handshake, capabilities and discovery: answers from config, no Neutron calls. */
#include "handlers.h"
#include "plugin.h"

KL_HANDLER(kl_h_activate)
{
    (void)p, (void)req, (void)err;
    *resp = json_pack("{s:[s,s]}", "Implements", "NetworkDriver", "IpamDriver");
    return 0;
}

KL_HANDLER(kl_h_net_capabilities)
{
    (void)req, (void)err;
    const char *scope = kuryr_config_get_str(p->cfg, "DEFAULT", "capability_scope");
    if (!*scope)
        scope = "local";
    *resp = json_pack("{s:s,s:s}", "Scope", scope, "ConnectivityScope", scope);
    return 0;
}

/* Node discovery is Docker's business; kuryr keeps no peer state. */
KL_HANDLER(kl_h_discover)
{
    (void)p, (void)req, (void)err;
    *resp = json_object();
    return 0;
}

/* Docker's MAC ties both addresses of a dual-stack endpoint (and a retried request) to one port; a pool's
 * ports are bound already and keep their own MAC, which Docker then takes from CreateEndpoint (vif_pool.h). */
KL_HANDLER(kl_h_ipam_capabilities)
{
    (void)req, (void)err;
    *resp = json_pack("{s:b,s:b}", "RequiresMACAddress", p->vif_pool == NULL, "RequiresRequestReplay", 0);
    return 0;
}

KL_HANDLER(kl_h_ipam_address_spaces)
{
    (void)req, (void)err;
    const char *local = kuryr_config_get_str(p->cfg, "DEFAULT", "local_default_address_space");
    const char *global = kuryr_config_get_str(p->cfg, "DEFAULT", "global_default_address_space");
    *resp = json_pack("{s:s,s:s}", "LocalDefaultAddressSpace", *local ? local : "no_address_space",
                      "GlobalDefaultAddressSpace", *global ? global : "no_address_space");
    return 0;
}
