/* The Neutron subnet behind a daemon's own name for an address pool (Docker's PoolID; a namespace's subnet),
 * cached to save a lookup on each address request and release: fixed for the network's life. Entries are
 * dropped with the pool or the network, or after any failure using them. Thread-safe: the cache owns its lock.
 *
 * The cache keeps and hands out copies: request threads never share a json_t, since jansson's inline
 * json_incref/json_decref read the count without the atomic they write it with (ThreadSanitizer flags it),
 * and a shared object would be one stray setter away from a real race. Subnets are small. */
#ifndef KURYR_SUBNET_CACHE_H
#define KURYR_SUBNET_CACHE_H

#include <jansson.h>

typedef struct kuryr_subnet_cache kuryr_subnet_cache;

/* NULL when out of memory. */
kuryr_subnet_cache *kuryr_subnet_cache_new(void);
void kuryr_subnet_cache_free(kuryr_subnet_cache *c);
/* A copy of key's subnet (the caller owns it), or NULL. */
json_t *kuryr_subnet_cache_get(kuryr_subnet_cache *c, const char *key);
/* Keeps a copy of subnet (of Neutron network net_id) under key, replacing any entry of key. */
void kuryr_subnet_cache_put(kuryr_subnet_cache *c, const char *key, const char *net_id, json_t *subnet);
/* Forgets key's entry; _net every entry of Neutron network net_id. */
void kuryr_subnet_cache_drop(kuryr_subnet_cache *c, const char *key);
void kuryr_subnet_cache_drop_net(kuryr_subnet_cache *c, const char *net_id);

#endif
