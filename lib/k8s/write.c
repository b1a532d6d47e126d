/* Writing objects: see include/kuryr/k8s_write.h. */
#include "k8s_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kuryr/k8s_write.h"
#include "kuryr/log.h"

#define MERGE_PATCH "application/merge-patch+json"
#define MAX_UPDATE_ATTEMPTS 5
/* Events are for humans: a long message only bloats etcd. */
#define MAX_EVENT_MESSAGE 1024

static int no_path(kuryr_error *err)
{
    return kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "k8s: bad resource or name, or out of memory");
}

int kuryr_k8s_create(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace, const json_t *obj,
                     json_t **out, kuryr_error *err)
{
    if (out)
        *out = NULL;
    if (!namespace)
        namespace = kuryr_k8s_obj_namespace(obj);
    if (r && r->namespaced && !namespace)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "k8s: create of a %s needs a namespace", r->plural);
    char *path = kuryr_k8s_path(r, namespace, NULL, NULL);
    if (!path)
        return no_path(err);
    int rc = kuryr_k8s_request(c, "POST", path, NULL, obj, out, err);
    free(path);
    return rc;
}

int kuryr_k8s_delete(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace, const char *name,
                     const char *uid, kuryr_error *err)
{
    char *path = name ? kuryr_k8s_path(r, namespace, name, NULL) : NULL;
    if (!path)
        return no_path(err);
    json_t *opts = uid ? json_pack("{s:s, s:s, s:{s:s}}", "kind", "DeleteOptions", "apiVersion", "v1",
                                   "preconditions", "uid", uid)
                       : NULL;
    int rc = kuryr_k8s_request(c, "DELETE", path, NULL, opts, NULL, err);
    json_decref(opts);
    free(path);
    return rc;
}

int kuryr_k8s_merge_patch(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace,
                          const char *name, const char *subresource, const json_t *patch,
                          const char *resource_version, json_t **out, kuryr_error *err)
{
    if (out)
        *out = NULL;
    if (!json_is_object(patch))
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "k8s: a merge patch must be a JSON object");
    char *path = name ? kuryr_k8s_path(r, namespace, name, subresource) : NULL;
    if (!path)
        return no_path(err);
    json_t *body = json_deep_copy(patch);
    if (body && resource_version) {
        /* The precondition: the apiserver compares it with the stored object's and answers 409 if it moved. */
        json_t *meta = json_object_get(body, "metadata");
        if (!json_is_object(meta))
            json_object_set_new(body, "metadata", meta = json_object());
        json_object_set_new(meta, "resourceVersion", json_string(resource_version));
    }
    int rc = body ? kuryr_k8s_request(c, "PATCH", path, MERGE_PATCH, body, out, err)
                  : kuryr_error_set(err, KURYR_ERR_INTERNAL, 0, NULL, "out of memory");
    json_decref(body);
    free(path);
    return rc;
}

int kuryr_k8s_update(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace, const char *name,
                     const char *subresource, kuryr_k8s_mutate_fn mutate, void *ud, json_t **out,
                     kuryr_error *err)
{
    if (out)
        *out = NULL;
    for (int attempt = 1;; attempt++) {
        json_t *current = NULL, *patch = NULL;
        if (kuryr_k8s_get(c, r, namespace, name, &current, err) != 0)
            return -1;
        int m = mutate(current, &patch, ud, err);
        if (m != 0) {
            json_decref(patch);
            if (m > 0 && out)
                *out = current;
            else
                json_decref(current);
            return m > 0 ? 0 : -1;
        }
        const char *rv = kuryr_k8s_obj_resource_version(current);
        int rc = kuryr_k8s_merge_patch(c, r, namespace, name, subresource, patch, rv, out, err);
        json_decref(patch);
        json_decref(current);
        if (rc == 0)
            return 0;
        if (err && err->kind == KURYR_ERR_CONFLICT && attempt < MAX_UPDATE_ATTEMPTS) {
            KLOG_DEBUG("k8s: %s %s/%s changed under us (409), reading it again", r->plural,
                       namespace ? namespace : "", name);
            continue;
        }
        return -1;
    }
}

/* ---- status ---- */

static int status_patch(const json_t *current, json_t **patch, void *ud, kuryr_error *err)
{
    (void)err;
    const json_t *status = ud;
    if (json_equal(json_object_get(current, "status"), (json_t *)status))
        return 1;
    *patch = json_pack("{s:O}", "status", (json_t *)status);
    return 0;
}

int kuryr_k8s_set_status(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace,
                         const char *name, const json_t *status, json_t **out, kuryr_error *err)
{
    return kuryr_k8s_update(c, r, namespace, name, "status", status_patch, (void *)status, out, err);
}

/* ---- finalizers ---- */

