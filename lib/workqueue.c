/* The keyed work queue (see kuryr/workqueue.h).
 *
 * Every key the queue knows has one entry, found through a small chained hash table, and the entry is in
 * exactly one state: QUEUED (on the ready list), RUNNING (a worker has it; `again` and `again_due` record adds
 * meanwhile) or BACKING_OFF (on the backoff list until due_s: a retry, or an add for a later time). Workers
 * sleep on one condition variable, with a deadline at the earliest backoff expiry, so neither a retry nor a
 * delayed key needs a timer thread. */
#include "kuryr/workqueue.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/clock.h"
#include "kuryr/log.h"

#define DEFAULT_WORKERS 2
#define DEFAULT_BACKOFF_INITIAL_MS 100
#define DEFAULT_BACKOFF_MAX_MS 30000
#define DEFAULT_POLL_INTERVAL_MS 1000
#define MIN_BUCKETS 64

typedef enum { QUEUED, RUNNING, BACKING_OFF } entry_state;

typedef struct entry {
    char *key;
    entry_state state;
    bool again;        /* added while RUNNING: run once more */
    double again_due;  /* ... not before this time (kuryr_mono_s; 0 = at once) */
    unsigned attempt;  /* runs since the last success */
    kuryr_backoff backoff; /* this key's retry delays; reset by a success */
    double due_s;      /* BACKING_OFF: when it may run (kuryr_mono_s) */
    struct entry *hnext;             /* hash chain */
    struct entry *prev, *next;       /* ready or backoff list */
} entry;

typedef struct {
    entry *head, *tail;
} list;

struct kuryr_workqueue {
    pthread_mutex_t lock;
    pthread_cond_t work;   /* a key became ready, a backoff may have expired, or stopping */
    pthread_cond_t idle;   /* queued and running both reached 0 */
    entry **buckets;
    size_t nbuckets, nentries;
    list ready, backoff;
    kuryr_workqueue_stats st;
    bool stopping;
    kuryr_work_fn fn;
    void *userdata;
    long backoff_initial_ms, backoff_max_ms, poll_interval_ms;
    char name[32];
    unsigned nthreads;
    pthread_t *threads;
};

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static entry **find_slot(kuryr_workqueue *q, const char *key)
{
    entry **p = &q->buckets[hash_key(key) & (q->nbuckets - 1)];
    while (*p && strcmp((*p)->key, key) != 0)
        p = &(*p)->hnext;
    return p;
}

/* Doubles the table when it is as full as it has buckets; on allocation failure it just stays denser. */
static void maybe_grow(kuryr_workqueue *q)
{
    if (q->nentries < q->nbuckets)
        return;
    size_t n = q->nbuckets * 2;
    entry **nb = calloc(n, sizeof(*nb));
    if (!nb)
        return;
    for (size_t i = 0; i < q->nbuckets; i++) {
        for (entry *e = q->buckets[i], *next; e; e = next) {
            next = e->hnext;
            entry **slot = &nb[hash_key(e->key) & (n - 1)];
            e->hnext = *slot;
            *slot = e;
        }
    }
    free(q->buckets);
    q->buckets = nb;
    q->nbuckets = n;
}

static void list_push(list *l, entry *e)
{
    e->next = NULL;
    e->prev = l->tail;
    if (l->tail)
        l->tail->next = e;
    else
        l->head = e;
    l->tail = e;
}

static void list_unlink(list *l, entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        l->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        l->tail = e->prev;
    e->prev = e->next = NULL;
}

static void forget(kuryr_workqueue *q, entry *e)
{
    entry **slot = find_slot(q, e->key);
    *slot = e->hnext;
    q->nentries--;
    free(e->key);
    free(e);
}

static void make_ready(kuryr_workqueue *q, entry *e)
{
    e->state = QUEUED;
    list_push(&q->ready, e);
    q->st.queued++;
    pthread_cond_signal(&q->work);
}

/* Puts e on the backoff list until due_s. Called with the lock held. */
static void make_waiting(kuryr_workqueue *q, entry *e, double due_s)
{
    e->state = BACKING_OFF;
    e->due_s = due_s;
    list_push(&q->backoff, e);
    q->st.backing_off++;
    pthread_cond_signal(&q->work); /* a sleeping worker must learn the new earliest deadline */
}

/* An add of a key the queue holds already, to run not before due_s (0: at once). Called with the lock held. */
static void add_again(kuryr_workqueue *q, entry *e, double due_s)
{
    q->st.coalesced++;
    if (e->state == RUNNING) {
        if (!e->again || due_s < e->again_due)
            e->again_due = due_s;
        e->again = true;
    } else if (e->state == BACKING_OFF && due_s < e->due_s) {
        /* A new change may be what the failed attempt was waiting for: try it now (or at the time asked). */
        list_unlink(&q->backoff, e);
        q->st.backing_off--;
        if (due_s <= 0)
            make_ready(q, e);
        else
            make_waiting(q, e, due_s);
    }
}

