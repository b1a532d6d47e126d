/* Ports made ahead of need, per subnet (see vif_pool.h). All of the pool's Neutron work (the start-up sweep,
 * bulk refills and the reset of recycled ports) runs as one key of a one-worker work queue (kuryr/workqueue.h),
 * one step per run: serial, as Neutron's load is meant to be, woken at once by the handlers, and re-scheduled
 * for when a retry or a rest comes due. */
#include "vif_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "grow.h"
#include "kuryr/binding.h"
#include "kuryr/clock.h"
#include "kuryr/log.h"
#include "kuryr/workqueue.h"
#include "mapping.h"
#include "names.h"
#include "plugin.h"

/* Wait after Neutron refused or was unreachable, before the same subnet or port is tried again. */
#define RETRY_S 5
/* A recycled port's next tap has the same name (tap<port id>): the linuxbridge agent, which polls every 2 s,
 * must have seen the old one go, or it never reports the new one up and the port stays DOWN until its next
 * full resync (18 s measured). Recycled ports rest this long, and the oldest ready port goes first. */
#define REST_S 5
/* How long a RequestAddress waits for a new network's first ready port (seed, below) before it makes a port
 * of its own. A bulk create of one bound port took 0.3-0.6 s here; this only bounds a Neutron in trouble. */
#define SEED_WAIT_S 10
/* The fill a new network's first container starts (by taking the seed) waits this long, so that this start
 * does not share Neutron and the host's cores with a bulk create of ports_pool_min bound ports, on top of
 * Neutron's own work for a new network. Containers coming meanwhile make their own ports, as they would
 * while the batch is in flight (seconds). */
#define FIRST_FILL_DELAY_S 2
/* The work queue's one key. */
#define WORK_KEY "pool"

typedef struct {
    kuryr_port *port;
    double usable_from;  /* kuryr_mono_s() */
} ready_port;

typedef struct {
    char subnet_id[64];
    char net_id[64];
    ready_port *ports;
    size_t n, cap;
    bool filling;
    /* Opened by CreateNetwork and not used yet: the pool holds one port (a new network's first container
     * then starts without waiting for a port create and bind) and fills to ports_pool_min at the first take. */
    bool seed;
    bool filling_seed;  /* the fill in flight makes that one port: a take waits for it */
    double retry_after;
} sub_pool;

typedef struct {
    kuryr_port *port;  /* as ReleaseAddress found it: still bound to the old endpoint */
    char subnet_id[64];
    bool busy;
    double retry_after;
} recycled;

typedef struct {
    char endpoint_id[65];
    kuryr_port *port;
} joined;

struct kl_vif_pool {
    kl_plugin *p;
    kl_vif_pool_cfg cfg;
    char desc[320];
    kuryr_workqueue *queue; /* runs step() */
    pthread_mutex_t lock;  /* guards everything below */
    pthread_cond_t done;   /* a fill or recycle finished */
    sub_pool *subs;
    size_t n_subs, cap_subs;
    recycled *rec;
    size_t n_rec, cap_rec;
    joined *used;  /* pool ports in use, by endpoint: DeleteEndpoint finds them without a Neutron lookup */
    size_t n_used, cap_used;
    bool stopping, swept;
};

static kuryr_work_result step(const char *key, unsigned attempt, void *userdata);

kl_vif_pool *kl_vif_pool_new(kl_plugin *p, const kl_vif_pool_cfg *cfg)
{
    kl_vif_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->p = p;
    pool->cfg = *cfg;
    if (pool->cfg.batch < 1)
        pool->cfg.batch = 1;
    if (pool->cfg.update_frequency_s < 1)
        pool->cfg.update_frequency_s = 1;
    snprintf(pool->desc, sizeof(pool->desc), "%s%s", KL_POOL_DESC_PREFIX, p->hostname);
    kuryr_workqueue_opts opts = {.workers = 1, .name = "vif-pool"};
    pool->queue = kuryr_workqueue_new(&opts, step, pool);
    if (!pool->queue) {
        KLOG_ERROR("vif pool: cannot start its worker; containers get new ports instead");
        free(pool);
        return NULL;
    }
    pthread_mutex_init(&pool->lock, NULL);
    kuryr_cond_init_mono(&pool->done);
    return pool;
}

