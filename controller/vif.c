/* The vif handler (upstream's name and job): a scheduled pod on the pod network gets the finalizer
 * kuryr.openstack.org/pod-finalizer and a KuryrPort of its name (label kuryr.openstack.org/nodeName, finalizer
 * kuryr.openstack.org/kuryrport-finalizer, spec {podUid, podNodeName, podStatic}); the kuryrport handler then
 * gives it a port. hostNetwork pods and pods not scheduled yet are left alone.
 *
 * When the pod is deleted (or has finished: phase Succeeded or Failed) its KuryrPort is deleted; the pod's
 * finalizer is removed last, once the KuryrPort is gone (its own finalizer keeps it until its port is deleted).
 * A KuryrPort of the pod's name whose podUid is another pod's (a pod re-created under the same name) is
 * deleted and made again. */
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "kuryr/k8s_vif.h"
#include "kuryr/k8s_write.h"
#include "kuryr/log.h"

static const char *spec_str(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(json_object_get(obj, "spec"), key));
}

static bool finished(const json_t *pod)
{
    const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
    return phase && (!strcmp(phase, "Succeeded") || !strcmp(phase, "Failed"));
}

static kuryr_work_result failed(const kc_event *ev, const char *what, const kuryr_error *err)
{
    KLOG_WARN("vif: %s: %s failed: %s", ev->key, what, err->message);
    return KURYR_WORK_RETRY;
}

/* The pod's KuryrPort: 1 with *kp, 0 when there is none, -1 with err. */
static int get_kuryrport(const kc_event *ev, json_t **kp, kuryr_error *err)
{
    if (kuryr_k8s_get(ev->client, &kuryr_k8s_kuryrports, kuryr_k8s_obj_namespace(ev->obj),
                      kuryr_k8s_obj_name(ev->obj), kp, err) == 0)
        return 1;
    return err->kind == KURYR_ERR_NOT_FOUND ? 0 : -1;
}

/* Deletes the KuryrPort (the one of this pod uid when uid is set). 1 = it still exists (deleting), 0 = gone. */
static int drop_kuryrport(const kc_event *ev, const char *uid, kuryr_error *err)
{
    json_t *kp = NULL;
    int rc = get_kuryrport(ev, &kp, err);
    if (rc == 1 && uid && strcmp(uid, spec_str(kp, "podUid") ? spec_str(kp, "podUid") : "") != 0)
        rc = 0; /* another pod's of the same name: not ours to delete */
    else if (rc == 1 && !kuryr_k8s_obj_deleting(kp)) {
        if (kuryr_k8s_delete(ev->client, &kuryr_k8s_kuryrports, kuryr_k8s_obj_namespace(kp),
                             kuryr_k8s_obj_name(kp), kuryr_k8s_obj_uid(kp), err) < 0)
            rc = err->kind == KURYR_ERR_NOT_FOUND ? 0 : -1;
        else
            KLOG_INFO("vif: %s: KuryrPort deleted", ev->key);
    }
    json_decref(kp);
    return rc;
}

static kuryr_work_result let_go(const kc_event *ev)
{
    kuryr_error err;
    kuryr_error_clear(&err);
    int rc = drop_kuryrport(ev, kuryr_k8s_obj_uid(ev->obj), &err);
    if (rc < 0)
        return failed(ev, "deleting the KuryrPort", &err);
    if (rc == 1)
        return KURYR_WORK_RETRY; /* its port is being deleted: look again after the backoff */
    if (ev->deleted)
        return KURYR_WORK_DONE;
    if (kuryr_k8s_finalizer_remove(ev->client, &kuryr_k8s_pods, kuryr_k8s_obj_namespace(ev->obj),
                                   kuryr_k8s_obj_name(ev->obj), KURYR_K8S_POD_FINALIZER, &err) < 0)
        return failed(ev, "removing the pod finalizer", &err);
    return KURYR_WORK_DONE;
}

