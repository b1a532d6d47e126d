/* The kuryrport handler (upstream's name and job): a KuryrPort gets a Neutron port on [neutron_defaults]
 * pod_subnet, bound to the pod's node, and status.vifs["eth0"] = its os-vif VIF; then the port is watched until
 * Neutron says ACTIVE (upstream's "activate" step) and the VIF says active=true. When the KuryrPort is deleted
 * the port goes first, then the kuryrport finalizer.
 *
 * Crash safety: the port is found again by the pod's uid (device_id) and compute:kuryr before anything is made,
 * so a controller killed between the port's create and the status write finds that port on its next run and
 * never makes a second. A port carries the cluster's marker as tag and description; only marked ports are
 * deleted (an unmarked one with this pod's uid, made by upstream or by a create whose tagging did not happen,
 * is this pod's beyond doubt and is adopted: marked, then used). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handler.h"
#include "pod_net.h"
#include "kuryr/k8s_vif.h"
#include "kuryr/k8s_write.h"
#include "kuryr/keystone.h"
#include "kuryr/log.h"

/* Activation polls Neutron at the queue's poll interval (1 s; the port turns ACTIVE a moment after the daemon
 * plugged it, and a growing backoff noticed it up to ~50 s late, all of it pod start time) for about 5 minutes,
 * past kubelet's 4-minute sandbox timeout, then a Warning Event instead of polling forever. Any change of the
 * KuryrPort starts over. */
#define ACTIVATION_ATTEMPTS 300
#define COMPONENT "kuryr-k8s-controller"

typedef struct {
    kuryr_http *http;
    kuryr_auth *auth;
    kuryr_neutron *kn;
    kc_pod_net net;
    char *namespace; /* [kubernetes] watch_namespace; NULL = all */
    bool use_events;
    atomic_bool tags_in_body; /* cleared once Neutron refuses or drops tags in a create body */
} kp_state;

static void kp_fini(void *state)
{
    kp_state *s = state;
    if (!s)
        return;
    kc_pod_net_clear(&s->net);
    free(s->namespace);
    kuryr_neutron_free(s->kn);
    kuryr_auth_free(s->auth);
    kuryr_http_free(s->http);
    free(s);
}

static int kp_init(const kc_handler_env *env, void **state, kc_watch_spec *watch, kuryr_error *err)
{
    kp_state *s = calloc(1, sizeof(*s));
    if (!s)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "kuryrport handler: out of memory");
    watch->namespace = s->namespace = kc_watch_namespace(env->cfg);
    atomic_init(&s->tags_in_body, true);
    s->use_events = kuryr_config_get_bool(env->cfg, "kubernetes", "use_events");
    kuryr_http_opts hopts;
    kuryr_auth_opts aopts;
    kuryr_http_opts_from_config(env->cfg, &hopts);
    if (kuryr_auth_opts_from_config(env->cfg, &aopts, err) < 0)
        goto fail;
    s->http = kuryr_http_new(&hopts);
    s->auth = s->http ? kuryr_auth_new(s->http, &aopts) : NULL;
    s->kn = s->auth ? kuryr_neutron_new(s->auth) : NULL;
    if (!s->kn) {
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "cannot create the Neutron client");
        goto fail;
    }
    if (kc_pod_net_load(env->cfg, s->kn, &s->net, err) < 0)
        goto fail;
    KLOG_INFO("kuryrport: pods' ports on subnet %s (%s, network %s, MTU %u), %zu security groups, marker %s",
              s->net.subnet_id, s->net.cidr, s->net.network_id, s->net.mtu, s->net.sgs.n, s->net.marker);
    *state = s;
    return 0;
fail:
    kp_fini(s);
    return -1;
}

static const char *spec_str(const json_t *kp, const char *key)
{
    return json_string_value(json_object_get(json_object_get(kp, "spec"), key));
}

