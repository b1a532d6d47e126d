/* The node's own port into the pod network (issue 20 item 4), so that kubelet's HTTP probes and hostNetwork
 * pods reach pod IPs.
 *
 * Upstream's devstack gave each node a Neutron port named "kubelet-<host>" on the pod network; Kuryr-C's
 * kuryr-daemon makes it itself at start and removes it at stop. The port is a pod port in every respect
 * Neutron sees (device_owner compute:kuryr, bound to this host, the pods' security groups), named
 * "kubelet-<node>", its device_id the same, and marked as this node's with the owner marker
 * "kuryr.host:<node>" (kuryr/owner.h) in its description (set by the create itself, so a port Neutron made
 * after the answer was lost is still recognised) and in its tags.
 *
 * Its host side is plugged with libkuryr's binding like a pod's: a veth whose "tap<port[:11]>" end goes where
 * the port's vif_type says (brq<net> for linuxbridge, br-int for OVS/OVN), and whose other end stays in the
 * node's own network namespace as `ifname`, with the port's MAC, its address on the subnet's prefix (which
 * routes the pod subnet through it) and routes to any further CIDRs given. */
#ifndef KURYR_NODE_PORT_H
#define KURYR_NODE_PORT_H

#include <stdbool.h>

#include "kuryr/binding.h"
#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/neutron.h"

#define KURYR_NODE_PORT_PREFIX "kubelet-"

typedef struct {
    const char *node;                   /* Kubernetes node name: port name, device_id and owner marker */
    const char *host;                   /* binding:host_id: Neutron's name for this host (kuryr_owner_host) */
    const char *subnet_id;              /* the pod subnet; its network is the port's */
    const char *project_id;             /* NULL or "" = the credentials' project */
    const char *const *security_groups; /* NULL-terminated; NULL = Neutron's default group */
    const char *ifname;                 /* the node's end of the veth, 1..15 characters */
    const char *const *routes;          /* NULL-terminated further CIDRs reached through it; NULL = none */
    const char *netns_path;             /* the node's network namespace; NULL = this process's own */
    const kuryr_binding_cfg *binding;
    bool keep;                          /* [cni_daemon] node_port_keep: the daemon's stop leaves it in place */
} kuryr_node_port_cfg;

typedef struct {
    char port_id[64];
    char mac[32];
    char address[64]; /* CIDR, e.g. 10.240.0.3/22 */
    bool created;     /* this call created the Neutron port */
    bool plugged;     /* this call (re)made the devices */
} kuryr_node_port;

/* [cni_daemon] node_port, node_port_ifname, node_port_routes, node_port_keep: whether the daemon makes one
 * (false: *enabled false, nothing else read) and ifname, routes and keep into cfg (pointers into config, valid
 * while it lives). The daemon fills the rest, calls kuryr_node_port_ensure at start and, unless keep,
 * kuryr_node_port_remove at stop. */
int kuryr_node_port_cfg_from_config(const kuryr_config *config, bool *enabled, kuryr_node_port_cfg *cfg,
                                    kuryr_error *err);

/* Makes sure the node port exists and is plugged, reusing this node's port and devices when they are there
 * (a restart costs one port LIST and no change). Duplicates of this node's port (a create whose answer was
 * lost, then retried) are deleted. A port someone else named alike is left alone. A port created by this call
 * is deleted again if it cannot be plugged. */
int kuryr_node_port_ensure(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, kuryr_node_port *out,
                           kuryr_error *err);

/* Unplugs and deletes this node's port(s), and with no port left a device still named ifname; all already gone
 * is success. */
int kuryr_node_port_remove(kuryr_neutron *kn, const kuryr_node_port_cfg *cfg, kuryr_error *err);

#endif