static int add_at(kuryr_workqueue *q, const char *key, double due_s)
{
    int rc = 0;
    pthread_mutex_lock(&q->lock);
    if (q->stopping) {
        rc = -1;
        goto out;
    }
    q->st.added++;
    entry **slot = find_slot(q, key);
    entry *e = *slot;
    if (e) {
        add_again(q, e, due_s);
        goto out;
    }
    e = calloc(1, sizeof(*e));
    if (e)
        e->key = strdup(key);
    if (!e || !e->key) {
        free(e);
        rc = -1;
        goto out;
    }
    kuryr_backoff_init(&e->backoff, q->backoff_initial_ms, q->backoff_max_ms);
    *slot = e;
    q->nentries++;
    if (due_s <= 0)
        make_ready(q, e);
    else
        make_waiting(q, e, due_s);
    maybe_grow(q);
out:
    pthread_mutex_unlock(&q->lock);
    return rc;
}

int kuryr_workqueue_add(kuryr_workqueue *q, const char *key)
{
    return add_at(q, key, 0);
}

int kuryr_workqueue_add_after(kuryr_workqueue *q, const char *key, double delay_s)
{
    return add_at(q, key, delay_s > 0 ? kuryr_mono_s() + delay_s : 0);
}

/* Moves every expired backoff to the ready list; returns the earliest remaining due time, or -1. */
static double release_due(kuryr_workqueue *q, double now)
{
    double earliest = -1;
    for (entry *e = q->backoff.head, *next; e; e = next) {
        next = e->next;
        if (e->due_s <= now) {
            list_unlink(&q->backoff, e);
            q->st.backing_off--;
            make_ready(q, e);
        } else if (earliest < 0 || e->due_s < earliest) {
            earliest = e->due_s;
        }
    }
    return earliest;
}

/* Takes the next ready entry, sleeping until there is one; NULL when stopping. Called with the lock held. */
static entry *next_entry(kuryr_workqueue *q)
{
    while (!q->stopping) {
        double earliest = release_due(q, kuryr_mono_s());
        entry *e = q->ready.head;
        if (e) {
            list_unlink(&q->ready, e);
            q->st.queued--;
            return e;
        }
        if (earliest < 0) {
            pthread_cond_wait(&q->work, &q->lock);
        } else {
            struct timespec ts = {(time_t)earliest, (long)((earliest - (double)(time_t)earliest) * 1e9)};
            pthread_cond_timedwait(&q->work, &q->lock, &ts);
        }
    }
    return NULL;
}

/* Decides what happens to a key after its handler ran. Called with the lock held. */
static void settle(kuryr_workqueue *q, entry *e, kuryr_work_result r)
{
    if (r == KURYR_WORK_RETRY)
        q->st.retries++;
    else if (r == KURYR_WORK_DONE) { /* a poll keeps its attempt count and its backoff as they are */
        e->attempt = 0;
        kuryr_backoff_reset(&e->backoff);
    }
    if (q->stopping) {
        forget(q, e);
    } else if (e->again) {
        /* Changed while it ran: the newest state has not been handled yet. */
        e->again = false;
        if (e->again_due > kuryr_mono_s())
            make_waiting(q, e, e->again_due);
        else
            make_ready(q, e);
    } else if (r == KURYR_WORK_RETRY) {
        make_waiting(q, e, kuryr_mono_s() + (double)kuryr_backoff_next(&e->backoff) / 1000.0);
    } else if (r == KURYR_WORK_POLL) {
        make_waiting(q, e, kuryr_mono_s() + (double)q->poll_interval_ms / 1000.0);
    } else {
        forget(q, e);
    }
}

static void *worker(void *arg)
{
    kuryr_workqueue *q = arg;
    pthread_mutex_lock(&q->lock);
    entry *e;
    while ((e = next_entry(q))) {
        e->state = RUNNING;
        e->attempt++;
        q->st.running++;
        unsigned attempt = e->attempt;
        /* The key's storage is stable while RUNNING: only settle() frees it, under the lock. */
        const char *key = e->key;
        pthread_mutex_unlock(&q->lock);
        double t0 = kuryr_mono_s();
        kuryr_work_result r = q->fn(key, attempt, q->userdata);
        double took = kuryr_mono_s() - t0;
        pthread_mutex_lock(&q->lock);
        q->st.handled++;
        q->st.handler_seconds_total += took;
        q->st.running--;
        settle(q, e, r);
        pthread_cond_broadcast(&q->idle); /* idle and drain waiters judge for themselves */
    }
    pthread_mutex_unlock(&q->lock);
    return NULL;
}