static void sub_clear(sub_pool *s)
{
    for (size_t i = 0; i < s->n; i++)
        kuryr_port_free(s->ports[i].port);
    free(s->ports);
    s->ports = NULL;
    s->n = s->cap = 0;
}

void kl_vif_pool_free(kl_vif_pool *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stopping = true;
    pthread_cond_broadcast(&pool->done);
    pthread_mutex_unlock(&pool->lock);
    kuryr_workqueue_free(pool->queue); /* waits for the step in progress */
    size_t ready = 0;
    for (size_t i = 0; i < pool->n_subs; i++) {
        ready += pool->subs[i].n;
        sub_clear(&pool->subs[i]);
    }
    if (ready)
        KLOG_INFO("vif pool: %zu ready ports stay in Neutron until the next start", ready);
    for (size_t i = 0; i < pool->n_rec; i++)
        kuryr_port_free(pool->rec[i].port);
    for (size_t i = 0; i < pool->n_used; i++)
        kuryr_port_free(pool->used[i].port);
    free(pool->subs);
    free(pool->rec);
    free(pool->used);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

static sub_pool *find_sub(kl_vif_pool *pool, const char *subnet_id)
{
    for (size_t i = 0; i < pool->n_subs; i++) {
        if (strcmp(pool->subs[i].subnet_id, subnet_id) == 0)
            return &pool->subs[i];
    }
    return NULL;
}

static bool push_port(sub_pool *s, kuryr_port *port, double usable_from)
{
    ready_port *v = kl_grow(s->ports, s->n, &s->cap, sizeof(*v));
    if (!v)
        return false;
    s->ports = v;
    s->ports[s->n++] = (ready_port){port, usable_from};
    return true;
}

/* Removes entry i and returns its port. */
static kuryr_port *pop_port(sub_pool *s, size_t i)
{
    kuryr_port *port = s->ports[i].port;
    s->ports[i] = s->ports[--s->n];
    return port;
}

static bool full(const kl_vif_pool *pool, const sub_pool *s)
{
    return pool->cfg.max > 0 && (long)s->n >= pool->cfg.max;
}

/* How many ready ports the subnet should hold now. */
static long target(const kl_vif_pool *pool, const sub_pool *s)
{
    return s->seed && pool->cfg.min > 1 ? 1 : pool->cfg.min;
}

static const char *only_subnet(const kuryr_port *port)
{
    return port->n_fixed_ips == 1 ? port->fixed_ips[0].subnet_id : NULL;
}

/* ---- the thread's Neutron work (called without the lock) --------------------------------------------- */

/* Deletes the ready ports an earlier run of this daemon left: which of them it had handed out died with it. */
static bool sweep(kl_vif_pool *pool)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "name", KL_POOL_PORT_NAME);
    kuryr_query_add(q, "description", pool->desc);
    kuryr_port_list l = {0}; /* whole ports: unplugging needs their binding */
    kuryr_error err;
    int rc = kuryr_neutron_port_list(pool->p->kn, q, &l, &err);
    kuryr_query_free(q);
    if (rc < 0) {
        KLOG_WARN("vif pool: listing the ports a previous run left failed: %s", err.message);
        return false;
    }
    size_t deleted = 0;
    for (size_t i = 0; i < l.n; i++) {
        const char *desc = json_string_value(json_object_get(l.items[i]->raw, "description"));
        if (!desc || strcmp(desc, pool->desc) != 0)
            continue; /* another host's (the filter above already says so; the delete must not rely on it) */
        if (kl_vif_pool_port_endpoint(l.items[i], NULL))
            continue; /* a container's: the reconciliation judges it against Docker */
        /* one CreateEndpoint plugged just before the previous run died, with its Join still to come */
        kuryr_bind_request br = {.port = l.items[i], .owner_id = l.items[i]->id};
        kuryr_error ignored;
        if (kl_bind_request_prepare(pool->p, &br, &ignored) == 0)
            kuryr_unbind(&pool->p->bcfg, &br, &ignored);
        if (kuryr_neutron_port_delete(pool->p->kn, l.items[i]->id, &err) == 0 || err.kind == KURYR_ERR_NOT_FOUND)
            deleted++;
        else
            KLOG_WARN("vif pool: deleting leftover ready port %s failed: %s", l.items[i]->id, err.message);
    }
    if (deleted)
        KLOG_INFO("vif pool: deleted %zu ready ports a previous run left", deleted);
    kuryr_port_list_clear(&l);
    return true;
}