/* The finalizer list of current with finalizer added (add) or removed (!add). */
static json_t *finalizers_with(const json_t *current, const char *finalizer, bool add)
{
    json_t *list = json_array(), *f;
    size_t i;
    json_array_foreach(json_object_get(json_object_get(current, "metadata"), "finalizers"), i, f) {
        if (!json_is_string(f) || strcmp(json_string_value(f), finalizer) != 0)
            json_array_append(list, f);
    }
    if (add)
        json_array_append_new(list, json_string(finalizer));
    return list;
}

static int add_finalizer(const json_t *current, json_t **patch, void *ud, kuryr_error *err)
{
    const char *finalizer = ud;
    if (kuryr_k8s_obj_has_finalizer(current, finalizer))
        return 1;
    if (kuryr_k8s_obj_deleting(current))
        return kuryr_error_set(err, KURYR_ERR_CONFLICT, 409, "Deleting",
                               "cannot add finalizer %s: the object is being deleted", finalizer);
    /* The whole list, under the resourceVersion precondition: a merge patch replaces arrays. */
    *patch = json_pack("{s:{s:o}}", "metadata", "finalizers", finalizers_with(current, finalizer, true));
    return 0;
}

static int remove_finalizer(const json_t *current, json_t **patch, void *ud, kuryr_error *err)
{
    (void)err;
    const char *finalizer = ud;
    if (!kuryr_k8s_obj_has_finalizer(current, finalizer))
        return 1;
    *patch = json_pack("{s:{s:o}}", "metadata", "finalizers", finalizers_with(current, finalizer, false));
    return 0;
}

int kuryr_k8s_finalizer_add(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace,
                            const char *name, const char *finalizer, kuryr_error *err)
{
    return kuryr_k8s_update(c, r, namespace, name, NULL, add_finalizer, (void *)finalizer, NULL, err);
}

int kuryr_k8s_finalizer_remove(kuryr_k8s_client *c, const kuryr_k8s_resource *r, const char *namespace,
                               const char *name, const char *finalizer, kuryr_error *err)
{
    if (kuryr_k8s_update(c, r, namespace, name, NULL, remove_finalizer, (void *)finalizer, NULL, err) == 0)
        return 0;
    if (err && err->kind == KURYR_ERR_NOT_FOUND) {
        kuryr_error_clear(err);
        return 0; /* gone already: nothing holds it */
    }
    return -1;
}

/* ---- Events ---- */

int kuryr_k8s_event_record(kuryr_k8s_client *c, const json_t *obj, const char *type, const char *reason,
                           const char *message, const char *component, kuryr_error *err)
{
    const char *kind = json_string_value(json_object_get(obj, "kind"));
    const char *api = json_string_value(json_object_get(obj, "apiVersion"));
    const char *name = kuryr_k8s_obj_name(obj), *ns = kuryr_k8s_obj_namespace(obj), *uid = kuryr_k8s_obj_uid(obj);
    const char *rv = kuryr_k8s_obj_resource_version(obj);
    if (!kind || !api || !name || !type || !reason)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL,
                               "k8s: an Event needs the object's kind, apiVersion and name, a type and a reason");
    char now[32], host[128] = "", prefix[300];
    time_t t = time(NULL);
    struct tm tm;
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    gethostname(host, sizeof(host) - 1);
    snprintf(prefix, sizeof(prefix), "%.240s.", name);
    const char *event_ns = ns && *ns ? ns : "default";
    json_t *involved = json_pack("{s:s, s:s, s:s}", "kind", kind, "apiVersion", api, "name", name);
    if (ns && *ns)
        json_object_set_new(involved, "namespace", json_string(ns));
    if (uid)
        json_object_set_new(involved, "uid", json_string(uid));
    if (rv)
        json_object_set_new(involved, "resourceVersion", json_string(rv));
    json_t *ev = json_pack("{s:{s:s, s:s}, s:o, s:s, s:s%, s:s, s:{s:s, s:s}, s:s, s:s, s:i, s:s, s:s}",
                           "metadata", "generateName", prefix, "namespace", event_ns,
                           "involvedObject", involved,
                           "reason", reason,
                           "message", message ? message : "", (size_t)(message && strlen(message) > MAX_EVENT_MESSAGE
                                                                           ? MAX_EVENT_MESSAGE
                                                                           : message ? strlen(message) : 0),
                           "type", type,
                           "source", "component", component ? component : "kuryr", "host", host,
                           "firstTimestamp", now, "lastTimestamp", now, "count", 1,
                           "reportingComponent", component ? component : "kuryr", "reportingInstance", host);
    if (!ev)
        return kuryr_error_set(err, KURYR_ERR_BAD_REQUEST, 0, NULL, "k8s: an Event field is not valid UTF-8");
    int rc = kuryr_k8s_create(c, &kuryr_k8s_events, event_ns, ev, NULL, err);
    json_decref(ev);
    return rc;
}
