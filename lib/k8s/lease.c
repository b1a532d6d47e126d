/* Leader election on a coordination.k8s.io/v1 Lease: see include/kuryr/k8s_lease.h.
 *
 * Why the leader is safe: it counts itself leader until renew_deadline after the moment it *sent* its last
 * successful renewal. A standby can only take over lease_duration after it *saw* that renewal (which is after
 * it was sent), and lease_duration > renew_deadline. Clocks of different machines never meet; only their rates
 * are assumed alike. */
#include "k8s_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "kuryr/clock.h"
#include "kuryr/k8s_write.h"
#include "kuryr/log.h"

#define DEFAULT_DURATION_S 15.0
#define DEFAULT_RENEW_DEADLINE_S 10.0
#define DEFAULT_RETRY_S 2.0
/* Candidates retry a little late and at random, as client-go's JitterUntil does, so they do not collide. */
#define CANDIDATE_JITTER 0.2

struct kuryr_k8s_lease {
    kuryr_k8s_client *c;
    char *namespace, *name, *identity;
    double duration_s, renew_deadline_s, retry_s;
    void (*on_started)(void *ud);
    void (*on_stopped)(void *ud);
    void (*on_new_leader)(const char *identity, void *ud);
    void *ud;

    pthread_mutex_t lock;  /* everything below */
    pthread_cond_t cond;
    pthread_t thread;
    bool stopping;
    bool leading;
    double renewed_s;      /* monotonic time the last successful write was sent */
    char *holder;          /* last observed */
    unsigned long acquisitions;
    /* The loop's own state (its thread only). */
    k8s_lease_record rec;
    bool have_rec;
    double observed_s;
};

/* ---- the decision ---- */

k8s_lease_action k8s_lease_decide(const k8s_lease_record *rec, const char *identity, double observed_s,
                                  double now_s)
{
    if (!rec || !rec->holder || !*rec->holder)
        return K8S_LEASE_ACQUIRE;
    if (strcmp(rec->holder, identity) == 0)
        return K8S_LEASE_RENEW;
    return now_s >= observed_s + rec->duration_s ? K8S_LEASE_ACQUIRE : K8S_LEASE_WAIT;
}

static void record_clear(k8s_lease_record *r)
{
    free(r->holder);
    free(r->resource_version);
    free(r->renew_time);
    memset(r, 0, sizeof(*r));
}

static void record_from_json(const json_t *lease, k8s_lease_record *r)
{
    json_t *spec = json_object_get(lease, "spec");
    const char *holder = json_string_value(json_object_get(spec, "holderIdentity"));
    const char *renew = json_string_value(json_object_get(spec, "renewTime"));
    const char *rv = kuryr_k8s_obj_resource_version(lease);
    json_t *dur = json_object_get(spec, "leaseDurationSeconds");
    record_clear(r);
    r->holder = strdup(holder ? holder : "");
    r->renew_time = strdup(renew ? renew : "");
    r->resource_version = strdup(rv ? rv : "");
    r->duration_s = json_is_integer(dur) && json_integer_value(dur) > 0 ? (double)json_integer_value(dur)
                                                                       : DEFAULT_DURATION_S;
    r->transitions = (long)json_integer_value(json_object_get(spec, "leaseTransitions"));
}

/* ---- talking to the API ---- */

/* Now as a Kubernetes MicroTime ("2026-01-02T15:04:05.000000Z"). Informational only: nobody judges expiry by
 * it. */
static void micro_time(char *buf, size_t len)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char secs[32];
    strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, len, "%s.%06ldZ", secs, (long)tv.tv_usec);
}

/* The Lease object to write: holder (NULL = release), our duration, renewTime now; acquireTime and
 * transitions as client-go sets them. */
static json_t *lease_body(kuryr_k8s_lease *l, const char *holder, const json_t *current)
{
    char now[48];
    micro_time(now, sizeof(now));
    json_t *spec = json_object_get(current, "spec");
    const char *old_holder = json_string_value(json_object_get(spec, "holderIdentity"));
    const char *old_acquire = json_string_value(json_object_get(spec, "acquireTime"));
    json_int_t transitions = json_integer_value(json_object_get(spec, "leaseTransitions"));
    bool same_holder = holder && old_holder && strcmp(holder, old_holder) == 0;
    if (holder && !same_holder && current)
        transitions++;
    json_t *body = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:I, s:s, s:s, s:I}}",
                             "apiVersion", "coordination.k8s.io/v1", "kind", "Lease",
                             "metadata", "name", l->name, "namespace", l->namespace,
                             "spec", "holderIdentity", holder ? holder : "",
                             "leaseDurationSeconds", (json_int_t)(holder ? l->duration_s : 1),
                             "acquireTime", same_holder && old_acquire ? old_acquire : now, "renewTime", now,
                             "leaseTransitions", transitions);
    const char *rv = kuryr_k8s_obj_resource_version(current);
    if (body && rv)
        json_object_set_new(json_object_get(body, "metadata"), "resourceVersion", json_string(rv));
    return body;
}

