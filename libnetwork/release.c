/* Port deletes after ReleaseAddress has answered (see release.h). */
#include "release.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kuryr/fault.h"
#include "kuryr/log.h"

/* A busy host frees a few ports a second; far more queued means Neutron is down, and then deleting inline
 * (and failing) tells Docker so. */
#define MAX_QUEUED 1024
/* Two deletes in flight keep up with 30 parallel removals without adding to Neutron's own contention. */
#define WORKERS 2
#define BACKOFF_MAX_S 30

typedef struct {
    char port_id[64];
    char net_id[64];
    char ips[2][64];  /* one per address family */
    size_t n_ips;
    bool busy;        /* a worker is deleting it */
    int attempts;
    time_t not_before; /* monotonic seconds: retry after Neutron was unreachable */
} entry;

struct kl_releases {
    kuryr_neutron *kn;
    pthread_mutex_t lock; /* guards everything below */
    pthread_cond_t work;  /* something to delete, or stopping */
    pthread_cond_t done;  /* an entry left the queue */
    entry *items;
    size_t n;
    pthread_t threads[WORKERS];
    size_t n_threads;
    bool stopping;
};

static time_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static struct timespec deadline_in(int seconds)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += seconds;
    return ts;
}

kl_releases *kl_releases_new(kuryr_neutron *kn)
{
    kl_releases *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->items = calloc(MAX_QUEUED, sizeof(*r->items));
    if (!r->items) {
        free(r);
        return NULL;
    }
    r->kn = kn;
    pthread_mutex_init(&r->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->work, &attr);
    pthread_cond_init(&r->done, &attr);
    pthread_condattr_destroy(&attr);
    return r;
}

static entry *find_port(kl_releases *r, const char *port_id)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->items[i].port_id, port_id) == 0)
            return &r->items[i];
    }
    return NULL;
}

static void remove_entry(kl_releases *r, entry *e)
{
    *e = r->items[--r->n];
    pthread_cond_broadcast(&r->done);
}

/* The next entry to delete, or NULL with *wake set to when one waiting out its back-off is due (0: none). */
static entry *next_due(kl_releases *r, time_t *wake)
{
    time_t now = mono_s();
    *wake = 0;
    for (size_t i = 0; i < r->n; i++) {
        entry *e = &r->items[i];
        if (e->busy)
            continue;
        if (e->not_before <= now)
            return e;
        if (!*wake || e->not_before < *wake)
            *wake = e->not_before;
    }
    return NULL;
}

static void delete_one(kl_releases *r, entry *e)
{
    char id[64];
    snprintf(id, sizeof(id), "%s", e->port_id);
    e->busy = true;
    pthread_mutex_unlock(&r->lock);

    kuryr_log_ctx_set("port", id);
    KURYR_FAULT_POINT("release_address.queued"); /* Docker was told the address is free */
    kuryr_error err;
    int rc = kuryr_neutron_port_delete(r->kn, id, &err);
    if (rc == 0) {
        KLOG_INFO("deleted port %s", id);
        KURYR_FAULT_POINT("release_address.port_deleted");
    }
    kuryr_log_ctx_clear();

    pthread_mutex_lock(&r->lock);
    e = find_port(r, id); /* the array may have moved entries meanwhile */
    if (!e)
        return;
    if (rc == 0 || err.kind == KURYR_ERR_NOT_FOUND) {
        remove_entry(r, e);
    } else if (err.kind == KURYR_ERR_UNAVAILABLE) {
        e->busy = false;
        e->attempts++;
        int backoff = e->attempts < 5 ? 1 << e->attempts : BACKOFF_MAX_S; /* 2, 4, 8, 16, then 30 */
        e->not_before = mono_s() + backoff;
        KLOG_WARN("deleting released port %s failed (attempt %d, again in %d s): %s", id, e->attempts, backoff,
                  err.message);
    } else {
        KLOG_ERROR("deleting released port %s failed: %s; the reconciliation removes it later", id, err.message);
        remove_entry(r, e);
    }
}

