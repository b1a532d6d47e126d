/* Endpoints known to have no exposed-ports group (see plugin.h, kl_unexposed_*): a module of its own, with its
 * own lock. */
#include "unexposed.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/grow.h"
#include "plugin.h"

struct kl_unexposed {
    pthread_mutex_t lock; /* guards the array */
    char (*items)[65];
    size_t n, cap;
};

kl_unexposed *kl_unexposed_new(void)
{
    kl_unexposed *u = calloc(1, sizeof(*u));
    if (u)
        pthread_mutex_init(&u->lock, NULL);
    return u;
}

void kl_unexposed_free(kl_unexposed *u)
{
    if (!u)
        return;
    free(u->items);
    pthread_mutex_destroy(&u->lock);
    free(u);
}

void kl_unexposed_add(kl_plugin *p, const char *endpoint_id)
{
    kl_unexposed *u = p->unexposed;
    if (strlen(endpoint_id) != 64)
        return;
    kl_unexposed_take(p, endpoint_id); /* never listed twice */
    pthread_mutex_lock(&u->lock);
    char(*n)[65] = kuryr_grow(u->items, u->n, &u->cap, sizeof(*n));
    if (!n) {
        pthread_mutex_unlock(&u->lock);
        return;
    }
    u->items = n;
    memcpy(u->items[u->n++], endpoint_id, 65);
    pthread_mutex_unlock(&u->lock);
}

bool kl_unexposed_take(kl_plugin *p, const char *endpoint_id)
{
    kl_unexposed *u = p->unexposed;
    bool found = false;
    pthread_mutex_lock(&u->lock);
    for (size_t i = 0; i < u->n && !found; i++) {
        if (strcmp(u->items[i], endpoint_id) == 0) {
            memcpy(u->items[i], u->items[--u->n], 65);
            found = true;
        }
    }
    pthread_mutex_unlock(&u->lock);
    return found;
}

