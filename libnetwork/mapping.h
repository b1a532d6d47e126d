/* Docker↔Neutron mapping: finding kuryr's Neutron objects by their tags (or, without the tag extension, by
 * upstream's names), plus the in-memory caches that spare repeated lookups. */
#ifndef KL_MAPPING_H
#define KL_MAPPING_H

#include <jansson.h>
#include <stdbool.h>

#include "plugin.h"

/* Whether Neutron has the tag extension; asked once, retried while Neutron is unreachable. */
int kl_tags_supported(kl_plugin *p, bool *out, kuryr_error *err);

/* The Neutron network of a Docker network: cache first, then Neutron. NOT_FOUND when absent. */
int kl_net_lookup(kl_plugin *p, const char *docker_id, kl_net_map *out, kuryr_error *err);
void kl_net_cache_put(kl_plugin *p, const kl_net_map *m);
void kl_net_cache_drop(kl_plugin *p, const char *docker_id);

/* RequestPool results, consulted by RequestAddress and CreateNetwork. */
/* Remembers info unless a pool with the same Docker id, or the same Neutron pool and subnet CIDR, is already
 * remembered (then returns false): the check and insert are atomic, so concurrent carvings differ. */
bool kl_pool_remember(kl_plugin *p, const kl_pool_info *info);
bool kl_pool_by_docker_id(kl_plugin *p, const char *docker_pool_id, kl_pool_info *out);
/* An unclaimed pool for Docker's Pool CIDR (v4 or v6), claimed for network docker_id; a pool this network
 * already claimed is returned again, so a retried CreateNetwork finds it. */
bool kl_pool_claim(kl_plugin *p, const char *pool_cidr, const char *docker_id, kl_pool_info *out);
void kl_pool_unclaim(kl_plugin *p, const char *docker_id);
void kl_pool_forget(kl_plugin *p, const char *docker_pool_id);
/* True if some remembered pool of the shared pool pool_id reserved cidr (carved but not yet created). */
bool kl_pool_cidr_reserved(kl_plugin *p, const char *pool_id, const char *cidr);

/* Subnet cache (see kl_subnet_map). get returns a new reference or NULL. */
json_t *kl_subnet_cache_get(kl_plugin *p, const char *docker_pool_id);
void kl_subnet_cache_put(kl_plugin *p, const char *docker_pool_id, const char *net_id, json_t *subnet);
void kl_subnet_cache_drop_pool(kl_plugin *p, const char *docker_pool_id);
void kl_subnet_cache_drop_net(kl_plugin *p, const char *net_id);

/* A pool of our own made for a Docker --ip-range is named after the range; this tag records Docker's Pool, so
 * that both are known again after a restart: "kuryr.pool.cidr:<Docker's Pool>". */
#define KL_TAG_POOL_CIDR "kuryr.pool.cidr:"

/* What RequestPool decided for a bare PoolID (a pool of our own), rebuilt from Neutron when this process does
 * not remember it (it was restarted): the pool's prefix and its KL_TAG_POOL_CIDR tag. Remembered again, as
 * claimed when in_use (its network exists), so that no other network takes it. NOT_FOUND when the pool is
 * gone. (ipam_pool.c) */
int kl_pool_recall(kl_plugin *p, const char *pool_id, bool in_use, kl_pool_info *out, kuryr_error *err);
/* CreateNetwork after a restart: the pool RequestPool made or chose for Docker's Pool CIDR, found in Neutron
 * (a pool of ours named after it or tagged with it that no subnet uses yet, else the default pool holding
 * it), then remembered and claimed for docker_id. NOT_FOUND when there is none. (ipam_pool.c) */
int kl_pool_find_for_cidr(kl_plugin *p, const char *pool_cidr, int fam, const char *docker_id, kl_pool_info *out,
                          kuryr_error *err);

