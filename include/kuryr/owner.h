/* Ownership markers: which daemon made a Neutron object, so that clean-up on one host never touches another
 * host's objects (docs/architecture.md, "Ownership").
 *
 * A marker is "kuryr.<kind>:<name>" where kind is "host" (kuryr-libnetwork, and the Kubernetes CNI daemon for
 * per-node objects, with the node name), or "cluster" (the Kubernetes controller's cluster-wide objects).
 * Daemons put it in an object's tags (networks, subnets, subnetpools, IPAM ports), or where no tag can go in
 * the create request at no extra cost, in its description (exposed-ports security groups) or a link's ifalias
 * (host veths). An object may carry several host markers: a global-scope network each host uses. */
#ifndef KURYR_OWNER_H
#define KURYR_OWNER_H

#include <stdbool.h>
#include <stddef.h>

#include "kuryr/config.h"
#include "kuryr/neutron.h"

#define KURYR_OWNER_HOST "host"
#define KURYR_OWNER_CLUSTER "cluster"
#define KURYR_OWNER_PREFIX "kuryr."
/* Neutron before 2023.2 takes tags of at most 60 characters; newer ones 255. */
#define KURYR_OWNER_LEN 256

/* The name this host goes by in Neutron (binding:host_id and its host marker): [DEFAULT] host, or when that
 * is empty the kernel's host name (as upstream). Never empty: "localhost" when even that fails. */
void kuryr_owner_host(const kuryr_config *cfg, char out[KURYR_OWNER_LEN]);
/* "kuryr.<kind>:<name>" into out. */
void kuryr_owner_marker(char out[KURYR_OWNER_LEN], const char *kind, const char *name);
/* Whether s is exactly the marker of (kind, name). */
bool kuryr_owner_is(const char *s, const char *kind, const char *name);
/* Whether s is a marker of kind, any name. */
bool kuryr_owner_is_kind(const char *s, const char *kind);
/* Whether tags hold the marker of (kind, name). */
bool kuryr_owner_tagged(const kuryr_strv *tags, const char *kind, const char *name);
/* The number of markers of kind in tags that name someone other than name. */
size_t kuryr_owner_others(const kuryr_strv *tags, const char *kind, const char *name);
/* Whether tags hold any marker of kind (an object some kuryr daemon of this release made or uses). */
bool kuryr_owner_any(const kuryr_strv *tags, const char *kind);

#endif
