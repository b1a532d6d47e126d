/* The plugin protocol's URIs and their handlers. */
#include "handlers.h"

const kl_route_entry kl_routes[] = {
    {"/Plugin.Activate", kl_h_activate},
    {"/NetworkDriver.GetCapabilities", kl_h_net_capabilities},
    {"/NetworkDriver.CreateNetwork", kl_h_create_network},
    {"/NetworkDriver.DeleteNetwork", kl_h_delete_network},
    {"/NetworkDriver.AllocateNetwork", kl_h_allocate_network},
    {"/NetworkDriver.FreeNetwork", kl_h_free_network},
    {"/NetworkDriver.CreateEndpoint", kl_h_create_endpoint},
    {"/NetworkDriver.EndpointOperInfo", kl_h_endpoint_oper_info},
    {"/NetworkDriver.DeleteEndpoint", kl_h_delete_endpoint},
    {"/NetworkDriver.Join", kl_h_join},
    {"/NetworkDriver.Leave", kl_h_leave},
    {"/NetworkDriver.ProgramExternalConnectivity", kl_h_program_external},
    {"/NetworkDriver.RevokeExternalConnectivity", kl_h_revoke_external},
    {"/NetworkDriver.DiscoverNew", kl_h_discover},
    {"/NetworkDriver.DiscoverDelete", kl_h_discover},
    {"/IpamDriver.GetCapabilities", kl_h_ipam_capabilities},
    {"/IpamDriver.GetDefaultAddressSpaces", kl_h_ipam_address_spaces},
    {"/IpamDriver.RequestPool", kl_h_request_pool},
    {"/IpamDriver.ReleasePool", kl_h_release_pool},
    {"/IpamDriver.RequestAddress", kl_h_request_address},
    {"/IpamDriver.ReleaseAddress", kl_h_release_address},
    {NULL, NULL},
};