static void *worker(void *arg)
{
    kl_releases *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stopping) {
        time_t wake;
        entry *e = next_due(r, &wake);
        if (e) {
            delete_one(r, e);
        } else if (wake) {
            struct timespec ts = {wake, 0};
            pthread_cond_timedwait(&r->work, &r->lock, &ts);
        } else {
            pthread_cond_wait(&r->work, &r->lock);
        }
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

bool kl_releases_add(kl_releases *r, const char *port_id, const char *net_id, const char *ip)
{
    if (!r)
        return false;
    bool queued = true;
    pthread_mutex_lock(&r->lock);
    entry *e = find_port(r, port_id);
    if (!e && (r->n == MAX_QUEUED || r->stopping || strlen(port_id) >= sizeof(e->port_id) ||
               strlen(net_id) >= sizeof(e->net_id))) {
        queued = false;
    } else if (!e) {
        e = &r->items[r->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->port_id, sizeof(e->port_id), "%s", port_id);
        snprintf(e->net_id, sizeof(e->net_id), "%s", net_id);
    }
    bool known = false; /* a retried ReleaseAddress names the same address again */
    for (size_t i = 0; queued && ip && i < e->n_ips; i++)
        known = known || strcmp(e->ips[i], ip) == 0;
    if (queued && ip && !known && e->n_ips < 2 && strlen(ip) < sizeof(e->ips[0]))
        snprintf(e->ips[e->n_ips++], sizeof(e->ips[0]), "%s", ip);
    while (queued && r->n_threads < WORKERS) {
        if (pthread_create(&r->threads[r->n_threads], NULL, worker, r) != 0)
            break;
        r->n_threads++;
    }
    if (queued && r->n_threads == 0) {
        /* no worker could start: take it back, the caller deletes inline */
        remove_entry(r, e);
        queued = false;
    }
    if (queued)
        pthread_cond_signal(&r->work);
    pthread_mutex_unlock(&r->lock);
    return queued;
}

bool kl_releases_pending_port(kl_releases *r, const char *port_id)
{
    if (!r)
        return false;
    pthread_mutex_lock(&r->lock);
    bool found = find_port(r, port_id) != NULL;
    pthread_mutex_unlock(&r->lock);
    return found;
}

static bool holds(const entry *e, const char *net_id, const char *ip)
{
    if (strcmp(e->net_id, net_id) != 0)
        return false;
    for (size_t i = 0; ip && i < e->n_ips; i++) {
        if (strcmp(e->ips[i], ip) == 0)
            return true;
    }
    return !ip;
}

static bool wait_until_gone(kl_releases *r, const char *net_id, const char *ip, int timeout_s)
{
    if (!r)
        return true;
    struct timespec deadline = deadline_in(timeout_s);
    pthread_mutex_lock(&r->lock);
    for (;;) {
        bool found = false;
        for (size_t i = 0; i < r->n && !found; i++)
            found = holds(&r->items[i], net_id, ip);
        if (!found || pthread_cond_timedwait(&r->done, &r->lock, &deadline) == ETIMEDOUT) {
            pthread_mutex_unlock(&r->lock);
            return !found;
        }
    }
}

bool kl_releases_wait_ip(kl_releases *r, const char *net_id, const char *ip, int timeout_s)
{
    return wait_until_gone(r, net_id, ip, timeout_s);
}

bool kl_releases_wait_net(kl_releases *r, const char *net_id, int timeout_s)
{
    return wait_until_gone(r, net_id, NULL, timeout_s);
}

size_t kl_releases_pending(kl_releases *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->lock);
    size_t n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void kl_releases_free(kl_releases *r, int drain_s)
{
    if (!r)
        return;
    struct timespec deadline = deadline_in(drain_s);
    pthread_mutex_lock(&r->lock);
    while (r->n > 0 && r->n_threads > 0 && pthread_cond_timedwait(&r->done, &r->lock, &deadline) != ETIMEDOUT)
        ;
    r->stopping = true;
    pthread_cond_broadcast(&r->work);
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < r->n_threads; i++)
        pthread_join(r->threads[i], NULL);
    for (size_t i = 0; i < r->n; i++)
        KLOG_WARN("released port %s was not deleted before the daemon stopped: the start-up reconciliation "
                  "removes it",
                  r->items[i].port_id);
    pthread_cond_destroy(&r->work);
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->lock);
    free(r->items);
    free(r);
}
