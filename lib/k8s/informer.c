/* The informer: the LIST + WATCH loop (list_watch.c) on a thread of its own, feeding the cache (store.c), and
 * the handlers called with each change. See include/kuryr/k8s_informer.h.
 *
 * The cache changes under the lock; the handlers run after the lock is dropped (a handler may read the cache),
 * in the order the changes were made, always on the informer's thread. */
#include "k8s_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/clock.h"
#include "kuryr/log.h"

struct kuryr_k8s_informer {
    kuryr_k8s_client *c;
    kuryr_k8s_resource resource;
    kuryr_k8s_watch_opts opts;  /* its strings point into the copies below */
    char *group, *version, *plural, *namespace, *label_selector, *field_selector;
    kuryr_k8s_handlers h;
    k8s_store *store;
    json_t *pending;            /* changes made, not yet handed to handlers: [[old|null, new|null], ...] */
    k8s_reflector_stats rstats;
    pthread_mutex_t lock;       /* store, pending, flags, events */
    pthread_cond_t cond;        /* stop requested, synced */
    pthread_t thread;
    bool running, stopping, synced;
    unsigned long events;
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void free_copies(kuryr_k8s_informer *inf)
{
    free(inf->group);
    free(inf->version);
    free(inf->plural);
    free(inf->namespace);
    free(inf->label_selector);
    free(inf->field_selector);
}

kuryr_k8s_informer *kuryr_k8s_informer_new(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *opts,
                                           const kuryr_k8s_handlers *handlers, kuryr_error *err)
{
    if (!c || !opts || !opts->resource || !opts->resource->plural || !opts->resource->version) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "k8s informer without client or resource");
        return NULL;
    }
    kuryr_k8s_informer *inf = calloc(1, sizeof(*inf));
    if (!inf) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    inf->c = c;
    inf->opts = *opts;
    inf->group = strdup(opts->resource->group ? opts->resource->group : "");
    inf->version = strdup(opts->resource->version);
    inf->plural = strdup(opts->resource->plural);
    inf->namespace = dup_or_null(opts->namespace);
    inf->label_selector = dup_or_null(opts->label_selector);
    inf->field_selector = dup_or_null(opts->field_selector);
    inf->resource = (kuryr_k8s_resource){inf->group, inf->version, inf->plural, opts->resource->namespaced};
    inf->opts.resource = &inf->resource;
    inf->opts.namespace = inf->namespace;
    inf->opts.label_selector = inf->label_selector;
    inf->opts.field_selector = inf->field_selector;
    if (handlers)
        inf->h = *handlers;
    inf->store = k8s_store_new();
    inf->pending = json_array();
    bool ok = inf->group && inf->version && inf->plural && (!opts->namespace || inf->namespace) &&
              (!opts->label_selector || inf->label_selector) && (!opts->field_selector || inf->field_selector) &&
              inf->store && inf->pending && pthread_mutex_init(&inf->lock, NULL) == 0;
    if (!ok || kuryr_cond_init_mono(&inf->cond) != 0) {
        if (ok)
            pthread_mutex_destroy(&inf->lock);
        k8s_store_free(inf->store);
        json_decref(inf->pending);
        free_copies(inf);
        free(inf);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    return inf;
}

/* ---- from the loop ---- */

/* store.c's change callback: queue it (the lock is held). */
static void queue_change(const json_t *old_obj, const json_t *new_obj, void *ud)
{
    kuryr_k8s_informer *inf = ud;
    json_array_append_new(inf->pending, json_pack("[OO]", old_obj ? (json_t *)old_obj : json_null(),
                                                  new_obj ? (json_t *)new_obj : json_null()));
}

/* Hands the queued changes to the handlers, outside the lock. */
static void deliver(kuryr_k8s_informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    json_t *batch = inf->pending;
    inf->pending = json_array();
    inf->events += json_array_size(batch);
    pthread_mutex_unlock(&inf->lock);
    size_t i;
    json_t *change;
    json_array_foreach(batch, i, change) {
        json_t *old_obj = json_array_get(change, 0), *new_obj = json_array_get(change, 1);
        if (json_is_null(old_obj)) {
            if (inf->h.on_add)
                inf->h.on_add(new_obj, inf->h.ud);
        } else if (json_is_null(new_obj)) {
            if (inf->h.on_delete)
                inf->h.on_delete(old_obj, inf->h.ud);
        } else if (inf->h.on_update) {
            inf->h.on_update(old_obj, new_obj, inf->h.ud);
        }
    }
    json_decref(batch);
}

static void on_list(json_t *items, void *ud)
{
    kuryr_k8s_informer *inf = ud;
    pthread_mutex_lock(&inf->lock);
    long changes = k8s_store_replace(inf->store, items, queue_change, inf);
    bool first = !inf->synced;
    pthread_mutex_unlock(&inf->lock);
    if (changes < 0)
        KLOG_ERROR("k8s: %s LIST held an object without a name: ignored", inf->plural);
    else if (!first)
        KLOG_INFO("k8s: %s relisted: %ld changes since the watch broke", inf->plural, changes);
    deliver(inf);
    if (first) {
        pthread_mutex_lock(&inf->lock);
        inf->synced = true;
        pthread_cond_broadcast(&inf->cond);
        pthread_mutex_unlock(&inf->lock);
        if (inf->h.on_synced)
            inf->h.on_synced(inf->h.ud);
    }
}