/* A copy of port as Neutron has it after tagging (the copy the handlers see must carry the tag, or
 * CreateEndpoint's tag update would drop it); NULL when out of memory. */
static kuryr_port *tagged_copy(const kuryr_port *port)
{
    json_t *raw = json_deep_copy(port->raw);
    if (!raw)
        return NULL;
    json_object_set_new(raw, "tags", json_pack("[s]", KL_TAG_PORT_KURYR));
    kuryr_error err;
    kuryr_port *tagged = kuryr_port_from_json(raw, &err);
    json_decref(raw);
    return tagged;
}

/* Makes count ports in subnet s in one request and tags them as kuryr's. NULL-terminated list, or NULL. */
static kuryr_port_list make_ports(kl_vif_pool *pool, const char *net_id, const char *subnet_id, long count)
{
    kuryr_port_list made = {0};
    json_t *list = json_array();
    for (long i = 0; i < count; i++)
        json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:[{s:s}]}", "network_id", net_id,
                                              "name", KL_POOL_PORT_NAME, "description", pool->desc,
                                              "binding:host_id", pool->p->hostname, "device_owner",
                                              KL_DEVICE_OWNER, "admin_state_up", 1, "fixed_ips", "subnet_id",
                                              subnet_id));
    kuryr_error err;
    int rc = kuryr_neutron_port_create_bulk(pool->p->kn, list, &made, &err);
    json_decref(list);
    if (rc < 0) {
        KLOG_WARN("vif pool: making %ld ports in subnet %s failed: %s", count, subnet_id, err.message);
        return made;
    }
    /* Neutron drops tags given at creation: they follow, one request per port */
    const char *tags[] = {KL_TAG_PORT_KURYR};
    for (size_t i = 0; i < made.n; i++) {
        const char *vif_type = made.items[i]->binding_vif_type;
        if (vif_type && (!strcmp(vif_type, "binding_failed") || !strcmp(vif_type, "unbound"))) {
            /* a port no container could use: no live L2 agent (or ovn-controller) for this host name */
            KLOG_ERROR("vif pool: Neutron could not bind port %s to host %s (vif_type %s): deleting it; is this "
                       "host's L2 agent alive? (kuryrctl doctor)", made.items[i]->id, pool->p->hostname, vif_type);
            kuryr_neutron_port_delete(pool->p->kn, made.items[i]->id, &err);
            kuryr_port_free(made.items[i]);
            made.items[i] = NULL;
            continue;
        }
        if (kuryr_neutron_tags_replace(pool->p->kn, "ports", made.items[i]->id, tags, 1, &err) == 0) {
            kuryr_port *tagged = tagged_copy(made.items[i]);
            kuryr_port_free(made.items[i]);
            made.items[i] = tagged;
            continue;
        }
        KLOG_WARN("vif pool: tagging port %s failed (%s): deleting it", made.items[i]->id, err.message);
        kuryr_neutron_port_delete(pool->p->kn, made.items[i]->id, &err);
        kuryr_port_free(made.items[i]);
        made.items[i] = NULL;
    }
    return made;
}

