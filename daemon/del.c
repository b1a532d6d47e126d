/* CNI DEL and GC: both act only on links that carry this node's attachment record (record.h), so they never
 * touch another node's or another program's devices, and both work without the KuryrPort. */
#include <stdlib.h>
#include <string.h>

#include "kd.h"
#include "kuryr/log.h"

/* DEL unplugs the attachment recorded for (container id, ifname). None recorded: nothing of this container
 * is plugged, because it was deleted already (a repeated DEL), was never plugged, or a newer sandbox of the
 * pod has re-plugged the port since (a stale DEL); each is success and touches nothing. */
int kd_del(kd_daemon *d, const kd_request *r, kd_fail *f)
{
    kd_record *recs = NULL;
    size_t n = 0;
    if (kd_records(d, &recs, &n, f) < 0)
        return -1;
    int rc = 0;
    bool found = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(recs[i].container_id, r->container_id) != 0 || strcmp(recs[i].ifname, r->ifname) != 0)
            continue;
        found = true;
        if (kd_unplug(d, &recs[i], r->netns, f) < 0)
            rc = -1;
    }
    if (!found)
        KLOG_INFO("DEL of container %s (%s): nothing of it is plugged here (already deleted, never added, or "
                  "superseded by a newer sandbox): nothing to do", r->container_id, r->ifname);
    free(recs);
    return rc;
}

static bool listed(const kd_request *r, const kd_record *rec)
{
    for (size_t i = 0; i < r->n_valid; i++)
        if (!strcmp(r->valid[i].container_id, rec->container_id) && !strcmp(r->valid[i].ifname, rec->ifname))
            return true;
    return false;
}

int kd_gc(kd_daemon *d, const kd_request *r, kd_fail *f)
{
    kd_record *recs = NULL;
    size_t n = 0;
    if (kd_records(d, &recs, &n, f) < 0)
        return -1;
    int rc = 0;
    size_t removed = 0, kept = 0;
    for (size_t i = 0; i < n; i++) {
        if (listed(r, &recs[i])) {
            kept++;
            continue;
        }
        KLOG_INFO("GC: container %s (%s) is not a valid attachment: unplugging port %s", recs[i].container_id,
                  recs[i].ifname, recs[i].port_id);
        if (kd_unplug(d, &recs[i], NULL, f) < 0)
            rc = -1;
        else
            removed++;
    }
    KLOG_INFO("GC: %zu attachments kept, %zu removed", kept, removed);
    free(recs);
    return rc;
}
