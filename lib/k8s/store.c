/* The informer's cache: objects by "namespace/name", and the diff of a fresh LIST against it.
 *
 * A jansson object is the hash table. Cached objects are never modified, so handlers and readers can hold
 * references to them while the cache moves on. Not locked: the informer serialises access. */
#include "k8s_internal.h"

#include <stdlib.h>
#include <string.h>

struct k8s_store {
    json_t *objects; /* key -> object */
};

k8s_store *k8s_store_new(void)
{
    k8s_store *s = calloc(1, sizeof(*s));
    if (s && !(s->objects = json_object())) {
        free(s);
        s = NULL;
    }
    return s;
}

void k8s_store_free(k8s_store *s)
{
    if (!s)
        return;
    json_decref(s->objects);
    free(s);
}

size_t k8s_store_count(const k8s_store *s)
{
    return json_object_size(s->objects);
}

json_t *k8s_store_get(const k8s_store *s, const char *key)
{
    return json_incref(json_object_get(s->objects, key));
}

json_t *k8s_store_list(const k8s_store *s)
{
    json_t *all = json_array();
    const char *key;
    json_t *obj;
    json_object_foreach(s->objects, key, obj) {
        json_array_append(all, obj);
    }
    return all;
}

static bool same_version(const json_t *a, const json_t *b)
{
    const char *ra = kuryr_k8s_obj_resource_version(a), *rb = kuryr_k8s_obj_resource_version(b);
    return ra && rb && strcmp(ra, rb) == 0;
}

int k8s_store_apply(k8s_store *s, kuryr_k8s_event_type type, json_t *obj, k8s_change_fn fn, void *ud)
{
    if (type != KURYR_K8S_ADDED && type != KURYR_K8S_MODIFIED && type != KURYR_K8S_DELETED)
        return 0;
    char *key = kuryr_k8s_obj_key(obj);
    if (!key)
        return -1;
    json_t *old = json_incref(json_object_get(s->objects, key));
    int changed = 0;
    if (type == KURYR_K8S_DELETED) {
        if (old) {
            json_object_del(s->objects, key);
            if (fn)
                fn(old, NULL, ud);
            changed = 1;
        }
    } else if (!old || !same_version(old, obj)) {
        json_object_set(s->objects, key, obj);
        if (fn)
            fn(old, obj, ud);
        changed = 1;
    }
    json_decref(old);
    free(key);
    return changed;
}

long k8s_store_replace(k8s_store *s, json_t *items, k8s_change_fn fn, void *ud)
{
    json_t *fresh = json_object();
    json_t *adds_updates = json_array(); /* [old-or-null, new] pairs in list order */
    if (!fresh || !adds_updates)
        goto fail;
    size_t i;
    json_t *obj;
    json_array_foreach(items, i, obj) {
        char *key = kuryr_k8s_obj_key(obj);
        if (!key)
            goto fail;
        json_t *old = json_object_get(s->objects, key);
        json_object_set(fresh, key, obj);
        free(key);
        if (!old || !same_version(old, obj))
            json_array_append_new(adds_updates, json_pack("[OO]", old ? old : json_null(), obj));
    }
    json_t *gone = json_array();
    const char *key;
    json_t *old;
    json_object_foreach(s->objects, key, old) {
        if (!json_object_get(fresh, key))
            json_array_append(gone, old);
    }
    /* The cache holds the new state before any handler runs, as for single events. */
    json_t *previous = s->objects;
    s->objects = fresh;
    long changes = (long)(json_array_size(adds_updates) + json_array_size(gone));
    json_t *pair;
    json_array_foreach(adds_updates, i, pair) {
        json_t *before = json_array_get(pair, 0);
        if (fn)
            fn(json_is_null(before) ? NULL : before, json_array_get(pair, 1), ud);
    }
    json_array_foreach(gone, i, old) {
        if (fn)
            fn(old, NULL, ud);
    }
    json_decref(gone);
    json_decref(adds_updates);
    json_decref(previous);
    return changes;
fail:
    json_decref(fresh);
    json_decref(adds_updates);
    return -1;
}
