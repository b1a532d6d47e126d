/* Read-modify-write of a VM port's allowed_address_pairs.
 *
 * kuryr_neutron_port_update cannot send If-Match: revision_number=N, so lost updates are detected
 * afterwards: a write that did not move the revision by exactly one raced with another writer, and the list
 * is re-read and fixed until it holds what we want. Writers inside this process (the usual concurrent binds
 * of one VM's containers) are serialized by a mutex, so they never race each other. */
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
        kuryr_port *parent = NULL, *after = NULL;
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
        int rc = kuryr_neutron_port_update(kn, parent_id, attrs, &after, err);
        json_decref(attrs);
        long before = parent->revision_number;
        kuryr_port_free(parent);
        if (rc < 0) {
            kuryr_port_free(after);
            if (err && err->kind == KURYR_ERR_CONFLICT)
                continue;
            break;
        }
        bool raced = after && before > 0 && after->revision_number != before + 1;
        kuryr_port_free(after);
        if (!raced) {
            ret = 0;
            break;
        }
        KLOG_WARN("allowed_address_pairs of port %s changed concurrently; re-checking", parent_id);
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
