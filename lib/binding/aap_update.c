/* Read-modify-write of a VM port's allowed_address_pairs.
 *
 * The write carries If-Match: revision_number=N (the revision read), so Neutron refuses it with a conflict when
 * another writer changed the port in between; the list is then re-read and the change made again. Writers
 * inside this process (the usual concurrent binds of one VM's containers) are also serialized by a mutex, so
 * they never make each other retry. */
#include "binding_internal.h"

#include "kuryr/log.h"

#include <pthread.h>

#define KB_AAP_ATTEMPTS 8

static pthread_mutex_t aap_lock = PTHREAD_MUTEX_INITIALIZER;

static int update(kuryr_neutron *kn, const char *parent_id, const kuryr_port *port, const char *mac, bool add,
                  kuryr_error *err)
{
    int ret = -1;
    kuryr_error_clear(err);
    pthread_mutex_lock(&aap_lock);
    for (int attempt = 0; attempt < KB_AAP_ATTEMPTS; attempt++) {
        kuryr_port *parent = NULL;
        if (kuryr_neutron_port_get(kn, parent_id, &parent, err) < 0)
            break;
        const char *m = mac ? mac : parent->mac_address;
        json_t *list = add ? kb_aap_with(parent, port, m) : kb_aap_without(parent, port);
        if (!list) {
            kuryr_port_free(parent);
            ret = 0;
            break;
        }
        json_t *attrs = json_pack("{s:o}", "allowed_address_pairs", list);
        /* no revision (a Neutron without revisions): a plain write is all there is */
        int rc = parent->revision_number > 0
                     ? kuryr_neutron_port_update_if_revision(kn, parent_id, attrs, parent->revision_number, NULL, err)
                     : kuryr_neutron_port_update(kn, parent_id, attrs, NULL, err);
        json_decref(attrs);
        kuryr_port_free(parent);
        if (rc == 0) {
            ret = 0;
            break;
        }
        if (!err || err->kind != KURYR_ERR_CONFLICT)
            break;
        KLOG_WARN("allowed_address_pairs of port %s changed concurrently; re-reading", parent_id);
    }
    if (ret < 0 && err && err->kind == KURYR_OK)
        kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL,
                        "allowed_address_pairs of port %s keep changing concurrently", parent_id);
    pthread_mutex_unlock(&aap_lock);
    return ret;
}

int kb_aap_add(kuryr_neutron *kn, const char *parent_id, const kuryr_port *port, const char *mac,
               kuryr_error *err)
{
    return update(kn, parent_id, port, mac, true, err);
}

int kb_aap_remove(kuryr_neutron *kn, const char *parent_id, const kuryr_port *port, kuryr_error *err)
{
    int rc = update(kn, parent_id, port, NULL, false, err);
    if (rc < 0 && err && err->kind == KURYR_ERR_NOT_FOUND)
        return 0; /* the VM's port is gone, and with it the pairs */
    return rc;
}
