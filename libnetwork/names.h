/* Neutron names and tags kuryr-libnetwork uses, kept identical to upstream so that the Python daemon and this
 * one can manage each other's networks. */
#ifndef KL_NAMES_H
#define KL_NAMES_H

#include <stdbool.h>
#include <stddef.h>

#define KL_NET_NAME_PREFIX "kuryr-net-"
#define KL_SUBNET_NAME_PREFIX "kuryr-subnet-"
#define KL_TAG_LH "kuryr.net.uuid.lh:"
#define KL_TAG_UH "kuryr.net.uuid.uh:"
#define KL_TAG_NET_EXISTING "kuryr.net.existing:"
#define KL_TAG_POOL_EXISTING "kuryr.subnetpool.existing"
#define KL_TAG_PORT_EXISTING "kuryr.port.existing"
#define KL_DEVICE_OWNER "compute:kuryr"
#define KL_TAG_PORT_KURYR KL_DEVICE_OWNER
#define KL_UNBOUND_PORT_NAME "kuryr-unbound-port"
#define KL_GATEWAY_REQUEST "com.docker.network.gateway"
#define KL_OPT_GENERIC "com.docker.network.generic"
#define KL_OPT_MAC "com.docker.network.endpoint.macaddress"
#define KL_OPT_EXPOSED "com.docker.network.endpoint.exposedports"

#define KL_NAME_LEN 192

/* kuryr-net-<id[:8]> */
void kl_net_name(char out[KL_NAME_LEN], const char *docker_id);
/* kuryr.net.uuid.lh:<id[0:32]> and kuryr.net.uuid.uh:<id[32:64]>; the same pair tags endpoints' ports. */
void kl_tag_lh(char out[KL_NAME_LEN], const char *docker_id);
void kl_tag_uh(char out[KL_NAME_LEN], const char *docker_id);
/* kuryr.net.existing:<id[:12]> */
void kl_tag_net_existing(char out[KL_NAME_LEN], const char *docker_id);
/* kuryr-subnet-<cidr> */
void kl_subnet_name(char out[KL_NAME_LEN], const char *cidr);
/* <prefix>-<cidr>, e.g. kuryrPool-10.0.0.0/24 */
void kl_pool_name(char out[KL_NAME_LEN], const char *prefix, const char *cidr);
/* <EndpointID>-port */
void kl_endpoint_port_name(char out[KL_NAME_LEN], const char *endpoint_id);
/* <port_id>-exposed_ports */
void kl_sg_name(char out[KL_NAME_LEN], const char *port_id);

/* Docker's PoolID. A pool kuryr owns is used by one network, so its id alone names it (as upstream). A /24
 * carved from a shared default pool also needs its CIDR: "<pool id>@<cidr>". */
void kl_pool_id_format(char out[KL_NAME_LEN], const char *pool_id, const char *cidr);
/* An existing subnet chosen with --ipam-opt neutron.subnet.uuid/name has no pool of ours:
 * "subnet:<subnet id>@<cidr>". */
#define KL_POOL_ID_SUBNET "subnet:"
/* Splits a PoolID; cidr is "" when absent; *is_subnet (may be NULL) tells the subnet form. Returns -1 for a
 * malformed id. */
int kl_pool_id_parse(const char *s, char pool_id[KL_NAME_LEN], char cidr[KL_NAME_LEN], bool *is_subnet);

#endif
