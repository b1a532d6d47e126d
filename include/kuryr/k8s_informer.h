/* LIST and WATCH, and the informer: a local cache of one kind of object kept current by a watch, with
 * handlers called on add, update and delete.
 *
 * How it stays correct (lib/k8s/list_watch.c, informer.c):
 * - a paged LIST (limit/continue) gives the full state and its resourceVersion; a WATCH from that version,
 *   with bookmarks, then gives every change after it; the watch's timeoutSeconds is jittered so that many
 *   clients do not reconnect in step;
 * - when the watch ends (timeout, apiserver restart, connection cut, or no byte for `stall_s`) it is started
 *   again from the last version seen, after a backoff with jitter; a 429 waits for its Retry-After;
 * - when that version is too old (410 Gone, as a status or as an ERROR event) the informer LISTs again and
 *   compares the list with its cache: what appeared is an add, what changed (another resourceVersion) an
 *   update, what vanished a delete with its last known state. So a handler sees each change once: nothing is
 *   missed across a gap, and nothing is delivered twice.
 * Handlers run on the informer's own thread, one at a time, in the order of the changes, after the cache was
 * updated. They must return quickly (hand the key to a work queue). The objects they get are borrowed and are
 * never modified: json_incref() one to keep it. */
#ifndef KURYR_K8S_INFORMER_H
#define KURYR_K8S_INFORMER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kuryr/error.h"
#include "kuryr/k8s_client.h"

typedef enum {
    KURYR_K8S_ADDED,
    KURYR_K8S_MODIFIED,
    KURYR_K8S_DELETED,
    KURYR_K8S_BOOKMARK,
    KURYR_K8S_ERROR,
} kuryr_k8s_event_type;

/* "ADDED", "MODIFIED", ... */
const char *kuryr_k8s_event_type_name(kuryr_k8s_event_type type);

/* What to list and watch, and how. Strings are copied by whoever takes the struct. */
typedef struct {
    const kuryr_k8s_resource *resource;
    const char *namespace;       /* NULL = all namespaces */
    const char *label_selector;  /* NULL = none, e.g. "kuryr.openstack.org/nodeName=node-1" */
    const char *field_selector;  /* NULL = none, e.g. "spec.nodeName=node-1" */
    unsigned page_size;          /* LIST limit; 0 = 500 */
    unsigned watch_timeout_s;    /* WATCH timeoutSeconds before jitter (1x to 2x); 0 = 300 */
    unsigned stall_s;            /* a watch silent this long (no event, no bookmark) is cut; 0 = 90 */
    long backoff_initial_ms;     /* reconnect backoff; 0 = 500 ms */
    long backoff_max_ms;         /* 0 = 30 s */
} kuryr_k8s_watch_opts;

/* One paged LIST of everything matching opts (resource, namespace, selectors, page_size). *items gets a new
 * array of the objects, *resource_version (malloc'd) the list's version, to watch from. A 410 in the middle of
 * paging (the continue token expired) restarts the list from the beginning. */
int kuryr_k8s_list(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *opts, json_t **items, char **resource_version,
                   kuryr_error *err);

typedef struct {
    void (*on_add)(const json_t *obj, void *ud);
    void (*on_update)(const json_t *old_obj, const json_t *new_obj, void *ud);
    void (*on_delete)(const json_t *last, void *ud);  /* the last state the informer knew */
    void (*on_synced)(void *ud);  /* once, after the first LIST was delivered as adds */
    void *ud;
} kuryr_k8s_handlers;

typedef struct {
    unsigned long lists;        /* LISTs done: the first one plus relists */
    unsigned long relists_gone; /* relists because the watch version had expired (410) */
    unsigned long watches;      /* WATCH requests started */
    unsigned long restarts;     /* watches that ended by error, disconnection or stall (not by timeout) */
    unsigned long stalls;       /* of which cut for silence */
    unsigned long throttled;    /* 429 answers */
    unsigned long events;       /* handler calls (adds, updates, deletes) */
    size_t objects;             /* objects in the cache */
    bool synced;
} kuryr_k8s_informer_stats;

typedef struct kuryr_k8s_informer kuryr_k8s_informer;

/* Makes an informer (nothing runs yet). The client must outlive it. handlers may have NULL members. */
kuryr_k8s_informer *kuryr_k8s_informer_new(kuryr_k8s_client *c, const kuryr_k8s_watch_opts *opts,
                                           const kuryr_k8s_handlers *handlers, kuryr_error *err);
/* Starts its thread: LIST, deliver adds, on_synced, then watch until stopped. */
int kuryr_k8s_informer_start(kuryr_k8s_informer *inf, kuryr_error *err);
/* Waits until the first LIST was delivered, up to timeout_s (< 0 = forever); true when synced. */
bool kuryr_k8s_informer_wait_synced(kuryr_k8s_informer *inf, double timeout_s);
bool kuryr_k8s_informer_synced(kuryr_k8s_informer *inf);
/* A copy of the cached object with this key ("namespace/name", or "name" if cluster-scoped), or NULL.
 * Thread-safe. A copy, so that no two threads ever share one jansson reference count (its decrement has no
 * acquire ordering before the free). */
json_t *kuryr_k8s_informer_get(kuryr_k8s_informer *inf, const char *key);
/* A snapshot of the whole cache: a new array of copies of the cached objects. */
json_t *kuryr_k8s_informer_list(kuryr_k8s_informer *inf);
void kuryr_k8s_informer_get_stats(kuryr_k8s_informer *inf, kuryr_k8s_informer_stats *out);
/* Stops the thread (an open watch is cut within about a second) and waits for it. Handlers are not called
 * after it returns. Safe to call twice, or on an informer never started. */
void kuryr_k8s_informer_stop(kuryr_k8s_informer *inf);
/* Stops it if running, frees the cache. NULL is fine. */
void kuryr_k8s_informer_free(kuryr_k8s_informer *inf);

#endif
