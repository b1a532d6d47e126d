/* kuryr-k8s-controller's core (see controller.h). */
#include "controller.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "controller_internal.h"
#include "k8s_conf.h"
#include "kuryr/clock.h"
#include "kuryr/log.h"

/* ---- keys: "<handler index>/<object key>" ---------------------------------------------------------- */

static char *queue_key(size_t index, const char *obj_key)
{
    size_t n = strlen(obj_key) + 24;
    char *k = malloc(n);
    if (k)
        snprintf(k, n, "%zu/%s", index, obj_key);
    return k;
}

/* The handler a queue key belongs to, and where its object key starts; NULL for a malformed key. */
static kc_running *split_key(kc_controller *c, const char *qkey, const char **obj_key)
{
    char *end = NULL;
    unsigned long i = strtoul(qkey, &end, 10);
    if (end == qkey || *end != '/' || i >= c->nhandlers)
        return NULL;
    *obj_key = end + 1;
    return &c->handlers[i];
}

static void enqueue(kc_running *h, const json_t *obj)
{
    char *key = kuryr_k8s_obj_key(obj);
    char *qkey = key ? queue_key(h->index, key) : NULL;
    if (!qkey || kuryr_workqueue_add(h->ctl->queue, qkey) < 0)
        KLOG_ERROR("handler %s: cannot queue %s (out of memory or stopping)", h->def->name, key ? key : "?");
    free(qkey);
    free(key);
}

/* ---- tombstones: the last state of deleted objects, until their handler has run ------------------- */

/* Tombstones hold copies and hand out copies (as the informer does): a jansson object is never shared between
 * threads, whose reference counting would race (see kuryr_k8s_informer_get). */
static void tomb_put(kc_controller *c, const char *qkey, const json_t *last)
{
    json_t *copy = json_deep_copy(last);
    pthread_mutex_lock(&c->tomb_lock);
    json_object_set_new(c->tombstones, qkey, copy);
    pthread_mutex_unlock(&c->tomb_lock);
}

static json_t *tomb_get(kc_controller *c, const char *qkey)
{
    pthread_mutex_lock(&c->tomb_lock);
    json_t *o = json_deep_copy(json_object_get(c->tombstones, qkey));
    pthread_mutex_unlock(&c->tomb_lock);
    return o;
}

/* Forgets the tombstone, unless a newer delete of the same key replaced it meanwhile: last (the state the
 * handler ran with) must still equal the stored one. last == NULL: always. */
static void tomb_drop(kc_controller *c, const char *qkey, const json_t *last)
{
    pthread_mutex_lock(&c->tomb_lock);
    json_t *cur = json_object_get(c->tombstones, qkey);
    if (cur && (!last || json_equal(cur, last)))
        json_object_del(c->tombstones, qkey);
    pthread_mutex_unlock(&c->tomb_lock);
}

/* ---- informer callbacks (the informer's thread) --------------------------------------------------- */

static void on_add(const json_t *obj, void *ud)
{
    kc_running *h = ud;
    char *key = kuryr_k8s_obj_key(obj);
    char *qkey = key ? queue_key(h->index, key) : NULL;
    if (qkey)
        tomb_drop(h->ctl, qkey, NULL); /* re-created under the same name: the old one's delete is moot */
    free(qkey);
    free(key);
    if (kc_controller_is_leader(h->ctl))
        enqueue(h, obj);
}

static void on_update(const json_t *old_obj, const json_t *new_obj, void *ud)
{
    (void)old_obj;
    kc_running *h = ud;
    if (kc_controller_is_leader(h->ctl))
        enqueue(h, new_obj);
}

static void on_delete(const json_t *last, void *ud)
{
    kc_running *h = ud;
    char *key = kuryr_k8s_obj_key(last);
    char *qkey = key ? queue_key(h->index, key) : NULL;
    if (qkey && kc_controller_is_leader(h->ctl)) {
        tomb_put(h->ctl, qkey, last);
        if (kuryr_workqueue_add(h->ctl->queue, qkey) < 0)
            KLOG_ERROR("handler %s: cannot queue the delete of %s", h->def->name, key);
    }
    free(qkey);
    free(key);
}

