/* Trunk subports (the trunk extension's add_subports and remove_subports actions). */
#include "neutron_internal.h"

#include <stdlib.h>

/* PUT /v2.0/trunks/<id>/<action> with {"sub_ports": subs}; Neutron answers with the trunk, unenveloped. */
static int subports_call(kuryr_neutron *kn, const char *trunk_id, const char *action, json_t *subs,
                         kuryr_trunk **out, kuryr_error *err)
{
    if (out)
        *out = NULL;
    json_t *body = subs ? json_pack("{so}", "sub_ports", subs) : NULL;
    char *eid = trunk_id && *trunk_id ? kn_escape(trunk_id) : NULL;
    char *path = eid ? kn_strdup_printf("/v2.0/trunks/%s/%s", eid, action) : NULL;
    free(eid);
    int rc;
    if (!trunk_id || !*trunk_id)
        rc = kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, "", "trunk %s: a trunk id is required", action);
    else if (!body || !path)
        rc = kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, "", "trunk %s: cannot encode the subports", action);
    else {
        json_t *resp;
        rc = kn_call(kn, "PUT", path, body, out ? &resp : NULL, err);
        if (rc == 0 && out) {
            void *t = NULL;
            rc = kn_parse_enveloped(kn_trunk_resource(), resp, &t, err);
            *out = t;
            json_decref(resp);
        }
    }
    json_decref(body);
    free(path);
    return rc;
}

int kuryr_neutron_trunk_add_subports(kuryr_neutron *kn, const char *trunk_id, const kuryr_subport *subs,
                                     size_t n, kuryr_trunk **out, kuryr_error *err)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *sp = subs[i].port_id ? json_pack("{ss}", "port_id", subs[i].port_id) : NULL;
        /* Both may be left out: Neutron then inherits them (segmentation_type "inherit"). */
        if (sp && subs[i].segmentation_type &&
            json_object_set_new(sp, "segmentation_type", json_string(subs[i].segmentation_type)) < 0)
            json_decref(sp), sp = NULL;
        if (sp && subs[i].segmentation_id > 0 &&
            json_object_set_new(sp, "segmentation_id", json_integer(subs[i].segmentation_id)) < 0)
            json_decref(sp), sp = NULL;
        if (!sp || json_array_append_new(arr, sp) < 0)
            json_decref(arr), arr = NULL;
    }
    return subports_call(kn, trunk_id, "add_subports", arr, out, err);
}

int kuryr_neutron_trunk_remove_subports(kuryr_neutron *kn, const char *trunk_id, const char *const *port_ids,
                                        size_t n, kuryr_trunk **out, kuryr_error *err)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *sp = port_ids[i] ? json_pack("{ss}", "port_id", port_ids[i]) : NULL;
        if (!sp || json_array_append_new(arr, sp) < 0)
            json_decref(arr), arr = NULL;
    }
    return subports_call(kn, trunk_id, "remove_subports", arr, out, err);
}