static void fill(kl_vif_pool *pool, sub_pool *s)
{
    char net_id[64], subnet_id[64];
    snprintf(net_id, sizeof(net_id), "%s", s->net_id);
    snprintf(subnet_id, sizeof(subnet_id), "%s", s->subnet_id);
    long count = s->seed ? target(pool, s) - (long)s->n : pool->cfg.batch;
    if (pool->cfg.max > 0 && count > pool->cfg.max - (long)s->n)
        count = pool->cfg.max - (long)s->n;
    s->filling = true;
    s->filling_seed = s->seed;
    pthread_mutex_unlock(&pool->lock);

    kuryr_port_list made = make_ports(pool, net_id, subnet_id, count);

    pthread_mutex_lock(&pool->lock);
    s = find_sub(pool, subnet_id); /* closed meanwhile when absent */
    size_t added = 0, extra = 0;
    for (size_t i = 0; i < made.n; i++) {
        if (!made.items[i])
            continue;
        if (s && push_port(s, made.items[i], kuryr_mono_s())) {
            made.items[i] = NULL;
            added++;
        } else {
            extra++;
        }
    }
    if (s) {
        s->filling = false;
        s->filling_seed = false;
        if (!added) /* nothing made, or every port deleted again (tagging failed): not again at once */
            s->retry_after = kuryr_mono_s() + RETRY_S;
    }
    pthread_cond_broadcast(&pool->done);
    pthread_mutex_unlock(&pool->lock);
    if (added)
        KLOG_INFO("vif pool: %zu ports ready in subnet %s", added, subnet_id);
    kuryr_error err;
    for (size_t i = 0; extra && i < made.n; i++) {
        /* the network went away during the request: DeleteNetwork has not seen these */
        if (made.items[i] && kuryr_neutron_port_delete(pool->p->kn, made.items[i]->id, &err) < 0)
            KLOG_WARN("vif pool: deleting port %s of a closed pool failed: %s", made.items[i]->id, err.message);
    }
    kuryr_port_list_clear(&made);
    pthread_mutex_lock(&pool->lock);
}

static void remove_rec(kl_vif_pool *pool, recycled *r)
{
    kuryr_port_free(r->port);
    *r = pool->rec[--pool->n_rec];
    pthread_cond_broadcast(&pool->done);
}

static recycled *find_rec(kl_vif_pool *pool, const char *port_id)
{
    for (size_t i = 0; i < pool->n_rec; i++) {
        if (strcmp(pool->rec[i].port->id, port_id) == 0)
            return &pool->rec[i];
    }
    return NULL;
}

/* Makes a released port ready again: it stays bound to this host, so only the previous endpoint's tags go
 * (tags are Neutron's cheapest write: no ML2 work, no agent notified). A port the pool can no longer take is
 * deleted instead. */
