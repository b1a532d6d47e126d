/* VIF binding: connects a Neutron port to a container's network namespace, over netlink (libnl-route-3).
 *
 * One API serves both callers:
 *  - Docker mode (kuryr_bind): create the container-side device (veth pair, macvlan, ipvlan or vlan) and plug
 *    the host side by vif_type; libnetwork then moves the device into the sandbox itself.
 *  - CNI mode (kuryr_bind_netns): the same, then move the device into a given netns, rename it, and set MAC,
 *    MTU, addresses and routes there (including the default route via the gateway).
 * Unbinding something already gone succeeds. A failure half way removes what was made. Interface names are
 * built by kuryr_ifname() and cannot exceed IFNAMSIZ - 1. */
#ifndef KURYR_BINDING_H
#define KURYR_BINDING_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kuryr/config.h"
#include "kuryr/error.h"
#include "kuryr/neutron.h"

#define KURYR_IFNAME_LEN 16 /* IFNAMSIZ */

/* prefix + id, cut to 14 characters: "tap" + 11 characters of the port id. */
void kuryr_ifname(char out[KURYR_IFNAME_LEN], const char *prefix, const char *id);

typedef enum { KURYR_DRIVER_VETH, KURYR_DRIVER_MACVLAN, KURYR_DRIVER_IPVLAN, KURYR_DRIVER_VLAN } kuryr_driver;

typedef struct {
    kuryr_driver default_driver;
    unsigned enabled_mask;       /* bit per kuryr_driver */
    const char *link_iface;      /* nested drivers; "" = the interface whose MAC is the VM port's */
    const char *bindir;          /* vif_type hook scripts, default /usr/libexec/kuryr */
    int hook_timeout_s;          /* a hook script still running after this long is killed; 0 = 60 */
    const char *ovs_bridge;      /* default "br-int" */
    const char *ovsdb_sock;      /* default /var/run/openvswitch/db.sock */
    const char *host_alias;      /* written as the host veth's ifalias (an owner marker); NULL = none */
} kuryr_binding_cfg;

/* Fills cfg from [binding] default_driver/enabled_drivers/link_iface and [DEFAULT] bindir. */
int kuryr_binding_cfg_from_config(const kuryr_config *cfg, kuryr_binding_cfg *out, kuryr_error *err);
/* The driver for a port: vnic_type "normal" uses default_driver; it must be enabled. */
int kuryr_binding_pick_driver(const kuryr_binding_cfg *cfg, const kuryr_port *port, kuryr_driver *out,
                              kuryr_error *err);

typedef struct {
    char host_ifname[KURYR_IFNAME_LEN];      /* tap<port[:11]> (veth); empty for nested drivers */
    char container_ifname[KURYR_IFNAME_LEN]; /* t_c<port[:11]> before the move */
} kuryr_bind_result;

/* What a bind needs besides the port: the network's MTU (0 = 1500), the owner id written into OVS
 * external_ids vm-uuid and passed to hooks (Docker endpoint id or pod uid). For nested drivers, the VM's
 * own Neutron port (the parent), which the driver updates (allowed address pairs or trunk subports) through
 * kn. */
typedef struct {
    const kuryr_port *port;
    int mtu;
    const char *owner_id;
    kuryr_neutron *kn;                 /* nested drivers only */
    const char *parent_port_id;        /* nested drivers only */
} kuryr_bind_request;

int kuryr_bind(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, kuryr_bind_result *out,
               kuryr_error *err);
int kuryr_unbind(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, kuryr_error *err);

/* CNI mode. Addresses as "10.0.0.5/24" or "fd00::5/64"; routes as destination CIDR + gateway. */
typedef struct {
    const char *netns_path;  /* /var/run/netns/x or /proc/<pid>/ns/net */
    const char *ifname;      /* CNI_IFNAME, e.g. eth0 */
    const char *const *addresses;
    size_t n_addresses;
    const char *gateway_v4, *gateway_v6; /* default routes; NULL = none */
    const kuryr_host_route *routes;
    size_t n_routes;
} kuryr_netns_config;

int kuryr_bind_netns(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req, const kuryr_netns_config *ns,
                     kuryr_bind_result *out, kuryr_error *err);
int kuryr_unbind_netns(const kuryr_binding_cfg *cfg, const kuryr_bind_request *req,
                       const kuryr_netns_config *ns, kuryr_error *err);

/* The MAC ("aa:bb:cc:dd:ee:ff") of link ifname in the netns at netns_path: 1 found, 0 no such link (or no such
 * netns), -1 error. */
int kuryr_netns_link_mac(const char *netns_path, const char *ifname, char mac[18], kuryr_error *err);
/* Deletes link ifname in the netns at netns_path (a veth takes its peer along); already gone is success. */
int kuryr_netns_link_delete(const char *netns_path, const char *ifname, kuryr_error *err);

/* The container's interface as the kernel shows it (CNI CHECK, and ADD's refusal of an existing name). */
#define KURYR_NETNS_IFACE_MAX_ADDRS 8
typedef struct {
    char mac[18];        /* "aa:bb:cc:dd:ee:ff" */
    int mtu;
    size_t n_addresses;
    char addresses[KURYR_NETNS_IFACE_MAX_ADDRS][64]; /* "10.0.0.5/24" */
} kuryr_netns_iface;
/* 1 with out filled when ifname exists in the netns at netns_path, 0 when it does not, -1 with err
 * (KURYR_ERR_NOT_FOUND when the netns itself is gone). */
int kuryr_netns_iface_get(const char *netns_path, const char *ifname, kuryr_netns_iface *out, kuryr_error *err);

/* A host link whose ifalias (written by a bind through kuryr_binding_cfg.host_alias) is a record. */
typedef struct {
    char name[KURYR_IFNAME_LEN];
    char alias[256];
} kuryr_host_link;
/* The links of the calling thread's netns whose ifalias starts with prefix: a malloc'd array (free it). */
int kuryr_host_links_by_alias(const char *prefix, kuryr_host_link **out, size_t *n, kuryr_error *err);

#endif