/* A Warning Event on the KuryrPort (with [kubernetes] use_events) and the log line. */
static void warn(const kc_event *ev, const char *reason, const char *message)
{
    const kp_state *s = ev->state;
    KLOG_WARN("kuryrport: %s: %s", reason, message);
    kuryr_error err;
    if (s->use_events && kuryr_k8s_event_record(ev->client, ev->obj, "Warning", reason, message, COMPONENT, &err) < 0)
        KLOG_WARN("kuryrport: recording the event failed: %s", err.message);
}

/* Ports of the pod on the pod network: device_id = its uid, device_owner compute:kuryr. */
static int pod_ports(kp_state *s, const char *uid, kuryr_port_list *out, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    if (!q)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    kuryr_query_add(q, "device_id", uid);
    kuryr_query_add(q, "device_owner", KC_DEVICE_OWNER);
    kuryr_query_add(q, "network_id", s->net.network_id);
    int rc = kuryr_neutron_port_list(s->kn, q, out, err);
    kuryr_query_free(q);
    return rc;
}

static int delete_port(kp_state *s, const char *id, kuryr_error *err)
{
    if (kuryr_neutron_port_delete(s->kn, id, err) < 0 && err->kind != KURYR_ERR_NOT_FOUND)
        return -1;
    KLOG_INFO("kuryrport: port %s deleted", id);
    return 0;
}

/* Deletes the pod's marked ports (404 = done). */
static int release(kp_state *s, const char *uid, kuryr_error *err)
{
    kuryr_port_list l = {0};
    int rc = pod_ports(s, uid, &l, err);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        if (!kc_pod_port_is_ours(&s->net, l.items[i]))
            KLOG_WARN("kuryrport: port %s of pod uid %s has no %s marker: left alone", l.items[i]->id, uid,
                      s->net.marker);
        else
            rc = delete_port(s, l.items[i]->id, err);
    }
    kuryr_port_list_clear(&l);
    return rc;
}

static int mark(kp_state *s, kuryr_port *port, kuryr_error *err)
{
    for (size_t i = 0; i < s->net.tags.n; i++) {
        if (!kuryr_strv_contains(&port->tags, s->net.tags.items[i]))
            return kuryr_neutron_tags_replace(s->kn, "ports", port->id, (const char *const *)s->net.tags.items,
                                              s->net.tags.n, err);
    }
    return 0;
}

static int create_port(kp_state *s, const json_t *kp, const char *uid, const char *node, kuryr_port **out,
                       kuryr_error *err)
{
    bool with_tags = atomic_load(&s->tags_in_body);
    json_t *body = kc_pod_port_body(&s->net, kuryr_k8s_obj_namespace(kp), kuryr_k8s_obj_name(kp), uid, node,
                                    with_tags);
    if (!body)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    int rc = kuryr_neutron_port_create(s->kn, body, out, err);
    if (rc < 0 && with_tags && err->kind == KURYR_ERR_BAD_REQUEST && kuryr_error_refused(err, "tags")) {
        KLOG_INFO("kuryrport: Neutron takes no tags in a create body: tagging with a separate call");
        atomic_store(&s->tags_in_body, false);
        json_object_del(body, "tags");
        rc = kuryr_neutron_port_create(s->kn, body, out, err);
    }
    json_decref(body);
    if (rc < 0)
        return -1;
    KLOG_INFO("kuryrport: port %s made for pod %s/%s on %s", (*out)->id, kuryr_k8s_obj_namespace(kp),
              kuryr_k8s_obj_name(kp), node);
    return mark(s, *out, err);
}

/* The pod's one port: found again (a run before may have made it and died) or made now. Extra marked ports of
 * the pod (none unless something went wrong before) are deleted. */
