/* The CNI daemon API over HTTP (lib/plugin_server.c): path -> verb, parsing, locking, the verb, the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "kuryr/clock.h"
#include "kuryr/log.h"

static bool ready(kd_daemon *d)
{
    return kuryr_k8s_informer_synced(d->ports) && kuryr_k8s_informer_synced(d->pods);
}

static int run(kd_daemon *d, const kd_request *r, char **reply, kd_fail *f)
{
    if (r->verb == KD_STATUS)
        return ready(d) ? 0 : kd_fail_set(f, 503, KD_CODE_NOT_READY, "not ready", "kuryr-daemon has not synced "
                                           "its KuryrPort and pod caches with the kube-apiserver yet");
    if (r->verb == KD_GC) {
        pthread_rwlock_wrlock(&d->gc_lock);
        int rc = kd_gc(d, r, f);
        pthread_rwlock_unlock(&d->gc_lock);
        return rc;
    }
    /* Requests about one pod run one at a time (an ADD of a new sandbox and the DEL of the old one race
     * otherwise); a DEL without pod arguments is keyed by its container. */
    char key[sizeof(r->pod_namespace) + sizeof(r->pod_name) + sizeof(r->container_id) + 2];
    if (r->pod_name[0])
        snprintf(key, sizeof(key), "%s/%s", r->pod_namespace, r->pod_name);
    else
        snprintf(key, sizeof(key), "#%s", r->container_id);
    pthread_rwlock_rdlock(&d->gc_lock);
    kd_podlock *l = kd_pod_lock(d, key);
    int rc;
    if (!l)
        rc = kd_fail_set(f, 500, KD_CODE_INTERNAL, "out of memory", "%s", "");
    else if (r->verb == KD_ADD)
        rc = kd_add(d, r, reply, f);
    else if (r->verb == KD_DEL)
        rc = kd_del(d, r, f);
    else
        rc = kd_check(d, r, f);
    kd_pod_unlock(d, l);
    pthread_rwlock_unlock(&d->gc_lock);
    return rc;
}

void kd_serve(void *ctx, const char *method, const char *url, const char *body, size_t len, int *status,
              char **reply)
{
    kd_daemon *d = ctx;
    double t0 = kuryr_mono_s();
    kd_fail f = {0};
    *reply = NULL;
    int verb = kd_verb_from_path(url);
    if (verb < 0 || strcmp(method, "POST") != 0) {
        kd_fail_set(&f, verb < 0 ? 404 : 405, KD_CODE_INTERNAL, verb < 0 ? "not found" : "method not allowed",
                    "kuryr-daemon answers POST /addNetwork, /delNetwork, /checkNetwork, /status and /gc");
        *status = f.http_status;
        *reply = kd_fail_json(&f);
        return;
    }
    kd_request r;
    int rc = kd_request_parse(body, len, (kd_verb)verb, &r, &f);
    if (rc == 0) {
        rc = run(d, &r, reply, &f);
        kd_request_clear(&r);
    }
    if (rc < 0) {
        KLOG_WARN("%s container %s: %s: %s", kd_verb_name((kd_verb)verb), r.container_id, f.msg, f.details);
        *status = f.http_status;
        free(*reply);
        *reply = kd_fail_json(&f);
    } else {
        *status = verb == KD_ADD ? 202 : 204;
        if (!*reply)
            *reply = strdup("");
    }
    kd_metrics_note(d, (kd_verb)verb, kuryr_mono_s() - t0, rc < 0);
}
