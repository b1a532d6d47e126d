/* Ports and networks whose create got no answer (see kuryr/doubt.h). */
#include "kuryr/doubt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "kuryr/clock.h"
#include "kuryr/grow.h"
#include "kuryr/log.h"
#include "kuryr/workqueue.h"

#define MARKER_PREFIX "kuryr-create-"
/* One entry per create that timed out: a long outage with a busy Docker host adds a few a second at most. */
#define MAX_DOUBTS 4096
/* Look-ups while doubts are left: one pass a second. */
#define SWEEP_EVERY_S 1.0
#define SWEEP_KEY "sweep"

typedef struct {
    char marker[KURYR_DOUBT_MARKER_LEN];
    bool network;         /* a network create, else a port create */
    double first_answer;  /* kuryr_mono_s() of Neutron's first answer to a look-up; 0 = none yet */
} doubt;

struct kuryr_doubts {
    kuryr_neutron *kn;
    int grace_s;
    kuryr_workqueue *queue; /* runs the sweeps: one key, re-scheduled while doubts are left */
    pthread_mutex_t lock;  /* guards everything below */
    doubt *items;
    size_t n, cap;
    bool stopping;
};

static void random_marker(char *buf, size_t size);
static kuryr_work_result sweep_work(const char *key, unsigned attempt, void *userdata);

kuryr_doubts *kuryr_doubts_new(kuryr_neutron *kn, int grace_s)
{
    kuryr_doubts *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    kuryr_workqueue_opts opts = {.workers = 1, .name = "doubt"};
    d->queue = kuryr_workqueue_new(&opts, sweep_work, d);
    if (!d->queue) {
        free(d);
        return NULL;
    }
    d->kn = kn;
    d->grace_s = grace_s > 0 ? grace_s : 1;
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

void kuryr_doubts_free(kuryr_doubts *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_mutex_unlock(&d->lock);
    kuryr_workqueue_free(d->queue); /* waits for a look-up in progress; a sweep not yet due is forgotten */
    for (size_t i = 0; i < d->n; i++) {
        if (!d->items[i].first_answer && d->items[i].network)
            KLOG_WARN("Neutron never answered about the network create %s: if it made the network, it is an "
                      "untagged kuryr-net-* with that description", d->items[i].marker);
        else if (!d->items[i].first_answer)
            KLOG_WARN("Neutron never answered about the port create %s: if it made the port, it is an unbound "
                      "kuryr-unbound-port with that description", d->items[i].marker);
    }
    free(d->items);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

void kuryr_doubt_marker(char *buf, size_t size, const char *host)
{
    random_marker(buf, size);
    size_t n = strlen(buf);
    if (n + 1 < size)
        snprintf(buf + n, size - n, "@%s", host ? host : "");
}

bool kuryr_doubt_marker_of(const char *description, const char *host)
{
    if (!kuryr_doubt_is_marker(description) || !host)
        return false;
    const char *at = strchr(description, '@');
    return at && strcmp(at + 1, host) == 0;
}

static void random_marker(char *buf, size_t size)
{
    unsigned char r[16];
    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
        /* never expected on Linux; a clock-based marker is still unique enough for one host */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(buf, size, MARKER_PREFIX "%lx%lx", (long)ts.tv_sec, ts.tv_nsec);
        return;
    }
    int o = snprintf(buf, size, MARKER_PREFIX);
    for (size_t i = 0; i < sizeof(r) && o > 0 && (size_t)o + 2 < size; i++)
        o += snprintf(buf + o, size - (size_t)o, "%02x", r[i]);
}

bool kuryr_doubt_is_marker(const char *description)
{
    return description && strncmp(description, MARKER_PREFIX, strlen(MARKER_PREFIX)) == 0;
}

/* The queue's handler: one pass, and another a second later while doubts are left. */
static kuryr_work_result sweep_work(const char *key, unsigned attempt, void *userdata)
{
    (void)attempt;
    kuryr_doubts *d = userdata;
    kuryr_doubts_sweep(d);
    if (kuryr_doubts_pending(d) > 0)
        kuryr_workqueue_add_after(d->queue, key, SWEEP_EVERY_S);
    return KURYR_WORK_DONE;
}

static void add(kuryr_doubts *d, const char *marker, bool network)
{
    if (!d || !marker)
        return;
    pthread_mutex_lock(&d->lock);
    if (d->n == MAX_DOUBTS || d->stopping) {
        pthread_mutex_unlock(&d->lock);
        KLOG_WARN("too many port creates without an answer: not watching for %s", marker);
        return;
    }
    doubt *items = kuryr_grow(d->items, d->n, &d->cap, sizeof(*items));
    if (!items) {
        pthread_mutex_unlock(&d->lock);
        return;
    }
    d->items = items;
    doubt *x = &d->items[d->n++];
    memset(x, 0, sizeof(*x));
    snprintf(x->marker, sizeof(x->marker), "%s", marker);
    x->network = network;
    KLOG_INFO("%s create %s got no answer: watching for a late create by Neutron", network ? "network" : "port",
              marker);
    pthread_mutex_unlock(&d->lock);
    /* the first look a second from now, as each next one (a sweep already due sooner keeps its time) */
    if (kuryr_workqueue_add_after(d->queue, SWEEP_KEY, SWEEP_EVERY_S) < 0)
        KLOG_WARN("cannot schedule the look for late creates");
}

void kuryr_doubts_add_port(kuryr_doubts *d, const char *marker)
{
    add(d, marker, false);
}

void kuryr_doubts_add_network(kuryr_doubts *d, const char *marker)
{
    add(d, marker, true);
}

/* Index of marker, or d->n. Called with the lock held. */
static size_t find(kuryr_doubts *d, const char *marker)
{
    size_t i = 0;
    while (i < d->n && strcmp(d->items[i].marker, marker) != 0)
        i++;
    return i;
}

static void remove_at(kuryr_doubts *d, size_t i)
{
    d->items[i] = d->items[--d->n];
}

void kuryr_doubts_forget(kuryr_doubts *d, const char *marker)
{
    if (!d || !kuryr_doubt_is_marker(marker))
        return;
    pthread_mutex_lock(&d->lock);
    size_t i = find(d, marker);
    if (i < d->n)
        remove_at(d, i);
    pthread_mutex_unlock(&d->lock);
}

size_t kuryr_doubts_pending(kuryr_doubts *d)
{
    if (!d)
        return 0;
    pthread_mutex_lock(&d->lock);
    size_t n = d->n;
    pthread_mutex_unlock(&d->lock);
    return n;
}

static bool still_doubted(kuryr_doubts *d, const char *marker)
{
    pthread_mutex_lock(&d->lock);
    bool still = find(d, marker) < d->n;
    pthread_mutex_unlock(&d->lock);
    return still;
}

/* Deletes the untagged networks carrying marker. Nothing adopts such a network (Docker never retries a
 * CreateNetwork with the same id), but one with subnets or tags has been put to use and stays. */
static bool settle_networks(kuryr_doubts *d, const char *marker)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "description", marker);
    kuryr_network_list nets = {0};
    kuryr_error err = {0};
    int rc = kuryr_neutron_network_list(d->kn, q, &nets, &err);
    kuryr_query_free(q);
    if (rc < 0) {
        KLOG_DEBUG("looking for a late network create %s: %s", marker, err.message);
        return false;
    }
    for (size_t i = 0; i < nets.n; i++) {
        kuryr_network *net = nets.items[i];
        if (net->tags.n > 0 || net->subnets.n > 0 || !still_doubted(d, marker)) {
            KLOG_INFO("network %s from the create %s that got no answer is in use: kept", net->id, marker);
            continue;
        }
        if (kuryr_neutron_network_delete(d->kn, net->id, &err) < 0 && err.kind != KURYR_ERR_NOT_FOUND)
            KLOG_WARN("cannot delete network %s, made by Neutron after its create timed out: %s", net->id,
                      err.message);
        else
            KLOG_INFO("deleted network %s, made by Neutron after its create (%s) timed out", net->id, marker);
    }
    kuryr_network_list_clear(&nets);
    return true;
}

