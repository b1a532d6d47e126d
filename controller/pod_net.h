/* Where pods' ports go: upstream's [neutron_defaults] and [kubernetes] *_driver options, checked against
 * Neutron once at start, and the two conversions the kuryrport handler needs (pod -> port request,
 * port -> os-vif VIF). */
#ifndef KC_POD_NET_H
#define KC_POD_NET_H

#include <jansson.h>
#include <stdbool.h>

#include "kuryr/config.h"
#include "kuryr/k8s_vif.h"
#include "kuryr/neutron.h"
#include "kuryr/owner.h"

#define KC_DEVICE_OWNER "compute:kuryr"

typedef struct {
    char network_id[64], subnet_id[64], cidr[64], gateway[64];
    char project[64];       /* "" = the credentials' project */
    char ovs_bridge[16];
    unsigned mtu;           /* network_device_mtu, else the network's; 0 = unknown */
    size_t n_dns, n_routes;
    char dns[KURYR_VIF_MAX_DNS][64];
    struct { char dst[64], gw[64]; } routes[KURYR_VIF_MAX_ROUTES];
    kuryr_strv sgs;         /* pod_security_groups */
    kuryr_strv tags;        /* resource_tags + marker */
    char marker[KURYR_OWNER_LEN]; /* kuryr.cluster:<cluster_name> */
} kc_pod_net;

/* Reads and checks the options (drivers this build has, pod_subnet set, cluster_name usable), then asks
 * Neutron for the subnet, its network and each security group. 0, or -1 with err saying which option is wrong
 * (or that Neutron could not be asked). */
int kc_pod_net_load(const kuryr_config *cfg, kuryr_neutron *kn, kc_pod_net *out, kuryr_error *err);
void kc_pod_net_clear(kc_pod_net *net);

/* The port create body for a pod: network, fixed_ips on the subnet, device_owner compute:kuryr, device_id =
 * pod uid, binding:host_id = node, security groups, project, name "<namespace>/<pod>", the marker as
 * description, tags when with_tags. NULL when out of memory. */
json_t *kc_pod_port_body(const kc_pod_net *net, const char *namespace, const char *pod, const char *pod_uid,
                         const char *node, bool with_tags);

/* Whether a port carries this cluster's marker (tag or description). */
bool kc_pod_port_is_ours(const kc_pod_net *net, const kuryr_port *port);

/* The os-vif VIF of a bound port. -1 with err when Neutron could not bind it (binding_failed, unbound) or it
 * has no address on pod_subnet. */
int kc_pod_vif_from_port(const kc_pod_net *net, const kuryr_port *port, kuryr_k8s_vif *vif, kuryr_error *err);

#endif
