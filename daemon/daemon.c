/* kuryr-daemon's start and stop, node name, change waits and per-pod locks (see kd.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "k8s_conf.h"
#include "kd.h"
#include "kuryr/clock.h"
#include "kuryr/log.h"

struct kd_podlock {
    kd_podlock *next;
    char *key;
    unsigned refs;
    pthread_mutex_t m;
};

void kd_node_name(const kuryr_config *cfg, char out[KD_NODE_MAX + 1])
{
    const char *opt = kuryr_config_get_str(cfg, "cni_daemon", "node_name");
    const char *env = getenv("KUBERNETES_NODE_NAME");
    const char *host = kuryr_config_get_str(cfg, "DEFAULT", "host");
    char buf[256] = "";
    if (opt && *opt)
        snprintf(buf, sizeof(buf), "%s", opt);
    else if (env && *env)
        snprintf(buf, sizeof(buf), "%s", env);
    else if (host && *host)
        snprintf(buf, sizeof(buf), "%s", host);
    else if (gethostname(buf, sizeof(buf) - 1) < 0 || !buf[0])
        snprintf(buf, sizeof(buf), "localhost");
    /* Kubernetes node names are lowercase: a host name is lowercased the way kubelet does it. */
    for (char *c = buf; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    snprintf(out, KD_NODE_MAX + 1, "%.*s", KD_NODE_MAX, buf); /* a label value's limit */
}

void kd_wait_change(kd_daemon *d, double deadline)
{
    double left = deadline - kuryr_mono_s();
    if (left <= 0)
        return;
    /* Wake at least once a second: a change that landed between the caller's look and this wait is then
     * seen within a second even without a further event. */
    struct timespec ts = kuryr_mono_deadline(left < 1 ? left : 1);
    pthread_mutex_lock(&d->lock);
    if (!d->stopping)
        pthread_cond_timedwait(&d->changed, &d->lock, &ts);
    pthread_mutex_unlock(&d->lock);
}

bool kd_stopping(kd_daemon *d)
{
    pthread_mutex_lock(&d->lock);
    bool s = d->stopping;
    pthread_mutex_unlock(&d->lock);
    return s;
}

kd_podlock *kd_pod_lock(kd_daemon *d, const char *key)
{
    pthread_mutex_lock(&d->lock);
    kd_podlock *l = d->podlocks;
    while (l && strcmp(l->key, key) != 0)
        l = l->next;
    if (!l && (l = calloc(1, sizeof(*l)))) {
        if (!(l->key = strdup(key))) {
            free(l);
            l = NULL;
        } else {
            pthread_mutex_init(&l->m, NULL);
            l->next = d->podlocks;
            d->podlocks = l;
        }
    }
    if (l)
        l->refs++;
    pthread_mutex_unlock(&d->lock);
    if (l)
        pthread_mutex_lock(&l->m);
    return l;
}

void kd_pod_unlock(kd_daemon *d, kd_podlock *l)
{
    if (!l)
        return;
    pthread_mutex_unlock(&l->m);
    pthread_mutex_lock(&d->lock);
    if (--l->refs == 0) {
        for (kd_podlock **p = &d->podlocks; *p; p = &(*p)->next) {
            if (*p == l) {
                *p = l->next;
                break;
            }
        }
        pthread_mutex_destroy(&l->m);
        free(l->key);
        free(l);
    }
    pthread_mutex_unlock(&d->lock);
}

/* ---- informers: every change wakes the waiting requests --------------------------------------------- */

static void wake(kd_daemon *d)
{
    pthread_mutex_lock(&d->lock);
    pthread_cond_broadcast(&d->changed);
    pthread_mutex_unlock(&d->lock);
}

static void on_add(const json_t *obj, void *ud)
{
    (void)obj;
    wake(ud);
}

static void on_update(const json_t *old_obj, const json_t *new_obj, void *ud)
{
    (void)old_obj, (void)new_obj;
    wake(ud);
}

static void on_synced(void *ud)
{
    kd_daemon *d = ud;
    if (d->health)
        kuryr_health_probe_now(d->health);
    wake(d);
}

static kuryr_k8s_informer *watch(kd_daemon *d, const kuryr_k8s_resource *res, const char *label,
                                 const char *field, kuryr_error *err)
{
    kuryr_k8s_watch_opts wo = {
        .resource = res,
        .label_selector = label,
        .field_selector = field,
        .stall_s = (unsigned)kuryr_config_get_int(d->cfg, "kubernetes", "watch_read_timeout"),
    };
    kuryr_k8s_handlers cb = {.on_add = on_add, .on_update = on_update, .on_delete = on_add,
                             .on_synced = on_synced, .ud = d};
    return kuryr_k8s_informer_new(d->client, &wo, &cb, err);
}

/* ---- health ------------------------------------------------------------------------------------------- */

static bool ready(void *ud, char *reason, size_t len)
{
    kd_daemon *d = ud;
    bool ok = kuryr_k8s_informer_synced(d->ports) && kuryr_k8s_informer_synced(d->pods);
    snprintf(reason, len, ok ? "synced; node %s" : "node %s: KuryrPort and pod caches not synced yet", d->node);
    return ok;
}

