/* Ports made ahead of need, per key (see kuryr/port_pool.h). All of the pool's Neutron work (the start-up
 * sweep, bulk refills and the reset of returned ports) runs as one key of a one-worker work queue
 * (kuryr/workqueue.h), one step per run: serial, as Neutron's load is meant to be, woken at once by takes and
 * returns, and re-scheduled for when a retry or a rest comes due. */
#include "kuryr/port_pool.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kuryr/clock.h"
#include "kuryr/grow.h"
#include "kuryr/log.h"
#include "kuryr/workqueue.h"

/* Wait after Neutron refused or was unreachable, before the same subnet or port is tried again. */
#define RETRY_S 5
/* A recycled port's next tap has the same name (tap<port id>): the linuxbridge agent, which polls every 2 s,
 * must have seen the old one go, or it never reports the new one up and the port stays DOWN until its next
 * full resync (18 s measured). Recycled ports rest this long, and the oldest ready port goes first. */
#define REST_S 5
/* How long a take waits for a new network's first ready port (seed, below) before its caller makes a port
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
    char *key;          /* kuryr_pool_key as one string (key_string) */
    char subnet_id[64];
    char net_id[64];
    char project_id[64];  /* "" for the credentials' project */
    json_t *security_groups; /* array of ids, or NULL for Neutron's default */
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
    kuryr_port *port;  /* as its user released it: still tagged for that user */
    char *key;         /* of its pool */
    bool busy;
    double retry_after;
} recycled;

typedef struct {
    char *user;
    kuryr_port *port;
} lent;

struct kuryr_port_pool {
    kuryr_port_pool_cfg cfg; /* its strings point at the copies below */
    char *host, *desc, *device_owner, *ready_tag, *log_name;
    kuryr_workqueue *queue; /* runs step() */
    pthread_mutex_t lock;  /* guards everything below */
    pthread_cond_t done;   /* a fill or recycle finished */
    sub_pool *subs;
    size_t n_subs, cap_subs;
    recycled *rec;
    size_t n_rec, cap_rec;
    lent *used;    /* pool ports in use, by user: their return needs no Neutron lookup */
    size_t n_used, cap_used;
    bool stopping, swept;
};

static kuryr_work_result step(const char *key, unsigned attempt, void *userdata);

static void strings_free(kuryr_port_pool *pool)
{
    free(pool->host);
    free(pool->desc);
    free(pool->device_owner);
    free(pool->ready_tag);
    free(pool->log_name);
}

kuryr_port_pool *kuryr_port_pool_new(const kuryr_port_pool_cfg *cfg)
{
    kuryr_port_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->cfg = *cfg;
    if (pool->cfg.batch < 1)
        pool->cfg.batch = 1;
    if (pool->cfg.update_frequency_s < 1)
        pool->cfg.update_frequency_s = 1;
    pool->host = strdup(cfg->host ? cfg->host : "");
    pool->desc = strdup(cfg->description ? cfg->description : KURYR_POOL_DESC_PREFIX);
    pool->device_owner = strdup(cfg->device_owner ? cfg->device_owner : "");
    pool->ready_tag = cfg->ready_tag ? strdup(cfg->ready_tag) : NULL;
    pool->log_name = strdup(cfg->log_name ? cfg->log_name : "port pool");
    kuryr_workqueue_opts opts = {.workers = 1, .name = "port-pool"};
    if (!pool->host || !pool->desc || !pool->device_owner || (cfg->ready_tag && !pool->ready_tag) ||
        !pool->log_name || !(pool->queue = kuryr_workqueue_new(&opts, step, pool))) {
        KLOG_ERROR("%s: cannot start its worker; containers get new ports instead",
                   pool->log_name ? pool->log_name : "port pool");
        strings_free(pool);
        free(pool);
        return NULL;
    }
    pool->cfg.host = pool->host;
    pool->cfg.description = pool->desc;
    pool->cfg.device_owner = pool->device_owner;
    pool->cfg.ready_tag = pool->ready_tag;
    pool->cfg.log_name = pool->log_name;
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

static void sub_free(sub_pool *s)
{
    sub_clear(s);
    free(s->key);
    json_decref(s->security_groups);
}

static void rec_free(recycled *r)
{
    kuryr_port_free(r->port);
    free(r->key);
}

void kuryr_port_pool_free(kuryr_port_pool *pool)
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
        sub_free(&pool->subs[i]);
    }
    if (ready)
        KLOG_INFO("%s: %zu ready ports stay in Neutron until the next start", pool->log_name, ready);
    for (size_t i = 0; i < pool->n_rec; i++)
        rec_free(&pool->rec[i]);
    for (size_t i = 0; i < pool->n_used; i++) {
        kuryr_port_free(pool->used[i].port);
        free(pool->used[i].user);
    }
    free(pool->subs);
    free(pool->rec);
    free(pool->used);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
    strings_free(pool);
    free(pool);
}