/* Writes the Lease with holder: PUT over current (with its resourceVersion), or POST when there is none. */
static int write_lease(kuryr_k8s_lease *l, const char *holder, const json_t *current, json_t **out,
                       kuryr_error *err)
{
    json_t *body = lease_body(l, holder, current);
    if (!body)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    int rc;
    if (current) {
        char *path = kuryr_k8s_path(&kuryr_k8s_leases, l->namespace, l->name, NULL);
        rc = path ? kuryr_k8s_request(l->c, "PUT", path, NULL, body, out, err) : -1;
        free(path);
    } else {
        rc = kuryr_k8s_create(l->c, &kuryr_k8s_leases, l->namespace, body, out, err);
    }
    json_decref(body);
    return rc;
}

/* ---- the loop ---- */

static void set_leading(kuryr_k8s_lease *l, bool leading, double renewed_s)
{
    pthread_mutex_lock(&l->lock);
    bool was = l->leading;
    l->leading = leading;
    if (leading) {
        l->renewed_s = renewed_s;
        if (!was)
            l->acquisitions++;
    }
    pthread_mutex_unlock(&l->lock);
    if (leading && !was) {
        KLOG_INFO("k8s: lease %s/%s: %s is now the leader", l->namespace, l->name, l->identity);
        if (l->on_started)
            l->on_started(l->ud);
    } else if (!leading && was) {
        KLOG_WARN("k8s: lease %s/%s: %s is no longer the leader", l->namespace, l->name, l->identity);
        if (l->on_stopped)
            l->on_stopped(l->ud);
    }
}

/* Notes the Lease as just read: a new version restarts the expiry count; a new holder is announced. */
static void observe(kuryr_k8s_lease *l, const json_t *lease)
{
    k8s_lease_record fresh = {0};
    record_from_json(lease, &fresh);
    bool changed = !l->have_rec || strcmp(fresh.resource_version, l->rec.resource_version) != 0;
    bool new_holder = !l->have_rec || strcmp(fresh.holder, l->rec.holder) != 0;
    if (changed)
        l->observed_s = kuryr_mono_s();
    record_clear(&l->rec);
    l->rec = fresh;
    l->have_rec = true;
    if (new_holder) {
        pthread_mutex_lock(&l->lock);
        free(l->holder);
        l->holder = strdup(l->rec.holder);
        pthread_mutex_unlock(&l->lock);
        if (l->on_new_leader)
            l->on_new_leader(*l->rec.holder ? l->rec.holder : NULL, l->ud);
    }
}

/* A leader that has not renewed for the deadline steps down (a standby may take over soon). */
static void check_deadline(kuryr_k8s_lease *l)
{
    pthread_mutex_lock(&l->lock);
    bool overdue = l->leading && kuryr_mono_s() - l->renewed_s >= l->renew_deadline_s;
    pthread_mutex_unlock(&l->lock);
    if (overdue)
        set_leading(l, false, 0);
}

/* One round: read, decide, maybe write. */
static void round_once(kuryr_k8s_lease *l)
{
    kuryr_error err = {0};
    json_t *current = NULL;
    if (kuryr_k8s_get(l->c, &kuryr_k8s_leases, l->namespace, l->name, &current, &err) != 0 &&
        err.kind != KURYR_ERR_NOT_FOUND) {
        KLOG_WARN("k8s: lease %s/%s: cannot read it: %s", l->namespace, l->name, err.message);
        check_deadline(l);
        return;
    }
    if (current)
        observe(l, current);
    k8s_lease_action action = k8s_lease_decide(current ? &l->rec : NULL, l->identity, l->observed_s, kuryr_mono_s());
    if (action == K8S_LEASE_WAIT) {
        set_leading(l, false, 0); /* someone else holds it: whatever we thought, we do not lead */
        json_decref(current);
        return;
    }
    double sent = kuryr_mono_s();
    json_t *written = NULL;
    if (write_lease(l, l->identity, current, &written, &err) == 0) {
        observe(l, written);
        set_leading(l, true, sent);
    } else {
        /* 409: someone wrote first; they lead, or we read again next round. */
        if (err.kind != KURYR_ERR_CONFLICT)
            KLOG_WARN("k8s: lease %s/%s: cannot %s it: %s", l->namespace, l->name,
                      action == K8S_LEASE_RENEW ? "renew" : "acquire", err.message);
        check_deadline(l);
    }
    json_decref(written);
    json_decref(current);
}

