/* A pod's VIF as the KuryrPort custom resource records it, shared by kuryr-k8s-controller (which writes it)
 * and kuryr-daemon (which plugs it).
 *
 * On the wire it is the os-vif object primitive upstream kuryr-kubernetes stored in status.vifs:
 *   {"versioned_object.name": "VIFBridge" | "VIFOpenVSwitch", "versioned_object.namespace": "os_vif",
 *    "versioned_object.version": "1.0", "versioned_object.data": {id, address, plugin, active, vif_name,
 *    bridge_name, preserve_on_delete, has_traffic_filtering, [port_profile], network: <Network primitive:
 *    id, bridge, mtu, subnets: SubnetList{objects: [Subnet{cidr, gateway, dns, ips: FixedIPList{objects:
 *    [FixedIP{address}]}, routes: RouteList{objects: [Route{cidr, gateway}]}}]}>}}
 * so that upstream's daemon can read what our controller wrote, and ours what upstream's wrote. Two values
 * os-vif has no field for travel as extra keys, which oslo.versionedobjects ignores on reading: the port's
 * project ("project_id" in the VIF's data) and each subnet's Neutron id ("subnet_id" in the Subnet's data).
 *
 * Reading checks everything the daemon will hand to the kernel (addresses, prefixes, MAC, device names), so a
 * malformed or hostile KuryrPort is an error here, not a bad netlink request later. */
#ifndef KURYR_K8S_VIF_H
#define KURYR_K8S_VIF_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kuryr/error.h"
#include "kuryr/k8s_client.h"

/* The KuryrPort custom resource (openstack.org/v1 kuryrports) and upstream's names around it. */
extern const kuryr_k8s_resource kuryr_k8s_kuryrports;
#define KURYR_K8S_POD_FINALIZER "kuryr.openstack.org/pod-finalizer"
#define KURYR_K8S_KP_FINALIZER "kuryr.openstack.org/kuryrport-finalizer"
#define KURYR_K8S_NODE_LABEL "kuryr.openstack.org/nodeName"
#define KURYR_K8S_DEFAULT_IFNAME "eth0"

#define KURYR_VIF_MAX_IPS 4
#define KURYR_VIF_MAX_ROUTES 8
#define KURYR_VIF_MAX_DNS 4

typedef struct {
    char port_id[64], mac[32], network_id[64], project_id[64];
    unsigned mtu;                 /* 0 = unknown (1500) */
    char plugin[16];              /* os-vif plugin: "linux_bridge" | "ovs" | "noop" */
    char vif_name[16];            /* host-side device: "tap" + first 11 chars of the port id */
    char bridge_name[16];         /* "brq" + first 11 of the network id (linuxbridge) | [neutron_defaults] ovs_bridge */
    bool active;
    size_t n_ips;
    struct { char address[64]; char cidr[64]; char gateway[64]; char subnet_id[64]; } ips[KURYR_VIF_MAX_IPS];
    size_t n_routes;
    struct { char dst[64]; char gw[64]; } routes[KURYR_VIF_MAX_ROUTES];
    size_t n_dns;
    char dns[KURYR_VIF_MAX_DNS][64];
} kuryr_k8s_vif;

/* The os-vif primitive of vif: VIFOpenVSwitch for plugin "ovs", VIFBridge otherwise. Addresses are grouped
 * into one Subnet per CIDR; routes and DNS servers go into every subnet of their address family (os-vif keeps
 * them per subnet). A new reference, NULL when out of memory. */
json_t *kuryr_k8s_vif_to_json(const kuryr_k8s_vif *vif);

/* Reads an os-vif VIFBridge or VIFOpenVSwitch primitive, whoever wrote it. Missing optional fields take
 * os-vif's defaults (active true, plugin by type, bridge_name from network.bridge for VIFOpenVSwitch).
 * 0, or -1 with err (KURYR_ERR_BAD_REQUEST) naming the first thing wrong; out is then zeroed. */
int kuryr_k8s_vif_from_json(const json_t *primitive, kuryr_k8s_vif *out, kuryr_error *err);

/* The default VIF for ifname in a KuryrPort: 1 found, 0 not there yet, -1 malformed (err set).
 * ifname NULL = the entry marked "default": true. */
int kuryr_k8s_kuryrport_vif(const json_t *kuryrport, const char *ifname, kuryr_k8s_vif *out, kuryr_error *err);

#endif