static sub_pool *find_sub(kuryr_port_pool *pool, const char *key)
{
    for (size_t i = 0; i < pool->n_subs; i++) {
        if (strcmp(pool->subs[i].key, key) == 0)
            return &pool->subs[i];
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* key as one string, "<subnet>|<project>|<group>,<group>..." with the groups sorted (their order does not make
 * ports different); NULL when an id is too long for a Neutron id or out of memory. */
static char *key_string(const kuryr_pool_key *key)
{
    if (!key || !key->network_id || !key->subnet_id || strlen(key->network_id) >= 64 ||
        strlen(key->subnet_id) >= 64 || (key->project_id && strlen(key->project_id) >= 64))
        return NULL;
    size_t n = 0, len = strlen(key->subnet_id) + 130;
    while (key->security_groups && key->security_groups[n])
        len += strlen(key->security_groups[n++]) + 1;
    const char **sgs = n ? calloc(n, sizeof(*sgs)) : NULL;
    char *s = malloc(len);
    if ((n && !sgs) || !s) {
        free(sgs);
        free(s);
        return NULL;
    }
    if (n) { /* memcpy from or to NULL is undefined even for 0 bytes */
        memcpy(sgs, key->security_groups, n * sizeof(*sgs));
        qsort(sgs, n, sizeof(*sgs), cmp_str);
    }
    int o = snprintf(s, len, "%s|%s|%s", key->subnet_id, key->project_id ? key->project_id : "",
                     key->security_groups ? "sg:" : "");
    for (size_t i = 0; i < n; i++)
        o += snprintf(s + o, len - (size_t)o, "%s%s", i ? "," : "", sgs[i]);
    free(sgs);
    return s;
}

static bool push_port(sub_pool *s, kuryr_port *port, double usable_from)
{
    ready_port *v = kuryr_grow(s->ports, s->n, &s->cap, sizeof(*v));
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

static bool full(const kuryr_port_pool *pool, const sub_pool *s)
{
    return pool->cfg.max > 0 && (long)s->n >= pool->cfg.max;
}

/* How many ready ports the subnet should hold now. */
static long target(const kuryr_port_pool *pool, const sub_pool *s)
{
    return s->seed && pool->cfg.min > 1 ? 1 : pool->cfg.min;
}

static const char *only_subnet(const kuryr_port *port)
{
    return port->n_fixed_ips == 1 ? port->fixed_ips[0].subnet_id : NULL;
}

static const char *port_description(const kuryr_port *port)
{
    return json_string_value(json_object_get(port->raw, "description"));
}

/* ---- the background Neutron work (called without the lock) --------------------------------------------- */

/* Deletes the ready ports an earlier run of this daemon left: which of them it had handed out died with it. */
static bool sweep(kuryr_port_pool *pool)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "name", KURYR_POOL_PORT_NAME);
    kuryr_query_add(q, "description", pool->desc);
    kuryr_port_list l = {0}; /* whole ports: unplugging needs their binding */
    kuryr_error err;
    int rc = kuryr_neutron_port_list(pool->cfg.kn, q, &l, &err);
    kuryr_query_free(q);
    if (rc < 0) {
        KLOG_WARN("%s: listing the ports a previous run left failed: %s", pool->log_name, err.message);
        return false;
    }
    size_t deleted = 0;
    for (size_t i = 0; i < l.n; i++) {
        const char *desc = port_description(l.items[i]);
        if (!desc || strcmp(desc, pool->desc) != 0)
            continue; /* another owner's (the filter above already says so; the delete must not rely on it) */
        if (pool->cfg.in_use && pool->cfg.in_use(l.items[i], pool->cfg.ud))
            continue; /* a user's: judged by the caller's reconciliation */
        if (pool->cfg.before_delete)
            pool->cfg.before_delete(l.items[i], pool->cfg.ud);
        if (kuryr_neutron_port_delete(pool->cfg.kn, l.items[i]->id, &err) == 0 || err.kind == KURYR_ERR_NOT_FOUND)
            deleted++;
        else
            KLOG_WARN("%s: deleting leftover ready port %s failed: %s", pool->log_name, l.items[i]->id, err.message);
    }
    if (deleted)
        KLOG_INFO("%s: deleted %zu ready ports a previous run left", pool->log_name, deleted);
    kuryr_port_list_clear(&l);
    return true;
}

/* A copy of port as Neutron has it after tagging (the copy the users see must carry the tag, or their own tag
 * update would drop it); NULL when out of memory. */
static kuryr_port *tagged_copy(const kuryr_port_pool *pool, const kuryr_port *port)
{
    json_t *raw = json_deep_copy(port->raw);
    if (!raw)
        return NULL;
    json_object_set_new(raw, "tags", pool->ready_tag ? json_pack("[s]", pool->ready_tag) : json_array());
    kuryr_error err;
    kuryr_port *tagged = kuryr_port_from_json(raw, &err);
    json_decref(raw);
    return tagged;
}

/* The body of one port of s's pool. */
static json_t *port_body(const kuryr_port_pool *pool, const sub_pool *s)
{
    json_t *body = json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:[{s:s}]}", "network_id", s->net_id, "name",
                             KURYR_POOL_PORT_NAME, "description", pool->desc, "binding:host_id", pool->host,
                             "device_owner", pool->device_owner, "admin_state_up", 1, "fixed_ips", "subnet_id",
                             s->subnet_id);
    if (body && s->project_id[0])
        json_object_set_new(body, "project_id", json_string(s->project_id));
    if (body && s->security_groups)
        json_object_set_new(body, "security_groups", json_deep_copy(s->security_groups));
    return body;
}

