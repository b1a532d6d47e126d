/* Tags on any Neutron resource (the standard-attr-tag extension). */
#include "neutron_internal.h"

#include <stdlib.h>

#include "kuryr/log.h"

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

/* ---- tags at creation -------------------------------------------------------------------------------- */

bool kuryr_neutron_tags_in_body(kuryr_neutron *kn)
{
    return atomic_load(&kn->tags_in_body) != 0;
}

static void tags_into_body(json_t *attrs, const char *const *tags, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(tags[i]));
    json_object_set_new(attrs, "tags", arr);
}

/* A 400 naming "tags": this Neutron takes no tags in create bodies. */
static bool body_tags_refused(kuryr_neutron *kn, const kuryr_error *err)
{
    if (err->kind != KURYR_ERR_BAD_REQUEST || !kuryr_error_refused(err, "tags"))
        return false;
    KLOG_INFO("Neutron does not take tags in create bodies: tagging with separate calls");
    atomic_store(&kn->tags_in_body, 0);
    return true;
}

/* The created object came back without some of the tags its body carried. */
static bool body_tags_dropped(kuryr_neutron *kn, const kuryr_strv *got, const char *const *tags, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!kuryr_strv_contains(got, tags[i])) {
            KLOG_INFO("Neutron dropped the tags of a create body: tagging with separate calls");
            atomic_store(&kn->tags_in_body, 0);
            return true;
        }
    }
    return false;
}

/* A member of a parsed object, found by its offset (the typed wrappers pass offsetof). */
#define KN_MEMBER(obj, type, at) ((const type *)((const char *)(obj) + (at)))

int kn_create_tagged(kuryr_neutron *kn, const kn_resource *r, kn_tagged_layout at, json_t *attrs,
                     const char *const *tags, size_t n, void **out, bool *tagged_after, kuryr_error *err)
{
    *out = NULL;
    bool in_body = n > 0 && kuryr_neutron_tags_in_body(kn);
    if (in_body)
        tags_into_body(attrs, tags, n);
    int rc = kn_create(kn, r, attrs, out, err);
    if (rc < 0 && in_body && body_tags_refused(kn, err)) {
        in_body = false;
        json_object_del(attrs, "tags");
        rc = kn_create(kn, r, attrs, out, err); /* once: the refusal cannot come again */
    }
    if (rc < 0)
        return -1;
    if (in_body && body_tags_dropped(kn, KN_MEMBER(*out, kuryr_strv, at.tags), tags, n))
        in_body = false;
    bool after = n > 0 && !in_body;
    if (tagged_after)
        *tagged_after = after;
    if (after && kuryr_neutron_tags_replace(kn, r->collection, *KN_MEMBER(*out, char *, at.id), tags, n, err) < 0)
        return kuryr_error_prefix(err, "tagging the new Neutron object failed: ");
    return 0;
}
