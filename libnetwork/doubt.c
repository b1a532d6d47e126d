/* Ports whose create got no answer (see doubt.h). */
#include "doubt.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "grow.h"
#include "kuryr/log.h"

#define MARKER_PREFIX "kuryr-create-"
/* One entry per create that timed out: a long outage with a busy Docker host adds a few a second at most. */
#define MAX_DOUBTS 4096

typedef struct {
    char marker[KL_DOUBT_MARKER_LEN];
    bool network;         /* a network create, else a port create */
    time_t first_answer;  /* monotonic seconds of Neutron's first answer to a look-up; 0 = none yet */
} doubt;

struct kl_doubts {
    kuryr_neutron *kn;
    int grace_s;
    pthread_mutex_t lock;  /* guards everything below */
    pthread_cond_t wake;
    doubt *items;
    size_t n, cap;
    bool thread_running, joinable, stopping;
    pthread_t thread;
};

static void random_marker(char *buf, size_t size);

static time_t mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

kl_doubts *kl_doubts_new(kuryr_neutron *kn, int grace_s)
{
    kl_doubts *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->kn = kn;
    d->grace_s = grace_s > 0 ? grace_s : 1;
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&d->wake, &attr);
    pthread_condattr_destroy(&attr);
    return d;
}

void kl_doubts_free(kl_doubts *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_broadcast(&d->wake);
    bool running = d->thread_running;
    pthread_mutex_unlock(&d->lock);
    if (running || d->joinable)
        pthread_join(d->thread, NULL);
    for (size_t i = 0; i < d->n; i++) {
        if (!d->items[i].first_answer && d->items[i].network)
            KLOG_WARN("Neutron never answered about the network create %s: if it made the network, it is an "
                      "untagged kuryr-net-* with that description", d->items[i].marker);
        else if (!d->items[i].first_answer)
            KLOG_WARN("Neutron never answered about the port create %s: if it made the port, it is an unbound "
                      "kuryr-unbound-port with that description", d->items[i].marker);
    }
    free(d->items);
    pthread_cond_destroy(&d->wake);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

void kl_doubt_marker(char *buf, size_t size, const char *host)
{
    random_marker(buf, size);
    size_t n = strlen(buf);
    if (n + 1 < size)
        snprintf(buf + n, size - n, "@%s", host ? host : "");
}

bool kl_doubt_marker_of(const char *description, const char *host)
{
    if (!kl_doubt_is_marker(description) || !host)
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

bool kl_doubt_is_marker(const char *description)
{
    return description && strncmp(description, MARKER_PREFIX, strlen(MARKER_PREFIX)) == 0;
}

static void *sweeper(void *arg)
{
    kl_doubts *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping && d->n > 0) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&d->wake, &d->lock, &until);
        if (d->stopping)
            break;
        pthread_mutex_unlock(&d->lock);
        kl_doubts_sweep(d);
        pthread_mutex_lock(&d->lock);
    }
    d->thread_running = false;
    pthread_mutex_unlock(&d->lock);
    return NULL;
}

static void add(kl_doubts *d, const char *marker, bool network)
{
    if (!d || !marker)
        return;
    pthread_mutex_lock(&d->lock);
    if (d->n == MAX_DOUBTS || d->stopping) {
        pthread_mutex_unlock(&d->lock);
        KLOG_WARN("too many port creates without an answer: not watching for %s", marker);
        return;
    }
    doubt *items = kl_grow(d->items, d->n, &d->cap, sizeof(*items));
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
    if (!d->thread_running) {
        /* the previous thread has left its loop (it never takes the lock again): join it first */
        if (d->joinable)
            pthread_join(d->thread, NULL);
        d->joinable = false;
        if (pthread_create(&d->thread, NULL, sweeper, d) == 0)
            d->thread_running = d->joinable = true;
        else
            KLOG_WARN("cannot start the thread that watches for late creates");
    }
    pthread_mutex_unlock(&d->lock);
}

void kl_doubts_add_port(kl_doubts *d, const char *marker)
{
    add(d, marker, false);
}

void kl_doubts_add_network(kl_doubts *d, const char *marker)
{
    add(d, marker, true);
}

/* Index of marker, or d->n. Called with the lock held. */
static size_t find(kl_doubts *d, const char *marker)
{
    size_t i = 0;
    while (i < d->n && strcmp(d->items[i].marker, marker) != 0)
        i++;
    return i;
}

static void remove_at(kl_doubts *d, size_t i)
{
    d->items[i] = d->items[--d->n];
}

void kl_doubts_forget(kl_doubts *d, const char *marker)
{
    if (!d || !kl_doubt_is_marker(marker))
        return;
    pthread_mutex_lock(&d->lock);
    size_t i = find(d, marker);
    if (i < d->n)
        remove_at(d, i);
    pthread_mutex_unlock(&d->lock);
}

size_t kl_doubts_pending(kl_doubts *d)
{
    if (!d)
        return 0;
    pthread_mutex_lock(&d->lock);
    size_t n = d->n;
    pthread_mutex_unlock(&d->lock);
    return n;
}

static bool still_doubted(kl_doubts *d, const char *marker)
{
    pthread_mutex_lock(&d->lock);
    bool still = find(d, marker) < d->n;
    pthread_mutex_unlock(&d->lock);
    return still;
}

/* Deletes the untagged networks carrying marker. Nothing adopts such a network (Docker never retries a
 * CreateNetwork with the same id), but one with subnets or tags has been put to use and stays. */
static bool settle_networks(kl_doubts *d, const char *marker)
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
static bool settle_ports(kl_doubts *d, const char *marker)
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

void kl_doubts_sweep(kl_doubts *d)
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
            time_t now = mono_s();
            if (!d->items[k].first_answer)
                d->items[k].first_answer = now;
            else if (now - d->items[k].first_answer >= d->grace_s)
                remove_at(d, k);
        }
        pthread_mutex_unlock(&d->lock);
    }
    free(items);
}