/* Sets the ready tag of a new or returned port (replacing any others); 0 or -1 with err set. */
static int reset_tags(kuryr_port_pool *pool, const char *port_id, kuryr_error *err)
{
    const char *tags[] = {pool->ready_tag};
    return kuryr_neutron_tags_replace(pool->cfg.kn, "ports", port_id, tags, pool->ready_tag ? 1 : 0, err);
}

/* Makes count ports of s's pool in one request and tags them. A list with NULL holes (ports deleted again). */
static kuryr_port_list make_ports(kuryr_port_pool *pool, const sub_pool *s, long count)
{
    kuryr_port_list made = {0};
    json_t *list = json_array();
    for (long i = 0; i < count; i++)
        json_array_append_new(list, port_body(pool, s));
    kuryr_error err;
    int rc = kuryr_neutron_port_create_bulk(pool->cfg.kn, list, &made, &err);
    json_decref(list);
    if (rc < 0) {
        KLOG_WARN("%s: making %ld ports in subnet %s failed: %s", pool->log_name, count, s->subnet_id,
                  err.message);
        return made;
    }
    /* Neutron drops tags given at creation: they follow, one request per port */
    for (size_t i = 0; i < made.n; i++) {
        const char *vif_type = made.items[i]->binding_vif_type;
        if (vif_type && (!strcmp(vif_type, "binding_failed") || !strcmp(vif_type, "unbound"))) {
            /* a port no container could use: no live L2 agent (or ovn-controller) for this host name */
            KLOG_ERROR("%s: Neutron could not bind port %s to host %s (vif_type %s): deleting it; is this "
                       "host's L2 agent alive? (kuryrctl doctor)", pool->log_name, made.items[i]->id, pool->host,
                       vif_type);
            kuryr_neutron_port_delete(pool->cfg.kn, made.items[i]->id, &err);
            kuryr_port_free(made.items[i]);
            made.items[i] = NULL;
            continue;
        }
        if (reset_tags(pool, made.items[i]->id, &err) == 0) {
            kuryr_port *tagged = tagged_copy(pool, made.items[i]);
            kuryr_port_free(made.items[i]);
            made.items[i] = tagged;
            continue;
        }
        KLOG_WARN("%s: tagging port %s failed (%s): deleting it", pool->log_name, made.items[i]->id, err.message);
        kuryr_neutron_port_delete(pool->cfg.kn, made.items[i]->id, &err);
        kuryr_port_free(made.items[i]);
        made.items[i] = NULL;
    }
    return made;
}