static void on_event(kuryr_k8s_event_type type, json_t *obj, void *ud)
{
    kuryr_k8s_informer *inf = ud;
    pthread_mutex_lock(&inf->lock);
    int rc = k8s_store_apply(inf->store, type, obj, queue_change, inf);
    pthread_mutex_unlock(&inf->lock);
    if (rc < 0)
        KLOG_WARN("k8s: %s %s event for an object without a name: ignored", inf->plural,
                  kuryr_k8s_event_type_name(type));
    deliver(inf);
}

static bool pause_or_stop(long ms, void *ud)
{
    kuryr_k8s_informer *inf = ud;
    pthread_mutex_lock(&inf->lock);
    if (ms > 0 && !inf->stopping) {
        struct timespec until = kuryr_mono_deadline((double)ms / 1000.0);
        while (!inf->stopping && pthread_cond_timedwait(&inf->cond, &inf->lock, &until) != ETIMEDOUT) {
        }
    }
    bool go_on = !inf->stopping;
    pthread_mutex_unlock(&inf->lock);
    return go_on;
}

static void *run(void *arg)
{
    kuryr_k8s_informer *inf = arg;
    k8s_reflector_sink sink = {on_list, on_event, pause_or_stop, inf};
    k8s_reflector_run(inf->c, &inf->opts, &sink, &inf->rstats);
    return NULL;
}

/* ---- the caller's side ---- */

int kuryr_k8s_informer_start(kuryr_k8s_informer *inf, kuryr_error *err)
{
    if (!inf)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "no informer");
    if (inf->running)
        return 0;
    inf->stopping = false;
    if (pthread_create(&inf->thread, NULL, run, inf) != 0)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot start the %s informer thread", inf->plural);
    inf->running = true;
    return 0;
}

bool kuryr_k8s_informer_wait_synced(kuryr_k8s_informer *inf, double timeout_s)
{
    double deadline = kuryr_mono_s() + timeout_s;
    pthread_mutex_lock(&inf->lock);
    while (!inf->synced && !inf->stopping) {
        if (timeout_s < 0) {
            pthread_cond_wait(&inf->cond, &inf->lock);
            continue;
        }
        double left = deadline - kuryr_mono_s();
        if (left <= 0)
            break;
        struct timespec until = kuryr_mono_deadline(left);
        pthread_cond_timedwait(&inf->cond, &inf->lock, &until);
    }
    bool synced = inf->synced;
    pthread_mutex_unlock(&inf->lock);
    return synced;
}

bool kuryr_k8s_informer_synced(kuryr_k8s_informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    bool synced = inf->synced;
    pthread_mutex_unlock(&inf->lock);
    return synced;
}

/* Copies, not references: jansson's reference count is released without an acquire before the free, so two
 * threads dropping references to one object race (ThreadSanitizer reports it). A copy made under the lock is
 * the caller's alone. */
json_t *kuryr_k8s_informer_get(kuryr_k8s_informer *inf, const char *key)
{
    pthread_mutex_lock(&inf->lock);
    json_t *cached = k8s_store_get(inf->store, key);
    json_t *obj = cached ? json_deep_copy(cached) : NULL;
    json_decref(cached);
    pthread_mutex_unlock(&inf->lock);
    return obj;
}

json_t *kuryr_k8s_informer_list(kuryr_k8s_informer *inf)
{
    pthread_mutex_lock(&inf->lock);
    json_t *cached = k8s_store_list(inf->store);
    json_t *all = json_deep_copy(cached);
    json_decref(cached);
    pthread_mutex_unlock(&inf->lock);
    return all;
}

void kuryr_k8s_informer_get_stats(kuryr_k8s_informer *inf, kuryr_k8s_informer_stats *out)
{
    pthread_mutex_lock(&inf->lock);
    *out = (kuryr_k8s_informer_stats){
        .lists = atomic_load(&inf->rstats.lists),
        .relists_gone = atomic_load(&inf->rstats.relists_gone),
        .watches = atomic_load(&inf->rstats.watches),
        .restarts = atomic_load(&inf->rstats.restarts),
        .stalls = atomic_load(&inf->rstats.stalls),
        .throttled = atomic_load(&inf->rstats.throttled),
        .events = inf->events,
        .objects = k8s_store_count(inf->store),
        .synced = inf->synced,
    };
    pthread_mutex_unlock(&inf->lock);
}

void kuryr_k8s_informer_stop(kuryr_k8s_informer *inf)
{
    if (!inf || !inf->running)
        return;
    pthread_mutex_lock(&inf->lock);
    inf->stopping = true;
    pthread_cond_broadcast(&inf->cond);
    pthread_mutex_unlock(&inf->lock);
    pthread_join(inf->thread, NULL);
    inf->running = false;
}

void kuryr_k8s_informer_free(kuryr_k8s_informer *inf)
{
    if (!inf)
        return;
    kuryr_k8s_informer_stop(inf);
    pthread_cond_destroy(&inf->cond);
    pthread_mutex_destroy(&inf->lock);
    k8s_store_free(inf->store);
    json_decref(inf->pending);
    free_copies(inf);
    free(inf);
}
