/* Per-thread curl easy handles, one per (thread, client).
 *
 * An easy handle keeps its own connection cache, so giving each thread its own handle lets keep-alive
 * connections be reused without any lock on the request path. A CURLSH shared connection cache was not used:
 * it would need lock callbacks around every transfer, which is the contention this design avoids, and the
 * daemon only ever talks to one or two hosts.
 *
 * A slot is referenced from two lists: the owning thread's (walked only by that thread) and the client's
 * (guarded by slots_lock). Whoever goes first, the thread exiting or the client being freed, cleans the curl
 * handle; the slot itself is always freed by its thread, which learns through the atomic owner field that
 * the client is gone. */
#include "http_internal.h"

#include <pthread.h>
#include <stdlib.h>

struct kuryr_http_slot {
    CURL *easy;
    _Atomic(struct kuryr_http *) owner;  /* NULL once the client was freed */
    struct kuryr_http_slot *thread_next;
    struct kuryr_http_slot *client_next;  /* guarded by slots_lock */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static pthread_key_t thread_slots_key;
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local struct kuryr_http_slot *thread_slots;

static void unlink_from_client(struct kuryr_http *http, struct kuryr_http_slot *slot)
{
    for (struct kuryr_http_slot **pp = &http->slots; *pp; pp = &(*pp)->client_next) {
        if (*pp == slot) {
            *pp = slot->client_next;
            return;
        }
    }
}

/* Thread exit: the value passed is the thread's list head (kept in the key only to get this call). */
static void thread_exit(void *head)
{
    struct kuryr_http_slot *slot = head;
    while (slot) {
        struct kuryr_http_slot *next = slot->thread_next;
        pthread_mutex_lock(&slots_lock);
        struct kuryr_http *owner = atomic_load(&slot->owner);
        if (owner) {
            unlink_from_client(owner, slot);
            curl_easy_cleanup(slot->easy);
        }
        pthread_mutex_unlock(&slots_lock);
        free(slot);
        slot = next;
    }
    thread_slots = NULL;
}

static void global_init_once(void)
{
    /* curl_global_init is not thread-safe, hence the once. curl_global_cleanup is never called: other
     * threads may still hold handles at exit, and the process is ending anyway. */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    pthread_key_create(&thread_slots_key, thread_exit);
}

void kuryr_http_global_init(void)
{
    pthread_once(&global_once, global_init_once);
}

/* Drops the calling thread's slots whose client is gone (their handles were already cleaned). */
static void prune_dead_slots(void)
{
    struct kuryr_http_slot **pp = &thread_slots;
    while (*pp) {
        struct kuryr_http_slot *slot = *pp;
        if (atomic_load(&slot->owner) == NULL) {
            *pp = slot->thread_next;
            free(slot);
        } else {
            pp = &slot->thread_next;
        }
    }
    pthread_setspecific(thread_slots_key, thread_slots);
}

CURL *kuryr_http_thread_handle(struct kuryr_http *http)
{
    for (struct kuryr_http_slot *slot = thread_slots; slot; slot = slot->thread_next) {
        if (atomic_load(&slot->owner) == http)
            return slot->easy;
    }
    prune_dead_slots();
    struct kuryr_http_slot *slot = calloc(1, sizeof(*slot));
    if (!slot)
        return NULL;
    slot->easy = curl_easy_init();
    if (!slot->easy) {
        free(slot);
        return NULL;
    }
    atomic_store(&slot->owner, http);
    pthread_mutex_lock(&slots_lock);
    slot->client_next = http->slots;
    http->slots = slot;
    pthread_mutex_unlock(&slots_lock);
    slot->thread_next = thread_slots;
    thread_slots = slot;
    pthread_setspecific(thread_slots_key, thread_slots);
    return slot->easy;
}

void kuryr_http_release_handles(struct kuryr_http *http)
{
    pthread_mutex_lock(&slots_lock);
    struct kuryr_http_slot *slot = http->slots;
    while (slot) {
        struct kuryr_http_slot *next = slot->client_next;
        curl_easy_cleanup(slot->easy);
        slot->easy = NULL;
        /* Last touch: after this store the owning thread may free the slot. */
        atomic_store(&slot->owner, NULL);
        slot = next;
    }
    http->slots = NULL;
    pthread_mutex_unlock(&slots_lock);
    prune_dead_slots();
}