/* What fill needs of s while the lock is not held (the array of pools may move meanwhile). */
static bool snapshot(const sub_pool *s, sub_pool *out)
{
    memset(out, 0, sizeof(*out));
    memcpy(out->subnet_id, s->subnet_id, sizeof(out->subnet_id));
    memcpy(out->net_id, s->net_id, sizeof(out->net_id));
    memcpy(out->project_id, s->project_id, sizeof(out->project_id));
    out->key = strdup(s->key);
    out->security_groups = s->security_groups ? json_deep_copy(s->security_groups) : NULL;
    return out->key && (!s->security_groups || out->security_groups);
}

static void fill(kuryr_port_pool *pool, sub_pool *s)
{
    sub_pool snap;
    if (!snapshot(s, &snap)) {
        sub_free(&snap);
        s->retry_after = kuryr_mono_s() + RETRY_S;
        return;
    }
    long count = s->seed ? target(pool, s) - (long)s->n : pool->cfg.batch;
    if (pool->cfg.max > 0 && count > pool->cfg.max - (long)s->n)
        count = pool->cfg.max - (long)s->n;
    s->filling = true;
    s->filling_seed = s->seed;
    pthread_mutex_unlock(&pool->lock);

    kuryr_port_list made = make_ports(pool, &snap, count);

    pthread_mutex_lock(&pool->lock);
    s = find_sub(pool, snap.key); /* closed meanwhile when absent */
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
        KLOG_INFO("%s: %zu ports ready in subnet %s", pool->log_name, added, snap.subnet_id);
    kuryr_error err;
    for (size_t i = 0; extra && i < made.n; i++) {
        /* the network went away during the request: its deletion has not seen these */
        if (made.items[i] && kuryr_neutron_port_delete(pool->cfg.kn, made.items[i]->id, &err) < 0)
            KLOG_WARN("%s: deleting port %s of a closed pool failed: %s", pool->log_name, made.items[i]->id,
                      err.message);
    }
    kuryr_port_list_clear(&made);
    sub_free(&snap);
    pthread_mutex_lock(&pool->lock);
}

static void remove_rec(kuryr_port_pool *pool, recycled *r)
{
    rec_free(r);
    *r = pool->rec[--pool->n_rec];
    pthread_cond_broadcast(&pool->done);
}

static recycled *find_rec(kuryr_port_pool *pool, const char *port_id)
{
    for (size_t i = 0; i < pool->n_rec; i++) {
        if (strcmp(pool->rec[i].port->id, port_id) == 0)
            return &pool->rec[i];
    }
    return NULL;
}

/* Makes a released port ready again: it stays bound to this host, so only the previous user's tags go (tags
 * are Neutron's cheapest write: no ML2 work, no agent notified). A port the pool can no longer take is deleted
 * instead. */