static int start_health(kd_daemon *d, kuryr_error *err)
{
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%ld", kuryr_config_get_int(d->cfg, "cni_health_server", "port"));
    kuryr_health_opts ho = {.listen = listen, .probe = ready, .probe_ud = d, .probe_interval_s = 5};
    d->health = kuryr_health_new(&ho, err);
    if (!d->health || kuryr_health_add_metrics(d->health, kd_metrics, d, err) < 0 ||
        kuryr_health_start(d->health, err) < 0)
        return kuryr_error_prefix(err, "[cni_health_server]: ");
    return 0;
}

/* ---- start / stop ----------------------------------------------------------------------------------- */

static int setup(kd_daemon *d, kuryr_error *err)
{
    long timeout = kuryr_config_get_int(d->cfg, "cni_daemon", "vif_annotation_timeout");
    if (timeout < 1 || timeout > 100)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "[cni_daemon] vif_annotation_timeout %ld: "
                               "give 1 to 100 seconds (an ADD waits up to twice that, and kubelet gives a sandbox "
                               "4 minutes)", timeout);
    d->vif_timeout_s = (unsigned)timeout;
    if (kuryr_binding_cfg_from_config(d->cfg, &d->bcfg, err) < 0)
        return -1;
    kuryr_k8s_config kc;
    if (kc_k8s_config(d->cfg, &kc, err) < 0)
        return -1;
    kuryr_k8s_client_opts co = {
        .connect_timeout_ms = kuryr_config_get_int(d->cfg, "kubernetes", "watch_connection_timeout") * 1000,
        .user_agent = "kuryr-daemon/" KURYR_VERSION,
    };
    d->client = kuryr_k8s_client_new(&kc, &co, err);
    KLOG_INFO("kube-apiserver %s, node %s", kc.server ? kc.server : "?", d->node);
    kuryr_k8s_config_clear(&kc);
    if (!d->client)
        return -1;
    char label[KD_NODE_MAX + 64], field[KD_NODE_MAX + 32];
    snprintf(label, sizeof(label), KURYR_K8S_NODE_LABEL "=%s", d->node);
    snprintf(field, sizeof(field), "spec.nodeName=%s", d->node);
    if (!(d->ports = watch(d, &kuryr_k8s_kuryrports, label, NULL, err)) ||
        !(d->pods = watch(d, &kuryr_k8s_pods, NULL, field, err)))
        return -1;
    return 0;
}

static int start_servers(kd_daemon *d, kuryr_error *err)
{
    kuryr_plugin_server_opts so = {.unix_path = kuryr_config_get_str(d->cfg, "cni_daemon", "socket_path"),
                                   .max_body = 256 * 1024, .timeout_s = 300};
    if (!(d->unix_srv = kuryr_plugin_server_start(&so, kd_serve, d, err)))
        return kuryr_error_prefix(err, "[cni_daemon] socket_path: ");
    KLOG_INFO("serving kuryr-cni on %s", so.unix_path);
    const char *tcp = kuryr_config_get_str(d->cfg, "cni_daemon", "bind_address");
    if (tcp && *tcp) {
        so.tcp_address = tcp;
        if (!(d->tcp_srv = kuryr_plugin_server_start(&so, kd_serve, d, err)))
            return kuryr_error_prefix(err, "[cni_daemon] bind_address: ");
        KLOG_WARN("also serving kuryr-cni on TCP %s: any local user can reach it", tcp);
    }
    return 0;
}

kd_daemon *kd_start(const kuryr_config *cfg, kuryr_error *err)
{
    kd_daemon *d = calloc(1, sizeof(*d));
    if (!d) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
        return NULL;
    }
    d->cfg = cfg;
    pthread_mutex_init(&d->lock, NULL);
    kuryr_cond_init_mono(&d->changed);
    pthread_rwlock_init(&d->gc_lock, NULL);
    pthread_mutex_init(&d->metrics_lock, NULL);
    kd_node_name(cfg, d->node);
    if (setup(d, err) < 0 || start_health(d, err) < 0 || kuryr_k8s_informer_start(d->ports, err) < 0 ||
        kuryr_k8s_informer_start(d->pods, err) < 0 || kd_node_port_start(d, err) < 0 ||
        start_servers(d, err) < 0) {
        kd_stop(d);
        return NULL;
    }
    return d;
}

void kd_stop(kd_daemon *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->stopping = true;
    pthread_cond_broadcast(&d->changed);
    pthread_mutex_unlock(&d->lock);
    /* Requests in flight see stopping and answer "try again later"; the servers wait for them. */
    kuryr_plugin_server_stop(d->tcp_srv);
    kuryr_plugin_server_stop(d->unix_srv);
    kd_node_port_stop(d);
    kuryr_health_free(d->health); /* its probe reads the informers */
    kuryr_k8s_informer_free(d->ports);
    kuryr_k8s_informer_free(d->pods);
    kuryr_k8s_client_free(d->client);
    pthread_rwlock_destroy(&d->gc_lock);
    pthread_cond_destroy(&d->changed);
    pthread_mutex_destroy(&d->lock);
    pthread_mutex_destroy(&d->metrics_lock);
    free(d);
}