static void on_synced(void *ud)
{
    kc_running *h = ud;
    KLOG_INFO("handler %s: %s cache synced", h->def->name, h->def->resource->plural);
    if (h->ctl->health)
        kuryr_health_probe_now(h->ctl->health);
}

/* ---- the work queue's handler (worker threads) ---------------------------------------------------- */

static kuryr_work_result work(const char *qkey, unsigned attempt, void *ud)
{
    kc_controller *c = ud;
    const char *obj_key = NULL;
    kc_running *h = split_key(c, qkey, &obj_key);
    if (!h)
        return KURYR_WORK_DONE;
    if (!kc_controller_is_leader(c)) {
        tomb_drop(c, qkey, NULL); /* not ours to act on any more; the next leader resyncs */
        return KURYR_WORK_DONE;
    }
    bool deleted = false;
    json_t *obj = kuryr_k8s_informer_get(h->inf, obj_key);
    if (!obj) {
        obj = tomb_get(c, qkey);
        deleted = true;
        if (!obj)
            return KURYR_WORK_DONE; /* gone before we ever saw it: nothing to undo */
    }
    kuryr_log_ctx_set("handler", h->def->name);
    kuryr_log_ctx_set("obj", obj_key);
    kc_event ev = {.ctl = c, .client = c->client, .key = obj_key, .obj = obj, .deleted = deleted,
                   .attempt = attempt, .state = h->state};
    double t0 = kuryr_mono_s();
    kuryr_work_result r = h->def->handle(&ev);
    kc_metrics_handled(h, kuryr_mono_s() - t0, r == KURYR_WORK_RETRY);
    if (r == KURYR_WORK_RETRY)
        KLOG_DEBUG("retry %u", attempt);
    else if (deleted && r == KURYR_WORK_DONE) /* a poll still needs the last state */
        tomb_drop(c, qkey, obj);
    kuryr_log_ctx_clear();
    json_decref(obj);
    return r;
}

/* ---- leadership ------------------------------------------------------------------------------------ */

bool kc_controller_is_leader(kc_controller *c)
{
    if (!atomic_load(&c->leading))
        return false;
    return !c->lease || kuryr_k8s_lease_is_leader(c->lease);
}

/* Queues every cached object of every handler: what changed while this controller stood by. */
static void resync_all(kc_controller *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nhandlers; i++) {
        json_t *all = kuryr_k8s_informer_list(c->handlers[i].inf);
        size_t k;
        json_t *obj;
        json_array_foreach(all, k, obj) {
            enqueue(&c->handlers[i], obj);
            n++;
        }
        json_decref(all);
    }
    KLOG_INFO("queued %zu cached objects", n);
}

static void on_started_leading(void *ud)
{
    kc_controller *c = ud;
    atomic_store(&c->leading, true);
    atomic_fetch_add(&c->acquisitions, 1);
    KLOG_INFO("leading: started as %s", c->identity);
    resync_all(c);
}

static void on_stopped_leading(void *ud)
{
    kc_controller *c = ud;
    atomic_store(&c->leading, false);
    KLOG_INFO("leading: stopped as %s", c->identity);
}

static void on_new_leader(const char *identity, void *ud)
{
    (void)ud;
    KLOG_INFO("leader is now %s", identity && *identity ? identity : "(nobody)");
}

/* ---- start / stop ---------------------------------------------------------------------------------- */

static void set_identity(kc_controller *c)
{
    const char *env = getenv("KURYR_CONTROLLER_ID");
    if (env && *env) {
        snprintf(c->identity, sizeof(c->identity), "%s", env);
        return;
    }
    char host[64] = "";
    gethostname(host, sizeof(host) - 1);
    snprintf(c->identity, sizeof(c->identity), "%s_%ld", *host ? host : "localhost", (long)getpid());
}