/* Gives the Lease up if we hold it, so a standby need not wait out the duration. */
static void release(kuryr_k8s_lease *l)
{
    pthread_mutex_lock(&l->lock);
    bool leading = l->leading;
    pthread_mutex_unlock(&l->lock);
    if (!leading)
        return;
    kuryr_error err = {0};
    json_t *current = NULL;
    if (kuryr_k8s_get(l->c, &kuryr_k8s_leases, l->namespace, l->name, &current, &err) == 0) {
        const char *holder = json_string_value(json_object_get(json_object_get(current, "spec"), "holderIdentity"));
        if (holder && strcmp(holder, l->identity) == 0) {
            if (write_lease(l, NULL, current, NULL, &err) == 0)
                KLOG_INFO("k8s: lease %s/%s released by %s", l->namespace, l->name, l->identity);
            else
                KLOG_WARN("k8s: lease %s/%s: release failed: %s", l->namespace, l->name, err.message);
        }
    }
    json_decref(current);
    set_leading(l, false, 0);
}

static void *run(void *arg)
{
    kuryr_k8s_lease *l = arg;
    pthread_mutex_lock(&l->lock);
    while (!l->stopping) {
        pthread_mutex_unlock(&l->lock);
        round_once(l);
        pthread_mutex_lock(&l->lock);
        double wait = l->leading ? l->retry_s : kuryr_jitter(l->retry_s, CANDIDATE_JITTER);
        struct timespec until = kuryr_mono_deadline(wait);
        while (!l->stopping && pthread_cond_timedwait(&l->cond, &l->lock, &until) == 0) {
        }
    }
    pthread_mutex_unlock(&l->lock);
    release(l);
    return NULL;
}

/* ---- public ---- */

static void lease_free(kuryr_k8s_lease *l)
{
    free(l->namespace);
    free(l->name);
    free(l->identity);
    free(l->holder);
    record_clear(&l->rec);
    free(l);
}

kuryr_k8s_lease *kuryr_k8s_lease_start(kuryr_k8s_client *c, const kuryr_k8s_lease_opts *opts, kuryr_error *err)
{
    if (!c || !opts || !opts->namespace || !opts->name || !opts->identity || !*opts->identity) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "k8s lease: namespace, name and identity are needed");
        return NULL;
    }
    double duration = opts->lease_duration_s > 0 ? opts->lease_duration_s : DEFAULT_DURATION_S;
    double deadline = opts->renew_deadline_s > 0 ? opts->renew_deadline_s : DEFAULT_RENEW_DEADLINE_S;
    double retry = opts->retry_period_s > 0 ? opts->retry_period_s : DEFAULT_RETRY_S;
    if (!(deadline < duration) || !(retry < deadline) || duration < 1) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                        "k8s lease: need retry period (%.1fs) < renew deadline (%.1fs) < lease duration (%.1fs >= 1)",
                        retry, deadline, duration);
        return NULL;
    }
    kuryr_k8s_lease *l = calloc(1, sizeof(*l));
    if (!l) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    l->c = c;
    l->namespace = strdup(opts->namespace);
    l->name = strdup(opts->name);
    l->identity = strdup(opts->identity);
    l->holder = strdup("");
    l->duration_s = duration;
    l->renew_deadline_s = deadline;
    l->retry_s = retry;
    l->on_started = opts->on_started_leading;
    l->on_stopped = opts->on_stopped_leading;
    l->on_new_leader = opts->on_new_leader;
    l->ud = opts->ud;
    if (!l->namespace || !l->name || !l->identity || !l->holder || pthread_mutex_init(&l->lock, NULL) != 0) {
        lease_free(l);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    if (kuryr_cond_init_mono(&l->cond) != 0) {
        pthread_mutex_destroy(&l->lock);
        lease_free(l);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot make a condition variable");
        return NULL;
    }
    if (pthread_create(&l->thread, NULL, run, l) != 0) {
        pthread_cond_destroy(&l->cond);
        pthread_mutex_destroy(&l->lock);
        lease_free(l);
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot start the lease thread");
        return NULL;
    }
    return l;
}

bool kuryr_k8s_lease_is_leader(kuryr_k8s_lease *l)
{
    if (!l)
        return false;
    pthread_mutex_lock(&l->lock);
    bool leader = l->leading && kuryr_mono_s() - l->renewed_s < l->renew_deadline_s;
    pthread_mutex_unlock(&l->lock);
    return leader;
}

char *kuryr_k8s_lease_holder(kuryr_k8s_lease *l)
{
    pthread_mutex_lock(&l->lock);
    char *h = strdup(l->holder ? l->holder : "");
    pthread_mutex_unlock(&l->lock);
    return h;
}

unsigned long kuryr_k8s_lease_acquisitions(kuryr_k8s_lease *l)
{
    pthread_mutex_lock(&l->lock);
    unsigned long n = l->acquisitions;
    pthread_mutex_unlock(&l->lock);
    return n;
}

void kuryr_k8s_lease_stop(kuryr_k8s_lease *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&l->lock);
    l->stopping = true;
    pthread_cond_broadcast(&l->cond);
    pthread_mutex_unlock(&l->lock);
    pthread_join(l->thread, NULL);
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
    lease_free(l);
}