static void recycle(kuryr_port_pool *pool, recycled *r)
{
    char id[64];
    snprintf(id, sizeof(id), "%s", r->port->id);
    /* only the step removes a busy entry, so its port and key outlive the unlocked part (the array may move) */
    const kuryr_port *released = r->port;
    const char *key = r->key;
    r->busy = true;
    pthread_mutex_unlock(&pool->lock);

    kuryr_error err;
    int rc = reset_tags(pool, id, &err);
    kuryr_port *ready = NULL;
    if (rc == 0 && !(ready = tagged_copy(pool, released)))
        rc = kuryr_error_set(&err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");

    pthread_mutex_lock(&pool->lock);
    sub_pool *s = find_sub(pool, key);
    bool kept = rc == 0 && s && !full(pool, s) && push_port(s, ready, kuryr_mono_s() + REST_S);
    if (kept)
        ready = NULL;
    r = find_rec(pool, id);
    if (rc < 0 && err.kind == KURYR_ERR_UNAVAILABLE && r) {
        r->busy = false;
        r->retry_after = kuryr_mono_s() + RETRY_S;
        KLOG_WARN("%s: resetting released port %s failed (again in %d s): %s", pool->log_name, id, RETRY_S,
                  err.message);
        return;
    }
    if (r)
        remove_rec(pool, r);
    pthread_mutex_unlock(&pool->lock);
    if (kept) {
        KLOG_INFO("%s: port %s is ready again", pool->log_name, id);
    } else if (rc < 0 && err.kind == KURYR_ERR_NOT_FOUND) {
        /* deleted meanwhile (the network's removal, the reconciliation): nothing left to do */
    } else {
        if (rc < 0)
            KLOG_WARN("%s: resetting released port %s failed: %s; deleting it", pool->log_name, id, err.message);
        if (kuryr_neutron_port_delete(pool->cfg.kn, id, &err) < 0 && err.kind != KURYR_ERR_NOT_FOUND)
            KLOG_ERROR("%s: deleting released port %s failed: %s; the reconciliation removes it later",
                       pool->log_name, id, err.message);
        else
            KLOG_INFO("deleted port %s (its pool is full or closed)", id);
    }
    kuryr_port_free(ready);
    pthread_mutex_lock(&pool->lock);
}

/* ---- the step ---------------------------------------------------------------------------------------- */

/* s holds fewer ports than it should and no fill of it is in flight (it may still have to wait for
 * retry_after). */
static bool needs_fill(const kuryr_port_pool *pool, const sub_pool *s)
{
    return !s->filling && (long)s->n < target(pool, s) && !full(pool, s);
}

static sub_pool *next_fill(kuryr_port_pool *pool, double now)
{
    for (size_t i = 0; i < pool->n_subs; i++) {
        sub_pool *s = &pool->subs[i];
        if (needs_fill(pool, s) && s->retry_after <= now)
            return s;
    }
    return NULL;
}

/* The earliest time a subnet that needs ports may be filled, when that is later than now; 0 when none. */
static double next_fill_due(const kuryr_port_pool *pool, double now)
{
    double due = 0;
    for (size_t i = 0; i < pool->n_subs; i++) {
        const sub_pool *s = &pool->subs[i];
        if (needs_fill(pool, s) && s->retry_after > now && (!due || s->retry_after < due))
            due = s->retry_after;
    }
    return due;
}

static recycled *next_recycle(kuryr_port_pool *pool, double now)
{
    for (size_t i = 0; i < pool->n_rec; i++) {
        if (!pool->rec[i].busy && pool->rec[i].retry_after <= now)
            return &pool->rec[i];
    }
    return NULL;
}

/* Does one piece of due work (sweep, else a recycle, else a fill). True when it did: there may be more.
 * Called with the lock held. */
static bool do_one(kuryr_port_pool *pool)
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
static double next_look_in(const kuryr_port_pool *pool)
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
    kuryr_port_pool *pool = userdata;
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

/* ---- the users' side --------------------------------------------------------------------------------- */

/* The security groups of key as a JSON array, or NULL when key names none (Neutron's default). */
static json_t *groups_json(const kuryr_pool_key *key)
{
    if (!key->security_groups)
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; a && key->security_groups[i]; i++)
        json_array_append_new(a, json_string(key->security_groups[i]));
    return a;
}