/* One kc_running per enabled handler this build has; names it lacks are logged and skipped. */
static int setup_handlers(kc_controller *c, kuryr_error *err)
{
    const char *const *names = kuryr_config_get_list(c->cfg, "kubernetes", "enabled_handlers");
    size_t n = 0;
    while (names && names[n])
        n++;
    c->handlers = calloc(n ? n : 1, sizeof(*c->handlers));
    if (!c->handlers)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    kc_handler_env env = {.cfg = c->cfg, .client = c->client, .identity = c->identity};
    for (size_t i = 0; i < n; i++) {
        const kc_handler_def *def = kc_handler_find(names[i]);
        if (!def) {
            KLOG_WARN("handler %s is not in this build yet: skipped", names[i]);
            continue;
        }
        kc_running *h = &c->handlers[c->nhandlers];
        h->def = def;
        h->ctl = c;
        h->index = c->nhandlers;
        kc_watch_spec watch = {0};
        if (def->init && def->init(&env, &h->state, &watch, err) < 0) {
            char prefix[64];
            snprintf(prefix, sizeof(prefix), "handler %s: ", def->name);
            return kuryr_error_prefix(err, prefix);
        }
        c->nhandlers++;
        kuryr_k8s_watch_opts wo = {
            .resource = def->resource,
            .namespace = watch.namespace,
            .label_selector = watch.label_selector,
            .field_selector = watch.field_selector,
            .stall_s = (unsigned)kuryr_config_get_int(c->cfg, "kubernetes", "watch_read_timeout"),
        };
        kuryr_k8s_handlers cb = {.on_add = on_add, .on_update = on_update, .on_delete = on_delete,
                                 .on_synced = on_synced, .ud = h};
        h->inf = kuryr_k8s_informer_new(c->client, &wo, &cb, err);
        if (!h->inf)
            return -1;
        KLOG_INFO("handler %s: watching %s%s%s", def->name, def->resource->plural,
                  watch.namespace ? " in " : "", watch.namespace ? watch.namespace : "");
    }
    if (c->nhandlers == 0)
        KLOG_WARN("no enabled handler is in this build: the controller will only elect and serve health");
    return 0;
}

/* Checked before anything else starts (handlers' init may already ask Neutron). */
static int check_lease_options(const kuryr_config *cfg, kuryr_error *err)
{
    long retry = kuryr_config_get_int(cfg, "kubernetes", "controller_ha_retry_period"),
         renew = kuryr_config_get_int(cfg, "kubernetes", "controller_ha_renew_deadline"),
         duration = kuryr_config_get_int(cfg, "kubernetes", "controller_ha_lease_duration");
    if (kuryr_config_get_bool(cfg, "kubernetes", "controller_ha") && !(retry < renew && renew < duration))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "[kubernetes] needs controller_ha_retry_period < controller_ha_renew_deadline < "
                               "controller_ha_lease_duration");
    return 0;
}

static int start_election(kc_controller *c, kuryr_error *err)
{
    if (!kuryr_config_get_bool(c->cfg, "kubernetes", "controller_ha")) {
        atomic_store(&c->leading, true);
        atomic_fetch_add(&c->acquisitions, 1);
        KLOG_INFO("leading: started as %s (controller_ha off)", c->identity);
        return 0;
    }
    kuryr_k8s_lease_opts lo = {
        .namespace = kuryr_config_get_str(c->cfg, "kubernetes", "controller_ha_lease_namespace"),
        .name = kuryr_config_get_str(c->cfg, "kubernetes", "controller_ha_lease_name"),
        .identity = c->identity,
        .lease_duration_s = (double)kuryr_config_get_int(c->cfg, "kubernetes", "controller_ha_lease_duration"),
        .renew_deadline_s = (double)kuryr_config_get_int(c->cfg, "kubernetes", "controller_ha_renew_deadline"),
        .retry_period_s = (double)kuryr_config_get_int(c->cfg, "kubernetes", "controller_ha_retry_period"),
        .on_started_leading = on_started_leading,
        .on_stopped_leading = on_stopped_leading,
        .on_new_leader = on_new_leader,
        .ud = c,
    };
    c->lease = kuryr_k8s_lease_start(c->client, &lo, err);
    return c->lease ? 0 : -1;
}

static bool live(void *ud, char *reason, size_t len)
{
    kc_controller *c = ud;
    snprintf(reason, len, "%s", kc_controller_is_leader(c) ? "leading" : "standing by");
    return true;
}

