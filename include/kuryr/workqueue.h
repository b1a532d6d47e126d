/* A work queue of object keys: the scheduler between watches and the handlers that act on objects.
 *
 * Work is named by a key (e.g. "namespace/name"); the handler reads the object's current state itself, so an
 * event only has to say which key changed. That gives the rules:
 *   - one key is never handled by two threads at once (work per object is serial);
 *   - different keys run in parallel, on at most `workers` threads;
 *   - adding a key that is already waiting does nothing more (the handler will see the newest state anyway);
 *     adding one that is being handled makes it run once more afterwards, so no change is ever missed;
 *   - a handler that asks for a retry gets its key back after an exponential, jittered backoff; a new add of
 *     that key in the meantime runs it at once. Nothing is ever dropped: a key leaves the queue only when its
 *     handler succeeded for the newest add.
 * Keys are copied; the queue owns its threads and memory. All functions are thread-safe. */
#ifndef KURYR_WORKQUEUE_H
#define KURYR_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


typedef enum {
    KURYR_WORK_DONE = 0, /* handled; forget the key (unless it was added again meanwhile) */
    KURYR_WORK_RETRY,    /* failed for now; run it again after the backoff */
} kuryr_work_result;

/* Called on a worker thread. attempt is 1 on the first run after an add, 2.. on retries. */
typedef kuryr_work_result (*kuryr_work_fn)(const char *key, unsigned attempt, void *userdata);

typedef struct {
    unsigned workers;      /* keys handled in parallel; 0 means 2 */
    long backoff_initial_ms; /* first retry delay; 0 = 100 ms (jittered down to half, see kuryr/clock.h) */
    long backoff_max_ms;     /* retry delays double up to this; 0 = 30 s */
    const char *name;      /* for logs and thread names ("kp", "pods"); may be NULL */
} kuryr_workqueue_opts;

typedef struct {
    size_t queued;       /* keys waiting to run now */
    size_t backing_off;  /* keys waiting for a retry */
    size_t running;      /* keys being handled */
    uint64_t added;      /* calls of kuryr_workqueue_add */
    uint64_t coalesced;  /* adds that found the key already waiting or running */
    uint64_t handled;    /* handler runs */
    uint64_t retries;    /* handler runs that asked for a retry */
    double handler_seconds_total; /* summed handler run time */
} kuryr_workqueue_stats;

typedef struct kuryr_workqueue kuryr_workqueue;

/* Starts the worker threads. NULL when memory or threads run out. */
kuryr_workqueue *kuryr_workqueue_new(const kuryr_workqueue_opts *opts, kuryr_work_fn fn, void *userdata);
/* Schedules key. 0, or -1 when out of memory or the queue is stopping (the caller should treat it as lost
 * and log it: a later relist re-adds it). */
int kuryr_workqueue_add(kuryr_workqueue *q, const char *key);
/* Blocks until nothing is queued or running (keys backing off do not count). For tests and orderly
 * hand-overs. */
void kuryr_workqueue_wait_idle(kuryr_workqueue *q);
void kuryr_workqueue_get_stats(kuryr_workqueue *q, kuryr_workqueue_stats *out);
/* Stops taking work: running handlers finish, the threads exit, every key still queued or backing off is
 * forgotten (whoever takes over relists). Safe to call twice. */
void kuryr_workqueue_stop(kuryr_workqueue *q);
/* Stops (if needed) and frees. NULL is fine. */
void kuryr_workqueue_free(kuryr_workqueue *q);

#endif
