/* Port deletes that must survive failures (see kuryr/port_deletes.h). */
#include "kuryr/port_deletes.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/clock.h"
#include "kuryr/fault.h"
#include "kuryr/log.h"
#include "kuryr/workqueue.h"

/* A busy host frees a few ports a second; far more queued means Neutron is down, and then deleting inline
 * (and failing) tells Docker so. */
#define MAX_QUEUED 1024
/* Two deletes in flight keep up with 30 parallel removals without adding to Neutron's own contention. */
#define WORKERS 2
/* Retries while Neutron is unreachable: about 2, 4, 8, 16, then every 30 s (kuryr/clock.h's backoff). */
#define BACKOFF_INITIAL_MS 2000
#define BACKOFF_MAX_MS 30000

/* What a queued delete is about; the work queue (keyed by port id) decides when it runs. */
typedef struct {
    char port_id[64];
    char net_id[64];
    char ips[2][64];  /* one per address family */
    size_t n_ips;
} entry;

struct kuryr_port_deletes {
    kuryr_neutron *kn;
    kuryr_workqueue *queue;
    pthread_mutex_t lock; /* guards the entries */
    pthread_cond_t done;  /* an entry left the queue */
    entry *items;
    size_t n;
};

static kuryr_work_result delete_one(const char *port_id, unsigned attempt, void *userdata);

kuryr_port_deletes *kuryr_port_deletes_new(kuryr_neutron *kn)
{
    kuryr_port_deletes *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->items = calloc(MAX_QUEUED, sizeof(*r->items));
    kuryr_workqueue_opts opts = {.workers = WORKERS, .backoff_initial_ms = BACKOFF_INITIAL_MS,
                                 .backoff_max_ms = BACKOFF_MAX_MS, .name = "release"};
    r->queue = r->items ? kuryr_workqueue_new(&opts, delete_one, r) : NULL;
    if (!r->queue) {
        free(r->items);
        free(r);
        return NULL;
    }
    r->kn = kn;
    pthread_mutex_init(&r->lock, NULL);
    kuryr_cond_init_mono(&r->done);
    return r;
}

static entry *find_port(kuryr_port_deletes *r, const char *port_id)
{
    for (size_t i = 0; i < r->n; i++) {
        if (strcmp(r->items[i].port_id, port_id) == 0)
            return &r->items[i];
    }
    return NULL;
}

static void remove_port(kuryr_port_deletes *r, const char *port_id)
{
    pthread_mutex_lock(&r->lock);
    entry *e = find_port(r, port_id);
    if (e) {
        *e = r->items[--r->n];
        pthread_cond_broadcast(&r->done);
    }
    pthread_mutex_unlock(&r->lock);
}

/* The work queue's handler: one delete attempt. */
static kuryr_work_result delete_one(const char *port_id, unsigned attempt, void *userdata)
{
    kuryr_port_deletes *r = userdata;
    kuryr_log_ctx_set("port", port_id);
    KURYR_FAULT_POINT("release_address.queued"); /* Docker was told the address is free */
    kuryr_error err;
    int rc = kuryr_neutron_port_delete(r->kn, port_id, &err);
    if (rc == 0) {
        KLOG_INFO("deleted port %s", port_id);
        KURYR_FAULT_POINT("release_address.port_deleted");
    }
    kuryr_log_ctx_clear();
    if (rc < 0 && err.kind == KURYR_ERR_UNAVAILABLE) {
        KLOG_WARN("deleting released port %s failed (attempt %u, retried with backoff): %s", port_id, attempt,
                  err.message);
        return KURYR_WORK_RETRY;
    }
    if (rc < 0 && err.kind != KURYR_ERR_NOT_FOUND)
        KLOG_ERROR("deleting released port %s failed: %s; the reconciliation removes it later", port_id,
                   err.message);
    remove_port(r, port_id);
    return KURYR_WORK_DONE;
}

bool kuryr_port_deletes_add(kuryr_port_deletes *r, const char *port_id, const char *net_id, const char *ip)
{
    if (!r)
        return false;
    bool queued = true, fresh = false;
    pthread_mutex_lock(&r->lock);
    entry *e = find_port(r, port_id);
    if (!e && (r->n == MAX_QUEUED || strlen(port_id) >= sizeof(e->port_id) || strlen(net_id) >= sizeof(e->net_id))) {
        queued = false;
    } else if (!e) {
        e = &r->items[r->n++];
        memset(e, 0, sizeof(*e));
        snprintf(e->port_id, sizeof(e->port_id), "%s", port_id);
        snprintf(e->net_id, sizeof(e->net_id), "%s", net_id);
        fresh = true;
    }
    bool known = false; /* a retried ReleaseAddress names the same address again */
    for (size_t i = 0; queued && ip && i < e->n_ips; i++)
        known = known || strcmp(e->ips[i], ip) == 0;
    if (queued && ip && !known && e->n_ips < 2 && strlen(ip) < sizeof(e->ips[0]))
        snprintf(e->ips[e->n_ips++], sizeof(e->ips[0]), "%s", ip);
    pthread_mutex_unlock(&r->lock);
    /* A port already queued is deleted once, for both of its addresses. */
    if (fresh && kuryr_workqueue_add(r->queue, port_id) < 0) {
        /* stopping, or out of memory: take it back, the caller deletes inline */
        remove_port(r, port_id);
        queued = false;
    }
    return queued;
}

bool kuryr_port_deletes_pending_port(kuryr_port_deletes *r, const char *port_id)
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

static bool wait_until_gone(kuryr_port_deletes *r, const char *net_id, const char *ip, int timeout_s)
{
    if (!r)
        return true;
    struct timespec deadline = kuryr_mono_deadline(timeout_s);
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

bool kuryr_port_deletes_wait_ip(kuryr_port_deletes *r, const char *net_id, const char *ip, int timeout_s)
{
    return wait_until_gone(r, net_id, ip, timeout_s);
}

bool kuryr_port_deletes_wait_net(kuryr_port_deletes *r, const char *net_id, int timeout_s)
{
    return wait_until_gone(r, net_id, NULL, timeout_s);
}

size_t kuryr_port_deletes_pending(kuryr_port_deletes *r)
{
    if (!r)
        return 0;
    pthread_mutex_lock(&r->lock);
    size_t n = r->n;
    pthread_mutex_unlock(&r->lock);
    return n;
}

void kuryr_port_deletes_free(kuryr_port_deletes *r, int drain_s)
{
    if (!r)
        return;
    kuryr_workqueue_drain(r->queue, drain_s);
    kuryr_workqueue_free(r->queue);
    for (size_t i = 0; i < r->n; i++)
        KLOG_WARN("released port %s was not deleted before the daemon stopped: the start-up reconciliation "
                  "removes it",
                  r->items[i].port_id);
    pthread_cond_destroy(&r->done);
    pthread_mutex_destroy(&r->lock);
    free(r->items);
    free(r);
}
