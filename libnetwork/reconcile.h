/* Reconciliation: finds Neutron objects and host tap devices that carry kuryr's markers but whose Docker
 * network or endpoint no longer exists, and removes them (or, with dry_run, only reports them).
 *
 * Markers (as upstream names and tags them, see names.h):
 *   - ports with device_owner "compute:kuryr" (or tag "compute:kuryr") whose name is "<EndpointID>-port" and
 *     whose EndpointID is not an endpoint of any Docker network; ports tagged kuryr.port.existing are only
 *     unbound (device_owner/device_id/binding cleared), never deleted;
 *   - security groups named "<port_id>-exposed_ports" whose port is gone or is itself an orphan;
 *   - networks named "kuryr-net-<id8>" tagged kuryr.net.uuid.lh/uh with a Docker network id that Docker does
 *     not know (their subnets go with them); networks adopted with kuryr.net.existing:<id12> only lose that
 *     tag and their kuryr subnets, never the network itself;
 *   - subnets named "kuryr-subnet-<cidr>" on such networks, and subnetpools named "<prefix>-<cidr>" (the
 *     configured [DEFAULT] default pool prefix) that no subnet uses any more and that no Docker network's
 *     IPAM config names;
 *   - host tap devices "tap<port_id[:11]>" whose port no longer exists or is an orphan.
 * Anything without these markers is never touched.
 *
 * Docker is asked over its API on [DEFAULT] docker_socket (default /run/docker.sock). */
#ifndef KL_RECONCILE_H
#define KL_RECONCILE_H

#include <jansson.h>
#include <stdbool.h>

#include "kuryr/error.h"
#include "plugin.h"

/* Runs one pass with the daemon's (or a CLI's) clients. Thread-safe against concurrent plugin requests in
 * the sense that it takes no plugin lock for Neutron calls; it drops the plugin's caches for what it removes.
 *
 * On success returns 0 and, when report is non-NULL, sets *report to a new object:
 *   {"dry_run": bool,
 *    "ports": [{"id","name","action"}], "security_groups": [...], "subnets": [...],
 *    "subnetpools": [...], "networks": [...], "taps": [{"name","action"}],
 *    "errors": [{"kind","id","message"}]}
 * where action is "deleted", "would delete", "untagged", "would untag", "unbound" or "would unbind".
 * A failure to remove one object is listed in "errors" and does not stop the pass (still returns 0).
 * Returns -1 with err set when Docker or Neutron cannot be listed at all (nothing is removed then: without
 * a complete picture of what Docker knows, nothing can be called an orphan). */
int kuryr_reconcile(kl_plugin *p, bool dry_run, json_t **report, kuryr_error *err);

/* Docker's view, separated for unit tests: the ids of every network kuryr's driver serves and of every
 * endpoint on them, read from GET /networks and GET /networks/<id> on the Docker socket. */
typedef struct {
    char **network_ids;   /* full 64-hex ids */
    size_t n_networks;
    char **endpoint_ids;  /* full 64-hex ids */
    size_t n_endpoints;
    char **pool_ids;      /* IPAM PoolIDs Docker's networks hold (IPAM.Config[].Options or the driver's) */
    size_t n_pools;
} kl_docker_view;

/* socket_path NULL = the configured one. Returns -1 with err set (KURYR_ERR_UNAVAILABLE when Docker does
 * not answer). */
int kl_docker_view_load(kl_plugin *p, const char *socket_path, kl_docker_view *out, kuryr_error *err);
void kl_docker_view_clear(kl_docker_view *v);

#endif