kuryr_workqueue *kuryr_workqueue_new(const kuryr_workqueue_opts *opts, kuryr_work_fn fn, void *userdata)
{
    kuryr_workqueue *q = calloc(1, sizeof(*q));
    if (!q)
        return NULL;
    q->fn = fn;
    q->userdata = userdata;
    q->nthreads = opts && opts->workers ? opts->workers : DEFAULT_WORKERS;
    q->backoff_initial_ms = DEFAULT_BACKOFF_INITIAL_MS;
    q->backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
    q->poll_interval_ms = opts && opts->poll_interval_ms > 0 ? opts->poll_interval_ms : DEFAULT_POLL_INTERVAL_MS;
    if (opts && opts->backoff_initial_ms > 0)
        q->backoff_initial_ms = opts->backoff_initial_ms;
    if (opts && opts->backoff_max_ms > 0)
        q->backoff_max_ms = opts->backoff_max_ms;
    snprintf(q->name, sizeof(q->name), "%s", opts && opts->name ? opts->name : "workqueue");
    q->nbuckets = MIN_BUCKETS;
    q->buckets = calloc(q->nbuckets, sizeof(*q->buckets));
    q->threads = calloc(q->nthreads, sizeof(*q->threads));
    if (!q->buckets || !q->threads) {
        free(q->buckets);
        free(q->threads);
        free(q);
        return NULL;
    }
    pthread_mutex_init(&q->lock, NULL);
    kuryr_cond_init_mono(&q->work);
    kuryr_cond_init_mono(&q->idle);
    for (unsigned i = 0; i < q->nthreads; i++) {
        if (pthread_create(&q->threads[i], NULL, worker, q) != 0) {
            KLOG_ERROR("work queue %s: cannot start worker %u", q->name, i);
            q->nthreads = i;
            kuryr_workqueue_free(q);
            return NULL;
        }
    }
    return q;
}

void kuryr_workqueue_wait_idle(kuryr_workqueue *q)
{
    pthread_mutex_lock(&q->lock);
    while ((q->st.queued || q->st.running) && !q->stopping)
        pthread_cond_wait(&q->idle, &q->lock);
    pthread_mutex_unlock(&q->lock);
}

bool kuryr_workqueue_wait_idle_for(kuryr_workqueue *q, double timeout_s)
{
    struct timespec deadline = kuryr_mono_deadline(timeout_s);
    pthread_mutex_lock(&q->lock);
    while ((q->st.queued || q->st.running) && !q->stopping) {
        if (pthread_cond_timedwait(&q->idle, &q->lock, &deadline) != 0)
            break;
    }
    bool idle = !q->st.queued && !q->st.running;
    pthread_mutex_unlock(&q->lock);
    return idle || q->stopping;
}

size_t kuryr_workqueue_pending(kuryr_workqueue *q)
{
    pthread_mutex_lock(&q->lock);
    size_t n = q->nentries;
    pthread_mutex_unlock(&q->lock);
    return n;
}

size_t kuryr_workqueue_drain(kuryr_workqueue *q, double timeout_s)
{
    struct timespec deadline = kuryr_mono_deadline(timeout_s);
    pthread_mutex_lock(&q->lock);
    while (q->nentries > 0 && !q->stopping) {
        if (pthread_cond_timedwait(&q->idle, &q->lock, &deadline) != 0)
            break;
    }
    size_t left = q->nentries;
    pthread_mutex_unlock(&q->lock);
    kuryr_workqueue_stop(q);
    return left;
}

void kuryr_workqueue_get_stats(kuryr_workqueue *q, kuryr_workqueue_stats *out)
{
    pthread_mutex_lock(&q->lock);
    *out = q->st;
    pthread_mutex_unlock(&q->lock);
}

void kuryr_workqueue_stop(kuryr_workqueue *q)
{
    pthread_mutex_lock(&q->lock);
    bool first = !q->stopping;
    q->stopping = true;
    pthread_cond_broadcast(&q->work);
    pthread_cond_broadcast(&q->idle);
    pthread_mutex_unlock(&q->lock);
    if (!first)
        return;
    for (unsigned i = 0; i < q->nthreads; i++)
        pthread_join(q->threads[i], NULL);
    q->nthreads = 0;
    /* Workers are gone; whatever is still queued or backing off is forgotten. */
    pthread_mutex_lock(&q->lock);
    for (size_t i = 0; i < q->nbuckets; i++) {
        for (entry *e = q->buckets[i], *next; e; e = next) {
            next = e->hnext;
            free(e->key);
            free(e);
        }
        q->buckets[i] = NULL;
    }
    q->nentries = 0;
    q->ready.head = q->ready.tail = q->backoff.head = q->backoff.tail = NULL;
    q->st.queued = q->st.backing_off = 0;
    pthread_mutex_unlock(&q->lock);
}

void kuryr_workqueue_free(kuryr_workqueue *q)
{
    if (!q)
        return;
    kuryr_workqueue_stop(q);
    pthread_cond_destroy(&q->work);
    pthread_cond_destroy(&q->idle);
    pthread_mutex_destroy(&q->lock);
    free(q->buckets);
    free(q->threads);
    free(q);
}
