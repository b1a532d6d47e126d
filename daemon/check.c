/* CNI CHECK: the attachment is recorded, and the container's interface is there with the VIF's MAC and
 * addresses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kd.h"

static bool recorded(kd_daemon *d, const kd_request *r, kd_record *out, kd_fail *f, bool *failed)
{
    kd_record *recs = NULL;
    size_t n = 0;
    *failed = kd_records(d, &recs, &n, f) < 0;
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        if (!strcmp(recs[i].container_id, r->container_id) && !strcmp(recs[i].ifname, r->ifname)) {
            *out = recs[i];
            found = true;
        }
    }
    free(recs);
    return found;
}

static bool has_address(const kuryr_netns_iface *iface, const char *address)
{
    size_t n = strlen(address);
    for (size_t i = 0; i < iface->n_addresses; i++)
        if (!strncmp(iface->addresses[i], address, n) && iface->addresses[i][n] == '/')
            return true;
    return false;
}

int kd_check(kd_daemon *d, const kd_request *r, kd_fail *f)
{
    kd_record rec;
    bool failed = false;
    if (!recorded(d, r, &rec, f, &failed))
        return failed ? -1 : kd_fail_set(f, 404, KD_CODE_UNKNOWN_CONTAINER, "unknown container",
                                          "nothing is plugged for container %s (%s)", r->container_id, r->ifname);
    char key[sizeof(r->pod_namespace) + sizeof(r->pod_name) + 1];
    snprintf(key, sizeof(key), "%s/%s", r->pod_namespace, r->pod_name);
    json_t *kp = kuryr_k8s_informer_get(d->ports, key);
    kuryr_k8s_vif vif;
    kuryr_error err;
    kuryr_error_clear(&err);
    int got = kp ? kuryr_k8s_kuryrport_vif(kp, NULL, &vif, &err) : 0;
    json_decref(kp);
    if (got != 1 || strcmp(vif.port_id, rec.port_id) != 0)
        return kd_fail_set(f, 404, KD_CODE_UNKNOWN_CONTAINER, "no VIF", "KuryrPort %s has no VIF for port %s (%s)",
                           key, rec.port_id, got < 0 ? err.message : "gone or changed");
    kuryr_netns_iface iface;
    int rc = kuryr_netns_iface_get(r->netns, r->ifname, &iface, &err);
    if (rc < 0)
        return kd_fail_set(f, 400, KD_CODE_BAD_ENV, "bad CNI_NETNS", "%s", err.message);
    if (rc == 0)
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "interface missing", "%s is not in %s", r->ifname, r->netns);
    if (strcasecmp(iface.mac, vif.mac) != 0)
        return kd_fail_set(f, 500, KD_CODE_INTERNAL, "wrong MAC", "%s in %s has MAC %s, its VIF %s", r->ifname,
                           r->netns, iface.mac, vif.mac);
    for (size_t i = 0; i < vif.n_ips; i++)
        if (!has_address(&iface, vif.ips[i].address))
            return kd_fail_set(f, 500, KD_CODE_INTERNAL, "address missing", "%s in %s lacks %s", r->ifname,
                               r->netns, vif.ips[i].address);
    return 0;
}
