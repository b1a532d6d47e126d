/* Tags on any Neutron resource (the standard-attr-tag extension). */
#include "neutron_internal.h"

#include <stdlib.h>

/* "/v2.0/<collection>/<id>/tags" plus "/<tag>" when tag is given; id and tag escaped, since tags hold ':'
 * and may hold '/'. */
static char *tags_path(const char *collection, const char *id, const char *tag, kuryr_error *err)
{
    if (!kn_collection_valid(collection) || !id || !*id || (tag && !*tag)) {
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, "", "tags: a collection, an id and a non-empty tag are "
                        "required");
        return NULL;
    }
    char *eid = kn_escape(id), *etag = tag ? kn_escape(tag) : NULL;
    char *path = NULL;
    if (eid && (!tag || etag))
        path = kn_strdup_printf("/v2.0/%s/%s/tags%s%s", collection, eid, tag ? "/" : "", tag ? etag : "");
    free(eid);
    free(etag);
    if (!path)
        kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, "", "out of memory");
    return path;
}

int kuryr_neutron_tag_add(kuryr_neutron *kn, const char *collection, const char *id, const char *tag,
                          kuryr_error *err)
{
    char *path = tags_path(collection, id, tag ? tag : "", err);
    if (!path)
        return -1;
    int rc = kn_call(kn, "PUT", path, NULL, NULL, err);
    free(path);
    return rc;
}

int kuryr_neutron_tag_remove(kuryr_neutron *kn, const char *collection, const char *id, const char *tag,
                             kuryr_error *err)
{
    char *path = tags_path(collection, id, tag ? tag : "", err);
    if (!path)
        return -1;
    int rc = kn_call(kn, "DELETE", path, NULL, NULL, err);
    free(path);
    /* The tag being gone already is the outcome the caller asked for. */
    if (rc < 0 && err && err->kind == KURYR_ERR_NOT_FOUND && err->http_status == 404) {
        kuryr_error_clear(err);
        rc = 0;
    }
    return rc;
}

int kuryr_neutron_tags_replace(kuryr_neutron *kn, const char *collection, const char *id,
                               const char *const *tags, size_t n, kuryr_error *err)
{
    char *path = tags_path(collection, id, NULL, err);
    if (!path)
        return -1;
    json_t *arr = json_array(), *body = NULL;
    int rc = arr ? 0 : -1;
    for (size_t i = 0; i < n && rc == 0; i++)
        if (!tags[i] || json_array_append_new(arr, json_string(tags[i])) < 0)
            rc = -1;
    if (rc == 0 && !(body = json_pack("{so}", "tags", arr)))
        rc = -1;
    else if (rc < 0)
        json_decref(arr);
    if (rc < 0)
        kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, "", "tags: cannot encode the tag list (NULL or not "
                        "UTF-8)");
    else
        rc = kn_call(kn, "PUT", path, body, NULL, err);
    json_decref(body);
    free(path);
    return rc;
}
