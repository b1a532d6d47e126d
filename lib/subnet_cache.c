/* Subnet cache (see kuryr/subnet_cache.h). */
#include "kuryr/subnet_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/grow.h"

typedef struct {
    char *key;
    char *net_id;
    json_t *subnet;
} slot;

struct kuryr_subnet_cache {
    pthread_mutex_t lock; /* guards the array */
    slot *items;
    size_t n, cap;
};

kuryr_subnet_cache *kuryr_subnet_cache_new(void)
{
    kuryr_subnet_cache *c = calloc(1, sizeof(*c));
    if (c)
        pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void slot_free(slot *s)
{
    free(s->key);
    free(s->net_id);
    json_decref(s->subnet);
}

void kuryr_subnet_cache_free(kuryr_subnet_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        slot_free(&c->items[i]);
    free(c->items);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

json_t *kuryr_subnet_cache_get(kuryr_subnet_cache *c, const char *key)
{
    json_t *hit = NULL;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n && !hit; i++) {
        if (strcmp(c->items[i].key, key) == 0)
            hit = json_deep_copy(c->items[i].subnet);
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

static void drop_where(kuryr_subnet_cache *c, bool by_key, const char *value)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n;) {
        if (strcmp(by_key ? c->items[i].key : c->items[i].net_id, value) == 0) {
            slot_free(&c->items[i]);
            c->items[i] = c->items[--c->n];
        } else {
            i++;
        }
    }
    pthread_mutex_unlock(&c->lock);
}

void kuryr_subnet_cache_drop(kuryr_subnet_cache *c, const char *key)
{
    drop_where(c, true, key);
}

void kuryr_subnet_cache_drop_net(kuryr_subnet_cache *c, const char *net_id)
{
    drop_where(c, false, net_id);
}

void kuryr_subnet_cache_put(kuryr_subnet_cache *c, const char *key, const char *net_id, json_t *subnet)
{
    slot s = {strdup(key), strdup(net_id), json_deep_copy(subnet)};
    if (!s.key || !s.net_id || !s.subnet) {
        slot_free(&s);
        return;
    }
    kuryr_subnet_cache_drop(c, key);
    pthread_mutex_lock(&c->lock);
    slot *grown = kuryr_grow(c->items, c->n, &c->cap, sizeof(*grown));
    if (grown) {
        c->items = grown;
        c->items[c->n++] = s;
    }
    pthread_mutex_unlock(&c->lock);
    if (!grown)
        slot_free(&s);
}
