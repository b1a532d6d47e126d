/* The vlan driver's Neutron side: the container's port as a subport of the VM port's trunk. */
#include "binding_internal.h"

#include "kuryr/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KB_TRUNK_ATTEMPTS 16

static int find_trunk(kuryr_neutron *kn, const char *parent_id, kuryr_trunk **out, kuryr_error *err)
{
    kuryr_query *q = kuryr_query_new();
    kuryr_query_add(q, "port_id", parent_id);
    kuryr_trunk_list l = { 0 };
    int rc = kuryr_neutron_trunk_list(kn, q, &l, err);
    kuryr_query_free(q);
    if (rc < 0)
        return -1;
    if (l.n == 0) {
        kuryr_trunk_list_clear(&l);
        return kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 0, NULL,
                               "the VM port %s has no trunk; the vlan driver needs one", parent_id);
    }
    *out = l.items[0];
    l.items[0] = NULL;
    for (size_t i = 1; i < l.n; i++)
        kuryr_trunk_free(l.items[i]);
    l.n = 0;
    kuryr_trunk_list_clear(&l);
    return 0;
}

static int existing_id(const kuryr_trunk *t, const char *port_id)
{
    for (size_t i = 0; i < t->n_sub_ports; i++)
        if (t->sub_ports[i].port_id && !strcmp(t->sub_ports[i].port_id, port_id))
            return t->sub_ports[i].segmentation_id;
    return 0;
}

int kb_trunk_attach(kuryr_neutron *kn, const char *parent_id, const char *port_id, int *vlan_id,
                    kuryr_error *err)
{
    uint8_t refused[(KB_SEGID_MAX + 8) / 8] = { 0 };
    /* Start at a random place so that two daemons sharing a trunk (or a restarted one) rarely pick the same id. */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned seed = (unsigned)ts.tv_nsec ^ (unsigned)ts.tv_sec;
    for (int attempt = 0; attempt < KB_TRUNK_ATTEMPTS; attempt++) {
        kuryr_trunk *t = NULL;
        if (find_trunk(kn, parent_id, &t, err) < 0)
            return -1;
        int have = existing_id(t, port_id);
        if (have > 0) {
            kuryr_trunk_free(t);
            *vlan_id = have;
            return 0;
        }
        int id = kb_segid_reserve(t, refused, rand_r(&seed));
        if (id < 0) {
            kuryr_trunk_free(t);
            return kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL, "trunk of port %s has no free vlan id",
                                   parent_id);
        }
        kuryr_subport sp = { .port_id = (char *)port_id, .segmentation_type = "vlan", .segmentation_id = id };
        int rc = kuryr_neutron_trunk_add_subports(kn, t->id, &sp, 1, NULL, err);
        kuryr_trunk_free(t);
        kb_segid_release(id);
        if (rc == 0) {
            *vlan_id = id;
            return 0;
        }
        if (err->kind != KURYR_ERR_CONFLICT)
            return -1;
        /* Someone else took the id (or the port) meanwhile: look again, never offering this id again. */
        KLOG_DEBUG("vlan id %d on trunk of port %s was taken concurrently; retrying", id, parent_id);
        kb_bit_set(refused, id);
    }
    return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, NULL,
                           "could not add port %s to the trunk of port %s: every attempt collided", port_id,
                           parent_id);
}

int kb_trunk_detach(kuryr_neutron *kn, const char *parent_id, const char *port_id, kuryr_error *err)
{
    kuryr_trunk *t = NULL;
    if (find_trunk(kn, parent_id, &t, err) < 0)
        return err->kind == KURYR_ERR_NOT_FOUND ? 0 : -1;
    int ret = 0;
    if (existing_id(t, port_id) > 0) {
        const char *ids[] = { port_id };
        ret = kuryr_neutron_trunk_remove_subports(kn, t->id, ids, 1, NULL, err);
        if (ret < 0 && err->kind == KURYR_ERR_NOT_FOUND)
            ret = 0;
    }
    kuryr_trunk_free(t);
    return ret;
}