static int ensure_port(kp_state *s, const json_t *kp, const char *uid, const char *node, kuryr_port **out,
                       kuryr_error *err)
{
    kuryr_port_list l = {0};
    *out = NULL;
    int rc = pod_ports(s, uid, &l, err);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        kuryr_port *p = l.items[i];
        if (!*out) {
            if (!kc_pod_port_is_ours(&s->net, p))
                KLOG_INFO("kuryrport: adopting unmarked port %s of pod uid %s", p->id, uid);
            rc = mark(s, p, err);
            *out = p;
            l.items[i] = NULL;
        } else if (kc_pod_port_is_ours(&s->net, p)) {
            KLOG_WARN("kuryrport: pod uid %s has a second port %s: deleting it", uid, p->id);
            rc = delete_port(s, p->id, err);
        }
    }
    kuryr_port_list_clear(&l);
    if (rc == 0 && !*out)
        rc = create_port(s, kp, uid, node, out, err);
    if (rc < 0) {
        kuryr_port_free(*out);
        *out = NULL;
    }
    return rc;
}

static int write_status(const kc_event *ev, const kuryr_k8s_vif *vif, kuryr_error *err)
{
    json_t *prim = kuryr_k8s_vif_to_json(vif);
    json_t *status = prim ? json_pack("{s:{s:{s:b, s:o}}, s:s, s:s, s:s}", "vifs", KURYR_K8S_DEFAULT_IFNAME,
                                      "default", 1, "vif", prim, "portId", vif->port_id, "ip", vif->ips[0].address,
                                      "state", vif->active ? "Active" : "Bound")
                          : NULL;
    if (!status)
        return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    int rc = kuryr_k8s_set_status(ev->client, &kuryr_k8s_kuryrports, kuryr_k8s_obj_namespace(ev->obj),
                                  kuryr_k8s_obj_name(ev->obj), status, NULL, err);
    json_decref(status);
    return rc;
}

static kuryr_work_result failed(const char *what, const kuryr_error *err)
{
    KLOG_WARN("kuryrport: %s failed: %s", what, err->message);
    return KURYR_WORK_RETRY;
}

/* Deletion: the port, then our finalizer. */
static kuryr_work_result let_go(const kc_event *ev, const char *uid)
{
    kuryr_error err;
    kuryr_error_clear(&err);
    if (uid && release(ev->state, uid, &err) < 0)
        return failed("deleting the port", &err);
    if (ev->deleted)
        return KURYR_WORK_DONE;
    if (kuryr_k8s_finalizer_remove(ev->client, &kuryr_k8s_kuryrports, kuryr_k8s_obj_namespace(ev->obj),
                                   kuryr_k8s_obj_name(ev->obj), KURYR_K8S_KP_FINALIZER, &err) < 0)
        return failed("removing the finalizer", &err);
    return KURYR_WORK_DONE;
}

/* The VIF is written but not active yet: ask Neutron again. 1 = go on to (re)make the port (it is gone). */
static int activate(const kc_event *ev, kuryr_k8s_vif *vif, kuryr_work_result *res)
{
    kp_state *s = ev->state;
    kuryr_port *port = NULL;
    kuryr_error err;
    kuryr_error_clear(&err);
    if (kuryr_neutron_port_get(s->kn, vif->port_id, &port, &err) < 0) {
        if (err.kind == KURYR_ERR_NOT_FOUND)
            return 1;
        *res = failed("reading the port", &err);
        return 0;
    }
    bool active = port->status && !strcmp(port->status, "ACTIVE");
    kuryr_port_free(port);
    if (active) {
        vif->active = true;
        *res = write_status(ev, vif, &err) < 0 ? failed("writing the active VIF", &err) : KURYR_WORK_DONE;
        if (*res == KURYR_WORK_DONE)
            KLOG_INFO("kuryrport: port %s is ACTIVE", vif->port_id);
    } else if (ev->attempt >= ACTIVATION_ATTEMPTS) {
        char msg[160];
        snprintf(msg, sizeof(msg), "Neutron port %s did not become ACTIVE; no more polling until the KuryrPort "
                 "changes", vif->port_id);
        warn(ev, "PortNotActive", msg);
        *res = KURYR_WORK_DONE;
    } else {
        *res = KURYR_WORK_POLL;
    }
    return 0;
}

/* Errors retrying cannot fix (a refused request) become an Event, not a retry storm. A port Neutron could not
 * bind (no live L2 agent on the node, for now) and no address left (409) are Events too, recorded once and
 * retried with the queue's backoff (up to a minute apart). */