/* key's pool (its string ks), opened when absent (NULL when out of memory). Called with the lock held. */
static sub_pool *open_sub(kuryr_port_pool *pool, const kuryr_pool_key *key, const char *ks, bool seed)
{
    sub_pool *s = find_sub(pool, ks);
    if (s)
        return s;
    sub_pool *grown = kuryr_grow(pool->subs, pool->n_subs, &pool->cap_subs, sizeof(*grown));
    if (!grown)
        return NULL;
    pool->subs = grown;
    sub_pool opened = {.seed = seed, .key = strdup(ks), .security_groups = groups_json(key)};
    if (!opened.key || (key->security_groups && !opened.security_groups)) {
        sub_free(&opened);
        return NULL;
    }
    snprintf(opened.subnet_id, sizeof(opened.subnet_id), "%s", key->subnet_id);
    snprintf(opened.net_id, sizeof(opened.net_id), "%s", key->network_id);
    snprintf(opened.project_id, sizeof(opened.project_id), "%s", key->project_id ? key->project_id : "");
    s = &grown[pool->n_subs++];
    *s = opened;
    KLOG_INFO("%s: opened for subnet %s%s", pool->log_name, key->subnet_id,
              seed ? " (one port until its first container)" : "");
    return s;
}

/* Runs the step now. Called with the lock held (the queue's lock comes after the pool's). */
static void kick(kuryr_port_pool *pool)
{
    if (!pool->stopping)
        kuryr_workqueue_add(pool->queue, WORK_KEY);
}

/* Wakes the step when s holds fewer ports than it should. Called with the lock held. */
static void want_fill(kuryr_port_pool *pool, const sub_pool *s)
{
    if ((long)s->n < target(pool, s))
        kick(pool);
}

