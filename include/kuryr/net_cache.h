/* The Neutron network behind a daemon's own name for a network (a Docker network id; a Kubernetes namespace),
 * cached to save a lookup per request: the mapping is fixed for the network's life, so entries are only put
 * (when made or looked up) and dropped (when the network goes, or after a failure using it). Thread-safe: the
 * cache owns its lock. */
#ifndef KURYR_NET_CACHE_H
#define KURYR_NET_CACHE_H

#include <stdbool.h>

typedef struct {
    char net_id[64];
    int mtu;
    bool adopted;  /* an existing network the daemon was told to use: never deleted by it */
} kuryr_net_entry;

typedef struct kuryr_net_cache kuryr_net_cache;

/* NULL when out of memory. */
kuryr_net_cache *kuryr_net_cache_new(void);
void kuryr_net_cache_free(kuryr_net_cache *c);
/* Adds or replaces key's entry (an allocation failure only means a later lookup asks Neutron). */
void kuryr_net_cache_put(kuryr_net_cache *c, const char *key, const kuryr_net_entry *e);
/* Copies key's entry into out; false when absent. */
bool kuryr_net_cache_get(kuryr_net_cache *c, const char *key, kuryr_net_entry *out);
void kuryr_net_cache_drop(kuryr_net_cache *c, const char *key);

#endif
