/* What RequestPool decided, remembered until ReleasePool (see mapping.h, kl_pool_*): a module of its own, with
 * its own lock, so that pool decisions never wait behind the other caches. */
#include "pool_memory.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/grow.h"
#include "mapping.h"

struct kl_pool_memory {
    pthread_mutex_t lock; /* guards the array */
    kl_pool_info *items;
    size_t n, cap;
};

kl_pool_memory *kl_pool_memory_new(void)
{
    kl_pool_memory *m = calloc(1, sizeof(*m));
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void kl_pool_memory_free(kl_pool_memory *m)
{
    if (!m)
        return;
    free(m->items);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---- RequestPool memory ------------------------------------------------------------------------------------------- */

bool kl_pool_remember(kl_plugin *p, const kl_pool_info *info)
{
    kl_pool_memory *m = p->pools;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++) {
        const kl_pool_info *it = &m->items[i];
        if (strcmp(it->docker_pool_id, info->docker_pool_id) == 0 ||
            (strcmp(it->pool_id, info->pool_id) == 0 && strcmp(it->subnet_cidr, info->subnet_cidr) == 0)) {
            pthread_mutex_unlock(&m->lock);
            return false;
        }
    }
    kl_pool_info *n = kuryr_grow(m->items, m->n, &m->cap, sizeof(*n));
    if (!n) {
        pthread_mutex_unlock(&m->lock);
        return true; /* not remembered, but nothing conflicts either */
    }
    m->items = n;
    m->items[m->n++] = *info;
    pthread_mutex_unlock(&m->lock);
    return true;
}

bool kl_pool_by_docker_id(kl_plugin *p, const char *docker_pool_id, kl_pool_info *out)
{
    kl_pool_memory *m = p->pools;
    bool found = false;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n && !found; i++) {
        if (strcmp(m->items[i].docker_pool_id, docker_pool_id) == 0) {
            *out = m->items[i];
            found = true;
        }
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

bool kl_pool_claim(kl_plugin *p, const char *pool_cidr, const char *docker_id, kl_pool_info *out)
{
    kl_pool_memory *m = p->pools;
    kl_pool_info *pick = NULL;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++) {
        kl_pool_info *it = &m->items[i];
        if (strcmp(it->pool_cidr, pool_cidr) != 0)
            continue;
        if (strcmp(it->claimed_by, docker_id) == 0) {
            pick = it;
            break;
        }
        /* the newest unclaimed one: RequestPool for this network came last */
        if (!it->claimed_by[0])
            pick = it;
    }
    if (pick) {
        snprintf(pick->claimed_by, sizeof(pick->claimed_by), "%s", docker_id);
        *out = *pick;
    }
    pthread_mutex_unlock(&m->lock);
    return pick != NULL;
}

void kl_pool_unclaim(kl_plugin *p, const char *docker_id)
{
    kl_pool_memory *m = p->pools;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->items[i].claimed_by, docker_id) == 0)
            m->items[i].claimed_by[0] = '\0';
    }
    pthread_mutex_unlock(&m->lock);
}

void kl_pool_forget(kl_plugin *p, const char *docker_pool_id)
{
    kl_pool_memory *m = p->pools;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n; i++) {
        if (strcmp(m->items[i].docker_pool_id, docker_pool_id) == 0) {
            m->items[i] = m->items[--m->n];
            break;
        }
    }
    pthread_mutex_unlock(&m->lock);
}

bool kl_pool_cidr_reserved(kl_plugin *p, const char *pool_id, const char *cidr)
{
    kl_pool_memory *m = p->pools;
    bool found = false;
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->n && !found; i++) {
        found = strcmp(m->items[i].pool_id, pool_id) == 0 && strcmp(m->items[i].subnet_cidr, cidr) == 0;
    }
    pthread_mutex_unlock(&m->lock);
    return found;
}

