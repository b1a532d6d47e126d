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
 *     handler succeeded for the newest add;
 *   - a key can be scheduled for later ("run this key not before T", kuryr_workqueue_add_after): the earliest
 *     time asked for wins, and a handler may re-schedule its own key (a periodic sweep, a retry at a fixed
 *     delay);
 *   - a daemon that stops can first drain the queue (kuryr_workqueue_drain): wait, bounded, until no key is
 *     left at all, waiting or running, so that work promised to a client (a port delete) is done.
 * Every time is on the monotonic clock (kuryr/clock.h). This is libkuryr's one background-work primitive: the
 * port deletes, the port pool and the doubt sweeps of kuryr-libnetwork run on it, as the Kubernetes
 * controller's handlers do.
 * Keys are copied; the queue owns its threads and memory. All functions are thread-safe. */
#ifndef KURYR_WORKQUEUE_H
#define KURYR_WORKQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


typedef enum {
    KURYR_WORK_DONE = 0, /* handled; forget the key (unless it was added again meanwhile) */
    KURYR_WORK_RETRY,    /* failed for now; run it again after the backoff */
    KURYR_WORK_POLL,     /* nothing failed, but what it waits for (a port turning ACTIVE) is not there yet: run
                          * it again after the queue's poll interval, which does not grow as a backoff does
                          * (attempt keeps counting, so the handler can bound its polls) */
} kuryr_work_result;

/* Called on a worker thread. attempt is 1 on the first run after an add, 2.. on retries. */
typedef kuryr_work_result (*kuryr_work_fn)(const char *key, unsigned attempt, void *userdata);

typedef struct {
    unsigned workers;      /* keys handled in parallel; 0 means 2 */
    long backoff_initial_ms; /* first retry delay; 0 = 100 ms (jittered down to half, see kuryr/clock.h) */
    long backoff_max_ms;     /* retry delays double up to this; 0 = 30 s */
    long poll_interval_ms;   /* KURYR_WORK_POLL's delay; 0 = 1 s */
    const char *name;      /* for logs and thread names ("kp", "pods"); may be NULL */
} kuryr_workqueue_opts;

typedef struct {
    size_t queued;       /* keys waiting to run now */
    size_t backing_off;  /* keys waiting for a retry or a later time */
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
/* Schedules key to run not before delay_s seconds from now. A key already due sooner keeps its time (its
 * handler reads the current state anyway); one waiting for later (a delay or a backoff) is moved up; one
 * being handled runs once more afterwards, not before that time. delay_s <= 0 is kuryr_workqueue_add. */
int kuryr_workqueue_add_after(kuryr_workqueue *q, const char *key, double delay_s);
/* Blocks until nothing is queued or running (keys waiting for a later time do not count). For tests and
 * orderly hand-overs. */
void kuryr_workqueue_wait_idle(kuryr_workqueue *q);
/* The same, at most timeout_s seconds: false on timeout. */
bool kuryr_workqueue_wait_idle_for(kuryr_workqueue *q, double timeout_s);
/* Keys the queue holds: queued, running or waiting for a later time. */
size_t kuryr_workqueue_pending(kuryr_workqueue *q);
/* Waits at most timeout_s seconds until the queue holds no key at all (a key waiting for a retry counts),
 * then stops it (kuryr_workqueue_stop). Returns how many keys were left undone (0: drained). */
size_t kuryr_workqueue_drain(kuryr_workqueue *q, double timeout_s);
void kuryr_workqueue_get_stats(kuryr_workqueue *q, kuryr_workqueue_stats *out);
/* Stops taking work: running handlers finish, the threads exit, every key still queued or backing off is
 * forgotten (whoever takes over relists). Safe to call twice. */
void kuryr_workqueue_stop(kuryr_workqueue *q);
/* Stops (if needed) and frees. NULL is fine. */
void kuryr_workqueue_free(kuryr_workqueue *q);

#endif