/* Deletes the unbound, untagged ports carrying marker. false when Neutron did not answer the look-up. */
static bool settle_ports(kuryr_doubts *d, const char *marker)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "description", marker);
    kuryr_port_list ports = {0};
    kuryr_error err = {0};
    int rc = kuryr_neutron_port_list(d->kn, q, &ports, &err);
    kuryr_query_free(q);
    if (rc < 0) {
        KLOG_DEBUG("looking for a late port create %s: %s", marker, err.message);
        return false;
    }
    for (size_t i = 0; i < ports.n; i++) {
        kuryr_port *port = ports.items[i];
        bool in_use = (port->device_id && *port->device_id) || port->tags.n > 0;
        if (in_use || !still_doubted(d, marker) /* adopted by a retry meanwhile */) {
            KLOG_INFO("port %s from the create %s that got no answer is in use: kept", port->id, marker);
            continue;
        }
        if (kuryr_neutron_port_delete(d->kn, port->id, &err) < 0 && err.kind != KURYR_ERR_NOT_FOUND)
            KLOG_WARN("cannot delete port %s, made by Neutron after its create timed out: %s", port->id,
                      err.message);
        else
            KLOG_INFO("deleted port %s, made by Neutron after its create (%s) timed out", port->id, marker);
    }
    kuryr_port_list_clear(&ports);
    return true;
}

void kuryr_doubts_sweep(kuryr_doubts *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    size_t n = d->n;
    doubt *items = n ? calloc(n, sizeof(*items)) : NULL;
    if (items)
        memcpy(items, d->items, n * sizeof(*items));
    pthread_mutex_unlock(&d->lock);
    if (!items)
        return;
    for (size_t i = 0; i < n; i++) {
        const char *marker = items[i].marker;
        bool answered = items[i].network ? settle_networks(d, marker) : settle_ports(d, marker);
        pthread_mutex_lock(&d->lock);
        size_t k = find(d, marker);
        if (answered && k < d->n) {
            double now = kuryr_mono_s();
            if (!d->items[k].first_answer)
                d->items[k].first_answer = now;
            else if (now - d->items[k].first_answer >= d->grace_s)
                remove_at(d, k);
        }
        pthread_mutex_unlock(&d->lock);
    }
    free(items);
}
