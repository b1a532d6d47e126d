/* Docker names to Cinder volumes. As in Fuxi, a Docker volume is the Cinder volume of the same name that carries
 * the metadata mark volume_from = <[DEFAULT] volume_from>; volumes without the mark are not Docker's. */
#include <string.h>

#include "volume.h"

bool kv_is_ours(const kv_daemon *d, const kuryr_volume *v)
{
    const char *mark = json_string_value(json_object_get(v->metadata, "volume_from"));
    return mark && !strcmp(mark, d->volume_from);
}

int kv_find(kv_daemon *d, const char *name, kuryr_volume *out, kuryr_error *err)
{
    memset(out, 0, sizeof(*out));
    kuryr_volume *vs = NULL;
    size_t n = 0, found = 0, at = 0;
    if (kuryr_cinder_volume_list(d->cinder, name, &vs, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        /* Cinder's name filter may match loosely on some back ends: compare exactly */
        if (vs[i].name && !strcmp(vs[i].name, name) && kv_is_ours(d, &vs[i])) {
            found++;
            at = i;
        }
    }
    int rc = 0;
    if (found == 0)
        rc = kuryr_error_set(err, KURYR_ERR_NOT_FOUND, 0, NULL, "no volume named %s", name);
    else if (found > 1)
        rc = kuryr_error_set(err, KURYR_ERR_CONFLICT, 0, NULL, "%zu Cinder volumes are named %s: rename or remove all but one",
                             found, name);
    else {
        *out = vs[at];
        memset(&vs[at], 0, sizeof(vs[at]));
    }
    kuryr_volumes_free(vs, n);
    return rc;
}
