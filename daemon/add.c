/* CNI ADD: wait (bounded) for the pod's KuryrPort to carry its VIF, plug it, wait (bounded) for the controller
 * to mark it active (Neutron says ACTIVE), answer the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "kuryr/clock.h"
#include "kuryr/k8s_client.h"
#include "kuryr/log.h"

typedef enum { WAIT_GOT, WAIT_TIMEOUT, WAIT_POD_GONE, WAIT_STOPPING, WAIT_BAD_VIF } wait_result;

static const char *str_at(const json_t *o, const char *a, const char *b)
{
    return json_string_value(json_object_get(json_object_get(o, a), b));
}

/* Whether the pod the request is about is still there, as far as the pod informer knows: once it has seen
 * the pod (with the request's UID, when one was given), the pod's disappearance ends the wait at once. */
static bool pod_gone(kd_daemon *d, const kd_request *r, const char *key, bool *seen)
{
    json_t *pod = kuryr_k8s_informer_get(d->pods, key);
    const char *uid = pod ? kuryr_k8s_obj_uid(pod) : NULL;
    bool ours = pod && (!r->pod_uid[0] || (uid && !strcmp(uid, r->pod_uid)));
    json_decref(pod);
    if (ours)
        *seen = true;
    return *seen && !ours;
}

/* One look at the KuryrPort: WAIT_GOT with vif filled when it is the request's pod's, carries the VIF and (if
 * need_active) the VIF is active; WAIT_TIMEOUT to go on waiting; WAIT_BAD_VIF with fail set. */
static wait_result look(kd_daemon *d, const kd_request *r, const char *key, bool need_active, kuryr_k8s_vif *vif,
                        kd_fail *f)
{
    json_t *kp = kuryr_k8s_informer_get(d->ports, key);
    wait_result res = WAIT_TIMEOUT;
    const char *uid = kp ? str_at(kp, "spec", "podUid") : NULL;
    /* Another pod of the same name (an older one on its way out, or a newer one): never plug its port. */
    if (!kp || kuryr_k8s_obj_deleting(kp) || (r->pod_uid[0] && (!uid || strcmp(uid, r->pod_uid) != 0)))
        goto out;
    kuryr_error err;
    kuryr_error_clear(&err);
    int got = kuryr_k8s_kuryrport_vif(kp, NULL, vif, &err);
    if (got < 0) {
        kd_fail_set(f, 500, KD_CODE_INTERNAL, "malformed VIF", "KuryrPort %s: %s", key, err.message);
        res = WAIT_BAD_VIF;
    } else if (got == 1 && (!need_active || vif->active)) {
        res = WAIT_GOT;
    }
out:
    json_decref(kp);
    return res;
}

static wait_result wait_vif(kd_daemon *d, const kd_request *r, const char *key, bool need_active,
                            kuryr_k8s_vif *vif, kd_fail *f)
{
    double deadline = kuryr_mono_s() + d->vif_timeout_s;
    bool seen = false;
    for (;;) {
        wait_result res = look(d, r, key, need_active, vif, f);
        if (res != WAIT_TIMEOUT)
            return res;
        if (pod_gone(d, r, key, &seen))
            return WAIT_POD_GONE;
        if (kd_stopping(d))
            return WAIT_STOPPING;
        if (kuryr_mono_s() >= deadline)
            return WAIT_TIMEOUT;
        kd_wait_change(d, deadline);
    }
}

static int wait_failed(wait_result res, const char *key, const char *what, unsigned timeout_s, kd_fail *f)
{
    switch (res) {
    case WAIT_POD_GONE:
        return kd_fail_set(f, 404, KD_CODE_UNKNOWN_CONTAINER, "pod gone", "pod %s was deleted while waiting for "
                           "its %s", key, what);
    case WAIT_STOPPING:
        return kd_fail_set(f, 503, KD_CODE_TRY_LATER, "daemon stopping", "kuryr-daemon is shutting down");
    case WAIT_TIMEOUT:
        return kd_fail_set(f, 504, KD_CODE_TRY_LATER, "timed out", "no %s for pod %s within %u s (KuryrPort "
                           "missing, another pod's, or the controller has not written it yet); try again later",
                           what, key, timeout_s);
    default:
        return -1; /* WAIT_BAD_VIF: fail already set */
    }
}