static json_t *kuryrport_for(const json_t *pod, const char *node)
{
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:{s:s}, s:[s]}, s:{s:s, s:s, s:b}}", "apiVersion", "openstack.org/v1",
                     "kind", "KuryrPort", "metadata", "name", kuryr_k8s_obj_name(pod), "namespace",
                     kuryr_k8s_obj_namespace(pod), "labels", KURYR_K8S_NODE_LABEL, node, "finalizers",
                     KURYR_K8S_KP_FINALIZER, "spec", "podUid", kuryr_k8s_obj_uid(pod), "podNodeName", node,
                     "podStatic", 0);
}

static kuryr_work_result ensure_kuryrport(const kc_event *ev, const char *node)
{
    kuryr_error err;
    kuryr_error_clear(&err);
    if (!kuryr_k8s_obj_has_finalizer(ev->obj, KURYR_K8S_POD_FINALIZER) &&
        kuryr_k8s_finalizer_add(ev->client, &kuryr_k8s_pods, kuryr_k8s_obj_namespace(ev->obj),
                                kuryr_k8s_obj_name(ev->obj), KURYR_K8S_POD_FINALIZER, &err) < 0)
        return err.kind == KURYR_ERR_NOT_FOUND ? KURYR_WORK_DONE : failed(ev, "adding the pod finalizer", &err);
    json_t *kp = kuryrport_for(ev->obj, node);
    if (!kp)
        return KURYR_WORK_RETRY;
    int rc = kuryr_k8s_create(ev->client, &kuryr_k8s_kuryrports, NULL, kp, NULL, &err);
    json_decref(kp);
    if (rc == 0) {
        KLOG_INFO("vif: %s: KuryrPort made for node %s", ev->key, node);
        return KURYR_WORK_DONE;
    }
    if (strcmp(err.type, "AlreadyExists") != 0)
        return failed(ev, "creating the KuryrPort", &err);
    json_t *old = NULL;
    rc = get_kuryrport(ev, &old, &err);
    const char *uid = rc == 1 ? spec_str(old, "podUid") : NULL;
    bool stale = rc == 1 && (!uid || strcmp(uid, kuryr_k8s_obj_uid(ev->obj)) != 0);
    json_decref(old);
    if (rc < 0)
        return failed(ev, "reading the KuryrPort", &err);
    if (!stale)
        return rc == 1 ? KURYR_WORK_DONE : KURYR_WORK_RETRY; /* 0: gone meanwhile, make it again */
    KLOG_INFO("vif: %s: the KuryrPort is an earlier pod's of this name: replacing it", ev->key);
    if (drop_kuryrport(ev, NULL, &err) < 0)
        return failed(ev, "deleting the earlier pod's KuryrPort", &err);
    return KURYR_WORK_RETRY;
}

static kuryr_work_result vif_handle(const kc_event *ev)
{
    const json_t *spec = json_object_get(ev->obj, "spec");
    if (json_is_true(json_object_get(spec, "hostNetwork")))
        return KURYR_WORK_DONE;
    const char *node = json_string_value(json_object_get(spec, "nodeName"));
    bool ours = kuryr_k8s_obj_has_finalizer(ev->obj, KURYR_K8S_POD_FINALIZER);
    if (!kc_controller_is_leader(ev->ctl))
        return KURYR_WORK_DONE;
    if (ev->deleted || kuryr_k8s_obj_deleting(ev->obj) || finished(ev->obj))
        return ours || ev->deleted ? let_go(ev) : KURYR_WORK_DONE;
    if (!node || !*node)
        return KURYR_WORK_DONE; /* not scheduled yet: its update comes when it is */
    return ensure_kuryrport(ev, node);
}

/* The watch: all namespaces, or [kubernetes] watch_namespace. */
static int vif_init(const kc_handler_env *env, void **state, kc_watch_spec *watch, kuryr_error *err)
{
    (void)err;
    char *ns = kc_watch_namespace(env->cfg);
    watch->namespace = ns;
    *state = ns;
    return 0;
}

static void vif_fini(void *state)
{
    free(state);
}

const kc_handler_def kc_vif_handler = {
    .name = "vif",
    .resource = &kuryr_k8s_pods,
    .init = vif_init,
    .handle = vif_handle,
    .fini = vif_fini,
};