/* The name prefix of the subnetpools kuryr makes ([DEFAULT] subnetpool_name_prefix, default kuryrPool). */
const char *kl_pool_prefix(kl_plugin *p);
/* Deletes a subnetpool kuryr made (named <prefix>-..., not tagged kuryr.subnetpool.existing). One still
 * holding a subnet is left for DeleteNetwork, which Docker 20.10 calls after ReleasePool: success either way,
 * *deleted tells. A pool already gone is success too. */
int kl_pool_delete_if_ours(kl_plugin *p, const char *pool_id, bool *deleted, kuryr_error *err);

/* Rewrites err's message as "<what>: <message>", keeping its kind, so Docker shows what failed. */
int kl_err_wrap(kuryr_error *err, const char *what);

/* The subnets behind a pool: those made from it (subnetpool_id) or, when none is, existing subnets adopted for it
 * at CreateNetwork, which carry the pool id as a tag (as upstream). A pool id is unique, so the tag finds the
 * right subnet even when two adopted networks have the same CIDR. cidr ("" or NULL for any) narrows both
 * queries; fields (NULL-terminated, may be NULL) restrict the attributes returned. */
int kl_pool_subnets(kl_plugin *p, const char *pool_id, const char *cidr, const char *const *fields,
                    kuryr_subnet_list *out, kuryr_error *err);
/* Removes the pool-id tag from the existing subnets adopted for pool_id (the pool is going away); those
 * subnets themselves stay. */
int kl_pool_untag_subnets(kl_plugin *p, const char *pool_id, const char *cidr, kuryr_error *err);

/* The first port a query finds (NULL when none); takes q. Lookups filter down to one port, so the rest of a
 * longer answer is dropped. */
int kl_first_port(kl_plugin *p, kuryr_query *q, kuryr_port **out, kuryr_error *err);
/* Finds the port bound to a Docker endpoint (device_id = endpoint id) in a Neutron network. NOT_FOUND when
 * absent. */
/* Whether this host provably owns a port: Neutron bound it here, or (not yet bound) it carries this host's
 * marker, or it is a late create whose description marker names this host (doubt.h). */
bool kl_port_is_mine(const kl_plugin *p, const kuryr_port *port);
int kl_port_by_endpoint(kl_plugin *p, const char *net_id, const char *endpoint_id, kuryr_port **out,
                        kuryr_error *err);

/* Ports handed from one handler to the next of the same container, which Docker calls milliseconds apart:
 * RequestAddress's new port to CreateEndpoint (key kl_fresh_key_addr) and the bound port to Join
 * (kl_fresh_key_ep). Each saves the lookup that would fetch what the previous answer already said. An entry is
 * taken once; anything else (a retry, a restart, a port changed by someone else in between) falls back to
 * the Neutron lookup. At most KL_FRESH_PORTS_MAX entries are kept: an overflow forgets them all. */
#define KL_FRESH_PORTS_MAX 256
#define KL_FRESH_KEY_LEN 192
void kl_fresh_key_addr(char key[KL_FRESH_KEY_LEN], const char *net_id, const char *ip);
void kl_fresh_key_ep(char key[KL_FRESH_KEY_LEN], const char *endpoint_id);
/* A pool port taken for Docker's MAC: the endpoint's second address family finds it by that MAC, which
 * Neutron learns only at CreateEndpoint (vif_pool.h). */
void kl_fresh_key_mac(char key[KL_FRESH_KEY_LEN], const char *net_id, const char *mac);
/* Keeps a copy of port (its raw JSON), with tags, when given, replacing the ones in it. */
void kl_fresh_port_put(kl_plugin *p, const char *key, const kuryr_port *port, const char *const *tags,
                       size_t n_tags);
/* The port stored under key, removed from the cache; NULL when absent or when it is not in net_id. */
kuryr_port *kl_fresh_port_take(kl_plugin *p, const char *key, const char *net_id);
void kl_fresh_port_drop(kl_plugin *p, const char *key);
/* Forgets every entry of a port (its other addresses after a change to it). */
void kl_fresh_port_drop_id(kl_plugin *p, const char *port_id);

#endif
