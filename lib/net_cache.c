/* Network mapping cache (see kuryr/net_cache.h). A few dozen networks per host: a linear scan is enough. */
#include "kuryr/net_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/grow.h"

typedef struct {
    char *key;
    kuryr_net_entry e;
} slot;

struct kuryr_net_cache {
    pthread_mutex_t lock; /* guards the array */
    slot *items;
    size_t n, cap;
};

kuryr_net_cache *kuryr_net_cache_new(void)
{
    kuryr_net_cache *c = calloc(1, sizeof(*c));
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

void kuryr_net_cache_free(kuryr_net_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i].key);
    free(c->items);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* Called with the lock held. */
static slot *find(kuryr_net_cache *c, const char *key)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->items[i].key, key) == 0)
            return &c->items[i];
    }
    return NULL;
}

void kuryr_net_cache_put(kuryr_net_cache *c, const char *key, const kuryr_net_entry *e)
{
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, key);
    if (!s) {
        char *k = strdup(key);
        slot *grown = k ? kuryr_grow(c->items, c->n, &c->cap, sizeof(*grown)) : NULL;
        if (grown) {
            c->items = grown;
            s = &c->items[c->n++];
            s->key = k;
        } else {
            free(k);
        }
    }
    if (s)
        s->e = *e;
    pthread_mutex_unlock(&c->lock);
}

bool kuryr_net_cache_get(kuryr_net_cache *c, const char *key, kuryr_net_entry *out)
{
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, key);
    if (s)
        *out = s->e;
    pthread_mutex_unlock(&c->lock);
    return s != NULL;
}

void kuryr_net_cache_drop(kuryr_net_cache *c, const char *key)
{
    pthread_mutex_lock(&c->lock);
    slot *s = find(c, key);
    if (s) {
        free(s->key);
        *s = c->items[--c->n];
    }
    pthread_mutex_unlock(&c->lock);
}