static kuryr_work_result port_failed(const kc_event *ev, const char *what, const kuryr_error *err)
{
    char msg[700];
    snprintf(msg, sizeof(msg), "%s: %s", what, err->message);
    bool binding = !strcmp(err->type, "BindingFailed");
    if (!binding && (err->kind == KURYR_ERR_BAD_REQUEST || err->kind == KURYR_ERR_UNAUTHORIZED)) {
        warn(ev, "PortCreateFailed", msg);
        return KURYR_WORK_DONE;
    }
    if ((binding || err->kind == KURYR_ERR_CONFLICT) && ev->attempt == 1)
        warn(ev, binding ? "BindingFailed" : "PortCreateFailed", msg);
    return failed(what, err);
}

static kuryr_work_result reconcile(const kc_event *ev, const char *uid, const char *node)
{
    kp_state *s = ev->state;
    kuryr_error err;
    kuryr_error_clear(&err);
    if (!kuryr_k8s_obj_has_finalizer(ev->obj, KURYR_K8S_KP_FINALIZER) &&
        kuryr_k8s_finalizer_add(ev->client, &kuryr_k8s_kuryrports, kuryr_k8s_obj_namespace(ev->obj),
                                kuryr_k8s_obj_name(ev->obj), KURYR_K8S_KP_FINALIZER, &err) < 0)
        return err.kind == KURYR_ERR_NOT_FOUND ? KURYR_WORK_DONE : failed("adding the finalizer", &err);
    kuryr_k8s_vif vif;
    int have = kuryr_k8s_kuryrport_vif(ev->obj, KURYR_K8S_DEFAULT_IFNAME, &vif, &err);
    if (have < 0)
        KLOG_WARN("kuryrport: %s: status.vifs unreadable (%s): writing it again", ev->key, err.message);
    if (have == 1 && vif.active)
        return KURYR_WORK_DONE;
    kuryr_work_result res;
    if (have == 1 && activate(ev, &vif, &res) == 0)
        return res;
    kuryr_port *port = NULL;
    if (!kc_controller_is_leader(ev->ctl))
        return KURYR_WORK_DONE;
    if (ensure_port(s, ev->obj, uid, node, &port, &err) < 0)
        return port_failed(ev, "making the Neutron port", &err);
    int rc = kc_pod_vif_from_port(&s->net, port, &vif, &err);
    if (rc < 0 && !strcmp(err.type, "BindingFailed")) {
        kuryr_error derr;
        delete_port(s, port->id, &derr); /* as upstream: a port that cannot be bound is of no use */
    }
    kuryr_port_free(port);
    if (rc < 0)
        return port_failed(ev, "using the Neutron port", &err);
    if (write_status(ev, &vif, &err) < 0)
        return failed("writing status.vifs", &err);
    KLOG_INFO("kuryrport: %s: VIF written (port %s, %s)", ev->key, vif.port_id, vif.ips[0].address);
    return vif.active ? KURYR_WORK_DONE : KURYR_WORK_POLL;
}

static kuryr_work_result kp_handle(const kc_event *ev)
{
    const char *uid = spec_str(ev->obj, "podUid"), *node = spec_str(ev->obj, "podNodeName");
    if (!kc_controller_is_leader(ev->ctl))
        return KURYR_WORK_DONE;
    if (ev->deleted || kuryr_k8s_obj_deleting(ev->obj))
        return let_go(ev, uid);
    if (!uid || !*uid || !node || !*node) {
        warn(ev, "InvalidKuryrPort", "spec.podUid and spec.podNodeName are required");
        return KURYR_WORK_DONE;
    }
    return reconcile(ev, uid, node);
}

const kc_handler_def kc_kuryrport_handler = {
    .name = "kuryrport",
    .resource = &kuryr_k8s_kuryrports,
    .init = kp_init,
    .handle = kp_handle,
    .fini = kp_fini,
};