static void recycle(kl_vif_pool *pool, recycled *r)
{
    char id[64], subnet_id[64];
    snprintf(id, sizeof(id), "%s", r->port->id);
    snprintf(subnet_id, sizeof(subnet_id), "%s", r->subnet_id);
    /* only this thread removes a busy entry, so its port outlives the unlocked part (the array may move) */
    const kuryr_port *released = r->port;
    r->busy = true;
    pthread_mutex_unlock(&pool->lock);

    const char *tags[] = {KL_TAG_PORT_KURYR};
    kuryr_error err;
    int rc = kuryr_neutron_tags_replace(pool->p->kn, "ports", id, tags, 1, &err);
    kuryr_port *ready = NULL;
    if (rc == 0 && !(ready = tagged_copy(released)))
        rc = kuryr_error_set(&err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");

    pthread_mutex_lock(&pool->lock);
    sub_pool *s = find_sub(pool, subnet_id);
    bool kept = rc == 0 && s && !full(pool, s) && push_port(s, ready, kuryr_mono_s() + REST_S);
    if (kept)
        ready = NULL;
    r = find_rec(pool, id);
    if (rc < 0 && err.kind == KURYR_ERR_UNAVAILABLE && r) {
        r->busy = false;
        r->retry_after = kuryr_mono_s() + RETRY_S;
        KLOG_WARN("vif pool: resetting released port %s failed (again in %d s): %s", id, RETRY_S, err.message);
        return;
    }
    if (r)
        remove_rec(pool, r);
    pthread_mutex_unlock(&pool->lock);
    if (kept) {
        KLOG_INFO("vif pool: port %s is ready again", id);
    } else if (rc < 0 && err.kind == KURYR_ERR_NOT_FOUND) {
        /* deleted meanwhile (the network's removal, the reconciliation): nothing left to do */
    } else {
        if (rc < 0)
            KLOG_WARN("vif pool: resetting released port %s failed: %s; deleting it", id, err.message);
        if (kuryr_neutron_port_delete(pool->p->kn, id, &err) < 0 && err.kind != KURYR_ERR_NOT_FOUND)
            KLOG_ERROR("vif pool: deleting released port %s failed: %s; the reconciliation removes it later", id,
                       err.message);
        else
            KLOG_INFO("deleted port %s (its pool is full or closed)", id);
    }
    kuryr_port_free(ready);
    pthread_mutex_lock(&pool->lock);
}

/* ---- the thread -------------------------------------------------------------------------------------- */

/* s holds fewer ports than it should and no fill of it is in flight (it may still have to wait for
 * retry_after). */
static bool needs_fill(const kl_vif_pool *pool, const sub_pool *s)
{
    return !s->filling && (long)s->n < target(pool, s) && !full(pool, s);
}

static sub_pool *next_fill(kl_vif_pool *pool, double now)
{
    for (size_t i = 0; i < pool->n_subs; i++) {
        sub_pool *s = &pool->subs[i];
        if (needs_fill(pool, s) && s->retry_after <= now)
            return s;
    }
    return NULL;
}

/* The earliest time a subnet that needs ports may be filled, when that is later than now; 0 when none. */
static double next_fill_due(const kl_vif_pool *pool, double now)
{
    double due = 0;
    for (size_t i = 0; i < pool->n_subs; i++) {
        const sub_pool *s = &pool->subs[i];
        if (needs_fill(pool, s) && s->retry_after > now && (!due || s->retry_after < due))
            due = s->retry_after;
    }
    return due;
}

static recycled *next_recycle(kl_vif_pool *pool, double now)
{
    for (size_t i = 0; i < pool->n_rec; i++) {
        if (!pool->rec[i].busy && pool->rec[i].retry_after <= now)
            return &pool->rec[i];
    }
    return NULL;
}

/* Does one piece of due work (sweep, else a recycle, else a fill). True when it did: there may be more.
 * Called with the lock held. */
static bool do_one(kl_vif_pool *pool)
{
    double now = kuryr_mono_s();
    recycled *r;
    sub_pool *s;
    if (!pool->swept) {
        pthread_mutex_unlock(&pool->lock);
        bool ok = sweep(pool);
        pthread_mutex_lock(&pool->lock);
        pool->swept = ok;
        return ok;
    }
    if ((r = next_recycle(pool, now))) {
        recycle(pool, r); /* returned ports first: a container may be waiting for an address */
        return true;
    }
    if ((s = next_fill(pool, now))) {
        fill(pool, s);
        return true;
    }
    return false;
}

/* Seconds until the step should look again with nothing to do now: a failed sweep is retried after RETRY_S, a
 * pool in use is looked at every RETRY_S at least (a retry may come due), an idle one every
 * update_frequency_s, and a fill waiting for its time (a retry, the first fill's delay) when it is due. */
static double next_look_in(const kl_vif_pool *pool)
{
    double now = kuryr_mono_s();
    double in = pool->swept ? (double)pool->cfg.update_frequency_s : RETRY_S;
    if (pool->swept && (pool->n_rec || pool->n_subs) && in > RETRY_S)
        in = RETRY_S;
    double due = next_fill_due(pool, now);
    if (pool->swept && due && due - now < in)
        in = due - now;
    return in;
}

/* The work queue's handler: the pool's Neutron work, one piece per run so that each waits its turn. */
static kuryr_work_result step(const char *key, unsigned attempt, void *userdata)
{
    (void)attempt;
    kl_vif_pool *pool = userdata;
    pthread_mutex_lock(&pool->lock);
    bool stopping = pool->stopping;
    bool more = !stopping && do_one(pool);
    double in = more ? 0 : next_look_in(pool);
    pthread_cond_broadcast(&pool->done);
    pthread_mutex_unlock(&pool->lock);
    if (!stopping)
        kuryr_workqueue_add_after(pool->queue, key, in);
    return KURYR_WORK_DONE;
}

/* ---- the handlers' side ------------------------------------------------------------------------------ */

/* The subnet's pool, opened when absent (NULL when out of memory). Called with the lock held. */
static sub_pool *open_sub(kl_vif_pool *pool, const char *net_id, const char *subnet_id, bool seed)
{
    sub_pool *s = find_sub(pool, subnet_id);
    if (s)
        return s;
    sub_pool *grown = kl_grow(pool->subs, pool->n_subs, &pool->cap_subs, sizeof(*grown));
    if (!grown)
        return NULL;
    sub_pool opened = {.seed = seed};
    snprintf(opened.subnet_id, sizeof(opened.subnet_id), "%s", subnet_id);
    snprintf(opened.net_id, sizeof(opened.net_id), "%s", net_id);
    pool->subs = grown;
    s = &grown[pool->n_subs++];
    *s = opened;
    KLOG_INFO("vif pool: opened for subnet %s%s", subnet_id, seed ? " (one port until its first container)" : "");
    return s;
}

/* Runs the step now. Called with the lock held (the queue's lock comes after the pool's). */
static void kick(kl_vif_pool *pool)
{
    if (!pool->stopping)
        kuryr_workqueue_add(pool->queue, WORK_KEY);
}

/* Wakes the step when s holds fewer ports than it should. Called with the lock held. */
static void want_fill(kl_vif_pool *pool, const sub_pool *s)
{
    if ((long)s->n < target(pool, s))
        kick(pool);
}

static bool ids_fit(const kl_vif_pool *pool, const char *net_id, const char *subnet_id)
{
    return pool && strlen(subnet_id) < sizeof(pool->subs[0].subnet_id) &&
           strlen(net_id) < sizeof(pool->subs[0].net_id);
}

void kl_vif_pool_seed(kl_vif_pool *pool, const char *net_id, const char *subnet_id)
{
    if (!ids_fit(pool, net_id, subnet_id) || pool->cfg.min < 1)
        return;
    pthread_mutex_lock(&pool->lock);
    sub_pool *s = open_sub(pool, net_id, subnet_id, true);
    if (s)
        want_fill(pool, s);
    pthread_mutex_unlock(&pool->lock);
}

/* The oldest usable ready port of s, taken out; NULL when none. */
static kuryr_port *pick(sub_pool *s, double now)
{
    size_t oldest = s->n;
    for (size_t i = 0; i < s->n; i++) {
        double t = s->ports[i].usable_from;
        if (t <= now && (oldest == s->n || t < s->ports[oldest].usable_from))
            oldest = i;
    }
    return oldest < s->n ? pop_port(s, oldest) : NULL;
}

kuryr_port *kl_vif_pool_take(kl_vif_pool *pool, const char *net_id, const char *subnet_id)
{
    if (!ids_fit(pool, net_id, subnet_id))
        return NULL;
    struct timespec deadline = kuryr_mono_deadline(SEED_WAIT_S);
    pthread_mutex_lock(&pool->lock);
    sub_pool *s = open_sub(pool, net_id, subnet_id, false);
    kuryr_port *port = s ? pick(s, kuryr_mono_s()) : NULL;
    /* a new network's first port is on its way: sooner here than a port made and bound for this request.
     * Only that one-port fill is waited for; a batch takes seconds, and a request makes its own port faster. */
    while (!port && s && s->filling_seed && !pool->stopping) {
        if (pthread_cond_timedwait(&pool->done, &pool->lock, &deadline) != 0)
            break;
        s = find_sub(pool, subnet_id); /* the array may have moved, or the network gone */
        port = s ? pick(s, kuryr_mono_s()) : NULL;
    }
    if (s) {
        if (s->seed && port)
            s->retry_after = kuryr_mono_s() + FIRST_FILL_DELAY_S;
        s->seed = false; /* in use: fill to ports_pool_min */
        want_fill(pool, s);
    }
    pthread_mutex_unlock(&pool->lock);
    return port;
}

bool kl_vif_pool_take_id(kl_vif_pool *pool, const char *port_id)
{
    if (!pool)
        return false;
    bool found = false;
    pthread_mutex_lock(&pool->lock);
    for (size_t i = 0; i < pool->n_subs && !found; i++) {
        sub_pool *s = &pool->subs[i];
        for (size_t j = 0; j < s->n; j++) {
            if (strcmp(s->ports[j].port->id, port_id) == 0) {
                kuryr_port_free(pop_port(s, j));
                found = true;
                break;
            }
        }
    }
    pthread_mutex_unlock(&pool->lock);
    return found;
}

bool kl_vif_pool_give(kl_vif_pool *pool, const kuryr_port *port)
{
    const char *subnet_id = only_subnet(port);
    if (!pool || !subnet_id || strlen(subnet_id) >= sizeof(pool->rec[0].subnet_id) ||
        !kl_vif_pool_port_is_pooled(port) || !port->binding_host_id ||
        strcmp(port->binding_host_id, pool->p->hostname) != 0)
        return false;
    kuryr_port *copy = kuryr_port_copy(port);
    if (!copy)
        return false;
    bool accepted = false;
    pthread_mutex_lock(&pool->lock);
    sub_pool *s = find_sub(pool, subnet_id);
    for (size_t i = 0; s && i < s->n && !accepted; i++)
        accepted = strcmp(s->ports[i].port->id, copy->id) == 0; /* a repeated release of a port already back */
    if (!accepted && s && find_rec(pool, copy->id))
        accepted = true; /* or of one on its way back: deleting it now would leave the pool a deleted port */
    if (!accepted && s && !full(pool, s) && !pool->stopping) {
        recycled *grown = kl_grow(pool->rec, pool->n_rec, &pool->cap_rec, sizeof(*grown));
        if (grown) {
            pool->rec = grown;
            recycled *r = &pool->rec[pool->n_rec++];
            memset(r, 0, sizeof(*r));
            r->port = copy;
            snprintf(r->subnet_id, sizeof(r->subnet_id), "%s", subnet_id);
            copy = NULL;
            accepted = true;
            kick(pool);
        }
    }
    pthread_mutex_unlock(&pool->lock);
    kuryr_port_free(copy);
    return accepted;
}

static bool rec_holds(const kl_vif_pool *pool, const char *net_id, const char *ip)
{
    for (size_t i = 0; i < pool->n_rec; i++) {
        const kuryr_port *port = pool->rec[i].port;
        if (!port->network_id || strcmp(port->network_id, net_id) != 0)
            continue;
        for (size_t j = 0; j < port->n_fixed_ips; j++) {
            if (port->fixed_ips[j].ip_address && strcmp(port->fixed_ips[j].ip_address, ip) == 0)
                return true;
        }
    }
    return false;
}

/* Waits on done (at most timeout_s, or until stopping) for settled(pool, arg); returns its last answer. */
static bool wait_settled(kl_vif_pool *pool, int timeout_s, bool (*settled)(const kl_vif_pool *, const void *),
                         const void *arg)
{
    struct timespec ts = kuryr_mono_deadline(timeout_s);
    pthread_mutex_lock(&pool->lock);
    while (!settled(pool, arg) && !pool->stopping) {
        if (pthread_cond_timedwait(&pool->done, &pool->lock, &ts) != 0)
            break;
    }
    bool ok = settled(pool, arg);
    pthread_mutex_unlock(&pool->lock);
    return ok;
}

bool kl_vif_pool_wait_idle(kl_vif_pool *pool, int timeout_s)
{
    return !pool || kuryr_workqueue_wait_idle_for(pool->queue, timeout_s);
}

typedef struct {
    const char *net_id, *ip;
} net_ip;

static bool ip_clear(const kl_vif_pool *pool, const void *arg)
{
    const net_ip *x = arg;
    return !rec_holds(pool, x->net_id, x->ip);
}

bool kl_vif_pool_wait_ip(kl_vif_pool *pool, const char *net_id, const char *ip, int timeout_s)
{
    net_ip x = {net_id, ip};
    return !pool || wait_settled(pool, timeout_s, ip_clear, &x);
}

void kl_vif_pool_close_net(kl_vif_pool *pool, const char *net_id, int timeout_s)
{
    if (!pool)
        return;
    struct timespec ts = kuryr_mono_deadline(timeout_s);
    pthread_mutex_lock(&pool->lock);
    /* a released port still waiting to be unbound would keep Neutron from deleting the network */
    while (!pool->stopping) {
        bool pending = false;
        for (size_t i = 0; i < pool->n_subs; i++)
            pending = pending || (pool->subs[i].filling && strcmp(pool->subs[i].net_id, net_id) == 0);
        for (size_t i = 0; i < pool->n_rec; i++)
            pending = pending || (pool->rec[i].port->network_id &&
                                  strcmp(pool->rec[i].port->network_id, net_id) == 0);
        if (!pending || pthread_cond_timedwait(&pool->done, &pool->lock, &ts) != 0)
            break;
    }
    for (size_t i = 0; i < pool->n_subs;) {
        /* a refill still in flight finds its pool gone and deletes what it made (fill) */
        if (strcmp(pool->subs[i].net_id, net_id) == 0) {
            sub_clear(&pool->subs[i]);
            pool->subs[i] = pool->subs[--pool->n_subs];
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < pool->n_used;) {
        if (pool->used[i].port->network_id && strcmp(pool->used[i].port->network_id, net_id) == 0) {
            kuryr_port_free(pool->used[i].port);
            pool->used[i] = pool->used[--pool->n_used];
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < pool->n_rec;) {
        if (!pool->rec[i].busy && pool->rec[i].port->network_id &&
            strcmp(pool->rec[i].port->network_id, net_id) == 0)
            remove_rec(pool, &pool->rec[i]); /* Neutron unreachable: the network delete fails on it anyway */
        else
            i++;
    }
    pthread_mutex_unlock(&pool->lock);
}

void kl_vif_pool_joined(kl_vif_pool *pool, const char *endpoint_id, const kuryr_port *port)
{
    if (!pool || strlen(endpoint_id) >= sizeof(pool->used[0].endpoint_id))
        return;
    kuryr_port *copy = kuryr_port_copy(port);
    if (!copy)
        return;
    pthread_mutex_lock(&pool->lock);
    joined *grown = kl_grow(pool->used, pool->n_used, &pool->cap_used, sizeof(*grown));
    if (grown) {
        pool->used = grown;
        joined *j = &pool->used[pool->n_used++];
        snprintf(j->endpoint_id, sizeof(j->endpoint_id), "%s", endpoint_id);
        j->port = copy;
        copy = NULL;
    }
    pthread_mutex_unlock(&pool->lock);
    kuryr_port_free(copy);
}

kuryr_port *kl_vif_pool_leaving(kl_vif_pool *pool, const char *endpoint_id)
{
    if (!pool)
        return NULL;
    kuryr_port *port = NULL;
    pthread_mutex_lock(&pool->lock);
    for (size_t i = 0; i < pool->n_used; i++) {
        if (strcmp(pool->used[i].endpoint_id, endpoint_id) == 0) {
            port = pool->used[i].port;
            pool->used[i] = pool->used[--pool->n_used];
            break;
        }
    }
    pthread_mutex_unlock(&pool->lock);
    return port;
}

size_t kl_vif_pool_ready(kl_vif_pool *pool)
{
    if (!pool)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&pool->lock);
    for (size_t i = 0; i < pool->n_subs; i++)
        n += pool->subs[i].n;
    pthread_mutex_unlock(&pool->lock);
    return n;
}

bool kl_vif_pool_port_endpoint(const kuryr_port *port, char out[65])
{
    if (port->device_id && *port->device_id) {
        if (out)
            snprintf(out, 65, "%.64s", port->device_id);
        return true;
    }
    if (!kl_vif_pool_port_is_pooled(port))
        return false;
    const char *lh = NULL, *uh = NULL;
    size_t ll = strlen(KL_TAG_LH), ul = strlen(KL_TAG_UH);
    for (size_t i = 0; i < port->tags.n; i++) {
        const char *t = port->tags.items[i];
        if (!strncmp(t, KL_TAG_LH, ll) && strlen(t) == ll + 32)
            lh = t + ll;
        else if (!strncmp(t, KL_TAG_UH, ul) && strlen(t) == ul + 32)
            uh = t + ul;
    }
    if (!lh || !uh)
        return false;
    if (out)
        snprintf(out, 65, "%s%s", lh, uh);
    return true;
}

bool kl_vif_pool_port_is_pooled(const kuryr_port *port)
{
    const char *desc = json_string_value(json_object_get(port->raw, "description"));
    return port->name && strcmp(port->name, KL_POOL_PORT_NAME) == 0 && desc &&
           strncmp(desc, KL_POOL_DESC_PREFIX, strlen(KL_POOL_DESC_PREFIX)) == 0;
}