void kuryr_port_pool_seed(kuryr_port_pool *pool, const kuryr_pool_key *key)
{
    char *ks = pool && pool->cfg.min >= 1 ? key_string(key) : NULL;
    if (!ks)
        return;
    pthread_mutex_lock(&pool->lock);
    sub_pool *s = open_sub(pool, key, ks, true);
    if (s)
        want_fill(pool, s);
    pthread_mutex_unlock(&pool->lock);
    free(ks);
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

kuryr_port *kuryr_port_pool_take(kuryr_port_pool *pool, const kuryr_pool_key *key)
{
    char *ks = pool ? key_string(key) : NULL;
    if (!ks)
        return NULL;
    struct timespec deadline = kuryr_mono_deadline(SEED_WAIT_S);
    pthread_mutex_lock(&pool->lock);
    sub_pool *s = open_sub(pool, key, ks, false);
    kuryr_port *port = s ? pick(s, kuryr_mono_s()) : NULL;
    /* a new network's first port is on its way: sooner here than a port made and bound for this request.
     * Only that one-port fill is waited for; a batch takes seconds, and a request makes its own port faster. */
    while (!port && s && s->filling_seed && !pool->stopping) {
        if (pthread_cond_timedwait(&pool->done, &pool->lock, &deadline) != 0)
            break;
        s = find_sub(pool, ks); /* the array may have moved, or the network gone */
        port = s ? pick(s, kuryr_mono_s()) : NULL;
    }
    if (s) {
        if (s->seed && port)
            s->retry_after = kuryr_mono_s() + FIRST_FILL_DELAY_S;
        s->seed = false; /* in use: fill to min */
        want_fill(pool, s);
    }
    pthread_mutex_unlock(&pool->lock);
    free(ks);
    return port;
}

bool kuryr_port_pool_take_id(kuryr_port_pool *pool, const char *port_id)
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

bool kuryr_port_pool_give(kuryr_port_pool *pool, const kuryr_pool_key *key, const kuryr_port *port)
{
    const char *subnet_id = only_subnet(port);
    if (!pool || !subnet_id || !key || !key->subnet_id || strcmp(subnet_id, key->subnet_id) != 0 ||
        !kuryr_port_pool_is_pooled(port) || !port->binding_host_id || strcmp(port->binding_host_id, pool->host) != 0)
        return false;
    char *ks = key_string(key);
    kuryr_port *copy = ks ? kuryr_port_copy(port) : NULL;
    if (!copy) {
        free(ks);
        return false;
    }
    bool accepted = false;
    pthread_mutex_lock(&pool->lock);
    sub_pool *s = find_sub(pool, ks);
    for (size_t i = 0; s && i < s->n && !accepted; i++)
        accepted = strcmp(s->ports[i].port->id, copy->id) == 0; /* a repeated release of a port already back */
    if (!accepted && s && find_rec(pool, copy->id))
        accepted = true; /* or of one on its way back: deleting it now would leave the pool a deleted port */
    if (!accepted && s && !full(pool, s) && !pool->stopping) {
        recycled *grown = kuryr_grow(pool->rec, pool->n_rec, &pool->cap_rec, sizeof(*grown));
        if (grown) {
            pool->rec = grown;
            recycled *r = &pool->rec[pool->n_rec++];
            memset(r, 0, sizeof(*r));
            r->port = copy;
            r->key = ks;
            copy = NULL;
            ks = NULL;
            accepted = true;
            kick(pool);
        }
    }
    pthread_mutex_unlock(&pool->lock);
    kuryr_port_free(copy);
    free(ks);
    return accepted;
}

static bool rec_holds(const kuryr_port_pool *pool, const char *net_id, const char *ip)
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
static bool wait_settled(kuryr_port_pool *pool, int timeout_s, bool (*settled)(const kuryr_port_pool *, const void *),
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

bool kuryr_port_pool_wait_idle(kuryr_port_pool *pool, int timeout_s)
{
    return !pool || kuryr_workqueue_wait_idle_for(pool->queue, timeout_s);
}

typedef struct {
    const char *net_id, *ip;
} net_ip;

static bool ip_clear(const kuryr_port_pool *pool, const void *arg)
{
    const net_ip *x = arg;
    return !rec_holds(pool, x->net_id, x->ip);
}

bool kuryr_port_pool_wait_ip(kuryr_port_pool *pool, const char *net_id, const char *ip, int timeout_s)
{
    net_ip x = {net_id, ip};
    return !pool || wait_settled(pool, timeout_s, ip_clear, &x);
}

void kuryr_port_pool_close_net(kuryr_port_pool *pool, const char *net_id, int timeout_s)
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
            sub_free(&pool->subs[i]);
            pool->subs[i] = pool->subs[--pool->n_subs];
        } else {
            i++;
        }
    }
    for (size_t i = 0; i < pool->n_used;) {
        if (pool->used[i].port->network_id && strcmp(pool->used[i].port->network_id, net_id) == 0) {
            kuryr_port_free(pool->used[i].port);
            free(pool->used[i].user);
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

void kuryr_port_pool_lent(kuryr_port_pool *pool, const char *user, const kuryr_port *port)
{
    if (!pool)
        return;
    kuryr_port *copy = kuryr_port_copy(port);
    char *who = strdup(user);
    pthread_mutex_lock(&pool->lock);
    lent *grown = copy && who ? kuryr_grow(pool->used, pool->n_used, &pool->cap_used, sizeof(*grown)) : NULL;
    if (grown) {
        pool->used = grown;
        pool->used[pool->n_used++] = (lent){who, copy};
        copy = NULL;
        who = NULL;
    }
    pthread_mutex_unlock(&pool->lock);
    kuryr_port_free(copy);
    free(who);
}

kuryr_port *kuryr_port_pool_returning(kuryr_port_pool *pool, const char *user)
{
    if (!pool)
        return NULL;
    kuryr_port *port = NULL;
    pthread_mutex_lock(&pool->lock);
    for (size_t i = 0; i < pool->n_used; i++) {
        if (strcmp(pool->used[i].user, user) == 0) {
            port = pool->used[i].port;
            free(pool->used[i].user);
            pool->used[i] = pool->used[--pool->n_used];
            break;
        }
    }
    pthread_mutex_unlock(&pool->lock);
    return port;
}

size_t kuryr_port_pool_ready(kuryr_port_pool *pool)
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

bool kuryr_port_pool_is_pooled(const kuryr_port *port)
{
    const char *desc = port_description(port);
    return port->name && strcmp(port->name, KURYR_POOL_PORT_NAME) == 0 && desc &&
           strncmp(desc, KURYR_POOL_DESC_PREFIX, strlen(KURYR_POOL_DESC_PREFIX)) == 0;
}