/* Ready once every informer has its first LIST: before that a leader would act on a partial view. */
static bool ready(void *ud, char *reason, size_t len)
{
    kc_controller *c = ud;
    for (size_t i = 0; i < c->nhandlers; i++) {
        if (!kuryr_k8s_informer_synced(c->handlers[i].inf)) {
            snprintf(reason, len, "handler %s: %s not synced yet", c->handlers[i].def->name,
                     c->handlers[i].def->resource->plural);
            return false;
        }
    }
    snprintf(reason, len, "synced; %s", kc_controller_is_leader(c) ? "leading" : "standing by");
    return true;
}

static int start_health(kc_controller *c, kuryr_error *err)
{
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%ld", kuryr_config_get_int(c->cfg, "health_server", "port"));
    kuryr_health_opts ho = {.listen = listen, .live = live, .live_ud = c, .probe = ready, .probe_ud = c,
                            .probe_interval_s = 5};
    c->health = kuryr_health_new(&ho, err);
    if (!c->health || kuryr_health_add_metrics(c->health, kc_controller_metrics, c, err) < 0 ||
        kuryr_health_start(c->health, err) < 0)
        return kuryr_error_prefix(err, "[health_server]: ");
    return 0;
}

kc_controller *kc_controller_start(const kuryr_config *cfg, kuryr_error *err)
{
    kc_controller *c = calloc(1, sizeof(*c));
    if (!c) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    c->cfg = cfg;
    pthread_mutex_init(&c->tomb_lock, NULL);
    pthread_mutex_init(&c->metrics_lock, NULL);
    c->tombstones = json_object();
    set_identity(c);
    kuryr_k8s_config kc;
    if (check_lease_options(cfg, err) < 0 || kc_k8s_config(cfg, &kc, err) < 0)
        goto fail;
    kuryr_k8s_client_opts co = {
        .connect_timeout_ms = kuryr_config_get_int(cfg, "kubernetes", "watch_connection_timeout") * 1000,
        .user_agent = "kuryr-k8s-controller/" KURYR_VERSION,
    };
    c->client = kuryr_k8s_client_new(&kc, &co, err);
    KLOG_INFO("kube-apiserver %s as %s", kc.server ? kc.server : "?", c->identity);
    kuryr_k8s_config_clear(&kc);
    if (!c->client || setup_handlers(c, err) < 0)
        goto fail;
    kuryr_workqueue_opts qo = {.workers = (unsigned)kuryr_config_get_int(cfg, "kubernetes", "controller_workers"),
                               .backoff_initial_ms = 500, .backoff_max_ms = 60000, .name = "controller"};
    if (qo.workers < 1 || qo.workers > 64) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "[kubernetes] controller_workers must be 1..64");
        goto fail;
    }
    c->queue = kuryr_workqueue_new(&qo, work, c);
    if (!c->queue) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot start the work queue");
        goto fail;
    }
    if (start_health(c, err) < 0)
        goto fail;
    for (size_t i = 0; i < c->nhandlers; i++) {
        if (kuryr_k8s_informer_start(c->handlers[i].inf, err) < 0)
            goto fail;
    }
    if (start_election(c, err) < 0)
        goto fail;
    return c;
fail:
    kc_controller_stop(c);
    return NULL;
}

void kc_controller_stop(kc_controller *c)
{
    if (!c)
        return;
    /* The Lease goes first: a standby can take over while this one drains. */
    kuryr_k8s_lease_stop(c->lease);
    c->lease = NULL;
    atomic_store(&c->leading, false);
    for (size_t i = 0; i < c->nhandlers; i++) {
        if (c->handlers[i].inf)
            kuryr_k8s_informer_stop(c->handlers[i].inf);
    }
    kuryr_workqueue_free(c->queue);
    kuryr_health_free(c->health);
    for (size_t i = 0; i < c->nhandlers; i++) {
        kuryr_k8s_informer_free(c->handlers[i].inf);
        if (c->handlers[i].def->fini)
            c->handlers[i].def->fini(c->handlers[i].state);
    }
    free(c->handlers);
    kuryr_k8s_client_free(c->client);
    json_decref(c->tombstones);
    pthread_mutex_destroy(&c->tomb_lock);
    pthread_mutex_destroy(&c->metrics_lock);
    free(c);
}

const char *kc_controller_identity(const kc_controller *c)
{
    return c->identity;
}