/* The result in CNI 1.0.0's shape without cniVersion (kuryr-cni adds it and converts). */
static char *result_json(const kd_request *r, const kuryr_k8s_vif *vif)
{
    json_t *ips = json_array(), *routes = json_array(), *dns = json_array();
    for (size_t i = 0; i < vif->n_ips; i++) {
        const char *slash = strchr(vif->ips[i].cidr, '/');
        char addr[96];
        snprintf(addr, sizeof(addr), "%s/%s", vif->ips[i].address,
                 slash ? slash + 1 : strchr(vif->ips[i].address, ':') ? "128" : "32");
        json_t *ip = json_pack("{s:s,s:i}", "address", addr, "interface", 0);
        if (vif->ips[i].gateway[0]) {
            json_object_set_new(ip, "gateway", json_string(vif->ips[i].gateway));
            json_array_append_new(routes, json_pack("{s:s,s:s}", "dst", strchr(vif->ips[i].address, ':')
                                                    ? "::/0" : "0.0.0.0/0", "gw", vif->ips[i].gateway));
        }
        json_array_append_new(ips, ip);
    }
    for (size_t i = 0; i < vif->n_routes; i++) {
        json_t *route = json_pack("{s:s}", "dst", vif->routes[i].dst);
        if (vif->routes[i].gw[0])
            json_object_set_new(route, "gw", json_string(vif->routes[i].gw));
        json_array_append_new(routes, route);
    }
    for (size_t i = 0; i < vif->n_dns; i++)
        json_array_append_new(dns, json_string(vif->dns[i]));
    json_t *res = json_pack("{s:[{s:s,s:s,s:i,s:s}],s:o,s:o,s:{s:o}}", "interfaces", "name", r->ifname, "mac",
                            vif->mac, "mtu", vif->mtu ? (int)vif->mtu : 1500, "sandbox", r->netns, "ips", ips,
                            "routes", routes, "dns", "nameservers", dns);
    char *s = res ? json_dumps(res, JSON_COMPACT) : NULL;
    json_decref(res);
    return s;
}

static int refuse_existing(const kd_request *r, kd_fail *f)
{
    kuryr_netns_iface iface;
    kuryr_error err;
    kuryr_error_clear(&err);
    int rc = kuryr_netns_iface_get(r->netns, r->ifname, &iface, &err);
    if (rc == 1)
        return kd_fail_set(f, 409, KD_CODE_INTERNAL, "interface exists", "%s already exists in %s", r->ifname,
                           r->netns);
    if (rc < 0)
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad CNI_NETNS", "%s", err.message);
    return 0;
}

int kd_add(kd_daemon *d, const kd_request *r, char **reply, kd_fail *f)
{
    char key[sizeof(r->pod_namespace) + sizeof(r->pod_name) + 1];
    snprintf(key, sizeof(key), "%s/%s", r->pod_namespace, r->pod_name);
    if (refuse_existing(r, f) < 0)
        return -1;
    kuryr_k8s_vif vif;
    wait_result res = wait_vif(d, r, key, false, &vif, f);
    if (res != WAIT_GOT)
        return wait_failed(res, key, "VIF", d->vif_timeout_s, f);
    const char *uid = r->pod_uid[0] ? r->pod_uid : NULL;
    if (kd_plug(d, r, &vif, uid ? uid : key, f) < 0)
        return -1;
    KLOG_INFO("pod %s: port %s plugged as %s in %s (container %s); waiting for it to be active", key, vif.port_id,
              r->ifname, r->netns, r->container_id);
    kuryr_k8s_vif active;
    res = wait_vif(d, r, key, true, &active, f);
    if (res != WAIT_GOT || strcmp(active.port_id, vif.port_id) != 0) {
        /* kubelet will retry the sandbox: leave nothing behind for this attempt. */
        kd_record rec;
        kd_fail ignored;
        if (kd_record_of(r, &vif, &rec, &ignored) == 0)
            kd_unplug(d, &rec, r->netns, &ignored);
        if (res == WAIT_GOT)
            return kd_fail_set(f, 409, KD_CODE_TRY_LATER, "VIF changed", "pod %s's KuryrPort now names port %s "
                               "instead of %s; try again", key, active.port_id, vif.port_id);
        return wait_failed(res, key, "active VIF", d->vif_timeout_s, f);
    }
    *reply = result_json(r, &active);
    if (!*reply)
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "out of memory", "%s", "");
    KLOG_INFO("pod %s: ADD done (port %s active)", key, vif.port_id);
    return 0;
}
